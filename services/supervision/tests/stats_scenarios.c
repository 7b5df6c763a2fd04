/*
 * supervision's statistics (stats.h; issue 12 item 6) with the real
 * binary, a real PostgreSQL and real NNG sockets: the publishers are
 * played by sn-inject, whose outboxes the test writes as the superuser
 * (their created_at is the envelope's time), and only supervision runs.
 * The end-to-end cross-check against disbursement's and emergency's sums
 * is e2e.supervision_statistics; this one feeds what the real services
 * seldom show in a short run:
 *
 *   stats_scenarios late | dating
 *
 * late: streams out of order. A household's payments arrive before the
 *   register knows its beneficiary (counted by money and as one household,
 *   no person yet; a back-payment for the month paid and a payment never
 *   settled add no person), then its register entry before its
 *   application (the persons come, the price subsidy gets its category),
 *   then a grant to a member, whose household takes in the waiting entry
 *   through the member, and with it the payments (which never name an id
 *   supervision links), and last the application: one household.
 * dating: a grant on its day, a transitional grant's second instalment
 *   published after midnight district time (UTC+8) on the first of the
 *   next month (its month, no person), the reversal of that instalment
 *   counted on its day (so the month nets to 0); a low-income household
 *   covered for a month active and a month in gradual exit, not after its
 *   exit; ranges that take a month of coverage by its first day only.
 * services: services' events (issue 13) before the application they
 *   name: referrals routed to four departments (accepted, declined,
 *   overdue, overdue then answered late) and places in two service
 *   projects with two sessions, one place ended; a referral of an
 *   emergency-only household (household_id its emergency referral). The
 *   figures by programme, service (department, domain), outcome and
 *   month, /statistics/district, and the household chain of each
 *   household once the application links the waiting events; each event
 *   written once, with its household, and only the 14 that waited
 *   updated when the application came (pg_stat_user_tables).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "harness.h"
#include "kit.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/auth.h"
#include "sn/clock.h"
#include "sn/date.h"
#include "sn/idnum.h"
#include "sn/pay/v1/payment.pb-c.h"
#include "sn/services/v1/services.pb-c.h"

#ifndef SN_SUPERVISION_BIN
#define SN_SUPERVISION_BIN "supervision"
#endif
#ifndef SN_INJECT_BIN
#define SN_INJECT_BIN "sn-inject"
#endif

#define DISTRICT "220103"
#define T1 "220103001"
#define V1 "220103001001"

th           T;
static char *supervisor;

/* The publishers the test plays. */
static const char *const PLAYED[]
    = { "intake", "approval", "emergency", "disbursement", "services" };
#define NPLAYED (sizeof(PLAYED) / sizeof(PLAYED[0]))

/* ---- helpers ---------------------------------------------------------- */

static void
start(void)
{
	publishers();
	for (size_t i = 0; i < NPLAYED; i++)
		injector(PLAYED[i]);
	start_supervision(NULL, NULL);
	supervisor = token("sup-1", "supervisor", DISTRICT);
}

static void
done(void)
{
	free(supervisor);
}

/* One event of topic into publisher's outbox, at the time at (a
 * timestamptz literal; NULL: now()). */
static void
put_stats(
    const char *publisher, const char *topic, const void *msg, const char *at)
{
	char lit[128];
	if (at != NULL)
		snprintf(lit, sizeof(lit), "'%s'", at);
	put(publisher, topic, "stats", msg, at != NULL ? lit : NULL);
}

/* GET /statistics<query>: the answer (the caller's). */
static json_t *
stats(const char *query)
{
	char path[256], *raw = NULL;
	snprintf(path, sizeof(path), "/statistics%s", query);
	int st
	    = th_http(&T, sup_port, "GET", path, supervisor, NULL, NULL, &raw);
	json_t *j = raw != NULL ? json_loads(raw, 0, NULL) : NULL;
	TH_CHECK(&T, st == 200 && j != NULL, "GET %s: %d %s", path, st,
	    raw != NULL ? raw : "");
	free(raw);
	return j;
}

/* The row of j whose dimensions are as given ("programme", "dibao", ...,
 * NULL-ended), as "households person_times amount_fen"; "none" when no
 * row matches. */
static const char *
row(json_t *j, ...)
{
	static char out[96];
	va_list     ap;
	size_t      i;
	json_t     *r;
	json_array_foreach(json_object_get(j, "rows"), i, r)
	{
		bool        match = true;
		const char *dim;
		va_start(ap, j);
		while (match && (dim = va_arg(ap, const char *)) != NULL) {
			const char *want = va_arg(ap, const char *);
			const char *got
			    = json_string_value(json_object_get(r, dim));
			match = got != NULL && strcmp(got, want) == 0;
		}
		va_end(ap);
		if (match) {
			snprintf(out, sizeof(out), "%lld %lld %lld",
			    (long long) json_integer_value(
			        json_object_get(r, "households")),
			    (long long) json_integer_value(
			        json_object_get(r, "person_times")),
			    (long long) json_integer_value(
			        json_object_get(r, "amount_fen")));
			return out;
		}
	}
	return "none";
}

