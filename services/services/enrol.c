/*
 * enrol.c - matches, enrolments, sessions, ends and figures; see enrol.h.
 *
 * Every change is one transaction: the enrolment (and the project's
 * places taken) written, the enrolment read back with its project and
 * household, and enrolment.changed published from that row, so that the
 * event and the answer say what was committed. A place is taken only by
 * the conditional UPDATE of take_sql: under concurrency PostgreSQL
 * re-checks its condition on the row as the previous taker committed it,
 * so the last place is given once.
 */
#include "enrol.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "match.h"
#include "sn/auth.h"
#include "sn/clock.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/page.h"
#include "sn/services/v1/services.pb-c.h"
#include "sn/uuid.h"

#define NEEDS_BUF (SERVICES_MATCH_NEEDS_MAX * SERVICES_MATCH_CODE_LEN)
#define NOTE_MAX 2000
#define OUTCOME_MAX 48
#define STAFF "clerk,township_officer,district_officer,district_admin"

/* ---- a household, as match.h sees it ------------------------------------ */

typedef struct hh {
	bool found;
	char id[SN_UUID_STRLEN];
	char application_id[SN_UUID_STRLEN];
	char category[16];
	char township[16];
	char place[16]; /* village, township or district */
	char needs[NEEDS_BUF];
	char member_needs[SERVICES_MATCH_MEMBERS_MAX][NEEDS_BUF];
	services_match_household m;
} hh;

typedef struct hh_row {
	const char *id, *application_id, *category, *township_code, *place;
	const char *needs;
} hh_row;

static const sn_col hh_cols[] = {
	SN_COL(hh_row, id, SN_COL_TEXT),
	SN_COL(hh_row, application_id, SN_COL_TEXT),
	SN_COL(hh_row, category, SN_COL_TEXT),
	SN_COL(hh_row, township_code, SN_COL_TEXT),
	SN_COL(hh_row, place, SN_COL_TEXT),
	SN_COL(hh_row, needs, SN_COL_TEXT),
};

/* The household $1 names: its id, or its application's or emergency
 * referral's id (schema 001). */
#define HH_ID                                                                 \
	"(SELECT hh.id FROM household hh WHERE $1::uuid IN (hh.id,"           \
	" hh.application_id, hh.emergency_referral_id)"                       \
	" ORDER BY hh.id = $1::uuid DESC LIMIT 1)"

#define NEEDS_OF(who)                                                         \
	"coalesce((SELECT string_agg(DISTINCT n.need, ',' ORDER BY n.need)"   \
	" FROM need n WHERE n.household_id = " HH_ID " AND n.member = " who   \
	"), '') AS needs"

static const char hh_sql[]
    = "SELECT id::text AS id, coalesce(application_id::text, '')"
      " AS application_id, CASE WHEN standing = 'exited'"
      " OR approved IS FALSE THEN '' ELSE category END AS category,"
      " township_code, household_place(household) AS place,"
      " " NEEDS_OF("0") " FROM household WHERE id = " HH_ID;

typedef struct member_row {
	int32_t     member;
	bool        has_birth_date;
	sn_date     birth_date;
	const char *needs;
} member_row;

static const sn_col member_cols[] = {
	SN_COL(member_row, member, SN_COL_I32),
	SN_COL_OPT(member_row, birth_date, SN_COL_DATE, has_birth_date),
	SN_COL(member_row, needs, SN_COL_TEXT),
};

static const char members_sql[]
    = "SELECT m.member, m.birth_date::text AS birth_date, " NEEDS_OF(
        "m.member") " FROM member m WHERE m.household_id = " HH_ID
                    " ORDER BY m.member LIMIT 32";

/* Splits a needs list into buf, at most SERVICES_MATCH_NEEDS_MAX kept. */
static size_t
needs_split(const char *joined, char *buf, const char **out)
{
	size_t n;
	snprintf(buf, NEEDS_BUF, "%s", joined);
	n = services_match_split(buf, out, SERVICES_MATCH_NEEDS_MAX);
	return n > SERVICES_MATCH_NEEDS_MAX ? SERVICES_MATCH_NEEDS_MAX : n;
}

static void
hh_got(sn_tx *tx, PGresult *res, void *arg)
{
	hh    *h = arg;
	hh_row r;
	if (sn_rows_opt(res, hh_cols, SN_NCOLS(hh_cols), &r, &h->found)
	    != SN_OK) {
		sn_tx_rollback(tx, SN_EPROTO);
		return;
	}
	if (!h->found)
		return;
	snprintf(h->id, sizeof(h->id), "%s", r.id);
	snprintf(h->application_id, sizeof(h->application_id), "%s",
	    r.application_id);
	snprintf(h->category, sizeof(h->category), "%s", r.category);
	snprintf(h->township, sizeof(h->township), "%s", r.township_code);
	snprintf(h->place, sizeof(h->place), "%s", r.place);
	h->m.category = h->category;
	h->m.township = h->township;
	h->m.nneeds   = needs_split(r.needs, h->needs, h->m.needs);
}

static void
members_got(sn_tx *tx, PGresult *res, void *arg)
{
	hh     *h = arg;
	sn_rows rows;
	if (sn_rows_open(&rows, res, member_cols, SN_NCOLS(member_cols))
	    != SN_OK) {
		sn_tx_rollback(tx, SN_EPROTO);
		return;
	}
	h->m.nmembers = 0;
	for (int i = 0;
	     i < sn_rows_count(&rows) && i < SERVICES_MATCH_MEMBERS_MAX; i++) {
		member_row             r;
		services_match_member *m = &h->m.members[h->m.nmembers];
		if (sn_rows_read(&rows, i, &r) != SN_OK)
			continue;
		m->member    = r.member;
		m->has_birth = r.has_birth_date;
		m->birth     = r.birth_date;
		m->nneeds    = needs_split(
		       r.needs, h->member_needs[h->m.nmembers], m->needs);
		h->m.nmembers++;
	}
	sn_rows_close(&rows);
}

