/*
 * client.c - see client.h.
 */
#include "client.h"

#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "sn/auth.h"
#include "sn/clock.h"
#include "sn/config.h"
#include "sn/date.h"
#include "sn/idnum.h"

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

static sn_auth    *auth;
static const char *progname = "client";

/*
 * With SN_IDENTITY_HTTP_URL the staff log in to identity: one session per
 * user name (its password, a random one this process set, and its access
 * and refresh tokens), shared by the worker threads under lock.
 */
struct session {
	char     user[64], role[32], juris[16], idn[19], unit[48];
	char     password[40];
	char     access[2048], refresh[128];
	uint64_t refresh_at_ms; /* when to refresh the access token */
};

static struct {
	bool            on;
	int             port;
	pthread_mutex_t mu;
	struct session *s;
	size_t          n, cap;
	struct session  admin;
} idp = { .mu = PTHREAD_MUTEX_INITIALIZER };

static _Noreturn void
id_fail(const char *what, const char *user, int status, const char *resp)
{
	fprintf(stderr, "%s: identity: %s for %s answered %d: %.300s\n",
	    progname, what, user, status, resp != NULL ? resp : "");
	exit(1);
}

/* One JSON call to identity; the answer text in *resp (caller frees). */
static int
id_call(const char *method, const char *path, const char *token, json_t *body,
    char **resp)
{
	static _Atomic unsigned long long seq;
	char     key[64], *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int      status, pause  = 50;
	uint64_t give_up = th_now_ms() + 30000;

	/* The admin API is idempotent by key; login and refresh take none
	 * (a replayed answer would hand out the same tokens). */
	bool keyed
	    = (strcmp(method, "POST") == 0 && strcmp(path, "/users") == 0)
	    || strcmp(method, "PATCH") == 0;
	snprintf(key, sizeof(key), "id%ld-%llu", (long) getpid(), ++seq);
	for (;;) {
		*resp  = NULL;
		status = th_http_within(NULL, idp.port, method, path, token,
		    keyed ? key : NULL, text, resp, 10000);
		if (!transient(status, *resp) || th_now_ms() >= give_up)
			break;
		free(*resp);
		th_sleep_ms(pause);
		pause = pause < 1000 ? pause * 2 : 2000;
	}
	free(text);
	json_decref(body);
	return status;
}

/* Keeps a login or refresh answer's tokens in se; false if malformed.
 * sent_ms is when the request went out: identity reads its clock while
 * it works and writes the expiry in whole seconds, so the token may end
 * up to a second plus the answer's latency before sent_ms + expires_in. */
static bool
keep_tokens(struct session *se, const char *resp, uint64_t sent_ms)
{
	json_t     *j = resp ? json_loads(resp, 0, NULL) : NULL;
	const char *a = json_string_value(json_object_get(j, "access_token"));
	const char *r = json_string_value(json_object_get(j, "refresh_token"));
	json_int_t  ttl = json_integer_value(json_object_get(j, "expires_in"));
	bool        ok  = a != NULL && r != NULL && ttl > 0
	    && strlen(a) < sizeof(se->access)
	    && strlen(r) < sizeof(se->refresh);
	if (ok) {
		snprintf(se->access, sizeof(se->access), "%s", a);
		snprintf(se->refresh, sizeof(se->refresh), "%s", r);
		/* Refresh with a quarter of its life left (at most 60 s),
		 * counted from the request, less the second the expiry's
		 * rounding may take. */
		int64_t margin = ttl / 4 < 60 ? ttl / 4 : 60;
		int64_t life   = ttl - margin - 1 > 0 ? ttl - margin - 1 : 0;
		se->refresh_at_ms = sent_ms + (uint64_t) life * 1000;
	}
	json_decref(j);
	return ok;
}

static void
id_login(struct session *se)
{
	char    *resp;
	uint64_t sent = th_now_ms();
	int      st   = id_call("POST", "/login", NULL,
	           json_pack(
	               "{s:s, s:s}", "username", se->user, "password", se->password),
	           &resp);
	if (st != 200 || !keep_tokens(se, resp, sent))
		id_fail("POST /login", se->user, st, resp);
	free(resp);
}

/* A new access token by the refresh token, or by logging in again when
 * identity refuses it (expired, or the user was changed). */
