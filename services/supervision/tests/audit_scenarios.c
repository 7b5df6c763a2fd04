/*
 * supervision's audit chain (audit.h; issue 12 item 2) with the real
 * binaries, a real PostgreSQL and real NNG sockets (tests/support/
 * harness.h).
 *
 *   audit_scenarios staff_actions | tamper | retried_batch | anchor
 *
 * staff_actions: emergency's and supervision's own staff actions, done
 *   and refused, reach the chain with their outcome; the actor's identity
 *   number only as its blind index; /audit/verify holds; /audit searches
 *   and pages; the triggers refuse UPDATE, DELETE and TRUNCATE to the
 *   tables' owner, and a forged INSERT or head move to anyone.
 * tamper: 1,024 staff.acted events (sn-inject as intake) make a chain
 *   of two pages and more; a superuser with triggers off edits a record,
 *   edits a column, deletes one, swaps two and moves the head, and
 *   /audit/verify names the first broken link and why each time; the
 *   chain restored verifies and grows again.
 * retried_batch: a batch of staff.acted undone at its bad last event
 *   and applied again up to it: the chain starts from the stored head.
 * anchor: the daily anchor (audit.anchored) is made once per district
 *   day, across a restart, and again on the next day; POST /audit/anchor
 *   anchors now, idempotently, for supervisors only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "harness.h"
#include "kit.h"
#include "sn/auth.h"
#include "sn/clock.h"
#include "sn/date.h"
#include "sn/idnum.h"
#include "sn/seal.h"
#include "sn/supervision/v1/supervision.pb-c.h"

#ifndef SN_SUPERVISION_BIN
#define SN_SUPERVISION_BIN "supervision"
#endif
#ifndef SN_EMERGENCY_BIN
#define SN_EMERGENCY_BIN "emergency"
#endif
#ifndef SN_INJECT_BIN
#define SN_INJECT_BIN "sn-inject"
#endif

#define TOWNSHIP "220103001"
#define ZERO_HASH                                                             \
	"0000000000000000000000000000000000000000000000000000000000000000"

th T;

/* ---- helpers ---------------------------------------------------------- */

static long long
jint(const json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	return json_is_integer(v) ? (long long) json_integer_value(v) : -1;
}

