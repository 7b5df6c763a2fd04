/*
 * households.c - the households from the streams, their needs, routing,
 * and the household view; see households.h.
 *
 * Each event's work is a chain on the apply transaction: one statement
 * that writes what the event says (a function of schema 002 where a
 * household has to be found or joined) and returns the household's id,
 * then the refresh: the household, its members and its staff-noted needs
 * are read, the rules derive the needs and, when something is to be
 * routed, the referrals (referrals.h). The bus waits for the chain's
 * callbacks before the stream's next event.
 */
#include "households.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "enrol.h"
#include "referrals.h"
#include "registry.h"
#include "rules.h"
#include "sn/assist.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/auth.h"
#include "sn/clock.h"
#include "sn/config.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/uuid.h"

#define STAFF_NEEDS_MAX 128

typedef enum refresh_mode {
	MODE_FACTS,     /* the facts or the decision changed */
	MODE_REVIEW,    /* a review's outcome: route again */
	MODE_EMERGENCY, /* an emergency referral: route its kind */
} refresh_mode;

/* What a refresh is for: the event's trigger and who caused it. */
typedef struct refresh_why {
	refresh_mode             mode;
	char                     trigger[96];
	const char              *actor; /* borrowed from the event's msg */
	const char              *note;
	const services_kind_def *kind; /* MODE_EMERGENCY */
} refresh_why;

/*
 * One followed stream's work in progress (households.h). The bus calls
 * the stream's next handler as soon as the statement this event's
 * handler queued has answered, while the refresh that answer starts is
 * still reading: a handler sets next (prepare) and the refresh takes it
 * into why when it starts (refresh_start), so that the next event's
 * handler cannot change what this refresh routes for. The next refresh
 * starts only after this one has queued its writes.
 */
typedef struct refresh {
	services   *s;
	refresh_why next; /* the handler's, until a refresh starts */
	refresh_why why;  /* the running refresh's */
	char        id[SN_UUID_STRLEN];
	bool        found, bad;
	/* The household as read. */
	bool           known, approved, due;
	int32_t        decision_revision;
	unsigned       labels;
	char           category[16], tier[16], decided_by[64];
	services_facts facts;
	int32_t        ages[SERVICES_MEMBERS_MAX];
	size_t         nstaff;
	int32_t        staff_member[STAFF_NEEDS_MAX];
	char           staff[STAFF_NEEDS_MAX][SERVICES_CODE_LEN];
	/* Derived. */
	services_need  needs[SERVICES_NEEDS_MAX];
	size_t         nfacts, nneeds;
	services_route routes[SERVICES_ROUTES_MAX];
} refresh;

enum { STREAM_INTAKE, STREAM_APPROVAL, STREAM_EMERGENCY, NSTREAMS };
static refresh streams[NSTREAMS];

/* protobuf-c's strings, "" for NULL. */
static const char *
text_or(const char *s)
{
	return s != NULL ? s : "";
}

static const char *
uuid_or_null(const char *s)
{
	return s != NULL && sn_uuid_valid(s) ? s : NULL;
}

static sn_err
bad_event(const sn_event *ev, const char *why)
{
	sn_log(SN_LOG_WARN, "services: malformed event", "type", ev->type,
	    "subject", ev->subject, "why", why, NULL);
	return SN_EPROTO;
}

/* Whether an event may be taken now: SN_OK; SN_EBUSY (the bus retries)
 * until the registry is in the tables; SN_EPROTO (logged) when id, the
 * event's field named what, is not a uuid. */
static sn_err
takeable(
    const refresh *r, const sn_event *ev, const char *id, const char *what)
{
	char why[64];
	if (!r->s->referrals->stored)
		return SN_EBUSY;
	if (!sn_uuid_valid(id)) {
		snprintf(why, sizeof(why), "%s is not a uuid", what);
		return bad_event(ev, why);
	}
	return SN_OK;
}

/* An event's revision as text (1 when it names none). */
static const char *
revision_text(int32_t revision, char buf[16])
{
	snprintf(buf, 16, "%d", revision > 0 ? (int) revision : 1);
	return buf;
}

/* The division codes of an event's household ("" without one). */
typedef struct division {
	const char *district, *township, *village;
} division;

static division
division_of(const Sn__Assist__V1__Household *h)
{
	division d = { "", "", "" };
	if (h != NULL)
		d = (division) { text_or(h->district_code),
			text_or(h->township_code), text_or(h->village_code) };
	return d;
}

static void
fail(sn_tx *tx, sn_err err)
{
	if (!sn_tx_failed(tx))
		sn_tx_rollback(tx, err);
}

/* ---- reading the household ---------------------------------------------- */

typedef struct house_row {
	bool        has_facts, approved, decision_due;
	int64_t     wages_fen, business_fen, medical_fen, housing_fen;
	int64_t     education_fen;
	int32_t     decision_revision;
	const char *emergency_cause, *category, *tier, *decided_by, *labels;
} house_row;

static const sn_col house_cols[] = {
	SN_COL(house_row, has_facts, SN_COL_BOOL),
	SN_COL(house_row, approved, SN_COL_BOOL),
	SN_COL(house_row, decision_due, SN_COL_BOOL),
	SN_COL(house_row, wages_fen, SN_COL_I64),
	SN_COL(house_row, business_fen, SN_COL_I64),
	SN_COL(house_row, medical_fen, SN_COL_I64),
	SN_COL(house_row, housing_fen, SN_COL_I64),
	SN_COL(house_row, education_fen, SN_COL_I64),
	SN_COL(house_row, decision_revision, SN_COL_I32),
	SN_COL(house_row, emergency_cause, SN_COL_TEXT),
	SN_COL(house_row, category, SN_COL_TEXT),
	SN_COL(house_row, tier, SN_COL_TEXT),
	SN_COL(house_row, decided_by, SN_COL_TEXT),
	SN_COL(house_row, labels, SN_COL_TEXT),
};

