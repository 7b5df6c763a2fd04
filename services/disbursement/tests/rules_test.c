/*
 * Table tests of disbursement's pure rules: who is due a payment, what a
 * run builds within the budget, who may approve a run, allocations,
 * reconciliation, how runs and payments move on, what a correction may
 * do and who sees which payments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rules.h"

/* The month of "YYYY-MM"; an invalid month (0-00) for anything else. */
static sn_month
month(const char *text)
{
	sn_month m = { 0, 0 };
	(void) sn_month_parse(text, &m);
	return m;
}

static disbursement_payee
payee(int64_t id, disbursement_fund f, int64_t fen)
{
	disbursement_payee p = { .id = id,
		.fund                = f,
		.standing            = DISBURSEMENT_ACTIVE,
		.monthly_fen         = fen,
		.from_month          = month("2026-01"),
		.has_until           = false,
		.account_number      = "6222000011112222",
		.already_paid        = false };
	return p;
}

/* p with until_month set. */
static disbursement_payee
until(disbursement_payee p, const char *m)
{
	p.has_until   = true;
	p.until_month = month(m);
	return p;
}

static void
test_period(void **state)
{
	(void) state;
	static const struct {
		const char *text;
		bool        ok;
		int         y, m;
	} cases[] = {
		{ "2026-12", true, 2026, 12 },
		{ "2026-01", true, 2026, 1 },
		{ "2026-13", false, 0, 0 },
		{ "2026-00", false, 0, 0 },
		{ "1999-05", false, 0, 0 },
		{ "2026-1", false, 0, 0 },
		{ "2026/12", false, 0, 0 },
		{ "20261-2", false, 0, 0 },
		{ "", false, 0, 0 },
		{ NULL, false, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int y = 0, m = 0;
		assert_int_equal(
		    disbursement_rules_period_parse(cases[i].text, &y, &m),
		    cases[i].ok);
		if (cases[i].ok) {
			assert_int_equal(y, cases[i].y);
			assert_int_equal(m, cases[i].m);
		}
	}
}

/* One change per case from a payee who is due. */
static void
test_due(void **state)
{
	(void) state;
	struct {
		const char        *name;
		disbursement_payee p;
		const char        *period;
		bool               due;
	} cases[14];
	size_t n = 0;
	for (size_t i = 0; i < 14; i++)
		cases[i].p = payee(1, DISBURSEMENT_FUND_DIBAO, 50000);
#define CASE(nm, per, d)                                                      \
	(cases[n].name = (nm), cases[n].period = (per), cases[n].due = (d),   \
	    n++)
	CASE("due", "2026-03", true);
	CASE("first month", "2026-01", true);
	CASE("before from", "2025-12", false);
	cases[n].p = until(cases[n].p, "2026-03");
	CASE("last month", "2026-03", true);
	cases[n].p = until(cases[n].p, "2026-03");
	CASE("after until", "2026-04", false);
	cases[n].p.standing = DISBURSEMENT_EXITED;
	CASE("exited", "2026-03", false);
	cases[n].p.standing = DISBURSEMENT_GRADUAL_EXIT;
	CASE("gradual exit still paid", "2026-03", true);
	cases[n].p.standing = DISBURSEMENT_GRADUAL_EXIT;
	cases[n].p          = until(cases[n].p, "2026-03");
	CASE("gradual exit after its last month", "2026-04", false);
	cases[n].p.standing = DISBURSEMENT_SUSPENDED;
	CASE("suspended", "2026-03", false);
	cases[n].p.monthly_fen = 0;
	CASE("nothing a month", "2026-03", false);
	cases[n].p.account_number = "";
	CASE("no account", "2026-03", false);
	cases[n].p.already_paid = true;
	CASE("already paid for the period", "2026-03", false);
	cases[n].p.fund = DISBURSEMENT_FUND_EMERGENCY;
	CASE("not a monthly fund", "2026-03", false);
	CASE("bad period", "2026-3", false);
#undef CASE
	for (size_t i = 0; i < n; i++) {
		bool got = disbursement_rules_due(
		    &cases[i].p, month(cases[i].period));
		if (got != cases[i].due)
			fail_msg("%s: due %d, want %d", cases[i].name, got,
			    cases[i].due);
	}
}

/* The budget is drawn in payee order per fund; a payee that does not fit
 * is short, a later smaller one may still fit; funds are separate. */
static void
test_build(void **state)
{
	(void) state;
	disbursement_payee p[6] = {
		payee(1, DISBURSEMENT_FUND_DIBAO, 40000),
		payee(2, DISBURSEMENT_FUND_DIBAO, 40000),
		payee(3, DISBURSEMENT_FUND_DIBAO, 30000), /* 110000 > room */
		payee(4, DISBURSEMENT_FUND_DIBAO, 20000), /* fits after 3 */
		payee(5, DISBURSEMENT_FUND_TEKUN, 90000),
		payee(6, DISBURSEMENT_FUND_TEKUN, 10000),
	};
	p[1].already_paid = true; /* a resumed run: not again, not drawn */
	int64_t room[DISBURSEMENT_NFUNDS] = { 0 };
	room[DISBURSEMENT_FUND_DIBAO]     = 100000;
	room[DISBURSEMENT_FUND_TEKUN]     = 0; /* no budget */
	disbursement_take  take[6];
	disbursement_chunk c;
	disbursement_rules_build(p, 6, month("2026-03"), room, take, &c);
	static const disbursement_take want[6] = { DISBURSEMENT_PAY,
		DISBURSEMENT_SKIP, DISBURSEMENT_PAY, DISBURSEMENT_PAY,
		DISBURSEMENT_SHORT, DISBURSEMENT_SHORT };
	for (int i = 0; i < 6; i++)
		if (take[i] != want[i])
			fail_msg("payee %d: take %d, want %d", i + 1, take[i],
			    want[i]);
	assert_int_equal(c.pay_count, 3);
	assert_int_equal(c.pay_fen, 90000);
	assert_int_equal(c.short_count, 2);
	assert_int_equal(c.short_fen, 100000);
	assert_int_equal(c.drawn_fen[DISBURSEMENT_FUND_DIBAO], 90000);
	assert_int_equal(c.drawn_fen[DISBURSEMENT_FUND_TEKUN], 0);
	assert_true(c.drawn_fen[DISBURSEMENT_FUND_DIBAO]
	    <= room[DISBURSEMENT_FUND_DIBAO]);

	/* Exactly the room: all paid; one fen less: the last one short. */
	disbursement_payee q[2] = { payee(1, DISBURSEMENT_FUND_TEKUN, 500),
		payee(2, DISBURSEMENT_FUND_TEKUN, 500) };
	room[DISBURSEMENT_FUND_TEKUN] = 1000;
	disbursement_rules_build(q, 2, month("2026-03"), room, take, &c);
	assert_int_equal(c.pay_count, 2);
	room[DISBURSEMENT_FUND_TEKUN] = 999;
	disbursement_rules_build(q, 2, month("2026-03"), room, take, &c);
	assert_int_equal(c.pay_count, 1);
	assert_int_equal(take[1], DISBURSEMENT_SHORT);
	/* A negative room (over-drawn by hand) pays nothing. */
	room[DISBURSEMENT_FUND_TEKUN] = -5;
	disbursement_rules_build(q, 2, month("2026-03"), room, take, &c);
	assert_int_equal(c.pay_count, 0);
}

/* The price subsidy: a line for every payee due for the month, whatever
 * its benefit (paid, short, or none: a low-income payee), within the
 * subsidy fund's own room. */
static void
test_subsidies(void **state)
{
	(void) state;
	disbursement_payee p[10] = {
		payee(1, DISBURSEMENT_FUND_DIBAO, 40000),
		payee(2, DISBURSEMENT_FUND_DIBAO, 40000),
		payee(3, DISBURSEMENT_FUND_TEKUN, 30000),
		payee(4, DISBURSEMENT_FUND_DIBAO, 20000),
		payee(5, DISBURSEMENT_FUND_TEKUN, 90000),
		payee(6, DISBURSEMENT_FUND_DIBAO, 10000),
		payee(7, DISBURSEMENT_FUND_NONE, 0),
		payee(8, DISBURSEMENT_FUND_NONE, 0),
		until(payee(9, DISBURSEMENT_FUND_NONE, 0), "2026-02"),
		payee(10, DISBURSEMENT_FUND_NONE, 0),
	};
	for (int i = 0; i < 10; i++)
		p[i].subsidy_fen = 3000;
	p[1].standing       = DISBURSEMENT_SUSPENDED; /* not due: none */
	p[2].subsidy_fen    = 0;                      /* category not listed */
	p[3].subsidy_paid   = true;                   /* a resumed run */
	p[5].subsidy_fen    = 4000;                   /* does not fit */
	p[7].standing       = DISBURSEMENT_EXITED;    /* low-income, exited */
	p[9].account_number = "";                     /* no account */
	int64_t room[DISBURSEMENT_NFUNDS]     = { 0 };
	room[DISBURSEMENT_FUND_DIBAO]         = 1000000;
	room[DISBURSEMENT_FUND_TEKUN]         = 0; /* 3 and 5 short */
	room[DISBURSEMENT_FUND_PRICE_SUBSIDY] = 9000;
	disbursement_take  take[10], sub[10];
	disbursement_chunk c;
	disbursement_rules_build(p, 10, month("2026-03"), room, take, &c);
	assert_int_equal(take[4], DISBURSEMENT_SHORT);
	for (int i = 6; i < 10; i++) /* low-income: never a benefit line */
		assert_int_equal(take[i], DISBURSEMENT_SKIP);
	disbursement_rules_subsidies(p, 10, month("2026-03"),
	    room[DISBURSEMENT_FUND_PRICE_SUBSIDY], sub, &c);
	static const disbursement_take want[10] = { DISBURSEMENT_PAY,
		DISBURSEMENT_SKIP, DISBURSEMENT_SKIP, DISBURSEMENT_SKIP,
		DISBURSEMENT_PAY, DISBURSEMENT_SHORT, DISBURSEMENT_PAY,
		DISBURSEMENT_SKIP, DISBURSEMENT_SKIP, DISBURSEMENT_SKIP };
	for (int i = 0; i < 10; i++)
		if (sub[i] != want[i])
			fail_msg("payee %d: subsidy %d, want %d", i + 1,
			    sub[i], want[i]);
	assert_int_equal(c.drawn_fen[DISBURSEMENT_FUND_PRICE_SUBSIDY], 9000);
	/* benefits 40000 + 20000 + 10000, subsidies 3 x 3000 */
	assert_int_equal(c.pay_count, 6);
	assert_int_equal(c.pay_fen, 79000);
	/* short: benefits of 3 and 5 (no tekun budget), subsidy of 6 */
	assert_int_equal(c.short_count, 3);
	assert_int_equal(c.short_fen, 124000);
	/* No room: every due subsidy short. */
	disbursement_rules_build(p, 10, month("2026-03"), room, take, &c);
	disbursement_rules_subsidies(p, 10, month("2026-03"), 0, sub, &c);
	assert_int_equal(c.drawn_fen[DISBURSEMENT_FUND_PRICE_SUBSIDY], 0);
	assert_int_equal(sub[0], DISBURSEMENT_SHORT);
	assert_int_equal(sub[6], DISBURSEMENT_SHORT);
	/* Before its first month a low-income payee is due nothing. */
	p[6].from_month = month("2026-04");
	assert_false(disbursement_rules_subsidy_due(&p[6], month("2026-03")));
	assert_true(disbursement_rules_subsidy_due(&p[6], month("2026-04")));
	/* In gradual exit: due through its until_month, not after. */
	disbursement_payee g
	    = until(payee(11, DISBURSEMENT_FUND_DIBAO, 100), "2026-03");
	g.standing    = DISBURSEMENT_GRADUAL_EXIT;
	g.subsidy_fen = 3000;
	assert_true(disbursement_rules_subsidy_due(&g, month("2026-03")));
	assert_false(disbursement_rules_subsidy_due(&g, month("2026-04")));
	/* Not a period: nothing. */
	assert_false(disbursement_rules_subsidy_due(&g, month("1999-12")));
}

/* Which categories are paid the subsidy alone, and their names. */
static void
test_categories(void **state)
{
	static const struct {
		int         category;
		bool        subsidy_only;
		const char *name;
	} t[] = {
		{ 0, false, NULL },
		{ 1, false, "tekun" },
		{ 2, false, "dibao" },
		{ 3, false, NULL }, /* expenditure: referred, not paid */
		{ 4, true, "low_income" },
		{ 5, false, NULL },
		{ 6, false, NULL },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *n
		    = disbursement_rules_category_name(t[i].category);
		if (disbursement_rules_subsidy_only(t[i].category)
		        != t[i].subsidy_only
		    || (n == NULL) != (t[i].name == NULL)
		    || (n != NULL && strcmp(n, t[i].name) != 0))
			fail_msg("category %d", t[i].category);
	}
}

/* An earlier month of payee id as the register now says it. */
static disbursement_past
past(int64_t id, const char *m, int64_t fen, int64_t paid)
{
	disbursement_past q = { .payee_id = id,
		.fund                     = DISBURSEMENT_FUND_DIBAO,
		.month                    = month(m),
		.standing                 = DISBURSEMENT_ACTIVE,
		.monthly_fen              = fen,
		.from_month               = month("2026-01"),
		.paid_fen                 = paid };
	return q;
}

/* What the register says for a past month: its amount while due. */
static void
test_register_fen(void **state)
{
	(void) state;
	disbursement_past q = past(1, "2026-02", 60000, 50000);
	assert_int_equal(disbursement_rules_register_fen(&q), 60000);
	q.standing = DISBURSEMENT_SUSPENDED;
	assert_int_equal(disbursement_rules_register_fen(&q), 0);
	q.standing    = DISBURSEMENT_GRADUAL_EXIT;
	q.has_until   = true;
	q.until_month = month("2026-01");
	assert_int_equal(disbursement_rules_register_fen(&q), 0);
	q.until_month = month("2026-02");
	assert_int_equal(disbursement_rules_register_fen(&q), 60000);
	q.standing = DISBURSEMENT_EXITED;
	assert_int_equal(disbursement_rules_register_fen(&q), 0);
	q = past(1, "2025-12", 60000, 0); /* before its first month */
	assert_int_equal(disbursement_rules_register_fen(&q), 0);
}

/*
 * Back-payments and recoveries: payee 1 was underpaid in January (a
 * back-payment line), payee 2 overpaid by more than this month's payment
 * (netted to nothing, the rest carries), payee 3 owes from before and is
 * overpaid again (both netted), payee 4 paid right (nothing), payee 5
 * underpaid beyond what is left of the budget (short).
 */
static void
test_corrections(void **state)
{
	(void) state;
	disbursement_payee p[5] = {
		payee(1, DISBURSEMENT_FUND_DIBAO, 60000),
		payee(2, DISBURSEMENT_FUND_DIBAO, 20000),
		payee(3, DISBURSEMENT_FUND_DIBAO, 30000),
		payee(4, DISBURSEMENT_FUND_DIBAO, 50000),
		payee(5, DISBURSEMENT_FUND_DIBAO, 10000),
	};
	p[2].owed_fen          = 1000;
	disbursement_past q[6] = {
		past(1, "2026-01", 60000, 50000), /* +10000 */
		past(2, "2026-01", 20000, 50000), /* -30000 */
		past(3, "2026-01", 30000, 32000), /* -2000 */
		past(4, "2026-01", 50000, 50000),
		past(5, "2026-01", 30000, 0), /* +30000 */
		past(5, "2026-02", 10000, 10000),
	};
	int64_t room[DISBURSEMENT_NFUNDS] = { 0 };
	room[DISBURSEMENT_FUND_DIBAO]     = 200000;
	disbursement_take  take[5];
	disbursement_fix   fix[6];
	int64_t            netted[5];
	size_t             nfix;
	disbursement_chunk c;
	disbursement_rules_build(p, 5, month("2026-03"), room, take, &c);
	assert_int_equal(c.drawn_fen[DISBURSEMENT_FUND_DIBAO], 170000);
	disbursement_rules_corrections(
	    p, 5, take, q, 6, room, fix, &nfix, netted, &c);
	static const int64_t want_netted[5] = { 0, 20000, 3000, 0, 0 };
	for (int i = 0; i < 5; i++)
		if (netted[i] != want_netted[i])
			fail_msg("payee %d netted %lld, want %lld", i + 1,
			    (long long) netted[i], (long long) want_netted[i]);
	/* Recoveries first (payees 2, 3), then back-payments (1, 5). */
	assert_int_equal(nfix, 4);
	assert_int_equal(fix[0].payee_id, 2);
	assert_int_equal(fix[0].amount_fen, -30000);
	assert_int_equal(fix[0].take, DISBURSEMENT_PAY);
	assert_int_equal(fix[1].payee_id, 3);
	assert_int_equal(fix[1].amount_fen, -2000);
	assert_int_equal(fix[2].payee_id, 1);
	assert_int_equal(fix[2].amount_fen, 10000);
	assert_true(sn_month_cmp(fix[2].month, month("2026-01")) == 0);
	/* room 200000 - (170000 - 23000 netted) = 53000: 1's 10000 fits,
	 * and 5's 30000 too. */
	assert_int_equal(fix[2].take, DISBURSEMENT_PAY);
	assert_int_equal(fix[3].payee_id, 5);
	assert_int_equal(fix[3].take, DISBURSEMENT_PAY);
	assert_int_equal(c.drawn_fen[DISBURSEMENT_FUND_DIBAO], 187000);
	/* payee 2's payment netted to nothing is no payment: 4 + 2 */
	assert_int_equal(c.pay_count, 6);

	/* Less room: payee 5's back-payment is short (found again next
	 * run). */
	room[DISBURSEMENT_FUND_DIBAO] = 185000; /* 38000 left */
	disbursement_rules_build(p, 5, month("2026-03"), room, take, &c);
	disbursement_rules_corrections(
	    p, 5, take, q, 6, room, fix, &nfix, netted, &c);
	assert_int_equal(nfix, 4);
	assert_int_equal(fix[2].take, DISBURSEMENT_PAY);
	assert_int_equal(fix[3].take, DISBURSEMENT_SHORT);
	assert_int_equal(c.short_count, 1);
	assert_int_equal(c.short_fen, 30000);
	assert_int_equal(c.drawn_fen[DISBURSEMENT_FUND_DIBAO], 157000);
}

static sn_principal
who(const char *user, const char *role, const char *juris)
{
	sn_principal p;
	memset(&p, 0, sizeof(p));
	strcpy(p.user, user);
	strcpy(p.role, role);
	strcpy(p.juris, juris);
	return p;
}

static void
test_approval(void **state)
{
	(void) state;
#define AWAITING DISBURSEMENT_RUN_AWAITING_APPROVAL
	static const struct {
		const char             *name, *user, *role, *juris;
		disbursement_run_status status;
		const char             *creator;
		bool                    decided;
		const char             *decision;
		const char             *code; /* NULL: allowed */
	} cases[] = {
		{ "approve", "fa-1", "finance_approver", "220103", AWAITING,
		    "fin-1", false, "approve", NULL },
		{ "reject", "fa-1", "finance_approver", "220103", AWAITING,
		    "fin-1", false, "reject", NULL },
		{ "creator approves", "fin-1", "finance_approver", "220103",
		    AWAITING, "fin-1", false, "approve", "same_user" },
		{ "creator rejects", "fin-1", "finance_approver", "220103",
		    AWAITING, "fin-1", false, "reject", "same_user" },
		{ "decided a case", "fa-1", "finance_approver", "220103",
		    AWAITING, "fin-1", true, "approve", "approved_a_case" },
		{ "decided a case, rejects", "fa-1", "finance_approver",
		    "220103", AWAITING, "fin-1", true, "reject", NULL },
		{ "finance is not an approver", "fa-1", "finance", "220103",
		    AWAITING, "fin-1", false, "approve", "forbidden" },
		{ "township approver", "fa-1", "finance_approver", "220103001",
		    AWAITING, "fin-1", false, "approve", "forbidden" },
		{ "still building", "fa-1", "finance_approver", "220103",
		    DISBURSEMENT_RUN_BUILDING, "fin-1", false, "approve",
		    "not_awaiting_approval" },
		{ "already approved", "fa-1", "finance_approver", "220103",
		    DISBURSEMENT_RUN_APPROVED, "fin-1", false, "approve",
		    "not_awaiting_approval" },
		{ "no such decision", "fa-1", "finance_approver", "220103",
		    AWAITING, "fin-1", false, "maybe", "invalid_decision" },
		{ "no run", "fa-1", "finance_approver", "220103",
		    DISBURSEMENT_RUN_NONE, "fin-1", false, "approve",
		    "not_found" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_principal p
		    = who(cases[i].user, cases[i].role, cases[i].juris);
		disbursement_run_view v    = { .status = cases[i].status,
			   .created_by                 = cases[i].creator,
			   .approver_decided_a_case    = cases[i].decided };
		disbursement_run_step step = DISBURSEMENT_RUN_BUILT;
		sn_problem            why;
		sn_problem_clear(&why);
		bool ok = disbursement_rules_approval(
		    &p, &v, cases[i].decision, &step, &why);
		if (ok != (cases[i].code == NULL)
		    || (!ok && strcmp(why.code, cases[i].code) != 0))
			fail_msg("%s: ok %d code %s, want %s", cases[i].name,
			    ok, ok ? "-" : why.code,
			    cases[i].code ? cases[i].code : "allowed");
		if (ok)
			assert_int_equal(step,
			    strcmp(cases[i].decision, "approve") == 0
			        ? DISBURSEMENT_RUN_APPROVE
			        : DISBURSEMENT_RUN_REJECT);
	}
#undef AWAITING
}

static void
test_allocation(void **state)
{
	(void) state;
	static const struct {
		const char *name, *role, *juris, *fund;
		int64_t     year, amount;
		const char *code;
	} cases[] = {
		{ "ok", "finance", "220103", "dibao", 2026, 100, NULL },
		{ "tekun", "finance", "220103", "tekun", 2026, 1, NULL },
		{ "emergency", "finance", "220103", "emergency", 2026, 1,
		    NULL },
		{ "not finance", "finance_approver", "220103", "dibao", 2026,
		    100, "forbidden" },
		{ "township", "finance", "220103001", "dibao", 2026, 100,
		    "forbidden" },
		{ "no fund", "finance", "220103", "food", 2026, 100,
		    "invalid_fund" },
		{ "NULL fund", "finance", "220103", NULL, 2026, 100,
		    "invalid_fund" },
		{ "year", "finance", "220103", "dibao", 1999, 100,
		    "invalid_year" },
		{ "zero", "finance", "220103", "dibao", 2026, 0,
		    "invalid_amount" },
		{ "negative", "finance", "220103", "dibao", 2026, -1,
		    "invalid_amount" },
		{ "too much", "finance", "220103", "dibao", 2026,
		    DISBURSEMENT_AMOUNT_MAX + 1, "invalid_amount" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_principal p = who("fin-1", cases[i].role, cases[i].juris);
		sn_problem   why;
		sn_problem_clear(&why);
		bool ok = disbursement_rules_allocation(
		    &p, cases[i].fund, cases[i].year, cases[i].amount, &why);
		if (ok != (cases[i].code == NULL)
		    || (!ok && strcmp(why.code, cases[i].code) != 0))
			fail_msg("%s: ok %d code %s", cases[i].name, ok,
			    ok ? "-" : why.code);
	}
}

static disbursement_recon_in
balanced(void)
{
	disbursement_recon_in in;
	memset(&in, 0, sizeof(in));
	in.plan_count = in.payments_count = 10;
	in.plan_fen = in.payments_fen = in.run_total_fen = 1000;
	in.settled_count                                 = 9;
	in.settled_fen                                   = 900;
	in.rejected_count                                = 1;
	in.rejected_fen                                  = 100;
	in.allocated_fen[DISBURSEMENT_FUND_DIBAO]        = 1000;
	in.drawn_fen[DISBURSEMENT_FUND_DIBAO]            = 1000;
	in.sending                                       = true;
	return in;
}

static void
test_reconcile(void **state)
{
	(void) state;
	disbursement_finding  f[DISBURSEMENT_MAX_FINDINGS];
	disbursement_recon_in in = balanced();
	assert_int_equal(disbursement_rules_reconcile(&in, f), 0);

	in                = balanced();
	in.payments_count = 11;
	in.settled_count  = 10;
	assert_int_equal(disbursement_rules_reconcile(&in, f), 1);
	assert_string_equal(f[0].code, "count_differs");

	in              = balanced();
	in.payments_fen = 1001;
	in.settled_fen  = 901;
	assert_int_equal(disbursement_rules_reconcile(&in, f), 1);
	assert_string_equal(f[0].code, "total_differs");

	in               = balanced();
	in.run_total_fen = 999;
	assert_int_equal(disbursement_rules_reconcile(&in, f), 1);
	assert_string_equal(f[0].code, "run_total_differs");

	in               = balanced();
	in.settled_count = 8;
	assert_int_equal(disbursement_rules_reconcile(&in, f), 1);
	assert_string_equal(f[0].code, "status_count_differs");

	in             = balanced();
	in.settled_fen = 899;
	assert_int_equal(disbursement_rules_reconcile(&in, f), 1);
	assert_string_equal(f[0].code, "status_total_differs");

	in                                    = balanced();
	in.drawn_fen[DISBURSEMENT_FUND_TEKUN] = 1;
	assert_int_equal(disbursement_rules_reconcile(&in, f), 1);
	assert_string_equal(f[0].code, "over_budget");

	in = balanced();
	in.settled_count--;
	in.settled_fen -= 100;
	in.unknown_count = 1;
	in.unknown_fen   = 100;
	assert_int_equal(disbursement_rules_reconcile(&in, f), 1);
	assert_string_equal(f[0].code, "unknown_instructions");
	in.sending = false; /* not approved yet: nothing was to be sent */
	assert_int_equal(disbursement_rules_reconcile(&in, f), 0);
}

static void
test_misc(void **state)
{
	(void) state;
	assert_int_equal(
	    disbursement_rules_fund_of_category(1), DISBURSEMENT_FUND_TEKUN);
	assert_int_equal(
	    disbursement_rules_fund_of_category(2), DISBURSEMENT_FUND_DIBAO);
	for (int c = 3; c <= 6; c++)
		assert_int_equal(disbursement_rules_fund_of_category(c),
		    DISBURSEMENT_FUND_NONE);
	assert_string_equal(
	    disbursement_rules_fund_name(DISBURSEMENT_FUND_EMERGENCY),
	    "emergency");
	assert_null(disbursement_rules_fund_name(DISBURSEMENT_FUND_NONE));
	assert_int_equal(
	    disbursement_rules_fund_parse("tekun"), DISBURSEMENT_FUND_TEKUN);
	assert_string_equal(disbursement_rules_bank_status(2), "settled");
	assert_null(disbursement_rules_bank_status(0));
	int64_t a[3] = { 100, 200, 300 }, sum = 0;
	assert_true(disbursement_rules_control_sum(a, 3, &sum));
	assert_int_equal(sum, 600);
	a[1] = 0;
	assert_false(disbursement_rules_control_sum(a, 3, &sum));
	int64_t big[2] = { INT64_MAX, 1 };
	assert_false(disbursement_rules_control_sum(big, 2, &sum));
}

/* Every status and step: the runs' life is building → awaiting_approval
 * → approved → sending → completed, or awaiting_approval → rejected. */
static void
test_run_next(void **state)
{
	(void) state;
	enum { NS = DISBURSEMENT_RUN_COMPLETED + 1, NSTEP = 5 };
	/* want[from][step]: built, approve, reject, start, complete. */
	static const disbursement_run_status want[NS][NSTEP] = {
		[DISBURSEMENT_RUN_BUILDING]
		= { DISBURSEMENT_RUN_AWAITING_APPROVAL },
		[DISBURSEMENT_RUN_AWAITING_APPROVAL] = { DISBURSEMENT_RUN_NONE,
		    DISBURSEMENT_RUN_APPROVED, DISBURSEMENT_RUN_REJECTED },
		[DISBURSEMENT_RUN_APPROVED]
		= { DISBURSEMENT_RUN_NONE, DISBURSEMENT_RUN_NONE,
		    DISBURSEMENT_RUN_NONE, DISBURSEMENT_RUN_SENDING },
		[DISBURSEMENT_RUN_SENDING] = { DISBURSEMENT_RUN_NONE,
		    DISBURSEMENT_RUN_NONE, DISBURSEMENT_RUN_NONE,
		    DISBURSEMENT_RUN_NONE, DISBURSEMENT_RUN_COMPLETED },
	};
	static const disbursement_run_step steps[NSTEP]
	    = { DISBURSEMENT_RUN_BUILT, DISBURSEMENT_RUN_APPROVE,
		      DISBURSEMENT_RUN_REJECT, DISBURSEMENT_RUN_START,
		      DISBURSEMENT_RUN_COMPLETE };
	for (int f = 0; f < NS; f++)
		for (int k = 0; k < NSTEP; k++) {
			disbursement_run_status got
			    = disbursement_rules_run_next(
			        (disbursement_run_status) f, steps[k]);
			if (got != want[f][k])
				fail_msg("run %s, step %d: %s, want %s",
				    disbursement_run_status_names[f], k,
				    disbursement_run_status_names[got],
				    disbursement_run_status_names[want[f][k]]);
		}
	assert_false(
	    disbursement_rules_run_sending(DISBURSEMENT_RUN_BUILDING));
	assert_false(disbursement_rules_run_sending(
	    DISBURSEMENT_RUN_AWAITING_APPROVAL));
	assert_false(
	    disbursement_rules_run_sending(DISBURSEMENT_RUN_REJECTED));
	assert_true(disbursement_rules_run_sending(DISBURSEMENT_RUN_APPROVED));
	assert_true(disbursement_rules_run_sending(DISBURSEMENT_RUN_SENDING));
	assert_true(
	    disbursement_rules_run_sending(DISBURSEMENT_RUN_COMPLETED));
}

/* Every status, step and word of the bank. */
static void
test_payment_next(void **state)
{
	(void) state;
	enum { NS = DISBURSEMENT_NPAYMENT_STATUSES };
#define P(x) DISBURSEMENT_PAYMENT_##x
	/* The bank's word on a payment in each status: none, accepted,
	 * settled, rejected, unknown, retry. */
	static const disbursement_payment_status answered[NS][6] = {
		[P(SENT)] = { P(NONE), P(ACCEPTED), P(SETTLED), P(REJECTED),
		    P(READY), P(READY) },
		[P(ACCEPTED)] = { P(NONE), P(ACCEPTED), P(SETTLED),
		    P(REJECTED), P(NONE), P(READY) },
	};
	static const disbursement_payment_status claimed[NS]
	    = { [P(PLANNED)] = P(SENT), [P(READY)] = P(SENT) };
	static const disbursement_payment_status refused[NS]
	    = { [P(SENT)] = P(READY) };
	static const disbursement_payment_status corrected[NS]
	    = { [P(REJECTED)] = P(READY) };
	for (int f = 0; f < NS; f++) {
		disbursement_payment_status from
		    = (disbursement_payment_status) f;
		const char *name = disbursement_payment_status_names[f];
		for (int w = 0; w < 6; w++)
			if (disbursement_rules_payment_next(from,
			        DISBURSEMENT_PAY_ANSWERED,
			        (disbursement_bank_word) w)
			    != answered[f][w])
				fail_msg("%s answered %d", name, w);
		if (disbursement_rules_payment_next(
		        from, DISBURSEMENT_PAY_CLAIMED, DISBURSEMENT_BANK_NONE)
		    != claimed[f])
			fail_msg("%s claimed", name);
		if (disbursement_rules_payment_next(
		        from, DISBURSEMENT_PAY_REFUSED, DISBURSEMENT_BANK_NONE)
		    != refused[f])
			fail_msg("%s refused", name);
		if (disbursement_rules_payment_next(from,
		        DISBURSEMENT_PAY_CORRECTED, DISBURSEMENT_BANK_NONE)
		    != corrected[f])
			fail_msg("%s corrected", name);
		assert_int_equal(disbursement_rules_payment_final(from),
		    from == P(SETTLED) || from == P(REJECTED));
		assert_int_equal(disbursement_rules_payment_open(from),
		    from == P(PLANNED) || from == P(READY) || from == P(SENT)
		        || from == P(ACCEPTED));
		assert_int_equal(disbursement_rules_payment_staged(from),
		    from == P(READY) || from == P(ACCEPTED)
		        || from == P(REJECTED));
	}
#undef P
}

/* A run starts sending only with every fund it pays configured at the
 * gateway: a passing case, then each way of missing one. */
static void
test_funds_configured(void **state)
{
	(void) state;
	const char *const               asked[] = { "dibao", "price_subsidy" };
	const disbursement_fund_account all[]   = { { "tekun", false },
		  { "price_subsidy", true }, { "dibao", true } };
	const char                     *missing = NULL;
	sn_problem                      why;
	sn_problem_clear(&why);
	assert_true(disbursement_rules_funds_configured(
	    asked, 2, all, 3, &missing, &why));
	assert_null(missing);
	assert_false(sn_problem_is_set(&why));
	assert_true(disbursement_rules_funds_configured(
	    NULL, 0, NULL, 0, &missing, &why));

	/* said not configured */
	const disbursement_fund_account off[]
	    = { { "dibao", true }, { "price_subsidy", false } };
	assert_false(disbursement_rules_funds_configured(
	    asked, 2, off, 2, &missing, &why));
	assert_int_equal(why.status, 409);
	assert_string_equal(why.code, "fund_not_configured");
	assert_string_equal(missing, "price_subsidy");
	assert_non_null(strstr(why.message, "price_subsidy"));

	/* not in the reply at all: the first asked that is missing */
	sn_problem_clear(&why);
	const disbursement_fund_account none[] = { { "tekun", true } };
	assert_false(disbursement_rules_funds_configured(
	    asked, 2, none, 1, &missing, &why));
	assert_string_equal(missing, "dibao");
	assert_string_equal(why.code, "fund_not_configured");
}

/* RETRY's wait: the base, doubled per earlier retry, capped. */
static void
test_retry_delay(void **state)
{
	(void) state;
	static const struct {
		int32_t  retries;
		uint64_t base, max, want;
	} t[] = {
		{ 0, 60000, 3600000, 60000 },
		{ 1, 60000, 3600000, 120000 },
		{ 5, 60000, 3600000, 1920000 },
		{ 6, 60000, 3600000, 3600000 },
		{ 1000000, 60000, 3600000, 3600000 },
		{ 70, UINT64_MAX / 4, UINT64_MAX, UINT64_MAX },
		{ 0, 500, 100, 100 },
		{ -3, 500, 100000, 500 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t got = disbursement_rules_retry_delay_ms(
		    t[i].retries, t[i].base, t[i].max);
		if (got != t[i].want)
			fail_msg("retries %d: %llu, want %llu",
			    (int) t[i].retries, (unsigned long long) got,
			    (unsigned long long) t[i].want);
	}
}

/* The sender's wait: poll_ms while busy, doubling while idle, capped. */
static void
test_next_wait(void **state)
{
	(void) state;
	static const struct {
		bool     busy;
		uint32_t last, poll, idle, want;
	} t[] = {
		{ true, 5000, 200, 5000, 200 },
		{ false, 0, 200, 5000, 200 },
		{ false, 200, 200, 5000, 400 },
		{ false, 3200, 200, 5000, 5000 },
		{ false, 5000, 200, 5000, 5000 },
		{ false, 200, 200, 100, 200 },
		{ false, 4000000000u, 200, 4000000000u, 4000000000u },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint32_t got = disbursement_rules_next_wait_ms(
		    t[i].busy, t[i].last, t[i].poll, t[i].idle);
		if (got != t[i].want)
			fail_msg("case %zu: %u, want %u", i, got, t[i].want);
	}
}

static void
test_correction(void **state)
{
	(void) state;
	enum { R = DISBURSEMENT_PAYMENT_REJECTED };
	static const struct {
		const char *name, *juris;
		bool        found;
		int         status;
		const char *township;
		bool        grant;
		int32_t     attempt;
		const char *code; /* NULL: allowed */
	} cases[] = {
		{ "corrected", "220103001", true, R, "220103001", false, 1,
		    NULL },
		{ "the 98th correction", "220103001", true, R, "220103001",
		    false, 98, NULL },
		{ "no such payment", "220103001", false, R, "220103001", false,
		    1, "not_found" },
		{ "another township", "220103002", true, R, "220103001", false,
		    1, "not_found" },
		{ "an emergency payment", "220103001", true, R, "220103001",
		    true, 1, "not_correctable" },
		{ "settled", "220103001", true, DISBURSEMENT_PAYMENT_SETTLED,
		    "220103001", false, 1, "not_rejected" },
		{ "still sent", "220103001", true, DISBURSEMENT_PAYMENT_SENT,
		    "220103001", false, 1, "not_rejected" },
		{ "too often", "220103001", true, R, "220103001", false, 99,
		    "too_many_attempts" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_principal p
		    = who("tk-2", "township_officer", cases[i].juris);
		disbursement_payment_view v = { .found = cases[i].found,
			.status
			= (disbursement_payment_status) cases[i].status,
			.township_code = cases[i].township,
			.is_grant      = cases[i].grant,
			.attempt       = cases[i].attempt };
		disbursement_correction   c = { DISBURSEMENT_PAYMENT_NONE,
			  DISBURSEMENT_PAYMENT_NONE, 0 };
		sn_problem                why;
		sn_problem_clear(&why);
		bool ok = disbursement_rules_correction(&p, &v, &c, &why);
		if (ok != (cases[i].code == NULL)
		    || (!ok && strcmp(why.code, cases[i].code) != 0))
			fail_msg("%s: ok %d code %s", cases[i].name, ok,
			    ok ? "-" : why.code);
		if (ok) {
			assert_int_equal(c.from, R);
			assert_int_equal(c.to, DISBURSEMENT_PAYMENT_READY);
			assert_int_equal(c.attempt, cases[i].attempt + 1);
		}
	}
}

/* Issue 10: an account change's holder is a member; the checker is not
 * the maker. */
static void
test_account_change(void **state)
{
	(void) state;
	enum { R = DISBURSEMENT_PAYMENT_REJECTED };
	static const char *const names[] = { "张三", "李四" };
	static const struct {
		const char *name, *user, *role, *juris, *holder, *maker;
		size_t      nnames;
		bool        pending, confirming, grant;
		int         status;
		const char *code; /* NULL: allowed */
	} cases[] = {
		{ "a member proposed", "tk-2", "township_officer", "220103001",
		    "李四", NULL, 2, false, false, false, R, NULL },
		{ "a stranger proposed", "tk-2", "township_officer",
		    "220103001", "王五", NULL, 2, false, false, false, R,
		    "name_not_member" },
		{ "no names known", "tk-2", "township_officer", "220103001",
		    "张三", NULL, 0, false, false, false, R,
		    "name_not_member" },
		{ "a name differing by a space", "tk-2", "township_officer",
		    "220103001", "张三 ", NULL, 2, false, false, false, R,
		    "name_not_member" },
		{ "proposed for a settled payment", "tk-2", "township_officer",
		    "220103001", "张三", NULL, 2, false, false, false,
		    DISBURSEMENT_PAYMENT_SETTLED, "not_rejected" },
		{ "proposed in another township", "tk-2", "township_officer",
		    "220103002", "张三", NULL, 2, false, false, false, R,
		    "not_found" },
		{ "confirmed by another officer", "tk-3", "township_officer",
		    "220103001", NULL, "tk-2", 2, true, true, false, R, NULL },
		{ "confirmed by finance", "fin-1", "finance", "220103", NULL,
		    "tk-2", 2, true, true, false, R, NULL },
		{ "confirmed by its maker", "tk-2", "township_officer",
		    "220103001", NULL, "tk-2", 2, true, true, false, R,
		    "same_user" },
		{ "rejected by its maker", "tk-2", "township_officer",
		    "220103001", NULL, "tk-2", 2, true, false, false, R,
		    "same_user" },
		{ "rejected by another officer", "tk-3", "township_officer",
		    "220103001", NULL, "tk-2", 2, true, false, false, R,
		    NULL },
		{ "confirmed with nothing pending", "tk-3", "township_officer",
		    "220103001", NULL, NULL, 2, false, true, false, R,
		    "nothing_pending" },
		{ "confirmed in another township", "tk-3", "township_officer",
		    "220103002", NULL, "tk-2", 2, true, true, false, R,
		    "not_found" },
		{ "confirmed once settled", "tk-3", "township_officer",
		    "220103001", NULL, "tk-2", 2, true, true, false,
		    DISBURSEMENT_PAYMENT_SETTLED, "not_rejected" },
		{ "an emergency payment confirmed", "tk-3", "township_officer",
		    "220103001", NULL, "tk-2", 2, true, true, true, R,
		    "not_correctable" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_principal p
		    = who(cases[i].user, cases[i].role, cases[i].juris);
		disbursement_payment_view v = { .found = true,
			.status
			= (disbursement_payment_status) cases[i].status,
			.township_code = "220103001",
			.is_grant      = cases[i].grant,
			.attempt       = 1 };
		disbursement_change_view  c
		    = { cases[i].pending, cases[i].maker };
		disbursement_correction next = { DISBURSEMENT_PAYMENT_NONE,
			DISBURSEMENT_PAYMENT_NONE, 0 };
		sn_problem              why;
		bool                    ok;
		sn_problem_clear(&why);
		if (cases[i].holder != NULL)
			ok = disbursement_rules_proposal(&p, &v,
			    cases[i].holder, names, cases[i].nnames, &why);
		else
			ok = disbursement_rules_checker(
			    &p, &v, &c, cases[i].confirming, &next, &why);
		if (ok != (cases[i].code == NULL)
		    || (!ok && strcmp(why.code, cases[i].code) != 0))
			fail_msg("%s: ok %d code %s", cases[i].name, ok,
			    ok ? "-" : why.code);
		if (ok && cases[i].confirming)
			assert_int_equal(next.attempt, 2);
	}
}

/* Issue 10: runs only for sensible periods (the district in March). */
static void
test_run_period(void **state)
{
	(void) state;
	static const struct {
		const char *period;
		bool        completed; /* a run of it completed */
		bool        ok;
	} cases[] = {
		{ "2026-03", false, true },  /* the current month */
		{ "2026-04", false, true },  /* one month ahead */
		{ "2026-05", false, false }, /* two ahead */
		{ "2027-03", false, false },
		{ "2026-02", false, true }, /* the previous, still open */
		{ "2026-02", true,
		    false }, /* the previous, its run completed */
		{ "2026-01", false, false }, /* before the previous */
		{ "2025-12", false, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_problem why;
		sn_problem_clear(&why);
		bool ok = disbursement_rules_run_period(month(cases[i].period),
		    month("2026-03"), cases[i].completed, &why);
		if (ok != cases[i].ok
		    || (!ok && strcmp(why.code, "invalid_period") != 0))
			fail_msg("%s (completed %d): ok %d", cases[i].period,
			    cases[i].completed, ok);
	}
	/* across a year's end: in January, December is the previous month */
	sn_problem why;
	sn_problem_clear(&why);
	assert_true(disbursement_rules_run_period(
	    month("2026-12"), month("2027-01"), false, &why));
	assert_false(disbursement_rules_run_period(
	    month("2026-11"), month("2027-01"), false, &why));
	assert_true(disbursement_rules_run_period(
	    month("2027-01"), month("2026-12"), false, &why));
}

/* Issue 10: an instalment k of n. */
static void
test_instalments(void **state)
{
	(void) state;
	static const struct {
		int32_t k, n;
		bool    ok;
	} cases[] = {
		{ 0, 0, true }, /* paid at once */
		{ 1, 1, true },
		{ 1, 3, true },
		{ 3, 3, true },
		{ 99, 99, true },
		{ 0, 3, false },
		{ 4, 3, false },
		{ 1, 0, false },
		{ -1, 3, false },
		{ 100, 100, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (disbursement_rules_instalment_ok(cases[i].k, cases[i].n)
		    != cases[i].ok)
			fail_msg(
			    "instalment %d of %d", cases[i].k, cases[i].n);
}

static void
test_scope(void **state)
{
	(void) state;
	static const struct {
		const char *name, *role, *juris, *township;
		const char *prefix; /* NULL: refused */
	} cases[] = {
		{ "finance sees all", "finance", "220103", NULL, "" },
		{ "approver sees all", "finance_approver", "220103", NULL,
		    "" },
		{ "officer sees his", "township_officer", "220103001", NULL,
		    "220103001" },
		{ "finance narrows", "finance", "220103", "220103002",
		    "220103002" },
		{ "officer narrows to his", "township_officer", "220103001",
		    "220103001", "220103001" },
		{ "officer asks another", "township_officer", "220103001",
		    "220103002", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_principal p      = who("u", cases[i].role, cases[i].juris);
		const char  *prefix = NULL;
		sn_problem   why;
		sn_problem_clear(&why);
		bool ok = disbursement_rules_payments_scope(
		    &p, cases[i].township, &prefix, &why);
		if (ok != (cases[i].prefix != NULL)
		    || (ok && strcmp(prefix, cases[i].prefix) != 0)
		    || (!ok
		        && (why.status != 403
		            || strcmp(why.code, "forbidden") != 0)))
			fail_msg("%s: ok %d prefix %s", cases[i].name, ok,
			    ok ? prefix : why.code);
	}
	sn_principal officer = who("tk", "township_officer", "220103001");
	sn_principal finance = who("f", "finance", "220103");
	assert_true(disbursement_rules_payment_visible(&officer, "220103001"));
	assert_false(
	    disbursement_rules_payment_visible(&officer, "220103002"));
	assert_false(disbursement_rules_payment_visible(&officer, ""));
	assert_true(disbursement_rules_payment_visible(&finance, "220103002"));
	assert_true(disbursement_rules_payment_visible(&finance, ""));
}

static void
test_parsing(void **state)
{
	(void) state;
	int32_t y = 0;
	assert_true(disbursement_rules_year_parse("2026", &y));
	assert_int_equal(y, 2026);
	assert_false(disbursement_rules_year_parse("1999", &y));
	assert_false(disbursement_rules_year_parse("202", &y));
	assert_false(disbursement_rules_year_parse("20266", &y));
	assert_false(disbursement_rules_year_parse("20a6", &y));
	assert_false(disbursement_rules_year_parse(NULL, &y));
	assert_int_equal(disbursement_rules_payment_status_parse("rejected"),
	    DISBURSEMENT_PAYMENT_REJECTED);
	assert_int_equal(disbursement_rules_payment_status_parse("planned"),
	    DISBURSEMENT_PAYMENT_PLANNED);
	assert_int_equal(disbursement_rules_payment_status_parse(""),
	    DISBURSEMENT_PAYMENT_NONE);
	assert_int_equal(disbursement_rules_payment_status_parse("lost"),
	    DISBURSEMENT_PAYMENT_NONE);
	assert_int_equal(disbursement_rules_payment_status_parse(NULL),
	    DISBURSEMENT_PAYMENT_NONE);
	assert_int_equal(
	    disbursement_rules_standing_of(3), DISBURSEMENT_EXITED);
	assert_int_equal(
	    disbursement_rules_standing_of(2), DISBURSEMENT_GRADUAL_EXIT);
	assert_int_equal(
	    disbursement_rules_standing_of(1), DISBURSEMENT_ACTIVE);
	assert_int_equal(
	    disbursement_rules_standing_of(0), DISBURSEMENT_ACTIVE);
	assert_int_equal(
	    disbursement_rules_standing_of(4), DISBURSEMENT_SUSPENDED);
	assert_string_equal(
	    disbursement_rules_standing_name(DISBURSEMENT_SUSPENDED),
	    "suspended");
	assert_string_equal(
	    disbursement_rules_fund_name(DISBURSEMENT_FUND_PRICE_SUBSIDY),
	    "price_subsidy");
	assert_int_equal(disbursement_rules_fund_parse("price_subsidy"),
	    DISBURSEMENT_FUND_PRICE_SUBSIDY);
	assert_int_equal(
	    disbursement_rules_bank_word(4), DISBURSEMENT_BANK_UNKNOWN);
	assert_int_equal(
	    disbursement_rules_bank_word(5), DISBURSEMENT_BANK_RETRY);
	assert_string_equal(disbursement_rules_bank_status(5), "retry");
	assert_int_equal(
	    disbursement_rules_bank_word(6), DISBURSEMENT_BANK_NONE);
	assert_int_equal(
	    disbursement_rules_bank_word(-1), DISBURSEMENT_BANK_NONE);
	assert_true(disbursement_rules_period_ok(month("2000-01")));
	assert_false(disbursement_rules_period_ok(month("1999-12")));
	assert_false(disbursement_rules_period_ok(month("2026-13")));
	assert_string_equal(
	    disbursement_rules_run_status_name(DISBURSEMENT_RUN_SENDING),
	    "sending");
	assert_null(disbursement_rules_run_status_name(DISBURSEMENT_RUN_NONE));
	assert_string_equal(
	    disbursement_rules_payment_status_name(DISBURSEMENT_PAYMENT_SENT),
	    "sent");
	assert_string_equal(
	    disbursement_rules_standing_name(DISBURSEMENT_GRADUAL_EXIT),
	    "gradual_exit");
	sn_principal township = who("fin-1", "finance", "220103001");
	sn_problem   why;
	sn_problem_clear(&why);
	assert_false(disbursement_rules_run_create(&township, &why));
	assert_int_equal(why.status, 403);
	sn_principal district = who("fin-1", "finance", "220103");
	sn_problem_clear(&why);
	assert_true(disbursement_rules_run_create(&district, &why));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_period),
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_subsidies),
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_register_fen),
		cmocka_unit_test(test_corrections),
		cmocka_unit_test(test_approval),
		cmocka_unit_test(test_allocation),
		cmocka_unit_test(test_reconcile),
		cmocka_unit_test(test_misc),
		cmocka_unit_test(test_run_next),
		cmocka_unit_test(test_payment_next),
		cmocka_unit_test(test_retry_delay),
		cmocka_unit_test(test_next_wait),
		cmocka_unit_test(test_funds_configured),
		cmocka_unit_test(test_correction),
		cmocka_unit_test(test_account_change),
		cmocka_unit_test(test_run_period),
		cmocka_unit_test(test_instalments),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_parsing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
