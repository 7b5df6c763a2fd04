/*
 * sn-district: a small district run through the whole application path,
 * over the services' HTTP APIs, as its staff would do it. The README's
 * first command runs it as the main job; with more households it is the
 * application-path benchmark.
 *
 *   sn-district [--households N] [--townships T] [--villages V]
 *               [--seed S] [--workers W] [--staff W] [--idle-ms MS]
 *               [--deadline SECONDS] [--bench] [--db URL]
 *
 * It generates T townships of V villages each and N households with
 * varied circumstances (registration, size, ages, labour capacity,
 * disability, declared incomes and expenditures; agency-sim derives what
 * the agencies know from each identity number), submits them to intake
 * as clerks of their townships, has two investigators per village report
 * every home visit, and has a village reviewer, a township officer and a
 * district officer (all different people) take every case through the
 * three approval steps. They all work at once, as in a district: the
 * clerks submit while every investigator team, reviewer and officer
 * reads its own list and works what is on it, reading it again after a
 * short back-off when it is empty (--staff threads share that work,
 * --workers threads are the clerks; --idle-ms bounds the back-off). It
 * prints the decisions by category and tier,
 * with the monthly amounts and how long the cases took; then, where
 * disbursement runs, finance pays the first month of the approved
 * households through a payment run and the bank (bank-gateway, and
 * bank-sim behind it in ISO 20022).
 *
 * `sn-district --fixture FILE` (same sizes and seed) writes instead the
 * agencies' records of every generated person, for agency-sim
 * (SN_AGENCY_SIM_FIXTURE), so that what the agencies report matches each
 * household's circumstances: deploy/local/run does that first.
 *
 * Settings: SN_IDENTITY_HTTP_URL with SN_IDENTITY_ADMIN_USER and
 * SN_IDENTITY_ADMIN_PASSWORD(_FILE) (the staff log in to identity), or
 * else SN_TOKEN_SIGNING_KEY(_FILE) (to mint their tokens: tests), and
 * SN_INTAKE_HTTP_URL, SN_INVESTIGATION_HTTP_URL, SN_APPROVAL_HTTP_URL
 * ("http://127.0.0.1:PORT", as deploy/local/run exports them).
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "client.h"
#include "harness.h"
#include "pgref.h"
#include "sn/auth.h"
#include "sn/clock.h"
#include "sn/db.h"
#include "sn/idnum.h"
#include "sn/money.h"

#define DISTRICT CLIENT_DISTRICT
#define MAX_TOWNSHIPS 9
#define MAX_VILLAGES 99

struct app {
	char     id[64];
	char     village[32];
	char     township[32];
	uint64_t submitted_ms;
	uint64_t decided_ms;
	uint64_t filed_ms;
	char    *body;  /* the generated application, JSON */
	int      tno;   /* township index */
	int      state; /* 0 submitted, 1 reported, 2 reviewed, 3 confirmed, 4
	                   filed, 5 ended */
	char    category[24];
	char    tier[16];
	int64_t amount_fen;
	bool    approved;
};

static int             port_intake, port_invest, port_approval, port_disb;
static uint64_t        rng         = 88172645463325252ull;
static int             nhouseholds = 500, ntownships = 2, nvillages = 5;
static int             deadline_s = 300;
static struct app     *apps;
static pthread_mutex_t apps_mu = PTHREAD_MUTEX_INITIALIZER;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int
pick(int n)
{
	return (int) (next_rand() % (uint64_t) n);
}

/* Identity numbers handed out so far: a person appears in one household
 * only (open addressing over the 17 digits read as a number). */
static uint64_t *used;
static size_t    nused_cap;

static bool
claim_number(uint64_t v)
{
	if (used == NULL) {
		nused_cap = 1u << 20;
		used      = calloc(nused_cap, sizeof(*used));
	}
	size_t i = (size_t) (v * 11400714819323198485ull) & (nused_cap - 1);
	while (used[i] != 0) {
		if (used[i] == v)
			return false;
		i = (i + 1) & (nused_cap - 1);
	}
	used[i] = v;
	return true;
}

/* A valid identity number born on y-m-d in the district, never handed
 * out before (the sequence part moves on until it is new). */
static void
make_idnum(char out[19], int y, int m, int d, int seq)
{
	char first[48];
	for (int k = 0;; k++) {
		snprintf(first, sizeof(first), "%s%04d%02d%02d%03d", DISTRICT,
		    y % 10000, m % 100, d % 100, (seq + k) % 1000);
		if (claim_number(strtoull(first, NULL, 10) + 1))
			break;
	}
	memcpy(out, first, 17);
	out[17] = sn_idnum_check_char(first);
	out[18] = '\0';
}

static const char *registrations[] = { "urban", "rural" };
static const char *labours[]       = { "full", "partial", "none" };
static const char *selfcare[]      = { "able", "partially_able", "unable" };

/*
 * The agencies' records of every generated person (agency-sim's fixture
 * format), so that what the agencies know matches each household's
 * circumstances: written by --fixture before the services start.
 */
static json_t *fixture;

enum profile {
	P_TEKUN,       /* nobody can work, no income, no supporter */
	P_DIBAO,       /* income per member below the standard */
	P_EXPENDITURE, /* above the standard, but medical costs pull it under
	                */
	P_LOW_INCOME,  /* between the standard and 1.5 times it */
	P_ASSETS,      /* poor on paper, but two homes or a car */
	P_ABOVE,       /* earns well above every threshold */
};

static enum profile
pick_profile(void)
{
	int r = pick(100);
	return r < 10 ? P_TEKUN
	    : r < 45  ? P_DIBAO
	    : r < 57  ? P_EXPENDITURE
	    : r < 72  ? P_LOW_INCOME
	    : r < 80  ? P_ASSETS
	              : P_ABOVE;
}

/* One person's agency record: wages and the rest as the profile says. */
static json_t *
record(
    int64_t wages, int64_t pension, int homes, int vehicles, int64_t deposits)
{
	return json_pack("{s:b, s:b, s:I, s:I, s:b, s:i, s:i, s:I, s:I}",
	    "registered", 1, "alive", 1, "wages_fen", (json_int_t) wages,
	    "pension_fen", (json_int_t) pension, "social_insurance",
	    wages > 0 || pension > 0, "homes", homes, "vehicles", vehicles,
	    "taxed_income_fen", (json_int_t) wages, "deposits_fen",
	    (json_int_t) deposits);
}

