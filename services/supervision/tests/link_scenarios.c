/*
 * Grievances (grievances.h) and the 12388 link (link.h) with the real
 * binaries (supervision, inspection-sim, sn-inject), a real PostgreSQL
 * and real NNG sockets (tests/support/harness.h).
 *
 *   link_scenarios grievances | sim_down | supervision_down
 *
 * grievances (link off): a complaint about a township's staff member
 *   (identity's user.changed names the township) is recorded with that
 *   office as the one complained about and a deadline 15 district days
 *   on; a repeat of its Idempotency-Key records nothing more; assigning
 *   it to that township or a village within it is 409
 *   office_complained_about, to another township works; resolving needs
 *   an outcome and a note, and a resolved one is not resolved again; an
 *   appeal (clerk) sends it to the district with a new deadline, where
 *   an office not above the first one is refused; a second appeal is
 *   refused; the history holds the five changes in order and each was
 *   published as grievance.changed (read back from supervision's own
 *   event log); a case's township comes from approval's
 *   case.stage_changed; an unknown household needs the office named; a
 *   grievance received 20 days ago is overdue (field, filter, gauge);
 *   a clerk of another township sees none of them; a conduct grievance
 *   queued its five cases and two outcomes for the platform.
 * sim_down: tips become grievances and deliveries arrive; the platform
 *   is switched off, tips are filed and deliveries queued (grievances,
 *   alerts, an outcome), inspection-sim is killed (SIGKILL) with all of
 *   it pending, started again: every delivery arrived exactly once (one
 *   row of the platform's log per queued row, same id and version) and
 *   every tip became exactly one grievance.
 * supervision_down: the same with supervision killed (SIGKILL) in the
 *   middle of delivering a backlog of 40 (fewer than 40 delivered is
 *   checked), with tips just filed (the link reads tips once the queue
 *   is empty, so these are pending; not checked: timing), and started
 *   again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <signal.h>

#include "harness.h"
#include "kit.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/auth.h"
#include "sn/clock.h"
#include "sn/date.h"
#include "sn/identity/v1/identity.pb-c.h"
#include "sn/supervision/v1/supervision.pb-c.h"

#ifndef SN_SUPERVISION_BIN
#define SN_SUPERVISION_BIN "supervision"
#endif
#ifndef SN_INSPECTION_SIM_BIN
#define SN_INSPECTION_SIM_BIN "inspection-sim"
#endif
#ifndef SN_INJECT_BIN
#define SN_INJECT_BIN "sn-inject"
#endif

#define KEYHEX                                                                \
	"7c1c0e9a3b7d2468ace0f1357924680bdf13579bace02468fdb97531eca86429"
#define DISTRICT "220103"
#define TOWN1 "220103001"
#define TOWN2 "220103002"

th                 T;
static int         sim_port;
static const char *SIM; /* inspection-sim's */
static th_proc    *sup, *sim;

/* ---- helpers ---------------------------------------------------------- */

/* A call that must answer want (and, for an error, code). */
static json_t *
must(int want, const char *code, const char *method, const char *path,
    const char *tok, const char *json)
{
	bool   mutating = strcmp(method, "GET") != 0;
	answer a        = call(
	           sup_port, method, path, tok, mutating ? new_key() : NULL, json);
	if (a.status != want
	    || (code != NULL && strcmp(err_code(&a), code) != 0))
		th_fail(&T, "%s %s: %d %s, wanted %d %s", method, path,
		    a.status, err_code(&a), want, code != NULL ? code : "");
	return a.body;
}

/* must, for a call whose answer is not read further. */
static void
expect(int want, const char *code, const char *method, const char *path,
    const char *tok, const char *json)
{
	json_decref(must(want, code, method, path, tok, json));
}

/* Starts supervision with the grievance scan's period and, with link,
 * the 12388 link's settings (inspection-sim at sim_port). */
/* SN_SUPERVISION_LINK_PAGE for the next start; NULL: the default. */
static const char *link_page;

