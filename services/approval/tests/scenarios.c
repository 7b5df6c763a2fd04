/*
 * approval's integration scenarios: the real approval binary, a real
 * PostgreSQL, and three sn-inject processes publishing as
 * "intake", "verification" and "investigation" the protobuf events this
 * test builds (posted to their /publish route, then carried by the bus
 * like any other event).
 *
 *   approval_scenarios shuffled | held | steps | duties | overdue | policy
 *                      | policy_unknown | validation | clock | register
 *                      | register_paging | suspension | register_backfill
 *
 *                      | policy_ratio | rerating | price_linkage
 *                      | reviews_due | review_on_change
 *
 * The helpers they share are kit.h's; the review cases are in
 * review_scenarios.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "acted.h"
#include "kit.h"
#include "sn/clock.h"
#include "sn/date.h"
#include "sn/idnum.h"

/* ---- scenarios ------------------------------------------------------------
 */

/* The three inputs in every one of the 6 orders (each applied before the
 * next is sent): the same case and the same computation each time. */
static void
shuffled(void)
{
	start("60000");
	static const int orders[6][3] = { { 0, 1, 2 }, { 0, 2, 1 },
		{ 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
	char            *today        = today_plus(0);
	for (int o = 0; o < 6; o++) {
		struct app a;
		char       id[32];
		snprintf(id, sizeof(id), "app-order-%d%d%d", orders[o][0],
		    orders[o][1], orders[o][2]);
		app_init(&a, id, today);
		for (int k = 0; k < 3; k++) {
			send_and_wait(&a, orders[o][k]);
			if (k < 2)
				TH_CHECK(&T,
				    th_int(&T,
				        "SELECT count(*) FROM %s.cases WHERE "
				        "case_id = '%s' AND stage <> "
				        "'GATHERING'",
				        S, id)
				        == 0,
				    "case %s moved before all three inputs",
				    id);
		}
		wait_stage(id, "VILLAGE_REVIEW");
	}
	free(today);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.cases WHERE category = 'dibao'"
	        " AND tier = 'core' AND monthly_amount_fen = 66000"
	        " AND referrals = '{medical}'",
	        S)
	        == 6,
	    "not every case was classified dibao/core/660 yuan/medical");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(DISTINCT computation) FROM %s.cases", S)
	        == 1,
	    "the computations differ by arrival order");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.case_timeline WHERE action ="
	        " 'ready_for_review'",
	        S)
	        == 6,
	    "a case was computed more than once");
	/* The stage change to VILLAGE_REVIEW is on the bus, decoded. */
	size_t   n;
	uint8_t *b
	    = outbox_event("case.stage_changed", "app-order-210", 1, &n);
	Sn__Assist__V1__CaseStageChanged *m
	    = sn__assist__v1__case_stage_changed__unpack(NULL, n, b);
	TH_CHECK(&T,
	    m != NULL && m->from == SN__ASSIST__V1__STAGE__STAGE_GATHERING
	        && m->to == SN__ASSIST__V1__STAGE__STAGE_VILLAGE_REVIEW
	        && strcmp(m->township_code, TOWNSHIP) == 0,
	    "case.stage_changed to VILLAGE_REVIEW is wrong");
	sn__assist__v1__case_stage_changed__free_unpacked(m, NULL);
	free(b);
	/* And the GET shows the computation. */
	char   *tok = token("t1", "township_officer", TOWNSHIP, NULL);
	json_t *j;
	TH_CHECK(&T,
	    api("GET", "/cases/app-order-012", tok, NULL, NULL, &j) == 200,
	    "GET /cases/{id}");
	TH_CHECK(&T,
	    json_integer_value(json_object_get(
	        json_object_get(j, "computation"), "standard_fen"))
	            == 83000
	        && strcmp(jstr(j, "computation.category"), "dibao") == 0
	        && strcmp(jstr(j, "computation.policy_version"), "2026-01")
	            == 0
	        && json_integer_value(json_object_get(
	               json_object_get(j, "facts"), "income_per_member_fen"))
	            == 50000,
	    "the GET does not show the computation and the facts");
	json_decref(j);
	free(tok);
	/* And 20 more with the three inputs posted back to back, so that
	 * the three streams' transactions race for the same cases: each is
	 * computed exactly once, to the same result. */
	char *now = today_plus(0);
	for (int i = 0; i < 20; i++) {
		struct app r;
		char       id[32];
		snprintf(id, sizeof(id), "app-race-%02d", i);
		app_init(&r, id, now);
		int first = i % 3;
		for (int k = 0; k < 3; k++) {
			int w = (first + k) % 3;
			if (w == 0)
				send_submitted(&r);
			else if (w == 1)
				send_verification(&r, true, 1);
			else
				send_investigation(&r);
		}
	}
	free(now);
	wait_count(26, "cases in VILLAGE_REVIEW",
	    "SELECT count(*) FROM %s.cases WHERE stage = 'VILLAGE_REVIEW'", S);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.case_timeline WHERE action ="
	        " 'ready_for_review'",
	        S) == 26
	        && th_int(&T,
	               "SELECT count(DISTINCT computation) FROM %s.cases", S)
	            == 1,
	    "racing inputs computed a case twice or differently");
	printf("6 orders and 20 racing cases -> one computation (dibao, core,"
	       " 66000 fen)\n");
}

/* An incomplete verification holds the case and says why; a later
 * complete one releases it. */
static void
held(void)
{
	start("60000");
	char      *today = today_plus(0);
	struct app a;
	app_init(&a, "app-held", today);
	/* incomplete first, before the application itself */
	send_verification(&a, false, 1);
	wait_count(1, "verification stored",
	    "SELECT count(*) FROM %s.verification", S);
	send_submitted(&a);
	wait_stage(a.id, "HELD");
	char *reason = str("SELECT stage_reason FROM %s.cases WHERE case_id ="
	                   " '%s'",
	    S, a.id);
	TH_CHECK(&T, strstr(reason, "tax") && strstr(reason, "banks"),
	    "the hold does not name the missing agencies: %s", reason);
	free(reason);
	send_investigation(&a);
	wait_count(1, "investigation stored",
	    "SELECT count(*) FROM %s.investigation", S);
	TH_CHECK(&T, strcmp(stage_of(a.id), "HELD") == 0,
	    "an investigation released a held case");
	/* the hold is on the bus */
	size_t   n;
	uint8_t *b = outbox_event("case.stage_changed", a.id, 1, &n);
	Sn__Assist__V1__CaseStageChanged *m
	    = sn__assist__v1__case_stage_changed__unpack(NULL, n, b);
	TH_CHECK(&T,
	    m != NULL && m->to == SN__ASSIST__V1__STAGE__STAGE_HELD
	        && strstr(m->reason, "tax") != NULL,
	    "case.stage_changed to HELD is wrong");
	sn__assist__v1__case_stage_changed__free_unpacked(m, NULL);
	free(b);
	send_verification(&a, true, 2);
	wait_stage(a.id, "VILLAGE_REVIEW");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT monthly_amount_fen FROM %s.cases WHERE case_id"
	        " = '%s'",
	        S, a.id)
	        == 66000,
	    "the released case was not computed");

	/* A second one: held with the investigation in, then released to
	 * GATHERING when the complete verification comes first. */
	struct app b2;
	app_init(&b2, "app-held-2", today);
	send_submitted(&b2);
	send_verification(&b2, false, 1);
	wait_stage(b2.id, "HELD");
	send_verification(&b2, true, 2);
	wait_stage(b2.id, "GATHERING");
	send_investigation(&b2);
	wait_stage(b2.id, "VILLAGE_REVIEW");
	/* A withdrawal closes an open case. */
	struct app w;
	app_init(&w, "app-withdrawn", today);
	send_submitted(&w);
	Sn__Assist__V1__ApplicationWithdrawn wd
	    = SN__ASSIST__V1__APPLICATION_WITHDRAWN__INIT;
	wd.application_id = w.id;
	wd.reason         = "moved away";
	wd.withdrawn_by   = "clerk1";
	publish(0, "application.withdrawn", w.id, &wd.base);
	wait_stage(w.id, "WITHDRAWN");
	send_verification(&w, true, 1);
	send_investigation(&w);
	wait_count(1, "investigation and verification stored",
	    "SELECT count(*) FROM %s.investigation i JOIN %s.verification v"
	    " USING (application_id) WHERE application_id = '%s'",
	    S, S, w.id);
	TH_CHECK(&T, strcmp(stage_of(w.id), "WITHDRAWN") == 0,
	    "a withdrawn case was computed");
	free(today);
	printf("held on incomplete verification, released on complete\n");
}

/* The three steps with distinct users: FILED, and application.decided
 * and beneficiary.changed in approval's outbox. */
