#include "anomaly.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly_rules.h"
#include "households.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/clock.h"
#include "sn/config.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/page.h"
#include "sn/pay/v1/payment.pb-c.h"
#include "sn/services/v1/services.pb-c.h"
#include "sn/supervision/v1/supervision.pb-c.h"
#include "sn/uuid.h"

#define NRULES 7

static struct supervision_anomaly {
	supervision           *s;
	anomaly_limit          limit;
	anomaly_outlier_params outlier;
	int32_t                decision_min, steps_min, odd_from, odd_to;
	int32_t                outlier_days, referral_days, wait_days;
	bool                   scanning, outlying;
	sn_counter            *raised[NRULES];
	sn_counter            *changed;
	sn_counter            *scans;
	sn_counter            *scans_failed;
} A;

/* Where a check was asked from: an event (its waiting is recorded only
 * if it must wait) or the scan (its waiting row is updated or deleted). */
static const int FROM_EVENT = 0, FROM_SCAN = 1;
#define FROM(arg) ((arg) != NULL && *(const int *) (arg) == FROM_SCAN)

/* One transaction-level lock for every write of raises, waiting checks
 * and grant marks: apply transactions and scans take it before their
 * first such write, so they never wait on each other's rows in a cycle. */
static const char SQL_LOCK[] = "SELECT pg_advisory_xact_lock(7120120005)";

/*
 * An event's checks, read at its transaction's commit. A check is a read
 * whose answer decides what to write (an alert, a waiting row), and the
 * bus waits for a handler's answers before it applies the next event
 * (apply_next in bus.c): at 10,000 households supervision's lane made
 * about 390 such reads a batch of 500 events (the acts' facts, a case's
 * steps, an account's uses), each a round trip of a few milliseconds on
 * the loaded machine, and spent about three quarters of its time waiting
 * on them. Queued here instead, they are sent together before the COMMIT
 * (one round trip; their callbacks' writes come before it too), and see
 * the batch's later events as well, which a check of the later events
 * would have seen anyway. The scan's checks read at once. Each
 * transaction's queue is its own (sn_tx_slot), freed when it ends,
 * however it ends.
 */
struct later {
	const char *sql;
	int         n;
	char       *v[2];
	sn_query_fn cb;
	void       *arg;
};

/* The transaction's queue: its sn_tx_slot. */
struct later_queue {
	struct later *q;
	size_t        n, cap;
};
static const char later_key; /* the slot's key */

static void
later_free(void *slot)
{
	struct later_queue *lq = slot;
	for (size_t i = 0; i < lq->n; i++)
		for (int k = 0; k < lq->q[i].n; k++)
			free(lq->q[i].v[k]);
	free(lq->q);
}

static void
later_send(sn_tx *tx, void *arg)
{
	const struct later_queue *lq = arg;
	for (size_t i = 0; i < lq->n; i++) {
		const struct later *l   = &lq->q[i];
		sn_err              err = sn_tx_query(tx, l->sql, l->n,
		                 (const char *const *) l->v, l->cb, l->arg);
		if (err != SN_OK) {
			sn_tx_rollback(tx, err);
			return;
		}
	}
}

/* sql read at tx's commit, cb given its answer; at once when it has
 * more parameters than a queued read keeps, or tx cannot hold the queue
 * or its hook. */
static sn_err
later_read(sn_tx *tx, const char *sql, int n, const char *const *v,
    sn_query_fn cb, void *arg)
{
	struct later_queue *lq = NULL;
	if (n <= (int) (sizeof(lq->q->v) / sizeof(lq->q->v[0])))
		lq = sn_tx_slot(tx, &later_key, sizeof(*lq), later_free);
	/* The hook is added once (the same function and argument). */
	if (lq == NULL || sn_tx_before_commit(tx, later_send, lq) != SN_OK)
		return sn_tx_query(tx, sql, n, v, cb, arg);
	if (lq->n == lq->cap) {
		size_t        cap = lq->cap ? lq->cap * 2 : 64;
		struct later *q   = realloc(lq->q, cap * sizeof(*q));
		if (q == NULL)
			return SN_ENOMEM;
		lq->q   = q;
		lq->cap = cap;
	}
	struct later *l = &lq->q[lq->n];
	*l              = (struct later) { sql, 0, { NULL, NULL }, cb, arg };
	for (; l->n < n; l->n++)
		if ((l->v[l->n] = strdup(v[l->n])) == NULL) {
			for (int k = 0; k < l->n; k++)
				free(l->v[k]);
			return SN_ENOMEM;
		}
	lq->n++;
	return SN_OK;
}

/* A check: from an event, read at the commit; from the scan, now. */
static sn_err
check_read(sn_tx *tx, const char *sql, int n, const char *const *v,
    sn_query_fn cb, const int *from)
{
	return FROM(from) ? sn_tx_query(tx, sql, n, v, cb, (void *) from)
	                  : later_read(tx, sql, n, v, cb, (void *) from);
}

static const char *
i64(char buf[24], int64_t v)
{
	snprintf(buf, 24, "%lld", (long long) v);
	return buf;
}

static bool
empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

static const char *
enum_name(const ProtobufCEnumDescriptor *d, int v)
{
	const ProtobufCEnumValue *x
	    = protobuf_c_enum_descriptor_get_value(d, v);
	return x != NULL ? x->name : "";
}

static const char *
stage_name(Sn__Assist__V1__Stage s)
{
	return enum_name(&sn__assist__v1__stage__descriptor, (int) s);
}

/* The district's offset as a parameter. */
static const char *
offset_param(char buf[24])
{
	return i64(buf, sn_clock_offset_min());
}

/* ---- alerts ----------------------------------------------------------- */

/* A timestamptz as RFC 3339 UTC with microseconds. */
#define UTC_FORMAT "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'"
#define ALERT_COLS                                                            \
	"id::text AS id, n, rule, subject, period, township, household_id, "  \
	"severity, state, assignee, summary, evidence::text AS evidence, "    \
	"note, assigned_by, closed_by, "                                      \
	"to_char(opened_at AT TIME ZONE 'UTC', " UTC_FORMAT                   \
	") AS opened_at, "                                                    \
	"to_char(assigned_at AT TIME ZONE 'UTC', " UTC_FORMAT                 \
	") AS assigned_at, "                                                  \
	"to_char(closed_at AT TIME ZONE 'UTC', " UTC_FORMAT ") AS closed_at"

typedef struct alert_row {
	int64_t     n;
	const char *id, *rule, *subject, *period, *township, *household_id;
	const char *severity, *state, *assignee, *summary, *evidence, *note;
	const char *assigned_by, *closed_by, *opened_at;
	const char *assigned_at, *closed_at;
	bool        has_assigned_at, has_closed_at;
} alert_row;

static const sn_col alert_cols[] = {
	SN_COL(alert_row, id, SN_COL_TEXT),
	SN_COL(alert_row, n, SN_COL_I64),
	SN_COL(alert_row, rule, SN_COL_TEXT),
	SN_COL(alert_row, subject, SN_COL_TEXT),
	SN_COL(alert_row, period, SN_COL_TEXT),
	SN_COL(alert_row, township, SN_COL_TEXT),
	SN_COL(alert_row, household_id, SN_COL_TEXT),
	SN_COL(alert_row, severity, SN_COL_TEXT),
	SN_COL(alert_row, state, SN_COL_TEXT),
	SN_COL(alert_row, assignee, SN_COL_TEXT),
	SN_COL(alert_row, summary, SN_COL_TEXT),
	SN_COL(alert_row, evidence, SN_COL_TEXT),
	SN_COL(alert_row, note, SN_COL_TEXT),
	SN_COL(alert_row, assigned_by, SN_COL_TEXT),
	SN_COL(alert_row, closed_by, SN_COL_TEXT),
	SN_COL(alert_row, opened_at, SN_COL_TEXT),
	SN_COL_OPT(alert_row, assigned_at, SN_COL_TEXT, has_assigned_at),
	SN_COL_OPT(alert_row, closed_at, SN_COL_TEXT, has_closed_at),
};

static json_t *
alert_json(const alert_row *r)
{
	json_t *ev = json_loads(r->evidence, 0, NULL);

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
	                 " s:o, s:s, s:s*, s:s, s:s*, s:s, s:s}",
	    "id", r->id, "rule", r->rule, "subject", r->subject, "period",
	    r->period, "township_code", r->township, "household_id",
	    r->household_id, "severity", r->severity, "state", r->state,
	    "assignee", r->assignee, "summary", r->summary, "evidence",
	    ev != NULL ? ev : json_object(), "opened_at", r->opened_at,
	    "assigned_at", r->assigned_at, "assigned_by", r->assigned_by,
	    "closed_at", r->closed_at, "closed_by", r->closed_by, "note",
	    r->note);
}

/* alert.raised for the alert as row says it is now, through the outbox
 * of tx. */
static sn_err
publish(sn_tx *tx, const alert_row *r, const char *actor)
{
	Sn__Supervision__V1__AlertRaised m
	    = SN__SUPERVISION__V1__ALERT_RAISED__INIT;
	char at[SN_CLOCK_STAMPLEN];

	m.alert_id      = (char *) r->id;
	m.rule          = (char *) r->rule;
	m.subject       = (char *) r->subject;
	m.township_code = (char *) r->township;
	m.state         = (char *) r->state;
	m.assignee      = (char *) r->assignee;
	m.summary       = (char *) r->summary;
	m.evidence_json = (char *) r->evidence;
	m.note          = (char *) r->note;
	m.at            = sn_clock_stamp(at);
	m.severity      = (char *) r->severity;
	m.period        = (char *) r->period;
	m.household_id  = (char *) r->household_id;
	return sn_bus_append_msg(
	    A.s->bus, tx, "alert.raised", r->id, actor, &m.base);
}

static sn_counter *
raised_counter(const char *rule)
{
	for (size_t i = 0; i < NRULES; i++)
		if (strcmp(anomaly_rules_names[i], rule) == 0)
			return A.raised[i];
	return NULL;
}

/* An alert to raise. */
typedef struct alert_new {
	const char      *rule, *subject, *period, *township;
	const char      *household; /* "" for none */
	const char      *event_id;  /* else the household of this event */
	anomaly_severity sev;
	const char      *summary;
	json_t          *evidence; /* stolen by raise */
} alert_new;

static const char SQL_RAISE[]
    = "INSERT INTO alerts (id, rule, subject, period, township, "
      "household_id, severity, summary, evidence) "
      "VALUES (anomaly_alert_id($1, $2, $3), $1, $2, $3, $4, "
      "coalesce(nullif($5, ''), (SELECT e.household_id FROM events e "
      "WHERE e.event_id = $9::uuid), ''), $6, $7, $8::jsonb) "
      "ON CONFLICT (rule, subject, period) DO NOTHING RETURNING " ALERT_COLS;

