/*
 * Supervision end to end (issue 12): every service binary, agency-sim,
 * the bank (bank-gateway and bank-sim in ISO 20022, e2e_start_bank) and
 * supervision over a real PostgreSQL and real NNG sockets.
 *
 *   e2e_supervision chain
 *
 *   chain  a household of three is taken in, checked, visited, decided,
 *          filed and paid its first month; a member then gets an
 *          emergency grant; a reviewer is refused once. Supervision's
 *          GET /households/{id}/chain answers the same household by the
 *          application id, the grant id and the beneficiary's id, with
 *          every step in order (application, checks, visit, stages,
 *          decision, register, payment, grant, staff actions with the
 *          refusal), identity and account numbers masked.
 *
 *   statistics  supervision_stats.c: the figures across programmes
 *          against disbursement's and emergency's own sums.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"
#include "supervision_anomaly.h"
#include "supervision_stats.h"

#define DISTRICT E2E_DISTRICT
#define TOWNSHIP E2E_TOWNSHIP
#define VILLAGE E2E_VILLAGE

/* Wang Wu (no income by the agencies' records), his mother and his
 * son: rural, G = 0, dibao (630 x 3 = 1,890 yuan). */
static char HEAD[19], MOTHER[19], SON[19];

static void
start_all(void)
{
	static const char *const order[]
	    = { "intake", "verification", "investigation", "approval",
		      "disbursement", "emergency", "supervision" };
	e2e_setup();
	const int ports[] = { P_INTAKE, P_VERIF, P_INVEST, P_APPROVAL, P_DISB,
		P_EMERG, P_SUPER };
	e2e_idnum(HEAD, "22010319800506123");
	e2e_idnum(MOTHER, "22010319500708124");
	e2e_idnum(SON, "22010320150910125");
	json_t *fx = json_pack("{s:{}, s:{}, s:{}}", HEAD, MOTHER, SON);
	e2e_fixture_write(fx);
	json_decref(fx);
	e2e_start_agency_sim(NULL);
	e2e_start_bank(NULL);
	e2e_start_services(
	    order, ports, sizeof(order) / sizeof(order[0]), NULL);
}

static char *
take_in(char accepted[16])
{
	const e2e_member m[] = {
		{ HEAD, "Wang Wu", "self", "1980-05-06", "partial", 0 },
		{ MOTHER, "Zhao Liu", "parent", "1950-07-08", "none", 0 },
		{ SON, "Wang Xiao", "child", "2015-09-10", "none", 0 },
	};
	const e2e_household h = { .address = "No. 7, the first village",
		.members                   = m,
		.n                         = 3,
		.consent                   = "CONSENT-SUP-1",
		.account                   = "6217000000000000077",
		.account_name              = "Wang Wu" };
	return e2e_take_in("clerk-w", &h, accepted);
}

/* Through the three steps, with one refusal on the way. */
static void
decide(const char *id)
{
	char *rev = e2e_token("reviewer-w", "village_reviewer", VILLAGE, NULL);
	char *off = e2e_token("officer-w", "township_officer", TOWNSHIP, NULL);
	char *dis
	    = e2e_token("district-w", "district_officer", DISTRICT, NULL);
	char *bad = e2e_token("clerk-w", "village_reviewer", VILLAGE, NULL);

	json_decref(e2e_wait_stage(id, "VILLAGE_REVIEW"));
	TH_CHECK(&T,
	    e2e_step(id, "village-review", bad,
	        "{\"decision\":\"pass\",\"reason\":\"ok\"}", NULL)
	        == 403,
	    "the clerk who took it in reviewed it");
	TH_CHECK(&T,
	    e2e_step(id, "village-review", rev,
	        "{\"decision\":\"pass\",\"reason\":\"confirmed\"}", NULL)
	        == 200,
	    "village review");
	TH_CHECK(&T,
	    e2e_step(id, "township-confirmation", off,
	        "{\"decision\":\"approve\",\"reason\":\"no income\"}", NULL)
	        == 200,
	    "township confirmation");
	TH_CHECK(&T,
	    e2e_step(id, "district-filing", dis,
	        "{\"spot_check\":false,\"note\":\"filed\"}", NULL)
	        == 200,
	    "district filing");
	json_decref(e2e_wait_stage(id, "FILED"));
	free(rev);
	free(off);
	free(dis);
	free(bad);
}