static void
steps(void)
{
	start("60000");
	struct app a;
	ready_case(&a, "app-steps");
	char   *vr    = token("vr1", "village_reviewer", VILLAGE, NULL);
	char   *to    = token("to1", "township_officer", TOWNSHIP, NULL);
	char   *dof   = token("do1", "district_officer", DISTRICT, NULL);
	char   *clerk = token("c9", "clerk", DISTRICT, NULL);
	json_t *j;
	/* wrong role, wrong stage, bad input: nothing changes */
	TH_CHECK(&T,
	    api("POST", "/cases/app-steps/village-review", clerk, newkey(),
	        "{\"decision\":\"pass\"}", NULL)
	        == 403,
	    "a clerk could review");
	TH_CHECK(&T,
	    api("POST", "/cases/app-steps/township-confirmation", to, newkey(),
	        "{\"decision\":\"approve\"}",
	        &j) == 409
	        && strcmp(jstr(j, "error.code"), "wrong_stage") == 0,
	    "confirmation before review was not refused");
	json_decref(j);
	TH_CHECK(&T,
	    api("POST", "/cases/app-steps/village-review", vr, newkey(),
	        "{\"decision\":\"maybe\"}", NULL)
	        == 400,
	    "a bad decision was not refused");
	TH_CHECK(&T,
	    api("POST", "/cases/app-steps/village-review", vr, newkey(),
	        "{\"decision\":\"return\"}", NULL)
	        == 422,
	    "a return without a reason was not refused");
	TH_CHECK(&T,
	    strcmp(stage_of(a.id), "VILLAGE_REVIEW") == 0
	        && th_int(&T, "SELECT count(*) FROM %s.case_actors", S) == 0,
	    "bad input changed the case");

	TH_CHECK(&T,
	    api("POST", "/cases/app-steps/village-review", vr, newkey(),
	        "{\"decision\":\"pass\",\"reason\":\"checked\"}",
	        &j) == 200
	        && strcmp(jstr(j, "stage"), "TOWNSHIP_CONFIRM") == 0,
	    "village review failed");
	json_decref(j);
	/* a changed category needs a written reason */
	TH_CHECK(&T,
	    api("POST", "/cases/app-steps/township-confirmation", to, newkey(),
	        "{\"decision\":\"approve\",\"category\":\"tekun\"}",
	        &j) == 422
	        && strcmp(jstr(j, "error.code"), "reason_required") == 0,
	    "a category change without a reason was not refused");
	json_decref(j);
	TH_CHECK(&T,
	    api("POST", "/cases/app-steps/township-confirmation", to, newkey(),
	        "{\"decision\":\"approve\",\"reason\":\"meets dibao\"}",
	        &j) == 200
	        && strcmp(jstr(j, "stage"), "DISTRICT_FILING") == 0
	        && json_integer_value(json_object_get(j, "monthly_amount_fen"))
	            == 66000,
	    "township confirmation failed");
	json_decref(j);
	const char *fkey = newkey();
	char        fk[32];
	snprintf(fk, sizeof(fk), "%s", fkey);
	char *body1 = NULL, *body2 = NULL;
	TH_CHECK(&T,
	    th_http(&T, PORT, "POST", "/cases/app-steps/district-filing", dof,
	        fk, "{\"spot_check\":true,\"note\":\"filed\"}", &body1)
	        == 200,
	    "district filing failed");
	wait_stage(a.id, "FILED");
	int64_t events = th_int(&T, "SELECT count(*) FROM %s.outbox", S);
	/* the same request again: the same answer, nothing new (a replay is
	 * not recorded as a staff action either: no staff.acted) */
	TH_CHECK(&T,
	    th_http(&T, PORT, "POST", "/cases/app-steps/district-filing", dof,
	        fk, "{\"spot_check\":true,\"note\":\"filed\"}", &body2)
	            == 200
	        && strcmp(body1, body2) == 0,
	    "a repeated filing did not get the same answer");
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s.outbox", S) == events,
	    "a repeated filing published again");
	free(body1);
	free(body2);

	char  monthbuf[SN_MONTH_STRLEN];
	char *month = strdup(
	    sn_month_format(sn_month_add(sn_clock_month(), 1), monthbuf));
	size_t   n;
	uint8_t *b = outbox_event("application.decided", a.id, 0, &n);
	Sn__Assist__V1__ApplicationDecided *d
	    = sn__assist__v1__application_decided__unpack(NULL, n, b);
	TH_CHECK(&T, d != NULL, "application.decided does not decode");
	TH_CHECK(&T,
	    d->approved
	        && d->category == SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO
	        && d->tier == SN__ASSIST__V1__TIER__TIER_CORE
	        && d->monthly_amount_fen == 66000
	        && strcmp(d->effective_month, month) == 0
	        && d->n_referrals == 1
	        && d->referrals[0]
	            == SN__ASSIST__V1__REFERRAL__REFERRAL_MEDICAL
	        && strcmp(d->decided_by, "to1") == 0
	        && strcmp(d->policy_version, "2026-01") == 0 && d->members == 2
	        && d->household != NULL
	        && strcmp(d->household->village_code, VILLAGE) == 0
	        && d->payee != NULL
	        && strcmp(d->payee->account_number, "6222020200112233445") == 0
	        && strcmp(d->head_id_number, a.ids[0]) == 0,
	    "application.decided carries the wrong decision");
	sn__assist__v1__application_decided__free_unpacked(d, NULL);
	free(b);
	b = outbox_event("beneficiary.changed", a.id, 0, &n);
	Sn__Assist__V1__BeneficiaryChanged *bc
	    = sn__assist__v1__beneficiary_changed__unpack(NULL, n, b);
	TH_CHECK(&T,
	    bc != NULL
	        && bc->status
	            == SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE
	        && bc->category == SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO
	        && bc->monthly_amount_fen == 66000
	        && strcmp(bc->from_month, month) == 0
	        && strcmp(bc->approved_by, "to1") == 0
	        && bc->n_member_id_numbers == 2 && bc->payee != NULL
	        && strcmp(bc->payee->bank_code, "ICBC") == 0,
	    "beneficiary.changed is wrong");
	sn__assist__v1__beneficiary_changed__free_unpacked(bc, NULL);
	free(b);
	free(month);
	/* every step published its stage change: opened, ready, 3 steps */
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.outbox WHERE topic ="
	        " 'case.stage_changed' AND subject = '%s'",
	        S, a.id)
	        == 5,
	    "not one case.stage_changed per step");
	b = outbox_event("case.stage_changed", a.id, 4, &n);
	Sn__Assist__V1__CaseStageChanged *sc
	    = sn__assist__v1__case_stage_changed__unpack(NULL, n, b);
	TH_CHECK(&T,
	    sc != NULL && sc->to == SN__ASSIST__V1__STAGE__STAGE_FILED
	        && sc->spot_check && strcmp(sc->actor, "do1") == 0,
	    "the filing's stage change is wrong");
	sn__assist__v1__case_stage_changed__free_unpacked(sc, NULL);
	free(b);

	/* the register and the timeline through the API */
	TH_CHECK(&T,
	    api("GET", "/beneficiaries?township=" TOWNSHIP, to, NULL, NULL, &j)
	            == 200
	        && json_array_size(json_object_get(j, "beneficiaries")) == 1,
	    "the register does not list the household");
	json_t *ben = json_array_get(json_object_get(j, "beneficiaries"), 0);
	TH_CHECK(&T,
	    strcmp(jstr(ben, "category"), "dibao") == 0
	        && strcmp(jstr(ben, "tier"), "core") == 0
	        && json_integer_value(
	               json_object_get(ben, "monthly_amount_fen"))
	            == 66000
	        && strcmp(jstr(ben, "payee.account_number"),
	               "6222020200112233445")
	            == 0,
	    "the register's entry is wrong");
	json_decref(j);
	TH_CHECK(&T,
	    api("GET", "/cases/app-steps", dof, NULL, NULL, &j) == 200,
	    "GET case");
	json_t *tl    = json_object_get(j, "timeline");
	int     found = 0;
	for (size_t i = 0; i < json_array_size(tl); i++) {
		const char *actor = jstr(json_array_get(tl, i), "actor");
		const char *at    = jstr(json_array_get(tl, i), "at");
		if (at[0] != '\0'
		    && (strcmp(actor, "vr1") == 0 || strcmp(actor, "to1") == 0
		        || strcmp(actor, "do1") == 0))
			found++;
	}
	TH_CHECK(&T,
	    found == 3 && strcmp(jstr(j, "stage"), "FILED") == 0
	        && strcmp(jstr(j, "deadline_date"), "") != 0,
	    "the timeline does not show the three steps (%d)", found);
	json_decref(j);
	TH_CHECK(&T,
	    api("GET", "/cases?stage=FILED", dof, NULL, NULL, &j) == 200
	        && json_array_size(json_object_get(j, "cases")) == 1,
	    "the list by stage is wrong");
	json_decref(j);
	/* A return by the village, and a rejection by the township. */
	struct app r1, r2;
	ready_case(&r1, "app-returned");
	ready_case(&r2, "app-rejected");
	TH_CHECK(&T,
	    api("POST", "/cases/app-returned/village-review", vr, newkey(),
	        "{\"decision\":\"return\",\"reason\":\"documents missing\"}",
	        &j) == 200
	        && strcmp(jstr(j, "stage"), "RETURNED") == 0,
	    "the return failed");
	json_decref(j);
	char *why = str("SELECT stage_reason FROM %s.cases WHERE case_id ="
	                " 'app-returned'",
	    S);
	TH_CHECK(&T, strcmp(why, "documents missing") == 0,
	    "the return's reason was not kept");
	free(why);
	char *vr2 = token("vr2", "village_reviewer", VILLAGE, NULL);
	TH_CHECK(&T,
	    api("POST", "/cases/app-rejected/village-review", vr2, newkey(),
	        "{\"decision\":\"pass\"}", NULL)
	        == 200,
	    "the review of app-rejected failed");
	char *to2 = token("to2", "township_officer", TOWNSHIP, NULL);
	TH_CHECK(&T,
	    api("POST", "/cases/app-rejected/township-confirmation", to2,
	        newkey(), "{\"decision\":\"reject\"}", NULL)
	        == 422,
	    "a rejection without a reason was accepted");
	TH_CHECK(&T,
	    api("POST", "/cases/app-rejected/township-confirmation", to2,
	        newkey(),
	        "{\"decision\":\"reject\",\"reason\":\"hidden income\"}",
	        &j) == 200
	        && strcmp(jstr(j, "stage"), "REJECTED") == 0,
	    "the rejection failed");
	json_decref(j);
	b = outbox_event("application.decided", "app-rejected", 0, &n);
	d = sn__assist__v1__application_decided__unpack(NULL, n, b);
	TH_CHECK(&T,
	    d != NULL && !d->approved && d->monthly_amount_fen == 0
	        && strcmp(d->reason, "hidden income") == 0,
	    "the rejection's application.decided is wrong");
	sn__assist__v1__application_decided__free_unpacked(d, NULL);
	free(b);
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.beneficiaries", S) == 1
	        && th_int(&T,
	               "SELECT count(*) FROM %s.outbox WHERE topic ="
	               " 'beneficiary.changed'",
	               S)
	            == 1,
	    "a rejected household entered the register");
	free(vr2);
	free(to2);
	free(vr);
	free(to);
	free(dof);
	free(clerk);
	printf("three steps, FILED, decided and registered; return; reject\n");
}

static void
expect_refusal(
    const char *path, const char *tok, const char *body, const char *code)
{
	json_t *j;
	int     st = api("POST", path, tok, newkey(), body, &j);
	TH_CHECK(&T, st == 403 && strcmp(jstr(j, "error.code"), code) == 0,
	    "%s: wanted 403 %s, got %d %s", path, code, st,
	    jstr(j, "error.code"));
	json_decref(j);
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.refusals WHERE code = '%s'", S,
	        code)
	        == 1,
	    "refusal %s not recorded", code);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.case_timeline WHERE action ="
	        " 'refused' AND reason = '%s'",
	        S, code)
	        == 1,
	    "refusal %s not in the timeline", code);
}

/* Every segregation-of-duties refusal and jurisdiction: 403 with its
 * code, recorded. */
