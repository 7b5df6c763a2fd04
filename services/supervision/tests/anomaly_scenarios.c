/*
 * supervision's anomaly rules and alerts (anomaly.h; issue 12 item 5)
 * with the real binary, a real PostgreSQL and real NNG sockets: the
 * publishers are played by sn-inject, whose outboxes the test writes as
 * the superuser (valid protobuf events, their times chosen through the
 * rows' created_at, which the relay puts in the envelopes), and only
 * supervision runs.
 *
 *   anomaly_scenarios payments | staff | grants | scans
 *
 * payments: shared_account (an account named by two households, not by
 *   one; evidence names both) and paid_after_death (a benefit for the
 *   month after the only member's death, scheduled then settled: one
 *   alert; the month of death, a survivor's household: none; a payment
 *   seen before its household was linked: raised once the link comes; a
 *   grant to a person reported dead). Supervision is SIGKILLed as more
 *   events that would raise the same alerts arrive (wherever it then is
 *   in applying them), and after the restart every alert is there once,
 *   published once. The API: lists,
 *   filters, pages, one alert, assignment (supervisor only, to a
 *   supervisor or inspector identity knows, Idempotency-Key replayed),
 *   closure (a note required; not twice), each change published.
 * staff: relative_conflict (a member refused by approval: an attempt,
 *   medium; a member of another household at the same address acting:
 *   high; a member reporting the home visit of their own household's
 *   task: high; someone unrelated: none; an action seen before the case's
 *   household, and one before the actor's own household: raised when the
 *   link comes) and fast_or_odd_hours (three steps within six minutes:
 *   a fast decision and fast steps; a decision at 23:30 district time a
 *   day and a half after the case was ready: odd hours, not fast);
 *   SIGKILL and restart: still once.
 * grants: grants_under_limit (three grants of at least 90 % of the limit
 *   by one officer within 90 days; three to one person by three officers;
 *   not when one is below 90 % or approved above the limit; a fourth does
 *   not raise again); SIGKILL and restart: still once.
 * scans: township_outlier (of four townships, the one approving far more
 *   and the one overriding the rules far more; the others not) and
 *   overdue (approval's case.overdue of a held case; an emergency
 *   referral nothing took up past its days; not one taken up by an
 *   application or routed by services; services' referral.overdue, on
 *   the household, and left open by a late answer; none for a referral
 *   answered in time); SIGKILL and restart: still once.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "harness.h"
#include "kit.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/auth.h"
#include "sn/identity/v1/identity.pb-c.h"
#include "sn/idnum.h"
#include "sn/pay/v1/payment.pb-c.h"
#include "sn/services/v1/services.pb-c.h"
#include "sn/supervision/v1/supervision.pb-c.h"

#ifndef SN_SUPERVISION_BIN
#define SN_SUPERVISION_BIN "supervision"
#endif
#ifndef SN_INJECT_BIN
#define SN_INJECT_BIN "sn-inject"
#endif

#define DISTRICT "220103"
#define T1 "220103001"
#define T2 "220103002"
#define T3 "220103003"
#define T4 "220103004"

th              T;
static th_proc *sup;
static char    *supervisor, *inspector;
/* The scans' periods supervision is started with. */
static const char *scan_env    = "SN_SUPERVISION_ANOMALY_SCAN_MS=200";
static const char *outlier_env = "SN_SUPERVISION_OUTLIER_SCAN_MS=300";

/* ---- helpers ---------------------------------------------------------- */

/* The publishers the test plays. */
static const char *const PLAYED[] = { "intake", "investigation", "approval",
	"emergency", "disbursement", "identity", "services" };
#define NPLAYED (sizeof(PLAYED) / sizeof(PLAYED[0]))

/* Starts supervision (again: the same schema) with the test's settings
 * and extra ones (NULL-ended, may be NULL). */
static void
start_anomaly_supervision(const char *const *extra)
{
	const char *const scan[] = { scan_env, outlier_env, NULL };
	sup                      = start_supervision(scan, extra);
}

static void
start(const char *const *extra)
{
	publishers();
	for (size_t i = 0; i < NPLAYED; i++)
		injector(PLAYED[i]);
	start_anomaly_supervision(extra);
	supervisor = token("sup-1", "supervisor", DISTRICT);
	inspector  = token("insp-1", "inspector", DISTRICT);
}

static void
done(void)
{
	free(supervisor);
	free(inspector);
}

static int64_t
scans(void)
{
	return th_metric_http(
	    &T, sup_port, "sn_supervision_anomaly_scans_total");
}

/* Waits until n more scans have committed (the waiting checks, overdue
 * referrals and outliers looked at again). */
static void
wait_scans(int n, const char *what)
{
	int64_t  from = scans();
	uint64_t t0   = th_now_ms();
	while (scans() < from + n) {
		if (th_now_ms() - t0 > 30000)
			th_fail(&T, "%s: no anomaly scan committed", what);
		th_sleep_ms(50);
	}
}

static int64_t
alerts(const char *rule)
{
	return th_int(
	    &T, "SELECT count(*) FROM %s.alerts WHERE rule = '%s'", S, rule);
}

static int64_t
published(void)
{
	return th_int(&T,
	    "SELECT count(*) FROM %s.outbox WHERE topic = 'alert.raised'", S);
}

static void
wait_alert(const char *rule, const char *subject, const char *period)
{
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM %s.alerts WHERE rule = '%s' AND "
	        "subject = '%s' AND period = '%s'",
	        S, rule, subject, period))
		th_fail(&T, "no %s alert for %s (%s)", rule, subject, period);
}

/* The alert (rule, subject, period) as GET /alerts/{id} answers it. */
static json_t *
alert_of(const char *rule, const char *subject, const char *period)
{
	char *id = th_text(&T,
	    "SELECT id::text FROM %s.alerts WHERE rule = '%s' AND subject = "
	    "'%s' AND period = '%s'",
	    S, rule, subject, period);
	char  path[128];
	if (id == NULL)
		th_fail(&T, "no %s alert for %s (%s)", rule, subject, period);
	snprintf(path, sizeof(path), "/alerts/%s", id);
	answer a = call(sup_port, "GET", path, inspector, NULL, NULL);
	TH_CHECK(&T, a.status == 200, "GET %s: %d", path, a.status);
	TH_CHECK(&T, strcmp(jstr(a.body, "id"), id) == 0, "the id");
	free(id);
	return a.body;
}

/* Whether j's text holds needle (personal data must not be there). */
static bool
contains(const json_t *j, const char *needle)
{
	char *text = json_dumps(j, JSON_COMPACT);
	bool  in   = text == NULL || strstr(text, needle) != NULL;
	free(text);
	return in;
}

static json_t *
evidence(json_t *alert)
{
	json_t *e = json_object_get(alert, "evidence");
	if (!json_is_object(e))
		th_fail(&T, "an alert without its evidence object");
	return e;
}

/* Kills supervision (SIGKILL) and starts it again on the same schema. */
static void
sigkill_restart(const char *const *extra)
{
	th_kill(&T, sup, SIGKILL);
	start_anomaly_supervision(extra);
}

/* ---- the events ------------------------------------------------------- */

