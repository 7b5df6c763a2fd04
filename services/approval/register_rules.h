/*
 * register_rules.h - the pure decisions of approval's beneficiary register
 * (issue 9, "Register and periods"; design section 6 "The register over
 * time"): statuses and causes by name, the next review date of a household
 * entering the register, the opaque cursor of GET /beneficiaries, and
 * suspension and resumption.
 *
 * Kept apart from rules.c while the review and re-rating rules are written
 * there; the review period may move to rules.c (from the policy version)
 * once it exists. Pure: no I/O, clock, malloc or log; any thread. "Today"
 * is a parameter. A refusal is an sn_problem.
 */
#ifndef APPROVAL_REGISTER_RULES_H
#define APPROVAL_REGISTER_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "rules.h"
#include "sn/date.h"
#include "sn/problem.h"

/* A household's standing (sn.assist.v1.BeneficiaryStatus, same numbers). */
typedef enum approval_register_status {
	APPROVAL_REGISTER_UNSPECIFIED  = 0,
	APPROVAL_REGISTER_ACTIVE       = 1,
	APPROVAL_REGISTER_GRADUAL_EXIT = 2, /* paid until until_month */
	APPROVAL_REGISTER_EXITED       = 3,
	APPROVAL_REGISTER_SUSPENDED    = 4, /* on the register, paid nothing */
} approval_register_status;

/* "", "ACTIVE", "GRADUAL_EXIT", "EXITED", "SUSPENDED", NULL: as stored and
 * shown, indexed by approval_register_status (an sn_rows names table). */
extern const char *const approval_register_status_names[];

/* The name of s; "" for UNSPECIFIED or out of range. */
const char *approval_register_status_name(approval_register_status s);
/* The status named s, upper or lower case ("suspended" too);
 * UNSPECIFIED for NULL or an unknown name. */
approval_register_status approval_register_status_parse(const char *s);

/* Why the standing changed (sn.assist.v1.ChangeCause, same numbers). */
typedef enum approval_register_cause {
	APPROVAL_REGISTER_CAUSE_UNSPECIFIED   = 0,
	APPROVAL_REGISTER_CAUSE_DECISION      = 1,
	APPROVAL_REGISTER_CAUSE_REVIEW        = 2,
	APPROVAL_REGISTER_CAUSE_CHANGE_REPORT = 3,
	APPROVAL_REGISTER_CAUSE_RERATING      = 4,
	APPROVAL_REGISTER_CAUSE_EXIT          = 5,
	APPROVAL_REGISTER_CAUSE_DEATH         = 6,
	APPROVAL_REGISTER_CAUSE_MOVED         = 7,
	APPROVAL_REGISTER_CAUSE_SUSPENSION    = 8,
} approval_register_cause;

/* "decision", "review", "change_report", "rerating", "exit", "death",
 * "moved", "suspension" as stored in beneficiary_history; "" for
 * UNSPECIFIED or out of range. */
const char *approval_register_cause_name(approval_register_cause c);

/* What the review period of a household entering the register reads. */
typedef struct approval_review_basis {
	approval_category category;
	bool all_unable;    /* every member's labour capacity is NONE */
	bool income_stable; /* no wages declared: the income does not hang on
	                     * work (pensions, transfers, support) */
} approval_review_basis;

/*
 * Months to the next review (design section 6 defaults): dibao 6, or 12
 * when its members cannot work and its income is stable; tekun,
 * low_income and expenditure 12; any other category 12.
 */
int32_t approval_register_review_months(const approval_review_basis *b);

/* The next review date of a household decided on decided: decided plus
 * approval_register_review_months (sn_date_add_months). */
sn_date approval_register_next_review(
    sn_date decided, const approval_review_basis *b);

/* ---- GET /beneficiaries' cursor ----------------------------------------- */

/* "r" and 16 lower-case hex digits, and its NUL. */
#define APPROVAL_CURSOR_STRLEN 18

/* The cursor after the row of keyset position seq (>= 0). */
char *approval_register_cursor_format(
    int64_t seq, char buf[APPROVAL_CURSOR_STRLEN]);
/* The position of a cursor; false (out untouched) for anything that
 * approval_register_cursor_format did not make. */
bool approval_register_cursor_parse(const char *s, int64_t *out);

#define APPROVAL_PAGE_DEFAULT 100
#define APPROVAL_PAGE_MAX 500

/* ---- suspension and resumption ----------------------------------------- */

typedef enum approval_register_action {
	APPROVAL_REGISTER_DO_SUSPEND, /* POST /beneficiaries/{id}/suspension */
	APPROVAL_REGISTER_DO_RESUME,  /* POST /beneficiaries/{id}/resumption */
} approval_register_action;

/* A household's standing as stored. */
typedef struct approval_register_standing {
	approval_register_status status;
	bool                     has_until; /* a gradual exit's last month */
	sn_month                 until;
} approval_register_standing;

/* The change an action makes. */
typedef struct approval_register_change {
	approval_register_status to;
	approval_register_cause  cause;
	sn_month                 first_month; /* the month after today */
} approval_register_change;

/*
 * What action does to a household standing at s on today, from the month
 * after today:
 *   suspend: ACTIVE or GRADUAL_EXIT -> SUSPENDED (cause SUSPENSION);
 *     409 already_suspended (SUSPENDED), 409 exited (EXITED);
 *   resume: SUSPENDED -> GRADUAL_EXIT when it has an until month, else
 *     ACTIVE (cause REVIEW); 409 period_ended when that until month is
 *     before the first month; 409 not_suspended for any other status.
 * True with *out, or false with *prob.
 */
bool approval_register_act(approval_register_action action,
    const approval_register_standing *s, sn_date today,
    approval_register_change *out, sn_problem *prob);

/* "suspension", "resumption": as recorded in refusals.step. */
const char *approval_register_action_name(approval_register_action a);

#endif /* APPROVAL_REGISTER_RULES_H */
