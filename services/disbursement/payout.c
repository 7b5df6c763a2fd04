/*
 * payout.c - building runs, sending instructions, asking the bank; see
 * payout.h. Each piece is a context owned by exactly one of: the
 * transaction it runs in (freed in the done callback) or the bank call
 * it waits for (handed on to the apply transaction, which frees it).
 */
#include "payout.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "rules.h"
#include "sn/log.h"
#include "store.h"

/* Sent payments of this process older than this are asked about too: a
 * batch whose answer could not be applied is never left behind. */
#define STALE_FACTOR 4u

static const char *const sendable_funds[] = { "dibao", "tekun", "emergency" };
#define NSENDABLE 3

static void
random_hex(char *out, size_t nbytes)
{
	uint8_t b[32];
	if (nbytes > sizeof(b))
		nbytes = sizeof(b);
	if (getrandom(b, nbytes, 0) != (ssize_t) nbytes)
		abort(); /* no randomness: nothing safe to do */
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void tick(disbursement *d);

/* ---- building ----------------------------------------------------------- */

typedef struct build {
	disbursement *d;
	char          run_id[40];
	char          period[8];
	char          created_by[64];
	int           year;
	int64_t       room[DISBURSEMENT_NFUNDS];
	bool          live;  /* the run was still building */
	bool          more;  /* a full chunk: go on at once */
	int64_t       made;  /* payments created in this chunk */
	bool          ended; /* moved to awaiting_approval */
} build;

static void
build_end_cb(sn_tx *tx, PGresult *res, void *arg)
{
	build *b = arg;
	if (PQntuples(res) != 1)
		return;
	b->ended   = true;
	sn_err err = disbursement_run_changed(b->d, tx, b->run_id, b->period,
	    "awaiting_approval", sn_db_i64(res, 0, 1), sn_db_i64(res, 0, 2),
	    "system");
	if (err != SN_OK && !sn_tx_failed(tx))
		sn_tx_rollback(tx, err);
}

static void
build_cb(sn_tx *tx, PGresult *res, void *arg)
{
	build *b = arg;
	(void) tx;
	if (PQntuples(res) == 1)
		b->made = sn_db_i64(res, 0, 0);
}

static disbursement_standing
standing(const char *s)
{
	if (strcmp(s, "exited") == 0)
		return DISBURSEMENT_EXITED;
	if (strcmp(s, "gradual_exit") == 0)
		return DISBURSEMENT_GRADUAL_EXIT;
	return DISBURSEMENT_ACTIVE;
}

static void
chunk_cb(sn_tx *tx, PGresult *res, void *arg)
{
	build *b     = arg;
	int    nrows = PQntuples(res);
	if (!b->live)
		return;
	sn_err err = SN_OK;
	if (nrows > 0) {
		disbursement_payee *p    = calloc((size_t) nrows, sizeof(*p));
		disbursement_take  *take = calloc((size_t) nrows, sizeof(*take));
		int64_t            *ids  = calloc((size_t) nrows, sizeof(*ids));
		if (p == NULL || take == NULL || ids == NULL) {
			free(p);
			free(take);
			free(ids);
			sn_tx_rollback(tx, SN_ENOMEM);
			return;
		}
		for (int i = 0; i < nrows; i++) {
			p[i].id = sn_db_i64(res, i, 0);
			p[i].fund
			    = disbursement_rules_fund_parse(PQgetvalue(res, i, 1));
			p[i].standing       = standing(PQgetvalue(res, i, 2));
			p[i].monthly_fen    = sn_db_i64(res, i, 3);
			p[i].from_month     = PQgetvalue(res, i, 4);
			p[i].until_month    = PQgetisnull(res, i, 5)
			       ? NULL
			       : PQgetvalue(res, i, 5);
			p[i].account_number = PQgetvalue(res, i, 6);
			p[i].already_paid   = PQgetvalue(res, i, 7)[0] == 't';
		}
		disbursement_chunk c;
		disbursement_rules_build(p, (size_t) nrows, b->period, b->room,
		    take, &c);
		size_t n = 0;
		for (int i = 0; i < nrows; i++)
			if (take[i] == DISBURSEMENT_PAY)
				ids[n++] = p[i].id;
		err = disbursement_store_build(tx, b->run_id, b->period,
		    b->year, ids, n, p[nrows - 1].id, c.short_count,
		    c.short_fen, "system", build_cb, b);
		free(p);
		free(take);
		free(ids);
	}
	b->more = nrows == b->d->cfg.build_chunk;
	if (err == SN_OK && !b->more)
		err = disbursement_store_build_end(tx, b->run_id, build_end_cb, b);
	if (err != SN_OK && !sn_tx_failed(tx))
		sn_tx_rollback(tx, err);
}

static void
room_cb(sn_tx *tx, PGresult *res, void *arg)
{
	build *b = arg;
	(void) tx;
	for (int i = 0; i < PQntuples(res); i++) {
		disbursement_fund f
		    = disbursement_rules_fund_parse(PQgetvalue(res, i, 0));
		if (f != DISBURSEMENT_FUND_NONE)
			b->room[f] = sn_db_i64(res, i, 1);
	}
}

static void
lock_cb(sn_tx *tx, PGresult *res, void *arg)
{
	build *b = arg;
	if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "building") != 0)
		return; /* rejected or finished meanwhile: nothing to do */
	b->live    = true;
	sn_err err = disbursement_store_budget_room(tx, b->year, room_cb, b);
	if (err == SN_OK)
		err = disbursement_store_chunk(tx, b->period,
		    sn_db_i64(res, 0, 3), b->d->cfg.build_chunk, chunk_cb, b);
	if (err != SN_OK && !sn_tx_failed(tx))
		sn_tx_rollback(tx, err);
}