static const char *
total(json_t *j)
{
	static char out[96];
	json_t     *t = json_object_get(j, "total");
	snprintf(out, sizeof(out), "%lld %lld %lld",
	    (long long) json_integer_value(json_object_get(t, "households")),
	    (long long) json_integer_value(json_object_get(t, "person_times")),
	    (long long) json_integer_value(json_object_get(t, "amount_fen")));
	return out;
}

#define EXPECT(got, want, what)                                               \
	do {                                                                  \
		const char *g_ = (got);                                       \
		TH_CHECK(&T, strcmp(g_, (want)) == 0,                         \
		    "%s: households, person-times, fen %s, want %s", (what),  \
		    g_, (want));                                              \
	} while (0)

/* ---- the events ------------------------------------------------------- */

static void
payment(const char *id, int fund, int64_t fen, const char *ben,
    const char *period, bool settled)
{
	Sn__Pay__V1__PaymentRef       ref = SN__PAY__V1__PAYMENT_REF__INIT;
	Sn__Pay__V1__PaymentScheduled s = SN__PAY__V1__PAYMENT_SCHEDULED__INIT;
	ref.beneficiary_id              = (char *) ben;
	ref.period                      = (char *) period;
	s.payment_id                    = (char *) id;
	s.end_to_end_id                 = (char *) id;
	s.fund                          = (Sn__Pay__V1__Fund) fund;
	s.amount_fen                    = fen;
	s.ref                           = &ref;
	s.township_code                 = T1;
	put_stats("disbursement", "payment.scheduled", &s, NULL);
	if (!settled)
		return;
	Sn__Pay__V1__PaymentSettled d = SN__PAY__V1__PAYMENT_SETTLED__INIT;
	d.payment_id                  = (char *) id;
	d.end_to_end_id               = (char *) id;
	d.fund                        = (Sn__Pay__V1__Fund) fund;
	d.amount_fen                  = fen;
	d.ref                         = &ref;
	d.settled_at                  = "2027-01-03T02:00:00Z";
	put_stats("disbursement", "payment.settled", &d, NULL);
}

/* beneficiary.changed: ben (of application app) in category and tier,
 * status, from first_month, with n members (ids), until (or NULL). */
static void
register_entry(const char *ben, const char *app, int category, int tier,
    int status, const char *first, const char *until, char **ids, int n)
{
	Sn__Assist__V1__Household h = SN__ASSIST__V1__HOUSEHOLD__INIT;
	h.district_code             = DISTRICT;
	h.township_code             = T1;
	h.village_code              = V1;
	h.registration = SN__ASSIST__V1__REGISTRATION__REGISTRATION_RURAL;
	Sn__Assist__V1__BeneficiaryChanged b
	    = SN__ASSIST__V1__BENEFICIARY_CHANGED__INIT;
	b.beneficiary_id      = (char *) ben;
	b.application_id      = (char *) app;
	b.status              = (Sn__Assist__V1__BeneficiaryStatus) status;
	b.category            = (Sn__Assist__V1__Category) category;
	b.tier                = (Sn__Assist__V1__Tier) tier;
	b.monthly_amount_fen  = category == 2 ? 189000 : 0;
	b.household           = &h;
	b.from_month          = (char *) first;
	b.first_month         = (char *) first;
	b.until_month         = (char *) (until != NULL ? until : "");
	b.head_id_number      = ids[0];
	b.n_member_id_numbers = (size_t) n;
	b.member_id_numbers   = ids;
	b.members             = n;
	put_stats("approval", "beneficiary.changed", &b, NULL);
}

static void
application(const char *app, char **ids, int n)
{
	Sn__Assist__V1__Household h = SN__ASSIST__V1__HOUSEHOLD__INIT;
	h.district_code             = DISTRICT;
	h.township_code             = T1;
	h.village_code              = V1;
	h.address                   = "No. 5, the first village";
	h.registration = SN__ASSIST__V1__REGISTRATION__REGISTRATION_RURAL;
	Sn__Assist__V1__Member  m[3];
	Sn__Assist__V1__Member *mp[3];
	for (int i = 0; i < n; i++) {
		Sn__Assist__V1__Member init = SN__ASSIST__V1__MEMBER__INIT;
		m[i]                        = init;
		m[i].id_number              = ids[i];
		m[i].name                   = "Member";
		m[i].relation               = i == 0 ? "self" : "child";
		m[i].birth_date             = "1980-01-01";
		mp[i]                       = &m[i];
	}
	Sn__Assist__V1__ApplicationSubmitted a
	    = SN__ASSIST__V1__APPLICATION_SUBMITTED__INIT;
	a.application_id = (char *) app;
	a.accepted_date  = "2026-12-01";
	a.household      = &h;
	a.n_members      = (size_t) n;
	a.members        = mp;
	put_stats("intake", "application.submitted", &a, NULL);
}

