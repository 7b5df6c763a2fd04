/*
 * bank-sim/iso.c - see iso.h.
 *
 * A pain.001's life: bank_sim_iso_pain001 (read, validated, totals) ->
 * sn_db_tx -> post_begin: claim the MsgId -> post_claimed: new (lock the
 * debtor accounts, read the book's statuses of its ids and what the
 * accounts have paid) or taken (post_message: the same document or
 * another) -> post_used: judge and write -> post_written -> the report
 * read back inside the transaction (post_reported), then COMMIT ->
 * post_done: maybe crash, then answer through the dice. One post_ctx
 * owns everything on the way and post_done frees it.
 */
#include "iso.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bankside.h"
#include "sn/clock.h"
#include "sn/date.h"
#include "sn/input.h"
#include "sn/log.h"
#include "store_iso.h"

#define XML_TYPE "application/xml; charset=utf-8"

enum { O_STORED, O_REPEATED, O_REFUSED, O_DU01, O_FAILED, NOUT };
enum { A_SENT, A_DROPPED, A_DELAYED, NACT };

/* An answer held back (delayed or withheld) until its timer fires or
 * shutdown. */
typedef struct held {
	bank_sim_iso *iso;
	sn_http_req  *req; /* NULL once answered */
	char         *xml; /* the report; NULL for a withheld answer */
	size_t        len;
	uv_timer_t    timer;
	struct held  *prev, *next;
} held;

struct bank_sim_iso {
	sn_loop                 *loop;
	sn_db                   *db;
	bank_sim_config          cfg;
	const bank_sim_accounts *accounts;
	bank_sim_faults         *faults;
	char                     seed[24];
	bank_gateway_iso_schema *pain001, *pain002, *camt054;
	held                    *held;    /* answers held back */
	size_t                   handles; /* timers not closed yet */
	size_t                   busy;    /* transactions in flight */
	bool                     stopping, closing;
	uint64_t                 seq; /* of report and notification ids */
	uint64_t                 n_out[NOUT], n_act[NACT];
	sn_counter              *c_out[NOUT], *c_act[NACT];
	sn_gauge                *g_busy, *g_busy_max;
	int64_t                  busy_max;
};

/* ---- answers ------------------------------------------------------------ */

static void
maybe_free(bank_sim_iso *iso)
{
	if (!iso->closing || iso->handles > 0 || iso->busy > 0)
		return;
	bank_gateway_iso_schema_close(iso->pain001);
	bank_gateway_iso_schema_close(iso->pain002);
	bank_gateway_iso_schema_close(iso->camt054);
	free(iso);
}

/* One more (d 1) or one less (d -1) request in flight. */
static void
busy_add(bank_sim_iso *iso, int d)
{
	iso->busy = d > 0 ? iso->busy + 1 : iso->busy - 1;
	sn_gauge_set(iso->g_busy, (int64_t) iso->busy);
	if ((int64_t) iso->busy > iso->busy_max) {
		iso->busy_max = (int64_t) iso->busy;
		sn_gauge_set(iso->g_busy_max, iso->busy_max);
	}
}

static void
count_out(bank_sim_iso *iso, int o)
{
	iso->n_out[o]++;
	sn_counter_add(iso->c_out[o], 1);
}

static void
count_act(bank_sim_iso *iso, int a)
{
	iso->n_act[a]++;
	sn_counter_add(iso->c_act[a], 1);
}

static void
withheld(sn_http_req *req)
{
	sn_http_reply_error(req, 503, "unavailable",
	    "the bank withheld this answer (SN_BANK_SIM_DROP_PERCENT); the "
	    "message's status is at GET /iso20022/pain.002/{MsgId}",
	    NULL);
}

/* Sends h's answer now (once). */
static void
held_answer(held *h)
{
	if (h->req == NULL)
		return;
	if (h->xml != NULL)
		sn_http_reply_text(h->req, 200, XML_TYPE, h->xml, h->len);
	else
		withheld(h->req);
	h->req = NULL;
}

static void
held_closed(uv_handle_t *t)
{
	held         *h   = t->data;
	bank_sim_iso *iso = h->iso;
	free(h->xml);
	free(h);
	iso->handles--;
	maybe_free(iso);
}

/* Answers h, takes it off the list and closes its timer. */
static void
held_end(held *h)
{
	bank_sim_iso *iso = h->iso;
	held_answer(h);
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		iso->held = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	uv_timer_stop(&h->timer);
	uv_close((uv_handle_t *) &h->timer, held_closed);
}

static void
held_fire(uv_timer_t *t)
{
	held_end(t->data);
}

