/*
 * users.c - the district administrators' user API; see users.h and
 * handlers.h.
 */
#include "users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "pwhash.h"
#include "sn/clock.h"
#include "sn/date.h"
#include "sn/identity/v1/identity.pb-c.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/page.h"
#include "sn/seal.h"
#include "sn/uuid.h"
#include "store.h"

/* ---- user.changed
 * ----------------------------------------------------------- */

sn_err
identity_users_publish(identity *id, sn_tx *tx, const char *uid,
    const char *actor, bool created, const identity_user_view *after,
    const identity_change *ch, size_t n)
{
	Sn__Identity__V1__FieldChange  fc[IDENTITY_MAX_CHANGES + 4];
	Sn__Identity__V1__FieldChange *fcp[IDENTITY_MAX_CHANGES + 4];
	char                           at[32];
	time_t                         now = (time_t) sn_clock_now_s();
	struct tm                      tm;
	if (n > IDENTITY_MAX_CHANGES + 4)
		return SN_EINVAL;
	gmtime_r(&now, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (size_t i = 0; i < n; i++) {
		sn__identity__v1__field_change__init(&fc[i]);
		fc[i].field     = (char *) ch[i].field;
		fc[i].old_value = (char *) ch[i].old_value;
		fc[i].new_value = (char *) ch[i].new_value;
		fcp[i]          = &fc[i];
	}
	Sn__Identity__V1__UserChanged ev
	    = SN__IDENTITY__V1__USER_CHANGED__INIT;
	ev.user_id      = (char *) uid;
	ev.username     = (char *) after->username;
	ev.display_name = (char *) after->display_name;
	ev.kind         = (char *) identity_rules_kind_name(after->kind);
	ev.role         = (char *) after->role;
	ev.jurisdiction = (char *) after->jurisdiction;
	ev.unit         = (char *) (after->unit != NULL ? after->unit : "");
	ev.disabled     = after->disabled;
	ev.created      = created;
	ev.n_changes    = n;
	ev.changes      = fcp;
	ev.changed_by   = (char *) actor;
	ev.changed_at   = at;
	return sn_bus_append_msg(
	    sn_service_bus(id->svc), tx, "user.changed", uid, actor, &ev.base);
}

/* ---- documents
 * ---------------------------------------------------------------- */

/*
 * Replaces the sealed identity number of a user document by its value,
 * or, with masked, by its masked form (sn_log_mask_idnum): the answers
 * of POST and PATCH are stored for Idempotency-Key replays, and a stored
 * answer must not hold the number in clear. null when it does not open
 * (logged; never shown sealed).
 */
static void
doc_open(json_t *doc, bool masked)
{
	const char *sealed
	    = json_string_value(json_object_get(doc, "id_number"));
	char *plain = NULL;
	if (sealed == NULL)
		return;
	if (sn_seal_open_text(
	        sn_seal_default(), IDENTITY_IDN_COLUMN, sealed, &plain)
	    != SN_OK) {
		sn_log(SN_LOG_ERROR, "a sealed identity number does not open",
		    NULL);
		json_object_set_new(doc, "id_number", json_null());
		return;
	}
	char mask[SN_LOG_MASK_MAX];
	json_object_set_new(doc, "id_number",
	    json_string(masked ? sn_log_mask_idnum(plain, mask) : plain));
	sodium_memzero(plain, strlen(plain));
	free(plain);
}

/* The document text as the answer's JSON, opened; NULL if it does not
 * parse. */
static json_t *
doc_json(const char *text, bool masked)
{
	json_t *doc = json_loads(text, 0, NULL);
	if (doc != NULL)
		doc_open(doc, masked);
	return doc;
}

static bool
doc_within(json_t *doc, const sn_principal *p)
{
	return sn_auth_within(
	    p, json_string_value(json_object_get(doc, "jurisdiction")));
}

/* ---- the context of a change
 * ---------------------------------------------------- */

/*
 * One POST or PATCH: made by its handler, freed by user_req_end, which
 * sn_http_tx_with_end runs however the transaction ends (or by the step
 * that fails before it).
 */
typedef struct user_req {
	sn_http_req       *req;
	identity          *id;
	const char        *uid; /* PATCH: the path's id, borrowed */
	char               new_id[SN_UUID_STRLEN];
	identity_new_user  u; /* POST: strings borrowed from the body */
	identity_patch     p; /* PATCH: strings borrowed from the body */
	char              *hash;
	unsigned           status; /* of the answer: 201 or 200 */
	identity_insert_op ins_op;
	identity_user_op   lock_op;
	identity_doc_op    doc_op;
} user_req;

static void
user_req_end(void *arg)
{
	user_req *ur = arg;
	if (ur->hash != NULL) {
		sodium_memzero(ur->hash, strlen(ur->hash));
		free(ur->hash);
	}
	free(ur);
}

static user_req *
user_req_new(sn_http_req *req, identity *id)
{
	user_req *ur = calloc(1, sizeof(*ur));
	if (ur == NULL)
		abort();
	ur->req = req;
	ur->id  = id;
	return ur;
}

static void
on_doc_answer(sn_tx *tx, sn_err err, const char *text, void *arg)
{
	user_req *ur = arg;
	json_t   *doc
	    = err == SN_OK && text != NULL ? doc_json(text, true) : NULL;
	if (doc == NULL) {
		sn_http_tx_fail(ur->req, tx, 500, "internal",
		    "the user could not be read back", NULL);
		return;
	}
	sn_http_tx_reply(ur->req, tx, ur->status, doc);
}

/* Queues the read of the user's document that answers the request. */
static void
answer_doc(user_req *ur, sn_tx *tx, const char *uid)
{
	ur->doc_op = (identity_doc_op) { on_doc_answer, ur };
	if (identity_store_user_doc_tx(tx, uid, &ur->doc_op) != SN_OK
	    && !sn_tx_failed(tx))
		sn_http_tx_fail(ur->req, tx, 503, "unavailable",
		    "the user could not be read back; retry", NULL);
}

/* Hashes the request's password off the loop, then runs begin in the
 * request's transaction; without a password, at once. */
static void hashed(sn_err err, const char *hash, void *arg);

static sn_http_tx_fn pending_begin(const user_req *ur);

static void
hash_then(user_req *ur, const char *password)
{
	if (password == NULL) {
		sn_http_tx_with_end(
		    ur->req, pending_begin(ur), user_req_end, ur);
		return;
	}
	if (identity_pwhash_hash(
	        sn_loop_uv(sn_service_loop(ur->id->svc)), password, hashed, ur)
	    != SN_OK) {
		sn_http_reply_error(
		    ur->req, 503, "unavailable", "out of memory", NULL);
		user_req_end(ur);
	}
}

static void
hashed(sn_err err, const char *hash, void *arg)
{
	user_req *ur = arg;
	if (err != SN_OK || (ur->hash = strdup(hash)) == NULL) {
		sn_http_reply_error(
		    ur->req, 503, "unavailable", "out of memory", NULL);
		user_req_end(ur);
		return;
	}
	sn_http_tx_with_end(ur->req, pending_begin(ur), user_req_end, ur);
}

/* ---- POST /users
 * ------------------------------------------------------------------ */

static void
on_created(sn_tx *tx, bool inserted, void *arg)
{
	user_req                *ur = arg;
	const identity_new_user *u  = &ur->u;
	const sn_principal      *p  = sn_http_principal(ur->req);
	if (!inserted) {
		sn_http_tx_fail(ur->req, tx, 409, "user_exists",
		    "a user with this user name or identity number exists",
		    "username");
		return;
	}
	const char        *kind  = identity_rules_kind_name(u->kind);
	identity_change    ch[]  = { { "username", "", u->username },
		    { "display_name", "", u->display_name }, { "kind", "", kind },
		    { "role", "", u->role },
		    { "jurisdiction", "", u->jurisdiction },
		    { "unit", "", u->unit } };
	size_t             n     = u->unit != NULL ? 6 : 5;
	identity_user_view after = { u->username, u->display_name, u->kind,
		u->role, u->jurisdiction, u->unit, false, 0, NULL };
	if (identity_store_changes_insert(tx, ur->new_id, p->user, ch, n)
	        != SN_OK
	    || identity_users_publish(
	           ur->id, tx, ur->new_id, p->user, true, &after, ch, n)
	        != SN_OK) {
		if (!sn_tx_failed(tx))
			sn_http_tx_fail(ur->req, tx, 503, "unavailable",
			    "the user could not be stored; retry", NULL);
		return;
	}
	ur->status = 201;
	answer_doc(ur, tx, ur->new_id);
}

static void
create_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	user_req *ur     = arg;
	char     *sealed = NULL;
	char      index[SN_SEAL_INDEX_HEX + 1];
	sn_uuid   u;
	if (sn_uuid_v4(&u) != SN_OK
	    || (ur->u.id_number != NULL
	        && sn_seal_text(sn_seal_default(), IDENTITY_IDN_COLUMN,
	               ur->u.id_number, &sealed)
	            != SN_OK)) {
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the user could not be stored; retry", NULL);
		return;
	}
	if (ur->u.id_number != NULL)
		sn_seal_index(sn_seal_default(), IDENTITY_IDN_COLUMN,
		    ur->u.id_number, index);
	sn_uuid_format(&u, ur->new_id);
	identity_user_new nu = { .id = ur->new_id,
		.username            = ur->u.username,
		.display_name        = ur->u.display_name,
		.kind                = identity_rules_kind_name(ur->u.kind),
		.role                = ur->u.role,
		.jurisdiction        = ur->u.jurisdiction,
		.unit                = ur->u.unit,
		.id_number_sealed    = sealed,
		.id_number_index     = sealed != NULL ? index : NULL,
		.password_hash       = ur->hash,
		.created_by          = sn_http_principal(req)->user };
	ur->ins_op           = (identity_insert_op) { on_created, ur };
	if (identity_store_user_insert(tx, &nu, &ur->ins_op) != SN_OK
	    && !sn_tx_failed(tx))
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the user could not be stored; retry", NULL);
	free(sealed);
}

