/*
 * disbursement.h - the state of one disbursement process, shared by what
 * comes in (handlers.h: requests and events) and what goes out on its own
 * (payout.h: building runs, sending, asking the bank). Neither of those
 * two includes the other's header: both know only this one.
 *
 * The caller provides the storage (main.c keeps it static); it must
 * outlive sn_service_main. Everything in it is for the loop thread.
 */
#ifndef DISBURSEMENT_DISBURSEMENT_H
#define DISBURSEMENT_DISBURSEMENT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "bank.h"
#include "sn/metrics.h"
#include "sn/service.h"
#include "store.h"

/* Settings, read by main.c (SN_DISBURSEMENT_*, SN_BANK_URL). */
typedef struct disbursement_config {
	const char *bank_url;        /* SN_BANK_URL */
	int         batch;           /* instructions per batch */
	uint32_t    bank_timeout_ms; /* per try */
	uint32_t    bank_retries;    /* tries after the first */
	int         inflight;        /* batches in flight at once */
	uint32_t    poll_ms;         /* sender and status-query period */
	uint32_t    idle_ms;         /* longest wait while nothing to do */
	int         build_chunk;     /* payees per build transaction */
	uint64_t    retry_ms;        /* first wait after a RETRY */
	uint64_t    retry_max_ms;    /* longest wait after a RETRY */
} disbursement_config;

/* sn_disbursement_instructions_total's statuses, in this order:
 * settled, rejected, accepted, unknown, retry. */
#define DISBURSEMENT_NINSTR 5

typedef struct disbursement {
	sn_service         *svc;
	disbursement_config cfg;
	disbursement_bank  *bank;
	char                sender[40]; /* this process, in payment.sender */
	uv_timer_t          timer;
	bool                timer_open;
	bool                stopping;
	int                 inflight;  /* batches with the bank */
	bool                claiming;  /* a claim transaction is running */
	int                 next_fund; /* round robin over the funds */
	bool                querying;  /* a status query is running */
	bool                building;  /* a build transaction is running */
	bool                housekeeping;
	uint32_t            wait_ms; /* before the next pass (payout.c) */
	bool                found;   /* work seen since the last pass */
	/* The two whole-table checks (a run's completion, the payments to
	 * ask the bank about): when each last ran (sn_now_ms), and whether the
	 * last status query found any. While batches are with the bank they
	 * run at most every DISBURSEMENT_SCAN_MS (payout.c). */
	uint64_t completion_at, asked_at;
	bool     asked_found;
	/* A claim of a fund that found fewer payments than a batch holds
	 * has taken every planned one of the runs being sent: until
	 * planned_skip_until[fund] (sn_now_ms) its claims take ready payments
	 * only. A run moving on here (runs_gen) ends every skip. */
	uint64_t    planned_skip_until[DISBURSEMENT_NFUNDS];
	uint64_t    runs_gen;
	sn_counter *instr[DISBURSEMENT_NINSTR];
	sn_counter *runs_built;
	/* emergency.granted's payment in the bus's apply transaction: the
	 * bus applies one event at a time and waits for the statements an
	 * event handler queues with a callback, so one of each suffices. */
	disbursement_payment_cb grant_cb;
	char                    grant_actor[64];
} disbursement;

#endif /* DISBURSEMENT_DISBURSEMENT_H */