/* The value of "NAME=" in th_default_env. */
static const char *
default_env(const char *name)
{
	size_t n = strlen(name);
	for (const char *const *e = th_default_env; *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	th_fail(&T, "%s is not in th_default_env", name);
}

static int64_t
chain_count(void)
{
	return th_int_maybe(&T, "SELECT count(*) FROM %s.audit_chain", S);
}

static void
wait_chain(int64_t n, const char *what)
{
	if (!th_wait_int(
	        &T, n, 30000, "SELECT count(*) FROM %s.audit_chain", S))
		th_fail(&T, "%s: the chain holds %lld records, want %lld",
		    what, (long long) chain_count(), (long long) n);
}

/* The hex of the hash of record n (or of the head when n is 0). */
static char *
hash_of(int64_t n)
{
	return n == 0
	    ? th_text(&T, "SELECT encode(hash, 'hex') FROM %s.audit_head", S)
	    : th_text(&T,
	        "SELECT encode(hash, 'hex') FROM %s.audit_chain WHERE n = "
	        "%lld",
	        S, (long long) n);
}

/* GET /audit/verify as an inspector. */
static json_t *
verify(const char *tok)
{
	answer a = call(sup_port, "GET", "/audit/verify", tok, NULL, NULL);
	TH_CHECK(&T, a.status == 200, "verify: status %d (%s)", a.status,
	    err_code(&a));
	return a.body;
}

static void
expect_intact(const char *tok, int64_t records, const char *what)
{
	json_t *v    = verify(tok);
	char   *head = hash_of(0);
	TH_CHECK(&T, json_is_true(json_object_get(v, "ok")),
	    "%s: verify says broken: %s at %lld (%s)", what, jstr(v, "reason"),
	    jint(v, "first_broken"), jstr(v, "message"));
	TH_CHECK(&T, jint(v, "records") == records,
	    "%s: verify counted %lld records, want %lld", what,
	    jint(v, "records"), (long long) records);
	TH_CHECK(&T, strcmp(jstr(v, "head"), head) == 0,
	    "%s: verify's head %s, the head row's %s", what, jstr(v, "head"),
	    head);
	free(head);
	json_decref(v);
}

static void
expect_broken(const char *tok, const char *reason, int64_t first,
    int64_t checked, const char *what)
{
	json_t *v = verify(tok);
	TH_CHECK(&T, json_is_false(json_object_get(v, "ok")),
	    "%s: verify says the chain is intact", what);
	TH_CHECK(&T, strcmp(jstr(v, "reason"), reason) == 0,
	    "%s: reason %s, want %s", what, jstr(v, "reason"), reason);
	TH_CHECK(&T, jint(v, "first_broken") == first,
	    "%s: first broken %lld, want %lld", what, jint(v, "first_broken"),
	    (long long) first);
	TH_CHECK(&T, jint(v, "records_checked") == checked,
	    "%s: %lld records checked, want %lld", what,
	    jint(v, "records_checked"), (long long) checked);
	json_decref(v);
}

/* Runs sql on the harness's (superuser) connection; returns the error
 * message, malloc'd, or NULL when it succeeded. */
static char *
sql_error(const char *fmt, ...)
{
	char    sql[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	PGresult      *r   = PQexec((PGconn *) T.pg, sql);
	ExecStatusType st  = PQresultStatus(r);
	char          *msg = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK
	             ? NULL
	             : strdup(PQresultErrorMessage(r));
	PQclear(r);
	return msg;
}

static void
sql_ok(const char *what, const char *fmt, ...)
{
	char    sql[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	char *e = sql_error("%s", sql);
	if (e != NULL)
		th_fail(&T, "%s: %s", what, e);
}

/* sql must fail with a message holding want. */
static void
sql_refused(const char *want, const char *fmt, ...)
{
	char    sql[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	char *e = sql_error("%s", sql);
	TH_CHECK(&T, e != NULL, "not refused: %s", sql);
	TH_CHECK(&T, strstr(e, want) != NULL,
	    "%s: refused with '%s', want '%s'", sql, e, want);
	free(e);
}

/* ---- staff_actions ------------------------------------------------------ */

/* One item of a search's answer must hash as the chain says: SHA-256 of
 * its prev_hash and record, computed here. */
static void
item_hashes(const json_t *it)
{
	uint8_t                  prev[32], h[32];
	char                     hex[65];
	crypto_hash_sha256_state st;
	const char              *rec = jstr(it, "record");
	TH_CHECK(&T,
	    sodium_hex2bin(
	        prev, 32, jstr(it, "prev_hash"), 64, NULL, NULL, NULL)
	        == 0,
	    "item %lld: prev_hash is not hex", jint(it, "n"));
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, prev, 32);
	crypto_hash_sha256_update(
	    &st, (const unsigned char *) rec, strlen(rec));
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, sizeof(hex), h, 32);
	TH_CHECK(&T, strcmp(hex, jstr(it, "hash")) == 0,
	    "item %lld: hash %s, SHA-256 of its bytes %s", jint(it, "n"),
	    jstr(it, "hash"), hex);
	/* The record's members are the item's. */
	json_t *r = json_loads(rec, 0, NULL);
	TH_CHECK(
	    &T, r != NULL, "item %lld: record is not JSON", jint(it, "n"));
	static const char *const keys[] = { "service", "user_id", "role",
		"jurisdiction", "actor_index", "method", "route", "subject",
		"request_id", "idempotency_key", "outcome_code", "at",
		"event_id", "source" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		TH_CHECK(&T, strcmp(jstr(r, keys[i]), jstr(it, keys[i])) == 0,
		    "item %lld: %s %s, its record says %s", jint(it, "n"),
		    keys[i], jstr(it, keys[i]), jstr(r, keys[i]));
	TH_CHECK(&T,
	    jint(r, "status") == jint(it, "status")
	        && jint(r, "n") == jint(it, "n")
	        && jint(r, "sequence") == jint(it, "sequence"),
	    "item %lld: status, n or sequence differ from its record",
	    jint(it, "n"));
	json_decref(r);
}

/* GET /audit?query: the items (the answer is freed by the caller). */
static json_t *
search(const char *tok, const char *query, int want_status)
{
	char path[512];
	snprintf(path, sizeof(path), "/audit%s%s", query[0] ? "?" : "", query);
	answer a = call(sup_port, "GET", path, tok, NULL, NULL);
	TH_CHECK(&T, a.status == want_status,
	    "GET %s: status %d, want %d (%s)", path, a.status, want_status,
	    err_code(&a));
	return a.body;
}

static size_t
count_items(const char *tok, const char *query)
{
	json_t *b     = search(tok, query, 200);
	json_t *items = json_object_get(b, "items");
	size_t  n     = json_array_size(items);
	TH_CHECK(&T, json_is_null(json_object_get(b, "next")),
	    "GET /audit?%s: a next cursor on a short page", query);
	for (size_t i = 0; i < n; i++) {
		item_hashes(json_array_get(items, i));
		if (i > 0)
			TH_CHECK(&T,
			    jint(json_array_get(items, i), "n")
			        > jint(json_array_get(items, i - 1), "n"),
			    "GET /audit?%s: not oldest first", query);
	}
	json_decref(b);
	return n;
}

static void
expect_record(const char *service, const char *user, int status,
    const char *code, const char *route, const char *subject, const char *what)
{
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.audit_chain WHERE service = '%s'"
	        " AND source = '%s' AND user_id = '%s' AND status = %d"
	        " AND outcome_code = '%s' AND method = 'POST'"
	        " AND route = '%s' AND subject = '%s'",
	        S, service, service, user, status, code, route, subject)
	        == 1,
	    "%s: no record of %s %d %s on %s", what, user, status, code,
	    route);
}

static void
scenario_staff_actions(void)
{
	char idn[19], today[SN_DATE_STRLEN], tomorrow[SN_DATE_STRLEN],
	    yesterday[SN_DATE_STRLEN], q[256];
	memcpy(idn, "22010319800101123", 17);
	idn[17] = sn_idnum_check_char(idn);
	idn[18] = '\0';

	publishers();
	int         em_port = th_free_port();
	static char em_env[32];
	snprintf(em_env, sizeof(em_env), "SN_HTTP_PORT=%d", em_port);
	const char *env[]  = { em_env, NULL };
	const char *argv[] = { SN_EMERGENCY_BIN, NULL };
	th_spawn(&T, "emergency", SN_EMERGENCY_BIN, argv, env);
	start_supervision(NULL, NULL);
	if (!th_wait_ready(&T, em_port, 30000))
		th_fail(&T, "emergency did not get ready");

	char *finance = token_idn("fin-1", "finance", "220103", idn);
	char *officer
	    = token_idn("officer-1", "emergency_officer", TOWNSHIP, NULL);
	char *sup  = token_idn("sup-1", "supervisor", "220103", NULL);
	char *insp = token_idn("insp-1", "inspector", "220103", NULL);

	/* emergency: done, refused by role, refused by validation */
	const char *path = "/funds/" TOWNSHIP "/allocations";
	answer      a    = call(em_port, "POST", path, finance, new_key(),
	            "{\"amount_fen\": 500000}");
	TH_CHECK(&T, a.status == 201, "allocation: %d (%s)", a.status,
	    err_code(&a));
	json_decref(a.body);
	a = call(em_port, "POST", path, officer, new_key(),
	    "{\"amount_fen\": 500000}");
	TH_CHECK(&T, a.status == 403, "officer's allocation: %d", a.status);
	json_decref(a.body);
	a = call(em_port, "POST", path, finance, new_key(),
	    "{\"amount_fen\": 500000, \"bogus\": 1}");
	TH_CHECK(
	    &T, a.status == 422, "allocation with a stranger: %d", a.status);
	char *bad_code = strdup(err_code(&a));
	json_decref(a.body);
	/* supervision's own: an anchor made, and one refused */
	a = call(sup_port, "POST", "/audit/anchor", sup, new_key(), NULL);
	TH_CHECK(
	    &T, a.status == 201, "anchor: %d (%s)", a.status, err_code(&a));
	json_decref(a.body);
	a = call(sup_port, "POST", "/audit/anchor", insp, new_key(), NULL);
	TH_CHECK(&T, a.status == 403, "inspector's anchor: %d", a.status);
	json_decref(a.body);

	wait_chain(5, "five staff actions");
	expect_record("emergency", "fin-1", 201, "",
	    "/funds/{township}/allocations", TOWNSHIP, "the allocation");
	expect_record("emergency", "officer-1", 403, "forbidden",
	    "/funds/{township}/allocations", TOWNSHIP, "the refusal by role");
	expect_record("emergency", "fin-1", 422, bad_code,
	    "/funds/{township}/allocations", TOWNSHIP,
	    "the refusal of the body");
	expect_record("supervision", "sup-1", 201, "", "/audit/anchor", "",
	    "the anchor");
	expect_record("supervision", "insp-1", 403, "forbidden",
	    "/audit/anchor", "", "the refused anchor");
	free(bad_code);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.audit_chain WHERE role = 'finance'"
	        " AND jurisdiction = '220103'",
	        S)
	        == 2,
	    "the finance records lack their role or jurisdiction");

	/* The actor's identity number: its blind index only. */
	sn_seal *seal;
	char     idx[SN_SEAL_INDEX_HEX + 1];
	TH_CHECK(&T,
	    sn_seal_open(&seal, default_env("SN_SEAL_KEYS"),
	        default_env("SN_BLIND_KEY"))
	        == SN_OK,
	    "cannot open the test keys");
	sn_seal_index(seal, "supervision.person", idn, idx);
	sn_seal_close(seal);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.audit_chain WHERE actor_index = '%s'"
	        " AND record LIKE '%%\"actor_index\":\"%s\"%%'",
	        S, idx, idx)
	        == 2,
	    "fin-1's records do not carry the blind index of their number");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.audit_chain WHERE actor_index <> ''"
	        " AND user_id <> 'fin-1'",
	        S)
	        == 0,
	    "a record without a number has an index");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.audit_chain c WHERE c::text LIKE "
	        "'%%%s%%'",
	        S, idn)
	        == 0,
	    "the actor's identity number is stored in clear");

	/* Every hash as PostgreSQL's own sha256() makes it, and linked. */
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.audit_chain c WHERE c.hash ="
	        " sha256(c.prev_hash || convert_to(c.record, 'UTF8'))"
	        " AND c.prev_hash = coalesce((SELECT p.hash FROM"
	        " %s.audit_chain p WHERE p.n = c.n - 1),"
	        " decode(repeat('00', 32), 'hex'))",
	        S, S)
	        == 5,
	    "the stored hashes are not SHA-256 of prev_hash and record");

	expect_intact(insp, 5, "five records");
	expect_intact(sup, 5, "five records, as a supervisor");
	a = call(sup_port, "GET", "/audit/verify", finance, NULL, NULL);
	TH_CHECK(&T, a.status == 403, "verify as finance: %d", a.status);
	json_decref(a.body);

	/* Search. */
	sn_date d = sn_clock_today();
	sn_date_format(d, today);
	sn_date_format(sn_date_add_days(d, 1), tomorrow);
	sn_date_format(sn_date_add_days(d, -1), yesterday);
	TH_CHECK(&T, count_items(insp, "") == 5, "search: not every record");
	TH_CHECK(&T, count_items(insp, "subject=" TOWNSHIP) == 3,
	    "search by subject");
	TH_CHECK(&T, count_items(insp, "user=fin-1") == 2, "search by user");
	TH_CHECK(&T, count_items(insp, "user=fin-1&subject=" TOWNSHIP) == 2,
	    "search by user and subject");
	TH_CHECK(&T, count_items(insp, "user=nobody") == 0,
	    "search by an unknown user");
	snprintf(q, sizeof(q), "from=%s&to=%s", today, today);
	TH_CHECK(&T, count_items(sup, q) == 5, "search of today");
	snprintf(q, sizeof(q), "from=%s", tomorrow);
	TH_CHECK(&T, count_items(sup, q) == 0, "search from tomorrow");
	snprintf(q, sizeof(q), "to=%s", yesterday);
	TH_CHECK(&T, count_items(sup, q) == 0, "search to yesterday");

	/* Paging: 2 + 2 + 1, oldest first, none twice. */
	int64_t last = 0, seen = 0;
	char    cursor[64] = "";
	for (int page = 0; page < 3; page++) {
		snprintf(q, sizeof(q), "limit=2%s%s",
		    cursor[0] ? "&cursor=" : "", cursor);
		json_t *b     = search(insp, q, 200);
		json_t *items = json_object_get(b, "items");
		size_t  want  = page < 2 ? 2 : 1;
		TH_CHECK(&T, json_array_size(items) == want,
		    "page %d: %zu items, want %zu", page,
		    json_array_size(items), want);
		for (size_t i = 0; i < json_array_size(items); i++) {
			int64_t n = jint(json_array_get(items, i), "n");
			TH_CHECK(&T, n == last + 1,
			    "page %d: n %lld after %lld", page, (long long) n,
			    (long long) last);
			last = n;
			seen++;
		}
		const char *next
		    = json_string_value(json_object_get(b, "next"));
		TH_CHECK(&T, (next != NULL) == (page < 2),
		    "page %d: next is %s", page, next ? next : "null");
		snprintf(cursor, sizeof(cursor), "%s", next ? next : "");
		json_decref(b);
	}
	TH_CHECK(&T, seen == 5, "paging saw %lld records", (long long) seen);
	static const char *const bad[][2] = {
		{ "from=2026-13-01", "from" },
		{ "to=yesterday", "to" },
		{ "subject=", "subject" },
		{ "limit=0", "limit" },
		{ "cursor=zzz", "cursor" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *b = search(insp, bad[i][0], 422);
		json_t *e = json_object_get(b, "error");
		TH_CHECK(&T,
		    strcmp(jstr(e, "code"), "invalid_query") == 0
		        && strcmp(jstr(e, "field"), bad[i][1]) == 0,
		    "GET /audit?%s: %s on %s", bad[i][0], jstr(e, "code"),
		    jstr(e, "field"));
		json_decref(b);
	}
	snprintf(q, sizeof(q), "from=%s&to=%s", tomorrow, today);
	json_decref(search(insp, q, 422));
	json_decref(search(finance, "", 403));

	/* The triggers, to the tables' owner: a role of its own, as the
	 * service's role is in a deployment (deploy/local). */
	char role[64];
	snprintf(role, sizeof(role), "%s_owner", T.prefix);
	sql_ok("owner role",
	    "CREATE ROLE %s NOLOGIN; GRANT USAGE ON SCHEMA %s TO %s;"
	    " ALTER TABLE %s.audit_chain OWNER TO %s;"
	    " ALTER TABLE %s.audit_head OWNER TO %s;"
	    " ALTER TABLE %s.audit_anchors OWNER TO %s; SET ROLE %s",
	    role, S, role, S, role, S, role, S, role, role);
	sql_refused("append-only: UPDATE refused",
	    "UPDATE %s.audit_chain SET status = 201 WHERE n = 2", S);
	sql_refused("append-only: DELETE refused",
	    "DELETE FROM %s.audit_chain WHERE n = 5", S);
	sql_refused(
	    "append-only: TRUNCATE refused", "TRUNCATE %s.audit_chain", S);
	sql_refused("moves only to the next record: UPDATE refused",
	    "UPDATE %s.audit_head SET n = 4, hash = (SELECT hash FROM"
	    " %s.audit_chain WHERE n = 4)",
	    S, S);
	sql_refused("moves only to the next record: DELETE refused",
	    "DELETE FROM %s.audit_head", S);
	sql_refused(
	    "append-only: TRUNCATE refused", "TRUNCATE %s.audit_head", S);
	sql_refused(
	    "append-only: DELETE refused", "DELETE FROM %s.audit_anchors", S);
	sql_refused("append-only: UPDATE refused",
	    "UPDATE %s.audit_anchors SET records = 0", S);
	/* A forged record: the next n, but not hashed from the head. */
	sql_refused("does not extend the head",
	    "INSERT INTO %s.audit_chain SELECT 6, service, user_id, role,"
	    " jurisdiction, actor_index, method, route, subject, request_id,"
	    " idempotency_key, status, outcome_code, at, event_id, source,"
	    " sequence, record, prev_hash, hash FROM %s.audit_chain"
	    " WHERE n = 5",
	    S, S);
	sql_ok("reset",
	    "RESET ROLE; REASSIGN OWNED BY %s TO CURRENT_USER;"
	    " DROP OWNED BY %s; DROP ROLE %s",
	    role, role, role);
	/* and to the superuser the harness is, with triggers on */
	sql_refused("append-only: UPDATE refused",
	    "UPDATE %s.audit_chain SET subject = 'x'", S);
	expect_intact(insp, 5, "after the refused changes");

	free(finance);
	free(officer);
	free(sup);
	free(insp);
}