static void
submitted(const char *app, const char *township, const char *address,
    const char *const *members, size_t n, const char *account)
{
	Sn__Assist__V1__Household h = SN__ASSIST__V1__HOUSEHOLD__INIT;
	h.registration  = SN__ASSIST__V1__REGISTRATION__REGISTRATION_RURAL;
	h.district_code = DISTRICT;
	h.township_code = (char *) township;
	char village[16];
	snprintf(village, sizeof(village), "%s001", township);
	h.village_code = village;
	h.address      = (char *) address;
	Sn__Assist__V1__Member ms[4], *mp[4];
	for (size_t i = 0; i < n && i < 4; i++) {
		Sn__Assist__V1__Member m = SN__ASSIST__V1__MEMBER__INIT;
		m.id_number              = (char *) members[i];
		m.name                   = "someone";
		m.relation               = i == 0 ? "self" : "child";
		m.birth_date             = "1980-01-01";
		ms[i]                    = m;
		mp[i]                    = &ms[i];
	}
	Sn__Assist__V1__PayeeAccount pa = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	pa.bank_code                    = "RCB";
	pa.account_number               = (char *) account;
	pa.account_name                 = "someone";
	Sn__Assist__V1__ApplicationSubmitted m
	    = SN__ASSIST__V1__APPLICATION_SUBMITTED__INIT;
	m.application_id = (char *) app;
	m.accepted_date  = "2026-01-05";
	m.deadline_date  = "2026-01-20";
	m.household      = &h;
	m.n_members      = n;
	m.members        = mp;
	m.payee          = &pa;
	m.taken_in_by    = "clerk-1";
	m.revision       = 1;
	put("intake", "application.submitted", app, &m.base, NULL);
}

static void
submitted_from_referral(
    const char *app, const char *member, const char *referral)
{
	Sn__Assist__V1__Household h = SN__ASSIST__V1__HOUSEHOLD__INIT;
	h.district_code             = DISTRICT;
	h.township_code             = T1;
	Sn__Assist__V1__Member mm   = SN__ASSIST__V1__MEMBER__INIT;
	mm.id_number                = (char *) member;
	Sn__Assist__V1__Member              *mp = &mm;
	Sn__Assist__V1__ApplicationSubmitted m
	    = SN__ASSIST__V1__APPLICATION_SUBMITTED__INIT;
	m.application_id = (char *) app;
	m.household      = &h;
	m.n_members      = 1;
	m.members        = &mp;
	m.referral_id    = (char *) referral;
	put("intake", "application.submitted", app, &m.base, NULL);
}

static void
beneficiary(const char *ben, const char *app, const char *account,
    bool exited_by_death, const char *until)
{
	Sn__Assist__V1__PayeeAccount pa = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	pa.bank_code                    = "RCB";
	pa.account_number               = (char *) account;
	pa.account_name                 = "someone";
	Sn__Assist__V1__BeneficiaryChanged m
	    = SN__ASSIST__V1__BENEFICIARY_CHANGED__INIT;
	m.beneficiary_id     = (char *) ben;
	m.application_id     = (char *) app;
	m.status             = exited_by_death
	                ? SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_EXITED
	                : SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE;
	m.category           = SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO;
	m.monthly_amount_fen = exited_by_death ? 0 : 63000;
	m.payee              = &pa;
	m.from_month         = "2026-01";
	m.until_month        = (char *) (until != NULL ? until : "");
	m.cause              = exited_by_death
	                 ? SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_DEATH
	                 : SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_DECISION;
	put("approval", "beneficiary.changed", app, &m.base, NULL);
}

static void
death(const char *change, const char *ben, const char *app, const char *member,
    const char *effective)
{
	Sn__Assist__V1__HouseholdChangeReported m
	    = SN__ASSIST__V1__HOUSEHOLD_CHANGE_REPORTED__INIT;
	m.change_id        = (char *) change;
	m.beneficiary_id   = (char *) ben;
	m.application_id   = (char *) app;
	m.kind             = SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_DEATH;
	m.member_id_number = (char *) member;
	m.effective_date   = (char *) effective;
	m.reported_by      = "clerk-1";
	m.reported_on      = "2026-05-02";
	put("intake", "household.change_reported", ben, &m.base, NULL);
}

static void
payment(bool settled, const char *pay, const char *ben, const char *period,
    const char *account)
{
	Sn__Pay__V1__PaymentRef ref = SN__PAY__V1__PAYMENT_REF__INIT;
	ref.beneficiary_id          = (char *) ben;
	ref.period                  = (char *) period;
	if (settled) {
		Sn__Pay__V1__PaymentSettled m
		    = SN__PAY__V1__PAYMENT_SETTLED__INIT;
		m.payment_id    = (char *) pay;
		m.end_to_end_id = (char *) pay;
		m.fund          = SN__PAY__V1__FUND__FUND_DIBAO;
		m.amount_fen    = 63000;
		m.ref           = &ref;
		m.settled_at    = "2026-06-01T02:00:00Z";
		put("disbursement", "payment.settled", pay, &m.base, NULL);
		return;
	}
	Sn__Pay__V1__PaymentScheduled m = SN__PAY__V1__PAYMENT_SCHEDULED__INIT;
	m.payment_id                    = (char *) pay;
	m.end_to_end_id                 = (char *) pay;
	m.fund                          = SN__PAY__V1__FUND__FUND_DIBAO;
	m.amount_fen                    = 63000;
	m.account_number                = (char *) account;
	m.account_name                  = "someone";
	m.ref                           = &ref;
	m.township_code                 = T1;
	put("disbursement", "payment.scheduled", pay, &m.base, NULL);
}

static void
granted(const char *grant, const char *officer, const char *person,
    int64_t amount, const char *approved_by, const char *account,
    const char *at)
{
	Sn__Assist__V1__PayeeAccount pa = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	pa.bank_code                    = "RCB";
	pa.account_number               = (char *) account;
	pa.account_name                 = "someone";
	Sn__Assist__V1__EmergencyGranted m
	    = SN__ASSIST__V1__EMERGENCY_GRANTED__INIT;
	m.grant_id      = (char *) grant;
	m.township_code = T2;
	m.village_code  = T2 "001";
	m.id_number     = (char *) person;
	m.name          = "someone";
	m.cause = SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_FIRE;
	m.household_size = 1;
	m.amount_fen     = amount;
	m.total_fen      = amount;
	m.payee          = &pa;
	m.granted_by     = (char *) officer;
	m.approved_by    = (char *) (approved_by != NULL ? approved_by : "");
	m.granted_at     = "2026-06-01T02:00:00Z";
	put("emergency", "emergency.granted", grant, &m.base, at);
}

static void
acted(const char *publisher, const char *user, const char *idnum,
    const char *route, const char *subject, unsigned status, const char *code)
{
	Sn__Supervision__V1__StaffActed m
	    = SN__SUPERVISION__V1__STAFF_ACTED__INIT;
	m.service         = (char *) publisher;
	m.user_id         = (char *) user;
	m.role            = "township_officer";
	m.jurisdiction    = T1;
	m.actor_id_number = (char *) idnum;
	m.method          = "POST";
	m.route           = (char *) route;
	m.subject         = (char *) subject;
	m.request_id      = "req-1";
	m.idempotency_key = "k-1";
	m.status          = status;
	m.outcome_code    = (char *) code;
	m.at              = "2026-06-01T02:00:00Z";
	put(publisher, "staff.acted", subject, &m.base, NULL);
}

static void
stage(const char *case_id, Sn__Assist__V1__Stage from,
    Sn__Assist__V1__Stage to, const char *actor, const char *township,
    const char *at)
{
	Sn__Assist__V1__CaseStageChanged m
	    = SN__ASSIST__V1__CASE_STAGE_CHANGED__INIT;
	m.case_id        = (char *) case_id;
	m.application_id = (char *) case_id;
	m.from           = from;
	m.to             = to;
	m.actor          = (char *) actor;
	m.township_code  = (char *) township;
	put("approval", "case.stage_changed", case_id, &m.base, at);
}

static void
user_changed(const char *user, const char *role, const char *kind)
{
	Sn__Identity__V1__UserChanged m = SN__IDENTITY__V1__USER_CHANGED__INIT;
	m.user_id                       = (char *) user;
	m.username                      = (char *) user;
	m.display_name                  = (char *) user;
	m.kind                          = (char *) kind;
	m.role                          = (char *) role;
	m.jurisdiction                  = DISTRICT;
	m.created                       = true;
	m.changed_by                    = "admin";
	m.changed_at                    = "2026-06-01T02:00:00Z";
	put("identity", "user.changed", user, &m.base, NULL);
}

