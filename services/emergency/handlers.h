/*
 * handlers.h - what comes into the emergency service ("救急难", issue 4):
 * the HTTP API of township officers, district approvers and finance, and
 * the events of disbursement, intake and approval.
 *
 * Reserve funds. One per township, created by its first allocation. A
 * balance is never negative: every debit is one conditional UPDATE
 * (balance_fen >= amount) in the same transaction as the grant row, the
 * ledger row and the outbox append, and the table CHECKs balance_fen >= 0.
 * The ledger is append-only (a trigger refuses UPDATE, DELETE and
 * TRUNCATE); each row carries the balance after it, and a fund's rows sum
 * to its balance.
 *
 * HTTP API (every POST takes an Idempotency-Key and makes its change, its
 * events and its stored answer in one transaction; refused input changes
 * nothing; errors are {"error": {"code", "message", "field"}}):
 *   POST /funds/{township}/allocations   finance, district covering the
 *        township. {amount_fen, note?} → 201 {ledger_entry_id,
 *        township_code, movement, amount_fen, balance_fen, created_at};
 *        publishes reserve.changed.
 *   POST /grants   emergency_officer within the township. {township_code,
 *        village_code, person {id_number, name}, cause, description,
 *        household_size, amount_fen, payee {bank_code, account_number,
 *        account_name}, household_id_numbers?, kind?, instalments?,
 *        monthly_amount_fen?} (rules.h). Within the limit: 201, the grant
 *        "granted" with balance_fen and ledger_entry_id, fund debited,
 *        emergency.granted and reserve.changed published. Above it: 202,
 *        "awaiting_approval", nothing debited or published. Over the
 *        balance (or no fund): 409 "insufficient_funds" whose error also
 *        carries balance_fen (0 without a fund) and amount_fen.
 *        Issue 10, the window: the person's and household's grants
 *        (people overlapping) asked in the last cfg.window_days, not
 *        rejected, less what was credited back, add up with this one; a
 *        grant within the limit that takes that sum above it waits too
 *        (202) with window {sum_fen, grants}. The people's advisory locks
 *        (store.h) serialise the read and the insert. Transitional aid
 *        (kind "transitional", 2..cfg.instalments_max instalments of
 *        monthly_amount_fen): the whole counts and is debited; its
 *        schedule is written at the debit, instalment 1 published at once,
 *        the next by the instalment tick on the first district day of
 *        their month (once each: marked and published in one
 *        transaction).
 *   POST /grants/{id}/approval   district_officer of the district
 *        covering the township, not the officer who asked (403
 *        "same_user"). {decision: approve|reject, reason}. Approve
 *        debits as above (409 "insufficient_funds" leaves it waiting),
 *        200 with the grant; reject: 200, "rejected". 409
 *        "not_awaiting_approval" otherwise.
 *   POST /grants/{id}/referrals   emergency_officer within the township.
 *        {kind, department (required for medical, housing, education,
 *        employment), note?} → 201 {id, grant_id, kind, ...}; publishes
 *        referral.created filled from the grant. One per grant and kind
 *        (409 "referral_exists").
 *   POST /funds/{township}/settlement   finance, district covering the
 *        township. {year} (2000 .. this year) → 201 the year's report
 *        {opening_fen, allocated_fen, granted_fen, reversed_fen,
 *        closing_fen, balance_fen, ledger_entry_id, ...}; a settlement
 *        ledger row (amount 0: the balance carries over) and
 *        reserve.changed. Once per fund and year (409 "already_settled",
 *        the stored report in error.settlement); 404 "no_fund".
 *   GET  /grants?status=S&township=T&limit=N&cursor=C   (S one of the
 *        statuses or "all", the default; T narrows the caller's
 *        jurisdiction) → one page {items, next} (sn/page.h), in the order
 *        asked.
 *   GET  /funds/{township}/ledger?limit&cursor   the fund's ledger rows,
 *        paged. GET /referrals?township&limit&cursor   referrals, paged.
 *   GET  /grants/{id}   one grant within the caller's jurisdiction.
 *   GET  /funds?township=T&limit&cursor   one page {items: [{township_code,
 *        balance_fen, grant_limit_fen, window_days, allocated_fen,
 *        granted_fen, reversed_fen, awaiting_approval, updated_at}],
 *        next}.
 *   GET  /figures?year=YYYY   grants made that year (the district's
 *        calendar, sn/clock.h) by township, cause and month: {year, rows:
 * [{township_code, cause, month, person_times, persons, amount_fen,
 * reversed_fen}], person_times, amount_fen}. GET  /people/{id_number}/chain
 * emergency_officer, district_officer, district_admin: {id_number, grants:
 * [{grant (with its payment), referrals: [{..., applications:
 * [{application_id, ..., decision}]}]}]}, only grants within the caller's
 * jurisdiction. The GETs take emergency_officer, district_officer,
 * district_admin and finance (chain: not finance), and see only their
 * jurisdiction.
 *
 * Events published (proto sn.assist.v1, schema version 1):
 *   emergency.granted  EmergencyGranted; subject the grant id; actor the
 *                      officer (or the approver)
 *   reserve.changed    ReserveChanged; subject the township code; one per
 *                      ledger row (allocation, grant, reversal, settlement)
 *   referral.created   ReferralCreated; subject the grant id
 * Events followed (applied once, in order, in the bus's transaction):
 *   disbursement payment.settled  ref.grant_id's grant "granted" → "paid"
 *   disbursement payment.settled/failed with ref.instalment k > 0: that
 *                      instalment of transitional aid published → paid
 *                      (the grant "paid" once all are) or failed (that
 *                      instalment credited back: a reversal ledger row of
 *                      its own, reserve.changed); repeats move nothing.
 *   disbursement payment.failed   ref.grant_id's grant "granted" →
 *                      "payment_failed", reversal ledger row crediting
 *                      the fund back, reserve.changed; a repeat (any event
 *                      id) finds the grant no longer "granted": nothing.
 *                      Payments without a grant id are not ours: skipped.
 *   intake application.submitted  with referral_id: links the
 *                      application to the referral (the chain)
 *   intake application.withdrawn  marks such an application withdrawn
 *   approval application.decided  the decision (kept for every
 *                      application: the streams are not ordered against
 *                      each other)
 *
 * Group commit: grants to one fund that arrive while a transaction on it
 * is open share the next (EMERGENCY_GROUP_MAX below); the gauges
 * sn_emergency_group_commits and sn_emergency_group_grants count the
 * transactions and the grants they carried, sn_emergency_group_batched
 * those of the grants made in one statement with others (the group's
 * batch: single grants within the limit, of people that overlap no
 * other's, two or more), sn_emergency_group_waiting the grants waiting
 * now (read every metrics_ms).
 *
 * Metrics: sn_emergency_requests_total{outcome} (granted,
 * awaiting_approval, approved, rejected, insufficient_funds, allocated,
 * settled, referred; counted on commit, insufficient_funds when
 * refused), sn_emergency_grants{status} (grants per status) and
 * sn_emergency_fund_balance_fen{township} (gauges read from the database
 * every metrics_ms), sn_emergency_payments_total{outcome} (paid,
 * reversed, ignored: payment events applied; a batch retried after a
 * failure may count twice).
 *
 * The path of a request: the route table (emergency_routes, given to
 * sn_service_def in main.c) → a handler here (parse the body with
 * sn/input.h) → rules.h (the decision) → store.h (SQL, typed rows) →
 * events.h (the outbox) → the answer. Events followed come in through
 * events.h's table.
 *
 * Everything runs on the service's loop thread.
 */
