/*
 * bank-sim/handlers.c - see handlers.h.
 *
 * A batch's life: on_request (decode, rules, decisions) -> sn_db_tx ->
 * batch_begin: claim the batch_id -> claimed (new, or the stored batch
 * compared) -> the instructions inserted and their stored rows read back
 * -> read_back packs the reply and commits -> batch_done (maybe crash)
 * -> respond (reply, drop or delay). One batch_ctx owns everything on
 * the way and batch_done frees it.
 */
#include "handlers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"
#include "faults.h"
#include "iso.h"
#include "rules.h"
#include "sn/bank/v1/bank.pb-c.h"
#include "sn/clock.h"
#include "sn/log.h"
#include "sn/page.h"
#include "sn/reps.h"
#include "store.h"

enum { K_BATCH, K_QUERY, K_MALFORMED, NKIND };
enum { B_STORED, B_REPEATED, B_REFUSED, B_FAILED, NBATCH };
enum { I_STORED, I_DUPLICATE, NINSTR };
enum { R_SENT, R_DROPPED, R_DELAYED, NREPLY };

struct bank_sim {
	sn_service        *svc;
	sn_db             *db;
	bank_sim_config    cfg;
	bank_sim_accounts *accounts;
	sn_reps           *server;
	uv_timer_t         settle_timer;
	bool               timer_open;
	bool               settling;
	bool               stopping;
	bank_sim_faults    faults;
	char               seed[24]; /* cfg.seed as text */
	bank_sim_iso      *iso;
	/* This process's figures, for /stats. */
	uint64_t    n_kind[NKIND], n_batch[NBATCH], n_reply[NREPLY];
	sn_counter *c_kind[NKIND], *c_batch[NBATCH], *c_instr[NINSTR];
	sn_counter *c_reply[NREPLY], *c_settled;
	sn_gauge   *g_inflight, *g_inflight_max;
	int64_t     inflight_max;
};

typedef struct batch_ctx {
	bank_sim                         *b;
	sn_reps_req                      *req;
	Sn__Bank__V1__BankRequest        *rq;
	const Sn__Bank__V1__BatchRequest *batch;
	bank_sim_instr                   *ins;
	bank_sim_decision                *dec;
	size_t                            n;
	bool                              is_new, repeated, refused;
	int64_t                           inserted;
	bank_sim_store_slot               slot_write, slot_read;
	uint8_t                          *reply;
	size_t                            reply_len;
} batch_ctx;

typedef struct query_ctx {
	bank_sim                  *b;
	sn_reps_req               *req;
	Sn__Bank__V1__BankRequest *rq;
} query_ctx;

/* ---- replies ------------------------------------------------------------ */

static void
inflight(bank_sim *b)
{
	int64_t n = (int64_t) sn_reps_busy(b->server);
	sn_gauge_set(b->g_inflight, n);
	if (n > b->inflight_max) {
		b->inflight_max = n;
		sn_gauge_set(b->g_inflight_max, n);
	}
}

/* Sends, withholds or delays the packed reply, as the dice say. */
static void
respond(bank_sim *b, sn_reps_req *req, const uint8_t *buf, size_t len)
{
	bank_sim_act act = bank_sim_faults_act(&b->faults);
	switch (act) {
	case BANK_SIM_ACT_DROP:
		b->n_reply[R_DROPPED]++;
		sn_counter_add(b->c_reply[R_DROPPED], 1);
		sn_reps_drop(req);
		break;
	case BANK_SIM_ACT_DELAY:
		b->n_reply[R_DELAYED]++;
		sn_counter_add(b->c_reply[R_DELAYED], 1);
		sn_reps_reply_after(req, buf, len, b->cfg.timeout_ms);
		break;
	case BANK_SIM_ACT_REPLY:
		b->n_reply[R_SENT]++;
		sn_counter_add(b->c_reply[R_SENT], 1);
		sn_reps_reply(req, buf, len);
		break;
	}
	inflight(b);
}

static void
respond_msg(bank_sim *b, sn_reps_req *req, const Sn__Bank__V1__BankReply *rp)
{
	size_t   len = sn__bank__v1__bank_reply__get_packed_size(rp);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL) {
		sn_reps_drop(req);
		inflight(b);
		return;
	}
	sn__bank__v1__bank_reply__pack(rp, buf);
	respond(b, req, buf, len);
	free(buf);
}