static void
raised(sn_tx *tx, PGresult *res, void *arg)
{
	alert_row r;
	bool      found = false;
	sn_err    err
	    = sn_rows_opt(res, alert_cols, SN_NCOLS(alert_cols), &r, &found);

	(void) arg;
	if (err == SN_OK && found) {
		sn_counter *c = raised_counter(r.rule);

		err = publish(tx, &r, "system");
		if (err == SN_OK && c != NULL)
			sn_counter_add(c, 1);
		if (err == SN_OK)
			sn_log(SN_LOG_INFO, "supervision: an alert was raised",
			    "rule", r.rule, "subject", r.subject, "alert",
			    r.id, NULL);
	}
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

/* A copy of s cut before its first byte that does not start a whole
 * UTF-8 sequence: snprintf may have cut one in two, and a text column
 * takes valid UTF-8 only (a refused INSERT would retry the batch for
 * ever). NULL without memory. */
static char *
utf8_copy(const char *s)
{
	char  *c = strdup(s != NULL ? s : "");
	size_t i = 0, k;

	if (c == NULL)
		return NULL;
	while (c[i] != '\0'
	    && (k = sn_utf8_seq((const unsigned char *) c + i)) > 0)
		i += k;
	c[i] = '\0';
	return c;
}

/* Raises a (once: a repeat of its key does nothing) and publishes it. */
static sn_err
raise_alert(sn_tx *tx, alert_new *a)
{
	char  *text = json_dumps(a->evidence, JSON_COMPACT | JSON_SORT_KEYS);
	char  *subject = utf8_copy(a->subject), *period = utf8_copy(a->period);
	char  *summary = utf8_copy(a->summary);
	sn_err err     = SN_ENOMEM;

	json_decref(a->evidence);
	a->evidence = NULL;
	if (text != NULL && subject != NULL && period != NULL
	    && summary != NULL) {
		const char *v[9] = { a->rule, subject, period,
			a->township != NULL ? a->township : "",
			a->household != NULL ? a->household : "",
			anomaly_rules_severity_name(a->sev), summary, text,
			a->event_id };

		err = sn_tx_query(tx, SQL_LOCK, 0, NULL, NULL, NULL);
		if (err == SN_OK)
			err = sn_tx_query(tx, SQL_RAISE, 9, v, raised, NULL);
	}
	free(text);
	free(subject);
	free(period);
	free(summary);
	return err;
}

/* ---- waiting checks --------------------------------------------------- */

static const char SQL_TODO_WAIT[]
    = "INSERT INTO anomaly_todo (rule, key) VALUES ($1, $2) "
      "ON CONFLICT (rule, key) DO UPDATE SET checked_at = now()";
static const char SQL_TODO_DONE[]
    = "DELETE FROM anomaly_todo WHERE rule = $1 AND key = $2";

/* After a check of (rule, key): it waits (WAIT) or is over. From an
 * event only a wait is written (there is nothing to delete but a row an
 * earlier wait left, which the scan finds over and deletes). */
static sn_err
settle(sn_tx *tx, const char *rule, const char *key, anomaly_verdict v,
    bool from_scan)
{
	const char *p[2] = { rule, key };
	sn_err      err;

	if (v != ANOMALY_WAIT && !from_scan)
		return SN_OK;
	if ((err = sn_tx_query(tx, SQL_LOCK, 0, NULL, NULL, NULL)) != SN_OK)
		return err;
	return sn_tx_query(tx,
	    v == ANOMALY_WAIT ? SQL_TODO_WAIT : SQL_TODO_DONE, 2, p, NULL,
	    NULL);
}

/* ---- 1. shared_account ------------------------------------------------ */

static const char SQL_ACCOUNT_ADD[]
    = "INSERT INTO anomaly_accounts (account_index, pos) "
      "SELECT $2, e.pos FROM events e WHERE e.event_id = $1::uuid "
      "ON CONFLICT DO NOTHING";

/* The account's uses, one row per household (NULL: not linked yet). */
static const char SQL_ACCOUNT_USES[]
    = "SELECT $1::text AS key, e.household_id, "
      "coalesce(max(h.township_code), '') AS township, count(*) AS uses, "
      "(array_agg(e.type ORDER BY e.pos))[1] AS first_type, "
      "(array_agg(e.event_id::text ORDER BY e.pos))[1] AS first_event, "
      "(array_agg(e.subject ORDER BY e.pos))[1] AS first_subject "
      "FROM anomaly_accounts a JOIN events e ON e.pos = a.pos "
      "LEFT JOIN households h ON h.household_id = e.household_id "
      "WHERE a.account_index = $1 GROUP BY e.household_id "
      "ORDER BY min(e.pos)";

typedef struct use_row {
	const char *key, *household_id, *township, *first_type, *first_event;
	const char *first_subject;
	bool        has_household;
	int64_t     uses;
} use_row;

static const sn_col use_cols[] = {
	SN_COL(use_row, key, SN_COL_TEXT),
	SN_COL_OPT(use_row, household_id, SN_COL_TEXT, has_household),
	SN_COL(use_row, township, SN_COL_TEXT),
	SN_COL(use_row, uses, SN_COL_I64),
	SN_COL(use_row, first_type, SN_COL_TEXT),
	SN_COL(use_row, first_event, SN_COL_TEXT),
	SN_COL(use_row, first_subject, SN_COL_TEXT),
};

/* At most this many households are named in the evidence. */
#define EVIDENCE_MAX 50

static void
account_uses(sn_tx *tx, PGresult *res, void *arg)
{
	sn_rows      rows;
	const char **hh = NULL;
	json_t      *ev = NULL, *list = NULL;
	const char  *key = NULL, *town = "";
	char         subject[32];
	size_t       distinct = 0;
	int64_t      unlinked = 0;
	int          n;
	sn_err err = sn_rows_open(&rows, res, use_cols, SN_NCOLS(use_cols));

	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	n = sn_rows_count(&rows);
	if (n == 0)
		goto out;
	hh   = calloc((size_t) n, sizeof(*hh));
	list = json_array();
	if (hh == NULL || list == NULL) {
		err = SN_ENOMEM;
		goto out;
	}
	for (int i = 0; err == SN_OK && i < n; i++) {
		use_row u;

		if ((err = sn_rows_read(&rows, i, &u)) != SN_OK)
			break;
		key   = u.key;
		hh[i] = u.has_household ? u.household_id : NULL;
		if (!u.has_household) {
			unlinked += u.uses;
			continue;
		}
		town = u.township;
		if (json_array_size(list) < EVIDENCE_MAX)
			json_array_append_new(list,
			    json_pack("{s:s, s:s, s:I, s:{s:s, s:s, s:s}}",
			        "household_id", u.household_id,
			        "township_code", u.township, "uses",
			        (json_int_t) u.uses, "first_event", "type",
			        u.first_type, "event_id", u.first_event,
			        "subject", u.first_subject));
	}
	if (err != SN_OK)
		goto out;
	anomaly_verdict v
	    = anomaly_rules_shared_account(hh, (size_t) n, &distinct);
	if (v == ANOMALY_RAISE) {
		char summary[128];

		snprintf(subject, sizeof(subject), "account:%.16s", key);
		snprintf(summary, sizeof(summary),
		    "one bank account is named for %zu different households",
		    distinct);
		ev = json_pack("{s:s, s:I, s:O, s:I}", "account", subject + 8,
		    "households_count", (json_int_t) distinct, "households",
		    list, "unlinked_uses", (json_int_t) unlinked);
		alert_new a = { ANOMALY_SHARED_ACCOUNT, subject, "", town, "",
			NULL, ANOMALY_HIGH, summary, ev };
		err         = ev != NULL ? raise_alert(tx, &a) : SN_ENOMEM;
	}
	if (err == SN_OK)
		err = settle(tx, ANOMALY_SHARED_ACCOUNT, key, v, FROM(arg));
out:
	json_decref(list);
	free(hh);
	sn_rows_close(&rows);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static sn_err
shared_account_check(sn_tx *tx, const char *index, const int *from)
{
	const char *v[1] = { index };
	return check_read(tx, SQL_ACCOUNT_USES, 1, v, account_uses, from);
}

/* An event naming an account: the use, then the check. */
static sn_err
account_use(sn_tx *tx, const supervision_event *e, const char *number)
{
	char   idx[SN_SEAL_INDEX_HEX + 1];
	sn_err err;

	if (empty(number))
		return SN_OK;
	sn_seal_index(A.s->seal, SUPERVISION_ACCOUNT_COLUMN, number, idx);
	const char *v[2] = { e->ev->id, idx };
	if ((err = sn_tx_query(tx, SQL_ACCOUNT_ADD, 2, v, NULL, NULL))
	    != SN_OK)
		return err;
	return shared_account_check(tx, idx, &FROM_EVENT);
}

static const char *
payee_number(const Sn__Assist__V1__PayeeAccount *p)
{
	return p != NULL ? p->account_number : NULL;
}

/* ---- 2. paid_after_death ---------------------------------------------- */

static const char SQL_DEATH_ADD[]
    = "INSERT INTO anomaly_deaths (pos, person, died_on) "
      "SELECT e.pos, $2, $3::date FROM events e "
      "WHERE e.event_id = $1::uuid ON CONFLICT DO NOTHING";

static const char SQL_PAYMENT_ADD[]
    = "INSERT INTO anomaly_payments (pos, kind, payment_id, period, "
      "person, paid_on, amount_fen, township) "
      "SELECT e.pos, $2, $3, $4, $5, CASE WHEN $2 = 'granted' THEN "
      "((e.time AT TIME ZONE 'UTC') + make_interval(mins => $8::int))::date"
      " END, $6::bigint, $7 FROM events e WHERE e.event_id = $1::uuid "
      "ON CONFLICT DO NOTHING";

/* Everything the rule needs about the household of event $1: a row
 * 'household' (always, NULL household while unlinked), and when a death
 * is known of it, its deaths, members and payments. */
static const char SQL_DEATH_FACTS[]
    = "WITH me AS (SELECT household_id FROM events WHERE event_id = "
      "$1::uuid), "
      "d AS (SELECT x.person, x.died_on, e.event_id FROM anomaly_deaths x "
      "JOIN events e ON e.pos = x.pos JOIN me ON e.household_id = "
      "me.household_id) "
      "SELECT 'household' AS what, $1::text AS key, me.household_id, "
      "'' AS person, '' AS day, '' AS period, '' AS event_id, "
      "'' AS payment_id, 0::bigint AS amount_fen, '' AS kind, "
      "coalesce((SELECT h.township_code FROM households h "
      "WHERE h.household_id = me.household_id), '') AS township FROM me "
      "UNION ALL SELECT 'death', $1::text, me.household_id, d.person, "
      "d.died_on::text, '', d.event_id::text, '', 0, '', '' FROM d, me "
      "UNION ALL SELECT 'member', $1::text, me.household_id, "
      "btrim(substr(k.key, 8), '\"'), '', '', '', '', 0, '', '' "
      "FROM household_keys k JOIN me ON k.household_id = me.household_id "
      "WHERE k.key LIKE 'person:%' AND EXISTS (SELECT 1 FROM d) "
      "UNION ALL SELECT 'payment', $1::text, me.household_id, p.person, "
      "coalesce(p.paid_on::text, ''), p.period, e.event_id::text, "
      "p.payment_id, p.amount_fen, p.kind, p.township "
      "FROM anomaly_payments p JOIN events e ON e.pos = p.pos "
      "JOIN me ON e.household_id = me.household_id "
      "WHERE EXISTS (SELECT 1 FROM d)";

typedef struct fact_row {
	const char *what, *key, *household_id, *person, *day, *period;
	const char *event_id, *payment_id, *kind, *township;
	bool        has_household;
	int64_t     amount_fen;
} fact_row;

static const sn_col fact_cols[] = {
	SN_COL(fact_row, what, SN_COL_TEXT),
	SN_COL(fact_row, key, SN_COL_TEXT),
	SN_COL_OPT(fact_row, household_id, SN_COL_TEXT, has_household),
	SN_COL(fact_row, person, SN_COL_TEXT),
	SN_COL(fact_row, day, SN_COL_TEXT),
	SN_COL(fact_row, period, SN_COL_TEXT),
	SN_COL(fact_row, event_id, SN_COL_TEXT),
	SN_COL(fact_row, payment_id, SN_COL_TEXT),
	SN_COL(fact_row, amount_fen, SN_COL_I64),
	SN_COL(fact_row, kind, SN_COL_TEXT),
	SN_COL(fact_row, township, SN_COL_TEXT),
};

/* The facts of one household, read. */
typedef struct death_facts {
	fact_row        *rows;
	size_t           n;
	anomaly_death   *deaths;
	const char     **death_events;
	size_t           nd;
	const char     **members;
	size_t           nm;
	anomaly_payment *pay;
	fact_row       **pay_rows;
	size_t           np;
	const fact_row  *household;
} death_facts;

static void
death_facts_fini(death_facts *f)
{
	free(f->rows);
	free(f->deaths);
	free(f->death_events);
	free(f->members);
	free(f->pay);
	free(f->pay_rows);
}

static sn_err
death_facts_read(sn_rows *rows, death_facts *f)
{
	size_t n = (size_t) sn_rows_count(rows);

	memset(f, 0, sizeof(*f));
	if (n == 0)
		return SN_OK;
	f->rows         = calloc(n, sizeof(*f->rows));
	f->deaths       = calloc(n, sizeof(*f->deaths));
	f->death_events = calloc(n, sizeof(*f->death_events));
	f->members      = calloc(n, sizeof(*f->members));
	f->pay          = calloc(n, sizeof(*f->pay));
	f->pay_rows     = calloc(n, sizeof(*f->pay_rows));
	if (f->rows == NULL || f->deaths == NULL || f->death_events == NULL
	    || f->members == NULL || f->pay == NULL || f->pay_rows == NULL)
		return SN_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		fact_row *r = &f->rows[i];
		sn_err    err;

		if ((err = sn_rows_read(rows, (int) i, r)) != SN_OK)
			return err;
		f->n++;
		if (strcmp(r->what, "household") == 0) {
			f->household = r;
		} else if (strcmp(r->what, "death") == 0) {
			anomaly_death *d = &f->deaths[f->nd];

			d->person = r->person;
			if (sn_date_parse(r->day, &d->date) != SN_OK)
				continue;
			f->death_events[f->nd++] = r->event_id;
		} else if (strcmp(r->what, "member") == 0) {
			f->members[f->nm++] = r->person;
		} else if (strcmp(r->what, "payment") == 0) {
			anomaly_payment *p = &f->pay[f->np];

			p->monthly = strcmp(r->kind, "granted") != 0;
			p->person  = r->person;
			if (p->monthly
			        ? sn_month_parse(r->period, &p->period)
			            != SN_OK
			        : sn_date_parse(r->day, &p->date) != SN_OK)
				continue;
			f->pay_rows[f->np++] = r;
		}
	}
	return SN_OK;
}

/* The alert for one period (a month, or one grant) of payments after a
 * death: every payment i >= first of the same period key that is. */
static sn_err
death_alert(sn_tx *tx, const death_facts *f, size_t first, size_t which,
    const bool *after, bool *done)
{
	const fact_row *r = f->pay_rows[first];
	const char     *hh
	    = f->household != NULL ? f->household->household_id : "";
	char        period[80], summary[192], day[SN_DATE_STRLEN];
	char        endm[SN_MONTH_STRLEN];
	json_t     *list = json_array();
	const char *town
	    = f->household != NULL && !empty(f->household->township)
	    ? f->household->township
	    : r->township;

	if (list == NULL)
		return SN_ENOMEM;
	if (f->pay[first].monthly)
		snprintf(period, sizeof(period), "%s", r->period);
	else
		snprintf(period, sizeof(period), "grant:%s", r->payment_id);
	for (size_t i = first; i < f->np; i++) {
		const fact_row *q = f->pay_rows[i];
		bool same         = f->pay[i].monthly == f->pay[first].monthly
		    && (f->pay[i].monthly
		            ? strcmp(q->period, r->period) == 0
		            : strcmp(q->payment_id, r->payment_id) == 0);

		if (!same || !after[i])
			continue;
		done[i] = true;
		json_array_append_new(list,
		    json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "payment_id",
		        q->payment_id, "kind", q->kind, "period", q->period,
		        "granted_on", q->day, "amount_fen",
		        (json_int_t) q->amount_fen, "event_id", q->event_id));
	}
	sn_date_format(f->deaths[which].date, day);
	if (f->pay[first].monthly) {
		sn_month end = sn_date_month(f->deaths[which].date);

		sn_month_format(end, endm);
		snprintf(summary, sizeof(summary),
		    "the benefit for %s was paid after the household's life "
		    "on "
		    "the register ended by death (last month owed %s)",
		    r->period, endm);
	} else {
		endm[0] = '\0';
		snprintf(summary, sizeof(summary),
		    "an emergency grant was made to a person reported dead on "
		    "%s",
		    day);
	}
	json_t   *ev = json_pack("{s:s, s:s*, s:{s:s, s:s, s:b}, s:o}",
	      "household_id", hh, "last_month_owed",
            endm[0] != '\0' ? endm : NULL, "death", "event_id",
	      f->death_events[which], "died_on", day, "register_exit",
	      empty(f->deaths[which].person), "payments", list);
	alert_new a  = { ANOMALY_PAID_AFTER_DEATH, hh, period, town, hh, NULL,
		 ANOMALY_HIGH, summary, ev };
	return ev != NULL ? raise_alert(tx, &a) : SN_ENOMEM;
}

