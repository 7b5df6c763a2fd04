/*
 * sn/page.h - the one way every list endpoint pages (issue 10).
 *
 * A list is read in the order of a per-row key that only grows (a bigint
 * identity column, or the bus's sequence): a page is the first `limit`
 * rows whose key is above the cursor's. The answer is
 * {"items": [...], "next": "<cursor>" | null}; null only on the last page,
 * so nothing is ever cut silently. A row added while a client pages comes
 * on a later page; none is listed twice.
 *
 * Query: limit (1..SN_PAGE_MAX, default SN_PAGE_DEFAULT) and cursor (a
 * "next" this endpoint gave, opaque to clients). Anything else is 422
 * invalid_query naming the parameter. Pure; any thread.
 */
#ifndef SN_PAGE_H
#define SN_PAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sn/db.h"
#include "sn/http.h"
#include "sn/problem.h"

#define SN_PAGE_DEFAULT 100
#define SN_PAGE_MAX 1000
/* "p", 16 lower-case hex digits and the NUL. */
#define SN_PAGE_CURSOR_STRLEN 18

typedef struct sn_page {
	int64_t limit; /* 1..SN_PAGE_MAX */
	int64_t after; /* key of the last row already listed; 0: none yet */
} sn_page;

/*
 * Parses a page's query parameters (either may be NULL: absent). false
 * with *prob (422 invalid_query, field "limit" or "cursor"), *out
 * untouched.
 */
bool sn_page_parse(
    const char *limit, const char *cursor, sn_page *out, sn_problem *prob);

/* The same, from a request's query string. */
bool sn_page_query(const sn_http_req *req, sn_page *out, sn_problem *prob);

/* The cursor that lists the rows after key (key >= 0); returns buf. */
char *sn_page_cursor(int64_t key, char buf[SN_PAGE_CURSOR_STRLEN]);

/*
 * The answer {"items": items, "next": ...}: items is stolen (a JSON array;
 * NULL gives []). more: a row beyond this page exists (read limit + 1 rows
 * to know); last: the key of the page's last row. NULL on allocation
 * failure.
 */
json_t *sn_page_answer(json_t *items, bool more, int64_t last);

/*
 * One row of a page as an item: row is the struct sn_page_rows read (its
 * cols' shape); the item (NULL: the row is left out of the items) and, in
 * *key, the row's paging key. arg is sn_page_rows'.
 */
typedef json_t *(*sn_page_item_fn)(const void *row, int64_t *key, void *arg);

/*
 * The answer (sn_page_answer) of a list query that read limit + 1 rows in
 * the order of their key: each of the first limit rows is read with cols
 * into row (the caller's scratch struct) and made an item by item; a row
 * that does not read is skipped; a row beyond limit makes "next" the key
 * of the last row listed. NULL when res does not fit cols (logged by
 * sn_rows) or on allocation failure. Any thread.
 */
json_t *sn_page_rows(const PGresult *res, const sn_col *cols, size_t ncols,
    void *row, int64_t limit, sn_page_item_fn item, void *arg);

/*
 * What a list route reads and how it answers (sn_page_list): the rows'
 * cols, the size of the struct they are read into, the item of each row
 * (as sn_page_rows) and the detail of the 503 when the list cannot be
 * read (e.g. "the projects cannot be read now"). Usually a static const.
 */
typedef struct sn_page_list_spec {
	const sn_col   *cols;
	size_t          ncols;
	size_t          row_size;
	sn_page_item_fn item;
	const char     *unread;
} sn_page_list_spec;

/*
 * A list route's page, read and answered: runs sql on db (sn_db_query)
 * with $1 page->after, $2 page->limit and the nextra values of extra
 * (copied; NULL values are SQL NULL) as $3 on; sql reads the rows whose
 * key is above $1 in the order of their key, limit + 1 of them
 * ("... LIMIT $2::bigint + 1"). Then answers req: 200 with sn_page_rows'
 * answer, or 503 unavailable with spec->unread when the query fails or
 * its rows do not fit the cols. The arg_size bytes at arg are copied
 * and item is given the copy (arg NULL, arg_size 0: item gets NULL).
 * sql and spec must outlive the answer (statics). 503 "out of memory" at
 * once when the call's state cannot be allocated. Loop thread.
 */
void sn_page_list(sn_http_req *req, sn_db *db, const sn_page *page,
    const char *sql, int nextra, const char *const *extra,
    const sn_page_list_spec *spec, const void *arg, size_t arg_size);

#endif /* SN_PAGE_H */