/* ---- tamper ----------------------------------------------------------- */

#define TAMPER_RECORDS 1024

/* Triggers off (superuser), sql, triggers on. */
static void
as_superuser(const char *what, const char *fmt, ...)
{
	char    sql[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	sql_ok(what,
	    "SET session_replication_role = replica; %s;"
	    " SET session_replication_role = origin",
	    sql);
}

static void
restore(void)
{
	as_superuser("restore",
	    "DELETE FROM %s.audit_chain; INSERT INTO %s.audit_chain SELECT *"
	    " FROM %s.saved_chain; UPDATE %s.audit_head h SET n = s.n,"
	    " hash = s.hash FROM %s.saved_head s",
	    S, S, S, S, S);
}

/*
 * n staff.acted events in sn-inject's file format at run_dir/name, each
 * an intake clerk's withdrawal, done or refused; with bad_last, one more
 * whose time does not parse (supervision halts the stream there).
 */
static const char *
acted_file(const char *name, int n, bool bad_last)
{
	static char path[512];
	size_t      cap  = (size_t) (n + 1) * 700;
	char       *file = malloc(cap), at[SN_CLOCK_STAMPLEN];
	file[0]          = '\0';
	for (int i = 1; i <= n + (bad_last ? 1 : 0); i++) {
		char                            subject[32], rid[32], key[32];
		Sn__Supervision__V1__StaffActed m
		    = SN__SUPERVISION__V1__STAFF_ACTED__INIT;
		snprintf(subject, sizeof(subject), "app-%d", i);
		snprintf(rid, sizeof(rid), "req-%d", i);
		snprintf(key, sizeof(key), "k-%d", i);
		m.service         = "intake";
		m.user_id         = i % 2 ? "clerk-1" : "clerk-2";
		m.role            = "clerk";
		m.jurisdiction    = TOWNSHIP;
		m.method          = "POST";
		m.route           = "/applications/{id}/withdraw";
		m.subject         = subject;
		m.request_id      = rid;
		m.idempotency_key = key;
		m.status          = i % 3 ? 201 : 403;
		m.outcome_code    = i % 3 ? "" : "out_of_jurisdiction";
		m.at = i <= n ? sn_clock_stamp(at) : "yesterday at noon";
		size_t used = strlen(file);
		th_inject_line(file + used, cap - used, "staff.acted", subject,
		    m.user_id, &m);
	}
	snprintf(path, sizeof(path), "%s/%s", T.run_dir, name);
	FILE *f = fopen(path, "w");
	TH_CHECK(&T, f != NULL && fputs(file, f) >= 0 && fclose(f) == 0,
	    "cannot write %s", path);
	free(file);
	return path;
}

static void
scenario_tamper(void)
{
	char        at[SN_CLOCK_STAMPLEN];
	const char *path = acted_file("acted.events", TAMPER_RECORDS, false);

	publishers();
	int         inj_port = th_free_port();
	static char inj_env[32];
	snprintf(inj_env, sizeof(inj_env), "SN_HTTP_PORT=%d", inj_port);
	const char *env[] = { inj_env, NULL };
	const char *argv[]
	    = { SN_INJECT_BIN, "--name", "intake", "--events", path, NULL };
	th_spawn(&T, "intake", SN_INJECT_BIN, argv, env);
	start_supervision(NULL, NULL);
	char *insp = token_idn("insp-1", "inspector", "220103", NULL);

	wait_chain(TAMPER_RECORDS, "the injected actions");
	expect_intact(insp, TAMPER_RECORDS, "the injected chain");
	sql_ok("save",
	    "CREATE TABLE %s.saved_chain AS SELECT * FROM %s.audit_chain;"
	    " CREATE TABLE %s.saved_head AS SELECT * FROM %s.audit_head",
	    S, S, S, S);

	/* (a) a record edited, its column with it: its bytes no longer
	 * hash to its hash (record 1002 lies on the second page) */
	TH_CHECK(&T,
	    th_int(&T, "SELECT status FROM %s.audit_chain WHERE n = 1002", S)
	        == 403,
	    "record 1002 is not the refusal expected");
	as_superuser("edit",
	    "UPDATE %s.audit_chain SET status = 201, outcome_code = '',"
	    " record = replace(replace(record, '\"status\":403',"
	    " '\"status\":201'), '\"outcome_code\":\"out_of_jurisdiction\"',"
	    " '\"outcome_code\":\"\"') WHERE n = 1002",
	    S);
	expect_broken(insp, "hash_mismatch", 1002, 1001, "an edited record");
	restore();
	expect_intact(insp, TAMPER_RECORDS, "restored after the edit");

	/* (a') only a searchable column edited */
	as_superuser("edit a column",
	    "UPDATE %s.audit_chain SET user_id = 'clerk-9' WHERE n = 7", S);
	expect_broken(insp, "columns_mismatch", 7, 6, "an edited column");
	restore();

	/* (b) a record deleted */
	as_superuser("delete", "DELETE FROM %s.audit_chain WHERE n = 500", S);
	expect_broken(insp, "missing", 500, 499, "a deleted record");
	restore();

	/* (b') the last record deleted, the head left as it was */
	as_superuser("delete the last",
	    "DELETE FROM %s.audit_chain WHERE n = %d", S, TAMPER_RECORDS);
	expect_broken(insp, "missing", TAMPER_RECORDS, TAMPER_RECORDS - 1,
	    "the last record deleted");
	restore();

	/* (c) two records reordered: 10 and 11 swap their n */
	as_superuser("swap",
	    "UPDATE %s.audit_chain SET n = 1000000 WHERE n = 10;"
	    " UPDATE %s.audit_chain SET n = 10 WHERE n = 11;"
	    " UPDATE %s.audit_chain SET n = 11 WHERE n = 1000000",
	    S, S, S);
	expect_broken(
	    insp, "prev_hash_mismatch", 10, 9, "two records reordered");
	restore();

	/* (d) the head moved back to an earlier record */
	as_superuser("head",
	    "UPDATE %s.audit_head SET n = %d, hash = (SELECT hash FROM"
	    " %s.audit_chain WHERE n = 20)",
	    S, TAMPER_RECORDS, S);
	expect_broken(insp, "head_mismatch", TAMPER_RECORDS, TAMPER_RECORDS,
	    "the head's hash changed");
	restore();

	/* (e) a record added past the head */
	as_superuser("beyond",
	    "INSERT INTO %s.audit_chain SELECT n + 1, service, user_id, role,"
	    " jurisdiction, actor_index, method, route, subject, request_id,"
	    " idempotency_key, status, outcome_code, at, event_id, source,"
	    " sequence, record, prev_hash, hash FROM %s.audit_chain"
	    " WHERE n = %d",
	    S, S, TAMPER_RECORDS);
	expect_broken(insp, "beyond_head", TAMPER_RECORDS + 1, TAMPER_RECORDS,
	    "a record past the head");
	restore();

	/* Restored, it verifies, and the next action extends it. */
	expect_intact(insp, TAMPER_RECORDS, "restored");
	Sn__Supervision__V1__StaffActed m
	    = SN__SUPERVISION__V1__STAFF_ACTED__INIT;
	m.service    = "intake";
	m.user_id    = "clerk-1";
	m.role       = "clerk";
	m.method     = "POST";
	m.route      = "/applications";
	m.status     = 201;
	m.at         = sn_clock_stamp(at);
	char   *hex  = th_hex(&m);
	json_t *pub  = json_pack("{s:s, s:s, s:s, s:s}", "type", "staff.acted",
	     "subject", "", "actor", "clerk-1", "data_hex", hex);
	char   *body = json_dumps(pub, JSON_COMPACT);
	answer  a = call(inj_port, "POST", "/publish", NULL, new_key(), body);
	TH_CHECK(&T, a.status == 201, "publish: %d", a.status);
	json_decref(a.body);
	free(body);
	json_decref(pub);
	free(hex);
	wait_chain(TAMPER_RECORDS + 1, "one more action");
	expect_intact(insp, TAMPER_RECORDS + 1, "grown again");
	free(insp);
}

/*
 * A batch of staff.acted events whose last does not convert: supervision
 * applies the batch, fails at that event, and applies it again up to it
 * in a new transaction, then halts the stream. The records of the first
 * try are undone with it, and the second try's chain starts from the
 * head in the table, not from the head the undone try had reached
 * (supervision holds the head through a transaction's records: audit.c,
 * held). The events are in the injector's outbox before supervision
 * starts, so it takes them in one batch by replay.
 */
static void
scenario_retried_batch(void)
{
	enum { N = 40 };
	const char *path = acted_file("retried.events", N, true);
	publishers();
	static char inj_env[32];
	snprintf(inj_env, sizeof(inj_env), "SN_HTTP_PORT=%d", th_free_port());
	const char *env[] = { inj_env, NULL };
	const char *argv[]
	    = { SN_INJECT_BIN, "--name", "intake", "--events", path, NULL };
	th_spawn(&T, "intake", SN_INJECT_BIN, argv, env);
	th_sleep_ms(1000); /* the injector's events in its outbox */
	start_supervision(NULL, NULL);
	char *insp = token_idn("insp-1", "inspector", "220103", NULL);

	wait_chain(N, "the batch before the bad event");
	expect_intact(insp, N, "the batch applied again");
	int64_t txs = th_int(
	    &T, "SELECT count(DISTINCT xmin::text) FROM %s.audit_chain", S);
	TH_CHECK(&T, txs < N,
	    "the %d records came in %lld transactions: no transaction held "
	    "the head over two records",
	    N, (long long) txs);
	th_sleep_ms(1000);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.events WHERE source = 'intake'", S)
	        == N,
	    "the stream did not halt at the bad event");
	TH_CHECK(&T,
	    th_int(&T, "SELECT n FROM %s.audit_head", S) == N
	        && th_int(&T, "SELECT max(n) FROM %s.audit_chain", S) == N,
	    "the head is not the batch's last record");
	printf("retried_batch: %d records in %lld transaction(s), the chain "
	       "intact after the batch was undone at its bad event and "
	       "applied again\n",
	    N, (long long) txs);
	free(insp);
}

