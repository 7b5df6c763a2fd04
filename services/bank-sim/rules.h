/*
 * bank-sim/rules.h - the simulated bank's pure rules: what becomes of each
 * transaction of a pain.001 (settled or accepted, or rejected with a
 * reason code), the statuses of a report's levels, and the pseudo-random
 * choice of misbehaviour for the tests.
 *
 * Pure functions: no I/O, no clock, no allocation, no logging; callable
 * from any thread. Strings are borrowed for the call; the strings
 * returned are static.
 */
#ifndef BANK_SIM_RULES_H
#define BANK_SIM_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A text field bank-sim keeps (an account number of the fixture or of a
 * request to its API): at most this many bytes. */
#define BANK_SIM_TEXT_MAX 256

/* One instruction as the rules see it; strings borrowed, never NULL. */
typedef struct bank_sim_instr {
	const char *end_to_end_id;
	int64_t     amount_fen;
	const char *bank_code;
	const char *account_number;
	const char *account_name;
	const char *remittance_info;
} bank_sim_instr;

/* The state of an account the bank holds. */
typedef enum bank_sim_account_state {
	BANK_SIM_OPEN = 0,
	BANK_SIM_CLOSED,   /* rejected: closed_account, AC04 */
	BANK_SIM_BLOCKED,  /* rejected: blocked_account, AC06 */
	BANK_SIM_DECEASED, /* rejected: holder_deceased, MD07 */
} bank_sim_account_state;

/* What the bank holds on an account (the fixture's record). */
typedef struct bank_sim_account {
	const char *name; /* the holder's name, exact; NULL for a
	                     debtor account named without one
	                     (then any name matches) */
	bank_sim_account_state state;
	bool    has_balance; /* a debtor (fund) account with a balance */
	int64_t balance_fen; /* its opening balance, when has_balance */
} bank_sim_account;

/* An instruction's status, as stored ("accepted", "settled",
 * "rejected"); a pain.002 says it as bank_sim_rules_tx_status does. */
typedef enum bank_sim_status {
	BANK_SIM_UNKNOWN = 0, /* never received */
	BANK_SIM_ACCEPTED,    /* taken, settles after the delay */
	BANK_SIM_SETTLED,     /* the account was credited */
	BANK_SIM_REJECTED,    /* see the reason code */
} bank_sim_status;

/* A new instruction's fate. The codes and reason are "" unless
 * rejected. */
typedef struct bank_sim_decision {
	bank_sim_status status;
	/* bank-sim's own word for it (the book's reason_code, counted by
	 * GET /stats): "invalid_amount", "no_such_account",
	 * "closed_account", "blocked_account", "holder_deceased",
	 * "name_mismatch", "insufficient_funds". */
	const char *reason_code;
	const char *reason;   /* one sentence */
	const char *iso_code; /* the ISO 20022 external reason code of the
	                         same: AM12, AC01, AC04, AC06, MD07, BE01,
	                         AM04 */
} bank_sim_decision;

/*
 * The fate of an instruction received for the first time: account is
 * the bank's record of its account number (NULL when the bank has none);
 * open_all makes an account without a record exist, under any name;
 * settle_later answers ACCEPTED instead of SETTLED. Checked in order: the
 * amount (> 0), the account (exists, then open: closed, blocked,
 * deceased), the name (exact, when the record has one).
 */
bank_sim_decision bank_sim_rules_decide(const bank_sim_instr *in,
    const bank_sim_account *account, bool open_all, bool settle_later);

/* The rejection of an instruction whose debtor (fund) account is short:
 * insufficient_funds, AM04. */
bank_sim_decision bank_sim_rules_short(void);

/*
 * One transaction of a pain.001 as the rules judge it (an ISO 20022
 * message, issue 14). Strings borrowed.
 */
typedef struct bank_sim_iso_tx {
	bank_sim_instr in;
	bool           amount_ok;        /* InstdAmt exact in fen and in
	                                    CNY (else AM12) */
	const bank_sim_account *account; /* the record of
	                                    in.account_number, or NULL */
	bank_sim_status stored; /* the book's status of its end-to-end id
	                           (from any earlier message or batch);
	                           UNKNOWN when it holds none */
	size_t block;           /* its PmtInf, an index in the blocks */
} bank_sim_iso_tx;