/* The body of POST /users into ur->u; false with *why. */
bool
identity_users_decode_new(
    const json_t *b, identity_new_user *u, sn_problem *why)
{
	static const char *const keys[]
	    = { "username", "display_name", "kind", "role", "jurisdiction",
		      "unit", "id_number", "password", NULL };
	const unsigned req  = SN_IN_REQUIRED | SN_IN_NONEMPTY;
	const char    *kind = NULL;
	memset(u, 0, sizeof(*u));
	if (!sn_in_only(b, keys, "", why)
	    || !sn_in_str(b, "username", "", req, 64, &u->username, why)
	    || !sn_in_str(b, "display_name", "", req,
	        IDENTITY_DISPLAY_NAME_MAX, &u->display_name, why)
	    || !sn_in_str(b, "kind", "", req, 16, &kind, why)
	    || !sn_in_str(b, "role", "", req, 32, &u->role, why)
	    || !sn_in_str(
	        b, "jurisdiction", "", req, 16, &u->jurisdiction, why)
	    || !sn_in_str(b, "unit", "", SN_IN_NULLABLE, 47, &u->unit, why)
	    || !sn_in_str(
	        b, "id_number", "", SN_IN_NULLABLE, 18, &u->id_number, why))
		return false;
	if (!json_is_string(json_object_get(b, "password")))
		return sn_problem_set(why, 422,
		    json_object_get(b, "password") == NULL ? "missing_field"
		                                           : "invalid_type",
		    "password", "the password is a string");
	u->password = json_string_value(json_object_get(b, "password"));
	if (!identity_rules_kind_parse(kind, &u->kind))
		return sn_problem_set(
		    why, 422, "invalid_kind", "kind", "staff or service");
	return true;
}