static void
start_link_supervision(bool link)
{
	static char url_env[64];
	const char *base[] = { "SN_SUPERVISION_GRIEVANCE_SCAN_MS=100", NULL };
	snprintf(url_env, sizeof(url_env),
	    "SN_INSPECTION_URL=http://127.0.0.1:%d", sim_port);
	const char *linked[] = { url_env, "SN_INSPECTION_KEY=" KEYHEX,
		"SN_INSPECTION_KEY_ID=supervision",
		"SN_SUPERVISION_LINK_POLL_MS=50",
		"SN_SUPERVISION_LINK_RETRY_MAX_MS=300", link_page, NULL };
	sup                  = start_supervision(base, link ? linked : NULL);
}

static void
start_sim(void)
{
	static char port_env[32];
	if (sim_port == 0)
		sim_port = th_free_port();
	snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", sim_port);
	const char *env[]  = { port_env, "SN_INSPECTION_KEY=" KEYHEX,
		 "SN_INSPECTION_KEY_ID=supervision", NULL };
	const char *argv[] = { SN_INSPECTION_SIM_BIN, NULL };
	sim = th_spawn(&T, "inspection-sim", SN_INSPECTION_SIM_BIN, argv, env);
	if (!th_wait_ready(&T, sim_port, 30000))
		th_fail(&T, "inspection-sim did not get ready");
	SIM = th_schema(&T, "inspection-sim");
}

/* sn-inject as publisher name with one event. */
static void
inject(const char *name, const char *topic, const char *subject, const void *m)
{
	char  line[4096], path[512];
	FILE *f;
	line[0] = '\0';
	th_inject_line(line, sizeof(line), topic, subject, "system", m);
	snprintf(path, sizeof(path), "%s/%s.events", T.run_dir, name);
	f = fopen(path, "w");
	TH_CHECK(&T, f != NULL && fputs(line, f) >= 0 && fclose(f) == 0,
	    "cannot write %s", path);
	static char env_port[8][32];
	static int  k;
	snprintf(env_port[k], sizeof(env_port[k]), "SN_HTTP_PORT=%d",
	    th_free_port());
	const char *env[] = { env_port[k++], NULL };
	const char *argv[]
	    = { SN_INJECT_BIN, "--name", name, "--events", path, NULL };
	th_spawn(&T, name, SN_INJECT_BIN, argv, env);
}

static void
file_tip(const char *kind, const char *subject, const char *category)
{
	char body[256];
	snprintf(body, sizeof(body),
	    "{\"subject_kind\":\"%s\",\"subject_id\":\"%s\",\"category\":"
	    "\"%s\",\"text\":\"a tip about %s\"}",
	    kind, subject, category, subject);
	int st = th_http(
	    &T, sim_port, "POST", "/v1/tips", NULL, new_key(), body, NULL);
	TH_CHECK(&T, st == 201, "POST /v1/tips: %d", st);
}

static void
sim_switch(bool unavailable)
{
	int st = th_http(&T, sim_port, "PUT", "/sim/control", NULL, NULL,
	    unavailable ? "{\"unavailable\":true}" : "{\"unavailable\":false}",
	    NULL);
	TH_CHECK(&T, st == 200, "PUT /sim/control: %d", st);
}

/* An alert.raised in supervision's own stream, as the anomaly module
 * would append it (its outbox; the relay publishes it). */
static void
raise_alert(const char *id, const char *state)
{
	char                             at[SN_CLOCK_STAMPLEN];
	Sn__Supervision__V1__AlertRaised m
	    = SN__SUPERVISION__V1__ALERT_RAISED__INIT;
	m.alert_id      = (char *) id;
	m.rule          = "shared_account";
	m.subject       = "acct-9";
	m.township_code = TOWN1;
	m.state         = (char *) state;
	m.summary       = "one account, three households";
	m.evidence_json = "{\"households\":[\"h1\",\"h2\",\"h3\"]}";
	m.note          = strcmp(state, "closed") == 0 ? "explained" : "";
	m.at            = sn_clock_stamp(at);
	char *hex       = th_hex(&m.base);
	th_int(&T,
	    "WITH i AS (INSERT INTO %s.outbox (topic, subject, actor, data)"
	    " VALUES ('alert.raised', '%s', 'system', decode('%s', 'hex'))"
	    " RETURNING 1) SELECT count(*) FROM i",
	    S, id, hex);
	free(hex);
}