/* One PmtInf. available points at what its debtor account has left,
 * shared by the blocks of one account and lowered by what each books;
 * NULL: a debtor account without a balance (unlimited). */
typedef struct bank_sim_iso_block {
	int64_t *available;
	bool     is_short; /* out: the account was short: every transaction
	                      the block books is rejected AM04 */
} bank_sim_iso_block;

/* What becomes of one transaction. */
typedef struct bank_sim_iso_verdict {
	bool book;           /* judged now and written to the book: a new
	                        end-to-end id, or one the book holds as
	                        rejected (a retry); false: a duplicate, never
	                        booked again (the first of a repeated id in
	                        the message is the one judged) */
	bank_sim_decision d; /* booked: the decision; a duplicate: its
	                        stored status (d.reason_code "") */
} bank_sim_iso_verdict;

/* Scratch room of bank_sim_rules_judge, one per transaction. */
typedef struct bank_sim_iso_key {
	const char *e2e;
	size_t      i;
} bank_sim_iso_key;

/*
 * Judges the n transactions of a message, in document order: for each
 * booked one bank_sim_rules_decide (AM12 when !amount_ok), then per
 * block, when its debtor account has a balance and the block's amounts
 * not rejected exceed what is available, every booked transaction of the
 * block rejected AM04 (bank_sim_rules_short) and the block is_short;
 * else available lowered by them. A repeat of an id within the message
 * gets its first's decision, unbooked. keys is scratch room for n.
 * out[i] for txs[i].
 */
void bank_sim_rules_judge(const bank_sim_iso_tx *txs, size_t n,
    bank_sim_iso_block *blocks, size_t nblocks, bool open_all,
    bool settle_later, bank_sim_iso_key *keys, bank_sim_iso_verdict *out);

/*
 * The ISO 20022 status of a level (a group or a PmtInf) of settled,
 * accepted and rejected transactions: "ACSC" all settled, "ACCP" none
 * rejected, "RJCT" all rejected, "PART" some rejected; "RJCT" for none.
 */
const char *bank_sim_rules_level_status(
    size_t settled, size_t accepted, size_t rejected);

/* The ISO 20022 status of a transaction: "ACCP", "ACSC", "RJCT"; NULL
 * for BANK_SIM_UNKNOWN. */
const char *bank_sim_rules_tx_status(bank_sim_status s);

/* "accepted", "settled", "rejected"; "unknown" for BANK_SIM_UNKNOWN. */
const char *bank_sim_status_name(bank_sim_status s);
/* The reverse; BANK_SIM_UNKNOWN for NULL or anything else. */
bank_sim_status bank_sim_status_parse(const char *name);

/* True if the n bytes at s are valid UTF-8 without NUL. */
bool bank_sim_rules_utf8(const char *s, size_t n);

/* What to do with a reply (SN_BANK_SIM_DROP_PERCENT and
 * SN_BANK_SIM_TIMEOUT_PERCENT). */
typedef enum bank_sim_act {
	BANK_SIM_ACT_REPLY = 0, /* answer at once */
	BANK_SIM_ACT_DROP,      /* never answer */
	BANK_SIM_ACT_DELAY,     /* answer after the timeout delay */
} bank_sim_act;

/*
 * How often the settlement timer looks for instructions fallen due, ms:
 * a quarter of the delay, so that one settles close to its due time,
 * within 10..1000; with settle_ms 0 (settled at once) every second, only
 * to finish rows left by an earlier run.
 */
uint64_t bank_sim_rules_settle_tick_ms(uint32_t settle_ms);

/* The next number of a splitmix64 generator whose state is *state. */
uint64_t bank_sim_rules_random(uint64_t *state);

/*
 * The act for a random number r: drop_pct percent of the numbers drop,
 * the next timeout_pct percent delay, the rest reply (percentages 0..100,
 * their sum capped at 100).
 */
bank_sim_act bank_sim_rules_act(
    uint64_t r, uint32_t drop_pct, uint32_t timeout_pct);

#endif /* BANK_SIM_RULES_H */