static void
build_begin(sn_tx *tx, void *arg)
{
	build *b = arg;
	if (disbursement_store_run_lock(tx, b->run_id, lock_cb, b) != SN_OK) {
		sn_tx_rollback(tx, SN_EDB);
		return;
	}
	sn_tx_commit(tx);
}

static void
build_done(sn_err err, void *arg)
{
	build        *b = arg;
	disbursement *d = b->d;
	d->building     = false;
	if (err != SN_OK) {
		sn_log(SN_LOG_WARN, "run chunk failed; retrying", "run_id",
		    b->run_id, "error", sn_strerror(err), NULL);
	} else if (b->ended) {
		sn_counter_add(d->runs_built, 1);
		sn_log(SN_LOG_INFO, "run built", "run_id", b->run_id, "period",
		    b->period, NULL);
	}
	bool again = err == SN_OK && b->live && (b->more || b->ended);
	free(b);
	if (again)
		disbursement_payout_kick(d);
}

static void
building_found(sn_err err, PGresult *res, void *arg)
{
	disbursement *d = arg;
	if (err != SN_OK || res == NULL || PQntuples(res) != 1 || d->stopping) {
		d->building = false;
		return;
	}
	build *b = calloc(1, sizeof(*b));
	int    year;
	if (b == NULL
	    || !disbursement_rules_period_parse(PQgetvalue(res, 0, 1), &year, NULL)) {
		free(b);
		d->building = false;
		return;
	}
	b->d    = d;
	b->year = year;
	snprintf(b->run_id, sizeof(b->run_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(b->period, sizeof(b->period), "%s", PQgetvalue(res, 0, 1));
	snprintf(b->created_by, sizeof(b->created_by), "%s",
	    PQgetvalue(res, 0, 3));
	sn_db_tx(sn_service_db(d->svc), build_begin, build_done, b);
}

/* ---- applying the bank's word ------------------------------------------ */

typedef struct answer {
	disbursement *d;
	bool          is_batch; /* from a batch (else a status query) */
	char          batch_id[40];
	enum { ANS_APPLY, ANS_UNCLAIM, ANS_ORPHAN } what;
	size_t        n;
	char        **e2e, **status, **code, **reason, **settled_at;
	int64_t       counts[4];
} answer;

static void
answer_free(answer *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->e2e[i]);
		free(a->status[i]);
		free(a->code[i]);
		free(a->reason[i]);
		free(a->settled_at[i]);
	}
	free(a->e2e);
	free(a->status);
	free(a->code);
	free(a->reason);
	free(a->settled_at);
	free(a);
}

