/*
 * referrals.c - referrals and the departments' answers; see referrals.h.
 *
 * Every change is one statement that writes the referral and returns,
 * joined with its household, what the event and the answer need; the
 * event is appended from that row in the same transaction, so what is
 * published and answered is what was committed.
 */
#include "referrals.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "households.h"
#include "sn/assist.h"
#include "sn/clock.h"
#include "sn/config.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/page.h"
#include "sn/services/v1/services.pb-c.h"
#include "sn/uuid.h"

#define NOTE_MAX 2000
#define SCAN_BATCH 500
#define NEEDS_OUT_MAX 32

/* protobuf-c's strings are char * even where it only reads them. */
static char *
str(const char *s)
{
	return (char *) (s != NULL ? s : "");
}

static int
tier_of(const char *name)
{
	static const char *const tiers[] = { "core", "edge", "universal" };
	for (int i = 0; name != NULL && i < 3; i++)
		if (strcmp(name, tiers[i]) == 0)
			return i + 1;
	return 0;
}

static void
today_text(char buf[SN_DATE_STRLEN])
{
	sn_date_format(sn_clock_today(), buf);
}

/* ---- referral.routed ---------------------------------------------------- */

typedef struct routed_row {
	const char *id, *household_id;
	const char *application_id, *emergency_referral_id, *grant_id;
	bool has_application_id, has_emergency_referral_id, has_grant_id;
	const char *source, *type, *department, *kind, *needs;
	int32_t     member;
	const char *deadline_date, *district_code, *township_code;
	const char *village_code, *category, *tier, *routed_by, *routed_at;
	const char *note, *json;
} routed_row;

static const sn_col routed_cols[] = {
	SN_COL(routed_row, id, SN_COL_TEXT),
	SN_COL(routed_row, household_id, SN_COL_TEXT),
	SN_COL_OPT(
	    routed_row, application_id, SN_COL_TEXT, has_application_id),
	SN_COL_OPT(routed_row, emergency_referral_id, SN_COL_TEXT,
	    has_emergency_referral_id),
	SN_COL_OPT(routed_row, grant_id, SN_COL_TEXT, has_grant_id),
	SN_COL(routed_row, source, SN_COL_TEXT),
	SN_COL(routed_row, type, SN_COL_TEXT),
	SN_COL(routed_row, department, SN_COL_TEXT),
	SN_COL(routed_row, kind, SN_COL_TEXT),
	SN_COL(routed_row, needs, SN_COL_TEXT),
	SN_COL(routed_row, member, SN_COL_I32),
	SN_COL(routed_row, deadline_date, SN_COL_TEXT),
	SN_COL(routed_row, district_code, SN_COL_TEXT),
	SN_COL(routed_row, township_code, SN_COL_TEXT),
	SN_COL(routed_row, village_code, SN_COL_TEXT),
	SN_COL(routed_row, category, SN_COL_TEXT),
	SN_COL(routed_row, tier, SN_COL_TEXT),
	SN_COL(routed_row, routed_by, SN_COL_TEXT),
	SN_COL(routed_row, routed_at, SN_COL_TEXT),
	SN_COL(routed_row, note, SN_COL_TEXT),
	SN_COL(routed_row, json, SN_COL_TEXT),
};

/* The columns of a referral just written (r, a row of referral's shape)
 * and its household h; $D is the district day. */
#define ROUTED_COLS(D)                                                        \
	"r.id::text AS id, r.household_id::text AS household_id,"             \
	" h.application_id::text AS application_id,"                          \
	" h.emergency_referral_id::text AS emergency_referral_id,"            \
	" h.grant_id::text AS grant_id, r.source, r.type, r.department,"      \
	" r.kind, array_to_string(r.needs, ',') AS needs, r.member,"          \
	" r.deadline_date::text AS deadline_date, h.district_code,"           \
	" h.township_code, h.village_code, r.category, r.tier, r.routed_by,"  \
	" ts_json(r.routed_at) AS routed_at, r.note,"                         \
	" referral_json(ROW(r.*)::referral, h, " D "::date)::text AS json"

static int
source_of(const char *s)
{
	static const char *const sources[]
	    = { "decision", "review", "emergency", "clerk" };
	for (int i = 0; i < 4; i++)
		if (strcmp(s, sources[i]) == 0)
			return i + 1;
	return 0;
}

/* Splits "a,b,c" (codes: no commas inside) into out, in buf. */
static size_t
split(const char *list, char *buf, size_t cap, char **out, size_t max)
{
	size_t n = 0;
	snprintf(buf, cap, "%s", list);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save);
	     t != NULL && n < max; t = strtok_r(NULL, ",", &save))
		out[n++] = t;
	return n;
}

static sn_err
publish_routed(services *s, sn_tx *tx, const routed_row *r)
{
	Sn__Services__V1__ReferralRouted m
	    = SN__SERVICES__V1__REFERRAL_ROUTED__INIT;
	char  buf[1024];
	char *needs[NEEDS_OUT_MAX];
	m.referral_id    = str(r->id);
	m.household_id   = str(r->household_id);
	m.application_id = str(r->has_application_id ? r->application_id : "");
	m.emergency_referral_id = str(
	    r->has_emergency_referral_id ? r->emergency_referral_id : "");
	m.grant_id = str(r->has_grant_id ? r->grant_id : "");
	m.source   = (Sn__Services__V1__ReferralSource) source_of(r->source);
	m.type = (Sn__Services__V1__AssistanceType) services_rules_type_parse(
	    r->type);
	m.department = str(r->department);
	m.kind       = str(r->kind);
	m.member     = r->member;
	m.n_needs    = split(r->needs, buf, sizeof(buf), needs, NEEDS_OUT_MAX);
	m.needs      = needs;
	m.deadline_date = str(r->deadline_date);
	m.district_code = str(r->district_code);
	m.township_code = str(r->township_code);
	m.village_code  = str(r->village_code);
	m.category
	    = (Sn__Assist__V1__Category) sn_assist_category_parse(r->category);
	m.tier      = (Sn__Assist__V1__Tier) tier_of(r->tier);
	m.routed_by = str(r->routed_by);
	m.routed_at = str(r->routed_at);
	m.note      = str(r->note);
	sn_counter_add(s->referrals->routed, 1);
	return sn_bus_append_msg(
	    s->bus, tx, "referral.routed", r->id, r->routed_by, &m.base);
}

