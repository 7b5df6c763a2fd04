/*
 * approval's review scenarios (issue 9, items 2-4: a review is a case):
 * the real approval binary, a real PostgreSQL, sn-inject publishers
 * (kit.h). A review opens (periodic on the district's clock, or on a
 * reported change), its answers arrive keyed by review_id, its case goes
 * through the same three steps, and the township's confirmation applies
 * the outcome to the register and publishes it.
 *
 *   approval_review_scenarios review_answers_apart | review_stays
 *       | review_gradual | review_exit | review_returns | review_death
 *       | review_duties | review_reject | review_agency
 *       | review_policy_months | review_consent_lapsed
 *       | review_death_of_one
 *
 * The household of kit.h: urban (S = 830 yuan), two members, entered at
 * (830 - 500) x 2 = 660 yuan a month.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kit.h"
#include "sn/clock.h"
#include "sn/date.h"

#define S_FEN 83000 /* the urban standard */
#define ENTERED_FEN 66000

/* Days the service's clock runs ahead of this process's (restart_shifted). */
static int64_t SHIFT;

/* The service's month (the decided month of a confirmation). */
static sn_month
svc_month(void)
{
	return sn_date_month(sn_date_add_days(sn_clock_today(), SHIFT));
}

static const char *
month_str(sn_month m, char buf[SN_MONTH_STRLEN])
{
	return sn_month_format(m, buf);
}

/* The first cell of a query as an integer. */
#define ROWS(...) th_int(&T, __VA_ARGS__)

/* The review id of the nth review.requested of app (malloc'd), once the
 * review's case has opened (GATHERING, case_id = review id). */
static char *
review_opened(const char *app, int nth)
{
	wait_count(nth + 1, "review.requested",
	    "SELECT count(*) FROM %s.outbox WHERE topic = 'review.requested'"
	    " AND subject = '%s'",
	    S, app);
	Sn__Assist__V1__ReviewRequested *m   = review_event(app, nth);
	char                            *rid = strdup(m->review_id);
	TH_CHECK(&T, strcmp(m->case_id, rid) == 0,
	    "review.requested's case_id %s is not the review id %s",
	    m->case_id, rid);
	sn__assist__v1__review_requested__free_unpacked(m, NULL);
	wait_count(1, "the review's case",
	    "SELECT count(*) FROM %s.cases WHERE case_id = '%s' AND kind ="
	    " 'review' AND review_id = '%s' AND stage = 'GATHERING'",
	    S, rid, rid);
	return rid;
}

/* The household of app enters the register and its periodic review
 * opens on its review date (the service restarted with its clock
 * there). *bid gets the beneficiary id; returns the review id. */
static char *
periodic_review(const char *app, char **bid)
{
	*bid       = enter_register(app);
	char   *on = th_text(&T,
	      "SELECT next_review_date::text FROM %s.beneficiaries WHERE"
	        " beneficiary_id = '%s'",
	      S, *bid);
	sn_date day;
	TH_CHECK(&T, sn_date_parse(on, &day) == SN_OK, "review date %s", on);
	free(on);
	SHIFT = sn_date_diff_days(sn_clock_today(), day);
	restart_shifted(SHIFT);
	return review_opened(app, 0);
}

/* A change report's review of app's household (opened at once). */
static char *
change_review(const char *app, const char *bid, const char *change_id, int nth)
{
	send_change(app, bid, change_id, 0, 5000);
	return review_opened(app, nth);
}

/* verification.completed of review rid: G per member g, D 25 yuan. */
static void
send_review_verification(
    const char *app, const char *rid, int64_t g, bool complete, int attempt)
{
	Sn__Assist__V1__HouseholdFacts f
	    = SN__ASSIST__V1__HOUSEHOLD_FACTS__INIT;
	f.members                          = 2;
	f.gross_income_fen                 = g * 2;
	f.income_per_member_fen            = g;
	f.rigid_expenditure_per_member_fen = 2500;
	f.net_per_member_fen               = g - 2500;
	f.financial_assets_per_member_fen  = 100000;
	f.homes                            = 1;
	f.all_registered                   = true;
	Sn__Assist__V1__VerificationCompleted v
	    = SN__ASSIST__V1__VERIFICATION_COMPLETED__INIT;
	char *missing[]  = { "tax" };
	v.application_id = (char *) app;
	v.review_id      = (char *) rid;
	v.attempt        = attempt;
	if (complete) {
		v.status
		    = SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_COMPLETE;
		v.facts = &f;
	} else {
		v.status
		    = SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_INCOMPLETE;
		v.n_missing_agencies = 1;
		v.missing_agencies   = missing;
	}
	publish(1, "verification.completed", app, &v.base);
}