static void
id_refresh(struct session *se)
{
	char    *resp;
	uint64_t sent = th_now_ms();
	int      st   = id_call("POST", "/token/refresh", NULL,
	           json_pack("{s:s}", "refresh_token", se->refresh), &resp);
	if (st != 200 || !keep_tokens(se, resp, sent))
		id_login(se);
	free(resp);
}

static const char *
admin_token(void)
{
	if (th_now_ms() >= idp.admin.refresh_at_ms)
		id_refresh(&idp.admin);
	return idp.admin.access;
}

static void
random_password(char out[40])
{
	unsigned char raw[18];
	FILE         *f = fopen("/dev/urandom", "rb");
	if (f == NULL || fread(raw, 1, sizeof(raw), f) != sizeof(raw)) {
		fprintf(stderr, "%s: cannot read /dev/urandom\n", progname);
		exit(1);
	}
	fclose(f);
	sodium_bin2base64(out, 40, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* The id of user name user in identity, or false if there is none. */
static bool
id_lookup(const char *user, char id[64])
{
	char    path[160], *resp;
	int     st;
	json_t *j;

	snprintf(path, sizeof(path), "/users?username=%s", user);
	st = id_call("GET", path, admin_token(), NULL, &resp);
	if (st != 200)
		id_fail("GET /users?username", user, st, resp);
	j                 = resp ? json_loads(resp, 0, NULL) : NULL;
	const char *v     = json_string_value(json_object_get(
	        json_array_get(json_object_get(j, "items"), 0), "id"));
	bool        found = v != NULL && strlen(v) < 64;
	if (found)
		snprintf(id, 64, "%s", v);
	json_decref(j);
	free(resp);
	return found;
}

/*
 * Identity wants a staff member's own identity number, unique per user.
 * For staff the driver gives none, one made from the user name (FNV-1a):
 * region 110106, which neither the generated residents (the district's)
 * nor client_staff_idnum (110105) use; bump moves to another on a clash.
 */
static void
made_idn(const char *user, unsigned bump, char out[19])
{
	uint32_t h = 2166136261u;
	char     first[32];

	for (const char *c = user; *c != '\0'; c++)
		h = (h ^ (unsigned char) *c) * 16777619u;
	h += bump * 7919u;
	snprintf(first, sizeof(first), "110106%04u%02u%02u%03u", 1960 + h % 40,
	    1 + h / 40 % 12, 1 + h / 480 % 28, h / 13440 % 1000);
	memcpy(out, first, 17);
	out[17] = sn_idnum_check_char(first);
	out[18] = '\0';
}

/*
 * Creates se's user with a fresh random password, or, when it exists
 * already (an earlier run), sets its password, role and jurisdiction
 * (its identity number stays what it was).
 */
static void
id_provision(struct session *se)
{
	char    *resp, id[64], path[96], idn[19];
	int      st = 0;
	unsigned bump;

	/* Partners and departments are service accounts, without an
	 * identity number; everyone else is staff. They act only for their
	 * unit, which identity requires of them (issue 13): the one given
	 * (client_issue_unit), else the user name (the driver's accounts
	 * dept-1 and agency-operator are units of their own name). */
	bool service = strcmp(se->role, "partner") == 0
	    || strcmp(se->role, "department") == 0;
	const char *unit = se->unit[0] != '\0'        ? se->unit
	    : service && sn_auth_unit_valid(se->user) ? se->user
	                                              : NULL;

	random_password(se->password);
	for (bump = 0; bump < 8; bump++) {
		if (se->idn[0] != '\0')
			snprintf(idn, sizeof(idn), "%s", se->idn);
		else
			made_idn(se->user, bump, idn);
		json_t *u = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
		    "username", se->user, "display_name", se->user, "kind",
		    service ? "service" : "staff", "role", se->role,
		    "jurisdiction", se->juris, "password", se->password);
		if (!service)
			json_object_set_new(u, "id_number", json_string(idn));
		if (unit != NULL)
			json_object_set_new(u, "unit", json_string(unit));
		st = id_call("POST", "/users", admin_token(), u, &resp);
		if (st == 201) {
			free(resp);
			return;
		}
		if (st != 409)
			id_fail("POST /users", se->user, st, resp);
		free(resp);
		if (id_lookup(se->user, id))
			break;
		/* Not the name: the number is another user's. */
		if (se->idn[0] != '\0' || service)
			id_fail("POST /users (its id_number is taken)",
			    se->user, st, NULL);
	}
	if (bump == 8)
		id_fail("POST /users (no free id_number)", se->user, st, NULL);
	snprintf(path, sizeof(path), "/users/%s", id);
	json_t *patch = json_pack("{s:s, s:s, s:s, s:b, s:b}", "password",
	    se->password, "role", se->role, "jurisdiction", se->juris,
	    "disabled", 0, "unlock", 1);
	if (unit != NULL) /* also for an account made before units */
		json_object_set_new(patch, "unit", json_string(unit));
	st = id_call("PATCH", path, admin_token(), patch, &resp);
	if (st != 200)
		id_fail("PATCH /users/{id}", se->user, st, resp);
	free(resp);
}

static struct session *
id_find(const char *user)
{
	for (size_t i = 0; i < idp.n; i++)
		if (strcmp(idp.s[i].user, user) == 0)
			return &idp.s[i];
	return NULL;
}

static void
id_open(void)
{
	struct session *a = &idp.admin;
	const char *user  = sn_config_str("SN_IDENTITY_ADMIN_USER", "admin");
	const char *pw    = sn_config_str("SN_IDENTITY_ADMIN_PASSWORD", NULL);

	idp.on   = true;
	idp.port = client_port("SN_IDENTITY_HTTP_URL");
	snprintf(a->user, sizeof(a->user), "%s", user);
	if (strlen(pw) >= sizeof(a->password)) {
		fprintf(stderr,
		    "%s: SN_IDENTITY_ADMIN_PASSWORD is longer "
		    "than %zu bytes\n",
		    progname, sizeof(a->password) - 1);
		exit(2);
	}
	snprintf(a->password, sizeof(a->password), "%s", pw);
	id_login(a);
}

bool
client_open(const char *prog)
{
	progname = prog;
	/* A kept connection the service has closed (its idle timeout, a
	 * restart) fails the next write with EPIPE, which the request's
	 * retry handles; the signal would end the program. A 3,000-household
	 * sn-district was killed so (exit 141) after a long login phase. */
	signal(SIGPIPE, SIG_IGN);
	/* One connection per worker thread and service, kept: a TLS
	 * handshake per request cost both sides more than the request.
	 * SN_HTTP_KEEP_ALIVE=0: a connection per request, as before. */
	const char *ka = getenv("SN_HTTP_KEEP_ALIVE");
	th_http_keep_alive(ka == NULL || strcmp(ka, "0") != 0);
	if (getenv("SN_IDENTITY_HTTP_URL") != NULL
	    || getenv("SN_IDENTITY_HTTP_URL_FILE") != NULL) {
		id_open();
		return true;
	}
	const char *key = sn_config_str("SN_TOKEN_SIGNING_KEY", "");
	if (sn_auth_open(&auth, key) != SN_OK || !sn_auth_can_issue(auth)) {
		fprintf(stderr,
		    "%s: set SN_IDENTITY_HTTP_URL (log in to identity) or "
		    "SN_TOKEN_SIGNING_KEY (a P-256 private key in PEM)\n",
		    prog);
		return false;
	}
	return true;
}

void
client_close(void)
{
	sn_auth_close(auth);
	auth = NULL;
	pthread_mutex_lock(&idp.mu);
	free(idp.s);
	idp.s = NULL;
	idp.n = idp.cap = 0;
	pthread_mutex_unlock(&idp.mu);
}

/* The staff member's session, provisioned and logged in at first use. */
static void
id_issue(struct staff *s, const char *user, const char *role,
    const char *juris, const char *idn, const char *unit)
{
	pthread_mutex_lock(&idp.mu);
	struct session *se = id_find(user);
	if (se == NULL) {
		if (idp.n == idp.cap) {
			size_t          cap = idp.cap ? idp.cap * 2 : 64;
			struct session *ns = realloc(idp.s, cap * sizeof(*ns));
			if (ns == NULL) {
				fprintf(
				    stderr, "%s: out of memory\n", progname);
				exit(1);
			}
			idp.s   = ns;
			idp.cap = cap;
		}
		se = &idp.s[idp.n++];
		memset(se, 0, sizeof(*se));
		snprintf(se->user, sizeof(se->user), "%s", user);
	}
	if (se->access[0] == '\0' || strcmp(se->role, role) != 0
	    || strcmp(se->juris, juris) != 0
	    || strcmp(se->idn, idn != NULL ? idn : "") != 0
	    || strcmp(se->unit, unit != NULL ? unit : "") != 0) {
		snprintf(se->role, sizeof(se->role), "%s", role);
		snprintf(se->juris, sizeof(se->juris), "%s", juris);
		snprintf(
		    se->idn, sizeof(se->idn), "%s", idn != NULL ? idn : "");
		snprintf(se->unit, sizeof(se->unit), "%s",
		    unit != NULL ? unit : "");
		id_provision(se);
		id_login(se);
	}
	snprintf(s->user, sizeof(s->user), "%s", user);
	snprintf(s->token, sizeof(s->token), "%s", se->access);
	pthread_mutex_unlock(&idp.mu);
}

/* The token to send for s: its session's, refreshed when near expiry. */
static void
current_token(const struct staff *s, char *out, size_t cap)
{
	if (!idp.on) {
		snprintf(out, cap, "%s", s->token);
		return;
	}
	pthread_mutex_lock(&idp.mu);
	struct session *se = id_find(s->user);
	if (se != NULL && th_now_ms() >= se->refresh_at_ms)
		id_refresh(se);
	snprintf(out, cap, "%s", se != NULL ? se->access : s->token);
	pthread_mutex_unlock(&idp.mu);
}

/* A token for user (its identity number idn, or its unit, each NULL
 * when none): client_issue and client_issue_unit. */
static void
issue(struct staff *s, const char *user, const char *role, const char *juris,
    const char *idn, const char *unit)
{
	if (idp.on) {
		id_issue(s, user, role, juris, idn, unit);
		return;
	}
	sn_principal p;
	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "%s", user);
	snprintf(p.role, sizeof(p.role), "%s", role);
	snprintf(p.juris, sizeof(p.juris), "%s", juris);
	if (idn != NULL)
		snprintf(p.id_number, sizeof(p.id_number), "%s", idn);
	if (unit != NULL)
		snprintf(p.unit, sizeof(p.unit), "%s", unit);
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

void
client_issue(struct staff *s, const char *user, const char *role,
    const char *juris, const char *idn)
{
	issue(s, user, role, juris, idn, NULL);
}

void
client_issue_unit(struct staff *s, const char *user, const char *role,
    const char *juris, const char *unit)
{
	issue(s, user, role, juris, NULL, unit);
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
		char token[2048];
		if (s != NULL)
			current_token(s, token, sizeof(token));
		status = th_http_within(NULL, port, method, path,
		    s ? token : NULL, strcmp(method, "GET") == 0 ? NULL : key,
		    text, &resp, timeout_ms);
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

/* A string claim of a JWT's payload into out (unchanged without it). */
static void
token_claim(const char *token, const char *claim, char *out, size_t cap)
{
	const char *p = strchr(token, '.'), *e = p ? strchr(p + 1, '.') : NULL;
	unsigned char buf[2048];
	size_t        n = 0;
	if (e == NULL
	    || sodium_base642bin(buf, sizeof(buf), p + 1, (size_t) (e - p - 1),
	           NULL, &n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING)
	        != 0)
		return;
	json_t     *j = json_loadb((const char *) buf, n, 0, NULL);
	const char *v = json_string_value(json_object_get(j, claim));
	if (v != NULL && strlen(v) < cap)
		snprintf(out, cap, "%s", v);
	json_decref(j);
}

void
client_issue_investigator(
    struct staff *s, const char *village, int n, char idn[19])
{
	char user[48];
	snprintf(user, sizeof(user), "inv-%s-a", village);
	client_staff_idnum(idn, n);
	client_issue(s, user, "investigator", village, idn);
}

int
client_report_visits(int port, const char *village, int n, int *reported)
{
	char         ub[48], ida[19], idb[19], path[96];
	struct staff a, b;
	snprintf(ub, sizeof(ub), "inv-%s-b", village);
	client_issue_investigator(&a, village, n, ida);
	client_staff_idnum(idb, n + 1);
	/* The number the token carries is the one that counts: identity
	 * keeps the one an investigator was created with (an earlier
	 * program may have used another n). b is only named, never logs in. */
	token_claim(a.token, "idn", ida, sizeof(ida));
	if (strcmp(ida, idb) == 0)
		client_staff_idnum(idb, n + 3);
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
