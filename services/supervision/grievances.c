/*
 * grievances.c - see grievances.h.
 *
 * Every change is one transaction: the grievance row (read FOR UPDATE,
 * judged by the pure rules, then written with RETURNING), its history
 * row, the grievance.changed event and, for the 12388 platform, the
 * link's outbound row. The answer is built from the row RETURNING gave,
 * so what the caller sees is what was committed.
 */
#include "grievances.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "sn/auth.h"
#include "sn/clock.h"
#include "sn/config.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/page.h"
#include "sn/supervision/v1/supervision.pb-c.h"
#include "sn/uuid.h"

#define TEXT_MAX 4000
#define NOTE_MAX 2000
#define COMPLAINANT_MAX 200
#define SUBJECT_MAX 64
#define RECEIVED_PAST_DAYS 366

struct supervision_grievances {
	int32_t   days;
	sn_gauge *overdue;
	bool      scanning;
};

static struct supervision_grievances G; /* one supervision per process */

/* ---- the rules --------------------------------------------------------- */

static bool
digits_only(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool
office_valid(const char *c)
{
	size_t n = c != NULL ? strlen(c) : 0;
	return (n == 6 || n == 9 || n == 12) && digits_only(c);
}

bool
supervision_grievance_within(const char *office, const char *area)
{
	if (!office_valid(office) || !office_valid(area))
		return false;
	return strlen(office) >= strlen(area)
	    && strncmp(office, area, strlen(area)) == 0;
}

bool
supervision_grievance_parent(
    const char *office, char out[SUPERVISION_OFFICE_LEN])
{
	size_t n = office != NULL ? strlen(office) : 0;
	if (!office_valid(office) || n == 6)
		return false;
	memcpy(out, office, n - 3);
	out[n - 3] = '\0';
	return true;
}

static const char *const state_names[]
    = { "open", "assigned", "resolved", "appealed", NULL };

bool
supervision_grievance_may_assign(
    const supervision_grievance_facts *g, const char *office, sn_problem *p)
{
	if (!office_valid(office))
		return sn_problem_set(p, 422, "invalid_office", "office",
		    "a division code of 6, 9 or 12 digits");
	if (g->state == SUPERVISION_GRIEVANCE_RESOLVED)
		return sn_problem_set(p, 409, "grievance_resolved", NULL,
		    "the grievance is resolved; appeal it to reopen it");
	if (g->complained_office[0] != '\0'
	    && supervision_grievance_within(office, g->complained_office))
		return sn_problem_set(p, 409, "office_complained_about",
		    "office",
		    "%s is the office complained about (%s) or within it",
		    office, g->complained_office);
	if (g->level > 0
	    && (strcmp(office, g->first_office) == 0
	        || !supervision_grievance_within(g->first_office, office)))
		return sn_problem_set(p, 422, "appeal_needs_higher_office",
		    "office",
		    "an appeal goes to an office above %s, which decided "
		    "first",
		    g->first_office);
	return true;
}

bool
supervision_grievance_may_resolve(
    const supervision_grievance_facts *g, const char *outcome, sn_problem *p)
{
	if (strcmp(outcome, "upheld") != 0
	    && strcmp(outcome, "not_upheld") != 0)
		return sn_problem_set(p, 422, "invalid_outcome", "outcome",
		    "\"upheld\" or \"not_upheld\"");
	if (g->state == SUPERVISION_GRIEVANCE_RESOLVED)
		return sn_problem_set(p, 409, "grievance_resolved", NULL,
		    "the grievance is resolved already");
	if (g->office[0] == '\0')
		return sn_problem_set(p, 409, "not_assigned", NULL,
		    "assign the grievance to an office first");
	return true;
}

bool
supervision_grievance_may_appeal(const supervision_grievance_facts *g,
    char office_out[SUPERVISION_OFFICE_LEN], sn_problem *p)
{
	if (g->state != SUPERVISION_GRIEVANCE_RESOLVED)
		return sn_problem_set(p, 409, "not_resolved", NULL,
		    "only a resolved grievance can be appealed");
	if (g->level > 0)
		return sn_problem_set(p, 409, "already_appealed", NULL,
		    "the grievance was appealed once already");
	if (!supervision_grievance_parent(g->office, office_out))
		return sn_problem_set(p, 409, "no_higher_office", NULL,
		    "%s decided it and has no office above it here",
		    g->office);
	return true;
}

sn_date
supervision_grievance_deadline(sn_date received, int32_t days)
{
	return sn_clock_deadline(received, days);
}

/* ---- rows ----------------------------------------------------------------
 */

typedef struct grow {
	const char *id;
	int64_t     no;
	const char *source;
	const char *tip_id;
	bool        has_tip_id;
	const char *category;
	const char *subject_kind;
	const char *subject_id;
	const char *household_id;
	bool        has_household_id;
	const char *complained_office;
	const char *text;
	const char *complainant;
	sn_date     received_on;
	sn_date     deadline;
	int         state;
	const char *office;
	int32_t     level;
	const char *first_office;
	const char *outcome;
	const char *outcome_note;
	const char *recorded_by;
	const char *recorded_juris;
	const char *created_at;
	const char *updated_at;
} grow;

static const sn_col gcols[] = {
	SN_COL(grow, id, SN_COL_TEXT),
	SN_COL(grow, no, SN_COL_I64),
	SN_COL(grow, source, SN_COL_TEXT),
	SN_COL_OPT(grow, tip_id, SN_COL_TEXT, has_tip_id),
	SN_COL(grow, category, SN_COL_TEXT),
	SN_COL(grow, subject_kind, SN_COL_TEXT),
	SN_COL(grow, subject_id, SN_COL_TEXT),
	SN_COL_OPT(grow, household_id, SN_COL_TEXT, has_household_id),
	SN_COL(grow, complained_office, SN_COL_TEXT),
	SN_COL(grow, text, SN_COL_TEXT),
	SN_COL(grow, complainant, SN_COL_TEXT),
	SN_COL(grow, received_on, SN_COL_DATE),
	SN_COL(grow, deadline, SN_COL_DATE),
	SN_COL_ENUMOF(grow, state, state_names),
	SN_COL(grow, office, SN_COL_TEXT),
	SN_COL(grow, level, SN_COL_I32),
	SN_COL(grow, first_office, SN_COL_TEXT),
	SN_COL(grow, outcome, SN_COL_TEXT),
	SN_COL(grow, outcome_note, SN_COL_TEXT),
	SN_COL(grow, recorded_by, SN_COL_TEXT),
	SN_COL(grow, recorded_juris, SN_COL_TEXT),
	SN_COL(grow, created_at, SN_COL_TEXT),
	SN_COL(grow, updated_at, SN_COL_TEXT),
};

#define STAMP(c)                                                              \
	"to_char(" c " AT TIME ZONE 'UTC', "                                  \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define GCOLS                                                                 \
	"id::text AS id, no, source, tip_id, category, subject_kind,"         \
	" subject_id, household_id, complained_office, text, complainant,"    \
	" received_on::text AS received_on, deadline::text AS deadline,"      \
	" state, office, level, first_office, outcome, outcome_note,"         \
	" recorded_by, recorded_juris, " STAMP(                               \
	    "created_at") " AS created_at, " STAMP("updated_at") " AS "       \
	                                                         "updated_at"

/* Who may see a grievance: its office complained about, its office or
 * the recording clerk's office lies within the caller's jurisdiction
 * ($J); one whose office complained about is unknown (a 12388 tip about
 * a subject supervision has not seen) is the district's to place. */
#define VISIBLE(J)                                                            \
	"(starts_with(complained_office, " J ") OR starts_with(office, " J    \
	") OR starts_with(recorded_juris, " J ") OR (complained_office = ''"  \
	" AND length(" J ") = 6))"

static supervision_grievance_facts
facts(const grow *g)
{
	supervision_grievance_facts f = {
		.state             = (supervision_grievance_state) g->state,
		.level             = g->level,
		.complained_office = g->complained_office,
		.office            = g->office,
		.first_office      = g->first_office,
	};
	return f;
}

static bool
overdue(const grow *g, sn_date today)
{
	return g->state != SUPERVISION_GRIEVANCE_RESOLVED
	    && sn_date_cmp(g->deadline, today) < 0;
}

static json_t *
grow_json(const grow *g, sn_date today)
{
	char rec[SN_DATE_STRLEN], dl[SN_DATE_STRLEN];
	return json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:s?, s:s, s:s, "
	                 "s:s, s:s, s:s, s:b, s:s, s:s?, s:i, s:s?, s:s?, "
	                 "s:s?, s:s, s:s?, s:s, s:s}",
	    "id", g->id, "source", g->source, "tip_id",
	    g->has_tip_id ? g->tip_id : NULL, "category", g->category,
	    "subject_kind", g->subject_kind, "subject_id", g->subject_id,
	    "household_id", g->has_household_id ? g->household_id : NULL,
	    "complained_office", g->complained_office, "text", g->text,
	    "complainant", g->complainant, "received_on",
	    sn_date_format(g->received_on, rec), "deadline",
	    sn_date_format(g->deadline, dl), "overdue", overdue(g, today),
	    "state", state_names[g->state], "office",
	    g->office[0] ? g->office : NULL, "level", (int) g->level,
	    "first_office", g->first_office[0] ? g->first_office : NULL,
	    "outcome", g->outcome[0] ? g->outcome : NULL, "outcome_note",
	    g->outcome_note[0] ? g->outcome_note : NULL, "recorded_by",
	    g->recorded_by, "recorded_office",
	    g->recorded_juris[0] ? g->recorded_juris : NULL, "created_at",
	    g->created_at, "updated_at", g->updated_at);
}