/* Holds req's answer (xml taken; NULL: withheld) for ms. */
static void
hold(bank_sim_iso *iso, sn_http_req *req, char *xml, size_t len, uint32_t ms)
{
	held *h = calloc(1, sizeof(*h));
	if (iso->stopping || h == NULL
	    || uv_timer_init(sn_loop_uv(iso->loop), &h->timer) != 0) {
		held tmp = { .req = req, .xml = xml, .len = len };
		held_answer(&tmp);
		free(xml);
		free(h);
		return;
	}
	h->iso        = iso;
	h->req        = req;
	h->xml        = xml;
	h->len        = len;
	h->timer.data = h;
	h->next       = iso->held;
	if (iso->held != NULL)
		iso->held->prev = h;
	iso->held = h;
	iso->handles++;
	uv_timer_start(&h->timer, held_fire, ms, 0);
}

/* Answers a pain.001 with the report xml (taken), as the dice say. */
static void
answer(bank_sim_iso *iso, sn_http_req *req, char *xml, size_t len)
{
	switch (bank_sim_faults_act(iso->faults)) {
	case BANK_SIM_ACT_DROP:
		count_act(iso, A_DROPPED);
		free(xml);
		hold(iso, req, NULL, 0, iso->cfg.drop_hold_ms);
		return;
	case BANK_SIM_ACT_DELAY:
		count_act(iso, A_DELAYED);
		hold(iso, req, xml, len, iso->cfg.timeout_ms);
		return;
	case BANK_SIM_ACT_REPLY:
		break;
	}
	count_act(iso, A_SENT);
	sn_http_reply_text(req, 200, XML_TYPE, xml, len);
	free(xml);
}

/* A new id for a document the bank writes: prefix, the clock in ms and
 * a sequence number (22 characters). */
static void
next_id(bank_sim_iso *iso, const char *prefix, char buf[64])
{
	snprintf(buf, 64, "%s%013" PRId64 "%06" PRIu64, prefix,
	    sn_clock_now_ms(), ++iso->seq % 1000000);
}

/* A status report refusing a whole document: GrpSts RJCT with code and
 * why; answered through the dice. Nothing was stored. */
static void
refuse(bank_sim_iso *iso, sn_http_req *req, const char *orgnl,
    const char *code, const char *why, int outcome)
{
	char                         id[64], w[BANK_GATEWAY_ISO_WHY_MAX];
	char                        *xml = NULL;
	size_t                       len = 0;
	bank_gateway_bankside_report r   = { .msg_id = id,
		  .created                           = sn_clock_now_s(),
		  .orgnl_msg_id = orgnl[0] != '\0' ? orgnl : "NOTPROVIDED",
		  .group        = { "RJCT", code, why } };
	next_id(iso, "STS", id);
	count_out(iso, outcome);
	sn_log(SN_LOG_WARN, "pain.001 refused", "msg_id", r.orgnl_msg_id,
	    "code", code, "error", why, NULL);
	if (bank_gateway_bankside_pain002_write(
	        iso->pain002, &r, &xml, &len, w)
	    != SN_OK) {
		sn_log(SN_LOG_ERROR, "pain.002 not written", "error", w, NULL);
		sn_http_reply_error(req, 503, "unavailable",
		    "the report cannot be written", NULL);
		return;
	}
	answer(iso, req, xml, len);
}

/* ---- status reports ----------------------------------------------------- */

/* The counts of a level's statuses. */
typedef struct tally {
	size_t settled, accepted, rejected;
} tally;

static void
tally_add(tally *t, bank_sim_status s)
{
	t->settled += s == BANK_SIM_SETTLED;
	t->accepted += s == BANK_SIM_ACCEPTED;
	t->rejected += s == BANK_SIM_REJECTED;
}

static const char *
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* The blocks of rows (in document order, so each block's rows are
 * together) into p (room for n) and their tallies; returns how many. */
static size_t
blocks_of(const bank_sim_report_row *rows, size_t n,
    bank_gateway_bankside_report_pmtinf *p, bank_gateway_bankside_report_tx *t,
    tally *bt, tally *group)
{
	size_t nb = 0;
	for (size_t i = 0; i < n; i++) {
		const bank_sim_report_row *r = &rows[i];
		if (i == 0 || r->block != rows[i - 1].block) {
			p[nb] = (bank_gateway_bankside_report_pmtinf) {
				.pmt_inf_id = r->pmt_inf_id, .txs = &t[i]
			};
			bt[nb] = (tally) { 0, 0, 0 };
			nb++;
		}
		t[i] = (bank_gateway_bankside_report_tx) { .instr_id
			= nonempty(r->instr_id),
			.end_to_end_id = r->end_to_end_id,
			.st            = { bank_sim_rules_tx_status(r->status),
                            r->status == BANK_SIM_REJECTED
			                   ? nonempty(r->iso_reason)
			                   : NULL,
			               NULL },
			.bank_ref      = nonempty(r->bank_ref) };
		p[nb - 1].n_txs++;
		tally_add(&bt[nb - 1], r->status);
		tally_add(group, r->status);
		if (r->block_status[0] != '\0')
			p[nb - 1].st
			    = (bank_gateway_bankside_status) { r->block_status,
				      nonempty(r->block_reason), NULL };
	}
	for (size_t b = 0; b < nb; b++)
		if (p[b].st.status == NULL)
			p[b].st.status = bank_sim_rules_level_status(
			    bt[b].settled, bt[b].accepted, bt[b].rejected);
	return nb;
}