static void
duties(void)
{
	start("60000");
	struct app a;
	ready_case(&a, "app-duties");
	const char *path = "/cases/app-duties/village-review";
	const char *pass = "{\"decision\":\"pass\"}";
	char       *t;
	t = token("clerk1", "village_reviewer", VILLAGE, NULL);
	expect_refusal(path, t, pass, "took_in_application");
	free(t);
	t = token("inv2", "village_reviewer", VILLAGE, NULL);
	expect_refusal(path, t, pass, "visited_home");
	free(t);
	t = token("vr9", "village_reviewer", VILLAGE, a.ids[1]);
	expect_refusal(path, t, pass, "household_member");
	free(t);
	t = token("vr8", "village_reviewer", OTHER_VILLAGE, NULL);
	expect_refusal(path, t, pass, "outside_jurisdiction");
	/* outside the jurisdiction the case is not even visible */
	TH_CHECK(&T,
	    api("GET", "/cases/app-duties", t, NULL, NULL, NULL) == 404,
	    "a case outside the jurisdiction was shown");
	json_t *j;
	TH_CHECK(&T,
	    api("GET", "/cases", t, NULL, NULL, &j) == 200
	        && json_array_size(json_object_get(j, "cases")) == 0,
	    "the list shows a case outside the jurisdiction");
	json_decref(j);
	free(t);
	TH_CHECK(&T, strcmp(stage_of(a.id), "VILLAGE_REVIEW") == 0,
	    "a refusal changed the stage");
	/* vr1 reviews, then tries to confirm as a township officer */
	t = token("vr1", "village_reviewer", VILLAGE, NULL);
	TH_CHECK(&T, api("POST", path, t, newkey(), pass, NULL) == 200,
	    "the review by vr1 failed");
	free(t);
	t = token("vr1", "township_officer", TOWNSHIP, NULL);
	expect_refusal("/cases/app-duties/township-confirmation", t,
	    "{\"decision\":\"approve\"}", "already_acted");
	free(t);
	t = token("to2", "township_officer", OTHER_TOWNSHIP, NULL);
	TH_CHECK(&T,
	    api("POST", "/cases/app-duties/township-confirmation", t, newkey(),
	        "{\"decision\":\"approve\"}",
	        &j) == 403
	        && strcmp(jstr(j, "error.code"), "outside_jurisdiction") == 0,
	    "a township officer of another township could confirm");
	json_decref(j);
	free(t);
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s.refusals", S) == 6,
	    "not every refusal was recorded");
	/* The GET shows the refusals. */
	t = token("to1", "township_officer", TOWNSHIP, NULL);
	TH_CHECK(&T,
	    api("GET", "/cases/app-duties", t, NULL, NULL, &j) == 200
	        && json_array_size(json_object_get(j, "refusals")) == 6,
	    "the GET does not show the refusals");
	json_decref(j);
	free(t);
	printf("every refusal: 403 with its code, recorded\n");
}

/* A case accepted long ago becomes overdue once, published. */
static void
overdue(void)
{
	start("100");
	char      *old = today_plus(-40), *today = today_plus(0);
	struct app a, b;
	app_init(&a, "app-old", old);
	app_init(&b, "app-new", today);
	send_submitted(&a);
	send_submitted(&b);
	wait_count(1, "overdue marked",
	    "SELECT count(*) FROM %s.cases WHERE overdue", S);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.cases WHERE overdue AND"
	        " case_id = 'app-old'",
	        S)
	        == 1,
	    "the wrong case is overdue");
	wait_count(1, "case.overdue published",
	    "SELECT count(seq) FROM %s.outbox WHERE topic = 'case.overdue'",
	    S);
	size_t   n;
	uint8_t *buf = outbox_event("case.overdue", "app-old", 0, &n);
	Sn__Assist__V1__CaseOverdue *m
	    = sn__assist__v1__case_overdue__unpack(NULL, n, buf);
	char *deadline = str("SELECT deadline_date::text FROM %s.cases WHERE"
	                     " case_id = 'app-old'",
	    S);
	char *want = str("SELECT to_char(date '%s' + 15, 'YYYY-MM-DD')", old);
	TH_CHECK(&T,
	    m != NULL && strcmp(m->deadline_date, want) == 0
	        && strcmp(deadline, want) == 0
	        && m->stage == SN__ASSIST__V1__STAGE__STAGE_GATHERING
	        && strcmp(m->township_code, TOWNSHIP) == 0,
	    "case.overdue is wrong");
	sn__assist__v1__case_overdue__free_unpacked(m, NULL);
	free(buf);
	free(deadline);
	free(want);
	/* metrics: counts by stage and overdue, refreshed by the clock */
	uint64_t end = th_now_ms() + WAIT_MS;
	bool     ok  = false;
	while (!ok && th_now_ms() < end) {
		char *body = NULL;
		if (th_http(
		        &T, PORT, "GET", "/metrics", NULL, NULL, NULL, &body)
		    == 200)
			ok = strstr(body, "approval_cases_overdue 1\n") != NULL
			    && strstr(body,
			           "approval_cases{stage=\"GATHERING\"} 2\n")
			        != NULL;
		free(body);
		if (!ok)
			th_sleep_ms(50);
	}
	TH_CHECK(&T, ok, "the metrics do not show the counts");
	char   *t = token("d1", "district_officer", DISTRICT, NULL);
	json_t *j;
	TH_CHECK(&T,
	    api("GET", "/cases?overdue=true", t, NULL, NULL, &j) == 200
	        && json_array_size(json_object_get(j, "cases")) == 1
	        && strcmp(jstr(json_array_get(json_object_get(j, "cases"), 0),
	                      "case_id"),
	               "app-old")
	            == 0,
	    "the overdue list is wrong");
	json_decref(j);
	TH_CHECK(&T,
	    api("GET", "/cases?overdue=maybe", t, NULL, NULL, NULL) == 400,
	    "a bad filter was accepted");
	free(t);
	/* Marked once: more ticks publish nothing more. */
	int64_t ticks_seen = th_int(&T, "SELECT count(*) FROM %s.outbox", S);
	end                = th_now_ms() + 600;
	while (th_now_ms() < end)
		th_sleep_ms(100); /* pacing: let several ticks run */
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.outbox WHERE topic ="
	        " 'case.overdue'",
	        S) == 1
	        && th_int(&T, "SELECT count(*) FROM %s.outbox", S)
	            == ticks_seen,
	    "a case was marked overdue twice");
	free(old);
	free(today);
	printf("overdue once, published, counted\n");
}

/* Policy versions: the seeded one, the ratio, adding, immutability, and
 * the version in force on the accepted date. */
static void
policy(void)
{
	start("60000");
	char   *admin = token("admin1", "district_admin", DISTRICT, NULL);
	char   *other = token("to1", "township_officer", TOWNSHIP, NULL);
	json_t *j;
	TH_CHECK(&T, api("GET", "/policy", other, NULL, NULL, &j) == 200,
	    "GET /policy");
	TH_CHECK(&T,
	    json_array_size(json_object_get(j, "versions")) == 1
	        && strcmp(jstr(j, "in_force"), "2026-01") == 0
	        && strcmp(jstr(j, "urban_rural_ratio"), "1.32") == 0,
	    "the seeded policy or its ratio is wrong");
	json_decref(j);
	char *today = today_plus(0), *tomorrow = today_plus(1);
	char  body[1024];
	snprintf(body, sizeof(body), POLICY_FMT, "v-today", today, "");
	TH_CHECK(&T,
	    api("POST", "/policy", admin, newkey(), body, &j) == 409
	        && strcmp(jstr(j, "error.code"), "policy_in_force") == 0,
	    "a version starting today was not refused");
	json_decref(j);
	snprintf(body, sizeof(body), POLICY_FMT, "v-next", tomorrow, "");
	TH_CHECK(&T,
	    api("POST", "/policy", other, newkey(), body, NULL) == 403,
	    "a township officer could add a policy");
	TH_CHECK(&T,
	    api("POST", "/policy", admin, newkey(),
	        "{\"version\":\"v-bad\",\"effective_from\":\"2099-01-01\"}",
	        NULL)
	        == 400,
	    "an incomplete version was accepted");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.policy_version", S) == 1,
	    "refused versions were stored");
	char k[32];
	snprintf(k, sizeof(k), "%s", newkey());
	TH_CHECK(&T, api("POST", "/policy", admin, k, body, NULL) == 201,
	    "adding a future version failed");
	TH_CHECK(&T, api("POST", "/policy", admin, k, body, NULL) == 201,
	    "the repeated add did not replay");
	TH_CHECK(&T,
	    api("POST", "/policy", admin, newkey(), body, &j) == 409
	        && strcmp(jstr(j, "error.code"), "version_exists") == 0,
	    "a duplicate version was not refused");
	json_decref(j);
	TH_CHECK(&T,
	    api("GET", "/policy", other, NULL, NULL, &j) == 200
	        && json_array_size(json_object_get(j, "versions")) == 2
	        && strcmp(jstr(j, "in_force"), "2026-01") == 0
	        && strcmp(jstr(j, "urban_rural_ratio"), "1.32") == 0,
	    "the future version took force early");
	json_decref(j);
	/* immutable in the database too */
	char sql[256];
	snprintf(sql, sizeof(sql),
	    "UPDATE %s.policy_version SET urban_min_fen = 1", S);
	PGresult *r = PQexec(T.pg, sql);
	TH_CHECK(&T, PQresultStatus(r) == PGRES_FATAL_ERROR,
	    "a policy version could be updated");
	PQclear(r);
	/* A case accepted tomorrow is computed under the new version. */
	struct app a;
	app_init(&a, "app-future", tomorrow);
	send_submitted(&a);
	send_verification(&a, true, 1);
	send_investigation(&a);
	wait_stage(a.id, "VILLAGE_REVIEW");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.cases WHERE case_id ="
	        " 'app-future' AND policy_version = 'v-next' AND"
	        " (computation->>'standard_fen')::bigint = 90000 AND"
	        " monthly_amount_fen = 80000",
	        S)
	        == 1,
	    "the case was not computed under the version in force then");
	free(today);
	free(tomorrow);
	free(admin);
	free(other);
	printf("policy versions: seeded, added, immutable, applied by date\n");
}

/* Issue 8: POST /policy used to accept members it does not know (and
 * store the version, ignoring them). Now 422 unknown_field naming the
 * member, and nothing stored. */
static void
policy_unknown(void)
{
	start("60000");
	char   *admin = token("admin1", "district_admin", DISTRICT, NULL);
	char    body[1024];
	json_t *j;
	snprintf(body, sizeof(body), POLICY_FMT, "v-extra", "2099-01-01",
	    ",\"bonus_fen\":100");
	int st = api("POST", "/policy", admin, newkey(), body, &j);
	TH_CHECK(&T,
	    st == 422 && strcmp(jstr(j, "error.code"), "unknown_field") == 0
	        && strcmp(jstr(j, "error.field"), "bonus_fen") == 0,
	    "an unknown member was not refused: %d %s", st,
	    jstr(j, "error.code"));
	json_decref(j);
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.policy_version", S) == 1,
	    "a version with an unknown member was stored");
	free(admin);
	printf("POST /policy: unknown member refused, nothing stored\n");
}

/* A valid POST /policy body (version v-strict, from 2099-01-01) with
 * member key set to v (stolen). malloc'd. */