/* ---- what every change does --------------------------------------------- */

static const char history_sql[]
    = "INSERT INTO grievance_history (grievance_id, n, actor, action,"
      " state, office, level, outcome, note)"
      " SELECT $1::uuid, coalesce(max(n), 0) + 1, $2, $3, $4, $5,"
      " $6::int, $7, $8 FROM grievance_history WHERE grievance_id = $1";

/* Whether the 12388 platform hears of it: conduct, or its own tips. */
static bool
reportable(const grow *g)
{
	return strcmp(g->category, "conduct") == 0
	    || strcmp(g->source, "12388") == 0;
}

static sn_err
queue_for_platform(supervision *s, sn_tx *tx, const grow *g,
    const char *action, const char *note)
{
	char   id[64], rec[SN_DATE_STRLEN], dl[SN_DATE_STRLEN];
	char   at[SN_CLOCK_STAMPLEN];
	sn_err err;

	snprintf(id, sizeof(id), "grievance-%s", g->id);
	sn_clock_stamp(at);
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, "
	                      "s:s, s:s?, s:i, s:s, s:s, s:s, s:s?, s:s}",
	    "kind", "grievance", "action", action, "category", g->category,
	    "subject_kind", g->subject_kind, "subject_id", g->subject_id,
	    "complained_office", g->complained_office, "state",
	    state_names[g->state], "office", g->office[0] ? g->office : NULL,
	    "source", g->source, "tip_id", g->has_tip_id ? g->tip_id : NULL,
	    "level", (int) g->level, "received_on",
	    sn_date_format(g->received_on, rec), "deadline",
	    sn_date_format(g->deadline, dl), "text", g->text, "household_id",
	    g->has_household_id ? g->household_id : NULL, "sent_at", at);
	if (c == NULL)
		return SN_ENOMEM;
	if ((err = supervision_link_queue(s, tx, "case", id, c)) != SN_OK)
		return err;
	if (g->state != SUPERVISION_GRIEVANCE_RESOLVED)
		return SN_OK;
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s}", "outcome",
	    g->outcome, "note", note != NULL ? note : "", "office", g->office,
	    "level", (int) g->level, "decided_at", at);
	if (o == NULL)
		return SN_ENOMEM;
	return supervision_link_queue(s, tx, "outcome", id, o);
}

