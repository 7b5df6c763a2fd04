/*
 * bank-gateway/store.h - every SQL statement of bank-gateway (the tables
 * are in schema/001_init.sql), and the only code that reads their
 * results: callers get typed rows, never a PGresult.
 *
 * Functions taking an sn_tx queue their statement on it (sn/db.h: sent at
 * once in the pipeline, results in order). Their callback, when there is
 * one, is kept in a bank_gateway_store_slot the caller provides and runs
 * with the typed result once it arrives; it never runs when the
 * transaction fails first, and a result of the wrong shape (logged by
 * sn_rows, naming the column) rolls the transaction back with SN_EPROTO
 * instead. They return SN_ENOMEM (nothing queued) when the parameters
 * cannot be built, or the error of sn_tx_query. Functions taking an
 * sn_db run one statement of their own and call done exactly once, later,
 * with the error or the typed result (SN_ENOMEM returned: done never
 * runs). Everything is for the loop thread. Strings passed in are sent
 * before the call returns; rows handed to a callback, and their strings,
 * are borrowed for the call.
 */
#ifndef BANK_GATEWAY_STORE_H
#define BANK_GATEWAY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "camt054.h"
#include "rules.h"
#include "sn/date.h"
#include "sn/db.h"
#include "sn/page.h"

/* Where a tx form keeps its callback until the result arrives: storage
 * the caller owns (in its context), one per query in flight, which must
 * outlive the transaction. */
typedef struct bank_gateway_store_slot {
	void (*fn)(void);
	void *arg;
} bank_gateway_store_slot;

/* ---- messages ---------------------------------------------------------- */

/* A stored message. The document is borrowed bytes. */
typedef struct bank_gateway_message_row {
	const char    *msg_id;
	const char    *fund;
	const char    *transport; /* "https", "drop" */
	const char    *state;     /* "stored", "sent", "refused" */
	const uint8_t *request_sha256;
	size_t         request_sha256_len;
	const uint8_t *document;
	size_t         document_len;
	const char    *group_status;
	const char    *group_reason;
	const char    *group_info;
} bank_gateway_message_row;

/* m: the stored message, NULL when there is none. */
typedef void (*bank_gateway_message_fn)(
    sn_tx *tx, const bank_gateway_message_row *m, void *arg);

/* The message msg_id, locked for this transaction (FOR UPDATE). */
sn_err bank_gateway_store_message(sn_tx *tx, const char *msg_id,
    bank_gateway_store_slot *slot, bank_gateway_message_fn fn, void *arg);

/* A new message with its transactions, as the pain.001 has them. */
typedef struct bank_gateway_message_in {
	const char    *msg_id;
	const char    *fund;
	const char    *debtor_account;
	int64_t        ctrl_sum_fen;
	const uint8_t *request_sha256; /* 32 bytes */
	const char    *document;
	size_t         document_len;
	const char    *transport; /* "https", "drop" */
} bank_gateway_message_in;

typedef struct bank_gateway_tx_in {
	const char *end_to_end_id;
	const char *instr_id;
	int64_t     amount_fen;
	const char *creditor_name;
	const char *creditor_account;
	const char *bank_code;
	const char *period;
	const char *run_id;
} bank_gateway_tx_in;

/* Inserts the message and its n transactions (positions 1..n). */
sn_err bank_gateway_store_message_add(sn_tx *tx,
    const bank_gateway_message_in *m, const bank_gateway_tx_in *txs, size_t n);

/* One try of sending msg_id: answered (the message becomes sent unless
 * refused) or not (error says why; the message keeps its state). */
sn_err bank_gateway_store_message_tried(
    sn_tx *tx, const char *msg_id, bool answered, const char *error);

/* The bank refused the whole file: state refused with the group status,
 * reason code and text. */
sn_err bank_gateway_store_message_refused(sn_tx *tx, const char *msg_id,
    const char *group_status, const char *reason, const char *info);

/* A batch refused whole, for the record (kind: "unconfigured",
 * "invalid", "bank"). */
sn_err bank_gateway_store_refusal(sn_tx *tx, const char *msg_id,
    const char *fund, const char *kind, const char *reason);

/* ---- statuses ---------------------------------------------------------- */

/* One transaction's status as the bank reported it, judged. */
typedef struct bank_gateway_status_in {
	const char        *end_to_end_id;
	bank_gateway_state state; /* never NONE */
	const char        *iso_status;
	const char        *reason_code;
	const char        *reason_info;
} bank_gateway_status_in;

/*
 * A pain.002 for msg_id (its document, len bytes, received via "post",
 * "get" or "drop"): stored as received; the message's group status
 * noted; each transaction of msg_id named in statuses (n) moved to its
 * new state where bank_gateway_rules_moves allows (final states stay);
 * every one newly paid recorded as settled at settled_at (RFC 3339) on
 * day settled_day unless its end-to-end id was settled before.
 */
sn_err bank_gateway_store_report(sn_tx *tx, const char *msg_id,
    const char *via, const char *report_msg_id, const char *group_status,
    const char *group_reason, const char *group_info, const char *document,
    size_t len, const bank_gateway_status_in *statuses, size_t n,
    const char *settled_at, sn_date settled_day);

