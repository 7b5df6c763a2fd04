#include "sn/page.h"

#include <inttypes.h>
#include <stdio.h>
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