static answer *
answer_new(disbursement *d, size_t n)
{
	answer *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->d          = d;
	a->e2e        = calloc(n + 1, sizeof(char *));
	a->status     = calloc(n + 1, sizeof(char *));
	a->code       = calloc(n + 1, sizeof(char *));
	a->reason     = calloc(n + 1, sizeof(char *));
	a->settled_at = calloc(n + 1, sizeof(char *));
	if (a->e2e == NULL || a->status == NULL || a->code == NULL
	    || a->reason == NULL || a->settled_at == NULL) {
		answer_free(a);
		return NULL;
	}
	return a;
}

static bool
answer_add(answer *a, const Sn__Bank__V1__StatusReport *r)
{
	const char *st = disbursement_rules_bank_status((int) r->status);
	if (st == NULL || r->end_to_end_id == NULL || r->end_to_end_id[0] == '\0')
		return true; /* nothing to apply */
	size_t i         = a->n;
	a->e2e[i]        = strdup(r->end_to_end_id);
	a->status[i]     = strdup(st);
	a->code[i]       = strdup(r->reason_code ? r->reason_code : "");
	a->reason[i]     = strdup(r->reason ? r->reason : "");
	a->settled_at[i] = strdup(r->settled_at ? r->settled_at : "");
	a->n++;
	return a->e2e[i] != NULL && a->status[i] != NULL && a->code[i] != NULL
	    && a->reason[i] != NULL && a->settled_at[i] != NULL;
}

static void
apply_cb(sn_tx *tx, PGresult *res, void *arg)
{
	answer *a = arg;
	(void) tx;
	if (PQntuples(res) == 1)
		for (int i = 0; i < 4; i++)
			a->counts[i] = sn_db_i64(res, 0, i);
}

static void
apply_begin(sn_tx *tx, void *arg)
{
	answer *a   = arg;
	sn_err  err = SN_OK;
	switch (a->what) {
	case ANS_APPLY:
		if (a->n > 0)
			err = disbursement_store_apply(tx, a->n,
			    (const char *const *) a->e2e,
			    (const char *const *) a->status,
			    (const char *const *) a->code,
			    (const char *const *) a->reason,
			    (const char *const *) a->settled_at, apply_cb, a);
		break;
	case ANS_UNCLAIM:
		err = disbursement_store_unclaim(tx, a->batch_id);
		break;
	case ANS_ORPHAN:
		err = disbursement_store_orphan(tx, a->batch_id);
		break;
	}
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	sn_tx_commit(tx);
}

static void
apply_done(sn_err err, void *arg)
{
	answer       *a = arg;
	disbursement *d = a->d;
	if (err != SN_OK)
		/* The rows stay sent or accepted: asked about later. */
		sn_log(SN_LOG_WARN, "bank answer not applied", "batch_id",
		    a->batch_id, "error", sn_strerror(err), NULL);
	else
		for (int i = 0; i < 4; i++)
			sn_counter_add(d->instr[i], (uint64_t) a->counts[i]);
	if (a->is_batch)
		d->inflight--;
	else
		d->querying = false;
	answer_free(a);
	if (!d->stopping)
		disbursement_payout_kick(d);
}

/* ---- sending ------------------------------------------------------------ */

typedef struct batch {
	disbursement *d;
	const char   *fund;
	int           tries_left; /* funds still to try if this one is empty */
	char          batch_id[40];
	size_t        n;
	Sn__Bank__V1__Instruction  *instr;
	Sn__Bank__V1__Instruction **ptrs;
	char                      **strs; /* 5 per instruction, owned */
} batch;

static void
batch_free(batch *b)
{
	if (b->strs != NULL)
		for (size_t i = 0; i < 5 * b->n; i++)
			free(b->strs[i]);
	free(b->strs);
	free(b->instr);
	free(b->ptrs);
	free(b);
}

