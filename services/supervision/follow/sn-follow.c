/*
 * sn-follow - the reference follower of supervision's hub feed
 * (docs/feed.md): reads GET /feed from a cursor and writes each
 * CloudEvent as one line of JSON, every event exactly once, in order,
 * across crashes. Small on purpose: libcurl's easy interface (blocking)
 * and jansson, nothing of safetynet's own, so that a hub can read it as
 * the feed's contract in code and port it to its own language.
 *
 *   sn-follow --url URL --cursor-file FILE [--output FILE]
 *             [--token-file FILE] [--ca-file FILE] [--limit N]
 *             [--wait SECONDS] [--once]
 *
 *   --url          supervision's base URL, e.g. https://127.0.0.1:18090
 *   --cursor-file  where the cursor is kept: "<position> <feed epoch>\n",
 *                  replaced atomically (a temporary file, fsync, rename,
 *                  fsync of the folder); missing: start from 0, the
 *                  oldest event kept
 *   --output       the JSON lines file, appended to (default: stdout)
 *   --token-file   the hub's bearer token, read again before every
 *                  request (something else refreshes it)
 *   --ca-file      the CA of supervision's certificate (HTTPS)
 *   --limit        events per request, 1-1000 (default 500)
 *   --wait         seconds a request waits for new events, 0-30
 *                  (default 25: long-polling)
 *   --once         exit 0 at the first empty page (caught up)
 *
 * Exactly once. Per page: the lines are written and fsync'd, then the
 * cursor file is replaced. A crash between the two leaves lines the
 * cursor does not cover; so at start, before the first request, the
 * output's end is read: a last line without its newline (cut by the
 * crash) is truncated away, and the last whole line's snpos is taken as
 * the cursor when it is beyond the cursor file's (and written to the
 * file at the first empty page, if no page moved it before). Events at
 * or below the cursor are never written again. With stdout (no --output) that
 * check is impossible: a crash may repeat the last page (at least once;
 * dedupe by id).
 *
 * Exit status: 0 on SIGINT/SIGTERM (after the page in hand is written)
 * or with --once when caught up; 2 for bad usage; 3 when the cursor is
 * past the feed's retention (410: events were lost to this follower;
 * an operator decides, e.g. restart from the oldest cursor the error
 * names); 4 when the feed is not the one the cursor is of (another
 * feed_epoch, or 409 cursor_ahead); 1 for a local error (files). Any
 * other failure (network, 5xx, 401) is retried with backoff, 1 s
 * doubling to 30 s, forever.
 */
#define _POSIX_C_SOURCE 200809L

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void) sig;
	stop = 1;
}

struct opts {
	const char *url, *cursor_file, *output, *token_file, *ca_file;
	long        limit, wait;
	bool        once;
};

