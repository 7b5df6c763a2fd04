/*
 * kit.c - see kit.h.
 */
#include "kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <protobuf-c/protobuf-c.h>

#include "sn/auth.h"
#include "sn/clock.h"
#include "sn/date.h"
#include "sn/uuid.h"

#ifndef SN_SERVICES_BIN
#define SN_SERVICES_BIN "services"
#endif
#ifndef SN_INJECT_BIN
#define SN_INJECT_BIN "sn-inject"
#endif

int         svc_port;
const char *S;

char *
token_unit(
    const char *user, const char *role, const char *juris, const char *unit)
{
	return th_token(&T, user, role, juris, NULL, unit);
}

char *
token(const char *user, const char *role, const char *juris)
{
	return token_unit(user, role, juris, NULL);
}

/* method path with exactly key (NULL: none). */
static answer
call_with(const char *method, const char *path, const char *tok,
    const char *key, const char *json)
{
	answer a   = { 0, NULL };
	char  *raw = NULL;
	a.status   = th_http(&T, svc_port, method, path, tok, key, json, &raw);
	a.body
	    = raw != NULL && raw[0] != '\0' ? json_loads(raw, 0, NULL) : NULL;
	free(raw);
	return a;
}

answer
call(const char *method, const char *path, const char *tok, const char *key,
    const char *json)
{
	bool mut = strcmp(method, "GET") != 0;
	return call_with(method, path, tok,
	    key != NULL ? key : (mut ? new_key() : NULL), json);
}

answer
call_keyless(
    const char *method, const char *path, const char *tok, const char *json)
{
	return call_with(method, path, tok, NULL, json);
}

void
answer_free(answer *a)
{
	json_decref(a->body);
	a->body = NULL;
}

void
expect(answer a, int status, const char *code, const char *what)
{
	TH_CHECK(&T,
	    a.status == status
	        && (code == NULL || strcmp(err_code(&a), code) == 0),
	    "%s: %d %s, want %d %s", what, a.status, err_code(&a), status,
	    code != NULL ? code : "");
	answer_free(&a);
}

json_t *
jget(const json_t *j, const char *path)
{
	char          buf[160], *save = NULL;
	const json_t *cur = j;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = strtok_r(buf, ".", &save); s != NULL && cur != NULL;
	     s       = strtok_r(NULL, ".", &save))
                cur = json_is_array(cur)
		          ? json_array_get(cur, (size_t) atoi(s))
		          : json_object_get(cur, s);
	return (json_t *) cur;
}

const char *
jstr(const json_t *j, const char *path)
{
	const char *s = json_string_value(jget(j, path));
	return s != NULL ? s : "(none)";
}

long long
jint(const json_t *j, const char *path)
{
	json_t *v = jget(j, path);
	return json_is_integer(v) ? (long long) json_integer_value(v) : -1;
}

const char *
err_code(const answer *a)
{
	return jstr(a->body, "error.code");
}

const char *
new_key(void)
{
	static char buf[64];
	static int  n;
	snprintf(buf, sizeof(buf), "key-%d-%d", (int) getpid(), ++n);
	return buf;
}

const char *
new_uuid(void)
{
	static char slots[16][SN_UUID_STRLEN];
	static int  n;
	sn_uuid     u;
	char       *buf = slots[n++ % 16];
	if (sn_uuid_v4(&u) != SN_OK)
		th_fail(&T, "no random uuid");
	return sn_uuid_format(&u, buf);
}

void
publishers(void)
{
	static const char *const all[]
	    = { "intake", "approval", "emergency", "services" };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		th_publisher(&T, all[i]);
}

void
injector(const char *publisher)
{
	th_injector(&T, SN_INJECT_BIN, publisher);
}

th_proc *
start_services(const char *const *extra)
{
	static char port_env[32];
	const char *env[32];
	int         n = 0;
	if (svc_port == 0)
		svc_port = th_free_port();
	snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", svc_port);
	env[n++] = port_env;
	for (int i = 0; extra != NULL && extra[i] != NULL; i++) {
		if (n >= 31)
			th_fail(&T, "too many settings for services");
		env[n++] = extra[i];
	}
	env[n]             = NULL;
	const char *argv[] = { SN_SERVICES_BIN, NULL };
	th_proc    *p = th_spawn(&T, "services", SN_SERVICES_BIN, argv, env);
	if (!th_wait_ready(&T, svc_port, 30000))
		th_fail(&T, "services did not get ready");
	S = th_schema(&T, "services");
	if (!th_wait_int(
	        &T, 1, 30000, "SELECT (count(*) > 0)::int FROM %s.kind", S))
		th_fail(&T, "services did not store its registry");
	return p;
}

void
put(const char *publisher, const char *topic, const char *subject,
    const void *m)
{
	char  *hex = th_hex(m);
	size_t cap = strlen(hex) + 1024;
	char  *sql = malloc(cap);
	if (sql == NULL)
		th_fail(&T, "out of memory");
	snprintf(sql, cap,
	    "INSERT INTO %s.outbox (topic, subject, actor, data) "
	    "VALUES ('%s', '%s', 'test', '\\x%s'::bytea)",
	    th_schema(&T, publisher), topic, subject, hex);
	PGresult *r = PQexec((PGconn *) T.pg, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		th_fail(&T, "outbox insert: %s", PQresultErrorMessage(r));
	PQclear(r);
	free(sql);
	free(hex);
}

void
wait_applied(const char *publisher, const char *what)
{
	const char *ps = th_schema(&T, publisher);
	if (!th_wait_int(&T, 1, 60000,
	        "SELECT ((SELECT coalesce(max(last_seq), 0) FROM %s.bus_cursor"
	        " WHERE publisher = '%s') = (SELECT count(*) FROM %s.outbox)"
	        " AND (SELECT count(*) FROM %s.outbox WHERE seq IS NULL) = 0"
	        ")::int",
	        S, publisher, ps, ps))
		th_fail(&T, "%s: services did not apply %s's events", what,
		    publisher);
}

int64_t
published(const char *topic)
{
	if (topic == NULL)
		return th_int(&T, "SELECT count(*) FROM %s.outbox", S);
	return th_int(
	    &T, "SELECT count(*) FROM %s.outbox WHERE topic = '%s'", S, topic);
}

void *
published_msg(const char *topic, int i, const void *desc)
{
	size_t   len = 0;
	uint8_t *d   = th_bytes_at(&T, i, &len,
	      "SELECT data FROM %s.outbox WHERE topic = '%s' ORDER BY id", S,
	      topic);
	if (d == NULL)
		th_fail(&T, "no %s number %d in services' outbox", topic, i);
	ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, len, d);
	free(d);
	if (m == NULL)
		th_fail(&T, "%s number %d does not decode", topic, i);
	return m;
}

char *
day_from_today(int64_t days, char buf[11])
{
	return sn_date_format(sn_date_add_days(sn_clock_today(), days), buf);
}
