/*
 * bank-sim's pure parts: the fate of an instruction (amount, account,
 * name, settle now or later), a pain.001's judgement and its levels'
 * statuses, status names, UTF-8, the misbehaviour dice, and the fixture
 * parser, by tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "accounts.h"
#include "rules.h"

static const bank_sim_account zhang  = { "张三", BANK_SIM_OPEN, false, 0 };
static const bank_sim_account closed = { "张三", BANK_SIM_CLOSED, false, 0 };

static void
settle_tick_table(void **state)
{
	(void) state;
	static const struct {
		uint32_t settle_ms;
		uint64_t tick;
	} cases[] = {
		{ 0, 1000 },
		{ 1, 10 },
		{ 39, 10 },
		{ 40, 10 },
		{ 100, 25 },
		{ 2000, 500 },
		{ 4000, 1000 },
		{ 86400000, 1000 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(
		    bank_sim_rules_settle_tick_ms(cases[i].settle_ms),
		    cases[i].tick);
}

static void
decide_table(void **state)
{
	(void) state;
	struct {
		int64_t                 amount;
		const char             *name;
		const bank_sim_account *acct;
		bool                    open_all, later;
		bank_sim_status         status;
		const char             *code;
	} cases[] = {
		{ 83000, "张三", &zhang, false, false, BANK_SIM_SETTLED, "" },
		{ 83000, "张三", &zhang, true, true, BANK_SIM_ACCEPTED, "" },
		{ 83000, "李四", NULL, true, false, BANK_SIM_SETTLED, "" },
		{ 83000, "李四", NULL, false, false, BANK_SIM_REJECTED,
		    "no_such_account" },
		{ 83000, "张三", &closed, true, false, BANK_SIM_REJECTED,
		    "closed_account" },
		{ 83000, "李四", &zhang, true, false, BANK_SIM_REJECTED,
		    "name_mismatch" },
		{ 83000, "张三 ", &zhang, true, true, BANK_SIM_REJECTED,
		    "name_mismatch" },
		{ 0, "张三", &zhang, true, false, BANK_SIM_REJECTED,
		    "invalid_amount" },
		{ -1, "张三", &zhang, true, true, BANK_SIM_REJECTED,
		    "invalid_amount" },
		/* The amount is checked first, then the account. */
		{ 0, "李四", &closed, true, false, BANK_SIM_REJECTED,
		    "invalid_amount" },
		{ 1, "李四", &closed, true, false, BANK_SIM_REJECTED,
		    "closed_account" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bank_sim_instr    in = { .end_to_end_id = "E",
			   .amount_fen                  = cases[i].amount,
			   .bank_code                   = "",
			   .account_number              = "1",
			   .account_name                = cases[i].name,
			   .remittance_info             = "" };
		bank_sim_decision d  = bank_sim_rules_decide(
		     &in, cases[i].acct, cases[i].open_all, cases[i].later);
		assert_int_equal(d.status, cases[i].status);
		assert_string_equal(d.reason_code, cases[i].code);
		if (d.status == BANK_SIM_REJECTED)
			assert_true(d.reason[0] != '\0');
	}
}

static const bank_sim_account blocked = { "张三", BANK_SIM_BLOCKED, false, 0 };
static const bank_sim_account deceased
    = { "张三", BANK_SIM_DECEASED, false, 0 };
static const bank_sim_account fund = { NULL, BANK_SIM_OPEN, true, 1000 };

/* The new states, and a record without a name (a fund account named by
 * its balance only) taking any name; the ISO codes beside. */
static void
decide_states(void **state)
{
	(void) state;
	bank_sim_instr    in = { .end_to_end_id = "E",
		   .amount_fen                  = 100,
		   .bank_code                   = "",
		   .account_number              = "1",
		   .account_name                = "张三",
		   .remittance_info             = "" };
	bank_sim_decision d
	    = bank_sim_rules_decide(&in, &blocked, true, false);
	assert_string_equal(d.reason_code, "blocked_account");
	assert_string_equal(d.iso_code, "AC06");
	d = bank_sim_rules_decide(&in, &deceased, true, false);
	assert_string_equal(d.reason_code, "holder_deceased");
	assert_string_equal(d.iso_code, "MD07");
	d = bank_sim_rules_decide(&in, &fund, false, false);
	assert_int_equal(d.status, BANK_SIM_SETTLED);
	assert_string_equal(d.iso_code, "");
	d = bank_sim_rules_decide(&in, &closed, true, false);
	assert_string_equal(d.iso_code, "AC04");
	d = bank_sim_rules_decide(&in, NULL, false, false);
	assert_string_equal(d.iso_code, "AC01");
	in.account_name = "李四";
	d               = bank_sim_rules_decide(&in, &zhang, true, false);
	assert_string_equal(d.iso_code, "BE01");
	in.amount_fen = 0;
	d             = bank_sim_rules_decide(&in, &zhang, true, false);
	assert_string_equal(d.iso_code, "AM12");
	d = bank_sim_rules_short();
	assert_int_equal(d.status, BANK_SIM_REJECTED);
	assert_string_equal(d.reason_code, "insufficient_funds");
	assert_string_equal(d.iso_code, "AM04");
}