/* Queues the reads of household id into h; their callbacks fill it. */
static sn_err
hh_load(sn_tx *tx, const char *id, hh *h)
{
	const char *v[] = { id };
	memset(h, 0, sizeof(*h));
	if (sn_tx_query(tx, hh_sql, 1, v, hh_got, h) != SN_OK
	    || sn_tx_query(tx, members_sql, 1, v, members_got, h) != SN_OK)
		return SN_ECLOSED;
	return SN_OK;
}

/* ---- an enrolment ----------------------------------------------------- */

#define STAMP(c)                                                              \
	"to_char(" c " AT TIME ZONE 'UTC', "                                  \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

#define ECOLS                                                                 \
	"e.id::text AS id, e.no, e.project_code, p.name_zh AS "               \
	"project_name_zh,"                                                    \
	" p.name_en AS project_name_en, p.domain, p.partner_code AS partner," \
	" e.household_id::text AS household_id,"                              \
	" coalesce(h.application_id::text, '') AS application_id, e.member,"  \
	" e.status, e.township_code, household_place(h) AS place,"            \
	" e.sessions,"                                                        \
	" e.last_session::text AS last_session, e.outcome, e.end_note,"       \
	" e.enrolled_by, e.enrolled_on::text AS enrolled_on,"                 \
	" " STAMP("e.enrolled_at") " AS enrolled_at, e.ended_by,"             \
	                           " e.ended_on::text AS ended_on, " STAMP(   \
	                               "e.ended_at") " AS ended_at"
#define EFROM                                                                 \
	" FROM enrolment e JOIN project p ON p.code = e.project_code"         \
	" JOIN household h ON h.id = e.household_id"

typedef struct erow {
	const char *id;
	int64_t     no;
	const char *project_code, *project_name_zh, *project_name_en;
	const char *domain, *partner, *household_id, *application_id;
	int32_t     member;
	const char *status, *township_code;
	const char *place; /* the household's (household_place, schema 002) */
	int32_t     sessions;
	bool        has_last_session;
	sn_date     last_session;
	const char *outcome, *end_note, *enrolled_by;
	sn_date     enrolled_on;
	const char *enrolled_at, *ended_by;
	bool        has_ended_on, has_ended_at;
	sn_date     ended_on;
	const char *ended_at;
} erow;

static const sn_col ecols[] = {
	SN_COL(erow, id, SN_COL_TEXT),
	SN_COL(erow, no, SN_COL_I64),
	SN_COL(erow, project_code, SN_COL_TEXT),
	SN_COL(erow, project_name_zh, SN_COL_TEXT),
	SN_COL(erow, project_name_en, SN_COL_TEXT),
	SN_COL(erow, domain, SN_COL_TEXT),
	SN_COL(erow, partner, SN_COL_TEXT),
	SN_COL(erow, household_id, SN_COL_TEXT),
	SN_COL(erow, application_id, SN_COL_TEXT),
	SN_COL(erow, member, SN_COL_I32),
	SN_COL(erow, status, SN_COL_TEXT),
	SN_COL(erow, township_code, SN_COL_TEXT),
	SN_COL(erow, place, SN_COL_TEXT),
	SN_COL(erow, sessions, SN_COL_I32),
	SN_COL_OPT(erow, last_session, SN_COL_DATE, has_last_session),
	SN_COL(erow, outcome, SN_COL_TEXT),
	SN_COL(erow, end_note, SN_COL_TEXT),
	SN_COL(erow, enrolled_by, SN_COL_TEXT),
	SN_COL(erow, enrolled_on, SN_COL_DATE),
	SN_COL(erow, enrolled_at, SN_COL_TEXT),
	SN_COL(erow, ended_by, SN_COL_TEXT),
	SN_COL_OPT(erow, ended_on, SN_COL_DATE, has_ended_on),
	SN_COL_OPT(erow, ended_at, SN_COL_TEXT, has_ended_at),
};

static json_t *
date_or_null(bool has, sn_date d)
{
	char buf[SN_DATE_STRLEN];
	return has ? json_string(sn_date_format(d, buf)) : json_null();
}

static json_t *
text_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
erow_json(const erow *r)
{
	char on[SN_DATE_STRLEN];
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:i, s:s,"
	                 " s:s, s:i, s:o, s:o, s:o, s:s, s:s, s:s, s:o, s:o,"
	                 " s:o}",
	    "id", r->id, "project_code", r->project_code, "project_name_zh",
	    r->project_name_zh, "project_name_en", r->project_name_en,
	    "domain", r->domain, "partner", r->partner, "household_id",
	    r->household_id, "application_id", text_or_null(r->application_id),
	    "member", (int) r->member, "status", r->status, "township_code",
	    r->township_code, "sessions", (int) r->sessions, "last_session",
	    date_or_null(r->has_last_session, r->last_session), "outcome",
	    text_or_null(r->outcome), "end_note", text_or_null(r->end_note),
	    "enrolled_by", r->enrolled_by, "enrolled_on",
	    sn_date_format(r->enrolled_on, on), "enrolled_at", r->enrolled_at,
	    "ended_by", text_or_null(r->ended_by), "ended_on",
	    date_or_null(r->has_ended_on, r->ended_on), "ended_at",
	    text_or_null(r->has_ended_at ? r->ended_at : NULL));
}

/* What a change adds to its event. */
typedef struct echange {
	Sn__Services__V1__EnrolmentChange change;
	const char                       *session_date; /* SESSION */
	const char                       *outcome, *note;
	const char                       *actor;
} echange;

