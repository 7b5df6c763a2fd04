/*
 * verification/agencies.h - asking the eight agencies, concurrently,
 * without blocking the loop (design section 5, STYLE.md "Known traps").
 *
 * One request client (sn/reqc.h) per agency, dialled at open (NNG
 * reconnects by itself; a real adapter replaces agency-sim by its URL
 * alone). sn_reqc carries any number of requests at once and hands their
 * answers to the loop; the tries and the backoff between them are
 * sn_reqc_call_retry's, and what each try came to (retry or not, the
 * final answer) is judged here on the loop thread.
 *
 * One try: send with the deadline, then receive with what is left of it.
 * A try fails on a timeout, an unreachable agency, REPLY_ERROR or a
 * malformed reply; it is retried `retries` times, after backoff_ms,
 * 2*backoff_ms, 4*backoff_ms ... (capped at 30 s). REPLY_NO_CONSENT is
 * final at once. Every try counts in
 *   sn_verification_agency_requests_total{agency,outcome}
 *   sn_verification_agency_request_duration_seconds{agency}
 * (outcome ok, error, timeout, no_consent, malformed, unreachable).
 *
 * Threads: every function here is for the loop thread only.
 */
#ifndef VERIFICATION_AGENCIES_H
#define VERIFICATION_AGENCIES_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "sn/err.h"
#include "sn/loop.h"
#include "sn/metrics.h"

typedef struct verification_agencies verification_agencies;

typedef enum verification_outcome {
	VERIFICATION_OUTCOME_OK = 0,
	VERIFICATION_OUTCOME_ERROR,       /* REPLY_ERROR */
	VERIFICATION_OUTCOME_TIMEOUT,     /* no answer within the deadline */
	VERIFICATION_OUTCOME_NO_CONSENT,  /* REPLY_NO_CONSENT */
	VERIFICATION_OUTCOME_MALFORMED,   /* an answer we cannot use */
	VERIFICATION_OUTCOME_UNREACHABLE, /* any other transport failure */
	VERIFICATION_NOUTCOMES
} verification_outcome;

/* "ok", "error", ...; NULL if out of range. */
const char *verification_outcome_name(int outcome);

typedef struct verification_agencies_config {
	const char *urls[VERIFICATION_NAGENCIES]; /* borrowed during open */
	uint32_t    timeout_ms;                   /* per try */
	uint32_t    retries;                      /* tries after the first */
	uint32_t    backoff_ms; /* before the first retry; doubles */
} verification_agencies_config;

/* The final answer of one call, borrowed during the callback only. */
typedef struct verification_answer {
	int                  agency;
	verification_outcome outcome;
	uint32_t             tries;
	uint64_t             latency_ms;  /* of the last try */
	const char          *error;       /* agency's or ours; "" if none */
	const char          *answered_at; /* agency's RFC 3339 time or "" */
	const uint8_t       *reply;       /* the reply protobuf, or NULL */
	size_t               reply_len;
	/* OK only: one per id asked, in the order asked. */
	const verification_person *persons;
	size_t                     npersons;
} verification_answer;

/* Runs once on the loop thread with the final answer of a call. */
typedef void (*verification_answer_fn)(
    const verification_answer *ans, void *arg);

/*
 * Opens the sockets and dials every URL (non-blocking). The metrics
 * registry is borrowed and must outlive the client.
 */
sn_err verification_agencies_open(verification_agencies **out, sn_loop *loop,
    sn_metrics *m, const verification_agencies_config *cfg);

/*
 * Asks agency about ids (nids of them, 1..VERIFICATION_MAX_MEMBERS) with
 * the consent reference; request_id identifies the question (the same on
 * every try, so an agency can answer a repeat once). Strings are copied.
 * fn runs later, exactly once, unless the client is closed first (then it
 * never runs). SN_EINVAL for bad arguments (an empty consent among them:
 * no agency is asked without consent), SN_ECLOSED once closing.
 */
sn_err verification_agencies_ask(verification_agencies *a, int agency,
    const char *request_id, const char *consent, const char *const *ids,
    size_t nids, verification_answer_fn fn, void *arg);

/* Calls in flight. */
size_t verification_agencies_inflight(const verification_agencies *a);

/*
 * Marks every call in flight whose arg is arg as cancelled (issue 10: a
 * withdrawn application, a superseded revision): its try under way ends
 * as usual, but a failed try is final instead of retried, so no further
 * try is sent once the current one (or a retry already waiting out its
 * backoff) ends. fn still runs once per call. Returns how many were
 * marked. NULL a: 0.
 */
size_t verification_agencies_cancel(verification_agencies *a, const void *arg);

/*
 * Decodes a stored OK reply of agency for ids into persons (nids
 * entries, in the order of ids). SN_EPROTO if it is not a valid OK reply
 * for them. Pure apart from protobuf-c's allocation.
 */
sn_err verification_agencies_decode(int agency, const char *const *ids,
    size_t nids, const uint8_t *reply, size_t len,
    verification_person *persons);

/*
 * Aborts every call (their callbacks never run), closes the request
 * clients (they free themselves once their handles are closed) and frees
 * the rest now. NULL: no-op.
 */
void verification_agencies_close(verification_agencies *a);

#endif /* VERIFICATION_AGENCIES_H */
