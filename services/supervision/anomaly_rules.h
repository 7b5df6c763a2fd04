/*
 * anomaly_rules.h - the pure decisions of supervision's anomaly rules
 * (issue 12 item 5). anomaly.h gathers each rule's facts from the event
 * log, calls these, and raises the alerts; everything that can be
 * decided without the database is decided here, and tested by tables of
 * cases (tests/anomaly_rules_test.c).
 *
 * A verdict is NONE (nothing to raise, the check is over), RAISE, or
 * WAIT (not yet decidable: an event the rule needs is not linked to its
 * household yet, households.h; the periodic scan asks again).
 *
 * Pure: no I/O, clock, allocation or logging; any thread. Strings are
 * borrowed for the call.
 */
#ifndef SUPERVISION_ANOMALY_RULES_H
#define SUPERVISION_ANOMALY_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/date.h"
#include "sn/problem.h"

/* The rules, by the names alerts carry. */
#define ANOMALY_SHARED_ACCOUNT "shared_account"
#define ANOMALY_PAID_AFTER_DEATH "paid_after_death"
#define ANOMALY_RELATIVE_CONFLICT "relative_conflict"
#define ANOMALY_GRANTS_UNDER_LIMIT "grants_under_limit"
#define ANOMALY_FAST_OR_ODD_HOURS "fast_or_odd_hours"
#define ANOMALY_TOWNSHIP_OUTLIER "township_outlier"
#define ANOMALY_OVERDUE "overdue"

/* The seven names above, NULL-ended. */
extern const char *const anomaly_rules_names[];
/* Whether s is one of them. */
bool anomaly_rules_rule_valid(const char *s);

typedef enum anomaly_verdict {
	ANOMALY_NONE = 0,
	ANOMALY_RAISE,
	ANOMALY_WAIT,
} anomaly_verdict;

typedef enum anomaly_severity {
	ANOMALY_LOW = 1,
	ANOMALY_MEDIUM,
	ANOMALY_HIGH,
} anomaly_severity;

/* "low", "medium", "high"; "" for anything else. */
const char *anomaly_rules_severity_name(anomaly_severity s);

/* ---- 1. shared_account ------------------------------------------------
 *
 * One bank account (by the blind index of its number) named as the payee
 * of, or paid to, households: households[i] is the household of the i-th
 * use, NULL (or "") while that event is not linked. RAISE when two or
 * more different households use it; else WAIT while a use is unlinked;
 * else NONE. *distinct: the different households seen.
 */
anomaly_verdict anomaly_rules_shared_account(
    const char *const *households, size_t n, size_t *distinct);

/* ---- 2. paid_after_death ----------------------------------------------
 *
 * A death known of a household: a reported death of a member (person:
 * the member's blind index; date: the day it took effect), or the
 * register's exit of the household caused by a death (person "": date is
 * the last day of the last month paid).
 */
typedef struct anomaly_death {
	const char *person;
	sn_date     date;
} anomaly_death;

/*
 * The last month the household is owed a benefit for, if its life on the
 * register ended by death: the earliest of the register's exits by death
 * and, when every member known (members, nm > 0) has a death reported,
 * the month of the last of those deaths. false when it has not ended.
 */
bool anomaly_rules_household_end(const anomaly_death *d, size_t nd,
    const char *const *members, size_t nm, sn_month *end);

/* A payment to the household: a month's benefit (monthly, period) or a
 * one-off grant to person (its blind index) on date. */
typedef struct anomaly_payment {
	bool        monthly;
	sn_month    period;
	const char *person;
	sn_date     date;
} anomaly_payment;

/*
 * Whether p pays after a death: a month's benefit for a period after the
 * household's end (anomaly_rules_household_end), or a grant to a person
 * reported dead before the grant's day. *which: the death that decides
 * (for a monthly payment the one whose month is the end), or NULL.
 */
bool anomaly_rules_paid_after_death(const anomaly_death *d, size_t nd,
    const char *const *members, size_t nm, const anomaly_payment *p,
    size_t *which);

/* ---- 3. relative_conflict ---------------------------------------------
 *
 * A staff action (staff.acted) by someone with an identity number in the
 * token, on a subject (a case, an application, a beneficiary, a grant).
 */
typedef struct anomaly_act {
	const char *household;       /* the subject's; NULL: not linked yet */
	const char *address;         /* its registered address, "" unknown */
	const char *actor_household; /* the actor's own, NULL: in none */
	const char *actor_address;   /* that household's address */
	unsigned    status;          /* the HTTP status answered */
} anomaly_act;

typedef enum anomaly_relation {
	ANOMALY_REL_NONE = 0,
	ANOMALY_REL_MEMBER,  /* the actor is a member of the household */
	ANOMALY_REL_ADDRESS, /* of another household at the same address */
} anomaly_relation;

/* "", "member", "same_address". */
const char *anomaly_rules_relation_name(anomaly_relation r);

/*
 * Whether two registered addresses are the same: both non-empty once
 * ASCII white space is dropped, and then equal but for ASCII case.
 */
bool anomaly_rules_same_address(const char *a, const char *b);

/*
 * WAIT while the subject's household is unknown; RAISE when the actor is
 * a member of it or of another household at the same address; NONE
 * otherwise. On RAISE: *rel, *attempt (the service refused it: status
 * 400 or more, e.g. approval's 403 household_member) and *sev (high for
 * an action that went through, medium for an attempt: a refusal shows
 * someone tried to act on a relative's case).
 */