/* ---- payments --------------------------------------------------------- */

#define ACCT_X "6217000000000000101"
#define ACCT_Y "6217000000000000102"
#define ACCT_Z "6217000000000000103"
#define ACCT_W "6217000000000000104"

static char A1[19], B1[19], C1[19], D1[19], E1[19], E2[19], F1[19];

static void
payments_events(void)
{
	const char *a[] = { A1 }, *b[] = { B1 }, *c[] = { C1 }, *d[] = { D1 };
	const char *e[] = { E1, E2 }, *f[] = { F1 };

	/* shared_account: A and B name account X; C alone names Y */
	submitted("app-A", T1, "No. 1, East Street", a, 1, ACCT_X);
	beneficiary("ben-A", "app-A", ACCT_X, false, NULL);
	submitted("app-B", T1, "No. 2, West Street", b, 1, ACCT_X);
	submitted("app-C", T1, "No. 3, West Street", c, 1, ACCT_Y);
	/* paid_after_death: D's only member dies on 2026-03-10 */
	submitted("app-D", T1, "No. 4, West Street", d, 1, ACCT_Z);
	beneficiary("ben-D", "app-D", ACCT_Z, false, NULL);
	death("chg-D", "ben-D", "app-D", D1, "2026-03-10");
	payment(false, "pay-D-03", "ben-D", "2026-03", ACCT_Z);
	payment(false, "pay-D-04", "ben-D", "2026-04", ACCT_Z);
	payment(true, "pay-D-04", "ben-D", "2026-04", NULL);
	/* E: one of two dies; the survivor is still paid */
	submitted(
	    "app-E", T1, "No. 5, West Street", e, 2, "6217000000000000105");
	beneficiary("ben-E", "app-E", "6217000000000000105", false, NULL);
	death("chg-E", "ben-E", "app-E", E1, "2026-03-10");
	payment(false, "pay-E-05", "ben-E", "2026-05", "6217000000000000105");
	/* F: its payment comes before the beneficiary it names is known
	 * (the death report names the application only) */
	submitted(
	    "app-F", T1, "No. 6, West Street", f, 1, "6217000000000000106");
	death("chg-F", "", "app-F", F1, "2026-02-01");
	payment(false, "pay-F-05", "ben-F", "2026-05", "6217000000000000106");
	/* a grant to D after D's death */
	granted("grant-D", "off-e", D1, 50000, NULL, ACCT_W, NULL);
}

static void
check_api(void)
{
	char   path[256], *id, body[256];
	answer a;

	/* lists: all, by rule, by state, by township, paged */
	a = call(sup_port, "GET", "/alerts", inspector, NULL, NULL);
	TH_CHECK(&T, a.status == 200, "GET /alerts: %d", a.status);
	size_t all = json_array_size(json_object_get(a.body, "items"));
	TH_CHECK(&T,
	    all == (size_t) th_int(&T, "SELECT count(*) FROM %s.alerts", S),
	    "GET /alerts lists %zu", all);
	json_decref(a.body);
	a = call(sup_port, "GET", "/alerts?rule=paid_after_death", supervisor,
	    NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200
	        && json_array_size(json_object_get(a.body, "items")) == 3,
	    "paid_after_death alerts listed: %d", a.status);
	json_decref(a.body);
	a = call(sup_port, "GET", "/alerts?rule=shared_account&township=" T1,
	    inspector, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200
	        && json_array_size(json_object_get(a.body, "items")) == 1,
	    "shared_account in " T1);
	json_decref(a.body);
	a = call(sup_port, "GET", "/alerts?limit=1", inspector, NULL, NULL);
	const char *next = json_string_value(json_object_get(a.body, "next"));
	TH_CHECK(&T, a.status == 200 && next != NULL, "a first page of one");
	snprintf(path, sizeof(path), "/alerts?limit=1&cursor=%s", next);
	json_t *first
	    = json_incref(json_array_get(json_object_get(a.body, "items"), 0));
	json_decref(a.body);
	a = call(sup_port, "GET", path, inspector, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200
	        && strcmp(jstr(json_array_get(
	                           json_object_get(a.body, "items"), 0),
	                      "id"),
	               jstr(first, "id"))
	            != 0,
	    "the second page is another alert");
	json_decref(a.body);
	json_decref(first);
	a = call(sup_port, "GET", "/alerts?rule=bogus", inspector, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 422 && strcmp(err_code(&a), "invalid_query") == 0,
	    "an unknown rule: %d", a.status);
	json_decref(a.body);
	a = call(sup_port, "GET", "/alerts?state=done", inspector, NULL, NULL);
	TH_CHECK(&T, a.status == 422, "an unknown state: %d", a.status);
	json_decref(a.body);
	a = call(sup_port, "GET",
	    "/alerts/6b0e3c1a-0000-4000-8000-000000000000", inspector, NULL,
	    NULL);
	TH_CHECK(&T, a.status == 404, "an unknown alert: %d", a.status);
	json_decref(a.body);
	char *clerk = token("clerk-1", "clerk", T1);
	a           = call(sup_port, "GET", "/alerts", clerk, NULL, NULL);
	TH_CHECK(&T, a.status == 403, "a clerk reads alerts: %d", a.status);
	json_decref(a.body);
	free(clerk);

	/* assignment */
	id = th_text(&T,
	    "SELECT id::text FROM %s.alerts WHERE rule = 'shared_account'", S);
	snprintf(path, sizeof(path), "/alerts/%s/assignment", id);
	user_changed("sup-2", "supervisor", "staff");
	user_changed("clerk-9", "clerk", "staff");
	wait_applied(PLAYED, NPLAYED, "users");
	a = call(sup_port, "POST", path, supervisor, NULL,
	    "{\"assignee\":\"sup-2\"}");
	TH_CHECK(
	    &T, a.status == 400, "an assignment without a key: %d", a.status);
	json_decref(a.body);
	a = call(sup_port, "POST", path, inspector, new_key(),
	    "{\"assignee\":\"sup-2\"}");
	TH_CHECK(&T, a.status == 403, "an inspector assigns: %d", a.status);
	json_decref(a.body);
	a = call(sup_port, "POST", path, supervisor, new_key(),
	    "{\"assignee\":\"nobody\"}");
	TH_CHECK(&T,
	    a.status == 422 && strcmp(err_code(&a), "unknown_assignee") == 0,
	    "an unknown assignee: %d %s", a.status, err_code(&a));
	json_decref(a.body);
	a = call(sup_port, "POST", path, supervisor, new_key(),
	    "{\"assignee\":\"clerk-9\"}");
	TH_CHECK(&T,
	    a.status == 422 && strcmp(err_code(&a), "unknown_assignee") == 0,
	    "a clerk as assignee: %d", a.status);
	json_decref(a.body);
	int64_t     before = published();
	const char *key    = new_key();
	char        k[64];
	snprintf(k, sizeof(k), "%s", key);
	a = call(
	    sup_port, "POST", path, supervisor, k, "{\"assignee\":\"sup-2\"}");
	TH_CHECK(&T,
	    a.status == 200 && strcmp(jstr(a.body, "state"), "assigned") == 0
	        && strcmp(jstr(a.body, "assignee"), "sup-2") == 0,
	    "assigned: %d %s", a.status, jstr(a.body, "state"));
	json_decref(a.body);
	a = call(
	    sup_port, "POST", path, supervisor, k, "{\"assignee\":\"sup-2\"}");
	TH_CHECK(&T, a.status == 200, "the assignment replayed: %d", a.status);
	json_decref(a.body);
	TH_CHECK(&T, published() == before + 1,
	    "the assignment published once (%lld)",
	    (long long) (published() - before));
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.outbox WHERE topic = 'alert.raised' "
	        "AND subject = '%s' AND actor = 'sup-1'",
	        S, id)
	        == 1,
	    "alert.raised of the assignment, by its actor");

	/* closure */
	snprintf(path, sizeof(path), "/alerts/%s/closure", id);
	a = call(sup_port, "POST", path, inspector, new_key(), "{}");
	TH_CHECK(&T,
	    a.status == 422 && strcmp(err_code(&a), "note_required") == 0,
	    "closed without a note: %d %s", a.status, err_code(&a));
	json_decref(a.body);
	a = call(
	    sup_port, "POST", path, inspector, new_key(), "{\"note\":\"  \"}");
	TH_CHECK(&T,
	    a.status == 422 && strcmp(err_code(&a), "note_required") == 0,
	    "closed with a blank note: %d", a.status);
	json_decref(a.body);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.alerts WHERE id = '%s' AND "
	        "state = 'assigned'",
	        S, id)
	        == 1,
	    "still assigned after the refusals");
	snprintf(body, sizeof(body),
	    "{\"note\":\"the account is the grandson's; both households "
	    "visited\"}");
	a = call(sup_port, "POST", path, inspector, new_key(), body);
	TH_CHECK(&T,
	    a.status == 200 && strcmp(jstr(a.body, "state"), "closed") == 0
	        && strncmp(jstr(a.body, "note"), "the account", 11) == 0
	        && strcmp(jstr(a.body, "closed_by"), "insp-1") == 0,
	    "closed: %d", a.status);
	json_decref(a.body);
	a = call(sup_port, "POST", path, supervisor, new_key(), body);
	TH_CHECK(&T,
	    a.status == 409 && strcmp(err_code(&a), "alert_closed") == 0,
	    "closed twice: %d", a.status);
	json_decref(a.body);
	snprintf(path, sizeof(path), "/alerts/%s/assignment", id);
	a = call(sup_port, "POST", path, supervisor, new_key(),
	    "{\"assignee\":\"sup-2\"}");
	TH_CHECK(&T, a.status == 409, "a closed alert assigned: %d", a.status);
	json_decref(a.body);
	TH_CHECK(&T, published() == before + 2,
	    "the closure published once (%lld in all)",
	    (long long) (published() - before));
	a = call(
	    sup_port, "GET", "/alerts?state=closed", inspector, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200
	        && json_array_size(json_object_get(a.body, "items")) == 1
	        && strcmp(jstr(json_array_get(
	                           json_object_get(a.body, "items"), 0),
	                      "id"),
	               id)
	            == 0,
	    "the closed alert listed by state");
	json_decref(a.body);
	/* the last alert.raised of it, decoded */
	size_t                            len;
	uint8_t                          *raw = th_bytes_at(&T, 0, &len,
	                             "SELECT data FROM %s.outbox WHERE topic = 'alert.raised' AND "
	                                                      "subject = '%s' ORDER BY id DESC LIMIT 1",
	                             S, id);
	Sn__Supervision__V1__AlertRaised *m   = raw != NULL
	      ? sn__supervision__v1__alert_raised__unpack(NULL, len, raw)
	      : NULL;
	TH_CHECK(&T,
	    m != NULL && strcmp(m->state, "closed") == 0
	        && strcmp(m->rule, "shared_account") == 0
	        && strcmp(m->severity, "high") == 0
	        && strncmp(m->note, "the account", 11) == 0
	        && strcmp(m->alert_id, id) == 0,
	    "the closure's alert.raised");
	sn__supervision__v1__alert_raised__free_unpacked(m, NULL);
	free(raw);
	free(id);
}