/* emergency.granted: instalment k of n (0 of 0: paid at once). */
static void
grant(const char *id, const char *person, int64_t fen, int k, int n,
    const char *granted_at, const char *at)
{
	Sn__Assist__V1__EmergencyGranted g
	    = SN__ASSIST__V1__EMERGENCY_GRANTED__INIT;
	g.grant_id      = (char *) id;
	g.township_code = T1;
	g.village_code  = V1;
	g.id_number     = (char *) person;
	g.name          = "Person";
	g.cause = SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_FIRE;
	g.household_size = 1;
	g.amount_fen     = fen;
	g.granted_at     = (char *) granted_at;
	g.instalment     = k;
	g.instalments    = n;
	g.total_fen      = n > 0 ? fen * n : fen;
	put_stats("emergency", "emergency.granted", &g, at);
}

static void
reversal(const char *ledger, const char *grant_id, int64_t fen, const char *at)
{
	Sn__Assist__V1__ReserveChanged r
	    = SN__ASSIST__V1__RESERVE_CHANGED__INIT;
	r.township_code = T1;
	r.movement
	    = SN__ASSIST__V1__RESERVE_MOVEMENT__RESERVE_MOVEMENT_REVERSAL;
	r.amount_fen      = fen;
	r.balance_fen     = 1000000;
	r.ledger_entry_id = (char *) ledger;
	r.grant_id        = (char *) grant_id;
	put_stats("emergency", "reserve.changed", &r, at);
}

enum { DIBAO = 2, LOW_INCOME = 4, CORE = 1, EDGE = 2 };
enum { ACTIVE = 1, GRADUAL_EXIT = 2, EXITED = 3 };
enum { FUND_DIBAO = 1, FUND_PRICE = 4 };

/* ---- late ------------------------------------------------------------- */

static void
late(void)
{
	char  a[19], b[19], c[19];
	char *ids[] = { idn(a, 101), idn(b, 102), idn(c, 103) };
	start();

	/* Payments first: the register does not know B-1 yet. */
	payment("pay-1", FUND_DIBAO, 189000, "B-1", "2027-01", true);
	payment("pay-2", FUND_DIBAO, 5000, "B-1", "2027-01", true);
	payment("pay-3", FUND_PRICE, 15000, "B-1", "2027-01", true);
	payment("pay-4", FUND_DIBAO, 189000, "B-1", "2027-02", false);
	wait_applied(PLAYED, NPLAYED, "payments");
	json_t *j = stats("?by=programme");
	EXPECT(row(j, "programme", "dibao", NULL), "1 0 194000",
	    "dibao before the register");
	EXPECT(total(j), "1 0 209000", "the total before the register");
	json_decref(j);

	/* The register entry before its application: persons now. */
	register_entry(
	    "B-1", "A-1", DIBAO, CORE, ACTIVE, "2027-01", NULL, ids, 3);
	wait_applied(PLAYED, NPLAYED, "the register");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.events WHERE type ="
	        " 'beneficiary.changed' AND household_id IS NULL",
	        S)
	        == 1,
	    "the register entry is not waiting for its application");
	j = stats("?by=programme,category");
	EXPECT(row(j, "programme", "dibao", NULL), "1 3 194000",
	    "dibao: the month's 3 persons once, with its back-payment");
	EXPECT(row(j, "programme", "price_subsidy", "category", "dibao", NULL),
	    "1 3 15000", "the price subsidy, in the register's category");
	json_decref(j);

	/* A grant to a member: its household, whose member it names, takes
	 * in the waiting register entry, and the payments with it. */
	grant("G-1", ids[1], 100000, 0, 0, "2027-01-20T03:00:00Z", NULL);
	wait_applied(PLAYED, NPLAYED, "the grant");
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 30000,
	        "SELECT (count(household_id) = 2 AND"
	        " count(DISTINCT household_id) = 1)::int FROM %s.events"
	        " WHERE type IN ('beneficiary.changed', 'emergency.granted')",
	        S),
	    "the grant's household did not take in the register entry");
	j = stats("?by=programme");
	EXPECT(total(j), "1 7 309000", "one household through the member");
	json_decref(j);

	/* The application: one household, every fact in it. */
	application("A-1", ids, 3);
	wait_applied(PLAYED, NPLAYED, "the application");
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 30000,
	        "SELECT (count(*) = 3 AND count(household_id) = 3 AND"
	        " count(DISTINCT household_id) = 1)::int FROM %s.events"
	        " WHERE type IN ('application.submitted',"
	        " 'beneficiary.changed', 'emergency.granted')",
	        S),
	    "the application, the register entry and the grant are not "
	    "linked to one household");
	j = stats("?by=programme");
	EXPECT(total(j), "1 7 309000", "one household once linked");
	EXPECT(
	    row(j, "programme", "emergency", NULL), "1 1 100000", "the grant");
	json_decref(j);
	j = stats("?by=tier");
	EXPECT(row(j, "tier", "core", NULL), "1 6 209000", "core");
	EXPECT(row(j, "tier", "universal", NULL), "1 1 100000", "universal");
	json_decref(j);
	printf("late: payments before the register, the register before the "
	       "application, a grant to a member: one household, 7 "
	       "person-times, 3,090.00 yuan\n");
}

