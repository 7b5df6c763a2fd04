/*
 * services.c - what every module of the service shares; see services.h.
 */
#include "services.h"

#include <string.h>

bool
services_unit(const sn_principal *who, const char *role, const char **unit,
    sn_problem *p)
{
	*unit = "";
	if (strcmp(who->role, role) != 0)
		return true;
	if (who->unit[0] == '\0')
		return sn_problem_set(p, 403, "no_unit", NULL,
		    "a %s user's token names its %s (unit)", role,
		    strcmp(role, "department") == 0 ? "department"
		                                    : "organisation");
	*unit = who->unit;
	return true;
}
