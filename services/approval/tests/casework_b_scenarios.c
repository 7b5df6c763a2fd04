/*
 * casework_b_scenarios.c - issue 10 (approval-B) against the real
 * approval binary and PostgreSQL: a verification's discrepancies reach
 * the deciding officer (item 1), overrides are controlled (item 7), and
 * every list is paged (item 9).
 *
 * Usage: approval_casework_b_scenarios <scenario>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "acted.h"
#include "kit.h"

/* verification.completed of a: G per member g (D 25 yuan), with n
 * discrepancies (wages declared 1000 yuan, reported more, by
 * human_resources; then pensions by social_security). */
static void
send_verification_g(const struct app *a, int64_t g, int n, int attempt)
{
	Sn__Assist__V1__HouseholdFacts f
	    = SN__ASSIST__V1__HOUSEHOLD_FACTS__INIT;
	f.members                          = 2;
	f.gross_income_fen                 = g * 2;
	f.income_per_member_fen            = g;
	f.rigid_expenditure_per_member_fen = 2500;
	f.net_per_member_fen               = g - 2500;
	f.financial_assets_fen             = 200000;
	f.financial_assets_per_member_fen  = 100000;
	f.homes                            = 1;
	f.all_registered                   = true;
	Sn__Assist__V1__Discrepancy d0     = SN__ASSIST__V1__DISCREPANCY__INIT,
	                            d1     = SN__ASSIST__V1__DISCREPANCY__INIT;
	d0.field                           = "wages_fen";
	d0.declared_fen                    = 100000;
	d0.reported_fen                    = 180000;
	d0.agency                          = "human_resources";
	d1.field                           = "pensions_fen";
	d1.declared_fen                    = 0;
	d1.reported_fen                    = 20000;
	d1.agency                          = "social_security";
	Sn__Assist__V1__Discrepancy          *ds[] = { &d0, &d1 };
	Sn__Assist__V1__VerificationCompleted v
	    = SN__ASSIST__V1__VERIFICATION_COMPLETED__INIT;
	v.application_id = (char *) a->id;
	v.attempt        = attempt;
	v.status = SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_COMPLETE;
	v.facts  = &f;
	v.n_discrepancies = (size_t) n;
	v.discrepancies   = ds;
	publish(1, "verification.completed", a->id, &v.base);
}

/* Brings case id to TOWNSHIP_CONFIRM with G per member g and n
 * discrepancies. */
static void
to_township(struct app *a, const char *id, int64_t g, int n)
{
	char *today = today_plus(0);
	app_init(a, id, today);
	free(today);
	send_submitted(a);
	send_verification_g(a, g, n, 1);
	send_investigation(a);
	wait_stage(a->id, "VILLAGE_REVIEW");
	char *vr = token("vr1", "village_reviewer", VILLAGE, NULL);
	char  path[128];
	snprintf(path, sizeof(path), "/cases/%s/village-review", id);
	TH_CHECK(&T,
	    api("POST", path, vr, newkey(), "{\"decision\":\"pass\"}", NULL)
	        == 200,
	    "village review of %s", id);
	free(vr);
}

/* POST path as tok with body; the status, *code the error code (static,
 * "" when none). */
static int
post(const char *path, const char *tok, const char *body, json_t **out)
{
	json_t *j  = NULL;
	int     st = api("POST", path, tok, newkey(), body, &j);
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
	return st;
}

static int
post_code(
    const char *path, const char *tok, const char *body, const char *code)
{
	json_t *j;
	int     st = post(path, tok, body, &j);
	bool    ok = strcmp(jstr(j, "error.code"), code) == 0;
	json_decref(j);
	return ok ? st : -st;
}

static int64_t
outbox_count(const char *topic, const char *subject)
{
	return th_int(&T,
	    "SELECT count(*) FROM %s.outbox WHERE topic = '%s'"
	    " AND subject = '%s'",
	    S, topic, subject);
}

/* ---- item 1: discrepancies --------------------------------------------- */

