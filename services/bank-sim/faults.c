/*
 * bank-sim/faults.c - see faults.h.
 */
#include "faults.h"

#include <unistd.h>

#include "sn/log.h"

bank_sim_act
bank_sim_faults_act(bank_sim_faults *f)
{
	return bank_sim_rules_act(
	    bank_sim_rules_random(&f->rng), f->drop_pct, f->timeout_pct);
}

void
bank_sim_faults_stored(bank_sim_faults *f, const char *id)
{
	if (f->crash_after > 0 && ++f->stored == f->crash_after) {
		sn_log(SN_LOG_WARN,
		    "crashing as told (SN_BANK_SIM_CRASH_AFTER)", "msg_id", id,
		    NULL);
		_exit(1);
	}
}
