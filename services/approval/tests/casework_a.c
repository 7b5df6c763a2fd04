/*
 * casework_a.c - approval's scenarios of issue 10, approval-A: a
 * returned case comes back (application.resubmitted), a new decision
 * replaces an edge household's standing and a rejection states the rule
 * failed, payments seen on the beneficiary (payment.failed,
 * payee.changed, member names), held cases and the clock.
 *
 * The real approval binary against PostgreSQL, with sn-inject standing
 * in for intake, verification, investigation and disbursement (kit.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit.h"
#include "sn/clock.h"
#include "sn/date.h"
#include "sn/pay/v1/payment.pb-c.h"

/* ---- events ------------------------------------------------------------ */

/* The test household's submission (kit.h send_submitted's, urban, wages
 * 1000 yuan) on topic, as revision rev (1: application.submitted), with
 * nmembers of its two members. */
static void
send_revision(const struct app *a, const char *topic, int rev, int nmembers)
{
	Sn__Assist__V1__Household h = SN__ASSIST__V1__HOUSEHOLD__INIT;
	h.registration  = SN__ASSIST__V1__REGISTRATION__REGISTRATION_URBAN;
	h.district_code = DISTRICT;
	h.township_code = (char *) a->township;
	h.village_code  = (char *) a->village;
	h.address       = rev > 1 ? "2 Amended Lane" : "1 Test Lane";
	Sn__Assist__V1__Member m0 = SN__ASSIST__V1__MEMBER__INIT,
	                       m1 = SN__ASSIST__V1__MEMBER__INIT;
	m0.id_number              = (char *) a->ids[0];
	m0.name                   = "Head";
	m0.relation               = "self";
	m0.birth_date             = "1980-01-01";
	m0.labour_capacity = SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_FULL;
	m0.self_care       = SN__ASSIST__V1__SELF_CARE__SELF_CARE_ABLE;
	m1.id_number       = (char *) a->ids[1];
	m1.name            = "Spouse";
	m1.relation        = "spouse";
	m1.birth_date      = "1982-02-02";
	m1.labour_capacity = SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_NONE;
	m1.self_care       = SN__ASSIST__V1__SELF_CARE__SELF_CARE_UNABLE;
	Sn__Assist__V1__Member *ms[] = { &m0, &m1 };
	Sn__Assist__V1__Income  in   = SN__ASSIST__V1__INCOME__INIT;
	in.wages_fen = nmembers == 1 ? 40000 : 100000; /* as verified */
	Sn__Assist__V1__Consent c        = SN__ASSIST__V1__CONSENT__INIT;
	c.reference                      = "CONSENT-1";
	c.signed_date                    = (char *) a->accepted;
	Sn__Assist__V1__PayeeAccount pay = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	pay.bank_code                    = "ICBC";
	pay.account_number               = "6222020200112233445";
	pay.account_name                 = "Head";
	Sn__Assist__V1__ApplicationSubmitted s
	    = SN__ASSIST__V1__APPLICATION_SUBMITTED__INIT;
	char amendment[64];
	snprintf(amendment, sizeof(amendment), "amended for revision %d", rev);
	s.application_id  = (char *) a->id;
	s.accepted_date   = (char *) a->accepted;
	s.deadline_date   = "";
	s.household       = &h;
	s.n_members       = (size_t) nmembers;
	s.members         = ms;
	s.declared_income = &in;
	s.consent         = &c;
	s.payee           = &pay;
	s.taken_in_by     = (char *) a->taken_in_by;
	s.revision        = rev;
	if (rev > 1) {
		s.resubmitted_by = "clerk9";
		s.amendment      = amendment;
	}
	publish(0, topic, a->id, &s.base);
}

/* A complete verification of revision rev: G and D per member (fen),
 * assets within the limits. */
static void
send_facts(const struct app *a, int rev, int64_t g, int64_t d, int members)
{
	Sn__Assist__V1__HouseholdFacts f
	    = SN__ASSIST__V1__HOUSEHOLD_FACTS__INIT;
	f.members                          = members;
	f.gross_income_fen                 = g * members;
	f.income_per_member_fen            = g;
	f.rigid_expenditure_per_member_fen = d;
	f.net_per_member_fen               = g - d;
	f.homes                            = 1;
	f.all_registered                   = true;
	Sn__Assist__V1__VerificationCompleted v
	    = SN__ASSIST__V1__VERIFICATION_COMPLETED__INIT;
	v.application_id = (char *) a->id;
	v.attempt        = 1;
	v.revision       = rev;
	v.status = SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_COMPLETE;
	v.facts  = &f;
	publish(1, "verification.completed", a->id, &v.base);
}