/* The discrepancies of a verification are on the case and counted in
 * the list; the township must say it saw them (422
 * discrepancies_not_seen, nothing changed), and that is on record; a
 * case without any accepts the member and needs none. */
static void
discrepancies(void)
{
	start("60000");
	struct app a, b;
	to_township(&a, "app-disc", 50000, 2);
	to_township(&b, "app-nodisc", 50000, 0);
	char   *to = token("to1", "township_officer", TOWNSHIP, NULL);
	json_t *j;
	TH_CHECK(&T, api("GET", "/cases/app-disc", to, NULL, NULL, &j) == 200,
	    "GET /cases/app-disc");
	json_t *d  = json_object_get(j, "discrepancies");
	json_t *d0 = json_array_get(d, 0);
	TH_CHECK(&T,
	    json_array_size(d) == 2
	        && strcmp(jstr(d0, "field"), "wages_fen") == 0
	        && json_integer_value(json_object_get(d0, "declared_fen"))
	            == 100000
	        && json_integer_value(json_object_get(d0, "reported_fen"))
	            == 180000
	        && strcmp(jstr(d0, "agency"), "human_resources") == 0
	        && strcmp(
	               jstr(json_array_get(d, 1), "agency"), "social_security")
	            == 0,
	    "the case does not show its two discrepancies");
	json_decref(j);
	TH_CHECK(&T,
	    api("GET", "/cases?stage=TOWNSHIP_CONFIRM", to, NULL, NULL, &j)
	        == 200,
	    "GET /cases");
	json_t *it;
	size_t  i;
	int     seen = 0;
	json_array_foreach(json_object_get(j, "items"), i, it)
	{
		json_int_t n = json_integer_value(
		    json_object_get(it, "discrepancy_count"));
		if (strcmp(jstr(it, "case_id"), "app-disc") == 0 && n == 2)
			seen++;
		if (strcmp(jstr(it, "case_id"), "app-nodisc") == 0 && n == 0
		    && json_is_integer(
		        json_object_get(it, "discrepancy_count")))
			seen++;
	}
	TH_CHECK(&T, seen == 2, "the list does not count discrepancies");
	json_decref(j);

	int64_t events = th_events(&T, S);
	TH_CHECK(&T,
	    post_code("/cases/app-disc/township-confirmation", to,
	        "{\"decision\":\"approve\"}", "discrepancies_not_seen")
	            == 422
	        && post_code("/cases/app-disc/township-confirmation", to,
	               "{\"decision\":\"reject\",\"reason\":\"no\","
	               "\"discrepancies_seen\":false}",
	               "discrepancies_not_seen")
	            == 422,
	    "a confirmation without discrepancies_seen was not refused");
	TH_CHECK(&T,
	    strcmp(stage_of("app-disc"), "TOWNSHIP_CONFIRM") == 0
	        && th_events(&T, S) == events
	        && th_int(&T,
	               "SELECT count(*) FROM %s.case_timeline WHERE case_id"
	               " = 'app-disc' AND action = 'discrepancies_seen'",
	               S)
	            == 0,
	    "a refused confirmation changed the case");
	TH_CHECK(&T,
	    post("/cases/app-disc/township-confirmation", to,
	        "{\"decision\":\"approve\",\"discrepancies_seen\":true}", NULL)
	        == 200,
	    "the confirmation with discrepancies_seen failed");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.case_timeline WHERE case_id"
	        " = 'app-disc' AND action = 'discrepancies_seen'"
	        " AND actor = 'to1' AND (detail->>'discrepancies')::int = 2",
	        S)
	        == 1,
	    "the history does not record that the officer saw them");
	TH_CHECK(&T,
	    post("/cases/app-nodisc/township-confirmation", to,
	        "{\"decision\":\"approve\",\"discrepancies_seen\":true}", NULL)
	            == 200
	        && th_int(&T,
	               "SELECT count(*) FROM %s.case_timeline WHERE case_id"
	               " = 'app-nodisc' AND action = 'discrepancies_seen'",
	               S)
	            == 0,
	    "a case without discrepancies refused discrepancies_seen");
	/* A later round replaces the discrepancies with its own. */
	struct app c;
	to_township(&c, "app-disc-later", 50000, 2);
	send_verification_g(&c, 50000, 1, 2);
	wait_count(1, "the later round's discrepancies",
	    "SELECT jsonb_array_length(discrepancies) FROM %s.verification"
	    " WHERE application_id = 'app-disc-later'",
	    S);
	free(to);
}