/* enrolment.changed for the row r as committed. */
static sn_err
enrol_changed(services *s, sn_tx *tx, const erow *r, const echange *c)
{
	Sn__Services__V1__EnrolmentChanged m
	    = SN__SERVICES__V1__ENROLMENT_CHANGED__INIT;
	char at[SN_CLOCK_STAMPLEN];

	m.enrolment_id   = (char *) r->id;
	m.project_code   = (char *) r->project_code;
	m.domain         = (char *) r->domain;
	m.partner        = (char *) r->partner;
	m.household_id   = (char *) r->household_id;
	m.application_id = (char *) r->application_id;
	m.member         = r->member;
	m.change         = c->change;
	m.sessions       = r->sessions;
	m.session_date   = (char *) (c->session_date ? c->session_date : "");
	m.outcome        = (char *) (c->outcome ? c->outcome : "");
	m.note           = (char *) (c->note ? c->note : "");
	m.township_code  = (char *) r->township_code;
	m.actor          = (char *) c->actor;
	m.at             = sn_clock_stamp(at);
	return sn_bus_append_msg(
	    s->bus, tx, "enrolment.changed", r->id, c->actor, &m.base);
}

/* The answer of a change: the enrolment read back after it, published,
 * and sent with status. */
typedef struct reread {
	services    *s;
	sn_http_req *req;
	unsigned     status;
	echange      change;
} reread;

static void
reread_got(sn_tx *tx, PGresult *res, void *arg)
{
	reread *c = arg;
	erow    r;
	if (sn_rows_one(res, ecols, SN_NCOLS(ecols), &r) != SN_OK
	    || enrol_changed(c->s, tx, &r, &c->change) != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the enrolment could not be written", NULL);
		return;
	}
	sn_http_tx_reply(c->req, tx, c->status, erow_json(&r));
}

static void
reread_queue(sn_tx *tx, const char *id, reread *c)
{
	const char *v[] = { id };
	sn_tx_query(tx, "SELECT " ECOLS EFROM " WHERE e.id = $1::uuid", 1, v,
	    reread_got, c);
}

/* ---- GET /households/{id}/matches ----------------------------------------
 */

typedef struct enrolled {
	char    code[SERVICES_MATCH_CODE_LEN];
	int32_t member;
} enrolled;

typedef struct en_row {
	const char *project_code;
	int32_t     member;
} en_row;

static const sn_col en_cols[] = {
	SN_COL(en_row, project_code, SN_COL_TEXT),
	SN_COL(en_row, member, SN_COL_I32),
};

typedef struct matches_ctx {
	services              *s;
	sn_http_req           *req;
	sn_principal           who;
	sn_date                on;
	char                   id[SN_UUID_STRLEN];
	hh                     h;
	enrolled              *en;
	size_t                 nen;
	services_project_view *views;
	services_match_ranked *ranked;
	size_t                 nranked;
} matches_ctx;

static void
matches_free(void *arg)
{
	matches_ctx *c = arg;
	for (size_t i = 0; i < c->nranked; i++)
		json_decref(c->ranked[i].data);
	free(c->views);
	free(c->ranked);
	free(c->en);
	free(c);
}

static void
en_got(sn_tx *tx, PGresult *res, void *arg)
{
	matches_ctx *c = arg;
	sn_rows      rows;
	if (sn_rows_open(&rows, res, en_cols, SN_NCOLS(en_cols)) != SN_OK
	    || (sn_rows_count(&rows) > 0
	        && (c->en
	               = calloc((size_t) sn_rows_count(&rows), sizeof(*c->en)))
	            == NULL)) {
		sn_rows_close(&rows);
		sn_tx_rollback(tx, SN_ENOMEM);
		return;
	}
	for (int i = 0; i < sn_rows_count(&rows); i++) {
		en_row r;
		if (sn_rows_read(&rows, i, &r) != SN_OK)
			continue;
		snprintf(c->en[c->nen].code, sizeof(c->en[c->nen].code), "%s",
		    r.project_code);
		c->en[c->nen++].member = r.member;
	}
	sn_rows_close(&rows);
}