static bank_sim_iso_tx
iso_tx(const char *e2e, int64_t amount, bank_sim_status stored, size_t block)
{
	bank_sim_iso_tx t = { .in = { .end_to_end_id = e2e,
		                  .amount_fen        = amount,
		                  .bank_code         = "",
		                  .account_number    = "1",
		                  .account_name      = "张三",
		                  .remittance_info   = "" },
		.amount_ok        = true,
		.account          = &zhang,
		.stored           = stored,
		.block            = block };
	return t;
}

/* New, duplicate, retry, repeat within the message, AM12, AM04 for a
 * short block only, the balance shared by two blocks of one account. */
static void
judge_table(void **state)
{
	(void) state;
	bank_sim_iso_tx txs[] = {
		iso_tx("N-1", 300, BANK_SIM_UNKNOWN, 0),
		iso_tx("D-1", 900, BANK_SIM_SETTLED, 0),  /* duplicate */
		iso_tx("R-1", 200, BANK_SIM_REJECTED, 0), /* retry */
		iso_tx("N-1", 300, BANK_SIM_UNKNOWN, 0),  /* repeat */
		iso_tx("A-1", 100, BANK_SIM_UNKNOWN, 0),
		iso_tx("S-1", 400, BANK_SIM_UNKNOWN, 1), /* 500 + 400 > 900 */
		iso_tx("S-2", 100, BANK_SIM_UNKNOWN, 1),
		iso_tx("U-1", 5000, BANK_SIM_UNKNOWN, 2), /* no limit */
	};
	size_t             n     = sizeof(txs) / sizeof(txs[0]);
	int64_t            avail = 900;
	bank_sim_iso_block blocks[]
	    = { { &avail, false }, { &avail, false }, { NULL, false } };
	bank_sim_iso_key     keys[8];
	bank_sim_iso_verdict v[8];
	txs[4].amount_ok = false;
	bank_sim_rules_judge(txs, n, blocks, 3, true, false, keys, v);
	assert_true(v[0].book);
	assert_int_equal(v[0].d.status, BANK_SIM_SETTLED);
	assert_false(v[1].book);
	assert_int_equal(v[1].d.status, BANK_SIM_SETTLED);
	assert_true(v[2].book);
	assert_int_equal(v[2].d.status, BANK_SIM_SETTLED);
	assert_false(v[3].book);
	assert_int_equal(v[3].d.status, BANK_SIM_SETTLED);
	assert_true(v[4].book);
	assert_string_equal(v[4].d.iso_code, "AM12");
	/* Block 0 books 500 of 900 (the rejected and unbooked not counted),
	 * block 1 wants 500 of the 400 left: short. */
	assert_false(blocks[0].is_short);
	assert_true(blocks[1].is_short);
	assert_false(blocks[2].is_short);
	assert_int_equal(avail, 400);
	assert_string_equal(v[5].d.iso_code, "AM04");
	assert_string_equal(v[6].d.iso_code, "AM04");
	assert_int_equal(v[7].d.status, BANK_SIM_SETTLED);
	/* Settling later: accepted; a block exactly covered is not short. */
	avail = 500;
	bank_sim_rules_judge(txs, 5, blocks, 1, true, true, keys, v);
	assert_false(blocks[0].is_short);
	assert_int_equal(avail, 0);
	assert_int_equal(v[0].d.status, BANK_SIM_ACCEPTED);
	assert_int_equal(v[3].d.status, BANK_SIM_ACCEPTED);
	/* A short block whose repeat reports the first's rejection. */
	avail = 100;
	bank_sim_rules_judge(txs, 4, blocks, 1, true, false, keys, v);
	assert_true(blocks[0].is_short);
	assert_string_equal(v[0].d.iso_code, "AM04");
	assert_false(v[3].book);
	assert_int_equal(v[3].d.status, BANK_SIM_REJECTED);
	assert_int_equal(v[1].d.status, BANK_SIM_SETTLED); /* duplicate */
}