/* ---- dating ----------------------------------------------------------- */

static void
dating(void)
{
	char  a[19], b[19], p[19], q[19];
	char *ids[] = { idn(a, 201), idn(b, 202) };
	start();

	/* A grant on 2030-01-20, a transitional one on 2030-01-25 whose
	 * second instalment is published at 01:00 on 2030-02-01 district
	 * time (17:00 UTC the day before) and fails. (In 2030, away from
	 * the coverage months below, which end this month.) */
	grant("G-2", idn(p, 211), 100000, 0, 0, "2030-01-20T03:00:00Z",
	    "2030-01-20 03:00:00+00");
	grant("G-3", idn(q, 212), 30000, 1, 3, "2030-01-25T03:00:00Z",
	    "2030-01-25 03:00:00+00");
	grant("G-3", q, 30000, 2, 3, "2030-01-25T03:00:00Z",
	    "2030-01-31 17:00:00+00");
	reversal("L-1", "G-3", 30000, "2030-02-03 03:00:00+00");

	/* A low-income household of two: active three months ago, in
	 * gradual exit two months ago, exited from last month. */
	sn_month now = sn_clock_month();
	char     m3[SN_MONTH_STRLEN], m2[SN_MONTH_STRLEN], m1[SN_MONTH_STRLEN];
	sn_month_format(sn_month_add(now, -3), m3);
	sn_month_format(sn_month_add(now, -2), m2);
	sn_month_format(sn_month_add(now, -1), m1);
	register_entry(
	    "B-2", "A-2", LOW_INCOME, EDGE, ACTIVE, m3, NULL, ids, 2);
	register_entry(
	    "B-2", "A-2", LOW_INCOME, EDGE, GRADUAL_EXIT, m2, m2, ids, 2);
	register_entry(
	    "B-2", "A-2", LOW_INCOME, EDGE, EXITED, m1, NULL, ids, 2);
	application("A-2", ids, 2);
	wait_applied(PLAYED, NPLAYED, "the events");

	json_t *j = stats("?by=programme,month");
	EXPECT(row(j, "programme", "emergency", "month", "2030-01", NULL),
	    "2 2 130000", "January's grants");
	EXPECT(row(j, "programme", "emergency", "month", "2030-02", NULL),
	    "0 0 0", "February: the instalment and its reversal");
	EXPECT(row(j, "programme", "low_income", "month", m3, NULL), "1 2 0",
	    "the first month of coverage");
	EXPECT(row(j, "programme", "low_income", "month", m2, NULL), "1 2 0",
	    "the month in gradual exit");
	EXPECT(row(j, "programme", "low_income", "month", m1, NULL), "none",
	    "after the exit");
	json_decref(j);

	/* Ranges: a grant's day; a month of coverage by its first day. */
	j = stats("?from=2030-01-21&to=2030-01-31");
	EXPECT(total(j), "1 1 30000", "from the 21st to the 31st of January");
	json_decref(j);
	j = stats("?from=2030-02-01&to=2030-02-01");
	EXPECT(total(j), "0 0 0", "the 1st of February");
	json_decref(j);
	char     q1[96], first2[SN_DATE_STRLEN], second2[SN_DATE_STRLEN];
	sn_month mm2 = sn_month_add(now, -2);
	sn_date  d   = sn_month_first(mm2);
	sn_date_format(d, first2);
	sn_date_format(sn_date_add_days(d, 1), second2);
	snprintf(q1, sizeof(q1), "?from=%s", first2);
	j = stats(q1);
	EXPECT(row(j, "programme", "low_income", NULL), "1 2 0",
	    "from the first of the gradual exit's month");
	json_decref(j);
	snprintf(q1, sizeof(q1), "?from=%s", second2);
	j = stats(q1);
	EXPECT(row(j, "programme", "low_income", NULL), "0 0 0",
	    "from its second day");
	json_decref(j);
	printf("dating: grants and instalments on their district days, a "
	       "reversal on its instalment's, coverage by months' first days "
	       "(%s, %s; none after the exit)\n",
	    m3, m2);
}

/* ---- services --------------------------------------------------------- */

/* referral.routed of referral id for household hh (application app, or
 * "" with the emergency referral em and its grant) to department. */
