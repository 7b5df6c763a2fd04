/*
 * audit.h - supervision's tamper-evident audit trail (issue 12 item 2).
 *
 * Every "staff.acted" event (any publisher; proto
 * sn.supervision.v1.StaffActed: one state-changing request of a member of
 * staff, refusals included) is appended, in the apply transaction, to the
 * hash chain `audit_chain`: record n = 1, 2, 3 ... with no gap, whose
 *
 *     hash = SHA-256(prev_hash || record)
 *
 * where prev_hash is the hash of record n-1 (32 zero bytes for record 1)
 * and record is the record's canonical bytes (below), kept as text
 * exactly as hashed. The searchable columns beside it (service, user_id,
 * ..., at) are copies for the indexes; verification checks that they
 * agree with the record. The head (n and hash of the last record) is one
 * row, `audit_head`, read FOR UPDATE and moved in the same transaction:
 * its row lock orders the streams' transactions, so n follows commit
 * order. The actor's own identity number is never stored: the record
 * carries its blind index (sn_seal_index, SUPERVISION_PERSON_COLUMN, the
 * index events.persons uses), "" when the token had none.
 *
 * Canonical bytes: one JSON object, members sorted by name (all ASCII),
 * no whitespace, strings escaped as RFC 8785 (JCS) does (\" \\ \b \f \n
 * \r \t, other characters below U+0020 as \u00xx in lower-case hex,
 * everything else, non-ASCII UTF-8 included, as is), integers in decimal.
 * So any JCS library, or Python's json.dumps(r, sort_keys=True,
 * separators=(",", ":"), ensure_ascii=False), makes the same bytes from
 * the same members:
 *
 *     actor_index, at, event_id, idempotency_key, jurisdiction, method,
 *     n, outcome_code, request_id, role, route, sequence, service,
 *     source, status, subject, user_id
 *
 * (at normalised to UTC with six fraction digits,
 * "2026-12-02T13:55:39.123000Z"; event_id, source and sequence are the
 * envelope's).
 *
 * The database guards the table too (schema/002_audit.sql): triggers
 * refuse UPDATE, DELETE and TRUNCATE of audit_chain and audit_anchors,
 * an INSERT that does not extend the head (n, prev_hash, and the hash
 * recomputed with PostgreSQL's own sha256()), and any change of
 * audit_head but the move to the record just appended. The service's own
 * role owns the tables and the triggers apply to it; only a superuser
 * who disables triggers can alter the chain, and GET /audit/verify then
 * names the first broken link.
 *
 * The head is anchored: published as an "audit.anchored" event (through
 * supervision's own outbox, so its stream, the event log and the feed)
 * once per district day (sn/clock.h) by a timer that checks every
 * SN_SUPERVISION_ANCHOR_CHECK_MS whether today's daily anchor exists
 * (table audit_anchors, one daily row per day: a restart does not repeat
 * it), and on request (POST /audit/anchor).
 *
 * Everything but the pure functions runs on the loop thread.
 */
#ifndef SUPERVISION_AUDIT_H
#define SUPERVISION_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "supervision.h"

#define SUPERVISION_AUDIT_HASHLEN 32
/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" and the NUL. */
#define SUPERVISION_AUDIT_ATLEN 28

/* One record's members (borrowed strings, NUL-terminated UTF-8). */
typedef struct supervision_audit_record {
	int64_t     n;
	const char *service;
	const char *user_id;
	const char *role;
	const char *jurisdiction;
	const char *actor_index; /* blind index hex, or "" */
	const char *method;
	const char *route;
	const char *subject;
	const char *request_id;
	const char *idempotency_key;
	int64_t     status;
	const char *outcome_code;
	const char *at; /* normalised (supervision_audit_at) */
	const char *event_id;
	const char *source;
	int64_t     sequence;
} supervision_audit_record;

/*
 * The record's canonical bytes into buf (cap bytes, NUL-terminated when
 * they fit); *len is their length either way (without the NUL).
 * SN_ERANGE when cap is too small (call again with *len + 1), SN_EINVAL
 * for a NULL member or a string that is not valid UTF-8. Pure.
 */
sn_err supervision_audit_canonical(
    const supervision_audit_record *r, char *buf, size_t cap, size_t *len);

