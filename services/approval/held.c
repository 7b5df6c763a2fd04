/*
 * held.c - issue 10 (approval-A): a case's clock in its answers. See
 * held.h.
 */
#include "held.h"

#include <string.h>

#include "rules.h"

static bool
clock_runs(approval_stage s)
{
	switch (s) {
	case APPROVAL_STAGE_GATHERING:
	case APPROVAL_STAGE_HELD:
	case APPROVAL_STAGE_VILLAGE_REVIEW:
	case APPROVAL_STAGE_TOWNSHIP_CONFIRM:
	case APPROVAL_STAGE_RETURNED:
		return true;
	case APPROVAL_STAGE_UNSPECIFIED:
	case APPROVAL_STAGE_DISTRICT_FILING:
	case APPROVAL_STAGE_FILED:
	case APPROVAL_STAGE_REJECTED:
	case APPROVAL_STAGE_WITHDRAWN:
		break;
	}
	return false;
}

void
approval_held_clock(json_t *c, sn_date today)
{
	sn_date     deadline;
	const char *d = json_string_value(json_object_get(c, "deadline_date"));
	if (d == NULL || sn_date_parse(d, &deadline) != SN_OK)
		return;
	bool runs = clock_runs(approval_rules_stage_parse(
	    json_string_value(json_object_get(c, "stage"))));
	json_object_set_new(c, "clock_running", json_boolean(runs));
	json_object_set_new(c, "days_left",
	    runs ? json_integer(sn_date_diff_days(today, deadline))
	         : json_null());
}

void
approval_held_clocks(json_t *j, sn_date today)
{
	if (!json_is_array(j)) {
		approval_held_clock(j, today);
		return;
	}
	size_t  i;
	json_t *c;
	json_array_foreach(j, i, c) approval_held_clock(c, today);
}