void
identity_users_create(sn_http_req *req, void *arg)
{
	user_req  *ur = user_req_new(req, arg);
	sn_problem why;
	sn_problem_clear(&why);
	if (!identity_users_decode_new(sn_http_json(req), &ur->u, &why)
	    || !identity_rules_new_user(&ur->u, sn_http_principal(req),
	        sn_date_yyyymmdd(sn_clock_today()), &why)) {
		user_req_end(ur);
		sn_http_problem(req, &why);
		return;
	}
	hash_then(ur, ur->u.password);
}

/* ---- PATCH /users/{id}
 * ---------------------------------------------------------- */

static void
write_patch(user_req *ur, sn_tx *tx, const identity_user_row *u,
    const identity_change *ch, size_t n)
{
	const identity_patch *p     = &ur->p;
	const char           *admin = sn_http_principal(ur->req)->user;
	identity_kind         kind  = IDENTITY_KIND_STAFF;
	(void) identity_rules_kind_parse(u->kind, &kind);
	identity_user_view after = {
		u->username,
		p->display_name != NULL ? p->display_name : u->display_name,
		kind,
		p->role != NULL ? p->role : u->role,
		p->jurisdiction != NULL ? p->jurisdiction : u->jurisdiction,
		p->has_unit ? p->unit : u->unit,
		p->has_disabled ? p->disabled : u->disabled,
		0,
		NULL,
	};
	bool revoke = p->password != NULL || (p->has_disabled && p->disabled);
	if (identity_store_user_update(tx, u->id, p, ur->hash) != SN_OK
	    || (revoke
	        && identity_store_user_tokens_revoke(
	               tx, u->id, sn_clock_now_s())
	            != SN_OK)
	    || identity_store_changes_insert(tx, u->id, admin, ch, n) != SN_OK
	    || identity_users_publish(
	           ur->id, tx, u->id, admin, false, &after, ch, n)
	        != SN_OK) {
		if (!sn_tx_failed(tx))
			sn_http_tx_fail(ur->req, tx, 503, "unavailable",
			    "the change could not be stored; retry", NULL);
		return;
	}
	answer_doc(ur, tx, u->id);
}