#ifndef EMERGENCY_HANDLERS_H
#define EMERGENCY_HANDLERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "sn/metrics.h"
#include "sn/service.h"
#include "store.h"

/* Settings, read by main.c (SN_EMERGENCY_*). */
typedef struct emergency_config {
	int64_t  grant_limit_fen; /* per-grant limit of every fund */
	int32_t  window_days;     /* grants add up within these days */
	int64_t  instalments_max; /* transitional aid's most instalments */
	uint32_t metrics_ms;      /* gauge refresh period */
	uint32_t instalment_ms;   /* how often due instalments are sought */
} emergency_config;

#define EMERGENCY_MAX_FUND_GAUGES 1024

/*
 * Grants to one fund share a transaction (group commit, sn/http.h
 * sn_http_group_tx): those that arrive while the fund's transaction is
 * open or committing go together into the next, each in a savepoint, at
 * most this many. Each kept savepoint that wrote holds a subtransaction
 * id until COMMIT, and PostgreSQL caches 64 of them per backend before
 * every snapshot in the cluster gets slower (suboverflow): 32 stays well
 * within that, and is more than the grants that queue on one fund in the
 * saturated benchmark (200 officers over 10 funds).
 */
#define EMERGENCY_GROUP_MAX 32

/* The body of POST /grants, decoded: strings borrowed from the body. */
typedef struct emergency_grant_body {
	emergency_grant_req r; /* amount_fen: the whole amount */
	emergency_kind      kind;
	int32_t             instalments; /* transitional: 2..max */
	int64_t             monthly;     /* transitional: each instalment */
} emergency_grant_body;

