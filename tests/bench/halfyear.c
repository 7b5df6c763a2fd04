/*
 * sn-halfyear: the main job's second part, the register over time
 * (issue 9). After sn-district has decided the district and paid its
 * first month, deploy/local/run restarts the services with the district
 * clock moved on by one month at a time (SN_TEST_CLOCK) and runs
 *
 *   sn-halfyear --month K      (K = 1..6, one simulated month)
 *   sn-halfyear --summary      (after the sixth)
 *
 * Each month, what a district sees happen: a clerk reports a death in a
 * one-person household; public security's notice of a death in a larger
 * one; human resources' notices of new jobs (one household's income
 * rises to about 1.5 x its standard, another's to 2.5 times it); in month 2
 * the price indices rise above the linkage threshold (CPI 3.6 %) for the
 * next month and a new standard is adopted from the month after next; in
 * month 3 the indices fall back (3.4 %); each township's emergency
 * officer grants emergency help to the head of one edge-tier household
 * (issue 12: the closing figures count it). The daily job opens the reviews
 * that fall due (the 6-monthly dibao reviews in month 6). Investigators
 * visit, and the village reviewer, the township officer and the district
 * officer take every review case through the three steps. Finance then
 * pays next month. Each month prints one line: reviews closed, the run's
 * households and totals, the subsidy lines. --summary prints the reviews
 * opened by kind, their outcomes, and the register by status.
 *
 * Settings: SN_IDENTITY_HTTP_URL with SN_IDENTITY_ADMIN_USER and
 * SN_IDENTITY_ADMIN_PASSWORD(_FILE), or else SN_TOKEN_SIGNING_KEY(_FILE)
 * (see client.h), and SN_<SERVICE>_HTTP_URL of intake,
 * investigation, approval, disbursement, emergency and agency-sim, as
 * deploy/local/run exports them.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client.h"
#include "harness.h"
#include "sn/clock.h"
#include "sn/date.h"
#include "sn/log.h"
#include "sn/money.h"

#define PROG "sn-halfyear"
#define MAX_BEN 20000

static int port_intake, port_invest, port_approval, port_disb, port_agency,
    port_emerg;

/* One household of the register, as GET /beneficiaries shows it. */
struct ben {
	char    id[64];
	char    category[16];
	char    status[16];
	char    village[16];
	char    township[16];
	char    registration[8];
	int     members;
	int64_t amount_fen;
};

static struct ben bens[MAX_BEN];
static int        nbens;

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void
copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

/* The whole register, page by page, as the district officer sees it. */
static bool
load_register(const struct staff *s)
{
	json_t *all = NULL;
	nbens       = 0;
	if (client_list(
	        port_approval, "/beneficiaries", s, "beneficiaries", &all)
	    != 200) {
		json_decref(all);
		return false;
	}
	size_t  i;
	json_t *b;
	json_array_foreach(all, i, b)
	{
		if (nbens == MAX_BEN)
			break;
		struct ben *x = &bens[nbens++];
		copy(x->id, sizeof(x->id), str(b, "beneficiary_id"));
		copy(x->category, sizeof(x->category), str(b, "category"));
		copy(x->status, sizeof(x->status), str(b, "status"));
		copy(x->village, sizeof(x->village), str(b, "village_code"));
		copy(
		    x->township, sizeof(x->township), str(b, "township_code"));
		copy(x->registration, sizeof(x->registration),
		    str(json_object_get(b, "household"), "registration"));
		x->members
		    = (int) json_integer_value(json_object_get(b, "members"));
		x->amount_fen = json_integer_value(
		    json_object_get(b, "monthly_amount_fen"));
	}
	json_decref(all);
	return true;
}

/* The k-th household (from 0) of category cat, on the register and not
 * in gradual exit, with members in [lo, hi]; NULL when there is none. */
static const struct ben *
pick(const char *cat, int lo, int hi, int k)
{
	for (int i = 0; i < nbens; i++) {
		const struct ben *b = &bens[i];
		if (strcasecmp(b->status, "active") != 0
		    || strcmp(b->category, cat) != 0 || b->members < lo
		    || b->members > hi)
			continue;
		if (k-- == 0)
			return b;
	}
	return NULL;
}