/* The history row, the event and the platform's row of a change whose
 * row is g; SN_OK or the error that fails tx. */
static sn_err
changed(supervision *s, sn_tx *tx, const grow *g, const char *action,
    const char *actor, const char *note)
{
	char level[8], dl[SN_DATE_STRLEN], at[SN_CLOCK_STAMPLEN];
	Sn__Supervision__V1__GrievanceChanged m
	    = SN__SUPERVISION__V1__GRIEVANCE_CHANGED__INIT;
	sn_err err;

	snprintf(level, sizeof(level), "%d", (int) g->level);
	const char *vals[] = { g->id, actor, action, state_names[g->state],
		g->office, level, g->outcome, note != NULL ? note : "" };
	if (sn_tx_query(tx, history_sql, 8, vals, NULL, NULL) != SN_OK)
		return SN_ECLOSED;
	sn_clock_stamp(at);
	m.grievance_id = (char *) g->id;
	m.category     = (char *) g->category;
	m.subject_kind = (char *) g->subject_kind;
	m.subject_id   = (char *) g->subject_id;
	m.source       = (char *) g->source;
	m.state        = (char *) state_names[g->state];
	m.office       = (char *) g->office;
	m.deadline     = sn_date_format(g->deadline, dl);
	m.outcome      = (char *) g->outcome;
	m.at           = at;
	m.household_id
	    = g->has_household_id ? (char *) g->household_id : (char *) "";
	m.complained_office = (char *) g->complained_office;
	m.level             = (uint32_t) g->level;
	m.action            = (char *) action;
	m.tip_id            = g->has_tip_id ? (char *) g->tip_id : (char *) "";
	m.actor             = (char *) actor;
	if ((err = sn_bus_append_msg(
	         s->bus, tx, "grievance.changed", g->id, actor, &m.base))
	    != SN_OK)
		return err;
	if (reportable(g))
		return queue_for_platform(s, tx, g, action, note);
	return SN_OK;
}

/* ---- the office complained about -----------------------------------------
 */

