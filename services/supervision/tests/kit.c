/*
 * kit.c - see kit.h.
 */
#include "kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "sn/auth.h"
#include "sn/idnum.h"

#ifndef SN_SUPERVISION_BIN
#define SN_SUPERVISION_BIN "supervision"
#endif
#ifndef SN_INJECT_BIN
#define SN_INJECT_BIN "sn-inject"
#endif

int         sup_port;
const char *S;

char *
token_idn(
    const char *user, const char *role, const char *juris, const char *idn)
{
	return th_token(&T, user, role, juris, idn, NULL);
}

char *
token(const char *user, const char *role, const char *juris)
{
	return token_idn(user, role, juris, NULL);
}

answer
call_raw(int port, const char *method, const char *path, const char *tok,
    const char *key, const char *json)
{
	answer a = { 0 };
	a.status = th_http(&T, port, method, path, tok, key, json, &a.raw);
	a.body = a.raw != NULL && a.raw[0] != '\0' ? json_loads(a.raw, 0, NULL)
	                                           : NULL;
	return a;
}

answer
call(int port, const char *method, const char *path, const char *tok,
    const char *key, const char *json)
{
	answer a = call_raw(port, method, path, tok, key, json);
	free(a.raw);
	a.raw = NULL;
	return a;
}

void
answer_free(answer *a)
{
	free(a->raw);
	json_decref(a->body);
	a->raw  = NULL;
	a->body = NULL;
}

const char *
jstr(const json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));
	return s != NULL ? s : "(none)";
}

const char *
err_code(const answer *a)
{
	return jstr(json_object_get(a->body, "error"), "code");
}

const char *
new_key(void)
{
	static char buf[64];
	static int  n;
	snprintf(buf, sizeof(buf), "key-%d-%d", (int) getpid(), ++n);
	return buf;
}

char *
idn(char buf[19], int seq)
{
	snprintf(buf, 19, "22010319800101%03d", seq);
	buf[17] = sn_idnum_check_char(buf);
	buf[18] = '\0';
	return buf;
}

void
publishers(void)
{
	static const char *const all[] = { "intake", "verification",
		"investigation", "approval", "emergency", "disbursement",
		"identity", "supervision", "services" };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		th_publisher(&T, all[i]);
}

void
injector(const char *publisher)
{
	th_injector(&T, SN_INJECT_BIN, publisher);
}

th_proc *
start_supervision(const char *const *settings, const char *const *extra)
{
	static char        port_env[32];
	const char        *env[32];
	int                n      = 0;
	const char *const *from[] = { settings, extra };
	if (sup_port == 0)
		sup_port = th_free_port();
	snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", sup_port);
	env[n++] = port_env;
	for (size_t k = 0; k < 2; k++)
		for (int i = 0; from[k] != NULL && from[k][i] != NULL; i++) {
			if (n >= 31)
				th_fail(
				    &T, "too many settings for supervision");
			env[n++] = from[k][i];
		}
	env[n]             = NULL;
	const char *argv[] = { SN_SUPERVISION_BIN, NULL };
	th_proc    *p
	    = th_spawn(&T, "supervision", SN_SUPERVISION_BIN, argv, env);
	if (!th_wait_ready(&T, sup_port, 30000))
		th_fail(&T, "supervision did not get ready");
	S = th_schema(&T, "supervision");
	return p;
}

void
put(const char *publisher, const char *topic, const char *subject,
    const void *msg, const char *at)
{
	char  *hex = th_hex(msg);
	size_t cap = strlen(hex) + 1024;
	char  *sql = malloc(cap);
	if (sql == NULL)
		th_fail(&T, "out of memory");
	snprintf(sql, cap,
	    "INSERT INTO %s.outbox (topic, subject, actor, data, created_at) "
	    "VALUES ('%s', '%s', 'test', '\\x%s'::bytea, %s)",
	    th_schema(&T, publisher), topic, subject, hex,
	    at != NULL ? at : "now()");
	PGresult *r = PQexec((PGconn *) T.pg, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		th_fail(&T, "outbox insert: %s", PQresultErrorMessage(r));
	PQclear(r);
	free(sql);
	free(hex);
}

void
wait_applied(const char *const *played, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (!th_wait_int(&T, 1, 60000,
		        "SELECT ((SELECT count(*) FROM %s.events WHERE source"
		        " = '%s') = (SELECT count(*) FROM %s.outbox))::int",
		        S, played[i], th_schema(&T, played[i])))
			th_fail(&T,
			    "%s: supervision did not apply %s's events", what,
			    played[i]);
}
