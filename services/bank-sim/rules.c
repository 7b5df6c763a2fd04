/*
 * bank-sim/rules.c - see rules.h.
 */
#include "rules.h"

#include <stdio.h>
#include <string.h>

static bool
text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	return n <= max && bank_sim_rules_utf8(s, n);
}

bank_sim_batch_verdict
bank_sim_rules_batch(const char *batch_id, int64_t count,
    int64_t control_sum_fen, const bank_sim_instr *ins, size_t n, size_t *bad)
{
	size_t                 where = n;
	bank_sim_batch_verdict v     = BANK_SIM_BATCH_OK;
	size_t                 idlen = strlen(batch_id);
	int64_t                sum   = 0;
	if (idlen == 0 || idlen > BANK_SIM_BATCH_ID_MAX
	    || !bank_sim_rules_utf8(batch_id, idlen)) {
		v = BANK_SIM_BATCH_NO_ID;
		goto out;
	}
	if (n == 0) {
		v = BANK_SIM_BATCH_EMPTY;
		goto out;
	}
	if (count < 0 || (uint64_t) count != (uint64_t) n) {
		v = BANK_SIM_BATCH_COUNT_MISMATCH;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t e = strlen(ins[i].end_to_end_id);
		if (e == 0 || e > BANK_SIM_E2E_MAX
		    || !bank_sim_rules_utf8(ins[i].end_to_end_id, e)) {
			v     = BANK_SIM_BATCH_BAD_E2E_ID;
			where = i;
			goto out;
		}
		if (!text_ok(ins[i].bank_code, BANK_SIM_TEXT_MAX)
		    || !text_ok(ins[i].account_number, BANK_SIM_TEXT_MAX)
		    || !text_ok(ins[i].account_name, BANK_SIM_TEXT_MAX)
		    || !text_ok(ins[i].remittance_info, BANK_SIM_TEXT_MAX)) {
			v     = BANK_SIM_BATCH_BAD_TEXT;
			where = i;
			goto out;
		}
		int64_t a = ins[i].amount_fen;
		if ((a > 0 && sum > INT64_MAX - a)
		    || (a < 0 && sum < INT64_MIN - a)) {
			v     = BANK_SIM_BATCH_SUM_OVERFLOW;
			where = i;
			goto out;
		}
		sum += a;
	}
	if (sum != control_sum_fen)
		v = BANK_SIM_BATCH_SUM_MISMATCH;
out:
	if (bad != NULL)
		*bad = where;
	return v;
}

const char *
bank_sim_rules_batch_error(bank_sim_batch_verdict v)
{
	switch (v) {
	case BANK_SIM_BATCH_OK:
		return "";
	case BANK_SIM_BATCH_NO_ID:
		return "batch_id is empty, too long or not UTF-8";
	case BANK_SIM_BATCH_EMPTY:
		return "the batch holds no instructions";
	case BANK_SIM_BATCH_COUNT_MISMATCH:
		return "count mismatch: count is not the number of "
		       "instructions";
	case BANK_SIM_BATCH_SUM_MISMATCH:
		return "control sum mismatch: control_sum_fen is not the sum "
		       "of the amounts";
	case BANK_SIM_BATCH_SUM_OVERFLOW:
		return "control sum mismatch: the amounts overflow";
	case BANK_SIM_BATCH_BAD_E2E_ID:
		return "an end_to_end_id is empty, longer than 35 bytes or "
		       "not UTF-8";
	case BANK_SIM_BATCH_BAD_TEXT:
		return "a text field is longer than 256 bytes or not UTF-8";
	}
	return "refused";
}

