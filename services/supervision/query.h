/*
 * query.h - the query parameters supervision's lists share. Pure; any
 * thread.
 */
#ifndef SUPERVISION_QUERY_H
#define SUPERVISION_QUERY_H

#include <stdbool.h>

#include "sn/date.h"
#include "sn/http.h"
#include "sn/problem.h"

/* A range of district days, each end optional and included. */
typedef struct supervision_days {
	bool    has_from, has_to;
	sn_date from, to;
} supervision_days;

/*
 * Reads from= and to= (YYYY-MM-DD, each optional) into *out. false with
 * *p (422 invalid_query naming the parameter) for a malformed day or a
 * from after to.
 */
bool supervision_query_days(
    const sn_http_req *req, supervision_days *out, sn_problem *p);

#endif /* SUPERVISION_QUERY_H */
