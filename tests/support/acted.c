/* The audit records of staff actions in a service's outbox (acted.h). */
#include "acted.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "sn/db.h"

#include "sn/supervision/v1/supervision.pb-c.h"

int64_t
th_events(th *t, const char *schema)
{
	return th_int(t,
	    "SELECT count(*) FROM %s.outbox WHERE " TH_DOMAIN_EVENT, schema);
}

int64_t
th_outbox_mark(th *t, const char *schema)
{
	return th_int(t, "SELECT coalesce(max(id), 0) FROM %s.outbox", schema);
}

static void
copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

/* One staff.acted row as sn_rows reads it (the typed reading of
 * sn/db.h: no positional reads outside the stores and the harness). */
typedef struct acted_row {
	int64_t     id;
	const char *created_at, *subject, *actor;
	sn_bytes    data;
} acted_row;

static const sn_col acted_cols[] = {
	SN_COL(acted_row, id, SN_COL_I64),
	SN_COL(acted_row, created_at, SN_COL_TEXT),
	SN_COL(acted_row, subject, SN_COL_TEXT),
	SN_COL(acted_row, actor, SN_COL_TEXT),
	SN_COL(acted_row, data, SN_COL_BYTES),
};

/* Fills a from row (the record decoded); false when it does not decode
 * or its envelope and record disagree or lack a request id or time. */
static bool
acted_fill(th_acted *a, const acted_row *row)
{
	Sn__Supervision__V1__StaffActed *m
	    = sn__supervision__v1__staff_acted__unpack(
	        NULL, row->data.len, row->data.data);
	if (m == NULL)
		return false;
	memset(a, 0, sizeof(*a));
	a->id = row->id;
	copy(a->created_at, sizeof(a->created_at), row->created_at);
	copy(a->service, sizeof(a->service), m->service);
	copy(a->user_id, sizeof(a->user_id), m->user_id);
	copy(a->role, sizeof(a->role), m->role);
	copy(a->method, sizeof(a->method), m->method);
	copy(a->route, sizeof(a->route), m->route);
	copy(a->subject, sizeof(a->subject), m->subject);
	copy(a->request_id, sizeof(a->request_id), m->request_id);
	copy(a->idempotency_key, sizeof(a->idempotency_key),
	    m->idempotency_key);
	copy(a->outcome_code, sizeof(a->outcome_code), m->outcome_code);
	copy(a->at, sizeof(a->at), m->at);
	a->status = m->status;
	bool ok   = strcmp(row->subject, a->subject) == 0
	    && strcmp(row->actor, a->user_id) == 0 && a->request_id[0] != '\0'
	    && a->at[0] != '\0';
	sn__supervision__v1__staff_acted__free_unpacked(m, NULL);
	return ok;
}

int
th_acted_after(th *t, const char *schema, int64_t mark, th_acted *out, int cap)
{
	char      sql[512];
	sn_rows   rows;
	acted_row row;

	snprintf(sql, sizeof(sql),
	    "SELECT id, created_at::text AS created_at, subject, actor, data"
	    " FROM %s.outbox WHERE topic = 'staff.acted' AND id > %" PRId64
	    " ORDER BY id",
	    schema, mark);
	PGresult *r = PQexec(t->pg, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK
	    || sn_rows_open(&rows, r, acted_cols, SN_NCOLS(acted_cols))
	        != SN_OK) {
		char msg[256];
		copy(msg, sizeof(msg), PQresultErrorMessage(r));
		PQclear(r);
		th_fail(t, "reading staff.acted of %s: %s", schema, msg);
	}
	int n = sn_rows_count(&rows);
	for (int i = 0; i < n && i < cap; i++) {
		if (sn_rows_read(&rows, i, &row) != SN_OK
		    || !acted_fill(&out[i], &row)) {
			sn_rows_close(&rows);
			PQclear(r);
			th_fail(t,
			    "staff.acted row %d of %s does not decode, or its"
			    " envelope or record is incomplete",
			    i, schema);
		}
	}
	sn_rows_close(&rows);
	PQclear(r);
	return n;
}

static void
want_str(th *t, const char *what, const char *field, const char *have,
    const char *want)
{
	if (want != NULL && strcmp(have, want) != 0)
		th_fail(t, "%s: staff.acted %s is \"%s\", want \"%s\"", what,
		    field, have, want);
}

void
th_acted_is(th *t, const th_acted *a, const char *what, th_acted_want w)
{
	if (a->status != w.status)
		th_fail(t, "%s: staff.acted status %u (code \"%s\"), want %u",
		    what, a->status, a->outcome_code, w.status);
	want_str(t, what, "service", a->service, w.service);
	want_str(t, what, "user_id", a->user_id, w.user_id);
	want_str(t, what, "method", a->method, w.method);
	want_str(t, what, "route", a->route, w.route);
	want_str(t, what, "subject", a->subject, w.subject);
	want_str(
	    t, what, "idempotency_key", a->idempotency_key, w.idempotency_key);
	want_str(t, what, "outcome_code", a->outcome_code, w.outcome_code);
}

void
th_acted_with(th *t, const char *schema, const th_acted *a, const char *topic,
    const char *subject)
{
	if (th_int(t,
	        "SELECT count(*) FROM %s.outbox e JOIN %s.outbox a"
	        " ON a.created_at = e.created_at WHERE a.id = %" PRId64
	        " AND e.topic = '%s' AND e.subject = '%s'",
	        schema, schema, a->id, topic, subject)
	    != 1)
		th_fail(t,
		    "the staff.acted record of %s %s was not written with"
		    " its %s of %s",
		    a->method, a->route, topic, subject);
}
