#include "sn/config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PARTITION_MAX 1024

/* Longest part of a bad value echoed back; the rest is elided. */
#define GOT_MAX 200

static void
append(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len + n >= cap)
		n = *len < cap - 1 ? cap - 1 - *len : 0;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

_Noreturn void
sn_config_fail(const char *name, const char *expected, const char *got)
{
	static const char hex[] = "0123456789abcdef";
	char              line[1024];
	size_t            len = 0;
	size_t            i;

	/* The promise is one line: control characters in the value are
	 * escaped rather than allowed to break it, and an oversized value is
	 * cut short. One write keeps the line whole. */
	line[0] = '\0';
	append(line, sizeof(line), &len, "safetynet: ", 11);
	name = name != NULL ? name : "(null)";
	append(line, sizeof(line), &len, name, strlen(name));
	append(line, sizeof(line), &len, ": expected ", 11);
	expected = expected != NULL ? expected : "a value";
	append(line, sizeof(line), &len, expected, strlen(expected));
	append(line, sizeof(line), &len, ", got \"", 7);
	got = got != NULL ? got : "";
	for (i = 0; got[i] != '\0' && i < GOT_MAX; i++) {
		unsigned char c = (unsigned char) got[i];
		char          esc[4];

		if (c < 0x20 || c == 0x7f) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 0xf];
			append(line, sizeof(line), &len, esc, 4);
		} else if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char) c;
			append(line, sizeof(line), &len, esc, 2);
		} else {
			append(line, sizeof(line), &len, got + i, 1);
		}
	}
	if (got[i] != '\0')
		append(line, sizeof(line), &len, "...", 3);
	/* Leave room for the closing quote and newline even when cut. */
	if (len > sizeof(line) - 3)
		len = sizeof(line) - 3;
	line[len++] = '"';
	line[len++] = '\n';
	(void) !write(STDERR_FILENO, line, len);
	exit(2);
}

/* Largest secret file read for a <NAME>_FILE setting. */
#define FILE_MAX (64 << 10)

/* The values read from <NAME>_FILE settings, kept for the process's
 * life: the getters hand out pointers into them, as getenv does. */
static struct file_value {
	struct file_value *next;
	char               name[64];
	char              *value;
} * file_values;

/* The contents of path, one trailing newline (or CRLF) removed; exits
 * through sn_config_fail when it cannot be read or is too large. */
static char *
read_setting_file(const char *name, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		sn_config_fail(name, "a readable file", path);
	char  *buf = malloc(FILE_MAX + 1);
	size_t n   = buf != NULL ? fread(buf, 1, FILE_MAX + 1, f) : 0;
	int    bad = buf == NULL || ferror(f) || n > FILE_MAX;
	fclose(f);
	if (bad) {
		free(buf);
		sn_config_fail(
		    name, "a readable file of at most 64 KiB", path);
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		free(buf);
		sn_config_fail(name, "a text file without NUL bytes", path);
	}
	return buf;
}

/*
 * NULL when the variable is unset or empty: both mean "use the default".
 * Every setting may instead be given as <NAME>_FILE, the path of a file
 * holding the value (a secret mounted by the orchestrator, say); setting
 * both is an error, as the two could disagree.
 */
