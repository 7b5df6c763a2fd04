#include "sn/page.h"

#include <inttypes.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A decimal whole number of at most 7 digits, without sign or spaces. */
static bool
decimal(const char *s, int64_t *out)
{
	int64_t v = 0;
	size_t  n = strlen(s);
	if (n == 0 || n > 7)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool
cursor_parse(const char *s, int64_t *out)
{
	uint64_t v = 0;
	if (strlen(s) != SN_PAGE_CURSOR_STRLEN - 1 || s[0] != 'p')
		return false;
	for (size_t i = 1; i < SN_PAGE_CURSOR_STRLEN - 1; i++) {
		char c = s[i];
		int  d = c >= '0' && c <= '9' ? c - '0'
		     : c >= 'a' && c <= 'f'   ? c - 'a' + 10
		                              : -1;
		if (d < 0)
			return false;
		v = v << 4 | (uint64_t) d;
	}
	if (v > (uint64_t) INT64_MAX)
		return false;
	*out = (int64_t) v;
	return true;
}

bool
sn_page_parse(
    const char *limit, const char *cursor, sn_page *out, sn_problem *prob)
{
	sn_page p = { .limit = SN_PAGE_DEFAULT, .after = 0 };
	if (limit != NULL
	    && (!decimal(limit, &p.limit) || p.limit < 1
	        || p.limit > SN_PAGE_MAX))
		return sn_problem_set(prob, 422, "invalid_query", "limit",
		    "limit is a whole number from 1 to %d", SN_PAGE_MAX);
	if (cursor != NULL && !cursor_parse(cursor, &p.after))
		return sn_problem_set(prob, 422, "invalid_query", "cursor",
		    "cursor is a \"next\" this endpoint gave");
	*out = p;
	return true;
}

bool
sn_page_query(const sn_http_req *req, sn_page *out, sn_problem *prob)
{
	return sn_page_parse(sn_http_query(req, "limit"),
	    sn_http_query(req, "cursor"), out, prob);
}

char *
sn_page_cursor(int64_t key, char buf[SN_PAGE_CURSOR_STRLEN])
{
	snprintf(buf, SN_PAGE_CURSOR_STRLEN, "p%016" PRIx64,
	    (uint64_t) (key < 0 ? 0 : key));
	return buf;
}

json_t *
sn_page_answer(json_t *items, bool more, int64_t last)
{
	char cur[SN_PAGE_CURSOR_STRLEN];
	if (items == NULL)
		items = json_array();
	json_t *next
	    = more ? json_string(sn_page_cursor(last, cur)) : json_null();
	return json_pack("{s:o,s:o}", "items", items, "next", next);
}

json_t *
sn_page_rows(const PGresult *res, const sn_col *cols, size_t ncols, void *row,
    int64_t limit, sn_page_item_fn item, void *arg)
{
	sn_rows rows;
	json_t *items = json_array();
	int64_t last  = 0;
	bool    more  = false;

	if (items == NULL || sn_rows_open(&rows, res, cols, ncols) != SN_OK) {
		json_decref(items);
		return NULL;
	}
	for (int i = 0; i < sn_rows_count(&rows); i++) {
		if (i == limit) {
			more = true;
			break;
		}
		if (sn_rows_read(&rows, i, row) != SN_OK)
			continue;
		json_array_append_new(items, item(row, &last, arg));
	}
	sn_rows_close(&rows);
	return sn_page_answer(items, more, last);
}

/* One sn_page_list call: the row scratch and the copy of arg follow it
 * in the same allocation, each at max_align_t. */
typedef struct list_call {
	sn_http_req             *req;
	const sn_page_list_spec *spec;
	int64_t                  limit;
	void                    *row;
	void                    *arg;
} list_call;

static size_t
aligned(size_t n)
{
	size_t a = alignof(max_align_t);
	return (n + a - 1) / a * a;
}

static void
list_read(sn_err err, PGresult *res, void *arg)
{
	list_call *c    = arg;
	json_t    *page = NULL;
	if (err == SN_OK)
		page = sn_page_rows(res, c->spec->cols, c->spec->ncols, c->row,
		    c->limit, c->spec->item, c->arg);
	if (page == NULL)
		sn_http_reply_error(
		    c->req, 503, "unavailable", c->spec->unread, NULL);
	else
		sn_http_reply_json(c->req, 200, page);
	free(c);
}

void
sn_page_list(sn_http_req *req, sn_db *db, const sn_page *page, const char *sql,
    int nextra, const char *const *extra, const sn_page_list_spec *spec,
    const void *arg, size_t arg_size)
{
	size_t       head = aligned(sizeof(list_call));
	size_t       rows = aligned(spec->row_size);
	list_call   *c    = malloc(head + rows + arg_size);
	const char **v    = malloc(sizeof(*v) * (size_t) (2 + nextra));
	char         after[24], limit[24];
	if (c == NULL || v == NULL) {
		free(c);
		free(v);
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	c->req   = req;
	c->spec  = spec;
	c->limit = page->limit;
	c->row   = (char *) c + head;
	c->arg   = arg != NULL ? (char *) c + head + rows : NULL;
	if (arg != NULL)
		memcpy(c->arg, arg, arg_size);
	snprintf(after, sizeof(after), "%" PRId64, page->after);
	snprintf(limit, sizeof(limit), "%" PRId64, page->limit);
	v[0] = after;
	v[1] = limit;
	for (int i = 0; i < nextra; i++)
		v[2 + i] = extra[i];
	sn_db_query(db, sql, 2 + nextra, v, list_read, c);
	free(v);
}