/* investigation.completed of review rid, by inv3 and inv4. */
static void
send_review_investigation(const char *app, const char *rid)
{
	char                                  *invs[] = { "inv3", "inv4" };
	Sn__Assist__V1__InvestigationCompleted r
	    = SN__ASSIST__V1__INVESTIGATION_COMPLETED__INIT;
	r.application_id    = (char *) app;
	r.review_id         = (char *) rid;
	r.task_id           = "review-task";
	r.n_investigators   = 2;
	r.investigators     = invs;
	r.visit_date        = "2026-01-01";
	r.living_conditions = "as before";
	r.housing_condition = "old";
	r.recommendation
	    = SN__ASSIST__V1__RECOMMENDATION__RECOMMENDATION_APPROVE;
	r.submitted_by = "inv3";
	publish(2, "investigation.completed", app, &r.base);
}

/* Both answers of review rid (G per member g): its case is computed. */
static void
answer_review(const char *app, const char *rid, int64_t g)
{
	send_review_verification(app, rid, g, true, 1);
	send_review_investigation(app, rid);
	wait_stage(rid, "VILLAGE_REVIEW");
}

/* POST /cases/{rid}/<step> as tok; the status, *out the body. */
static int
step(const char *rid, const char *what, const char *tok, const char *body,
    json_t **out)
{
	char path[160];
	snprintf(path, sizeof(path), "/cases/%s/%s", rid, what);
	return api("POST", path, tok, newkey(), body, out);
}

/* The village passes review rid and the township decides (approve or
 * reject, reason); returns the confirmation's answer. */
static json_t *
decide_review(const char *rid, const char *decision)
{
	char   *vr = token("vr1", "village_reviewer", VILLAGE, NULL);
	char   *to = token("to1", "township_officer", TOWNSHIP, NULL);
	char    body[160];
	json_t *j = NULL;
	TH_CHECK(&T,
	    step(rid, "village-review", vr, "{\"decision\":\"pass\"}", NULL)
	        == 200,
	    "village review of review %s", rid);
	snprintf(body, sizeof(body),
	    "{\"decision\":\"%s\",\"reason\":\"checked at review\"}",
	    decision);
	int st = step(rid, "township-confirmation", to, body, &j);
	TH_CHECK(
	    &T, st == 200, "confirmation of review %s answered %d", rid, st);
	free(vr);
	free(to);
	return j;
}

/* GET /cases/{rid}'s review_outcome.<key> as text. */
static char *
case_outcome(const char *rid, const char *key)
{
	char   *to = token("to1", "township_officer", TOWNSHIP, NULL);
	char    path[160];
	json_t *j = NULL;
	snprintf(path, sizeof(path), "/cases/%s", rid);
	TH_CHECK(&T, api("GET", path, to, NULL, NULL, &j) == 200,
	    "GET /cases/%s", rid);
	TH_CHECK(&T,
	    strcmp(jstr(j, "kind"), "review") == 0
	        && strcmp(jstr(j, "review_id"), rid) == 0
	        && jstr(j, "beneficiary_id")[0] != '\0',
	    "GET /cases/%s lacks kind, review_id or beneficiary_id", rid);
	json_t *v = json_object_get(json_object_get(j, "review_outcome"), key);
	char   *out = json_is_string(v) ? strdup(json_string_value(v))
	      : json_is_integer(v)
	      ? str("SELECT %lld", (long long) json_integer_value(v))
	      : strdup("");
	json_decref(j);
	free(to);
	return out;
}

/* The register row of bid: "STATUS amount until next_review". */
static char *
register_row(const char *bid)
{
	return str("SELECT status || ' ' || monthly_amount_fen || ' ' ||"
	           " coalesce(until_month, '-') FROM %s.beneficiaries WHERE"
	           " beneficiary_id = '%s'",
	    S, bid);
}

/* The review is closed, with outcome. */
static void
check_closed(const char *rid, const char *outcome)
{
	TH_CHECK(&T,
	    ROWS("SELECT count(*) FROM %s.reviews WHERE review_id = '%s' AND"
	         " status = 'closed' AND outcome = '%s'",
	        S, rid, outcome)
	        == 1,
	    "review %s is not closed with outcome '%s'", rid, outcome);
}

/* The nth beneficiary.changed of app: cause, status, old and new
 * amount, first month, the review's id. */
static void
check_changed(const char *app, int nth, const char *rid,
    Sn__Assist__V1__ChangeCause cause, Sn__Assist__V1__BeneficiaryStatus st,
    int64_t old_fen, int64_t new_fen, sn_month first)
{
	char                                first_s[SN_MONTH_STRLEN];
	Sn__Assist__V1__BeneficiaryChanged *m = changed_event(app, nth);
	month_str(first, first_s);
	TH_CHECK(&T,
	    m->cause == cause && m->status == st
	        && m->old_monthly_amount_fen == old_fen
	        && m->monthly_amount_fen == new_fen
	        && strcmp(m->first_month, first_s) == 0
	        && strcmp(m->review_id, rid) == 0 && m->members >= 1,
	    "beneficiary.changed #%d of %s: cause %d status %d %lld -> %lld"
	    " from %s review %s (wanted cause %d status %d %lld -> %lld from"
	    " %s review %s)",
	    nth, app, m->cause, m->status,
	    (long long) m->old_monthly_amount_fen,
	    (long long) m->monthly_amount_fen, m->first_month, m->review_id,
	    cause, st, (long long) old_fen, (long long) new_fen, first_s, rid);
	sn__assist__v1__beneficiary_changed__free_unpacked(m, NULL);
}