/* The head's identity number, from GET /beneficiaries/{id}. */
static bool
head_of(const struct staff *s, const struct ben *b, char idn[19])
{
	char path[128];
	snprintf(path, sizeof(path), "/beneficiaries/%s", b->id);
	json_t *out = NULL;
	int     st  = client_call(port_approval, "GET", path, s, NULL, &out);
	copy(idn, 19, str(out, "head_id_number"));
	json_decref(out);
	return st == 200 && strlen(idn) == 18;
}

/* ---- this month's events ----------------------------------------------- */

static int events_death_reported, events_notices;

/* A clerk of the household's township reports the head's death. */
static void
report_death(const struct staff *dist, const struct ben *b)
{
	char         idn[19], path[128], date[SN_DATE_STRLEN], user[48];
	struct staff clerk;
	if (b == NULL || !head_of(dist, b, idn))
		return;
	snprintf(user, sizeof(user), "clerk-%s", b->township);
	client_issue(&clerk, user, "clerk", b->township, NULL);
	sn_date_format(sn_date_add_days(sn_clock_today(), -2), date);
	snprintf(path, sizeof(path), "/households/%s/changes", b->id);
	int st = client_call(port_intake, "POST", path, &clerk,
	    json_pack("{s:s, s:s, s:s, s:s}", "kind", "death",
	        "member_id_number", idn, "effective_date", date, "note",
	        "reported by a neighbour at the service hall"),
	    NULL);
	if (st == 201)
		events_death_reported++;
	else
		fprintf(stderr, PROG ": death report refused: %d\n", st);
}

/* An agency's notice through agency-sim: kind "death" or "new_job". */
static void
notice(const struct staff *dist, const struct ben *b, const char *kind,
    int64_t wage_fen)
{
	char         idn[19], date[SN_DATE_STRLEN];
	struct staff op;
	if (b == NULL || port_agency <= 0 || !head_of(dist, b, idn))
		return;
	/* A department's service account (agency-sim's routes are public;
	 * identity knows no role "agency_operator"). */
	client_issue(
	    &op, "agency-operator", "department", CLIENT_DISTRICT, NULL);
	sn_date_format(sn_date_add_days(sn_clock_today(), -1), date);
	json_t *body = json_pack("{s:s, s:s, s:s}", "kind", kind, "id_number",
	    idn, "effective_date", date);
	if (wage_fen > 0)
		json_object_set_new(
		    body, "monthly_wage_fen", json_integer(wage_fen));
	int st = client_call(port_agency, "POST", "/notices", &op, body, NULL);
	if (st == 201)
		events_notices++;
	else
		fprintf(stderr, PROG ": %s notice refused: %d\n", kind, st);
}

/* The standard per person of a household's registration, fen. */
static int64_t
standard_of(const struct ben *b, int64_t urban, int64_t rural)
{
	return strcmp(b->registration, "urban") == 0 ? urban : rural;
}

static void
price_indices(const struct staff *admin, sn_month m, int cpi, int food)
{
	char month[SN_MONTH_STRLEN];
	sn_month_format(m, month);
	int st = client_call(port_approval, "POST", "/price-indices", admin,
	    json_pack("{s:s, s:i, s:i}", "month", month, "cpi_permille", cpi,
	        "food_cpi_permille", food),
	    NULL);
	if (st != 201 && st != 200)
		fprintf(stderr, PROG ": price indices refused: %d\n", st);
}

/* A new standard from the first day of month m: urban and rural up by
 * 5 %, together (the ratio does not rise). */
static void
new_standard(const struct staff *admin, sn_month m)
{
	char ver[SN_MONTH_STRLEN + 8], from[SN_DATE_STRLEN];
	sn_month_format(m, ver);
	strcat(ver, "-sim");
	sn_date_format(sn_month_first(m), from);
	int st = client_call(port_approval, "POST", "/policy", admin,
	    json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i,"
	              " s:i, s:i, s:i}",
	        "version", ver, "effective_from", from, "urban_min_fen", 87200,
	        "rural_min_fen", 66200, "urban_basic_fen", 149100,
	        "rural_basic_fen", 105000, "care_able_fen", 15000,
	        "care_partially_able_fen", 50000, "care_unable_fen", 120000,
	        "low_income_factor_percent", 150, "asset_multiple", 24,
	        "max_homes", 1, "business_capital_limit_fen", 5000000),
	    NULL);
	if (st != 201)
		fprintf(
		    stderr, PROG ": the new standard was refused: %d\n", st);
}