/* The status report of a stored message from its rows (n > 0). */
static sn_err
report_xml(bank_sim_iso *iso, const char *msg_id,
    const bank_sim_report_row *rows, size_t n, char **xml, size_t *len)
{
	bank_gateway_bankside_report_pmtinf *p  = calloc(n, sizeof(*p));
	bank_gateway_bankside_report_tx     *t  = calloc(n, sizeof(*t));
	tally                               *bt = calloc(n, sizeof(*bt));
	tally                                g  = { 0, 0, 0 };
	char   id[64], why[BANK_GATEWAY_ISO_WHY_MAX];
	sn_err err = SN_ENOMEM;
	if (p != NULL && t != NULL && bt != NULL) {
		size_t nb = blocks_of(rows, n, p, t, bt, &g);
		bank_gateway_bankside_report r = { .msg_id = id,
			.created                           = sn_clock_now_s(),
			.orgnl_msg_id                      = msg_id,
			.orgnl_nb_of_txs    = (size_t) rows[0].nb_of_txs,
			.has_orgnl_ctrl_sum = true,
			.orgnl_ctrl_sum     = rows[0].control_sum_fen,
			.group              = { bank_sim_rules_level_status(
			                            g.settled, g.accepted, g.rejected),
			                 NULL, NULL },
			.pmtinfs            = p,
			.n_pmtinfs          = nb };
		next_id(iso, "STS", id);
		err = bank_gateway_bankside_pain002_write(
		    iso->pain002, &r, xml, len, why);
		if (err != SN_OK)
			sn_log(SN_LOG_ERROR, "pain.002 not written", "msg_id",
			    msg_id, "error", why, NULL);
	}
	free(p);
	free(t);
	free(bt);
	return err;
}

/* ---- a pain.001 --------------------------------------------------------- */

typedef struct post_ctx {
	bank_sim_iso                  *iso;
	sn_http_req                   *req;
	bank_gateway_bankside_pain001 *doc;
	char                           sha[2 * crypto_hash_sha256_BYTES + 1];
	size_t                         n, nb, nud;
	int64_t                        sum; /* of the exact amounts */
	bank_sim_instr                *ins;
	bank_sim_iso_tx               *txs;
	bank_sim_iso_verdict          *verdicts;
	bank_sim_iso_key              *keys;
	const char                   **instr_ids;
	const char                   **pmt_inf_ids, **debtors, **udebtors;
	int64_t *available; /* per udebtors: the balance, then less used */
	bank_sim_iso_block *blocks;
	bool                is_new, repeated, conflict;
	bank_sim_store_slot s1, s2, s3;
	char               *xml;
	size_t              len;
} post_ctx;

static void
post_free(post_ctx *c)
{
	bank_gateway_bankside_pain001_free(c->doc);
	free(c->ins);
	free(c->txs);
	free(c->verdicts);
	free(c->keys);
	free(c->instr_ids);
	free(c->pmt_inf_ids);
	free(c->debtors);
	free(c->udebtors);
	free(c->available);
	free(c->blocks);
	free(c->xml);
	free(c);
}

static bool
post_alloc(post_ctx *c)
{
	size_t n = c->n, nb = c->nb;
	c->ins         = calloc(n, sizeof(*c->ins));
	c->txs         = calloc(n, sizeof(*c->txs));
	c->verdicts    = calloc(n, sizeof(*c->verdicts));
	c->keys        = calloc(n, sizeof(*c->keys));
	c->instr_ids   = calloc(n, sizeof(*c->instr_ids));
	c->pmt_inf_ids = calloc(nb, sizeof(*c->pmt_inf_ids));
	c->debtors     = calloc(nb, sizeof(*c->debtors));
	c->udebtors    = calloc(nb, sizeof(*c->udebtors));
	c->available   = calloc(nb, sizeof(*c->available));
	c->blocks      = calloc(nb, sizeof(*c->blocks));
	return c->ins != NULL && c->txs != NULL && c->verdicts != NULL
	    && c->keys != NULL && c->instr_ids != NULL
	    && c->pmt_inf_ids != NULL && c->debtors != NULL
	    && c->udebtors != NULL && c->available != NULL
	    && c->blocks != NULL;
}

/* The blocks: ids, debtor accounts, and the distinct ones with a
 * balance (available: their fixture's balance, until post_used takes off
 * what they have paid), whose availability the blocks share. */