static int64_t
changes_published(const char *app)
{
	return ROWS("SELECT count(*) FROM %s.outbox WHERE topic ="
	            " 'beneficiary.changed' AND subject = '%s'",
	    S, app);
}

/* ---- scenarios ------------------------------------------------------------
 */

/* The bug this issue fixed: a review's verification.completed and
 * investigation.completed name the application too, and were stored over
 * the application's own rows. Now they are kept by review id (the
 * application's rows byte for byte as they were), replayed idempotently,
 * and an answer for an unknown review is kept and changes nothing. */
static void
review_answers_apart(void)
{
	start("100");
	const char *app = "app-ra-1";
	char       *bid = enter_register(app);
	const char *fp  = "SELECT md5(v::text) FROM %s.%s v WHERE"
	                  " application_id = '%s'";
	char       *ver = str(fp, S, "verification", app);
	char       *inv = str(fp, S, "investigation", app);
	char       *rid = change_review(app, bid, "chg-ra-1", 0);
	send_review_verification(app, rid, 60000, false, 1);
	wait_stage(rid, "HELD");
	char *why = str("SELECT stage_reason FROM %s.cases WHERE case_id ="
	                " '%s'",
	    S, rid);
	TH_CHECK(&T,
	    strcmp(why, "verification incomplete: no answer from tax") == 0,
	    "the review's hold says '%s'", why);
	send_review_verification(app, rid, 60000, true, 2);
	wait_stage(rid, "GATHERING");
	send_review_verification(app, rid, 60000, true, 2); /* a replay */
	send_review_investigation(app, rid);
	wait_stage(rid, "VILLAGE_REVIEW");
	send_review_verification(app, "no-such-review", 1, true, 1);
	send_review_investigation(app, "no-such-review");
	wait_count(1, "the unknown review's answer kept",
	    "SELECT count(*) FROM %s.review_investigation WHERE review_id ="
	    " 'no-such-review'",
	    S);
	char *ver2 = str(fp, S, "verification", app);
	char *inv2 = str(fp, S, "investigation", app);
	TH_CHECK(&T, strcmp(ver, ver2) == 0 && strcmp(inv, inv2) == 0,
	    "a review's answer changed the application's rows");
	TH_CHECK(&T,
	    ROWS("SELECT count(*) FROM %s.review_verification WHERE"
	         " review_id = '%s' AND complete AND attempt = 2",
	        S,
	        rid) == 1
	        && ROWS("SELECT count(*) FROM %s.cases", S) == 2
	        && strcmp(stage_of(app), "DISTRICT_FILING") == 0,
	    "the review's answers are not stored by review id, or an unknown"
	    " review's answer opened something");
	char *oc = case_outcome(rid, "outcome");
	TH_CHECK(&T, strcmp(oc, "stays") == 0, "outcome %s", oc);
	char   *to = token("to1", "township_officer", TOWNSHIP, NULL);
	json_t *j  = NULL;
	TH_CHECK(&T,
	    api("GET", "/cases?kind=review", to, NULL, NULL, &j) == 200
	        && json_array_size(json_object_get(j, "cases")) == 1,
	    "GET /cases?kind=review");
	json_decref(j);
	TH_CHECK(&T,
	    api("GET", "/cases?kind=other", to, NULL, NULL, NULL) == 400,
	    "GET /cases?kind=other is not refused");
	TH_CHECK(&T, reviews_listed(to, "", &j) == 1, "GET /reviews");
	json_t *r = json_array_get(json_object_get(j, "reviews"), 0);
	TH_CHECK(&T,
	    strcmp(jstr(r, "case_id"), rid) == 0
	        && strcmp(jstr(r, "stage"), "VILLAGE_REVIEW") == 0,
	    "GET /reviews lacks the case id or stage");
	json_decref(j);
	free(to);
	free(oc);
	free(why);
	free(ver);
	free(inv);
	free(ver2);
	free(inv2);
	free(rid);
	free(bid);
	printf("review_answers_apart: the application's rows untouched\n");
}

/* A periodic review finding C <= S: the amount recomputed from C
 * ((830 - 575) x 2 = 510 yuan) from the month after, history and
 * beneficiary.changed (cause review), the next review date 6 months on,
 * the review closed; no application.decided; filed by the district. */