static json_t *
int_array(const int32_t *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

static json_t *
str_array(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* One item of the answer; steals r->data. */
static json_t *
match_item(const matches_ctx *c, services_match_ranked *r)
{
	json_t *marks = json_array();
	for (size_t i = 0; marks != NULL && i < c->nen; i++)
		if (strcmp(c->en[i].code, r->project->code) == 0)
			json_array_append_new(
			    marks, json_integer(c->en[i].member));
	json_t *item = json_pack("{s:o, s:{s:s, s:o, s:o}, s:i, s:o}",
	    "project", r->data, "why", "category", c->h.category, "needs_met",
	    str_array(r->why.needs_met, r->why.nneeds_met), "members",
	    int_array(r->why.members, r->why.nmembers), "left",
	    (int) r->why.places_left, "enrolled", marks);
	r->data      = NULL;
	return item;
}

static json_t *
matches_answer(matches_ctx *c)
{
	char    on[SN_DATE_STRLEN];
	json_t *items = json_array();
	services_match_rank(c->ranked, c->nranked);
	for (size_t i = 0; items != NULL && i < c->nranked; i++)
		json_array_append_new(items, match_item(c, &c->ranked[i]));
	return json_pack("{s:s, s:s, s:s, s:s, s:o}", "household_id", c->h.id,
	    "on", sn_date_format(c->on, on), "category", c->h.category,
	    "township_code", c->h.township, "items", items);
}

/* Whether the household was found within the caller's jurisdiction. */
static bool
hh_visible(const hh *h, const sn_principal *who)
{
	return h->found && sn_auth_within(who, h->place);
}

static void
projects_got(sn_tx *tx, PGresult *res, void *arg)
{
	matches_ctx *c = arg;
	sn_rows      rows;
	size_t       n;

	if (!hh_visible(&c->h, &c->who)) {
		sn_http_tx_fail(c->req, tx, 404, "not_found",
		    "no such household in your jurisdiction", "id");
		return;
	}
	if (sn_rows_open(
	        &rows, res, services_project_cols, services_project_ncols)
	    != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the projects cannot be read now", NULL);
		return;
	}
	n         = (size_t) sn_rows_count(&rows);
	c->views  = calloc(n + 1, sizeof(*c->views));
	c->ranked = calloc(n + 1, sizeof(*c->ranked));
	for (size_t i = 0; c->views != NULL && c->ranked != NULL && i < n;
	     i++) {
		services_project_row   r;
		services_project_view *v = &c->views[i];
		services_match_ranked *k = &c->ranked[c->nranked];
		if (sn_rows_read(&rows, (int) i, &r) != SN_OK
		    || services_project_view_fill(&r, v) != SN_OK
		    || !services_match_eligible(
		        &c->h.m, &v->m, c->on, &k->why))
			continue;
		k->project = &v->m;
		k->data    = services_project_json(&r, sn_clock_today());
		c->nranked++;
	}
	sn_rows_close(&rows);
	if (c->views == NULL || c->ranked == NULL) {
		sn_http_tx_fail(
		    c->req, tx, 503, "unavailable", "out of memory", NULL);
		return;
	}
	sn_http_tx_reply(c->req, tx, 200, matches_answer(c));
}

static void
matches_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	matches_ctx *c   = arg;
	const char  *v[] = { c->id };
	(void) req;
	if (hh_load(tx, c->id, &c->h) != SN_OK)
		return;
	sn_tx_query(tx,
	    "SELECT project_code, member FROM enrolment"
	    " WHERE household_id = " HH_ID " AND status = 'active'",
	    1, v, en_got, c);
	sn_tx_query(tx,
	    "SELECT " SERVICES_PROJECT_COLS " FROM project ORDER BY no", 0,
	    NULL, projects_got, c);
}

void
services_enrol_matches(sn_http_req *req, void *arg)
{
	const char  *id = sn_http_param(req, "id");
	const char  *on = sn_http_query(req, "on");
	matches_ctx *c;

	if (id == NULL || !sn_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such household", "id");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	c->on = sn_clock_today();
	if (on != NULL && sn_date_parse(on, &c->on) != SN_OK) {
		free(c);
		sn_http_reply_error(
		    req, 422, "invalid_query", "on: a day, YYYY-MM-DD", "on");
		return;
	}
	c->s   = arg;
	c->req = req;
	c->who = *sn_http_principal(req);
	snprintf(c->id, sizeof(c->id), "%s", id);
	sn_http_tx_with_end(req, matches_begin, matches_free, c);
}

/* ---- POST /enrolments ------------------------------------------------------
 */

typedef struct enrol_ctx {
	services    *s;
	sn_http_req *req;
	sn_principal who;
	char         household_id[SN_UUID_STRLEN];
	char         code[SERVICES_MATCH_CODE_LEN];
	char         id[SN_UUID_STRLEN];
	int32_t      member;
	hh           h;
	reread       back;
} enrol_ctx;

static const char insert_sql[]
    = "INSERT INTO enrolment (id, project_code, household_id, member,"
      " status, township_code, enrolled_by, enrolled_on)"
      " VALUES ($1::uuid, $2, $3::uuid, $4::int, 'active', $5, $6,"
      " $7::date)"
      " ON CONFLICT (project_code, household_id, member)"
      " WHERE status = 'active' DO NOTHING RETURNING id::text AS id";

/* The one statement that gives a place. */
static const char take_sql[]
    = "UPDATE project SET taken = taken + 1 WHERE code = $1"
      " AND taken < capacity AND NOT closed RETURNING taken";

/* A refusal of the member for the project, by the rule that failed. */
static void
refuse(sn_problem *p, const char *rule, int32_t member)
{
	if (strcmp(rule, "closed") == 0)
		sn_problem_set(p, 409, "project_closed", "project_code",
		    "the project is closed");
	else if (strcmp(rule, "not_started") == 0
	    || strcmp(rule, "ended") == 0)
		sn_problem_set(p, 409, "project_not_running", "project_code",
		    "today is outside the project's period (%s)", rule);
	else if (strcmp(rule, "member") == 0)
		sn_problem_set(p, 422, "unknown_member", "member",
		    "the household has no member %d", (int) member);
	else
		sn_problem_set(p, 409, "not_eligible", "member",
		    "member %d is not eligible: %s", (int) member, rule);
}

static void
taken(sn_tx *tx, PGresult *res, void *arg)
{
	enrol_ctx *c = arg;
	if (sn_rows_affected(res) == 0) {
		sn_http_tx_fail(c->req, tx, 409, "project_full",
		    "every place of the project is taken", "project_code");
		return;
	}
	reread_queue(tx, c->id, &c->back);
}

static void
inserted(sn_tx *tx, PGresult *res, void *arg)
{
	enrol_ctx  *c   = arg;
	const char *v[] = { c->code };
	if (sn_rows_affected(res) == 0) {
		sn_http_tx_fail(c->req, tx, 409, "already_enrolled",
		    "the member holds a place in the project", "member");
		return;
	}
	sn_tx_query(tx, take_sql, 1, v, taken, c);
}

static void
enrol_insert(sn_tx *tx, enrol_ctx *c)
{
	sn_uuid u;
	char    member[12], today[SN_DATE_STRLEN];
	if (sn_uuid_v4(&u) != SN_OK) {
		sn_http_tx_fail(
		    c->req, tx, 503, "unavailable", "no random id", NULL);
		return;
	}
	sn_uuid_format(&u, c->id);
	snprintf(member, sizeof(member), "%d", (int) c->member);
	sn_date_format(sn_clock_today(), today);
	const char *v[] = { c->id, c->code, c->h.id, member, c->h.township,
		c->who.user, today };
	sn_tx_query(tx, insert_sql, 7, v, inserted, c);
}

static void
enrol_project(sn_tx *tx, PGresult *res, void *arg)
{
	enrol_ctx            *c = arg;
	services_project_row  r;
	services_project_view v;
	services_match_why    why;
	bool                  found = false;
	sn_problem            p;

	sn_problem_clear(&p);
	if (!hh_visible(&c->h, &c->who))
		sn_problem_set(&p, 404, "not_found",
		    "no such household in your jurisdiction", "household_id");
	else if (sn_rows_opt(res, services_project_cols,
	             services_project_ncols, &r, &found)
	        != SN_OK
	    || (found && services_project_view_fill(&r, &v) != SN_OK))
		sn_problem_set(&p, 503, "unavailable", NULL,
		    "the project cannot be read now");
	else if (!found)
		sn_problem_set(
		    &p, 404, "not_found", "project_code", "no such project");
	else if (!services_match_member_eligible(
	             &c->h.m, &v.m, sn_clock_today(), c->member, &why))
		refuse(&p, why.rule, c->member);
	if (sn_problem_is_set(&p)) {
		sn_http_tx_problem(c->req, tx, &p);
		return;
	}
	enrol_insert(tx, c);
}

static void
enrol_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	enrol_ctx  *c   = arg;
	const char *v[] = { c->code };
	(void) req;
	if (hh_load(tx, c->household_id, &c->h) != SN_OK)
		return;
	sn_tx_query(tx,
	    "SELECT " SERVICES_PROJECT_COLS " FROM project WHERE code = $1", 1,
	    v, enrol_project, c);
}

void
services_enrol_post(sn_http_req *req, void *arg)
{
	static const char *const keys[]
	    = { "household_id", "member", "project_code", NULL };
	json_t     *b   = sn_http_json(req);
	const char *hid = NULL, *code = NULL;
	int64_t     member = 0;
	sn_problem  p;
	enrol_ctx  *c;

	sn_problem_clear(&p);
	if (!sn_in_only(b, keys, "", &p)
	    || !sn_in_uuid(b, "household_id", "", SN_IN_REQUIRED, &hid, &p)
	    || !sn_in_i64(b, "member", "", SN_IN_REQUIRED, 1,
	        SERVICES_MATCH_MEMBERS_MAX, &member, &p)
	    || !sn_in_str(b, "project_code", "",
	        SN_IN_REQUIRED | SN_IN_NONEMPTY, 48, &code, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	c->s      = arg;
	c->req    = req;
	c->who    = *sn_http_principal(req);
	c->member = (int32_t) member;
	snprintf(c->household_id, sizeof(c->household_id), "%s", hid);
	snprintf(c->code, sizeof(c->code), "%s", code);
	c->back = (reread) { .s = c->s,
		.req            = req,
		.status         = 201,
		.change         = { .change
		            = SN__SERVICES__V1__ENROLMENT_CHANGE__ENROLMENT_ENROLLED,
		            .actor = c->who.user } };
	sn_http_tx_with_end(req, enrol_begin, free, c);
}

/* ---- sessions and ends ----------------------------------------------------
 */

typedef struct act_ctx {
	services    *s;
	sn_http_req *req;
	sn_principal who;
	bool         end;
	char         id[SN_UUID_STRLEN];
	sn_date      date;
	char         date_s[SN_DATE_STRLEN];
	const char  *outcome, *note;
	reread       back;
} act_ctx;

static const char *const end_outcomes[]
    = { "completed", "employed", "improved", "withdrew", "moved",
	      "no_longer_eligible", "deceased", "other", NULL };

/* May the caller act on the enrolment r? p says why not. */
static bool
may_act(const act_ctx *c, const erow *r, sn_problem *p)
{
	if (strcmp(c->who.role, "partner") == 0) {
		if (strcmp(c->who.unit, r->partner) != 0)
			return sn_problem_set(p, 403, "not_your_project", NULL,
			    "the enrolment is in another partner's project");
	} else if (!sn_auth_within(&c->who, r->place))
		return sn_problem_set(p, 404, "not_found", "id",
		    "no such enrolment in your jurisdiction");
	if (strcmp(r->status, "active") != 0)
		return sn_problem_set(p, 409, "enrolment_ended", NULL,
		    "the enrolment ended on %04d-%02d-%02d",
		    (int) r->ended_on.year, (int) r->ended_on.month,
		    (int) r->ended_on.day);
	if (c->end)
		return true;
	if (sn_date_cmp(c->date, sn_clock_today()) > 0)
		return sn_problem_set(
		    p, 422, "invalid_date", "date", "a day not after today");
	if (sn_date_cmp(c->date, r->enrolled_on) < 0)
		return sn_problem_set(p, 422, "invalid_date", "date",
		    "a day not before the enrolment");
	return true;
}

static void
act_write(sn_tx *tx, act_ctx *c, const erow *r)
{
	char today[SN_DATE_STRLEN];
	if (c->end) {
		const char *v[] = { c->id, c->outcome, c->note, c->who.user,
			sn_date_format(sn_clock_today(), today) };
		const char *p[] = { r->project_code };
		sn_tx_query(tx,
		    "UPDATE enrolment SET status = 'ended', outcome = $2,"
		    " end_note = $3, ended_by = $4, ended_on = $5::date,"
		    " ended_at = now() WHERE id = $1::uuid",
		    5, v, NULL, NULL);
		sn_tx_query(tx,
		    "UPDATE project SET taken = taken - 1"
		    " WHERE code = $1 AND taken > 0",
		    1, p, NULL, NULL);
	} else {
		const char *v[]
		    = { c->id, c->date_s, c->outcome, c->note, c->who.user };
		sn_tx_query(tx,
		    "UPDATE enrolment SET sessions = sessions + 1,"
		    " last_session = greatest(coalesce(last_session, "
		    "$2::date),"
		    " $2::date) WHERE id = $1::uuid",
		    2, v, NULL, NULL);
		sn_tx_query(tx,
		    "INSERT INTO session (enrolment_id, n, held_on, outcome,"
		    " note, recorded_by) SELECT id, sessions, $2::date, $3, "
		    "$4,"
		    " $5 FROM enrolment WHERE id = $1::uuid",
		    5, v, NULL, NULL);
	}
	reread_queue(tx, c->id, &c->back);
}

static void
act_locked(sn_tx *tx, PGresult *res, void *arg)
{
	act_ctx   *c = arg;
	erow       r;
	bool       found = false;
	sn_problem p;

	sn_problem_clear(&p);
	if (sn_rows_opt(res, ecols, SN_NCOLS(ecols), &r, &found) != SN_OK)
		sn_problem_set(&p, 503, "unavailable", NULL,
		    "the enrolment cannot be read now");
	else if (!found)
		sn_problem_set(
		    &p, 404, "not_found", "id", "no such enrolment");
	if (!found || !may_act(c, &r, &p)) {
		sn_http_tx_problem(c->req, tx, &p);
		return;
	}
	act_write(tx, c, &r);
}

static void
act_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	act_ctx    *c   = arg;
	const char *v[] = { c->id };
	(void) req;
	sn_tx_query(tx,
	    "SELECT " ECOLS EFROM " WHERE e.id = $1::uuid FOR UPDATE OF e", 1,
	    v, act_locked, c);
}

static bool
one_of(const char *v, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(v, *set) == 0)
			return true;
	return false;
}

/* The body of a session or an end into c; false when answered. */
static bool
act_body(sn_http_req *req, act_ctx *c)
{
	static const char *const skeys[] = { "date", "outcome", "note", NULL };
	static const char *const ekeys[] = { "outcome", "note", NULL };
	json_t                  *b       = sn_http_json(req);
	sn_problem               p;

	sn_problem_clear(&p);
	c->outcome = "";
	c->note    = "";
	if (!sn_in_only(b, c->end ? ekeys : skeys, "", &p)
	    || (!c->end
	        && !sn_in_date(b, "date", "", SN_IN_REQUIRED, &c->date, &p))
	    || !sn_in_str(b, "outcome", "",
	        c->end ? SN_IN_REQUIRED | SN_IN_NONEMPTY : 0, OUTCOME_MAX,
	        &c->outcome, &p)
	    || !sn_in_str(
	        b, "note", "", SN_IN_MULTILINE, NOTE_MAX, &c->note, &p)) {
		sn_http_problem(req, &p);
		return false;
	}
	if (c->end && !one_of(c->outcome, end_outcomes)) {
		sn_http_reply_error(req, 422, "invalid_outcome",
		    "completed, employed, improved, withdrew, moved, "
		    "no_longer_eligible, deceased or other",
		    "outcome");
		return false;
	}
	sn_date_format(c->date, c->date_s);
	return true;
}

static void
act_start(sn_http_req *req, services *s, bool end)
{
	const char *id = sn_http_param(req, "id");
	act_ctx     c  = { .s = s, .req = req, .end = end };
	act_ctx    *h;
	const char *unit;
	sn_problem  p;

	sn_problem_clear(&p);
	if (id == NULL || !sn_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such enrolment", "id");
		return;
	}
	snprintf(c.id, sizeof(c.id), "%s", id);
	c.who = *sn_http_principal(req);
	if (!services_unit(&c.who, "partner", &unit, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	if (!act_body(req, &c))
		return;
	if ((h = malloc(sizeof(*h))) == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	*h      = c;
	h->back = (reread) { .s = s,
		.req            = req,
		.status         = end ? 200 : 201,
		.change         = { .change = end
		                ? SN__SERVICES__V1__ENROLMENT_CHANGE__ENROLMENT_ENDED
		                : SN__SERVICES__V1__ENROLMENT_CHANGE__ENROLMENT_SESSION,
		            .session_date   = end ? NULL : h->date_s,
		            .outcome        = h->outcome,
		            .note           = h->note,
		            .actor          = h->who.user } };
	sn_http_tx_with_end(req, act_begin, free, h);
}

void
services_enrol_session(sn_http_req *req, void *arg)
{
	act_start(req, arg, false);
}

void
services_enrol_end(sn_http_req *req, void *arg)
{
	act_start(req, arg, true);
}

/* ---- reading enrolments ----------------------------------------------------
 */

/* Who sees what: a partner its projects' enrolments ($A the unit), staff
 * those of households within their jurisdiction ($B the code; the
 * household's village, else township, else district code, as for acting
 * on one and as POST /enrolments admits it); the other is NULL. */
#define VISIBLE(A, B)                                                         \
	"(" A "::text IS NULL OR p.partner_code = " A ") AND (" B             \
	"::text IS NULL OR starts_with(household_place(h), " B "))"

/* The parameters of VISIBLE for who; false (answered 403 no_unit) for a
 * partner whose token names no unit. */
static bool
visibility(sn_http_req *req, const char **unit, const char **juris)
{
	const sn_principal *who = sn_http_principal(req);
	sn_problem          p;
	sn_problem_clear(&p);
	if (!services_unit(who, "partner", unit, &p)) {
		sn_http_problem(req, &p);
		return false;
	}
	if ((*unit)[0] == '\0')
		*unit = NULL;
	*juris = *unit != NULL ? NULL : who->juris;
	return true;
}

static const char     list_sql[]
    = "SELECT " ECOLS EFROM " WHERE e.no > $1::bigint AND " VISIBLE(
        "$3", "$4") " AND ($5::text IS NULL OR e.project_code = $5)"
                    " AND ($6::uuid IS NULL OR e.household_id = $6::uuid)"
                    " AND ($7::text IS NULL OR e.status = $7)"
                    " ORDER BY e.no LIMIT $2::bigint + 1";

static json_t *
erow_item(const void *row, int64_t *key, void *arg)
{
	const erow *r = row;
	(void) arg;
	*key = r->no;
	return erow_json(r);
}

static const sn_page_list_spec list_spec = {
	.cols     = ecols,
	.ncols    = SN_NCOLS(ecols),
	.row_size = sizeof(erow),
	.item     = erow_item,
	.unread   = "the enrolments cannot be read now",
};

/* The list's filters; false when answered (422 invalid_query). */
static bool
list_filters(sn_http_req *req, const char *f[3])
{
	sn_problem q;
	sn_problem_clear(&q);
	f[0] = sn_http_query(req, "project");
	f[1] = sn_http_query(req, "household");
	f[2] = sn_http_query(req, "status");
	if (f[0] != NULL && !sn_in_check_text(f[0], "project", 422, 48, &q))
		sn_http_reply_error(req, 422, "invalid_query",
		    "project: a project code", "project");
	else if (f[1] != NULL && !sn_uuid_valid(f[1]))
		sn_http_reply_error(req, 422, "invalid_query",
		    "household: a household id", "household");
	else if (f[2] != NULL && strcmp(f[2], "active") != 0
	    && strcmp(f[2], "ended") != 0)
		sn_http_reply_error(req, 422, "invalid_query",
		    "status: active or ended", "status");
	else
		return true;
	return false;
}

void
services_enrol_list(sn_http_req *req, void *arg)
{
	services   *s = arg;
	sn_page     page;
	sn_problem  p;
	const char *f[3], *unit, *juris;

	sn_problem_clear(&p);
	if (!sn_page_query(req, &page, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	if (!visibility(req, &unit, &juris) || !list_filters(req, f))
		return;
	const char *v[] = { unit, juris, f[0], f[1], f[2] };
	sn_page_list(req, s->db, &page, list_sql, 5, v, &list_spec, NULL, 0);
}

typedef struct sessions_row {
	const char *sessions_list;
} sessions_row;

static const sn_col sessions_cols[] = {
	SN_COL(sessions_row, sessions_list, SN_COL_TEXT),
};

static const char get_sql[]
    = "SELECT " ECOLS ", (SELECT coalesce(json_agg(json_build_object("
      "'n', s.n, 'date', s.held_on, 'outcome', nullif(s.outcome, ''),"
      " 'note', nullif(s.note, ''), 'recorded_by', s.recorded_by,"
      " 'recorded_at', " STAMP(
          "s.recorded_at") ") ORDER BY s.n),"
                           " '[]'::json) FROM session s WHERE s.enrolment_id "
                           "= e.id)::text"
                           " AS sessions_list" EFROM
                           " WHERE e.id = $1::uuid AND " VISIBLE("$2", "$3");

static void
got(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	erow         r;
	sessions_row sr;
	bool         found = false;
	json_t      *j = NULL, *list = NULL;

	if (err != SN_OK
	    || sn_rows_opt(res, ecols, SN_NCOLS(ecols), &r, &found) != SN_OK
	    || (found
	        && sn_rows_one(
	               res, sessions_cols, SN_NCOLS(sessions_cols), &sr)
	            != SN_OK)) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the enrolment cannot be read now", NULL);
		return;
	}
	if (!found) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such enrolment", "id");
		return;
	}
	if ((j = erow_json(&r)) == NULL
	    || (list = json_loads(sr.sessions_list, 0, NULL)) == NULL) {
		json_decref(j);
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	json_object_set_new(j, "session_list", list);
	sn_http_reply_json(req, 200, j);
}

void
services_enrol_get(sn_http_req *req, void *arg)
{
	services   *s  = arg;
	const char *id = sn_http_param(req, "id");
	const char *unit, *juris;

	if (id == NULL || !sn_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such enrolment", "id");
		return;
	}
	if (!visibility(req, &unit, &juris))
		return;
	const char *v[] = { id, unit, juris };
	sn_db_query(s->db, get_sql, 3, v, got, req);
}

/* ---- GET /statistics/enrolments -------------------------------------------
 */

/* Per enrolment of a household within $3 (as VISIBLE), what it counts in
 * the days $1..$2 (given, active at the end, ended), and per session held
 * in them; grouped four ways (level: GROUPING's bits, 0 domain and
 * township, 1 domain, 2 township, 3 all). */
static const char figures_sql[]
    = "WITH x AS ("
      " SELECT p.domain, e.township_code,"
      "  (e.enrolled_on BETWEEN $1::date AND $2::date)::int AS given,"
      "  (e.enrolled_on <= $2::date AND (e.ended_on IS NULL"
      "   OR e.ended_on > $2::date))::int AS active,"
      "  coalesce(e.ended_on BETWEEN $1::date AND $2::date, false)::int"
      "   AS ended, 0 AS sessions"
      " FROM enrolment e JOIN project p ON p.code = e.project_code"
      " JOIN household h ON h.id = e.household_id"
      " WHERE starts_with(household_place(h), $3)"
      " UNION ALL"
      " SELECT p.domain, e.township_code, 0, 0, 0, 1"
      " FROM session s JOIN enrolment e ON e.id = s.enrolment_id"
      " JOIN project p ON p.code = e.project_code"
      " JOIN household h ON h.id = e.household_id"
      " WHERE s.held_on BETWEEN $1::date AND $2::date"
      " AND starts_with(household_place(h), $3))"
      " SELECT GROUPING(domain, township_code) AS level,"
      " coalesce(domain, '') AS domain,"
      " coalesce(township_code, '') AS township_code,"
      " sum(given)::bigint AS given, sum(active)::bigint AS active,"
      " sum(ended)::bigint AS ended, sum(sessions)::bigint AS sessions"
      " FROM x GROUP BY GROUPING SETS ((domain, township_code), (domain),"
      " (township_code), ())"
      " HAVING sum(given) + sum(active) + sum(ended) + sum(sessions) > 0"
      " ORDER BY level DESC, domain, township_code";

typedef struct fig_row {
	int32_t     level;
	const char *domain, *township_code;
	int64_t     given, active, ended, sessions;
} fig_row;

static const sn_col fig_cols[] = {
	SN_COL(fig_row, level, SN_COL_I32),
	SN_COL(fig_row, domain, SN_COL_TEXT),
	SN_COL(fig_row, township_code, SN_COL_TEXT),
	SN_COL(fig_row, given, SN_COL_I64),
	SN_COL(fig_row, active, SN_COL_I64),
	SN_COL(fig_row, ended, SN_COL_I64),
	SN_COL(fig_row, sessions, SN_COL_I64),
};

typedef struct fig_ctx {
	sn_http_req *req;
	char         from[SN_DATE_STRLEN], to[SN_DATE_STRLEN];
	char         juris[16];
} fig_ctx;

static json_t *
fig_json(const fig_row *r)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:I}", "given",
	    (json_int_t) r->given, "active", (json_int_t) r->active, "ended",
	    (json_int_t) r->ended, "sessions", (json_int_t) r->sessions);
	if (o != NULL && (r->level & 2) == 0)
		json_object_set_new(o, "domain", json_string(r->domain));
	if (o != NULL && (r->level & 1) == 0)
		json_object_set_new(
		    o, "township_code", json_string(r->township_code));
	return o;
}

static json_t *
fig_answer(const fig_ctx *c, sn_rows *rows)
{
	static const fig_row zero = { .level = 3 };
	json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:[], s:[], s:[]}", "from",
	    c->from, "to", c->to, "jurisdiction", c->juris, "totals",
	    fig_json(&zero), "by_domain", "by_township", "by_domain_township");
	static const char *const lists[]
	    = { "by_domain_township", "by_domain", "by_township" };
	for (int i = 0; j != NULL && i < sn_rows_count(rows); i++) {
		fig_row r;
		if (sn_rows_read(rows, i, &r) != SN_OK)
			continue;
		json_t *o = fig_json(&r);
		if (r.level == 3)
			json_object_set_new(j, "totals", o);
		else
			json_array_append_new(
			    json_object_get(j, lists[r.level]), o);
	}
	return j;
}