static void
on_patch_row(sn_tx *tx, sn_err err, const identity_user_row *u, void *arg)
{
	user_req           *ur = arg;
	const sn_principal *p  = sn_http_principal(ur->req);
	identity_change     ch[IDENTITY_MAX_CHANGES];
	size_t              n = 0;
	sn_problem          why;
	if (err != SN_OK || u == NULL) {
		sn_http_tx_fail(ur->req, tx, err != SN_OK ? 503 : 404,
		    err != SN_OK ? "unavailable" : "not_found",
		    err != SN_OK ? "the user could not be read; retry"
		                 : "no such user",
		    err != SN_OK ? NULL : "id");
		return;
	}
	if (!sn_auth_within(p, u->jurisdiction)) {
		sn_http_tx_fail(ur->req, tx, 403, "outside_jurisdiction",
		    "the user is outside your jurisdiction", "id");
		return;
	}
	identity_user_view cur = { u->username, u->display_name,
		IDENTITY_KIND_STAFF, u->role, u->jurisdiction, u->unit,
		u->disabled, u->failed_logins, u->locked_until };
	(void) identity_rules_kind_parse(u->kind, &cur.kind);
	sn_problem_clear(&why);
	if (!identity_rules_patch(&cur, &ur->p, p, ch, &n, &why)) {
		sn_http_tx_problem(ur->req, tx, &why);
		return;
	}
	ur->status = 200;
	if (n == 0)
		answer_doc(ur, tx, u->id);
	else
		write_patch(ur, tx, u, ch, n);
}

static void
patch_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	user_req *ur = arg;
	ur->lock_op  = (identity_user_op) { on_patch_row, ur };
	if (identity_store_user_lock(tx, ur->uid, NULL, &ur->lock_op) != SN_OK
	    && !sn_tx_failed(tx))
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the user could not be read; retry", NULL);
}

static sn_http_tx_fn
pending_begin(const user_req *ur)
{
	return ur->uid != NULL ? patch_begin : create_begin;
}

bool
identity_users_decode_patch(
    const json_t *b, identity_patch *p, sn_problem *why)
{
	static const char *const keys[]
	    = { "display_name", "role", "jurisdiction", "unit", "disabled",
		      "password", "unlock", NULL };
	const unsigned ne = SN_IN_NONEMPTY;
	memset(p, 0, sizeof(*p));
	p->has_disabled = json_object_get(b, "disabled") != NULL;
	p->has_unit     = json_object_get(b, "unit") != NULL; /* null clears */
	if (!sn_in_only(b, keys, "", why)
	    || !sn_in_str(b, "display_name", "", ne, IDENTITY_DISPLAY_NAME_MAX,
	        &p->display_name, why)
	    || !sn_in_str(b, "role", "", ne, 32, &p->role, why)
	    || !sn_in_str(b, "jurisdiction", "", ne, 16, &p->jurisdiction, why)
	    || !sn_in_str(b, "unit", "", SN_IN_NULLABLE, 47, &p->unit, why)
	    || !sn_in_bool(b, "disabled", "", 0, &p->disabled, why)
	    || !sn_in_bool(b, "unlock", "", 0, &p->unlock, why))
		return false;
	const json_t *pw = json_object_get(b, "password");
	if (pw != NULL && !json_is_string(pw))
		return sn_problem_set(why, 422, "invalid_type", "password",
		    "the password is a string");
	p->password = json_string_value(pw);
	/* The policy before the hashing; rules.h checks it again with the
	 * user name. */
	return p->password == NULL
	    || identity_rules_password_ok(p->password, NULL, why);
}