/* ---- emergency grants (临时救助) ------------------------------ */

/*
 * Each month a township's emergency officer grants help at once from the
 * township's reserve fund (which district finance fills in month 1) to
 * the head of one edge-tier household in each township, after an
 * accident, an illness, a fire..., paid to the household's account: the
 * emergency figures the main job ends with (sn-figures) count them.
 */
static void
emergency_grants(int k, const struct staff *dist)
{
	static const char *const causes[]
	    = { "accident", "major_illness", "fire", "disaster", "other" };
	char towns[8][16];
	int  nt = 0;
	for (int i = 0; i < nbens && nt < 8; i++) {
		int seen = 0;
		for (int t = 0; t < nt; t++)
			seen |= strcmp(towns[t], bens[i].township) == 0;
		if (!seen)
			copy(towns[nt++], sizeof(towns[0]), bens[i].township);
	}
	for (int t = 0; t < nt; t++) {
		char         user[48], path[160];
		struct staff off;
		if (k == 1) {
			struct staff fin;
			client_issue(&fin, "finance-1", "finance",
			    CLIENT_DISTRICT, NULL);
			snprintf(path, sizeof(path), "/funds/%s/allocations",
			    towns[t]);
			client_call(port_emerg, "POST", path, &fin,
			    json_pack(
			        "{s:I}", "amount_fen", (json_int_t) 5000000),
			    NULL);
		}
		/* The (k-1)-th active edge household of the township. */
		const struct ben *b = NULL;
		for (int i = 0, n = 0; i < nbens && b == NULL; i++)
			if (strcmp(bens[i].township, towns[t]) == 0
			    && strcasecmp(bens[i].status, "active") == 0
			    && (strcmp(bens[i].category, "low_income") == 0
			        || strcmp(bens[i].category, "expenditure")
			            == 0)
			    && n++ == k - 1)
				b = &bens[i];
		char idn[19];
		if (b == NULL || !head_of(dist, b, idn))
			continue;
		json_t *h = NULL;
		snprintf(path, sizeof(path), "/beneficiaries/%s", b->id);
		client_call(port_approval, "GET", path, dist, NULL, &h);
		json_t *payee = json_object_get(h, "payee");
		snprintf(user, sizeof(user), "emergency-%.15s", towns[t]);
		client_issue(&off, user, "emergency_officer", towns[t], NULL);
		int st = client_call(port_emerg, "POST", "/grants", &off,
		    json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:i, s:I,"
		              " s:{s:s, s:s, s:s}}",
		        "township_code", towns[t], "village_code", b->village,
		        "person", "id_number", idn, "name",
		        str(h, "head_name"), "cause", causes[(k + t) % 5],
		        "description",
		        "sudden hardship reported by the village",
		        "household_size", b->members, "amount_fen",
		        (json_int_t) (50000 + ((k * 7 + t * 3) % 11) * 20000),
		        "payee", "bank_code", str(payee, "bank_code"),
		        "account_number", str(payee, "account_number"),
		        "account_name", str(payee, "account_name")),
		    NULL);
		if (st != 201)
			fprintf(stderr,
			    PROG ": an emergency grant refused: %d\n", st);
		json_decref(h);
	}
}

static void
month_events(int k, const struct staff *dist, const struct staff *admin)
{
	/* Each month its own households: the k-th of each kind. */
	report_death(dist, pick("dibao", 1, 1, k));
	notice(dist, pick("dibao", 3, 9, k), "death", 0);
	const struct ben *g = pick("dibao", 1, 4, 10 + k);
	if (g != NULL) /* C = 1.5 x S: gradual exit */
		notice(dist, g, "new_job",
		    standard_of(g, 83000, 63000) * g->members * 3 / 2);
	const struct ben *x = pick("dibao", 1, 4, 20 + k);
	if (x != NULL) /* C >= 2 x S after deductions: exit at the month end */
		notice(dist, x, "new_job",
		    standard_of(x, 83000, 63000) * x->members * 5 / 2);
	if (port_emerg > 0)
		emergency_grants(k, dist);
	sn_month next = sn_month_add(sn_clock_month(), 1);
	if (k == 2) {
		price_indices(admin, next, 36, 52);
		new_standard(admin, sn_month_add(next, 1));
	} else if (k == 3)
		price_indices(admin, next, 34, 50);
}