static const char office_sql[]
    = "SELECT coalesce(CASE $1::text"
      " WHEN 'staff' THEN (SELECT data->>'jurisdiction' FROM events"
      "  WHERE subject = $2 AND type = 'user.changed'"
      "  ORDER BY pos DESC LIMIT 1)"
      " WHEN 'case' THEN coalesce("
      "  (SELECT data->>'township_code' FROM events WHERE subject = $2"
      "   AND type = 'case.stage_changed' AND data->>'township_code' <> ''"
      "   ORDER BY pos DESC LIMIT 1),"
      "  (SELECT data->'household'->>'township_code' FROM events"
      "   WHERE subject = $2 AND type IN ('application.submitted',"
      "   'application.resubmitted') ORDER BY pos DESC LIMIT 1))"
      " WHEN 'household' THEN (SELECT data->'household'->>'township_code'"
      "  FROM events WHERE subject = $2 AND type IN"
      "  ('application.submitted', 'application.resubmitted')"
      "  ORDER BY pos DESC LIMIT 1)"
      " END, '') AS office";

typedef struct office_row {
	const char *office;
} office_row;

static const sn_col office_cols[] = {
	SN_COL(office_row, office, SN_COL_TEXT),
};

static const char insert_sql[]
    = "INSERT INTO grievances (source, tip_id, category, subject_kind,"
      " subject_id, household_id, complained_office, text, complainant,"
      " received_on, deadline, recorded_by, recorded_juris)"
      " VALUES ($1, $2, $3, $4, $5, CASE WHEN $4 = 'household' THEN $5"
      " END, $6, $7, $8, $9::date, $10::date, $11, $12)"
      " ON CONFLICT (tip_id) DO NOTHING RETURNING " GCOLS;

/* ---- POST /grievances ----------------------------------------------------
 */

typedef struct record_ctx {
	supervision *s;
	sn_http_req *req;
	const char  *category, *kind, *subject, *text, *complainant;
	const char  *given_office;
	sn_date      received;
	char         actor[64], juris[16];
} record_ctx;

static bool
one_of(const char *v, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(v, *set) == 0)
			return true;
	return false;
}

static const char *const categories[]
    = { "decision", "amount", "delay", "conduct", NULL };
static const char *const kinds[] = { "case", "household", "staff", NULL };

static void
recorded(sn_tx *tx, PGresult *res, void *arg)
{
	record_ctx *c = arg;
	grow        g;
	sn_err      err;
	if ((err = sn_rows_one(res, gcols, SN_NCOLS(gcols), &g)) != SN_OK
	    || (err = changed(c->s, tx, &g, "recorded", c->actor, NULL))
	        != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the grievance could not be recorded", NULL);
		return;
	}
	sn_http_tx_reply(c->req, tx, 201, grow_json(&g, sn_clock_today()));
}

static void
record_office(sn_tx *tx, PGresult *res, void *arg)
{
	record_ctx *c = arg;
	office_row  o;
	char        rec[SN_DATE_STRLEN], dl[SN_DATE_STRLEN];

	if (sn_rows_one(res, office_cols, SN_NCOLS(office_cols), &o)
	    != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the record could not be read", NULL);
		return;
	}
	const char *office = o.office[0] != '\0' ? o.office : c->given_office;
	if (office == NULL || office[0] == '\0') {
		sn_http_tx_fail(c->req, tx, 422, "complained_office_unknown",
		    "the record does not say which office the subject "
		    "belongs to: name it",
		    "complained_office");
		return;
	}
	if (!office_valid(office)) {
		sn_http_tx_fail(c->req, tx, 409, "complained_office_unknown",
		    "the record's office is not a division code",
		    "complained_office");
		return;
	}
	sn_date_format(c->received, rec);
	sn_date_format(
	    supervision_grievance_deadline(c->received, G.days), dl);
	const char *vals[] = { "clerk", NULL, c->category, c->kind, c->subject,
		office, c->text, c->complainant, rec, dl, c->actor, c->juris };
	sn_tx_query(tx, insert_sql, 12, vals, recorded, c);
}

static void
record_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	record_ctx *c      = arg;
	const char *vals[] = { c->kind, c->subject };
	(void) req;
	sn_tx_query(tx, office_sql, 2, vals, record_office, c);
}

