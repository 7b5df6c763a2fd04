/*
 * payout.c - building runs, sending instructions, asking the bank; see
 * payout.h. Each piece is a context owned by exactly one of: the
 * transaction it runs in (freed in the done callback) or the bank call
 * it waits for (handed on to the apply transaction, which frees it). The
 * store's callback structs live in those contexts.
 */
#include "payout.h"

#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "events.h"
#include "rules.h"
#include "sn/log.h"
#include "store.h"

/* Sent payments of this process older than this are asked about too: a
 * batch whose answer could not be applied is never left behind. */
#define STALE_FACTOR 4u

/* While batches are with the bank, the run completion check and the look
 * for payments to ask about (each a walk of the payments in flight) run
 * at most this often instead of every pass: no run completes while this
 * process still waits on a batch of it, and the batches' own answers come
 * back without asking. Measured at 100,000 payees with a 50 ms poll: 3,960
 * completion checks (14 ms each) and 4,427 looks (11 ms each), 10 % of the
 * database's statement time. A look that found payments runs every pass
 * until it finds none; with nothing in flight both run every pass. */
#define DISBURSEMENT_SCAN_MS 1000u

static const disbursement_fund sendable_funds[]
    = { DISBURSEMENT_FUND_DIBAO, DISBURSEMENT_FUND_TEKUN,
	      DISBURSEMENT_FUND_EMERGENCY, DISBURSEMENT_FUND_PRICE_SUBSIDY };
#define NSENDABLE 4

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

static sn_bus *
bus_of(disbursement *d)
{
	return sn_service_bus(d->svc);
}

/* Ends tx with err unless it has failed already. */
static void
fail_tx(sn_tx *tx, sn_err err)
{
	if (err != SN_OK && !sn_tx_failed(tx))
		sn_tx_rollback(tx, err);
}

/* ---- building ----------------------------------------------------------- */

/* What a build chunk freed (its payees, payments and events, many small
 * blocks among the loop's long-lived ones) goes back to the system:
 * glibc keeps freed heap pages below the top for reuse, and they stayed
 * resident through the whole sending (malloc_trim from gdb there gave
 * back 55 MiB at 100,000 payees in chunks of 50,000). */
static void
release_freed(void)
{
#ifdef __GLIBC__
	(void) malloc_trim(0);
#endif
}

typedef struct build {
	disbursement            *d;
	char                     run_id[40];
	sn_month                 period;
	int32_t                  year;
	int64_t                  room[DISBURSEMENT_NFUNDS];
	bool                     live;  /* the run was still building */
	bool                     more;  /* a full chunk: go on at once */
	bool                     ended; /* moved to awaiting_approval */
	disbursement_run_cb      lock_cb, end_cb;
	disbursement_room_cb     room_cb;
	disbursement_payees_cb   chunk_cb;
	disbursement_payments_cb built_cb;
	disbursement_pasts_cb    past_cb;
	disbursement_past       *past; /* the chunk's months to correct */
	size_t                   npast;
} build;

static void
build_end_cb(sn_tx *tx, sn_err err, const disbursement_run *run, void *arg)
{
	build *b = arg;
	if (err == SN_OK && run != NULL) {
		b->ended = true;
		err      = disbursement_events_run_changed(
		         bus_of(b->d), tx, run, "system");
	}
	fail_tx(tx, err);
}

static void
built_cb(
    sn_tx *tx, sn_err err, const disbursement_payment *ps, size_t n, void *arg)
{
	build *b = arg;
	if (err == SN_OK)
		err = disbursement_events_scheduled(
		    bus_of(b->d), tx, ps, n, "system");
	fail_tx(tx, err);
}

/* The chunk's lines as the rules decide them: each payee's benefit (less
 * what it owes), its price subsidy (with its category and persons), its
 * back-payments, a line each, and its recoveries and nettings. */