/* ---- item 7: overrides ------------------------------------------------- */

/* The approval_overrides series of reason (-1: none), read from
 * /metrics. */
static int64_t
override_metric(const char *reason)
{
	char series[128];
	snprintf(series, sizeof(series), "approval_overrides{reason=\"%s\"}",
	    reason);
	return th_metric_http(&T, PORT, series);
}

/* An edge household (low income) of the register with member idn. */
static void
edge_household(const char *bid, const char *idn)
{
	char sql[2048];
	snprintf(sql, sizeof(sql),
	    "INSERT INTO %s.beneficiaries (beneficiary_id, application_id,"
	    " status, category, tier, monthly_amount_fen, bank_code,"
	    " account_number, account_name, from_month, approved_by,"
	    " district_code, township_code, village_code, head_id_number,"
	    " head_name, member_ids, members, next_review_date,"
	    " policy_version) VALUES ('%s', 'app-%s', 'ACTIVE', 'low_income',"
	    " 'edge', 0, 'ICBC', '1', 'x', '2026-01', 'to2', '" DISTRICT "',"
	    " '" TOWNSHIP "', '" VILLAGE "', '%s', 'h', ARRAY['%s'], 1,"
	    " date '2027-01-01', '2026-01')",
	    S, bid, bid, idn, idn);
	PGresult *r = PQexec(T.pg, sql);
	TH_CHECK(&T, PQresultStatus(r) == PGRES_COMMAND_OK,
	    "adding an edge household: %s", PQerrorMessage(T.pg));
	PQclear(r);
}

#define OVERRIDE_BODY(code, note)                                             \
	"{\"decision\":\"approve\",\"category\":\"dibao\","                   \
	"\"discrepancies_seen\":true,\"override_reason_code\":\"" code "\","  \
	"\"override_note\":\"" note "\"}"

/* The township's refusals of an override without a listed code or a
 * note; the accepted one waits for the district (no application.decided,
 * listed by override=true). */
static void
override_township(const char *id, const char *to)
{
	char path[128];
	snprintf(path, sizeof(path), "/cases/%s/township-confirmation", id);
	TH_CHECK(&T,
	    post_code(path, to,
	        "{\"decision\":\"approve\",\"category\":\"dibao\","
	        "\"reason\":\"hardship\"}",
	        "invalid_override_reason")
	            == 422
	        && post_code(path, to, OVERRIDE_BODY("rich_friends", "a note"),
	               "invalid_override_reason")
	            == 422
	        && post_code(path, to,
	               OVERRIDE_BODY("serious_illness_costs", "  "),
	               "override_note_required")
	            == 422,
	    "an override without a listed code and a note was not refused");
	TH_CHECK(&T, strcmp(stage_of(id), "TOWNSHIP_CONFIRM") == 0,
	    "a refused override changed the case");
	json_t *j;
	TH_CHECK(&T,
	    post(path, to,
	        OVERRIDE_BODY("serious_illness_costs",
	            "cancer treatment 3000 yuan a month"),
	        &j) == 200
	        && strcmp(jstr(j, "stage"), "DISTRICT_FILING") == 0
	        && json_is_true(json_object_get(j, "district_review")),
	    "the override was not taken to the district");
	json_decref(j);
	TH_CHECK(&T, outbox_count("application.decided", id) == 0,
	    "an override was decided before the district's review");
}

/* A case the rules put in no category (G 2000 yuan) approved by the
 * township as an override: code and note required, the district files,
 * returns or rejects it; an ordinary case may only be filed; counted. */
