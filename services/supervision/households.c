#include "households.h"

#include <stdlib.h>
#include <string.h>

#include "pbjson.h"
#include "sn/config.h"
#include "sn/log.h"
#include "sn/problem.h"

/*
 * How each type of event is linked: lookup, the fields (dotted paths) whose
 * ids may already be known, in order of trust; add, the ids it brings;
 * fresh, the field whose id names a new household when none is known;
 * persons: the members' blind indexes join both lists. Types not listed
 * are about no one household (a payment run, a policy, a user).
 */
static const struct rule {
	const char *type;
	const char *lookup[4];
	const char *add[3];
	const char *fresh;
	bool        persons;
} rules[] = {
	{ "application.submitted", { "application_id" }, { NULL },
	    "application_id", true },
	{ "application.resubmitted", { "application_id" }, { NULL },
	    "application_id", true },
	{ "application.withdrawn", { "application_id" }, { NULL }, NULL,
	    false },
	{ "household.change_reported", { "beneficiary_id", "application_id" },
	    { "change_id" }, NULL, false },
	{ "verification.completed", { "application_id" }, { NULL }, NULL,
	    false },
	{ "investigation.completed", { "review_id", "application_id" },
	    { "task_id" }, NULL, false },
	{ "case.stage_changed", { "case_id", "application_id" }, { NULL },
	    NULL, false },
	{ "case.overdue", { "case_id", "application_id" }, { NULL }, NULL,
	    false },
	{ "application.decided", { "case_id", "application_id" }, { NULL },
	    NULL, false },
	{ "beneficiary.changed", { "beneficiary_id", "application_id" },
	    { "review_id" }, NULL, true },
	{ "review.requested",
	    { "review_id", "beneficiary_id", "application_id" }, { "case_id" },
	    NULL, false },
	{ "emergency.granted", { "grant_id" }, { NULL }, "grant_id", true },
	{ "referral.created", { "referral_id", "grant_id" }, { NULL }, NULL,
	    true },
	{ "reserve.changed", { "grant_id" }, { NULL }, NULL, false },
	{ "payment.scheduled",
	    { "payment_id", "ref.beneficiary_id", "ref.grant_id" }, { NULL },
	    NULL, false },
	{ "payment.settled", { "payment_id" }, { NULL }, NULL, false },
	{ "payment.failed", { "payment_id" }, { NULL }, NULL, false },
	{ "payee.changed", { "beneficiary_id", "application_id", "grant_id" },
	    { NULL }, NULL, false },
	{ "staff.acted", { "subject" }, { NULL }, NULL, false },
	{ "grievance.changed", { "household_id", "subject_id" },
	    { "grievance_id" }, NULL, false },
	{ "alert.raised", { "household_id" }, { "alert_id" }, NULL, false },
	/* services (issue 13): its household_id is the application's id or
	 * an emergency referral's, both keys here already; a referral
	 * routed from an emergency names that referral and its grant. */
	{ "referral.routed",
	    { "referral_id", "application_id", "emergency_referral_id",
	        "grant_id" },
	    { NULL }, NULL, false },
	{ "referral.answered",
	    { "referral_id", "application_id", "household_id" }, { NULL },
	    NULL, false },
	{ "referral.overdue",
	    { "referral_id", "application_id", "household_id" }, { NULL },
	    NULL, false },
	{ "enrolment.changed",
	    { "enrolment_id", "application_id", "household_id" }, { NULL },
	    NULL, false },
};

const char *
supervision_field_text(const ProtobufCMessage *m, const char *path)
{
	char        name[64];
	const char *dot;

	while (m != NULL) {
		const ProtobufCFieldDescriptor *f;
		size_t                          n;

		dot = strchr(path, '.');
		n   = dot != NULL ? (size_t) (dot - path) : strlen(path);
		if (n >= sizeof(name))
			return NULL;
		memcpy(name, path, n);
		name[n] = '\0';
		f       = protobuf_c_message_descriptor_get_field_by_name(
		          m->descriptor, name);
		if (f == NULL || f->label == PROTOBUF_C_LABEL_REPEATED)
			return NULL;
		if (dot == NULL)
			return f->type == PROTOBUF_C_TYPE_STRING
			    ? *(char *const *) ((const char *) m + f->offset)
			    : NULL;
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			return NULL;
		m = *(
		    ProtobufCMessage *const *) ((const char *) m + f->offset);
		path = dot + 1;
	}
	return NULL;
}

