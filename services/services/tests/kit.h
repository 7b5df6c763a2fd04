/*
 * kit.h - what the services service's scenario programs share: tokens
 * (with a unit), JSON HTTP calls, the publishers services follows played
 * by sn-inject, the service started on its schema, events put into a
 * publisher's outbox, the wait until services applied them, and its own
 * outbox read back.
 *
 * Each program defines the harness T; the kit defines svc_port and S.
 * Used by referral_scenarios.c and catalogue_scenarios.c.
 */
#ifndef SERVICES_TESTS_KIT_H
#define SERVICES_TESTS_KIT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "harness.h"

/* The program's harness (each scenarios file defines it). */
extern th T;
/* services' HTTP port (chosen on its first start) and schema. */
extern int         svc_port;
extern const char *S;

/* A token of user as role over juris, for unit (NULL: none); th_fail
 * when it cannot be issued. Malloc'd. */
char *token_unit(
    const char *user, const char *role, const char *juris, const char *unit);
char *token(const char *user, const char *role, const char *juris);

/* An HTTP answer: status and body as JSON (NULL when empty or not
 * JSON). */
typedef struct answer {
	int     status;
	json_t *body;
} answer;

/* method path on services' port with tok and a new idempotency key on
 * mutating methods (key: that key instead, when not NULL) and the JSON
 * text json (NULL: no body). */
answer call(const char *method, const char *path, const char *tok,
    const char *key, const char *json);
/* The same without any Idempotency-Key (for the 400 it gets). */
answer call_keyless(
    const char *method, const char *path, const char *tok, const char *json);
void answer_free(answer *a);

/* Expects status and, when code is not NULL, that error code (what names
 * the step in the failure); frees the answer. */
void expect(answer a, int status, const char *code, const char *what);

/* The member of j at path: keys and array indices joined by '.'
 * ("items.0.why.members.1"); NULL when absent. */
json_t *jget(const json_t *j, const char *path);
/* jget's string, "(none)" when absent; its integer, -1 when absent. */
const char *jstr(const json_t *j, const char *path);
long long   jint(const json_t *j, const char *path);
/* An error answer's code. */
const char *err_code(const answer *a);

/* A new idempotency key (static buffer). */
const char *new_key(void);

/* A new random uuid (static buffer of n slots, rotating). */
const char *new_uuid(void);

/* Declares the publishers services follows and itself. */
void publishers(void);

/* Starts sn-inject as publisher with one harmless event, so that its
 * schema, outbox and relay exist. */
void injector(const char *publisher);

/* Starts services (again: the same schema and port) with the extra
 * settings (NULL-ended, or NULL; at most 31); waits until it is ready
 * and has its registry in the tables, and sets S. */
th_proc *start_services(const char *const *extra);

/* One event of topic into publisher's outbox (m a ProtobufCMessage). */
void put(const char *publisher, const char *topic, const char *subject,
    const void *m);

/* Waits until services has applied every event in publisher's outbox. */
void wait_applied(const char *publisher, const char *what);

/* The count of services' outbox rows of topic (all topics: NULL). */
int64_t published(const char *topic);

/* The i-th (by sequence) of services' outbox rows of topic, unpacked
 * with desc; the caller frees it (protobuf_c_message_free_unpacked). */
void *published_msg(const char *topic, int i, const void *desc);

/* The district's today shifted by days, as YYYY-MM-DD in buf. */
char *day_from_today(int64_t days, char buf[11]);

#endif