static json_t *
household(int h, const char *township, const char *village, const char *reg,
    char first_id[19])
{
	enum profile pr      = pick_profile();
	int          members = pr == P_TEKUN ? 1 + pick(2) : 1 + pick(5);
	int64_t      S       = strcmp(reg, "urban") == 0 ? 83000 : 63000;
	/* Monthly household income the agencies will report, by profile
	 * (per member, in fen, against the standard S). */
	int64_t per = 0, medical = 0;
	switch (pr) {
	case P_TEKUN:
		per = 0;
		break;
	case P_DIBAO:
	case P_ASSETS:
		per = S * (20 + pick(70)) / 100;
		break;
	case P_EXPENDITURE:
		per     = S * (105 + pick(30)) / 100;
		medical = (per - S + S * (10 + pick(40)) / 100) * members;
		break;
	case P_LOW_INCOME:
		per = S * (105 + pick(40)) / 100;
		break;
	case P_ABOVE:
		per = S * (160 + pick(200)) / 100;
		break;
	}
	int64_t income = per * members;
	int64_t pension
	    = pr == P_DIBAO && pick(3) == 0 ? income / 2 : 0; /* the elderly */
	int64_t wages = income - pension;
	json_t *ms    = json_array();
	for (int i = 0; i < members; i++) {
		int  y = i == 0 ? 1945 + pick(55) : 1950 + pick(70);
		int  m = 1 + pick(12), d = 1 + pick(28);
		char idn[19], birth[48];
		make_idnum(idn, y, m, d, (h * 7 + i) % 1000);
		snprintf(birth, sizeof(birth), "%04d-%02d-%02d", y, m, d);
		if (i == 0)
			memcpy(first_id, idn, 19);
		bool earner = i == 0;
		json_object_set_new(fixture, idn,
		    record(earner ? wages : 0, earner ? pension : 0,
		        i == 0 ? (pr == P_ASSETS && pick(2) ? 2 : pick(3) == 0)
		               : 0,
		        i == 0 && pr == P_ASSETS ? pick(2) : 0,
		        i == 0 ? (int64_t) pick(300) * 1000 : 0));
		const char *labour = pr == P_TEKUN ? "none"
		    : i == 0 && wages > 0          ? "full"
		                                   : labours[pick(3)];
		json_array_append_new(ms,
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s}",
		        "id_number", idn, "name",
		        i == 0 ? "Applicant" : "Member", "relation",
		        i == 0 ? "self" : (i == 1 ? "spouse" : "child"),
		        "birth_date", birth, "labour_capacity", labour,
		        "disability_grade",
		        pr == P_TEKUN ? 1 + pick(4) : (pick(10) == 0 ? 3 : 0),
		        "self_care",
		        pr == P_TEKUN ? selfcare[1 + pick(2)] : selfcare[0]));
	}
	char addr[64];
	snprintf(addr, sizeof(addr), "No. %d, village %s", h + 1, village);
	/* Most declare what the agencies know; some declare less. */
	int64_t declared = pick(8) == 0 ? wages * 3 / 4 : wages;
	json_t *app      = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:b},"
	                                  " s:o,"
	                                  " s:{s:I, s:I, s:I, s:I},"
	                                  " s:{s:I, s:I, s:I, s:I},"
	                                  " s:{s:s, s:s},"
	                                  " s:{s:s, s:s, s:s}}",
	         "household", "registration", reg, "district_code", DISTRICT,
	         "township_code", township, "village_code", village, "address",
	         addr, "has_able_supporter", pr != P_TEKUN && pick(2) == 0,
	         "members", ms, "declared_income", "wages_fen",
	         (json_int_t) declared, "business_fen", (json_int_t) 0,
	         "pensions_fen", (json_int_t) pension, "other_fen", (json_int_t) 0,
	         "declared_expenditure", "medical_fen", (json_int_t) medical,
	         "education_fen",
	         (json_int_t) (pr == P_LOW_INCOME && pick(2) ? 15000 : 0),
	         "housing_fen", (json_int_t) 0, "employment_costs_fen",
	         (json_int_t) 0, "consent", "reference", "CONSENT", "signed_date",
	         "2026-11-01", "payee", "bank_code", "RCB", "account_number",
	         "6217000000000000000", "account_name", "Applicant");
	char    ref[48];
	snprintf(ref, sizeof(ref), "CONSENT-%06d", h + 1);
	json_object_set_new(
	    json_object_get(app, "consent"), "reference", json_string(ref));
	char acct[32];
	snprintf(acct, sizeof(acct), "62170000%011d", h + 1);
	json_object_set_new(json_object_get(app, "payee"), "account_number",
	    json_string(acct));
	return app;
}

/*
 * The applications by id: filled in as intake answers, read by the staff
 * while the clerks still submit (under apps_mu; open addressing over
 * twice as many slots as households).
 */
static struct app **by_id;
static size_t       by_id_cap;
static atomic_bool  submitting; /* the clerks are not done */

static size_t
id_slot(const char *id)
{
	uint32_t h = 2166136261u;
	for (const char *c = id; *c != '\0'; c++)
		h = (h ^ (unsigned char) *c) * 16777619u;
	return (size_t) h & (by_id_cap - 1);
}

static void
index_open(void)
{
	by_id_cap = 64;
	while (by_id_cap < 2 * (size_t) nhouseholds)
		by_id_cap *= 2;
	by_id = calloc(by_id_cap, sizeof(*by_id));
}

/* Under apps_mu. */
static void
index_add(struct app *a)
{
	size_t i = id_slot(a->id);
	while (by_id[i] != NULL)
		i = (i + 1) & (by_id_cap - 1);
	by_id[i] = a;
}