/* ---- the reviews through investigation and the three steps ----------- */

static int
open_reviews(const struct staff *s)
{
	json_t *out = NULL;
	if (client_list(
	        port_approval, "/reviews?status=open", s, "reviews", &out)
	    != 200) {
		json_decref(out);
		return -1;
	}
	int n = (int) json_array_size(out);
	json_decref(out);
	return n;
}

static const char *const steps[][3] = {
	{ "VILLAGE_REVIEW", "village-review", "village_reviewer" },
	{ "TOWNSHIP_CONFIRM", "township-confirmation", "township_officer" },
	{ "DISTRICT_FILING", "district-filing", "district_officer" },
};

static json_t *
step_body(int step, json_t *c)
{
	/* The differences between declared and reported income are in the
	 * township's queue (issue 10): the officer confirms having read
	 * them. */
	if (step == 1
	    && json_integer_value(json_object_get(c, "discrepancy_count")) > 0)
		return json_pack("{s:s, s:s, s:b}", "decision", "approve",
		    "reason", "the review's outcome stands",
		    "discrepancies_seen", 1);
	switch (step) {
	case 0:
		return json_pack("{s:s, s:s}", "decision", "pass", "reason",
		    "the visit confirms the change");
	case 1:
		return json_pack("{s:s, s:s}", "decision", "approve", "reason",
		    "the review's outcome stands");
	default:
		return json_pack(
		    "{s:b, s:s}", "spot_check", 0, "note", "filed");
	}
}

/* Every review case at step's stage within juris: the step taken by
 * user. Returns how many. */
static int
step_reviews(int step, const char *juris, const char *user)
{
	struct staff s;
	char         path[160];
	client_issue(&s, user, steps[step][2], juris, NULL);
	snprintf(
	    path, sizeof(path), "/cases?kind=review&stage=%s", steps[step][0]);
	json_t *out = NULL;
	int     n   = 0;
	if (client_list(port_approval, path, &s, "cases", &out) == 200) {
		size_t  i;
		json_t *c;
		json_array_foreach(out, i, c)
		{
			snprintf(path, sizeof(path), "/cases/%s/%s",
			    str(c, "case_id"), steps[step][1]);
			if (client_call(port_approval, "POST", path, &s,
			        step_body(step, c), NULL)
			    == 200)
				n++;
		}
	}
	json_decref(out);
	return n;
}

/* The places of the register: each village once, each township once. */
static int
places(char (*out)[16], int cap, bool townships)
{
	int n = 0;
	for (int i = 0; i < nbens; i++) {
		const char *p = townships ? bens[i].township : bens[i].village;
		bool        seen = false;
		for (int j = 0; j < n && !seen; j++)
			seen = strcmp(out[j], p) == 0;
		if (!seen && n < cap && p[0] != '\0')
			copy(out[n++], sizeof(out[0]), p);
	}
	return n;
}

/* Staff work the open reviews until none is left or 60 s pass. */
static int
work_reviews(const struct staff *dist)
{
	static char villages[1000][16], townships[100][16];
	int         nv    = places(villages, 1000, false);
	int         nt    = places(townships, 100, true);
	int         filed = 0, reported = 0;
	uint64_t    end = th_now_ms() + 60000;
	while (th_now_ms() < end) {
		for (int v = 0; v < nv; v++) {
			char user[48];
			client_report_visits(
			    port_invest, villages[v], 500 + v * 2, &reported);
			snprintf(
			    user, sizeof(user), "reviewer-%.15s", villages[v]);
			step_reviews(0, villages[v], user);
		}
		for (int t = 0; t < nt; t++) {
			char user[48];
			snprintf(
			    user, sizeof(user), "officer-%.15s", townships[t]);
			step_reviews(1, townships[t], user);
		}
		filed += step_reviews(2, CLIENT_DISTRICT, "district-1");
		if (open_reviews(dist) == 0)
			break;
		th_sleep_ms(500); /* the staff's next round */
	}
	return filed;
}

/* ---- finance pays next month ------------------------------------------ */

/* The run's price subsidy lines by category and its corrections of
 * earlier months, from GET /runs/{id}/plan. */
