/*
 * fuzz_input: libcommon's body reader (sn/input.h), which every service's
 * handlers use on every JSON body, and its UTF-8 decoder.
 *
 * The input is a JSON text as the http module reads it; each member of
 * the object is then read as every kind sn/input.h knows, with the flags
 * picked by the first byte of its name. What is accepted must be what was
 * sent: a string has no control characters, no embedded NUL ("\u0000"
 * would cut it short) and at most max code points; a number is the
 * JSON's and within bounds; a date or month formats back to the same
 * text; a uuid parses and formats back (either case). A refusal is a 4xx with
 * a code and leaves the out-parameter alone. sn_utf8_seq is checked against a
 * plain decoder of RFC 3629 over the raw bytes too.
 */
#include <jansson.h>
#include <strings.h>

#include "fuzz.h"
#include "sn/input.h"
#include "sn/uuid.h"

/* RFC 3629 by code point: the sequence's length, 0 if not UTF-8. */
static size_t
utf8_reference(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	size_t   n   = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	unsigned cp  = p[0] & (0x7f >> n);
	unsigned min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
	if (p[0] < 0xc0 || p[0] > 0xf7)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static size_t
code_points(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

static void
member(const json_t *o, const char *key, const json_t *v)
{
	unsigned   flags = (unsigned) key[0] & 0xf;
	size_t     max   = (size_t) (key[0] & 0x30);
	sn_problem p;
	memset(&p, 0, sizeof(p));
	static const char untouched[] = "untouched";
	const char       *s           = untouched;
	if (sn_in_str(o, key, "x.", flags, max, &s, &p)) {
		if (s != untouched) {
			FUZZ_CHECK(
			    json_is_string(v) && s == json_string_value(v));
			FUZZ_CHECK(strlen(s) == json_string_length(v));
			FUZZ_CHECK(
			    sn_in_text_ok(s, (flags & SN_IN_MULTILINE) != 0));
			FUZZ_CHECK(max == 0 || code_points(s) <= max);
			FUZZ_CHECK(!(flags & SN_IN_NONEMPTY) || s[0] != '\0');
		} else {
			FUZZ_CHECK(
			    json_is_null(v) && (flags & SN_IN_NULLABLE));
		}
	} else {
		FUZZ_REFUSED(&p);
		FUZZ_CHECK(s == untouched);
	}
	int64_t n = -7;
	memset(&p, 0, sizeof(p));
	if (sn_in_i64(o, key, "", flags, -1000, 1000000, &n, &p)) {
		FUZZ_CHECK(n == -7
		    || (json_is_integer(v) && n == json_integer_value(v)
		        && n >= -1000 && n <= 1000000));
	} else {
		FUZZ_REFUSED(&p);
		FUZZ_CHECK(n == -7);
	}
	sn_date d = { 7, 7, 7 };
	memset(&p, 0, sizeof(p));
	if (sn_in_date(o, key, "", flags, &d, &p) && d.year != 7) {
		char buf[SN_DATE_STRLEN];
		FUZZ_CHECK(
		    strcmp(sn_date_format(d, buf), json_string_value(v)) == 0);
	}
	sn_month m = { 7, 7 };
	memset(&p, 0, sizeof(p));
	if (sn_in_month(o, key, "", flags, &m, &p) && m.year != 7) {
		char buf[SN_MONTH_STRLEN];
		FUZZ_CHECK(
		    strcmp(sn_month_format(m, buf), json_string_value(v))
		    == 0);
	}
	const char *u = NULL;
	memset(&p, 0, sizeof(p));
	if (sn_in_uuid(o, key, "", flags, &u, &p) && u != NULL) {
		FUZZ_CHECK(strlen(u) == 36 && u[8] == '-' && u[13] == '-'
		    && u[18] == '-' && u[23] == '-');
		/* Either case (sn/uuid.h); it formats back the same. */
		sn_uuid id;
		char    buf[SN_UUID_STRLEN];
		FUZZ_CHECK(sn_uuid_parse(u, &id) == SN_OK);
		FUZZ_CHECK(strcasecmp(sn_uuid_format(&id, buf), u) == 0);
	}
	bool b = false;
	memset(&p, 0, sizeof(p));
	if (!sn_in_bool(o, key, "", flags, &b, &p))
		FUZZ_REFUSED(&p);
	const json_t *j = NULL;
	memset(&p, 0, sizeof(p));
	if (sn_in_object(o, key, "", flags, &j, &p) && j != NULL)
		FUZZ_CHECK(json_is_object(j) && j == v);
	memset(&p, 0, sizeof(p));
	if (sn_in_array(o, key, "", flags, &j, &p) && j != NULL)
		FUZZ_CHECK(json_is_array(j) && j == v);
	FUZZ_CHECK(sn_in_check_text(key, "k", 400, max, &p)
	    == (sn_in_text_ok(key, false)
	        && (max == 0 || code_points(key) <= max)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The decoder over the raw bytes, four at a time (NUL-padded). */
	for (size_t i = 0; i < size; i++) {
		unsigned char q[5] = { 0 };
		memcpy(q, data + i, size - i < 4 ? size - i : 4);
		FUZZ_CHECK(sn_utf8_seq(q) == utf8_reference(q));
	}
	json_t *o = fuzz_body(data, size);
	if (o == NULL)
		return 0;
	static const char *const none[] = { NULL };
	sn_problem               p;
	memset(&p, 0, sizeof(p));
	FUZZ_CHECK(sn_in_only(o, none, "", &p)
	    == (json_object_size(o) == 0 && json_is_object(o)));
	const char *key;
	json_t     *v;
	json_object_foreach(o, key, v)
	{
		if (key[0] != '\0')
			member(o, key, v);
	}
	json_decref(o);
	return 0;
}