static char *
record(const char *tok, const char *kind, const char *subject,
    const char *category, const char *extra)
{
	char body[512];
	snprintf(body, sizeof(body),
	    "{\"category\":\"%s\",\"subject_kind\":\"%s\",\"subject_id\":"
	    "\"%s\",\"text\":\"he asked for a fee\"%s}",
	    category, kind, subject, extra != NULL ? extra : "");
	json_t *j  = must(201, NULL, "POST", "/grievances", tok, body);
	char   *id = strdup(jstr(j, "id"));
	json_decref(j);
	return id;
}

/* Every queued delivery arrived once: one platform log row per queued
 * row, with its id as the version; none refused; nothing pending. */
static void
expect_exactly_once(int64_t want_rows)
{
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 30000,
	        "SELECT (count(*) = %lld AND count(*) FILTER"
	        " (WHERE delivered_at IS NULL) = 0)::int FROM "
	        "%s.link_outbound",
	        (long long) want_rows, S),
	    "deliveries: %lld queued, %lld pending; expected %lld, none",
	    (long long) th_int(&T, "SELECT count(*) FROM %s.link_outbound", S),
	    (long long) th_int(&T,
	        "SELECT count(*) FROM %s.link_outbound"
	        " WHERE delivered_at IS NULL",
	        S),
	    (long long) want_rows);
	int64_t rows = th_int(&T, "SELECT count(*) FROM %s.link_outbound", S);
	TH_CHECK(&T, rows == want_rows, "queued %lld rows, expected %lld",
	    (long long) rows, (long long) want_rows);
	int64_t log     = th_int(&T, "SELECT count(*) FROM %s.case_log", SIM);
	int64_t matched = th_int(&T,
	    "SELECT count(*) FROM %s.link_outbound o JOIN %s.case_log l"
	    " ON l.case_id = o.case_id AND l.what = o.what"
	    " AND l.version = o.id",
	    S, SIM);
	TH_CHECK(&T, log == rows && matched == rows,
	    "the platform's log holds %lld rows (%lld matching) for %lld "
	    "deliveries",
	    (long long) log, (long long) matched, (long long) rows);
}

/* Every tip on the platform became exactly one grievance. */
static void
expect_tips_taken(int64_t tips)
{
	TH_CHECK(&T,
	    th_wait_int(&T, tips, 30000, "SELECT after FROM %s.link_tips", S),
	    "the tips cursor: %lld of %lld",
	    (long long) th_int(&T, "SELECT after FROM %s.link_tips", S),
	    (long long) tips);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.tips t JOIN %s.grievances g"
	        " ON g.tip_id = t.id::text AND g.source = '12388'"
	        " AND g.subject_id = t.subject_id",
	        SIM,
	        S) == tips
	        && th_int(&T,
	               "SELECT count(*) FROM %s.grievances"
	               " WHERE source = '12388'",
	               S)
	            == tips,
	    "tips as grievances: %lld of %lld",
	    (long long) th_int(&T,
	        "SELECT count(*) FROM %s.grievances WHERE source = '12388'",
	        S),
	    (long long) tips);
}

/* ---- grievances --------------------------------------------------------- */