static void
death_gathered(sn_tx *tx, PGresult *res, void *arg)
{
	sn_rows     rows;
	death_facts f;
	bool       *after = NULL, *done = NULL;
	size_t     *which = NULL;
	sn_err err = sn_rows_open(&rows, res, fact_cols, SN_NCOLS(fact_cols));

	memset(&f, 0, sizeof(f));
	if (err == SN_OK)
		err = death_facts_read(&rows, &f);
	if (err != SN_OK || f.household == NULL)
		goto out;
	if (!f.household->has_household) {
		err = settle(tx, ANOMALY_PAID_AFTER_DEATH, f.household->key,
		    ANOMALY_WAIT, FROM(arg));
		goto out;
	}
	after = calloc(f.np + 1, sizeof(*after));
	done  = calloc(f.np + 1, sizeof(*done));
	which = calloc(f.np + 1, sizeof(*which));
	if (after == NULL || done == NULL || which == NULL) {
		err = SN_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < f.np; i++)
		after[i] = anomaly_rules_paid_after_death(
		    f.deaths, f.nd, f.members, f.nm, &f.pay[i], &which[i]);
	for (size_t i = 0; err == SN_OK && i < f.np; i++)
		if (after[i] && !done[i])
			err = death_alert(tx, &f, i, which[i], after, done);
	if (err == SN_OK)
		err = settle(tx, ANOMALY_PAID_AFTER_DEATH, f.household->key,
		    ANOMALY_NONE, FROM(arg));
out:
	free(after);
	free(done);
	free(which);
	death_facts_fini(&f);
	sn_rows_close(&rows);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static sn_err
death_check(sn_tx *tx, const char *event_id, const int *from)
{
	const char *v[1] = { event_id };
	return sn_tx_query(
	    tx, SQL_DEATH_FACTS, 1, v, death_gathered, (void *) from);
}

static sn_err
payment_fact(sn_tx *tx, const supervision_event *e, const char *kind,
    const char *payment_id, const char *period, const char *person,
    int64_t amount, const char *township)
{
	char        amt[24], off[24];
	const char *v[8]
	    = { e->ev->id, kind, payment_id, period, person, i64(amt, amount),
		      township != NULL ? township : "", offset_param(off) };
	sn_err err = sn_tx_query(tx, SQL_PAYMENT_ADD, 8, v, NULL, NULL);

	return err == SN_OK ? death_check(tx, e->ev->id, &FROM_EVENT) : err;
}

/* A month's benefit (scheduled or settled): grants are their own facts
 * (on_granted), price subsidies and benefits are paid by period. */
static sn_err
monthly_payment(sn_tx *tx, const supervision_event *e, const char *kind,
    const char *payment_id, const Sn__Pay__V1__PaymentRef *ref, int64_t amount,
    const char *township)
{
	sn_month m;

	if (ref == NULL || !empty(ref->grant_id)
	    || sn_month_parse(ref->period, &m) != SN_OK)
		return SN_OK;
	return payment_fact(
	    tx, e, kind, payment_id, ref->period, "", amount, township);
}

static sn_err
death_fact(
    sn_tx *tx, const supervision_event *e, const char *person, sn_date died)
{
	char        day[SN_DATE_STRLEN];
	const char *v[3] = { e->ev->id, person, sn_date_format(died, day) };
	sn_err      err  = sn_tx_query(tx, SQL_DEATH_ADD, 3, v, NULL, NULL);

	return err == SN_OK ? death_check(tx, e->ev->id, &FROM_EVENT) : err;
}

/* ---- 3. relative_conflict --------------------------------------------- */

static const char SQL_ACT_ADD[]
    = "INSERT INTO anomaly_acts (pos, actor_index, user_id, role, service,"
      " route, subject, status, outcome_code) "
      "SELECT e.pos, $2, $3, $4, $5, $6, $7, $8::int, $9 FROM events e "
      "WHERE e.event_id = $1::uuid ON CONFLICT DO NOTHING";

/* The action and what is known of the households: the subject's and the
 * actor's own. A visit report (/tasks/{id}/report) names its task, whose
 * id the task's investigation.completed links to the household
 * (households.c), so the action is linked like any other event; the
 * task's key is read here only for an action that stopped waiting
 * (SN_SUPERVISION_PENDING_DAYS) before then. By household_keys' primary
 * key, once (MATERIALIZED): looked up in the log by type and data, it
 * walked every investigation.completed, twice, whenever the planner's
 * statistics were stale. */
static const char SQL_ACT_FACTS[]
    = "WITH a AS MATERIALIZED (SELECT x.*, e.time, "
      "coalesce(e.household_id, CASE WHEN x.route LIKE '/tasks/%' "
      "THEN (SELECT t.household_id FROM household_keys t "
      "WHERE t.key = x.subject) END) AS hh "
      "FROM events e JOIN anomaly_acts x ON x.pos = e.pos "
      "WHERE e.event_id = $1::uuid) "
      "SELECT $1::text AS key, a.user_id, a.role, a.service, a.route, "
      "a.subject, a.status, a.outcome_code, a.hh AS household_id, "
      "coalesce(h.address, '') AS address, "
      "coalesce(h.township_code, '') AS township, "
      "k.household_id AS actor_household, "
      "coalesce(h2.address, '') AS actor_address, "
      "to_char(a.time AT TIME ZONE 'UTC', " UTC_FORMAT ") AS at "
      "FROM a LEFT JOIN households h ON h.household_id = a.hh "
      "LEFT JOIN household_keys k ON k.key IN ('person:' || a.actor_index, "
      "'person:\"' || a.actor_index || '\"') "
      "LEFT JOIN households h2 ON h2.household_id = k.household_id";

typedef struct act_row {
	const char *key, *user_id, *role, *service, *route, *subject;
	const char *outcome_code, *household_id, *address, *township;
	const char *actor_household, *actor_address, *at;
	int32_t     status;
	bool        has_household, has_actor_household;
} act_row;

static const sn_col act_cols[] = {
	SN_COL(act_row, key, SN_COL_TEXT),
	SN_COL(act_row, user_id, SN_COL_TEXT),
	SN_COL(act_row, role, SN_COL_TEXT),
	SN_COL(act_row, service, SN_COL_TEXT),
	SN_COL(act_row, route, SN_COL_TEXT),
	SN_COL(act_row, subject, SN_COL_TEXT),
	SN_COL(act_row, status, SN_COL_I32),
	SN_COL(act_row, outcome_code, SN_COL_TEXT),
	SN_COL_OPT(act_row, household_id, SN_COL_TEXT, has_household),
	SN_COL(act_row, address, SN_COL_TEXT),
	SN_COL(act_row, township, SN_COL_TEXT),
	SN_COL_OPT(act_row, actor_household, SN_COL_TEXT, has_actor_household),
	SN_COL(act_row, actor_address, SN_COL_TEXT),
	SN_COL(act_row, at, SN_COL_TEXT),
};

static sn_err
relative_alert(sn_tx *tx, const act_row *r, anomaly_relation rel, bool attempt,
    anomaly_severity sev)
{
	char period[160], summary[256];

	snprintf(period, sizeof(period), "%s%s", r->user_id,
	    attempt ? ":attempt" : "");
	snprintf(summary, sizeof(summary), "%s %s (%s %s) %s",
	    attempt ? "a refused attempt by" : "an action by", r->user_id,
	    r->service, r->route,
	    rel == ANOMALY_REL_MEMBER
	        ? "on a case of their own household"
	        : "on a case of a household at their own registered address");
	json_t *ev  = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s,"
	                         " s:s, s:s, s:s, s:b}",
	     "relation", anomaly_rules_relation_name(rel), "user_id",
	     r->user_id, "role", r->role, "service", r->service, "route",
	     r->route, "status", (int) r->status, "outcome_code",
	     r->outcome_code, "subject", r->subject, "event_id", r->key, "at",
	     r->at, "household_id", r->household_id, "actor_household_id",
	     r->actor_household, "attempt", attempt);
	alert_new a = { ANOMALY_RELATIVE_CONFLICT, r->subject, period,
		r->township, r->household_id, NULL, sev, summary, ev };
	return ev != NULL ? raise_alert(tx, &a) : SN_ENOMEM;
}