static size_t
lines_of(const disbursement_payee *p, size_t n, const disbursement_take *take,
    const disbursement_take *sub, const int64_t *netted,
    const disbursement_fix *fix, size_t nfix, disbursement_line *lines)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (take[i] == DISBURSEMENT_PAY
		    && p[i].monthly_fen > netted[i])
			lines[k++] = (disbursement_line) { .payee_id = p[i].id,
				.fund       = p[i].fund,
				.amount_fen = p[i].monthly_fen - netted[i] };
		if (netted[i] > 0)
			lines[k++] = (disbursement_line) { .payee_id = p[i].id,
				.fund       = p[i].fund,
				.amount_fen = netted[i],
				.kind       = DISBURSEMENT_LINE_NETTING };
		if (sub[i] == DISBURSEMENT_PAY)
			lines[k++] = (disbursement_line) { .payee_id = p[i].id,
				.fund       = DISBURSEMENT_FUND_PRICE_SUBSIDY,
				.amount_fen = p[i].subsidy_fen,
				.category   = p[i].category,
				.persons    = p[i].members };
	}
	for (size_t j = 0; j < nfix; j++) {
		const disbursement_fix *f = &fix[j];
		if (f->take != DISBURSEMENT_PAY)
			continue;
		lines[k++] = (disbursement_line) { .payee_id = f->payee_id,
			.fund                                = f->fund,
			.amount_fen
			= f->amount_fen > 0 ? f->amount_fen : -f->amount_fen,
			.kind = f->amount_fen > 0 ? DISBURSEMENT_LINE_PAYMENT
			                          : DISBURSEMENT_LINE_RECOVERY,
			.has_corrects = true,
			.corrects     = f->month };
	}
	return k;
}

static sn_err
build_lines(build *b, sn_tx *tx, const disbursement_payee *p, size_t n)
{
	disbursement_take *take   = calloc(n, sizeof(*take));
	disbursement_take *sub    = calloc(n, sizeof(*sub));
	int64_t           *netted = calloc(n, sizeof(*netted));
	disbursement_fix  *fix    = calloc(b->npast + 1, sizeof(*fix));
	disbursement_line *lines  = calloc(3 * n + b->npast, sizeof(*lines));
	sn_err             err    = SN_ENOMEM;
	if (take != NULL && sub != NULL && netted != NULL && fix != NULL
	    && lines != NULL) {
		disbursement_chunk c;
		size_t             nfix;
		disbursement_rules_build(p, n, b->period, b->room, take, &c);
		disbursement_rules_corrections(p, n, take, b->past, b->npast,
		    b->room, fix, &nfix, netted, &c);
		disbursement_rules_subsidies(p, n, b->period,
		    b->room[DISBURSEMENT_FUND_PRICE_SUBSIDY], sub, &c);
		size_t k = lines_of(p, n, take, sub, netted, fix, nfix, lines);
		err      = disbursement_store_fixes(
		         tx, b->run_id, b->period, lines, k);
		if (err == SN_OK)
			err = disbursement_store_build(tx, b->run_id,
			    b->period, b->year, lines, k, p[n - 1].id,
			    c.short_count, c.short_fen, &b->built_cb);
	}
	free(take);
	free(sub);
	free(netted);
	free(fix);
	free(lines);
	return err;
}

/* The chunk's payments as the rules decide them, then the end of the
 * build when the chunk was the last. */
static sn_err
build_chunk(build *b, sn_tx *tx, const disbursement_payee *p, size_t n)
{
	if (n > 0) {
		sn_err err = build_lines(b, tx, p, n);
		if (err != SN_OK)
			return err;
	}
	b->more = n == (size_t) b->d->cfg.build_chunk;
	if (b->more)
		return SN_OK;
	return disbursement_store_build_end(tx, b->run_id,
	    DISBURSEMENT_RUN_BUILDING,
	    disbursement_rules_run_next(
	        DISBURSEMENT_RUN_BUILDING, DISBURSEMENT_RUN_BUILT),
	    &b->end_cb);
}

static void
chunk_cb(
    sn_tx *tx, sn_err err, const disbursement_payee *p, size_t n, void *arg)
{
	build *b = arg;
	if (err == SN_OK && b->live)
		err = build_chunk(b, tx, p, n);
	fail_tx(tx, err);
}