static char *
policy_with(const char *key, json_t *v)
{
	char body[1024];
	snprintf(body, sizeof(body), POLICY_FMT, "v-strict", "2099-01-01", "");
	json_t *o = json_loads(body, 0, NULL);
	TH_CHECK(&T, o != NULL, "POLICY_FMT is not JSON");
	json_object_set_new(o, key, v);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* Issue 8: every endpoint with a body refuses a member it does not know
 * (422 unknown_field), null where a string, number or boolean is
 * expected (422 invalid_type) and control characters in names and free
 * text (422 invalid_characters), naming the field; nothing changes but
 * the refusal's own staff.acted record (one each). A reason with a line
 * break is accepted, recorded with its change. */
static void
validation(void)
{
	start("60000");
	struct app a;
	ready_case(&a, "app-strict");
	char *tok[4]    = { token("admin1", "district_admin", DISTRICT, NULL),
		   token("vr1", "village_reviewer", VILLAGE, NULL),
		   token("to1", "township_officer", TOWNSHIP, NULL),
		   token("do1", "district_officer", DISTRICT, NULL) };
	char *p_null    = policy_with("version", json_null());
	char *p_ctrl    = policy_with("version", json_string("v\001x"));
	char *p_numnull = policy_with("urban_min_fen", json_null());
	const struct {
		int         who; /* tok[] */
		const char *path, *body, *code, *field;
	} t[] = {
		{ 0, "/policy", p_null, "invalid_type", "version" },
		{ 0, "/policy", p_ctrl, "invalid_characters", "version" },
		{ 0, "/policy", p_numnull, "invalid_type", "urban_min_fen" },
		{ 1, "/cases/app-strict/village-review",
		    "{\"decision\":\"pass\",\"note\":\"x\"}", "unknown_field",
		    "note" },
		{ 1, "/cases/app-strict/village-review",
		    "{\"decision\":\"pass\",\"reason\":null}", "invalid_type",
		    "reason" },
		{ 1, "/cases/app-strict/village-review", "{\"decision\":null}",
		    "invalid_type", "decision" },
		{ 1, "/cases/app-strict/village-review",
		    "{\"decision\":\"return\",\"reason\":\"bad\\u0001\"}",
		    "invalid_characters", "reason" },
		{ 2, "/cases/app-strict/township-confirmation",
		    "{\"decision\":\"approve\",\"spot_check\":true}",
		    "unknown_field", "spot_check" },
		{ 2, "/cases/app-strict/township-confirmation",
		    "{\"decision\":\"approve\",\"category\":null}",
		    "invalid_type", "category" },
		{ 2, "/cases/app-strict/township-confirmation",
		    "{\"decision\":\"reject\",\"reason\":\"\\u0001\"}",
		    "invalid_characters", "reason" },
		{ 3, "/cases/app-strict/district-filing",
		    "{\"spot_check\":true,\"category\":\"dibao\"}",
		    "unknown_field", "category" },
		/* issue 10: decision is file, return or reject */
		{ 3, "/cases/app-strict/district-filing", "{\"decision\":7}",
		    "invalid_type", "decision" },
		{ 3, "/cases/app-strict/district-filing",
		    "{\"note\":\"filed\\u0001\"}", "invalid_characters",
		    "note" },
		{ 3, "/cases/app-strict/district-filing", "{\"note\":null}",
		    "invalid_type", "note" },
		{ 3, "/cases/app-strict/district-filing",
		    "{\"spot_check\":null}", "invalid_type", "spot_check" },
	};
	static const char *const users[4] = { "admin1", "vr1", "to1", "do1" };
	int64_t                  events   = th_events(&T, S);
	int64_t                  timeline
	    = th_int(&T, "SELECT count(*) FROM %s.case_timeline", S);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *j;
		int64_t mark = th_outbox_mark(&T, S);
		int     st   = api(
		          "POST", t[i].path, tok[t[i].who], newkey(), t[i].body, &j);
		TH_CHECK(&T,
		    st == 422 && strcmp(jstr(j, "error.code"), t[i].code) == 0
		        && strcmp(jstr(j, "error.field"), t[i].field) == 0,
		    "%s %s: wanted 422 %s (%s), got %d %s (%s)", t[i].path,
		    t[i].body, t[i].code, t[i].field, st,
		    jstr(j, "error.code"), jstr(j, "error.field"));
		json_decref(j);
		/* The route's pattern: "/cases/{id}/<step>" for a case. */
		bool     is_case = strncmp(t[i].path, "/cases/", 7) == 0;
		char     route[96];
		th_acted rec[2];
		snprintf(route, sizeof(route), "%s%s",
		    is_case ? "/cases/{id}" : "",
		    is_case ? strrchr(t[i].path, '/') : t[i].path);
		TH_CHECK(&T, th_acted_after(&T, S, mark, rec, 2) == 1,
		    "%s %s: want one staff.acted record", t[i].path,
		    t[i].body);
		th_acted_is(&T, &rec[0], t[i].path,
		    (th_acted_want) { .service = "approval",
		        .user_id               = users[t[i].who],
		        .method                = "POST",
		        .route                 = route,
		        .subject               = is_case ? "app-strict" : "",
		        .outcome_code          = t[i].code,
		        .status                = 422 });
	}
	TH_CHECK(&T,
	    strcmp(stage_of(a.id), "VILLAGE_REVIEW") == 0
	        && th_int(&T, "SELECT count(*) FROM %s.case_actors", S) == 0
	        && th_int(&T, "SELECT count(*) FROM %s.refusals", S) == 0
	        && th_int(&T, "SELECT count(*) FROM %s.policy_version", S) == 1
	        && th_int(&T, "SELECT count(*) FROM %s.case_timeline", S)
	            == timeline
	        && th_events(&T, S) == events,
	    "a refused body changed something");
	/* Free text may hold line breaks. */
	json_t  *j;
	int64_t  mark = th_outbox_mark(&T, S);
	th_acted rec[2];
	TH_CHECK(&T,
	    api("POST", "/cases/app-strict/village-review", tok[1], newkey(),
	        "{\"decision\":\"pass\",\"reason\":\"checked\\nby phone\"}",
	        &j) == 200
	        && strcmp(jstr(j, "stage"), "TOWNSHIP_CONFIRM") == 0,
	    "a reason with a line break was refused");
	json_decref(j);
	TH_CHECK(&T, th_acted_after(&T, S, mark, rec, 2) == 1,
	    "the village review: want one staff.acted record");
	th_acted_is(&T, &rec[0], "the village review",
	    (th_acted_want) { .user_id = "vr1",
	        .route                 = "/cases/{id}/village-review",
	        .subject               = "app-strict",
	        .outcome_code          = "",
	        .status                = 200 });
	th_acted_with(&T, S, &rec[0], "case.stage_changed", "app-strict");
	free(p_null);
	free(p_ctrl);
	free(p_numnull);
	for (int i = 0; i < 4; i++)
		free(tok[i]);
	printf("%zu refused bodies: 422 naming the field, nothing changed\n",
	    sizeof(t) / sizeof(t[0]));
}

/* Issue 8, the district clock: with approval's clock 16 days ahead
 * (SN_TEST_CLOCK=1, SN_CLOCK_OFFSET_S; this test's clock is not), a case
 * accepted today is past its deadline at once and marked overdue, its
 * deadline the accepted day + 15 (sn_clock_deadline); and a version
 * starting tomorrow would change a standard already in force for the
 * service. The database's own date decides neither. */
static void
clock_shift(void)
{
	static const char *const env[]
	    = { "SN_TEST_CLOCK=1", "SN_CLOCK_OFFSET_S=1382400", NULL };
	start_env("100", env);
	char      *today = today_plus(0), *tomorrow = today_plus(1);
	struct app a;
	app_init(&a, "app-clock", today);
	send_submitted(&a);
	wait_count(1, "the case marked overdue by the shifted clock",
	    "SELECT count(*) FROM %s.cases WHERE overdue AND case_id ="
	    " 'app-clock'",
	    S);
	char    want[SN_DATE_STRLEN];
	sn_date accepted;
	TH_CHECK(&T, sn_date_parse(today, &accepted) == SN_OK, "today");
	sn_date_format(sn_clock_deadline(accepted, 15), want);
	char *deadline = str("SELECT deadline_date::text FROM %s.cases WHERE"
	                     " case_id = 'app-clock'",
	    S);
	TH_CHECK(&T, strcmp(deadline, want) == 0, "deadline %s, wanted %s",
	    deadline, want);
	free(deadline);
	char   *admin = token("admin1", "district_admin", DISTRICT, NULL);
	char    body[1024];
	json_t *j;
	snprintf(body, sizeof(body), POLICY_FMT, "v-tomorrow", tomorrow, "");
	TH_CHECK(&T,
	    api("POST", "/policy", admin, newkey(), body, &j) == 409
	        && strcmp(jstr(j, "error.code"), "policy_in_force") == 0,
	    "a version starting before the service's today was added");
	json_decref(j);
	free(admin);
	free(today);
	free(tomorrow);
	printf("overdue and policy dates from the (shifted) district clock\n");
}

/* ---- issue 9: the register ------------------------------------------------
 */

/* Entering the register: the row's periods and review date, its
 * history (cause decision, append-only), beneficiary.changed with the
 * issue 9 fields, and GET /beneficiaries/{id} with the history. */
static void
register_entry(void)
{
	start("60000");
	char *bid        = enter_register("app-reg-1");
	unable_household = true;
	char *bid2       = enter_register("app-reg-unable");
	unable_household = false;
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.beneficiaries WHERE beneficiary_id ="
	        " '%s' AND status = 'ACTIVE' AND members = 2 AND"
	        " policy_version = '2026-01' AND until_month IS NULL AND"
	        " from_month = '%s' AND next_review_date = '%s'",
	        S, bid, next_month(), today_plus_months(6))
	        == 1,
	    "the register's row (6-monthly dibao review) is wrong");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.beneficiaries WHERE beneficiary_id ="
	        " '%s' AND category = 'dibao' AND next_review_date = '%s'",
	        S, bid2, today_plus_months(12))
	        == 1,
	    "a dibao household that cannot work is not reviewed yearly");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.beneficiary_history WHERE"
	        " beneficiary_id = '%s' AND cause = 'decision' AND"
	        " old_status IS NULL AND new_status = 'ACTIVE' AND"
	        " old_amount_fen = 0 AND new_amount_fen = 66000 AND"
	        " first_month = '%s' AND actor = 'to1' AND review_id IS NULL",
	        S, bid, next_month())
	            == 1
	        && th_int(&T, "SELECT count(*) FROM %s.beneficiary_history", S)
	            == 2,
	    "the entry's history row is wrong");
	/* append-only */
	const char *bad[][2] = { { "UPDATE", " SET actor = 'x'" },
		{ "DELETE FROM", "" }, { "TRUNCATE", "" } };
	for (size_t i = 0; i < 3; i++) {
		char sql[256];
		snprintf(sql, sizeof(sql), "%s %s.beneficiary_history%s",
		    bad[i][0], S, bad[i][1]);
		PGresult *r = PQexec(T.pg, sql);
		TH_CHECK(&T, PQresultStatus(r) == PGRES_FATAL_ERROR,
		    "the history allowed: %s", sql);
		PQclear(r);
	}
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.beneficiary_history WHERE actor ="
	        " 'to1'",
	        S)
	        == 2,
	    "the history changed");
	Sn__Assist__V1__BeneficiaryChanged *m = changed_event("app-reg-1", 0);
	TH_CHECK(&T,
	    m->cause == SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_DECISION
	        && strcmp(m->first_month, next_month()) == 0
	        && strcmp(m->from_month, next_month()) == 0 && m->members == 2
	        && strcmp(m->policy_version, "2026-01") == 0
	        && m->old_monthly_amount_fen == 0
	        && m->monthly_amount_fen == 66000
	        && strcmp(m->beneficiary_id, bid) == 0
	        && m->review_id[0] == '\0',
	    "beneficiary.changed lacks the register's fields");
	sn__assist__v1__beneficiary_changed__free_unpacked(m, NULL);
	/* GET /beneficiaries/{id}: the row and its history */
	char   *to = token("to5", "township_officer", TOWNSHIP, NULL);
	char   *ot = token("to6", "township_officer", OTHER_TOWNSHIP, NULL);
	char    path[128];
	json_t *j;
	snprintf(path, sizeof(path), "/beneficiaries/%s", bid);
	TH_CHECK(
	    &T, api("GET", path, to, NULL, NULL, &j) == 200, "GET %s", path);
	json_t *h = json_object_get(j, "history");
	TH_CHECK(&T,
	    strcmp(jstr(j, "status"), "ACTIVE") == 0
	        && strcmp(jstr(j, "next_review_date"), today_plus_months(6))
	            == 0
	        && strcmp(jstr(j, "policy_version"), "2026-01") == 0
	        && json_integer_value(json_object_get(j, "members")) == 2
	        && strcmp(jstr(j, "payee.bank_code"), "ICBC") == 0
	        && json_array_size(h) == 1
	        && strcmp(jstr(json_array_get(h, 0), "cause"), "decision") == 0
	        && json_integer_value(
	               json_object_get(json_array_get(h, 0), "new_amount_fen"))
	            == 66000,
	    "GET /beneficiaries/{id} is wrong");
	/* Issue 11: the head's id number and the account are stored sealed
	 * (the account nowhere in the row in clear; member_ids stays in clear,
	 * the README says so) and answered opened. */
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.beneficiaries b WHERE beneficiary_id "
	        "="
	        " '%s' AND head_id_number IS NULL AND account_number IS NULL"
	        " AND head_id_number_sealed LIKE 'sn1.%%'"
	        " AND account_number_sealed LIKE 'sn1.%%'"
	        " AND strpos(b::text, '6222020200112233445') = 0"
	        " AND strpos(b.head_id_number_sealed, '%s') = 0",
	        S, bid, jstr(j, "head_id_number"))
	        == 1,
	    "the register's row is not sealed");
	TH_CHECK(&T,
	    strcmp(jstr(j, "payee.account_number"), "6222020200112233445") == 0
	        && strlen(jstr(j, "head_id_number")) == 18
	        && sn_idnum_valid(jstr(j, "head_id_number")),
	    "GET /beneficiaries/{id} does not answer the values opened (%s)",
	    jstr(j, "head_id_number"));
	json_decref(j);
	TH_CHECK(&T,
	    api("GET", "/beneficiaries?township=" TOWNSHIP, to, NULL, NULL, &j)
	            == 200
	        && strcmp(jstr(json_array_get(json_object_get(j, "items"), 0),
	                      "payee.account_number"),
	               "6222020200112233445")
	            == 0,
	    "GET /beneficiaries does not answer the account opened");
	json_decref(j);
	TH_CHECK(&T, api("GET", path, ot, NULL, NULL, &j) == 404,
	    "a household outside the jurisdiction was shown");
	json_decref(j);
	TH_CHECK(&T,
	    api("GET", "/beneficiaries/no-such-id", to, NULL, NULL, &j) == 404
	        && strcmp(jstr(j, "error.code"), "not_found") == 0,
	    "an unknown household was not 404");
	json_decref(j);
	free(to);
	free(ot);
	free(bid);
	free(bid2);
	printf("entering the register: periods, review date, history, "
	       "event\n");
}

