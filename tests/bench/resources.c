/*
 * sn-resources: the main job's referrals and service projects (issue 13).
 * It plays the leading group's member departments (other organisations:
 * a simulator is legitimate here), the townships' clerks and the service
 * projects' partners, over services' HTTP API:
 *
 *   sn-resources [--answer] [--households N] [--workers W]
 *
 * 1. Every department of the registry (GET /departments) with referrals
 *    routed to it (the district officer's list says which: each login
 *    costs identity a password hash), logged in as its own service
 *    account (role department, unit its code), reads its queue (GET
 *    /department-referrals?status=routed) and answers each referral:
 *    accepted with its kind's grant from the registry (the amount and its
 *    period, or the service in words) from the first day of next month,
 *    or, for about 15 % of them (by a hash of the referral's id), declined
 *    with a reason. --answer stops here (deploy/local/run calls it right
 *    after the district's decisions, so that they are answered in time).
 * 2. The township clerks take the households with referrals, the first
 *    N (--households, 200) in the order they were referred: each one's
 *    matches (GET /households/{id}/matches), best first, and its first
 *    eligible member not yet enrolled is given a place in the first
 *    project with places left (POST /enrolments; 409 project_full or
 *    already_enrolled: the next one).
 * 3. The partner (role partner, unit its code) of each place given
 *    records one session, today, for each of its active enrolments.
 * 4. It prints the referrals by department and outcome (GET
 *    /statistics/referrals) and the places and sessions by domain (GET
 *    /statistics/enrolments), with the domains' Chinese names from the
 *    catalogue (SN_SERVICES_SEED_DIR/projects.json, when set), and the
 *    time it took.
 *
 * Any answer but the one expected (and the two 409s above) stops it with
 * exit 1 and a line saying which call answered what. Settings:
 * SN_SERVICES_HTTP_URL, the clock's (SN_TEST_CLOCK, SN_CLOCK_OFFSET_S:
 * the services' day) and client.h's.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "harness.h"
#include "sn/clock.h"
#include "sn/date.h"
#include "sn/log.h"
#include "sn/money.h"

#define PROG "sn-resources"
#define DECLINE_PCT 15

static int             port;
static uint64_t        ms_answer, ms_enrol, ms_sessions; /* each part's */
static int             nworkers = 8;
static atomic_bool     failed;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char            today[SN_DATE_STRLEN], next_month[SN_DATE_STRLEN];

static const char *
str(const json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));
	return s != NULL ? s : "";
}

static long long
num(const json_t *j, const char *key)
{
	return (long long) json_integer_value(json_object_get(j, key));
}

/* The problem's code of an answer ({"error": {"code"}}), or "". */
static const char *
problem_code(const json_t *out)
{
	return str(json_object_get(out, "error"), "code");
}

/* An answer not expected: says so once and stops every worker. */
static void
fail(const char *method, const char *path, int st, const json_t *out)
{
	if (atomic_exchange(&failed, true))
		return;
	fprintf(stderr, PROG ": %s %s answered %d %s: %s\n", method, path, st,
	    problem_code(out), str(json_object_get(out, "error"), "message"));
}

/* ---- a pool of workers over n items ------------------------------------ */

struct pool {
	size_t        n;
	atomic_size_t next;
	void (*fn)(size_t i, void *arg);
	void *arg;
};

static void *
pool_worker(void *p_)
{
	struct pool *p = p_;
	for (size_t i; !atomic_load(&failed)
	     && (i = atomic_fetch_add(&p->next, 1)) < p->n;)
		p->fn(i, p->arg);
	return NULL;
}

static void
pool_run(size_t n, void (*fn)(size_t, void *), void *arg)
{
	struct pool p  = { .n = n, .fn = fn, .arg = arg };
	int         nt = nworkers < (int) n ? nworkers : (int) n;
	pthread_t   tids[64];
	atomic_init(&p.next, 0);
	for (int i = 0; i < nt; i++)
		pthread_create(&tids[i], NULL, pool_worker, &p);
	for (int i = 0; i < nt; i++)
		pthread_join(tids[i], NULL);
}

/* ---- 1. the departments answer ----------------------------------------- */

static json_t    *registry; /* GET /departments */
static json_t    *queued;   /* the departments with referrals routed */
static atomic_int answered_accepted, answered_declined;

/* FNV-1a of s: which referrals a department declines. */
static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char) *s) * 16777619u;
	return h;
}

static const json_t *
find_kind(const json_t *dept, const char *code)
{
	size_t  i;
	json_t *k;
	json_array_foreach(json_object_get(dept, "kinds"), i, k)
	{
		if (strcmp(str(k, "code"), code) == 0)
			return k;
	}
	return NULL;
}

