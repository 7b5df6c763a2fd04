/*
 * fuzz_bank: the bank protocol (proto/sn/bank/v1/bank.proto) at both
 * ends. The first input byte picks what the rest is:
 *   0  a BankRequest as bank-sim's REP socket receives it: a batch is
 *      judged by bank_sim_rules_take and each instruction decided against
 *      the accounts of a small fixture; a taken batch must declare its
 *      own count and the control sum that disbursement computes for the
 *      same amounts (disbursement_rules_control_sum), which is the round
 *      trip between the payer and the bank;
 *   1  a BankReply as disbursement's REQ client receives it: taken only
 *      when its body answers the kind asked (bank.c's decode), each
 *      status read as disbursement's word for it.
 * Every message that decodes must also survive pb.h's round trip.
 */
#include "bank-sim/accounts.h"
#include "bank-sim/rules.h"
#include "disbursement/rules.h"
#include "pb.h"
#include "sn/bank/v1/bank.pb-c.h"

static const char FIXTURE[]
    = "{\"6222020200112233445\": {\"name\": \"Li Lei\"},"
      " \"6222020200112233446\": {\"name\": \"Han Meimei\", \"closed\": "
      "true}}";

static bank_sim_accounts *
accounts(void)
{
	static bank_sim_accounts *a;
	char                      err[128];
	if (a == NULL)
		FUZZ_CHECK(
		    bank_sim_accounts_parse(FIXTURE, &a, err, sizeof(err))
		    == SN_OK);
	return a;
}

static void
batch(const Sn__Bank__V1__BatchRequest *br)
{
	size_t          n   = br->n_instructions;
	bank_sim_instr *ins = calloc(n ? n : 1, sizeof(*ins));
	int64_t        *amt = calloc(n ? n : 1, sizeof(*amt));
	FUZZ_CHECK(ins != NULL && amt != NULL);
	for (size_t i = 0; i < n; i++) {
		const Sn__Bank__V1__Instruction *in = br->instructions[i];
		ins[i] = (bank_sim_instr) { .end_to_end_id = in->end_to_end_id,
			.amount_fen                        = in->amount_fen,
			.bank_code                         = in->bank_code,
			.account_number  = in->account_number,
			.account_name    = in->account_name,
			.remittance_info = in->remittance_info };
		amt[i] = in->amount_fen;
	}
	char why[256] = "";
	if (bank_sim_rules_take(br->batch_id, br->debtor_account, br->count,
	        br->control_sum_fen, ins, n, why, sizeof(why))) {
		int64_t sum = 0;
		FUZZ_CHECK(n > 0 && (size_t) br->count == n);
		/* disbursement refuses amounts <= 0 before sending; the bank
		 * takes them into the batch and rejects them one by one. */
		bool positive = true;
		for (size_t i = 0; i < n; i++)
			positive = positive && amt[i] > 0;
		if (positive) {
			FUZZ_CHECK(
			    disbursement_rules_control_sum(amt, n, &sum));
			FUZZ_CHECK(sum == br->control_sum_fen);
		}
		for (size_t i = 0; i < n; i++) {
			bank_sim_decision d = bank_sim_rules_decide(&ins[i],
			    bank_sim_accounts_find(
			        accounts(), ins[i].account_number),
			    false, (i & 1) != 0);
			FUZZ_CHECK(d.reason_code != NULL && d.reason != NULL);
			FUZZ_CHECK(bank_sim_status_parse(
			               bank_sim_status_name(d.status))
			    == d.status);
			if (amt[i] <= 0)
				FUZZ_CHECK(d.status == BANK_SIM_REJECTED);
		}
	} else {
		FUZZ_CHECK(why[0] != '\0');
	}
	free(ins);
	free(amt);
}

static void
request(const uint8_t *body, size_t len)
{
	Sn__Bank__V1__BankRequest *rq
	    = (Sn__Bank__V1__BankRequest *) fuzz_pb_unpack(
	        &sn__bank__v1__bank_request__descriptor, body, len);
	if (rq == NULL)
		return;
	if (rq->body_case == SN__BANK__V1__BANK_REQUEST__BODY_BATCH
	    && rq->batch != NULL)
		batch(rq->batch);
	sn__bank__v1__bank_request__free_unpacked(rq, NULL);
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