void
supervision_grievances_post(sn_http_req *req, void *arg)
{
	static const char *const keys[] = { "category", "subject_kind",
		"subject_id", "text", "complainant", "received_on",
		"complained_office", NULL };
	const sn_principal      *who    = sn_http_principal(req);
	json_t                  *b      = sn_http_json(req);
	sn_problem               p;
	record_ctx c     = { .s = arg, .req = req, .complainant = "" };
	sn_date    today = sn_clock_today();

	sn_problem_clear(&p);
	c.received = today;
	if (!sn_in_only(b, keys, "", &p)
	    || !sn_in_str(b, "category", "", SN_IN_REQUIRED | SN_IN_NONEMPTY,
	        16, &c.category, &p)
	    || !sn_in_str(b, "subject_kind", "",
	        SN_IN_REQUIRED | SN_IN_NONEMPTY, 16, &c.kind, &p)
	    || !sn_in_str(b, "subject_id", "", SN_IN_REQUIRED | SN_IN_NONEMPTY,
	        SUBJECT_MAX, &c.subject, &p)
	    || !sn_in_str(b, "text", "",
	        SN_IN_REQUIRED | SN_IN_NONEMPTY | SN_IN_MULTILINE, TEXT_MAX,
	        &c.text, &p)
	    || !sn_in_str(
	        b, "complainant", "", 0, COMPLAINANT_MAX, &c.complainant, &p)
	    || !sn_in_date(b, "received_on", "", 0, &c.received, &p)
	    || !sn_in_str(b, "complained_office", "", SN_IN_NONEMPTY, 12,
	        &c.given_office, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	if (!one_of(c.category, categories)) {
		sn_http_reply_error(req, 422, "invalid_category",
		    "\"decision\", \"amount\", \"delay\" or \"conduct\"",
		    "category");
		return;
	}
	if (!one_of(c.kind, kinds)) {
		sn_http_reply_error(req, 422, "invalid_subject_kind",
		    "\"case\", \"household\" or \"staff\"", "subject_kind");
		return;
	}
	if (c.given_office != NULL && !office_valid(c.given_office)) {
		sn_http_reply_error(req, 422, "invalid_office",
		    "a division code of 6, 9 or 12 digits",
		    "complained_office");
		return;
	}
	if (sn_date_cmp(c.received, today) > 0
	    || sn_date_diff_days(today, c.received) > RECEIVED_PAST_DAYS) {
		sn_http_reply_error(req, 422, "invalid_received_on",
		    "not after today, nor more than a year before",
		    "received_on");
		return;
	}
	snprintf(c.actor, sizeof(c.actor), "%s", who->user);
	snprintf(c.juris, sizeof(c.juris), "%s", who->juris);
	record_ctx *h = malloc(sizeof(*h));
	if (h == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	*h = c;
	sn_http_tx_with_end(req, record_begin, free, h);
}

/* ---- assign, resolve, appeal -------------------------------------------- */

typedef enum { OP_ASSIGN, OP_RESOLVE, OP_APPEAL } op_kind;

typedef struct op_ctx {
	supervision *s;
	sn_http_req *req;
	op_kind      op;
	char         id[SN_UUID_STRLEN];
	const char  *office;  /* assign */
	const char  *outcome; /* resolve */
	const char  *note;
	char         to[SUPERVISION_OFFICE_LEN]; /* appeal's office */
	char         actor[64], juris[16];
} op_ctx;

static const char lock_sql[]
    = "SELECT " GCOLS " FROM grievances"
      " WHERE id = $1::uuid AND " VISIBLE("$2") " FOR UPDATE";

static const char assign_sql[]
    = "UPDATE grievances SET office = $2, state = CASE WHEN level = 0"
      " THEN 'assigned' ELSE 'appealed' END, updated_at = now()"
      " WHERE id = $1::uuid RETURNING " GCOLS;

static const char resolve_sql[]
    = "UPDATE grievances SET state = 'resolved', outcome = $2,"
      " outcome_note = $3, updated_at = now()"
      " WHERE id = $1::uuid RETURNING " GCOLS;

static const char appeal_sql[]
    = "UPDATE grievances SET state = 'appealed', level = 1,"
      " first_office = office, office = $2, outcome = '',"
      " outcome_note = '', deadline = $3::date, updated_at = now()"
      " WHERE id = $1::uuid RETURNING " GCOLS;

static const char *const op_actions[] = { "assigned", "resolved", "appealed" };

static void
op_done(sn_tx *tx, PGresult *res, void *arg)
{
	op_ctx *c = arg;
	grow    g;
	if (sn_rows_one(res, gcols, SN_NCOLS(gcols), &g) != SN_OK
	    || changed(c->s, tx, &g, op_actions[c->op], c->actor, c->note)
	        != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the grievance could not be changed", NULL);
		return;
	}
	sn_http_tx_reply(c->req, tx, 200, grow_json(&g, sn_clock_today()));
}

static void
op_locked(sn_tx *tx, PGresult *res, void *arg)
{
	op_ctx    *c = arg;
	grow       g;
	bool       found = false;
	sn_problem p;
	char       dl[SN_DATE_STRLEN];

	sn_problem_clear(&p);
	if (sn_rows_opt(res, gcols, SN_NCOLS(gcols), &g, &found) != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the grievance could not be read", NULL);
		return;
	}
	if (!found) {
		sn_http_tx_fail(c->req, tx, 404, "not_found",
		    "no such grievance in your jurisdiction", "id");
		return;
	}
	supervision_grievance_facts f = facts(&g);
	switch (c->op) {
	case OP_ASSIGN:
		if (!supervision_grievance_may_assign(&f, c->office, &p))
			break;
		{
			const char *vals[] = { c->id, c->office };
			sn_tx_query(tx, assign_sql, 2, vals, op_done, c);
		}
		return;
	case OP_RESOLVE:
		if (!supervision_grievance_may_resolve(&f, c->outcome, &p))
			break;
		{
			const char *vals[] = { c->id, c->outcome, c->note };
			sn_tx_query(tx, resolve_sql, 3, vals, op_done, c);
		}
		return;
	case OP_APPEAL:
		if (!supervision_grievance_may_appeal(&f, c->to, &p))
			break;
		sn_date_format(
		    supervision_grievance_deadline(sn_clock_today(), G.days),
		    dl);
		{
			const char *vals[] = { c->id, c->to, dl };
			sn_tx_query(tx, appeal_sql, 3, vals, op_done, c);
		}
		return;
	}
	sn_http_tx_problem(c->req, tx, &p);
}

static void
op_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	op_ctx     *c      = arg;
	const char *vals[] = { c->id, c->juris };
	(void) req;
	sn_tx_query(tx, lock_sql, 2, vals, op_locked, c);
}

static void
op_start(sn_http_req *req, supervision *s, op_kind op)
{
	static const char *const assign_keys[]  = { "office", "note", NULL };
	static const char *const resolve_keys[] = { "outcome", "note", NULL };
	static const char *const appeal_keys[]  = { "note", NULL };
	const char              *id             = sn_http_param(req, "id");
	const sn_principal      *who            = sn_http_principal(req);
	json_t                  *b              = sn_http_json(req);
	sn_problem               p;
	op_ctx c = { .s = s, .req = req, .op = op, .note = "" };

	sn_problem_clear(&p);
	if (id == NULL || !sn_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such grievance", "id");
		return;
	}
	snprintf(c.id, sizeof(c.id), "%s", id);
	bool ok = true;
	switch (op) {
	case OP_ASSIGN:
		ok = sn_in_only(b, assign_keys, "", &p)
		    && sn_in_str(b, "office", "",
		        SN_IN_REQUIRED | SN_IN_NONEMPTY, 12, &c.office, &p)
		    && sn_in_str(
		        b, "note", "", SN_IN_MULTILINE, NOTE_MAX, &c.note, &p);
		break;
	case OP_RESOLVE:
		ok = sn_in_only(b, resolve_keys, "", &p)
		    && sn_in_str(b, "outcome", "",
		        SN_IN_REQUIRED | SN_IN_NONEMPTY, 16, &c.outcome, &p)
		    && sn_in_str(b, "note", "",
		        SN_IN_REQUIRED | SN_IN_NONEMPTY | SN_IN_MULTILINE,
		        NOTE_MAX, &c.note, &p);
		break;
	case OP_APPEAL:
		ok = sn_in_only(b, appeal_keys, "", &p)
		    && sn_in_str(b, "note", "",
		        SN_IN_REQUIRED | SN_IN_NONEMPTY | SN_IN_MULTILINE,
		        NOTE_MAX, &c.note, &p);
		break;
	}
	if (!ok) {
		sn_http_problem(req, &p);
		return;
	}
	snprintf(c.actor, sizeof(c.actor), "%s", who->user);
	snprintf(c.juris, sizeof(c.juris), "%s", who->juris);
	op_ctx *h = malloc(sizeof(*h));
	if (h == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	*h = c;
	sn_http_tx_with_end(req, op_begin, free, h);
}

void
supervision_grievances_assign(sn_http_req *req, void *arg)
{
	op_start(req, arg, OP_ASSIGN);
}

void
supervision_grievances_resolve(sn_http_req *req, void *arg)
{
	op_start(req, arg, OP_RESOLVE);
}

void
supervision_grievances_appeal(sn_http_req *req, void *arg)
{
	op_start(req, arg, OP_APPEAL);
}

/* ---- reading ----------------------------------------------------------- */

typedef struct history_row {
	const char *history;
} history_row;

static const sn_col history_cols[] = {
	SN_COL(history_row, history, SN_COL_TEXT),
};

static const char get_sql[]
    = "SELECT " GCOLS ", (SELECT coalesce(json_agg(json_build_object("
      "'n', n, 'at', " STAMP(
          "at") ", 'actor', actor, 'action', action,"
                " 'state', state, 'office', nullif(office, ''), 'level', "
                "level,"
                " 'outcome', nullif(outcome, ''), 'note', nullif(note, ''))"
                " ORDER BY n), '[]'::json) FROM grievance_history"
                " WHERE grievance_id = g.id)::text AS history"
                " FROM grievances g WHERE id = $1::uuid AND " VISIBLE("$2");

static void
got(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	grow         g;
	history_row  h;
	bool         found = false;

	if (err != SN_OK
	    || sn_rows_opt(res, gcols, SN_NCOLS(gcols), &g, &found) != SN_OK
	    || (found
	        && sn_rows_one(res, history_cols, SN_NCOLS(history_cols), &h)
	            != SN_OK)) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the grievance cannot be read now", NULL);
		return;
	}
	if (!found) {
		sn_http_reply_error(req, 404, "not_found",
		    "no such grievance in your jurisdiction", "id");
		return;
	}
	json_t *j    = grow_json(&g, sn_clock_today());
	json_t *hist = json_loads(h.history, 0, NULL);
	if (j == NULL || hist == NULL) {
		json_decref(j);
		json_decref(hist);
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	json_object_set_new(j, "history", hist);
	sn_http_reply_json(req, 200, j);
}

void
supervision_grievances_get(sn_http_req *req, void *arg)
{
	supervision        *s   = arg;
	const char         *id  = sn_http_param(req, "id");
	const sn_principal *who = sn_http_principal(req);

	if (id == NULL || !sn_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such grievance", "id");
		return;
	}
	const char *vals[] = { id, who->juris };
	sn_db_query(s->db, get_sql, 2, vals, got, req);
}

static const char list_sql[]
    = "SELECT " GCOLS " FROM grievances WHERE no > $1::bigint AND " VISIBLE(
        "$3") " AND ($4::text IS NULL OR state = $4)"
              " AND ($5::text IS NULL OR category = $5)"
              " AND ($6::text IS NULL OR subject_kind = $6)"
              " AND ($7::text IS NULL OR subject_id = $7)"
              " AND ($8::text IS NULL OR office = $8)"
              " AND ($9::text IS NULL OR source = $9)"
              " AND ($10::bool IS NULL OR"
              "  ((state <> 'resolved' AND deadline < $11::date) = $10))"
              " ORDER BY no LIMIT $2::bigint + 1";

typedef struct list_ctx {
	sn_http_req *req;
	int64_t      limit;
} list_ctx;

static void
listed(sn_err err, PGresult *res, void *arg)
{
	list_ctx *c = arg;
	sn_rows   rows;
	json_t   *items = json_array();
	int64_t   last  = 0;
	bool      more  = false;
	sn_date   today = sn_clock_today();

	if (err != SN_OK || items == NULL
	    || sn_rows_open(&rows, res, gcols, SN_NCOLS(gcols)) != SN_OK) {
		json_decref(items);
		sn_http_reply_error(c->req, 503, "unavailable",
		    "the grievances cannot be read now", NULL);
		free(c);
		return;
	}
	for (int i = 0; i < sn_rows_count(&rows); i++) {
		grow g;
		if (i == c->limit) {
			more = true;
			break;
		}
		if (sn_rows_read(&rows, i, &g) != SN_OK)
			continue;
		json_array_append_new(items, grow_json(&g, today));
		last = g.no;
	}
	sn_rows_close(&rows);
	json_t *page = sn_page_answer(items, more, last);
	if (page == NULL)
		sn_http_reply_error(
		    c->req, 503, "unavailable", "out of memory", NULL);
	else
		sn_http_reply_json(c->req, 200, page);
	free(c);
}

void
supervision_grievances_list(sn_http_req *req, void *arg)
{
	static const char *const filters[] = { "state", "category",
		"subject_kind", "subject_id", "office", "source" };
	supervision             *s         = arg;
	const sn_principal      *who       = sn_http_principal(req);
	sn_page                  page;
	sn_problem               p;
	const char              *f[6];
	char                     after[24], limit[24], today[SN_DATE_STRLEN];

	sn_problem_clear(&p);
	if (!sn_page_query(req, &page, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	for (size_t i = 0; i < 6; i++) {
		f[i] = sn_http_query(req, filters[i]);
		if (f[i] != NULL
		    && !sn_in_check_text(f[i], filters[i], 422, 64, &p)) {
			sn_http_problem(req, &p);
			return;
		}
	}
	const char *od = sn_http_query(req, "overdue");
	if (od != NULL && strcmp(od, "true") != 0
	    && strcmp(od, "false") != 0) {
		sn_http_reply_error(req, 422, "invalid_query",
		    "overdue: true or false", "overdue");
		return;
	}
	list_ctx *c = malloc(sizeof(*c));
	if (c == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	c->req   = req;
	c->limit = page.limit;
	snprintf(after, sizeof(after), "%" PRId64, page.after);
	snprintf(limit, sizeof(limit), "%" PRId64, page.limit);
	sn_date_format(sn_clock_today(), today);
	const char *vals[] = { after, limit, who->juris, f[0], f[1], f[2],
		f[3], f[4], f[5], od, today };
	sn_db_query(s->db, list_sql, 11, vals, listed, c);
}

/* ---- from the platform ------------------------------------------------- */

typedef struct tip_ctx {
	supervision *s;
	char        *tip_id, *kind, *subject, *category, *text, *reporter;
	void (*done)(sn_tx *tx, void *arg);
	void *arg;
} tip_ctx;

static void
tip_free(tip_ctx *c)
{
	free(c->tip_id);
	free(c->kind);
	free(c->subject);
	free(c->category);
	free(c->text);
	free(c->reporter);
	free(c);
}

static void
tip_finish(sn_tx *tx, void *arg)
{
	tip_ctx *c = arg;
	c->done(tx, c->arg);
	tip_free(c);
}

static void
tip_recorded(sn_tx *tx, PGresult *res, void *arg)
{
	tip_ctx *c = arg;
	grow     g;
	bool     found = false;
	if (sn_rows_opt(res, gcols, SN_NCOLS(gcols), &g, &found) != SN_OK
	    || (found
	        && changed(c->s, tx, &g, "recorded", "12388", NULL)
	            != SN_OK)) {
		sn_tx_rollback(tx, SN_EDB);
		tip_free(c);
		return;
	}
	if (sn_tx_then(tx, tip_finish, c) != SN_OK)
		tip_free(c);
}

static void
tip_office(sn_tx *tx, PGresult *res, void *arg)
{
	tip_ctx   *c = arg;
	office_row o;
	char       rec[SN_DATE_STRLEN], dl[SN_DATE_STRLEN];
	sn_date    today = sn_clock_today();

	if (sn_rows_one(res, office_cols, SN_NCOLS(office_cols), &o)
	    != SN_OK) {
		sn_tx_rollback(tx, SN_EDB);
		tip_free(c);
		return;
	}
	sn_date_format(today, rec);
	sn_date_format(supervision_grievance_deadline(today, G.days), dl);
	const char *vals[] = { "12388", c->tip_id, c->category, c->kind,
		c->subject, office_valid(o.office) ? o.office : "", c->text,
		c->reporter, rec, dl, "12388", "" };
	if (sn_tx_query(tx, insert_sql, 12, vals, tip_recorded, c) != SN_OK)
		tip_free(c);
}

sn_err
supervision_grievances_from_tip(supervision *s, sn_tx *tx,
    const supervision_grievance_tip *tip, void (*done)(sn_tx *tx, void *arg),
    void                            *arg)
{
	tip_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return SN_ENOMEM;
	c->s    = s;
	c->done = done;
	c->arg  = arg;
	if ((c->tip_id = strdup(tip->tip_id)) == NULL
	    || (c->kind = strdup(tip->subject_kind)) == NULL
	    || (c->subject = strdup(tip->subject_id)) == NULL
	    || (c->category = strdup(tip->category)) == NULL
	    || (c->text = strdup(tip->text)) == NULL
	    || (c->reporter = strdup(tip->reporter ? tip->reporter : ""))
	        == NULL) {
		tip_free(c);
		return SN_ENOMEM;
	}
	const char *vals[] = { c->kind, c->subject };
	if (sn_tx_query(tx, office_sql, 2, vals, tip_office, c) != SN_OK) {
		tip_free(c);
		return SN_ECLOSED;
	}
	return SN_OK;
}

/* ---- overdue -------------------------------------------------------------
 */

typedef struct count_row {
	int64_t n;
} count_row;

static const sn_col count_cols[] = {
	SN_COL(count_row, n, SN_COL_I64),
};

static void
scanned(sn_err err, PGresult *res, void *arg)
{
	count_row r;
	(void) arg;
	G.scanning = false;
	if (err == SN_OK
	    && sn_rows_one(res, count_cols, SN_NCOLS(count_cols), &r) == SN_OK)
		sn_gauge_set(G.overdue, r.n);
}

static void
scan(void *arg)
{
	supervision *s = arg;
	char         today[SN_DATE_STRLEN];
	if (G.scanning)
		return;
	G.scanning = true;
	sn_date_format(sn_clock_today(), today);
	const char *vals[] = { today };
	sn_db_query(s->db,
	    "SELECT count(*) AS n FROM grievances"
	    " WHERE state <> 'resolved' AND deadline < $1::date",
	    1, vals, scanned, s);
}

sn_err
supervision_grievances_setup(supervision *s)
{
	G.days = (int32_t) sn_config_int(
	    "SN_SUPERVISION_GRIEVANCE_DAYS", 15, 1, 365);
	int64_t scan_ms = sn_config_int(
	    "SN_SUPERVISION_GRIEVANCE_SCAN_MS", 60000, 50, 86400000);
	G.overdue = sn_metrics_gauge(s->metrics,
	    "sn_supervision_grievances_overdue",
	    "Grievances not resolved by their deadline (district day)", NULL);
	if (G.overdue == NULL)
		return SN_ENOMEM;
	return sn_service_every(s->svc, 0, (uint64_t) scan_ms, scan, s);
}