static void
act_gathered(sn_tx *tx, PGresult *res, void *arg)
{
	act_row r;
	bool    found = false;
	sn_err  err
	    = sn_rows_opt(res, act_cols, SN_NCOLS(act_cols), &r, &found);

	if (err == SN_OK && found) {
		anomaly_act a
		    = { r.has_household ? r.household_id : NULL, r.address,
			      r.has_actor_household ? r.actor_household : NULL,
			      r.actor_address,
			      r.status > 0 ? (unsigned) r.status : 0 };
		anomaly_relation rel     = ANOMALY_REL_NONE;
		bool             attempt = false;
		anomaly_severity sev     = ANOMALY_LOW;
		anomaly_verdict  v
		    = anomaly_rules_relative(&a, &rel, &attempt, &sev);

		if (v == ANOMALY_RAISE)
			err = relative_alert(tx, &r, rel, attempt, sev);
		if (err == SN_OK)
			err = settle(tx, ANOMALY_RELATIVE_CONFLICT, r.key, v,
			    FROM(arg));
	}
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static sn_err
relative_check(sn_tx *tx, const char *event_id, const int *from)
{
	const char *v[1] = { event_id };
	return check_read(tx, SQL_ACT_FACTS, 1, v, act_gathered, from);
}

/* New members' events (their blind indexes in persons): the actions of
 * any of them are checked again by the scan, as the actor's household
 * may only now be known. */
static const char SQL_ACTS_AGAIN[]
    = "INSERT INTO anomaly_todo (rule, key) "
      "SELECT 'relative_conflict', e.event_id::text FROM anomaly_acts a "
      "JOIN events e ON e.pos = a.pos WHERE a.actor_index = ANY ($1::text[]) "
      "ON CONFLICT (rule, key) DO NOTHING";

static sn_err
acts_again(sn_tx *tx, const supervision_event *e)
{
	const char *v[1] = { e->persons };
	sn_err      err;

	if (e->persons == NULL || strcmp(e->persons, "{}") == 0)
		return SN_OK;
	if ((err = sn_tx_query(tx, SQL_LOCK, 0, NULL, NULL, NULL)) != SN_OK)
		return err;
	return sn_tx_query(tx, SQL_ACTS_AGAIN, 1, v, NULL, NULL);
}

/* ---- 4. grants_under_limit -------------------------------------------- */

static const char SQL_GRANT_ADD[]
    = "INSERT INTO anomaly_grants (pos, grant_id, officer, person, "
      "amount_fen, approved, granted_on, township) "
      "SELECT e.pos, $2, $3, $4, $5::bigint, $6::boolean, "
      "((e.time AT TIME ZONE 'UTC') + make_interval(mins => $8::int))::date,"
      " $7 FROM events e WHERE e.event_id = $1::uuid ON CONFLICT DO NOTHING";

#define GRANT_COLS                                                            \
	"g.pos, g.grant_id, g.officer, g.amount_fen, g.approved, "            \
	"g.granted_on::text AS granted_on, g.township, "                      \
	"e.event_id::text AS event_id, "                                      \
	"coalesce(e.household_id, '') AS household_id "
#define GRANT_WINDOW                                                          \
	"AND g.granted_on > me.granted_on - $2::int "                         \
	"AND g.granted_on <= me.granted_on ORDER BY g.granted_on, g.pos"

/* The grants of the officer of grant event $1 (or to its person) within
 * the window ending on its day, not yet counted in an alert. */
static const char SQL_GRANTS_OFFICER[]
    = "WITH me AS (SELECT g.officer, g.granted_on FROM anomaly_grants g "
      "JOIN events e ON e.pos = g.pos WHERE e.event_id = $1::uuid) "
      "SELECT " GRANT_COLS "FROM anomaly_grants g JOIN events e ON "
      "e.pos = g.pos JOIN me ON g.officer = me.officer "
      "WHERE g.officer_alert IS NULL " GRANT_WINDOW;
static const char SQL_GRANTS_PERSON[]
    = "WITH me AS (SELECT g.person, g.granted_on FROM anomaly_grants g "
      "JOIN events e ON e.pos = g.pos WHERE e.event_id = $1::uuid "
      "AND g.person <> '') "
      "SELECT " GRANT_COLS "FROM anomaly_grants g JOIN events e ON "
      "e.pos = g.pos JOIN me ON g.person = me.person "
      "WHERE g.person_alert IS NULL " GRANT_WINDOW;

static const char SQL_MARK_OFFICER[]
    = "UPDATE anomaly_grants SET officer_alert = anomaly_alert_id($1, $2, "
      "$3) WHERE pos = ANY ($4::bigint[])";
static const char SQL_MARK_PERSON[]
    = "UPDATE anomaly_grants SET person_alert = anomaly_alert_id($1, $2, "
      "$3) WHERE pos = ANY ($4::bigint[])";

typedef struct grant_row {
	int64_t     pos, amount_fen;
	const char *grant_id, *officer, *granted_on, *township, *event_id;
	const char *household_id;
	bool        approved;
} grant_row;

static const sn_col grant_cols[] = {
	SN_COL(grant_row, pos, SN_COL_I64),
	SN_COL(grant_row, grant_id, SN_COL_TEXT),
	SN_COL(grant_row, officer, SN_COL_TEXT),
	SN_COL(grant_row, amount_fen, SN_COL_I64),
	SN_COL(grant_row, approved, SN_COL_BOOL),
	SN_COL(grant_row, granted_on, SN_COL_TEXT),
	SN_COL(grant_row, township, SN_COL_TEXT),
	SN_COL(grant_row, event_id, SN_COL_TEXT),
	SN_COL(grant_row, household_id, SN_COL_TEXT),
};

static const int BY_OFFICER = 0, BY_PERSON = 1;

static sn_err
grants_alert(sn_tx *tx, const grant_row *r, const bool *pick, size_t n,
    size_t picked, bool by_person)
{
	const grant_row *first = NULL, *last = &r[n - 1];
	json_t          *list = json_array();
	sn_pgarray       pos;
	char             summary[192];
	const char      *subject;
	sn_err           err;

	if (list == NULL)
		return SN_ENOMEM;
	sn_pgarray_init(&pos);
	for (size_t i = 0; i < n; i++) {
		if (!pick[i])
			continue;
		if (first == NULL)
			first = &r[i];
		sn_pgarray_add_i64(&pos, r[i].pos);
		json_array_append_new(list,
		    json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "grant_id",
		        r[i].grant_id, "amount_fen",
		        (json_int_t) r[i].amount_fen, "granted_on",
		        r[i].granted_on, "granted_by", r[i].officer,
		        "township_code", r[i].township, "event_id",
		        r[i].event_id));
	}
	subject = by_person ? (!empty(last->household_id) ? last->household_id
	                                                  : last->grant_id)
	                    : last->officer;
	snprintf(summary, sizeof(summary),
	    "%zu grants each at least %d %% of the %lld fen limit within %d "
	    "days %s",
	    picked, (int) A.limit.percent, (long long) A.limit.limit_fen,
	    (int) A.limit.days,
	    by_person ? "to the same person" : "by the same officer");
	json_t     *ev = json_pack("{s:s, s:I, s:i, s:i, s:o}", "by",
            by_person ? "person" : "officer", "limit_fen",
	        (json_int_t) A.limit.limit_fen, "percent", (int) A.limit.percent,
	        "days", (int) A.limit.days, "grants", list);
	alert_new   a = { ANOMALY_GRANTS_UNDER_LIMIT, subject, first->grant_id,
		  last->township, by_person ? last->household_id : "", NULL,
		  ANOMALY_MEDIUM, summary, ev };
	const char *mark = sn_pgarray_text(&pos);
	err = ev != NULL && mark != NULL ? raise_alert(tx, &a) : SN_ENOMEM;
	if (err == SN_OK) {
		const char *v[4] = { ANOMALY_GRANTS_UNDER_LIMIT, subject,
			first->grant_id, mark };
		err              = sn_tx_query(tx,
                    by_person ? SQL_MARK_PERSON : SQL_MARK_OFFICER, 4, v, NULL,
		                 NULL);
	}
	sn_pgarray_fini(&pos);
	return err;
}

static void
grants_gathered(sn_tx *tx, PGresult *res, void *arg)
{
	sn_rows        rows;
	grant_row     *r    = NULL;
	anomaly_grant *g    = NULL;
	bool          *pick = NULL;
	size_t         n = 0, picked = 0;
	sn_err         err
	    = sn_rows_open(&rows, res, grant_cols, SN_NCOLS(grant_cols));

	if (err == SN_OK && (n = (size_t) sn_rows_count(&rows)) > 0) {
		r    = calloc(n, sizeof(*r));
		g    = calloc(n, sizeof(*g));
		pick = calloc(n, sizeof(*pick));
		if (r == NULL || g == NULL || pick == NULL)
			err = SN_ENOMEM;
	}
	for (size_t i = 0; err == SN_OK && i < n; i++) {
		if ((err = sn_rows_read(&rows, (int) i, &r[i])) != SN_OK)
			break;
		g[i].amount_fen = r[i].amount_fen;
		g[i].approved   = r[i].approved;
		if (sn_date_parse(r[i].granted_on, &g[i].day) != SN_OK)
			err = SN_EPROTO;
	}
	if (err == SN_OK && n > 0
	    && anomaly_rules_grants(g, n, &A.limit, pick, &picked)
	        == ANOMALY_RAISE)
		err = grants_alert(
		    tx, r, pick, n, picked, *(const int *) arg == BY_PERSON);
	free(r);
	free(g);
	free(pick);
	sn_rows_close(&rows);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

/* ---- 5. fast_or_odd_hours --------------------------------------------- */

static const char SQL_STEP_ADD[]
    = "INSERT INTO anomaly_steps (pos, case_id, from_stage, to_stage, "
      "actor, at, township) SELECT e.pos, $2, $3, $4, $5, e.time, $6 "
      "FROM events e WHERE e.event_id = $1::uuid ON CONFLICT DO NOTHING";

static const char SQL_STEPS[]
    = "SELECT s.case_id, s.from_stage, s.to_stage, s.actor, "
      "extract(epoch FROM s.at)::bigint AS at_s, "
      "to_char(s.at AT TIME ZONE 'UTC', " UTC_FORMAT ") AS at, "
      "s.township, e.event_id::text AS event_id, "
      "(e.event_id = $2::uuid) AS current "
      "FROM anomaly_steps s JOIN events e ON e.pos = s.pos "
      "WHERE s.case_id = $1 ORDER BY s.pos";

typedef struct step_row {
	const char *case_id, *from_stage, *to_stage, *actor, *at, *township;
	const char *event_id;
	int64_t     at_s;
	bool        current;
} step_row;

static const sn_col step_cols[] = {
	SN_COL(step_row, case_id, SN_COL_TEXT),
	SN_COL(step_row, from_stage, SN_COL_TEXT),
	SN_COL(step_row, to_stage, SN_COL_TEXT),
	SN_COL(step_row, actor, SN_COL_TEXT),
	SN_COL(step_row, at_s, SN_COL_I64),
	SN_COL(step_row, at, SN_COL_TEXT),
	SN_COL(step_row, township, SN_COL_TEXT),
	SN_COL(step_row, event_id, SN_COL_TEXT),
	SN_COL(step_row, current, SN_COL_BOOL),
};

static bool
is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* The township's decision: out of TOWNSHIP_CONFIRM, forward or not. */
static bool
decision_step(const step_row *s)
{
	return is(s->from_stage, "STAGE_TOWNSHIP_CONFIRM")
	    && (is(s->to_stage, "STAGE_DISTRICT_FILING")
	        || is(s->to_stage, "STAGE_REJECTED"));
}

static json_t *
step_json(const step_row *s)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "from", s->from_stage,
	    "to", s->to_stage, "actor", s->actor, "at", s->at, "event_id",
	    s->event_id);
}

