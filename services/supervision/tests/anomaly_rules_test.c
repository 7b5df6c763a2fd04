/*
 * supervision.anomaly_rules: the pure decisions of the anomaly rules
 * (anomaly_rules.h), each as a table of cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "anomaly_rules.h"

static sn_date
day(const char *s)
{
	sn_date d;
	assert_int_equal(sn_date_parse(s, &d), SN_OK);
	return d;
}

static sn_month
month(const char *s)
{
	sn_month m;
	assert_int_equal(sn_month_parse(s, &m), SN_OK);
	return m;
}

/* ---- 1. shared_account ------------------------------------------------ */

static void
test_shared_account(void **state)
{
	static const struct {
		const char     *what;
		const char     *hh[4];
		size_t          n;
		anomaly_verdict want;
		size_t          distinct;
	} cases[] = {
		{ "no use", { NULL }, 0, ANOMALY_NONE, 0 },
		{ "one household, many uses", { "h1", "h1", "h1" }, 3,
		    ANOMALY_NONE, 1 },
		{ "two households", { "h1", "h2" }, 2, ANOMALY_RAISE, 2 },
		{ "two households among repeats", { "h1", "h1", "h2", "h1" },
		    4, ANOMALY_RAISE, 2 },
		{ "three households", { "h1", "h2", "h3" }, 3, ANOMALY_RAISE,
		    3 },
		{ "one household, one use unlinked", { "h1", NULL }, 2,
		    ANOMALY_WAIT, 1 },
		{ "an empty id counts as unlinked", { "", "h1" }, 2,
		    ANOMALY_WAIT, 1 },
		{ "two households whatever is unlinked", { NULL, "h1", "h2" },
		    3, ANOMALY_RAISE, 2 },
		{ "nothing linked yet", { NULL, NULL }, 2, ANOMALY_WAIT, 0 },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t          d = 99;
		anomaly_verdict v = anomaly_rules_shared_account(
		    cases[i].hh, cases[i].n, &d);
		if (v != cases[i].want || d != cases[i].distinct)
			fail_msg("%s: verdict %d distinct %zu", cases[i].what,
			    (int) v, d);
	}
}

/* ---- 2. paid_after_death ---------------------------------------------- */

static void
test_household_end(void **state)
{
	/* A: a member's death; B: another member's; X: the register's exit
	 * by death. */
	const anomaly_death      A     = { "pa", day("2026-03-10") };
	const anomaly_death      B     = { "pb", day("2026-05-02") };
	const anomaly_death      X     = { "", day("2026-04-30") };
	static const char *const one[] = { "pa" };
	static const char *const two[] = { "pa", "pb" };
	const struct {
		const char        *what;
		anomaly_death      d[3];
		size_t             nd;
		const char *const *members;
		size_t             nm;
		bool               ended;
		const char        *end;
	} cases[] = {
		{ "nothing known", { A }, 0, one, 1, false, NULL },
		{ "the only member died", { A }, 1, one, 1, true, "2026-03" },
		{ "one of two died", { A }, 1, two, 2, false, NULL },
		{ "both died: the later death", { A, B }, 2, two, 2, true,
		    "2026-05" },
		{ "members unknown: a death says nothing", { A }, 1, NULL, 0,
		    false, NULL },
		{ "the register's exit alone", { X }, 1, NULL, 0, true,
		    "2026-04" },
		{ "exit before all died: the exit", { A, B, X }, 3, two, 2,
		    true, "2026-04" },
		{ "all died before the exit: their month", { A, X }, 2, one, 1,
		    true, "2026-03" },
		{ "one of two died, and the exit", { A, X }, 2, two, 2, true,
		    "2026-04" },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_month end   = { 0, 0 };
		bool     ended = anomaly_rules_household_end(cases[i].d,
		        cases[i].nd, cases[i].members, cases[i].nm, &end);
		if (ended != cases[i].ended)
			fail_msg("%s: ended %d", cases[i].what, (int) ended);
		if (ended && sn_month_cmp(end, month(cases[i].end)) != 0)
			fail_msg("%s: end %d-%02d", cases[i].what,
			    (int) end.year, (int) end.month);
	}
}