static void
payments(void)
{
	start(NULL);
	idn(A1, 11);
	idn(B1, 13);
	idn(C1, 15);
	idn(D1, 17);
	idn(E1, 19);
	idn(E2, 20);
	idn(F1, 21);
	payments_events();
	wait_applied(PLAYED, NPLAYED, "the payments");
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM %s.anomaly_todo t JOIN %s.events e ON "
	        "e.event_id::text = t.key WHERE t.rule = 'paid_after_death' "
	        "AND e.subject = 'pay-F-05' AND e.household_id IS NULL",
	        S, S))
		th_fail(&T, "F's payment does not wait for its household");
	wait_scans(2, "F waiting");
	TH_CHECK(&T, alerts("paid_after_death") <= 2,
	    "F's payment raised before its household was known");
	beneficiary("ben-F", "app-F", "6217000000000000106", false, NULL);
	wait_applied(PLAYED, NPLAYED, "F's beneficiary");

	/* shared_account: X by A and B */
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM %s.alerts WHERE rule = 'shared_account'",
	        S))
		th_fail(&T, "no shared_account alert");
	char   *subj = th_text(&T,
	      "SELECT subject FROM %s.alerts WHERE rule = 'shared_account'", S);
	json_t *al   = alert_of("shared_account", subj, "");
	json_t *ev   = evidence(al);
	json_t *hh   = json_object_get(ev, "households");
	TH_CHECK(&T,
	    json_array_size(hh) == 2
	        && strcmp(jstr(json_array_get(hh, 0), "household_id"), "app-A")
	            == 0
	        && strcmp(jstr(json_array_get(hh, 1), "household_id"), "app-B")
	            == 0,
	    "the shared account's households");
	TH_CHECK(&T,
	    strncmp(subj, "account:", 8) == 0 && strlen(subj) == 24
	        && strcmp(jstr(al, "severity"), "high") == 0
	        && strcmp(jstr(al, "state"), "open") == 0
	        && strcmp(jstr(al, "township_code"), T1) == 0,
	    "the shared account's alert: %s", subj);
	TH_CHECK(&T, !contains(ev, "6217000000000000"),
	    "the evidence names no account number");
	json_decref(al);
	free(subj);

	/* paid_after_death: D's April (scheduled and settled: once), the
	 * grant to D, F's May once linked; not D's March, not E's May. D's
	 * household is known by the id supervision saw first: its
	 * application's or, when emergency's stream came first, the
	 * grant's (households.h). */
	char *hd = th_text(&T,
	    "SELECT household_id FROM %s.household_keys WHERE key = 'app-D'",
	    S);
	TH_CHECK(&T,
	    hd != NULL
	        && (strcmp(hd, "app-D") == 0 || strcmp(hd, "grant-D") == 0),
	    "D's household");
	wait_alert("paid_after_death", hd, "2026-04");
	wait_alert("paid_after_death", hd, "grant:grant-D");
	wait_alert("paid_after_death", "app-F", "2026-05");
	al           = alert_of("paid_after_death", hd, "2026-04");
	ev           = evidence(al);
	json_t *pays = json_object_get(ev, "payments");
	TH_CHECK(&T,
	    strcmp(jstr(ev, "last_month_owed"), "2026-03") == 0
	        && strcmp(jstr(json_object_get(ev, "death"), "died_on"),
	               "2026-03-10")
	            == 0
	        && strcmp(jstr(al, "household_id"), hd) == 0,
	    "D's evidence: the death");
	/* both the scheduling and the settlement, if both were applied
	 * before the check that raised it; at least the first */
	TH_CHECK(&T,
	    json_array_size(pays) >= 1
	        && strcmp(
	               jstr(json_array_get(pays, 0), "payment_id"), "pay-D-04")
	            == 0
	        && json_integer_value(
	               json_object_get(json_array_get(pays, 0), "amount_fen"))
	            == 63000,
	    "D's evidence: the payment");
	json_decref(al);
	free(hd);
	TH_CHECK(&T, alerts("paid_after_death") == 3,
	    "paid_after_death alerts: %lld",
	    (long long) alerts("paid_after_death"));
	TH_CHECK(&T, alerts("shared_account") == 1,
	    "shared_account alerts: %lld",
	    (long long) alerts("shared_account"));
	/* (an event households.h never links, e.g. a settlement whose
	 * scheduling was linked late, would wait until it expires) */
	if (!th_wait_int(&T, 0, 30000,
	        "SELECT count(*) FROM %s.anomaly_todo t JOIN %s.events e ON "
	        "e.event_id::text = t.key WHERE e.household_id IS NOT NULL",
	        S, S))
		th_fail(&T, "a check of a linked event still waits");
	int64_t raised = published();
	TH_CHECK(&T, raised == 4, "alert.raised published %lld times",
	    (long long) raised);

	/* SIGKILL while it applies more of the same: after the restart,
	 * still one of each */
	const char *a2[] = { A1 };
	for (int i = 0; i < 40; i++) {
		char pay[32];
		snprintf(pay, sizeof(pay), "pay-D-04-%d", i);
		payment(false, pay, "ben-D", "2026-04", ACCT_Z);
	}
	submitted("app-A", T1, "No. 1, East Street", a2, 1, ACCT_X);
	th_sleep_ms(30); /* pacing only: the kill may come at any point */
	sigkill_restart(NULL);
	wait_applied(PLAYED, NPLAYED, "after the restart");
	wait_scans(2, "after the restart");
	TH_CHECK(&T,
	    alerts("paid_after_death") == 3 && alerts("shared_account") == 1,
	    "after the restart: %lld paid_after_death, %lld shared_account",
	    (long long) alerts("paid_after_death"),
	    (long long) alerts("shared_account"));
	TH_CHECK(&T, published() == raised, "alert.raised published again");

	check_api();
}

