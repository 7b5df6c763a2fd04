/*
 * fuzz_bank: the bank protocol (proto/sn/bank/v1/bank.proto) at both
 * ends. The first input byte picks what the rest is:
 *   0  a BankRequest as bank-gateway receives it on its REP socket
 *      (issue 14: the gateway is the protocol's only server): decoded by
 *      bank_gateway_request_decode (a kind exactly when protobuf-c finds
 *      a body), a batch judged by bank_gateway_request_judge against the
 *      funds of a small fixture, and a taken batch made into its pain.001
 *      (bank_gateway_request_pain001, validated against the XSD). A
 *      taken batch declares its own count and the sum of its amounts; a
 *      document the gateway would send holds only positive amounts, so
 *      its control sum is the one disbursement computes for the same
 *      amounts (disbursement_rules_control_sum), and the bank's reader
 *      (bankside.h) reads it back with every id, amount, name, account
 *      and remittance sent and no totals to complain of: the round trip
 *      from the payer through the gateway to the bank;
 *   1  a BankReply as disbursement's REQ client receives it: taken only
 *      when its body answers the kind asked (bank.c's decode), each
 *      status read as disbursement's word for it.
 * Every message that decodes must also survive pb.h's round trip.
 */
#include "bank-gateway/bankside.h"
#include "bank-gateway/request.h"
#include "disbursement/rules.h"
#include "pb.h"
#include "sn/bank/v1/bank.pb-c.h"
#include "sn/money.h"

#ifndef BG_XSD_DIR
#define BG_XSD_DIR "services/bank-gateway/xsd"
#endif

/* Two funds: dibao with a category purpose, tekun without. */
static const char FUNDS[]
    = "{\"initiator\": \"某某区民政局\", \"funds\": ["
      "{\"fund\": \"dibao\", \"account\": \"1202020109900012345\","
      " \"account_name\": \"某某区民政局最低生活保障资金专户\","
      " \"agent\": \"102100099996\", \"currency\": \"CNY\","
      " \"purpose\": \"最低生活保障金\", \"category_purpose\": \"SSBE\"},"
      "{\"fund\": \"tekun\", \"account\": \"1202020109900012353\","
      " \"account_name\": \"某某区民政局特困人员救助供养资金专户\","
      " \"agent\": \"102100099996\", \"currency\": \"CNY\","
      " \"purpose\": \"特困人员救助供养金\"}]}";

static const bank_gateway_funds *
funds(void)
{
	static bank_gateway_funds *f;
	char                       why[BANK_GATEWAY_FUNDS_WHY_MAX];
	if (f == NULL)
		FUZZ_CHECK(
		    bank_gateway_funds_parse(FUNDS, strlen(FUNDS), &f, why)
		    == SN_OK);
	return f;
}

static const bank_gateway_iso_schema *
schema(void)
{
	static bank_gateway_iso_schema *s;
	char                            why[BANK_GATEWAY_ISO_WHY_MAX];
	if (s == NULL) {
		bank_gateway_iso_init();
		FUZZ_CHECK(bank_gateway_iso_schema_open(
		               BG_XSD_DIR, BANK_GATEWAY_PAIN001, &s, why)
		    == SN_OK);
	}
	return s;
}