static void
grievances(void)
{
	char   *clerk2 = token("clerk-2", "clerk", TOWN2);
	char   *clerk9 = token("clerk-9", "clerk", "220103009");
	char   *sup_t  = token("sup-1", "supervisor", DISTRICT);
	char   *insp   = token("insp-1", "inspector", DISTRICT);
	char    path[256], today[SN_DATE_STRLEN], due[SN_DATE_STRLEN];
	json_t *j;

	publishers();
	Sn__Identity__V1__UserChanged u = SN__IDENTITY__V1__USER_CHANGED__INIT;
	u.user_id                       = "staff-t1";
	u.username                      = "wang";
	u.kind                          = "staff";
	u.role                          = "township_officer";
	u.jurisdiction                  = TOWN1;
	u.created                       = true;
	inject("identity", "user.changed", "staff-t1", &u);
	Sn__Assist__V1__CaseStageChanged c
	    = SN__ASSIST__V1__CASE_STAGE_CHANGED__INIT;
	c.case_id        = "case-1";
	c.application_id = "case-1";
	c.township_code  = TOWN2;
	inject("approval", "case.stage_changed", "case-1", &c);
	start_link_supervision(false);
	TH_CHECK(&T,
	    th_wait_int(&T, 2, 20000,
	        "SELECT count(*) FROM %s.events WHERE type IN"
	        " ('user.changed', 'case.stage_changed')",
	        S),
	    "the injected events did not arrive");

	/* recorded, with the office from the record and the deadline */
	const char *body = "{\"category\":\"conduct\",\"subject_kind\":"
	                   "\"staff\",\"subject_id\":\"staff-t1\",\"text\":"
	                   "\"asked for a fee\",\"complainant\":\"Li\"}";
	const char *k    = new_key();
	answer      a = call(sup_port, "POST", "/grievances", clerk2, k, body);
	TH_CHECK(&T, a.status == 201, "POST /grievances: %d %s", a.status,
	    err_code(&a));
	char *id = strdup(jstr(a.body, "id"));
	sn_date_format(sn_clock_today(), today);
	sn_date_format(sn_date_add_days(sn_clock_today(), 15), due);
	TH_CHECK(&T,
	    strcmp(jstr(a.body, "complained_office"), TOWN1) == 0
	        && strcmp(jstr(a.body, "state"), "open") == 0
	        && strcmp(jstr(a.body, "received_on"), today) == 0
	        && strcmp(jstr(a.body, "deadline"), due) == 0
	        && strcmp(jstr(a.body, "source"), "clerk") == 0
	        && json_is_false(json_object_get(a.body, "overdue")),
	    "the grievance as recorded: office %s, deadline %s",
	    jstr(a.body, "complained_office"), jstr(a.body, "deadline"));
	json_decref(a.body);
	a = call(sup_port, "POST", "/grievances", clerk2, k, body);
	TH_CHECK(&T, a.status == 201 && strcmp(jstr(a.body, "id"), id) == 0,
	    "the repeat replays the first answer");
	json_decref(a.body);
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s.grievances", S) == 1,
	    "a repeat recorded a second grievance");

	/* assignment: never to the office complained about */
	snprintf(path, sizeof(path), "/grievances/%s/assign", id);
	expect(409, "office_complained_about", "POST", path, sup_t,
	    "{\"office\":\"" TOWN1 "\"}");
	expect(409, "office_complained_about", "POST", path, sup_t,
	    "{\"office\":\"" TOWN1 "005\"}");
	expect(403, "forbidden", "POST", path, clerk2,
	    "{\"office\":\"" TOWN2 "\"}");
	j = must(200, NULL, "POST", path, sup_t, "{\"office\":\"" TOWN2 "\"}");
	TH_CHECK(&T,
	    strcmp(jstr(j, "state"), "assigned") == 0
	        && strcmp(jstr(j, "office"), TOWN2) == 0,
	    "assigned to the other township");
	json_decref(j);

	/* resolved, once */
	snprintf(path, sizeof(path), "/grievances/%s/resolve", id);
	expect(422, "missing_field", "POST", path, sup_t,
	    "{\"outcome\":\"upheld\"}");
	expect(422, "invalid_outcome", "POST", path, sup_t,
	    "{\"outcome\":\"maybe\",\"note\":\"x\"}");
	j = must(200, NULL, "POST", path, sup_t,
	    "{\"outcome\":\"upheld\",\"note\":\"the fee is refunded\"}");
	TH_CHECK(&T,
	    strcmp(jstr(j, "state"), "resolved") == 0
	        && strcmp(jstr(j, "outcome"), "upheld") == 0,
	    "resolved upheld");
	json_decref(j);
	expect(409, "grievance_resolved", "POST", path, sup_t,
	    "{\"outcome\":\"not_upheld\",\"note\":\"again\"}");

	/* appealed by the complainant through a clerk: to the district */
	snprintf(path, sizeof(path), "/grievances/%s/appeal", id);
	j = must(200, NULL, "POST", path, clerk2,
	    "{\"note\":\"the complainant disagrees\"}");
	TH_CHECK(&T,
	    strcmp(jstr(j, "state"), "appealed") == 0
	        && strcmp(jstr(j, "office"), DISTRICT) == 0
	        && strcmp(jstr(j, "first_office"), TOWN2) == 0
	        && json_integer_value(json_object_get(j, "level")) == 1
	        && strcmp(jstr(j, "deadline"), due) == 0
	        && json_object_get(j, "outcome") == json_null(),
	    "appealed: state %s office %s", jstr(j, "state"),
	    jstr(j, "office"));
	json_decref(j);
	snprintf(path, sizeof(path), "/grievances/%s/assign", id);
	expect(422, "appeal_needs_higher_office", "POST", path, sup_t,
	    "{\"office\":\"220103003\"}");
	snprintf(path, sizeof(path), "/grievances/%s/resolve", id);
	expect(200, NULL, "POST", path, sup_t,
	    "{\"outcome\":\"not_upheld\",\"note\":\"the district finds "
	    "otherwise\"}");
	snprintf(path, sizeof(path), "/grievances/%s/appeal", id);
	expect(409, "already_appealed", "POST", path, clerk2,
	    "{\"note\":\"again\"}");

	/* the history, and the events in supervision's own log */
	snprintf(path, sizeof(path), "/grievances/%s", id);
	j                          = must(200, NULL, "GET", path, insp, NULL);
	json_t                  *h = json_object_get(j, "history");
	static const char *const steps[]
	    = { "recorded", "assigned", "resolved", "appealed", "resolved" };
	TH_CHECK(&T, json_array_size(h) == 5, "history: %zu entries",
	    json_array_size(h));
	for (size_t i = 0; i < 5; i++)
		TH_CHECK(&T,
		    strcmp(jstr(json_array_get(h, i), "action"), steps[i])
		        == 0,
		    "history[%zu] is %s", i,
		    jstr(json_array_get(h, i), "action"));
	json_decref(j);
	TH_CHECK(&T,
	    th_wait_int(&T, 5, 20000,
	        "SELECT count(*) FROM %s.events WHERE type = "
	        "'grievance.changed' AND subject = '%s'",
	        S, id),
	    "grievance.changed: %lld of 5 events",
	    (long long) th_int(&T,
	        "SELECT count(*) FROM %s.events WHERE type = "
	        "'grievance.changed' AND subject = '%s'",
	        S, id));
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.events WHERE type = "
	        "'grievance.changed' AND subject = '%s' AND data->>'action' ="
	        " 'appealed' AND data->>'office' = '" DISTRICT "' AND"
	        " data->>'complained_office' = '" TOWN1 "' AND"
	        " (data->>'level')::int = 1 AND data->>'actor' = 'clerk-2'",
	        S, id)
	        == 1,
	    "the appeal's event");
	/* a conduct grievance is for the platform: five cases, two
	 * outcomes, queued while the link is off */
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.link_outbound WHERE case_id ="
	        " 'grievance-%s' AND what = 'case'",
	        S,
	        id) == 5
	        && th_int(&T,
	               "SELECT count(*) FROM %s.link_outbound WHERE case_id ="
	               " 'grievance-%s' AND what = 'outcome'",
	               S, id)
	            == 2,
	    "the platform's queue");

	/* a case: its township from approval; a household the record does
	 * not know needs the office named */
	char *id2 = record(clerk2, "case", "case-1", "delay", NULL);
	snprintf(path, sizeof(path), "/grievances/%s", id2);
	j = must(200, NULL, "GET", path, insp, NULL);
	TH_CHECK(&T, strcmp(jstr(j, "complained_office"), TOWN2) == 0,
	    "the case's township: %s", jstr(j, "complained_office"));
	json_decref(j);
	expect(422, "complained_office_unknown", "POST", "/grievances", clerk2,
	    "{\"category\":\"amount\",\"subject_kind\":\"household\","
	    "\"subject_id\":\"hh-1\",\"text\":\"too little\"}");

	/* overdue: received 20 days ago */
	char old[SN_DATE_STRLEN], extra[96];
	sn_date_format(sn_date_add_days(sn_clock_today(), -20), old);
	snprintf(extra, sizeof(extra),
	    ",\"received_on\":\"%s\",\"complained_office\":\"" TOWN1 "\"",
	    old);
	char *id3 = record(clerk2, "household", "hh-1", "amount", extra);
	snprintf(path, sizeof(path), "/grievances/%s", id3);
	j = must(200, NULL, "GET", path, insp, NULL);
	TH_CHECK(&T,
	    json_is_true(json_object_get(j, "overdue"))
	        && strcmp(jstr(j, "household_id"), "hh-1") == 0,
	    "overdue, with its household");
	json_decref(j);
	j = must(200, NULL, "GET", "/grievances?overdue=true", insp, NULL);
	TH_CHECK(&T,
	    json_array_size(json_object_get(j, "items")) == 1
	        && strcmp(jstr(json_array_get(json_object_get(j, "items"), 0),
	                      "id"),
	               id3)
	            == 0,
	    "the overdue filter");
	json_decref(j);
	int64_t gauge = -1;
	for (int i = 0; i < 100 && gauge != 1; i++) {
		gauge = th_metric_http(
		    &T, sup_port, "sn_supervision_grievances_overdue");
		if (gauge != 1)
			th_sleep_ms(50);
	}
	TH_CHECK(&T, gauge == 1, "the overdue gauge: %lld", (long long) gauge);

	/* jurisdictions */
	j = must(200, NULL, "GET", "/grievances", insp, NULL);
	TH_CHECK(&T, json_array_size(json_object_get(j, "items")) == 3,
	    "the district's inspector sees all three");
	json_decref(j);
	j = must(200, NULL, "GET", "/grievances", clerk9, NULL);
	TH_CHECK(&T, json_array_size(json_object_get(j, "items")) == 0,
	    "a clerk of another township sees none");
	json_decref(j);
	snprintf(path, sizeof(path), "/grievances/%s", id);
	expect(404, "not_found", "GET", path, clerk9, NULL);
	free(id);
	free(id2);
	free(id3);
	free(clerk2);
	free(clerk9);
	free(sup_t);
	free(insp);
}

