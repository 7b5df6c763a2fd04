/*
 * register_rules.h - the pure decisions of approval's beneficiary register
 * (issue 9, "Register and periods"; design section 6 "The register over
 * time"): standings (approval_standing, rules.h) and causes
 * (approval_cause) by name, the opaque cursor of GET /beneficiaries, and
 * suspension and resumption. The next review date is rules.h's
 * (approval_rules_next_review).
 *
 * Kept apart from rules.c, whose review and re-rating rules were being
 * written at the same time. Pure: no I/O, clock, malloc or log; any
 * thread. "Today" is a parameter. A refusal is an sn_problem.
 */
#ifndef APPROVAL_REGISTER_RULES_H
#define APPROVAL_REGISTER_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "rules.h"
#include "sn/date.h"
#include "sn/problem.h"

/* "", "ACTIVE", "GRADUAL_EXIT", "EXITED", "SUSPENDED", NULL: as stored and
 * shown, indexed by approval_standing (an sn_rows names table). */
extern const char *const approval_register_status_names[];

/* The name of s; "" for UNSPECIFIED or out of range. */
const char *approval_register_status_name(approval_standing s);
/* The status named s, upper or lower case ("suspended" too);
 * UNSPECIFIED for NULL or an unknown name. */
approval_standing approval_register_status_parse(const char *s);

/* "decision", "review", "change_report", "rerating", "exit", "death",
 * "moved", "suspension", "replaced" (issue 10) as stored in
 * beneficiary_history; "" for
 * UNSPECIFIED or out of range. */
const char *approval_register_cause_name(approval_cause c);

/* ---- suspension and resumption ----------------------------------------- */

typedef enum approval_register_action {
	APPROVAL_REGISTER_DO_SUSPEND, /* POST /beneficiaries/{id}/suspension */
	APPROVAL_REGISTER_DO_RESUME,  /* POST /beneficiaries/{id}/resumption */
} approval_register_action;

/* A household's standing as stored. */
typedef struct approval_register_standing {
	approval_standing status;
	bool              has_until; /* a gradual exit's last month */
	sn_month          until;
} approval_register_standing;

/* The change an action makes. */
typedef struct approval_register_change {
	approval_standing to;
	approval_cause    cause;
	sn_month          first_month; /* the month after today */
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