/* Adds n households to the register directly (the paging test needs
 * many, of every township, village, category, status and review date):
 * ids reg-<tag>-<i>. */
static void
add_rows(const char *tag, int n)
{
	char sql[2048];
	snprintf(sql, sizeof(sql),
	    "INSERT INTO %s.beneficiaries (beneficiary_id, application_id,"
	    " status, category, tier, monthly_amount_fen, bank_code,"
	    " account_number, account_name, from_month, approved_by,"
	    " district_code, township_code, village_code, head_id_number,"
	    " head_name, member_ids, members, next_review_date,"
	    " policy_version)"
	    " SELECT 'reg-%s-' || i, 'app-%s-' || i,"
	    " (ARRAY['ACTIVE','GRADUAL_EXIT','SUSPENDED','EXITED'])[i %% 4 + "
	    "1],"
	    " (ARRAY['dibao','tekun','low_income'])[i %% 3 + 1], 'core', 1000,"
	    " 'ICBC', '1', 'x', '2026-01', 'to1', '" DISTRICT "',"
	    " CASE WHEN i %% 2 = 0 THEN '" TOWNSHIP "' ELSE '" OTHER_TOWNSHIP
	    "' END,"
	    " CASE WHEN i %% 2 = 0 THEN '" VILLAGE "' ELSE '" OTHER_VILLAGE
	    "' END,"
	    " 'id' || i, 'h', '{}', 1, date '2026-01-01' + (i %% 400), "
	    "'2026-01'"
	    " FROM generate_series(1, %d) i",
	    S, tag, tag, n);
	PGresult *r = PQexec(T.pg, sql);
	TH_CHECK(&T, PQresultStatus(r) == PGRES_COMMAND_OK, "adding rows: %s",
	    PQerrorMessage(T.pg));
	PQclear(r);
}

/* Every item of a listing, following next_cursor; ids collected into
 * seen (a JSON object: id -> times seen). After each page, add_between
 * more rows are added (concurrent inserts). Returns the pages read. */
static int
read_all(const char *tok, const char *query, json_t *seen, int add_between)
{
	char    cursor[64] = "";
	int     pages      = 0;
	json_t *j;
	do {
		char path[512];
		snprintf(path, sizeof(path), "/beneficiaries?%s%s%s", query,
		    cursor[0] ? "&cursor=" : "", cursor);
		int st = api("GET", path, tok, NULL, NULL, &j);
		TH_CHECK(&T, st == 200, "GET %s: %d", path, st);
		json_t *items = json_object_get(j, "items");
		TH_CHECK(&T,
		    json_equal(items, json_object_get(j, "beneficiaries")),
		    "beneficiaries is not the page's items");
		for (size_t i = 0; i < json_array_size(items); i++) {
			const char *id
			    = jstr(json_array_get(items, i), "beneficiary_id");
			json_int_t n
			    = json_integer_value(json_object_get(seen, id));
			json_object_set_new(seen, id, json_integer(n + 1));
		}
		const char *next
		    = json_string_value(json_object_get(j, "next_cursor"));
		TH_CHECK(&T,
		    next != NULL
		        || json_is_null(json_object_get(j, "next_cursor")),
		    "next_cursor is neither a string nor null");
		TH_CHECK(&T,
		    json_equal(json_object_get(j, "next"),
		        json_object_get(j, "next_cursor")),
		    "next_cursor is not next (issue 10)");
		snprintf(cursor, sizeof(cursor), "%s", next ? next : "");
		json_decref(j);
		if (add_between > 0 && cursor[0] != '\0') {
			char tag[16];
			snprintf(tag, sizeof(tag), "p%d", pages);
			add_rows(tag, add_between);
		}
		pages++;
	} while (cursor[0] != '\0' && pages < 1000);
	return pages;
}

/* Each id in seen exactly once; returns how many. */
static size_t
once_each(json_t *seen)
{
	const char *id;
	json_t     *v;
	json_object_foreach(seen, id, v)
	{
		TH_CHECK(&T, json_integer_value(v) == 1, "%s seen %lld times",
		    id, (long long) json_integer_value(v));
	}
	return json_object_size(seen);
}

/* The number of items in a listing read through (limit 500). */
static int64_t
listed(const char *tok, const char *query)
{
	json_t *seen = json_object();
	read_all(tok, query, seen, 0);
	int64_t n = (int64_t) once_each(seen);
	json_decref(seen);
	return n;
}

/* GET /beneficiaries: the cursor gives every row exactly once across
 * pages while rows are being added; filters; jurisdiction; bad filters
 * 422 naming the parameter. */