/* A BatchReply refusing the batch: nothing was stored. */
static void
refuse(bank_sim *b, sn_reps_req *req, const char *batch_id, const char *error)
{
	Sn__Bank__V1__BankReply  rp = SN__BANK__V1__BANK_REPLY__INIT;
	Sn__Bank__V1__BatchReply br = SN__BANK__V1__BATCH_REPLY__INIT;
	br.batch_id                 = (char *) batch_id;
	br.accepted                 = false;
	br.error                    = (char *) error;
	rp.body_case                = SN__BANK__V1__BANK_REPLY__BODY_BATCH;
	rp.batch                    = &br;
	respond_msg(b, req, &rp);
}

static Sn__Bank__V1__InstructionStatus
wire_status(bank_sim_status s)
{
	switch (s) {
	case BANK_SIM_ACCEPTED:
		return SN__BANK__V1__INSTRUCTION_STATUS__INSTRUCTION_ACCEPTED;
	case BANK_SIM_SETTLED:
		return SN__BANK__V1__INSTRUCTION_STATUS__INSTRUCTION_SETTLED;
	case BANK_SIM_REJECTED:
		return SN__BANK__V1__INSTRUCTION_STATUS__INSTRUCTION_REJECTED;
	case BANK_SIM_UNKNOWN:
		break;
	}
	return SN__BANK__V1__INSTRUCTION_STATUS__INSTRUCTION_UNKNOWN;
}

/*
 * The reports of the stored rows, one per id, into reps and ptrs (n
 * each). Returns false if there are not n rows. Strings are borrowed
 * from the rows and the ids.
 */
static bool
reports(const bank_sim_status_row *rows, size_t nrows, char *const *ids,
    size_t n, Sn__Bank__V1__StatusReport *reps,
    Sn__Bank__V1__StatusReport **ptrs)
{
	if (nrows != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		sn__bank__v1__status_report__init(&reps[i]);
		reps[i].end_to_end_id = ids[i];
		reps[i].status        = wire_status(rows[i].status);
		reps[i].reason_code   = (char *) rows[i].reason_code;
		reps[i].reason        = (char *) rows[i].reason;
		reps[i].settled_at    = (char *) rows[i].settled_at;
		ptrs[i]               = &reps[i];
	}
	return true;
}

/* ---- status queries ----------------------------------------------------- */

static void
query_free(query_ctx *q)
{
	sn__bank__v1__bank_request__free_unpacked(q->rq, NULL);
	free(q);
}

static void
query_done(
    sn_err err, const bank_sim_status_row *rows, size_t nrows, void *arg)
{
	query_ctx                       *q  = arg;
	bank_sim                        *b  = q->b;
	const Sn__Bank__V1__StatusQuery *sq = q->rq->query;
	size_t                           n  = sq->n_end_to_end_ids;
	Sn__Bank__V1__StatusReport  *reps   = calloc(n ? n : 1, sizeof(*reps));
	Sn__Bank__V1__StatusReport **ptrs   = calloc(n ? n : 1, sizeof(*ptrs));
	if (err != SN_OK || reps == NULL || ptrs == NULL
	    || !reports(rows, nrows, sq->end_to_end_ids, n, reps, ptrs)) {
		sn_log(SN_LOG_WARN, "status query failed; no reply", "error",
		    sn_strerror(err), NULL);
		sn_reps_drop(q->req);
		inflight(b);
		goto out;
	}
	Sn__Bank__V1__BankReply   rp = SN__BANK__V1__BANK_REPLY__INIT;
	Sn__Bank__V1__StatusReply sr = SN__BANK__V1__STATUS_REPLY__INIT;
	sr.n_statuses                = n;
	sr.statuses                  = ptrs;
	rp.body_case                 = SN__BANK__V1__BANK_REPLY__BODY_STATUS;
	rp.status                    = &sr;
	respond_msg(b, q->req, &rp);
out:
	free(reps);
	free(ptrs);
	query_free(q);
}