static void
claim_cb(sn_tx *tx, PGresult *res, void *arg)
{
	batch *b     = arg;
	int    nrows = PQntuples(res);
	if (nrows == 0)
		return;
	b->instr = calloc((size_t) nrows, sizeof(*b->instr));
	b->ptrs  = calloc((size_t) nrows, sizeof(*b->ptrs));
	b->strs  = calloc((size_t) nrows * 5, sizeof(char *));
	if (b->instr == NULL || b->ptrs == NULL || b->strs == NULL) {
		sn_tx_rollback(tx, SN_ENOMEM);
		return;
	}
	for (int i = 0; i < nrows; i++) {
		char  info[64];
		char **s = &b->strs[5 * i];
		snprintf(info, sizeof(info), "%s %s", b->fund,
		    PQgetisnull(res, i, 5) ? "grant" : PQgetvalue(res, i, 5));
		s[0] = strdup(PQgetvalue(res, i, 0));
		s[1] = strdup(PQgetvalue(res, i, 2));
		s[2] = strdup(PQgetvalue(res, i, 3));
		s[3] = strdup(PQgetvalue(res, i, 4));
		s[4] = strdup(info);
		b->n++;
		if (!s[0] || !s[1] || !s[2] || !s[3] || !s[4]) {
			sn_tx_rollback(tx, SN_ENOMEM);
			return;
		}
		Sn__Bank__V1__Instruction init = SN__BANK__V1__INSTRUCTION__INIT;
		b->instr[i]                    = init;
		b->instr[i].end_to_end_id      = s[0];
		b->instr[i].amount_fen         = sn_db_i64(res, i, 1);
		b->instr[i].bank_code          = s[1];
		b->instr[i].account_number     = s[2];
		b->instr[i].account_name       = s[3];
		b->instr[i].remittance_info    = s[4];
		b->ptrs[i]                     = &b->instr[i];
	}
}

static void
claim_begin(sn_tx *tx, void *arg)
{
	batch *b = arg;
	if (disbursement_store_claim(tx, b->fund, b->d->cfg.batch, b->batch_id,
	        b->d->sender, claim_cb, b)
	    != SN_OK) {
		sn_tx_rollback(tx, SN_EDB);
		return;
	}
	sn_tx_commit(tx);
}

static void
batch_answered(sn_err err, const Sn__Bank__V1__BankReply *reply, void *arg)
{
	batch        *b = arg;
	disbursement *d = b->d;
	if (err == SN_ECLOSED) { /* shutting down: the rows stay "sent" */
		batch_free(b);
		return;
	}
	answer *a = answer_new(d, b->n);
	if (a == NULL)
		abort(); /* out of memory */
	a->is_batch = true;
	snprintf(a->batch_id, sizeof(a->batch_id), "%s", b->batch_id);
	if (err != SN_OK) {
		a->what = ANS_ORPHAN;
	} else if (!reply->batch->accepted) {
		sn_log(SN_LOG_ERROR, "the bank refused a batch", "batch_id",
		    b->batch_id, "error", reply->batch->error, NULL);
		a->what = ANS_UNCLAIM;
	} else {
		a->what = ANS_APPLY;
		for (size_t i = 0; i < reply->batch->n_statuses && a->n < b->n;
		     i++)
			if (!answer_add(a, reply->batch->statuses[i]))
				abort();
	}
	batch_free(b);
	sn_db_tx(sn_service_db(d->svc), apply_begin, apply_done, a);
}

static void claim_next(disbursement *d, int tries_left);