static struct app *
index_get(const char *id)
{
	struct app *hit = NULL;
	pthread_mutex_lock(&apps_mu);
	for (size_t i = id_slot(id); by_id[i] != NULL;
	     i        = (i + 1) & (by_id_cap - 1))
                if (strcmp(by_id[i]->id, id) == 0) {
			       hit = by_id[i];
			       break;
                }
	pthread_mutex_unlock(&apps_mu);
	return hit;
}

/* The application of case id; NULL for a case this run did not submit.
 * While the clerks submit, a case may reach a list before its clerk has
 * read intake's answer: that is waited for (at most 10 s). */
static struct app *
app_find(const char *id)
{
	struct app *a = index_get(id);
	for (int i = 0; a == NULL && i < 500 && atomic_load(&submitting);
	     i++) {
		th_sleep_ms(20);
		a = index_get(id);
	}
	return a;
}

/* ---- the staff: one name per role and place ---------------------------- */

/* Township t's clerk and officer, village (t, v)'s reviewer and
 * investigator, the district's officer, finance and approver. */
static void
issue_township(struct staff *s, const char *role, const char *prefix, int t)
{
	char code[32], user[32];
	client_code(code, sizeof(code), t, -1);
	snprintf(user, sizeof(user), "%s-%d", prefix, t + 1);
	client_issue(s, user, role, code, NULL);
}

static void
issue_reviewer(struct staff *s, int t, int v)
{
	char village[32], user[48];
	client_code(village, sizeof(village), t, v);
	snprintf(user, sizeof(user), "reviewer-%s", village);
	client_issue(s, user, "village_reviewer", village, NULL);
}

/* The staff number of village (t, v)'s investigators. */
static int
investigator_no(int t, int v)
{
	return t * 200 + v * 2;
}

static void
issue_district(struct staff *district, struct staff *fin, struct staff *apr)
{
	if (district != NULL)
		client_issue(district, "district-1", "district_officer",
		    DISTRICT, NULL);
	if (fin != NULL)
		client_issue(fin, "finance-1", "finance", DISTRICT, NULL);
	if (apr != NULL)
		client_issue(
		    apr, "approver-1", "finance_approver", DISTRICT, NULL);
}

/*
 * Every member of staff the run will need, issued (with identity: created
 * and logged in) before the clock starts. Each login is an argon2id hash
 * or two on identity, and the client holds its session lock while it
 * logs in: done in the middle of the run, the logins took a third of the
 * machine and held every worker thread (the cases took 20 s to a decision
 * instead of 8). Later issues of the same staff find the sessions made
 * here.
 */
static void
staff_log_in(void)
{
	struct staff s, f, a;
	char         village[32], idn[19];
	for (int t = 0; t < ntownships; t++) {
		issue_township(&s, "clerk", "clerk", t);
		issue_township(&s, "township_officer", "officer", t);
		for (int v = 0; v < nvillages; v++) {
			client_code(village, sizeof(village), t, v);
			client_issue_investigator(
			    &s, village, investigator_no(t, v), idn);
			issue_reviewer(&s, t, v);
		}
	}
	issue_district(&s, &f, &a);
}

/* ---- the clerks submit ------------------------------------------------ */

struct clerk {
	int       id;
	int       nclerks;
	int       done;
	int       failed;
	pthread_t tid;
};

static void *
submit_worker(void *arg)
{
	struct clerk *w = arg;
	struct staff  clerk[MAX_TOWNSHIPS];
	for (int t = 0; t < ntownships; t++)
		issue_township(&clerk[t], "clerk", "clerk", t);
	for (int h = w->id; h < nhouseholds; h += w->nclerks) {
		struct app *a   = &apps[h];
		json_t     *out = NULL;
		int st = client_call(port_intake, "POST", "/applications",
		    &clerk[a->tno], json_loads(a->body, 0, NULL), &out);
		const char *id = json_string_value(
		    json_object_get(out, "application_id"));
		if (st != 201 || id == NULL) {
			char *dump = out ? json_dumps(out, 0) : NULL;
			fprintf(stderr, "intake refused household %d: %d %s\n",
			    h, st, dump ? dump : "");
			free(dump);
			pthread_mutex_lock(&apps_mu);
			a->state = 5;
			pthread_mutex_unlock(&apps_mu);
			w->failed++;
		} else {
			pthread_mutex_lock(&apps_mu);
			a->submitted_ms = th_now_ms();
			snprintf(a->id, sizeof(a->id), "%s", id);
			index_add(a);
			pthread_mutex_unlock(&apps_mu);
			w->done++;
		}
		json_decref(out);
	}
	return NULL;
}

/* ---- the investigators report ---------------------------------------- */

static int
report_village(int t, int v, int *reported)
{
	char village[32];
	client_code(village, sizeof(village), t, v);
	return client_report_visits(
	    port_invest, village, investigator_no(t, v), reported);
}

/* ---- the three approval steps ------------------------------------- */

static int
list_cases(const struct staff *s, const char *stage, json_t **out)
{
	char path[96];
	snprintf(path, sizeof(path), "/cases?stage=%s", stage);
	return client_list(port_approval, path, s, "cases", out);
}