static void
register_paging(void)
{
	start("60000");
	add_rows("a", 250);
	char   *dof   = token("do1", "district_officer", DISTRICT, NULL);
	char   *to    = token("to1", "township_officer", TOWNSHIP, NULL);
	json_t *seen  = json_object(), *j;
	int     pages = read_all(dof, "limit=7", seen, 3);
	int64_t total = th_int(&T, "SELECT count(*) FROM %s.beneficiaries", S);
	TH_CHECK(&T, total > 250, "no rows were added while paging");
	TH_CHECK(&T, (int64_t) once_each(seen) == total,
	    "paging gave %zu of %lld rows", json_object_size(seen),
	    (long long) total);
	TH_CHECK(&T, pages >= 250 / 7, "only %d pages", pages);
	for (int i = 1; i <= 250; i++) {
		char id[32];
		snprintf(id, sizeof(id), "reg-a-%d", i);
		TH_CHECK(&T, json_object_get(seen, id) != NULL,
		    "%s was not listed", id);
	}
	json_decref(seen);
	/* default limit 100, and the last page has no cursor */
	TH_CHECK(&T,
	    api("GET", "/beneficiaries", dof, NULL, NULL, &j) == 200
	        && json_array_size(json_object_get(j, "items")) == 100
	        && json_is_string(json_object_get(j, "next_cursor")),
	    "the default page is not 100 rows with a cursor");
	json_decref(j);
	/* filters, each against the table */
	const struct {
		const char *query, *where;
	} f[] = {
		{ "limit=500&township=" OTHER_TOWNSHIP,
		    "township_code = '" OTHER_TOWNSHIP "'" },
		{ "limit=500&village=" VILLAGE,
		    "village_code = '" VILLAGE "'" },
		{ "limit=500&category=tekun", "category = 'tekun'" },
		{ "limit=500&status=SUSPENDED", "status = 'SUSPENDED'" },
		{ "limit=500&status=gradual_exit", "status = 'GRADUAL_EXIT'" },
		{ "limit=500&review_due=2026-03-01",
		    "next_review_date <= '2026-03-01'" },
		{ "limit=500&township=" TOWNSHIP
		  "&category=dibao&status=ACTIVE&review_due=2026-12-31",
		    "township_code = '" TOWNSHIP "' AND category = 'dibao'"
		    " AND status = 'ACTIVE' AND next_review_date <="
		    " '2026-12-31'" },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		int64_t want = th_int(&T,
		    "SELECT count(*) FROM %s.beneficiaries WHERE %s", S,
		    f[i].where);
		int64_t got  = listed(dof, f[i].query);
		TH_CHECK(&T, want > 0 && got == want, "%s: %lld, wanted %lld",
		    f[i].query, (long long) got, (long long) want);
	}
	/* the township officer sees its township only */
	TH_CHECK(&T,
	    listed(to, "limit=500")
	        == th_int(&T,
	            "SELECT count(*) FROM %s.beneficiaries WHERE"
	            " township_code = '" TOWNSHIP "'",
	            S),
	    "the township officer's list is not its township's");
	TH_CHECK(&T, listed(to, "township=" OTHER_TOWNSHIP) == 0,
	    "the township officer sees another township");
	/* bad filters: 422 naming the parameter */
	const struct {
		const char *query, *field;
	} bad[] = {
		{ "limit=0", "limit" },
		{ "limit=1001", "limit" },
		{ "limit=ten", "limit" },
		{ "limit=-1", "limit" },
		{ "cursor=abc", "cursor" },
		{ "cursor=r00000000000000zz", "cursor" },
		/* issue 10: a next_cursor made before sn/page.h */
		{ "cursor=r0000000000000001", "cursor" },
		{ "status=gone", "status" },
		{ "category=rich", "category" },
		{ "review_due=2026-02-30", "review_due" },
		{ "township=12", "township" },
		{ "village=" TOWNSHIP, "village" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[256];
		snprintf(
		    path, sizeof(path), "/beneficiaries?%s", bad[i].query);
		int st = api("GET", path, dof, NULL, NULL, &j);
		TH_CHECK(&T,
		    st == 422
		        && strcmp(jstr(j, "error.code"), "invalid_query") == 0
		        && strcmp(jstr(j, "error.field"), bad[i].field) == 0,
		    "%s: %d %s (%s)", bad[i].query, st, jstr(j, "error.code"),
		    jstr(j, "error.field"));
		json_decref(j);
	}
	free(dof);
	free(to);
	printf("%d pages of 7 under concurrent inserts: every row once; "
	       "filters; 422s\n",
	    pages);
}

/* The counts a refused change must leave as they were (the outbox's
 * domain events: a refusal's own staff.acted record is not counted). */
static char *
register_state(void)
{
	return str("SELECT (SELECT string_agg(beneficiary_id || status, ','"
	           " ORDER BY seq) FROM %s.beneficiaries) || '/' ||"
	           " (SELECT count(*) FROM %s.beneficiary_history) || '/' ||"
	           " (SELECT count(*) FROM %s.outbox WHERE " TH_DOMAIN_EVENT
	           ")",
	    S, S, S);
}

/* One POST of a change; the status, error code into code (static). */
static int
act(const char *bid, const char *what, const char *tok, const char *body,
    const char **code)
{
	static char c[64];
	char        path[128];
	json_t     *j;
	snprintf(path, sizeof(path), "/beneficiaries/%s/%s", bid, what);
	int st = api("POST", path, tok, newkey(), body, &j);
	snprintf(c, sizeof(c), "%s", jstr(j, "error.code"));
	json_decref(j);
	*code = c;
	return st;
}

/* Suspension and resumption by a township officer: each a history row
 * and beneficiary.changed; every refusal changes nothing (a 403 is
 * recorded in refusals). */
static void
suspension(void)
{
	start("60000");
	char       *bid = enter_register("app-susp");
	struct app  a;
	const char *code;
	app_init(&a, "app-susp", "2026-01-01"); /* its member ids */
	char *to2   = token("to2", "township_officer", TOWNSHIP, NULL);
	char *clerk = token("clerk1", "township_officer", TOWNSHIP, NULL);
	char *memb  = token("to3", "township_officer", TOWNSHIP, a.ids[1]);
	char *other = token("to4", "township_officer", OTHER_TOWNSHIP, NULL);
	char *vr    = token("vr1", "village_reviewer", VILLAGE, NULL);
	const char *why    = "{\"reason\":\"not reachable for 3 months\"}";
	char       *before = register_state();
	const struct {
		const char *tok, *what, *body;
		int         status;
		const char *code;
	} refused[] = {
		{ clerk, "suspension", why, 403, "took_in_application" },
		{ memb, "suspension", why, 403, "household_member" },
		{ other, "suspension", why, 404, "not_found" },
		{ vr, "suspension", why, 403, "forbidden" },
		{ to2, "suspension", "{}", 422, "missing_field" },
		{ to2, "suspension", "{\"reason\":\"\"}", 422,
		    "missing_field" },
		{ to2, "suspension", "{\"reason\":\"x\",\"amount_fen\":0}",
		    422, "unknown_field" },
		{ to2, "resumption", why, 409, "not_suspended" },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int st = act(bid, refused[i].what, refused[i].tok,
		    refused[i].body, &code);
		TH_CHECK(&T,
		    st == refused[i].status
		        && strcmp(code, refused[i].code) == 0,
		    "%s %s: %d %s, wanted %d %s", refused[i].what,
		    refused[i].body, st, code, refused[i].status,
		    refused[i].code);
		char *now = register_state();
		TH_CHECK(&T, strcmp(now, before) == 0,
		    "a refused %s changed the register", refused[i].what);
		free(now);
	}
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.refusals WHERE step = 'suspension'"
	        " AND code IN ('took_in_application', 'household_member')",
	        S)
	        == 2,
	    "the segregation refusals were not recorded");
	TH_CHECK(&T, act(bid, "suspension", to2, why, &code) == 200,
	    "suspension failed: %s", code);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.beneficiaries b JOIN"
	        " %s.beneficiary_history h USING (beneficiary_id) WHERE"
	        " b.status = 'SUSPENDED' AND h.cause = 'suspension' AND"
	        " h.old_status = 'ACTIVE' AND h.new_status = 'SUSPENDED' AND"
	        " h.old_amount_fen = 66000 AND h.new_amount_fen = 0 AND"
	        " h.first_month = '%s' AND h.actor = 'to2' AND h.reason ="
	        " 'not reachable for 3 months'",
	        S, S, next_month())
	        == 1,
	    "the suspension's row or history is wrong");
	Sn__Assist__V1__BeneficiaryChanged *m = changed_event("app-susp", 1);
	TH_CHECK(&T,
	    m->status
	            == SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_SUSPENDED
	        && m->cause
	            == SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_SUSPENSION
	        && m->monthly_amount_fen == 0
	        && m->old_monthly_amount_fen == 66000
	        && strcmp(m->first_month, next_month()) == 0
	        && strcmp(m->from_month, next_month()) == 0
	        && m->category == SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO
	        && m->payee != NULL
	        && strcmp(m->payee->account_number, "6222020200112233445") == 0
	        && m->household != NULL
	        && strcmp(m->household->village_code, VILLAGE) == 0
	        && m->household->registration
	            == SN__ASSIST__V1__REGISTRATION__REGISTRATION_URBAN
	        && strcmp(m->household->address, "1 Test Lane") == 0
	        && m->n_member_id_numbers == 2 && m->members == 2
	        && strcmp(m->beneficiary_id, bid) == 0,
	    "the suspension's beneficiary.changed is wrong");
	sn__assist__v1__beneficiary_changed__free_unpacked(m, NULL);
	free(before);
	before = register_state();
	TH_CHECK(&T,
	    act(bid, "suspension", to2, why, &code) == 409
	        && strcmp(code, "already_suspended") == 0,
	    "a second suspension was not refused: %s", code);
	TH_CHECK(&T,
	    act(bid, "resumption", clerk, why, &code) == 403
	        && strcmp(code, "took_in_application") == 0,
	    "the clerk could resume: %s", code);
	char *now = register_state();
	TH_CHECK(&T, strcmp(now, before) == 0, "a refusal changed it");
	free(now);
	/* the resumption, and its repeat with the same key: replayed */
	char rpath[128], rkey[32], *body1 = NULL, *body2 = NULL;
	snprintf(rpath, sizeof(rpath), "/beneficiaries/%s/resumption", bid);
	snprintf(rkey, sizeof(rkey), "%s", newkey());
	TH_CHECK(&T,
	    th_http(&T, PORT, "POST", rpath, to2, rkey, why, &body1) == 200,
	    "resumption failed: %s", body1 ? body1 : "");
	free(before);
	before = register_state();
	TH_CHECK(&T,
	    th_http(&T, PORT, "POST", rpath, to2, rkey, why, &body2) == 200
	        && strcmp(body1, body2) == 0,
	    "the repeated resumption was not replayed");
	now = register_state();
	TH_CHECK(
	    &T, strcmp(now, before) == 0, "a replay changed the register");
	free(now);
	free(body1);
	free(body2);
	m = changed_event("app-susp", 2);
	TH_CHECK(&T,
	    m->status == SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE
	        && m->cause
	            == SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_REVIEW
	        && m->monthly_amount_fen == 66000
	        && m->old_monthly_amount_fen == 0
	        && strcmp(m->first_month, next_month()) == 0,
	    "the resumption's beneficiary.changed is wrong");
	sn__assist__v1__beneficiary_changed__free_unpacked(m, NULL);
	/* the history through the API, newest last */
	char    path[128];
	json_t *j;
	snprintf(path, sizeof(path), "/beneficiaries/%s", bid);
	TH_CHECK(&T, api("GET", path, to2, NULL, NULL, &j) == 200, "GET");
	json_t *h = json_object_get(j, "history");
	TH_CHECK(&T,
	    strcmp(jstr(j, "status"), "ACTIVE") == 0 && json_array_size(h) == 3
	        && strcmp(jstr(json_array_get(h, 0), "cause"), "decision") == 0
	        && strcmp(jstr(json_array_get(h, 1), "cause"), "suspension")
	            == 0
	        && strcmp(jstr(json_array_get(h, 2), "cause"), "review") == 0
	        && strcmp(jstr(json_array_get(h, 2), "new_status"), "ACTIVE")
	            == 0,
	    "the history is not decision, suspension, review");
	json_decref(j);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.outbox WHERE topic ="
	        " 'beneficiary.changed'",
	        S)
	        == 3,
	    "not one beneficiary.changed per change");
	free(before);
	free(bid);
	free(to2);
	free(clerk);
	free(memb);
	free(other);
	free(vr);
	printf("suspended and resumed: history, events; refusals changed "
	       "nothing\n");
}

/* Migration 002 over a register written under 001 alone: approval first
 * runs with a schema folder holding only 001_init.sql, two households
 * are put in its register (one with its case, one without), then
 * approval restarts with every migration. The rows gain seq, members,
 * policy_version and a review date (6 months after entry for dibao, 12
 * for tekun), an open until_month becomes NULL, and each has one history
 * row with cause decision. */