/* ---- anchor ------------------------------------------------------------ */

static int64_t
daily_anchors(void)
{
	return th_int(
	    &T, "SELECT count(*) FROM %s.audit_anchors WHERE daily", S);
}

static int64_t
anchored_events(void)
{
	return th_int(&T,
	    "SELECT count(*) FROM %s.outbox WHERE topic = 'audit.anchored'",
	    S);
}

/* Waits until the running supervision has committed `more` further
 * checks for the day's anchor (its metric), so that a second anchor of
 * the day would have been made by then. */
static void
wait_checks(int more)
{
	const char *series = "sn_supervision_audit_anchor_checks_total";
	int64_t     start  = th_metric_http(&T, sup_port, series);
	uint64_t    until  = th_now_ms() + 20000;
	if (start < 0)
		start = 0;
	while (th_metric_http(&T, sup_port, series) < start + more) {
		TH_CHECK(&T, th_now_ms() < until,
		    "the anchor timer did not run %d more times", more);
		th_sleep_ms(20);
	}
}

/* The audit.anchored event of the outbox row at offset i (by id). */
static Sn__Supervision__V1__AuditAnchored *
anchored(int i)
{
	size_t   len;
	uint8_t *data = th_bytes_at(&T, i, &len,
	    "SELECT data FROM %s.outbox WHERE topic = 'audit.anchored'"
	    " ORDER BY id",
	    S);
	TH_CHECK(&T, data != NULL, "no audit.anchored event %d", i);
	Sn__Supervision__V1__AuditAnchored *m
	    = sn__supervision__v1__audit_anchored__unpack(NULL, len, data);
	free(data);
	TH_CHECK(&T, m != NULL, "audit.anchored %d does not decode", i);
	return m;
}

