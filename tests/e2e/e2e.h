/*
 * e2e.h - what the end-to-end tests share (application_path.c,
 * lifecycle.c): one harness, the ports of the real services, staff
 * tokens, JSON calls, starting (and restarting, with the district clock
 * moved) agency-sim and the service binaries, a home visit reported by
 * two investigators, a case's steps, a monthly run paid, the bank
 * (bank-sim behind bank-gateway, tests/support/bank.h) and what it
 * settled into an account.
 *
 * Every API is HTTPS, as in the local run: e2e_setup makes a CA, each
 * process started gets a certificate of it (SN_TLS_*_FILE), and the
 * test's own calls trust it (SN_CLIENT_CA_FILE, harness.h). The NNG
 * links stay ipc:// in the run folder.
 *
 * Everything runs on the test's one thread. A failed check ends the test
 * through th_fail (harness.h). Strings returned are malloc'd (the caller
 * frees them) unless said otherwise; json_t results are the caller's.
 */
#ifndef SN_E2E_H
#define SN_E2E_H

#include <jansson.h>
#include <stdint.h>

#include "harness.h"

#define E2E_DISTRICT "220103"
#define E2E_TOWNSHIP "220103001"
#define E2E_VILLAGE "220103001001"
#define E2E_WAIT_MS 60000

/* The test's harness (th_main's). */
extern th T;

/* The services' HTTPS ports, picked by e2e_setup; P_BANK is bank-sim's. */
extern int P_INTAKE, P_VERIF, P_INVEST, P_APPROVAL, P_DISB, P_BANK, P_EMERG;
/* agency-sim's HTTP port (POST /notices, /readyz). */
extern int P_AGENCY;
/* supervision's HTTP port (issue 12). */
extern int P_SUPER;
/* services' HTTP port (issue 13: referrals, service projects). */
extern int P_SERVICES;

/* Declares the publishers, opens the token signer, picks the ports,
 * makes the CA and names the agency-sim fixture file
 * (e2e_fixture_path). */
void e2e_setup(void);
/* Closes the token signer (th_main's done). */
void e2e_done(void);

/* <run_dir>/fixture.json: agency-sim's records (static). */
const char *e2e_fixture_path(void);
/* Writes fx (borrowed) as the fixture agency-sim reads when it starts. */
void e2e_fixture_write(json_t *fx);

/* out: first17 with its GB 11643 check character. */
void e2e_idnum(char out[19], const char *first17);

/* A bearer token for user (role, jurisdiction, identity number or
 * NULL), valid an hour. */
char *e2e_token(
    const char *user, const char *role, const char *juris, const char *idn);
/* The same with the claim "unit" (a department or partner code: roles
 * department and partner act only for their unit; NULL for none). */
char *e2e_token_unit(
    const char *user, const char *role, const char *juris, const char *unit);

/* One request (an Idempotency-Key unless GET); the answer parsed into
 * *out when out is not NULL (NULL when not JSON). The status, -1 if
 * nothing answered. */
int e2e_call(int port, const char *method, const char *path, const char *tok,
    const char *body, json_t **out);

/* The rows of a list answer: its "items" (sn/page.h), or legacy_key (the
 * name before paging) when it has none; borrowed from j. */
json_t *e2e_items(json_t *j, const char *legacy_key);

/* j[key] as a string, NULL when absent or not a string. */
const char *e2e_jstr(json_t *j, const char *key);
/* j[key] as an integer, 0 when absent. */
int64_t e2e_jint(json_t *j, const char *key);

/*
 * The district clock of the processes started from now on: SN_TEST_CLOCK
 * with SN_CLOCK_OFFSET_S = shift_s, and this process's sn_clock too (so
 * that e2e_today is the services' today). Before the first call the
 * services run on the real clock.
 */
void e2e_clock_shift(int64_t shift_s);
/* The shift that puts the district's clock at noon of day (YYYY-MM-DD). */
int64_t e2e_shift_to(const char *day);
/* The district's today, "YYYY-MM-DD" (static). */
const char *e2e_today(void);

/* Starts agency-sim with the fixture on P_AGENCY and waits until it is
 * ready; down is one more setting ("SN_AGENCY_SIM_DOWN_BANKS=1") or
 * NULL. */
th_proc *e2e_start_agency_sim(const char *down);

/*
 * Starts service name (binary BIN_DIR/name/name) on port with the e2e
 * settings (its certificate; disbursement the bank's SN_BANK_URL) and
 * extra ones ("KEY=VALUE", NULL-ended, may be NULL), waits until it is
 * ready and checks that it serves its part of the API contract and its
 * build. The service is remembered by name for e2e_restart. Not for
 * bank-sim or bank-gateway: e2e_start_bank.
 */