/* An acceptance: what kind k of the registry grants, from next month. */
static json_t *
acceptance(const json_t *k)
{
	const json_t *g    = json_object_get(k, "grant");
	const char   *type = str(g, "type");
	json_int_t  fen = json_integer_value(json_object_get(g, "amount_fen"));
	const char *per = "", *name = str(k, "name_zh");
	char        words[512], yuan[SN_FEN_FMT_MAX];

	sn_fen_format(fen, yuan);
	if (strcmp(type, "money_monthly") == 0) {
		per = "month";
		snprintf(words, sizeof(words), "%s，每月%s元", name, yuan);
	} else if (strcmp(type, "money_once") == 0) {
		per = "once";
		snprintf(words, sizeof(words), "%s，一次性%s元", name, yuan);
	} else if (strcmp(type, "money_per_term") == 0) {
		per = "term";
		snprintf(words, sizeof(words), "%s，每学期%s元", name, yuan);
	} else if (strcmp(type, "reimbursement") == 0) {
		per = "year";
		fen = json_integer_value(
		    json_object_get(g, "cap_fen_per_year"));
		sn_fen_format(fen, yuan);
		snprintf(words, sizeof(words),
		    "%s，政策范围内自付费用按%lld%%救助，年度封顶%s元", name,
		    num(g, "ratio_pct"), yuan);
	} else { /* a service */
		fen = 0;
		snprintf(words, sizeof(words), "%s：%s", name,
		    str(g, "service_zh"));
	}
	return json_pack("{s:s, s:s, s:I, s:s, s:s}", "outcome", "accepted",
	    "grant", words, "amount_fen", fen, "amount_per", per, "from_date",
	    next_month);
}

static json_t *
decline(uint32_t h)
{
	static const char *const reasons[][2] = {
		{ "not_eligible", "经核查不符合本项救助条件" },
		{ "covered_elsewhere", "已享受同类救助，不重复给予" },
		{ "documents_missing", "缺少必要证明材料，补齐后可重新转介" },
	};
	const char *const *r = reasons[h / 100 % 3];
	return json_pack("{s:s, s:s, s:s}", "outcome", "declined",
	    "reason_code", r[0], "reason", r[1]);
}

/* Department i of queued answers every referral in its queue. */
static void
answer_queue(size_t i, void *arg)
{
	(void) arg;
	const json_t *dept = json_array_get(queued, i);
	const char   *code = str(dept, "code");
	char          user[80], path[128];
	struct staff  d;
	json_t       *queue = NULL, *r;
	size_t        j;

	snprintf(user, sizeof(user), "dept-%s", code);
	client_issue_unit(&d, user, "department", CLIENT_DISTRICT, code);
	int st = client_list(
	    port, "/department-referrals?status=routed", &d, NULL, &queue);
	if (st != 200)
		fail("GET", "/department-referrals?status=routed", st, NULL);
	json_array_foreach(queue, j, r)
	{
		if (atomic_load(&failed))
			break;
		const json_t *k   = find_kind(dept, str(r, "kind"));
		uint32_t      h   = hash(str(r, "id"));
		bool          no  = k == NULL || h % 100 < DECLINE_PCT;
		json_t       *out = NULL;
		snprintf(path, sizeof(path), "/department-referrals/%s/answer",
		    str(r, "id"));
		st = client_call(port, "POST", path, &d,
		    no ? decline(h) : acceptance(k), &out);
		if (st != 200)
			fail("POST", path, st, out);
		else
			atomic_fetch_add(
			    no ? &answered_declined : &answered_accepted, 1);
		json_decref(out);
	}
	json_decref(queue);
}

static bool
answer_all(void)
{
	struct staff dist;
	client_issue(
	    &dist, "district-1", "district_officer", CLIENT_DISTRICT, NULL);
	int st
	    = client_call(port, "GET", "/departments", &dist, NULL, &registry);
	if (st != 200
	    || !json_is_array(json_object_get(registry, "departments"))) {
		fail("GET", "/departments", st, registry);
		return false;
	}
	/* Only a department with something in its queue logs in (each
	 * login is identity's password hashing): the district officer sees
	 * which have. */
	json_t *routed = NULL, *d, *r;
	size_t  i, j;
	st = client_list(
	    port, "/department-referrals?status=routed", &dist, NULL, &routed);
	if (st != 200) {
		fail("GET", "/department-referrals?status=routed", st, NULL);
		json_decref(routed);
		return false;
	}
	queued = json_array();
	json_array_foreach(json_object_get(registry, "departments"), i, d)
	{
		json_array_foreach(routed, j, r)
		{
			if (strcmp(str(r, "department"), str(d, "code"))
			    == 0) {
				json_array_append(queued, d);
				break;
			}
		}
	}
	json_decref(routed);
	pool_run(json_array_size(queued), answer_queue, NULL);
	return !atomic_load(&failed);
}

