/*
 * bank-gateway/bank.h - the way to the bank (issue 14): ISO 20022 over
 * HTTPS with the gateway's client certificate, or a file-drop folder.
 * Exactly one of the two, chosen by the settings (SN_BANK_ISO_URL or
 * SN_BANK_DROP_DIR).
 *
 * HTTPS (the bank's interface, contract section 2), through sn_httpc on
 * the loop; the TLS files are sn_httpc's (SN_TLS_CA_FILE, SN_TLS_CERT_FILE,
 * SN_TLS_KEY_FILE: the bank's certificate must be of that CA, ours is
 * presented to it). Every body is application/xml; charset=utf-8:
 *   POST <base>/pain.001                       -> 200 pain.002
 *   GET  <base>/pain.002/<MsgId>               -> 200 pain.002, 404
 *   GET  <base>/camt.054?account=<a>&date=<d>  -> 200 camt.054
 * The answer (any HTTP status) goes to the callback, which judges it.
 *
 * Drop folder: a pain.001 is written to <dir>/out/<MsgId>.xml atomically
 * (written as a dot-file beside it, flushed to disk, then renamed), so
 * the bank never reads half a file. The bank leaves its pain.002 and
 * camt.054 files in <dir>/in/; the gateway takes them one at a time in
 * name order (bank_gateway_bank_drop_next) and moves each, once dealt
 * with, to <dir>/in/done/ (or <dir>/in/bad/ when it could not be read).
 * These are small synchronous file operations on the loop thread.
 *
 * Threads: every function here is for the loop thread only, and every
 * callback runs on it.
 */
#ifndef BANK_GATEWAY_BANK_H
#define BANK_GATEWAY_BANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/date.h"
#include "sn/err.h"
#include "sn/loop.h"

typedef struct bank_gateway_bank bank_gateway_bank;

typedef struct bank_gateway_bank_config {
	const char *iso_url;  /* https://host:port/iso20022, or NULL */
	const char *drop_dir; /* the folder, or NULL */
	/* The deadline of one HTTPS request, connecting included: a
	 * pain.001 POST or a pain.002 GET (timeout_ms); a camt.054 GET
	 * (statement_timeout_ms: a day's statement of a fund account may
	 * hold 10,000 entries and take far longer than a status report). */
	uint32_t    timeout_ms;
	uint32_t    statement_timeout_ms;
	const char *peer_name; /* the name the bank's certificate must
	                          carry; NULL: the URL's host */
} bank_gateway_bank_config;

/* The end of one HTTPS request, borrowed for the callback only. */
typedef struct bank_gateway_bank_answer {
	/* SN_OK: an HTTP answer came (status says which); SN_ETIMEDOUT,
	 * SN_EIO (no connection), SN_EAUTH (TLS refused), SN_EPROTO
	 * (malformed or too large), SN_ECLOSED (closing): no answer, and
	 * error says curl's reason. */
	sn_err      err;
	long        status;
	const char *body; /* NUL-terminated; "" when none */
	size_t      len;
	const char *error;
	uint64_t    latency_us;
} bank_gateway_bank_answer;

typedef void (*bank_gateway_bank_fn)(
    const bank_gateway_bank_answer *a, void *arg);

/*
 * Opens the link: an HTTPS client (reading the TLS settings: start-up
 * only), or the drop folder, whose out/, in/, in/done/ and in/bad/ are
 * made when missing. The config's strings are copied. SN_EINVAL when
 * both or neither of iso_url and drop_dir are given; SN_EIO (logged)
 * when a folder cannot be made; sn_httpc_open's errors.
 */
sn_err bank_gateway_bank_open(bank_gateway_bank **out, sn_loop *loop,
    const bank_gateway_bank_config *cfg);

/* Stops every request (callbacks run now with SN_ECLOSED) and frees the
 * link once its handles are closed. NULL: no-op. */
void bank_gateway_bank_close(bank_gateway_bank *b);

/* True for the drop folder. */
bool bank_gateway_bank_is_drop(const bank_gateway_bank *b);

/* HTTPS requests in flight. */
size_t bank_gateway_bank_inflight(const bank_gateway_bank *b);

/*
 * HTTPS: POSTs the pain.001 xml (len bytes, copied). fn runs later,
 * exactly once, unless an error is returned (SN_EINVAL in drop mode,
 * sn_httpc_send's errors).
 */
sn_err bank_gateway_bank_post_pain001(bank_gateway_bank *b, const char *xml,
    size_t len, bank_gateway_bank_fn fn, void *arg);

/* HTTPS: GETs the current pain.002 of msg_id. As above. */
sn_err bank_gateway_bank_get_pain002(bank_gateway_bank *b, const char *msg_id,
    bank_gateway_bank_fn fn, void *arg);

/* HTTPS: GETs the camt.054 of account for day, within the statement
 * deadline (statement_timeout_ms). As above. */
sn_err bank_gateway_bank_get_camt054(bank_gateway_bank *b, const char *account,
    sn_date day, bank_gateway_bank_fn fn, void *arg);

/*
 * Drop folder: writes out/<msg_id>.xml atomically, replacing a file of
 * that name (the same bytes again: a repeat). SN_OK once it is renamed
 * into place and flushed; SN_EIO (why, 256 bytes, says which call
 * failed) otherwise, with nothing left in out/ under that name but what
 * was there; SN_EINVAL for a msg_id that is not a plain file name, or
 * in HTTPS mode.
 */
sn_err bank_gateway_bank_drop_write(bank_gateway_bank *b, const char *msg_id,
    const char *xml, size_t len, char *why);

/*
 * Drop folder: the first file of in/ (by name) ending in ".xml" and not
 * starting with '.', read whole: *name (its file name) and *body (*len
 * bytes, NUL-terminated), both malloc'd for the caller. SN_ENOTFOUND
 * when there is none; SN_EIO when it cannot be read (it is moved to
 * in/bad/ and *name says which); SN_EINVAL in HTTPS mode.
 */
sn_err bank_gateway_bank_drop_next(
    bank_gateway_bank *b, char **name, char **body, size_t *len);

/* Drop folder: moves in/<name> to in/done/ (ok) or in/bad/ (not ok),
 * replacing a file of that name there. SN_EIO (logged) on failure. */
sn_err bank_gateway_bank_drop_done(
    bank_gateway_bank *b, const char *name, bool ok);

#endif /* BANK_GATEWAY_BANK_H */