static sn_err
odd_alert(sn_tx *tx, const step_row *s, int32_t minute)
{
	char summary[192], local[16];

	snprintf(local, sizeof(local), "%02d:%02d", (int) (minute / 60),
	    (int) (minute % 60));
	snprintf(summary, sizeof(summary),
	    "a step of the case (%s to %s) was taken at %s, district time",
	    s->from_stage, s->to_stage, local);
	json_t   *ev = json_pack("{s:o, s:s, s:i, s:i, s:i}", "step",
	      step_json(s), "local_time", local, "utc_offset_min",
	      (int) sn_clock_offset_min(), "odd_from_hour", (int) A.odd_from,
	      "odd_to_hour", (int) A.odd_to);
	alert_new a  = { ANOMALY_FAST_OR_ODD_HOURS, s->case_id, "odd_hours",
		 s->township, "", s->event_id, ANOMALY_LOW, summary, ev };
	return ev != NULL ? raise_alert(tx, &a) : SN_ENOMEM;
}

/* One finding (ANOMALY_FAST_DECISION or _STEPS) of a case's steps from
 * ready to the decision (and the filing, for STEPS). */
static sn_err
fast_alert(sn_tx *tx, const step_row *rows, size_t ready, size_t decided,
    size_t filed, unsigned which)
{
	bool            steps_found = which == ANOMALY_FAST_STEPS;
	size_t          last        = steps_found ? filed : decided;
	const step_row *cur         = &rows[last];
	char            summary[192];
	json_t         *steps = json_array();
	int64_t         d     = rows[decided].at_s - rows[ready].at_s;

	if (steps == NULL)
		return SN_ENOMEM;
	for (size_t i = ready; i <= last; i++)
		json_array_append_new(steps, step_json(&rows[i]));
	if (steps_found)
		snprintf(summary, sizeof(summary),
		    "village review, township decision and district filing "
		    "all within %lld seconds of the case being ready",
		    (long long) (rows[filed].at_s - rows[ready].at_s));
	else
		snprintf(summary, sizeof(summary),
		    "decided %lld seconds after the case was ready for "
		    "village "
		    "review",
		    (long long) d);
	json_t   *ev = json_pack("{s:o, s:I, s:o, s:i, s:i}", "steps", steps,
	      "decided_after_s", (json_int_t) d, "filed_after_s",
            steps_found ? json_integer(rows[filed].at_s - rows[ready].at_s)
	                  : json_null(),
	      "min_decision_minutes", (int) A.decision_min, "min_steps_minutes",
	      (int) A.steps_min);
	alert_new a  = { ANOMALY_FAST_OR_ODD_HOURS, cur->case_id,
                steps_found ? "fast_steps" : "fast_decision", cur->township,
		 "", cur->event_id, ANOMALY_MEDIUM, summary, ev };
	return ev != NULL ? raise_alert(tx, &a) : SN_ENOMEM;
}

/* The case's times as of row cur: the last entry into village review
 * before it, the decision after that, the filing after the decision. */
static unsigned
case_fast(const step_row *rows, size_t cur, size_t *ready, size_t *decided,
    size_t *filed)
{
	anomaly_case_times t = { 0, 0, 0 };

	*ready = *decided = *filed = SIZE_MAX;
	for (size_t i = 0; i <= cur; i++) {
		if (is(rows[i].to_stage, "STAGE_VILLAGE_REVIEW")) {
			*ready   = i;
			*decided = *filed = SIZE_MAX;
		} else if (*ready != SIZE_MAX && decision_step(&rows[i])) {
			*decided = i;
			*filed   = SIZE_MAX;
		} else if (*decided != SIZE_MAX
		    && is(rows[i].to_stage, "STAGE_FILED")) {
			*filed = i;
		}
	}
	if (*ready == SIZE_MAX || *decided == SIZE_MAX)
		return 0;
	t.ready   = rows[*ready].at_s;
	t.decided = rows[*decided].at_s;
	t.filed   = *filed != SIZE_MAX ? rows[*filed].at_s : 0;
	return anomaly_rules_fast(&t, A.decision_min, A.steps_min);
}