/* ---- 2. the clerks enrol ----------------------------------------------- */

static json_t    *households; /* [{id, township}] in the order referred */
static json_t    *partners;   /* {partner code: true} of the places given */
static atomic_int given, none_left, no_match;

/* The households with referrals, the first max of them. */
static bool
load_households(int max)
{
	struct staff dist;
	json_t      *refs = NULL, *seen = json_object(), *r;
	size_t       i;
	client_issue(
	    &dist, "district-1", "district_officer", CLIENT_DISTRICT, NULL);
	int st
	    = client_list(port, "/department-referrals", &dist, NULL, &refs);
	if (st != 200)
		fail("GET", "/department-referrals", st, NULL);
	households = json_array();
	json_array_foreach(refs, i, r)
	{
		const char *id = str(r, "household_id");
		/* (a household is in a township: its clerk's) */
		if ((int) json_array_size(households) >= max
		    || str(r, "township_code")[0] == '\0'
		    || json_object_get(seen, id) != NULL)
			continue;
		json_object_set_new(seen, id, json_true());
		json_array_append_new(households,
		    json_pack("{s:s, s:s}", "id", id, "township",
		        str(r, "township_code")));
	}
	json_decref(refs);
	json_decref(seen);
	return st == 200;
}

/* The first member of match m eligible and not enrolled in it; 0: none. */
static int
member_for(const json_t *m)
{
	size_t  i, j;
	json_t *e, *x;
	json_array_foreach(
	    json_object_get(json_object_get(m, "why"), "members"), i, e)
	{
		bool taken = false;
		json_array_foreach(json_object_get(m, "enrolled"), j, x)
		{
			if (json_integer_value(x) == json_integer_value(e))
				taken = true;
		}
		if (!taken)
			return (int) json_integer_value(e);
	}
	return 0;
}

/* Tries the matches of household h best first; true once a place is
 * given, false (nothing wrong) when none had one, or on a failure. */
static bool
enrol_best(const struct staff *clerk, const char *h, const json_t *items)
{
	size_t  i;
	json_t *m;
	json_array_foreach(items, i, m)
	{
		int member = member_for(m);
		if (num(m, "left") <= 0 || member == 0)
			continue;
		const json_t *p   = json_object_get(m, "project");
		json_t       *out = NULL;
		int st = client_call(port, "POST", "/enrolments", clerk,
		    json_pack("{s:s, s:i, s:s}", "household_id", h, "member",
		        member, "project_code", str(p, "code")),
		    &out);
		const char *code = problem_code(out);
		if (st == 201) {
			pthread_mutex_lock(&mu);
			json_object_set_new(
			    partners, str(out, "partner"), json_true());
			pthread_mutex_unlock(&mu);
			json_decref(out);
			return true;
		}
		bool next = st == 409
		    && (strcmp(code, "project_full") == 0
		        || strcmp(code, "already_enrolled") == 0);
		if (!next)
			fail("POST", "/enrolments", st, out);
		json_decref(out);
		if (!next)
			return false;
	}
	return false;
}

static void
enrol_household(size_t i, void *arg)
{
	(void) arg;
	const json_t *hh = json_array_get(households, i);
	const char   *id = str(hh, "id"), *town = str(hh, "township");
	char          user[64], path[128];
	struct staff  clerk;
	json_t       *out = NULL;

	snprintf(user, sizeof(user), "clerk-%s", town);
	client_issue(&clerk, user, "clerk", town, NULL);
	snprintf(path, sizeof(path), "/households/%s/matches", id);
	int st = client_call(port, "GET", path, &clerk, NULL, &out);
	if (st != 200) {
		fail("GET", path, st, out);
		json_decref(out);
		return;
	}
	const json_t *items = json_object_get(out, "items");
	if (json_array_size(items) == 0)
		atomic_fetch_add(&no_match, 1);
	else if (enrol_best(&clerk, id, items))
		atomic_fetch_add(&given, 1);
	else if (!atomic_load(&failed))
		atomic_fetch_add(&none_left, 1);
	json_decref(out);
}

/* ---- 3. the partners record sessions ----------------------------------- */

static json_t    *partner_list; /* the codes of partners */
static atomic_int sessions;