static void
review_stays(void)
{
	start("100");
	const char *app = "app-rs-1";
	char       *bid = NULL;
	char       *rid = periodic_review(app, &bid);
	answer_review(app, rid, 60000);
	json_t *j = decide_review(rid, "approve");
	TH_CHECK(&T,
	    strcmp(jstr(j, "stage"), "DISTRICT_FILING") == 0
	        && strcmp(jstr(j, "review_outcome.outcome"), "stays") == 0,
	    "the confirmation's answer");
	json_decref(j);
	char *row = register_row(bid);
	TH_CHECK(&T, strcmp(row, "ACTIVE 51000 -") == 0, "register: %s", row);
	check_changed(app, 1, rid,
	    SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_REVIEW,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE,
	    ENTERED_FEN, 51000, sn_month_add(svc_month(), 1));
	check_closed(rid, "stays");
	char    next[SN_DATE_STRLEN];
	sn_date today = sn_date_add_days(sn_clock_today(), SHIFT);
	sn_date_format(sn_date_add_months(today, 6), next);
	TH_CHECK(&T,
	    ROWS("SELECT count(*) FROM %s.beneficiaries WHERE beneficiary_id"
	         " = '%s' AND next_review_date = '%s'",
	        S, bid, next)
	            == 1
	        && ROWS("SELECT count(*) FROM %s.beneficiary_history WHERE"
	                " beneficiary_id = '%s' AND cause = 'review' AND"
	                " review_id = '%s' AND new_amount_fen = 51000",
	               S, bid, rid)
	            == 1
	        && ROWS("SELECT count(*) FROM %s.outbox WHERE topic ="
	                " 'application.decided'",
	               S)
	            == 1,
	    "next review date (wanted %s), history or application.decided",
	    next);
	char *df = token("df1", "district_officer", DISTRICT, NULL);
	TH_CHECK(&T, step(rid, "district-filing", df, "{}", NULL) == 200,
	    "district filing of the review");
	wait_stage(rid, "FILED");
	free(df);
	free(row);
	free(rid);
	free(bid);
	printf("review_stays: 660 -> 510 yuan from next month\n");
}

/* C = 1.5 S: gradual exit, the amount kept from the month after until
 * 6 months on; the next review at its end; then the daily tick after
 * its last month exits it (cause exit). */
static void
review_gradual(void)
{
	start("100");
	const char *app = "app-rg-1";
	char       *bid = NULL;
	char       *rid = periodic_review(app, &bid);
	answer_review(app, rid, 127000);
	json_decref(decide_review(rid, "approve"));
	sn_month decided = svc_month();
	sn_month until   = sn_month_add(decided, 6);
	char     until_s[SN_MONTH_STRLEN], want[64], last[SN_DATE_STRLEN];
	snprintf(want, sizeof(want), "GRADUAL_EXIT %d %s", ENTERED_FEN,
	    month_str(until, until_s));
	char *row = register_row(bid);
	TH_CHECK(
	    &T, strcmp(row, want) == 0, "register: %s, wanted %s", row, want);
	check_changed(app, 1, rid,
	    SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_REVIEW,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_GRADUAL_EXIT,
	    ENTERED_FEN, ENTERED_FEN, sn_month_add(decided, 1));
	check_closed(rid, "gradual_exit");
	sn_date_format(sn_month_last(until), last);
	TH_CHECK(&T,
	    ROWS("SELECT count(*) FROM %s.beneficiaries WHERE beneficiary_id"
	         " = '%s' AND next_review_date = '%s'",
	        S, bid, last)
	        == 1,
	    "the next review is not at the gradual exit's end %s", last);
	/* the last month paid: still in gradual exit */
	SHIFT = sn_date_diff_days(sn_clock_today(), sn_month_first(until));
	restart_shifted(SHIFT);
	th_sleep_ms(500);
	TH_CHECK(&T, changes_published(app) == 2,
	    "the gradual exit ended in its last month");
	SHIFT = sn_date_diff_days(
	    sn_clock_today(), sn_month_first(sn_month_add(until, 1)));
	restart_shifted(SHIFT);
	wait_count(1, "the end of the gradual exit",
	    "SELECT count(*) FROM %s.beneficiaries WHERE beneficiary_id ="
	    " '%s' AND status = 'EXITED'",
	    S, bid);
	check_changed(app, 2, "",
	    SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_EXIT,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_EXITED,
	    ENTERED_FEN, 0, sn_month_add(until, 1));
	th_sleep_ms(500);
	TH_CHECK(&T,
	    changes_published(app) == 3
	        && ROWS("SELECT count(*) FROM %s.reviews WHERE beneficiary_id"
	                " = '%s'",
	               S, bid)
	            == 1,
	    "the exit was published more than once, or an exited household"
	    " was reviewed (%lld changes, %lld reviews)",
	    (long long) changes_published(app),
	    (long long) ROWS("SELECT count(*) FROM %s.reviews", S));
	free(row);
	free(rid);
	free(bid);
	printf("review_gradual: kept 6 months, then exited by the tick\n");
}