static void
overrides(void)
{
	start("300");
	char      *to  = token("to1", "township_officer", TOWNSHIP, NULL);
	char      *dof = token("do1", "district_officer", DISTRICT, NULL);
	struct app a, b, c, n;
	to_township(&a, "app-ov-file", 200000, 0);
	to_township(&b, "app-ov-return", 200000, 0);
	to_township(&c, "app-ov-reject", 200000, 0);
	to_township(&n, "app-ov-normal", 50000, 0);
	char *cat = str(
	    "SELECT category FROM %s.cases WHERE case_id = 'app-ov-file'", S);
	bool none = strcmp(cat, "none") == 0;
	free(cat);
	TH_CHECK(&T, none, "the test household is not in category none");
	override_township("app-ov-file", to);
	override_township("app-ov-return", to);
	override_township("app-ov-reject", to);
	TH_CHECK(&T,
	    post("/cases/app-ov-normal/township-confirmation", to,
	        "{\"decision\":\"approve\"}", NULL)
	        == 200,
	    "the ordinary confirmation");
	json_t *j;
	TH_CHECK(&T,
	    api("GET", "/cases?override=true", to, NULL, NULL, &j) == 200
	        && json_array_size(json_object_get(j, "items")) == 3,
	    "GET /cases?override=true does not list the three overrides");
	json_decref(j);
	TH_CHECK(&T,
	    api("GET", "/cases?override=false", to, NULL, NULL, &j) == 200
	        && json_array_size(json_object_get(j, "items")) == 1
	        && api("GET", "/cases?override=maybe", to, NULL, NULL, NULL)
	            == 422,
	    "GET /cases?override=false");
	json_decref(j);

	/* An ordinary case is only filed. */
	TH_CHECK(&T,
	    post_code("/cases/app-ov-normal/district-filing", dof,
	        "{\"decision\":\"return\",\"reason\":\"why not\"}",
	        "not_under_review")
	            == 422
	        && post_code("/cases/app-ov-normal/district-filing", dof,
	               "{\"decision\":\"reject\",\"reason\":\"why not\"}",
	               "not_under_review")
	            == 422
	        && post("/cases/app-ov-normal/district-filing", dof,
	               "{\"decision\":\"file\"}", NULL)
	            == 200,
	    "an ordinary case could be returned or rejected");
	/* A return or a rejection needs a reason. */
	TH_CHECK(&T,
	    post_code("/cases/app-ov-return/district-filing", dof,
	        "{\"decision\":\"return\"}", "reason_required")
	            == 422
	        && post_code("/cases/app-ov-reject/district-filing", dof,
	               "{\"decision\":\"reject\",\"reason\":\" \"}",
	               "reason_required")
	            == 422
	        && post_code("/cases/app-ov-reject/district-filing", dof,
	               "{\"decision\":\"maybe\"}", "invalid_field")
	            == 400,
	    "a return without a reason was not refused");

	/* file: decided now, with the code, note and reviewer; an edge
	 * household of a member ends as at an ordinary approval */
	edge_household("edge-ov", a.ids[0]);
	TH_CHECK(&T,
	    post("/cases/app-ov-file/district-filing", dof,
	        "{\"decision\":\"file\",\"note\":\"agreed\"}",
	        &j) == 200
	        && strcmp(jstr(j, "stage"), "FILED") == 0
	        && jstr(j, "beneficiary_id")[0] != '\0',
	    "the district could not file the override");
	json_decref(j);
	size_t   len;
	uint8_t *ev
	    = outbox_event("application.decided", "app-ov-file", 0, &len);
	Sn__Assist__V1__ApplicationDecided *m
	    = sn__assist__v1__application_decided__unpack(NULL, len, ev);
	free(ev);
	TH_CHECK(&T,
	    m != NULL && m->approved
	        && m->category == SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO
	        && strcmp(m->override_reason_code, "serious_illness_costs")
	            == 0
	        && strcmp(
	               m->override_note, "cancer treatment 3000 yuan a month")
	            == 0
	        && strcmp(m->district_reviewed_by, "do1") == 0
	        && strcmp(m->decided_by, "to1") == 0,
	    "application.decided lacks the override");
	sn__assist__v1__application_decided__free_unpacked(m, NULL);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.beneficiaries WHERE application_id"
	        " = 'app-ov-file' AND status = 'ACTIVE'",
	        S)
	        == 1,
	    "the filed override is not in the register");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.beneficiaries b JOIN"
	        " %s.beneficiary_history h USING (beneficiary_id)"
	        " WHERE b.beneficiary_id = 'edge-ov' AND b.status = 'EXITED'"
	        " AND h.cause = 'replaced'",
	        S, S)
	        == 1,
	    "the filed override left its member's edge household standing");

	/* return: RETURNED, nothing decided */
	TH_CHECK(&T,
	    post("/cases/app-ov-return/district-filing", dof,
	        "{\"decision\":\"return\",\"reason\":\"get the hospital's "
	        "bills\"}",
	        NULL)
	            == 200
	        && strcmp(stage_of("app-ov-return"), "RETURNED") == 0
	        && outbox_count("application.decided", "app-ov-return") == 0,
	    "the district could not return the override");

	/* reject: REJECTED, decided not approved */
	TH_CHECK(&T,
	    post("/cases/app-ov-reject/district-filing", dof,
	        "{\"decision\":\"reject\",\"reason\":\"income too high\"}",
	        NULL)
	            == 200
	        && strcmp(stage_of("app-ov-reject"), "REJECTED") == 0,
	    "the district could not reject the override");
	ev = outbox_event("application.decided", "app-ov-reject", 0, &len);
	m  = sn__assist__v1__application_decided__unpack(NULL, len, ev);
	free(ev);
	TH_CHECK(&T,
	    m != NULL && !m->approved && m->monthly_amount_fen == 0
	        && strcmp(m->override_reason_code, "serious_illness_costs")
	            == 0
	        && strcmp(m->district_reviewed_by, "do1") == 0,
	    "the rejection's application.decided");
	sn__assist__v1__application_decided__free_unpacked(m, NULL);
	TH_CHECK(&T,
	    api("GET", "/cases/app-ov-reject", to, NULL, NULL, &j) == 200
	        && strcmp(jstr(j, "override.reason_code"),
	               "serious_illness_costs")
	            == 0
	        && strcmp(jstr(j, "override.district_outcome"), "reject") == 0,
	    "GET /cases/{id} does not show the override");
	json_decref(j);

	/* counted by reason: three overrides so far */
	int64_t v = -1;
	for (int i = 0; i < 100 && v != 3; i++) {
		v = override_metric("serious_illness_costs");
		if (v != 3)
			th_sleep_ms(100);
	}
	TH_CHECK(&T, v == 3, "approval_overrides counts %lld, not 3",
	    (long long) v);
	free(to);
	free(dof);
}