void e2e_start_service(const char *name, int port, const char *const *extra);

/* e2e_start_service in two halves, so that several services start at
 * once: the process started, then waiting until it is ready and checking
 * it. */
void e2e_spawn_service(const char *name, int port, const char *const *extra);
void e2e_ready(const char *name);

/*
 * The bank (tests/support/bank.h): bank-sim on P_BANK playing the bank
 * in ISO 20022, with sim_env (more settings, NULL-ended, may be NULL),
 * and bank-gateway, where disbursement's SN_BANK_URL leads, paying each
 * fund from the account of the tree's
 * services/bank-gateway/seed/funds.json; both on the test's clock of
 * now. Waits until both are ready and checks their contract. Once per
 * test; services started before keep starting meanwhile, and
 * disbursement may start before it.
 */
void e2e_start_bank(const char *const *sim_env);

/* Starts the n services names (on ports) at once, then waits until each
 * is ready; extra (NULL, or n entries, each NULL-ended or NULL) are their
 * extra settings. */
void e2e_start_services(const char *const *names, const int *ports, size_t n,
    const char *const *const *extra);

/* The process of a service started (bank-sim and bank-gateway too), or
 * NULL; e2e_port: its HTTP(S) port (rolling.c). */
th_proc *e2e_proc(const char *name);
int      e2e_port(const char *name);

/* Stops the services named (NULL-ended; "agency-sim" too) with SIGTERM,
 * each draining and exiting 0, then starts them again on their ports
 * with the clock of e2e_clock_shift. */
void e2e_restart(const char *const *names);

/* SIGKILL to service name (nothing drains), then starts it again on its
 * port with its settings and waits until it is ready. */
void e2e_kill_restart(const char *name);

/* The tests' token signing key (PEM, th_token_private_pem): a driver
 * that mints tokens gets it as SN_TOKEN_SIGNING_KEY; the services hold
 * only the public half (SN_TOKEN_PUBLIC_KEY, th_default_env). */
const char *e2e_token_key(void);

/* Polls approval until case id is at stage; returns the case. */
json_t *e2e_wait_stage(const char *id, const char *stage);

/* One member of a household taken in: self-caring. */
typedef struct e2e_member {
	const char *id_number, *name, *relation, *birth_date, *labour_capacity;
	int         disability_grade;
} e2e_member;

/* A household of the village with no able supporter, paid to account
 * (RCB) in account_name. The fields after account_name may be left out
 * (zero): registration "rural" or "urban" (NULL: rural), consent signed
 * on signed_date (NULL: 2026-11-01), and of all income and expenditure
 * only wages_fen and medical_fen declared (a month; 0: nothing). */
typedef struct e2e_household {
	const char       *address;
	const e2e_member *members;
	size_t            n;
	const char       *consent, *account, *account_name;
	const char       *registration, *signed_date;
	int64_t           wages_fen, medical_fen;
} e2e_household;

/* POST /applications of h at intake as the township's clerk clerk_user
 * (201 or th_fail); returns the application id (malloc'd) and its
 * accepted date. */
char *e2e_take_in(
    const char *clerk_user, const e2e_household *h, char accepted[16]);

/* POST /cases/{id}/{step} as tok with body. */
int e2e_step(const char *id, const char *step, const char *tok,
    const char *body, json_t **out);

/*
 * The village's two investigators (inv-a, inv-b) report the visit of the
 * open task whose key ("application_id" or "review_id") is id, on
 * visit_date: every member of the task present except absent (an
 * identity number, or NULL), recommendation approve.
 */
void e2e_investigate(const char *key, const char *id, const char *absent,
    const char *visit_date);

/* Waits until consumer has applied every event publisher wrote. */
void e2e_caught_up(const char *consumer, const char *publisher);

/* POST /budgets: amount_fen for fund in year (finance). */
void e2e_budget(const char *fund, int year, int64_t amount_fen);

/* Builds the run of period (YYYY-MM) once disbursement has caught up
 * with approval, approves it as another user and waits until it is
 * completed; returns the run's id. */
char *e2e_pay_month(const char *period);

/* bank-sim's settled credits of account, in fen; -1 if it did not
 * answer. */
int64_t e2e_credited(const char *account);

/* bank-sim's settled credits of account as "period fund amount" lines
 * ("2027-01 dibao 53000") from their remittance information, which
 * bank-gateway writes as "2027年1月 最低生活保障金" (the fund's purpose
 * text in funds.json), sorted, joined by ", "; "" when none. */
char *e2e_credit_lines(const char *account);

#endif /* SN_E2E_H */
