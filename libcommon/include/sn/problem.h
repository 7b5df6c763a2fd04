/*
 * sn/problem.h - the one shape of a refusal: an HTTP status, a stable
 * code, a human message and the field it concerns. Rules functions fill
 * one, handlers answer it (sn_http_problem, sn/http.h), and the JSON is
 * always {"error": {"code", "message", "field"}} (design section 5).
 *
 * An sn_problem is a plain value the caller embeds; nothing in it is
 * owned elsewhere: code must be a static string, message and field are
 * copied in (truncated to fit). status 0 means "no problem". Pure; any
 * thread.
 */
#ifndef SN_PROBLEM_H
#define SN_PROBLEM_H

#include <jansson.h>
#include <stdbool.h>

typedef struct sn_problem {
	unsigned    status;       /* 0: no problem */
	const char *code;         /* static, e.g. "unknown_field" */
	char        message[192]; /* "" is written as null */
	char        field[96];    /* "" is written as null */
} sn_problem;

/*
 * Records a problem and returns false (so a validator can end with
 * "return sn_problem_set(...)"). message is a printf format (NULL: none);
 * field is a plain string (NULL: none). Only the first problem counts:
 * a second call on a p already set changes nothing.
 */
bool sn_problem_set(sn_problem *p, unsigned status, const char *code,
    const char *field, const char *message_fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Empties p (status 0). */
void sn_problem_clear(sn_problem *p);

/* True if p holds a problem. */
bool sn_problem_is_set(const sn_problem *p);

/* The error body {"error": {...}}: a new reference, NULL without memory. */
json_t *sn_problem_json(const sn_problem *p);

#endif /* SN_PROBLEM_H */