anomaly_verdict anomaly_rules_relative(const anomaly_act *a,
    anomaly_relation *rel, bool *attempt, anomaly_severity *sev);

/* ---- 4. grants_under_limit --------------------------------------------
 */
typedef struct anomaly_limit {
	int64_t limit_fen; /* emergency's per-grant limit */
	int32_t percent;   /* "just under": at least this % of it, 1-100 */
	int32_t count;     /* grants that make a pattern, >= 2 */
	int32_t days;      /* within this many days, >= 1 */
} anomaly_limit;

typedef struct anomaly_grant {
	int64_t amount_fen; /* the whole grant (a transitional one's total) */
	sn_date day;        /* the district day it was granted */
	bool    approved;   /* a district approver agreed (it was above) */
} anomaly_grant;

/* Whether g is just under the limit: granted at once (not approved),
 * at most the limit and at least percent % of it. */
bool anomaly_rules_under_limit(const anomaly_grant *g, const anomaly_limit *l);

/*
 * The grants of one officer or to one person not yet in an alert, oldest
 * first (g[n-1] the newest): RAISE when at least count of them are just
 * under the limit within the days days ending on g[n-1].day (days - 1
 * days before it, or fewer); pick[i] then marks them, *picked counts
 * them. NONE otherwise (pick all false).
 */
anomaly_verdict anomaly_rules_grants(const anomaly_grant *g, size_t n,
    const anomaly_limit *l, bool *pick, size_t *picked);

/* ---- 5. fast_or_odd_hours ---------------------------------------------
 */

/* The minute of the district's day (0-1439) at Unix time t, for a
 * district offset_min minutes from UTC. */
int32_t anomaly_rules_local_minute(int64_t t, int32_t offset_min);

/* Whether minute m of the day lies in the odd hours from from_h:00 to
 * to_h:00 (wrapping midnight when from_h > to_h; none when equal). */
bool anomaly_rules_odd_minute(int32_t m, int32_t from_h, int32_t to_h);

/* One case's times, Unix seconds, 0 when not (yet) there: ready when it
 * entered village review (the checks and the home visit were in), the
 * township's decision, the district's filing. */
typedef struct anomaly_case_times {
	int64_t ready;
	int64_t decided;
	int64_t filed;
} anomaly_case_times;

#define ANOMALY_FAST_DECISION 0x1u /* decided < decision_min after ready */
#define ANOMALY_FAST_STEPS 0x2u    /* filed < steps_min after ready */

/* The ANOMALY_FAST_* found; a threshold of 0 turns its check off. */
unsigned anomaly_rules_fast(
    const anomaly_case_times *t, int32_t decision_min, int32_t steps_min);

/* ---- 6. township_outlier ----------------------------------------------
 */
typedef struct anomaly_rate {
	int64_t n; /* cases */
	int64_t k; /* of which counted (approved; overridden) */
} anomaly_rate;

typedef struct anomaly_outlier_params {
	int64_t min_cases; /* both the township and the rest need as many */
	int32_t z_tenths;  /* the threshold in tenths of a standard error */
} anomaly_outlier_params;

typedef enum anomaly_outlier {
	ANOMALY_OUT_NONE = 0,
	ANOMALY_OUT_HIGH,
	ANOMALY_OUT_LOW,
} anomaly_outlier;

/*
 * A township's rate against the rest of its district's (two-proportion z
 * test, the pooled rate's standard error): HIGH or LOW when |z| reaches
 * the threshold, NONE when it does not, when either side has fewer than
 * min_cases, or the pooled rate is 0 or 1 (no spread to measure).
 * *z_x100: z times 100, rounded (0 when not computed).
 */
anomaly_outlier anomaly_rules_outlier(anomaly_rate town, anomaly_rate rest,
    const anomaly_outlier_params *p, int32_t *z_x100);

/* ---- 7. overdue -------------------------------------------------------
 */

/* Whether a referral made on created and not answered is overdue on
 * today: today is after created + days. */
bool anomaly_rules_referral_overdue(
    sn_date created, int32_t days, sn_date today);

/* ---- an alert's life --------------------------------------------------
 */
typedef enum anomaly_state {
	ANOMALY_OPEN = 0,
	ANOMALY_ASSIGNED,
	ANOMALY_CLOSED,
} anomaly_state;

/* "open", "assigned", "closed", NULL-ended; indexed by the state. */
extern const char *const anomaly_rules_state_names[];
bool anomaly_rules_state_parse(const char *s, anomaly_state *out);

/* Longest closing note, characters. */
#define ANOMALY_NOTE_MAX 2000

/* The user an alert is assigned to, as identity last described them
 * (user.changed); found false when identity never did. */
typedef struct anomaly_assignee {
	bool        found;
	const char *kind; /* "staff" or "service" */
	const char *role;
	bool        disabled;
} anomaly_assignee;

/*
 * Whether an alert in state from may be assigned to u: not when closed
 * (409 alert_closed); only to a member of staff who reads supervision
 * (role supervisor or inspector) and is not disabled (422
 * unknown_assignee, field assignee). false with *p set.
 */
bool anomaly_rules_assign(
    anomaly_state from, const anomaly_assignee *u, sn_problem *p);

/*
 * Whether an alert in state from may be closed with note: not twice (409
 * alert_closed); a note is required (422 note_required, field note:
 * NULL, or nothing but white space). false with *p set.
 */
bool anomaly_rules_close(anomaly_state from, const char *note, sn_problem *p);

#endif /* SUPERVISION_ANOMALY_RULES_H */