static void
post_blocks(post_ctx *c, const bank_sim_accounts *accounts)
{
	for (size_t b = 0; b < c->nb; b++) {
		const char             *d = c->doc->pmtinfs[b].debtor_account;
		const bank_sim_account *rec
		    = bank_sim_accounts_find(accounts, d);
		c->pmt_inf_ids[b] = c->doc->pmtinfs[b].pmt_inf_id;
		c->debtors[b]     = d;
		if (rec == NULL || !rec->has_balance)
			continue;
		size_t k = 0;
		while (k < c->nud && strcmp(c->udebtors[k], d) != 0)
			k++;
		if (k == c->nud) {
			c->udebtors[c->nud]    = d;
			c->available[c->nud++] = rec->balance_fen;
		}
		c->blocks[b].available = &c->available[k];
	}
}

/* The transactions as the rules and the store see them. */
static void
post_txs(post_ctx *c, const bank_sim_accounts *accounts)
{
	for (size_t i = 0; i < c->n; i++) {
		const bank_gateway_bankside_tx *t = &c->doc->txs[i];
		c->ins[i]
		    = (bank_sim_instr) { .end_to_end_id = t->end_to_end_id,
			      .amount_fen               = t->amount,
			      .bank_code                = "",
			      .account_number           = t->creditor_account,
			      .account_name             = t->creditor_name,
			      .remittance_info          = t->remittance };
		c->txs[i]       = (bank_sim_iso_tx) { .in = c->ins[i],
			      .amount_ok
			      = t->amount_exact && strcmp(t->currency, "CNY") == 0,
			      .account = bank_sim_accounts_find(
			          accounts, t->creditor_account),
			      .block = t->pmtinf };
		c->instr_ids[i] = t->instr_id;
		if (t->amount_exact
		    && sn_fen_add(c->sum, t->amount, &c->sum) != SN_OK)
			c->sum = INT64_MAX;
	}
}

static post_ctx *
post_new(bank_sim_iso *iso, sn_http_req *req,
    bank_gateway_bankside_pain001 *doc, const char *body, size_t len)
{
	post_ctx     *c = calloc(1, sizeof(*c));
	unsigned char h[crypto_hash_sha256_BYTES];
	if (c == NULL)
		return NULL;
	c->iso = iso;
	c->req = req;
	c->doc = doc;
	c->n   = doc->n_txs;
	c->nb  = doc->n_pmtinfs;
	if (!post_alloc(c)) {
		c->doc = NULL;
		post_free(c);
		return NULL;
	}
	crypto_hash_sha256(h, (const unsigned char *) body, len);
	sodium_bin2hex(c->sha, sizeof(c->sha), h, sizeof(h));
	post_blocks(c, iso->accounts);
	post_txs(c, iso->accounts);
	return c;
}

static void post_reported(
    sn_tx *tx, const bank_sim_report_row *rows, size_t n, void *arg);

static void
post_fail(sn_tx *tx, sn_err err)
{
	sn_tx_rollback(tx, err != SN_OK ? err : SN_EDB);
}

static void
post_written(sn_tx *tx, int64_t booked, void *arg)
{
	post_ctx *c   = arg;
	int64_t   dup = (int64_t) c->n - booked;
	sn_err    err = SN_OK;
	if (dup > 0)
		err = bank_sim_store_count(tx, BANK_SIM_COUNT_DUPLICATES, dup);
	if (err == SN_OK)
		err = bank_sim_store_iso_report_tx(
		    tx, c->doc->msg_id, &c->s2, post_reported, c);
	if (err != SN_OK)
		post_fail(tx, err);
}

static void
post_used(sn_tx *tx, const int64_t *used, size_t n, void *arg)
{
	post_ctx     *c   = arg;
	bank_sim_iso *iso = c->iso;
	if (n != c->nud) {
		post_fail(tx, SN_EPROTO);
		return;
	}
	for (size_t k = 0; k < n; k++)
		c->available[k] -= used[k];
	bank_sim_rules_judge(c->txs, c->n, c->blocks, c->nb, iso->cfg.open_all,
	    iso->cfg.settle_ms > 0, c->keys, c->verdicts);
	bank_sim_iso_record r = { c->doc->msg_id, c->sha, c->doc->created,
		c->txs, c->verdicts, c->instr_ids, c->n, c->pmt_inf_ids,
		c->debtors, c->blocks, c->nb };
	bank_sim_terms t = { sn_clock_now_ms(), iso->cfg.settle_ms, iso->seed,
		iso->cfg.omit_pct };
	sn_err         err
	    = bank_sim_store_iso_write(tx, &r, &t, &c->s1, post_written, c);
	if (err != SN_OK)
		post_fail(tx, err);
}

static void
post_statuses(sn_tx *tx, const bank_sim_status_row *rows, size_t n, void *arg)
{
	post_ctx *c = arg;
	if (n != c->n) {
		post_fail(tx, SN_EPROTO);
		return;
	}
	for (size_t i = 0; i < n; i++)
		c->txs[i].stored = rows[i].status;
}

