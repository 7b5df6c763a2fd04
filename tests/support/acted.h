/*
 * acted.h - the audit records of staff actions in a service's own outbox
 * (issue 12, sn/http.h's audit): every state-changing request of a member
 * of staff answered below 500 (401 excepted, replayed Idempotency-Key
 * answers excepted) leaves one row of topic "staff.acted", protobuf
 * sn.supervision.v1.StaffActed; a change's record commits with the change,
 * a refusal's in a transaction of its own before the answer.
 *
 * So a refusal does change the outbox: a test that proves a refused
 * request changed nothing counts the domain events (th_events), and one
 * that checks the record reads it with th_acted_after.
 */
#ifndef SN_TEST_ACTED_H
#define SN_TEST_ACTED_H

#include <stdint.h>

#include "harness.h"

/* The SQL condition of an outbox row that is a domain event, not an
 * audit record. */
#define TH_DOMAIN_EVENT "topic <> 'staff.acted'"

/* The domain events in the outbox of schema (every row but staff.acted). */
int64_t th_events(th *t, const char *schema);

/* The highest id in the outbox of schema, 0 when it is empty: a mark
 * for th_acted_after. */
int64_t th_outbox_mark(th *t, const char *schema);

/* One staff.acted row, decoded. */
typedef struct th_acted {
	int64_t  id;             /* the outbox row */
	char     created_at[48]; /* its transaction's start, as text */
	char     service[32];
	char     user_id[64];
	char     role[32];
	char     method[8];
	char     route[128];
	char     subject[128];
	char     request_id[72];
	char     idempotency_key[72];
	char     outcome_code[64];
	char     at[40];
	unsigned status;
} th_acted;

/*
 * The staff.acted rows of schema's outbox whose id is above mark, oldest
 * first: the first cap of them into out; returns how many there are. The
 * test fails if one does not decode, lacks a request id or a time, or its
 * envelope's subject and actor are not the record's subject and user.
 */
int th_acted_after(
    th *t, const char *schema, int64_t mark, th_acted *out, int cap);

/* What a record should say: NULL fields are not checked; status always
 * is. outcome_code "" checks a success. */
typedef struct th_acted_want {
	const char *service;
	const char *user_id;
	const char *method;
	const char *route;
	const char *subject;
	const char *idempotency_key;
	const char *outcome_code;
	unsigned    status;
} th_acted_want;

/* Fails the test (naming what) unless a says what w says. */
void th_acted_is(th *t, const th_acted *a, const char *what, th_acted_want w);

/* Fails the test unless a was written in the same transaction as the
 * outbox row of topic for subject (the change it records): both rows
 * carry their transaction's start time (created_at is now()). */
void th_acted_with(th *t, const char *schema, const th_acted *a,
    const char *topic, const char *subject);

#endif
