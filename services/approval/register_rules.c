/*
 * register_rules.c - the register's pure decisions. See register_rules.h.
 */
#include "register_rules.h"

#include <strings.h>

const char *const approval_register_status_names[]
    = { "", "ACTIVE", "GRADUAL_EXIT", "EXITED", "SUSPENDED", NULL };

static const char *const cause_names[]
    = { "", "decision", "review", "change_report", "rerating", "exit", "death",
	      "moved", "suspension", "replaced" };

const char *
approval_register_status_name(approval_standing s)
{
	if ((int) s < 1 || (int) s > (int) APPROVAL_STANDING_SUSPENDED)
		return "";
	return approval_register_status_names[s];
}

approval_standing
approval_register_status_parse(const char *s)
{
	if (s == NULL)
		return APPROVAL_STANDING_UNSPECIFIED;
	for (int i = 1; approval_register_status_names[i] != NULL; i++)
		if (strcasecmp(s, approval_register_status_names[i]) == 0)
			return (approval_standing) i;
	return APPROVAL_STANDING_UNSPECIFIED;
}

const char *
approval_register_cause_name(approval_cause c)
{
	if ((int) c < 1 || (int) c > (int) APPROVAL_CAUSE_REPLACED)
		return "";
	return cause_names[c];
}

static bool
suspend(const approval_register_standing *s, approval_register_change *out,
    sn_problem *prob)
{
	switch (s->status) {
	case APPROVAL_STANDING_ACTIVE:
	case APPROVAL_STANDING_GRADUAL_EXIT:
		out->to    = APPROVAL_STANDING_SUSPENDED;
		out->cause = APPROVAL_CAUSE_SUSPENSION;
		return true;
	case APPROVAL_STANDING_SUSPENDED:
		return sn_problem_set(prob, 409, "already_suspended", NULL,
		    "the household is suspended already");
	default:
		return sn_problem_set(prob, 409, "exited", NULL,
		    "the household has left the register");
	}
}

static bool
resume(const approval_register_standing *s, approval_register_change *out,
    sn_problem *prob)
{
	if (s->status != APPROVAL_STANDING_SUSPENDED)
		return sn_problem_set(prob, 409, "not_suspended", NULL,
		    "the household is not suspended");
	if (s->has_until && sn_month_cmp(s->until, out->first_month) < 0)
		return sn_problem_set(prob, 409, "period_ended", NULL,
		    "its gradual exit ended while it was suspended");
	out->to    = s->has_until ? APPROVAL_STANDING_GRADUAL_EXIT
	                          : APPROVAL_STANDING_ACTIVE;
	out->cause = APPROVAL_CAUSE_REVIEW;
	return true;
}

bool
approval_register_act(approval_register_action action,
    const approval_register_standing *s, sn_date today,
    approval_register_change *out, sn_problem *prob)
{
	approval_register_change c
	    = { .first_month = sn_month_add(sn_date_month(today), 1) };
	bool ok = action == APPROVAL_REGISTER_DO_SUSPEND ? suspend(s, &c, prob)
	                                                 : resume(s, &c, prob);
	if (ok)
		*out = c;
	return ok;
}

const char *
approval_register_action_name(approval_register_action a)
{
	return a == APPROVAL_REGISTER_DO_SUSPEND ? "suspension" : "resumption";
}