static void
on_query(bank_sim *b, sn_reps_req *req, Sn__Bank__V1__BankRequest *rq)
{
	query_ctx *q = calloc(1, sizeof(*q));
	if (q == NULL) {
		sn__bank__v1__bank_request__free_unpacked(rq, NULL);
		sn_reps_drop(req);
		inflight(b);
		return;
	}
	q->b   = b;
	q->req = req;
	q->rq  = rq;
	/* An empty query is answered with no statuses (one per id asked),
	 * and logged: it asks nothing. */
	if (rq->query->n_end_to_end_ids == 0) {
		sn_log(
		    SN_LOG_WARN, "empty status query; answered empty", NULL);
		query_done(SN_OK, NULL, 0, q);
		return;
	}
	if (bank_sim_store_statuses(b->db,
	        (const char *const *) rq->query->end_to_end_ids,
	        rq->query->n_end_to_end_ids, query_done, q)
	    != SN_OK)
		query_done(SN_ENOMEM, NULL, 0, q);
}

/* ---- batches ------------------------------------------------------------ */

static void
batch_free(batch_ctx *c)
{
	sn__bank__v1__bank_request__free_unpacked(c->rq, NULL);
	free(c->ins);
	free(c->dec);
	free(c->reply);
	free(c);
}

static void
fail_tx(sn_tx *tx, sn_err err)
{
	sn_tx_rollback(tx, err != SN_OK ? err : SN_EDB);
}

/* The stored rows of the batch's ids: the reply; then the counters and
 * COMMIT. */
static void
read_back(sn_tx *tx, const bank_sim_status_row *rows, size_t nrows, void *arg)
{
	batch_ctx                   *c    = arg;
	size_t                       n    = c->n;
	char                       **ids  = calloc(n, sizeof(*ids));
	Sn__Bank__V1__StatusReport  *reps = calloc(n, sizeof(*reps));
	Sn__Bank__V1__StatusReport **ptrs = calloc(n, sizeof(*ptrs));
	sn_err                       err  = SN_ENOMEM;
	if (ids == NULL || reps == NULL || ptrs == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++)
		ids[i] = (char *) c->ins[i].end_to_end_id;
	err = SN_EDB;
	if (!reports(rows, nrows, ids, n, reps, ptrs))
		goto fail;
	Sn__Bank__V1__BankReply  rp = SN__BANK__V1__BANK_REPLY__INIT;
	Sn__Bank__V1__BatchReply br = SN__BANK__V1__BATCH_REPLY__INIT;
	br.batch_id                 = c->batch->batch_id;
	br.accepted                 = true;
	br.n_statuses               = n;
	br.statuses                 = ptrs;
	rp.body_case                = SN__BANK__V1__BANK_REPLY__BODY_BATCH;
	rp.batch                    = &br;
	c->reply_len = sn__bank__v1__bank_reply__get_packed_size(&rp);
	err          = SN_ENOMEM;
	if ((c->reply = malloc(c->reply_len ? c->reply_len : 1)) == NULL)
		goto fail;
	sn__bank__v1__bank_reply__pack(&rp, c->reply);
	free(ids);
	free(reps);
	free(ptrs);
	int64_t dup = (int64_t) n - c->inserted;
	if ((dup > 0
	        && (err = bank_sim_store_count(
	                tx, BANK_SIM_COUNT_DUPLICATES, dup))
	            != SN_OK)
	    || (c->repeated
	        && (err = bank_sim_store_count(tx, BANK_SIM_COUNT_REPEATS, 1))
	            != SN_OK)) {
		fail_tx(tx, err);
		return;
	}
	sn_tx_commit(tx);
	return;
fail:
	free(ids);
	free(reps);
	free(ptrs);
	fail_tx(tx, err);
}

static void
inserted(sn_tx *tx, int64_t n, void *arg)
{
	batch_ctx *c = arg;
	(void) tx;
	c->inserted = n;
}

/* The book's terms now. */
static bank_sim_terms
terms(const bank_sim *b)
{
	return (bank_sim_terms) { sn_clock_now_ms(), b->cfg.settle_ms, b->seed,
		b->cfg.omit_pct };
}

static void
store_rest(sn_tx *tx, batch_ctx *c)
{
	bank_sim_terms t = terms(c->b);
	sn_err err       = bank_sim_store_instructions(tx, c->batch->batch_id,
	          c->batch->debtor_account, c->ins, c->dec, c->n, &t, &c->slot_write,
	          inserted, c);
	if (err == SN_OK)
		err = bank_sim_store_statuses_tx(
		    tx, c->ins, c->n, &c->slot_read, read_back, c);
	if (err != SN_OK)
		fail_tx(tx, err);
}