static void
test_paid_after_death(void **state)
{
	const anomaly_death d[]
	    = { { "pa", day("2026-03-10") }, { "pb", day("2026-06-20") } };
	static const char *const one[] = { "pa" };
	static const char *const two[] = { "pa", "pb" };
	const struct {
		const char        *what;
		const char *const *members;
		size_t             nm;
		anomaly_payment    p;
		bool               want;
		size_t             which;
	} cases[] = {
		{ "the month of death is owed", one, 1,
		    { true, month("2026-03"), NULL, { 0, 0, 0 } }, false,
		    SIZE_MAX },
		{ "the month after is not", one, 1,
		    { true, month("2026-04"), NULL, { 0, 0, 0 } }, true, 0 },
		{ "a month before", one, 1,
		    { true, month("2026-02"), NULL, { 0, 0, 0 } }, false,
		    SIZE_MAX },
		{ "a survivor is still owed", two, 2,
		    { true, month("2026-05"), NULL, { 0, 0, 0 } }, false,
		    SIZE_MAX },
		{ "both died: after the second", two, 2,
		    { true, month("2026-07"), NULL, { 0, 0, 0 } }, true, 1 },
		{ "a grant to the dead person", two, 2,
		    { false, { 0, 0 }, "pa", day("2026-03-11") }, true, 0 },
		{ "a grant on the day of death", two, 2,
		    { false, { 0, 0 }, "pa", day("2026-03-10") }, false,
		    SIZE_MAX },
		{ "a grant before death", two, 2,
		    { false, { 0, 0 }, "pb", day("2026-05-01") }, false,
		    SIZE_MAX },
		{ "a grant to someone alive", two, 2,
		    { false, { 0, 0 }, "pc", day("2026-09-01") }, false,
		    SIZE_MAX },
		{ "a grant naming no one", two, 2,
		    { false, { 0, 0 }, "", day("2026-09-01") }, false,
		    SIZE_MAX },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t w   = 7;
		bool   got = anomaly_rules_paid_after_death(
		      d, 2, cases[i].members, cases[i].nm, &cases[i].p, &w);
		if (got != cases[i].want || w != cases[i].which)
			fail_msg(
			    "%s: %d (death %zu)", cases[i].what, (int) got, w);
	}
}

/* ---- 3. relative_conflict --------------------------------------------- */

