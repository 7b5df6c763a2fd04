/*
 * bank-sim/accounts.h - the accounts the simulated bank holds by name:
 * the fixture file SN_BANK_SIM_FIXTURE, a JSON object
 *
 *     {"6222020000000001": {"name": "张三", "state": "blocked"},
 *      "6222020000000002": {"name": "李四", "closed": true},
 *      "110000000000000000001": {"name": "某某区民政局",
 *                                "balance_fen": 100000000}, ...}
 *
 * whose keys are account numbers and whose values hold the holder's
 * exact name, the account's state ("open" (the default), "closed",
 * "blocked" or "deceased"; "closed": true is the older spelling of
 * "closed" and may not contradict a state given too) and, for a debtor
 * (fund) account, "balance_fen", its opening balance (an integer >= 0;
 * the payments it makes are taken from it: AM04 when short). The name
 * is required unless a balance is given. Any other key or type is
 * refused. Accounts the fixture does not name exist or not according to
 * SN_BANK_SIM_OPEN_ALL (see rules.h); a debtor account it does not give
 * a balance has no limit.
 *
 * A bank_sim_accounts is read-only once loaded and may be searched from
 * any thread; it owns its strings.
 */
#ifndef BANK_SIM_ACCOUNTS_H
#define BANK_SIM_ACCOUNTS_H

#include <stddef.h>

#include "rules.h"
#include "sn/err.h"

typedef struct bank_sim_accounts bank_sim_accounts;

/*
 * Parses the fixture text (NUL-terminated). On failure returns SN_EINVAL
 * (SN_ENOMEM) and writes why into err (cap bytes).
 */
sn_err bank_sim_accounts_parse(
    const char *text, bank_sim_accounts **out, char *err, size_t cap);

/* Reads and parses the file at path; SN_EIO if it cannot be read. */
sn_err bank_sim_accounts_load(
    const char *path, bank_sim_accounts **out, char *err, size_t cap);

/* The record of account_number, borrowed from a; NULL if a is NULL or
 * does not name it. */
const bank_sim_account *bank_sim_accounts_find(
    const bank_sim_accounts *a, const char *account_number);

/* Accounts held; 0 for NULL. */
size_t bank_sim_accounts_count(const bank_sim_accounts *a);

/* NULL: no-op. */
void bank_sim_accounts_free(bank_sim_accounts *a);

#endif /* BANK_SIM_ACCOUNTS_H */