static char *
grant_to(const char *idn)
{
	char *fin = e2e_token("finance-w", "finance", DISTRICT, NULL);
	char *off
	    = e2e_token("officer-e", "emergency_officer", TOWNSHIP, NULL);
	char path[96], body[600];

	snprintf(path, sizeof(path), "/funds/%s/allocations", TOWNSHIP);
	TH_CHECK(&T,
	    e2e_call(
	        P_EMERG, "POST", path, fin, "{\"amount_fen\":1000000}", NULL)
	        == 201,
	    "allocation");
	snprintf(body, sizeof(body),
	    "{\"township_code\":\"%s\",\"village_code\":\"%s\","
	    "\"person\":{\"id_number\":\"%s\",\"name\":\"Zhao Liu\"},"
	    "\"cause\":\"major_illness\",\"description\":\"a stroke\","
	    "\"household_size\":3,\"amount_fen\":150000,\"payee\":"
	    "{\"bank_code\":\"RCB\",\"account_number\":"
	    "\"6217000000000000077\",\"account_name\":\"Wang Wu\"}}",
	    TOWNSHIP, VILLAGE, idn);
	json_t *g  = NULL;
	int     st = e2e_call(P_EMERG, "POST", "/grants", off, body, &g);
	TH_CHECK(&T, st == 201, "grant: %d %s", st,
	    e2e_jstr(json_object_get(g, "error"), "message"));
	char *id = strdup(e2e_jstr(g, "id"));
	json_decref(g);
	free(fin);
	free(off);
	return id;
}

/* GET the chain of id as a supervisor; the answer (caller's). */
static json_t *
chain_of(const char *id, int want)
{
	char   *sup = e2e_token("sup-1", "supervisor", DISTRICT, NULL);
	char    path[160];
	json_t *out = NULL;

	snprintf(path, sizeof(path), "/households/%s/chain", id);
	int st = e2e_call(P_SUPER, "GET", path, sup, NULL, &out);
	TH_CHECK(&T, st == want, "GET %s: %d, want %d", path, st, want);
	free(sup);
	return out;
}

static size_t
count_type(json_t *events, const char *type)
{
	size_t  i, n = 0;
	json_t *e;

	json_array_foreach(events, i, e) n
	    += strcmp(e2e_jstr(e, "type"), type) == 0;
	return n;
}