/* The policy's override reasons: shown by GET /policy, set by POST
 * /policy (validated), inherited by a version that does not say. */
static void
override_policy(void)
{
	start("60000");
	char   *adm = token("da1", "district_admin", DISTRICT, NULL);
	json_t *j;
	TH_CHECK(&T, api("GET", "/policy", adm, NULL, NULL, &j) == 200,
	    "GET /policy");
	json_t *r = json_object_get(j, "override_reasons");
	TH_CHECK(&T,
	    json_array_size(r) == 4
	        && strcmp(jstr(json_array_get(r, 0), "code"),
	               "serious_illness_costs")
	            == 0
	        && jstr(json_array_get(r, 0), "label")[0] != '\0',
	    "GET /policy does not show the default override reasons");
	json_decref(j);
	const char *from1 = today_plus_months(2),
	           *bad[] = {
		           "[]",
		           "[{\"code\":\"A b\",\"label\":\"x\"}]",
		           "[{\"code\":\"a\",\"label\":\"\"}]",
		           "[{\"code\":\"a\",\"label\":\"x\"},{\"code\":\"a\","
		           "\"label\":\"y\"}]",
		           "[{\"code\":\"a\",\"label\":\"x\",\"extra\":1}]",
		           "\"serious_illness_costs\"",
	           };
	char from[16];
	snprintf(from, sizeof(from), "%s", from1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *more = malloc(strlen(bad[i]) + 32);
		char  body[2048];
		sprintf(more, ",\"override_reasons\":%s", bad[i]);
		snprintf(body, sizeof(body), POLICY_FMT, "ov-bad", from, more);
		free(more);
		TH_CHECK(&T,
		    post_code("/policy", adm, body, "invalid_field") == 422,
		    "override_reasons %s was not refused", bad[i]);
	}
	char body[2048];
	snprintf(body, sizeof(body), POLICY_FMT, "ov-1", from,
	    ",\"override_reasons\":[{\"code\":\"flood_2027\","
	    "\"label\":\"Households hit by the 2027 flood\"}]");
	TH_CHECK(&T, post("/policy", adm, body, NULL) == 201,
	    "POST /policy with override_reasons");
	snprintf(from, sizeof(from), "%s", today_plus_months(3));
	snprintf(body, sizeof(body), POLICY_FMT, "ov-2", from, "");
	TH_CHECK(&T, post("/policy", adm, body, NULL) == 201,
	    "POST /policy without override_reasons");
	TH_CHECK(&T, api("GET", "/policy", adm, NULL, NULL, &j) == 200,
	    "GET /policy");
	json_t *v;
	size_t  i;
	int     found = 0;
	json_array_foreach(json_object_get(j, "versions"), i, v)
	{
		json_t     *rs = json_object_get(v, "override_reasons");
		const char *c0 = jstr(json_array_get(rs, 0), "code");
		if ((strcmp(jstr(v, "version"), "ov-1") == 0
		        || strcmp(jstr(v, "version"), "ov-2") == 0)
		    && json_array_size(rs) == 1
		    && strcmp(c0, "flood_2027") == 0)
			found++;
	}
	TH_CHECK(&T, found == 2,
	    "the versions do not carry their override reasons");
	json_decref(j);
	free(adm);
}