/* C = 2 S: exits at the end of the decision's month (cause exit). */
static void
review_exit(void)
{
	start("100");
	const char *app = "app-rx-1";
	char       *bid = NULL;
	char       *rid = periodic_review(app, &bid);
	answer_review(app, rid, 168500);
	json_decref(decide_review(rid, "approve"));
	char until_s[SN_MONTH_STRLEN], want[64];
	snprintf(want, sizeof(want), "EXITED 0 %s",
	    month_str(svc_month(), until_s));
	char *row = register_row(bid);
	TH_CHECK(
	    &T, strcmp(row, want) == 0, "register: %s, wanted %s", row, want);
	check_changed(app, 1, rid,
	    SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_EXIT,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_EXITED,
	    ENTERED_FEN, 0, sn_month_add(svc_month(), 1));
	check_closed(rid, "exit");
	char *oc = case_outcome(rid, "until_month");
	TH_CHECK(
	    &T, strcmp(oc, until_s) == 0, "review_outcome.until_month %s", oc);
	free(oc);
	free(row);
	free(rid);
	free(bid);
	printf("review_exit: exits at the end of the month\n");
}

/* A household in gradual exit reviewed (a reported change) with C <= S
 * returns to active with the recomputed amount. */
static void
review_returns(void)
{
	start("100");
	const char *app = "app-rt-1";
	char       *bid = NULL;
	char       *rid = periodic_review(app, &bid);
	answer_review(app, rid, 127000);
	json_decref(decide_review(rid, "approve"));
	char *rid2 = change_review(app, bid, "chg-rt-1", 1);
	answer_review(app, rid2, 60000);
	json_decref(decide_review(rid2, "approve"));
	char *row = register_row(bid);
	TH_CHECK(&T, strcmp(row, "ACTIVE 51000 -") == 0, "register: %s", row);
	check_changed(app, 2, rid2,
	    SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_CHANGE_REPORT,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE,
	    ENTERED_FEN, 51000, sn_month_add(svc_month(), 1));
	check_closed(rid2, "returns");
	free(row);
	free(rid);
	free(rid2);
	free(bid);
	printf("review_returns: back to active at 510 yuan\n");
}

/* An agency's notice of a death (household.change_reported with agency)
 * of a one-member household: an agency_notice review, and at its
 * confirmation the household exits at the end of the month (cause
 * death). */
static void
review_death(void)
{
	start("100");
	const char *app = "app-rd-1";
	struct app  a;
	char       *today = today_plus(0);
	app_init(&a, app, today);
	free(today);
	single_household = true;
	char *bid        = enter_register(app);
	single_household = false;
	Sn__Assist__V1__HouseholdChangeReported c
	    = SN__ASSIST__V1__HOUSEHOLD_CHANGE_REPORTED__INIT;
	c.change_id        = "notice-rd-1";
	c.beneficiary_id   = bid;
	c.application_id   = (char *) app;
	c.kind             = SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_DEATH;
	c.member_id_number = a.ids[0];
	c.agency           = "PUBLIC_SECURITY";
	c.notice_id        = "N-1";
	publish(0, "household.change_reported", app, &c.base);
	char                            *rid = review_opened(app, 0);
	Sn__Assist__V1__ReviewRequested *m   = review_event(app, 0);
	TH_CHECK(&T,
	    m->kind == SN__ASSIST__V1__REVIEW_KIND__REVIEW_KIND_AGENCY_NOTICE
	        && ROWS("SELECT count(*) FROM %s.reviews WHERE review_id ="
	                " '%s' AND kind = 'agency_notice'",
	               S, rid)
	            == 1,
	    "the agency's notice did not open an agency_notice review");
	sn__assist__v1__review_requested__free_unpacked(m, NULL);
	answer_review(app, rid, 0);
	json_decref(decide_review(rid, "approve"));
	char until_s[SN_MONTH_STRLEN], want[64];
	snprintf(want, sizeof(want), "EXITED 0 %s",
	    month_str(svc_month(), until_s));
	char *row = register_row(bid);
	TH_CHECK(
	    &T, strcmp(row, want) == 0, "register: %s, wanted %s", row, want);
	check_changed(app, 1, rid,
	    SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_DEATH,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_EXITED, 33000, 0,
	    sn_month_add(svc_month(), 1));
	free(row);
	free(rid);
	free(bid);
	printf("review_death: the household exits at the month's end\n");
}

/* POST step on rid as user/role/juris (id number idn, may be NULL)
 * answers status with code (NULL: any). */
static void
expect_step(const char *rid, const char *what, const char *user,
    const char *role, const char *juris, const char *idn, const char *body,
    int status, const char *code)
{
	char   *tok = token(user, role, juris, idn);
	json_t *j   = NULL;
	int     st  = step(rid, what, tok, body, &j);
	TH_CHECK(&T,
	    st == status
	        && (code == NULL || strcmp(jstr(j, "error.code"), code) == 0
	            || strcmp(jstr(j, "code"), code) == 0),
	    "%s by %s answered %d %s, wanted %d %s", what, user, st,
	    json_dumps(j, 0), status, code ? code : "");
	json_decref(j);
	free(tok);
}

/* The segregation of duties on a review case, as on an application: a
 * household member, an investigator of the review visit, the clerk who
 * took the application in and a reviewer of another village are
 * refused (403, recorded); the village reviewer may not confirm; a
 * township category is refused; a return leaves the review open. */
