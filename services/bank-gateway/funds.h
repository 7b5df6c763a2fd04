/*
 * funds.h - the fund accounts bank-gateway pays from (issue 14): per
 * fund, the debtor account, its name at the bank, the bank (a CNAPS
 * member id), the currency, the purpose written in every remittance and
 * the ISO category purpose. Read once at start-up from the JSON file
 * SN_BANK_GATEWAY_FUNDS (seed/funds.json in the tree):
 *
 *   {"initiator": "某某区民政局",
 *    "funds": [{"fund": "dibao", "account": "...", "account_name": "...",
 *               "agent": "...", "currency": "CNY",
 *               "purpose": "最低生活保障金", "category_purpose": "SSBE"},
 *              ...]}
 *
 * Every member is required but category_purpose; a member the file does
 * not know is refused, as are a fund named twice and every value the
 * pain.001 XSD would refuse later (lengths in characters: account 34,
 * account_name and initiator 140, agent 35, purpose 128 so that
 * "9999年12月 " fits in front of it within 140, category_purpose 1 to 4;
 * currency three capital letters; no control characters). A fund name is
 * 1 to 32 of a-z, 0-9 and '_', starting with a letter. A fund not in the
 * file is not configured: nothing is ever sent for it.
 *
 * Pure but for reading the file; any thread; the set is read-only once
 * loaded.
 */
#ifndef BANK_GATEWAY_FUNDS_H
#define BANK_GATEWAY_FUNDS_H

#include <stddef.h>

#include "sn/err.h"

/* Room for the reason a file is refused, NUL included. */
#define BANK_GATEWAY_FUNDS_WHY_MAX 256

/* One fund's account. Strings are owned by the set. */
typedef struct bank_gateway_fund {
	const char *fund;             /* "dibao" */
	const char *account;          /* DbtrAcct/Id/Othr/Id */
	const char *account_name;     /* Dbtr/Nm */
	const char *agent;            /* DbtrAgt's CNAPS member id */
	const char *currency;         /* "CNY" */
	const char *purpose;          /* "最低生活保障金" */
	const char *category_purpose; /* "SSBE"; "" when none */
} bank_gateway_fund;

typedef struct bank_gateway_funds bank_gateway_funds;

/*
 * Reads the JSON text json (len bytes). On SN_OK *out is the caller's
 * (bank_gateway_funds_free). SN_EINVAL with why (BANK_GATEWAY_FUNDS_WHY_MAX
 * bytes) naming the member and what is wrong; SN_ENOMEM.
 */
sn_err bank_gateway_funds_parse(
    const char *json, size_t len, bank_gateway_funds **out, char *why);

/* The same from the file at path; SN_EIO (why says so) when it cannot be
 * read. */
sn_err bank_gateway_funds_load(
    const char *path, bank_gateway_funds **out, char *why);

/* Frees f; NULL is fine. */
void bank_gateway_funds_free(bank_gateway_funds *f);

/* The initiating party's name (InitgPty/Nm). */
const char *bank_gateway_funds_initiator(const bank_gateway_funds *f);

/* How many funds, and the i-th in the file's order. */
size_t                   bank_gateway_funds_count(const bank_gateway_funds *f);
const bank_gateway_fund *bank_gateway_funds_at(
    const bank_gateway_funds *f, size_t i);

/* The fund named fund, or NULL when it is not configured (fund may be
 * NULL or ""). */
const bank_gateway_fund *bank_gateway_funds_find(
    const bank_gateway_funds *f, const char *fund);

/* The fund whose debtor account is account, or NULL. */
const bank_gateway_fund *bank_gateway_funds_by_account(
    const bank_gateway_funds *f, const char *account);

#endif /* BANK_GATEWAY_FUNDS_H */
