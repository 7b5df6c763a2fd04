#include "sn/log.h"

#include "sn/input.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SERVICE_MAX 64

/*
 * The module's only mutable globals. service and min_level are written
 * once by sn_log_init, before any thread starts, and only read after.
 * write_lock serialises the write loop: one write(2) is atomic on a pipe
 * only up to PIPE_BUF bytes and may be partial on a full one, so without
 * it two long lines from two threads could interleave.
 */
static char            service[SERVICE_MAX] = "unknown";
static sn_log_level    min_level            = SN_LOG_INFO;
static pthread_mutex_t write_lock           = PTHREAD_MUTEX_INITIALIZER;

/* The request this thread works for now (sn_log_set_request_id): each
 * thread's own, so the loop's does not leak into NNG's threads. */
static _Thread_local char request_id[SN_LOG_REQUEST_ID_MAX + 1];

void
sn_log_set_request_id(const char *id)
{
	size_t n = id != NULL ? strnlen(id, SN_LOG_REQUEST_ID_MAX) : 0;

	memmove(request_id, id != NULL ? id : "", n);
	request_id[n] = '\0';
}

const char *
sn_log_request_id(void)
{
	return request_id[0] != '\0' ? request_id : NULL;
}

const char *
sn_log_request_id_text(void)
{
	return request_id;
}

bool
sn_log_request_id_valid(const char *id, size_t n)
{
	return sn_in_name_ok(id, n, SN_LOG_REQUEST_ID_MAX);
}

void
sn_log_swap_request_id(const char *id, char prev[SN_LOG_REQUEST_ID_MAX + 1])
{
	memcpy(prev, request_id, sizeof(request_id));
	sn_log_set_request_id(id);
}

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
sn_log_init(const char *svc, sn_log_level min)
{
	if (svc != NULL) {
		strncpy(service, svc, sizeof(service) - 1);
		service[sizeof(service) - 1] = '\0';
	}
	min_level = min;
}

bool
sn_log_enabled(sn_log_level level)
{
	return level >= min_level;
}

int
sn_log_level_parse(const char *text)
{
	if (text == NULL)
		return -1;
	for (int i = 0; i < 4; i++) {
		if (strcmp(text, level_names[i]) == 0)
			return i;
	}
	return -1;
}

/*
 * jansson refuses strings that are not UTF-8, and a log line must not be
 * lost because a peer sent a bad byte: such a value is kept with every
 * non-ASCII byte replaced by '?'. NULL becomes JSON null.
 */
static json_t *
safe_string(const char *s)
{
	json_t *j;
	char   *copy;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	if ((copy = strdup(s)) == NULL)
		return NULL;
	for (char *p = copy; *p != '\0'; p++) {
		if ((unsigned char) *p >= 0x80)
			*p = '?';
	}
	j = json_string(copy);
	free(copy);
	return j;
}

static void
write_all(const char *buf, size_t len)
{
	pthread_mutex_lock(&write_lock);
	sn_log_write_prepared(buf, len); /* a failing stdout: nowhere left */
	pthread_mutex_unlock(&write_lock);
}

static void
format_time(char out[32])
{
	struct timespec ts;
	struct tm       tm;
	size_t          n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n        = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	out[n++] = '.';
	out[n++] = (char) ('0' + ts.tv_nsec / 100000000);
	out[n++] = (char) ('0' + ts.tv_nsec / 10000000 % 10);
	out[n++] = (char) ('0' + ts.tv_nsec / 1000000 % 10);
	out[n++] = 'Z';
	out[n]   = '\0';
}

/*
 * The caller's fields follow the four fixed ones. A caller field that
 * reuses a fixed name is kept under "_" + name, so that no field can
 * forge the level or time a log pipeline filters on.
 */
static bool
add_field(json_t *line, const char *key, json_t *value)
{
	static const char *const fixed[]
	    = { "time", "level", "service", "version", "msg" };
	char renamed[128];

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (strcmp(key, fixed[i]) == 0) {
			renamed[0] = '_';
			strcpy(renamed + 1, fixed[i]);
			key = renamed;
			break;
		}
	}
	return json_object_set_new(line, key, value) == 0;
}

/* One line, newline ended, in memory the caller frees; NULL when out of
 * memory. */