/* POST /cases/{id}/<step> with body as tok; the status. */
static int
step(const char *id, const char *what, const char *tok, const char *body,
    json_t **out)
{
	char path[160];
	snprintf(path, sizeof(path), "/cases/%s/%s", id, what);
	return api("POST", path, tok, newkey(), body, out);
}

static int64_t
rows(const char *fmt, const char *a, const char *b)
{
	return th_int(&T, fmt, S, a, b);
}

/* GET /cases/{id} (the caller frees it). */
static json_t *
get_case(const char *id)
{
	char    path[160];
	json_t *j   = NULL;
	char   *tok = token("dist1", "district_officer", DISTRICT, NULL);
	snprintf(path, sizeof(path), "/cases/%s", id);
	TH_CHECK(
	    &T, api("GET", path, tok, NULL, NULL, &j) == 200, "GET %s", path);
	free(tok);
	return j;
}

/* ---- 1. a returned case comes back ------------------------------------ */

static void
resubmit(void)
{
	start("60000");
	char      *today = today_plus(0);
	char      *vr    = token("vr1", "village_reviewer", VILLAGE, NULL);
	char      *to    = token("to1", "township_officer", TOWNSHIP, NULL);
	struct app a, other;
	json_t    *j = NULL;
	ready_case(&a, "app-resub");
	char *deadline
	    = str("SELECT deadline_date FROM %s.cases WHERE case_id = '%s'", S,
	        a.id);
	TH_CHECK(&T,
	    step(a.id, "village-review", vr,
	        "{\"decision\":\"return\",\"reason\":\"income proof "
	        "missing\"}",
	        NULL)
	        == 200,
	    "village return");
	wait_stage(a.id, "RETURNED");

	/* Round 2: one member now, verification of revision 1 ignored. */
	send_revision(&a, "application.resubmitted", 2, 1);
	wait_stage(a.id, "GATHERING");
	TH_CHECK(&T,
	    rows("SELECT count(*) FROM %s.cases WHERE case_id = '%s' AND"
	         " revision = 2 AND deadline_date = '%s'",
	        a.id, deadline)
	        == 1,
	    "the resubmitted case is not at revision 2 with its deadline");
	TH_CHECK(&T,
	    rows("SELECT count(*) FROM %s.verification WHERE application_id"
	         " = '%s'%s",
	        a.id, "")
	        == 0,
	    "the older revision's verification was kept");
	send_facts(&a, 1, 50000, 2500, 2); /* late answer of revision 1 */
	wait_count(1, "the stale answer stored",
	    "SELECT count(*) FROM %s.verification WHERE application_id = '%s'",
	    S, a.id);
	/* Stored and joined in one transaction: the join has run. */
	TH_CHECK(&T, strcmp(stage_of(a.id), "GATHERING") == 0,
	    "a verification of revision 1 classified revision 2 (%s)",
	    stage_of(a.id));
	send_facts(&a, 2, 40000, 0, 1);
	wait_stage(a.id, "VILLAGE_REVIEW");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT monthly_amount_fen FROM %s.cases WHERE case_id = '%s'",
	        S, a.id)
	        == 43000,
	    "revision 2 not classified on the amended household (one "
	    "member, 830 - 400 yuan)");

	/* A repeat of revision 2 is nothing; the clerk who resubmitted may
	 * not review; the same reviewer may. */
	send_revision(&a, "application.resubmitted", 2, 1);
	char *rv2 = token("clerk9", "village_reviewer", VILLAGE, NULL);
	TH_CHECK(&T,
	    step(a.id, "village-review", rv2, "{\"decision\":\"pass\"}", &j)
	        == 403,
	    "the resubmitting clerk reviewed the case");
	json_decref(j);
	TH_CHECK(&T,
	    step(a.id, "village-review", vr, "{\"decision\":\"pass\"}", NULL)
	        == 200,
	    "the village reviewer may not review round 2");
	wait_stage(a.id, "TOWNSHIP_CONFIRM");

	/* The township returns it: a reason is needed. */
	TH_CHECK(&T,
	    step(a.id, "township-confirmation", to,
	        "{\"decision\":\"return\"}", &j)
	        == 422,
	    "a township return without a reason");
	TH_CHECK(&T, strcmp(jstr(j, "error.code"), "reason_required") == 0,
	    "not reason_required");
	json_decref(j);
	TH_CHECK(&T,
	    step(a.id, "township-confirmation", to,
	        "{\"decision\":\"return\",\"reason\":\"the address\"}", &j)
	        == 200,
	    "township return");
	TH_CHECK(&T, strcmp(jstr(j, "stage"), "RETURNED") == 0,
	    "the township's return answered %s", jstr(j, "stage"));
	json_decref(j);
	size_t   n;
	uint8_t *b = outbox_event("case.stage_changed", a.id,
	    (int) th_int(&T,
	        "SELECT count(*) - 1 FROM %s.outbox WHERE topic ="
	        " 'case.stage_changed' AND subject = '%s'",
	        S, a.id),
	    &n);
	Sn__Assist__V1__CaseStageChanged *sc
	    = sn__assist__v1__case_stage_changed__unpack(NULL, n, b);
	TH_CHECK(&T,
	    sc != NULL && sc->to == SN__ASSIST__V1__STAGE__STAGE_RETURNED
	        && strcmp(sc->actor, "to1") == 0
	        && strcmp(sc->reason, "the address") == 0,
	    "case.stage_changed of the township's return is wrong");
	sn__assist__v1__case_stage_changed__free_unpacked(sc, NULL);
	free(b);

	/* Round 3, approved: application.decided says revision 3. */
	send_revision(&a, "application.resubmitted", 3, 2);
	wait_stage(a.id, "GATHERING");
	send_facts(&a, 3, 50000, 2500, 2);
	wait_stage(a.id, "VILLAGE_REVIEW");
	TH_CHECK(&T,
	    step(a.id, "village-review", vr, "{\"decision\":\"pass\"}", NULL)
	        == 200,
	    "round 3 review");
	TH_CHECK(&T,
	    step(a.id, "township-confirmation", to,
	        "{\"decision\":\"approve\",\"discrepancies_seen\":true}", NULL)
	        == 200,
	    "round 3 approval");
	b = outbox_event("application.decided", a.id, 0, &n);
	Sn__Assist__V1__ApplicationDecided *d
	    = sn__assist__v1__application_decided__unpack(NULL, n, b);
	TH_CHECK(&T,
	    d != NULL && d->revision == 3 && d->approved
	        && d->monthly_amount_fen == 66000,
	    "application.decided does not carry revision 3");
	sn__assist__v1__application_decided__free_unpacked(d, NULL);
	free(b);

	/* The case shows both earlier submissions and every round. */
	j = get_case(a.id);
	TH_CHECK(&T,
	    json_integer_value(json_object_get(j, "revision")) == 3
	        && json_array_size(json_object_get(j, "earlier_applications"))
	            == 2
	        && json_array_size(json_object_get(j, "resubmissions")) == 2,
	    "GET /cases/{id} lacks the earlier rounds");
	json_decref(j);
	TH_CHECK(&T,
	    rows("SELECT count(*) FROM %s.case_timeline WHERE case_id = '%s'"
	         " AND action IN ('resubmitted', 'township_returned',"
	         " 'village_returned')%s",
	        a.id, "")
	        == 4,
	    "the timeline does not show both returns and resubmissions");

	/* A resubmission of a case not RETURNED: recorded, ignored. */
	ready_case(&other, "app-resub-not");
	send_revision(&other, "application.resubmitted", 2, 1);
	wait_count(1, "the ignored resubmission recorded",
	    "SELECT count(*) FROM %s.resubmissions WHERE application_id ="
	    " '%s' AND outcome = 'ignored'",
	    S, other.id);
	TH_CHECK(&T,
	    strcmp(stage_of(other.id), "VILLAGE_REVIEW") == 0
	        && rows("SELECT count(*) FROM %s.cases WHERE case_id = '%s'"
	                " AND revision = 1%s",
	               other.id, "")
	            == 1,
	    "a resubmission moved a case that was not RETURNED");
	free(deadline);
	free(today);
	free(vr);
	free(rv2);
	free(to);
	printf("resubmit: returned twice, back each time, decided at "
	       "revision 3\n");
}