static void
figured(sn_err err, PGresult *res, void *arg)
{
	fig_ctx *c = arg;
	sn_rows  rows;
	json_t  *j = NULL;
	if (err == SN_OK
	    && sn_rows_open(&rows, res, fig_cols, SN_NCOLS(fig_cols))
	        == SN_OK) {
		j = fig_answer(c, &rows);
		sn_rows_close(&rows);
	}
	if (j == NULL)
		sn_http_reply_error(c->req, 503, "unavailable",
		    "the figures cannot be read now", NULL);
	else
		sn_http_reply_json(c->req, 200, j);
	free(c);
}

/* from and to from the query (default: the year to today); false when
 * answered. */
static bool
fig_days(sn_http_req *req, sn_date *from, sn_date *to)
{
	const char *f = sn_http_query(req, "from");
	const char *t = sn_http_query(req, "to");
	*to           = sn_clock_today();
	*from         = (sn_date) { to->year, 1, 1 };
	if (t != NULL && sn_date_parse(t, to) != SN_OK) {
		sn_http_reply_error(
		    req, 422, "invalid_query", "to: YYYY-MM-DD", "to");
		return false;
	}
	if (f == NULL)
		*from = (sn_date) { to->year, 1, 1 };
	else if (sn_date_parse(f, from) != SN_OK) {
		sn_http_reply_error(
		    req, 422, "invalid_query", "from: YYYY-MM-DD", "from");
		return false;
	}
	if (sn_date_cmp(*from, *to) > 0) {
		sn_http_reply_error(
		    req, 422, "invalid_query", "from is after to", "from");
		return false;
	}
	return true;
}