/* The document of a taken batch, read back by the bank. */
static void
read_back(const Sn__Bank__V1__BatchRequest *b, const bank_gateway_fund *f,
    const char *doc, size_t len, char (*instr)[BANK_GATEWAY_ISO_ID_MAX],
    char (*remit)[BANK_GATEWAY_REQUEST_REMIT_MAX])
{
	bank_gateway_bankside_pain001 *d = NULL;
	char   msg_id[BANK_GATEWAY_ISO_ID_MAX], why[BANK_GATEWAY_ISO_WHY_MAX];
	size_t n   = b->n_instructions;
	sn_err err = bank_gateway_bankside_pain001_read(
	    schema(), doc, len, &d, msg_id, why);
	if (err == SN_ENOMEM)
		return;
	if (err != SN_OK)
		fprintf(stderr, "the bank cannot read it: %s\n%s\n", why, doc);
	FUZZ_CHECK(err == SN_OK);
	FUZZ_CHECK(strcmp(d->msg_id, b->batch_id) == 0);
	if (d->totals_code[0] != '\0')
		fprintf(stderr, "the bank's totals: %s %s\n%s\n",
		    d->totals_code, d->totals_why, doc);
	FUZZ_CHECK(d->totals_code[0] == '\0');
	FUZZ_CHECK(d->n_pmtinfs == 1 && d->n_txs == n);
	FUZZ_CHECK(strcmp(d->pmtinfs[0].debtor_account, f->account) == 0);
	for (size_t i = 0; i < n; i++) {
		const Sn__Bank__V1__Instruction *in = b->instructions[i];
		const bank_gateway_bankside_tx  *t  = &d->txs[i];
		FUZZ_CHECK(strcmp(t->end_to_end_id, in->end_to_end_id) == 0);
		FUZZ_CHECK(strcmp(t->instr_id, instr[i]) == 0);
		FUZZ_CHECK(t->amount_exact && t->amount == in->amount_fen);
		FUZZ_CHECK(strcmp(t->creditor_name, in->account_name) == 0);
		FUZZ_CHECK(
		    strcmp(t->creditor_account, in->account_number) == 0);
		FUZZ_CHECK(strcmp(t->remittance, remit[i]) == 0);
	}
	bank_gateway_bankside_pain001_free(d);
}

/* A batch taken for fund f: its pain.001, or its refusal. */
static void
taken(const Sn__Bank__V1__BatchRequest *b, const bank_gateway_fund *f)
{
	size_t  n   = b->n_instructions;
	int64_t sum = 0, got = 0;
	FUZZ_CHECK(n > 0 && b->count >= 0 && (size_t) b->count == n);
	FUZZ_CHECK(strlen(b->batch_id) >= 1 && strlen(b->batch_id) <= 35);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(
		    sn_fen_add(sum, b->instructions[i]->amount_fen, &sum)
		    == SN_OK);
	FUZZ_CHECK(sum == b->control_sum_fen);

	char(*instr)[BANK_GATEWAY_ISO_ID_MAX] = calloc(n, sizeof(*instr));
	char(*remit)[BANK_GATEWAY_REQUEST_REMIT_MAX]
	    = calloc(n, sizeof(*remit));
	int64_t *amt = calloc(n, sizeof(*amt));
	char    *doc = NULL, why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	size_t   len = 0;
	FUZZ_CHECK(instr != NULL && remit != NULL && amt != NULL);
	sn_err err = bank_gateway_request_pain001(schema(), b, f,
	    bank_gateway_funds_initiator(funds()), (sn_date) { 2027, 1, 15 },
	    1800000000, instr, remit, &doc, &len, why);
	if (err == SN_OK) {
		/* Sent as it is: what disbursement summed. */
		for (size_t i = 0; i < n; i++)
			amt[i] = b->instructions[i]->amount_fen;
		FUZZ_CHECK(disbursement_rules_control_sum(amt, n, &got));
		FUZZ_CHECK(got == b->control_sum_fen);
		FUZZ_CHECK(doc != NULL && strlen(doc) == len);
		read_back(b, f, doc, len, instr, remit);
	} else if (err != SN_ENOMEM) {
		/* Refused, never sent: a reason and no document. */
		FUZZ_CHECK(doc == NULL && why[0] != '\0');
	}
	free(doc);
	free(instr);
	free(remit);
	free(amt);
}

static void
batch(const Sn__Bank__V1__BatchRequest *b)
{
	const bank_gateway_fund     *f        = NULL;
	char                         why[256] = "";
	bank_gateway_request_verdict v
	    = bank_gateway_request_judge(b, funds(), &f, why, sizeof why);
	switch (v) {
	case BANK_GATEWAY_REQUEST_TAKEN:
		FUZZ_CHECK(f != NULL
		    && f == bank_gateway_funds_find(funds(), b->fund));
		taken(b, f);
		break;
	case BANK_GATEWAY_REQUEST_UNCONFIGURED:
		FUZZ_CHECK(bank_gateway_funds_find(funds(), b->fund) == NULL);
		FUZZ_CHECK(f == NULL && strstr(why, "no account") != NULL);
		break;
	case BANK_GATEWAY_REQUEST_REFUSED:
		FUZZ_CHECK(f == NULL && why[0] != '\0');
		break;
	default:
		FUZZ_CHECK(v == BANK_GATEWAY_REQUEST_TAKEN);
	}
}