/* ---- routing ------------------------------------------------------------ */

/* The unique index referral_open (schema 004): one referral of a kind
 * routed or accepted per household member, duplicates apart. */
#define REFERRAL_OPEN                                                         \
	"(household_id, member, kind) WHERE status IN ('routed', 'accepted')" \
	" AND duplicate_of IS NULL"

/* Its generic plan (SN_SQL_GENERIC): PostgreSQL's default planned it anew
 * at every call (the arrays' lengths unknown to the generic estimate),
 * 1.7 ms a plan with referral_json inlined against 0.5 ms to run it
 * (3,000 households, pg_stat_statements); the generic plan finds the same
 * rows by the same keys. */
static const char route_sql[] = SN_SQL_GENERIC
    "WITH m AS (INSERT INTO routing (household_id, trigger, referrals)"
    " VALUES ($1::uuid, $2, cardinality($3::text[]))"
    " ON CONFLICT DO NOTHING RETURNING household_id),"
    " ins AS (INSERT INTO referral (household_id, member, department,"
    " kind, type, source, trigger, needs, category, tier, note,"
    " routed_by, routed_on, deadline_date)"
    " SELECT m.household_id, x.member, k.department, k.code, k.type,"
    " $7, $2, CASE WHEN x.needs = '' THEN '{}'::text[]"
    " ELSE string_to_array(x.needs, ',') END, $10, $11, $12, $8,"
    " $9::date, x.deadline FROM m CROSS JOIN unnest($3::text[],"
    " $4::int[], $5::text[], $6::date[]) WITH ORDINALITY"
    " AS x(kind, member, needs, deadline, ord)"
    " JOIN kind k ON k.code = x.kind ORDER BY x.ord"
    " ON CONFLICT " REFERRAL_OPEN " DO NOTHING RETURNING *)"
    " SELECT " ROUTED_COLS("$9") " FROM ins r"
                                 " JOIN household h ON h.id = "
                                 "r.household_id ORDER BY r.no";

static void
routed(sn_tx *tx, PGresult *res, void *arg)
{
	services *s = arg;
	sn_rows   rows;
	sn_err    err
	    = sn_rows_open(&rows, res, routed_cols, SN_NCOLS(routed_cols));
	for (int i = 0; err == SN_OK && i < sn_rows_count(&rows); i++) {
		routed_row r;
		if ((err = sn_rows_read(&rows, i, &r)) == SN_OK)
			err = publish_routed(s, tx, &r);
	}
	sn_rows_close(&rows);
	if (err != SN_OK && !sn_tx_failed(tx))
		sn_tx_rollback(tx, err);
}

/* The routes' columns as array literals, for unnest. */
typedef struct route_arrays {
	sn_pgarray kinds, members, needs, deadlines;
} route_arrays;

static void
arrays_fill(route_arrays *a, const services_routing *r)
{
	char dl[SN_DATE_STRLEN];
	sn_pgarray_init(&a->kinds);
	sn_pgarray_init(&a->members);
	sn_pgarray_init(&a->needs);
	sn_pgarray_init(&a->deadlines);
	for (size_t i = 0; i < r->nroutes; i++) {
		const services_route *rt = &r->routes[i];
		char needs[SERVICES_ROUTE_NEEDS_MAX * SERVICES_CODE_LEN] = "";
		size_t len                                               = 0;
		for (size_t j = 0; j < rt->nneeds && len < sizeof(needs); j++)
			len += (size_t) snprintf(needs + len,
			    sizeof(needs) - len, "%s%s", j > 0 ? "," : "",
			    rt->needs[j]);
		sn_pgarray_add(&a->kinds, rt->kind->code);
		sn_pgarray_add_i64(&a->members, rt->member);
		sn_pgarray_add(&a->needs, needs);
		sn_pgarray_add(&a->deadlines,
		    sn_date_format(
		        sn_clock_deadline(r->today, rt->kind->deadline_days),
		        dl));
	}
}

static void
arrays_fini(route_arrays *a)
{
	sn_pgarray_fini(&a->kinds);
	sn_pgarray_fini(&a->members);
	sn_pgarray_fini(&a->needs);
	sn_pgarray_fini(&a->deadlines);
}

sn_err
services_referrals_route(services *s, sn_tx *tx, const services_routing *r)
{
	route_arrays a;
	char         today[SN_DATE_STRLEN];
	sn_err       err = SN_ENOMEM;
	arrays_fill(&a, r);
	sn_date_format(r->today, today);
	const char *vals[]
	    = { r->household_id, r->trigger, sn_pgarray_text(&a.kinds),
		      sn_pgarray_text(&a.members), sn_pgarray_text(&a.needs),
		      sn_pgarray_text(&a.deadlines), r->source, r->routed_by,
		      today, r->category, r->tier, r->note };
	if (vals[2] != NULL && vals[3] != NULL && vals[4] != NULL
	    && vals[5] != NULL)
		err = sn_tx_query(tx, route_sql, 12, vals, routed, s);
	arrays_fini(&a);
	return err;
}

/* ---- POST /department-referrals ----------------------------------------- */