static void
review_duties(void)
{
	start("100");
	const char *app = "app-rdu-1";
	struct app  a;
	char       *today = today_plus(0);
	app_init(&a, app, today);
	free(today);
	char       *bid  = enter_register(app);
	char       *rid  = change_review(app, bid, "chg-rdu-1", 0);
	const char *pass = "{\"decision\":\"pass\"}";
	answer_review(app, rid, 60000);
	expect_step(rid, "village-review", "vr7", "village_reviewer", VILLAGE,
	    a.ids[1], pass, 403, "household_member");
	expect_step(rid, "village-review", "inv3", "village_reviewer", VILLAGE,
	    NULL, pass, 403, "visited_home");
	expect_step(rid, "village-review", "clerk1", "village_reviewer",
	    VILLAGE, NULL, pass, 403, "took_in_application");
	expect_step(rid, "village-review", "vr8", "village_reviewer",
	    OTHER_VILLAGE, NULL, pass, 403, "outside_jurisdiction");
	expect_step(rid, "township-confirmation", "to1", "township_officer",
	    TOWNSHIP, NULL, "{\"decision\":\"approve\"}", 409, NULL);
	expect_step(rid, "village-review", "vr1", "village_reviewer", VILLAGE,
	    NULL, pass, 200, NULL);
	expect_step(rid, "township-confirmation", "vr1", "township_officer",
	    TOWNSHIP, NULL, "{\"decision\":\"approve\"}", 403,
	    "already_acted");
	expect_step(rid, "township-confirmation", "to1", "township_officer",
	    TOWNSHIP, NULL,
	    "{\"decision\":\"approve\",\"category\":\"tekun\","
	    "\"reason\":\"x\"}",
	    400, NULL);
	TH_CHECK(&T,
	    ROWS("SELECT count(*) FROM %s.refusals WHERE case_id = '%s'", S,
	        rid)
	        == 5,
	    "the refusals on the review case are not recorded");
	/* a second review case, returned by the village */
	expect_step(rid, "township-confirmation", "to1", "township_officer",
	    TOWNSHIP, NULL, "{\"decision\":\"approve\"}", 200, NULL);
	char *rid2 = change_review(app, bid, "chg-rdu-2", 1);
	answer_review(app, rid2, 60000);
	expect_step(rid2, "village-review", "vr1", "village_reviewer", VILLAGE,
	    NULL, "{\"decision\":\"return\",\"reason\":\"recheck\"}", 200,
	    NULL);
	wait_stage(rid2, "RETURNED");
	TH_CHECK(&T,
	    ROWS("SELECT count(*) FROM %s.reviews WHERE review_id = '%s' AND"
	         " status = 'open'",
	        S, rid2)
	        == 1,
	    "a returned review is not open");
	free(rid);
	free(rid2);
	free(bid);
	printf("review_duties: refused as on applications\n");
}

/* "reject" at the confirmation: the register as it was, the review
 * closed with the reason, the next review date moved on (the household
 * was reviewed), nothing published but the stage. */
static void
review_reject(void)
{
	start("100");
	const char *app = "app-rj-1";
	char       *bid = NULL;
	char       *rid = periodic_review(app, &bid);
	answer_review(app, rid, 168500);
	json_t *j = decide_review(rid, "reject");
	TH_CHECK(&T, strcmp(jstr(j, "stage"), "REJECTED") == 0,
	    "the rejection's stage");
	json_decref(j);
	char *row = register_row(bid);
	TH_CHECK(&T, strcmp(row, "ACTIVE 66000 -") == 0, "register: %s", row);
	char    next[SN_DATE_STRLEN];
	sn_date today = sn_date_add_days(sn_clock_today(), SHIFT);
	sn_date_format(sn_date_add_months(today, 6), next);
	TH_CHECK(&T,
	    ROWS("SELECT count(*) FROM %s.reviews WHERE review_id = '%s' AND"
	         " status = 'closed' AND outcome = '' AND close_reason ="
	         " 'checked at review'",
	        S,
	        rid) == 1
	        && ROWS("SELECT count(*) FROM %s.beneficiaries WHERE"
	                " beneficiary_id = '%s' AND next_review_date = '%s'",
	               S, bid, next)
	            == 1
	        && changes_published(app) == 1,
	    "the rejected review: closed, next review %s, nothing published",
	    next);
	free(row);
	free(rid);
	free(bid);
	printf("review_reject: the register as it was\n");
}

/* An agency's notice of a new job opens an agency_notice review; its
 * case is marked overdue by the 15-day clock like an application's. */
