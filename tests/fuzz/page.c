/*
 * fuzz_page: a list's query parameters limit and cursor (sn/page.h),
 * which every list endpoint reads from the query string as sent.
 *
 * The input is "limit" NUL "cursor" (a part absent when the input has no
 * NUL: cursor NULL). Checks that an accepted limit is 1..SN_PAGE_MAX, that
 * an accepted cursor is exactly the one sn_page_cursor writes for its key
 * (there is one spelling per key), that any key's cursor is accepted back
 * as that key, and that a refusal leaves the page untouched.
 */
#include "sn/page.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char       *s      = fuzz_str(data, size);
	const char *limit  = s;
	const char *cursor = NULL;
	size_t      n      = strlen(s);
	if (n < size)
		cursor = s + n + 1;
	sn_page    pg = { -7, -7 };
	sn_problem prob;
	memset(&prob, 0, sizeof(prob));
	if (sn_page_parse(limit, cursor, &pg, &prob)) {
		FUZZ_CHECK(pg.limit >= 1 && pg.limit <= SN_PAGE_MAX);
		FUZZ_CHECK(pg.after >= 0);
		if (cursor != NULL) {
			char buf[SN_PAGE_CURSOR_STRLEN];
			FUZZ_CHECK(
			    strcmp(sn_page_cursor(pg.after, buf), cursor)
			    == 0);
		}
	} else {
		FUZZ_CHECK(pg.limit == -7 && pg.after == -7);
	}
	/* Any key's cursor reads back as the key. */
	int64_t key = 0;
	if (size >= 8)
		memcpy(&key, data + size - 8, 8);
	if (key < 0)
		key = -(key + 1);
	char    buf[SN_PAGE_CURSOR_STRLEN];
	sn_page back;
	FUZZ_CHECK(
	    sn_page_parse(NULL, sn_page_cursor(key, buf), &back, &prob));
	FUZZ_CHECK(back.after == key && back.limit == SN_PAGE_DEFAULT);
	free(s);
	return 0;
}