/* ---- staff ------------------------------------------------------------ */

static char H1[19], H2[19], K1[19], L1[19], M1[19], Z1[19];

#define ELM "No. 9, Elm Lane"
/* A time days days before today (UTC) at hh:mm UTC. */
#define UTC_AT(days, hhmm)                                                    \
	"((date_trunc('day', now() AT TIME ZONE 'UTC') - interval '" days     \
	" days' + interval '" hhmm "') AT TIME ZONE 'UTC')"

static void
staff(void)
{
	const char *h[] = { H1, H2 }, *k[] = { K1 }, *l[] = { L1 },
	           *m[] = { M1 };

	start(NULL);
	idn(H1, 31);
	idn(H2, 32);
	idn(K1, 33);
	idn(L1, 35);
	idn(M1, 37);
	idn(Z1, 39);
	submitted("app-H", T1, ELM, h, 2, "6217000000000000201");
	submitted(
	    "app-K", T1, " no. 9,  elm lane", k, 1, "6217000000000000202");
	wait_applied(PLAYED, NPLAYED, "the households");
	/* H1 is refused on H's case (approval's segregation of duties); K1,
	 * at the same address, acts; Z1 is nobody's relative */
	acted("approval", "off-h1", H1, "/cases/{id}/township-confirmation",
	    "app-H", 403, "household_member");
	acted("approval", "off-k1", K1, "/cases/{id}/village-review", "app-H",
	    200, "");
	acted("approval", "off-z", Z1, "/cases/{id}/village-review", "app-K",
	    200, "");
	/* H2 reports the home visit of H's own task (the task is H's by
	 * its investigation.completed) */
	Sn__Assist__V1__InvestigationCompleted ic
	    = SN__ASSIST__V1__INVESTIGATION_COMPLETED__INIT;
	char *inv[]        = { "inv-h2", "inv-x" };
	ic.application_id  = "app-H";
	ic.task_id         = "task-H";
	ic.n_investigators = 2;
	ic.investigators   = inv;
	ic.visit_date      = "2026-06-01";
	ic.recommendation
	    = SN__ASSIST__V1__RECOMMENDATION__RECOMMENDATION_APPROVE;
	ic.submitted_by = "inv-h2";
	acted("investigation", "inv-h2", H2, "/tasks/{id}/report", "task-H",
	    201, "");
	put("investigation", "investigation.completed", "app-H", &ic.base,
	    NULL);
	/* H1 reports the visit of H's task J, which stops waiting for its
	 * household (SN_SUPERVISION_PENDING_DAYS, the purge's DELETE) before
	 * task J's investigation.completed comes: the action itself is never
	 * linked, the check finds the household by the task's id */
	acted("investigation", "inv-h1", H1, "/tasks/{id}/report", "task-J",
	    201, "");
	/* L1 acts before L's application is seen; M1 acts on H's case
	 * before M1's own household (at H's address) is seen */
	acted("intake", "clerk-l", L1, "/applications", "app-L", 201, "");
	acted("approval", "off-m", M1, "/cases/{id}/district-filing", "app-H",
	    200, "");
	wait_applied(PLAYED, NPLAYED, "the actions");
	TH_CHECK(&T,
	    th_int(&T,
	        "WITH d AS (DELETE FROM %s.household_pending WHERE key = "
	        "'task-J' RETURNING 1) SELECT count(*) FROM d",
	        S)
	        == 1,
	    "the report on task J waited for its household");
	ic.task_id = "task-J";
	put("investigation", "investigation.completed", "app-H", &ic.base,
	    NULL);
	wait_applied(PLAYED, NPLAYED, "task J's investigation");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.events WHERE type = 'staff.acted' "
	        "AND subject = 'task-J' AND household_id IS NULL",
	        S)
	        == 1,
	    "the report on task J stays unlinked");
	wait_scans(2, "the actions");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.anomaly_todo WHERE rule = "
	        "'relative_conflict'",
	        S)
	        == 1,
	    "the action on an unknown case waits");
	submitted(
	    "app-L", T2, "No. 1, Birch Road", l, 1, "6217000000000000203");
	submitted("app-M", T2, "No. 9, Elm Lane", m, 1, "6217000000000000204");

	/* cases: H's three steps within six minutes at 10:00 district time;
	 * K's decision at 23:30 a day and a half after it was ready */
	stage("app-H", SN__ASSIST__V1__STAGE__STAGE_GATHERING,
	    SN__ASSIST__V1__STAGE__STAGE_VILLAGE_REVIEW, "system", T1,
	    UTC_AT("2", "2 hours"));
	stage("app-H", SN__ASSIST__V1__STAGE__STAGE_VILLAGE_REVIEW,
	    SN__ASSIST__V1__STAGE__STAGE_TOWNSHIP_CONFIRM, "rev-1", T1,
	    UTC_AT("2", "2 hours 2 minutes"));
	stage("app-H", SN__ASSIST__V1__STAGE__STAGE_TOWNSHIP_CONFIRM,
	    SN__ASSIST__V1__STAGE__STAGE_DISTRICT_FILING, "off-1", T1,
	    UTC_AT("2", "2 hours 4 minutes"));
	stage("app-H", SN__ASSIST__V1__STAGE__STAGE_DISTRICT_FILING,
	    SN__ASSIST__V1__STAGE__STAGE_FILED, "dist-1", T1,
	    UTC_AT("2", "2 hours 6 minutes"));
	stage("app-K", SN__ASSIST__V1__STAGE__STAGE_GATHERING,
	    SN__ASSIST__V1__STAGE__STAGE_VILLAGE_REVIEW, "system", T1,
	    UTC_AT("3", "1 hours"));
	stage("app-K", SN__ASSIST__V1__STAGE__STAGE_VILLAGE_REVIEW,
	    SN__ASSIST__V1__STAGE__STAGE_TOWNSHIP_CONFIRM, "rev-1", T1,
	    UTC_AT("2", "3 hours"));
	stage("app-K", SN__ASSIST__V1__STAGE__STAGE_TOWNSHIP_CONFIRM,
	    SN__ASSIST__V1__STAGE__STAGE_DISTRICT_FILING, "off-1", T1,
	    UTC_AT("2", "15 hours 30 minutes"));
	stage("app-K", SN__ASSIST__V1__STAGE__STAGE_DISTRICT_FILING,
	    SN__ASSIST__V1__STAGE__STAGE_FILED, "dist-1", T1,
	    UTC_AT("1", "3 hours"));
	wait_applied(PLAYED, NPLAYED, "the cases");

	wait_alert("relative_conflict", "app-H", "off-h1:attempt");
	wait_alert("relative_conflict", "app-H", "off-k1");
	wait_alert("relative_conflict", "app-L", "clerk-l");
	wait_alert("relative_conflict", "app-H", "off-m");
	wait_alert("relative_conflict", "task-H", "inv-h2");
	wait_alert("relative_conflict", "task-J", "inv-h1");
	json_t *al = alert_of("relative_conflict", "app-H", "off-h1:attempt");
	json_t *ev = evidence(al);
	TH_CHECK(&T,
	    strcmp(jstr(al, "severity"), "medium") == 0
	        && strcmp(jstr(ev, "relation"), "member") == 0
	        && strcmp(jstr(ev, "outcome_code"), "household_member") == 0
	        && json_is_true(json_object_get(ev, "attempt"))
	        && strcmp(jstr(al, "household_id"), "app-H") == 0,
	    "H1's refused attempt");
	TH_CHECK(
	    &T, !contains(ev, H1), "the evidence names no identity number");
	json_decref(al);
	al = alert_of("relative_conflict", "app-H", "off-k1");
	ev = evidence(al);
	TH_CHECK(&T,
	    strcmp(jstr(al, "severity"), "high") == 0
	        && strcmp(jstr(ev, "relation"), "same_address") == 0
	        && strcmp(jstr(ev, "actor_household_id"), "app-K") == 0
	        && json_is_false(json_object_get(ev, "attempt")),
	    "K1's action at the same address");
	json_decref(al);
	al = alert_of("relative_conflict", "app-L", "clerk-l");
	TH_CHECK(&T,
	    strcmp(jstr(evidence(al), "relation"), "member") == 0
	        && strcmp(jstr(al, "township_code"), T2) == 0,
	    "L1's action, linked later");
	json_decref(al);
	al = alert_of("relative_conflict", "app-H", "off-m");
	TH_CHECK(&T,
	    strcmp(jstr(evidence(al), "relation"), "same_address") == 0,
	    "M1's action, its household seen later");
	json_decref(al);
	al = alert_of("relative_conflict", "task-H", "inv-h2");
	TH_CHECK(&T,
	    strcmp(jstr(evidence(al), "relation"), "member") == 0
	        && strcmp(jstr(al, "household_id"), "app-H") == 0
	        && strcmp(jstr(al, "severity"), "high") == 0,
	    "H2's report of the visit to H's own home");
	json_decref(al);
	al = alert_of("relative_conflict", "task-J", "inv-h1");
	TH_CHECK(&T,
	    strcmp(jstr(evidence(al), "relation"), "member") == 0
	        && strcmp(jstr(al, "household_id"), "app-H") == 0
	        && strcmp(jstr(al, "township_code"), T1) == 0,
	    "H1's report on task J, through the task's id");
	json_decref(al);

	wait_alert("fast_or_odd_hours", "app-H", "fast_decision");
	wait_alert("fast_or_odd_hours", "app-H", "fast_steps");
	wait_alert("fast_or_odd_hours", "app-K", "odd_hours");
	al = alert_of("fast_or_odd_hours", "app-H", "fast_decision");
	ev = evidence(al);
	TH_CHECK(&T,
	    json_is_null(json_object_get(ev, "filed_after_s"))
	        && json_integer_value(json_object_get(ev, "decided_after_s"))
	            == 240
	        && json_array_size(json_object_get(ev, "steps")) == 3
	        && strcmp(jstr(al, "severity"), "medium") == 0,
	    "H's fast decision");
	json_decref(al);
	al = alert_of("fast_or_odd_hours", "app-H", "fast_steps");
	ev = evidence(al);
	TH_CHECK(&T,
	    json_integer_value(json_object_get(ev, "filed_after_s")) == 360
	        && json_array_size(json_object_get(ev, "steps")) == 4,
	    "H's fast steps");
	json_decref(al);
	al = alert_of("fast_or_odd_hours", "app-K", "odd_hours");
	ev = evidence(al);
	TH_CHECK(&T,
	    strcmp(jstr(ev, "local_time"), "23:30") == 0
	        && strcmp(jstr(json_object_get(ev, "step"), "actor"), "off-1")
	            == 0,
	    "K's decision at 23:30: %s", jstr(ev, "local_time"));
	json_decref(al);

	wait_scans(2, "the staff rules");
	TH_CHECK(&T, alerts("relative_conflict") == 6,
	    "relative_conflict alerts: %lld (off-z is nobody's relative)",
	    (long long) alerts("relative_conflict"));
	TH_CHECK(&T, alerts("fast_or_odd_hours") == 3,
	    "fast_or_odd_hours: %lld (H not at odd hours, K not fast)",
	    (long long) alerts("fast_or_odd_hours"));
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.anomaly_todo", S) == 0,
	    "nothing waits");

	int64_t raised = published();
	acted("approval", "off-h1", H1, "/cases/{id}/township-confirmation",
	    "app-H", 403, "household_member");
	stage("app-K", SN__ASSIST__V1__STAGE__STAGE_TOWNSHIP_CONFIRM,
	    SN__ASSIST__V1__STAGE__STAGE_REJECTED, "off-1", T1,
	    UTC_AT("1", "15 hours"));
	sigkill_restart(NULL);
	wait_applied(PLAYED, NPLAYED, "after the restart");
	wait_scans(2, "after the restart");
	TH_CHECK(&T,
	    alerts("relative_conflict") == 6
	        && alerts("fast_or_odd_hours") == 3 && published() == raised,
	    "after the restart: %lld, %lld alerts, %lld published",
	    (long long) alerts("relative_conflict"),
	    (long long) alerts("fast_or_odd_hours"),
	    (long long) (published() - raised));
}