static const struct rule *
rule_of(const char *type)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].type, type) == 0)
			return &rules[i];
	return NULL;
}

static void
add_fields(
    sn_pgarray *a, const ProtobufCMessage *m, const char *const *f, size_t n)
{
	for (size_t i = 0; i < n && f[i] != NULL; i++) {
		const char *v = supervision_field_text(m, f[i]);

		if (v != NULL && v[0] != '\0')
			sn_pgarray_add(a, v);
	}
}

/* "{a,b}" or "{\"a\",\"b\"}" (sn_pgarray's literal of blind indexes,
 * hex: nothing to unescape) as person keys: person:a, person:b. */
static void
add_persons(sn_pgarray *a, const char *literal)
{
	const char *p = literal + 1;

	while (*p != '\0' && *p != '}') {
		const char *end = p + strcspn(p, ",}");
		const char *b = p, *e = end;
		char        key[160];

		if (e > b && *b == '"')
			b++;
		if (e > b && e[-1] == '"')
			e--;
		if (e > b && (size_t) (e - b) < sizeof(key) - 8) {
			snprintf(
			    key, sizeof(key), "person:%.*s", (int) (e - b), b);
			sn_pgarray_add(a, key);
		}
		p = *end == ',' ? end + 1 : end;
	}
}

/* The event $1 alone, by event_id's unique key, for the two statements
 * below to join: joined in the statement instead, a generic plan made
 * while few events had a household scanned the whole partial index
 * events_household, thousands of pages a call. */
#define EVENT_BY_ID                                                           \
	"WITH e AS MATERIALIZED (SELECT household_id, data, pos FROM events " \
	"WHERE event_id = $1::uuid) "

/* The household's latest facts, from an event that carries its
 * registration; only once the event is linked. */
static const char SQL_PLACE[] = EVENT_BY_ID
    "INSERT INTO households AS h (household_id, district_code, "
    "township_code, village_code, registration, address, members, "
    "updated_pos) "
    "SELECT e.household_id, coalesce(e.data#>>'{household,district_code}',"
    " ''), coalesce(e.data#>>'{household,township_code}', ''), "
    "coalesce(e.data#>>'{household,village_code}', ''), "
    "coalesce(e.data#>>'{household,registration}', ''), "
    "coalesce(e.data#>>'{household,address}', ''), "
    "CASE WHEN jsonb_typeof(e.data->'members') = 'array' "
    "THEN jsonb_array_length(e.data->'members') ELSE 0 END, e.pos "
    "FROM e WHERE e.household_id IS NOT NULL "
    "AND jsonb_typeof(e.data->'household') = 'object' "
    "AND e.data#>>'{household,township_code}' <> '' "
    "ON CONFLICT (household_id) DO UPDATE SET "
    "district_code = EXCLUDED.district_code, "
    "township_code = EXCLUDED.township_code, "
    "village_code = EXCLUDED.village_code, "
    "registration = EXCLUDED.registration, address = EXCLUDED.address, "
    "members = CASE WHEN EXCLUDED.members > 0 THEN EXCLUDED.members "
    "ELSE h.members END, updated_pos = EXCLUDED.updated_pos";

static const char SQL_REGISTER[] = EVENT_BY_ID
    "UPDATE households h SET status = e.data->>'status', "
    "category = e.data->>'category', tier = e.data->>'tier', "
    "monthly_amount_fen = (e.data->>'monthly_amount_fen')::bigint, "
    "members = CASE WHEN (e.data->>'members')::int > 0 "
    "THEN (e.data->>'members')::int ELSE h.members END, "
    "updated_pos = e.pos FROM e WHERE h.household_id = e.household_id";