static _Noreturn void
usage(void)
{
	fputs("usage: sn-follow --url URL --cursor-file FILE [--output FILE]\n"
	      "       [--token-file FILE] [--ca-file FILE] [--limit N]\n"
	      "       [--wait SECONDS] [--once]\n",
	    stderr);
	exit(2);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("sn-follow: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- the cursor file -------------------------------------------------------
 */

/* Reads "<pos> <epoch>"; false when the file is missing (0, no epoch). */
static bool
cursor_read(const char *path, int64_t *pos, char epoch[64])
{
	FILE     *f     = fopen(path, "r");
	long long p     = 0;
	char      e[64] = "";

	*pos     = 0;
	epoch[0] = '\0';
	if (f == NULL) {
		if (errno != ENOENT) {
			say("cannot read the cursor file %s", path);
			exit(1);
		}
		return false;
	}
	if (fscanf(f, "%lld %63s", &p, e) < 1 || p < 0) {
		say("the cursor file %s is malformed", path);
		exit(1);
	}
	fclose(f);
	*pos = p;
	snprintf(epoch, 64, "%s", e);
	return true;
}

static void
fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int   fd;

	if (copy == NULL)
		return;
	fd = open(dirname(copy), O_RDONLY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

/* Replaces the cursor file atomically: a reader (or a crash) sees the
 * old cursor or the new one, never a mix. */
static void
cursor_write(const char *path, int64_t pos, const char *epoch)
{
	char tmp[4096];
	int  fd, n;
	char line[128];

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n  = snprintf(line, sizeof(line), "%lld %s\n", (long long) pos, epoch);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, line, (size_t) n) != n || fsync(fd) != 0
	    || close(fd) != 0 || rename(tmp, path) != 0) {
		say("cannot write the cursor file %s", path);
		exit(1);
	}
	fsync_dir_of(path);
}

/* ---- the output
 * ------------------------------------------------------------- */

/* Makes the output end with a whole line and returns the last line's
 * snpos (0 when empty). */
static int64_t
output_recover(int fd, const char *path)
{
	struct stat st;
	off_t       end, start;
	char       *buf;
	size_t      len;
	int64_t     pos = 0;

	if (fstat(fd, &st) != 0) {
		say("cannot stat %s", path);
		exit(1);
	}
	if (st.st_size == 0)
		return 0;
	/* The last 1 MiB holds the last line: an item is far smaller. */
	end   = st.st_size;
	start = end > (1 << 20) ? end - (1 << 20) : 0;
	len   = (size_t) (end - start);
	if ((buf = malloc(len + 1)) == NULL
	    || pread(fd, buf, len, start) != (ssize_t) len) {
		say("cannot read %s", path);
		exit(1);
	}
	buf[len] = '\0';
	if (buf[len - 1] != '\n') {
		/* A line cut by a crash: drop it. */
		char *nl = NULL;
		off_t keep;

		for (size_t k = len; k-- > 0;)
			if (buf[k] == '\n') {
				nl = buf + k;
				break;
			}
		keep = nl != NULL ? start + (off_t) (nl - buf) + 1 : start;

		if (nl == NULL && start > 0) {
			say("%s: no line end in the last 1 MiB", path);
			exit(1);
		}
		if (ftruncate(fd, keep) != 0 || fsync(fd) != 0) {
			say("cannot truncate %s", path);
			exit(1);
		}
		len = (size_t) (keep - start);
		say("dropped a partial last line of %s", path);
	}
	if (len > 0) {
		char   *last;
		json_t *ev, *p;

		buf[len - 1] = '\0';
		last         = strrchr(buf, '\n');
		last         = last != NULL ? last + 1 : buf;
		ev           = json_loads(last, 0, NULL);
		p            = json_object_get(ev, "snpos");
		if (!json_is_string(p)) {
			say("the last line of %s is not an item of the feed",
			    path);
			exit(1);
		}
		pos = strtoll(json_string_value(p), NULL, 10);
		json_decref(ev);
	}
	free(buf);
	return pos;
}

/* Writes all of buf, then makes it durable. */
static bool
output_put(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t) n;
	}
	/* A pipe or terminal cannot be synced: EINVAL is expected there. */
	return fsync(fd) == 0 || errno == EINVAL || errno == EROFS;
}

/* ---- HTTP
 * ------------------------------------------------------------------- */

struct answer {
	char  *body;
	size_t len;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a     = arg;
	size_t         bytes = size * n;
	char          *grown = realloc(a->body, a->len + bytes + 1);

	if (grown == NULL)
		return 0;
	a->body = grown;
	memcpy(a->body + a->len, p, bytes);
	a->len += bytes;
	a->body[a->len] = '\0';
	return bytes;
}

/* The token file's first line, or NULL without one. */
static char *
token_read(const char *path)
{
	FILE  *f;
	char  *line = NULL;
	size_t cap  = 0;

	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return NULL;
	if (getline(&line, &cap, f) < 0) {
		free(line);
		line = NULL;
	} else
		line[strcspn(line, "\r\n")] = '\0';
	fclose(f);
	return line;
}