typedef struct post_ctx {
	services                *s;
	sn_http_req             *req;
	const services_kind_def *kind;
	char                     household[SN_UUID_STRLEN];
	int64_t                  member;
	const char              *note;
	sn_principal             who;
	char today[SN_DATE_STRLEN], deadline[SN_DATE_STRLEN];
} post_ctx;

static const char post_sql[]
    = "WITH ins AS (INSERT INTO referral (household_id, member, department,"
      " kind, type, source, needs, category, tier, note, routed_by,"
      " routed_on, deadline_date)"
      " SELECT h.id, $2::int, k.department, k.code, k.type, 'clerk',"
      " ARRAY(SELECT DISTINCT n.need FROM need n WHERE n.household_id ="
      " h.id AND n.member IN (0, $2::int) AND k.route IS NOT NULL"
      " AND (k.route->'needs') ? n.need ORDER BY 1), h.category, h.tier,"
      " $3, $4, $5::date, $6::date FROM household h, kind k"
      " WHERE h.id = $1::uuid AND k.code = $7 AND NOT k.retired"
      " ON CONFLICT " REFERRAL_OPEN " DO NOTHING RETURNING *)"
      " SELECT " ROUTED_COLS("$5") " FROM ins r"
                                   " JOIN household h ON h.id = "
                                   "r.household_id";

static void
post_done(sn_tx *tx, PGresult *res, void *arg)
{
	post_ctx  *c = arg;
	routed_row r;
	bool       found = false;
	if (sn_rows_opt(res, routed_cols, SN_NCOLS(routed_cols), &r, &found)
	    != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the referral could not be made", NULL);
		return;
	}
	if (!found) {
		sn_http_tx_fail(c->req, tx, 409, "referral_open",
		    "a referral of this kind is open or accepted for this "
		    "member already",
		    "kind");
		return;
	}
	json_t *j = json_loads(r.json, 0, NULL);
	if (j == NULL || publish_routed(c->s, tx, &r) != SN_OK) {
		json_decref(j);
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the referral could not be made", NULL);
		return;
	}
	sn_http_tx_reply(c->req, tx, 201, j);
}

static void
post_household(sn_tx *tx, PGresult *res, void *arg)
{
	post_ctx              *c = arg;
	services_household_ref h;
	bool                   found;
	char                   member[24];
	if (services_households_found(res, &h, &found) != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the household could not be read", NULL);
		return;
	}
	if (!found) {
		sn_http_tx_fail(c->req, tx, 404, "household_not_found",
		    "no household of this id", "household_id");
		return;
	}
	if (!sn_auth_within(&c->who, h.place)) {
		sn_http_tx_fail(c->req, tx, 403, "outside_jurisdiction",
		    "the household is outside your jurisdiction",
		    "household_id");
		return;
	}
	if (c->member > h.members) {
		sn_http_tx_fail(c->req, tx, 422, "unknown_member",
		    "the household has no member at this place", "member");
		return;
	}
	snprintf(member, sizeof(member), "%" PRId64, c->member);
	const char *vals[] = { h.id, member, c->note, c->who.user, c->today,
		c->deadline, c->kind->code };
	sn_tx_query(tx, post_sql, 7, vals, post_done, c);
}

static void
post_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	post_ctx   *c      = arg;
	const char *vals[] = { c->household };
	(void) req;
	sn_tx_query(
	    tx, services_households_find_sql, 1, vals, post_household, c);
}

/* The kind a clerk's body names: kind (of department and of type, if
 * named), or department and type, or type alone (its default). */
static bool
post_kind(const services_registry *g, const char *dep, const char *kind,
    const char *type, const services_kind_def **out, sn_problem *p)
{
	services_type t = services_rules_type_parse(type);
	if (type != NULL && t == SERVICES_TYPE_NONE)
		return sn_problem_set(p, 422, "invalid_type_name", "type",
		    "medical, housing, education, employment or other");
	if (dep != NULL && !services_registry_has_department(g, dep))
		return sn_problem_set(p, 422, "unknown_department",
		    "department", "no department %s in the registry", dep);
	if (kind != NULL) {
		*out = services_registry_kind(g, kind);
		if (*out == NULL)
			return sn_problem_set(p, 422, "unknown_kind", "kind",
			    "no kind %s in the registry", kind);
		if (dep != NULL && strcmp((*out)->department, dep) != 0)
			return sn_problem_set(p, 422, "kind_not_of_department",
			    "kind", "%s is %s's", kind, (*out)->department);
		if (type != NULL && (*out)->type != t)
			return sn_problem_set(p, 422, "kind_not_of_type",
			    "type", "%s is of type %s", kind,
			    services_rules_type_name((*out)->type));
		return true;
	}
	if (t == SERVICES_TYPE_NONE)
		return sn_problem_set(
		    p, 422, "missing_field", "kind", "name a kind, or a type");
	*out = services_registry_kind_for(g, dep, t);
	if (*out == NULL || (dep != NULL && strcmp((*out)->department, dep)))
		return sn_problem_set(p, 422, "unknown_kind", "kind",
		    "the department grants no kind of that type");
	return true;
}

static bool
post_read(post_ctx *c, json_t *b, sn_problem *p)
{
	static const char *const keys[] = { "household_id", "department",
		"kind", "type", "member", "note", NULL };
	const char *hid = NULL, *dep = NULL, *kind = NULL, *type = NULL;
	c->note   = "";
	c->member = 0;
	if (!sn_in_only(b, keys, "", p)
	    || !sn_in_uuid(b, "household_id", "", SN_IN_REQUIRED, &hid, p)
	    || !sn_in_str(b, "department", "", SN_IN_NONEMPTY,
	        SERVICES_CODE_LEN - 1, &dep, p)
	    || !sn_in_str(
	        b, "kind", "", SN_IN_NONEMPTY, SERVICES_CODE_LEN - 1, &kind, p)
	    || !sn_in_str(b, "type", "", SN_IN_NONEMPTY, 16, &type, p)
	    || !sn_in_i64(
	        b, "member", "", 0, 0, SERVICES_MEMBERS_MAX, &c->member, p)
	    || !sn_in_str(
	        b, "note", "", SN_IN_MULTILINE, NOTE_MAX, &c->note, p)
	    || !post_kind(
	        c->s->referrals->registry, dep, kind, type, &c->kind, p))
		return false;
	snprintf(c->household, sizeof(c->household), "%s", hid);
	return true;
}

