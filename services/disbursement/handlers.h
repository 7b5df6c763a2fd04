/*
 * handlers.h - what comes into disbursement (issue 5): the HTTP API of
 * finance, finance approvers and township officers, and the events of
 * approval and emergency. The work that goes out on its own (building
 * runs, sending instructions, asking the bank) is payout.h's.
 *
 * HTTP API (every POST/PUT takes an Idempotency-Key and makes its change,
 * its events and its stored answer in one transaction; refused input
 * changes nothing; errors are {"error": {"code", "message", "field"}}).
 * Every body refuses, with 422, a member it does not know
 * ("unknown_field", field naming it), null or the wrong JSON type where
 * it expects a string or a number ("invalid_type") and control
 * characters in its strings ("invalid_characters"; TAB, LF and CR are
 * allowed in a reason) before anything else (sn/input.h):
 *   POST /budgets   finance (district). {fund, year, amount_fen} → 201
 *        {fund, year, allocated_fen, drawn_fen, left_fen, allocation_id};
 *        allocations add up.
 *   GET  /budgets/{fund}/{year}/settlement   finance, finance_approver →
 *        {fund, year, allocated_fen, drawn_fen, paid_fen, returned_fen
 *        (rejected and not re-paid), in_flight_fen, left_fen (allocated
 *        − paid − in flight), uncommitted_fen (allocated − drawn), and
 *        the counts}. 404 "no_budget".
 *   POST /runs   finance (district). {period: "YYYY-MM"} → 202 {id,
 *        period, status "building"}; the run is built in the background
 *        (payout.h) and then awaits approval. 409 "run_exists" (with
 *        error.run_id) when the period has a live run. 422
 *        "invalid_period" for a period more than one month ahead of the
 *        district's month (sn/clock.h) or closed: a month before the
 *        previous one, or the previous one once its run completed
 *        (rules.h disbursement_rules_run_period); nothing is made.
 *   GET  /runs/{id}, GET /runs/{id}/plan (用款计划: {run, rows: [{fund,
 *        township_code, payments, total_fen, back_payments, back_fen}],
 *        payments, total_fen, corrections: {back_payments, back_fen,
 *        recoveries, recovery_fen, netted_fen}}),
 *        GET /runs/{id}/reconciliation: finance, finance_approver.
 *        A run's lines: each payee's ordinary payment (the register's
 *        amount for the period, less what it owes: netted_fen), its price
 *        subsidy (fund price_subsidy), and a back-payment per month
 *        corrected (payment.corrects, its own line: period, fund and
 *        payee still have one ordinary payment). Back-payments are
 *        payments like any other in the plan's rows and totals and in the
 *        reconciliation (counts, amounts, instructions); recoveries are
 *        never payments: only the plan's corrections show them.
 *   POST /runs/{id}/approval   finance_approver (district). {decision:
 *        approve|reject, reason?} → 200 the run. 403 "same_user" (the
 *        creator), 403 "approved_a_case" (approving a run that pays a
 *        case the approver decided), 409 "not_awaiting_approval".
 *        Rejecting deletes the run's payments and gives their budget
 *        back; the period can then be run again. Approving starts the
 *        sending, so first (issue 14) bank-gateway is asked with a
 *        FundQuery whether every fund the run pays has an account: 409
 *        "fund_not_configured" (error.fund names it) or 503
 *        "bank_unavailable" (error.funds: those not checked) when the
 *        gateway does not answer, or when the adapter on SN_BANK_URL
 *        refuses the FundQuery as malformed (one that does not know it;
 *        bank-gateway does), and nothing changes; these come before the
 *        run's own checks.
 *   GET  /payments/{id}   finance, finance_approver, township_officer
 *        (within the payment's township).
 *   GET  /payments?status=rejected&township=T&limit=&cursor=   the same
 *        roles; a township officer sees only his township. Paged
 *        (sn/page.h): {items, next}, oldest first.
 *   GET  /runs?limit=&cursor=   finance, finance_approver: every run as
 *        GET /runs/{id} shows it, oldest first; {items, next}.
 *   GET  /budgets?limit=&cursor=   finance, finance_approver: {fund,
 *        year, allocated_fen, drawn_fen, left_fen, updated_at} per fund
 *        and year, in the order first allocated; {items, next}.
 *   Every list takes limit (1..1000, default 100) and cursor (a "next"
 *   it gave); anything else is 422 invalid_query.
 *   PUT  /payments/{id}/account   township_officer within the payment's
 *        township. {bank_code, account_number, account_name} → 202 the
 *        proposal {id, payment_id, status "pending", the account,
 *        requested_by, requested_at}: the payment stays rejected (held)
 *        until a second user confirms. A new proposal, by the same user
 *        or another, replaces the pending one (status "replaced"); its
 *        maker is then the one who may not confirm. 422
 *        "name_not_member" when account_name is not exactly one of the
 *        household's members' names (beneficiary.changed member_names;
 *        none known refuses too); 409 "not_rejected"; 409
 *        "not_correctable" for an emergency payment (emergency has
 *        credited its fund back and grants again).
 *   POST /payments/{id}/account/confirmation   township_officer within
 *        the payment's township, or finance; body none or {}. → 200 the
 *        payment, "ready" under a new end-to-end id (attempt + 1): it
 *        goes out at once to the proposed account, still the same
 *        payment; the payee's other held payments go out again the
 *        same way and its planned or ready ones take the account; the
 *        payee's account changes for later runs, and
 *        payee.changed is published in the same transaction. 403
 *        "same_user" for the proposal's maker; 409 "nothing_pending".
 *   POST /payments/{id}/account/rejection   the same checkers; {reason?}
 *        → 200 the proposal, "rejected": discarded. 403 "same_user",
 *        409 "nothing_pending".
 *   A payment's document (GET /payments/{id}) shows the pending
 *   proposal as account_change (null when none).
 *
 * Events followed (applied once, in order, in the bus's transaction):
 *   approval application.decided   an approved tekun/dibao decision with
 *        a monthly amount: the payee (from effective_month), and who
 *        decided it (segregation of duties).
 *   approval beneficiary.changed   the register: the payee's standing,
 *        amount, fund, account and months, and what the register says
 *        from first_month on (payee_month; a run for P pays the row in
 *        force for P: active or gradual exit until until_month, nothing
 *        suspended or exited). Its member_names are kept with the
 *        payee (an account change's holder must be one of them). An
 *        EXITED with cause REPLACED (an edge household's standing
 *        replaced by a new decision) ends from the month after its
 *        until_month, whatever first month it names: the months paid
 *        stay paid; the new decision is a payee of its own.
 *   approval price_subsidy.decided the month's price subsidy: the run
 *        of that month pays per_person_fen × members to every payee of
 *        a listed category as a line of its own (fund price_subsidy);
 *        applies=false, or no event, pays none.
 *   emergency emergency.granted    a payment "ready" at once from the
 *        emergency fund, with ref.grant_id; once per grant, or for
 *        transitional aid once per instalment (instalment k of n, its
 *        own payment and end-to-end id, ref.instalment k in its
 *        events); a repeat pays nothing. It draws on
 *        the budget of granted_at's year, or of the district's year
 *        (sn/clock.h) when the grant carries no date.
 * Events published: events.h.
 *
 * Handlers are glue: parse (sn/input.h), authorise (the route's roles),
 * decide (rules.h), store (store.h), append the events (events.h),
 * answer. Everything runs on the service's loop thread.
 */
#ifndef DISBURSEMENT_HANDLERS_H
#define DISBURSEMENT_HANDLERS_H

#include <stddef.h>

#include "disbursement.h"
#include "sn/http.h"

/* The HTTP API above as one table, for sn_service_def.routes; the
 * handlers take the disbursement (sn_service_set_route_arg). */
#define DISBURSEMENT_NROUTES 14
extern const sn_http_route_def disbursement_routes[DISBURSEMENT_NROUTES];

/*
 * Registers the event handlers on svc, sets the routes' arg, opens the
 * bank client and starts payout's timer. From the service's setup; cfg is
 * copied.
 */
sn_err disbursement_init(
    disbursement *d, sn_service *svc, const disbursement_config *cfg);

/* Stops the timer and closes the bank client (teardown). NULL: no-op. */
void disbursement_fini(disbursement *d);

#endif /* DISBURSEMENT_HANDLERS_H */