static void
review_agency(void)
{
	start("100");
	const char            *app = "app-rag-1";
	char                  *bid = enter_register(app);
	Sn__Assist__V1__Income in  = SN__ASSIST__V1__INCOME__INIT;
	Sn__Assist__V1__HouseholdChangeReported c
	    = SN__ASSIST__V1__HOUSEHOLD_CHANGE_REPORTED__INIT;
	in.wages_fen     = 300000;
	c.change_id      = "notice-rag-1";
	c.beneficiary_id = bid;
	c.application_id = (char *) app;
	c.kind           = SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_INCOME;
	c.income         = &in;
	c.agency         = "HUMAN_RESOURCES";
	publish(0, "household.change_reported", app, &c.base);
	char                            *rid = review_opened(app, 0);
	Sn__Assist__V1__ReviewRequested *m   = review_event(app, 0);
	char   *to = token("to1", "township_officer", TOWNSHIP, NULL);
	json_t *j  = NULL;
	TH_CHECK(&T,
	    m->kind == SN__ASSIST__V1__REVIEW_KIND__REVIEW_KIND_AGENCY_NOTICE
	        && m->declared_income != NULL
	        && m->declared_income->wages_fen == 300000
	        && reviews_listed(to, "", &j) == 1,
	    "the agency notice's review");
	json_t *r = json_array_get(json_object_get(j, "reviews"), 0);
	TH_CHECK(&T,
	    strcmp(jstr(r, "kind"), "agency_notice") == 0
	        && strcmp(jstr(r, "stage"), "GATHERING") == 0,
	    "GET /reviews: kind %s stage %s", jstr(r, "kind"),
	    jstr(r, "stage"));
	json_decref(j);
	sn__assist__v1__review_requested__free_unpacked(m, NULL);
	SHIFT = 16;
	restart_shifted(SHIFT);
	wait_count(1, "the review case overdue",
	    "SELECT count(*) FROM %s.outbox WHERE topic = 'case.overdue' AND"
	    " subject = '%s'",
	    S, rid);
	free(to);
	free(rid);
	free(bid);
	printf("review_agency: an agency_notice review, overdue after 15 "
	       "days\n");
}

/* Item 5: the register figures of a policy version. A version that says
 * review_months_dibao 3 (the others taken from the version in force)
 * gives a household decided under it a review 3 months on, and its price
 * subsidy per person is what the linkage pays for a month it is in force
 * from the month's first day; GET /policy shows them. */
static void
review_policy_months(void)
{
	start("100");
	char   *admin    = token("admin1", "district_admin", DISTRICT, NULL);
	char   *tomorrow = today_plus(1);
	char    body[1024];
	json_t *j = NULL;
	snprintf(body, sizeof(body), POLICY_FMT, "v-bad", tomorrow,
	    ",\"review_months_dibao\":0");
	TH_CHECK(&T,
	    api("POST", "/policy", admin, newkey(), body, NULL) == 400,
	    "a review period of 0 months is not refused");
	snprintf(body, sizeof(body), POLICY_FMT, "v-rp", tomorrow,
	    ",\"review_months_dibao\":3,"
	    "\"price_subsidy_per_person_fen\":8000");
	TH_CHECK(&T,
	    api("POST", "/policy", admin, newkey(), body, &j) == 201
	        && json_integer_value(
	               json_object_get(j, "review_months_dibao"))
	            == 3
	        && json_integer_value(
	               json_object_get(j, "review_months_tekun"))
	            == 12
	        && json_integer_value(
	               json_object_get(j, "cpi_threshold_permille"))
	            == 35,
	    "POST /policy with register figures");
	json_decref(j);
	SHIFT = 1;
	restart_shifted(SHIFT);
	TH_CHECK(&T,
	    api("GET", "/policy", admin, NULL, NULL, &j) == 200
	        && strcmp(jstr(j, "in_force"), "v-rp") == 0,
	    "GET /policy: v-rp is not in force");
	json_t *vs = json_object_get(j, "versions");
	json_t *v0 = json_array_get(vs, 0), *v1 = json_array_get(vs, 1);
	TH_CHECK(&T,
	    json_integer_value(json_object_get(v0, "review_months_dibao")) == 6
	        && json_integer_value(
	               json_object_get(v0, "price_subsidy_per_person_fen"))
	            == 5000
	        && json_integer_value(
	               json_object_get(v1, "review_months_dibao"))
	            == 3,
	    "GET /policy does not show the register figures");
	json_decref(j);
	char   *bid = enter_register("app-rp-1");
	char    next[SN_DATE_STRLEN], month[SN_MONTH_STRLEN];
	sn_date today = sn_date_add_days(sn_clock_today(), SHIFT);
	sn_date_format(sn_date_add_months(today, 3), next);
	TH_CHECK(&T,
	    ROWS("SELECT count(*) FROM %s.beneficiaries WHERE beneficiary_id"
	         " = '%s' AND next_review_date = '%s'",
	        S, bid, next)
	        == 1,
	    "the review date is not 3 months on (%s)", next);
	snprintf(body, sizeof(body),
	    "{\"month\":\"%s\",\"cpi_permille\":36,"
	    "\"food_cpi_permille\":10}",
	    month_str(sn_month_add(svc_month(), 1), month));
	int st = api("POST", "/price-indices", admin, newkey(), body, &j);
	TH_CHECK(&T,
	    st == 201
	        && json_integer_value(json_object_get(j, "per_person_fen"))
	            == 8000,
	    "the price subsidy is not the version's: %d %s", st,
	    json_dumps(j, 0));
	json_decref(j);
	free(bid);
	free(admin);
	free(tomorrow);
	printf("review_policy_months: a 3-month review date, 80 yuan a "
	       "person\n");
}