static const char house_sql[]
    = "SELECT h.has_facts, coalesce(h.approved, false) AS approved,"
      " h.wages_fen, h.business_fen, h.medical_fen, h.housing_fen,"
      " h.education_fen, h.decision_revision, h.emergency_cause,"
      " h.category, h.tier, h.decided_by,"
      " array_to_string(h.decision_referrals, ',') AS labels,"
      " (h.decision_revision > 0 AND h.has_facts"
      "  AND h.revision >= h.decision_revision AND NOT EXISTS"
      "  (SELECT 1 FROM routing g WHERE g.household_id = h.id"
      "  AND g.trigger = 'decision:' || h.decision_revision))"
      " AS decision_due FROM household h WHERE h.id = $1::uuid";

typedef struct member_row {
	int32_t     member, disability_grade;
	bool        has_birth_date;
	sn_date     birth_date;
	const char *labour, *self_care;
} member_row;

static const sn_col member_cols[] = {
	SN_COL(member_row, member, SN_COL_I32),
	SN_COL(member_row, disability_grade, SN_COL_I32),
	SN_COL_OPT(member_row, birth_date, SN_COL_DATE, has_birth_date),
	SN_COL(member_row, labour, SN_COL_TEXT),
	SN_COL(member_row, self_care, SN_COL_TEXT),
};

static const char members_sql[]
    = "SELECT member, disability_grade, birth_date, labour, self_care"
      " FROM member WHERE household_id = $1::uuid AND member <= 30"
      " ORDER BY member";

typedef struct staff_row {
	int32_t     member;
	const char *need;
} staff_row;

static const sn_col staff_cols[] = {
	SN_COL(staff_row, member, SN_COL_I32),
	SN_COL(staff_row, need, SN_COL_TEXT),
};

static const char staff_sql[]
    = "SELECT member, need FROM need WHERE household_id = $1::uuid"
      " AND source = 'staff' ORDER BY member, need LIMIT 128";

/* The decision's label ("medical,housing") as bits of types. */
static unsigned
labels_of(const char *list)
{
	char     buf[128];
	unsigned bits = 0;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save))
		bits |= 1u << services_rules_type_parse(t);
	return bits & ~1u;
}

static void
got_house(sn_tx *tx, PGresult *res, void *arg)
{
	refresh  *r = arg;
	house_row h;
	(void) tx;
	if (sn_rows_opt(res, house_cols, SN_NCOLS(house_cols), &h, &r->found)
	    != SN_OK) {
		r->bad = true;
		return;
	}
	if (!r->found)
		return;
	r->known             = h.has_facts;
	r->approved          = h.approved;
	r->due               = h.decision_due;
	r->decision_revision = h.decision_revision;
	r->labels            = labels_of(h.labels);
	snprintf(r->category, sizeof(r->category), "%s", h.category);
	snprintf(r->tier, sizeof(r->tier), "%s", h.tier);
	snprintf(r->decided_by, sizeof(r->decided_by), "%s", h.decided_by);
	r->facts.wages_fen     = h.wages_fen;
	r->facts.business_fen  = h.business_fen;
	r->facts.medical_fen   = h.medical_fen;
	r->facts.housing_fen   = h.housing_fen;
	r->facts.education_fen = h.education_fen;
	r->facts.cause         = services_rules_cause_parse(h.emergency_cause);
}

static void
got_members(sn_tx *tx, PGresult *res, void *arg)
{
	refresh *r = arg;
	sn_rows  rows;
	(void) tx;
	if (sn_rows_open(&rows, res, member_cols, SN_NCOLS(member_cols))
	    != SN_OK) {
		r->bad = true;
		return;
	}
	for (int i = 0; i < sn_rows_count(&rows); i++) {
		member_row m;
		if (sn_rows_read(&rows, i, &m) != SN_OK || m.member < 1
		    || m.member > SERVICES_MEMBERS_MAX) {
			r->bad = true;
			break;
		}
		services_member_facts *f = &r->facts.members[m.member - 1];
		f->has_birth             = m.has_birth_date;
		f->birth                 = m.birth_date;
		f->labour           = services_rules_labour_parse(m.labour);
		f->disability_grade = m.disability_grade;
		f->self_care        = services_rules_care_parse(m.self_care);
		if ((size_t) m.member > r->facts.nmembers)
			r->facts.nmembers = (size_t) m.member;
	}
	sn_rows_close(&rows);
}

static void
got_staff(sn_tx *tx, PGresult *res, void *arg)
{
	refresh *r = arg;
	sn_rows  rows;
	(void) tx;
	if (sn_rows_open(&rows, res, staff_cols, SN_NCOLS(staff_cols))
	    != SN_OK) {
		r->bad = true;
		return;
	}
	for (int i = 0;
	     i < sn_rows_count(&rows) && r->nstaff < STAFF_NEEDS_MAX; i++) {
		staff_row n;
		if (sn_rows_read(&rows, i, &n) != SN_OK) {
			r->bad = true;
			break;
		}
		r->staff_member[r->nstaff] = n.member;
		snprintf(r->staff[r->nstaff], SERVICES_CODE_LEN, "%s", n.need);
		r->nstaff++;
	}
	sn_rows_close(&rows);
}

/* ---- deriving and routing ----------------------------------------------- */

static const char needs_delete_sql[]
    = "DELETE FROM need WHERE household_id = $1::uuid AND source = 'facts'"
      " AND (member, need) NOT IN"
      " (SELECT * FROM unnest($2::int[], $3::text[]))";

static const char needs_insert_sql[]
    = "INSERT INTO need (household_id, member, need, source)"
      " SELECT $1::uuid, x.m, x.n, 'facts'"
      " FROM unnest($2::int[], $3::text[]) AS x(m, n)"
      " ON CONFLICT DO NOTHING";

