/*
 * kit.h - what supervision's scenario programs share: tokens, JSON HTTP
 * calls, the publishers' URLs, sn-inject as a publisher, supervision
 * started on its schema, events put into a publisher's outbox and the
 * wait until supervision applied them.
 *
 * Each program defines the harness T; the kit defines sup_port and S.
 */
#ifndef SUPERVISION_TESTS_KIT_H
#define SUPERVISION_TESTS_KIT_H

#include <stddef.h>

#include <jansson.h>

#include "harness.h"

/* The program's harness (each scenarios file defines it). */
extern th T;
/* supervision's HTTP port (chosen on its first start) and schema. */
extern int         sup_port;
extern const char *S;

/* A token of user as role over juris, with idn as its identity number
 * (NULL: none); th_fail when it cannot be issued. */
char *token_idn(
    const char *user, const char *role, const char *juris, const char *idn);
char *token(const char *user, const char *role, const char *juris);

/* An HTTP answer: status, body as JSON (NULL when empty or not JSON) and,
 * from call_raw, the text (answer_free frees both). */
typedef struct answer {
	int     status;
	char   *raw;
	json_t *body;
} answer;

/* method path on port with tok and idempotency key (each may be NULL) and
 * the JSON text json (NULL: no body). call drops the text (raw NULL). */
answer call(int port, const char *method, const char *path, const char *tok,
    const char *key, const char *json);
answer call_raw(int port, const char *method, const char *path,
    const char *tok, const char *key, const char *json);
void   answer_free(answer *a);

/* j's string key, "(none)" when absent; an error answer's code. */
const char *jstr(const json_t *j, const char *key);
const char *err_code(const answer *a);

/* A new idempotency key (static buffer). */
const char *new_key(void);

/* A valid resident identity number born 1980-01-01 with sequence seq. */
char *idn(char buf[19], int seq);

/* The URLs of every publisher supervision follows (th_publisher). */
void publishers(void);

/* Starts sn-inject as publisher with one harmless event, so that its
 * schema, outbox and relay exist. */
void injector(const char *publisher);

/* Starts supervision (again: the same schema, the same port) with the
 * settings and extra ones (each NULL-ended, or NULL); waits until it is
 * ready and sets S. */
th_proc *start_supervision(
    const char *const *settings, const char *const *extra);

/* One event of topic into publisher's outbox, at the time at (an SQL
 * timestamptz expression; NULL: now()). */
void put(const char *publisher, const char *topic, const char *subject,
    const void *msg, const char *at);

/* Waits until supervision has applied every event of the n publishers
 * played. */
void wait_applied(const char *const *played, size_t n, const char *what);

#endif
