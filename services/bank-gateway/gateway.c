/*
 * bank-gateway/gateway.c - see gateway.h.
 *
 * A batch's life: on_request (decoded: request.h) -> on_batch (judged:
 * request.h; digest; a repeat in flight joins the first) -> take_begin:
 * the stored message, or a new document built (request.h) and stored
 * with its transactions -> take_done: commit; then the bank:
 * post -> on_posted (judge the answer) -> answer_begin: the report
 * stored, the reply read back from the rows -> answer_done: every
 * waiting request answered, or none. One batch_ctx owns everything on
 * the way, and batch_finish frees it.
 */
#include "gateway.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bank.h"
#include "camt054.h"
#include "pain001.h"
#include "pain002.h"
#include "reasons.h"
#include "reconcile.h"
#include "request.h"
#include "rules.h"
#include "sn/bank/v1/bank.pb-c.h"
#include "sn/clock.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/reps.h"
#include "store.h"

enum { K_BATCH, K_QUERY, K_FUNDS, K_MALFORMED, NKIND };
enum {
	B_ANSWERED,
	B_DROPPED,
	B_REPEATED,
	B_UNCONFIGURED,
	B_REFUSED,
	B_INVALID,
	B_BANK_REFUSED,
	B_UNANSWERED,
	B_FAILED,
	NBATCH
};
enum { C_PAIN001, C_PAIN002, C_CAMT054, NCALL };
enum {
	R_OK,
	R_NOT_FOUND,
	R_HTTP,
	R_TIMEOUT,
	R_UNREACHABLE,
	R_TLS,
	R_BAD,
	NRES
};
enum { F_PAIN002, F_CAMT054, F_BAD, NFILE };
/* The outcomes of a judged status (reasons.h), indexing c_status. */
enum { NOUTCOME = BANK_GATEWAY_RETRY + 1 };

#define TOO_LARGE "the file is larger than the bank takes"

typedef struct batch_ctx batch_ctx;

struct bank_gateway {
	sn_service              *svc;
	sn_db                   *db;
	bank_gateway_config      cfg;
	bank_gateway_bank       *bank;
	sn_reps                 *server;
	bank_gateway_reconciler *recon;
	batch_ctx               *inflight; /* batches being worked on */
	uv_timer_t               drop_timer;
	bool                     timer_open;
	bool                     dropping; /* a file of in/ is being read */
	bool                     stopping;
	bool                     closing; /* bank_gateway_close has begun */
	sn_counter              *c_kind[NKIND], *c_batch[NBATCH];
	sn_counter              *c_status[NOUTCOME]; /* by outcome */
	sn_counter              *c_call[NCALL][NRES], *c_file[NFILE];
	sn_histogram            *h_call[NCALL];
};

/* One request waiting for a batch's answer. */
typedef struct waiter {
	sn_reps_req   *req;
	struct waiter *next;
} waiter;

struct batch_ctx {
	bank_gateway                     *g;
	waiter                           *waiters;
	Sn__Bank__V1__BankRequest        *rq;
	const Sn__Bank__V1__BatchRequest *batch;
	const bank_gateway_fund          *fund;
	uint8_t                           digest[32];
	char                             *doc; /* the pain.001 */
	size_t                            doc_len;
	char                              msg_state[16];
	bool                              repeat;
	/* Refused whole: the error, and what to record (NULL: nothing). */
	bool        refused;
	char        error[600];
	const char *record_kind;
	int         outcome; /* B_* once known */
	/* The bank's answer, copied for the transaction. */
	char                 *report_doc;
	size_t                report_len;
	bank_gateway_pain002 *report;
	const char           *via;
	/* Its DU01 answer to the POST, when the answer above is the report
	 * asked for after it (reasons.c: no refusal). */
	char                   *held_doc;
	size_t                  held_len;
	bank_gateway_pain002   *held;
	char                    send_error[256];
	bool                    answered; /* the bank answered a try */
	bank_gateway_store_slot slot;
	uint8_t                *reply;
	size_t                  reply_len;
	batch_ctx              *next;
};

/* ---- metrics ------------------------------------------------------------ */

static void
count_call(bank_gateway *g, int call, const bank_gateway_bank_answer *a)
{
	int r;
	if (a->err == SN_OK)
		r = a->status == 200   ? R_OK
		    : a->status == 404 ? R_NOT_FOUND
		                       : R_HTTP;
	else if (a->err == SN_ETIMEDOUT)
		r = R_TIMEOUT;
	else if (a->err == SN_EAUTH)
		r = R_TLS;
	else if (a->err == SN_EPROTO)
		r = R_BAD;
	else
		r = R_UNREACHABLE;
	sn_counter_add(g->c_call[call][r], 1);
	sn_histogram_observe(g->h_call[call], (double) a->latency_us / 1e6);
}

/* The reconciler's statement fetches (reconcile.h). */
static void
count_camt054(const bank_gateway_bank_answer *a, void *arg)
{
	count_call(arg, C_CAMT054, a);
}

static void
count_statuses(bank_gateway *g, const size_t by_outcome[NOUTCOME])
{
	for (int o = 0; o < NOUTCOME; o++)
		sn_counter_add(g->c_status[o], by_outcome[o]);
}

/* ---- replies ------------------------------------------------------------ */

static uint8_t *
pack_reply(const Sn__Bank__V1__BankReply *rp, size_t *len)
{
	*len         = sn__bank__v1__bank_reply__get_packed_size(rp);
	uint8_t *buf = malloc(*len ? *len : 1);
	if (buf != NULL)
		sn__bank__v1__bank_reply__pack(rp, buf);
	return buf;
}

static void
reply_or_drop(sn_reps_req *req, const uint8_t *buf, size_t len)
{
	if (buf != NULL)
		sn_reps_reply(req, buf, len);
	else
		sn_reps_drop(req);
}

static uint8_t *
pack_refusal(const char *batch_id, const char *error, size_t *len)
{
	Sn__Bank__V1__BankReply  rp = SN__BANK__V1__BANK_REPLY__INIT;
	Sn__Bank__V1__BatchReply br = SN__BANK__V1__BATCH_REPLY__INIT;
	br.batch_id                 = (char *) (batch_id ? batch_id : "");
	br.accepted                 = false;
	br.error                    = (char *) error;
	rp.body_case                = SN__BANK__V1__BANK_REPLY__BODY_BATCH;
	rp.batch                    = &br;
	return pack_reply(&rp, len);
}

/* A BatchReply refusing the batch, sent now. */
static void
refuse(sn_reps_req *req, const char *batch_id, const char *error)
{
	size_t   len;
	uint8_t *buf = pack_refusal(batch_id, error, &len);
	reply_or_drop(req, buf, len);
	free(buf);
}

/* The report of one stored row (strings borrowed from it); unknown: the
 * bank never got it. */
static void
report_of(const bank_gateway_status_row *r, const char *id, bool unknown,
    Sn__Bank__V1__StatusReport *out)
{
	sn__bank__v1__status_report__init(out);
	out->end_to_end_id = (char *) id;
	if (unknown || !r->found) {
		out->status
		    = SN__BANK__V1__INSTRUCTION_STATUS__INSTRUCTION_UNKNOWN;
		return;
	}
	out->status
	    = (Sn__Bank__V1__InstructionStatus) bank_gateway_rules_wire(
	        r->state);
	out->reason_code = (char *) r->reason_code;
	out->iso_status  = (char *) r->iso_status;
	out->settled_at  = (char *) r->settled_at;
	if (r->state == BANK_GATEWAY_STATE_REJECTED
	    || r->state == BANK_GATEWAY_STATE_RETRY) {
		bank_gateway_verdict v = bank_gateway_reasons_judge(
		    r->iso_status, r->reason_code);
		out->reason    = (char *) (v.zh != NULL ? v.zh : "");
		out->reason_en = (char *) (v.en != NULL ? v.en : "");
	}
}