/* Writes the derived needs (r->needs[0..nfacts)). */
static sn_err
write_needs(refresh *r, sn_tx *tx)
{
	sn_pgarray members, needs;
	sn_err     err = SN_ENOMEM;
	sn_pgarray_init(&members);
	sn_pgarray_init(&needs);
	for (size_t i = 0; i < r->nfacts; i++) {
		sn_pgarray_add_i64(&members, r->needs[i].member);
		sn_pgarray_add(&needs, r->needs[i].need);
	}
	const char *vals[]
	    = { r->id, sn_pgarray_text(&members), sn_pgarray_text(&needs) };
	if (vals[1] != NULL && vals[2] != NULL
	    && (err = sn_tx_query(tx, needs_delete_sql, 3, vals, NULL, NULL))
	        == SN_OK)
		err = sn_tx_query(tx, needs_insert_sql, 3, vals, NULL, NULL);
	sn_pgarray_fini(&members);
	sn_pgarray_fini(&needs);
	return err;
}

/* Derives the needs: the facts' (first nfacts) and then the staff's. */
static void
derive(refresh *r, sn_date today)
{
	r->nfacts = services_rules_needs(
	    &r->facts, today, r->needs, SERVICES_NEEDS_MAX);
	r->nneeds = r->nfacts;
	for (size_t i = 0; i < r->nstaff && r->nneeds < SERVICES_NEEDS_MAX;
	     i++)
		r->needs[r->nneeds++]
		    = (services_need) { r->staff_member[i], r->staff[i] };
	for (size_t i = 0; i < r->facts.nmembers; i++)
		r->ages[i] = r->facts.members[i].has_birth
		    ? services_match_age(r->facts.members[i].birth, today)
		    : -1;
}

static services_route_in
route_input(const refresh *r)
{
	const struct services_referrals *x = r->s->referrals;
	services_route_in                in;
	memset(&in, 0, sizeof(in));
	in.category = r->category;
	in.refer    = x->refer;
	in.nrefer   = x->nrefer;
	in.kinds    = services_registry_kinds(x->registry, &in.nkinds);
	for (int t = 1; t < SERVICES_NTYPES; t++)
		in.defaults[t] = services_registry_default(
		    x->registry, (services_type) t);
	in.needs    = r->needs;
	in.nneeds   = r->nneeds;
	in.nmembers = r->facts.nmembers;
	in.ages     = r->ages;
	return in;
}

/* An emergency referral: its one kind, for the household, with the need
 * its grant's cause brings. */
static size_t
emergency_route(refresh *r)
{
	const char *need = services_rules_cause_need(r->facts.cause);
	r->routes[0] = (services_route) { .kind = r->why.kind, .member = 0 };
	if (need != NULL) {
		r->routes[0].needs[0] = need;
		r->routes[0].nneeds   = 1;
	}
	return 1;
}

/* What is to be routed now, into g; false when nothing is. */
static bool
plan(refresh *r, sn_date today, services_routing *g)
{
	services_route_in in = route_input(r);
	memset(g, 0, sizeof(*g));
	g->household_id = r->id;
	g->trigger      = r->why.trigger;
	g->category     = r->category;
	g->tier         = r->tier;
	g->today        = today;
	g->routes       = r->routes;
	g->note         = "";
	g->routed_by = r->why.actor != NULL && r->why.actor[0] ? r->why.actor
	                                                       : "system";
	switch (r->why.mode) {
	case MODE_EMERGENCY:
		g->source  = "emergency";
		g->note    = text_or(r->why.note);
		g->nroutes = emergency_route(r);
		if (r->category[0] == '\0') {
			g->category = "emergency";
			g->tier     = "universal";
		}
		return true;
	case MODE_REVIEW:
		g->source  = "review";
		g->nroutes = r->known
		    ? services_rules_route(&in, r->routes, SERVICES_ROUTES_MAX)
		    : 0;
		return r->known;
	case MODE_FACTS:
		break;
	}
	if (!r->due)
		return false;
	snprintf(r->why.trigger, sizeof(r->why.trigger), "decision:%d",
	    (int) r->decision_revision);
	in.labels    = r->labels;
	g->source    = "decision";
	g->routed_by = r->decided_by[0] ? r->decided_by : "system";
	g->nroutes   = r->approved
	      ? services_rules_route(&in, r->routes, SERVICES_ROUTES_MAX)
	      : 0;
	return true;
}

static void
refreshed(sn_tx *tx, void *arg)
{
	refresh         *r     = arg;
	sn_date          today = sn_clock_today();
	services_routing g;
	sn_err           err;
	if (r->bad) {
		fail(tx, SN_EDB);
		return;
	}
	if (!r->found)
		return;
	derive(r, today);
	if ((err = write_needs(r, tx)) != SN_OK
	    || (plan(r, today, &g)
	        && (err = services_referrals_route(r->s, tx, &g)) != SN_OK))
		fail(tx, err);
}

/* Reads household id and goes on in refreshed, for what r->next says
 * (set by the caller). */
static void
refresh_start(refresh *r, sn_tx *tx, const char *id)
{
	services   *s    = r->s;
	refresh_why next = r->next;
	memset(r, 0, sizeof(*r));
	r->s    = s;
	r->next = next;
	r->why  = next;
	snprintf(r->id, sizeof(r->id), "%s", id);
	const char *vals[] = { r->id };
	if (sn_tx_query(tx, house_sql, 1, vals, got_house, r) != SN_OK
	    || sn_tx_query(tx, members_sql, 1, vals, got_members, r) != SN_OK
	    || sn_tx_query(tx, staff_sql, 1, vals, got_staff, r) != SN_OK
	    || sn_tx_then(tx, refreshed, r) != SN_OK)
		fail(tx, SN_ECLOSED);
}

