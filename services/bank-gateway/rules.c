/*
 * rules.c - bank-gateway's pure decisions (rules.h).
 */
#include "rules.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/date.h"

/* A Max35Text holds 35 characters; our identifiers are ASCII. */
#define MAX35 35

bool
bank_gateway_rules_totals(int64_t count, sn_fen control_sum,
    const sn_fen *amounts, size_t n, char *why, size_t cap)
{
	sn_fen sum = 0;
	if (n == 0) {
		snprintf(why, cap, "the batch has no instruction");
		return false;
	}
	if (count < 0 || (uint64_t) count != (uint64_t) n) {
		snprintf(why, cap,
		    "count %" PRId64 " does not match the %zu instructions",
		    count, n);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (sn_fen_add(sum, amounts[i], &sum) != SN_OK) {
			snprintf(why, cap, "the amounts' sum overflows");
			return false;
		}
	if (sum != control_sum) {
		snprintf(why, cap,
		    "control sum %" PRId64 " fen does not match the "
		    "instructions' %" PRId64 " fen",
		    control_sum, sum);
		return false;
	}
	return true;
}

sn_err
bank_gateway_rules_remittance(
    const char *period, const char *purpose, char *buf, size_t cap)
{
	sn_month m;
	int      w;
	if (period == NULL || period[0] == '\0')
		w = snprintf(buf, cap, "%s", purpose);
	else if (sn_month_parse(period, &m) != SN_OK)
		return SN_EINVAL;
	else
		w = snprintf(buf, cap, "%" PRId32 "年%" PRId32 "月 %s", m.year,
		    m.month, purpose);
	if (w < 0 || (size_t) w >= cap)
		return SN_ERANGE;
	return SN_OK;
}

void
bank_gateway_rules_instr_id(
    const char *msg_id, size_t pos, char out[BANK_GATEWAY_ISO_ID_MAX])
{
	char n[24];
	snprintf(n, sizeof n, "%zu", pos);
	if (strlen(msg_id) + 1 + strlen(n) <= MAX35)
		snprintf(out, BANK_GATEWAY_ISO_ID_MAX, "%s-%s", msg_id, n);
	else
		snprintf(out, BANK_GATEWAY_ISO_ID_MAX, "%s", n);
}

void
bank_gateway_rules_pmt_inf_id(
    const char *msg_id, char out[BANK_GATEWAY_ISO_ID_MAX])
{
	if (strlen(msg_id) + 3 <= MAX35)
		snprintf(out, BANK_GATEWAY_ISO_ID_MAX, "%s-P1", msg_id);
	else
		snprintf(out, BANK_GATEWAY_ISO_ID_MAX, "P1");
}

const char *const bank_gateway_state_names[]
    = { "none", "pending", "paid", "rejected", "retry", NULL };

bank_gateway_state
bank_gateway_rules_state(bank_gateway_outcome o)
{
	switch (o) {
	case BANK_GATEWAY_PAID:
		return BANK_GATEWAY_STATE_PAID;
	case BANK_GATEWAY_REJECTED:
		return BANK_GATEWAY_STATE_REJECTED;
	case BANK_GATEWAY_RETRY:
		return BANK_GATEWAY_STATE_RETRY;
	case BANK_GATEWAY_PENDING:
		break;
	}
	return BANK_GATEWAY_STATE_PENDING;
}

bool
bank_gateway_rules_moves(bank_gateway_state from, bank_gateway_state to)
{
	return (from == BANK_GATEWAY_STATE_NONE
	           || from == BANK_GATEWAY_STATE_PENDING)
	    && to != BANK_GATEWAY_STATE_NONE;
}

bank_gateway_wire
bank_gateway_rules_wire(bank_gateway_state s)
{
	switch (s) {
	case BANK_GATEWAY_STATE_PAID:
		return BANK_GATEWAY_WIRE_SETTLED;
	case BANK_GATEWAY_STATE_REJECTED:
		return BANK_GATEWAY_WIRE_REJECTED;
	case BANK_GATEWAY_STATE_RETRY:
		return BANK_GATEWAY_WIRE_RETRY;
	case BANK_GATEWAY_STATE_NONE:
	case BANK_GATEWAY_STATE_PENDING:
		break;
	}
	return BANK_GATEWAY_WIRE_ACCEPTED;
}

int
bank_gateway_rules_id_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

bank_gateway_held
bank_gateway_rules_held(
    const char *const *ours, size_t n, const char *const *named, size_t m)
{
	size_t mine = 0;
	for (size_t i = 0; i < m; i++)
		mine += n > 0
		    && bsearch(&named[i], ours, n, sizeof(*ours),
		           bank_gateway_rules_id_cmp)
		        != NULL;
	if (m == 0 || (mine > 0 && mine < m))
		return BANK_GATEWAY_HELD_UNCLEAR;
	return mine == m ? BANK_GATEWAY_HELD_OURS : BANK_GATEWAY_HELD_OTHERS;
}