/* ---- grants ----------------------------------------------------------- */

static char P[8][19];

static void
grants(void)
{
	start(NULL);
	for (int i = 0; i < 8; i++)
		idn(P[i], 51 + i);
	/* off-g: 280,000, 290,000 and 299,000 of 300,000, over 19 days */
	granted("g-1", "off-g", P[0], 280000, NULL, "6217000000000000301",
	    "now() - interval '20 days'");
	granted("g-2", "off-g", P[1], 290000, NULL, "6217000000000000302",
	    "now() - interval '10 days'");
	granted("g-3", "off-g", P[2], 299000, NULL, "6217000000000000303",
	    "now() - interval '1 days'");
	/* P[3]: three officers, each just under */
	granted("g-4", "off-a", P[3], 270000, NULL, "6217000000000000304",
	    "now() - interval '15 days'");
	granted("g-5", "off-b", P[3], 300000, NULL, "6217000000000000304",
	    "now() - interval '9 days'");
	granted("g-6", "off-c", P[3], 285000, NULL, "6217000000000000304",
	    "now() - interval '2 days'");
	/* off-n: one of three below 90 %, one approved above the limit */
	granted("g-7", "off-n", P[4], 280000, NULL, "6217000000000000305",
	    "now() - interval '6 days'");
	granted("g-8", "off-n", P[5], 269999, NULL, "6217000000000000306",
	    "now() - interval '5 days'");
	granted("g-9", "off-n", P[6], 350000, "dist-1", "6217000000000000307",
	    "now() - interval '4 days'");
	granted("g-10", "off-n", P[7], 290000, NULL, "6217000000000000308",
	    "now() - interval '3 days'");
	wait_applied(PLAYED, NPLAYED, "the grants");
	wait_alert("grants_under_limit", "off-g", "g-1");
	wait_alert("grants_under_limit", "g-4", "g-4");
	json_t *al = alert_of("grants_under_limit", "off-g", "g-1");
	json_t *ev = evidence(al);
	json_t *gs = json_object_get(ev, "grants");
	TH_CHECK(&T,
	    json_array_size(gs) == 3 && strcmp(jstr(ev, "by"), "officer") == 0
	        && json_integer_value(json_object_get(ev, "limit_fen"))
	            == 300000
	        && json_integer_value(
	               json_object_get(json_array_get(gs, 2), "amount_fen"))
	            == 299000
	        && strcmp(jstr(json_array_get(gs, 0), "grant_id"), "g-1") == 0,
	    "off-g's grants");
	TH_CHECK(&T, strcmp(jstr(al, "township_code"), T2) == 0, "township");
	json_decref(al);
	al = alert_of("grants_under_limit", "g-4", "g-4");
	ev = evidence(al);
	TH_CHECK(&T,
	    strcmp(jstr(ev, "by"), "person") == 0
	        && json_array_size(json_object_get(ev, "grants")) == 3
	        && strcmp(jstr(al, "household_id"), "g-4") == 0,
	    "the grants to one person");
	json_decref(al);
	TH_CHECK(&T, alerts("grants_under_limit") == 2,
	    "grants_under_limit alerts: %lld (off-n's are not a pattern)",
	    (long long) alerts("grants_under_limit"));

	/* a fourth by off-g is not a new pattern; SIGKILL and restart */
	int64_t raised = published();
	granted(
	    "g-11", "off-g", P[5], 295000, NULL, "6217000000000000306", NULL);
	sigkill_restart(NULL);
	wait_applied(PLAYED, NPLAYED, "after the restart");
	TH_CHECK(&T,
	    alerts("grants_under_limit") == 2 && published() == raised,
	    "after the restart and a fourth grant: %lld alerts",
	    (long long) alerts("grants_under_limit"));
	/* two more make three new ones: another alert, from g-11 */
	granted(
	    "g-12", "off-g", P[6], 299999, NULL, "6217000000000000307", NULL);
	granted(
	    "g-13", "off-g", P[7], 271000, NULL, "6217000000000000308", NULL);
	wait_applied(PLAYED, NPLAYED, "three more");
	wait_alert("grants_under_limit", "off-g", "g-11");
	TH_CHECK(&T, alerts("grants_under_limit") == 3,
	    "grants_under_limit alerts: %lld",
	    (long long) alerts("grants_under_limit"));
}

