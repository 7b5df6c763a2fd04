#include "sn/problem.h"

#include "sn/input.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/*
 * jansson refuses a string that is not UTF-8, and a problem must always
 * become a body: a character cut in half by truncation is dropped, and
 * any other bad byte (a caller that formatted raw input) becomes '?'.
 */
static void
make_utf8(char *s)
{
	unsigned char *p = (unsigned char *) s;

	while (*p != '\0') {
		size_t n = sn_utf8_seq(p);

		if (n > 0) {
			p += n;
			continue;
		}
		/* A sequence that only the end of the string broke off. */
		if (*p >= 0xc2 && *p <= 0xf4) {
			size_t k = 1;

			while (k < 4 && (p[k] & 0xc0) == 0x80)
				k++;
			if (p[k] == '\0') {
				*p = '\0';
				return;
			}
		}
		*p++ = '?';
	}
}

bool
sn_problem_set(sn_problem *p, unsigned status, const char *code,
    const char *field, const char *message_fmt, ...)
{
	va_list ap;

	assert(status != 0);
	if (p == NULL || p->status != 0)
		return false;
	p->status     = status;
	p->code       = code;
	p->message[0] = '\0';
	if (message_fmt != NULL) {
		va_start(ap, message_fmt);
		(void) vsnprintf(
		    p->message, sizeof(p->message), message_fmt, ap);
		va_end(ap);
		make_utf8(p->message);
	}
	p->field[0] = '\0';
	if (field != NULL) {
		(void) snprintf(p->field, sizeof(p->field), "%s", field);
		make_utf8(p->field);
	}
	return false;
}

void
sn_problem_clear(sn_problem *p)
{
	if (p == NULL)
		return;
	memset(p, 0, sizeof(*p));
	p->code = NULL;
}

bool
sn_problem_is_set(const sn_problem *p)
{
	return p != NULL && p->status != 0;
}

/* "" and NULL are both written as null: absent, not empty. */
static json_t *
string_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

json_t *
sn_problem_json(const sn_problem *p)
{
	json_t *body  = json_object();
	json_t *error = json_object();

	if (body == NULL || error == NULL)
		goto fail;
	if (json_object_set_new(
	        error, "code", string_or_null(p != NULL ? p->code : NULL))
	        != 0
	    || json_object_set_new(error, "message",
	           string_or_null(p != NULL ? p->message : NULL))
	        != 0
	    || json_object_set_new(
	           error, "field", string_or_null(p != NULL ? p->field : NULL))
	        != 0)
		goto fail;
	if (json_object_set_new(body, "error", error) != 0) {
		error = NULL; /* set_new released it */
		goto fail;
	}
	return body;

fail:
	json_decref(error);
	json_decref(body);
	return NULL;
}