static void
post_message(sn_tx *tx, const char *sha256, void *arg)
{
	post_ctx *c = arg;
	sn_err    err;
	if (sha256 == NULL || strcmp(sha256, c->sha) != 0) {
		c->conflict = true;
		sn_tx_rollback(tx, SN_ECONFLICT);
		return;
	}
	c->repeated = true;
	if ((err = bank_sim_store_count(tx, BANK_SIM_COUNT_REPEATS, 1))
	        != SN_OK
	    || (err = bank_sim_store_iso_report_tx(
	            tx, c->doc->msg_id, &c->s3, post_reported, c))
	        != SN_OK)
		post_fail(tx, err);
}

static void
post_claimed(sn_tx *tx, bool is_new, void *arg)
{
	post_ctx *c = arg;
	sn_err    err;
	if (!is_new) {
		err = bank_sim_store_iso_message(
		    tx, c->doc->msg_id, &c->s2, post_message, c);
		if (err != SN_OK)
			post_fail(tx, err);
		return;
	}
	c->is_new = true;
	if ((err = bank_sim_store_iso_lock(tx, c->debtors, c->nb)) != SN_OK
	    || (err = bank_sim_store_statuses_tx(
	            tx, c->ins, c->n, &c->s2, post_statuses, c))
	        != SN_OK
	    || (err = bank_sim_store_iso_used(
	            tx, c->udebtors, c->nud, &c->s3, post_used, c))
	        != SN_OK)
		post_fail(tx, err);
}

static void
post_begin(sn_tx *tx, void *arg)
{
	post_ctx *c   = arg;
	sn_err    err = bank_sim_store_claim_batch(tx, c->doc->msg_id,
	       c->debtors[0], (int64_t) c->n, c->sum, &c->s1, post_claimed, c);
	if (err != SN_OK)
		post_fail(tx, err);
}

static void
post_reported(sn_tx *tx, const bank_sim_report_row *rows, size_t n, void *arg)
{
	post_ctx *c = arg;
	if (n == 0
	    || report_xml(c->iso, c->doc->msg_id, rows, n, &c->xml, &c->len)
	        != SN_OK) {
		post_fail(tx, SN_EPROTO);
		return;
	}
	sn_tx_commit(tx);
}

static void
post_done(sn_err err, void *arg)
{
	post_ctx     *c   = arg;
	bank_sim_iso *iso = c->iso;
	busy_add(iso, -1);
	if (c->conflict) {
		refuse(iso, c->req, c->doc->msg_id, "DU01",
		    "MsgId already used for another document", O_DU01);
	} else if (err != SN_OK) {
		count_out(iso, O_FAILED);
		sn_log(SN_LOG_WARN, "pain.001 not stored", "msg_id",
		    c->doc->msg_id, "error", sn_strerror(err), NULL);
		sn_http_reply_error(c->req, 503, "unavailable",
		    "the bank cannot take payments now; send it again", NULL);
	} else {
		count_out(iso, c->is_new ? O_STORED : O_REPEATED);
		if (c->is_new)
			bank_sim_faults_stored(iso->faults, c->doc->msg_id);
		answer(iso, c->req, c->xml, c->len);
		c->xml = NULL;
	}
	post_free(c);
	maybe_free(iso);
}

/* application/xml or text/xml, with parameters or without. */
static bool
xml_type(const char *ct)
{
	size_t n;
	if (ct == NULL)
		return false;
	while (*ct == ' ')
		ct++;
	n = strncasecmp(ct, "application/xml", 15) == 0 ? 15
	    : strncasecmp(ct, "text/xml", 8) == 0       ? 8
	                                                : 0;
	if (n == 0)
		return false;
	for (ct += n; *ct == ' '; ct++)
		;
	return *ct == '\0' || *ct == ';';
}