/* ---- scans ------------------------------------------------------------ */

/* n decisions in township, approved of them approved, overridden of
 * those overridden. */
static void
decisions(const char *township, int n, int approved, int overridden)
{
	Sn__Assist__V1__Household h = SN__ASSIST__V1__HOUSEHOLD__INIT;
	h.district_code             = DISTRICT;
	h.township_code             = (char *) township;
	for (int i = 0; i < n; i++) {
		char app[48];
		snprintf(app, sizeof(app), "app-%s-%d", township, i);
		Sn__Assist__V1__ApplicationDecided m
		    = SN__ASSIST__V1__APPLICATION_DECIDED__INIT;
		m.application_id       = app;
		m.case_id              = app;
		m.approved             = i < approved;
		m.category             = m.approved
		                ? SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO
		                : SN__ASSIST__V1__CATEGORY__CATEGORY_NONE;
		m.household            = &h;
		m.override_reason_code = i < overridden ? "hardship" : "";
		m.decided_by           = "off-1";
		put("approval", "application.decided", app, &m.base, NULL);
	}
}

static void
referral(const char *id, Sn__Assist__V1__ReferralKind kind, const char *at)
{
	Sn__Assist__V1__ReferralCreated m
	    = SN__ASSIST__V1__REFERRAL_CREATED__INIT;
	m.referral_id   = (char *) id;
	m.grant_id      = "g-r";
	m.kind          = kind;
	m.department    = "hospital";
	m.district_code = DISTRICT;
	m.township_code = T3;
	m.created_by    = "off-r";
	put("emergency", "referral.created", id, &m.base, at);
}

/* services' referral.routed of referral id to medical_insurance: for
 * application app, or from the emergency referral emergency (both may be
 * ""). */
static void
routed(const char *id, const char *app, const char *emergency)
{
	Sn__Services__V1__ReferralRouted m
	    = SN__SERVICES__V1__REFERRAL_ROUTED__INIT;
	m.referral_id           = (char *) id;
	m.household_id          = (char *) (app[0] != '\0' ? app : emergency);
	m.application_id        = (char *) app;
	m.emergency_referral_id = (char *) emergency;
	m.grant_id              = (char *) (emergency[0] != '\0' ? "g-r" : "");
	m.source                = emergency[0] != '\0'
	                   ? SN__SERVICES__V1__REFERRAL_SOURCE__REFERRAL_SOURCE_EMERGENCY
	                   : SN__SERVICES__V1__REFERRAL_SOURCE__REFERRAL_SOURCE_DECISION;
	m.type       = SN__SERVICES__V1__ASSISTANCE_TYPE__ASSISTANCE_MEDICAL;
	m.department = "medical_insurance";
	m.kind       = "medical_assistance";
	m.member     = 1;
	m.deadline_date = "2026-11-20";
	m.district_code = DISTRICT;
	m.township_code = T2;
	m.routed_by     = "off-s";
	put("services", "referral.routed", id, &m.base, NULL);
}

static void
referral_overdue(const char *id, const char *app)
{
	Sn__Services__V1__ReferralOverdue m
	    = SN__SERVICES__V1__REFERRAL_OVERDUE__INIT;
	m.referral_id    = (char *) id;
	m.household_id   = (char *) app;
	m.application_id = (char *) app;
	m.department     = "medical_insurance";
	m.kind           = "medical_assistance";
	m.deadline_date  = "2026-11-20";
	m.township_code  = T2;
	put("services", "referral.overdue", id, &m.base, NULL);
}

static void
answered(const char *id, const char *app, bool late)
{
	Sn__Services__V1__ReferralAnswered m
	    = SN__SERVICES__V1__REFERRAL_ANSWERED__INIT;
	m.referral_id    = (char *) id;
	m.household_id   = (char *) app;
	m.application_id = (char *) app;
	m.department     = "medical_insurance";
	m.kind           = "medical_assistance";
	m.outcome     = SN__SERVICES__V1__REFERRAL_OUTCOME__REFERRAL_ACCEPTED;
	m.grant       = "hospital costs above the insurance's";
	m.from_date   = "2026-11-01";
	m.answered_by = "med-1";
	m.late        = late;
	m.township_code = T2;
	put("services", "referral.answered", id, &m.base, NULL);
}

/* services' referrals: S-1 overdue (for app-S, applied first), S-2
 * answered in time, S-3 overdue and answered late; and the emergency
 * referral ref-3 routed by services. */
static void
services_referrals(void)
{
	char s1[19];
	submitted_from_referral("app-S", idn(s1, 72), "");
	wait_applied(PLAYED, NPLAYED, "app-S");
	routed("svc-1", "app-S", "");
	referral_overdue("svc-1", "app-S");
	routed("svc-2", "app-S", "");
	answered("svc-2", "app-S", false);
	routed("svc-3", "app-S", "");
	referral_overdue("svc-3", "app-S");
	answered("svc-3", "app-S", true);
	routed("svc-4", "", "ref-3");
}