/* Whether a row's message is one the bank may not have had: then its
 * unfinished transactions are unknown, not accepted. */
typedef bool (*unknown_fn)(const bank_gateway_status_row *r, void *arg);

/* A StatusReply (batch_id NULL) or an accepted BatchReply for rows. */
static uint8_t *
pack_rows(const char *batch_id, const bank_gateway_status_row *rows,
    const char *const *ids, size_t n, unknown_fn unknown, void *arg,
    size_t *len)
{
	Sn__Bank__V1__StatusReport  *reps = calloc(n ? n : 1, sizeof(*reps));
	Sn__Bank__V1__StatusReport **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
	uint8_t                     *buf  = NULL;
	if (reps == NULL || ptrs == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		bool u = unknown != NULL && unknown(&rows[i], arg);
		report_of(&rows[i],
		    ids != NULL ? ids[i] : rows[i].end_to_end_id, u, &reps[i]);
		ptrs[i] = &reps[i];
	}
	Sn__Bank__V1__BankReply rp = SN__BANK__V1__BANK_REPLY__INIT;
	if (batch_id != NULL) {
		Sn__Bank__V1__BatchReply br = SN__BANK__V1__BATCH_REPLY__INIT;
		br.batch_id                 = (char *) batch_id;
		br.accepted                 = true;
		br.n_statuses               = n;
		br.statuses                 = ptrs;
		rp.body_case = SN__BANK__V1__BANK_REPLY__BODY_BATCH;
		rp.batch     = &br;
		buf          = pack_reply(&rp, len);
	} else {
		Sn__Bank__V1__StatusReply sr
		    = SN__BANK__V1__STATUS_REPLY__INIT;
		sr.n_statuses = n;
		sr.statuses   = ptrs;
		rp.body_case  = SN__BANK__V1__BANK_REPLY__BODY_STATUS;
		rp.status     = &sr;
		buf           = pack_reply(&rp, len);
	}
out:
	free(reps);
	free(ptrs);
	return buf;
}

/* ---- the report: statuses judged ---------------------------------------- */

/* The statuses of a pain.002's transactions, judged (reasons.h), and
 * how many had each outcome; the strings are borrowed from r. NULL when
 * out of memory. */
static bank_gateway_status_in *
judge_report(const bank_gateway_pain002 *r, size_t by_outcome[NOUTCOME])
{
	bank_gateway_status_in *s
	    = calloc(r->n_txs ? r->n_txs : 1, sizeof(*s));
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < r->n_txs; i++) {
		const bank_gateway_pain002_tx *t = &r->txs[i];
		bank_gateway_verdict           v
		    = bank_gateway_reasons_judge(t->status, t->reason.code);
		by_outcome[v.outcome]++;
		s[i] = (bank_gateway_status_in) {
			.end_to_end_id = t->end_to_end_id,
			.state         = bank_gateway_rules_state(v.outcome),
			.iso_status    = t->status,
			.reason_code   = t->reason.code[0] != '\0'
			      ? t->reason.code
			      : t->reason.proprietary,
			.reason_info   = t->reason.info,
		};
	}
	return s;
}

/* Whether r is about the whole file: a group RJCT naming no
 * transaction. */
static bool
whole_file(const bank_gateway_pain002 *r)
{
	return r->n_txs == 0 && strcmp(r->group_status, "RJCT") == 0;
}

/* Whether r refuses the whole file (reasons.h: any code but DU01). */
static bool
file_refused(const bank_gateway_pain002 *r)
{
	return whole_file(r)
	    && bank_gateway_reasons_file(r->group_reason.code).refused;
}

/* Whether r is a DU01: the bank holds a file under this MsgId. */
static bool
file_held(const bank_gateway_pain002 *r)
{
	return whole_file(r)
	    && !bank_gateway_reasons_file(r->group_reason.code).refused;
}

/* Queues the report r (doc, len) of msg_id on tx: the statuses, or, when
 * refused, the refusal of the whole file. */
static sn_err
store_report(bank_gateway *g, sn_tx *tx, const char *msg_id, const char *fund,
    const bank_gateway_pain002 *r, const char *doc, size_t len,
    const char *via, bool refused)
{
	char   stamp[SN_CLOCK_STAMPLEN];
	sn_err err;
	if (refused) {
		char reason[600];
		snprintf(reason, sizeof reason, "%s %s", r->group_reason.code,
		    r->group_reason.info);
		if ((err = bank_gateway_store_message_refused(tx, msg_id,
		         r->group_status, r->group_reason.code,
		         r->group_reason.info))
		        != SN_OK
		    || (err = bank_gateway_store_refusal(
		            tx, msg_id, fund, "bank", reason))
		        != SN_OK)
			return err;
		return bank_gateway_store_report(tx, msg_id, via, r->msg_id,
		    r->group_status, r->group_reason.code,
		    r->group_reason.info, doc, len, NULL, 0,
		    sn_clock_stamp(stamp), sn_clock_today());
	}
	size_t                  by_outcome[NOUTCOME] = { 0 };
	bank_gateway_status_in *s = judge_report(r, by_outcome);
	if (s == NULL)
		return SN_ENOMEM;
	err = bank_gateway_store_report(tx, msg_id, via, r->msg_id,
	    r->group_status, r->group_reason.code, r->group_reason.info, doc,
	    len, s, r->n_txs, sn_clock_stamp(stamp), sn_clock_today());
	if (err == SN_OK)
		count_statuses(g, by_outcome);
	free(s);
	return err;
}

/* "the bank refused the file: FF01 <its text>", or the code's meaning
 * (reasons.h) when the bank gave no text. */
static void
refusal_text(char *buf, size_t cap, const char *code, const char *info)
{
	if (info[0] == '\0')
		info = bank_gateway_reasons_file(code).en;
	snprintf(buf, cap, "the bank refused the file: %s %s", code, info);
}

/* ---- batches: the end ----------------------------------------------------
 */

static void
batch_free(batch_ctx *c)
{
	waiter *w = c->waiters;
	while (w != NULL) {
		waiter *next = w->next;
		free(w);
		w = next;
	}
	sn__bank__v1__bank_request__free_unpacked(c->rq, NULL);
	bank_gateway_pain002_free(c->report);
	free(c->report_doc);
	bank_gateway_pain002_free(c->held);
	free(c->held_doc);
	free(c->doc);
	free(c->reply);
	free(c);
}

static void
unlink_inflight(batch_ctx *c)
{
	for (batch_ctx **p = &c->g->inflight; *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			return;
		}
}

/* Answers every waiting request with c->reply (none when it is NULL),
 * counts the outcome and frees c. */
static void
batch_finish(batch_ctx *c)
{
	bank_gateway *g = c->g;
	unlink_inflight(c);
	if (c->reply == NULL && c->refused)
		c->reply = pack_refusal(
		    c->batch->batch_id, c->error, &c->reply_len);
	for (waiter *w = c->waiters; w != NULL; w = w->next)
		reply_or_drop(w->req, c->reply, c->reply_len);
	sn_counter_add(g->c_batch[c->outcome], 1);
	if (c->repeat && !c->refused && c->reply != NULL)
		sn_counter_add(g->c_batch[B_REPEATED], 1);
	batch_free(c);
}

/* ---- batches: the answer -------------------------------------------------
 */