void
bank_sim_iso_pain001(bank_sim_iso *iso, sn_http_req *req)
{
	size_t                         len  = 0;
	const char                    *body = sn_http_body(req, &len);
	bank_gateway_bankside_pain001 *doc  = NULL;
	char id[BANK_GATEWAY_ISO_ID_MAX], why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	if (!xml_type(sn_http_header(req, "Content-Type"))) {
		sn_http_reply_error(req, 415, "unsupported_media_type",
		    "the body must be application/xml", "Content-Type");
		return;
	}
	if (len > iso->cfg.max_request) {
		snprintf(why, sizeof(why), "the body exceeds %zu bytes",
		    iso->cfg.max_request);
		sn_http_reply_error(req, 413, "body_too_large", why, NULL);
		return;
	}
	sn_err err = bank_gateway_bankside_pain001_read(
	    iso->pain001, body, len, &doc, id, why);
	if (err == SN_EPROTO) {
		refuse(iso, req, id, "FF01", why, O_REFUSED);
		return;
	}
	if (err == SN_OK && doc->totals_code[0] != '\0') {
		refuse(iso, req, doc->msg_id, doc->totals_code,
		    doc->totals_why, O_REFUSED);
		bank_gateway_bankside_pain001_free(doc);
		return;
	}
	post_ctx *c = err == SN_OK ? post_new(iso, req, doc, body, len) : NULL;
	if (c == NULL) {
		bank_gateway_bankside_pain001_free(doc);
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	busy_add(iso, 1);
	sn_db_tx(iso->db, post_begin, post_done, c);
}

/* ---- reading ------------------------------------------------------------ */

typedef struct get_ctx {
	bank_sim_iso *iso;
	sn_http_req  *req;
	char          msg_id[BANK_GATEWAY_ISO_ID_MAX];
	char          account[BANK_GATEWAY_ISO_ID_MAX];
	char          date[SN_DATE_STRLEN];
} get_ctx;

static get_ctx *
get_new(bank_sim_iso *iso, sn_http_req *req)
{
	get_ctx *g = calloc(1, sizeof(*g));
	if (g == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return NULL;
	}
	g->iso = iso;
	g->req = req;
	busy_add(iso, 1);
	return g;
}

static void
get_free(get_ctx *g)
{
	bank_sim_iso *iso = g->iso;
	busy_add(iso, -1);
	free(g);
	maybe_free(iso);
}

/* An ISO identifier of at most max characters, valid UTF-8. */
static bool
iso_text(const char *s, size_t max)
{
	return s != NULL && s[0] != '\0' && strlen(s) < BANK_GATEWAY_ISO_ID_MAX
	    && bank_sim_rules_utf8(s, strlen(s)) && sn_utf8_chars(s) <= max;
}

static void
got_report(sn_err err, const bank_sim_report_row *rows, size_t n, void *arg)
{
	get_ctx *g   = arg;
	char    *xml = NULL;
	size_t   len = 0;
	if (err == SN_OK && n == 0)
		sn_http_reply_error(g->req, 404, "unknown_message",
		    "the bank holds no message with this MsgId", "msg_id");
	else if (err != SN_OK
	    || report_xml(g->iso, g->msg_id, rows, n, &xml, &len) != SN_OK)
		sn_http_reply_error(g->req, 503, "unavailable",
		    "the bank's records cannot be read now", NULL);
	else
		sn_http_reply_text(g->req, 200, XML_TYPE, xml, len);
	free(xml);
	get_free(g);
}

void
bank_sim_iso_pain002(bank_sim_iso *iso, sn_http_req *req)
{
	const char *id = sn_http_param(req, "msg_id");
	get_ctx    *g;
	if (!iso_text(id, 35)) {
		sn_http_reply_error(req, 404, "unknown_message",
		    "the bank holds no message with this MsgId", "msg_id");
		return;
	}
	if ((g = get_new(iso, req)) == NULL)
		return;
	snprintf(g->msg_id, sizeof(g->msg_id), "%s", id);
	if (bank_sim_store_iso_report(iso->db, g->msg_id, got_report, g)
	    != SN_OK) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		get_free(g);
	}
}

static void
got_entries(sn_err err, const bank_sim_entry_row *rows, size_t n, void *arg)
{
	get_ctx                     *g = arg;
	bank_gateway_bankside_entry *e = calloc(n ? n : 1, sizeof(*e));
	char(*refs)[24]                = calloc(n ? n : 1, sizeof(*refs));
	char   id[64], nid[72], why[BANK_GATEWAY_ISO_WHY_MAX];
	char  *xml = NULL;
	size_t len = 0;
	for (size_t i = 0; err == SN_OK && e != NULL && refs != NULL && i < n;
	     i++) {
		snprintf(refs[i], sizeof(refs[i]), "%zu", i + 1);
		e[i] = (bank_gateway_bankside_entry) { .entry_ref = refs[i],
			.bank_ref      = rows[i].bank_ref,
			.amount        = rows[i].amount_fen,
			.booking_date  = g->date,
			.kind          = rows[i].payment
			             ? BANK_GATEWAY_BANKSIDE_CREDIT_TRANSFER
			             : BANK_GATEWAY_BANKSIDE_OTHER_DEBIT,
			.msg_id        = rows[i].msg_id,
			.pmt_inf_id    = rows[i].pmt_inf_id,
			.instr_id      = rows[i].instr_id,
			.end_to_end_id = rows[i].end_to_end_id };
	}
	next_id(g->iso, "NTF", id);
	snprintf(nid, sizeof(nid), "%s-1", id);
	bank_gateway_bankside_notification nt
	    = { id, sn_clock_now_s(), nid, g->account, "CNY", e, n };
	if (err != SN_OK || e == NULL || refs == NULL
	    || bank_gateway_bankside_camt054_write(
	           g->iso->camt054, &nt, &xml, &len, why)
	        != SN_OK) {
		if (err == SN_OK)
			sn_log(SN_LOG_ERROR, "camt.054 not written", "error",
			    why, NULL);
		sn_http_reply_error(g->req, 503, "unavailable",
		    "the bank's records cannot be read now", NULL);
	} else
		sn_http_reply_text(g->req, 200, XML_TYPE, xml, len);
	free(xml);
	free(e);
	free(refs);
	get_free(g);
}