static void
existing(sn_tx *tx, const bank_sim_batch_row *stored, void *arg)
{
	batch_ctx *c = arg;
	if (stored == NULL
	    || !bank_sim_rules_same_batch(stored->count,
	        stored->control_sum_fen, (int64_t) c->batch->count,
	        c->batch->control_sum_fen)) {
		c->refused = true;
		sn_tx_rollback(tx, SN_ECONFLICT);
		return;
	}
	c->repeated = true;
	store_rest(tx, c);
}

static void
claimed(sn_tx *tx, bool is_new, void *arg)
{
	batch_ctx *c = arg;
	if (is_new) {
		c->is_new = true;
		store_rest(tx, c);
		return;
	}
	sn_err err = bank_sim_store_batch(
	    tx, c->batch->batch_id, &c->slot_read, existing, c);
	if (err != SN_OK)
		fail_tx(tx, err);
}

static void
batch_begin(sn_tx *tx, void *arg)
{
	batch_ctx *c   = arg;
	sn_err     err = bank_sim_store_claim_batch(tx, c->batch->batch_id,
	        c->batch->debtor_account, c->batch->count,
	        c->batch->control_sum_fen, &c->slot_read, claimed, c);
	if (err != SN_OK)
		fail_tx(tx, err);
}

static void
batch_done(sn_err err, void *arg)
{
	batch_ctx *c = arg;
	bank_sim  *b = c->b;
	if (c->refused) {
		b->n_batch[B_REFUSED]++;
		sn_counter_add(b->c_batch[B_REFUSED], 1);
		sn_log(SN_LOG_WARN, "batch refused", "batch_id",
		    c->batch->batch_id, "error", "batch_id reused", NULL);
		refuse(b, c->req, c->batch->batch_id,
		    "batch_id already used for a batch of another count or "
		    "control sum");
		batch_free(c);
		return;
	}
	if (err != SN_OK) {
		b->n_batch[B_FAILED]++;
		sn_counter_add(b->c_batch[B_FAILED], 1);
		sn_log(SN_LOG_WARN, "batch not stored; no reply", "batch_id",
		    c->batch->batch_id, "error", sn_strerror(err), NULL);
		sn_reps_drop(c->req);
		inflight(b);
		batch_free(c);
		return;
	}
	int outcome = c->is_new ? B_STORED : B_REPEATED;
	b->n_batch[outcome]++;
	sn_counter_add(b->c_batch[outcome], 1);
	sn_counter_add(b->c_instr[I_STORED], (uint64_t) c->inserted);
	sn_counter_add(b->c_instr[I_DUPLICATE],
	    (uint64_t) ((int64_t) c->n - c->inserted));
	if (c->is_new)
		bank_sim_faults_stored(&b->faults, c->batch->batch_id);
	respond(b, c->req, c->reply, c->reply_len);
	batch_free(c);
}

static void
on_batch(bank_sim *b, sn_reps_req *req, Sn__Bank__V1__BankRequest *rq)
{
	const Sn__Bank__V1__BatchRequest *br = rq->batch;
	size_t                            n  = br->n_instructions;
	batch_ctx                        *c  = calloc(1, sizeof(*c));
	if (c == NULL)
		goto fail_oom;
	c->b     = b;
	c->req   = req;
	c->rq    = rq;
	c->batch = br;
	c->n     = n;
	if ((c->ins = calloc(n ? n : 1, sizeof(*c->ins))) == NULL
	    || (c->dec = calloc(n ? n : 1, sizeof(*c->dec))) == NULL)
		goto fail_ctx;
	for (size_t i = 0; i < n; i++) {
		const Sn__Bank__V1__Instruction *in = br->instructions[i];
		c->ins[i]
		    = (bank_sim_instr) { .end_to_end_id = in->end_to_end_id,
			      .amount_fen               = in->amount_fen,
			      .bank_code                = in->bank_code,
			      .account_number           = in->account_number,
			      .account_name             = in->account_name,
			      .remittance_info = in->remittance_info };
	}
	char why[256];
	if (!bank_sim_rules_take(br->batch_id, br->debtor_account, br->count,
	        br->control_sum_fen, c->ins, n, why, sizeof(why))) {
		b->n_batch[B_REFUSED]++;
		sn_counter_add(b->c_batch[B_REFUSED], 1);
		sn_log(SN_LOG_WARN, "batch refused", "error", why, NULL);
		refuse(b, req, br->batch_id, why);
		batch_free(c);
		return;
	}
	for (size_t i = 0; i < n; i++)
		c->dec[i] = bank_sim_rules_decide(&c->ins[i],
		    bank_sim_accounts_find(
		        b->accounts, c->ins[i].account_number),
		    b->cfg.open_all, b->cfg.settle_ms > 0);
	sn_db_tx(b->db, batch_begin, batch_done, c);
	return;

fail_ctx:
	free(c->ins);
	free(c->dec);
	free(c);
fail_oom:
	sn__bank__v1__bank_request__free_unpacked(rq, NULL);
	sn_reps_drop(req);
	inflight(b);
}