/* One step on one case from a list; true if it was taken. */
static bool
step_one(const struct staff *s, json_t *c, const char *step)
{
	const char *id  = json_string_value(json_object_get(c, "case_id"));
	const char *cat = json_string_value(json_object_get(c, "category"));
	json_t     *body;
	if (strcmp(step, "village-review") == 0)
		body = json_pack("{s:s, s:s}", "decision", "pass", "reason",
		    "the visit confirms the declaration");
	else if (strcmp(step, "township-confirmation") == 0) {
		body = cat != NULL && strcmp(cat, "none") != 0
		    ? json_pack("{s:s, s:s}", "decision", "approve", "reason",
		        "meets the standard")
		    : json_pack("{s:s, s:s}", "decision", "reject", "reason",
		        "above every threshold");
		/* The officer has the declared-against-reported differences
		 * in the queue (issue 10) and confirms having read them. */
		if (json_integer_value(json_object_get(c, "discrepancy_count"))
		    > 0)
			json_object_set_new(
			    body, "discrepancies_seen", json_true());
	} else
		body = json_pack(
		    "{s:b, s:s}", "spot_check", 0, "note", "filed");
	char path[128];
	snprintf(path, sizeof(path), "/cases/%s/%s", id, step);
	json_t *ans = NULL;
	int     st  = client_call(port_approval, "POST", path, s, body, &ans);
	if (st != 200) {
		if (st != 409) {
			char *why = ans ? json_dumps(ans, 0) : NULL;
			fprintf(stderr, "%s refused: %d %s\n", step, st,
			    why ? why : "");
			free(why);
		}
		json_decref(ans);
		return false;
	}
	json_decref(ans);
	uint64_t    now = th_now_ms();
	struct app *a   = app_find(id);
	if (a == NULL)
		return true;
	pthread_mutex_lock(&apps_mu);
	if (strcmp(step, "township-confirmation") == 0) {
		snprintf(a->category, sizeof(a->category), "%s",
		    cat ? cat : "none");
		const char *tier
		    = json_string_value(json_object_get(c, "tier"));
		snprintf(a->tier, sizeof(a->tier), "%s", tier ? tier : "-");
		a->amount_fen = json_integer_value(
		    json_object_get(c, "monthly_amount_fen"));
		a->approved   = cat != NULL && strcmp(cat, "none") != 0;
		a->decided_ms = now;
		if (!a->approved)
			a->state = 5;
	} else if (strcmp(step, "district-filing") == 0) {
		a->filed_ms = now;
		a->state    = 4;
	}
	pthread_mutex_unlock(&apps_mu);
	return true;
}

/* ---- the staff at work -------------------------------------------------- */

/*
 * Every list a member of staff works, and when it is next read. Each
 * village's investigators (their open visits) and reviewer, each
 * township's officer and the district officer read their list, work what
 * is on it, and read it again; an empty list is read again after a
 * back-off that doubles (from --idle-min-ms to --idle-max-ms) while it
 * stays empty and halves when cases come, so that the lists read (each a
 * PostgreSQL transaction) stay about one per case while a list is busy
 * and at most one per list and --idle-max-ms while it is not. A list is
 * read again only once every case of its last reading has been worked.
 */
enum list_kind { L_VISITS, L_REVIEW, L_CONFIRM, L_FILING };

struct list {
	enum list_kind kind;
	int            t, v; /* township, village (-1: none) */
	struct staff   s;    /* who reads it (the visits: client.c's) */
	const char    *stage, *step;
	uint64_t       due_ms;  /* not read again before */
	int            idle_ms; /* the back-off */
	bool           busy;    /* being read, or cases of it being worked */
	int            open;    /* cases of its last reading not yet worked */
};

/* A case of a list's reading, for any staff thread to work. */
struct item {
	struct list *l;
	json_t      *c;
};

static struct {
	pthread_mutex_t mu;
	struct list    *lists;
	int             nlists;
	struct item    *items; /* a stack: the latest reading first */
	size_t          nitems, cap;
	bool            stop;
	int             idle_min_ms, idle_max_ms;
	/* Figures: lists read, of which empty; steps taken. */
	long reads, empty, reported, reviewed, confirmed, filed;
} work = {
	.mu = PTHREAD_MUTEX_INITIALIZER, .idle_min_ms = 50, .idle_max_ms = 2000
};

static void
list_add(enum list_kind kind, int t, int v)
{
	struct list *l = &work.lists[work.nlists++];
	memset(l, 0, sizeof(*l));
	l->kind    = kind;
	l->t       = t;
	l->v       = v;
	l->idle_ms = work.idle_min_ms;
	switch (kind) {
	case L_VISITS:
		break;
	case L_REVIEW:
		issue_reviewer(&l->s, t, v);
		l->stage = "VILLAGE_REVIEW";
		l->step  = "village-review";
		break;
	case L_CONFIRM:
		issue_township(&l->s, "township_officer", "officer", t);
		l->stage = "TOWNSHIP_CONFIRM";
		l->step  = "township-confirmation";
		break;
	case L_FILING:
		issue_district(&l->s, NULL, NULL);
		l->stage = "DISTRICT_FILING";
		l->step  = "district-filing";
		break;
	}
}

static void
lists_open(void)
{
	work.lists
	    = calloc((size_t) (2 * ntownships * nvillages + ntownships + 1),
	        sizeof(*work.lists));
	for (int t = 0; t < ntownships; t++)
		for (int v = 0; v < nvillages; v++) {
			list_add(L_VISITS, t, v);
			list_add(L_REVIEW, t, v);
		}
	for (int t = 0; t < ntownships; t++)
		list_add(L_CONFIRM, t, -1);
	list_add(L_FILING, -1, -1);
}

/* Under work.mu: l's reading is worked through; found cases or not. */
static void
list_done(struct list *l, bool found)
{
	uint64_t now = th_now_ms();
	if (found) {
		l->idle_ms /= 2;
		if (l->idle_ms < work.idle_min_ms)
			l->idle_ms = work.idle_min_ms;
	} else {
		l->idle_ms *= 2;
		if (l->idle_ms > work.idle_max_ms)
			l->idle_ms = work.idle_max_ms;
	}
	l->due_ms = now + (uint64_t) l->idle_ms;
	l->busy   = false;
}

/* Reads list l (not under work.mu): the visits are reported at once, the
 * cases handed to the staff threads. */
static void
list_read(struct list *l)
{
	int     found = 0;
	json_t *cases = NULL;
	if (l->kind == L_VISITS) {
		report_village(l->t, l->v, &found);
		pthread_mutex_lock(&work.mu);
		work.reads++;
		work.reported += found;
		if (found == 0)
			work.empty++;
		list_done(l, found > 0);
		pthread_mutex_unlock(&work.mu);
		return;
	}
	if (list_cases(&l->s, l->stage, &cases) != 200) {
		json_decref(cases);
		cases = NULL;
	}
	size_t n = json_array_size(cases);
	pthread_mutex_lock(&work.mu);
	work.reads++;
	if (n == 0) {
		work.empty++;
		list_done(l, false);
	} else {
		if (work.nitems + n > work.cap) {
			size_t cap = work.cap ? work.cap : 256;
			while (cap < work.nitems + n)
				cap *= 2;
			work.items
			    = realloc(work.items, cap * sizeof(*work.items));
			work.cap = cap;
		}
		/* Pushed last first, so that the list is taken in its order.
		 */
		for (size_t i = n; i-- > 0;)
			work.items[work.nitems++] = (struct item) { l,
				json_incref(json_array_get(cases, i)) };
		l->open = (int) n;
	}
	pthread_mutex_unlock(&work.mu);
	json_decref(cases);
}