void
supervision_households_keys(const supervision_event *e, sn_pgarray *lookup,
    sn_pgarray *add, const char **fresh)
{
	const struct rule *r = e->msg != NULL ? rule_of(e->ev->type) : NULL;

	sn_pgarray_init(lookup);
	sn_pgarray_init(add);
	*fresh = "";
	if (r == NULL || strcmp(e->ev->source, "identity") == 0)
		return;
	add_fields(lookup, e->msg, r->lookup, 4);
	add_fields(add, e->msg, r->add, 3);
	if (r->persons) {
		add_persons(lookup, e->persons);
		add_persons(add, e->persons);
	}
	if (r->fresh != NULL) {
		const char *f = supervision_field_text(e->msg, r->fresh);

		if (f != NULL)
			*fresh = f;
	}
}

sn_err
supervision_households_on_event(
    supervision *s, sn_tx *tx, const supervision_event *e)
{
	const char *v[1] = { e->ev->id };
	sn_err      err  = SN_OK;

	(void) s;
	/* Linked as it was written (events.c, supervision_households_keys);
	 * the facts only from a type with a registration to take them from
	 * (each has a rule above), and only once linked (the statements
	 * join the event's household). */
	if (e->msg == NULL)
		return SN_OK;
	if (protobuf_c_message_descriptor_get_field_by_name(
	        e->msg->descriptor, "household")
	    != NULL)
		err = sn_tx_query(tx, SQL_PLACE, 1, v, NULL, NULL);
	if (err == SN_OK && strcmp(e->ev->type, "beneficiary.changed") == 0)
		err = sn_tx_query(tx, SQL_REGISTER, 1, v, NULL, NULL);
	return err;
}

/* ---- events that never find their household ------------------------ */

/* An event whose ids stay unknown (a staff action on a payment run, a
 * user) would wait for ever: after SN_SUPERVISION_PENDING_DAYS it stops
 * waiting (it stays in the log, linked to no household). */
static const char SQL_PENDING_PURGE[]
    = "DELETE FROM household_pending "
      "WHERE created_at < now() - make_interval(days => $1::int)";

static char pending_days[16];

static void
purged(sn_err err, PGresult *res, void *arg)
{
	(void) res;
	(void) arg;
	if (err != SN_OK)
		sn_log(SN_LOG_WARN,
		    "supervision: purging stale household_pending failed",
		    NULL);
}

static void
purge_tick(void *arg)
{
	supervision *s    = arg;
	const char  *v[1] = { pending_days };

	sn_db_query(s->db, SQL_PENDING_PURGE, 1, v, purged, NULL);
}

sn_err
supervision_households_setup(supervision *s)
{
	snprintf(pending_days, sizeof(pending_days), "%lld",
	    (long long) sn_config_int(
	        "SN_SUPERVISION_PENDING_DAYS", 30, 1, 3650));
	return sn_service_every(s->svc, 60000, 3600000, purge_tick, s);
}

/* ---- GET /households/{id}/chain -------------------------------------- */

/* The masked text of value t sealed under kind's column (pbjson.h). */
static json_t *
masked(const sn_seal *seal, supervision_pbjson_class kind, const char *t)
{
	bool  person = kind == SUPERVISION_PBJSON_PERSON;
	char *open = NULL, m[SN_LOG_MASK_MAX] = "(sealed)";

	if (t[0] == '\0')
		return json_string("");
	if (sn_seal_open_text(seal,
	        person ? SUPERVISION_PERSON_COLUMN
	               : SUPERVISION_ACCOUNT_COLUMN,
	        t, &open)
	    == SN_OK) {
		if (person)
			sn_log_mask_idnum(open, m);
		else
			sn_log_mask_account(open, m);
	}
	free(open);
	return json_string(m);
}

/* Sealed identity and account numbers become masked text: the fields
 * pbjson.h seals, found by the same rule (supervision_pbjson_kind). */
