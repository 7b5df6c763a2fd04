/*
 * kit.h - what approval's scenario programs share (scenarios.c, the
 * application and register scenarios; review_scenarios.c, a review as a
 * case): the harness state, the test household and its events, requests
 * to approval, waits on the database, and starting the stack.
 *
 * One test process runs one scenario; everything here is its state.
 */
#ifndef APPROVAL_TEST_KIT_H
#define APPROVAL_TEST_KIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "harness.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/auth.h"

#ifndef APPROVAL_BIN
#define APPROVAL_BIN "approval"
#endif
#ifndef APPROVAL_TESTPUB
#define APPROVAL_TESTPUB "approval-testpub"
#endif
#ifndef APPROVAL_SCHEMA_DIR
#define APPROVAL_SCHEMA_DIR "schema"
#endif

#define WAIT_MS 20000
#define DISTRICT "110101"
#define TOWNSHIP "110101001"
#define VILLAGE "110101001001"
#define OTHER_TOWNSHIP "110101002"
#define OTHER_VILLAGE "110101002001"

/* A POST /policy body: version, effective_from, then more members
 * (",\"k\":v" or ""). */
#define POLICY_FMT                                                            \
	"{\"version\":\"%s\",\"effective_from\":\"%s\","                      \
	"\"urban_min_fen\":90000,\"rural_min_fen\":70000,"                    \
	"\"urban_basic_fen\":150000,\"rural_basic_fen\":110000,"              \
	"\"care_able_fen\":15000,\"care_partially_able_fen\":50000,"          \
	"\"care_unable_fen\":120000,\"low_income_factor_percent\":150,"       \
	"\"asset_multiple\":24,\"max_homes\":1,"                              \
	"\"business_capital_limit_fen\":5000000%s}"

extern th       T;
extern sn_auth *AUTH;
extern int      PORT; /* approval's HTTP port */
/* The publishers approval follows, injected by sn-inject: intake,
 * verification, investigation and (issue 10) disbursement. */
#define NPUBS 4
extern int               PUBPORT[NPUBS];
extern const char *const PUBS[NPUBS];
extern const char       *S;        /* approval's schema */
extern th_proc          *APPROVAL; /* the approval process */
extern int               keyseq;

/* The household of the tests (send_submitted). */
struct app {
	char        id[64];
	char        accepted[16];
	char        ids[2][19];
	const char *village;
	const char *township;
	const char *taken_in_by;
};

/* Issue 9: when set, send_submitted's members both cannot work and no
 * wages are declared (a dibao household reviewed yearly). */
extern bool unable_household;
/* Issue 9: when set, send_submitted's household is its head alone. */
extern bool single_household;

char *str(const char *fmt, ...);

char *token(
    const char *user, const char *role, const char *juris, const char *idn);

void idnum(char out[19], const char *region, const char *birth, int seq);

void publish(
    int pub, const char *type, const char *subject, const ProtobufCMessage *m);

int api(const char *method, const char *path, const char *tok, const char *key,
    const char *json, json_t **out);

const char *jstr(json_t *j, const char *path);

const char *newkey(void);

void app_init(struct app *a, const char *id, const char *accepted);

void send_submitted(const struct app *a);

void send_verification(const struct app *a, bool complete, int attempt);

void send_investigation(const struct app *a);

const char *stage_of(const char *case_id);

void wait_stage(const char *case_id, const char *stage);

void wait_count(int64_t want, const char *what, const char *fmt, ...);

void send_and_wait(const struct app *a, int which);

uint8_t *outbox_event(
    const char *topic, const char *subject, int nth, size_t *len);

void start_env(const char *overdue_ms, const char *const *extra);

void start(const char *overdue_ms);

char *today_plus(int days);

void ready_case(struct app *a, const char *id);

char *enter_register(const char *id);

const char *next_month(void);

const char *today_plus_months(int months);

Sn__Assist__V1__BeneficiaryChanged *changed_event(const char *app, int nth);

void restart_shifted(int64_t days);

Sn__Assist__V1__ReviewRequested *review_event(const char *app, int nth);

int64_t reviews_published(const char *app);

void check_review_household(const Sn__Assist__V1__ReviewRequested *m,
    const char *app, const char *bid);

void send_change(const char *app, const char *bid, const char *change_id,
    int64_t wages_fen, int64_t medical_fen);

int64_t reviews_listed(const char *tok, const char *query, json_t **out);

/* th_main's end: closes AUTH. */
void close_auth(void);

#endif /* APPROVAL_TEST_KIT_H */