void
services_referrals_post(sn_http_req *req, void *arg)
{
	services  *s = arg;
	post_ctx   c = { .s = s, .req = req };
	sn_problem p;
	sn_problem_clear(&p);
	if (!post_read(&c, sn_http_json(req), &p)) {
		sn_http_problem(req, &p);
		return;
	}
	if (!s->referrals->stored) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the registry is not in the tables yet", NULL);
		return;
	}
	c.who = *sn_http_principal(req);
	today_text(c.today);
	sn_date_format(
	    sn_clock_deadline(sn_clock_today(), c.kind->deadline_days),
	    c.deadline);
	services_tx_copy(req, post_begin, &c, sizeof(c));
}

/* ---- POST /department-referrals/{id}/answer ---------------------------- */

typedef struct answer_ctx {
	services       *s;
	sn_http_req    *req;
	char            id[SN_UUID_STRLEN];
	services_answer a;
	sn_principal    who;
	char            today[SN_DATE_STRLEN];
} answer_ctx;

typedef struct lock_row {
	const char *department, *status, *place;
	sn_date     deadline_date;
} lock_row;

static const sn_col lock_cols[] = {
	SN_COL(lock_row, department, SN_COL_TEXT),
	SN_COL(lock_row, status, SN_COL_TEXT),
	SN_COL(lock_row, deadline_date, SN_COL_DATE),
	SN_COL(lock_row, place, SN_COL_TEXT),
};

typedef struct answered_row {
	const char *id, *household_id, *application_id;
	bool        has_application_id;
	const char *department, *kind, *type, *status, *granted;
	bool        has_granted;
	int64_t     amount_fen;
	bool        has_amount_fen;
	const char *amount_per, *from_date, *reason_code, *reason;
	bool        has_amount_per, has_from_date, has_reason_code, has_reason;
	const char *answered_by, *answered_at, *township_code, *json;
	bool        late;
} answered_row;

static const sn_col answered_cols[] = {
	SN_COL(answered_row, id, SN_COL_TEXT),
	SN_COL(answered_row, household_id, SN_COL_TEXT),
	SN_COL_OPT(
	    answered_row, application_id, SN_COL_TEXT, has_application_id),
	SN_COL(answered_row, department, SN_COL_TEXT),
	SN_COL(answered_row, kind, SN_COL_TEXT),
	SN_COL(answered_row, type, SN_COL_TEXT),
	SN_COL(answered_row, status, SN_COL_TEXT),
	SN_COL_OPT(answered_row, granted, SN_COL_TEXT, has_granted),
	SN_COL_OPT(answered_row, amount_fen, SN_COL_I64, has_amount_fen),
	SN_COL_OPT(answered_row, amount_per, SN_COL_TEXT, has_amount_per),
	SN_COL_OPT(answered_row, from_date, SN_COL_TEXT, has_from_date),
	SN_COL_OPT(answered_row, reason_code, SN_COL_TEXT, has_reason_code),
	SN_COL_OPT(answered_row, reason, SN_COL_TEXT, has_reason),
	SN_COL(answered_row, answered_by, SN_COL_TEXT),
	SN_COL(answered_row, answered_at, SN_COL_TEXT),
	SN_COL(answered_row, township_code, SN_COL_TEXT),
	SN_COL(answered_row, json, SN_COL_TEXT),
	SN_COL(answered_row, late, SN_COL_BOOL),
};

static const char lock_sql[] = "SELECT r.department, r.status,"
                               " r.deadline_date::text AS deadline_date,"
                               " household_place(h) AS place FROM referral r"
                               " JOIN household h ON h.id = r.household_id"
                               " WHERE r.id = $1::uuid FOR UPDATE OF r";

static const char answer_sql[]
    = "WITH u AS (UPDATE referral SET status = $2, granted = $3,"
      " amount_fen = $4::bigint, amount_per = $5, from_date = $6::date,"
      " reason_code = $7, reason = $8, answer_note = $9, answered_by = $10,"
      " answered_at = now(), answered_on = $11::date, late = $12::bool"
      " WHERE id = $1::uuid AND status = 'routed' RETURNING *)"
      " SELECT r.id::text AS id, r.household_id::text AS household_id,"
      " h.application_id::text AS application_id, r.department, r.kind,"
      " r.type, r.status, r.granted, r.amount_fen, r.amount_per,"
      " r.from_date::text AS from_date, r.reason_code, r.reason,"
      " r.answered_by, ts_json(r.answered_at) AS answered_at,"
      " h.township_code, r.late,"
      " referral_json(ROW(r.*)::referral, h, $11::date)::text AS json"
      " FROM u r JOIN household h ON h.id = r.household_id";