static void
claim_done(sn_err err, void *arg)
{
	batch        *b = arg;
	disbursement *d = b->d;
	d->claiming     = false;
	if (err != SN_OK || b->n == 0) {
		int left = b->tries_left;
		if (err != SN_OK)
			sn_log(SN_LOG_WARN, "claim failed", "error",
			    sn_strerror(err), NULL);
		batch_free(b);
		if (err == SN_OK && left > 0 && !d->stopping)
			claim_next(d, left);
		return;
	}
	int64_t  sum = 0;
	int64_t *amounts = calloc(b->n, sizeof(int64_t));
	if (amounts == NULL)
		abort();
	for (size_t i = 0; i < b->n; i++)
		amounts[i] = b->instr[i].amount_fen;
	bool ok = disbursement_rules_control_sum(amounts, b->n, &sum);
	free(amounts);
	char debtor[48];
	snprintf(debtor, sizeof(debtor), "sn-fund-%s", b->fund);
	Sn__Bank__V1__BatchRequest br = SN__BANK__V1__BATCH_REQUEST__INIT;
	br.batch_id                   = b->batch_id;
	br.debtor_account             = debtor;
	br.count                      = (int32_t) b->n;
	br.control_sum_fen            = sum;
	br.n_instructions             = b->n;
	br.instructions               = b->ptrs;
	Sn__Bank__V1__BankRequest req = SN__BANK__V1__BANK_REQUEST__INIT;
	req.body_case                 = SN__BANK__V1__BANK_REQUEST__BODY_BATCH;
	req.batch                     = &br;
	d->inflight++;
	if (!ok || disbursement_bank_call(d->bank, &req, batch_answered, b) != SN_OK) {
		/* Not sent: the rows are "sent" with our name; ask later. */
		answer *a = answer_new(d, 0);
		if (a == NULL)
			abort();
		a->is_batch = true;
		a->what     = ANS_ORPHAN;
		snprintf(a->batch_id, sizeof(a->batch_id), "%s", b->batch_id);
		batch_free(b);
		sn_db_tx(sn_service_db(d->svc), apply_begin, apply_done, a);
		return;
	}
	/* More may be waiting: fill the window. */
	claim_next(d, NSENDABLE);
}

static void
claim_next(disbursement *d, int tries_left)
{
	if (d->claiming || d->stopping || d->inflight >= d->cfg.inflight
	    || tries_left <= 0)
		return;
	batch *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return;
	b->d          = d;
	b->fund       = sendable_funds[d->next_fund];
	d->next_fund  = (d->next_fund + 1) % NSENDABLE;
	b->tries_left = tries_left - 1;
	b->batch_id[0] = 'B';
	random_hex(b->batch_id + 1, 16);
	d->claiming = true;
	sn_db_tx(sn_service_db(d->svc), claim_begin, claim_done, b);
}

/* ---- asking ------------------------------------------------------------- */

typedef struct query {
	disbursement *d;
	size_t        n;
	char        **ids;
} query;

static void
query_free(query *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->ids[i]);
	free(q->ids);
	free(q);
}

static void
query_answered(sn_err err, const Sn__Bank__V1__BankReply *reply, void *arg)
{
	query        *q = arg;
	disbursement *d = q->d;
	if (err != SN_OK) {
		query_free(q);
		d->querying = false;
		return; /* asked again next time (or shutting down) */
	}
	answer *a = answer_new(d, q->n);
	if (a == NULL)
		abort();
	a->what = ANS_APPLY;
	snprintf(a->batch_id, sizeof(a->batch_id), "query");
	for (size_t i = 0; i < reply->status->n_statuses && a->n < q->n; i++)
		if (!answer_add(a, reply->status->statuses[i]))
			abort();
	query_free(q);
	sn_db_tx(sn_service_db(d->svc), apply_begin, apply_done, a);
}

static void
to_query_found(sn_err err, PGresult *res, void *arg)
{
	disbursement *d = arg;
	int           n = res != NULL ? PQntuples(res) : 0;
	if (err != SN_OK || n == 0 || d->stopping) {
		d->querying = false;
		return;
	}
	query *q = calloc(1, sizeof(*q));
	if (q == NULL || (q->ids = calloc((size_t) n, sizeof(char *))) == NULL) {
		free(q);
		d->querying = false;
		return;
	}
	q->d = d;
	for (int i = 0; i < n; i++)
		if ((q->ids[q->n] = strdup(PQgetvalue(res, i, 0))) != NULL)
			q->n++;
	Sn__Bank__V1__StatusQuery sq = SN__BANK__V1__STATUS_QUERY__INIT;
	sq.n_end_to_end_ids          = q->n;
	sq.end_to_end_ids            = q->ids;
	Sn__Bank__V1__BankRequest req = SN__BANK__V1__BANK_REQUEST__INIT;
	req.body_case                 = SN__BANK__V1__BANK_REQUEST__BODY_QUERY;
	req.query                     = &sq;
	if (disbursement_bank_call(d->bank, &req, query_answered, q) != SN_OK) {
		query_free(q);
		d->querying = false;
	}
}