static void
answer_rows(
    sn_tx *tx, const bank_gateway_status_row *rows, size_t n, void *arg)
{
	batch_ctx *c = arg;
	if (n != c->batch->n_instructions) {
		sn_tx_rollback(tx, SN_EPROTO);
		return;
	}
	c->reply = pack_rows(
	    c->batch->batch_id, rows, NULL, n, NULL, NULL, &c->reply_len);
	if (c->reply == NULL) {
		sn_tx_rollback(tx, SN_ENOMEM);
		return;
	}
	sn_tx_commit(tx);
}

/* Records the try and, for an answer, the report (or the refusal), then
 * reads the reply back from the rows. */
static void
answer_begin(sn_tx *tx, void *arg)
{
	batch_ctx  *c   = arg;
	const char *id  = c->batch->batch_id;
	sn_err      err = bank_gateway_store_message_tried(
	         tx, id, c->answered, c->send_error);
	/* A DU01 refuses the batch only when the report after it was
	 * another document's (then that one is not stored). */
	if (err == SN_OK && c->held != NULL)
		err = store_report(c->g, tx, id, c->fund->fund, c->held,
		    c->held_doc, c->held_len, "post",
		    c->refused && c->report == NULL);
	if (err == SN_OK && c->report != NULL)
		err = store_report(c->g, tx, id, c->fund->fund, c->report,
		    c->report_doc, c->report_len, c->via, c->refused);
	if (err == SN_OK && c->refused && c->report == NULL
	    && c->held == NULL) {
		/* refused with no report: the bank's 413 */
		err = bank_gateway_store_message_refused(
		    tx, id, "", "HTTP 413", TOO_LARGE);
		if (err == SN_OK)
			err = bank_gateway_store_refusal(
			    tx, id, c->fund->fund, "bank", c->error);
	}
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	if (!c->answered || c->refused) {
		sn_tx_commit(tx);
		return;
	}
	err = bank_gateway_store_message_statuses(
	    tx, id, &c->slot, answer_rows, c);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static void
answer_done(sn_err err, void *arg)
{
	batch_ctx *c = arg;
	if (err != SN_OK) {
		sn_log(SN_LOG_WARN, "bank answer not stored; no reply",
		    "batch_id", c->batch->batch_id, "error", sn_strerror(err),
		    NULL);
		free(c->reply);
		c->reply   = NULL;
		c->refused = false;
		c->outcome = B_FAILED;
	} else if (!c->answered) {
		free(c->reply);
		c->reply   = NULL;
		c->refused = false;
	}
	batch_finish(c);
}

/* Ends a try without a usable answer: recorded, no reply. */
static void
unanswered(batch_ctx *c, const char *why)
{
	sn_log(SN_LOG_WARN, "no usable answer from the bank; no reply",
	    "batch_id", c->batch->batch_id, "error", why, NULL);
	if (snprintf(c->send_error, sizeof c->send_error, "%s", why)
	    >= (int) sizeof c->send_error)
		sn_log(SN_LOG_DEBUG, "the reason is cut to fit", NULL);
	c->answered = false;
	c->outcome  = B_UNANSWERED;
	sn_db_tx(c->g->db, answer_begin, answer_done, c);
}

/* Ends a try with the report in c: refused whole, or judged; stored
 * either way. */
static void
answered(batch_ctx *c)
{
	if (file_refused(c->report)) {
		refusal_text(c->error, sizeof c->error,
		    c->report->group_reason.code,
		    c->report->group_reason.info);
		c->refused = true;
		c->outcome = B_BANK_REFUSED;
		sn_log(SN_LOG_ERROR, "the bank refused a file", "batch_id",
		    c->batch->batch_id, "group_status",
		    c->report->group_status, "reason",
		    c->report->group_reason.code, "info",
		    c->report->group_reason.info, NULL);
	}
	sn_db_tx(c->g->db, answer_begin, answer_done, c);
}

/*
 * Reads the pain.002 of a's 200 into c (report, report_doc, via); false
 * when there is none for c's message (c is then ended unanswered).
 */
static bool
read_answer(batch_ctx *c, const bank_gateway_bank_answer *a, const char *via)
{
	char why[BANK_GATEWAY_ISO_WHY_MAX];
	if (a->status != 200) {
		snprintf(why, sizeof why, "HTTP %ld", a->status);
		unanswered(c, why);
		return false;
	}
	sn_err err = bank_gateway_pain002_read(
	    c->g->cfg.pain002, a->body, a->len, &c->report, why);
	if (err != SN_OK) {
		char w2[BANK_GATEWAY_ISO_WHY_MAX + 32];
		snprintf(w2, sizeof w2, "the pain.002 does not read: %s", why);
		unanswered(c, w2);
		return false;
	}
	if (strcmp(c->report->orgnl_msg_id, c->batch->batch_id) != 0) {
		snprintf(why, sizeof why, "the pain.002 is for message %s",
		    c->report->orgnl_msg_id);
		bank_gateway_pain002_free(c->report);
		c->report = NULL;
		unanswered(c, why);
		return false;
	}
	if ((c->report_doc = malloc(a->len + 1)) == NULL) {
		bank_gateway_pain002_free(c->report);
		c->report = NULL;
		unanswered(c, "out of memory");
		return false;
	}
	memcpy(c->report_doc, a->body, a->len);
	c->report_len = a->len;
	c->via        = via;
	c->answered   = true;
	c->outcome    = B_ANSWERED;
	return true;
}

/* Whose file the bank's report c->report is, by the end-to-end ids it
 * names (rules.h); unclear when out of memory. */
static bank_gateway_held
held_whose(const batch_ctx *c)
{
	const bank_gateway_pain002       *r = c->report;
	const Sn__Bank__V1__BatchRequest *b = c->batch;
	const char      **ours  = calloc(b->n_instructions + 1, sizeof(*ours));
	const char      **named = calloc(r->n_txs + 1, sizeof(*named));
	bank_gateway_held h     = BANK_GATEWAY_HELD_UNCLEAR;
	if (ours != NULL && named != NULL) {
		for (size_t i = 0; i < b->n_instructions; i++)
			ours[i] = b->instructions[i]->end_to_end_id;
		qsort(ours, b->n_instructions, sizeof(*ours),
		    bank_gateway_rules_id_cmp);
		for (size_t i = 0; i < r->n_txs; i++)
			named[i] = r->txs[i].end_to_end_id;
		h = bank_gateway_rules_held(
		    ours, b->n_instructions, named, r->n_txs);
	}
	free(ours);
	free(named);
	return h;
}

/* The bank's report of the MsgId it answered DU01 for. */
static void
on_held_report(const bank_gateway_bank_answer *a, void *arg)
{
	batch_ctx *c = arg;
	char       why[BANK_GATEWAY_ISO_WHY_MAX];
	count_call(c->g, C_PAIN002, a);
	if (a->err == SN_ECLOSED) {
		c->outcome = B_UNANSWERED;
		batch_finish(c);
		return;
	}
	if (a->err != SN_OK) {
		snprintf(why, sizeof why,
		    "DU01, and its report not fetched: %s: %s",
		    sn_strerror(a->err), a->error);
		unanswered(c, why);
		return;
	}
	if (!read_answer(c, a, "get"))
		return;
	switch (held_whose(c)) {
	case BANK_GATEWAY_HELD_OURS:
		answered(c);
		return;
	case BANK_GATEWAY_HELD_OTHERS:
		/* Not stored: another document's report. */
		bank_gateway_pain002_free(c->report);
		free(c->report_doc);
		c->report     = NULL;
		c->report_doc = NULL;
		refusal_text(c->error, sizeof c->error,
		    c->held->group_reason.code, c->held->group_reason.info);
		c->refused = true;
		c->outcome = B_BANK_REFUSED;
		sn_log(SN_LOG_ERROR,
		    "the bank holds another document under this MsgId; the "
		    "batch is refused",
		    "batch_id", c->batch->batch_id, "error", c->error, NULL);
		sn_db_tx(c->g->db, answer_begin, answer_done, c);
		return;
	case BANK_GATEWAY_HELD_UNCLEAR:
		break;
	}
	bank_gateway_pain002_free(c->report);
	free(c->report_doc);
	c->report     = NULL;
	c->report_doc = NULL;
	unanswered(c,
	    "DU01, and the bank's report of this MsgId names none or only "
	    "some of the batch's payments: a person must look");
}

/*
 * The bank answered DU01: it holds a file under this MsgId, most likely
 * our earlier try (reasons.c). No refusal: its report of that MsgId is
 * asked for and answers the batch when it is ours.
 */
static void
ask_held(batch_ctx *c)
{
	c->held       = c->report;
	c->held_doc   = c->report_doc;
	c->held_len   = c->report_len;
	c->report     = NULL;
	c->report_doc = NULL;
	c->report_len = 0;
	c->answered   = false;
	sn_log(SN_LOG_WARN,
	    "the bank holds a file under this MsgId (DU01); asking for its "
	    "report",
	    "batch_id", c->batch->batch_id, "info", c->held->group_reason.info,
	    NULL);
	if (bank_gateway_bank_get_pain002(
	        c->g->bank, c->batch->batch_id, on_held_report, c)
	    != SN_OK)
		unanswered(c, "DU01, and its report could not be asked for");
}

static void
on_posted(const bank_gateway_bank_answer *a, void *arg)
{
	batch_ctx    *c = arg;
	bank_gateway *g = c->g;
	char          why[BANK_GATEWAY_ISO_WHY_MAX];
	count_call(g, C_PAIN001, a);
	if (a->err == SN_ECLOSED) {
		c->outcome = B_UNANSWERED;
		batch_finish(c);
		return;
	}
	if (a->err != SN_OK) {
		snprintf(
		    why, sizeof why, "%s: %s", sn_strerror(a->err), a->error);
		unanswered(c, why);
		return;
	}
	if (a->status == 413) {
		/* The bank will never take this file: refused. */
		refusal_text(c->error, sizeof c->error, "HTTP 413", TOO_LARGE);
		c->refused  = true;
		c->answered = true;
		c->outcome  = B_BANK_REFUSED;
		sn_log(SN_LOG_ERROR, "the bank refused a file", "batch_id",
		    c->batch->batch_id, "error", c->error, NULL);
		sn_db_tx(g->db, answer_begin, answer_done, c);
		return;
	}
	if (!read_answer(c, a, "post"))
		return;
	if (file_held(c->report)) {
		ask_held(c);
		return;
	}
	answered(c);
}

/* ---- batches: the drop folder ------------------------------------------- */

static void
dropped_begin(sn_tx *tx, void *arg)
{
	batch_ctx *c   = arg;
	sn_err     err = SN_OK;
	if (strcmp(c->msg_state, "stored") == 0)
		err = bank_gateway_store_message_tried(
		    tx, c->batch->batch_id, true, "");
	if (err == SN_OK)
		err = bank_gateway_store_message_statuses(
		    tx, c->batch->batch_id, &c->slot, answer_rows, c);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static void
dropped_done(sn_err err, void *arg)
{
	batch_ctx *c = arg;
	if (err != SN_OK) {
		sn_log(SN_LOG_WARN, "dropped file not recorded; no reply",
		    "batch_id", c->batch->batch_id, "error", sn_strerror(err),
		    NULL);
		free(c->reply);
		c->reply   = NULL;
		c->outcome = B_FAILED;
	}
	batch_finish(c);
}

/* ---- batches: taking it --------------------------------------------------
 */

static void
send_to_bank(batch_ctx *c)
{
	bank_gateway *g = c->g;
	if (bank_gateway_bank_is_drop(g->bank)) {
		char why[256];
		c->outcome = B_DROPPED;
		if (strcmp(c->msg_state, "stored") == 0
		    && bank_gateway_bank_drop_write(g->bank,
		           c->batch->batch_id, c->doc, c->doc_len, why)
		        != SN_OK) {
			sn_log(SN_LOG_ERROR,
			    "cannot write to the drop folder; no reply",
			    "batch_id", c->batch->batch_id, "error", why,
			    NULL);
			c->outcome = B_UNANSWERED;
			batch_finish(c);
			return;
		}
		sn_db_tx(g->db, dropped_begin, dropped_done, c);
		return;
	}
	sn_err err = bank_gateway_bank_post_pain001(
	    g->bank, c->doc, c->doc_len, on_posted, c);
	if (err != SN_OK) {
		sn_log(SN_LOG_ERROR, "cannot send to the bank; no reply",
		    "batch_id", c->batch->batch_id, "error", sn_strerror(err),
		    NULL);
		c->outcome = B_UNANSWERED;
		batch_finish(c);
	}
}

/* The pain.001 of c's batch, built and validated (request.h); a document
 * that does not validate refuses the batch (c->error). */
static sn_err
build(batch_ctx *c, bank_gateway_tx_in *txs,
    char (*instr)[BANK_GATEWAY_ISO_ID_MAX],
    char (*remit)[BANK_GATEWAY_REQUEST_REMIT_MAX])
{
	const Sn__Bank__V1__BatchRequest *b = c->batch;
	char                              why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	sn_err err = bank_gateway_request_pain001(c->g->cfg.pain001, b,
	    c->fund, bank_gateway_funds_initiator(c->g->cfg.funds),
	    sn_clock_today(), sn_clock_now_s(), instr, remit, &c->doc,
	    &c->doc_len, why);
	if (err == SN_ENOMEM)
		return err;
	if (err != SN_OK) {
		snprintf(c->error, sizeof c->error,
		    "the pain.001 failed validation and was not sent: %s",
		    why);
		c->refused     = true;
		c->record_kind = "invalid";
		c->outcome     = B_INVALID;
		return SN_OK;
	}
	for (size_t i = 0; i < b->n_instructions; i++) {
		const Sn__Bank__V1__Instruction *in = b->instructions[i];
		txs[i]                              = (bank_gateway_tx_in) {
			                             .end_to_end_id    = in->end_to_end_id,
			                             .instr_id         = instr[i],
			                             .amount_fen       = in->amount_fen,
			                             .creditor_name    = in->account_name,
			                             .creditor_account = in->account_number,
			                             .bank_code        = in->bank_code,
			                             .period           = in->period,
			                             .run_id           = in->run_id,
		};
	}
	return SN_OK;
}

static bool
digest_equal(const batch_ctx *c, const bank_gateway_message_row *m)
{
	return m->request_sha256_len == sizeof c->digest
	    && memcmp(m->request_sha256, c->digest, sizeof c->digest) == 0;
}

static void
took(sn_tx *tx, const bank_gateway_message_row *m, void *arg)
{
	batch_ctx                        *c = arg;
	const Sn__Bank__V1__BatchRequest *b = c->batch;
	sn_err                            err;
	if (m != NULL) {
		c->repeat = true;
		if (!digest_equal(c, m)) {
			snprintf(c->error, sizeof c->error,
			    "batch_id %s was used for another batch",
			    b->batch_id);
			c->refused = true;
			c->outcome = B_REFUSED;
		} else if (strcmp(m->state, "refused") == 0) {
			refusal_text(c->error, sizeof c->error,
			    m->group_reason, m->group_info);
			c->refused = true;
			c->outcome = B_BANK_REFUSED;
		} else if ((c->doc = malloc(m->document_len + 1)) == NULL) {
			sn_tx_rollback(tx, SN_ENOMEM);
			return;
		} else {
			memcpy(c->doc, m->document, m->document_len);
			c->doc[m->document_len] = '\0';
			c->doc_len              = m->document_len;
			snprintf(
			    c->msg_state, sizeof c->msg_state, "%s", m->state);
		}
		sn_tx_commit(tx);
		return;
	}
	size_t              n                 = b->n_instructions;
	bank_gateway_tx_in *txs               = calloc(n, sizeof(*txs));
	char(*instr)[BANK_GATEWAY_ISO_ID_MAX] = calloc(n, sizeof(*instr));
	char(*remit)[BANK_GATEWAY_REQUEST_REMIT_MAX]
	    = calloc(n, sizeof(*remit));
	err = txs != NULL && instr != NULL && remit != NULL
	    ? build(c, txs, instr, remit)
	    : SN_ENOMEM;
	if (err == SN_OK && c->refused) {
		err = bank_gateway_store_refusal(
		    tx, b->batch_id, c->fund->fund, c->record_kind, c->error);
	} else if (err == SN_OK) {
		bank_gateway_message_in in = {
			.msg_id         = b->batch_id,
			.fund           = c->fund->fund,
			.debtor_account = c->fund->account,
			.ctrl_sum_fen   = b->control_sum_fen,
			.request_sha256 = c->digest,
			.document       = c->doc,
			.document_len   = c->doc_len,
			.transport      = bank_gateway_bank_is_drop(c->g->bank)
			         ? "drop"
			         : "https",
		};
		snprintf(c->msg_state, sizeof c->msg_state, "stored");
		err = bank_gateway_store_message_add(tx, &in, txs, n);
	}
	free(txs);
	free(instr);
	free(remit);
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	sn_tx_commit(tx);
}

static void
take_begin(sn_tx *tx, void *arg)
{
	batch_ctx *c   = arg;
	sn_err     err = bank_gateway_store_message(
	        tx, c->batch->batch_id, &c->slot, took, c);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static void
take_done(sn_err err, void *arg)
{
	batch_ctx *c = arg;
	if (err != SN_OK) {
		sn_log(SN_LOG_WARN, "batch not stored; no reply", "batch_id",
		    c->batch->batch_id, "error", sn_strerror(err), NULL);
		c->refused = false;
		c->outcome = B_FAILED;
		batch_finish(c);
		return;
	}
	if (c->refused) {
		sn_log(c->outcome == B_INVALID ? SN_LOG_ERROR : SN_LOG_WARN,
		    "batch refused", "batch_id", c->batch->batch_id, "fund",
		    c->fund->fund, "error", c->error, NULL);
		batch_finish(c);
		return;
	}
	send_to_bank(c);
}

/* ---- batches: the request ------------------------------------------------
 */

static void
feed(EVP_MD_CTX *md, const void *p, size_t n)
{
	uint64_t len = n;
	EVP_DigestUpdate(md, &len, sizeof len);
	EVP_DigestUpdate(md, p, n);
}

static void
feed_str(EVP_MD_CTX *md, const char *s)
{
	feed(md, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

static void
feed_i64(EVP_MD_CTX *md, int64_t v)
{
	feed(md, &v, sizeof v);
}

/* The digest of what a batch asks (not the ignored debtor_account and
 * remittance_info): a repeat has the same. */
static bool
batch_digest(const Sn__Bank__V1__BatchRequest *b, uint8_t out[32])
{
	EVP_MD_CTX  *md = EVP_MD_CTX_new();
	unsigned int n  = 0;
	bool ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	if (ok) {
		feed_str(md, b->fund);
		feed_i64(md, b->count);
		feed_i64(md, b->control_sum_fen);
		for (size_t i = 0; i < b->n_instructions; i++) {
			const Sn__Bank__V1__Instruction *in
			    = b->instructions[i];
			feed_str(md, in->end_to_end_id);
			feed_i64(md, in->amount_fen);
			feed_str(md, in->bank_code);
			feed_str(md, in->account_number);
			feed_str(md, in->account_name);
			feed_str(md, in->period);
			feed_str(md, in->run_id);
		}
		ok = EVP_DigestFinal_ex(md, out, &n) && n == 32;
	}
	EVP_MD_CTX_free(md);
	return ok;
}

typedef struct refusal_ctx {
	sn_reps_req *req;
	char         batch_id[64], fund[64], error[300];
} refusal_ctx;

static void
refusal_begin(sn_tx *tx, void *arg)
{
	refusal_ctx *r   = arg;
	sn_err       err = bank_gateway_store_refusal(
	          tx, r->batch_id, r->fund, "unconfigured", r->error);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
	else
		sn_tx_commit(tx);
}

static void
refusal_done(sn_err err, void *arg)
{
	refusal_ctx *r = arg;
	if (err != SN_OK)
		sn_log(SN_LOG_WARN, "refusal not recorded", "batch_id",
		    r->batch_id, "error", sn_strerror(err), NULL);
	refuse(r->req, r->batch_id, r->error);
	free(r);
}

/* A batch for a fund without an account: refused (error says so),
 * recorded, nothing sent. */
static void
unconfigured(bank_gateway *g, sn_reps_req *req,
    const Sn__Bank__V1__BatchRequest *b, const char *error)
{
	refusal_ctx *r = calloc(1, sizeof(*r));
	sn_counter_add(g->c_batch[B_UNCONFIGURED], 1);
	sn_log(SN_LOG_WARN, "batch refused", "batch_id", b->batch_id, "fund",
	    b->fund, "error", error, NULL);
	if (r == NULL) {
		refuse(req, b->batch_id, error);
		return;
	}
	r->req = req;
	snprintf(r->batch_id, sizeof r->batch_id, "%s", b->batch_id);
	snprintf(r->fund, sizeof r->fund, "%s", b->fund);
	snprintf(r->error, sizeof r->error, "%s", error);
	sn_db_tx(g->db, refusal_begin, refusal_done, r);
}

static batch_ctx *
inflight_find(bank_gateway *g, const char *batch_id)
{
	for (batch_ctx *c = g->inflight; c != NULL; c = c->next)
		if (strcmp(c->batch->batch_id, batch_id) == 0)
			return c;
	return NULL;
}

static void
on_batch(bank_gateway *g, sn_reps_req *req, Sn__Bank__V1__BankRequest *rq)
{
	const Sn__Bank__V1__BatchRequest *b = rq->batch;
	char                              why[256];
	uint8_t                           digest[32];
	const bank_gateway_fund          *f;
	batch_ctx                        *c;
	waiter                           *w;

	switch (
	    bank_gateway_request_judge(b, g->cfg.funds, &f, why, sizeof why)) {
	case BANK_GATEWAY_REQUEST_TAKEN:
		break;
	case BANK_GATEWAY_REQUEST_UNCONFIGURED:
		unconfigured(g, req, b, why);
		sn__bank__v1__bank_request__free_unpacked(rq, NULL);
		return;
	case BANK_GATEWAY_REQUEST_REFUSED:
	default:
		goto refused;
	}
	if (!batch_digest(b, digest)) {
		sn__bank__v1__bank_request__free_unpacked(rq, NULL);
		sn_reps_drop(req);
		return;
	}
	if ((c = inflight_find(g, b->batch_id)) != NULL) {
		if (memcmp(c->digest, digest, sizeof digest) != 0) {
			snprintf(why, sizeof why,
			    "batch_id %s was used for another batch",
			    b->batch_id);
			goto refused;
		}
		/* The same batch again while the first is with the bank:
		 * it gets that one's answer. */
		if ((w = calloc(1, sizeof(*w))) == NULL) {
			sn__bank__v1__bank_request__free_unpacked(rq, NULL);
			sn_reps_drop(req);
			return;
		}
		w->req     = req;
		w->next    = c->waiters;
		c->waiters = w;
		c->repeat  = true;
		sn__bank__v1__bank_request__free_unpacked(rq, NULL);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL
	    || (w = calloc(1, sizeof(*w))) == NULL) {
		free(c);
		sn__bank__v1__bank_request__free_unpacked(rq, NULL);
		sn_reps_drop(req);
		return;
	}
	w->req     = req;
	c->g       = g;
	c->waiters = w;
	c->rq      = rq;
	c->batch   = b;
	c->fund    = f;
	c->outcome = B_ANSWERED;
	memcpy(c->digest, digest, sizeof digest);
	c->next     = g->inflight;
	g->inflight = c;
	sn_db_tx(g->db, take_begin, take_done, c);
	return;

refused:
	sn_counter_add(g->c_batch[B_REFUSED], 1);
	sn_log(SN_LOG_WARN, "batch refused", "batch_id", b->batch_id, "error",
	    why, NULL);
	refuse(req, b->batch_id, why);
	sn__bank__v1__bank_request__free_unpacked(rq, NULL);
}

/* ---- status queries ------------------------------------------------------
 */

typedef struct query_ctx {
	bank_gateway              *g;
	sn_reps_req               *req;
	Sn__Bank__V1__BankRequest *rq;
	char                     **fetch; /* messages whose report is asked */
	size_t                     n_fetch;
	bool                      *absent; /* per fetch: the bank said 404 */
	size_t                     outstanding;
} query_ctx;

typedef struct fetch_ctx {
	query_ctx            *q;
	size_t                i;
	char                 *doc;
	size_t                len;
	bank_gateway_pain002 *report;
	char                  fund[64];
} fetch_ctx;

static void
query_free(query_ctx *q)
{
	for (size_t i = 0; i < q->n_fetch; i++)
		free(q->fetch[i]);
	free(q->fetch);
	free(q->absent);
	sn__bank__v1__bank_request__free_unpacked(q->rq, NULL);
	free(q);
}

static bool
unfinished(const bank_gateway_status_row *r)
{
	return r->found
	    && (r->state == BANK_GATEWAY_STATE_NONE
	        || r->state == BANK_GATEWAY_STATE_PENDING);
}

/* Unknown: an unfinished transaction of a message the bank does not
 * know (404), or, in the drop folder, of one never written. */
static bool
query_unknown(const bank_gateway_status_row *r, void *arg)
{
	query_ctx *q = arg;
	if (!unfinished(r))
		return false;
	if (strcmp(r->msg_state, "stored") == 0
	    && bank_gateway_bank_is_drop(q->g->bank))
		return true;
	for (size_t i = 0; i < q->n_fetch; i++)
		if (q->absent[i] && strcmp(q->fetch[i], r->msg_id) == 0)
			return true;
	return false;
}

static void
query_answer(
    sn_err err, const bank_gateway_status_row *rows, size_t n, void *arg)
{
	query_ctx                       *q  = arg;
	const Sn__Bank__V1__StatusQuery *sq = q->rq->query;
	size_t                           len;
	uint8_t                         *buf = NULL;
	if (err == SN_OK && n == sq->n_end_to_end_ids)
		buf = pack_rows(NULL, rows,
		    (const char *const *) sq->end_to_end_ids, n, query_unknown,
		    q, &len);
	if (buf == NULL)
		sn_log(SN_LOG_WARN, "status query failed; no reply", "error",
		    sn_strerror(err != SN_OK ? err : SN_ENOMEM), NULL);
	reply_or_drop(q->req, buf, len);
	free(buf);
	query_free(q);
}

static void
query_reread(query_ctx *q)
{
	const Sn__Bank__V1__StatusQuery *sq = q->rq->query;
	if (q->g->closing) {
		/* The fetches ended with the link (shutdown): no reply. */
		sn_reps_drop(q->req);
		query_free(q);
		return;
	}
	if (bank_gateway_store_latest(q->g->db,
	        (const char *const *) sq->end_to_end_ids, sq->n_end_to_end_ids,
	        query_answer, q)
	    != SN_OK)
		query_answer(SN_ENOMEM, NULL, 0, q);
}

static void
fetch_free(fetch_ctx *f)
{
	bank_gateway_pain002_free(f->report);
	free(f->doc);
	free(f);
}

static void
fetch_end(fetch_ctx *f)
{
	query_ctx *q = f->q;
	fetch_free(f);
	if (--q->outstanding == 0)
		query_reread(q);
}

static void
fetched_begin(sn_tx *tx, void *arg)
{
	fetch_ctx *f   = arg;
	sn_err     err = store_report(f->q->g, tx, f->q->fetch[f->i], f->fund,
	        f->report, f->doc, f->len, "get", file_refused(f->report));
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
	else
		sn_tx_commit(tx);
}

static void
fetched_done(sn_err err, void *arg)
{
	fetch_ctx *f = arg;
	if (err != SN_OK)
		sn_log(SN_LOG_WARN, "fetched pain.002 not stored", "msg_id",
		    f->q->fetch[f->i], "error", sn_strerror(err), NULL);
	fetch_end(f);
}

static void
on_fetched(const bank_gateway_bank_answer *a, void *arg)
{
	fetch_ctx    *f  = arg;
	query_ctx    *q  = f->q;
	bank_gateway *g  = q->g;
	const char   *id = q->fetch[f->i];
	char          why[BANK_GATEWAY_ISO_WHY_MAX];
	count_call(g, C_PAIN002, a);
	if (a->err == SN_OK && a->status == 404) {
		q->absent[f->i] = true;
		fetch_end(f);
		return;
	}
	if (a->err != SN_OK || a->status != 200) {
		sn_log(SN_LOG_WARN, "the bank's pain.002 not fetched",
		    "msg_id", id, "error",
		    a->err != SN_OK ? a->error : "HTTP status", NULL);
		fetch_end(f);
		return;
	}
	if (bank_gateway_pain002_read(
	        g->cfg.pain002, a->body, a->len, &f->report, why)
	        != SN_OK
	    || strcmp(f->report->orgnl_msg_id, id) != 0
	    || (f->doc = malloc(a->len + 1)) == NULL) {
		sn_log(SN_LOG_WARN, "the bank's pain.002 does not read",
		    "msg_id", id, "error",
		    f->report == NULL ? why : "another message's", NULL);
		fetch_end(f);
		return;
	}
	memcpy(f->doc, a->body, a->len);
	f->len = a->len;
	sn_db_tx(g->db, fetched_begin, fetched_done, f);
}

static void
query_fetch(query_ctx *q, const bank_gateway_status_row *rows, size_t n)
{
	bank_gateway *g = q->g;
	if ((q->fetch = calloc(n ? n : 1, sizeof(*q->fetch))) == NULL
	    || (q->absent = calloc(n ? n : 1, sizeof(*q->absent))) == NULL) {
		query_answer(SN_ENOMEM, NULL, 0, q);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		if (!unfinished(&rows[i]))
			continue;
		for (size_t k = 0; k < q->n_fetch && !seen; k++)
			seen = strcmp(q->fetch[k], rows[i].msg_id) == 0;
		if (!seen
		    && (q->fetch[q->n_fetch] = strdup(rows[i].msg_id)) != NULL)
			q->n_fetch++;
	}
	if (q->n_fetch == 0) {
		/* Nothing to ask the bank: rows are already the answer. */
		query_answer(SN_OK, rows, n, q);
		return;
	}
	/* One more than the fetches, released below, so that a fetch
	 * failing at once does not finish the query early. */
	q->outstanding = q->n_fetch + 1;
	for (size_t i = 0; i < q->n_fetch; i++) {
		fetch_ctx *f = calloc(1, sizeof(*f));
		if (f == NULL) {
			q->outstanding--;
			continue;
		}
		f->q = q;
		f->i = i;
		if (bank_gateway_bank_get_pain002(
		        g->bank, q->fetch[i], on_fetched, f)
		    != SN_OK) {
			free(f);
			q->outstanding--;
		}
	}
	if (--q->outstanding == 0)
		query_reread(q);
}

static void
query_rows(
    sn_err err, const bank_gateway_status_row *rows, size_t n, void *arg)
{
	query_ctx *q = arg;
	if (err != SN_OK || n != q->rq->query->n_end_to_end_ids) {
		query_answer(err != SN_OK ? err : SN_EPROTO, NULL, 0, q);
		return;
	}
	if (bank_gateway_bank_is_drop(q->g->bank)) {
		query_answer(SN_OK, rows, n, q);
		return;
	}
	query_fetch(q, rows, n);
}

static void
on_query(bank_gateway *g, sn_reps_req *req, Sn__Bank__V1__BankRequest *rq)
{
	query_ctx *q = calloc(1, sizeof(*q));
	if (q == NULL) {
		sn__bank__v1__bank_request__free_unpacked(rq, NULL);
		sn_reps_drop(req);
		return;
	}
	q->g   = g;
	q->req = req;
	q->rq  = rq;
	if (rq->query->n_end_to_end_ids == 0) {
		sn_log(
		    SN_LOG_WARN, "empty status query; answered empty", NULL);
		query_answer(SN_OK, NULL, 0, q);
		return;
	}
	if (bank_gateway_store_latest(g->db,
	        (const char *const *) rq->query->end_to_end_ids,
	        rq->query->n_end_to_end_ids, query_rows, q)
	    != SN_OK)
		query_answer(SN_ENOMEM, NULL, 0, q);
}

/* ---- fund queries --------------------------------------------------------
 */

static void
on_funds(bank_gateway *g, sn_reps_req *req, Sn__Bank__V1__BankRequest *rq)
{
	const Sn__Bank__V1__FundQuery *fq  = rq->funds;
	size_t                         n   = fq->n_funds;
	Sn__Bank__V1__FundAccount     *a   = calloc(n ? n : 1, sizeof(*a));
	Sn__Bank__V1__FundAccount    **p   = calloc(n ? n : 1, sizeof(*p));
	uint8_t                       *buf = NULL;
	size_t                         len = 0;
	if (a != NULL && p != NULL) {
		for (size_t i = 0; i < n; i++) {
			const bank_gateway_fund *f = bank_gateway_funds_find(
			    g->cfg.funds, fq->funds[i]);
			sn__bank__v1__fund_account__init(&a[i]);
			a[i].fund = fq->funds[i];
			if (f != NULL) {
				a[i].configured   = true;
				a[i].account_name = (char *) f->account_name;
				a[i].account      = (char *) f->account;
				a[i].agent        = (char *) f->agent;
				a[i].currency     = (char *) f->currency;
				a[i].purpose      = (char *) f->purpose;
			}
			p[i] = &a[i];
		}
		Sn__Bank__V1__BankReply rp = SN__BANK__V1__BANK_REPLY__INIT;
		Sn__Bank__V1__FundReply fr = SN__BANK__V1__FUND_REPLY__INIT;
		fr.n_funds                 = n;
		fr.funds                   = p;
		rp.body_case = SN__BANK__V1__BANK_REPLY__BODY_FUNDS;
		rp.funds     = &fr;
		buf          = pack_reply(&rp, &len);
	}
	reply_or_drop(req, buf, len);
	free(buf);
	free(a);
	free(p);
	sn__bank__v1__bank_request__free_unpacked(rq, NULL);
}

static void
on_request(sn_reps_req *req, const uint8_t *body, size_t len, void *arg)
{
	bank_gateway              *g = arg;
	Sn__Bank__V1__BankRequest *rq;
	switch (bank_gateway_request_decode(body, len, &rq)) {
	case BANK_GATEWAY_REQUEST_BATCH:
		sn_counter_add(g->c_kind[K_BATCH], 1);
		on_batch(g, req, rq);
		return;
	case BANK_GATEWAY_REQUEST_QUERY:
		sn_counter_add(g->c_kind[K_QUERY], 1);
		on_query(g, req, rq);
		return;
	case BANK_GATEWAY_REQUEST_FUNDS:
		sn_counter_add(g->c_kind[K_FUNDS], 1);
		on_funds(g, req, rq);
		return;
	case BANK_GATEWAY_REQUEST_MALFORMED:
		break;
	}
	sn_counter_add(g->c_kind[K_MALFORMED], 1);
	sn_log(SN_LOG_WARN, "malformed request", NULL);
	refuse(req, "", "malformed request");
}

/* ---- the drop folder's in/ -----------------------------------------------
 */

typedef struct drop_ctx {
	bank_gateway         *g;
	char                 *name;
	char                 *body;
	size_t                len;
	bank_gateway_pain002 *report;
} drop_ctx;

static void drop_next(bank_gateway *g);

static void
drop_end(drop_ctx *d, bool ok)
{
	bank_gateway *g = d->g;
	sn_counter_add(
	    g->c_file[ok ? (d->report != NULL ? F_PAIN002 : F_CAMT054)
	                 : F_BAD],
	    1);
	bank_gateway_bank_drop_done(g->bank, d->name, ok);
	bank_gateway_pain002_free(d->report);
	free(d->name);
	free(d->body);
	free(d);
	g->dropping = false;
	if (!g->stopping)
		drop_next(g);
}

static void
drop_report_begin(sn_tx *tx, void *arg)
{
	drop_ctx *d   = arg;
	sn_err    err = store_report(d->g, tx, d->report->orgnl_msg_id, "",
	       d->report, d->body, d->len, "drop", file_refused(d->report));
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
	else
		sn_tx_commit(tx);
}

static void
drop_report_done(sn_err err, void *arg)
{
	drop_ctx *d = arg;
	if (err != SN_OK)
		sn_log(SN_LOG_ERROR,
		    "a pain.002 of the drop folder was not stored (a message "
		    "we never sent?)",
		    "file", d->name, "orgnl_msg_id", d->report->orgnl_msg_id,
		    "error", sn_strerror(err), NULL);
	drop_end(d, err == SN_OK);
}

static void
drop_camt_done(sn_err err, void *arg)
{
	drop_ctx *d = arg;
	if (err != SN_OK)
		sn_log(SN_LOG_ERROR,
		    "a camt.054 of the drop folder was not stored", "file",
		    d->name, "error", sn_strerror(err), NULL);
	drop_end(d, err == SN_OK);
}

static void
drop_next(bank_gateway *g)
{
	char  *name = NULL, *body = NULL;
	size_t len = 0;
	char   why[BANK_GATEWAY_ISO_WHY_MAX], why2[BANK_GATEWAY_ISO_WHY_MAX];
	if (g->dropping || g->stopping)
		return;
	for (;;) {
		sn_err err
		    = bank_gateway_bank_drop_next(g->bank, &name, &body, &len);
		if (err == SN_ENOTFOUND)
			return;
		if (err == SN_EIO) {
			sn_counter_add(g->c_file[F_BAD], 1);
			free(name);
			continue;
		}
		if (err != SN_OK)
			return;
		break;
	}
	drop_ctx *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		free(name);
		free(body);
		return;
	}
	d->g        = g;
	d->name     = name;
	d->body     = body;
	d->len      = len;
	g->dropping = true;
	if (bank_gateway_pain002_read(
	        g->cfg.pain002, body, len, &d->report, why)
	    == SN_OK) {
		sn_db_tx(g->db, drop_report_begin, drop_report_done, d);
		return;
	}
	bank_gateway_camt054 *n = NULL;
	if (bank_gateway_camt054_read(g->cfg.camt054, body, len, &n, why2)
	    == SN_OK) {
		if (bank_gateway_reconciler_take(
		        g->recon, body, len, n, drop_camt_done, d)
		    != SN_OK)
			drop_end(d, false);
		return;
	}
	sn_log(SN_LOG_ERROR,
	    "a file of the drop folder is neither a pain.002 nor a camt.054",
	    "file", name, "as_pain002", why, "as_camt054", why2, NULL);
	drop_end(d, false);
}

static void
on_drop_tick(uv_timer_t *t)
{
	bank_gateway *g = t->data;
	if (!g->stopping && sn_db_ready(g->db))
		drop_next(g);
}

/* ---- lifecycle -----------------------------------------------------------
 */

static sn_err
metrics(bank_gateway *g, sn_metrics *m)
{
	static const char *const kinds[NKIND]
	    = { "batch", "query", "funds", "malformed" };
	static const char *const batches[NBATCH]
	    = { "answered", "dropped", "repeated", "unconfigured", "refused",
		      "invalid", "bank_refused", "unanswered", "failed" };
	static const char *const calls[NCALL]
	    = { "pain.001", "pain.002", "camt.054" };
	static const char *const results[NRES] = { "ok", "not_found",
		"http_error", "timeout", "unreachable", "tls", "malformed" };
	static const char *const files[NFILE]
	    = { "pain.002", "camt.054", "bad" };
	char l[96];
	bool ok = true;
	for (int i = 0; i < NKIND; i++) {
		snprintf(l, sizeof l, "kind=\"%s\"", kinds[i]);
		ok &= (g->c_kind[i] = sn_metrics_counter(m,
		           "sn_bank_gateway_requests_total",
		           "Requests from disbursement, by kind", l))
		    != NULL;
	}
	for (int i = 0; i < NBATCH; i++) {
		snprintf(l, sizeof l, "outcome=\"%s\"", batches[i]);
		ok &= (g->c_batch[i] = sn_metrics_counter(m,
		           "sn_bank_gateway_batches_total",
		           "Batches, by outcome", l))
		    != NULL;
	}
	/* Labelled state= (the stored state each outcome leads to has the
	 * same name: rules.h). */
	for (int o = 0; o < NOUTCOME; o++) {
		snprintf(l, sizeof l, "state=\"%s\"",
		    bank_gateway_outcome_name((bank_gateway_outcome) o));
		ok &= (g->c_status[o] = sn_metrics_counter(m,
		           "sn_bank_gateway_statuses_total",
		           "Transaction statuses from the bank, judged", l))
		    != NULL;
	}
	for (int c = 0; c < NCALL; c++) {
		for (int r = 0; r < NRES; r++) {
			snprintf(l, sizeof l, "call=\"%s\",result=\"%s\"",
			    calls[c], results[r]);
			ok &= (g->c_call[c][r] = sn_metrics_counter(m,
			           "sn_bank_gateway_bank_requests_total",
			           "Requests to the bank, by result", l))
			    != NULL;
		}
		snprintf(l, sizeof l, "call=\"%s\"", calls[c]);
		ok &= (g->h_call[c] = sn_metrics_histogram(m,
		           "sn_bank_gateway_bank_seconds",
		           "Latency of the bank's answers", l,
		           sn_metrics_latency_bounds,
		           sn_metrics_latency_nbounds))
		    != NULL;
	}
	for (int i = 0; i < NFILE; i++) {
		snprintf(l, sizeof l, "kind=\"%s\"", files[i]);
		ok &= (g->c_file[i] = sn_metrics_counter(m,
		           "sn_bank_gateway_drop_files_total",
		           "Files read from the drop folder's in/", l))
		    != NULL;
	}
	return ok ? SN_OK : SN_ENOMEM;
}

sn_err
bank_gateway_open(
    bank_gateway **out, sn_service *svc, const bank_gateway_config *cfg)
{
	bank_gateway *g = calloc(1, sizeof(*g));
	sn_err        err;
	if (g == NULL)
		return SN_ENOMEM;
	g->svc = svc;
	g->db  = sn_service_db(svc);
	g->cfg = *cfg;
	if ((err = metrics(g, sn_service_metrics(svc))) != SN_OK)
		goto fail;
	bank_gateway_bank_config bc = { .iso_url = cfg->iso_url,
		.drop_dir                        = cfg->drop_dir,
		.timeout_ms                      = cfg->bank_timeout_ms,
		.statement_timeout_ms            = cfg->statement_timeout_ms,
		.peer_name                       = cfg->peer_name };
	if ((err = bank_gateway_bank_open(&g->bank, sn_service_loop(svc), &bc))
	    != SN_OK)
		goto fail;
	bank_gateway_reconciler_config rc = { .funds = cfg->funds,
		.camt054                             = cfg->camt054,
		.period_ms                           = cfg->recon_ms,
		.answered                            = count_camt054,
		.answered_arg                        = g };
	if ((err = bank_gateway_reconciler_open(&g->recon, svc, g->bank, &rc))
	    != SN_OK)
		goto fail;
	if (bank_gateway_bank_is_drop(g->bank)) {
		uv_loop_t *uv = sn_loop_uv(sn_service_loop(svc));
		if (uv_timer_init(uv, &g->drop_timer) != 0) {
			err = SN_EUV;
			goto fail;
		}
		g->drop_timer.data = g;
		g->timer_open      = true;
		uv_timer_start(&g->drop_timer, on_drop_tick, cfg->drop_poll_ms,
		    cfg->drop_poll_ms);
	}
	if ((err = sn_reps_open(&g->server, sn_service_loop(svc), cfg->url,
	         cfg->contexts, cfg->max_request, on_request, g))
	    != SN_OK)
		goto fail;
	sn_log(SN_LOG_INFO, "bank-gateway ready", "transport",
	    bank_gateway_bank_is_drop(g->bank) ? "drop" : "https", "bank",
	    bank_gateway_bank_is_drop(g->bank) ? cfg->drop_dir : cfg->iso_url,
	    NULL);
	*out = g;
	return SN_OK;
fail:
	bank_gateway_close(g);
	return err;
}

void *
bank_gateway_route_arg(bank_gateway *g)
{
	return g->recon;
}

void
bank_gateway_stop(bank_gateway *g)
{
	if (g == NULL)
		return;
	g->stopping = true;
	sn_reps_stop(g->server);
	bank_gateway_reconciler_stop(g->recon);
	if (g->timer_open)
		uv_timer_stop(&g->drop_timer);
}

static void
on_timer_closed(uv_handle_t *h)
{
	free(h->data);
}

void
bank_gateway_close(bank_gateway *g)
{
	if (g == NULL)
		return;
	g->stopping = true;
	g->closing  = true;
	/* The reconciler first (it frees itself once its run in flight
	 * ends); then batches, queries and that run still with the bank end
	 * here, their requests dropped while the socket is still open (the
	 * callbacks run with SN_ECLOSED and free them); then the rest. */
	bank_gateway_reconciler_close(g->recon);
	g->recon = NULL;
	bank_gateway_bank_close(g->bank);
	g->bank = NULL;
	sn_reps_close(g->server);
	g->server = NULL;
	if (g->timer_open) {
		uv_close((uv_handle_t *) &g->drop_timer, on_timer_closed);
		return;
	}
	free(g);
}