/* Sets what the refresh an event's statement may start is for. */
static void
prepare(refresh *r, refresh_mode mode, const char *trigger, const char *actor,
    const char *note, const services_kind_def *kind)
{
	r->next.mode  = mode;
	r->next.actor = actor;
	r->next.note  = note;
	r->next.kind  = kind;
	snprintf(
	    r->next.trigger, sizeof(r->next.trigger), "%s", text_or(trigger));
}

typedef struct id_row {
	const char *id;
	bool        has_id;
} id_row;

static const sn_col id_cols[] = {
	SN_COL_OPT(id_row, id, SN_COL_TEXT, has_id),
};

/* A statement's answer of one household id (NULL or no row: nothing to
 * refresh) goes on to the refresh. */
static void
took(sn_tx *tx, PGresult *res, void *arg)
{
	refresh *r = arg;
	id_row   row;
	bool     found = false;
	if (sn_rows_opt(res, id_cols, SN_NCOLS(id_cols), &row, &found)
	    != SN_OK) {
		fail(tx, SN_EDB);
		return;
	}
	if (found && row.has_id)
		refresh_start(r, tx, row.id);
}

/* ---- intake ------------------------------------------------------------- */

static const char application_sql[]
    = "SELECT take_application($1::uuid, $2::uuid, $3::int, $4, $5, $6,"
      " $7, $8::bigint, $9::bigint, $10::bigint, $11::bigint,"
      " $12::bigint, $13::bigint, $14::text[], $15::text[], $16::date[],"
      " $17::text[], $18::int[], $19::text[])::text AS id";

typedef struct member_arrays {
	sn_pgarray names, relations, births, labours, grades, cares;
} member_arrays;

static void
arrays_init(member_arrays *a)
{
	sn_pgarray_init(&a->names);
	sn_pgarray_init(&a->relations);
	sn_pgarray_init(&a->births);
	sn_pgarray_init(&a->labours);
	sn_pgarray_init(&a->grades);
	sn_pgarray_init(&a->cares);
}

static void
arrays_fini(member_arrays *a)
{
	sn_pgarray_fini(&a->names);
	sn_pgarray_fini(&a->relations);
	sn_pgarray_fini(&a->births);
	sn_pgarray_fini(&a->labours);
	sn_pgarray_fini(&a->grades);
	sn_pgarray_fini(&a->cares);
}

/* The members as arrays (no identity numbers); false for a name or
 * relation that is not clean text. */
static bool
member_arrays_fill(
    member_arrays *a, const Sn__Assist__V1__ApplicationSubmitted *m)
{
	char   date[SN_DATE_STRLEN];
	size_t n = m->n_members < SERVICES_MEMBERS_MAX ? m->n_members
	                                               : SERVICES_MEMBERS_MAX;
	for (size_t i = 0; i < n; i++) {
		const Sn__Assist__V1__Member *p = m->members[i];
		sn_date                       d;
		if (!sn_in_text_ok(text_or(p->name), false)
		    || !sn_in_text_ok(text_or(p->relation), false))
			return false;
		bool birth = p->birth_date != NULL
		    && sn_date_parse(p->birth_date, &d) == SN_OK;
		sn_pgarray_add(&a->names, text_or(p->name));
		sn_pgarray_add(&a->relations, text_or(p->relation));
		sn_pgarray_add(
		    &a->births, birth ? sn_date_format(d, date) : NULL);
		sn_pgarray_add(&a->labours,
		    services_rules_labour_name(
		        (services_labour) p->labour_capacity));
		sn_pgarray_add_i64(&a->grades,
		    p->disability_grade >= 0 && p->disability_grade <= 4
		        ? p->disability_grade
		        : 0);
		sn_pgarray_add(&a->cares,
		    services_rules_care_name((services_care) p->self_care));
	}
	return true;
}

typedef struct money_text {
	char v[6][24];
} money_text;

static void
money_fill(money_text *t, const Sn__Assist__V1__ApplicationSubmitted *m)
{
	const Sn__Assist__V1__Income      *in = m->declared_income;
	const Sn__Assist__V1__Expenditure *ex = m->declared_expenditure;
	int64_t v[6] = { in ? in->wages_fen : 0, in ? in->business_fen : 0,
		ex ? ex->medical_fen : 0, ex ? ex->education_fen : 0,
		ex ? ex->housing_fen : 0, ex ? ex->employment_costs_fen : 0 };
	for (int i = 0; i < 6; i++)
		snprintf(t->v[i], sizeof(t->v[i]), "%" PRId64, v[i]);
}

static sn_err
on_submitted(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__ApplicationSubmitted *m
	    = (const Sn__Assist__V1__ApplicationSubmitted *) msg;
	refresh                         *r = arg;
	const Sn__Assist__V1__Household *h = m->household;
	division                         d = division_of(h);
	member_arrays                    a;
	money_text                       t;
	char                             rev[16];
	sn_err                           err;
	if ((err = takeable(r, ev, m->application_id, "application_id"))
	    != SN_OK)
		return err;
	err = SN_ENOMEM;
	arrays_init(&a);
	if (!member_arrays_fill(&a, m)) {
		arrays_fini(&a);
		return bad_event(ev, "a member's name is not clean text");
	}
	money_fill(&t, m);
	const char *vals[] = { m->application_id, uuid_or_null(m->referral_id),
		revision_text(m->revision, rev),
		sn_assist_or(sn_assist_registration_name(
		                 h != NULL ? (int) h->registration : 0),
		    ""),
		d.district, d.township, d.village, t.v[0], t.v[1], t.v[2],
		t.v[3], t.v[4], t.v[5], sn_pgarray_text(&a.names),
		sn_pgarray_text(&a.relations), sn_pgarray_text(&a.births),
		sn_pgarray_text(&a.labours), sn_pgarray_text(&a.grades),
		sn_pgarray_text(&a.cares) };
	prepare(r, MODE_FACTS, NULL, NULL, NULL, NULL);
	bool ok = true;
	for (size_t i = 13; i < 19; i++)
		ok = ok && vals[i] != NULL;
	if (ok)
		err = sn_tx_query(tx, application_sql, 19, vals, took, r);
	arrays_fini(&a);
	return err;
}