static void *
staff_worker(void *arg)
{
	(void) arg;
	pthread_mutex_lock(&work.mu);
	while (!work.stop) {
		if (work.nitems > 0) {
			struct item it = work.items[--work.nitems];
			pthread_mutex_unlock(&work.mu);
			bool took = step_one(&it.l->s, it.c, it.l->step);
			json_decref(it.c);
			pthread_mutex_lock(&work.mu);
			if (took) {
				long *n = it.l->kind == L_REVIEW
				    ? &work.reviewed
				    : it.l->kind == L_CONFIRM ? &work.confirmed
				                              : &work.filed;
				(*n)++;
			}
			if (--it.l->open == 0)
				list_done(it.l, true);
			continue;
		}
		/* No case waiting: the list due the longest. */
		uint64_t     now = th_now_ms(), next = now + 20;
		struct list *pick_l = NULL;
		for (int i = 0; i < work.nlists; i++) {
			struct list *l = &work.lists[i];
			if (l->busy)
				continue;
			if (l->due_ms <= now
			    && (pick_l == NULL || l->due_ms < pick_l->due_ms))
				pick_l = l;
			else if (l->due_ms < next)
				next = l->due_ms;
		}
		if (pick_l == NULL) {
			pthread_mutex_unlock(&work.mu);
			th_sleep_ms(next > now ? (int) (next - now) : 1);
			pthread_mutex_lock(&work.mu);
			continue;
		}
		pick_l->busy = true;
		pthread_mutex_unlock(&work.mu);
		list_read(pick_l);
		pthread_mutex_lock(&work.mu);
	}
	pthread_mutex_unlock(&work.mu);
	return NULL;
}

static int
count_state(int state)
{
	int n = 0;
	pthread_mutex_lock(&apps_mu);
	for (int i = 0; i < nhouseholds; i++)
		if (apps[i].state == state)
			n++;
	pthread_mutex_unlock(&apps_mu);
	return n;
}

/* A row of the latency queries below: what it is of (label), how many,
 * and percentiles in ms; a percentile is NULL when there are none
 * (printed as 0, as strtod("") gives). */
typedef struct latency_row {
	const char *label;
	const char *n;
	bool        has_p50, has_p95, has_p99;
	const char *p50, *p95, *p99;
} latency_row;

static const sn_col latency_cols[] = {
	SN_COL(latency_row, label, SN_COL_TEXT),
	SN_COL(latency_row, n, SN_COL_TEXT),
	SN_COL_OPT(latency_row, p50, SN_COL_TEXT, has_p50),
	SN_COL_OPT(latency_row, p95, SN_COL_TEXT, has_p95),
	SN_COL_OPT(latency_row, p99, SN_COL_TEXT, has_p99),
};

static double
ms_of(bool has, const char *v)
{
	return has ? strtod(v, NULL) : 0.0;
}

/* The percentiles of d.ms, for the queries below. */
#define PERCENTILES                                                           \
	" count(*) AS n,"                                                     \
	" percentile_cont(0.5) WITHIN GROUP (ORDER BY d.ms) AS p50,"          \
	" percentile_cont(0.95) WITHIN GROUP (ORDER BY d.ms) AS p95,"         \
	" percentile_cont(0.99) WITHIN GROUP (ORDER BY d.ms) AS p99"

/* Runs sql (rows of latency_cols) and prints each row as
 * "  <what><label> (<n> <unit>): p50 ..., p95 ..., p99 ...". */
static void
print_latencies(
    PGconn *pg, const char *sql, const char *what, const char *unit)
{
	PGresult   *r = PQexec(pg, sql);
	sn_rows     rows;
	latency_row l;
	if (PQresultStatus(r) != PGRES_TUPLES_OK
	    || sn_rows_open(&rows, r, latency_cols, SN_NCOLS(latency_cols))
	        != SN_OK) {
		fprintf(stderr, "sn-district: %s", PQresultErrorMessage(r));
		PQclear(r);
		return;
	}
	for (int i = 0; i < sn_rows_count(&rows); i++)
		if (sn_rows_read(&rows, i, &l) == SN_OK)
			printf("  %s%s (%s %s): p50 %.0f ms, p95 %.0f ms, p99 "
			       "%.0f ms\n",
			    what, l.label, l.n, unit, ms_of(l.has_p50, l.p50),
			    ms_of(l.has_p95, l.p95), ms_of(l.has_p99, l.p99));
	sn_rows_close(&rows);
	PQclear(r);
}

/*
 * Figures from the services' own tables, on the database's clock, on a
 * connection that may read every schema (the superuser's):
 *   - submission to verification.completed: intake's outbox row of each
 *     application.submitted against the first verification.completed of
 *     the same application in verification's;
 *   - supervision's lag behind each publisher: each event's time (its
 *     publisher's, at the append) to supervision's writing it into its
 *     log (events.ingested_at), the freshness of what supervisors and the
 *     hub see. Where one stream lags another, supervision meets events
 *     whose household is not linked yet (README Notes, 12-07).
 */
static void
service_latencies(const char *url)
{
	PGconn *pg = PQconnectdb(url);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "sn-district: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return;
	}
	print_latencies(pg,
	    "WITH v AS (SELECT subject, min(created_at) AS at"
	    "  FROM verification.outbox WHERE topic = 'verification.completed'"
	    "  GROUP BY subject),"
	    " d AS (SELECT extract(epoch FROM v.at - i.created_at) * 1000 AS "
	    "ms"
	    "  FROM intake.outbox i JOIN v ON v.subject = i.subject"
	    "  WHERE i.topic = 'application.submitted')"
	    " SELECT '' AS label," PERCENTILES " FROM d",
	    "submission to verification.completed", "checks");
	print_latencies(pg,
	    "SELECT d.source AS label," PERCENTILES " FROM (SELECT source,"
	    "  extract(epoch FROM ingested_at - time) * 1000 AS ms"
	    "  FROM supervision.events) d GROUP BY d.source ORDER BY d.source",
	    "supervision's lag behind ", "events");
	PQfinish(pg);
}

