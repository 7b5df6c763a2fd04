/*
 * fuzz_pain001: a pain.001.001.09 as bank-sim's POST /iso20022/pain.001
 * receives it (issue 14): the bytes go to bankside.c's reader
 * (bank_gateway_bankside_pain001_read: no DTD, no network, validated
 * against the XSD before a field is read). Whatever comes in, the bank
 * must be able to answer it with a pain.002 that validates and reads back
 * (pain002.c):
 *   - a refused document: SN_EPROTO with a reason, a peeked MsgId of at
 *     most 35 characters (or none), and a group RJCT FF01 report carrying
 *     that reason (whatever bytes it quotes) for that MsgId or
 *     NOTPROVIDED;
 *   - a document read: its blocks hold every transaction once and in
 *     order, an exact amount is whole fen, the totals code is "", AM18
 *     or AM16, and a report naming every transaction (ACSC) is written
 *     and read back with the same ids in the same order.
 */
#include "bank-gateway/bankside.h"
#include "bank-gateway/pain002.h"
#include "fuzz.h"
#include "sn/input.h"

#ifndef BG_XSD_DIR
#define BG_XSD_DIR "services/bank-gateway/xsd"
#endif

static bank_gateway_iso_schema *
schema(bank_gateway_iso_msg msg)
{
	static bank_gateway_iso_schema *s[3];
	char                            why[BANK_GATEWAY_ISO_WHY_MAX];
	if (s[msg] == NULL) {
		bank_gateway_iso_init();
		FUZZ_CHECK(
		    bank_gateway_iso_schema_open(BG_XSD_DIR, msg, &s[msg], why)
		    == SN_OK);
	}
	return s[msg];
}

/* Writes r and reads it back; returns the reading (free it). */
static bank_gateway_pain002 *
round_trip(const bank_gateway_bankside_report *r)
{
	char                 *xml  = NULL, why[BANK_GATEWAY_ISO_WHY_MAX];
	size_t                len  = 0;
	bank_gateway_pain002 *back = NULL;
	sn_err                err  = bank_gateway_bankside_pain002_write(
	                    schema(BANK_GATEWAY_PAIN002), r, &xml, &len, why);
	if (err != SN_OK)
		fprintf(stderr, "pain002_write: %s\n", why);
	FUZZ_CHECK(err == SN_OK);
	err = bank_gateway_pain002_read(
	    schema(BANK_GATEWAY_PAIN002), xml, len, &back, why);
	if (err != SN_OK)
		fprintf(
		    stderr, "pain002_read: %s\n%.*s\n", why, (int) len, xml);
	FUZZ_CHECK(err == SN_OK);
	free(xml);
	return back;
}

static void
refused(const char *msg_id, const char *why)
{
	FUZZ_CHECK(why[0] != '\0');
	FUZZ_CHECK(sn_utf8_chars(msg_id) <= 35);
	bank_gateway_bankside_report r    = { .msg_id = "STS-FUZZ",
		   .created                           = 1798767000,
		   .orgnl_msg_id = msg_id[0] != '\0' ? msg_id : "NOTPROVIDED",
		   .group        = { "RJCT", "FF01", why } };
	bank_gateway_pain002        *back = round_trip(&r);
	FUZZ_CHECK(strcmp(back->orgnl_msg_id, r.orgnl_msg_id) == 0);
	FUZZ_CHECK(strcmp(back->group_reason.code, "FF01") == 0);
	FUZZ_CHECK(sn_utf8_chars(back->group_reason.info) <= 105);
	bank_gateway_pain002_free(back);
}

static void
taken(const bank_gateway_bankside_pain001 *d, const char *msg_id)
{
	size_t n = 0;
	FUZZ_CHECK(strcmp(d->msg_id, msg_id) == 0 && d->msg_id[0] != '\0');
	FUZZ_CHECK(d->n_pmtinfs > 0 && d->n_txs > 0);
	FUZZ_CHECK(d->totals_code[0] == '\0'
	    || strcmp(d->totals_code, "AM18") == 0
	    || strcmp(d->totals_code, "AM16") == 0);
	bank_gateway_bankside_report_pmtinf *p
	    = calloc(d->n_pmtinfs, sizeof(*p));
	bank_gateway_bankside_report_tx *t = calloc(d->n_txs, sizeof(*t));
	FUZZ_CHECK(p != NULL && t != NULL);
	for (size_t b = 0; b < d->n_pmtinfs; b++) {
		FUZZ_CHECK(d->pmtinfs[b].first_tx == n);
		n += d->pmtinfs[b].n_txs;
		p[b] = (bank_gateway_bankside_report_pmtinf) {
			d->pmtinfs[b].pmt_inf_id, { "ACSC", NULL, NULL },
			&t[d->pmtinfs[b].first_tx], d->pmtinfs[b].n_txs
		};
	}
	FUZZ_CHECK(n == d->n_txs);
	for (size_t i = 0; i < d->n_txs; i++) {
		const bank_gateway_bankside_tx *x = &d->txs[i];
		FUZZ_CHECK(x->pmtinf < d->n_pmtinfs);
		FUZZ_CHECK(i >= d->pmtinfs[x->pmtinf].first_tx
		    && i < d->pmtinfs[x->pmtinf].first_tx
		            + d->pmtinfs[x->pmtinf].n_txs);
		FUZZ_CHECK(x->amount_exact ? x->amount >= 0 : x->amount == 0);
		FUZZ_CHECK(x->end_to_end_id[0] != '\0');
		t[i] = (bank_gateway_bankside_report_tx) { x->instr_id,
			x->end_to_end_id, { "ACSC", NULL, NULL }, NULL };
	}
	bank_gateway_bankside_report r = { "STS-FUZZ", 1798767000, d->msg_id,
		d->n_txs, false, 0, { "ACSC", NULL, NULL }, p, d->n_pmtinfs };
	bank_gateway_pain002        *back = round_trip(&r);
	FUZZ_CHECK(back->n_txs == d->n_txs && back->n_pmtinfs == d->n_pmtinfs);
	for (size_t i = 0; i < d->n_txs; i++)
		FUZZ_CHECK(
		    strcmp(back->txs[i].end_to_end_id, d->txs[i].end_to_end_id)
		        == 0
		    && strcmp(back->txs[i].instr_id, d->txs[i].instr_id) == 0);
	bank_gateway_pain002_free(back);
	free(p);
	free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bank_gateway_bankside_pain001 *d = NULL;
	char                           msg_id[BANK_GATEWAY_ISO_ID_MAX],
	    why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	sn_err err
	    = bank_gateway_bankside_pain001_read(schema(BANK_GATEWAY_PAIN001),
	        (const char *) data, size, &d, msg_id, why);
	FUZZ_CHECK(err == SN_OK || err == SN_EPROTO || err == SN_ENOMEM);
	if (err == SN_EPROTO) {
		FUZZ_CHECK(d == NULL);
		refused(msg_id, why);
	} else if (err == SN_OK) {
		taken(d, msg_id);
		bank_gateway_bankside_pain001_free(d);
	}
	return 0;
}