bool
bank_sim_rules_take(const char *batch_id, const char *debtor_account,
    int64_t count, int64_t control_sum_fen, const bank_sim_instr *ins,
    size_t n, char *why, size_t cap)
{
	size_t                 bad;
	bank_sim_batch_verdict v = bank_sim_rules_batch(
	    batch_id, count, control_sum_fen, ins, n, &bad);
	if (v == BANK_SIM_BATCH_OK
	    && bank_sim_rules_utf8(debtor_account, strlen(debtor_account)))
		return true;
	if (v == BANK_SIM_BATCH_OK)
		snprintf(why, cap, "debtor_account is not UTF-8");
	else if (bad < n)
		snprintf(why, cap, "%s (instruction %zu)",
		    bank_sim_rules_batch_error(v), bad + 1);
	else
		snprintf(why, cap, "%s", bank_sim_rules_batch_error(v));
	return false;
}

bool
bank_sim_rules_same_batch(int64_t stored_count, int64_t stored_sum_fen,
    int64_t count, int64_t control_sum_fen)
{
	return stored_count == count && stored_sum_fen == control_sum_fen;
}

bank_sim_decision
bank_sim_rules_decide(const bank_sim_instr *in,
    const bank_sim_account *account, bool open_all, bool settle_later)
{
	bank_sim_decision d = { BANK_SIM_REJECTED, "", "" };
	if (in->amount_fen <= 0) {
		d.reason_code = "invalid_amount";
		d.reason      = "the amount is not positive";
		return d;
	}
	if (account == NULL && !open_all) {
		d.reason_code = "no_such_account";
		d.reason      = "the bank holds no such account";
		return d;
	}
	if (account != NULL && account->closed) {
		d.reason_code = "closed_account";
		d.reason      = "the account is closed";
		return d;
	}
	if (account != NULL && strcmp(account->name, in->account_name) != 0) {
		d.reason_code = "name_mismatch";
		d.reason      = "the account name does not match the bank's "
		                "record";
		return d;
	}
	d.status = settle_later ? BANK_SIM_ACCEPTED : BANK_SIM_SETTLED;
	return d;
}

const char *
bank_sim_status_name(bank_sim_status s)
{
	switch (s) {
	case BANK_SIM_ACCEPTED:
		return "accepted";
	case BANK_SIM_SETTLED:
		return "settled";
	case BANK_SIM_REJECTED:
		return "rejected";
	case BANK_SIM_UNKNOWN:
		break;
	}
	return "unknown";
}

bank_sim_status
bank_sim_status_parse(const char *name)
{
	if (name == NULL)
		return BANK_SIM_UNKNOWN;
	if (strcmp(name, "accepted") == 0)
		return BANK_SIM_ACCEPTED;
	if (strcmp(name, "settled") == 0)
		return BANK_SIM_SETTLED;
	if (strcmp(name, "rejected") == 0)
		return BANK_SIM_REJECTED;
	return BANK_SIM_UNKNOWN;
}

bool
bank_sim_rules_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t               i = 0;
	while (i < n) {
		unsigned c = p[i];
		size_t   k;
		unsigned min;
		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k   = 1;
			min = 0x80;
			c &= 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k   = 2;
			min = 0x800;
			c &= 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k   = 3;
			min = 0x10000;
			c &= 0x07;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (p[i + j] & 0x3fu);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

uint64_t
bank_sim_rules_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z          = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z          = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

bank_sim_act
bank_sim_rules_act(uint64_t r, uint32_t drop_pct, uint32_t timeout_pct)
{
	if (drop_pct > 100)
		drop_pct = 100;
	if (timeout_pct > 100 - drop_pct)
		timeout_pct = 100 - drop_pct;
	/* 10,000 buckets: whole percentages land exactly. */
	uint64_t b = r % 10000;
	if (b < (uint64_t) drop_pct * 100)
		return BANK_SIM_ACT_DROP;
	if (b < (uint64_t) (drop_pct + timeout_pct) * 100)
		return BANK_SIM_ACT_DELAY;
	return BANK_SIM_ACT_REPLY;
}

uint64_t
bank_sim_rules_settle_tick_ms(uint32_t settle_ms)
{
	uint64_t tick = settle_ms > 0 ? settle_ms / 4 : 1000;
	if (tick < 10)
		tick = 10;
	if (tick > 1000)
		tick = 1000;
	return tick;
}