/* ---- 2. edge households are not locked in ----------------------------- */

/* A case of app id with the members of every "edge-?" case (kit.h
 * app_init derives them from the id's length), verified with G and D,
 * at VILLAGE_REVIEW. */
static void
edge_case(struct app *a, const char *id, int64_t g, int64_t d)
{
	char *today = today_plus(0);
	app_init(a, id, today);
	free(today);
	send_submitted(a);
	send_facts(a, 1, g, d, 2);
	send_investigation(a);
	wait_stage(a->id, "VILLAGE_REVIEW");
}

/* Passes and confirms case id with decision; returns the answer. */
static json_t *
decide(const char *id, const char *decision)
{
	char   *vr = token("vr1", "village_reviewer", VILLAGE, NULL);
	char   *to = token("to1", "township_officer", TOWNSHIP, NULL);
	char    body[160];
	json_t *j = NULL;
	TH_CHECK(&T,
	    step(id, "village-review", vr, "{\"decision\":\"pass\"}", NULL)
	        == 200,
	    "village review of %s", id);
	snprintf(body, sizeof(body),
	    "{\"decision\":\"%s\",\"reason\":\"as computed\","
	    "\"discrepancies_seen\":true}",
	    decision);
	int st = step(id, "township-confirmation", to, body, &j);
	TH_CHECK(&T, st == 200, "confirmation of %s answered %d (%s)", id, st,
	    jstr(j, "error.code"));
	free(vr);
	free(to);
	return j;
}