static void
steps_gathered(sn_tx *tx, PGresult *res, void *arg)
{
	sn_rows   rows;
	step_row *r = NULL;
	size_t    n = 0, cur = SIZE_MAX;
	sn_err err = sn_rows_open(&rows, res, step_cols, SN_NCOLS(step_cols));

	(void) arg;
	if (err == SN_OK && (n = (size_t) sn_rows_count(&rows)) > 0
	    && (r = calloc(n, sizeof(*r))) == NULL)
		err = SN_ENOMEM;
	for (size_t i = 0; err == SN_OK && i < n; i++)
		if ((err = sn_rows_read(&rows, (int) i, &r[i])) == SN_OK
		    && r[i].current)
			cur = i;
	if (err == SN_OK && cur != SIZE_MAX) {
		const step_row *s = &r[cur];
		size_t          ready, decided, filed;
		unsigned        fast;

		if (!empty(s->actor) && !is(s->actor, "system")) {
			int32_t m = anomaly_rules_local_minute(
			    s->at_s, sn_clock_offset_min());

			if (anomaly_rules_odd_minute(m, A.odd_from, A.odd_to))
				err = odd_alert(tx, s, m);
		}
		if (err == SN_OK
		    && (decision_step(s) || is(s->to_stage, "STAGE_FILED"))
		    && (fast = case_fast(r, cur, &ready, &decided, &filed))
		        != 0)
			for (unsigned f = ANOMALY_FAST_DECISION;
			     err == SN_OK && f <= ANOMALY_FAST_STEPS; f <<= 1)
				if (fast & f)
					err = fast_alert(
					    tx, r, ready, decided, filed, f);
	}
	free(r);
	sn_rows_close(&rows);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

/* ---- 6. township_outlier (the periodic scan) -------------------------- */

/* Decisions on applications by township over the window. */
static const char SQL_DECIDED[]
    = "SELECT t AS township, count(*) AS decided, "
      "count(*) FILTER (WHERE approved) AS approved, "
      "count(*) FILTER (WHERE approved AND overridden) AS overridden "
      "FROM (SELECT e.data #>> '{household,township_code}' AS t, "
      "e.data -> 'approved' = 'true'::jsonb AS approved, "
      "coalesce(e.data ->> 'override_reason_code', '') <> '' AS overridden "
      "FROM events e WHERE e.type = 'application.decided' "
      "AND e.time >= to_timestamp($1::bigint)) d "
      "WHERE length(t) >= 6 GROUP BY t ORDER BY t";

typedef struct town_row {
	const char *township;
	int64_t     decided, approved, overridden;
} town_row;

static const sn_col town_cols[] = {
	SN_COL(town_row, township, SN_COL_TEXT),
	SN_COL(town_row, decided, SN_COL_I64),
	SN_COL(town_row, approved, SN_COL_I64),
	SN_COL(town_row, overridden, SN_COL_I64),
};

static json_t *
rate_json(anomaly_rate r)
{
	return json_pack("{s:I, s:I, s:I}", "cases", (json_int_t) r.n,
	    "counted", (json_int_t) r.k, "rate_permille",
	    (json_int_t) (r.n > 0 ? r.k * 1000 / r.n : 0));
}

static sn_err
outlier_alert(sn_tx *tx, const char *township, const char *metric,
    anomaly_rate town, anomaly_rate rest, anomaly_outlier o, int32_t z)
{
	char period[64], summary[192], month[SN_MONTH_STRLEN];

	sn_month_format(sn_clock_month(), month);
	snprintf(period, sizeof(period), "%s:%s", metric, month);
	snprintf(summary, sizeof(summary),
	    "the township's %s (%lld of %lld) is %s than the rest of the "
	    "district's (%lld of %lld), z = %d.%02d",
	    is(metric, "approval_rate") ? "approval rate" : "override rate",
	    (long long) town.k, (long long) town.n,
	    o == ANOMALY_OUT_HIGH ? "higher" : "lower", (long long) rest.k,
	    (long long) rest.n, (int) (z / 100),
	    (int) ((z < 0 ? -z : z) % 100));
	json_t *ev
	    = json_pack("{s:s, s:s, s:i, s:o, s:o, s:i, s:i, s:I}", "metric",
	        metric, "direction", o == ANOMALY_OUT_HIGH ? "high" : "low",
	        "window_days", (int) A.outlier_days, "township",
	        rate_json(town), "rest_of_district", rate_json(rest), "z_x100",
	        (int) z, "threshold_tenths", (int) A.outlier.z_tenths,
	        "min_cases", (json_int_t) A.outlier.min_cases);
	alert_new a = { ANOMALY_TOWNSHIP_OUTLIER, township, period, township,
		"", NULL, o == ANOMALY_OUT_HIGH ? ANOMALY_MEDIUM : ANOMALY_LOW,
		summary, ev };
	return ev != NULL ? raise_alert(tx, &a) : SN_ENOMEM;
}

static void
decided_read(sn_tx *tx, PGresult *res, void *arg)
{
	sn_rows   rows;
	town_row *r = NULL;
	size_t    n = 0;
	sn_err err  = sn_rows_open(&rows, res, town_cols, SN_NCOLS(town_cols));

	(void) arg;
	if (err == SN_OK && (n = (size_t) sn_rows_count(&rows)) > 0
	    && (r = calloc(n, sizeof(*r))) == NULL)
		err = SN_ENOMEM;
	for (size_t i = 0; err == SN_OK && i < n; i++)
		err = sn_rows_read(&rows, (int) i, &r[i]);
	for (size_t i = 0; err == SN_OK && i < n; i++) {
		anomaly_rate    t  = { r[i].decided, r[i].approved };
		anomaly_rate    o  = { r[i].approved, r[i].overridden };
		anomaly_rate    rt = { 0, 0 }, ro = { 0, 0 };
		anomaly_outlier x;
		int32_t         z;

		/* The rest of the district: its other townships. */
		for (size_t j = 0; j < n; j++)
			if (j != i
			    && strncmp(r[j].township, r[i].township, 6) == 0) {
				rt.n += r[j].decided;
				rt.k += r[j].approved;
				ro.n += r[j].approved;
				ro.k += r[j].overridden;
			}
		x = anomaly_rules_outlier(t, rt, &A.outlier, &z);
		if (x != ANOMALY_OUT_NONE)
			err = outlier_alert(
			    tx, r[i].township, "approval_rate", t, rt, x, z);
		x = anomaly_rules_outlier(o, ro, &A.outlier, &z);
		if (err == SN_OK && x == ANOMALY_OUT_HIGH)
			err = outlier_alert(
			    tx, r[i].township, "override_rate", o, ro, x, z);
	}
	free(r);
	sn_rows_close(&rows);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static void
outlier_begin(sn_tx *tx, void *arg)
{
	char        since[24];
	const char *v[1] = { i64(
	    since, sn_clock_now_s() - (int64_t) A.outlier_days * 86400) };
	sn_err err = sn_tx_query(tx, SQL_DECIDED, 1, v, decided_read, NULL);

	(void) arg;
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	sn_tx_commit(tx);
}

static void
outlier_done(sn_err err, void *arg)
{
	(void) arg;
	A.outlying = false;
	if (err == SN_OK)
		sn_counter_add(A.scans, 1);
	else if (err != SN_ECLOSED) {
		sn_counter_add(A.scans_failed, 1);
		sn_log(SN_LOG_WARN,
		    "supervision: the township outlier scan failed; the next "
		    "retries",
		    "error", sn_strerror(err), NULL);
	}
}

static void
on_outlier_tick(void *arg)
{
	(void) arg;
	if (A.outlying || !sn_db_ready(A.s->db)
	    || sn_loop_stopping(sn_service_loop(A.s->svc)))
		return;
	A.outlying = true;
	sn_db_tx(A.s->db, outlier_begin, outlier_done, NULL);
}

/* ---- 7. overdue ------------------------------------------------------- */

static sn_err
on_overdue(sn_tx *tx, const supervision_event *e)
{
	const Sn__Assist__V1__CaseOverdue *m
	    = (const Sn__Assist__V1__CaseOverdue *) e->msg;
	char        summary[160];
	const char *stage
	    = enum_name(&sn__assist__v1__stage__descriptor, (int) m->stage);

	if (empty(m->case_id))
		return SN_OK;
	snprintf(summary, sizeof(summary),
	    "the case passed its deadline %s in stage %s", m->deadline_date,
	    stage);
	json_t   *ev = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "case_id",
	      m->case_id, "application_id", m->application_id, "stage", stage,
	      "deadline_date", m->deadline_date, "held",
	      m->stage == SN__ASSIST__V1__STAGE__STAGE_HELD, "event_id",
	      e->ev->id);
	alert_new a  = { ANOMALY_OVERDUE, m->case_id, "case", m->township_code,
		 "", e->ev->id, ANOMALY_HIGH, summary, ev };
	return ev != NULL ? raise_alert(tx, &a) : SN_ENOMEM;
}

static const char SQL_REFERRAL_ADD[]
    = "INSERT INTO anomaly_referrals (referral_id, pos, grant_id, kind, "
      "township, created_on) SELECT $2, e.pos, $3, $4, $5, "
      "((e.time AT TIME ZONE 'UTC') + make_interval(mins => $6::int))::date "
      "FROM events e WHERE e.event_id = $1::uuid ON CONFLICT DO NOTHING";

static const char SQL_ANSWER_ADD[]
    = "INSERT INTO anomaly_referral_answers (referral_id, pos) "
      "SELECT $2, e.pos FROM events e WHERE e.event_id = $1::uuid "
      "ON CONFLICT DO NOTHING";

/* Referrals unanswered past their deadline, not yet alerted. */
static const char SQL_REFERRALS_DUE[]
    = "SELECT r.referral_id, r.grant_id, r.kind, r.township, "
      "r.created_on::text AS created_on, e.event_id::text AS event_id "
      "FROM anomaly_referrals r JOIN events e ON e.pos = r.pos "
      "WHERE r.created_on < $1::date - $2::int "
      "AND NOT EXISTS (SELECT 1 FROM anomaly_referral_answers x "
      "WHERE x.referral_id = r.referral_id) "
      "AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.rule = 'overdue' "
      "AND a.subject = r.referral_id AND a.period = 'referral') "
      "ORDER BY r.created_on, r.referral_id LIMIT 500";

typedef struct referral_row {
	const char *referral_id, *grant_id, *kind, *township, *created_on;
	const char *event_id;
} referral_row;

static const sn_col referral_cols[] = {
	SN_COL(referral_row, referral_id, SN_COL_TEXT),
	SN_COL(referral_row, grant_id, SN_COL_TEXT),
	SN_COL(referral_row, kind, SN_COL_TEXT),
	SN_COL(referral_row, township, SN_COL_TEXT),
	SN_COL(referral_row, created_on, SN_COL_TEXT),
	SN_COL(referral_row, event_id, SN_COL_TEXT),
};

static sn_err
referral_answer(sn_tx *tx, const supervision_event *e, const char *referral)
{
	const char *v[2] = { e->ev->id, referral };

	if (empty(referral))
		return SN_OK;
	return sn_tx_query(tx, SQL_ANSWER_ADD, 2, v, NULL, NULL);
}

/* services routed an emergency referral to a department: it is taken
 * up, and from here services' deadline (referral.overdue) is the one
 * that counts. */
static sn_err
on_routed(sn_tx *tx, const supervision_event *e)
{
	const Sn__Services__V1__ReferralRouted *m
	    = (const Sn__Services__V1__ReferralRouted *) e->msg;

	return referral_answer(tx, e, m->emergency_referral_id);
}

/* services' own word that a department let a referral pass its kind's
 * deadline unanswered: raised as it comes (services publishes it once;
 * an answer in time means none). A late answer leaves the alert: the
 * delay is the finding, and the answer is on the household's chain. */
static sn_err
on_referral_overdue(sn_tx *tx, const supervision_event *e)
{
	const Sn__Services__V1__ReferralOverdue *m
	    = (const Sn__Services__V1__ReferralOverdue *) e->msg;
	char summary[200];

	if (empty(m->referral_id))
		return SN_OK;
	snprintf(summary, sizeof(summary),
	    "the referral (%s) to %s had no answer by %s", m->kind,
	    m->department, m->deadline_date);
	json_t   *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	      "referral_id", m->referral_id, "household_id", m->household_id,
	      "application_id", m->application_id, "department", m->department,
	      "kind", m->kind, "deadline_date", m->deadline_date, "event_id",
	      e->ev->id);
	alert_new a  = { ANOMALY_OVERDUE, m->referral_id, "referral",
		 m->township_code, "", e->ev->id, ANOMALY_MEDIUM, summary, ev };
	return ev != NULL ? raise_alert(tx, &a) : SN_ENOMEM;
}

static void
referrals_due(sn_tx *tx, PGresult *res, void *arg)
{
	sn_rows rows;
	sn_date today = sn_clock_today();
	sn_err  err
	    = sn_rows_open(&rows, res, referral_cols, SN_NCOLS(referral_cols));
	int n = sn_rows_count(&rows);

	(void) arg;
	for (int i = 0; err == SN_OK && i < n; i++) {
		referral_row r;
		sn_date      made;
		char         summary[160], due[SN_DATE_STRLEN];

		if ((err = sn_rows_read(&rows, i, &r)) != SN_OK)
			break;
		if (sn_date_parse(r.created_on, &made) != SN_OK
		    || !anomaly_rules_referral_overdue(
		        made, A.referral_days, today))
			continue;
		sn_date_format(sn_date_add_days(made, A.referral_days), due);
		snprintf(summary, sizeof(summary),
		    "the referral (%s) made on %s had no answer by %s", r.kind,
		    r.created_on, due);
		json_t   *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i}",
		      "referral_id", r.referral_id, "grant_id", r.grant_id,
		      "kind", r.kind, "created_on", r.created_on,
		      "deadline_date", due, "event_id", r.event_id, "days",
		      (int) A.referral_days);
		alert_new a
		    = { ANOMALY_OVERDUE, r.referral_id, "referral", r.township,
			      "", r.event_id, ANOMALY_MEDIUM, summary, ev };
		err = ev != NULL ? raise_alert(tx, &a) : SN_ENOMEM;
	}
	sn_rows_close(&rows);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

/* ---- the scan: waiting checks and overdue referrals ------------------- */

static const char SQL_TODO_EXPIRE[]
    = "DELETE FROM anomaly_todo WHERE added_at < now() - "
      "make_interval(days => $1::int)";
static const char SQL_TODO_LIST[]
    = "SELECT rule, key FROM anomaly_todo ORDER BY checked_at, rule, key "
      "LIMIT 200";

typedef struct todo_row {
	const char *rule, *key;
} todo_row;

static const sn_col todo_cols[] = {
	SN_COL(todo_row, rule, SN_COL_TEXT),
	SN_COL(todo_row, key, SN_COL_TEXT),
};

