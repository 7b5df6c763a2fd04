/*
 * client.c - see client.h.
 */
#include "client.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "sn/auth.h"
#include "sn/clock.h"
#include "sn/date.h"
#include "sn/idnum.h"

static sn_auth    *auth;
static const char *progname = "client";

bool
client_open(const char *prog)
{
	progname        = prog;
	const char *key = getenv("SN_TOKEN_KEY");
	if (key == NULL || sn_auth_open(&auth, key) != SN_OK) {
		fprintf(
		    stderr, "%s: SN_TOKEN_KEY is missing or short\n", prog);
		return false;
	}
	return true;
}

void
client_close(void)
{
	sn_auth_close(auth);
	auth = NULL;
}

void
client_issue(struct staff *s, const char *user, const char *role,
    const char *juris, const char *idn)
{
	sn_principal p;
	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "%s", user);
	snprintf(p.role, sizeof(p.role), "%s", role);
	snprintf(p.juris, sizeof(p.juris), "%s", juris);
	if (idn != NULL)
		snprintf(p.id_number, sizeof(p.id_number), "%s", idn);
	char *tok;
	if (sn_auth_issue(auth, &p, 24 * 3600, &tok) != SN_OK) {
		fprintf(stderr, "%s: cannot issue a token for %s\n", progname,
		    user);
		exit(1);
	}
	snprintf(s->user, sizeof(s->user), "%s", user);
	snprintf(s->token, sizeof(s->token), "%s", tok);
	free(tok);
}

int
client_port(const char *var)
{
	const char *url = getenv(var);
	const char *colon;
	if (url == NULL || (colon = strrchr(url, ':')) == NULL) {
		fprintf(stderr, "%s: %s is not set (http://127.0.0.1:PORT)\n",
		    progname, var);
		exit(2);
	}
	return atoi(colon + 1);
}

/* A setting in milliseconds from the environment, or def. */
static int
env_ms(const char *var, int def)
{
	const char *v = getenv(var);
	int         n = v != NULL ? atoi(v) : 0;
	return n > 0 ? n : def;
}

/* Worth asking again with the same key: no answer (refused, reset, timed
 * out: the service may be restarting, and whether it did the work is
 * unknown), the service not ready, or the same key still running. */
static bool
transient(int status, const char *resp)
{
	return status <= 0 || status == 502 || status == 503 || status == 504
	    || (status == 409 && resp != NULL
	        && strstr(resp, "\"idempotency_key_in_progress\"") != NULL);
}

int
client_call(int port, const char *method, const char *path,
    const struct staff *s, json_t *body, json_t **out)
{
	/* Every request its own key: a counter shared by the worker
	 * threads. A retry sends the same key, so the service answers it
	 * with what it did the first time, or does it once. */
	static _Atomic unsigned long long keyseq;
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	char  key[64];
	snprintf(key, sizeof(key), "d%ld-%llu", (long) getpid(), ++keyseq);
	const int timeout_ms = env_ms("SN_HTTP_TIMEOUT_MS", 10000);
	uint64_t  give_up
	    = th_now_ms() + (uint64_t) env_ms("SN_HTTP_RETRY_MS", 60000);
	int   pause = 50, status;
	char *resp  = NULL;
	for (;;) {
		status = th_http_within(NULL, port, method, path,
		    s ? s->token : NULL,
		    strcmp(method, "GET") == 0 ? NULL : key, text, &resp,
		    timeout_ms);
		if (!transient(status, resp) || th_now_ms() >= give_up)
			break;
		free(resp);
		resp = NULL;
		th_sleep_ms(pause);
		pause = pause < 1000 ? pause * 2 : 2000;
	}
	free(text);
	json_decref(body);
	if (out != NULL)
		*out = resp ? json_loads(resp, 0, NULL) : NULL;
	free(resp);
	return status;
}