void
bank_sim_iso_camt054(bank_sim_iso *iso, sn_http_req *req)
{
	const char *account = sn_http_query(req, "account");
	const char *date    = sn_http_query(req, "date");
	sn_date     d;
	get_ctx    *g;
	if (!iso_text(account, 34)) {
		sn_http_reply_error(req, 400, "invalid_query",
		    "account is required: a debtor account of 1 to 34 "
		    "characters",
		    "account");
		return;
	}
	if (date == NULL || strlen(date) != 10
	    || sn_date_parse(date, &d) != SN_OK) {
		sn_http_reply_error(req, 400, "invalid_query",
		    "date is required: YYYY-MM-DD", "date");
		return;
	}
	if ((g = get_new(iso, req)) == NULL)
		return;
	snprintf(g->account, sizeof(g->account), "%s", account);
	sn_date_format(d, g->date);
	if (bank_sim_store_iso_entries(
	        iso->db, g->account, g->date, got_entries, g)
	    != SN_OK) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		get_free(g);
	}
}

/* ---- foreign entries ---------------------------------------------------- */

typedef struct entry_ctx {
	get_ctx              g;
	char                 e2e[BANK_GATEWAY_ISO_ID_MAX];
	int64_t              amount_fen;
	bank_sim_store_slot  slot;
	bool                 found;
	bank_sim_foreign_row row; /* its strings copied below */
	char                 date[SN_DATE_STRLEN], ref[40];
} entry_ctx;

static void
entry_row(sn_tx *tx, const bank_sim_foreign_row *row, void *arg)
{
	entry_ctx *c = arg;
	c->found     = true;
	c->row       = *row;
	snprintf(c->date, sizeof(c->date), "%s", row->date);
	snprintf(c->ref, sizeof(c->ref), "%s", row->bank_ref);
	c->row.date     = c->date;
	c->row.bank_ref = c->ref;
	sn_tx_commit(tx);
}

static void
entry_begin(sn_tx *tx, void *arg)
{
	entry_ctx *c = arg;
	if (bank_sim_store_foreign_add(tx, c->g.account, c->e2e, c->amount_fen,
	        c->g.date, &c->slot, entry_row, c)
	    != SN_OK)
		sn_tx_rollback(tx, SN_ENOMEM);
}

/* Committed (or not): the answer. */
static void
entry_done(sn_err err, void *arg)
{
	entry_ctx                  *c   = arg;
	const bank_sim_foreign_row *row = &c->row;
	if (err != SN_OK || !c->found)
		sn_http_reply_error(c->g.req, 503, "unavailable",
		    "the bank's records cannot be written now", NULL);
	else if (!row->is_new
	    && (row->amount_fen != c->amount_fen
	        || strcmp(row->date, c->g.date) != 0))
		sn_http_reply_error(c->g.req, 409, "entry_conflict",
		    "an entry with this end_to_end_id and another amount or "
		    "date is booked on the account",
		    "end_to_end_id");
	else
		sn_http_reply_json(c->g.req, row->is_new ? 201 : 200,
		    json_pack("{s:s, s:s, s:I, s:s, s:s}", "account",
		        c->g.account, "end_to_end_id", c->e2e, "amount_fen",
		        (json_int_t) row->amount_fen, "date", row->date,
		        "bank_ref", row->bank_ref));
	get_free(&c->g);
}

/* The body's fields, checked; NULL after answering 422. */
static bool
entry_fields(sn_http_req *req, const char **e2e, int64_t *amount, sn_date *d)
{
	json_t     *j  = sn_http_json(req);
	json_t     *a  = json_object_get(j, "amount_fen");
	const char *dt = json_string_value(json_object_get(j, "date"));
	*e2e = json_string_value(json_object_get(j, "end_to_end_id"));
	if (!iso_text(*e2e, 35)) {
		sn_http_reply_error(req, 422, "invalid_entry",
		    "end_to_end_id is required: 1 to 35 characters",
		    "end_to_end_id");
		return false;
	}
	if (!json_is_integer(a) || json_integer_value(a) <= 0) {
		sn_http_reply_error(req, 422, "invalid_entry",
		    "amount_fen is required: an integer > 0", "amount_fen");
		return false;
	}
	if (dt == NULL || strlen(dt) != 10 || sn_date_parse(dt, d) != SN_OK) {
		sn_http_reply_error(req, 422, "invalid_entry",
		    "date is required: YYYY-MM-DD", "date");
		return false;
	}
	*amount = (int64_t) json_integer_value(a);
	return true;
}