static void
edge_replaced(void)
{
	start("60000");
	struct app a, b, c;
	/* S 830: G 1000, D 0 -> C 1000 <= 1.5 S: low income (edge). */
	edge_case(&a, "edge-a", 100000, 0);
	json_t *j   = decide(a.id, "approve");
	char   *bid = strdup(jstr(j, "beneficiary_id"));
	json_decref(j);
	TH_CHECK(&T,
	    rows("SELECT count(*) FROM %s.beneficiaries WHERE beneficiary_id"
	         " = '%s' AND tier = 'edge' AND category = 'low_income'"
	         " AND monthly_amount_fen = 0 AND status = 'ACTIVE'%s",
	        bid, "")
	        == 1,
	    "low income is not on the register as edge, paid nothing");

	/* G 3000: above the edge, no category; rejected with the rule. */
	edge_case(&b, "edge-b", 300000, 0);
	json_decref(decide(b.id, "reject"));
	size_t   n;
	uint8_t *ev = outbox_event("application.decided", b.id, 0, &n);
	Sn__Assist__V1__ApplicationDecided *d
	    = sn__assist__v1__application_decided__unpack(NULL, n, ev);
	TH_CHECK(&T,
	    d != NULL && !d->approved
	        && strcmp(d->rule_reason, "income_above_edge") == 0,
	    "the rejection does not state income_above_edge (%s)",
	    d ? d->rule_reason : "?");
	sn__assist__v1__application_decided__free_unpacked(d, NULL);
	free(ev);
	j = get_case(b.id);
	TH_CHECK(&T,
	    strcmp(jstr(j, "computation.rule_reason"), "income_above_edge")
	            == 0
	        && strcmp(jstr(j, "rule_reason"), "income_above_edge") == 0,
	    "the case's computation does not say which rule failed");
	json_decref(j);
	TH_CHECK(&T,
	    rows("SELECT count(*) FROM %s.beneficiaries WHERE beneficiary_id"
	         " = '%s' AND status = 'ACTIVE'%s",
	        bid, "")
	        == 1,
	    "a rejected application ended the edge standing");

	/* G 500: dibao; its approval replaces the edge standing. */
	edge_case(&c, "edge-c", 50000, 2500);
	j         = decide(c.id, "approve");
	char *nid = strdup(jstr(j, "beneficiary_id"));
	json_decref(j);
	char *until = str("SELECT coalesce(until_month, '') FROM"
	                  " %s.beneficiaries WHERE beneficiary_id = '%s'",
	    S, bid);
	char  want[SN_MONTH_STRLEN];
	sn_month_format(sn_clock_month(), want);
	TH_CHECK(&T,
	    rows("SELECT count(*) FROM %s.beneficiaries WHERE beneficiary_id"
	         " = '%s' AND status = 'EXITED'%s",
	        bid,
	        "") == 1
	        && strcmp(until, want) == 0,
	    "the edge household did not end this month (until %s)", until);
	TH_CHECK(&T,
	    rows("SELECT count(*) FROM %s.beneficiary_history WHERE"
	         " beneficiary_id = '%s' AND cause = 'replaced'"
	         " AND new_status = 'EXITED'%s",
	        bid, "")
	        == 1,
	    "no replaced history row");
	Sn__Assist__V1__BeneficiaryChanged *m = changed_event(a.id, 1);
	TH_CHECK(&T,
	    m->cause == SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_REPLACED
	        && m->status
	            == SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_EXITED
	        && m->monthly_amount_fen == 0
	        && strcmp(m->until_month, want) == 0 && m->n_member_names == 2
	        && strcmp(m->member_names[1], "Spouse") == 0,
	    "beneficiary.changed of the replaced household is wrong");
	sn__assist__v1__beneficiary_changed__free_unpacked(m, NULL);
	/* The replacement was published before the new entry. */
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT ((SELECT id FROM %s.outbox WHERE topic ="
	        " 'beneficiary.changed' AND subject = '%s' ORDER BY id DESC"
	        " LIMIT 1) < (SELECT min(id) FROM %s.outbox WHERE topic ="
	        " 'beneficiary.changed' AND subject = '%s'))::int",
	        S, a.id, S, c.id)
	        == 1,
	    "the new entry was published before the replacement");
	TH_CHECK(&T,
	    rows("SELECT count(*) FROM %s.beneficiaries WHERE beneficiary_id"
	         " = '%s' AND status = 'ACTIVE' AND category = 'dibao'%s",
	        nid, "")
	        == 1,
	    "the new decision did not enter the register");
	free(until);
	free(bid);
	free(nid);
	printf("edge_replaced: low income replaced by dibao, rejection "
	       "states income_above_edge\n");
}

