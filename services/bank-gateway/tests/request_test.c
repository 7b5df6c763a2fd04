/*
 * bank_gateway.request: disbursement's BankRequest as the gateway reads
 * it (request.h). Decoding: each kind, and what is malformed. Judging:
 * a batch that is taken (fixture), and table cases that each break one
 * thing of it. The pain.001 of a taken batch: read back by the bank's
 * reader (bankside.h) with every field disbursement sent, the fund's
 * debtor account, the day and the totals; a document that does not
 * validate is refused with a reason and nothing returned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bankside.h"
#include "kit.h"
#include "request.h"

#define MAXI 4

/* A batch of the dibao fund with three instructions that is taken. */
typedef struct fx {
	Sn__Bank__V1__BatchRequest b;
	Sn__Bank__V1__Instruction  in[MAXI];
	Sn__Bank__V1__Instruction *p[MAXI];
	char                       id[64], fund[64], run[200], e2e[64];
} fx;

static void
fx_init(fx *f)
{
	static const struct {
		const char *e2e, *acct, *name;
		int64_t     amount;
	} rows[] = {
		{ "E2E-R-1", "6222020000000001", "张三", 83000 },
		{ "E2E-R-2", "6222020000000005", "钱七", 63000 },
		{ "E2E-R-3", "6222020000000006", "孙八", 17000 },
	};
	memset(f, 0, sizeof(*f));
	sn__bank__v1__batch_request__init(&f->b);
	snprintf(f->id, sizeof f->id, "B0000000000000042");
	snprintf(f->fund, sizeof f->fund, "dibao");
	snprintf(f->run, sizeof f->run, "run-1");
	snprintf(f->e2e, sizeof f->e2e, "%s", rows[0].e2e);
	f->b.batch_id       = f->id;
	f->b.fund           = f->fund;
	f->b.debtor_account = (char *) "";
	f->b.instructions   = f->p;
	for (size_t i = 0; i < 3; i++) {
		sn__bank__v1__instruction__init(&f->in[i]);
		f->in[i].end_to_end_id
		    = i == 0 ? f->e2e : (char *) rows[i].e2e;
		f->in[i].amount_fen      = rows[i].amount;
		f->in[i].bank_code       = (char *) "ICBC";
		f->in[i].account_number  = (char *) rows[i].acct;
		f->in[i].account_name    = (char *) rows[i].name;
		f->in[i].remittance_info = (char *) "ignored";
		f->in[i].period          = (char *) "2027-01";
		f->in[i].run_id          = f->run;
		f->p[i]                  = &f->in[i];
		f->b.n_instructions++;
		f->b.count++;
		f->b.control_sum_fen += rows[i].amount;
	}
}

static bank_gateway_funds *
seed_funds(void)
{
	bank_gateway_funds *funds;
	char                why[BANK_GATEWAY_FUNDS_WHY_MAX];
	if (bank_gateway_funds_load(BG_SEED_DIR "/funds.json", &funds, why)
	    != SN_OK)
		fail_msg("seed funds: %s", why);
	return funds;
}

/* Packs rq and decodes it as the gateway does. */
static bank_gateway_request_kind
pack_decode(
    const Sn__Bank__V1__BankRequest *rq, Sn__Bank__V1__BankRequest **out)
{
	size_t   len = sn__bank__v1__bank_request__get_packed_size(rq);
	uint8_t *buf = malloc(len ? len : 1);
	assert_non_null(buf);
	sn__bank__v1__bank_request__pack(rq, buf);
	bank_gateway_request_kind k
	    = bank_gateway_request_decode(buf, len, out);
	free(buf);
	return k;
}