static void
room_cb(
    sn_tx *tx, sn_err err, const int64_t room[DISBURSEMENT_NFUNDS], void *arg)
{
	build *b = arg;
	if (err == SN_OK)
		memcpy(b->room, room, sizeof(b->room));
	fail_tx(tx, err);
}

/* The chunk's months to correct, kept for build_lines (no strings). */
static void
past_cb(
    sn_tx *tx, sn_err err, const disbursement_past *past, size_t n, void *arg)
{
	build *b = arg;
	if (err == SN_OK && n > 0) {
		if ((b->past = calloc(n, sizeof(*past))) == NULL)
			err = SN_ENOMEM;
		else {
			memcpy(b->past, past, n * sizeof(*past));
			b->npast = n;
		}
	}
	fail_tx(tx, err);
}

static void
lock_cb(sn_tx *tx, sn_err err, const disbursement_run *run, void *arg)
{
	build *b = arg;
	if (err == SN_OK && run != NULL
	    && run->status == DISBURSEMENT_RUN_BUILDING) {
		b->live = true;
		err = disbursement_store_budget_room(tx, b->year, &b->room_cb);
		if (err == SN_OK)
			err = disbursement_store_past(tx, b->period,
			    run->built_upto, b->d->cfg.build_chunk,
			    &b->past_cb);
		if (err == SN_OK)
			err = disbursement_store_chunk(tx, b->period,
			    run->built_upto, b->d->cfg.build_chunk,
			    &b->chunk_cb);
	}
	/* Else rejected or finished meanwhile: nothing to do. */
	fail_tx(tx, err);
}

static void
build_begin(sn_tx *tx, void *arg)
{
	build *b = arg;
	/* A chunk sends and reads megabytes (its payees, its payments and
	 * their events): libpq's buffers would keep that size for the
	 * connection's life, one set per pooled connection that ran one. */
	sn_tx_recycle(tx);
	if (disbursement_store_run_lock(tx, b->run_id, &b->lock_cb) != SN_OK) {
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
		d->found = true; /* the next pass retries it soon */
		sn_log(SN_LOG_WARN, "run chunk failed; retrying", "run_id",
		    b->run_id, "error", sn_strerror(err), NULL);
	} else if (b->ended) {
		char period[SN_MONTH_STRLEN];
		sn_counter_add(d->runs_built, 1);
		sn_log(SN_LOG_INFO, "run built", "run_id", b->run_id, "period",
		    sn_month_format(b->period, period), NULL);
	}
	bool again = err == SN_OK && b->live && (b->more || b->ended);
	free(b->past);
	free(b);
	release_freed();
	if (again)
		disbursement_payout_kick(d);
}

static void
building_found(sn_err err, const disbursement_run *run, void *arg)
{
	disbursement *d = arg;
	build        *b = NULL;
	if (err == SN_OK && run != NULL && !d->stopping
	    && disbursement_rules_period_ok(run->period))
		b = calloc(1, sizeof(*b));
	if (err != SN_OK || b != NULL)
		d->found = true; /* a run to build, or the database failed */
	if (b == NULL) {
		d->building = false;
		return;
	}
	b->d      = d;
	b->period = run->period;
	b->year   = run->period.year;
	snprintf(b->run_id, sizeof(b->run_id), "%s", run->id);
	b->lock_cb  = (disbursement_run_cb) { lock_cb, b };
	b->end_cb   = (disbursement_run_cb) { build_end_cb, b };
	b->room_cb  = (disbursement_room_cb) { room_cb, b };
	b->chunk_cb = (disbursement_payees_cb) { chunk_cb, b };
	b->built_cb = (disbursement_payments_cb) { built_cb, b };
	b->past_cb  = (disbursement_pasts_cb) { past_cb, b };
	sn_db_tx(sn_service_db(d->svc), build_begin, build_done, b);
}

/* ---- applying the bank's word ------------------------------------------ */

typedef struct answer {
	disbursement *d;
	bool          is_batch; /* from a batch (else a status query) */
	char          batch_id[40];
	enum { ANS_APPLY, ANS_UNCLAIM, ANS_ORPHAN } what;
	size_t n;
	char **e2e, **code, **reason, **reason_en, **settled_at;
	disbursement_bank_word  *said;
	int64_t                  counts[DISBURSEMENT_NINSTR]; /* as d->instr */
	disbursement_answered_cb answered_cb;
	disbursement_payments_cb applied_cb;
} answer;