void
bank_sim_iso_entries(bank_sim_iso *iso, sn_http_req *req)
{
	const char *account = sn_http_param(req, "account");
	const char *e2e;
	int64_t     amount;
	sn_date     d;
	if (!iso_text(account, 34)) {
		sn_http_reply_error(req, 422, "invalid_entry",
		    "the account is 1 to 34 characters", "account");
		return;
	}
	if (!entry_fields(req, &e2e, &amount, &d))
		return;
	entry_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	c->g.iso = iso;
	c->g.req = req;
	busy_add(iso, 1);
	snprintf(c->g.account, sizeof(c->g.account), "%s", account);
	snprintf(c->e2e, sizeof(c->e2e), "%s", e2e);
	sn_date_format(d, c->g.date);
	c->amount_fen = amount;
	sn_db_tx(iso->db, entry_begin, entry_done, c);
}

/* ---- lifecycle ---------------------------------------------------------- */

void
bank_sim_iso_stats(const bank_sim_iso *iso, json_t *process)
{
	static const char *const outs[NOUT] = { "iso_messages_stored",
		"iso_messages_repeated", "iso_messages_refused",
		"iso_duplicate_msg_ids", "iso_messages_failed" };
	static const char *const acts[NACT] = { "iso_answers_sent",
		"iso_answers_dropped", "iso_answers_delayed" };
	for (int i = 0; i < NOUT; i++)
		json_object_set_new(process, outs[i],
		    json_integer((json_int_t) iso->n_out[i]));
	for (int i = 0; i < NACT; i++)
		json_object_set_new(process, acts[i],
		    json_integer((json_int_t) iso->n_act[i]));
}

static sn_err
iso_metrics(bank_sim_iso *iso, sn_metrics *m)
{
	static const char *const outs[NOUT] = { "stored", "repeated",
		"refused", "duplicate_msg_id", "failed" };
	static const char *const acts[NACT] = { "sent", "dropped", "delayed" };
	char                     l[64];
	for (int i = 0; i < NOUT; i++) {
		snprintf(l, sizeof(l), "outcome=\"%s\"", outs[i]);
		if ((iso->c_out[i] = sn_metrics_counter(m,
		         "sn_bank_sim_iso_messages_total",
		         "pain.001 documents received, by outcome", l))
		    == NULL)
			return SN_ENOMEM;
	}
	for (int i = 0; i < NACT; i++) {
		snprintf(l, sizeof(l), "act=\"%s\"", acts[i]);
		if ((iso->c_act[i] = sn_metrics_counter(m,
		         "sn_bank_sim_iso_answers_total",
		         "pain.001 answers sent, withheld or delayed", l))
		    == NULL)
			return SN_ENOMEM;
	}
	iso->g_busy     = sn_metrics_gauge(m, "sn_bank_sim_inflight",
	        "ISO 20022 requests being worked on (in the database)", NULL);
	iso->g_busy_max = sn_metrics_gauge(m, "sn_bank_sim_inflight_max",
	    "Most ISO 20022 requests worked on at once", NULL);
	return iso->g_busy != NULL && iso->g_busy_max != NULL ? SN_OK
	                                                      : SN_ENOMEM;
}

sn_err
bank_sim_iso_open(bank_sim_iso **out, const bank_sim_iso_env *env)
{
	bank_sim_iso *iso                           = calloc(1, sizeof(*iso));
	char          why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	sn_err        err;
	if (iso == NULL)
		return SN_ENOMEM;
	iso->loop     = env->loop;
	iso->db       = env->db;
	iso->cfg      = *env->cfg;
	iso->accounts = env->accounts;
	iso->faults   = env->faults;
	snprintf(iso->seed, sizeof(iso->seed), "%s", env->seed);
	bank_gateway_iso_init();
	if ((err = iso_metrics(iso, env->metrics)) != SN_OK
	    || (err = bank_gateway_iso_schema_open(env->cfg->xsd_dir,
	            BANK_GATEWAY_PAIN001, &iso->pain001, why))
	        != SN_OK
	    || (err = bank_gateway_iso_schema_open(env->cfg->xsd_dir,
	            BANK_GATEWAY_PAIN002, &iso->pain002, why))
	        != SN_OK
	    || (err = bank_gateway_iso_schema_open(env->cfg->xsd_dir,
	            BANK_GATEWAY_CAMT054, &iso->camt054, why))
	        != SN_OK) {
		sn_log(SN_LOG_ERROR, "ISO 20022 schemas not read", "dir",
		    env->cfg->xsd_dir, "error", why, NULL);
		iso->closing = true;
		maybe_free(iso);
		return err;
	}
	iso->cfg.xsd_dir = NULL;
	iso->cfg.fixture = NULL;
	*out             = iso;
	return SN_OK;
}

void
bank_sim_iso_stop(bank_sim_iso *iso)
{
	if (iso == NULL)
		return;
	iso->stopping = true;
	while (iso->held != NULL)
		held_end(iso->held);
}

void
bank_sim_iso_close(bank_sim_iso *iso)
{
	if (iso == NULL)
		return;
	bank_sim_iso_stop(iso);
	iso->closing = true;
	maybe_free(iso);
}