static void
level_status_table(void **state)
{
	(void) state;
	assert_string_equal(bank_sim_rules_level_status(3, 0, 0), "ACSC");
	assert_string_equal(bank_sim_rules_level_status(2, 1, 0), "ACCP");
	assert_string_equal(bank_sim_rules_level_status(0, 1, 0), "ACCP");
	assert_string_equal(bank_sim_rules_level_status(1, 0, 1), "PART");
	assert_string_equal(bank_sim_rules_level_status(0, 1, 2), "PART");
	assert_string_equal(bank_sim_rules_level_status(0, 0, 2), "RJCT");
	assert_string_equal(bank_sim_rules_level_status(0, 0, 0), "RJCT");
	assert_string_equal(
	    bank_sim_rules_tx_status(BANK_SIM_SETTLED), "ACSC");
	assert_string_equal(
	    bank_sim_rules_tx_status(BANK_SIM_ACCEPTED), "ACCP");
	assert_string_equal(
	    bank_sim_rules_tx_status(BANK_SIM_REJECTED), "RJCT");
	assert_null(bank_sim_rules_tx_status(BANK_SIM_UNKNOWN));
}

static void
fixture_states(void **state)
{
	(void) state;
	bank_sim_accounts *a;
	char               err[160];
	assert_int_equal(
	    bank_sim_accounts_parse(
	        "{\"1\": {\"name\": \"a\", \"state\": \"blocked\"},"
	        " \"2\": {\"name\": \"b\", \"state\": \"deceased\"},"
	        " \"3\": {\"name\": \"c\", \"state\": \"closed\","
	        " \"closed\": true},"
	        " \"4\": {\"balance_fen\": 100000},"
	        " \"5\": {\"name\": \"d\", \"balance_fen\": 0}}",
	        &a, err, sizeof(err)),
	    SN_OK);
	assert_int_equal(
	    bank_sim_accounts_find(a, "1")->state, BANK_SIM_BLOCKED);
	assert_int_equal(
	    bank_sim_accounts_find(a, "2")->state, BANK_SIM_DECEASED);
	assert_int_equal(
	    bank_sim_accounts_find(a, "3")->state, BANK_SIM_CLOSED);
	const bank_sim_account *f = bank_sim_accounts_find(a, "4");
	assert_null(f->name);
	assert_true(f->has_balance);
	assert_int_equal(f->balance_fen, 100000);
	assert_true(bank_sim_accounts_find(a, "5")->has_balance);
	assert_false(bank_sim_accounts_find(a, "1")->has_balance);
	bank_sim_accounts_free(a);
	static const char *const bad[] = {
		"{\"1\": {\"name\": \"a\", \"state\": \"frozen\"}}",
		"{\"1\": {\"name\": \"a\", \"state\": 1}}",
		"{\"1\": {\"name\": \"a\", \"state\": \"open\", \"closed\": "
		"true}}",
		"{\"1\": {\"name\": \"a\", \"state\": \"closed\", \"closed\": "
		"false}}",
		"{\"1\": {\"name\": \"a\", \"balance_fen\": -1}}",
		"{\"1\": {\"name\": \"a\", \"balance_fen\": 1.5}}",
		"{\"1\": {\"state\": \"open\"}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = NULL;
		assert_int_equal(
		    bank_sim_accounts_parse(bad[i], &a, err, sizeof(err)),
		    SN_EINVAL);
		assert_null(a);
	}
}

static void
status_names(void **state)
{
	(void) state;
	for (int s = BANK_SIM_UNKNOWN; s <= BANK_SIM_REJECTED; s++)
		assert_int_equal(
		    bank_sim_status_parse(bank_sim_status_name(s)), s);
	assert_int_equal(bank_sim_status_parse(NULL), BANK_SIM_UNKNOWN);
	assert_int_equal(bank_sim_status_parse("paid"), BANK_SIM_UNKNOWN);
	assert_string_equal(bank_sim_status_name(BANK_SIM_SETTLED), "settled");
}

static void
utf8(void **state)
{
	(void) state;
	assert_true(bank_sim_rules_utf8("abc", 3));
	assert_true(bank_sim_rules_utf8("张三", strlen("张三")));
	assert_true(bank_sim_rules_utf8("\xf0\x9f\x98\x80", 4));
	assert_false(bank_sim_rules_utf8("\xc0\xaf", 2));     /* overlong */
	assert_false(bank_sim_rules_utf8("\xed\xa0\x80", 3)); /* surrogate */
	assert_false(bank_sim_rules_utf8("\xe5\xbc", 2));     /* cut */
	assert_false(bank_sim_rules_utf8("a\0b", 3));         /* NUL */
	assert_false(bank_sim_rules_utf8("\x80", 1));
}