/* ---- approval ----------------------------------------------------------- */

/* The household of an application, made when unknown; a statement of
 * its own, so that the next one sees the row it may have made. */
static const char household_sql[]
    = "SELECT household_of_application($1::uuid)";

static const char decided_sql[]
    = "UPDATE household h SET approved = $2::bool, category = $3,"
      " tier = $4, decided_by = $5, decided_at = now(),"
      " decision_revision = $6::int, decision_referrals = $7::text[],"
      " district_code = CASE WHEN h.has_facts THEN h.district_code"
      "  ELSE $8 END,"
      " township_code = CASE WHEN h.has_facts THEN h.township_code"
      "  ELSE $9 END,"
      " village_code = CASE WHEN h.has_facts THEN h.village_code"
      "  ELSE $10 END, updated_at = now()"
      " WHERE h.application_id = $1::uuid"
      " AND h.decision_revision <= $6::int RETURNING h.id::text AS id";

static sn_err
on_decided(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__ApplicationDecided *m
	    = (const Sn__Assist__V1__ApplicationDecided *) msg;
	refresh                         *r = arg;
	const Sn__Assist__V1__Household *h = m->household;
	division                         d = division_of(h);
	sn_pgarray                       labels;
	char                             rev[16];
	sn_err                           err;
	if ((err = takeable(r, ev, m->application_id, "application_id"))
	    != SN_OK)
		return err;
	err = SN_ENOMEM;
	if (!sn_in_text_ok(text_or(m->decided_by), false))
		return bad_event(ev, "decided_by is not clean text");
	sn_pgarray_init(&labels);
	for (size_t i = 0; i < m->n_referrals; i++) {
		services_type t
		    = services_rules_type_of_label((int) m->referrals[i]);
		if (t != SERVICES_TYPE_NONE)
			sn_pgarray_add(&labels, services_rules_type_name(t));
	}
	const char *vals[] = { m->application_id,
		m->approved ? "true" : "false",
		sn_assist_or(sn_assist_category_name((int) m->category), ""),
		sn_assist_or(sn_assist_tier_name((int) m->tier), ""),
		text_or(m->decided_by), revision_text(m->revision, rev),
		sn_pgarray_text(&labels), d.district, d.township, d.village };
	prepare(r, MODE_FACTS, NULL, NULL, NULL, NULL);
	if (vals[6] != NULL
	    && (err = sn_tx_query(tx, household_sql, 1, vals, NULL, NULL))
	        == SN_OK)
		err = sn_tx_query(tx, decided_sql, 10, vals, took, r);
	sn_pgarray_fini(&labels);
	return err;
}

static const char beneficiary_sql[]
    = "UPDATE household h SET standing = $2,"
      " category = CASE WHEN $3 = '' THEN h.category ELSE $3 END,"
      " tier = CASE WHEN $4 = '' THEN h.tier ELSE $4 END,"
      " beneficiary_id = coalesce($5::uuid, h.beneficiary_id),"
      " updated_at = now()"
      " WHERE h.application_id = $1::uuid RETURNING h.id::text AS id";

static const char *
standing_name(int status)
{
	static const char *const names[]
	    = { "", "active", "gradual_exit", "exited", "suspended" };
	return status >= 0 && status <= 4 ? names[status] : "";
}

/* A review's outcome into a refer category routes again. */
static bool
review_routes(const services *s, const Sn__Assist__V1__BeneficiaryChanged *m)
{
	const char *cat = sn_assist_category_name((int) m->category);
	bool        cause
	    = m->cause == SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_REVIEW
	    || m->cause
	        == SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_CHANGE_REPORT;
	return cause
	    && services_rules_in_list(
	        cat, s->referrals->refer, s->referrals->nrefer);
}

static sn_err
on_beneficiary(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__BeneficiaryChanged *m
	    = (const Sn__Assist__V1__BeneficiaryChanged *) msg;
	refresh *r = arg;
	char     trigger[96];
	sn_err   err;
	if ((err = takeable(r, ev, m->application_id, "application_id"))
	    != SN_OK)
		return err;
	const char *app[] = { m->application_id };
	if (sn_tx_query(tx, household_sql, 1, app, NULL, NULL) != SN_OK)
		return SN_ECLOSED;
	const char *vals[] = { m->application_id,
		standing_name((int) m->status),
		sn_assist_or(sn_assist_category_name((int) m->category), ""),
		sn_assist_or(sn_assist_tier_name((int) m->tier), ""),
		uuid_or_null(m->beneficiary_id) };
	if (review_routes(r->s, m)) {
		snprintf(trigger, sizeof(trigger), "review:%s",
		    uuid_or_null(m->review_id) != NULL ? m->review_id
		                                       : text_or(ev->id));
		prepare(r, MODE_REVIEW, trigger, text_or(m->approved_by), NULL,
		    NULL);
		return sn_tx_query(tx, beneficiary_sql, 5, vals, took, r);
	}
	return sn_tx_query(tx, beneficiary_sql, 5, vals, NULL, NULL);
}

/* ---- emergency ---------------------------------------------------------- */

static const char granted_sql[]
    = "WITH g AS (INSERT INTO emergency_grant (grant_id, cause,"
      "  township_code, village_code) VALUES ($1::uuid, $2, $3, $4)"
      "  ON CONFLICT (grant_id) DO NOTHING RETURNING grant_id),"
      " u AS (UPDATE household h SET emergency_cause = $2,"
      "  updated_at = now() FROM g WHERE h.grant_id = g.grant_id"
      "  RETURNING h.id)"
      " SELECT (SELECT id::text FROM u ORDER BY id LIMIT 1) AS id";