static void
on_request(sn_reps_req *req, const uint8_t *body, size_t len, void *arg)
{
	bank_sim *b = arg;
	inflight(b);
	Sn__Bank__V1__BankRequest *rq
	    = sn__bank__v1__bank_request__unpack(NULL, len, body);
	if (rq != NULL
	    && rq->body_case == SN__BANK__V1__BANK_REQUEST__BODY_BATCH
	    && rq->batch != NULL) {
		b->n_kind[K_BATCH]++;
		sn_counter_add(b->c_kind[K_BATCH], 1);
		on_batch(b, req, rq);
		return;
	}
	if (rq != NULL
	    && rq->body_case == SN__BANK__V1__BANK_REQUEST__BODY_QUERY
	    && rq->query != NULL) {
		b->n_kind[K_QUERY]++;
		sn_counter_add(b->c_kind[K_QUERY], 1);
		on_query(b, req, rq);
		return;
	}
	if (rq != NULL)
		sn__bank__v1__bank_request__free_unpacked(rq, NULL);
	b->n_kind[K_MALFORMED]++;
	sn_counter_add(b->c_kind[K_MALFORMED], 1);
	sn_log(SN_LOG_WARN, "malformed request", NULL);
	refuse(b, req, "", "malformed request");
}

/* ---- settlement --------------------------------------------------------- */

static void
settle_done(sn_err err, int64_t settled, void *arg)
{
	bank_sim *b = arg;
	b->settling = false;
	if (err == SN_OK && settled > 0)
		sn_counter_add(b->c_settled, (uint64_t) settled);
}

static void
on_settle_tick(uv_timer_t *t)
{
	bank_sim *b = t->data;
	if (b->settling || b->stopping || !sn_db_ready(b->db))
		return;
	bank_sim_terms terms_now = terms(b);
	b->settling
	    = bank_sim_store_settle_due(b->db, &terms_now, settle_done, b)
	    == SN_OK;
}

/* ---- HTTP --------------------------------------------------------------- */

/* The document read, or NULL after answering 503. */
static json_t *
json_doc(sn_http_req *req, sn_err err, const char *doc)
{
	json_t *j
	    = err == SN_OK && doc != NULL ? json_loads(doc, 0, NULL) : NULL;
	if (j == NULL)
		sn_http_reply_error(req, 503, "unavailable",
		    "the bank's records cannot be read now", NULL);
	return j;
}

/* A page of credits (sn/page.h): {items, next} with the account's
 * number, count and total. */
static void
credits_done(sn_err err, const char *doc, void *arg)
{
	json_t *j = json_doc(arg, err, doc);
	if (j == NULL)
		return;
	json_t *items = json_incref(json_object_get(j, "items"));
	json_t *page
	    = sn_page_answer(items, json_is_true(json_object_get(j, "more")),
	        (int64_t) json_integer_value(json_object_get(j, "last")));
	if (page != NULL) {
		json_object_set(page, "account_number",
		    json_object_get(j, "account_number"));
		json_object_set(page, "count", json_object_get(j, "count"));
		json_object_set(
		    page, "total_fen", json_object_get(j, "total_fen"));
	}
	json_decref(j);
	if (page == NULL)
		sn_http_reply_error(
		    arg, 503, "unavailable", "out of memory", NULL);
	else
		sn_http_reply_json(arg, 200, page);
}