static void
decode(void **state)
{
	Sn__Bank__V1__BankRequest *out;
	Sn__Bank__V1__BankRequest  rq = SN__BANK__V1__BANK_REQUEST__INIT;
	Sn__Bank__V1__StatusQuery  q  = SN__BANK__V1__STATUS_QUERY__INIT;
	Sn__Bank__V1__FundQuery    fq = SN__BANK__V1__FUND_QUERY__INIT;
	fx                         f;
	(void) state;
	fx_init(&f);

	rq.body_case = SN__BANK__V1__BANK_REQUEST__BODY_BATCH;
	rq.batch     = &f.b;
	assert_int_equal(pack_decode(&rq, &out), BANK_GATEWAY_REQUEST_BATCH);
	assert_non_null(out);
	assert_string_equal(out->batch->batch_id, f.id);
	assert_int_equal(out->batch->n_instructions, 3);
	sn__bank__v1__bank_request__free_unpacked(out, NULL);

	rq.body_case = SN__BANK__V1__BANK_REQUEST__BODY_QUERY;
	rq.query     = &q;
	assert_int_equal(pack_decode(&rq, &out), BANK_GATEWAY_REQUEST_QUERY);
	assert_non_null(out->query);
	sn__bank__v1__bank_request__free_unpacked(out, NULL);

	rq.body_case = SN__BANK__V1__BANK_REQUEST__BODY_FUNDS;
	rq.funds     = &fq;
	assert_int_equal(pack_decode(&rq, &out), BANK_GATEWAY_REQUEST_FUNDS);
	assert_non_null(out->funds);
	sn__bank__v1__bank_request__free_unpacked(out, NULL);

	/* No body: an empty message decodes, but asks nothing. */
	out = (Sn__Bank__V1__BankRequest *) &rq;
	assert_int_equal(
	    bank_gateway_request_decode((const uint8_t *) "", 0, &out),
	    BANK_GATEWAY_REQUEST_MALFORMED);
	assert_null(out);
	/* Not protobuf: field 1 of wire type 7. */
	static const uint8_t junk[] = { 0x0f, 0xff, 0xff };
	assert_int_equal(bank_gateway_request_decode(junk, sizeof junk, &out),
	    BANK_GATEWAY_REQUEST_MALFORMED);
	assert_null(out);
	/* A batch cut short. The body is a union: rq.funds above replaced
	 * rq.batch, so the batch is set again, not only the case. */
	size_t   len = 0;
	uint8_t *buf;
	rq.body_case = SN__BANK__V1__BANK_REQUEST__BODY_BATCH;
	rq.batch     = &f.b;
	len          = sn__bank__v1__bank_request__get_packed_size(&rq);
	assert_non_null(buf = malloc(len));
	sn__bank__v1__bank_request__pack(&rq, buf);
	assert_int_equal(bank_gateway_request_decode(buf, len - 3, &out),
	    BANK_GATEWAY_REQUEST_MALFORMED);
	assert_null(out);
	free(buf);
}

/* What breaking one thing of the fixture does. */
typedef struct judge_case {
	const char *name;
	void (*breaks)(fx *f);
	bank_gateway_request_verdict want;
	const char                  *why; /* held in why; NULL: TAKEN */
} judge_case;

static void
nothing(fx *f)
{
	(void) f;
}
static void
id_empty(fx *f)
{
	f->id[0] = '\0';
}
static void
id_36(fx *f)
{
	memset(f->id, 'A', 36);
	f->id[36] = '\0';
}
static void
id_35(fx *f)
{
	memset(f->id, 'A', 35);
	f->id[35] = '\0';
}
static void
id_dot(fx *f)
{
	snprintf(f->id, sizeof f->id, ".B1");
}
static void
id_slash(fx *f)
{
	snprintf(f->id, sizeof f->id, "B/1");
}
static void
id_bad_fund_unknown(fx *f)
{
	snprintf(f->id, sizeof f->id, "B 1");
	snprintf(f->fund, sizeof f->fund, "housing");
}
static void
fund_unknown(fx *f)
{
	snprintf(f->fund, sizeof f->fund, "housing");
}
static void
fund_none(fx *f)
{
	f->fund[0] = '\0';
}
static void
count_more(fx *f)
{
	f->b.count = 4;
}
static void
sum_off(fx *f)
{
	f->b.control_sum_fen += 1;
}
static void
empty(fx *f)
{
	f->b.n_instructions  = 0;
	f->b.count           = 0;
	f->b.control_sum_fen = 0;
}
static void
period_bad(fx *f)
{
	f->in[1].period = (char *) "2027-13";
}
static void
period_none(fx *f)
{
	f->in[1].period = (char *) "";
}
static void
run_128(fx *f)
{
	memset(f->run, 'r', 128);
	f->run[128] = '\0';
}
static void
run_129(fx *f)
{
	memset(f->run, 'r', 129);
	f->run[129] = '\0';
}
static void
amount_negative(fx *f)
{
	f->b.control_sum_fen -= f->in[2].amount_fen + 5;
	f->in[2].amount_fen = -5;
}

