/*
 * sn/input.h - reading a request's JSON body into C values, with the one
 * set of refusals every endpoint gives (design section 5):
 *
 *   422 unknown_field      a member the endpoint does not know
 *                          (sn_in_only); field names it, prefixed
 *   422 missing_field      a required member is absent
 *   422 invalid_type       a member of the wrong JSON type, null included
 *                          where the schema says string, number or object
 *                          (unless SN_IN_NULLABLE)
 *   422 invalid_characters a string holding control characters (C0, DEL,
 *                          C1): never stored, never logged raw. Free text
 *                          flagged SN_IN_MULTILINE may hold TAB, LF, CR.
 *   422 too_long           longer than max characters (UTF-8 code points)
 *   422 invalid_<what>     a value of the right type that is malformed
 *                          (invalid_date, invalid_uuid, ...)
 *
 * Every function takes the object, a member name and a field path prefix
 * ("members[2]." say; "" at top level) used in the problem's field, and
 * returns true if the member passed; on false, p holds the first problem
 * (sn/problem.h) and the out-parameter is untouched. An absent optional
 * member (or null with SN_IN_NULLABLE) passes and leaves the
 * out-parameter untouched: preset it to the default (or to a sentinel, or
 * test json_object_get first, where absence must be told apart). Strings
 * are borrowed from the JSON, which the http module keeps until the
 * answer.
 *
 * Pure; any thread.
 */
#ifndef SN_INPUT_H
#define SN_INPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/date.h"
#include "sn/problem.h"

#define SN_IN_REQUIRED 0x1u  /* absent is 422 missing_field */
#define SN_IN_NULLABLE 0x2u  /* null is accepted as absent */
#define SN_IN_MULTILINE 0x4u /* strings may hold TAB, LF and CR */
#define SN_IN_NONEMPTY 0x8u  /* "" is 422 missing_field */

/*
 * True if o is a JSON object whose members are all in keys (NULL-ended);
 * otherwise 422 unknown_field naming the first stranger (or invalid_type
 * when o is not an object; field: prefix without its trailing '.').
 */
bool sn_in_only(const json_t *o, const char *const *keys, const char *prefix,
    sn_problem *p);

/* A string of at most max code points (0: no limit). */
bool sn_in_str(const json_t *o, const char *key, const char *prefix,
    unsigned flags, size_t max, const char **out, sn_problem *p);

/* A whole number within [min, max]; 422 out_of_range outside. */
bool sn_in_i64(const json_t *o, const char *key, const char *prefix,
    unsigned flags, int64_t min, int64_t max, int64_t *out, sn_problem *p);

/* true or false. */
bool sn_in_bool(const json_t *o, const char *key, const char *prefix,
    unsigned flags, bool *out, sn_problem *p);

/* A "YYYY-MM-DD" string naming a real day; 422 invalid_date. */
bool sn_in_date(const json_t *o, const char *key, const char *prefix,
    unsigned flags, sn_date *out, sn_problem *p);

/* A "YYYY-MM" string; 422 invalid_month. */
bool sn_in_month(const json_t *o, const char *key, const char *prefix,
    unsigned flags, sn_month *out, sn_problem *p);

/* A canonical UUID string; 422 invalid_uuid. out is the string. */
bool sn_in_uuid(const json_t *o, const char *key, const char *prefix,
    unsigned flags, const char **out, sn_problem *p);

/* An object or array member; the value is borrowed. */
bool sn_in_object(const json_t *o, const char *key, const char *prefix,
    unsigned flags, const json_t **out, sn_problem *p);
bool sn_in_array(const json_t *o, const char *key, const char *prefix,
    unsigned flags, const json_t **out, sn_problem *p);

/* True if s holds no control characters (C0 but those allowed, DEL, C1)
 * and is valid UTF-8; multiline allows TAB, LF and CR. */
bool sn_in_text_ok(const char *s, bool multiline);

/* True if the n bytes at s are 1 to max characters of [A-Za-z0-9._-]:
 * a name safe in a file name, a header and a log line (request ids,
 * policy versions, ISO 20022 message ids). */
bool sn_in_name_ok(const char *s, size_t n, size_t max);

/*
 * The length (1-4) of the UTF-8 sequence that starts at p, a NUL-ended
 * string; 0 when it is not one (a stray continuation byte, an overlong
 * form, a surrogate, past U+10FFFF, cut short). The one UTF-8 decoder.
 */
size_t sn_utf8_seq(const unsigned char *p);

/* The characters (code points) of s, a NUL-ended string known to be
 * UTF-8: its bytes other than continuation bytes. */
size_t sn_utf8_chars(const char *s);

/*
 * A string from somewhere other than a JSON member (a path or query
 * parameter, a header): the same control-character and length checks,
 * as 422 (or status 400 for query strings, given by the caller).
 */
bool sn_in_check_text(const char *s, const char *field, unsigned status,
    size_t max, sn_problem *p);

#endif /* SN_INPUT_H */
