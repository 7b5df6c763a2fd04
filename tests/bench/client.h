/*
 * client.h - what the programs that drive the district through the
 * services' HTTP APIs share (sn-district, sn-halfyear): staff members with
 * tokens, one request with a JSON body, the services' ports.
 */
#ifndef SN_BENCH_CLIENT_H
#define SN_BENCH_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* One staff member: a user name and a token for its role and
 * jurisdiction. */
struct staff {
	char user[64];
	char token[2048];
};

/*
 * Where the staff's tokens come from. With SN_IDENTITY_HTTP_URL set
 * (deploy/local/run), from the identity service: logs in as the district
 * administrator (SN_IDENTITY_ADMIN_USER, default "admin", and
 * SN_IDENTITY_ADMIN_PASSWORD or _FILE; exits 1 if that login fails).
 * Without it (the e2e tests), tokens are minted locally with
 * SN_TOKEN_SIGNING_KEY (or _FILE, a P-256 private key in PEM); false
 * (with a message naming prog) when that is missing or not one.
 */
bool client_open(const char *prog);
void client_close(void);

/*
 * A token for user as role in juris (with identity number idn, or NULL);
 * exits on failure. With identity: at its first use in this process the
 * user is created through identity's admin API (POST /users, a random
 * password this process keeps) or, when it exists already, given a new
 * random password, the role and jurisdiction (PATCH /users/{id}); then it
 * logs in (POST /login). client_call refreshes the access token
 * (POST /token/refresh) when it has a quarter of its life left, at most
 * 60 s, and logs in again if identity refuses the refresh.
 */
void client_issue(struct staff *s, const char *user, const char *role,
    const char *juris, const char *idn);

/* The same for a service account (role department or partner) acting for
 * unit, the department's or partner's code (identity's "unit"; issue
 * 13). client_issue gives such an account the unit of its own name. */
void client_issue_unit(struct staff *s, const char *user, const char *role,
    const char *juris, const char *unit);

/* The port of an "http://127.0.0.1:PORT" URL in environment variable var;
 * exits when it is not set. */
int client_port(const char *var);

/*
 * One request with a JSON body (stolen, may be NULL), with a fresh
 * Idempotency-Key unless a GET; the answer parsed into *out when asked.
 * Each attempt waits at most SN_HTTP_TIMEOUT_MS (default 10 s); no answer,
 * 502/503/504 or 409 idempotency_key_in_progress is asked again with the
 * same key, backing off to 2 s, for up to SN_HTTP_RETRY_MS (default 60 s).
 * Returns the HTTP status (-1: no answer in the end).
 */
int client_call(int port, const char *method, const char *path,
    const struct staff *s, json_t *body, json_t **out);

/*
 * GET path and every page after it (limit=1000 unless path sets a limit,
 * then each answer's "next" cursor, sn/page.h) into *items, one JSON array
 * (the caller's). A page's rows are its "items", or legacy_key (the
 * answer's name before paging) when it has none. Returns the last status:
 * 200 when every page was read.
 */
int client_list(int port, const char *path, const struct staff *s,
    const char *legacy_key, json_t **items);

/* The generated district's code; townships and villages below it. */
#define CLIENT_DISTRICT "220103"

/* The code of township t (v < 0) or of its village v (0-based, < 1000). */
void client_code(char *out, size_t cap, int t, int v);

/* Staff identity numbers come from another region, so that no
 * investigator is ever one of the generated households. */
void client_staff_idnum(char out[19], int n);

/*
 * Two investigators of village (staff numbers n and n + 1) report every
 * open home visit of the village, applications' and reviews' alike, as
 * they found it: members present, as declared, recommendation approve.
 * Adds the reports taken to *reported; -1 if the task list failed.
 */
int client_report_visits(int port, const char *village, int n, int *reported);

/* The investigator of village who logs in for client_report_visits
 * (staff number n), issued as client_issue does; idn is the number
 * asked for (identity keeps the one a user was created with). */
void client_issue_investigator(
    struct staff *s, const char *village, int n, char idn[19]);

/* Polls GET /runs/{id} on disbursement's port until its status is want
 * or ms pass; the last answer (NULL if none), the caller's to free. */
json_t *client_wait_run(
    int port, const struct staff *s, const char *id, const char *want, int ms);

#endif /* SN_BENCH_CLIENT_H */