void
identity_users_patch(sn_http_req *req, void *arg)
{
	user_req  *ur = user_req_new(req, arg);
	sn_problem why;
	sn_problem_clear(&why);
	ur->uid = sn_http_param(req, "id");
	if (!sn_uuid_valid(ur->uid)) {
		user_req_end(ur);
		sn_http_reply_error(
		    req, 404, "not_found", "no such user", "id");
		return;
	}
	if (!identity_users_decode_patch(sn_http_json(req), &ur->p, &why)) {
		user_req_end(ur);
		sn_http_problem(req, &why);
		return;
	}
	hash_then(ur, ur->p.password);
}

/* ---- GET /users, /users/{id}, /users/{id}/changes
 * ------------------------------ */

static void
on_users_page(sn_err err, const identity_page *page, void *arg)
{
	sn_http_req *req   = arg;
	json_t      *items = err == SN_OK && page != NULL
	         ? json_loads(page->items_json, 0, NULL)
	         : NULL;
	if (items == NULL) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the users could not be read; retry", NULL);
		return;
	}
	size_t  i;
	json_t *doc;
	json_array_foreach(items, i, doc) doc_open(doc, false);
	json_t *answer = sn_page_answer(items, page->more, page->last);
	if (answer == NULL)
		abort();
	sn_http_reply_json(req, 200, answer);
}

void
identity_users_list(sn_http_req *req, void *arg)
{
	identity   *id = arg;
	sn_page     pg;
	sn_problem  why;
	const char *username = sn_http_query(req, "username");
	sn_problem_clear(&why);
	if (!sn_page_query(req, &pg, &why)) {
		sn_http_problem(req, &why);
		return;
	}
	if (username != NULL && !identity_rules_username_valid(username)) {
		sn_http_reply_error(
		    req, 422, "invalid_query", "not a user name", "username");
		return;
	}
	identity_store_users(sn_service_db(id->svc),
	    sn_http_principal(req)->juris, username, &pg, on_users_page, req);
}

static void
on_get_doc(sn_err err, const char *text, void *arg)
{
	sn_http_req *req = arg;
	json_t      *doc
	    = err == SN_OK && text != NULL ? doc_json(text, false) : NULL;
	if (err != SN_OK) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the user could not be read; retry", NULL);
		return;
	}
	if (doc == NULL) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such user", "id");
		return;
	}
	if (!doc_within(doc, sn_http_principal(req))) {
		json_decref(doc);
		sn_http_reply_error(req, 403, "outside_jurisdiction",
		    "the user is outside your jurisdiction", "id");
		return;
	}
	sn_http_reply_json(req, 200, doc);
}

void
identity_users_get(sn_http_req *req, void *arg)
{
	identity   *id  = arg;
	const char *uid = sn_http_param(req, "id");
	if (!sn_uuid_valid(uid)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such user", "id");
		return;
	}
	identity_store_user_doc(sn_service_db(id->svc), uid, on_get_doc, req);
}

static void
on_changes_page(sn_err err, const identity_page *page, void *arg)
{
	sn_http_req *req = arg;
	if (err != SN_OK) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the changes could not be read; retry", NULL);
		return;
	}
	if (page->juris == NULL) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such user", "id");
		return;
	}
	if (!sn_auth_within(sn_http_principal(req), page->juris)) {
		sn_http_reply_error(req, 403, "outside_jurisdiction",
		    "the user is outside your jurisdiction", "id");
		return;
	}
	json_t *items  = json_loads(page->items_json, 0, NULL);
	json_t *answer = items != NULL
	    ? sn_page_answer(items, page->more, page->last)
	    : NULL;
	if (answer == NULL)
		abort();
	sn_http_reply_json(req, 200, answer);
}

void
identity_users_changes(sn_http_req *req, void *arg)
{
	identity   *id  = arg;
	const char *uid = sn_http_param(req, "id");
	sn_page     pg;
	sn_problem  why;
	sn_problem_clear(&why);
	if (!sn_uuid_valid(uid)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such user", "id");
		return;
	}
	if (!sn_page_query(req, &pg, &why)) {
		sn_http_problem(req, &why);
		return;
	}
	identity_store_changes(
	    sn_service_db(id->svc), uid, &pg, on_changes_page, req);
}