static void
scenario_anchor(void)
{
	static const char *const fast[]
	    = { "SN_SUPERVISION_ANCHOR_CHECK_MS=100", NULL };
	static const char *const next_day[]
	    = { "SN_SUPERVISION_ANCHOR_CHECK_MS=100", "SN_TEST_CLOCK=1",
		      "SN_CLOCK_OFFSET_S=86400", NULL };
	char today[SN_DATE_STRLEN], tomorrow[SN_DATE_STRLEN];
	sn_date_format(sn_clock_today(), today);
	sn_date_format(sn_date_add_days(sn_clock_today(), 1), tomorrow);

	publishers();
	th_proc *p    = start_supervision(NULL, fast);
	char    *sup  = token_idn("sup-1", "supervisor", "220103", NULL);
	char    *insp = token_idn("insp-1", "inspector", "220103", NULL);

	/* The day's anchor, of the empty chain, in the outbox and (its own
	 * stream followed) in the event log. */
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 20000,
	        "SELECT count(*) FROM %s.events WHERE type = 'audit.anchored'",
	        S),
	    "no daily anchor reached the event log");
	Sn__Supervision__V1__AuditAnchored *m = anchored(0);
	TH_CHECK(&T,
	    m->records == 0 && strcmp(m->head_hash, ZERO_HASH) == 0
	        && strcmp(m->day, today) == 0,
	    "the first anchor: %llu records, head %s, day %s",
	    (unsigned long long) m->records, m->head_hash, m->day);
	sn__supervision__v1__audit_anchored__free_unpacked(m, NULL);
	wait_checks(3);
	TH_CHECK(&T, daily_anchors() == 1 && anchored_events() == 1,
	    "the day was anchored %lld times (%lld events)",
	    (long long) daily_anchors(), (long long) anchored_events());

	/* On request: a supervisor's, once per Idempotency-Key. */
	const char *key = strdup(new_key());
	answer a = call(sup_port, "POST", "/audit/anchor", sup, key, NULL);
	TH_CHECK(&T,
	    a.status == 201 && jint(a.body, "records") == 0
	        && strcmp(jstr(a.body, "head_hash"), ZERO_HASH) == 0
	        && strcmp(jstr(a.body, "day"), today) == 0,
	    "anchor now: %d (%s)", a.status, err_code(&a));
	char *first = json_dumps(a.body, JSON_SORT_KEYS);
	json_decref(a.body);
	a           = call(sup_port, "POST", "/audit/anchor", sup, key, NULL);
	char *again = json_dumps(a.body, JSON_SORT_KEYS);
	TH_CHECK(&T, a.status == 201 && strcmp(first, again) == 0,
	    "the repeat answered %d %s, not %s", a.status, again, first);
	json_decref(a.body);
	free(first);
	free(again);
	free((char *) key);
	a = call(sup_port, "POST", "/audit/anchor", insp, new_key(), NULL);
	TH_CHECK(&T, a.status == 403, "an inspector anchored: %d", a.status);
	json_decref(a.body);
	a = call(sup_port, "POST", "/audit/anchor", sup, NULL, NULL);
	TH_CHECK(&T, a.status == 400, "an anchor without a key: %d", a.status);
	json_decref(a.body);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.audit_anchors WHERE NOT daily"
	        " AND requested_by = 'sup-1'",
	        S) == 1
	        && anchored_events() == 2,
	    "the requested anchor was not made once");
	/* The actions on /audit/anchor are in the chain: the 201 once (the
	 * replay is not an action), the 403, the 400. */
	int64_t acts = 3;
	wait_chain(acts, "the anchor requests");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.audit_chain WHERE route ="
	        " '/audit/anchor' AND status = 201",
	        S)
	        == 1,
	    "the replayed anchor was recorded again");

	/* A restart the same day: no second daily anchor. */
	th_stop(&T, p);
	p = start_supervision(NULL, fast);
	wait_checks(3);
	TH_CHECK(&T, daily_anchors() == 1 && anchored_events() == 2,
	    "after a restart the day has %lld daily anchors (%lld events)",
	    (long long) daily_anchors(), (long long) anchored_events());

	/* The next day (the clock a day on): one more, of the chain now. */
	th_stop(&T, p);
	p = start_supervision(NULL, next_day);
	TH_CHECK(&T,
	    th_wait_int(&T, 2, 20000,
	        "SELECT count(*) FROM %s.audit_anchors WHERE daily", S),
	    "the next day was not anchored");
	wait_checks(3);
	TH_CHECK(&T, daily_anchors() == 2 && anchored_events() == 3,
	    "the next day has %lld daily anchors (%lld events)",
	    (long long) daily_anchors(), (long long) anchored_events());
	char *head = hash_of(0);
	m          = anchored(2);
	TH_CHECK(&T,
	    m->records == (uint64_t) acts && strcmp(m->head_hash, head) == 0
	        && strcmp(m->day, tomorrow) == 0,
	    "the next day's anchor: %llu records, head %s (the head %s), day "
	    "%s",
	    (unsigned long long) m->records, m->head_hash, head, m->day);
	sn__supervision__v1__audit_anchored__free_unpacked(m, NULL);
	free(head);
	expect_intact(insp, acts, "the anchored chain");
	free(sup);
	free(insp);
}

int
main(int argc, char **argv)
{
	static const th_scenario list[] = {
		{ "staff_actions", scenario_staff_actions },
		{ "tamper", scenario_tamper },
		{ "retried_batch", scenario_retried_batch },
		{ "anchor", scenario_anchor },
	};
	if (sodium_init() < 0)
		return 1;
	return th_main(
	    &T, argc, argv, list, sizeof(list) / sizeof(list[0]), NULL);
}