/* A yearly review opened a day after the consent on file lapsed (12
 * months from its signing on the accepted date): verification asks no
 * agency and answers INCOMPLETE, and the review's case is held saying
 * that a new consent is needed. */
static void
review_consent_lapsed(void)
{
	start("100");
	const char *app  = "app-rcl-1";
	unable_household = true;
	char *bid        = enter_register(app);
	unable_household = false;
	char   *on       = th_text(&T,
	            "SELECT next_review_date::text FROM %s.beneficiaries WHERE"
	                    " beneficiary_id = '%s'",
	            S, bid);
	sn_date day;
	TH_CHECK(&T, sn_date_parse(on, &day) == SN_OK, "review date %s", on);
	SHIFT = sn_date_diff_days(sn_clock_today(), day) + 1;
	restart_shifted(SHIFT);
	char *rid = review_opened(app, 0);
	send_review_verification(app, rid, 0, false, 1);
	wait_stage(rid, "HELD");
	char *why = str("SELECT stage_reason FROM %s.cases WHERE case_id ="
	                " '%s'",
	    S, rid);
	TH_CHECK(&T,
	    strstr(why, "consent on file") != NULL
	        && strstr(why, "expired") != NULL
	        && strstr(why, "a new consent is needed") != NULL,
	    "the hold does not say the consent expired: %s", why);
	free(why);
	free(on);
	free(rid);
	free(bid);
	printf("review_consent_lapsed: held for a new consent\n");
}

/* A reported death of one of two members: the other is re-rated alone
 * ((830 - 575) x 1 = 255 yuan, cause death) and the register keeps one
 * member; a later review asks verification about that one member and
 * counts only that one, not the submission's two. */
static void
review_death_of_one(void)
{
	start("100");
	const char *app = "app-rdo-1";
	struct app  a;
	char       *today = today_plus(0);
	app_init(&a, app, today);
	free(today);
	char                                   *bid = enter_register(app);
	Sn__Assist__V1__HouseholdChangeReported c
	    = SN__ASSIST__V1__HOUSEHOLD_CHANGE_REPORTED__INIT;
	c.change_id        = "chg-rdo-1";
	c.beneficiary_id   = bid;
	c.application_id   = (char *) app;
	c.kind             = SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_DEATH;
	c.member_id_number = a.ids[1];
	c.reported_by      = "clerk2";
	publish(0, "household.change_reported", app, &c.base);
	char *rid = review_opened(app, 0);
	answer_review(app, rid, 60000);
	json_decref(decide_review(rid, "approve"));
	check_changed(app, 1, rid,
	    SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_DEATH,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE,
	    ENTERED_FEN, 25500, sn_month_add(svc_month(), 1));
	TH_CHECK(&T,
	    ROWS("SELECT count(*) FROM %s.beneficiaries WHERE beneficiary_id"
	         " = '%s' AND members = 1 AND member_ids = ARRAY['%s']",
	        S, bid, a.ids[0])
	        == 1,
	    "the register does not hold the one member left");
	char *rid2 = change_review(app, bid, "chg-rdo-2", 1);
	Sn__Assist__V1__ReviewRequested *m = review_event(app, 1);
	TH_CHECK(&T,
	    m->n_members == 1
	        && strcmp(m->members[0]->id_number, a.ids[0]) == 0,
	    "the later review.requested asks about %zu members", m->n_members);
	sn__assist__v1__review_requested__free_unpacked(m, NULL);
	answer_review(app, rid2, 60000);
	json_decref(decide_review(rid2, "approve"));
	char *row = register_row(bid);
	TH_CHECK(&T,
	    strcmp(row, "ACTIVE 25500 -") == 0 && changes_published(app) == 2,
	    "the later review counted the deceased again: %s", row);
	check_closed(rid2, "stays");
	free(row);
	free(rid);
	free(rid2);
	free(bid);
	printf("review_death_of_one: 255 yuan for the one left\n");
}

int
main(int argc, char **argv)
{
	static const th_scenario scenarios[] = {
		{ "review_answers_apart", review_answers_apart },
		{ "review_stays", review_stays },
		{ "review_gradual", review_gradual },
		{ "review_exit", review_exit },
		{ "review_returns", review_returns },
		{ "review_death", review_death },
		{ "review_duties", review_duties },
		{ "review_reject", review_reject },
		{ "review_agency", review_agency },
		{ "review_policy_months", review_policy_months },
		{ "review_consent_lapsed", review_consent_lapsed },
		{ "review_death_of_one", review_death_of_one },
	};
	return th_main(&T, argc, argv, scenarios,
	    sizeof(scenarios) / sizeof(scenarios[0]), close_auth);
}