static void
todo_read(sn_tx *tx, PGresult *res, void *arg)
{
	sn_rows rows;
	sn_err  err = sn_rows_open(&rows, res, todo_cols, SN_NCOLS(todo_cols));
	int     n   = sn_rows_count(&rows);

	(void) arg;
	for (int i = 0; err == SN_OK && i < n; i++) {
		todo_row t;

		if ((err = sn_rows_read(&rows, i, &t)) != SN_OK)
			break;
		if (is(t.rule, ANOMALY_SHARED_ACCOUNT))
			err = shared_account_check(tx, t.key, &FROM_SCAN);
		else if (!sn_uuid_valid(t.key))
			err = settle(tx, t.rule, t.key, ANOMALY_NONE, true);
		else if (is(t.rule, ANOMALY_PAID_AFTER_DEATH))
			err = death_check(tx, t.key, &FROM_SCAN);
		else if (is(t.rule, ANOMALY_RELATIVE_CONFLICT))
			err = relative_check(tx, t.key, &FROM_SCAN);
		else
			err = settle(tx, t.rule, t.key, ANOMALY_NONE, true);
	}
	sn_rows_close(&rows);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static void
scan_begin(sn_tx *tx, void *arg)
{
	char        days[24], today[SN_DATE_STRLEN], rdays[24];
	const char *w[1] = { i64(days, A.wait_days) };
	const char *r[2] = { sn_date_format(sn_clock_today(), today),
		i64(rdays, A.referral_days) };
	sn_err      err  = sn_tx_query(tx, SQL_LOCK, 0, NULL, NULL, NULL);

	(void) arg;
	if (err == SN_OK)
		err = sn_tx_query(tx, SQL_TODO_EXPIRE, 1, w, NULL, NULL);
	if (err == SN_OK)
		err = sn_tx_query(tx, SQL_TODO_LIST, 0, NULL, todo_read, NULL);
	if (err == SN_OK)
		err = sn_tx_query(
		    tx, SQL_REFERRALS_DUE, 2, r, referrals_due, NULL);
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	sn_tx_commit(tx);
}

static void
scan_done(sn_err err, void *arg)
{
	(void) arg;
	A.scanning = false;
	if (err == SN_OK)
		sn_counter_add(A.scans, 1);
	else if (err != SN_ECLOSED) {
		sn_counter_add(A.scans_failed, 1);
		sn_log(SN_LOG_WARN,
		    "supervision: the anomaly scan failed; the next retries",
		    "error", sn_strerror(err), NULL);
	}
}

static void
on_scan_tick(void *arg)
{
	(void) arg;
	if (A.scanning || !sn_db_ready(A.s->db)
	    || sn_loop_stopping(sn_service_loop(A.s->svc)))
		return;
	A.scanning = true;
	sn_db_tx(A.s->db, scan_begin, scan_done, NULL);
}

/* ---- the events ------------------------------------------------------- */

static sn_err
on_submitted(sn_tx *tx, const supervision_event *e)
{
	const Sn__Assist__V1__ApplicationSubmitted *m
	    = (const Sn__Assist__V1__ApplicationSubmitted *) e->msg;
	sn_err err = account_use(tx, e, payee_number(m->payee));

	if (err == SN_OK)
		err = referral_answer(tx, e, m->referral_id);
	return err == SN_OK ? acts_again(tx, e) : err;
}

static sn_err
on_decided(sn_tx *tx, const supervision_event *e)
{
	const Sn__Assist__V1__ApplicationDecided *m
	    = (const Sn__Assist__V1__ApplicationDecided *) e->msg;
	return account_use(tx, e, payee_number(m->payee));
}

static sn_err
on_beneficiary(sn_tx *tx, const supervision_event *e)
{
	const Sn__Assist__V1__BeneficiaryChanged *m
	    = (const Sn__Assist__V1__BeneficiaryChanged *) e->msg;
	sn_err   err = account_use(tx, e, payee_number(m->payee));
	sn_month until;

	if (err == SN_OK
	    && m->status
	        == SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_EXITED
	    && m->cause == SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_DEATH
	    && sn_month_parse(m->until_month, &until) == SN_OK)
		err = death_fact(tx, e, "", sn_month_last(until));
	return err == SN_OK ? acts_again(tx, e) : err;
}

static sn_err
on_change(sn_tx *tx, const supervision_event *e)
{
	const Sn__Assist__V1__HouseholdChangeReported *m
	    = (const Sn__Assist__V1__HouseholdChangeReported *) e->msg;
	char    idx[SN_SEAL_INDEX_HEX + 1];
	sn_date died;

	if (m->kind != SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_DEATH
	    || empty(m->member_id_number))
		return acts_again(tx, e);
	if (sn_date_parse(m->effective_date, &died) != SN_OK
	    && sn_date_parse(m->reported_on, &died) != SN_OK) {
		sn_log(SN_LOG_WARN,
		    "supervision: a death report without a valid date is not "
		    "watched for payments",
		    "event", e->ev->id, NULL);
		return acts_again(tx, e);
	}
	sn_seal_index(
	    A.s->seal, SUPERVISION_PERSON_COLUMN, m->member_id_number, idx);
	sn_err err = death_fact(tx, e, idx, died);
	return err == SN_OK ? acts_again(tx, e) : err;
}

static sn_err
on_payee(sn_tx *tx, const supervision_event *e)
{
	const Sn__Pay__V1__PayeeChanged *m
	    = (const Sn__Pay__V1__PayeeChanged *) e->msg;
	return account_use(tx, e, m->account_number);
}

static sn_err
on_scheduled(sn_tx *tx, const supervision_event *e)
{
	const Sn__Pay__V1__PaymentScheduled *m
	    = (const Sn__Pay__V1__PaymentScheduled *) e->msg;
	sn_err err = account_use(tx, e, m->account_number);

	if (err == SN_OK)
		err = monthly_payment(tx, e, "scheduled", m->payment_id,
		    m->ref, m->amount_fen, m->township_code);
	return err;
}

static sn_err
on_settled(sn_tx *tx, const supervision_event *e)
{
	const Sn__Pay__V1__PaymentSettled *m
	    = (const Sn__Pay__V1__PaymentSettled *) e->msg;
	return monthly_payment(
	    tx, e, "settled", m->payment_id, m->ref, m->amount_fen, "");
}

static sn_err
on_granted(sn_tx *tx, const supervision_event *e)
{
	const Sn__Assist__V1__EmergencyGranted *m
	    = (const Sn__Assist__V1__EmergencyGranted *) e->msg;
	char   idx[SN_SEAL_INDEX_HEX + 1] = "", amt[24], off[24];
	sn_err err = account_use(tx, e, payee_number(m->payee));

	/* Later instalments of transitional aid are the same grant. */
	if (err != SN_OK || m->instalment > 1 || empty(m->grant_id))
		return err == SN_OK ? acts_again(tx, e) : err;
	if (!empty(m->id_number))
		sn_seal_index(
		    A.s->seal, SUPERVISION_PERSON_COLUMN, m->id_number, idx);
	int64_t     amount = m->total_fen > 0 ? m->total_fen : m->amount_fen;
	const char *v[8]   = { e->ev->id, m->grant_id, m->granted_by, idx,
		  i64(amt, amount), empty(m->approved_by) ? "false" : "true",
		  m->township_code, offset_param(off) };
	err                = sn_tx_query(tx, SQL_GRANT_ADD, 8, v, NULL, NULL);
	if (err == SN_OK) {
		char        days[24];
		const char *w[2] = { e->ev->id, i64(days, A.limit.days) };

		err = sn_tx_query(tx, SQL_GRANTS_OFFICER, 2, w,
		    grants_gathered, (void *) &BY_OFFICER);
		if (err == SN_OK && idx[0] != '\0')
			err = sn_tx_query(tx, SQL_GRANTS_PERSON, 2, w,
			    grants_gathered, (void *) &BY_PERSON);
	}
	if (err == SN_OK && idx[0] != '\0')
		err = payment_fact(tx, e, "granted", m->grant_id, "", idx,
		    amount, m->township_code);
	return err == SN_OK ? acts_again(tx, e) : err;
}

static sn_err
on_referral(sn_tx *tx, const supervision_event *e)
{
	const Sn__Assist__V1__ReferralCreated *m
	    = (const Sn__Assist__V1__ReferralCreated *) e->msg;
	char   off[24];
	sn_err err = account_use(tx, e, payee_number(m->payee));

	if (err == SN_OK && !empty(m->referral_id)) {
		const char *v[6] = { e->ev->id, m->referral_id, m->grant_id,
			enum_name(&sn__assist__v1__referral_kind__descriptor,
			    (int) m->kind),
			m->township_code, offset_param(off) };
		err = sn_tx_query(tx, SQL_REFERRAL_ADD, 6, v, NULL, NULL);
	}
	return err == SN_OK ? acts_again(tx, e) : err;
}

static sn_err
on_stage(sn_tx *tx, const supervision_event *e)
{
	const Sn__Assist__V1__CaseStageChanged *m
	    = (const Sn__Assist__V1__CaseStageChanged *) e->msg;
	const char *v[6] = { e->ev->id, m->case_id, stage_name(m->from),
		stage_name(m->to), m->actor, m->township_code };
	const char *w[2] = { m->case_id, e->ev->id };
	sn_err      err;

	if (empty(m->case_id))
		return SN_OK;
	err = sn_tx_query(tx, SQL_STEP_ADD, 6, v, NULL, NULL);
	return err == SN_OK
	    ? check_read(tx, SQL_STEPS, 2, w, steps_gathered, &FROM_EVENT)
	    : err;
}

static sn_err
on_acted(sn_tx *tx, const supervision_event *e)
{
	const Sn__Supervision__V1__StaffActed *m
	    = (const Sn__Supervision__V1__StaffActed *) e->msg;
	char   idx[SN_SEAL_INDEX_HEX + 1], status[24];
	sn_err err;

	/* identity's actions are about users, never a household's case */
	if (empty(m->actor_id_number) || is(m->service, "identity"))
		return SN_OK;
	sn_seal_index(
	    A.s->seal, SUPERVISION_PERSON_COLUMN, m->actor_id_number, idx);
	const char *v[9] = { e->ev->id, idx, m->user_id, m->role, m->service,
		m->route, m->subject, i64(status, (int64_t) m->status),
		m->outcome_code };
	if ((err = sn_tx_query(tx, SQL_ACT_ADD, 9, v, NULL, NULL)) != SN_OK)
		return err;
	return relative_check(tx, e->ev->id, &FROM_EVENT);
}

static const struct {
	const char *type;
	sn_err (*fn)(sn_tx *tx, const supervision_event *e);
} handlers[] = {
	{ "application.submitted", on_submitted },
	{ "application.resubmitted", on_submitted },
	{ "application.decided", on_decided },
	{ "beneficiary.changed", on_beneficiary },
	{ "household.change_reported", on_change },
	{ "payee.changed", on_payee },
	{ "payment.scheduled", on_scheduled },
	{ "payment.settled", on_settled },
	{ "emergency.granted", on_granted },
	{ "referral.created", on_referral },
	{ "case.stage_changed", on_stage },
	{ "case.overdue", on_overdue },
	{ "staff.acted", on_acted },
	{ "referral.routed", on_routed },
	{ "referral.overdue", on_referral_overdue },
};

sn_err
supervision_anomaly_on_event(
    supervision *s, sn_tx *tx, const supervision_event *e)
{
	const char *type = e->ev->type;

	(void) s;
	if (e->msg == NULL)
		return SN_OK;
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (is(handlers[i].type, type))
			return handlers[i].fn(tx, e);
	return SN_OK;
}

/* ---- HTTP ------------------------------------------------------------- */

static void
reply_unavailable(sn_http_req *req)
{
	sn_http_reply_error(req, 503, "unavailable",
	    "the alerts could not be read; retry", NULL);
}

static const char SQL_LIST[]
    = "SELECT " ALERT_COLS " FROM alerts WHERE n > $1::bigint "
      "AND ($2::text IS NULL OR rule = $2) "
      "AND ($3::text IS NULL OR state = $3) "
      "AND ($4::text IS NULL OR township = $4) "
      "ORDER BY n LIMIT $5::bigint";

typedef struct list_ctx {
	sn_http_req *req;
	int64_t      limit;
} list_ctx;

static void
listed(sn_err err, PGresult *res, void *arg)
{
	list_ctx *c = arg;
	sn_rows   rows;
	json_t   *items = json_array(), *ans = NULL;
	int64_t   last = 0;
	int       n    = 0;

	if (err == SN_OK && items != NULL
	    && (err = sn_rows_open(
	            &rows, res, alert_cols, SN_NCOLS(alert_cols)))
	        == SN_OK) {
		n = sn_rows_count(&rows);
		for (int i = 0; err == SN_OK && i < n && i < c->limit; i++) {
			alert_row r;

			if ((err = sn_rows_read(&rows, i, &r)) == SN_OK) {
				json_array_append_new(items, alert_json(&r));
				last = r.n;
			}
		}
		sn_rows_close(&rows);
	}
	if (err == SN_OK && items != NULL) {
		ans   = sn_page_answer(items, n > c->limit, last);
		items = NULL;
	}
	json_decref(items);
	if (ans == NULL)
		reply_unavailable(c->req);
	else
		sn_http_reply_json(c->req, 200, ans);
	free(c);
}

/* Township filter: a division code, 6 to 12 digits. */
static bool
township_ok(const char *t)
{
	size_t n = strlen(t);

	if (n < 6 || n > 12)
		return false;
	for (size_t i = 0; i < n; i++)
		if (t[i] < '0' || t[i] > '9')
			return false;
	return true;
}

void
supervision_anomaly_list(sn_http_req *req, void *arg)
{
	const char   *rule  = sn_http_query(req, "rule");
	const char   *state = sn_http_query(req, "state");
	const char   *town  = sn_http_query(req, "township");
	anomaly_state st;
	sn_page       pg;
	sn_problem    p;
	char          after[24], lim[24];

	(void) arg;
	sn_problem_clear(&p);
	if (rule != NULL && !anomaly_rules_rule_valid(rule))
		sn_problem_set(&p, 422, "invalid_query", "rule",
		    "rule is one of shared_account, paid_after_death, "
		    "relative_conflict, grants_under_limit, "
		    "fast_or_odd_hours, "
		    "township_outlier, overdue");
	else if (state != NULL && !anomaly_rules_state_parse(state, &st))
		sn_problem_set(&p, 422, "invalid_query", "state",
		    "state is open, assigned or closed");
	else if (town != NULL && !township_ok(town))
		sn_problem_set(&p, 422, "invalid_query", "township",
		    "township is a division code of 6 to 12 digits");
	else
		sn_page_query(req, &pg, &p);
	if (sn_problem_is_set(&p)) {
		sn_http_problem(req, &p);
		return;
	}
	list_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		reply_unavailable(req);
		return;
	}
	c->req           = req;
	c->limit         = pg.limit;
	const char *v[5] = { i64(after, pg.after), rule, state, town,
		i64(lim, pg.limit + 1) };
	sn_db_query(A.s->db, SQL_LIST, 5, v, listed, c);
}