static void
register_backfill(void)
{
	char dir[] = "/tmp/sn-approval-001-XXXXXX";
	TH_CHECK(&T, mkdtemp(dir) != NULL, "mkdtemp");
	char link[128], env1[160];
	snprintf(link, sizeof(link), "%s/001_init.sql", dir);
	TH_CHECK(&T, symlink(APPROVAL_SCHEMA_DIR "/001_init.sql", link) == 0,
	    "symlink %s", link);
	snprintf(env1, sizeof(env1), "SN_SCHEMA_DIR=%s", dir);
	const char *const only001[] = { env1, NULL };
	start_env("60000", only001);
	char sql[2048];
	snprintf(sql, sizeof(sql),
	    "INSERT INTO %s.cases (case_id, stage, accepted_date,"
	    " deadline_date, district_code, township_code, village_code,"
	    " policy_version) VALUES ('app-old-1', 'FILED', '2026-01-05',"
	    " '2026-01-20', '" DISTRICT "', '" TOWNSHIP "', '" VILLAGE "',"
	    " '2026-01');"
	    " INSERT INTO %s.beneficiaries (beneficiary_id, application_id,"
	    " status, category, tier, monthly_amount_fen, bank_code,"
	    " account_number, account_name, from_month, approved_by,"
	    " district_code, township_code, village_code, head_id_number,"
	    " head_name, member_ids, created_at) VALUES"
	    " ('b-old-1', 'app-old-1', 'ACTIVE', 'dibao', 'core', 66000, "
	    "'ICBC',"
	    " '1', 'x', '2026-02', 'to1', '" DISTRICT "', '" TOWNSHIP "',"
	    " '" VILLAGE "', 'id1', 'h', '{a,b,c}', '2026-01-10 12:00+08'),"
	    " ('b-old-2', 'app-old-2', 'ACTIVE', 'tekun', 'core', 284000,"
	    " 'ICBC', '2', 'y', '2026-03', 'to2', '" DISTRICT "',"
	    " '" TOWNSHIP "', '" VILLAGE "', 'id2', 'h', '{d}',"
	    " '2026-02-15 12:00+08')",
	    S, S);
	PGresult *r = PQexec(T.pg, sql);
	TH_CHECK(&T, PQresultStatus(r) == PGRES_COMMAND_OK, "the 001 rows: %s",
	    PQerrorMessage(T.pg));
	PQclear(r);
	th_stop(&T, APPROVAL);
	static char port[32];
	snprintf(port, sizeof(port), "SN_HTTP_PORT=%d", PORT);
	const char *env[]  = { port, "SN_BUS_HEARTBEAT_MS=200", NULL };
	const char *argv[] = { APPROVAL_BIN, NULL };
	APPROVAL           = th_spawn(&T, "approval", APPROVAL_BIN, argv, env);
	TH_CHECK(&T, th_wait_ready(&T, PORT, WAIT_MS),
	    "approval is not ready after the restart");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.beneficiaries WHERE beneficiary_id ="
	        " 'b-old-1' AND members = 3 AND policy_version = '2026-01'"
	        " AND next_review_date = (created_at::date"
	        " + interval '6 months')::date AND until_month IS NULL",
	        S) == 1
	        && th_int(&T,
	               "SELECT count(*) FROM %s.beneficiaries WHERE"
	               " beneficiary_id = 'b-old-2' AND members = 1 AND"
	               " policy_version = '' AND next_review_date ="
	               " (created_at::date + interval '12 months')::date",
	               S)
	            == 1
	        && th_int(&T,
	               "SELECT count(DISTINCT seq) FROM %s.beneficiaries", S)
	            == 2,
	    "the 001 rows were not carried over");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.beneficiary_history h JOIN"
	        " %s.beneficiaries b USING (beneficiary_id) WHERE"
	        " h.cause = 'decision' AND h.old_status IS NULL AND"
	        " h.new_status = 'ACTIVE' AND h.old_amount_fen = 0 AND"
	        " h.new_amount_fen = b.monthly_amount_fen AND"
	        " h.first_month = b.from_month AND h.actor = b.approved_by"
	        " AND h.at = b.created_at",
	        S,
	        S) == 2
	        && th_int(&T, "SELECT count(*) FROM %s.beneficiary_history", S)
	            == 2,
	    "the history was not backfilled with cause decision");
	char   *t = token("to1", "township_officer", TOWNSHIP, NULL);
	json_t *j;
	TH_CHECK(&T,
	    api("GET", "/beneficiaries/b-old-1", t, NULL, NULL, &j) == 200
	        && strcmp(jstr(j, "until_month"), "") == 0
	        && json_array_size(json_object_get(j, "history")) == 1,
	    "GET /beneficiaries/{id} of a carried-over row");
	/* Issue 11: the rows written in clear were sealed at the start
	 * (clear values NULL) and are answered opened. */
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.beneficiaries WHERE"
	        " head_id_number IS NULL AND account_number IS NULL"
	        " AND head_id_number_sealed LIKE 'sn1.%%'"
	        " AND account_number_sealed LIKE 'sn1.%%'",
	        S)
	        == 2,
	    "the rows written in clear were not sealed at the start");
	TH_CHECK(&T,
	    strcmp(jstr(j, "head_id_number"), "id1") == 0
	        && strcmp(jstr(j, "payee.account_number"), "1") == 0,
	    "a sealed carried-over row is not answered opened: %s %s",
	    jstr(j, "head_id_number"), jstr(j, "payee.account_number"));
	json_decref(j);
	free(t);
	unlink(link);
	rmdir(dir);
	printf("002 over a 001 register: columns and history backfilled\n");
}

/* Issue 9: a new version states both standards and answers its ratio per
 * mille; one whose ratio rises above the version before is refused (409
 * ratio_rises) unless forced with a reason (422 reason_required without
 * one); forced with a reason it is stored. */
static void
policy_ratio(void)
{
	start("60000");
	char   *admin = token("admin1", "district_admin", DISTRICT, NULL);
	char   *day   = today_plus(10);
	char    body[1024];
	json_t *j;
	/* 90000 / 70000: 1286 per mille, below the seeded 1317 */
	snprintf(body, sizeof(body), POLICY_FMT, "v-fall", day, "");
	TH_CHECK(&T,
	    api("POST", "/policy", admin, newkey(), body, &j) == 201
	        && json_integer_value(json_object_get(j, "ratio_permille"))
	            == 1286,
	    "a falling ratio was not accepted with its ratio");
	json_decref(j);
	free(day);
	day = today_plus(20);
	char rise[1024];
	snprintf(body, sizeof(body), POLICY_FMT, "v-rise", day, "");
	/* urban 90000 -> 99000 against rural 70000: 1414 */
	const char *at = strstr(body, "90000");
	snprintf(rise, sizeof(rise), "%.*s99000%s", (int) (at - body), body,
	    at + 5);
	int st = api("POST", "/policy", admin, newkey(), rise, &j);
	TH_CHECK(&T,
	    st == 409 && strcmp(jstr(j, "error.code"), "ratio_rises") == 0,
	    "a rising ratio was not refused: %d", st);
	json_decref(j);
	snprintf(body, sizeof(body), "%.*s,\"force\":true}",
	    (int) (strlen(rise) - 1), rise);
	st = api("POST", "/policy", admin, newkey(), body, &j);
	TH_CHECK(&T,
	    st == 422 && strcmp(jstr(j, "error.code"), "reason_required") == 0
	        && strcmp(jstr(j, "error.field"), "force_reason") == 0,
	    "forcing without a reason was not refused: %d", st);
	json_decref(j);
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.policy_version", S) == 2,
	    "a refused version was stored");
	snprintf(body, sizeof(body),
	    "%.*s,\"force\":true,\"force_reason\":\"rural costs fell\"}",
	    (int) (strlen(rise) - 1), rise);
	st = api("POST", "/policy", admin, newkey(), body, &j);
	TH_CHECK(&T,
	    st == 201
	        && json_integer_value(json_object_get(j, "ratio_permille"))
	            == 1414,
	    "a forced rise with a reason was not accepted: %d", st);
	json_decref(j);
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.policy_version", S) == 3,
	    "the forced version was not stored");
	free(day);
	free(admin);
	printf("POST /policy: ratio answered, a rise refused unless forced\n");
}

/* Issue 9, re-rating: a version with new standards effective next month
 * re-rates every ACTIVE household once that month arrives on the
 * district's clock: one history row (cause rerating) and one
 * beneficiary.changed (RERATING, first month the version's, old and new
 * amount) each, once (not again on later ticks or after a restart). */
static void
rerating(void)
{
	start("100");
	char   *bid1  = enter_register("app-rr-1");
	char   *bid2  = enter_register("app-rr-2");
	char   *admin = token("admin1", "district_admin", DISTRICT, NULL);
	sn_date first
	    = sn_date_month_start(sn_date_add_months(sn_clock_today(), 1));
	char from[SN_DATE_STRLEN], month[SN_MONTH_STRLEN], body[1024];
	sn_date_format(first, from);
	sn_month_format(sn_date_month(first), month);
	/* urban 83000 -> 90000: C = 47500, (90000 - 47500) x 2 = 85000 */
	snprintf(body, sizeof(body), POLICY_FMT, "v-rr", from, "");
	TH_CHECK(&T,
	    api("POST", "/policy", admin, newkey(), body, NULL) == 201,
	    "adding next month's version failed");
	th_sleep_ms(500);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.beneficiary_history WHERE cause ="
	        " 'rerating'",
	        S)
	        == 0,
	    "the register was re-rated before the version's month");
	int64_t days = sn_date_diff_days(sn_clock_today(), first) + 1;
	restart_shifted(days);
	static const char want[]
	    = "SELECT count(*) FROM %s.beneficiary_history WHERE cause ="
	      " 'rerating' AND old_status = 'ACTIVE' AND new_status ="
	      " 'ACTIVE' AND old_amount_fen = 66000 AND new_amount_fen = 85000"
	      " AND first_month = '%s' AND actor = 'system'";
	wait_count(2, "two households re-rated", want, S, month);
	th_sleep_ms(500);
	restart_shifted(days);
	th_sleep_ms(500);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.beneficiary_history WHERE cause ="
	        " 'rerating'",
	        S) == 2
	        && th_int(&T,
	               "SELECT count(*) FROM %s.outbox WHERE topic ="
	               " 'beneficiary.changed'",
	               S)
	            == 4
	        && th_int(&T,
	               "SELECT count(*) FROM %s.policy_rerating WHERE"
	               " version = 'v-rr' AND first_month = '%s'",
	               S, month)
	            == 1,
	    "a household was re-rated more than once");
	const char *apps[] = { "app-rr-1", "app-rr-2" };
	for (int i = 0; i < 2; i++) {
		Sn__Assist__V1__BeneficiaryChanged *m
		    = changed_event(apps[i], 1);
		TH_CHECK(&T,
		    m->cause
		            == SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_RERATING
		        && m->status
		            == SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE
		        && m->old_monthly_amount_fen == 66000
		        && m->monthly_amount_fen == 85000
		        && strcmp(m->first_month, month) == 0
		        && strcmp(m->policy_version, "v-rr") == 0,
		    "the RERATING beneficiary.changed of %s is wrong",
		    apps[i]);
		sn__assist__v1__beneficiary_changed__free_unpacked(m, NULL);
	}
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.beneficiaries WHERE beneficiary_id IN"
	        " ('%s', '%s') AND monthly_amount_fen = 85000 AND"
	        " policy_version = 'v-rr'",
	        S, bid1, bid2)
	        == 2,
	    "the register's rows were not re-rated");
	free(bid1);
	free(bid2);
	free(admin);
	printf("re-rating: two households, once each, from the version's "
	       "month\n");
}

/* Issue 9, price linkage: a month's indices (district_admin) decide that
 * month's subsidy once and publish price_subsidy.decided; CPI 36 per
 * mille applies (per person, dibao tekun low_income), 34 the next month
 * does not; a different second set for a month is refused; standards
 * proposals keep the current ratio and change nothing. */