static sn_err
on_granted(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__EmergencyGranted *m
	    = (const Sn__Assist__V1__EmergencyGranted *) msg;
	refresh *r = arg;
	sn_err   err;
	if ((err = takeable(r, ev, m->grant_id, "grant_id")) != SN_OK)
		return err;
	const char *vals[] = { m->grant_id,
		services_rules_cause_name((services_cause) m->cause),
		text_or(m->township_code), text_or(m->village_code) };
	prepare(r, MODE_FACTS, NULL, NULL, NULL, NULL);
	return sn_tx_query(tx, granted_sql, 4, vals, took, r);
}

static const char referral_sql[]
    = "SELECT take_emergency_referral($1::uuid, $2::uuid, $3, $4, $5,"
      " $6::int, $7)::text AS id";

static sn_err
on_referral(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__ReferralCreated *m
	    = (const Sn__Assist__V1__ReferralCreated *) msg;
	refresh                         *r = arg;
	const struct services_referrals *x = r->s->referrals;
	services_type t = services_rules_type_of_emergency((int) m->kind);
	char          trigger[96], size[16];
	sn_err        err;
	if (t == SERVICES_TYPE_NONE)
		return SN_OK; /* dibao and tekun: intake's */
	if ((err = takeable(r, ev, m->referral_id, "referral_id")) != SN_OK)
		return err;
	if (!sn_in_text_ok(text_or(m->name), false)
	    || !sn_in_text_ok(text_or(m->created_by), false)
	    || !sn_in_text_ok(text_or(m->note), true))
		return bad_event(ev, "a name or note is not clean text");
	const char *dep = services_registry_has_department(
	                      x->registry, text_or(m->department))
	    ? m->department
	    : NULL;
	snprintf(trigger, sizeof(trigger), "emergency:%s", m->referral_id);
	snprintf(size, sizeof(size), "%d",
	    m->household_size > 0 ? (int) m->household_size : 0);
	prepare(r, MODE_EMERGENCY, trigger, text_or(m->created_by),
	    text_or(m->note), services_registry_kind_for(x->registry, dep, t));
	if (r->next.kind == NULL)
		return bad_event(ev, "no kind of that type in the registry");
	const char *vals[] = { m->referral_id, uuid_or_null(m->grant_id),
		text_or(m->district_code), text_or(m->township_code),
		text_or(m->village_code), size, text_or(m->name) };
	return sn_tx_query(tx, referral_sql, 7, vals, took, r);
}

static const sn_bus_topic intake_topics[] = {
	{ "intake", "application.submitted",
	    &sn__assist__v1__application_submitted__descriptor, on_submitted },
	{ "intake", "application.resubmitted",
	    &sn__assist__v1__application_submitted__descriptor, on_submitted },
};

static const sn_bus_topic approval_topics[] = {
	{ "approval", "application.decided",
	    &sn__assist__v1__application_decided__descriptor, on_decided },
	{ "approval", "beneficiary.changed",
	    &sn__assist__v1__beneficiary_changed__descriptor, on_beneficiary },
};

static const sn_bus_topic emergency_topics[] = {
	{ "emergency", "emergency.granted",
	    &sn__assist__v1__emergency_granted__descriptor, on_granted },
	{ "emergency", "referral.created",
	    &sn__assist__v1__referral_created__descriptor, on_referral },
};

sn_err
services_households_setup(services *s)
{
	sn_err err;
	for (int i = 0; i < NSTREAMS; i++)
		streams[i].s = s;
	if ((err = sn_bus_on_table(
	         s->bus, intake_topics, 2, &streams[STREAM_INTAKE]))
	        != SN_OK
	    || (err = sn_bus_on_table(
	            s->bus, approval_topics, 2, &streams[STREAM_APPROVAL]))
	        != SN_OK)
		return err;
	return sn_bus_on_table(
	    s->bus, emergency_topics, 2, &streams[STREAM_EMERGENCY]);
}

/* ---- finding a household ------------------------------------------------ */

const char services_households_find_sql[]
    = "SELECT h.id::text AS id, household_place(h) AS place,"
      " (SELECT count(*) FROM member m WHERE m.household_id = h.id)"
      " AS members FROM household h"
      " WHERE $1::uuid IN (h.id, h.application_id, h.emergency_referral_id)"
      " ORDER BY h.id = $1::uuid DESC LIMIT 1";

static const sn_col ref_cols[] = {
	SN_COL(services_household_ref, id, SN_COL_TEXT),
	SN_COL(services_household_ref, place, SN_COL_TEXT),
	SN_COL(services_household_ref, members, SN_COL_I64),
};

sn_err
services_households_found(
    const PGresult *res, services_household_ref *out, bool *found)
{
	*found = false;
	return sn_rows_opt(res, ref_cols, SN_NCOLS(ref_cols), out, found);
}

/* ---- GET /households/{id} ----------------------------------------------- */

static const char members_json_sql[]
    = "SELECT coalesce(json_agg(json_build_object('place', member,"
      " 'name', name, 'relation', nullif(relation, ''), 'age',"
      " extract(year FROM age($2::date, birth_date))::int,"
      " 'labour', nullif(labour, ''), 'disability_grade',"
      " disability_grade, 'self_care', nullif(self_care, ''))"
      " ORDER BY member), '[]'::json)::text AS json"
      " FROM member WHERE household_id = $1::uuid";

static const char needs_json_sql[]
    = "SELECT coalesce(json_agg(json_build_object('member', member,"
      " 'need', need, 'source', source, 'noted_by', nullif(noted_by, ''),"
      " 'noted_at', ts_json(noted_at)) ORDER BY member, need, source),"
      " '[]'::json)::text AS json FROM need WHERE household_id = $1::uuid";