/* SHA-256(prev || bytes[0..len)) into out. Pure. */
void supervision_audit_hash(const uint8_t prev[SUPERVISION_AUDIT_HASHLEN],
    const char *bytes, size_t len, uint8_t out[SUPERVISION_AUDIT_HASHLEN]);

/*
 * An RFC 3339 time ("2026-12-02T13:55:39.123Z", "...+08:00"; T or t, Z
 * or z; 0 to 6 fraction digits; seconds 00-59) as UTC with six fraction
 * digits into out; SN_EINVAL for anything else, or a year outside
 * 1-9999 once in UTC. Pure.
 */
sn_err supervision_audit_at(const char *in, char out[SUPERVISION_AUDIT_ATLEN]);

/* The first broken link's reason (GET /audit/verify). */
typedef enum supervision_audit_break {
	SUPERVISION_AUDIT_INTACT = 0,
	SUPERVISION_AUDIT_MISSING,          /* no record n (deleted) */
	SUPERVISION_AUDIT_PREV_MISMATCH,    /* prev_hash is not record n-1's
	                                     * hash (reordered, inserted) */
	SUPERVISION_AUDIT_HASH_MISMATCH,    /* hash is not SHA-256 of prev_hash
	                                     * and the record (edited) */
	SUPERVISION_AUDIT_COLUMNS_MISMATCH, /* a column disagrees with the
	                                     * record (edited) */
	SUPERVISION_AUDIT_BEYOND_HEAD,      /* a record past the head */
	SUPERVISION_AUDIT_HEAD_MISMATCH, /* the head is not the last record */
} supervision_audit_break;

/* The reason's code ("missing", "prev_hash_mismatch", "hash_mismatch",
 * "columns_mismatch", "beyond_head", "head_mismatch"); "" for intact. */
const char *supervision_audit_break_code(supervision_audit_break b);

/* One stored row as verification reads it. */
typedef struct supervision_audit_row {
	supervision_audit_record rec;    /* from the columns */
	const char              *record; /* the stored canonical bytes */
	size_t                   record_len;
	const uint8_t           *prev_hash;
	size_t                   prev_len;
	const uint8_t           *hash;
	size_t                   hash_len;
} supervision_audit_row;

/*
 * Verification's state: the chain read in order of n, one row at a time.
 * Pure; init, feed every row in order, then end.
 */
typedef struct supervision_audit_walk {
	int64_t                 head_n; /* the head row, read first */
	uint8_t                 head_hash[SUPERVISION_AUDIT_HASHLEN];
	int64_t                 checked; /* records found intact so far */
	uint8_t                 prev[SUPERVISION_AUDIT_HASHLEN];
	supervision_audit_break broken;
	int64_t                 first_broken; /* the n named */
} supervision_audit_walk;

void supervision_audit_walk_init(supervision_audit_walk *w, int64_t head_n,
    const uint8_t head_hash[SUPERVISION_AUDIT_HASHLEN]);
/* Checks the next row; returns false once the walk has found a break
 * (w->broken, w->first_broken), and ignores rows after that. */
bool supervision_audit_walk_row(
    supervision_audit_walk *w, const supervision_audit_row *row);
/* After the last row: the chain must end at the head. */
void supervision_audit_walk_end(supervision_audit_walk *w);

/* ---- the module (supervision.h) -------------------------------------- */

/* Reads SN_SUPERVISION_ANCHOR_CHECK_MS and starts the anchor timer. */
sn_err supervision_audit_setup(supervision *s);
/* Appends every staff.acted event to the chain. */
sn_err supervision_audit_on_event(
    supervision *s, sn_tx *tx, const supervision_event *e);

/* GET /audit/verify: {"ok":true,"records":N,"head":"<hex>"} or
 * {"ok":false,"records_checked":k,"first_broken":n,"reason":code,
 * "message":...}. One snapshot (REPEATABLE READ), read in pages. */
void supervision_audit_verify(sn_http_req *req, void *arg);
/* GET /audit?subject=&user=&from=&to=&limit=&cursor=: sn/page.h, oldest
 * first (by n). */
void supervision_audit_search(sn_http_req *req, void *arg);
/* POST /audit/anchor: anchors the head now (201 with the anchor). */
void supervision_audit_anchor(sn_http_req *req, void *arg);

#endif /* SUPERVISION_AUDIT_H */