/* GET one page; the status, or 0 when nothing answered. */
static long
get_page(CURL *c, const struct opts *o, int64_t after, struct answer *a)
{
	char               url[4096], auth[4200];
	struct curl_slist *h      = NULL;
	char              *token  = token_read(o->token_file);
	long               status = 0;

	snprintf(url, sizeof(url), "%s/feed?after=%lld&limit=%ld&wait=%ld",
	    o->url, (long long) after, o->limit, o->wait);
	if (token != NULL) {
		snprintf(
		    auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
		free(token);
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o->wait + 30L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (o->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	return status;
}

static void
nap(int64_t ms)
{
	struct timespec ts
	    = { (time_t) (ms / 1000), (long) (ms % 1000) * 1000000L };

	while (!stop && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- main
 * ------------------------------------------------------------------- */

static void
parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts) { .limit = 500, .wait = 25 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--once") == 0) {
			o->once = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(a, "--url") == 0)
			o->url = argv[++i];
		else if (strcmp(a, "--cursor-file") == 0)
			o->cursor_file = argv[++i];
		else if (strcmp(a, "--output") == 0)
			o->output = argv[++i];
		else if (strcmp(a, "--token-file") == 0)
			o->token_file = argv[++i];
		else if (strcmp(a, "--ca-file") == 0)
			o->ca_file = argv[++i];
		else if (strcmp(a, "--limit") == 0)
			o->limit = strtol(argv[++i], NULL, 10);
		else if (strcmp(a, "--wait") == 0)
			o->wait = strtol(argv[++i], NULL, 10);
		else
			usage();
	}
	if (o->url == NULL || o->cursor_file == NULL || o->limit < 1
	    || o->limit > 1000 || o->wait < 0 || o->wait > 30)
		usage();
}

/* Writes the page's items after cursor as lines, in one write, makes
 * them durable, then moves the cursor file; returns the new cursor. */
static int64_t
take_page(json_t *events, int fd, const struct opts *o, int64_t cursor,
    const char *epoch)
{
	char   *out  = NULL;
	size_t  len  = 0;
	FILE   *mem  = open_memstream(&out, &len);
	int64_t last = cursor;
	size_t  i;
	json_t *ev;

	if (mem == NULL) {
		say("%s", "out of memory");
		exit(1);
	}
	json_array_foreach(events, i, ev)
	{
		const char *p
		    = json_string_value(json_object_get(ev, "snpos"));
		int64_t pos = p != NULL ? strtoll(p, NULL, 10) : 0;

		/* The feed answers only positions above the cursor, in
		 * order: anything else is not this contract. */
		if (pos <= last) {
			say("item %s out of order after %lld",
			    p != NULL ? p : "(none)", (long long) last);
			exit(1);
		}
		if (json_dumpf(ev, mem, JSON_COMPACT) != 0
		    || fputc('\n', mem) == EOF) {
			say("%s", "out of memory");
			exit(1);
		}
		last = pos;
	}
	fclose(mem);
	if (!output_put(fd, out, len)) {
		say("cannot write %s", o->output ? o->output : "stdout");
		exit(1);
	}
	free(out);
	cursor_write(o->cursor_file, last, epoch);
	return last;
}

/* Takes a page (its lines, then the cursor file) and returns the new
 * cursor; *saved is the cursor file's position. An empty page with the
 * output beyond the file (a crash before its rename, recovered at the
 * start) moves the file to the output now, the feed's epoch confirmed,
 * rather than leaving it behind until something new comes. */
static int64_t
page_taken(json_t *events, int fd, const struct opts *o, int64_t cursor,
    int64_t *saved, const char *epoch)
{
	if (json_array_size(events) > 0)
		cursor = take_page(events, fd, o, cursor, epoch);
	else if (cursor > *saved)
		cursor_write(o->cursor_file, cursor, epoch);
	*saved = cursor;
	return cursor;
}

/* The output's descriptor; with a file, *cursor becomes the last line's
 * position when that is beyond it (written, not yet in the cursor). */
static int
output_open(const struct opts *o, int64_t *cursor)
{
	int     fd;
	int64_t written;

	if (o->output == NULL)
		return STDOUT_FILENO;
	fd = open(o->output, O_RDWR | O_CREAT | O_APPEND, 0644);
	if (fd < 0) {
		say("cannot open %s", o->output);
		exit(1);
	}
	written = output_recover(fd, o->output);
	if (written > *cursor)
		*cursor = written;
	return fd;
}

int
main(int argc, char **argv)
{
	struct opts      o;
	struct sigaction sa;
	int64_t          cursor, saved;
	char             epoch[64];
	int              fd;
	int64_t          backoff = 1000;
	int              rc      = 0;
	CURL            *c;

	parse(argc, argv, &o);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	cursor_read(o.cursor_file, &cursor, epoch);
	saved = cursor;
	fd    = output_open(&o, &cursor);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0
	    || (c = curl_easy_init()) == NULL) {
		say("%s", "libcurl does not start");
		return 1;
	}
	while (!stop) {
		struct answer a      = { NULL, 0 };
		long          status = get_page(c, &o, cursor, &a);
		json_t       *page   = status == 200
		            ? json_loads(a.body != NULL ? a.body : "", 0, NULL)
		            : NULL;
		json_t       *events = json_object_get(page, "events");
		const char   *ep
		    = json_string_value(json_object_get(page, "feed_epoch"));

		if (status == 410 || status == 409) {
			say("the feed answered %ld: %s", status,
			    a.body != NULL ? a.body : "");
			rc = status == 410 ? 3 : 4;
		}
		free(a.body);
		if (rc != 0) {
			json_decref(page);
			break;
		}
		if (status != 200 || !json_is_array(events) || ep == NULL) {
			say("GET /feed answered %ld; again in %lld ms", status,
			    (long long) backoff);
			json_decref(page);
			nap(backoff);
			backoff = backoff * 2 > 30000 ? 30000 : backoff * 2;
			continue;
		}
		backoff = 1000;
		if (epoch[0] != '\0' && strcmp(epoch, ep) != 0) {
			say("the feed's epoch is %s, the cursor's %s: another "
			    "feed",
			    ep, epoch);
			json_decref(page);
			rc = 4;
			break;
		}
		snprintf(epoch, sizeof(epoch), "%s", ep);
		cursor = page_taken(events, fd, &o, cursor, &saved, epoch);
		if (json_array_size(events) == 0 && o.once)
			stop = 1;
		json_decref(page);
	}
	curl_easy_cleanup(c);
	curl_global_cleanup();
	if (fd != STDOUT_FILENO)
		close(fd);
	return rc;
}