static void
routed(const char *id, const char *hh, const char *app, const char *em,
    const char *department, int category, int tier, const char *at)
{
	Sn__Services__V1__ReferralRouted m
	    = SN__SERVICES__V1__REFERRAL_ROUTED__INIT;
	m.referral_id           = (char *) id;
	m.household_id          = (char *) hh;
	m.application_id        = (char *) app;
	m.emergency_referral_id = (char *) em;
	m.grant_id              = (char *) (em[0] != '\0' ? "G-5" : "");
	m.source                = em[0] != '\0'
	                   ? SN__SERVICES__V1__REFERRAL_SOURCE__REFERRAL_SOURCE_EMERGENCY
	                   : SN__SERVICES__V1__REFERRAL_SOURCE__REFERRAL_SOURCE_DECISION;
	m.type          = SN__SERVICES__V1__ASSISTANCE_TYPE__ASSISTANCE_OTHER;
	m.department    = (char *) department;
	m.kind          = "assistance";
	m.member        = 1;
	m.deadline_date = "2031-03-20";
	m.district_code = DISTRICT;
	m.township_code = T1;
	m.village_code  = V1;
	m.category      = (Sn__Assist__V1__Category) category;
	m.tier          = (Sn__Assist__V1__Tier) tier;
	m.routed_by     = "off-1";
	m.routed_at     = (char *) at;
	put("services", "referral.routed", id, &m.base, NULL);
}

static void
answered(const char *id, const char *hh, const char *department, bool accepted,
    bool late)
{
	Sn__Services__V1__ReferralAnswered m
	    = SN__SERVICES__V1__REFERRAL_ANSWERED__INIT;
	m.referral_id    = (char *) id;
	m.household_id   = (char *) hh;
	m.application_id = (char *) hh;
	m.department     = (char *) department;
	m.kind           = "assistance";
	m.outcome        = accepted
	           ? SN__SERVICES__V1__REFERRAL_OUTCOME__REFERRAL_ACCEPTED
	           : SN__SERVICES__V1__REFERRAL_OUTCOME__REFERRAL_DECLINED;
	m.grant          = accepted ? "a monthly allowance" : "";
	m.amount_fen     = accepted ? 30000 : 0;
	m.amount_per     = accepted ? "month" : "";
	m.reason_code    = accepted ? "" : "not_eligible";
	m.answered_by    = "dept-1";
	m.answered_at    = "2031-03-10T02:00:00Z";
	m.late           = late;
	put("services", "referral.answered", id, &m.base, NULL);
}

static void
overdue(const char *id, const char *hh, const char *department)
{
	Sn__Services__V1__ReferralOverdue m
	    = SN__SERVICES__V1__REFERRAL_OVERDUE__INIT;
	m.referral_id    = (char *) id;
	m.household_id   = (char *) hh;
	m.application_id = (char *) hh;
	m.department     = (char *) department;
	m.kind           = "assistance";
	m.deadline_date  = "2031-03-20";
	m.township_code  = T1;
	put("services", "referral.overdue", id, &m.base, NULL);
}

/* enrolment.changed of place id in a project of domain for household hh:
 * change 1 enrolled, 2 a session (sessions so far, on day), 3 ended. */
static void
enrolment(const char *id, const char *hh, const char *domain, int change,
    int sessions, const char *day, const char *at)
{
	Sn__Services__V1__EnrolmentChanged m
	    = SN__SERVICES__V1__ENROLMENT_CHANGED__INIT;
	m.enrolment_id   = (char *) id;
	m.project_code   = "P-1";
	m.domain         = (char *) domain;
	m.partner        = "station-1";
	m.household_id   = (char *) hh;
	m.application_id = (char *) hh;
	m.member         = 2;
	m.change         = (Sn__Services__V1__EnrolmentChange) change;
	m.sessions       = sessions;
	m.session_date   = (char *) day;
	m.outcome        = change == 3 ? "completed" : "";
	m.township_code  = T1;
	m.actor          = "partner-1";
	m.at             = (char *) at;
	put("services", "enrolment.changed", id, &m.base, NULL);
}

/* The chain of id: its household and the count of each type listed
 * ("type", n, ..., NULL), checked. */
static void
expect_chain(const char *id, const char *household, ...)
{
	char path[128], *raw = NULL;
	snprintf(path, sizeof(path), "/households/%s/chain", id);
	int st
	    = th_http(&T, sup_port, "GET", path, supervisor, NULL, NULL, &raw);
	json_t *j = raw != NULL ? json_loads(raw, 0, NULL) : NULL;
	TH_CHECK(&T, st == 200 && j != NULL, "GET %s: %d %s", path, st,
	    raw != NULL ? raw : "");
	TH_CHECK(&T, strcmp(jstr(j, "household_id"), household) == 0,
	    "the chain of %s is household %s, want %s", id,
	    jstr(j, "household_id"), household);
	va_list     ap;
	const char *type;
	va_start(ap, household);
	while ((type = va_arg(ap, const char *)) != NULL) {
		int     want = va_arg(ap, int), got = 0;
		size_t  i;
		json_t *e;
		json_array_foreach(json_object_get(j, "events"), i, e) got
		    += strcmp(jstr(e, "type"), type) == 0;
		TH_CHECK(&T, got == want, "the chain of %s: %d %s, want %d",
		    id, got, type, want);
	}
	va_end(ap);
	json_decref(j);
	free(raw);
}