static void
answer_free(answer *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->e2e[i]);
		free(a->code[i]);
		free(a->reason[i]);
		free(a->reason_en[i]);
		free(a->settled_at[i]);
	}
	free(a->e2e);
	free(a->code);
	free(a->reason);
	free(a->reason_en);
	free(a->settled_at);
	free(a->said);
	free(a);
}

static void answered_cb(sn_tx *tx, sn_err err, const disbursement_answered *r,
    size_t n, void *arg);
static void applied_cb(sn_tx *tx, sn_err err, const disbursement_payment *ps,
    size_t n, void *arg);

static answer *
answer_new(disbursement *d, size_t n)
{
	answer *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->d           = d;
	a->answered_cb = (disbursement_answered_cb) { answered_cb, a };
	a->applied_cb  = (disbursement_payments_cb) { applied_cb, a };
	a->e2e         = calloc(n + 1, sizeof(char *));
	a->code        = calloc(n + 1, sizeof(char *));
	a->reason      = calloc(n + 1, sizeof(char *));
	a->reason_en   = calloc(n + 1, sizeof(char *));
	a->settled_at  = calloc(n + 1, sizeof(char *));
	a->said        = calloc(n + 1, sizeof(*a->said));
	if (a->e2e == NULL || a->code == NULL || a->reason == NULL
	    || a->reason_en == NULL || a->settled_at == NULL
	    || a->said == NULL) {
		answer_free(a);
		return NULL;
	}
	return a;
}

static bool
answer_add(answer *a, const Sn__Bank__V1__StatusReport *r)
{
	disbursement_bank_word w
	    = disbursement_rules_bank_word((int) r->status);
	if (w == DISBURSEMENT_BANK_NONE || r->end_to_end_id == NULL
	    || r->end_to_end_id[0] == '\0')
		return true; /* nothing to apply */
	size_t i         = a->n;
	a->said[i]       = w;
	a->e2e[i]        = strdup(r->end_to_end_id);
	a->code[i]       = strdup(r->reason_code ? r->reason_code : "");
	a->reason[i]     = strdup(r->reason ? r->reason : "");
	a->reason_en[i]  = strdup(r->reason_en ? r->reason_en : "");
	a->settled_at[i] = strdup(r->settled_at ? r->settled_at : "");
	a->n++;
	return a->e2e[i] != NULL && a->code[i] != NULL && a->reason[i] != NULL
	    && a->reason_en[i] != NULL && a->settled_at[i] != NULL;
}

/* The metrics' order of the bank's words. */
static int
count_slot(disbursement_bank_word w)
{
	switch (w) {
	case DISBURSEMENT_BANK_SETTLED:
		return 0;
	case DISBURSEMENT_BANK_REJECTED:
		return 1;
	case DISBURSEMENT_BANK_ACCEPTED:
		return 2;
	case DISBURSEMENT_BANK_RETRY:
		return 4;
	default:
		return 3;
	}
}

/* The payments found, locked: each moves as the rules say (or not). */
static void
answered_cb(
    sn_tx *tx, sn_err err, const disbursement_answered *r, size_t n, void *arg)
{
	answer              *a    = arg;
	disbursement_answer *todo = NULL;
	if (err == SN_OK && n > 0 && (todo = calloc(n, sizeof(*todo))) == NULL)
		err = SN_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; err == SN_OK && i < n; i++) {
		if (r[i].idx < 0 || (size_t) r[i].idx >= a->n)
			continue;
		size_t                      j = (size_t) r[i].idx;
		disbursement_payment_status to
		    = disbursement_rules_payment_next(
		        r[i].status, DISBURSEMENT_PAY_ANSWERED, a->said[j]);
		if (to == DISBURSEMENT_PAYMENT_NONE)
			continue;
		bool retry = a->said[j] == DISBURSEMENT_BANK_RETRY;
		todo[k++]  = (disbursement_answer) { .e2e_id = a->e2e[j],
			 .to                                 = to,
			 .reason_code                        = a->code[j],
			 .reason                             = a->reason[j],
			 .reason_en                          = a->reason_en[j],
			 .settled_at                         = a->settled_at[j],
			 .retry                              = retry,
			 .from_batch = r[i].status == DISBURSEMENT_PAYMENT_SENT
			     ? r[i].batch_id
			     : "",
			 .delay_ms   = retry
			       ? disbursement_rules_retry_delay_ms(r[i].retries,
			           a->d->cfg.retry_ms, a->d->cfg.retry_max_ms)
			       : 0 };
		a->counts[count_slot(a->said[j])]++;
	}
	if (err == SN_OK && k > 0)
		err = disbursement_store_apply(tx, todo, k, &a->applied_cb);
	free(todo);
	fail_tx(tx, err);
}