/* A transaction's stored status, for a reply. Strings never NULL. */
typedef struct bank_gateway_status_row {
	const char *end_to_end_id;
	bool        found;            /* false: never sent in a message the
	                                 bank did not refuse */
	const char        *msg_id;    /* the latest message carrying it */
	const char        *msg_state; /* its state */
	const char        *transport;
	bank_gateway_state state;
	const char        *iso_status;
	const char        *reason_code;
	const char        *reason_info;
	const char        *settled_at; /* RFC 3339 UTC; "" unless paid */
} bank_gateway_status_row;

/* rows: n of them. */
typedef void (*bank_gateway_statuses_fn)(
    sn_tx *tx, const bank_gateway_status_row *rows, size_t n, void *arg);

/* The transactions of msg_id in their order, seeing the transaction's
 * own writes. */
sn_err bank_gateway_store_message_statuses(sn_tx *tx, const char *msg_id,
    bank_gateway_store_slot *slot, bank_gateway_statuses_fn fn, void *arg);

typedef void (*bank_gateway_statuses_done_fn)(
    sn_err err, const bank_gateway_status_row *rows, size_t n, void *arg);

/* For each of the n end-to-end ids, in order: its row in the latest
 * message not refused by the bank, or found false. A read of its own. */
sn_err bank_gateway_store_latest(sn_db *db, const char *const *ids, size_t n,
    bank_gateway_statuses_done_fn done, void *arg);

/* ---- statements and reconciliation ------------------------------------- */

/*
 * The camt.054 of account for day (its MsgId, the document, len bytes,
 * source "https" or "drop") and its n entries: replaces what was stored
 * for that account and day.
 */
sn_err bank_gateway_store_statement(sn_tx *tx, const char *account,
    sn_date day, const char *camt_msg_id, const char *source,
    const char *document, size_t len,
    const bank_gateway_camt054_entry *entries, size_t n);

/* A payment settled on a day, as reconciliation reads it. */
typedef struct bank_gateway_settled_row {
	const char *end_to_end_id;
	int64_t     amount_fen;
	const char *run_id;
	const char *fund;
	sn_date     settled_day;
} bank_gateway_settled_row;

typedef void (*bank_gateway_settled_fn)(
    sn_tx *tx, const bank_gateway_settled_row *rows, size_t n, void *arg);

/*
 * The payments of day's reconciliation, by end-to-end id: each settled
 * payment whose id a booked entry stored for day names, and each one
 * settled on day (as the gateway learned it) whose id no booked entry
 * of another stored day names. So a payment the bank booked on one day
 * and the gateway learned of the next is reconciled on the bank's day,
 * once its statement is stored.
 */
sn_err bank_gateway_store_settled(sn_tx *tx, sn_date day,
    bank_gateway_store_slot *slot, bank_gateway_settled_fn fn, void *arg);

/* A statement of day, as reconciliation reads it. */
typedef struct bank_gateway_statement_row {
	const char *account;
	const char *camt_msg_id;
	const char *fetched_at;
	const char *source;
} bank_gateway_statement_row;

typedef void (*bank_gateway_entries_fn)(sn_tx *tx,
    const bank_gateway_statement_row *stmts, size_t n_stmts,
    const bank_gateway_camt054_entry *entries, size_t n, void *arg);

/* The statements stored for day and their entries (in account and
 * document order). entries[] are copies the store frees after the
 * call. */
sn_err bank_gateway_store_entries(sn_tx *tx, sn_date day,
    bank_gateway_store_slot *slot, bank_gateway_entries_fn fn, void *arg);

/* One item of a reconciliation, for storing. */
typedef struct bank_gateway_item_in {
	const char *kind;
	const char *end_to_end_id;
	const char *run_id;
	int64_t     expected_fen, booked_fen, difference_fen;
	int64_t     n_entries;
	const char *account, *bank_ref, *msg_id;
} bank_gateway_item_in;

typedef struct bank_gateway_run_in {
	const char *run_id;
	bool        balanced;
	const char *summary; /* JSON text */
} bank_gateway_run_in;

/* Replaces day's reconciliation: its summary (JSON text), the items and
 * the runs. */
sn_err bank_gateway_store_reconciliation(sn_tx *tx, sn_date day,
    const char *reconciled_at, bool balanced, const char *summary,
    const bank_gateway_item_in *items, size_t n_items,
    const bank_gateway_run_in *runs, size_t n_runs);

/* json: a JSON document, borrowed; NULL when there is none. */
typedef void (*bank_gateway_json_fn)(sn_err err, const char *json, void *arg);

/* The stored summary of day's reconciliation (NULL: never run). */
sn_err bank_gateway_store_reconciliation_get(
    sn_db *db, sn_date day, bank_gateway_json_fn done, void *arg);

/*
 * A page of day's items (sn/page.h), of one kind or all (kind NULL):
 * {"items": [...], "next": ...}, or NULL JSON when the day was never
 * reconciled.
 */
sn_err bank_gateway_store_reconciliation_items(sn_db *db, sn_date day,
    const char *kind, const sn_page *page, bank_gateway_json_fn done,
    void *arg);

#endif /* BANK_GATEWAY_STORE_H */