enum { EXPENDITURE = 3, EMERGENCY = 5, UNIVERSAL = 3 };

static void
services_events(void)
{
	/* A-3's referrals: accepted, declined, overdue, overdue then
	 * answered late. */
	routed("R-1", "A-3", "A-3", "", "medical_insurance", EXPENDITURE, EDGE,
	    "2031-03-02T02:00:00Z");
	routed("R-2", "A-3", "A-3", "", "education", EXPENDITURE, EDGE,
	    "2031-03-02T02:00:00Z");
	routed("R-3", "A-3", "A-3", "", "housing", EXPENDITURE, EDGE,
	    "2031-03-02T02:00:00Z");
	routed("R-4", "A-3", "A-3", "", "human_resources", EXPENDITURE, EDGE,
	    "2031-03-02T02:00:00Z");
	answered("R-1", "A-3", "medical_insurance", true, false);
	answered("R-2", "A-3", "education", false, false);
	overdue("R-3", "A-3", "housing");
	overdue("R-4", "A-3", "human_resources");
	answered("R-4", "A-3", "human_resources", true, true);
	/* places: employment (two sessions, March and April, then ended)
	 * and mental care */
	enrolment(
	    "E-1", "A-3", "employment", 1, 0, "", "2031-03-05T02:00:00Z");
	enrolment(
	    "E-2", "A-3", "mental_care", 1, 0, "", "2031-03-05T02:00:00Z");
	enrolment("E-1", "A-3", "employment", 2, 1, "2031-03-06",
	    "2031-03-06T09:00:00Z");
	enrolment("E-1", "A-3", "employment", 2, 2, "2031-04-02",
	    "2031-04-02T09:00:00Z");
	enrolment(
	    "E-1", "A-3", "employment", 3, 2, "", "2031-04-03T09:00:00Z");
	/* a project of the catalogue: in the log, on no household */
	Sn__Services__V1__ProjectChanged pc
	    = SN__SERVICES__V1__PROJECT_CHANGED__INIT;
	pc.code     = "P-1";
	pc.name_zh  = "就业帮扶";
	pc.name_en  = "Employment support";
	pc.domain   = "employment";
	pc.capacity = 100;
	pc.version  = 1;
	put("services", "project.changed", "P-1", &pc.base, NULL);
}

/* An emergency-only household: grant G-5, its referral ER-1, routed by
 * services as R-5 (household_id ER-1). */
static void
emergency_household(const char *person)
{
	grant("G-5", person, 100000, 0, 0, "2031-03-01T02:00:00Z", NULL);
	Sn__Assist__V1__ReferralCreated rc
	    = SN__ASSIST__V1__REFERRAL_CREATED__INIT;
	rc.referral_id = "ER-1";
	rc.grant_id    = "G-5";
	rc.kind        = SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_MEDICAL;
	rc.department  = "medical_insurance";
	rc.id_number   = (char *) person;
	rc.district_code = DISTRICT;
	rc.township_code = T1;
	put_stats("emergency", "referral.created", &rc, NULL);
	/* the grant's household known before services routes its
	 * referral, which joins it as it is written (expect_written_once) */
	wait_applied(PLAYED, NPLAYED, "the grant and its referral");
	routed("R-5", "ER-1", "", "ER-1", "medical_insurance", EMERGENCY,
	    UNIVERSAL, "2031-03-02T02:00:00Z");
}