/* ---- 3. payments seen on the beneficiary ------------------------------ */

static void
send_failed(const char *pid, const char *bid)
{
	Sn__Pay__V1__PaymentRef ref  = SN__PAY__V1__PAYMENT_REF__INIT;
	ref.beneficiary_id           = (char *) bid;
	ref.period                   = "2026-12";
	Sn__Pay__V1__PaymentFailed f = SN__PAY__V1__PAYMENT_FAILED__INIT;
	f.payment_id                 = (char *) pid;
	f.end_to_end_id              = "E2E-1";
	f.fund                       = SN__PAY__V1__FUND__FUND_DIBAO;
	f.amount_fen                 = 66000;
	f.ref                        = &ref;
	f.reason_code                = "closed_account";
	f.reason                     = "the account is closed";
	publish(3, "payment.failed", pid, &f.base);
}

static void
send_payee(const char *bid, const char *pid)
{
	Sn__Pay__V1__PayeeChanged p = SN__PAY__V1__PAYEE_CHANGED__INIT;
	p.beneficiary_id            = (char *) bid;
	p.bank_code                 = "BOC";
	p.account_number            = "6216610200012345678";
	p.account_name              = "Spouse";
	p.payment_id                = (char *) pid;
	p.requested_by              = "to1";
	p.confirmed_by              = "to2";
	p.changed_at                = "2026-12-02T10:00:00Z";
	publish(3, "payee.changed", bid, &p.base);
}

static json_t *
get_beneficiary(const char *bid)
{
	char    path[160];
	json_t *j   = NULL;
	char   *tok = token("dist1", "district_officer", DISTRICT, NULL);
	snprintf(path, sizeof(path), "/beneficiaries/%s", bid);
	TH_CHECK(
	    &T, api("GET", path, tok, NULL, NULL, &j) == 200, "GET %s", path);
	free(tok);
	return j;
}