/* ---- runs moving on ----------------------------------------------------- */

static void
runs_cb(sn_tx *tx, PGresult *res, const char *status, disbursement *d)
{
	for (int i = 0; i < PQntuples(res); i++) {
		sn_err err = disbursement_run_changed(d, tx,
		    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), status,
		    sn_db_i64(res, i, 2), sn_db_i64(res, i, 3), "system");
		if (err != SN_OK && !sn_tx_failed(tx)) {
			sn_tx_rollback(tx, err);
			return;
		}
		sn_log(SN_LOG_INFO, "run moved on", "run_id",
		    PQgetvalue(res, i, 0), "status", status, NULL);
	}
}

static void
started_cb(sn_tx *tx, PGresult *res, void *arg)
{
	runs_cb(tx, res, "sending", arg);
}

static void
completed_cb(sn_tx *tx, PGresult *res, void *arg)
{
	runs_cb(tx, res, "completed", arg);
}

static void
house_begin(sn_tx *tx, void *arg)
{
	disbursement *d = arg;
	if (disbursement_store_runs_start(tx, started_cb, d) != SN_OK
	    || disbursement_store_runs_complete(tx, completed_cb, d) != SN_OK) {
		sn_tx_rollback(tx, SN_EDB);
		return;
	}
	sn_tx_commit(tx);
}

static void
house_done(sn_err err, void *arg)
{
	disbursement *d = arg;
	d->housekeeping = false;
	if (err != SN_OK && !d->stopping)
		sn_log(SN_LOG_WARN, "run status pass failed", "error",
		    sn_strerror(err), NULL);
}

/* ---- the timer ---------------------------------------------------------- */

static void
tick(disbursement *d)
{
	sn_db *db = sn_service_db(d->svc);
	if (d->stopping || sn_loop_stopping(sn_service_loop(d->svc))
	    || !sn_db_ready(db))
		return;
	if (!d->building) {
		d->building = true;
		disbursement_store_run_building(db, building_found, d);
	}
	if (!d->housekeeping) {
		d->housekeeping = true;
		sn_db_tx(db, house_begin, house_done, d);
	}
	claim_next(d, NSENDABLE);
	if (!d->querying) {
		d->querying = true;
		uint32_t stale = STALE_FACTOR * d->cfg.bank_timeout_ms
		    * (d->cfg.bank_retries + 1);
		disbursement_store_to_query(db, d->sender, d->cfg.batch,
		    d->cfg.poll_ms, stale, to_query_found, d);
	}
}

static void
on_timer(uv_timer_t *t)
{
	tick(t->data);
}

sn_err
disbursement_payout_start(disbursement *d)
{
	snprintf(d->sender, sizeof(d->sender), "p%ld-", (long) getpid());
	random_hex(d->sender + strlen(d->sender), 8);
	if (uv_timer_init(sn_loop_uv(sn_service_loop(d->svc)), &d->timer) != 0)
		return SN_EUV;
	d->timer.data  = d;
	d->timer_open  = true;
	uv_timer_start(&d->timer, on_timer, 0, d->cfg.poll_ms);
	return SN_OK;
}

void
disbursement_payout_kick(disbursement *d)
{
	if (d->timer_open && !d->stopping)
		uv_timer_start(&d->timer, on_timer, 0, d->cfg.poll_ms);
}

void
disbursement_payout_stop(disbursement *d)
{
	d->stopping = true;
	if (d->timer_open) {
		d->timer_open = false;
		uv_timer_stop(&d->timer);
		uv_close((uv_handle_t *) &d->timer, NULL);
	}
}