/* ---- item 9: paging ---------------------------------------------------- */

/* n cases cp-<tag>-<i> opened straight into the table, every other one
 * in the other township. */
static void
add_cases(const char *tag, int n)
{
	char sql[2048];
	snprintf(sql, sizeof(sql),
	    "INSERT INTO %s.cases (case_id, stage, accepted_date,"
	    " deadline_date, district_code, township_code, village_code)"
	    " SELECT 'cp-%s-' || i, 'GATHERING', date '2026-01-01',"
	    " date '2026-01-20', '" DISTRICT "',"
	    " CASE WHEN i %% 2 = 0 THEN '" TOWNSHIP "' ELSE '" OTHER_TOWNSHIP
	    "' END,"
	    " CASE WHEN i %% 2 = 0 THEN '" VILLAGE "' ELSE '" OTHER_VILLAGE
	    "' END FROM generate_series(1, %d) i",
	    S, tag, n);
	PGresult *r = PQexec(T.pg, sql);
	TH_CHECK(&T, PQresultStatus(r) == PGRES_COMMAND_OK, "adding cases: %s",
	    PQerrorMessage(T.pg));
	PQclear(r);
}

/* Follows next through path?query (limit given), counting each case
 * into seen; the page sizes into sizes (at most 8). Returns the pages. */
static int
read_cases(const char *tok, const char *query, json_t *seen, size_t *sizes)
{
	char cursor[64] = "";
	int  pages      = 0;
	do {
		char    path[256];
		json_t *j;
		snprintf(path, sizeof(path), "/cases?%s%s%s", query,
		    cursor[0] ? "&cursor=" : "", cursor);
		TH_CHECK(&T, api("GET", path, tok, NULL, NULL, &j) == 200,
		    "GET %s", path);
		json_t *items = json_object_get(j, "items");
		TH_CHECK(&T, json_equal(items, json_object_get(j, "cases")),
		    "cases is not the page's items");
		json_t *it;
		size_t  i;
		json_array_foreach(items, i, it)
		{
			const char *id = jstr(it, "case_id");
			json_object_set_new(seen, id,
			    json_integer(
			        json_integer_value(json_object_get(seen, id))
			        + 1));
		}
		if (pages < 8)
			sizes[pages] = json_array_size(items);
		json_t *next = json_object_get(j, "next");
		TH_CHECK(&T, json_is_string(next) || json_is_null(next),
		    "next is neither a string nor null");
		snprintf(cursor, sizeof(cursor), "%s",
		    json_is_string(next) ? json_string_value(next) : "");
		json_decref(j);
		pages++;
	} while (cursor[0] != '\0' && pages < 100);
	return pages;
}