static sn_err
publish_answered(services *s, sn_tx *tx, const answered_row *r)
{
	Sn__Services__V1__ReferralAnswered m
	    = SN__SERVICES__V1__REFERRAL_ANSWERED__INIT;
	bool accepted    = strcmp(r->status, "accepted") == 0;
	m.referral_id    = str(r->id);
	m.household_id   = str(r->household_id);
	m.application_id = str(r->has_application_id ? r->application_id : "");
	m.department     = str(r->department);
	m.kind           = str(r->kind);
	m.type = (Sn__Services__V1__AssistanceType) services_rules_type_parse(
	    r->type);
	m.outcome       = accepted
	          ? SN__SERVICES__V1__REFERRAL_OUTCOME__REFERRAL_ACCEPTED
	          : SN__SERVICES__V1__REFERRAL_OUTCOME__REFERRAL_DECLINED;
	m.grant         = str(r->has_granted ? r->granted : "");
	m.amount_fen    = r->has_amount_fen ? r->amount_fen : 0;
	m.amount_per    = str(r->has_amount_per ? r->amount_per : "");
	m.from_date     = str(r->has_from_date ? r->from_date : "");
	m.reason_code   = str(r->has_reason_code ? r->reason_code : "");
	m.reason        = str(r->has_reason ? r->reason : "");
	m.answered_by   = str(r->answered_by);
	m.answered_at   = str(r->answered_at);
	m.late          = r->late;
	m.township_code = str(r->township_code);
	sn_counter_add(s->referrals->answered, 1);
	return sn_bus_append_msg(
	    s->bus, tx, "referral.answered", r->id, r->answered_by, &m.base);
}

static void
answer_done(sn_tx *tx, PGresult *res, void *arg)
{
	answer_ctx  *c = arg;
	answered_row r;
	json_t      *j = NULL;
	if (sn_rows_one(res, answered_cols, SN_NCOLS(answered_cols), &r)
	        != SN_OK
	    || (j = json_loads(r.json, 0, NULL)) == NULL
	    || publish_answered(c->s, tx, &r) != SN_OK) {
		json_decref(j);
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the answer could not be recorded", NULL);
		return;
	}
	sn_http_tx_reply(c->req, tx, 200, j);
}

static void
answer_locked(sn_tx *tx, PGresult *res, void *arg)
{
	answer_ctx *c = arg;
	lock_row    l;
	bool        found = false;
	sn_problem  p;
	char        amount[24], from[SN_DATE_STRLEN];
	sn_problem_clear(&p);
	if (sn_rows_opt(res, lock_cols, SN_NCOLS(lock_cols), &l, &found)
	    != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the referral could not be read", NULL);
		return;
	}
	if (!found || !sn_auth_within(&c->who, l.place)) {
		sn_http_tx_fail(c->req, tx, 404, "not_found",
		    "no such referral in your view", "id");
		return;
	}
	if (!services_rules_may_answer(
	        c->who.unit, l.department, l.status, &p)) {
		sn_http_tx_problem(c->req, tx, &p);
		return;
	}
	bool ok   = c->a.outcome == SERVICES_OUTCOME_ACCEPTED;
	bool late = services_rules_late(sn_clock_today(), l.deadline_date);
	snprintf(amount, sizeof(amount), "%" PRId64, c->a.amount_fen);
	const char *vals[] = { c->id, ok ? "accepted" : "declined",
		ok ? c->a.grant : NULL, ok ? amount : NULL,
		ok ? c->a.amount_per : NULL,
		ok ? sn_date_format(c->a.from_date, from) : NULL,
		ok ? NULL : c->a.reason_code, ok ? NULL : c->a.reason,
		c->a.note, c->who.user, c->today, late ? "true" : "false" };
	sn_tx_query(tx, answer_sql, 12, vals, answer_done, c);
}

static void
answer_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	answer_ctx *c      = arg;
	const char *vals[] = { c->id };
	(void) req;
	sn_tx_query(tx, lock_sql, 1, vals, answer_locked, c);
}