static void
partner_sessions(size_t i, void *arg)
{
	(void) arg;
	const char  *code = json_string_value(json_array_get(partner_list, i));
	char         user[80], path[128];
	struct staff p;
	json_t      *active = NULL, *e;
	size_t       j;

	snprintf(user, sizeof(user), "partner-%s", code);
	client_issue_unit(&p, user, "partner", CLIENT_DISTRICT, code);
	int st = client_list(
	    port, "/enrolments?status=active", &p, NULL, &active);
	if (st != 200)
		fail("GET", "/enrolments?status=active", st, NULL);
	json_array_foreach(active, j, e)
	{
		if (atomic_load(&failed))
			break;
		json_t *out = NULL;
		snprintf(path, sizeof(path), "/enrolments/%s/sessions",
		    str(e, "id"));
		st = client_call(port, "POST", path, &p,
		    json_pack(
		        "{s:s, s:s}", "date", today, "outcome", "delivered"),
		    &out);
		if (st != 201)
			fail("POST", path, st, out);
		else
			atomic_fetch_add(&sessions, 1);
		json_decref(out);
	}
	json_decref(active);
}

static bool
enrol_all(int max)
{
	const char *key;
	json_t     *v;
	uint64_t    t0 = th_now_ms();
	partners       = json_object();
	if (!load_households(max))
		return false;
	pool_run(json_array_size(households), enrol_household, NULL);
	ms_enrol = th_now_ms() - t0;
	if (atomic_load(&failed))
		return false;
	t0           = th_now_ms();
	partner_list = json_array();
	json_object_foreach(partners, key, v)
	{
		if (key[0] != '\0')
			json_array_append_new(partner_list, json_string(key));
	}
	pool_run(json_array_size(partner_list), partner_sessions, NULL);
	ms_sessions = th_now_ms() - t0;
	return !atomic_load(&failed);
}

/* ---- 4. the figures ---------------------------------------------------- */

/* s left-aligned in width columns, a CJK character taking two. */
static void
cell(const char *s, int width)
{
	int w = 0;
	for (const unsigned char *c = (const unsigned char *) s; *c; c++)
		if (*c < 0x80)
			w++;
		else if (*c >= 0xE0)
			w += 2; /* the lead byte of a 3-byte character */
	printf("%s%*s", s, width > w ? width - w : 0, "");
}

static void
referral_row(const char *name, const json_t *c)
{
	printf("  ");
	cell(name, 40);
	printf(" %7lld %9lld %9lld %6lld %8lld %5lld\n", num(c, "routed"),
	    num(c, "accepted"), num(c, "declined"), num(c, "open"),
	    num(c, "overdue"), num(c, "answered_late"));
}

static bool
print_referrals(const struct staff *dist)
{
	json_t *f = NULL, *k, *d;
	size_t  i, j;
	int     st = client_call(
	        port, "GET", "/statistics/referrals", dist, NULL, &f);
	if (st != 200) {
		fail("GET", "/statistics/referrals", st, f);
		json_decref(f);
		return false;
	}
	static const char *const cols[] = { "routed", "accepted", "declined",
		"open", "overdue", "answered_late" };
	printf("\nreferrals to the member departments (services, GET "
	       "/statistics/referrals):\n  ");
	cell("department", 40);
	printf(" %7s %9s %9s %6s %8s %5s\n", cols[0], cols[1], cols[2],
	    cols[3], cols[4], "late");
	json_array_foreach(json_object_get(registry, "departments"), i, d)
	{
		json_t *sum = json_object();
		json_array_foreach(json_object_get(f, "kinds"), j, k)
		{
			if (strcmp(str(k, "department"), str(d, "code")) != 0)
				continue;
			for (size_t c = 0; c < 6; c++)
				json_object_set_new(sum, cols[c],
				    json_integer(
				        num(sum, cols[c]) + num(k, cols[c])));
		}
		char name[160];
		snprintf(name, sizeof(name), "%s %s", str(d, "name_zh"),
		    str(d, "code"));
		if (num(sum, "routed") > 0)
			referral_row(name, sum);
		json_decref(sum);
	}
	referral_row("all departments", json_object_get(f, "totals"));
	json_decref(f);
	return true;
}

/* The domains' Chinese names, from the catalogue's seed when it is at
 * hand ({code: name_zh}; empty without it). */
static json_t *
domain_names(void)
{
	const char *dir   = getenv("SN_SERVICES_SEED_DIR");
	json_t     *names = json_object(), *d;
	char        path[512];
	size_t      i;
	if (dir == NULL)
		return names;
	snprintf(path, sizeof(path), "%s/projects.json", dir);
	json_t *seed = json_load_file(path, 0, NULL);
	json_array_foreach(json_object_get(seed, "domains"), i, d)
	    json_object_set_new(
	        names, str(d, "code"), json_string(str(d, "name_zh")));
	json_decref(seed);
	return names;
}

