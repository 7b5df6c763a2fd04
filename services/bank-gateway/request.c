/*
 * bank-gateway/request.c - see request.h.
 */
#include "request.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pain001.h"
#include "rules.h"
#include "sn/input.h"

bank_gateway_request_kind
bank_gateway_request_decode(
    const uint8_t *body, size_t len, Sn__Bank__V1__BankRequest **out)
{
	Sn__Bank__V1__BankRequest *rq
	    = sn__bank__v1__bank_request__unpack(NULL, len, body);
	bank_gateway_request_kind k = BANK_GATEWAY_REQUEST_MALFORMED;
	*out                        = NULL;
	if (rq == NULL)
		return k;
	switch (rq->body_case) {
	case SN__BANK__V1__BANK_REQUEST__BODY_BATCH:
		if (rq->batch != NULL)
			k = BANK_GATEWAY_REQUEST_BATCH;
		break;
	case SN__BANK__V1__BANK_REQUEST__BODY_QUERY:
		if (rq->query != NULL)
			k = BANK_GATEWAY_REQUEST_QUERY;
		break;
	case SN__BANK__V1__BANK_REQUEST__BODY_FUNDS:
		if (rq->funds != NULL)
			k = BANK_GATEWAY_REQUEST_FUNDS;
		break;
	default:
		break;
	}
	if (k == BANK_GATEWAY_REQUEST_MALFORMED)
		sn__bank__v1__bank_request__free_unpacked(rq, NULL);
	else
		*out = rq;
	return k;
}

/* The MsgId and the name of out/<MsgId>.xml. */
static bool
batch_id_ok(const char *s)
{
	return sn_in_name_ok(s, strlen(s), 35) && s[0] != '.';
}

/* The count and control sum (rules.h), then each instruction's period
 * and run_id: false with why. */
static bool
adds_up(const Sn__Bank__V1__BatchRequest *b, const bank_gateway_fund *f,
    char *why, size_t cap)
{
	size_t  n = b->n_instructions;
	sn_fen *a = calloc(n ? n : 1, sizeof(*a));
	bool    ok;
	char    remit[BANK_GATEWAY_REQUEST_REMIT_MAX];
	if (a == NULL) {
		snprintf(why, cap, "out of memory");
		return false;
	}
	for (size_t i = 0; i < n; i++)
		a[i] = b->instructions[i]->amount_fen;
	ok = bank_gateway_rules_totals(
	    b->count, b->control_sum_fen, a, n, why, cap);
	free(a);
	for (size_t i = 0; ok && i < n; i++) {
		const Sn__Bank__V1__Instruction *in = b->instructions[i];
		if (bank_gateway_rules_remittance(
		        in->period, f->purpose, remit, sizeof remit)
		    != SN_OK) {
			snprintf(why, cap,
			    "instruction %zu: period \"%.16s\" is not YYYY-MM",
			    i + 1, in->period);
			ok = false;
		} else if (strlen(in->run_id)
		    > BANK_GATEWAY_REQUEST_RUN_ID_MAX) {
			snprintf(why, cap,
			    "instruction %zu: run_id over %d bytes", i + 1,
			    BANK_GATEWAY_REQUEST_RUN_ID_MAX);
			ok = false;
		}
	}
	return ok;
}

bank_gateway_request_verdict
bank_gateway_request_judge(const Sn__Bank__V1__BatchRequest *b,
    const bank_gateway_funds *funds, const bank_gateway_fund **fund, char *why,
    size_t cap)
{
	const bank_gateway_fund *f;
	*fund = NULL;
	if (!batch_id_ok(b->batch_id)) {
		snprintf(
		    why, cap, "batch_id must be 1 to 35 of A-Z a-z 0-9 . _ -");
		return BANK_GATEWAY_REQUEST_REFUSED;
	}
	if ((f = bank_gateway_funds_find(funds, b->fund)) == NULL) {
		snprintf(why, cap, "fund %s has no account configured",
		    b->fund[0] != '\0' ? b->fund : "(none)");
		return BANK_GATEWAY_REQUEST_UNCONFIGURED;
	}
	if (!adds_up(b, f, why, cap))
		return BANK_GATEWAY_REQUEST_REFUSED;
	*fund = f;
	return BANK_GATEWAY_REQUEST_TAKEN;
}

sn_err
bank_gateway_request_pain001(const bank_gateway_iso_schema *s,
    const Sn__Bank__V1__BatchRequest *b, const bank_gateway_fund *f,
    const char *initiator, sn_date day, int64_t created,
    char (*instr)[BANK_GATEWAY_ISO_ID_MAX],
    char (*remit)[BANK_GATEWAY_REQUEST_REMIT_MAX], char **doc, size_t *len,
    char *why)
{
	size_t                   n = b->n_instructions;
	char                     pmt[BANK_GATEWAY_ISO_ID_MAX];
	char                     date[SN_DATE_STRLEN];
	bank_gateway_pain001_tx *p = calloc(n ? n : 1, sizeof(*p));
	*doc                       = NULL;
	*len                       = 0;
	if (p == NULL)
		return SN_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const Sn__Bank__V1__Instruction *in = b->instructions[i];
		bank_gateway_rules_instr_id(b->batch_id, i + 1, instr[i]);
		/* Judged: it fits. */
		bank_gateway_rules_remittance(in->period, f->purpose, remit[i],
		    BANK_GATEWAY_REQUEST_REMIT_MAX);
		p[i] = (bank_gateway_pain001_tx) {
			.instr_id         = instr[i],
			.end_to_end_id    = in->end_to_end_id,
			.amount           = in->amount_fen,
			.creditor_name    = in->account_name,
			.creditor_account = in->account_number,
			.remittance       = remit[i],
		};
	}
	bank_gateway_rules_pmt_inf_id(b->batch_id, pmt);
	bank_gateway_pain001_fund fund = {
		.pmt_inf_id     = pmt,
		.debtor_name    = f->account_name,
		.debtor_account = f->account,
		.debtor_agent   = f->agent,
		.currency       = f->currency,
		.category_purpose
		= f->category_purpose[0] != '\0' ? f->category_purpose : NULL,
		.execution_date = sn_date_format(day, date),
		.batch_booking  = true,
		.txs            = p,
		.n_txs          = n,
	};
	bank_gateway_pain001_batch batch = {
		.msg_id         = b->batch_id,
		.created        = created,
		.initiator_name = initiator,
		.funds          = &fund,
		.n_funds        = 1,
	};
	sn_err err = bank_gateway_pain001_write(s, &batch, doc, len, why);
	free(p);
	return err;
}