/* ---- the exchange ------------------------------------------------------- */

/* Deliveries of every kind, queued now: a conduct grievance (1 case), a
 * tip's grievance assigned and resolved (2 cases, 1 outcome), an open
 * alert (1 case), a closed one (1 case, 1 outcome): 7 rows. */
static void
queue_some(const char *tag, const char *sup_tok, const char *clerk_tok)
{
	char subject[64], alert[64], path[256];
	snprintf(subject, sizeof(subject), "staff-%s", tag);
	free(record(clerk_tok, "staff", subject, "conduct",
	    ",\"complained_office\":\"" TOWN1 "\""));
	char *tip = th_text(&T,
	    "SELECT id::text FROM %s.grievances WHERE source = '12388'"
	    " AND state = 'open' ORDER BY no LIMIT 1",
	    S);
	TH_CHECK(&T, tip != NULL, "no open grievance from a tip");
	snprintf(path, sizeof(path), "/grievances/%s/assign", tip);
	json_decref(must(
	    200, NULL, "POST", path, sup_tok, "{\"office\":\"" TOWN2 "\"}"));
	snprintf(path, sizeof(path), "/grievances/%s/resolve", tip);
	json_decref(must(200, NULL, "POST", path, sup_tok,
	    "{\"outcome\":\"upheld\",\"note\":\"done\"}"));
	free(tip);
	snprintf(alert, sizeof(alert), "%s-open", tag);
	raise_alert(alert, "open");
	snprintf(alert, sizeof(alert), "%s-closed", tag);
	raise_alert(alert, "closed");
}