static void
print_plan(const struct staff *fin, const char *id)
{
	char    path[128], yuan[SN_FEN_FMT_MAX];
	json_t *plan = NULL;
	snprintf(path, sizeof(path), "/runs/%s/plan", id);
	if (client_call(port_disb, "GET", path, fin, NULL, &plan) != 200) {
		json_decref(plan);
		return;
	}
	size_t  i;
	json_t *c;
	json_array_foreach(json_object_get(plan, "price_subsidy"), i, c)
	{
		sn_fen_format(
		    json_integer_value(json_object_get(c, "total_fen")), yuan);
		printf("      price subsidy, %s: %lld households, %lld "
		       "persons, %s yuan\n",
		    str(c, "category"),
		    (long long) json_integer_value(
		        json_object_get(c, "payments")),
		    (long long) json_integer_value(
		        json_object_get(c, "persons")),
		    yuan);
	}
	json_t *cor = json_object_get(plan, "corrections");
	if (json_integer_value(json_object_get(cor, "back_payments")) > 0
	    || json_integer_value(json_object_get(cor, "recoveries")) > 0) {
		char rec[SN_FEN_FMT_MAX];
		sn_fen_format(
		    json_integer_value(json_object_get(cor, "back_fen")),
		    yuan);
		sn_fen_format(
		    json_integer_value(json_object_get(cor, "recovery_fen")),
		    rec);
		printf("      corrections of earlier months: %lld "
		       "back-payments, %s yuan; %lld recoveries, %s yuan\n",
		    (long long) json_integer_value(
		        json_object_get(cor, "back_payments")),
		    yuan,
		    (long long) json_integer_value(
		        json_object_get(cor, "recoveries")),
		    rec);
	}
	json_decref(plan);
}

/* Pays next month; prints the month's line. */
static bool
pay_month(int k, int filed)
{
	struct staff fin, apr;
	client_issue(&fin, "finance-1", "finance", CLIENT_DISTRICT, NULL);
	client_issue(
	    &apr, "approver-1", "finance_approver", CLIENT_DISTRICT, NULL);
	char     period[SN_MONTH_STRLEN], body[128], path[128];
	sn_month next = sn_month_add(sn_clock_month(), 1);
	sn_month_format(next, period);
	snprintf(body, sizeof(body),
	    "{\"fund\":\"price_subsidy\",\"year\":%d,"
	    "\"amount_fen\":1000000000}",
	    (int) next.year);
	client_call(port_disb, "POST", "/budgets", &fin,
	    json_loads(body, 0, NULL), NULL);
	json_t *r = NULL;
	snprintf(body, sizeof(body), "{\"period\":\"%s\"}", period);
	if (client_call(port_disb, "POST", "/runs", &fin,
	        json_loads(body, 0, NULL), &r)
	    != 202) {
		json_decref(r);
		fprintf(stderr, PROG ": the run of %s was refused\n", period);
		return false;
	}
	char id[64];
	copy(id, sizeof(id), str(r, "id"));
	json_decref(r);
	json_decref(
	    client_wait_run(port_disb, &fin, id, "awaiting_approval", 300000));
	snprintf(path, sizeof(path), "/runs/%s/approval", id);
	if (client_call(port_disb, "POST", path, &apr,
	        json_pack("{s:s}", "decision", "approve"), NULL)
	    != 200)
		return false;
	json_t *run
	    = client_wait_run(port_disb, &fin, id, "completed", 300000);
	json_t *rec = NULL;
	snprintf(path, sizeof(path), "/runs/%s/reconciliation", id);
	client_call(port_disb, "GET", path, &fin, NULL, &rec);
	char yuan[SN_FEN_FMT_MAX];
	sn_fen_format(
	    json_integer_value(json_object_get(run, "total_fen")), yuan);
	bool ok = strcmp(str(run, "status"), "completed") == 0
	    && json_is_true(json_object_get(rec, "balanced"));
	printf("  month %d (%s): %d review cases filed; paid %s: %lld "
	       "payments, %s yuan; reconciliation %s\n",
	    k,
	    sn_month_format(sn_clock_month(), (char[SN_MONTH_STRLEN]) { 0 }),
	    filed, period,
	    (long long) json_integer_value(json_object_get(run, "payments")),
	    yuan, ok ? "balanced" : "NOT balanced");
	print_plan(&fin, id);
	json_decref(rec);
	json_decref(run);
	return ok;
}