static void
check_services_figures(void)
{
	json_t *j = stats("?by=programme");
	EXPECT(row(j, "programme", "special_assistance", NULL), "2 5 0",
	    "special assistance: five referrals of two households");
	EXPECT(row(j, "programme", "service_projects", NULL), "1 4 0",
	    "service projects: two places and two sessions");
	EXPECT(total(j), "2 10 100000", "the total with the grant");
	TH_CHECK(&T,
	    json_is_array(json_object_get(j, "notes"))
	        && json_array_size(json_object_get(j, "notes")) == 0,
	    "notes remain: %s",
	    json_dumps(json_object_get(j, "notes"), JSON_COMPACT));
	json_decref(j);
	j = stats("?by=programme,service,outcome");
	static const char *const want[][4] = {
		{ "special_assistance", "medical_insurance", "accepted",
		    "1 1 0" },
		{ "special_assistance", "medical_insurance", "routed",
		    "1 1 0" },
		{ "special_assistance", "education", "declined", "1 1 0" },
		{ "special_assistance", "housing", "overdue", "1 1 0" },
		{ "special_assistance", "human_resources", "accepted",
		    "1 1 0" },
		{ "service_projects", "employment", "ended", "1 1 0" },
		{ "service_projects", "employment", "session", "1 2 0" },
		{ "service_projects", "mental_care", "enrolled", "1 1 0" },
		{ "emergency", "", "", "1 1 100000" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		EXPECT(row(j, "programme", want[i][0], "service", want[i][1],
		           "outcome", want[i][2], NULL),
		    want[i][3], want[i][1]);
	TH_CHECK(&T, json_array_size(json_object_get(j, "rows")) == 9,
	    "%zu rows by programme, service and outcome, want 9",
	    json_array_size(json_object_get(j, "rows")));
	json_decref(j);
	j = stats("?by=programme,category,month");
	EXPECT(row(j, "programme", "special_assistance", "category",
	           "expenditure", "month", "2031-03", NULL),
	    "1 4 0", "A-3's referrals in its category, in March");
	EXPECT(
	    row(j, "programme", "service_projects", "month", "2031-03", NULL),
	    "1 3 0", "March: two places and a session");
	EXPECT(
	    row(j, "programme", "service_projects", "month", "2031-04", NULL),
	    "1 1 0", "April: the second session on its day");
	json_decref(j);
	j = stats("?from=2031-04-01&by=programme,township");
	EXPECT(row(j, "programme", "service_projects", "township", T1, NULL),
	    "1 1 0", "from April, by township");
	EXPECT(total(j), "1 1 0", "from April: the session only");
	json_decref(j);
}

static void
check_district(void)
{
	char   *raw = NULL;
	int     st  = th_http(&T, sup_port, "GET", "/statistics/district",
	         supervisor, NULL, NULL, &raw);
	json_t *j   = raw != NULL ? json_loads(raw, 0, NULL) : NULL;
	TH_CHECK(
	    &T, st == 200 && j != NULL, "GET /statistics/district: %d", st);
	TH_CHECK(&T,
	    strcmp(jstr(j, "sentence"), "救助2户、10人次，发放1000元") == 0,
	    "the district's sentence: %s", jstr(j, "sentence"));
	size_t  i;
	json_t *p;
	int     seen = 0;
	json_array_foreach(json_object_get(j, "programmes"), i, p)
	{
		const char *name = jstr(p, "programme");
		json_int_t  n
		    = json_integer_value(json_object_get(p, "person_times"));
		if (strcmp(name, "special_assistance") == 0)
			seen += n == 5 && json_object_get(p, "note") == NULL;
		if (strcmp(name, "service_projects") == 0)
			seen += n == 4 && json_object_get(p, "note") == NULL;
	}
	TH_CHECK(&T, seen == 2,
	    "the district's programmes: special assistance 5, service "
	    "projects 4, no note: %s",
	    raw);
	json_decref(j);
	free(raw);
}

/* Every event written once, with its household (schema 012, event_in),
 * and only the waiting ones (want) updated when it came: the events
 * table's counters in pg_stat_user_tables, read once they count every
 * row (supervision's backends send theirs a second or so after they go
 * idle; an update is sent with the insert of the transaction that made
 * it). Before, every linked event was updated after its insert. */
static void
expect_written_once(int64_t want, const char *which)
{
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 30000,
	        "SELECT (n_tup_ins = (SELECT count(*) FROM %s.events))::int"
	        " FROM pg_stat_user_tables WHERE schemaname = '%s'"
	        " AND relname = 'events'",
	        S, S),
	    "the events table's counters never counted its rows");
	int64_t n   = th_int(&T,
	      "SELECT n_tup_upd FROM pg_stat_user_tables WHERE schemaname = '%s'"
	        " AND relname = 'events'",
	      S);
	int64_t all = th_int(&T, "SELECT count(*) FROM %s.events", S);
	TH_CHECK(&T, n == want,
	    "%lld of %lld events were updated after their insert, want %lld "
	    "(%s)",
	    (long long) n, (long long) all, (long long) want, which);
}

static void
services(void)
{
	char  a[19], b[19], p[19];
	char *ids[] = { idn(a, 301), idn(b, 302) };
	start();

	/* services' events before the application they name: they wait
	 * for it, counted meanwhile under services' household id */
	services_events();
	emergency_household(idn(p, 311));
	wait_applied(PLAYED, NPLAYED, "services' events");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.events WHERE source = 'services'"
	        " AND household_id IS NULL AND type <> 'test.nothing'"
	        " AND type <> 'project.changed'",
	        S)
	        == 14,
	    "A-3's 14 services events wait for its application");
	check_services_figures();

	application("A-3", ids, 2);
	wait_applied(PLAYED, NPLAYED, "the application");
	TH_CHECK(&T,
	    th_wait_int(&T, 0, 30000,
	        "SELECT count(*) FROM %s.events WHERE source = 'services'"
	        " AND household_id IS NULL AND type <> 'test.nothing'"
	        " AND type <> 'project.changed'",
	        S),
	    "services' events did not join the application's household");
	expect_written_once(14, "the 14 that waited for the application");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.events WHERE type = 'project.changed'"
	        " AND household_id IS NULL",
	        S)
	        == 1,
	    "the project is in the log, on no household");
	check_services_figures();
	check_district();

	/* the chain, by the household's id and by a referral's and a
	 * place's; the emergency-only household by its referral */
	expect_chain("A-3", "A-3", "application.submitted", 1,
	    "referral.routed", 4, "referral.answered", 3, "referral.overdue",
	    2, "enrolment.changed", 5, NULL);
	expect_chain("R-2", "A-3", "referral.routed", 4, NULL);
	expect_chain("E-2", "A-3", "enrolment.changed", 5, NULL);
	expect_chain("ER-1", "G-5", "emergency.granted", 1, "referral.created",
	    1, "referral.routed", 1, NULL);
	printf("services: five referrals (accepted, declined, overdue, late, "
	       "routed) and four service-project person-times, in the "
	       "figures and on the chains of A-3 and G-5\n");
}