/*
 * Decodes the body of POST /grants as the handler does before its rules
 * (sn/input.h: unknown members, nulls and control characters refused;
 * household_id_numbers each a valid identity number, at most 19; the kind
 * and amounts through emergency_rules_kind with instalments_max). false
 * with why filled (a 422) when it does not decode. The fuzz harness calls
 * it too.
 */
bool emergency_decode_grant(const json_t *body, int64_t instalments_max,
    emergency_grant_body *out, sn_problem *why);

enum emergency_outcome {
	EMERGENCY_OUT_GRANTED = 0,
	EMERGENCY_OUT_AWAITING,
	EMERGENCY_OUT_APPROVED,
	EMERGENCY_OUT_REJECTED,
	EMERGENCY_OUT_INSUFFICIENT,
	EMERGENCY_OUT_ALLOCATED,
	EMERGENCY_OUT_SETTLED,
	EMERGENCY_OUT_REFERRED,
	EMERGENCY_OUT_COUNT
};

enum emergency_payment_outcome {
	EMERGENCY_PAYMENTS_PAID = 0,
	EMERGENCY_PAYMENTS_REVERSED,
	EMERGENCY_PAYMENTS_IGNORED,
	EMERGENCY_PAYMENTS_COUNT
};

/*
 * The service's state. The caller provides the storage (main.c keeps it
 * static) and it must outlive sn_service_main: database callbacks still
 * in flight at shutdown come back to it.
 */
typedef struct emergency {
	sn_service      *svc;
	emergency_config cfg;
	sn_counter      *outcomes[EMERGENCY_OUT_COUNT];
	sn_counter      *payments[EMERGENCY_PAYMENTS_COUNT];
	sn_gauge        *statuses[EMERGENCY_NSTATUS];
	/* Group commit of grants, per fund, and its gauges: transactions
	 * committed, grants they carried, grants waiting now. */
	sn_http_groups *groups;
	sn_gauge       *group_commits, *group_grants, *group_waiting;
	sn_gauge       *group_batched;
	int             refreshing; /* reads in flight */
	struct {
		char      code[16];
		sn_gauge *gauge;
	} funds[EMERGENCY_MAX_FUND_GAUGES];
	size_t nfunds;
	/*
	 * The payment event being applied (events.c). The bus hands over
	 * the next event of a stream only once the grant read for this one
	 * has answered (sn/bus.h), so one is enough; msg and grant_id are
	 * the bus's. The reversal's answer may come after the next event
	 * has started, so it has a call of its own and reads only its row.
	 */
	struct {
		emergency_call          lock_call;
		emergency_call          reverse_call;
		emergency_payment_event kind;
		const void             *msg;
		const char             *grant_id;
		char                    actor[128];
	} pay;
	/* The instalment tick (one transaction at a time). */
	emergency_call due_call;
	bool           due_running;
	bool           due_more; /* a full batch: look again at once */
	size_t         due_published;
} emergency;

/* The HTTP API as one table, for sn_service_def.routes; the handlers get
 * the emergency (sn_service_set_route_arg). */
extern const sn_http_route_def emergency_routes[];
extern const size_t            emergency_nroutes;

/*
 * Sets em up on svc: the metrics, the event handlers (events.h), the
 * routes' argument and the periodic metrics refresh (sn_service_every).
 * Call from the service's setup. SN_OK, or the error of the registration
 * that failed.
 */
sn_err emergency_init(
    emergency *em, sn_service *svc, const emergency_config *cfg);

/* Releases what emergency_init took that outlives the loop (the groups,
 * freed once their last transaction ends). From the teardown. */
void emergency_fini(emergency *em);

#endif /* EMERGENCY_HANDLERS_H */
