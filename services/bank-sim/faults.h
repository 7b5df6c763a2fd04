/*
 * bank-sim/faults.h - the simulated bank's misbehaviour for the tests, on
 * its ISO 20022 answers (iso.h): one splitmix64 generator seeded by
 * SN_BANK_SIM_SEED draws, per answer, whether it is withheld
 * (SN_BANK_SIM_DROP_PERCENT), sent late (SN_BANK_SIM_TIMEOUT_PERCENT) or
 * sent; and one count of the new messages stored since start makes the
 * process exit with status 1 right after committing the
 * SN_BANK_SIM_CRASH_AFTER-th, before answering it.
 *
 * Threads: the loop thread only (the generator's state is plain).
 */
#ifndef BANK_SIM_FAULTS_H
#define BANK_SIM_FAULTS_H

#include <stdint.h>

#include "rules.h"

typedef struct bank_sim_faults {
	uint64_t rng;         /* the generator's state: the seed at start */
	uint32_t drop_pct;    /* answers withheld, percent */
	uint32_t timeout_pct; /* answers delayed, percent */
	uint32_t crash_after; /* 0: never */
	uint32_t stored;      /* new messages since start */
} bank_sim_faults;

/* The act for the next answer (bank_sim_rules_act on the next draw). */
bank_sim_act bank_sim_faults_act(bank_sim_faults *f);

/*
 * Counts a new message (id, its MsgId for the log line) whose work has
 * committed; exits the process with status 1 when it is the
 * crash_after-th.
 */
void bank_sim_faults_stored(bank_sim_faults *f, const char *id);

#endif /* BANK_SIM_FAULTS_H */