int
client_list(int port, const char *path, const struct staff *s,
    const char *legacy_key, json_t **items)
{
	char        cursor[64] = "", page[1024];
	const char *sep        = strchr(path, '?') != NULL ? "&" : "?";
	const char *limit = strstr(path, "limit=") != NULL ? "" : "limit=1000";
	int         st;
	*items = json_array();
	for (;;) {
		snprintf(page, sizeof(page), "%s%s%s%s%s", path,
		    limit[0] || cursor[0] ? sep : "", limit,
		    cursor[0] ? (limit[0] ? "&cursor=" : "cursor=") : "",
		    cursor);
		json_t *out = NULL;
		st          = client_call(port, "GET", page, s, NULL, &out);
		json_t *got = json_object_get(out, "items");
		if (got == NULL && legacy_key != NULL)
			got = json_object_get(out, legacy_key);
		if (st == 200 && json_is_array(got))
			json_array_extend(*items, got);
		const char *next
		    = json_string_value(json_object_get(out, "next"));
		if (st != 200 || next == NULL
		    || strlen(next) >= sizeof(cursor)) {
			json_decref(out);
			return st;
		}
		snprintf(cursor, sizeof(cursor), "%s", next);
		json_decref(out);
	}
}

void
client_code(char *out, size_t cap, int t, int v)
{
	if (v < 0)
		snprintf(out, cap, "%s%03d", CLIENT_DISTRICT, (t + 1) % 1000);
	else
		snprintf(out, cap, "%s%03d%03d", CLIENT_DISTRICT,
		    (t + 1) % 1000, (v + 1) % 1000);
}

void
client_staff_idnum(char out[19], int n)
{
	char first[48];
	snprintf(first, sizeof(first), "110105%04d%02d%02d%03d", 1970 + n % 30,
	    1 + n % 12, 1 + n % 28, (n % 1000 + 1000) % 1000);
	memcpy(out, first, 17);
	out[17] = sn_idnum_check_char(first);
	out[18] = '\0';
}

/* The report of one visit to task by investigators a and b. */
static json_t *
visit_report(const json_t *task, const struct staff *a, const char *ida,
    const struct staff *b, const char *idb)
{
	char date[SN_DATE_STRLEN];
	sn_date_format(sn_clock_today(), date);
	json_t *members = json_array();
	size_t  j;
	json_t *m;
	json_array_foreach(json_object_get(task, "members"), j, m)
	{
		json_array_append_new(members,
		    json_pack("{s:O, s:b}", "id_number",
		        json_object_get(m, "id_number"), "present", 1));
	}
	return json_pack("{s:[{s:s, s:s}, {s:s, s:s}], s:s, s:o, s:s, s:s,"
	                 " s:[], s:s}",
	    "investigators", "user_id", a->user, "id_number", ida, "user_id",
	    b->user, "id_number", idb, "visit_date", date, "members", members,
	    "living_conditions", "as declared", "housing_condition",
	    "self-built house, adequate", "contradictions", "recommendation",
	    "approve");
}

int
client_report_visits(int port, const char *village, int n, int *reported)
{
	char         ua[48], ub[48], ida[19], idb[19], path[96];
	struct staff a, b;
	snprintf(ua, sizeof(ua), "inv-%s-a", village);
	snprintf(ub, sizeof(ub), "inv-%s-b", village);
	client_staff_idnum(ida, n);
	client_staff_idnum(idb, n + 1);
	client_issue(&a, ua, "investigator", village, ida);
	snprintf(b.user, sizeof(b.user), "%s", ub);
	snprintf(path, sizeof(path), "/tasks?village=%s", village);
	json_t *out = NULL;
	if (client_list(port, path, &a, "tasks", &out) != 200) {
		json_decref(out);
		return -1;
	}
	size_t  i;
	json_t *task;
	json_array_foreach(out, i, task)
	{
		snprintf(path, sizeof(path), "/tasks/%s/report",
		    json_string_value(json_object_get(task, "id")));
		int st = client_call(port, "POST", path, &a,
		    visit_report(task, &a, ida, &b, idb), NULL);
		if (st == 201)
			(*reported)++;
		else
			fprintf(
			    stderr, "report refused in %s: %d\n", village, st);
	}
	json_decref(out);
	return 0;
}

json_t *
client_wait_run(
    int port, const struct staff *s, const char *id, const char *want, int ms)
{
	char path[96];
	snprintf(path, sizeof(path), "/runs/%s", id);
	uint64_t end = th_now_ms() + (uint64_t) ms;
	json_t  *r   = NULL;
	while (th_now_ms() < end) {
		json_decref(r);
		r = NULL;
		if (client_call(port, "GET", path, s, NULL, &r) == 200) {
			const char *st
			    = json_string_value(json_object_get(r, "status"));
			if (st != NULL && strcmp(st, want) == 0)
				return r;
		}
		th_sleep_ms(100);
	}
	return r;
}