void
bank_sim_http_credits(sn_http_req *req, void *arg)
{
	bank_sim   *b    = arg;
	const char *acct = sn_http_param(req, "account_number");
	sn_page     page;
	sn_problem  why;
	if (acct == NULL || strlen(acct) > BANK_SIM_TEXT_MAX
	    || !bank_sim_rules_utf8(acct, strlen(acct))) {
		sn_http_reply_error(req, 422, "invalid_account_number",
		    "the account number is too long or not UTF-8",
		    "account_number");
		return;
	}
	sn_problem_clear(&why);
	if (!sn_page_query(req, &page, &why)) {
		sn_http_problem(req, &why);
		return;
	}
	if (bank_sim_store_credits(b->db, acct, &page, credits_done, req)
	    != SN_OK)
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
}

typedef struct stats_ctx {
	bank_sim    *b;
	sn_http_req *req;
} stats_ctx;

static void
stats_done(sn_err err, const char *doc, void *arg)
{
	stats_ctx *s = arg;
	bank_sim  *b = s->b;
	json_t    *j = json_doc(s->req, err, doc);
	if (j != NULL) {
		json_object_set_new(j, "process",
		    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		        "batches_stored", (json_int_t) b->n_batch[B_STORED],
		        "batches_repeated",
		        (json_int_t) b->n_batch[B_REPEATED], "batches_refused",
		        (json_int_t) b->n_batch[B_REFUSED], "batches_failed",
		        (json_int_t) b->n_batch[B_FAILED], "status_queries",
		        (json_int_t) b->n_kind[K_QUERY], "malformed_requests",
		        (json_int_t) b->n_kind[K_MALFORMED], "replies_sent",
		        (json_int_t) b->n_reply[R_SENT], "replies_dropped",
		        (json_int_t) b->n_reply[R_DROPPED], "replies_delayed",
		        (json_int_t) b->n_reply[R_DELAYED]));
		bank_sim_iso_stats(b->iso, json_object_get(j, "process"));
		sn_http_reply_json(s->req, 200, j);
	}
	free(s);
}