static char *
render(sn_log_level level, const char *msg, json_t *fields, size_t *lenp)
{
	char        when[32];
	json_t     *line;
	const char *key;
	json_t     *value;
	char       *text;
	size_t      len;

	/* An out-of-range level is a bug worth seeing, not hiding. */
	if ((int) level < (int) SN_LOG_DEBUG
	    || (int) level > (int) SN_LOG_ERROR)
		level = SN_LOG_ERROR;
	format_time(when);
	if ((line = json_object()) == NULL)
		goto fail;
	if (json_object_set_new(line, "time", json_string(when)) != 0)
		goto fail_line;
	if (json_object_set_new(line, "level", json_string(level_names[level]))
	    != 0)
		goto fail_line;
	if (json_object_set_new(line, "service", safe_string(service)) != 0)
		goto fail_line;
	/* Every line names the build, so that lines of two versions running
	 * side by side in a rolling update can be told apart. */
	if (json_object_set_new(line, "version", json_string(sn_version)) != 0)
		goto fail_line;
	if (json_object_set_new(line, "msg", safe_string(msg)) != 0)
		goto fail_line;
	if (request_id[0] != '\0'
	    && json_object_set_new(line, "request_id", safe_string(request_id))
	        != 0)
		goto fail_line;
	if (json_is_object(fields)) {
		json_object_foreach(fields, key, value)
		{
			if (!add_field(line, key, json_incref(value)))
				goto fail_line;
		}
	} else if (fields != NULL) {
		if (!add_field(line, "fields", json_incref(fields)))
			goto fail_line;
	}

	if ((text = json_dumps(line, JSON_COMPACT)) == NULL)
		goto fail_line;
	len = strlen(text);
	/* json_dumps gives no room for the newline; one write needs it. */
	{
		char *grown = realloc(text, len + 2);

		if (grown == NULL) {
			free(text);
			goto fail_line;
		}
		text = grown;
	}
	text[len++] = '\n';
	text[len]   = '\0';
	json_decref(line);
	*lenp = len;
	return text;

fail_line:
	json_decref(line);
fail:
	return NULL;
}

static void
emit(sn_log_level level, const char *msg, json_t *fields)
{
	static const char oom[]
	    = "{\"level\":\"error\",\"msg\":\"log: out of memory\"}\n";
	size_t len;
	char  *text = render(level, msg, fields, &len);
	if (text == NULL) {
		write_all(oom, sizeof(oom) - 1);
		return;
	}
	write_all(text, len);
	free(text);
}

size_t
sn_log_prepare(sn_log_level level, const char *msg, char *buf, size_t cap)
{
	size_t len;
	char  *text = render(level, msg, NULL, &len);
	if (text == NULL || len >= cap) {
		free(text);
		return 0;
	}
	memcpy(buf, text, len + 1);
	free(text);
	return len;
}

void
sn_log_write_prepared(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t) n;
	}
}

void
sn_log(sn_log_level level, const char *msg, ...)
{
	va_list     ap;
	json_t     *fields;
	const char *key;

	if (level < min_level)
		return;
	if ((fields = json_object()) == NULL) {
		emit(level, msg, NULL);
		return;
	}
	va_start(ap, msg);
	while ((key = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);

		/* A field that cannot be stored is dropped, not the line. */
		(void) json_object_set_new(fields, key, safe_string(value));
	}
	va_end(ap);
	emit(level, msg, fields);
	json_decref(fields);
}

void
sn_logj(sn_log_level level, const char *msg, json_t *fields)
{
	if (level >= min_level)
		emit(level, msg, fields);
	json_decref(fields);
}

static void
mask_into(char out[SN_LOG_MASK_MAX], size_t at, const char *src, size_t n)
{
	/* Kept characters are forced to printable ASCII: half of a UTF-8
	 * sequence would make the line unwritable as JSON. */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) src[i];

		out[at + i] = c > ' ' && c < 0x7f ? (char) c : '?';
	}
}

static size_t
stars(char out[SN_LOG_MASK_MAX], size_t n)
{
	if (n > SN_LOG_MASK_MAX - 1)
		n = SN_LOG_MASK_MAX - 1;
	memset(out, '*', n);
	return n;
}

char *
sn_log_mask_idnum(const char *idnum, char out[SN_LOG_MASK_MAX])
{
	size_t len;

	if (idnum == NULL) {
		strcpy(out, "(null)");
		return out;
	}
	len = strlen(idnum);
	if (len != 18) {
		out[stars(out, len)] = '\0';
		return out;
	}
	mask_into(out, 0, idnum, 6);
	memset(out + 6, '*', 8);
	mask_into(out, 14, idnum + 14, 4);
	out[18] = '\0';
	return out;
}

char *
sn_log_mask_account(const char *account, char out[SN_LOG_MASK_MAX])
{
	size_t len, n;

	if (account == NULL) {
		strcpy(out, "(null)");
		return out;
	}
	len = strlen(account);
	/* Four characters or fewer would be shown whole: mask them all. */
	if (len <= 4) {
		out[stars(out, len)] = '\0';
		return out;
	}
	n = len - 4;
	if (n > SN_LOG_MASK_MAX - 5)
		n = SN_LOG_MASK_MAX - 5;
	memset(out, '*', n);
	mask_into(out, n, account + len - 4, 4);
	out[n + 4] = '\0';
	return out;
}
