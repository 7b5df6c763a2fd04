#include "sn/input.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sn/uuid.h"

#define FIELD_MAX sizeof(((sn_problem *) 0)->field)

/*
 * The length of the well-formed UTF-8 sequence at p (RFC 3629: no
 * overlong forms, no surrogates, nothing past U+10FFFF), or 0.
 */
size_t
sn_utf8_seq(const unsigned char *p)
{
	unsigned lo = 0x80, hi = 0xbf;
	size_t   n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* The second byte's range is what excludes overlong forms (E0, F0),
	 * surrogates (ED) and code points past U+10FFFF (F4). */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	/* A NUL is not a continuation byte, so these stop at the end. */
	for (size_t i = 2; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	}
	return n;
}

static bool
is_control(unsigned c, bool multiline)
{
	if (multiline && (c == '\t' || c == '\n' || c == '\r'))
		return false;
	return c < 0x20 || c == 0x7f;
}

bool
sn_in_text_ok(const char *s, bool multiline)
{
	const unsigned char *p = (const unsigned char *) s;

	if (s == NULL)
		return false;
	while (*p != '\0') {
		size_t n = sn_utf8_seq(p);

		if (n == 0 || (n == 1 && is_control(*p, multiline)))
			return false;
		/* C1 controls, U+0080..U+009F, are C2 80..C2 9F. */
		if (n == 2 && p[0] == 0xc2 && p[1] <= 0x9f)
			return false;
		p += n;
	}
	return true;
}

bool
sn_in_name_ok(const char *s, size_t n, size_t max)
{
	if (s == NULL || n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		        || (c >= '0' && c <= '9') || c == '.' || c == '_'
		        || c == '-'))
			return false;
	}
	return true;
}