static void
applied_cb(
    sn_tx *tx, sn_err err, const disbursement_payment *ps, size_t n, void *arg)
{
	answer *a = arg;
	if (err == SN_OK)
		err = disbursement_events_outcomes(
		    bus_of(a->d), tx, ps, n, "system");
	fail_tx(tx, err);
}

static void
apply_begin(sn_tx *tx, void *arg)
{
	answer *a   = arg;
	sn_err  err = SN_OK;
	switch (a->what) {
	case ANS_APPLY:
		if (a->n > 0)
			err = disbursement_store_answered(tx,
			    (const char *const *) a->e2e, a->n,
			    &a->answered_cb);
		break;
	case ANS_UNCLAIM:
		err = disbursement_store_unclaim(tx, a->batch_id,
		    (const char *const *) a->e2e, a->n, a->d->cfg.retry_ms);
		break;
	case ANS_ORPHAN:
		err = disbursement_store_orphan(
		    tx, a->batch_id, (const char *const *) a->e2e, a->n);
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
		for (int i = 0; i < DISBURSEMENT_NINSTR; i++)
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
	disbursement     *d;
	disbursement_fund fund;
	int               tries_left; /* funds still to try if this one is
	                               * empty */
	char                         batch_id[40];
	bool                         planned;  /* planned payments too */
	uint64_t                     runs_gen; /* d->runs_gen at the claim */
	size_t                       n;
	Sn__Bank__V1__Instruction   *instr;
	Sn__Bank__V1__Instruction  **ptrs;
	char                       **strs; /* NSTRS per instruction, owned */
	disbursement_instructions_cb claim_cb;
} batch;

/* The strings of one instruction: e2e id, bank code, account number,
 * account name, remittance, period, run id. */
#define NSTRS 7

static void
batch_free(batch *b)
{
	if (b->strs != NULL)
		for (size_t i = 0; i < NSTRS * b->n; i++)
			free(b->strs[i]);
	free(b->strs);
	free(b->instr);
	free(b->ptrs);
	free(b);
}

/* a names the payments of batch b by their end-to-end ids (a batch
 * refused or never answered is undone by them: migration 015). */
static void
answer_of_batch(answer *a, const batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		if ((a->e2e[i] = strdup(b->strs[NSTRS * i])) == NULL)
			abort(); /* out of memory */
	a->n = b->n;
}

/* The instructions claimed, copied: they go out after the commit. */
static void
claim_cb(sn_tx *tx, sn_err err, const disbursement_instruction *in, size_t n,
    void *arg)
{
	batch *b = arg;
	if (err != SN_OK || n == 0) {
		fail_tx(tx, err);
		return;
	}
	b->instr = calloc(n, sizeof(*b->instr));
	b->ptrs  = calloc(n, sizeof(*b->ptrs));
	b->strs  = calloc(n * NSTRS, sizeof(char *));
	if (b->instr == NULL || b->ptrs == NULL || b->strs == NULL) {
		sn_tx_rollback(tx, SN_ENOMEM);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char   info[64];
		char **s = &b->strs[NSTRS * i];
		/* The remittance as the bank protocol before issue 14 had it
		 * ("dibao 2026-03"): bank-gateway ignores it and writes its
		 * own from fund and period; nothing reads this one since
		 * bank-sim's NNG side went (issue 14). */
		snprintf(info, sizeof(info), "%s %s",
		    disbursement_rules_fund_name(b->fund),
		    in[i].period != NULL ? in[i].period : "grant");
		s[0] = strdup(in[i].e2e_id);
		s[1] = strdup(in[i].bank_code);
		s[2] = strdup(in[i].account_number);
		s[3] = strdup(in[i].account_name);
		s[4] = strdup(info);
		s[5] = strdup(in[i].period != NULL ? in[i].period : "");
		s[6] = strdup(in[i].run_id != NULL ? in[i].run_id : "");
		b->n++;
		for (int k = 0; k < NSTRS; k++)
			if (s[k] == NULL) {
				sn_tx_rollback(tx, SN_ENOMEM);
				return;
			}
		Sn__Bank__V1__Instruction init
		    = SN__BANK__V1__INSTRUCTION__INIT;
		b->instr[i]                 = init;
		b->instr[i].end_to_end_id   = s[0];
		b->instr[i].amount_fen      = in[i].amount_fen;
		b->instr[i].bank_code       = s[1];
		b->instr[i].account_number  = s[2];
		b->instr[i].account_name    = s[3];
		b->instr[i].remittance_info = s[4];
		b->instr[i].period          = s[5];
		b->instr[i].run_id          = s[6];
		b->ptrs[i]                  = &b->instr[i];
	}
}

static void
claim_begin(sn_tx *tx, void *arg)
{
	batch *b = arg;
	if (disbursement_store_claim(tx, b->fund, b->d->cfg.batch, b->planned,
	        b->batch_id, b->d->sender, &b->claim_cb)
	    != SN_OK) {
		sn_tx_rollback(tx, SN_EDB);
		return;
	}
	sn_tx_commit(tx);
}

/* What the bank said of a batch goes to an apply transaction. */
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
		answer_of_batch(a, b);
	} else if (!reply->batch->accepted) {
		sn_log(SN_LOG_ERROR, "the bank refused a batch", "batch_id",
		    b->batch_id, "error", reply->batch->error, NULL);
		a->what = ANS_UNCLAIM;
		answer_of_batch(a, b);
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

/* Sends the batch claimed; false when it could not go out. */
static bool
batch_send(disbursement *d, batch *b)
{
	int64_t  sum     = 0;
	int64_t *amounts = calloc(b->n, sizeof(int64_t));
	if (amounts == NULL)
		abort();
	for (size_t i = 0; i < b->n; i++)
		amounts[i] = b->instr[i].amount_fen;
	bool ok = disbursement_rules_control_sum(amounts, b->n, &sum);
	free(amounts);
	/* The fund names the paying account: bank-gateway's configuration
	 * holds its number (debtor_account is left empty). */
	Sn__Bank__V1__BatchRequest br = SN__BANK__V1__BATCH_REQUEST__INIT;
	br.batch_id                   = b->batch_id;
	br.fund            = (char *) disbursement_rules_fund_name(b->fund);
	br.count           = (int32_t) b->n;
	br.control_sum_fen = sum;
	br.n_instructions  = b->n;
	br.instructions    = b->ptrs;
	Sn__Bank__V1__BankRequest req = SN__BANK__V1__BANK_REQUEST__INIT;
	req.body_case                 = SN__BANK__V1__BANK_REQUEST__BODY_BATCH;
	req.batch                     = &br;
	return ok
	    && disbursement_bank_call(d->bank, &req, batch_answered, b)
	    == SN_OK;
}

static void
claim_done(sn_err err, void *arg)
{
	batch        *b = arg;
	disbursement *d = b->d;
	d->claiming     = false;
	if (err != SN_OK || b->n > 0)
		d->found = true;
	/* Fewer than a batch: no planned payment of this fund is left in
	 * the runs being sent (but those another sender holds locked, or a
	 * run started since, which ends the skip). Its claims walked every
	 * planned payment of the other funds to find that out. */
	if (err == SN_OK && b->planned && b->n < (size_t) d->cfg.batch
	    && b->runs_gen == d->runs_gen)
		d->planned_skip_until[b->fund]
		    = sn_now_ms() + DISBURSEMENT_SCAN_MS;
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
	d->inflight++;
	if (!batch_send(d, b)) {
		/* Not sent: the rows are "sent" with our name; ask later. */
		answer *a = answer_new(d, b->n);
		if (a == NULL)
			abort();
		a->is_batch = true;
		a->what     = ANS_ORPHAN;
		snprintf(a->batch_id, sizeof(a->batch_id), "%s", b->batch_id);
		answer_of_batch(a, b);
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
	b->d           = d;
	b->fund        = sendable_funds[d->next_fund];
	d->next_fund   = (d->next_fund + 1) % NSENDABLE;
	b->tries_left  = tries_left - 1;
	b->planned     = sn_now_ms() >= d->planned_skip_until[b->fund];
	b->runs_gen    = d->runs_gen;
	b->claim_cb    = (disbursement_instructions_cb) { claim_cb, b };
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
to_query_found(sn_err err, const char *const *ids, size_t n, void *arg)
{
	disbursement *d = arg;
	if (err != SN_OK || n > 0)
		d->found = true;
	d->asked_found = err != SN_OK || n > 0;
	if (err != SN_OK || n == 0 || d->stopping) {
		d->querying = false;
		return;
	}
	query *q = calloc(1, sizeof(*q));
	if (q == NULL || (q->ids = calloc(n, sizeof(char *))) == NULL) {
		free(q);
		d->querying = false;
		return;
	}
	q->d = d;
	for (size_t i = 0; i < n; i++)
		if ((q->ids[q->n] = strdup(ids[i])) != NULL)
			q->n++;
	Sn__Bank__V1__StatusQuery sq  = SN__BANK__V1__STATUS_QUERY__INIT;
	sq.n_end_to_end_ids           = q->n;
	sq.end_to_end_ids             = q->ids;
	Sn__Bank__V1__BankRequest req = SN__BANK__V1__BANK_REQUEST__INIT;
	req.body_case                 = SN__BANK__V1__BANK_REQUEST__BODY_QUERY;
	req.query                     = &sq;
	if (disbursement_bank_call(d->bank, &req, query_answered, q)
	    != SN_OK) {
		query_free(q);
		d->querying = false;
	}
}

/* How long a batch may be with the bank before its payments are asked
 * about whoever sent it (and, none of them sent, its row is closed). */
static uint32_t
stale_ms(const disbursement *d)
{
	return STALE_FACTOR * d->cfg.bank_timeout_ms
	    * (d->cfg.bank_retries + 1);
}

/* ---- runs moving on ----------------------------------------------------- */

typedef struct house {
	disbursement        *d;
	disbursement_runs_cb started_cb, completed_cb;
	size_t               moved;    /* runs that moved on */
	bool                 complete; /* also look for runs completed */
} house;

static void
runs_moved(
    sn_tx *tx, sn_err err, const disbursement_run *runs, size_t n, void *arg)
{
	house *h = arg;
	h->moved += n;
	for (size_t i = 0; i < n && err == SN_OK; i++) {
		err = disbursement_events_run_changed(
		    bus_of(h->d), tx, &runs[i], "system");
		sn_log(SN_LOG_INFO, "run moved on", "run_id", runs[i].id,
		    "status",
		    disbursement_rules_run_status_name(runs[i].status), NULL);
	}
	fail_tx(tx, err);
}

static void
house_begin(sn_tx *tx, void *arg)
{
	static const disbursement_payment_status all[]
	    = { DISBURSEMENT_PAYMENT_PLANNED, DISBURSEMENT_PAYMENT_READY,
		      DISBURSEMENT_PAYMENT_SENT, DISBURSEMENT_PAYMENT_ACCEPTED,
		      DISBURSEMENT_PAYMENT_SETTLED,
		      DISBURSEMENT_PAYMENT_REJECTED };
	house                      *h = arg;
	disbursement_payment_status open[6];
	size_t                      nopen = 0;
	for (size_t i = 0; i < 6; i++)
		if (disbursement_rules_payment_open(all[i]))
			open[nopen++] = all[i];
	disbursement_run_status approved = DISBURSEMENT_RUN_APPROVED;
	disbursement_run_status sending  = DISBURSEMENT_RUN_SENDING;
	if (disbursement_store_runs_start(tx, approved,
	        disbursement_rules_run_next(approved, DISBURSEMENT_RUN_START),
	        &h->started_cb)
	        != SN_OK
	    || (h->complete
	        && disbursement_store_runs_complete(tx, sending,
	               disbursement_rules_run_next(
	                   sending, DISBURSEMENT_RUN_COMPLETE),
	               open, nopen, stale_ms(h->d), &h->completed_cb)
	            != SN_OK)) {
		sn_tx_rollback(tx, SN_EDB);
		return;
	}
	sn_tx_commit(tx);
}

static void
house_done(sn_err err, void *arg)
{
	house        *h = arg;
	disbursement *d = h->d;
	d->housekeeping = false;
	if (err != SN_OK && !d->stopping)
		sn_log(SN_LOG_WARN, "run status pass failed", "error",
		    sn_strerror(err), NULL);
	bool moved = err == SN_OK && h->moved > 0;
	free(h);
	if (moved) { /* a run started: its planned payments are claimed */
		d->runs_gen++;
		memset(
		    d->planned_skip_until, 0, sizeof(d->planned_skip_until));
	}
	if (moved || err != SN_OK)
		d->found = true;
	if (moved) /* a run started: its payments go out now */
		disbursement_payout_kick(d);
}

static void
house_start(disbursement *d, bool complete)
{
	house *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return;
	h->d            = d;
	h->complete     = complete;
	h->started_cb   = (disbursement_runs_cb) { runs_moved, h };
	h->completed_cb = (disbursement_runs_cb) { runs_moved, h };
	d->housekeeping = true;
	sn_db_tx(sn_service_db(d->svc), house_begin, house_done, h);
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
	uint64_t now  = sn_now_ms();
	bool     busy = d->inflight > 0;
	if (!d->housekeeping) {
		bool complete
		    = !busy || now - d->completion_at >= DISBURSEMENT_SCAN_MS;
		if (complete)
			d->completion_at = now;
		house_start(d, complete);
	}
	claim_next(d, NSENDABLE);
	if (!d->querying
	    && (!busy || d->asked_found
	        || now - d->asked_at >= DISBURSEMENT_SCAN_MS)) {
		d->asked_at = now;
		d->querying = true;
		disbursement_store_to_query(db, d->sender, d->cfg.batch,
		    d->cfg.poll_ms, stale_ms(d), to_query_found, d);
	}
}

/* A pass, then the next one after poll_ms while there is work (found
 * since the last pass, or batches with the bank), else after a wait
 * doubling up to idle_ms: an idle process asks the database every
 * idle_ms. What makes work in this process kicks (at once); another
 * process's work (a run approved there, a restart's leftovers) is found
 * by the slow pass. */
static void
on_timer(uv_timer_t *t)
{
	disbursement *d = t->data;
	d->wait_ms
	    = disbursement_rules_next_wait_ms(d->found || d->inflight > 0,
	        d->wait_ms, d->cfg.poll_ms, d->cfg.idle_ms);
	d->found = false;
	tick(d);
	if (d->timer_open && !d->stopping)
		uv_timer_start(&d->timer, on_timer, d->wait_ms, 0);
}

sn_err
disbursement_payout_start(disbursement *d)
{
	snprintf(d->sender, sizeof(d->sender), "p%ld-", (long) getpid());
	random_hex(d->sender + strlen(d->sender), 8);
	if (uv_timer_init(sn_loop_uv(sn_service_loop(d->svc)), &d->timer) != 0)
		return SN_EUV;
	d->timer.data = d;
	d->timer_open = true;
	d->found      = true; /* a restart's leftovers first */
	uv_timer_start(&d->timer, on_timer, 0, 0);
	return SN_OK;
}

void
disbursement_payout_kick(disbursement *d)
{
	if (d->timer_open && !d->stopping) {
		d->found = true;
		uv_timer_start(&d->timer, on_timer, 0, 0);
	}
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