static void
scans_scenario(void)
{
	static const char *const extra[]
	    = { "SN_SUPERVISION_OUTLIER_MIN_CASES=10",
		      "SN_SUPERVISION_REFERRAL_DAYS=1", NULL };
	char r2[19];

	scan_env    = "SN_SUPERVISION_ANOMALY_SCAN_MS=86400000";
	outlier_env = "SN_SUPERVISION_OUTLIER_SCAN_MS=86400000";
	start(extra);
	/* approval rates 28/30, 15/30, 16/30, 17/30; T4 overrides 8 of 17 */
	decisions(T1, 30, 28, 0);
	decisions(T2, 30, 15, 0);
	decisions(T3, 30, 16, 0);
	decisions(T4, 30, 17, 8);
	/* a held case overdue */
	Sn__Assist__V1__CaseOverdue o = SN__ASSIST__V1__CASE_OVERDUE__INIT;
	o.case_id                     = "app-O";
	o.application_id              = "app-O";
	o.stage                       = SN__ASSIST__V1__STAGE__STAGE_HELD;
	o.deadline_date               = "2026-11-20";
	o.township_code               = T2;
	put("approval", "case.overdue", "app-O", &o.base, NULL);
	/* three emergency referrals made 3 days ago (1 day allowed): R1
	 * not taken up, R2 taken up by an application, R3 routed by
	 * services to a department */
	referral("ref-1", SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_MEDICAL,
	    "now() - interval '3 days'");
	referral("ref-2", SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_DIBAO,
	    "now() - interval '3 days'");
	referral("ref-3", SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_HOUSING,
	    "now() - interval '3 days'");
	referral("ref-4", SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_MEDICAL,
	    NULL);
	submitted_from_referral("app-R2", idn(r2, 71), "ref-2");
	services_referrals();
	wait_applied(PLAYED, NPLAYED, "the decisions");
	/* Scanned only once everything is in: a scan of half the
	 * decisions, or of a referral whose answer is not in yet, would
	 * find what is not there. */
	scan_env    = "SN_SUPERVISION_ANOMALY_SCAN_MS=200";
	outlier_env = "SN_SUPERVISION_OUTLIER_SCAN_MS=300";
	th_stop(&T, sup);
	start_anomaly_supervision(extra);

	char *month = th_text(&T,
	    "SELECT to_char((now() AT TIME ZONE 'UTC') + interval '8 hours', "
	    "'YYYY-MM')");
	char  approval[64], override[64];
	snprintf(approval, sizeof(approval), "approval_rate:%s", month);
	snprintf(override, sizeof(override), "override_rate:%s", month);
	free(month);
	wait_alert("township_outlier", T1, approval);
	wait_alert("township_outlier", T4, override);
	wait_alert("overdue", "app-O", "case");
	wait_alert("overdue", "ref-1", "referral");
	wait_alert("overdue", "svc-1", "referral");
	wait_alert("overdue", "svc-3", "referral");
	wait_scans(3, "the scans");
	TH_CHECK(&T, alerts("township_outlier") == 2,
	    "township_outlier alerts: %lld (only T1's approvals and T4's "
	    "overrides stand out)",
	    (long long) alerts("township_outlier"));
	TH_CHECK(&T, alerts("overdue") == 4,
	    "overdue alerts: %lld (the case, ref-1, svc-1 and svc-3: not the "
	    "referrals taken up or answered in time, not the new one)",
	    (long long) alerts("overdue"));

	json_t *al = alert_of("township_outlier", T1, approval);
	json_t *ev = evidence(al);
	json_t *t  = json_object_get(ev, "township");
	json_t *r  = json_object_get(ev, "rest_of_district");
	TH_CHECK(&T,
	    json_integer_value(json_object_get(t, "cases")) == 30
	        && json_integer_value(json_object_get(t, "counted")) == 28
	        && json_integer_value(json_object_get(r, "cases")) == 90
	        && json_integer_value(json_object_get(r, "counted")) == 48
	        && json_integer_value(json_object_get(ev, "z_x100")) == 394
	        && strcmp(jstr(ev, "direction"), "high") == 0
	        && strcmp(jstr(al, "severity"), "medium") == 0
	        && strcmp(jstr(al, "township_code"), T1) == 0,
	    "T1's approval rate");
	json_decref(al);
	al = alert_of("township_outlier", T4, override);
	ev = evidence(al);
	t  = json_object_get(ev, "township");
	TH_CHECK(&T,
	    json_integer_value(json_object_get(t, "cases")) == 17
	        && json_integer_value(json_object_get(t, "counted")) == 8
	        && json_integer_value(json_object_get(
	               json_object_get(ev, "rest_of_district"), "counted"))
	            == 0,
	    "T4's override rate");
	json_decref(al);
	al = alert_of("overdue", "app-O", "case");
	ev = evidence(al);
	TH_CHECK(&T,
	    json_is_true(json_object_get(ev, "held"))
	        && strcmp(jstr(ev, "stage"), "STAGE_HELD") == 0
	        && strcmp(jstr(ev, "deadline_date"), "2026-11-20") == 0
	        && strcmp(jstr(al, "severity"), "high") == 0,
	    "the held case overdue");
	json_decref(al);
	al         = alert_of("overdue", "ref-1", "referral");
	ev         = evidence(al);
	char *made = th_text(&T,
	    "SELECT to_char((now() AT TIME ZONE 'UTC') + interval '8 hours' "
	    "- interval '3 days', 'YYYY-MM-DD')");
	TH_CHECK(&T,
	    strcmp(jstr(ev, "kind"), "REFERRAL_KIND_MEDICAL") == 0
	        && strcmp(jstr(ev, "created_on"), made) == 0
	        && strcmp(jstr(al, "township_code"), T3) == 0,
	    "the unanswered referral: %s, made %s", jstr(ev, "kind"),
	    jstr(ev, "created_on"));
	free(made);
	json_decref(al);
	/* services' word: on the household, named by its department, kind
	 * and deadline; open though answered late */
	al = alert_of("overdue", "svc-1", "referral");
	ev = evidence(al);
	TH_CHECK(&T,
	    strcmp(jstr(ev, "department"), "medical_insurance") == 0
	        && strcmp(jstr(ev, "kind"), "medical_assistance") == 0
	        && strcmp(jstr(ev, "deadline_date"), "2026-11-20") == 0
	        && strcmp(jstr(al, "household_id"), "app-S") == 0
	        && strcmp(jstr(al, "township_code"), T2) == 0
	        && strcmp(jstr(al, "severity"), "medium") == 0,
	    "services' overdue referral: %s, %s, household %s",
	    jstr(ev, "department"), jstr(ev, "deadline_date"),
	    jstr(al, "household_id"));
	json_decref(al);
	al = alert_of("overdue", "svc-3", "referral");
	TH_CHECK(&T, strcmp(jstr(al, "state"), "open") == 0,
	    "the referral answered late: its alert is %s", jstr(al, "state"));
	json_decref(al);

	int64_t raised = published();
	TH_CHECK(&T, raised == 6, "alert.raised published %lld times",
	    (long long) raised);
	sigkill_restart(extra);
	wait_applied(PLAYED, NPLAYED, "after the restart");
	wait_scans(3, "after the restart");
	TH_CHECK(&T,
	    alerts("township_outlier") == 2 && alerts("overdue") == 4
	        && published() == raised,
	    "after the restart: %lld outliers, %lld overdue, %lld published",
	    (long long) alerts("township_outlier"),
	    (long long) alerts("overdue"), (long long) (published() - raised));
}

int
main(int argc, char **argv)
{
	static const th_scenario list[] = {
		{ "payments", payments },
		{ "staff", staff },
		{ "grants", grants },
		{ "scans", scans_scenario },
	};
	return th_main(
	    &T, argc, argv, list, sizeof(list) / sizeof(list[0]), done);
}