/* The household view's sections (households.h), in the answer's order. */
static const services_household_section sections[] = {
	{ "members", members_json_sql, 2 },
	{ "needs", needs_json_sql, 1 },
	{ "referrals", services_referrals_household_sql, 3 },
	{ "enrolments", services_enrol_household_sql, 1 },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static const char household_json_sql[]
    = "SELECT h.id::text AS id, household_place(h) AS place,"
      " json_build_object('id', h.id, 'application_id', h.application_id,"
      " 'emergency_referral_id', h.emergency_referral_id,"
      " 'grant_id', h.grant_id, 'district_code', h.district_code,"
      " 'township_code', h.township_code, 'village_code', h.village_code,"
      " 'registration', nullif(h.registration, ''),"
      " 'household_size', h.household_size, 'has_facts', h.has_facts,"
      " 'revision', h.revision, 'category', nullif(h.category, ''),"
      " 'tier', nullif(h.tier, ''), 'approved', h.approved,"
      " 'decided_by', nullif(h.decided_by, ''),"
      " 'decided_at', ts_json(h.decided_at),"
      " 'standing', nullif(h.standing, ''),"
      " 'beneficiary_id', h.beneficiary_id,"
      " 'emergency_cause', nullif(h.emergency_cause, ''))::text AS json"
      " FROM household h"
      " WHERE $1::uuid IN (h.id, h.application_id, h.emergency_referral_id)"
      " ORDER BY h.id = $1::uuid DESC LIMIT 1";

typedef struct view_row {
	const char *id, *place, *json;
} view_row;

static const sn_col view_cols[] = {
	SN_COL(view_row, id, SN_COL_TEXT),
	SN_COL(view_row, place, SN_COL_TEXT),
	SN_COL(view_row, json, SN_COL_TEXT),
};

typedef struct json_row {
	const char *json;
} json_row;

static const sn_col json_cols[] = {
	SN_COL(json_row, json, SN_COL_TEXT),
};

typedef struct view_ctx {
	services    *s;
	sn_http_req *req;
	sn_principal who;
	const char  *unit;
	char         id[SN_UUID_STRLEN], today[SN_DATE_STRLEN];
	json_t      *answer;
	size_t       pending;
	bool         failed;
	struct view_section {
		struct view_ctx *c;
		size_t           i;
	} parts[NSECTIONS];
} view_ctx;

static void
view_end(view_ctx *c)
{
	if (c->failed)
		sn_http_reply_error(c->req, 503, "unavailable",
		    "the household cannot be read now", NULL);
	else
		sn_http_reply_json(c->req, 200, json_incref(c->answer));
	json_decref(c->answer);
	free(c);
}

static void
got_section(sn_err err, PGresult *res, void *arg)
{
	struct view_section *p = arg;
	view_ctx            *c = p->c;
	json_row             r;
	json_t              *j = NULL;
	if (err != SN_OK
	    || sn_rows_one(res, json_cols, SN_NCOLS(json_cols), &r) != SN_OK
	    || (j = json_loads(r.json, 0, NULL)) == NULL)
		c->failed = true;
	else
		json_object_set_new(c->answer, sections[p->i].key, j);
	if (--c->pending == 0)
		view_end(c);
}

static void
got_view(sn_err err, PGresult *res, void *arg)
{
	view_ctx *c = arg;
	view_row  v;
	bool      found = false;
	if (err != SN_OK
	    || sn_rows_opt(res, view_cols, SN_NCOLS(view_cols), &v, &found)
	        != SN_OK
	    || (found && (c->answer = json_loads(v.json, 0, NULL)) == NULL)) {
		c->failed = true;
		view_end(c);
		return;
	}
	if (!found || !sn_auth_within(&c->who, v.place)) {
		sn_http_reply_error(c->req, 404, "not_found",
		    "no such household in your jurisdiction", "id");
		json_decref(c->answer);
		free(c);
		return;
	}
	snprintf(c->id, sizeof(c->id), "%s", v.id);
	const char *vals[] = { c->id, c->today, c->unit };
	c->pending         = NSECTIONS;
	for (size_t i = 0; i < NSECTIONS; i++) {
		c->parts[i] = (struct view_section) { c, i };
		sn_db_query(c->s->db, sections[i].sql, sections[i].nparams,
		    vals, got_section, &c->parts[i]);
	}
}

void
services_households_get(sn_http_req *req, void *arg)
{
	const char *id = sn_http_param(req, "id");
	sn_problem  p;
	sn_problem_clear(&p);
	if (id == NULL || !sn_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such household", "id");
		return;
	}
	view_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	c->s   = arg;
	c->req = req;
	c->who = *sn_http_principal(req);
	if (!services_unit(&c->who, "department", &c->unit, &p)) {
		free(c);
		sn_http_problem(req, &p);
		return;
	}
	sn_date_format(sn_clock_today(), c->today);
	const char *vals[] = { id };
	sn_db_query(c->s->db, household_json_sql, 1, vals, got_view, c);
}

/* ---- staff-noted needs -------------------------------------------------- */

typedef struct need_ctx {
	services    *s;
	sn_http_req *req;
	sn_principal who;
	char         id[SN_UUID_STRLEN], need[SERVICES_CODE_LEN];
	int64_t      member; /* -1: every member's (DELETE) */
	bool         remove;
} need_ctx;

static const char need_add_sql[]
    = "WITH ins AS (INSERT INTO need (household_id, member, need, source,"
      "  noted_by) VALUES ($1::uuid, $2::int, $3, 'staff', $4)"
      "  ON CONFLICT DO NOTHING RETURNING *),"
      " n AS (SELECT * FROM ins UNION ALL SELECT * FROM need"
      "  WHERE household_id = $1::uuid AND member = $2::int AND need = $3"
      "  AND source = 'staff' AND NOT EXISTS (SELECT 1 FROM ins))"
      " SELECT (SELECT count(*) FROM ins) > 0 AS created,"
      " json_build_object('household_id', household_id, 'member', member,"
      " 'need', need, 'source', source, 'noted_by', noted_by,"
      " 'noted_at', ts_json(noted_at))::text AS json FROM n";

static const char need_remove_sql[]
    = "WITH d AS (DELETE FROM need WHERE household_id = $1::uuid"
      "  AND need = $2 AND source = 'staff'"
      "  AND ($3::int < 0 OR member = $3::int) RETURNING member)"
      " SELECT count(*)::int AS removed FROM d";

typedef struct added_row {
	bool        created;
	const char *json;
} added_row;

static const sn_col added_cols[] = {
	SN_COL(added_row, created, SN_COL_BOOL),
	SN_COL(added_row, json, SN_COL_TEXT),
};

typedef struct removed_row {
	int32_t removed;
} removed_row;

static const sn_col removed_cols[] = {
	SN_COL(removed_row, removed, SN_COL_I32),
};

static void
need_added(sn_tx *tx, PGresult *res, void *arg)
{
	need_ctx *c = arg;
	added_row a;
	json_t   *j = NULL;
	if (sn_rows_one(res, added_cols, SN_NCOLS(added_cols), &a) != SN_OK
	    || (j = json_loads(a.json, 0, NULL)) == NULL) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the need could not be noted", NULL);
		return;
	}
	sn_http_tx_reply(c->req, tx, a.created ? 201 : 200, j);
}

