/*
 * bank-sim/rules.c - see rules.h.
 */
#include "rules.h"

#include <stdlib.h>
#include <string.h>

/* The rejections: bank-sim's own code, sentence, ISO code. */
static const struct {
	const char *code, *reason, *iso;
} rejections[] = {
	{ "invalid_amount", "the amount is not positive", "AM12" },
	{ "no_such_account", "the bank holds no such account", "AC01" },
	{ "closed_account", "the account is closed", "AC04" },
	{ "blocked_account", "the account is blocked", "AC06" },
	{ "holder_deceased", "the account holder is deceased", "MD07" },
	{ "name_mismatch", "the account name does not match the bank's record",
	    "BE01" },
	{ "insufficient_funds", "the fund account's balance is short",
	    "AM04" },
};

#define NREJ (sizeof(rejections) / sizeof(rejections[0]))

static bank_sim_decision
rejected(const char *code)
{
	bank_sim_decision d = { BANK_SIM_REJECTED, "", "", "" };
	for (size_t i = 0; i < NREJ; i++)
		if (strcmp(rejections[i].code, code) == 0) {
			d.reason_code = rejections[i].code;
			d.reason      = rejections[i].reason;
			d.iso_code    = rejections[i].iso;
		}
	return d;
}

bank_sim_decision
bank_sim_rules_short(void)
{
	return rejected("insufficient_funds");
}

bank_sim_decision
bank_sim_rules_decide(const bank_sim_instr *in,
    const bank_sim_account *account, bool open_all, bool settle_later)
{
	bank_sim_decision d = { BANK_SIM_REJECTED, "", "", "" };
	if (in->amount_fen <= 0)
		return rejected("invalid_amount");
	if (account == NULL && !open_all)
		return rejected("no_such_account");
	if (account != NULL) {
		switch (account->state) {
		case BANK_SIM_CLOSED:
			return rejected("closed_account");
		case BANK_SIM_BLOCKED:
			return rejected("blocked_account");
		case BANK_SIM_DECEASED:
			return rejected("holder_deceased");
		case BANK_SIM_OPEN:
			break;
		}
		if (account->name != NULL
		    && strcmp(account->name, in->account_name) != 0)
			return rejected("name_mismatch");
	}
	d.status = settle_later ? BANK_SIM_ACCEPTED : BANK_SIM_SETTLED;
	return d;
}

static int
cmp_key(const void *a, const void *b)
{
	const bank_sim_iso_key *x = a, *y = b;
	int                     c = strcmp(x->e2e, y->e2e);
	return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

/* Whether keys[k] repeats the id of keys[k - 1] (sorted). */
static bool
repeat(const bank_sim_iso_key *keys, size_t k)
{
	return k > 0 && strcmp(keys[k - 1].e2e, keys[k].e2e) == 0;
}

/* The first decision of each transaction: booked or a duplicate. */
static void
judge_each(const bank_sim_iso_tx *txs, size_t n, bool open_all,
    bool settle_later, const bank_sim_iso_key *keys, bank_sim_iso_verdict *out)
{
	for (size_t k = 0; k < n; k++) {
		size_t                 i = keys[k].i;
		const bank_sim_iso_tx *t = &txs[i];
		if (repeat(keys, k) || t->stored == BANK_SIM_ACCEPTED
		    || t->stored == BANK_SIM_SETTLED) {
			out[i].book = false;
			out[i].d
			    = (bank_sim_decision) { t->stored, "", "", "" };
			continue;
		}
		out[i].book = true;
		out[i].d    = t->amount_ok ? bank_sim_rules_decide(
		                  &t->in, t->account, open_all, settle_later)
		                           : rejected("invalid_amount");
	}
}

/* Whether block b's debtor has what the block books; lowers it if so. */
static bool
covered(const bank_sim_iso_tx *txs, size_t n, size_t b,
    bank_sim_iso_block *block, const bank_sim_iso_verdict *out)
{
	int64_t sum = 0;
	if (block->available == NULL)
		return true;
	for (size_t i = 0; i < n; i++) {
		if (txs[i].block != b || !out[i].book
		    || out[i].d.status == BANK_SIM_REJECTED)
			continue;
		if (sum > INT64_MAX - txs[i].in.amount_fen)
			return false;
		sum += txs[i].in.amount_fen;
	}
	if (sum > *block->available)
		return false;
	*block->available -= sum;
	return true;
}

void
bank_sim_rules_judge(const bank_sim_iso_tx *txs, size_t n,
    bank_sim_iso_block *blocks, size_t nblocks, bool open_all,
    bool settle_later, bank_sim_iso_key *keys, bank_sim_iso_verdict *out)
{
	for (size_t i = 0; i < n; i++)
		keys[i] = (bank_sim_iso_key) { txs[i].in.end_to_end_id, i };
	qsort(keys, n, sizeof(*keys), cmp_key);
	judge_each(txs, n, open_all, settle_later, keys, out);
	for (size_t b = 0; b < nblocks; b++) {
		blocks[b].is_short = !covered(txs, n, b, &blocks[b], out);
		for (size_t i = 0; blocks[b].is_short && i < n; i++)
			if (txs[i].block == b && out[i].book)
				out[i].d = bank_sim_rules_short();
	}
	/* A repeat within the message reports its first's decision. */
	for (size_t k = 1; k < n; k++)
		if (repeat(keys, k) && !out[keys[k].i].book) {
			size_t first = k;
			while (repeat(keys, first))
				first--;
			out[keys[k].i].d = out[keys[first].i].d;
		}
}

const char *
bank_sim_rules_level_status(size_t settled, size_t accepted, size_t rejected)
{
	if (rejected > 0)
		return settled + accepted > 0 ? "PART" : "RJCT";
	if (accepted > 0)
		return "ACCP";
	return settled > 0 ? "ACSC" : "RJCT";
}

const char *
bank_sim_rules_tx_status(bank_sim_status s)
{
	switch (s) {
	case BANK_SIM_ACCEPTED:
		return "ACCP";
	case BANK_SIM_SETTLED:
		return "ACSC";
	case BANK_SIM_REJECTED:
		return "RJCT";
	case BANK_SIM_UNKNOWN:
		break;
	}
	return NULL;
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