void
services_referrals_answer(sn_http_req *req, void *arg)
{
	const char *id = sn_http_param(req, "id");
	answer_ctx  c  = { .s = arg, .req = req };
	sn_problem  p;
	sn_problem_clear(&p);
	if (id == NULL || !sn_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such referral", "id");
		return;
	}
	if (!services_rules_answer_read(sn_http_json(req), &c.a, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	snprintf(c.id, sizeof(c.id), "%s", id);
	c.who = *sn_http_principal(req);
	today_text(c.today);
	services_tx_copy(req, answer_begin, &c, sizeof(c));
}

/* ---- reading ------------------------------------------------------------ */

typedef struct item_row {
	int64_t     no;
	const char *json;
} item_row;

static const sn_col item_cols[] = {
	SN_COL(item_row, no, SN_COL_I64),
	SN_COL(item_row, json, SN_COL_TEXT),
};

/* Visible: the household within $J, the referral the department's $U
 * ('' for staff). */
#define VISIBLE(J, U)                                                         \
	"starts_with(household_place(h), " J ") AND (" U " = '' OR"           \
	" r.department = " U ")"

const char services_referrals_household_sql[]
    = "SELECT coalesce(json_agg(referral_json(r, h, $2::date)"
      " ORDER BY r.no), '[]'::json)::text AS json FROM referral r"
      " JOIN household h ON h.id = r.household_id"
      " WHERE r.household_id = $1::uuid AND ($3 = '' OR r.department = $3)";

static const char list_sql[]
    = "SELECT r.no, referral_json(r, h, $3::date)::text AS json"
      " FROM referral r JOIN household h ON h.id = r.household_id"
      " WHERE r.no > $1::bigint AND " VISIBLE("$4",
          "$5") " AND ($6::text IS NULL OR r.department = $6)"
                " AND ($7::text IS NULL OR r.kind = $7)"
                " AND ($8::text IS NULL OR r.status = $8)"
                " AND ($9::bool IS NULL OR"
                " ((r.status = 'routed' AND r.deadline_date < $3::date) = $9))"
                " AND ($10::text IS NULL OR"
                " starts_with(household_place(h), $10))"
                " ORDER BY r.no LIMIT $2::bigint + 1";

static json_t *
referral_item(const void *row, int64_t *key, void *arg)
{
	const item_row *r = row;
	(void) arg;
	*key = r->no;
	return json_loads(r->json, 0, NULL);
}

static const sn_page_list_spec list_spec = {
	.cols     = item_cols,
	.ncols    = SN_NCOLS(item_cols),
	.row_size = sizeof(item_row),
	.item     = referral_item,
	.unread   = "the referrals cannot be read now",
};

/* The list's filters: text ones checked, overdue true/false, township a
 * division code within the caller's jurisdiction. */
static bool
list_filters(sn_http_req *req, const char **f, sn_problem *p)
{
	static const char *const names[]
	    = { "department", "kind", "status", "overdue", "township" };
	const sn_principal *who = sn_http_principal(req);
	for (size_t i = 0; i < 5; i++) {
		f[i] = sn_http_query(req, names[i]);
		if (f[i] != NULL
		    && !sn_in_check_text(f[i], names[i], 422, 64, p))
			return false;
	}
	if (f[3] != NULL && strcmp(f[3], "true") != 0
	    && strcmp(f[3], "false") != 0)
		return sn_problem_set(p, 422, "invalid_query", "overdue",
		    "overdue: true or false");
	if (f[4] != NULL && !sn_auth_juris_valid(f[4]))
		return sn_problem_set(p, 422, "invalid_code", "township",
		    "a division code of 6, 9 or 12 digits");
	if (f[4] != NULL && !sn_auth_within(who, f[4]))
		return sn_problem_set(p, 403, "outside_jurisdiction",
		    "township", "%s is outside your jurisdiction", f[4]);
	return true;
}

void
services_referrals_list(sn_http_req *req, void *arg)
{
	services           *s   = arg;
	const sn_principal *who = sn_http_principal(req);
	const char         *f[5], *unit;
	sn_page             page;
	sn_problem          p;
	char                today[SN_DATE_STRLEN];
	sn_problem_clear(&p);
	if (!services_unit(who, "department", &unit, &p)
	    || !sn_page_query(req, &page, &p) || !list_filters(req, f, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	today_text(today);
	const char *vals[]
	    = { today, who->juris, unit, f[0], f[1], f[2], f[3], f[4] };
	sn_page_list(
	    req, s->db, &page, list_sql, 8, vals, &list_spec, NULL, 0);
}

typedef struct one_row {
	const char *json, *department, *place;
} one_row;

static const sn_col one_cols[] = {
	SN_COL(one_row, json, SN_COL_TEXT),
	SN_COL(one_row, department, SN_COL_TEXT),
	SN_COL(one_row, place, SN_COL_TEXT),
};

static const char one_sql[]
    = "SELECT referral_json(r, h, $2::date)::text AS json, r.department,"
      " household_place(h) AS place FROM referral r"
      " JOIN household h ON h.id = r.household_id WHERE r.id = $1::uuid";

typedef struct one_ctx {
	sn_http_req *req;
	sn_principal who;
	const char  *unit;
} one_ctx;

static void
got_one(sn_err err, PGresult *res, void *arg)
{
	one_ctx *c = arg;
	one_row  r;
	bool     found = false;
	if (err != SN_OK
	    || sn_rows_opt(res, one_cols, SN_NCOLS(one_cols), &r, &found)
	        != SN_OK)
		sn_http_reply_error(c->req, 503, "unavailable",
		    "the referral cannot be read now", NULL);
	else if (!found || !sn_auth_within(&c->who, r.place)
	    || (c->unit[0] != '\0' && strcmp(c->unit, r.department) != 0))
		sn_http_reply_error(c->req, 404, "not_found",
		    "no such referral in your view", "id");
	else
		sn_http_reply_json(c->req, 200, json_loads(r.json, 0, NULL));
	free(c);
}

void
services_referrals_get(sn_http_req *req, void *arg)
{
	services   *s  = arg;
	const char *id = sn_http_param(req, "id");
	char        today[SN_DATE_STRLEN];
	sn_problem  p;
	one_ctx     c = { .req = req, .who = *sn_http_principal(req) };
	sn_problem_clear(&p);
	if (id == NULL || !sn_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such referral", "id");
		return;
	}
	if (!services_unit(
	        sn_http_principal(req), "department", &c.unit, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	one_ctx *h = malloc(sizeof(*h));
	if (h == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	*h      = c;
	h->unit = c.unit[0] != '\0' ? h->who.unit : "";
	today_text(today);
	const char *vals[] = { id, today };
	sn_db_query(s->db, one_sql, 2, vals, got_one, h);
}

/* ---- GET /statistics/referrals ------------------------------------------ */

typedef struct json_row {
	const char *json;
} json_row;

static const sn_col json_cols[] = {
	SN_COL(json_row, json, SN_COL_TEXT),
};

static const char stats_sql[]
    = "WITH r AS (SELECT r.* FROM referral r"
      "  JOIN household h ON h.id = r.household_id"
      "  WHERE ($1::date IS NULL OR r.routed_on >= $1::date)"
      "  AND ($2::date IS NULL OR r.routed_on <= $2::date)"
      "  AND " VISIBLE("$3", "$4") "),"
                                   " k AS (SELECT department, kind, type, "
                                   "count(*) AS routed,"
                                   "  count(*) FILTER (WHERE status = "
                                   "'routed') AS open,"
                                   "  count(*) FILTER (WHERE status = "
                                   "'accepted') AS accepted,"
                                   "  count(*) FILTER (WHERE status = "
                                   "'declined') AS declined,"
                                   "  count(overdue_at) AS overdue,"
                                   "  count(*) FILTER (WHERE late) AS "
                                   "answered_late,"
                                   "  coalesce(sum(amount_fen) FILTER "
                                   "(WHERE status = 'accepted'), 0)"
                                   "  AS accepted_amount_fen FROM r GROUP "
                                   "BY 1, 2, 3),"
                                   " a AS (SELECT kind, "
                                   "json_object_agg(amount_per, fen) AS "
                                   "amounts FROM"
                                   "  (SELECT kind, amount_per, "
                                   "sum(amount_fen) AS fen FROM r"
                                   "  WHERE status = 'accepted' GROUP BY "
                                   "1, 2) y GROUP BY kind)"
                                   " SELECT json_build_object('from', "
                                   "$1::date, 'to', $2::date,"
                                   " 'kinds', (SELECT "
                                   "coalesce(json_agg(json_build_object("
                                   "  'department', k.department, "
                                   "'department_zh', d.name_zh,"
                                   "  'kind', k.kind, 'kind_zh', "
                                   "t.name_zh, 'type', k.type,"
                                   "  'routed', k.routed, 'open', k.open, "
                                   "'accepted', k.accepted,"
                                   "  'declined', k.declined, 'overdue', "
                                   "k.overdue,"
                                   "  'answered_late', k.answered_late,"
                                   "  'accepted_amount_fen', "
                                   "k.accepted_amount_fen,"
                                   "  'accepted_amounts', "
                                   "coalesce(a.amounts, '{}'::json))"
                                   "  ORDER BY k.department, k.kind), "
                                   "'[]'::json) FROM k"
                                   "  LEFT JOIN a ON a.kind = k.kind"
                                   "  LEFT JOIN department d ON d.code = "
                                   "k.department"
                                   "  LEFT JOIN kind t ON t.code = k.kind),"
                                   " 'totals', (SELECT "
                                   "json_build_object('routed', count(*),"
                                   "  'open', count(*) FILTER (WHERE "
                                   "status = 'routed'),"
                                   "  'accepted', count(*) FILTER (WHERE "
                                   "status = 'accepted'),"
                                   "  'declined', count(*) FILTER (WHERE "
                                   "status = 'declined'),"
                                   "  'overdue', count(overdue_at),"
                                   "  'answered_late', count(*) FILTER "
                                   "(WHERE late)) FROM r))::text AS json";

static void
got_stats(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	json_row     r;
	json_t      *j = NULL;
	if (err != SN_OK
	    || sn_rows_one(res, json_cols, SN_NCOLS(json_cols), &r) != SN_OK
	    || (j = json_loads(r.json, 0, NULL)) == NULL) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the figures cannot be read now", NULL);
		return;
	}
	sn_http_reply_json(req, 200, j);
}

static bool
day_param(sn_http_req *req, const char *name, char *out, const char **val,
    sn_problem *p)
{
	const char *s = sn_http_query(req, name);
	sn_date     d;
	*val = NULL;
	if (s == NULL)
		return true;
	if (sn_date_parse(s, &d) != SN_OK)
		return sn_problem_set(p, 422, "invalid_query", name,
		    "%s is a district day YYYY-MM-DD", name);
	*val = sn_date_format(d, out);
	return true;
}

void
services_referrals_statistics(sn_http_req *req, void *arg)
{
	services           *s   = arg;
	const sn_principal *who = sn_http_principal(req);
	const char         *unit, *from, *to;
	char                fb[SN_DATE_STRLEN], tb[SN_DATE_STRLEN];
	sn_problem          p;
	sn_problem_clear(&p);
	if (!services_unit(who, "department", &unit, &p)
	    || !day_param(req, "from", fb, &from, &p)
	    || !day_param(req, "to", tb, &to, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	if (from != NULL && to != NULL && strcmp(from, to) > 0) {
		sn_http_reply_error(
		    req, 422, "invalid_query", "from is after to", "from");
		return;
	}
	const char *vals[] = { from, to, who->juris, unit };
	sn_db_query(s->db, stats_sql, 4, vals, got_stats, req);
}

/* ---- overdue ------------------------------------------------------------ */

typedef struct overdue_row {
	const char *id, *household_id, *application_id;
	bool        has_application_id;
	const char *department, *kind, *deadline_date, *township_code;
} overdue_row;

static const sn_col overdue_cols[] = {
	SN_COL(overdue_row, id, SN_COL_TEXT),
	SN_COL(overdue_row, household_id, SN_COL_TEXT),
	SN_COL_OPT(
	    overdue_row, application_id, SN_COL_TEXT, has_application_id),
	SN_COL(overdue_row, department, SN_COL_TEXT),
	SN_COL(overdue_row, kind, SN_COL_TEXT),
	SN_COL(overdue_row, deadline_date, SN_COL_TEXT),
	SN_COL(overdue_row, township_code, SN_COL_TEXT),
};

static const char overdue_sql[]
    = "WITH due AS (SELECT id FROM referral WHERE status = 'routed'"
      "  AND overdue_at IS NULL AND deadline_date < $1::date"
      "  ORDER BY deadline_date, no LIMIT $2::int FOR UPDATE SKIP LOCKED),"
      " u AS (UPDATE referral r SET overdue_at = now() FROM due"
      "  WHERE r.id = due.id RETURNING r.*)"
      " SELECT r.id::text AS id, r.household_id::text AS household_id,"
      " h.application_id::text AS application_id, r.department, r.kind,"
      " r.deadline_date::text AS deadline_date, h.township_code"
      " FROM u r JOIN household h ON h.id = r.household_id ORDER BY r.no";

typedef struct scan_ctx {
	services *s;
	int       flagged;
} scan_ctx;

static sn_err
publish_overdue(services *s, sn_tx *tx, const overdue_row *r)
{
	Sn__Services__V1__ReferralOverdue m
	    = SN__SERVICES__V1__REFERRAL_OVERDUE__INIT;
	m.referral_id    = str(r->id);
	m.household_id   = str(r->household_id);
	m.application_id = str(r->has_application_id ? r->application_id : "");
	m.department     = str(r->department);
	m.kind           = str(r->kind);
	m.deadline_date  = str(r->deadline_date);
	m.township_code  = str(r->township_code);
	sn_counter_add(s->referrals->overdue, 1);
	return sn_bus_append_msg(
	    s->bus, tx, "referral.overdue", r->id, "system", &m.base);
}

static void
flagged(sn_tx *tx, PGresult *res, void *arg)
{
	scan_ctx *c = arg;
	sn_rows   rows;
	sn_err    err
	    = sn_rows_open(&rows, res, overdue_cols, SN_NCOLS(overdue_cols));
	for (int i = 0; err == SN_OK && i < sn_rows_count(&rows); i++) {
		overdue_row r;
		if ((err = sn_rows_read(&rows, i, &r)) == SN_OK)
			err = publish_overdue(c->s, tx, &r);
	}
	c->flagged = sn_rows_count(&rows);
	sn_rows_close(&rows);
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	sn_tx_commit(tx);
}

static void
scan_begin(sn_tx *tx, void *arg)
{
	char today[SN_DATE_STRLEN], batch[16];
	today_text(today);
	snprintf(batch, sizeof(batch), "%d", SCAN_BATCH);
	const char *vals[] = { today, batch };
	if (sn_tx_query(tx, overdue_sql, 2, vals, flagged, arg) != SN_OK)
		sn_tx_rollback(tx, SN_ECLOSED);
}

static void scan(void *arg);

static void
scan_done(sn_err err, void *arg)
{
	scan_ctx *c     = arg;
	services *s     = c->s;
	bool      again = err == SN_OK && c->flagged >= SCAN_BATCH;
	free(c);
	s->referrals->scanning = false;
	if (err != SN_OK && err != SN_ECLOSED)
		sn_log(SN_LOG_WARN, "services: the overdue scan failed", "why",
		    sn_strerror(err), NULL);
	if (again)
		scan(s);
}

static void
scan(void *arg)
{
	services *s = arg;
	if (s->referrals->scanning)
		return;
	scan_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	c->s                   = s;
	s->referrals->scanning = true;
	sn_db_tx(s->db, scan_begin, scan_done, c);
}

/* ---- setup -------------------------------------------------------------- */

static void
store_begin(sn_tx *tx, void *arg)
{
	services *s = arg;
	if (services_registry_store(s->referrals->registry, tx) != SN_OK) {
		sn_tx_rollback(tx, SN_ENOMEM);
		return;
	}
	sn_tx_commit(tx);
}

static void
store_done(sn_err err, void *arg)
{
	services *s           = arg;
	s->referrals->storing = false;
	if (err == SN_OK) {
		s->referrals->stored = true;
		sn_log(SN_LOG_INFO, "services: the registry is in the tables",
		    NULL);
	} else if (err != SN_ECLOSED)
		sn_log(SN_LOG_WARN,
		    "services: the registry could not be stored (retried)",
		    "why", sn_strerror(err), NULL);
}

static void
store(void *arg)
{
	services *s = arg;
	if (s->referrals->stored || s->referrals->storing)
		return;
	s->referrals->storing = true;
	sn_db_tx(s->db, store_begin, store_done, s);
}

/* SN_SERVICES_REFER_CATEGORIES, split on commas. */
static sn_err
refer_categories(struct services_referrals *r, const char *text)
{
	static const char *const categories[]
	    = { "tekun", "dibao", "expenditure", "low_income", "emergency" };
	snprintf(r->refer_buf, sizeof(r->refer_buf), "%s", text);
	for (char *save = NULL, *t = strtok_r(r->refer_buf, ", ", &save);
	     t != NULL; t = strtok_r(NULL, ", ", &save)) {
		if (!services_rules_in_list(t, categories, 5)
		    || r->nrefer == SERVICES_REFER_MAX) {
			sn_log(SN_LOG_ERROR,
			    "services: SN_SERVICES_REFER_CATEGORIES names "
			    "something that is not a category",
			    "name", t, NULL);
			return SN_EINVAL;
		}
		r->refer[r->nrefer++] = t;
	}
	return SN_OK;
}

static sn_err
metrics(services *s)
{
	struct services_referrals *r = s->referrals;
	r->routed                    = sn_metrics_counter(s->metrics,
	                       "sn_services_referrals_routed_total",
	                       "Referrals routed to a department", NULL);
	r->answered                  = sn_metrics_counter(s->metrics,
	                     "sn_services_referrals_answered_total",
	                     "Referrals a department answered", NULL);
	r->overdue                   = sn_metrics_counter(s->metrics,
	                      "sn_services_referrals_overdue_total", "Referrals flagged overdue",
	                      NULL);
	return r->routed != NULL && r->answered != NULL && r->overdue != NULL
	    ? SN_OK
	    : SN_ENOMEM;
}

sn_err
services_referrals_setup(services *s)
{
	sn_err err;
	if ((s->referrals = calloc(1, sizeof(*s->referrals))) == NULL)
		return SN_ENOMEM;
	if ((err = services_registry_load(
	         s->cfg.seed_dir, &s->referrals->registry))
	        != SN_OK
	    || (err = refer_categories(s->referrals, s->cfg.refer_categories))
	        != SN_OK
	    || (err = metrics(s)) != SN_OK
	    || (err = sn_service_every(s->svc, 0, 5000, store, s)) != SN_OK
	    || (err = sn_service_every(s->svc, s->cfg.overdue_scan_ms,
	            s->cfg.overdue_scan_ms, scan, s))
	        != SN_OK)
		return err;
	return services_households_setup(s);
}