/*
 * Transactions committed in the whole database so far (pg_stat_database's
 * xact_commit: every service's schema is in it), on a connection of the
 * superuser's (--db); -1 when it cannot be read. The statistics are
 * flushed by each backend at most once a second, so the caller waits
 * before the second reading.
 */
typedef struct xact_row {
	int64_t n;
} xact_row;

static const sn_col xact_cols[] = { SN_COL(xact_row, n, SN_COL_I64) };

/* One bigint read from the database at url; -1 when it cannot be read. */
static int64_t
db_i64(const char *url, const char *sql)
{
	if (url == NULL)
		return -1;
	PGconn *pg = PQconnectdb(url);
	int64_t n  = -1;
	if (PQstatus(pg) == CONNECTION_OK) {
		PGresult *r = PQexec(pg, sql);
		xact_row  x;
		if (PQresultStatus(r) == PGRES_TUPLES_OK
		    && sn_rows_one(r, xact_cols, 1, &x) == SN_OK)
			n = x.n;
		PQclear(r);
	}
	PQfinish(pg);
	return n;
}

static int64_t
xact_commits(const char *url)
{
	return db_i64(url,
	    "SELECT xact_commit AS n FROM pg_stat_database"
	    " WHERE datname = current_database()");
}

/*
 * The transaction id the next writing transaction would be given
 * (pg_current_xact_id(), which gives its own transaction one); -1 when it
 * cannot be read. Transactions that only read get none: the difference
 * of two readings, less one, counts the writing transactions between.
 */
static int64_t
xact_id(const char *url)
{
	return db_i64(url, "SELECT pg_current_xact_id()::text::bigint AS n");
}

/*
 * Finance pays the first month of the approved households: budgets for
 * the year, a payment run for next month, approval by someone who decided
 * no case, and the bank (bank-sim, through bank-gateway) settles. A run
 * started before disbursement has heard of every new beneficiary would miss
 * some: it is then rejected and run again.
 */
static bool
pay_first_month(int want)
{
	struct staff fin, apr;
	issue_district(NULL, &fin, &apr);
	/* Next month in the district, as disbursement counts periods. */
	char     period[SN_MONTH_STRLEN], body[128];
	sn_month next = sn_month_add(sn_clock_month(), 1);
	sn_month_format(next, period);
	int                y       = (int) next.year;
	static const char *funds[] = { "dibao", "tekun" };
	for (int i = 0; i < 2; i++) {
		snprintf(body, sizeof(body),
		    "{\"fund\":\"%s\",\"year\":%d,\"amount_fen\":10000000000}",
		    funds[i], y);
		client_call(port_disb, "POST", "/budgets", &fin,
		    json_loads(body, 0, NULL), NULL);
	}
	uint64_t t0  = th_now_ms();
	json_t  *run = NULL;
	for (int attempt = 0; attempt < 10; attempt++) {
		json_t *r = NULL;
		snprintf(body, sizeof(body), "{\"period\":\"%s\"}", period);
		if (client_call(port_disb, "POST", "/runs", &fin,
		        json_loads(body, 0, NULL), &r)
		    != 202) {
			json_decref(r);
			fprintf(stderr,
			    "sn-district: the payment run was refused\n");
			return false;
		}
		char id[64];
		snprintf(id, sizeof(id), "%s",
		    json_string_value(json_object_get(r, "id")));
		json_decref(r);
		run = client_wait_run(
		    port_disb, &fin, id, "awaiting_approval", 120000);
		json_int_t n
		    = json_integer_value(json_object_get(run, "payments"));
		char path[128];
		snprintf(path, sizeof(path), "/runs/%s/approval", id);
		if (n >= want)
			break;
		/* Not every new beneficiary has reached disbursement yet. */
		json_decref(run);
		run = NULL;
		client_call(port_disb, "POST", path, &apr,
		    json_pack("{s:s, s:s}", "decision", "reject", "reason",
		        "not every beneficiary is in yet"),
		    NULL);
		th_sleep_ms(1000);
	}
	if (run == NULL) {
		fprintf(stderr, "sn-district: no complete payment run\n");
		return false;
	}
	char id[64], path[128];
	snprintf(id, sizeof(id), "%s",
	    json_string_value(json_object_get(run, "id")));
	json_decref(run);
	snprintf(path, sizeof(path), "/runs/%s/approval", id);
	if (client_call(port_disb, "POST", path, &apr,
	        json_pack("{s:s}", "decision", "approve"), NULL)
	    != 200) {
		fprintf(
		    stderr, "sn-district: the payment run was not approved\n");
		return false;
	}
	run = client_wait_run(port_disb, &fin, id, "completed", 300000);
	json_t *rec = NULL;
	snprintf(path, sizeof(path), "/runs/%s/reconciliation", id);
	client_call(port_disb, "GET", path, &fin, NULL, &rec);
	char yuan[SN_FEN_FMT_MAX];
	sn_fen_format(
	    json_integer_value(json_object_get(run, "total_fen")), yuan);
	printf("  first month paid (%s): %lld households, %s yuan, run %s in "
	       "%.1f s; reconciliation %s\n",
	    period,
	    (long long) json_integer_value(json_object_get(run, "payments")),
	    yuan, json_string_value(json_object_get(run, "status")),
	    (double) (th_now_ms() - t0) / 1000.0,
	    json_is_true(json_object_get(rec, "balanced")) ? "balanced"
	                                                   : "NOT balanced");
	bool ok = json_is_true(json_object_get(rec, "balanced"))
	    && json_integer_value(json_object_get(run, "payments")) == want;
	json_decref(rec);
	json_decref(run);
	return ok;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
	return x < y ? -1 : x > y;
}

/* p50, p95 and p99 of the decided cases' time to decision, from their
 * own submission (since 0) or from since. */