static void
chain(void)
{
	static const char *const pubs[]
	    = { "intake", "verification", "investigation", "approval",
		      "emergency", "disbursement", "supervision" };
	char accepted[16];

	start_all();
	char *id = take_in(accepted);
	e2e_investigate("application_id", id, NULL, accepted);
	decide(id);
	int y = atoi(accepted), m = atoi(accepted + 5) + 1;
	if (m == 13) {
		m = 1;
		y++;
	}
	char month[16];
	snprintf(month, sizeof(month), "%04d-%02d", y % 10000, m % 100);
	e2e_budget("dibao", y, 100000000);
	free(e2e_pay_month(month));
	char    *grant = grant_to(MOTHER);
	uint64_t end   = th_now_ms() + E2E_WAIT_MS;
	while (th_now_ms() < end
	    && e2e_credited("6217000000000000077") != 189000 + 150000)
		th_sleep_ms(50);
	TH_CHECK(&T, e2e_credited("6217000000000000077") == 189000 + 150000,
	    "the account holds %lld fen, want the month and the grant",
	    (long long) e2e_credited("6217000000000000077"));
	/* The bank credits the account before disbursement hears of it and
	 * publishes payment.settled: supervision caught up with a stream
	 * that has not said it yet would show one. Until both are there. */
	json_t *c = NULL;
	end       = th_now_ms() + E2E_WAIT_MS;
	do {
		json_decref(c);
		for (size_t i = 0; i < sizeof(pubs) / sizeof(pubs[0]); i++)
			e2e_caught_up("supervision", pubs[i]);
		c = chain_of(id, 200);
		if (count_type(json_object_get(c, "events"), "payment.settled")
		    >= 2)
			break;
		th_sleep_ms(100);
	} while (th_now_ms() < end);
	const char *hh     = e2e_jstr(c, "household_id");
	json_t     *events = json_object_get(c, "events");
	TH_CHECK(&T, hh != NULL && strcmp(hh, id) == 0,
	    "household %s, want the first application's id", hh ? hh : "-");
	/* Every programme's steps, the application first. The chain is in
	 * supervision's order of applying (pos); streams of different
	 * publishers are not ordered against each other (DESIGN section 2),
	 * so a visit's report may be applied before intake's application
	 * when intake's stream lags: first by the time each event was made,
	 * which is causal here (one machine's clock), staff records aside. */
	static const char *const want[] = { "application.submitted",
		"verification.completed", "investigation.completed",
		"case.stage_changed", "application.decided",
		"beneficiary.changed", "payment.scheduled", "payment.settled",
		"emergency.granted" };
	const char              *first = NULL, *first_time = NULL;
	size_t                   k;
	json_t                  *ev;
	json_array_foreach(events, k, ev)
	{
		const char *t = e2e_jstr(ev, "time");
		/* the clerk's record of taking it in commits with it */
		if (strcmp(e2e_jstr(ev, "type"), "staff.acted") == 0)
			continue;
		if (t != NULL
		    && (first_time == NULL || strcmp(t, first_time) < 0)) {
			first_time = t;
			first      = e2e_jstr(ev, "type");
		}
	}
	TH_CHECK(&T,
	    first != NULL && strcmp(first, "application.submitted") == 0,
	    "the chain's earliest event is %s", first ? first : "-");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		TH_CHECK(&T, count_type(events, want[i]) >= 1,
		    "the chain has no %s", want[i]);
	TH_CHECK(&T, count_type(events, "payment.settled") == 2,
	    "%zu payments settled in the chain, want the month and the grant",
	    count_type(events, "payment.settled"));
	int64_t last = 0, refused = 0, acted = 0;
	size_t  i;
	json_t *e;
	json_array_foreach(events, i, e)
	{
		TH_CHECK(
		    &T, e2e_jint(e, "pos") > last, "out of order at %zu", i);
		last = e2e_jint(e, "pos");
		if (strcmp(e2e_jstr(e, "type"), "staff.acted") != 0)
			continue;
		acted++;
		refused
		    += e2e_jint(json_object_get(e, "data"), "status") == 403;
	}
	TH_CHECK(&T, acted >= 5 && refused == 1,
	    "%lld staff actions, %lld refused; want the clerk's, the visits, "
	    "the three steps and one refusal",
	    (long long) acted, (long long) refused);
	char *text = json_dumps(c, JSON_COMPACT);
	TH_CHECK(&T,
	    strstr(text, HEAD) == NULL && strstr(text, MOTHER) == NULL
	        && strstr(text, "6217000000000000077") == NULL,
	    "an identity or account number in clear in the chain");
	TH_CHECK(&T, strstr(text, "220103********") != NULL,
	    "no masked identity number in the chain");
	free(text);

	/* The same household by the grant's id and by the beneficiary's. */
	json_t *g = chain_of(grant, 200);
	TH_CHECK(&T, strcmp(e2e_jstr(g, "household_id"), id) == 0,
	    "the grant to a member is in household %s",
	    e2e_jstr(g, "household_id"));
	const char *ben = NULL;
	json_array_foreach(events, i,
	    e) if (strcmp(e2e_jstr(e, "type"), "beneficiary.changed") == 0) ben
	    = e2e_jstr(json_object_get(e, "data"), "beneficiary_id");
	TH_CHECK(&T, ben != NULL, "no beneficiary id");
	json_t *b = chain_of(ben, 200);
	TH_CHECK(&T,
	    json_array_size(json_object_get(b, "events"))
	        == json_array_size(events),
	    "by the beneficiary id: %zu events, by the application's: %zu",
	    json_array_size(json_object_get(b, "events")),
	    json_array_size(events));
	json_decref(chain_of("no-such-household", 404));
	char   *clerk = e2e_token("clerk-w", "clerk", TOWNSHIP, NULL);
	json_t *out   = NULL;
	char    path[160];
	snprintf(path, sizeof(path), "/households/%s/chain", id);
	TH_CHECK(&T, e2e_call(P_SUPER, "GET", path, clerk, NULL, &out) == 403,
	    "a clerk read the chain");
	printf("chain: %zu events of one household in order, by its "
	       "application, grant and beneficiary ids; numbers masked\n",
	    json_array_size(events));
	json_decref(out);
	free(clerk);
	json_decref(b);
	json_decref(g);
	json_decref(c);
	free(grant);
	free(id);
}

int
main(int argc, char **argv)
{
	static const th_scenario scenarios[] = {
		{ "chain", chain },
		{ "statistics", e2e_supervision_statistics },
		{ "anomaly", e2e_supervision_anomaly },
	};
	return th_main(&T, argc, argv, scenarios,
	    sizeof(scenarios) / sizeof(scenarios[0]), e2e_done);
}