static void
dice(void **state)
{
	(void) state;
	/* Whole percentages are exact over the 10,000 buckets. */
	int n[3] = { 0, 0, 0 };
	for (uint64_t r = 0; r < 10000; r++)
		n[bank_sim_rules_act(r, 5, 7)]++;
	assert_int_equal(n[BANK_SIM_ACT_DROP], 500);
	assert_int_equal(n[BANK_SIM_ACT_DELAY], 700);
	assert_int_equal(n[BANK_SIM_ACT_REPLY], 8800);
	for (uint64_t r = 0; r < 1000; r++) {
		assert_int_equal(
		    bank_sim_rules_act(r * 7919, 0, 0), BANK_SIM_ACT_REPLY);
		assert_int_equal(
		    bank_sim_rules_act(r * 7919, 100, 0), BANK_SIM_ACT_DROP);
		assert_int_equal(
		    bank_sim_rules_act(r * 7919, 0, 100), BANK_SIM_ACT_DELAY);
		/* The sum is capped at 100. */
		assert_int_not_equal(
		    bank_sim_rules_act(r * 7919, 60, 60), BANK_SIM_ACT_REPLY);
	}
	/* The generator spreads: about 5 % of 20,000 draws drop. */
	uint64_t s = 42, drops = 0;
	for (int i = 0; i < 20000; i++)
		drops += bank_sim_rules_act(bank_sim_rules_random(&s), 5, 0)
		    == BANK_SIM_ACT_DROP;
	assert_in_range(drops, 800, 1200);
	/* And is deterministic for a seed. */
	uint64_t a = 7, b = 7;
	for (int i = 0; i < 10; i++)
		assert_true(
		    bank_sim_rules_random(&a) == bank_sim_rules_random(&b));
}

static void
fixture_parses(void **state)
{
	(void) state;
	bank_sim_accounts *a;
	char               err[128];
	assert_int_equal(
	    bank_sim_accounts_parse(
	        "{\"622-2\": {\"name\": \"李四\", \"closed\": true},"
	        " \"622-1\": {\"name\": \"张三\"}}",
	        &a, err, sizeof(err)),
	    SN_OK);
	assert_int_equal(bank_sim_accounts_count(a), 2);
	const bank_sim_account *r = bank_sim_accounts_find(a, "622-1");
	assert_non_null(r);
	assert_string_equal(r->name, "张三");
	assert_int_equal(r->state, BANK_SIM_OPEN);
	r = bank_sim_accounts_find(a, "622-2");
	assert_non_null(r);
	assert_int_equal(r->state, BANK_SIM_CLOSED);
	assert_null(bank_sim_accounts_find(a, "622-3"));
	assert_null(bank_sim_accounts_find(NULL, "622-1"));
	bank_sim_accounts_free(a);
	bank_sim_accounts_free(NULL);
	assert_int_equal(
	    bank_sim_accounts_parse("{}", &a, err, sizeof(err)), SN_OK);
	assert_null(bank_sim_accounts_find(a, "x"));
	bank_sim_accounts_free(a);
}

static void
fixture_refused(void **state)
{
	(void) state;
	static const char *const bad[] = {
		"[]",
		"{\"1\": 3}",
		"{\"1\": {}}",
		"{\"1\": {\"name\": 5}}",
		"{\"1\": {\"name\": \"a\", \"closed\": \"no\"}}",
		"{\"1\": {\"name\": \"a\", \"balance\": 5}}",
		"{\"1\": {\"name\": \"a\"}, \"1\": {\"name\": \"b\"}}",
		"{\"\": {\"name\": \"a\"}}",
		"{",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bank_sim_accounts *a        = NULL;
		char               err[128] = "";
		assert_int_equal(
		    bank_sim_accounts_parse(bad[i], &a, err, sizeof(err)),
		    SN_EINVAL);
		assert_null(a);
		assert_true(err[0] != '\0');
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(settle_tick_table),
		cmocka_unit_test(decide_table),
		cmocka_unit_test(decide_states),
		cmocka_unit_test(judge_table),
		cmocka_unit_test(level_status_table),
		cmocka_unit_test(fixture_states),
		cmocka_unit_test(status_names),
		cmocka_unit_test(utf8),
		cmocka_unit_test(dice),
		cmocka_unit_test(fixture_parses),
		cmocka_unit_test(fixture_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