static void
mask(const sn_seal *seal, json_t *j)
{
	const char *k;
	json_t     *v, *e;
	size_t      i;

	if (json_is_array(j)) {
		json_array_foreach(j, i, e) mask(seal, e);
		return;
	}
	json_object_foreach(j, k, v)
	{
		supervision_pbjson_class kind = supervision_pbjson_kind(k);

		if (kind != SUPERVISION_PBJSON_PERSON
		    && kind != SUPERVISION_PBJSON_ACCOUNT)
			mask(seal, v);
		else if (json_is_string(v))
			json_object_set_new(
			    j, k, masked(seal, kind, json_string_value(v)));
		else if (json_is_array(v))
			json_array_foreach(v, i, e) if (json_is_string(e))
			    json_array_set_new(v, i,
			        masked(seal, kind, json_string_value(e)));
	}
}

typedef struct chain_row {
	int64_t     pos;
	const char *id, *source, *type, *subject, *time, *actor, *data, *hh;
} chain_row;

static const sn_col chain_cols[] = {
	SN_COL(chain_row, pos, SN_COL_I64),
	SN_COL(chain_row, id, SN_COL_TEXT),
	SN_COL(chain_row, source, SN_COL_TEXT),
	SN_COL(chain_row, type, SN_COL_TEXT),
	SN_COL(chain_row, subject, SN_COL_TEXT),
	SN_COL(chain_row, time, SN_COL_TEXT),
	SN_COL(chain_row, actor, SN_COL_TEXT),
	SN_COL(chain_row, data, SN_COL_TEXT),
	SN_COL(chain_row, hh, SN_COL_TEXT),
};

/* A household has a few hundred events in a decade; the answer is
 * capped (and says so with "truncated"). */
#define CHAIN_MAX "10000"

/* The household known by $1 (an id of it, or its own id), and its
 * events after the cursor; no rows when unknown. */
static const char SQL_CHAIN[]
    = "WITH hh AS (SELECT coalesce((SELECT household_id FROM "
      "household_keys WHERE key = $1), (SELECT household_id FROM "
      "household_keys WHERE household_id = $1 LIMIT 1)) AS id) "
      "SELECT e.pos, e.event_id::text AS id, e.source, e.type, e.subject, "
      "to_char(e.time AT TIME ZONE 'UTC', "
      "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS time, e.actor, "
      "e.data::text AS data, hh.id AS hh FROM hh JOIN events e ON "
      "e.household_id = hh.id "
      "WHERE e.pos > $2::bigint ORDER BY e.pos LIMIT $3::int";

static void
chain_done(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	sn_rows      rows;
	json_t      *items = json_array();
	const char  *hh    = NULL;
	int          n;

	if (err != SN_OK || res == NULL
	    || sn_rows_open(&rows, res, chain_cols, SN_NCOLS(chain_cols))
	        != SN_OK) {
		json_decref(items);
		sn_http_reply_error(req, 503, "unavailable",
		    "the database is unavailable; retry", NULL);
		return;
	}
	n = sn_rows_count(&rows);
	for (int i = 0; i < n; i++) {
		chain_row r;
		json_t   *data;

		if (sn_rows_read(&rows, i, &r) != SN_OK)
			break;
		hh   = r.hh;
		data = json_loads(r.data, 0, NULL);
		mask(sn_seal_default(), data);
		json_array_append_new(items,
		    json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o*}",
		        "pos", (json_int_t) r.pos, "id", r.id, "source",
		        r.source, "type", r.type, "subject", r.subject, "time",
		        r.time, "actor", r.actor, "data", data));
	}
	if (hh == NULL) {
		sn_rows_close(&rows);
		json_decref(items);
		sn_http_reply_error(req, 404, "not_found",
		    "no household is known by this id", "id");
		return;
	}
	json_t *body = json_pack("{s:s, s:o, s:b}", "household_id", hh,
	    "events", items, "truncated", n >= atoi(CHAIN_MAX));
	sn_rows_close(&rows);
	sn_http_reply_json(req, 200, body);
}

void
supervision_households_chain(sn_http_req *req, void *arg)
{
	supervision *s  = arg;
	const char  *id = sn_http_param(req, "id");
	const char  *v[3];

	if (strlen(id) > 64) {
		sn_http_reply_error(req, 422, "invalid_id",
		    "an id is at most 64 characters", "id");
		return;
	}
	v[0] = id;
	v[1] = "0";
	v[2] = CHAIN_MAX;
	sn_db_query(s->db, SQL_CHAIN, 3, v, chain_done, req);
}