void
bank_sim_http_stats(sn_http_req *req, void *arg)
{
	stats_ctx *s = malloc(sizeof(*s));
	if (s == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	s->b   = arg;
	s->req = req;
	if (bank_sim_store_stats(s->b->db, stats_done, s) != SN_OK) {
		free(s);
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
	}
}

void
bank_sim_http_pain001(sn_http_req *req, void *arg)
{
	bank_sim_iso_pain001(((bank_sim *) arg)->iso, req);
}

void
bank_sim_http_pain002(sn_http_req *req, void *arg)
{
	bank_sim_iso_pain002(((bank_sim *) arg)->iso, req);
}

void
bank_sim_http_camt054(sn_http_req *req, void *arg)
{
	bank_sim_iso_camt054(((bank_sim *) arg)->iso, req);
}

void
bank_sim_http_entries(sn_http_req *req, void *arg)
{
	bank_sim_iso_entries(((bank_sim *) arg)->iso, req);
}

/* ---- lifecycle ---------------------------------------------------------- */

static sn_err
metrics(bank_sim *b, sn_metrics *m)
{
	static const char *const kinds[NKIND]
	    = { "batch", "query", "malformed" };
	static const char *const batches[NBATCH]
	    = { "stored", "repeated", "refused", "failed" };
	static const char *const instrs[NINSTR] = { "stored", "duplicate" };
	static const char *const replies[NREPLY]
	    = { "sent", "dropped", "delayed" };
	char l[64];
	for (int i = 0; i < NKIND; i++) {
		snprintf(l, sizeof(l), "kind=\"%s\"", kinds[i]);
		b->c_kind[i]
		    = sn_metrics_counter(m, "sn_bank_sim_requests_total",
		        "Requests received, by kind", l);
	}
	for (int i = 0; i < NBATCH; i++) {
		snprintf(l, sizeof(l), "outcome=\"%s\"", batches[i]);
		b->c_batch[i] = sn_metrics_counter(
		    m, "sn_bank_sim_batches_total", "Batches, by outcome", l);
	}
	for (int i = 0; i < NINSTR; i++) {
		snprintf(l, sizeof(l), "outcome=\"%s\"", instrs[i]);
		b->c_instr[i] = sn_metrics_counter(m,
		    "sn_bank_sim_instructions_total",
		    "Instructions received: stored, or refused as duplicates",
		    l);
	}
	for (int i = 0; i < NREPLY; i++) {
		snprintf(l, sizeof(l), "act=\"%s\"", replies[i]);
		b->c_reply[i]
		    = sn_metrics_counter(m, "sn_bank_sim_replies_total",
		        "Replies sent, withheld or delayed", l);
	}
	b->c_settled  = sn_metrics_counter(m, "sn_bank_sim_settled_total",
	     "Accepted instructions settled by the timer", NULL);
	b->g_inflight = sn_metrics_gauge(
	    m, "sn_bank_sim_inflight", "Requests being worked on", NULL);
	b->g_inflight_max = sn_metrics_gauge(m, "sn_bank_sim_inflight_max",
	    "Most requests worked on at once", NULL);
	return b->g_inflight != NULL && b->g_inflight_max != NULL
	        && b->c_settled != NULL
	    ? SN_OK
	    : SN_ENOMEM;
}

sn_err
bank_sim_open(bank_sim **out, sn_service *svc, const bank_sim_config *cfg)
{
	bank_sim *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return SN_ENOMEM;
	b->svc         = svc;
	b->db          = sn_service_db(svc);
	b->cfg         = *cfg;
	b->faults      = (bank_sim_faults) { .rng = cfg->seed,
		     .drop_pct                    = cfg->drop_pct,
		     .timeout_pct                 = cfg->timeout_pct,
		     .crash_after                 = cfg->crash_after };
	b->cfg.url     = NULL;
	b->cfg.fixture = NULL;
	b->cfg.xsd_dir = NULL;
	snprintf(b->seed, sizeof(b->seed), "%" PRIu64, cfg->seed);
	sn_err err;
	if ((err = metrics(b, sn_service_metrics(svc))) != SN_OK)
		goto fail;
	if (cfg->fixture != NULL) {
		char why[256];
		err = bank_sim_accounts_load(
		    cfg->fixture, &b->accounts, why, sizeof(why));
		if (err != SN_OK) {
			sn_log(SN_LOG_ERROR, "bad fixture", "path",
			    cfg->fixture, "error", why, NULL);
			goto fail;
		}
	}
	char nacc[24], seed[24];
	snprintf(
	    nacc, sizeof(nacc), "%zu", bank_sim_accounts_count(b->accounts));
	snprintf(seed, sizeof(seed), "%" PRIu64, cfg->seed);
	sn_log(SN_LOG_INFO, "accounts loaded", "fixture_accounts", nacc,
	    "open_all", cfg->open_all ? "true" : "false", "seed", seed, NULL);
	bank_sim_iso_env env
	    = { sn_service_loop(svc), b->db, sn_service_metrics(svc), cfg,
		      b->accounts, &b->faults, b->seed };
	if ((err = bank_sim_iso_open(&b->iso, &env)) != SN_OK)
		goto fail;
	uv_loop_t *uv = sn_loop_uv(sn_service_loop(svc));
	if (uv_timer_init(uv, &b->settle_timer) != 0) {
		err = SN_EUV;
		goto fail;
	}
	b->settle_timer.data = b;
	b->timer_open        = true;
	uint64_t tick        = bank_sim_rules_settle_tick_ms(cfg->settle_ms);
	uv_timer_start(&b->settle_timer, on_settle_tick, tick, tick);
	if ((err = sn_reps_open(&b->server, sn_service_loop(svc), cfg->url,
	         cfg->contexts, cfg->max_request, on_request, b))
	    != SN_OK)
		goto fail;
	*out = b;
	return SN_OK;
fail:
	bank_sim_close(b);
	return err;
}

void
bank_sim_stop(bank_sim *b)
{
	if (b == NULL)
		return;
	b->stopping = true;
	sn_reps_stop(b->server);
	bank_sim_iso_stop(b->iso);
	if (b->timer_open)
		uv_timer_stop(&b->settle_timer);
}

static void
on_timer_closed(uv_handle_t *h)
{
	bank_sim *b = h->data;
	bank_sim_accounts_free(b->accounts);
	free(b);
}

void
bank_sim_close(bank_sim *b)
{
	if (b == NULL)
		return;
	b->stopping = true;
	sn_reps_close(b->server);
	b->server = NULL;
	bank_sim_iso_close(b->iso);
	b->iso = NULL;
	if (b->timer_open) {
		uv_close((uv_handle_t *) &b->settle_timer, on_timer_closed);
		return;
	}
	bank_sim_accounts_free(b->accounts);
	free(b);
}
