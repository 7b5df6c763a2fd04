/*
 * services.c - what every module of the service shares; see services.h.
 */
#include "services.h"

#include <stdlib.h>
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

void
services_tx_copy(
    sn_http_req *req, sn_http_tx_fn begin, const void *ctx, size_t size)
{
	void *h = malloc(size);
	if (h == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	memcpy(h, ctx, size);
	sn_http_tx_with_end(req, begin, free, h);
}