static void
sim_down(void)
{
	char *clerk = token("clerk-1", "clerk", TOWN1);
	char *sup_t = token("sup-1", "supervisor", DISTRICT);

	publishers();
	start_sim();
	start_link_supervision(true);
	for (int i = 0; i < 3; i++)
		file_tip("staff", "staff-x", "conduct");
	expect_tips_taken(3);
	expect_exactly_once(3); /* each tip's grievance, reported back */

	/* the platform off: tips pile up on it, deliveries in supervision */
	sim_switch(true);
	for (int i = 0; i < 3; i++)
		file_tip("case", "case-9", "delay");
	queue_some("a", sup_t, clerk);
	TH_CHECK(&T,
	    th_wait_int(&T, 7, 20000,
	        "SELECT count(*) FROM %s.link_outbound"
	        " WHERE delivered_at IS NULL",
	        S),
	    "7 deliveries queued: %lld",
	    (long long) th_int(&T,
	        "SELECT count(*) FROM %s.link_outbound"
	        " WHERE delivered_at IS NULL",
	        S));
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 20000,
	        "SELECT count(*) FROM %s.link_outbound WHERE attempts > 0"
	        " AND delivered_at IS NULL",
	        S),
	    "no delivery was tried while the platform was off");
	th_kill(&T, sim, SIGKILL);
	/* more while it is away */
	queue_some("b", sup_t, clerk);
	TH_CHECK(&T, th_int(&T, "SELECT after FROM %s.link_tips", S) == 3,
	    "tips taken while the platform was off");
	start_sim(); /* same schema: its tips and cases are kept */
	expect_tips_taken(6);
	/* 3 + 7 + 7 rows, and the 3 new tips' grievances reported */
	expect_exactly_once(3 + 7 + 7 + 3);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.link_outbound"
	        " WHERE refused_at IS NOT NULL",
	        S)
	        == 0,
	    "a delivery refused");
	free(clerk);
	free(sup_t);
}