static const char SQL_GET[] = "SELECT " ALERT_COLS " FROM alerts "
                              "WHERE id = $1::uuid";

static void
got(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	alert_row    r;
	bool         found = false;

	if (err == SN_OK)
		err = sn_rows_opt(
		    res, alert_cols, SN_NCOLS(alert_cols), &r, &found);
	if (err != SN_OK)
		reply_unavailable(req);
	else if (!found)
		sn_http_reply_error(
		    req, 404, "not_found", "no alert has this id", "id");
	else
		sn_http_reply_json(req, 200, alert_json(&r));
}

void
supervision_anomaly_get(sn_http_req *req, void *arg)
{
	const char *id = sn_http_param(req, "id");

	(void) arg;
	if (!sn_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no alert has this id", "id");
		return;
	}
	const char *v[1] = { id };
	sn_db_query(A.s->db, SQL_GET, 1, v, got, req);
}

/* An assignment or a closure, in one transaction: the alert locked, the
 * rule checked, the change, its alert.raised, the answer. */
typedef struct change_ctx {
	sn_http_req  *req;
	bool          closing;
	const char   *id;
	const char   *assignee; /* the body's, borrowed */
	const char   *note;
	anomaly_state state;
} change_ctx;

static const char SQL_LOCK_ALERT[]
    = "SELECT state FROM alerts WHERE id = $1::uuid FOR UPDATE";
/* What identity last said of the user (user.changed, in the log). */
static const char SQL_USER[]
    = "SELECT e.data ->> 'kind' AS kind, e.data ->> 'role' AS role, "
      "e.data -> 'disabled' = 'true'::jsonb AS disabled FROM events e "
      "WHERE e.type = 'user.changed' AND e.data ->> 'user_id' = $1 "
      "ORDER BY e.pos DESC LIMIT 1";
static const char SQL_ASSIGN[]
    = "UPDATE alerts SET state = 'assigned', assignee = $2, "
      "assigned_at = now(), assigned_by = $3 WHERE id = $1::uuid "
      "RETURNING " ALERT_COLS;
static const char SQL_CLOSE[]
    = "UPDATE alerts SET state = 'closed', closed_at = now(), "
      "closed_by = $2, note = $3 WHERE id = $1::uuid RETURNING " ALERT_COLS;

typedef struct state_row {
	const char *state;
} state_row;

static const sn_col state_cols[] = {
	SN_COL(state_row, state, SN_COL_TEXT),
};

typedef struct user_row {
	const char *kind, *role;
	bool        disabled, has_kind, has_role, has_disabled;
} user_row;

static const sn_col user_cols[] = {
	SN_COL_OPT(user_row, kind, SN_COL_TEXT, has_kind),
	SN_COL_OPT(user_row, role, SN_COL_TEXT, has_role),
	SN_COL_OPT(user_row, disabled, SN_COL_BOOL, has_disabled),
};

static void
changed(sn_tx *tx, PGresult *res, void *arg)
{
	change_ctx *c = arg;
	alert_row   r;
	sn_err err = sn_rows_one(res, alert_cols, SN_NCOLS(alert_cols), &r);

	if (err == SN_OK)
		err = publish(tx, &r, sn_http_principal(c->req)->user);
	if (err != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the change could not be recorded; retry", NULL);
		return;
	}
	sn_counter_add(A.changed, 1);
	sn_http_tx_reply(c->req, tx, 200, alert_json(&r));
}

static void
user_got(sn_tx *tx, PGresult *res, void *arg)
{
	change_ctx      *c = arg;
	user_row         u;
	bool             found = false;
	anomaly_assignee a     = { false, NULL, NULL, false };
	sn_problem       p;

	sn_problem_clear(&p);
	if (sn_rows_opt(res, user_cols, SN_NCOLS(user_cols), &u, &found)
	    != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable", "retry", NULL);
		return;
	}
	if (found)
		a = (anomaly_assignee) { true, u.kind, u.role,
			u.has_disabled && u.disabled };
	if (!anomaly_rules_assign(c->state, &a, &p)) {
		sn_http_tx_problem(c->req, tx, &p);
		return;
	}
	const char *v[3]
	    = { c->id, c->assignee, sn_http_principal(c->req)->user };
	if (sn_tx_query(tx, SQL_ASSIGN, 3, v, changed, c) != SN_OK)
		sn_http_tx_fail(c->req, tx, 503, "unavailable", "retry", NULL);
}

static void
alert_locked(sn_tx *tx, PGresult *res, void *arg)
{
	change_ctx *c = arg;
	state_row   s;
	bool        found = false;
	sn_problem  p;
	sn_err      err;

	sn_problem_clear(&p);
	if (sn_rows_opt(res, state_cols, SN_NCOLS(state_cols), &s, &found)
	        != SN_OK
	    || (found && !anomaly_rules_state_parse(s.state, &c->state))) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable", "retry", NULL);
		return;
	}
	if (!found) {
		sn_http_tx_fail(c->req, tx, 404, "not_found",
		    "no alert has this id", "id");
		return;
	}
	if (c->closing) {
		if (!anomaly_rules_close(c->state, c->note, &p)) {
			sn_http_tx_problem(c->req, tx, &p);
			return;
		}
		const char *v[3]
		    = { c->id, sn_http_principal(c->req)->user, c->note };
		err = sn_tx_query(tx, SQL_CLOSE, 3, v, changed, c);
	} else {
		const char *v[1] = { c->assignee };
		err = sn_tx_query(tx, SQL_USER, 1, v, user_got, c);
	}
	if (err != SN_OK)
		sn_http_tx_fail(c->req, tx, 503, "unavailable", "retry", NULL);
}

static void
change_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	change_ctx *c    = arg;
	const char *v[1] = { c->id };

	(void) req;
	if (sn_tx_query(tx, SQL_LOCK_ALERT, 1, v, alert_locked, c) != SN_OK)
		sn_http_tx_fail(c->req, tx, 503, "unavailable", "retry", NULL);
}

static void
change(sn_http_req *req, bool closing)
{
	static const char *const assign_keys[] = { "assignee", NULL };
	static const char *const close_keys[]  = { "note", NULL };
	const json_t            *body          = sn_http_json(req);
	const char              *id            = sn_http_param(req, "id");
	const char              *assignee = NULL, *note = NULL;
	sn_problem               p;

	sn_problem_clear(&p);
	if (!sn_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no alert has this id", "id");
		return;
	}
	if (body == NULL)
		sn_problem_set(&p, 422, "invalid_type", NULL,
		    "the body is a JSON object");
	else if (closing) {
		/* absent, null, "" or blank: note_required (the state is
		 * checked in the transaction) */
		if (sn_in_only(body, close_keys, "", &p)
		    && sn_in_str(body, "note", "",
		        SN_IN_MULTILINE | SN_IN_NULLABLE, ANOMALY_NOTE_MAX,
		        &note, &p))
			anomaly_rules_close(ANOMALY_OPEN, note, &p);
	} else if (sn_in_only(body, assign_keys, "", &p))
		sn_in_str(body, "assignee", "",
		    SN_IN_REQUIRED | SN_IN_NONEMPTY, 64, &assignee, &p);
	if (sn_problem_is_set(&p)) {
		sn_http_problem(req, &p);
		return;
	}
	change_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	c->req      = req;
	c->closing  = closing;
	c->id       = id;
	c->assignee = assignee;
	c->note     = note;
	sn_http_tx_with_end(req, change_begin, free, c);
}

void
supervision_anomaly_assign(sn_http_req *req, void *arg)
{
	(void) arg;
	change(req, false);
}

void
supervision_anomaly_close(sn_http_req *req, void *arg)
{
	(void) arg;
	change(req, true);
}

/* ---- wiring ----------------------------------------------------------- */

sn_err
supervision_anomaly_setup(supervision *s)
{
	int64_t scan_ms = sn_config_int(
	    "SN_SUPERVISION_ANOMALY_SCAN_MS", 60000, 50, 86400000);
	int64_t outlier_ms = sn_config_int(
	    "SN_SUPERVISION_OUTLIER_SCAN_MS", 3600000, 50, 86400000);
	char label[64];

	A.s               = s;
	s->anomaly        = &A;
	A.limit.limit_fen = sn_config_int(
	    "SN_SUPERVISION_GRANT_LIMIT_FEN", 300000, 1, 100000000);
	A.limit.percent = (int32_t) sn_config_int(
	    "SN_SUPERVISION_UNDER_LIMIT_PERCENT", 90, 1, 100);
	A.limit.count = (int32_t) sn_config_int(
	    "SN_SUPERVISION_UNDER_LIMIT_GRANTS", 3, 2, 1000);
	A.limit.days = (int32_t) sn_config_int(
	    "SN_SUPERVISION_UNDER_LIMIT_DAYS", 90, 1, 3660);
	A.decision_min = (int32_t) sn_config_int(
	    "SN_SUPERVISION_FAST_DECISION_MINUTES", 60, 0, 525600);
	A.steps_min = (int32_t) sn_config_int(
	    "SN_SUPERVISION_FAST_STEPS_MINUTES", 30, 0, 525600);
	A.odd_from = (int32_t) sn_config_int(
	    "SN_SUPERVISION_ODD_HOURS_FROM", 22, 0, 23);
	A.odd_to
	    = (int32_t) sn_config_int("SN_SUPERVISION_ODD_HOURS_TO", 6, 0, 23);
	A.outlier.min_cases = sn_config_int(
	    "SN_SUPERVISION_OUTLIER_MIN_CASES", 20, 1, 1000000);
	A.outlier.z_tenths = (int32_t) sn_config_int(
	    "SN_SUPERVISION_OUTLIER_Z_TENTHS", 20, 1, 1000);
	A.outlier_days = (int32_t) sn_config_int(
	    "SN_SUPERVISION_OUTLIER_DAYS", 365, 1, 3660);
	A.referral_days = (int32_t) sn_config_int(
	    "SN_SUPERVISION_REFERRAL_DAYS", 15, 1, 366);
	A.wait_days = (int32_t) sn_config_int(
	    "SN_SUPERVISION_ANOMALY_WAIT_DAYS", 30, 1, 3650);
	for (size_t i = 0; i < NRULES; i++) {
		snprintf(label, sizeof(label), "rule=\"%s\"",
		    anomaly_rules_names[i]);
		if ((A.raised[i] = sn_metrics_counter(s->metrics,
		         "sn_supervision_alerts_raised_total",
		         "Alerts raised by the anomaly rules, by rule", label))
		    == NULL)
			return SN_ENOMEM;
	}
	A.changed      = sn_metrics_counter(s->metrics,
	         "sn_supervision_alerts_changed_total", "Alerts assigned or closed",
	         NULL);
	A.scans        = sn_metrics_counter(s->metrics,
	           "sn_supervision_anomaly_scans_total",
	           "Anomaly scans (waiting checks, referrals, outliers) that "
	                  "committed",
	           NULL);
	A.scans_failed = sn_metrics_counter(s->metrics,
	    "sn_supervision_anomaly_scans_failed_total",
	    "Anomaly scans that failed (the next retries)", NULL);
	if (A.changed == NULL || A.scans == NULL || A.scans_failed == NULL)
		return SN_ENOMEM;
	sn_err err = sn_service_every(s->svc, (uint64_t) scan_ms,
	    (uint64_t) scan_ms, on_scan_tick, NULL);
	if (err == SN_OK)
		err = sn_service_every(s->svc, (uint64_t) outlier_ms,
		    (uint64_t) outlier_ms, on_outlier_tick, NULL);
	return err;
}