static void
test_same_address(void **state)
{
	static const struct {
		const char *a, *b;
		bool        want;
	} cases[] = {
		{ "No. 7, the first village", "No. 7, the first village",
		    true },
		{ "No. 7, the first village", " no.7,the  first village ",
		    true },
		{ "No. 7, the first village", "No. 8, the first village",
		    false },
		{ "No. 7", "No. 7, the first village", false },
		{ "", "", false },
		{ "  ", " ", false },
		{ "No. 7", "", false },
		{ NULL, "No. 7", false },
		{ "\xe4\xb8\x80\xe6\x9d\x91 7 \xe5\x8f\xb7",
		    "\xe4\xb8\x80\xe6\x9d\x91"
		    "7\xe5\x8f\xb7",
		    true },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (anomaly_rules_same_address(cases[i].a, cases[i].b)
		    != cases[i].want)
			fail_msg("case %zu: %s / %s", i,
			    cases[i].a ? cases[i].a : "(null)", cases[i].b);
}

static void
test_relative(void **state)
{
	static const struct {
		const char      *what;
		anomaly_act      a;
		anomaly_verdict  want;
		anomaly_relation rel;
		bool             attempt;
		anomaly_severity sev;
	} cases[] = {
		{ "a member acted", { "h1", "addr", "h1", "addr", 200 },
		    ANOMALY_RAISE, ANOMALY_REL_MEMBER, false, ANOMALY_HIGH },
		{ "a member was refused (household_member)",
		    { "h1", "addr", "h1", "addr", 403 }, ANOMALY_RAISE,
		    ANOMALY_REL_MEMBER, true, ANOMALY_MEDIUM },
		{ "the same address, another household",
		    { "h1", "No. 7", "h2", " no. 7", 200 }, ANOMALY_RAISE,
		    ANOMALY_REL_ADDRESS, false, ANOMALY_HIGH },
		{ "the same address, refused",
		    { "h1", "No. 7", "h2", "No. 7", 422 }, ANOMALY_RAISE,
		    ANOMALY_REL_ADDRESS, true, ANOMALY_MEDIUM },
		{ "another address", { "h1", "No. 7", "h2", "No. 9", 200 },
		    ANOMALY_NONE, ANOMALY_REL_NONE, false, 0 },
		{ "addresses unknown", { "h1", "", "h2", "", 200 },
		    ANOMALY_NONE, ANOMALY_REL_NONE, false, 0 },
		{ "the actor is in no household",
		    { "h1", "No. 7", NULL, "", 200 }, ANOMALY_NONE,
		    ANOMALY_REL_NONE, false, 0 },
		{ "the subject is not linked yet",
		    { NULL, "", "h1", "No. 7", 200 }, ANOMALY_WAIT,
		    ANOMALY_REL_NONE, false, 0 },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		anomaly_relation rel     = ANOMALY_REL_NONE;
		bool             attempt = false;
		anomaly_severity sev     = 0;
		anomaly_verdict  v       = anomaly_rules_relative(
		           &cases[i].a, &rel, &attempt, &sev);
		if (v != cases[i].want || rel != cases[i].rel)
			fail_msg("%s: verdict %d relation %d", cases[i].what,
			    (int) v, (int) rel);
		if (v == ANOMALY_RAISE
		    && (attempt != cases[i].attempt || sev != cases[i].sev))
			fail_msg("%s: attempt %d severity %d", cases[i].what,
			    (int) attempt, (int) sev);
	}
	assert_string_equal(
	    anomaly_rules_relation_name(ANOMALY_REL_ADDRESS), "same_address");
}

/* ---- 4. grants_under_limit -------------------------------------------- */

static const anomaly_limit LIMIT = { 300000, 90, 3, 90 };

static void
test_under_limit(void **state)
{
	static const struct {
		int64_t amount;
		bool    approved, want;
	} cases[] = {
		{ 270000, false, true },  /* exactly 90 % */
		{ 269999, false, false }, /* a fen below */
		{ 300000, false, true },  /* the limit itself */
		{ 300001, false, false }, /* above: it needed approval */
		{ 290000, true, false },  /* approved: not "under" */
		{ 0, false, false },
		{ -5, false, false },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		anomaly_grant g = { cases[i].amount, day("2026-01-01"),
			cases[i].approved };
		if (anomaly_rules_under_limit(&g, &LIMIT) != cases[i].want)
			fail_msg("case %zu: amount %lld", i,
			    (long long) cases[i].amount);
	}
}

static void
test_grants(void **state)
{
	const struct {
		const char     *what;
		anomaly_grant   g[5];
		size_t          n;
		anomaly_verdict want;
		bool            pick[5];
	} cases[] = {
		{ "three just under within 90 days",
		    { { 280000, day("2026-01-01"), false },
		        { 290000, day("2026-02-01"), false },
		        { 299000, day("2026-03-31"), false } },
		    3, ANOMALY_RAISE, { true, true, true } },
		{ "the first is 90 days before the last: outside",
		    { { 280000, day("2026-01-01"), false },
		        { 290000, day("2026-02-01"), false },
		        { 299000, day("2026-04-01"), false } },
		    3, ANOMALY_NONE, { false } },
		{ "two only",
		    { { 280000, day("2026-01-01"), false },
		        { 290000, day("2026-01-02"), false } },
		    2, ANOMALY_NONE, { false } },
		{ "one of three well under",
		    { { 100000, day("2026-01-01"), false },
		        { 290000, day("2026-01-02"), false },
		        { 290000, day("2026-01-03"), false } },
		    3, ANOMALY_NONE, { false } },
		{ "one of four approved above, three under",
		    { { 280000, day("2026-01-01"), false },
		        { 500000, day("2026-01-02"), true },
		        { 290000, day("2026-01-03"), false },
		        { 295000, day("2026-01-04"), false } },
		    4, ANOMALY_RAISE, { true, false, true, true } },
		{ "four under, the oldest out of the window",
		    { { 280000, day("2025-06-01"), false },
		        { 280000, day("2026-01-01"), false },
		        { 290000, day("2026-01-03"), false },
		        { 295000, day("2026-01-04"), false } },
		    4, ANOMALY_RAISE, { false, true, true, true } },
		{ "none", { { 0, { 0, 0, 0 }, false } }, 0, ANOMALY_NONE,
		    { false } },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool            pick[5];
		size_t          k = 99, want_k = 0;
		anomaly_verdict v = anomaly_rules_grants(
		    cases[i].g, cases[i].n, &LIMIT, pick, &k);
		if (v != cases[i].want)
			fail_msg("%s: verdict %d", cases[i].what, (int) v);
		for (size_t j = 0; j < cases[i].n; j++) {
			if (pick[j] != cases[i].pick[j])
				fail_msg("%s: grant %zu picked %d",
				    cases[i].what, j, (int) pick[j]);
			want_k += cases[i].pick[j] ? 1 : 0;
		}
		if (k != want_k)
			fail_msg("%s: %zu picked", cases[i].what, k);
	}
}

/* ---- 5. fast_or_odd_hours --------------------------------------------- */

static void
test_odd_hours(void **state)
{
	/* 2026-03-02T15:10:00Z is 23:10 in UTC+8. */
	const int64_t t = 1772464200;
	static const struct {
		int64_t dt; /* seconds after t */
		int32_t offset, from, to;
		int32_t minute;
		bool    odd;
	} cases[] = {
		{ 0, 480, 22, 6, 23 * 60 + 10, true },
		{ 0, 0, 22, 6, 15 * 60 + 10, false },
		{ 3000, 480, 22, 6, 0, true }, /* 00:00 */
		{ 3000 - 60, 480, 22, 6, 23 * 60 + 59, true },
		{ 6 * 3600 + 3000, 480, 22, 6, 6 * 60, false }, /* 06:00 */
		{ 6 * 3600 + 2940, 480, 22, 6, 5 * 60 + 59, true },
		{ -70 * 60, 480, 22, 6, 22 * 60, true }, /* 22:00 */
		{ -71 * 60, 480, 22, 6, 21 * 60 + 59, false },
		{ 0, -300, 22, 6, 10 * 60 + 10, false },   /* UTC-5 */
		{ 0, 480, 12, 14, 23 * 60 + 10, false },   /* no wrap */
		{ 0, 480, 23, 23, 23 * 60 + 10, false },   /* none */
		{ -t - 60, 0, 22, 6, 23 * 60 + 59, true }, /* before 1970 */
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int32_t m = anomaly_rules_local_minute(
		    t + cases[i].dt, cases[i].offset);
		if (m != cases[i].minute)
			fail_msg("case %zu: minute %d", i, (int) m);
		if (anomaly_rules_odd_minute(m, cases[i].from, cases[i].to)
		    != cases[i].odd)
			fail_msg("case %zu: odd", i);
	}
}

static void
test_fast(void **state)
{
	const int64_t r = 1772464200;
	static const struct {
		const char        *what;
		anomaly_case_times t;
		int32_t            dmin, smin;
		unsigned           want;
	} cases[] = {
		{ "decided a day later", { r, r + 86400, 0 }, 60, 30, 0 },
		{ "decided in 59 minutes", { r, r + 59 * 60, 0 }, 60, 30,
		    ANOMALY_FAST_DECISION },
		{ "decided in exactly 60", { r, r + 60 * 60, 0 }, 60, 30, 0 },
		{ "all three in 5 minutes", { r, r + 120, r + 300 }, 60, 30,
		    ANOMALY_FAST_DECISION | ANOMALY_FAST_STEPS },
		{ "filed 40 minutes after, decided in 30",
		    { r, r + 1800, r + 2400 }, 60, 30, ANOMALY_FAST_DECISION },
		{ "the decision check off", { r, r + 120, r + 300 }, 0, 30,
		    ANOMALY_FAST_STEPS },
		{ "both off", { r, r + 120, r + 300 }, 0, 0, 0 },
		{ "not ready: nothing to measure", { 0, r, r }, 60, 30, 0 },
		{ "not decided yet", { r, 0, 0 }, 60, 30, 0 },
		{ "times out of order", { r, r - 10, 0 }, 60, 30, 0 },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned f = anomaly_rules_fast(
		    &cases[i].t, cases[i].dmin, cases[i].smin);
		if (f != cases[i].want)
			fail_msg("%s: %u", cases[i].what, f);
	}
}

/* ---- 6. township_outlier ---------------------------------------------- */

static void
test_outlier(void **state)
{
	static const anomaly_outlier_params P = { 20, 20 };
	static const struct {
		const char     *what;
		anomaly_rate    town, rest;
		anomaly_outlier want;
		int32_t         z_x100;
	} cases[] = {
		/* p_t 0.95, p_r 0.6, pooled 0.67: z = 0.35 / sqrt(0.67 *
		 * 0.33 * (1/20 + 1/80)) = 2.98 */
		{ "approves far more", { 20, 19 }, { 80, 48 },
		    ANOMALY_OUT_HIGH, 298 },
		{ "approves far fewer", { 20, 4 }, { 80, 48 }, ANOMALY_OUT_LOW,
		    -320 },
		{ "about the same", { 20, 13 }, { 80, 48 }, ANOMALY_OUT_NONE,
		    41 },
		{ "too few cases", { 19, 19 }, { 80, 48 }, ANOMALY_OUT_NONE,
		    0 },
		{ "too few elsewhere", { 40, 40 }, { 19, 5 }, ANOMALY_OUT_NONE,
		    0 },
		{ "no spread: everyone approves", { 30, 30 }, { 80, 80 },
		    ANOMALY_OUT_NONE, 0 },
		{ "overrides where nobody else has one", { 25, 5 }, { 100, 0 },
		    ANOMALY_OUT_HIGH, 456 },
		{ "impossible counts", { 20, 21 }, { 80, 48 },
		    ANOMALY_OUT_NONE, 0 },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int32_t         z = 12345;
		anomaly_outlier o = anomaly_rules_outlier(
		    cases[i].town, cases[i].rest, &P, &z);
		if (o != cases[i].want || z != cases[i].z_x100)
			fail_msg(
			    "%s: %d z %d", cases[i].what, (int) o, (int) z);
	}
}

/* ---- 7. overdue ------------------------------------------------------- */

static void
test_referral_overdue(void **state)
{
	static const struct {
		const char *created, *today;
		int32_t     days;
		bool        want;
	} cases[] = {
		{ "2026-03-01", "2026-03-16", 15, false }, /* the last day */
		{ "2026-03-01", "2026-03-17", 15, true },
		{ "2026-03-01", "2026-03-01", 15, false },
		{ "2026-12-20", "2027-01-05", 15, true }, /* across a year */
		{ "2026-02-20", "2026-02-22", 1, true },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (anomaly_rules_referral_overdue(day(cases[i].created),
		        cases[i].days, day(cases[i].today))
		    != cases[i].want)
			fail_msg("case %zu", i);
}

/* ---- an alert's life -------------------------------------------------- */

static void
test_assign(void **state)
{
	static const struct {
		const char      *what;
		anomaly_state    from;
		anomaly_assignee u;
		unsigned         status;
		const char      *code;
	} cases[] = {
		{ "an open alert to a supervisor", ANOMALY_OPEN,
		    { true, "staff", "supervisor", false }, 0, NULL },
		{ "reassigned to an inspector", ANOMALY_ASSIGNED,
		    { true, "staff", "inspector", false }, 0, NULL },
		{ "a closed alert", ANOMALY_CLOSED,
		    { true, "staff", "supervisor", false }, 409,
		    "alert_closed" },
		{ "an unknown user", ANOMALY_OPEN,
		    { false, NULL, NULL, false }, 422, "unknown_assignee" },
		{ "a service account", ANOMALY_OPEN,
		    { true, "service", "supervisor", false }, 422,
		    "unknown_assignee" },
		{ "a clerk", ANOMALY_OPEN, { true, "staff", "clerk", false },
		    422, "unknown_assignee" },
		{ "a disabled supervisor", ANOMALY_OPEN,
		    { true, "staff", "supervisor", true }, 422,
		    "unknown_assignee" },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_problem p;
		sn_problem_clear(&p);
		bool ok = anomaly_rules_assign(cases[i].from, &cases[i].u, &p);
		if (ok != (cases[i].status == 0) || p.status != cases[i].status
		    || (cases[i].code != NULL
		        && strcmp(p.code, cases[i].code) != 0))
			fail_msg(
			    "%s: %d %u", cases[i].what, (int) ok, p.status);
	}
}

static void
test_close(void **state)
{
	static const struct {
		anomaly_state from;
		const char   *note;
		unsigned      status;
		const char   *code;
	} cases[] = {
		{ ANOMALY_OPEN, "a relative's account, legitimately", 0,
		    NULL },
		{ ANOMALY_ASSIGNED, "x", 0, NULL },
		{ ANOMALY_OPEN, NULL, 422, "note_required" },
		{ ANOMALY_OPEN, "", 422, "note_required" },
		{ ANOMALY_ASSIGNED, " \t\n ", 422, "note_required" },
		{ ANOMALY_CLOSED, "again", 409, "alert_closed" },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_problem p;
		sn_problem_clear(&p);
		bool ok
		    = anomaly_rules_close(cases[i].from, cases[i].note, &p);
		if (ok != (cases[i].status == 0) || p.status != cases[i].status
		    || (cases[i].code != NULL
		        && strcmp(p.code, cases[i].code) != 0))
			fail_msg("case %zu: %d %u", i, (int) ok, p.status);
	}
}

static void
test_names(void **state)
{
	anomaly_state s;
	(void) state;
	assert_true(anomaly_rules_rule_valid("shared_account"));
	assert_true(anomaly_rules_rule_valid("overdue"));
	assert_false(anomaly_rules_rule_valid("overdue "));
	assert_false(anomaly_rules_rule_valid(NULL));
	assert_true(anomaly_rules_state_parse("assigned", &s));
	assert_int_equal(s, ANOMALY_ASSIGNED);
	assert_false(anomaly_rules_state_parse("Open", &s));
	assert_string_equal(anomaly_rules_severity_name(ANOMALY_HIGH), "high");
	assert_string_equal(anomaly_rules_severity_name(0), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_account),
		cmocka_unit_test(test_household_end),
		cmocka_unit_test(test_paid_after_death),
		cmocka_unit_test(test_same_address),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_under_limit),
		cmocka_unit_test(test_grants),
		cmocka_unit_test(test_odd_hours),
		cmocka_unit_test(test_fast),
		cmocka_unit_test(test_outlier),
		cmocka_unit_test(test_referral_overdue),
		cmocka_unit_test(test_assign),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