static void
each_once(json_t *seen, size_t want)
{
	const char *id;
	json_t     *v;
	json_object_foreach(seen, id, v)
	{
		TH_CHECK(&T, json_integer_value(v) == 1,
		    "%s listed %lld times", id,
		    (long long) json_integer_value(v));
	}
	TH_CHECK(&T, json_object_size(seen) == want, "%zu listed, not %zu",
	    json_object_size(seen), want);
}

/* 1,050 cases listed in pages of 1,000 and 50, none twice, none
 * missing; filters before paging; limit 0 and 1001 refused; the other
 * lists answer {items, next} under the same limits. */
static void
cases_paging(void)
{
	start("60000");
	add_cases("a", 1050);
	char   *dof      = token("do1", "district_officer", DISTRICT, NULL);
	char   *to       = token("to1", "township_officer", TOWNSHIP, NULL);
	json_t *seen     = json_object();
	size_t  sizes[8] = { 0 };
	int     pages    = read_cases(dof, "limit=1000", seen, sizes);
	TH_CHECK(&T, pages == 2 && sizes[0] == 1000 && sizes[1] == 50,
	    "1050 cases came in %d pages (%zu, %zu)", pages, sizes[0],
	    sizes[1]);
	each_once(seen, 1050);
	json_decref(seen);
	/* the default page is 100; a filter applies before paging */
	seen  = json_object();
	pages = read_cases(dof, "township=" TOWNSHIP, seen, sizes);
	TH_CHECK(&T, pages == 6 && sizes[0] == 100 && sizes[5] == 25,
	    "525 cases of a township came in %d pages", pages);
	each_once(seen, 525);
	json_decref(seen);
	/* jurisdiction too */
	seen  = json_object();
	pages = read_cases(to, "limit=1000", seen, sizes);
	TH_CHECK(&T, pages == 1 && sizes[0] == 525,
	    "a township officer saw %zu cases", sizes[0]);
	json_decref(seen);
	const char *paths[]
	    = { "/cases", "/reviews", "/beneficiaries", "/price-indices" };
	for (size_t i = 0; i < 4; i++) {
		const char *bad[] = { "limit=0", "limit=1001", "cursor=zz" };
		for (size_t k = 0; k < 3; k++) {
			char    path[128];
			json_t *j;
			snprintf(
			    path, sizeof(path), "%s?%s", paths[i], bad[k]);
			int st = api("GET", path, dof, NULL, NULL, &j);
			TH_CHECK(&T,
			    st == 422
			        && strcmp(
			               jstr(j, "error.code"), "invalid_query")
			            == 0,
			    "GET %s answered %d", path, st);
			json_decref(j);
		}
		char    path[128];
		json_t *j;
		snprintf(path, sizeof(path), "%s?limit=1000", paths[i]);
		TH_CHECK(&T,
		    api("GET", path, dof, NULL, NULL, &j) == 200
		        && json_is_array(json_object_get(j, "items"))
		        && json_object_get(j, "next") != NULL,
		    "GET %s does not answer {items, next}", path);
		json_decref(j);
	}
	free(dof);
	free(to);
}

int
main(int argc, char **argv)
{
	static const th_scenario scenarios[] = {
		{ "discrepancies", discrepancies },
		{ "overrides", overrides },
		{ "override_policy", override_policy },
		{ "cases_paging", cases_paging },
	};
	return th_main(&T, argc, argv, scenarios,
	    sizeof(scenarios) / sizeof(scenarios[0]), close_auth);
}