static void
domain_row(const char *name, const json_t *c)
{
	printf("  ");
	cell(name, 26);
	printf(" %7lld %8lld %7lld %9lld\n", num(c, "given"), num(c, "active"),
	    num(c, "ended"), num(c, "sessions"));
}

static bool
print_enrolments(const struct staff *dist)
{
	json_t *f = NULL, *d, *names = domain_names();
	size_t  i;
	int     st = client_call(
	        port, "GET", "/statistics/enrolments", dist, NULL, &f);
	if (st != 200) {
		fail("GET", "/statistics/enrolments", st, f);
		json_decref(f);
		json_decref(names);
		return false;
	}
	printf("\nplaces in service projects by domain (services, GET "
	       "/statistics/enrolments, %s to %s):\n  ",
	    str(f, "from"), str(f, "to"));
	cell("domain", 26);
	printf(" %7s %8s %7s %9s\n", "given", "active", "ended", "sessions");
	json_array_foreach(json_object_get(f, "by_domain"), i, d)
	{
		char name[96];
		snprintf(name, sizeof(name), "%s%s%s",
		    str(names, str(d, "domain")),
		    json_object_get(names, str(d, "domain")) ? " " : "",
		    str(d, "domain"));
		domain_row(name, d);
	}
	domain_row("all domains", json_object_get(f, "totals"));
	json_decref(f);
	json_decref(names);
	return true;
}

static void
summary(uint64_t ms)
{
	printf(
	    "\n  on %s (sn-resources, %.1f s):\n", today, (double) ms / 1e3);
	printf("    departments: %d referrals in their queues answered (%d "
	       "accepted, %d declined), %.1f s\n",
	    answered_accepted + answered_declined, (int) answered_accepted,
	    (int) answered_declined, (double) ms_answer / 1e3);
	printf(
	    "    township clerks: %d of %zu households with referrals given "
	    "a place (%d eligible for no project, %d for none with places "
	    "left), %.1f s\n",
	    (int) given, json_array_size(households), (int) no_match,
	    (int) none_left, (double) ms_enrol / 1e3);
	printf("    partners: %d sessions by %zu partners, %.1f s\n",
	    (int) sessions, json_array_size(partner_list),
	    (double) ms_sessions / 1e3);
}

/* ---- main -------------------------------------------------------------- */

static bool
args(int argc, char **argv, bool *answer_only, int *max)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--answer") == 0)
			*answer_only = true;
		else if (i + 1 < argc && strcmp(argv[i], "--households") == 0)
			*max = atoi(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--workers") == 0)
			nworkers = atoi(argv[++i]);
		else
			return false;
	}
	return *max >= 0 && nworkers >= 1 && nworkers <= 64;
}

int
main(int argc, char **argv)
{
	bool answer_only = false;
	int  max         = 200;

	sn_log_init(PROG, SN_LOG_ERROR);
	if (!args(argc, argv, &answer_only, &max)) {
		fprintf(stderr,
		    "usage: " PROG " [--answer] [--households N]"
		    " [--workers 1-64]\n");
		return 2;
	}
	if (sn_clock_setup() != SN_OK || !client_open(PROG))
		return 2;
	port        = client_port("SN_SERVICES_HTTP_URL");
	uint64_t t0 = th_now_ms();
	sn_date_format(sn_clock_today(), today);
	sn_date_format(
	    sn_date_add_months(sn_date_month_start(sn_clock_today()), 1),
	    next_month);
	bool ok   = answer_all();
	ms_answer = th_now_ms() - t0;
	if (ok && answer_only)
		printf("  the departments answered %d referrals on %s: %d "
		       "accepted, %d declined (%.1f s)\n",
		    answered_accepted + answered_declined, today,
		    (int) answered_accepted, (int) answered_declined,
		    (double) ms_answer / 1000.0);
	if (ok && !answer_only) {
		struct staff dist;
		client_issue(&dist, "district-1", "district_officer",
		    CLIENT_DISTRICT, NULL);
		ok = enrol_all(max) && print_referrals(&dist)
		    && print_enrolments(&dist);
		if (ok)
			summary(th_now_ms() - t0);
	}
	json_decref(registry);
	json_decref(queued);
	json_decref(households);
	json_decref(partners);
	json_decref(partner_list);
	client_close();
	return ok ? 0 : 1;
}