void
services_enrol_figures(sn_http_req *req, void *arg)
{
	services *s = arg;
	sn_date   from, to;
	fig_ctx  *c;

	if (!fig_days(req, &from, &to))
		return;
	if ((c = malloc(sizeof(*c))) == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	c->req = req;
	sn_date_format(from, c->from);
	sn_date_format(to, c->to);
	snprintf(
	    c->juris, sizeof(c->juris), "%s", sn_http_principal(req)->juris);
	const char *v[] = { c->from, c->to, c->juris };
	sn_db_query(s->db, figures_sql, 3, v, figured, c);
}

/* ---- a household's enrolments ----------------------------------------------
 */

const char services_enrol_household_sql[]
    = "SELECT coalesce(json_agg(json_build_object('id', e.id,"
      " 'project_code', e.project_code, 'project_name_zh', p.name_zh,"
      " 'project_name_en', p.name_en, 'domain', p.domain,"
      " 'partner', p.partner_code, 'member', e.member, 'status', e.status,"
      " 'sessions', e.sessions, 'last_session', e.last_session,"
      " 'outcome', nullif(e.outcome, ''), 'enrolled_on', e.enrolled_on,"
      " 'ended_on', e.ended_on) ORDER BY e.no), '[]'::json)::text AS json"
      " FROM enrolment e JOIN project p ON p.code = e.project_code"
      " WHERE e.household_id = $1::uuid";
