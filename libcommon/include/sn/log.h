/*
 * sn/log.h - structured logs: one JSON object per line on stdout.
 *
 * Each line has "time" (RFC 3339 UTC, milliseconds), "level", "service",
 * "version" (sn_version), "msg", then the caller's fields. Lines are written
 * whole with one write, so the functions here may be called from any thread
 * (NNG's callbacks included) once sn_log_init has returned.
 *
 * Resident identity numbers and bank account numbers never reach a log in
 * the clear: pass them through sn_log_mask_idnum / sn_log_mask_account
 * first. sn_log itself does not guess which fields are personal.
 */
#ifndef SN_LOG_H
#define SN_LOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum sn_log_level {
	SN_LOG_DEBUG = 0,
	SN_LOG_INFO  = 1,
	SN_LOG_WARN  = 2,
	SN_LOG_ERROR = 3,
} sn_log_level;

/*
 * Names the service on every line and sets the lowest level written.
 * Call once from main before any thread starts. service is copied.
 */
void sn_log_init(const char *service, sn_log_level min);

/*
 * The request id the calling thread works for (the X-Request-Id of the
 * HTTP request being handled), copied, at most SN_LOG_REQUEST_ID_MAX
 * bytes; NULL or "" clears it. While set, every line the thread writes
 * carries it as "request_id" (a caller's own "request_id" field wins),
 * and sn_httpc sends it as X-Request-Id. sn_http sets it around the
 * application's handlers; sn_httpc and sn_reqc around the callbacks of
 * calls made while it was set; sn_db around a transaction's begin and
 * done callbacks (the id set at sn_db_tx) and around each query's
 * callback and each sn_tx_then (the id set when it was queued); the bus
 * around each event's handler (the id its publisher had when it
 * appended the event, which sn_bus_append records).
 */
#define SN_LOG_REQUEST_ID_MAX 64
void sn_log_set_request_id(const char *id);
/* The calling thread's request id, or NULL when none is set. */
const char *sn_log_request_id(void);
/* The same, "" when none is set (for a column or a copy). */
const char *sn_log_request_id_text(void);
/* Whether the n bytes at id make a request id worth keeping from a
 * peer: 1-64 characters of [A-Za-z0-9._-] (sn_http's rule for
 * X-Request-Id; sn_in_name_ok). */
bool sn_log_request_id_valid(const char *id, size_t n);
/*
 * Sets id (NULL or "": clears) and copies the id set before into prev
 * ("" for none), for a continuation that runs with the id it was queued
 * under and then puts the thread's back: sn_log_set_request_id(prev).
 */
void sn_log_swap_request_id(
    const char *id, char prev[SN_LOG_REQUEST_ID_MAX + 1]);

/* The version built in (libcommon's generated version.c; also declared
 * in sn/service.h): every line carries it as "version". */
extern const char sn_version[];

/* Whether a line of level would be written (sn_log_init's minimum), for
 * callers that would otherwise format fields for nothing. */
bool sn_log_enabled(sn_log_level level);

/* Parses "debug", "info", "warn" or "error"; -1 for anything else. */
int sn_log_level_parse(const char *text);

/*
 * Writes one line. The variadic part is pairs of strings, key then value,
 * ended by a NULL key: sn_log(SN_LOG_INFO, "started", "port", "8080", NULL).
 * A NULL value is written as JSON null.
 */
void sn_log(sn_log_level level, const char *msg, ...);

/*
 * Writes one line whose fields are the members of the JSON object fields.
 * Steals the reference to fields (NULL is allowed and means none).
 */
void sn_logj(sn_log_level level, const char *msg, json_t *fields);

/*
 * A line for later, from where nothing else of this file may run (a
 * signal handler): sn_log_prepare renders it now (its time is now's, its
 * request id the calling thread's) into buf, NUL ended, and returns its
 * length, 0 if it does not fit in cap or memory ran out.
 * sn_log_write_prepared writes it with write(2) alone, async-signal-safe,
 * without the lock that keeps other lines whole.
 */
size_t sn_log_prepare(
    sn_log_level level, const char *msg, char *buf, size_t cap);
void sn_log_write_prepared(const char *buf, size_t len);

/* Size of a buffer that holds any masked value with its NUL. */
#define SN_LOG_MASK_MAX 64

/*
 * Masks a resident identity number for logs: the first 6 and the last 4
 * characters stay, the 8 between become '*' (220103********123X). Anything
 * that is not 18 characters is masked whole except for its length in
 * '*'. out must hold SN_LOG_MASK_MAX bytes; returns out.
 */
char *sn_log_mask_idnum(const char *idnum, char out[SN_LOG_MASK_MAX]);

/*
 * Masks a bank account number: the last 4 digits stay, everything before
 * becomes '*' (at most SN_LOG_MASK_MAX - 5 of them). Returns out.
 */
char *sn_log_mask_account(const char *account, char out[SN_LOG_MASK_MAX]);

#endif /* SN_LOG_H */