static const char *
lookup(const char *name)
{
	const char *v = getenv(name);
	char        fname[80];

	if ((size_t) snprintf(fname, sizeof(fname), "%s_FILE", name)
	    >= sizeof(fname))
		return v != NULL && v[0] != '\0' ? v : NULL;
	const char *path = getenv(fname);
	if (path == NULL || path[0] == '\0')
		return v != NULL && v[0] != '\0' ? v : NULL;
	if (v != NULL && v[0] != '\0')
		sn_config_fail(name, "either the value or a _FILE, not both",
		    "(both set)");
	for (struct file_value *f = file_values; f != NULL; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f->value[0] != '\0' ? f->value : NULL;
	struct file_value *f = calloc(1, sizeof(*f));
	if (f == NULL)
		sn_config_fail(name, "memory to read the file", path);
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->value    = read_setting_file(fname, path);
	f->next     = file_values;
	file_values = f;
	return f->value[0] != '\0' ? f->value : NULL;
}

const char *
sn_config_str(const char *name, const char *def)
{
	const char *v = lookup(name);

	if (v != NULL)
		return v;
	if (def == NULL)
		sn_config_fail(name, "a non-empty value", "");
	return def;
}

static _Noreturn void
fail_int(const char *name, int64_t min, int64_t max, const char *got)
{
	char expected[96];

	(void) snprintf(expected, sizeof(expected),
	    "an integer from %" PRId64 " to %" PRId64, min, max);
	sn_config_fail(name, expected, got);
}

int64_t
sn_config_int(const char *name, int64_t def, int64_t min, int64_t max)
{
	const char *v = lookup(name);
	int64_t     out;

	if (v == NULL)
		return def;
	if (sn_config_parse_int(v, min, max, &out) != SN_OK)
		fail_int(name, min, max, v);
	return out;
}

int64_t
sn_config_int_req(const char *name, int64_t min, int64_t max)
{
	const char *v = lookup(name);
	int64_t     out;

	if (v == NULL || sn_config_parse_int(v, min, max, &out) != SN_OK)
		fail_int(name, min, max, v != NULL ? v : "");
	return out;
}

bool
sn_config_bool(const char *name, bool def)
{
	const char *v = lookup(name);
	bool        out;

	if (v == NULL)
		return def;
	if (sn_config_parse_bool(v, &out) != SN_OK)
		sn_config_fail(
		    name, "one of 1, true, yes, on, 0, false, no, off", v);
	return out;
}

const char *
sn_config_url(const char *name, const char *def)
{
	static const char expected[]
	    = "an NNG URL (ipc://path, inproc://name, tcp://host:port or "
	      "tls+tcp://host:port)";
	const char *v = lookup(name);

	if (v == NULL) {
		if (def == NULL)
			sn_config_fail(name, expected, "");
		return def;
	}
	if (sn_config_parse_url(v) != SN_OK)
		sn_config_fail(name, expected, v);
	return v;
}

void
sn_config_partition(const char *name, uint32_t *index, uint32_t *count)
{
	const char *v = lookup(name);

	if (v == NULL) {
		*index = 0;
		*count = 1;
		return;
	}
	if (sn_config_parse_partition(v, index, count) != SN_OK)
		sn_config_fail(name, "i/N with 0 <= i < N <= 1024", v);
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Decimal digits from *pp, stopping at the first non-digit. strtoll would
 * also take leading spaces, a '+' and "0x" prefixes, none of which belong
 * in a setting. *overflow is set rather than failing at once, so that
 * "99999999999999999999x" is still reported as malformed, not range.
 */
static bool
scan_digits(const char **pp, bool neg, uint64_t *mag, bool *overflow)
{
	const char *p  = *pp;
	uint64_t limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;

	*mag      = 0;
	*overflow = false;
	if (!is_digit(*p))
		return false;
	for (; is_digit(*p); p++) {
		unsigned d = (unsigned) (*p - '0');

		if (*overflow || *mag > (limit - d) / 10)
			*overflow = true;
		else
			*mag = *mag * 10 + d;
	}
	*pp = p;
	return true;
}

sn_err
sn_config_parse_int(const char *text, int64_t min, int64_t max, int64_t *out)
{
	const char *p   = text;
	bool        neg = false;
	bool        overflow;
	uint64_t    mag;
	int64_t     v;

	if (p == NULL)
		return SN_EINVAL;
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!scan_digits(&p, neg, &mag, &overflow) || *p != '\0')
		return SN_EINVAL;
	if (overflow)
		return SN_ERANGE;
	v = neg && mag > 0 ? -(int64_t) (mag - 1) - 1 : (int64_t) mag;
	if (v < min || v > max)
		return SN_ERANGE;
	*out = v;
	return SN_OK;
}

sn_err
sn_config_parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[]  = { "0", "false", "no", "off" };

	if (text == NULL)
		return SN_EINVAL;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(text, yes[i]) == 0) {
			*out = true;
			return SN_OK;
		}
		if (strcmp(text, no[i]) == 0) {
			*out = false;
			return SN_OK;
		}
	}
	return SN_EINVAL;
}

static bool
has_prefix(const char *s, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n) != 0)
		return false;
	*rest = s + n;
	return true;
}

/* A host name or IPv4 address: no separators NNG would misread. */
static bool
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)
	    || c == '-' || c == '.' || c == '_' || c == '*';
}

static bool
ipv6_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
	    || c == ':' || c == '.';
}

static sn_err
parse_host_port(const char *p)
{
	const char *start = p;
	bool        overflow;
	uint64_t    port;

	if (*p == '[') {
		for (start = ++p; ipv6_char(*p); p++)
			;
		if (p == start || *p != ']')
			return SN_EINVAL;
		p++;
	} else {
		for (; host_char(*p); p++)
			;
		if (p == start)
			return SN_EINVAL;
	}
	if (*p++ != ':')
		return SN_EINVAL;
	if (!scan_digits(&p, false, &port, &overflow) || *p != '\0')
		return SN_EINVAL;
	if (overflow || port < 1 || port > 65535)
		return SN_ERANGE;
	return SN_OK;
}

sn_err
sn_config_parse_url(const char *text)
{
	const char *rest;

	if (text == NULL)
		return SN_EINVAL;
	/* Spaces and control characters are never part of a URL we want;
	 * they are usually a quoting mistake in the environment file. */
	for (const char *p = text; *p != '\0'; p++) {
		if ((unsigned char) *p <= ' ' || *p == 0x7f)
			return SN_EINVAL;
	}
	if (has_prefix(text, "ipc://", &rest)
	    || has_prefix(text, "inproc://", &rest))
		return rest[0] != '\0' ? SN_OK : SN_EINVAL;
	if (has_prefix(text, "tcp://", &rest)
	    || has_prefix(text, "tls+tcp://", &rest))
		return parse_host_port(rest);
	return SN_EINVAL;
}

sn_err
sn_config_parse_partition(const char *text, uint32_t *index, uint32_t *count)
{
	const char *p = text;
	bool        overflow_i, overflow_n;
	uint64_t    i, n;

	if (p == NULL)
		return SN_EINVAL;
	if (!scan_digits(&p, false, &i, &overflow_i) || *p++ != '/')
		return SN_EINVAL;
	if (!scan_digits(&p, false, &n, &overflow_n) || *p != '\0')
		return SN_EINVAL;
	if (overflow_i || overflow_n || n < 1 || n > PARTITION_MAX || i >= n)
		return SN_ERANGE;
	*index = (uint32_t) i;
	*count = (uint32_t) n;
	return SN_OK;
}