size_t
sn_utf8_chars(const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *) s; *p != '\0';
	     p++) {
		if ((*p & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/*
 * prefix + key as the problem's field. A key that arrived from the
 * client (sn_in_only's stranger) is copied with its control characters
 * as '?', so that the field can be echoed and logged as it stands.
 */
static void
make_field(
    char out[FIELD_MAX], const char *prefix, const char *key, size_t key_len)
{
	size_t n = 0;

	if (prefix == NULL)
		prefix = "";
	while (*prefix != '\0' && n < FIELD_MAX - 1)
		out[n++] = *prefix++;
	for (size_t i = 0; i < key_len && n < FIELD_MAX - 1; i++) {
		unsigned char c = (unsigned char) key[i];

		if (c == 0xc2 && i + 1 < key_len
		    && (unsigned char) key[i + 1] <= 0x9f
		    && (unsigned char) key[i + 1] >= 0x80) {
			out[n++] = '?';
			i++;
			continue;
		}
		out[n++] = is_control(c, false) ? '?' : (char) c;
	}
	out[n] = '\0';
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static bool
fail(sn_problem *p, const char *code, const char *prefix, const char *key,
    const char *message_fmt, ...)
{
	char    field[FIELD_MAX];
	char    message[sizeof(((sn_problem *) 0)->message)];
	va_list ap;

	make_field(field, prefix, key, strlen(key));
	va_start(ap, message_fmt);
	(void) vsnprintf(message, sizeof(message), message_fmt, ap);
	va_end(ap);
	return sn_problem_set(p, 422, code, field, "%s", message);
}

/* The field of the object itself: prefix without its '.'; none at top. */
static bool
fail_not_object(sn_problem *p, const char *prefix)
{
	char   field[FIELD_MAX];
	size_t n;

	make_field(field, prefix, "", 0);
	n = strlen(field);
	if (n > 0 && field[n - 1] == '.')
		field[n - 1] = '\0';
	return sn_problem_set(p, 422, "invalid_type",
	    field[0] != '\0' ? field : NULL, "must be an object");
}

enum found { FOUND, ABSENT, REFUSED };

/*
 * The member's value in *v (FOUND), or ABSENT for a missing optional
 * member or a null one with SN_IN_NULLABLE. A null without it is FOUND:
 * each caller's type check refuses it as invalid_type.
 */
static enum found
member(const json_t *o, const char *key, const char *prefix, unsigned flags,
    const json_t **v, sn_problem *p)
{
	if (!json_is_object(o)) {
		fail_not_object(p, prefix);
		return REFUSED;
	}
	*v = json_object_get(o, key);
	if (*v == NULL || (json_is_null(*v) && (flags & SN_IN_NULLABLE))) {
		if (flags & SN_IN_REQUIRED) {
			fail(p, "missing_field", prefix, key, "is required");
			return REFUSED;
		}
		return ABSENT;
	}
	return FOUND;
}

/*
 * A string member's text, or NULL with the problem set. A "\u0000"
 * inside the JSON string would end the C string early and let the rest
 * pass unseen, so the lengths must agree (refused as bad_code: a control
 * character in free text, a malformed value otherwise).
 */
static const char *
string_member(const json_t *v, const char *key, const char *prefix,
    unsigned flags, const char *bad_code, const char *bad_message,
    sn_problem *p)
{
	const char *s;

	if (!json_is_string(v)) {
		fail(p, "invalid_type", prefix, key, "must be a string");
		return NULL;
	}
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v)) {
		fail(p, bad_code, prefix, key, "%s", bad_message);
		return NULL;
	}
	if ((flags & SN_IN_NONEMPTY) && s[0] == '\0') {
		fail(p, "missing_field", prefix, key, "must not be empty");
		return NULL;
	}
	return s;
}

/*
 * A member that must be a string of some form (a date, a month, a uuid):
 * ABSENT, REFUSED with p set, or FOUND with its text in *s for the caller
 * to parse, refusing with code and bad when it does not.
 */
static enum found
formatted(const json_t *o, const char *key, const char *prefix, unsigned flags,
    const char *code, const char *bad, const char **s, sn_problem *p)
{
	const json_t *v;
	enum found    f = member(o, key, prefix, flags, &v, p);

	if (f != FOUND)
		return f;
	*s = string_member(v, key, prefix, flags, code, bad, p);
	return *s != NULL ? FOUND : REFUSED;
}

bool
sn_in_only(const json_t *o, const char *const *keys, const char *prefix,
    sn_problem *p)
{
	/* The iterator API takes a non-const object but only reads it. */
	json_t *obj = (json_t *) o;

	if (!json_is_object(o))
		return fail_not_object(p, prefix);
	for (void *it = json_object_iter(obj); it != NULL;
	     it       = json_object_iter_next(obj, it)) {
		const char *k     = json_object_iter_key(it);
		size_t      k_len = json_object_iter_key_len(it);
		bool        known = false;
		char        field[FIELD_MAX];

		for (size_t i = 0; keys != NULL && keys[i] != NULL && !known;
		     i++)
			known = strlen(keys[i]) == k_len
			    && memcmp(keys[i], k, k_len) == 0;
		if (known)
			continue;
		make_field(field, prefix, k, k_len);
		return sn_problem_set(
		    p, 422, "unknown_field", field, "is not a known member");
	}
	return true;
}

bool
sn_in_str(const json_t *o, const char *key, const char *prefix, unsigned flags,
    size_t max, const char **out, sn_problem *p)
{
	const json_t *v;
	const char   *s;

	switch (member(o, key, prefix, flags, &v, p)) {
	case ABSENT:
		return true;
	case REFUSED:
		return false;
	case FOUND:
		break;
	}
	s = string_member(v, key, prefix, flags, "invalid_characters",
	    "must not hold control characters", p);
	if (s == NULL)
		return false;
	if (!sn_in_text_ok(s, (flags & SN_IN_MULTILINE) != 0))
		return fail(p, "invalid_characters", prefix, key,
		    "must not hold control characters");
	if (max > 0 && sn_utf8_chars(s) > max)
		return fail(p, "too_long", prefix, key,
		    "must be at most %zu characters", max);
	*out = s;
	return true;
}

bool
sn_in_i64(const json_t *o, const char *key, const char *prefix, unsigned flags,
    int64_t min, int64_t max, int64_t *out, sn_problem *p)
{
	const json_t *v;
	int64_t       n;

	switch (member(o, key, prefix, flags, &v, p)) {
	case ABSENT:
		return true;
	case REFUSED:
		return false;
	case FOUND:
		break;
	}
	/* A real, even 3.0, is refused: jansson keeps integers exact only
	 * when they are written as integers. */
	if (!json_is_integer(v))
		return fail(
		    p, "invalid_type", prefix, key, "must be a whole number");
	n = (int64_t) json_integer_value(v);
	if (n < min || n > max)
		return fail(p, "out_of_range", prefix, key,
		    "must be from %lld to %lld", (long long) min,
		    (long long) max);
	*out = n;
	return true;
}

bool
sn_in_bool(const json_t *o, const char *key, const char *prefix,
    unsigned flags, bool *out, sn_problem *p)
{
	const json_t *v;

	switch (member(o, key, prefix, flags, &v, p)) {
	case ABSENT:
		return true;
	case REFUSED:
		return false;
	case FOUND:
		break;
	}
	if (!json_is_boolean(v))
		return fail(
		    p, "invalid_type", prefix, key, "must be true or false");
	*out = json_is_true(v);
	return true;
}

bool
sn_in_date(const json_t *o, const char *key, const char *prefix,
    unsigned flags, sn_date *out, sn_problem *p)
{
	static const char bad[] = "must be a date, YYYY-MM-DD";
	const char       *s;

	switch (formatted(o, key, prefix, flags, "invalid_date", bad, &s, p)) {
	case ABSENT:
		return true;
	case REFUSED:
		return false;
	case FOUND:
		break;
	}
	if (sn_date_parse(s, out) != SN_OK)
		return fail(p, "invalid_date", prefix, key, "%s", bad);
	return true;
}

bool
sn_in_month(const json_t *o, const char *key, const char *prefix,
    unsigned flags, sn_month *out, sn_problem *p)
{
	static const char bad[] = "must be a month, YYYY-MM";
	const char       *s;

	switch (
	    formatted(o, key, prefix, flags, "invalid_month", bad, &s, p)) {
	case ABSENT:
		return true;
	case REFUSED:
		return false;
	case FOUND:
		break;
	}
	if (sn_month_parse(s, out) != SN_OK)
		return fail(p, "invalid_month", prefix, key, "%s", bad);
	return true;
}

bool
sn_in_uuid(const json_t *o, const char *key, const char *prefix,
    unsigned flags, const char **out, sn_problem *p)
{
	static const char bad[] = "must be a UUID";
	const char       *s;

	switch (formatted(o, key, prefix, flags, "invalid_uuid", bad, &s, p)) {
	case ABSENT:
		return true;
	case REFUSED:
		return false;
	case FOUND:
		break;
	}
	if (!sn_uuid_valid(s))
		return fail(p, "invalid_uuid", prefix, key, "%s", bad);
	*out = s;
	return true;
}

bool
sn_in_object(const json_t *o, const char *key, const char *prefix,
    unsigned flags, const json_t **out, sn_problem *p)
{
	const json_t *v;

	switch (member(o, key, prefix, flags, &v, p)) {
	case ABSENT:
		return true;
	case REFUSED:
		return false;
	case FOUND:
		break;
	}
	if (!json_is_object(v))
		return fail(
		    p, "invalid_type", prefix, key, "must be an object");
	*out = v;
	return true;
}

bool
sn_in_array(const json_t *o, const char *key, const char *prefix,
    unsigned flags, const json_t **out, sn_problem *p)
{
	const json_t *v;

	switch (member(o, key, prefix, flags, &v, p)) {
	case ABSENT:
		return true;
	case REFUSED:
		return false;
	case FOUND:
		break;
	}
	if (!json_is_array(v))
		return fail(
		    p, "invalid_type", prefix, key, "must be an array");
	*out = v;
	return true;
}

bool
sn_in_check_text(const char *s, const char *field, unsigned status, size_t max,
    sn_problem *p)
{
	/* Absent is not this function's refusal to make. */
	if (s == NULL)
		return true;
	if (!sn_in_text_ok(s, false))
		return sn_problem_set(p, status, "invalid_characters", field,
		    "must not hold control characters");
	if (max > 0 && sn_utf8_chars(s) > max)
		return sn_problem_set(p, status, "too_long", field,
		    "must be at most %zu characters", max);
	return true;
}