static void
request(const uint8_t *body, size_t len)
{
	Sn__Bank__V1__BankRequest *rq;
	bank_gateway_request_kind  k
	    = bank_gateway_request_decode(body, len, &rq);
	Sn__Bank__V1__BankRequest *pb
	    = (Sn__Bank__V1__BankRequest *) fuzz_pb_unpack(
	        &sn__bank__v1__bank_request__descriptor, body, len);
	/* A kind exactly when the message has a body. */
	int want = BANK_GATEWAY_REQUEST_MALFORMED;
	if (pb != NULL
	    && pb->body_case == SN__BANK__V1__BANK_REQUEST__BODY_BATCH)
		want = BANK_GATEWAY_REQUEST_BATCH;
	else if (pb != NULL
	    && pb->body_case == SN__BANK__V1__BANK_REQUEST__BODY_QUERY)
		want = BANK_GATEWAY_REQUEST_QUERY;
	else if (pb != NULL
	    && pb->body_case == SN__BANK__V1__BANK_REQUEST__BODY_FUNDS)
		want = BANK_GATEWAY_REQUEST_FUNDS;
	FUZZ_CHECK((int) k == want);
	FUZZ_CHECK((rq == NULL) == (k == BANK_GATEWAY_REQUEST_MALFORMED));
	if (k == BANK_GATEWAY_REQUEST_BATCH) {
		FUZZ_CHECK(rq->batch != NULL);
		batch(rq->batch);
	}
	if (rq != NULL)
		sn__bank__v1__bank_request__free_unpacked(rq, NULL);
	if (pb != NULL)
		sn__bank__v1__bank_request__free_unpacked(pb, NULL);
}

static void
statuses(Sn__Bank__V1__StatusReport *const *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int                    s = (int) st[i]->status;
		disbursement_bank_word w = disbursement_rules_bank_word(s);
		FUZZ_CHECK((disbursement_rules_bank_status(s) != NULL)
		    == (w != DISBURSEMENT_BANK_NONE));
		FUZZ_CHECK(st[i]->end_to_end_id != NULL
		    && st[i]->reason_code != NULL && st[i]->reason != NULL
		    && st[i]->settled_at != NULL);
		if (s < DISBURSEMENT_BANK_ACCEPTED
		    || s > DISBURSEMENT_BANK_RETRY)
			FUZZ_CHECK(w == DISBURSEMENT_BANK_NONE);
		else
			FUZZ_CHECK((int) w == s);
	}
}

static void
reply(const uint8_t *body, size_t len)
{
	Sn__Bank__V1__BankReply *r
	    = (Sn__Bank__V1__BankReply *) fuzz_pb_unpack(
	        &sn__bank__v1__bank_reply__descriptor, body, len);
	if (r == NULL)
		return;
	/* bank.c's decode: the body must be the one asked for; then
	 * payout.c reads batch->accepted, ->error and the statuses. */
	if (r->body_case == SN__BANK__V1__BANK_REPLY__BODY_BATCH) {
		FUZZ_CHECK(r->batch != NULL && r->batch->error != NULL);
		statuses(r->batch->statuses, r->batch->n_statuses);
	} else if (r->body_case == SN__BANK__V1__BANK_REPLY__BODY_STATUS) {
		FUZZ_CHECK(r->status != NULL);
		statuses(r->status->statuses, r->status->n_statuses);
	}
	sn__bank__v1__bank_reply__free_unpacked(r, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		request(data + 1, size - 1);
	else
		reply(data + 1, size - 1);
	return 0;
}