static void
price_linkage(void)
{
	start("60000");
	char   *admin = token("admin1", "district_admin", DISTRICT, NULL);
	char   *other = token("to1", "township_officer", TOWNSHIP, NULL);
	char    m1[SN_MONTH_STRLEN], m2[SN_MONTH_STRLEN], body[256];
	json_t *j;
	sn_month_format(sn_month_add(sn_clock_month(), 1), m1);
	sn_month_format(sn_month_add(sn_clock_month(), 2), m2);
	snprintf(body, sizeof(body),
	    "{\"month\":\"%s\",\"cpi_permille\":36,\"food_cpi_permille\":10}",
	    m1);
	TH_CHECK(&T,
	    api("POST", "/price-indices", other, newkey(), body, NULL) == 403,
	    "a township officer could record price indices");
	int     st = api("POST", "/price-indices", admin, newkey(), body, &j);
	json_t *cats = json_object_get(j, "categories");
	TH_CHECK(&T,
	    st == 201 && json_is_true(json_object_get(j, "applies"))
	        && json_integer_value(json_object_get(j, "per_person_fen"))
	            == 5000
	        && json_array_size(cats) == 3
	        && strcmp(json_string_value(json_array_get(cats, 1)), "dibao")
	            == 0,
	    "CPI 36 per mille did not apply: %d", st);
	json_decref(j);
	size_t   n;
	uint8_t *b = outbox_event("price_subsidy.decided", m1, 0, &n);
	Sn__Assist__V1__PriceSubsidyDecided *d
	    = sn__assist__v1__price_subsidy_decided__unpack(NULL, n, b);
	free(b);
	TH_CHECK(&T,
	    d != NULL && d->applies && d->per_person_fen == 5000
	        && d->cpi_permille == 36 && strcmp(d->month, m1) == 0
	        && d->n_categories == 3
	        && strcmp(d->policy_version, "2026-01") == 0
	        && strcmp(d->decided_by, "admin1") == 0,
	    "price_subsidy.decided is wrong");
	sn__assist__v1__price_subsidy_decided__free_unpacked(d, NULL);
	TH_CHECK(&T,
	    api("POST", "/price-indices", admin, newkey(), body, NULL) == 200,
	    "the same indices again were not answered as recorded");
	snprintf(body, sizeof(body),
	    "{\"month\":\"%s\",\"cpi_permille\":40,\"food_cpi_permille\":10}",
	    m1);
	st = api("POST", "/price-indices", admin, newkey(), body, &j);
	TH_CHECK(&T,
	    st == 409 && strcmp(jstr(j, "error.code"), "month_decided") == 0,
	    "a second, different set for the month was not refused: %d", st);
	json_decref(j);
	snprintf(body, sizeof(body),
	    "{\"month\":\"%s\",\"cpi_permille\":34,\"food_cpi_permille\":10}",
	    m2);
	st = api("POST", "/price-indices", admin, newkey(), body, &j);
	TH_CHECK(&T,
	    st == 201 && json_is_false(json_object_get(j, "applies"))
	        && json_integer_value(json_object_get(j, "per_person_fen"))
	            == 0,
	    "CPI 34 per mille applied: %d", st);
	json_decref(j);
	b = outbox_event("price_subsidy.decided", m2, 0, &n);
	d = sn__assist__v1__price_subsidy_decided__unpack(NULL, n, b);
	free(b);
	TH_CHECK(&T, d != NULL && !d->applies && d->per_person_fen == 0,
	    "the next month's price_subsidy.decided is wrong");
	sn__assist__v1__price_subsidy_decided__free_unpacked(d, NULL);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.outbox WHERE topic ="
	        " 'price_subsidy.decided'",
	        S)
	        == 2,
	    "not one price_subsidy.decided per month");
	TH_CHECK(&T,
	    api("GET", "/price-indices", other, NULL, NULL, &j) == 200
	        && json_array_size(json_object_get(j, "months")) == 2,
	    "GET /price-indices");
	json_decref(j);
	/* 200000 x 400 / 1000 = 80000; rural 80000 x 63000 / 83000 =
	 * 60722.9, up to 60723, up to whole yuan 60800; 1316 per mille */
	st = api("POST", "/standards/proposal", admin, NULL,
	    "{\"consumption_fen\":200000,\"share_permille\":400}", &j);
	TH_CHECK(&T,
	    st == 200
	        && json_integer_value(json_object_get(j, "urban_min_fen"))
	            == 80000
	        && json_integer_value(json_object_get(j, "rural_min_fen"))
	            == 60800
	        && json_integer_value(json_object_get(j, "ratio_permille"))
	            == 1316
	        && strcmp(jstr(j, "based_on"), "2026-01") == 0,
	    "the standards proposal is wrong: %d", st);
	json_decref(j);
	st = api("POST", "/standards/proposal", admin, NULL,
	    "{\"consumption_fen\":200000,\"share_permille\":0}", &j);
	TH_CHECK(&T,
	    st == 422 && strcmp(jstr(j, "error.code"), "out_of_range") == 0,
	    "a share of 0 was not refused: %d", st);
	json_decref(j);
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.policy_version", S) == 1,
	    "a proposal changed the versions");
	free(admin);
	free(other);
	printf("price linkage: 36 applies, 34 does not; proposal\n");
}

/* ---- issue 9: reviews ---------------------------------------------------
 */

/* Issue 9, the periodic review: nothing before the household's review
 * date; on it, exactly one review (open, periodic, the 15-day deadline)
 * and one review.requested, not again on later ticks or a restart. */
static void
reviews_due(void)
{
	start("100");
	char *bid = enter_register("app-rv-1");
	char *on  = th_text(&T,
	     "SELECT next_review_date::text FROM %s.beneficiaries WHERE"
	      " beneficiary_id = '%s'",
	     S, bid);
	th_sleep_ms(500);
	TH_CHECK(&T, reviews_published("app-rv-1") == 0,
	    "a review opened before the review date");
	sn_date day;
	TH_CHECK(&T, sn_date_parse(on, &day) == SN_OK, "review date %s", on);
	restart_shifted(sn_date_diff_days(sn_clock_today(), day));
	wait_count(1, "the periodic review",
	    "SELECT count(*) FROM %s.outbox WHERE topic = 'review.requested'"
	    " AND subject = 'app-rv-1'",
	    S);
	th_sleep_ms(500);
	restart_shifted(sn_date_diff_days(sn_clock_today(), day) + 3);
	th_sleep_ms(500);
	TH_CHECK(&T,
	    reviews_published("app-rv-1") == 1
	        && th_int(&T, "SELECT count(*) FROM %s.reviews", S) == 1,
	    "the periodic review opened more than once");
	char due[SN_DATE_STRLEN];
	sn_date_format(sn_clock_deadline(day, 15), due);
	Sn__Assist__V1__ReviewRequested *m = review_event("app-rv-1", 0);
	check_review_household(m, "app-rv-1", bid);
	TH_CHECK(&T,
	    m->kind == SN__ASSIST__V1__REVIEW_KIND__REVIEW_KIND_PERIODIC
	        && strcmp(m->opened_on, on) == 0
	        && strcmp(m->deadline_date, due) == 0
	        && th_int(&T,
	               "SELECT count(*) FROM %s.reviews WHERE review_id ="
	               " '%s' AND beneficiary_id = '%s' AND kind = 'periodic'"
	               " AND status = 'open' AND opened_on = '%s' AND"
	               " deadline_date = '%s' AND change_id IS NULL",
	               S, m->review_id, bid, on, due)
	            == 1,
	    "the periodic review's fields are wrong (opened %s due %s)",
	    m->opened_on, m->deadline_date);
	sn__assist__v1__review_requested__free_unpacked(m, NULL);
	free(on);
	free(bid);
	printf("reviews_due: one periodic review on the review date\n");
}

/* Issue 9, a reported change: household.change_reported opens a
 * change_report review with the declared figures; a second change while
 * it is open is recorded on it and publishes nothing; GET /reviews. */
static void
review_on_change(void)
{
	start("100");
	char *bid = enter_register("app-rc-1");
	send_change("app-rc-1", bid, "chg-1", 250000, 7000);
	wait_count(1, "the change's review",
	    "SELECT count(*) FROM %s.outbox WHERE topic = 'review.requested'"
	    " AND subject = 'app-rc-1'",
	    S);
	Sn__Assist__V1__ReviewRequested *m = review_event("app-rc-1", 0);
	check_review_household(m, "app-rc-1", bid);
	char today[SN_DATE_STRLEN];
	sn_date_format(sn_clock_today(), today);
	TH_CHECK(&T,
	    m->kind == SN__ASSIST__V1__REVIEW_KIND__REVIEW_KIND_CHANGE_REPORT
	        && strcmp(m->opened_on, today) == 0
	        && m->declared_income != NULL
	        && m->declared_income->wages_fen == 250000
	        && m->declared_expenditure != NULL
	        && m->declared_expenditure->medical_fen == 7000
	        && th_int(&T,
	               "SELECT count(*) FROM %s.reviews WHERE review_id ="
	               " '%s' AND kind = 'change_report' AND status = 'open'"
	               " AND change_id = 'chg-1'",
	               S, m->review_id)
	            == 1,
	    "the change_report review's fields are wrong");
	send_change("app-rc-1", bid, "chg-2", 0, 0);
	wait_count(2, "both changes recorded on the open review",
	    "SELECT count(*) FROM %s.review_changes WHERE review_id = '%s'", S,
	    m->review_id);
	/* the same change again (a replay under a new event), and a change
	 * of a household not in the register: nothing */
	send_change("app-rc-1", bid, "chg-1", 1, 1);
	send_change("app-rc-x", "no-such-household", "chg-x", 1, 1);
	th_sleep_ms(500);
	TH_CHECK(&T,
	    reviews_published("app-rc-1") == 1
	        && reviews_published("app-rc-x") == 0
	        && th_int(&T, "SELECT count(*) FROM %s.reviews", S) == 1
	        && th_int(&T, "SELECT count(*) FROM %s.review_changes", S)
	            == 2,
	    "a second change while a review is open opened another");
	char   *to    = token("to1", "township_officer", TOWNSHIP, NULL);
	char   *other = token("to9", "township_officer", "110101099", NULL);
	json_t *j     = NULL;
	TH_CHECK(&T, reviews_listed(to, "?status=open", &j) == 1,
	    "GET /reviews?status=open does not list the review");
	json_t *r = json_array_get(json_object_get(j, "reviews"), 0);
	TH_CHECK(&T,
	    strcmp(
	        json_string_value(json_object_get(r, "kind")), "change_report")
	            == 0
	        && json_array_size(json_object_get(r, "changes")) == 2,
	    "the listed review lacks its kind or changes");
	json_decref(j);
	TH_CHECK(&T,
	    reviews_listed(to, "?status=closed", NULL) == 0
	        && reviews_listed(other, "", NULL) == 0
	        && reviews_listed(to, "?status=shut", NULL) == -422
	        && reviews_listed(to, "?township=12", NULL) == -422,
	    "GET /reviews filters, jurisdiction or validation are wrong");
	sn__assist__v1__review_requested__free_unpacked(m, NULL);
	free(to);
	free(other);
	free(bid);
	printf("review_on_change: one change_report review, the second "
	       "change recorded on it\n");
}

int
main(int argc, char **argv)
{
	static const th_scenario scenarios[] = {
		{ "shuffled", shuffled },
		{ "held", held },
		{ "steps", steps },
		{ "duties", duties },
		{ "overdue", overdue },
		{ "policy", policy },
		{ "policy_unknown", policy_unknown },
		{ "policy_ratio", policy_ratio },
		{ "rerating", rerating },
		{ "price_linkage", price_linkage },
		{ "validation", validation },
		{ "clock", clock_shift },
		{ "register", register_entry },
		{ "register_paging", register_paging },
		{ "suspension", suspension },
		{ "register_backfill", register_backfill },
		{ "reviews_due", reviews_due },
		{ "review_on_change", review_on_change },
	};
	return th_main(&T, argc, argv, scenarios,
	    sizeof(scenarios) / sizeof(scenarios[0]), close_auth);
}