static void
percentiles(const char *what, uint64_t since)
{
	uint64_t *d = calloc((size_t) nhouseholds, sizeof(*d));
	int       n = 0;
	for (int h = 0; h < nhouseholds; h++)
		if (apps[h].decided_ms)
			d[n++] = apps[h].decided_ms
			    - (since ? since : apps[h].submitted_ms);
	qsort(d, (size_t) n, sizeof(*d), cmp_u64);
	if (n > 0)
		printf("  %s: p50 %.1f s, p95 %.1f s, p99 %.1f s\n", what,
		    (double) d[n / 2] / 1000.0,
		    (double) d[n * 95 / 100] / 1000.0,
		    (double) d[n * 99 / 100] / 1000.0);
	free(d);
}

int
main(int argc, char **argv)
{
	int         nworkers = 8, nstaff = 0;
	bool        bench        = false;
	const char *fixture_path = NULL;
	const char *db_url       = NULL;
	/* The services' clock (SN_DISTRICT_UTC_OFFSET_MIN), so that the
	 * visits and the first month are the district's. */
	if (sn_clock_setup() != SN_OK)
		return 2;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--households") == 0 && i + 1 < argc)
			nhouseholds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--townships") == 0 && i + 1 < argc)
			ntownships = atoi(argv[++i]);
		else if (strcmp(argv[i], "--villages") == 0 && i + 1 < argc)
			nvillages = atoi(argv[++i]);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			rng = strtoull(argv[++i], NULL, 10) | 1;
		else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
			nworkers = atoi(argv[++i]);
		else if (strcmp(argv[i], "--staff") == 0 && i + 1 < argc)
			nstaff = atoi(argv[++i]);
		else if (strcmp(argv[i], "--idle-ms") == 0 && i + 1 < argc)
			work.idle_max_ms = atoi(argv[++i]);
		else if (strcmp(argv[i], "--deadline") == 0 && i + 1 < argc)
			deadline_s = atoi(argv[++i]);
		else if (strcmp(argv[i], "--bench") == 0)
			bench = true;
		else if (strcmp(argv[i], "--fixture") == 0 && i + 1 < argc)
			fixture_path = argv[++i];
		else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db_url = argv[++i];
		else {
			fprintf(stderr,
			    "usage: sn-district [--households N] [--townships "
			    "T]"
			    " [--villages V] [--seed S] [--workers W]"
			    " [--staff W] [--idle-ms MS]"
			    " [--deadline SECONDS] [--bench] [--fixture FILE]"
			    " [--db URL]\n");
			return 2;
		}
	}
	if (ntownships < 1 || ntownships > MAX_TOWNSHIPS || nvillages < 1
	    || nvillages > MAX_VILLAGES || nhouseholds < 1 || nworkers < 1
	    || nworkers > 64 || nstaff < 0 || nstaff > 64
	    || work.idle_max_ms < work.idle_min_ms) {
		fprintf(stderr, "sn-district: bad sizes\n");
		return 2;
	}
	/* Generate everything first, so that the phases time only the
	 * system under test. The same sizes and seed generate the same
	 * district, which is how --fixture and the run agree. */
	fixture = json_object();
	apps    = calloc((size_t) nhouseholds, sizeof(*apps));
	for (int h = 0; h < nhouseholds; h++) {
		int  t = h % ntownships, v = (h / ntownships) % nvillages;
		char township[32], village[32], first[19];
		client_code(township, sizeof(township), t, -1);
		client_code(village, sizeof(village), t, v);
		json_t *body = household(
		    h, township, village, registrations[t % 2], first);
		apps[h].body = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		apps[h].tno = t;
		snprintf(
		    apps[h].village, sizeof(apps[h].village), "%s", village);
		snprintf(apps[h].township, sizeof(apps[h].township), "%s",
		    township);
	}
	if (fixture_path != NULL) {
		int rc = json_dump_file(fixture, fixture_path, JSON_COMPACT);
		printf("agency records of %zu persons written to %s\n",
		    json_object_size(fixture), fixture_path);
		return rc == 0 ? 0 : 1;
	}
	if (!client_open("sn-district"))
		return 2;
	port_intake   = client_port("SN_INTAKE_HTTP_URL");
	port_invest   = client_port("SN_INVESTIGATION_HTTP_URL");
	port_approval = client_port("SN_APPROVAL_HTTP_URL");
	/* Payments only where disbursement runs. */
	if (getenv("SN_DISBURSEMENT_HTTP_URL") != NULL)
		port_disb = client_port("SN_DISBURSEMENT_HTTP_URL");
	printf("district %s: %d townships, %d villages each, %d households\n",
	    DISTRICT, ntownships, nvillages, nhouseholds);

	if (nstaff == 0)
		nstaff = nworkers;
	staff_log_in();
	lists_open();
	index_open();
	int64_t  x0 = xact_commits(db_url), id0 = xact_id(db_url);
	uint64_t t0 = th_now_ms();
	/* A line a caller may act on (deploy/local/bench marks each
	 * process's CPU here and at "the clock stops"). */
	printf("  staff logged in: the clock starts\n");
	fflush(stdout);
	/* The clerks submit while the staff work their lists: a case moves
	 * on as soon as the next person reads a list it is on. */
	atomic_store(&submitting, true);
	struct clerk *ws = calloc((size_t) nworkers, sizeof(*ws));
	for (int i = 0; i < nworkers; i++) {
		ws[i].id      = i;
		ws[i].nclerks = nworkers;
		pthread_create(&ws[i].tid, NULL, submit_worker, &ws[i]);
	}
	pthread_t *sts = calloc((size_t) nstaff, sizeof(*sts));
	for (int i = 0; i < nstaff; i++)
		pthread_create(&sts[i], NULL, staff_worker, NULL);
	int submitted = 0, refused = 0;
	for (int i = 0; i < nworkers; i++) {
		pthread_join(ws[i].tid, NULL);
		submitted += ws[i].done;
		refused += ws[i].failed;
	}
	atomic_store(&submitting, false);
	uint64_t t_submit = th_now_ms() - t0;
	printf(
	    "  submitted %d applications in %.1f s (%d refused by intake)\n",
	    submitted, (double) t_submit / 1000.0, refused);

	/* Until every case is decided (and filed when approved) or the
	 * deadline passes: the staff threads' counts, read in memory. */
	uint64_t end = t0 + (uint64_t) deadline_s * 1000u;
	while (
	    th_now_ms() < end && count_state(4) + count_state(5) < nhouseholds)
		th_sleep_ms(20);
	uint64_t t_all = th_now_ms() - t0;
	int64_t  id1   = xact_id(db_url);
	printf("  the clock stops after %.1f s\n", (double) t_all / 1000.0);
	fflush(stdout);
	pthread_mutex_lock(&work.mu);
	work.stop = true;
	pthread_mutex_unlock(&work.mu);
	for (int i = 0; i < nstaff; i++)
		pthread_join(sts[i], NULL);
	for (size_t i = 0; i < work.nitems; i++)
		json_decref(work.items[i].c);
	int64_t x1 = -1;
	if (x0 >= 0) {
		th_sleep_ms(1500); /* every backend's statistics flushed */
		x1 = xact_commits(db_url);
	}

	/* The decisions by category and tier. */
	static const char *cats[]
	    = { "tekun", "dibao", "expenditure", "low_income", "none" };
	printf("\n  %-12s %-6s %10s %16s %14s %14s\n", "category", "tier",
	    "households", "monthly (yuan)", "to decision", "to filing");
	int decided = 0;
	for (size_t c = 0; c < sizeof(cats) / sizeof(cats[0]); c++) {
		int      n    = 0;
		int64_t  sum  = 0;
		uint64_t dsum = 0, fsum = 0;
		int      nf       = 0;
		char     tier[16] = "-";
		for (int h = 0; h < nhouseholds; h++) {
			struct app *a = &apps[h];
			if (a->decided_ms == 0
			    || strcmp(a->category, cats[c]) != 0)
				continue;
			n++;
			sum += a->amount_fen;
			dsum += a->decided_ms - a->submitted_ms;
			if (a->filed_ms) {
				fsum += a->filed_ms - a->submitted_ms;
				nf++;
			}
			snprintf(tier, sizeof(tier), "%s", a->tier);
		}
		decided += n;
		if (n == 0)
			continue;
		char yuan[SN_FEN_FMT_MAX], dt[32], ft[32];
		sn_fen_format(sum, yuan);
		snprintf(
		    dt, sizeof(dt), "%.1f s avg", (double) dsum / n / 1000.0);
		if (nf > 0)
			snprintf(ft, sizeof(ft), "%.1f s avg",
			    (double) fsum / nf / 1000.0);
		else
			snprintf(ft, sizeof(ft), "-");
		printf("  %-12s %-6s %10d %16s %14s %14s\n", cats[c], tier, n,
		    yuan, dt, ft);
	}
	int undecided = submitted - decided;
	printf("\n  decided %d of %d (%d filed, %d rejected); %d not decided "
	       "(held or still in progress)\n",
	    decided, submitted, count_state(4), decided - count_state(4),
	    undecided);
	printf("  whole run %.1f s: %.0f applications/s from submission to "
	       "decision\n",
	    (double) t_all / 1000.0,
	    t_all ? (double) decided * 1000.0 / (double) t_all : 0.0);
	if (bench) {
		percentiles("submission to decision", 0);
		/* What the round-based driver printed under that name: it
		 * stamped every case with the first submission's time. */
		percentiles("first submission to decision", t0);
	}
	if (x0 >= 0 && x1 >= x0 && submitted > 0)
		printf(
		    "  PostgreSQL transactions: %lld committed from the first "
		    "submission to the last decision, %.1f per application\n",
		    (long long) (x1 - x0), (double) (x1 - x0) / submitted);
	if (id0 >= 0 && id1 > id0 && submitted > 0)
		printf("  PostgreSQL writing transactions (transaction ids "
		       "given): %lld, %.1f per application\n",
		    (long long) (id1 - id0 - 1),
		    (double) (id1 - id0 - 1) / submitted);
	printf("  lists read by the staff: %ld (%ld empty), %.2f per "
	       "application; %d staff threads, %d clerks, lists re-read "
	       "after %d-%d ms when empty\n",
	    work.reads, work.empty,
	    submitted > 0 ? (double) work.reads / submitted : 0.0, nstaff,
	    nworkers, work.idle_min_ms, work.idle_max_ms);
	if (db_url != NULL)
		service_latencies(db_url);
	if (bench && db_url != NULL) {
		/* Each alert is a row, an event and a delivery to the 12388
		 * platform (inspection-sim's transaction): a district's
		 * handful a day, but every case of a run whose staff decide
		 * in seconds, at night in the district, unless the rules'
		 * thresholds are off (deploy/local/bench turns them off). */
		int64_t na = db_i64(
		    db_url, "SELECT count(*) AS n FROM supervision.alerts");
		if (na >= 0)
			printf(
			    "  anomaly alerts raised by supervision: %lld\n",
			    (long long) na);
	}
	if (bench && db_url != NULL && t_all > 0) {
		/* The same cluster's reference, after the run (not beside it:
		 * the run would slow pgbench down and pgbench the run). */
		const char *dir = getenv("TMPDIR");
		double      one = pgref_commits(
		         db_url, "public", dir != NULL ? dir : "/tmp", 5, 1);
		printf("  PostgreSQL reference, same cluster, pgbench "
		       "single-row INSERT commits, 1 client, 5 s:\n");
		pgref_line("applications decided",
		    (double) decided * 1000.0 / (double) t_all,
		    "applications/s", one, "pgbench 1 client");
	}
	bool paid = true;
	if (port_disb > 0) {
		int core = 0;
		for (int h = 0; h < nhouseholds; h++)
			if (apps[h].approved
			    && (strcmp(apps[h].category, "dibao") == 0
			        || strcmp(apps[h].category, "tekun") == 0))
				core++;
		paid = pay_first_month(core);
	}
	for (int h = 0; h < nhouseholds; h++)
		free(apps[h].body);
	free(by_id);
	free(apps);
	free(ws);
	free(sts);
	free(work.items);
	free(work.lists);
	json_decref(fixture);
	free(used);
	client_close();
	return undecided == 0 && refused == 0 && paid ? 0 : 1;
}