static const judge_case judge_cases[] = {
	{ "fixture", nothing, BANK_GATEWAY_REQUEST_TAKEN, NULL },
	{ "batch_id empty", id_empty, BANK_GATEWAY_REQUEST_REFUSED,
	    "batch_id must be 1 to 35" },
	{ "batch_id of 36", id_36, BANK_GATEWAY_REQUEST_REFUSED,
	    "batch_id must be 1 to 35" },
	{ "batch_id of 35", id_35, BANK_GATEWAY_REQUEST_TAKEN, NULL },
	{ "batch_id hidden", id_dot, BANK_GATEWAY_REQUEST_REFUSED,
	    "batch_id" },
	{ "batch_id with /", id_slash, BANK_GATEWAY_REQUEST_REFUSED,
	    "batch_id" },
	{ "batch_id first", id_bad_fund_unknown, BANK_GATEWAY_REQUEST_REFUSED,
	    "batch_id" },
	{ "fund unknown", fund_unknown, BANK_GATEWAY_REQUEST_UNCONFIGURED,
	    "fund housing has no account configured" },
	{ "no fund", fund_none, BANK_GATEWAY_REQUEST_UNCONFIGURED,
	    "fund (none) has no account configured" },
	{ "count", count_more, BANK_GATEWAY_REQUEST_REFUSED,
	    "count 4 does not match" },
	{ "control sum", sum_off, BANK_GATEWAY_REQUEST_REFUSED,
	    "control sum 163001 fen" },
	{ "empty", empty, BANK_GATEWAY_REQUEST_REFUSED, "no instruction" },
	{ "period", period_bad, BANK_GATEWAY_REQUEST_REFUSED,
	    "instruction 2: period \"2027-13\" is not YYYY-MM" },
	{ "no period", period_none, BANK_GATEWAY_REQUEST_TAKEN, NULL },
	{ "run_id of 128", run_128, BANK_GATEWAY_REQUEST_TAKEN, NULL },
	{ "run_id of 129", run_129, BANK_GATEWAY_REQUEST_REFUSED,
	    "instruction 1: run_id over 128 bytes" },
	/* The pain.001's validation refuses it (below), not the judge. */
	{ "amount negative", amount_negative, BANK_GATEWAY_REQUEST_TAKEN,
	    NULL },
};

static void
judge(void **state)
{
	bank_gateway_funds *funds = seed_funds();
	(void) state;
	for (size_t i = 0; i < sizeof judge_cases / sizeof judge_cases[0];
	     i++) {
		const judge_case        *c = &judge_cases[i];
		fx                       f;
		const bank_gateway_fund *fund = (const bank_gateway_fund *) &f;
		char                     why[256] = "";
		fx_init(&f);
		c->breaks(&f);
		bank_gateway_request_verdict v = bank_gateway_request_judge(
		    &f.b, funds, &fund, why, sizeof why);
		if (v != c->want)
			fail_msg("%s: verdict %d, want %d (%s)", c->name, v,
			    c->want, why);
		if (c->why == NULL) {
			if (fund == NULL || strcmp(fund->fund, f.fund) != 0)
				fail_msg("%s: not the batch's fund", c->name);
		} else if (fund != NULL || strstr(why, c->why) == NULL) {
			fail_msg("%s: why \"%s\", want \"%s\"", c->name, why,
			    c->why);
		}
	}
	bank_gateway_funds_free(funds);
}

