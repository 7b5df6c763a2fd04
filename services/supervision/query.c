#include "query.h"

static bool
day(const sn_http_req *req, const char *name, bool *has, sn_date *d,
    sn_problem *p)
{
	const char *s = sn_http_query(req, name);

	*has = s != NULL;
	if (s != NULL && sn_date_parse(s, d) != SN_OK)
		return sn_problem_set(p, 422, "invalid_query", name,
		    "%s is a district day YYYY-MM-DD", name);
	return true;
}

bool
supervision_query_days(
    const sn_http_req *req, supervision_days *out, sn_problem *p)
{
	if (!day(req, "from", &out->has_from, &out->from, p)
	    || !day(req, "to", &out->has_to, &out->to, p))
		return false;
	if (out->has_from && out->has_to
	    && sn_date_cmp(out->from, out->to) > 0)
		return sn_problem_set(
		    p, 422, "invalid_query", "from", "from is after to");
	return true;
}
