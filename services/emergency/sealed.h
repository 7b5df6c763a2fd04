/*
 * sealed.h - the emergency service's sealed columns (sn/seal.h, issue 11).
 *
 * A grant's identity numbers (the person's and the household members')
 * and its account number are stored sealed, under the sealer the service
 * opened at start-up (sn_seal_default()), with blind indexes for the
 * lookups: the person's (the chain of GET /people/{id}/chain, the
 * figures' distinct persons) and every person's (table grant_person: the
 * grant window, the per-person locks). The household is sealed as one
 * value, its id numbers joined by commas. The clear columns are NULL once
 * a row is sealed: rows of an older version are sealed at start-up by
 * sn/sealdb.h, from emergency_sealed_columns.
 *
 * Every function may be called from any thread; each returns SN_EINVAL
 * when the service has no sealer, SN_ENOMEM.
 */
#ifndef EMERGENCY_SEALED_H
#define EMERGENCY_SEALED_H

#include <jansson.h>
#include <stddef.h>

#include "sn/db.h"
#include "sn/err.h"
#include "sn/seal.h"
#include "sn/sealdb.h"

/* The associated data of each sealed value, and the name of each index. */
#define EMERGENCY_SEALED_ID "emergency.grants.id_number"
#define EMERGENCY_SEALED_HOUSEHOLD "emergency.grants.household_id_numbers"
#define EMERGENCY_SEALED_ACCOUNT "emergency.grants.account_number"
#define EMERGENCY_SEALED_PEOPLE "emergency.grants.people"

/* What sn_service_main seals at start-up (sn_service_def's
 * seal_columns). */
extern const sn_sealdb_column emergency_sealed_columns[];
extern const size_t           emergency_sealed_ncolumns;

/* plain sealed for column: *out malloc'd. */
sn_err emergency_sealed_seal(
    const char *column, const char *plain, char **out);

/* v opened for column: a sealed value ("sn1." ...) opened, a clear one
 * (a row not sealed yet) copied. *out malloc'd. */
sn_err emergency_sealed_open(const char *column, const char *v, char **out);

/* The blind index of id number plain as the person of a grant
 * (EMERGENCY_SEALED_ID), in out. */
sn_err emergency_sealed_person_index(
    const char *plain, char out[SN_SEAL_INDEX_HEX + 1]);

/* The people indexes (EMERGENCY_SEALED_PEOPLE) of person and
 * household[0..n), the person first, added to idx (a text[] literal);
 * and, when household_sealed is not NULL, the members sealed as one value
 * (malloc'd). */
sn_err emergency_sealed_people(const char *person,
    const char *const *household, size_t n, sn_pgarray *idx,
    char **household_sealed);

/* A JSON document of grants (grant_json's, an array of them, or any
 * document holding them, as the chain and the pages do) with every sealed
 * value opened: person.id_number, household_id_numbers (a sealed string
 * opened into its array) and payee.account_number of each grant. *out
 * malloc'd; SN_EINVAL for a document that does not parse or a value that does
 * not open. */
sn_err emergency_sealed_doc(const char *json, char **out);

/* The same document parsed and opened, as a tree: *out holds its one
 * reference (json_decref). A grant's reply takes the tree as it is, so the
 * document is parsed once and printed once. */
sn_err emergency_sealed_tree(const char *json, json_t **out);

#endif /* EMERGENCY_SEALED_H */