/* A count of events_head's reads so far: what is an expression over
 * pg_stat_user_tables (t) and pg_statio_user_tables (io). */
static int64_t
head_reads(const char *what)
{
	return th_int(&T,
	    "SELECT %s FROM pg_stat_user_tables t"
	    " JOIN pg_statio_user_tables io USING (relid)"
	    " WHERE t.schemaname = '%s' AND t.relname = 'events_head'",
	    what, S);
}

#define HEAD_PAGES "io.heap_blks_hit + io.heap_blks_read"
#define HEAD_SEQ "t.seq_scan"
#define HEAD_UPD "t.n_tup_upd"

/*
 * Issue 15: events_head is one row. It was written once per event, and
 * supervision applies a stream's events in batches, one transaction
 * each, so a batch left one version of the row per event, none of which
 * could be pruned before the batch committed; and its statements named
 * no key, so each event's update was a sequential scan reading every
 * page of versions the row had (53 a call at 3,000 households in the
 * application path's profile). Now the row is read by its key, and
 * written once per transaction (schema 015). N events arrive (a topic
 * supervision stores undecoded); supervision stops, its backends report
 * their counts: events_head was updated at least once (the counts were
 * reported) and fewer times than a tenth of the events (once each
 * before), and read by fewer sequential scans than a tenth of them. The
 * pages read per event are printed (11.0 and 11.5 with the sequential
 * scans, about 4 with an update an event); they also grow with whatever
 * else holds old snapshots (another test's open transaction), so they
 * are not the bound.
 */
static void
head_by_key(void)
{
	enum { N = 4000 };
	publishers();
	injector("intake");
	th_proc    *sup      = start_supervision(NULL, NULL);
	const char *intake[] = { "intake" };
	wait_applied(intake, 1, "the injector's first event");
	int64_t p0 = head_reads(HEAD_PAGES), q0 = head_reads(HEAD_SEQ);
	int64_t u0 = head_reads(HEAD_UPD);
	int64_t e0 = th_int(&T, "SELECT pos FROM %s.events_head", S);
	char    sql[512];
	snprintf(sql, sizeof(sql),
	    "INSERT INTO %s.outbox (topic, subject, actor, data)"
	    " SELECT 'test.noise', 'noise-' || g, 'test', '\\x'::bytea"
	    " FROM generate_series(1, %d) g",
	    th_schema(&T, "intake"), N);
	PGresult *r = PQexec((PGconn *) T.pg, sql);
	TH_CHECK(&T, PQresultStatus(r) == PGRES_COMMAND_OK, "the events: %s",
	    PQresultErrorMessage(r));
	PQclear(r);
	wait_applied(intake, 1, "noise");
	int64_t applied = th_int(&T, "SELECT pos FROM %s.events_head", S) - e0;
	th_stop(&T, sup);
	th_sleep_ms(1500); /* the backends' last counts */
	int64_t pages = head_reads(HEAD_PAGES) - p0;
	int64_t scans = head_reads(HEAD_SEQ) - q0;
	int64_t upd   = head_reads(HEAD_UPD) - u0;
	printf("head_by_key: %lld events applied; events_head updated %lld"
	       " times, read by %lld sequential scans, its pages %lld times"
	       " (%.2f an event)\n",
	    (long long) applied, (long long) upd, (long long) scans,
	    (long long) pages,
	    (double) pages / (double) (applied > 0 ? applied : 1));
	TH_CHECK(&T, applied == N, "applied %lld events, want %d",
	    (long long) applied, N);
	/* Updated once at least: else the counts were not reported, and
	 * no scan counted says nothing. */
	TH_CHECK(&T, upd >= 1,
	    "events_head was updated %lld times for %d events: its"
	    " backends' counts were not reported",
	    (long long) upd, N);
	TH_CHECK(&T, upd < N / 10,
	    "events_head was updated %lld times for %d events, not once a"
	    " transaction",
	    (long long) upd, N);
	TH_CHECK(&T, scans < N / 10,
	    "events_head was read by %lld sequential scans for %d events",
	    (long long) scans, N);
}

int
main(int argc, char **argv)
{
	static const th_scenario scenarios[] = {
		{ "late", late },
		{ "dating", dating },
		{ "services", services },
		{ "head_by_key", head_by_key },
	};
	return th_main(&T, argc, argv, scenarios,
	    sizeof(scenarios) / sizeof(scenarios[0]), done);
}