static void
need_removed(sn_tx *tx, PGresult *res, void *arg)
{
	need_ctx   *c = arg;
	removed_row r;
	if (sn_rows_one(res, removed_cols, SN_NCOLS(removed_cols), &r)
	    != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the need could not be removed", NULL);
		return;
	}
	if (r.removed == 0) {
		sn_http_tx_fail(c->req, tx, 404, "need_not_found",
		    "no such need noted by staff", "need");
		return;
	}
	sn_http_tx_reply(c->req, tx, 200,
	    json_pack("{s:s, s:s, s:i}", "household_id", c->id, "need",
	        c->need, "removed", (int) r.removed));
}

static void
need_found(sn_tx *tx, PGresult *res, void *arg)
{
	need_ctx              *c = arg;
	services_household_ref h;
	bool                   found;
	char                   member[24];
	if (services_households_found(res, &h, &found) != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the household could not be read", NULL);
		return;
	}
	if (!found || !sn_auth_within(&c->who, h.place)) {
		sn_http_tx_fail(c->req, tx, 404, "not_found",
		    "no such household in your jurisdiction", "id");
		return;
	}
	if (c->member > h.members) {
		sn_http_tx_fail(c->req, tx, 422, "unknown_member",
		    "the household has no member at this place", "member");
		return;
	}
	snprintf(c->id, sizeof(c->id), "%s", h.id);
	snprintf(member, sizeof(member), "%" PRId64, c->member);
	const char *add[]    = { c->id, member, c->need, c->who.user };
	const char *remove[] = { c->id, c->need, member };
	if (c->remove)
		sn_tx_query(tx, need_remove_sql, 3, remove, need_removed, c);
	else
		sn_tx_query(tx, need_add_sql, 4, add, need_added, c);
}

static void
need_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	need_ctx   *c      = arg;
	const char *vals[] = { c->id };
	(void) req;
	sn_tx_query(tx, services_households_find_sql, 1, vals, need_found, c);
}

void
services_households_need_post(sn_http_req *req, void *arg)
{
	static const char *const keys[] = { "need", "member", NULL };
	const char              *id     = sn_http_param(req, "id");
	json_t                  *b      = sn_http_json(req);
	const char              *need   = NULL;
	need_ctx                 c      = { .s = arg, .req = req };
	sn_problem               p;
	sn_problem_clear(&p);
	if (id == NULL || !sn_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such household", "id");
		return;
	}
	if (!sn_in_only(b, keys, "", &p)
	    || !sn_in_str(b, "need", "", SN_IN_REQUIRED | SN_IN_NONEMPTY,
	        SERVICES_CODE_LEN - 1, &need, &p)
	    || !sn_in_i64(
	        b, "member", "", 0, 0, SERVICES_MEMBERS_MAX, &c.member, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	if (!services_catalogue_need_known(c.s, need)) {
		sn_http_reply_error(req, 422, "unknown_need",
		    "not a need of the vocabulary (seed/projects.json)",
		    "need");
		return;
	}
	snprintf(c.id, sizeof(c.id), "%s", id);
	snprintf(c.need, sizeof(c.need), "%s", need);
	c.who = *sn_http_principal(req);
	services_tx_copy(req, need_begin, &c, sizeof(c));
}

void
services_households_need_delete(sn_http_req *req, void *arg)
{
	const char *id     = sn_http_param(req, "id");
	const char *need   = sn_http_param(req, "need");
	const char *member = sn_http_query(req, "member");
	need_ctx    c = { .s = arg, .req = req, .remove = true, .member = -1 };
	if (id == NULL || !sn_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such household", "id");
		return;
	}
	if (need == NULL || !services_rules_code_valid(need)) {
		sn_http_reply_error(req, 404, "need_not_found",
		    "no such need noted by staff", "need");
		return;
	}
	if (member != NULL
	    && sn_config_parse_int(member, 0, SERVICES_MEMBERS_MAX, &c.member)
	        != SN_OK) {
		sn_http_reply_error(req, 422, "invalid_query",
		    "member: a place 0-30", "member");
		return;
	}
	snprintf(c.id, sizeof(c.id), "%s", id);
	snprintf(c.need, sizeof(c.need), "%s", need);
	c.who = *sn_http_principal(req);
	services_tx_copy(req, need_begin, &c, sizeof(c));
}