/* ---- the summary ------------------------------------------------------- */

static void
summary(const struct staff *dist)
{
	json_t *out = NULL;
	client_list(port_approval, "/reviews", dist, "reviews", &out);
	json_t *kinds = json_object(), *outcomes = json_object();
	size_t  i;
	json_t *r;
	json_array_foreach(out, i, r)
	{
		const char *kind = str(r, "kind");
		json_object_set_new(kinds, kind,
		    json_integer(
		        json_integer_value(json_object_get(kinds, kind)) + 1));
		if (strcmp(str(r, "status"), "closed") != 0)
			continue;
		char    path[128];
		json_t *c = NULL;
		snprintf(path, sizeof(path), "/cases/%s", str(r, "case_id"));
		client_call(port_approval, "GET", path, dist, NULL, &c);
		const char *o
		    = str(json_object_get(c, "review_outcome"), "outcome");
		if (o[0] == '\0')
			o = "(none)";
		json_object_set_new(outcomes, o,
		    json_integer(
		        json_integer_value(json_object_get(outcomes, o)) + 1));
		json_decref(c);
	}
	const char *key;
	json_t     *v;
	printf("\n  reviews opened by kind:");
	json_object_foreach(kinds, key, v)
	    printf(" %s %lld", key, (long long) json_integer_value(v));
	printf("\n  outcomes of those closed:");
	json_object_foreach(outcomes, key, v)
	    printf(" %s %lld", key, (long long) json_integer_value(v));
	printf("\n  still open: %d\n", open_reviews(dist));
	json_decref(kinds);
	json_decref(outcomes);
	json_decref(out);
	load_register(dist);
	static const char *st[]
	    = { "ACTIVE", "GRADUAL_EXIT", "SUSPENDED", "EXITED" };
	printf("  the register now:");
	for (size_t s = 0; s < sizeof(st) / sizeof(st[0]); s++) {
		int n = 0;
		for (int b = 0; b < nbens; b++)
			n += strcasecmp(bens[b].status, st[s]) == 0;
		printf(" %s %d", st[s], n);
	}
	printf("\n");
}

int
main(int argc, char **argv)
{
	int k = 0;
	/* The month's summary is this program's output: the clock's own
	 * warning that it is shifted (the point of a simulated month) stays
	 * out of it. */
	sn_log_init(PROG, SN_LOG_ERROR);
	if (sn_clock_setup() != SN_OK)
		return 2;
	if (argc == 3 && strcmp(argv[1], "--month") == 0)
		k = atoi(argv[2]);
	else if (!(argc == 2 && strcmp(argv[1], "--summary") == 0)) {
		fprintf(stderr, "usage: " PROG " --month K | --summary\n");
		return 2;
	}
	if ((argc == 3 && (k < 1 || k > 24)) || !client_open(PROG))
		return 2;
	port_intake   = client_port("SN_INTAKE_HTTP_URL");
	port_invest   = client_port("SN_INVESTIGATION_HTTP_URL");
	port_approval = client_port("SN_APPROVAL_HTTP_URL");
	port_disb     = client_port("SN_DISBURSEMENT_HTTP_URL");
	if (getenv("SN_AGENCY_SIM_HTTP_URL") != NULL)
		port_agency = client_port("SN_AGENCY_SIM_HTTP_URL");
	if (getenv("SN_EMERGENCY_HTTP_URL") != NULL)
		port_emerg = client_port("SN_EMERGENCY_HTTP_URL");
	struct staff dist, admin;
	client_issue(
	    &dist, "district-1", "district_officer", CLIENT_DISTRICT, NULL);
	client_issue(
	    &admin, "admin-1", "district_admin", CLIENT_DISTRICT, NULL);
	bool ok = true;
	if (k == 0)
		summary(&dist);
	else if (!load_register(&dist)) {
		fprintf(stderr, PROG ": the register did not answer\n");
		ok = false;
	} else {
		month_events(k, &dist, &admin);
		/* The changes reach approval over the bus: a moment. */
		th_sleep_ms(1500);
		int filed = work_reviews(&dist);
		ok        = pay_month(k, filed);
	}
	client_close();
	return ok ? 0 : 1;
}