static void
supervision_down(void)
{
	char   *clerk = token("clerk-1", "clerk", TOWN1);
	int64_t total, done;

	publishers();
	start_sim();
	/* pages of 2: the kill falls inside the backlog, between
	 * recordings (a page's deliveries are recorded together) */
	link_page = "SN_SUPERVISION_LINK_PAGE=2";
	start_link_supervision(true);
	/* a backlog while the platform is off */
	sim_switch(true);
	for (int i = 0; i < 40; i++) {
		char subject[32];
		snprintf(subject, sizeof(subject), "staff-%d", i);
		free(record(clerk, "staff", subject, "conduct",
		    ",\"complained_office\":\"" TOWN1 "\""));
	}
	for (int i = 0; i < 10; i++)
		file_tip("household", "hh-7", "amount");
	total = th_int(&T, "SELECT count(*) FROM %s.link_outbound", S);
	TH_CHECK(
	    &T, total == 40, "40 deliveries queued: %lld", (long long) total);
	sim_switch(false);
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 20000,
	        "SELECT (count(*) >= 3)::int FROM %s.link_outbound"
	        " WHERE delivered_at IS NOT NULL",
	        S),
	    "nothing delivered");
	/* tips the busy link has not read yet */
	for (int i = 0; i < 5; i++)
		file_tip("staff", "staff-3", "conduct");
	th_kill(&T, sup, SIGKILL);
	done = th_int(&T,
	    "SELECT count(*) FROM %s.link_outbound WHERE delivered_at IS NOT"
	    " NULL",
	    S);
	TH_CHECK(&T, done < total,
	    "the backlog was delivered before supervision was killed (%lld)",
	    (long long) done);
	fprintf(stderr,
	    "killed with %lld of %lld delivered, %lld tips taken\n",
	    (long long) done, (long long) total,
	    (long long) th_int(&T, "SELECT after FROM %s.link_tips", S));
	start_link_supervision(true);
	expect_tips_taken(15);
	expect_exactly_once(40 + 15);
	free(clerk);
}

int
main(int argc, char **argv)
{
	static const th_scenario list[] = {
		{ "grievances", grievances },
		{ "sim_down", sim_down },
		{ "supervision_down", supervision_down },
	};
	return th_main(
	    &T, argc, argv, list, sizeof(list) / sizeof(list[0]), NULL);
}