static void
payments(void)
{
	start("60000");
	char                               *bid = enter_register("app-pay");
	Sn__Assist__V1__BeneficiaryChanged *m   = changed_event("app-pay", 0);
	TH_CHECK(&T,
	    m->n_member_names == 2 && strcmp(m->member_names[0], "Head") == 0
	        && strcmp(m->member_names[1], "Spouse") == 0,
	    "beneficiary.changed lacks the members' names");
	sn__assist__v1__beneficiary_changed__free_unpacked(m, NULL);

	send_failed("pay-1", bid);
	send_failed("pay-1", bid); /* a repeat */
	wait_count(1, "the failure on the register",
	    "SELECT count(*) FROM %s.beneficiaries WHERE beneficiary_id ="
	    " '%s' AND last_failure = 'pay-1'",
	    S, bid);
	json_t *j = get_beneficiary(bid);
	TH_CHECK(&T,
	    strcmp(jstr(j, "last_payment_failure.payment_id"), "pay-1") == 0
	        && strcmp(jstr(j, "last_payment_failure.reason_code"),
	               "closed_account")
	            == 0
	        && strcmp(jstr(j, "last_payment_failure.period"), "2026-12")
	            == 0
	        && jstr(j, "last_payment_failure.failed_at")[0] != '\0',
	    "GET /beneficiaries/{id} does not show the failure");
	json_decref(j);

	send_payee(bid, "pay-1");
	send_payee(bid, "pay-1"); /* a repeat */
	/* the new account stored sealed (issue 11), answered opened */
	wait_count(1, "the payee changed",
	    "SELECT count(*) FROM %s.beneficiaries WHERE beneficiary_id ="
	    " '%s' AND bank_code = 'BOC' AND account_number IS NULL"
	    " AND account_number_sealed LIKE 'sn1.%%'"
	    " AND strpos(account_number_sealed, '6216610200012345678') = 0",
	    S, bid);
	wait_count(4, "the four disbursement events applied",
	    "SELECT coalesce(max(last_seq), 0) FROM %s.bus_cursor WHERE"
	    " publisher = 'disbursement'",
	    S);
	j = get_beneficiary(bid);
	TH_CHECK(&T,
	    json_is_null(json_object_get(j, "last_payment_failure"))
	        && strcmp(jstr(j, "payee.account_name"), "Spouse") == 0
	        && strcmp(jstr(j, "payee.bank_code"), "BOC") == 0
	        && strcmp(
	               jstr(j, "payee.account_number"), "6216610200012345678")
	            == 0,
	    "the payee was not replaced, or the failure still shows");
	json_decref(j);
	TH_CHECK(&T,
	    rows("SELECT count(*) FROM %s.beneficiary_history WHERE"
	         " beneficiary_id = '%s' AND cause = 'payee' AND actor = 'to2'"
	         " AND reason LIKE '%%requested by to1%%'",
	        bid, "")
	        == 1,
	    "the payee's change is not once in the history");
	free(bid);
	printf("payments: failure shown, payee replaced once\n");
}

/* ---- 4. held cases and the clock -------------------------------------- */

static void
held_list(void)
{
	start("60000");
	char      *today = today_plus(0);
	struct app a, b;
	app_init(&a, "app-hold", today);
	send_submitted(&a);
	send_verification(&a, false, 1);
	wait_stage(a.id, "HELD");
	ready_case(&b, "app-held-not");
	char   *tok = token("to1", "township_officer", TOWNSHIP, NULL);
	json_t *j   = NULL;
	TH_CHECK(&T,
	    api("GET", "/cases?held=true", tok, NULL, NULL, &j) == 200,
	    "GET /cases?held=true");
	json_t *items = json_object_get(j, "items");
	json_t *c     = json_array_get(items, 0);
	TH_CHECK(&T,
	    json_array_size(items) == 1
	        && strcmp(jstr(c, "case_id"), a.id) == 0
	        && json_array_size(json_object_get(c, "missing_agencies")) == 2
	        && json_integer_value(json_object_get(c, "days_left")) > 0
	        && json_is_true(json_object_get(c, "clock_running")),
	    "the held list is not the held case with its agencies and clock");
	json_decref(j);
	TH_CHECK(&T,
	    api("GET", "/cases?held=false", tok, NULL, NULL, &j) == 422,
	    "held=false is not refused");
	json_decref(j);
	free(tok);

	/* The clock runs while held: 20 days on, overdue, still HELD. */
	restart_shifted(20);
	wait_count(1, "marked overdue",
	    "SELECT count(*) FROM %s.cases WHERE case_id = '%s' AND overdue",
	    S, a.id);
	j = get_case(a.id);
	TH_CHECK(&T,
	    strcmp(jstr(j, "stage"), "HELD") == 0
	        && json_integer_value(json_object_get(j, "days_left")) < 0
	        && json_is_true(json_object_get(j, "overdue"))
	        && json_array_size(json_object_get(j, "missing_agencies"))
	            == 2,
	    "GET /cases/{id} of the held case does not show its clock past "
	    "the deadline");
	json_decref(j);
	free(today);
	printf("held_list: the held case listed, its clock past due\n");
}

int
main(int argc, char **argv)
{
	static const th_scenario scenarios[] = {
		{ "resubmit", resubmit },
		{ "edge_replaced", edge_replaced },
		{ "payments", payments },
		{ "held_list", held_list },
	};
	return th_main(&T, argc, argv, scenarios,
	    sizeof(scenarios) / sizeof(scenarios[0]), close_auth);
}