/* The fixture's pain.001, written and read back by the bank's reader. */
static void
pain001(void **state)
{
	bank_gateway_funds      *funds = seed_funds();
	const bank_gateway_fund *fund;
	char                     why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	char                     instr[MAXI][BANK_GATEWAY_ISO_ID_MAX];
	char                     remit[MAXI][BANK_GATEWAY_REQUEST_REMIT_MAX];
	char                    *doc = NULL, msg_id[BANK_GATEWAY_ISO_ID_MAX];
	size_t                   len = 0;
	bank_gateway_bankside_pain001 *d = NULL;
	fx                             f;
	sn_date                        day = { 2027, 1, 15 };
	fx_init(&f);
	f.in[2].period = (char *) "";
	assert_int_equal(
	    bank_gateway_request_judge(&f.b, funds, &fund, why, sizeof why),
	    BANK_GATEWAY_REQUEST_TAKEN);
	assert_int_equal(bank_gateway_request_pain001(*state, &f.b, fund,
	                     bank_gateway_funds_initiator(funds), day,
	                     1800000000, instr, remit, &doc, &len, why),
	    SN_OK);
	assert_non_null(doc);
	assert_int_equal(strlen(doc), len);
	assert_string_equal(instr[0], "B0000000000000042-1");
	assert_string_equal(remit[0], "2027年1月 最低生活保障金");
	assert_string_equal(remit[2], "最低生活保障金");

	assert_int_equal(bank_gateway_bankside_pain001_read(
	                     *state, doc, len, &d, msg_id, why),
	    SN_OK);
	assert_string_equal(d->msg_id, f.id);
	assert_string_equal(d->initiator, "某某区民政局");
	assert_string_equal(d->created, "2027-01-15T16:00:00+08:00");
	assert_string_equal(d->totals_code, "");
	assert_int_equal(d->n_pmtinfs, 1);
	assert_string_equal(d->pmtinfs[0].debtor_account, fund->account);
	assert_string_equal(d->pmtinfs[0].debtor_name, fund->account_name);
	assert_string_equal(d->pmtinfs[0].execution_date, "2027-01-15");
	assert_int_equal(d->n_txs, 3);
	for (size_t i = 0; i < 3; i++) {
		const bank_gateway_bankside_tx *t = &d->txs[i];
		assert_string_equal(t->end_to_end_id, f.in[i].end_to_end_id);
		assert_string_equal(t->instr_id, instr[i]);
		assert_true(t->amount_exact);
		assert_int_equal(t->amount, f.in[i].amount_fen);
		assert_string_equal(t->currency, "CNY");
		assert_string_equal(t->creditor_name, f.in[i].account_name);
		assert_string_equal(
		    t->creditor_account, f.in[i].account_number);
		assert_string_equal(t->remittance, remit[i]);
	}
	bank_gateway_bankside_pain001_free(d);
	free(doc);
	bank_gateway_funds_free(funds);
}

/* Taken by the judge, refused by the document's validation. */
static void
pain001_invalid(void **state)
{
	bank_gateway_funds      *funds = seed_funds();
	const bank_gateway_fund *fund
	    = bank_gateway_funds_find(funds, "dibao");
	char instr[MAXI][BANK_GATEWAY_ISO_ID_MAX];
	char remit[MAXI][BANK_GATEWAY_REQUEST_REMIT_MAX];
	static const struct {
		const char *name, *why;
		int         field; /* 0 amount, 1 e2e, 2 name */
	} cases[] = {
		{ "amount 0", "amount", 0 },
		{ "EndToEndId of 36", "EndToEndId", 1 },
		{ "a name with a control character", "Nm", 2 },
	};
	sn_date day = { 2027, 1, 15 };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fx     f;
		char   why[BANK_GATEWAY_ISO_WHY_MAX] = "";
		char  *doc                           = (char *) "x";
		size_t len                           = 1;
		fx_init(&f);
		if (cases[i].field == 0) {
			f.b.control_sum_fen -= f.in[1].amount_fen;
			f.in[1].amount_fen = 0;
		} else if (cases[i].field == 1) {
			memset(f.e2e, 'E', 36);
			f.e2e[36] = '\0';
		} else {
			f.in[1].account_name = (char *) "钱\x01七";
		}
		assert_int_equal(bank_gateway_request_judge(
		                     &f.b, funds, &fund, why, sizeof why),
		    BANK_GATEWAY_REQUEST_TAKEN);
		sn_err err = bank_gateway_request_pain001(*state, &f.b, fund,
		    "某某区民政局", day, 1800000000, instr, remit, &doc, &len,
		    why);
		if (err == SN_OK || err == SN_ENOMEM)
			fail_msg("%s: %d", cases[i].name, err);
		if (doc != NULL || len != 0
		    || strstr(why, cases[i].why) == NULL)
			fail_msg("%s: why \"%s\"", cases[i].name, why);
	}
	bank_gateway_funds_free(funds);
}

static int
setup(void **state)
{
	*state = kit_schema(BANK_GATEWAY_PAIN001);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode),
		cmocka_unit_test(judge),
		cmocka_unit_test(pain001),
		cmocka_unit_test(pain001_invalid),
	};
	return cmocka_run_group_tests(tests, setup, kit_schema_teardown);
}
