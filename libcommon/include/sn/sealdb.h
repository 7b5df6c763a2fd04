/*
 * sn/sealdb.h - sealing at start-up the rows an older version wrote in
 * clear (issue 11, item 5).
 *
 * A migration cannot seal (it has no key): it adds the sealed column and
 * the blind-index column and makes the clear column nullable. At start-up,
 * before the service reports ready, sn_sealdb_run seals every row whose
 * clear column is not NULL: in transactions of SN_SEALDB_BATCH rows, each
 * row locked (FOR UPDATE SKIP LOCKED, so that two instances share the
 * work), its value sealed into the sealed column (sn_seal_text with the
 * column's associated data), its blind index written, and the clear
 * column set NULL. New rows never write the clear column, so a second
 * start finds nothing to do.
 *
 * A service lists its columns in its definition (sn_service_def's
 * seal_columns); sn_service_main runs this after the migrations. The
 * names come from the program, never from input; they are quoted anyway.
 */
#ifndef SN_SEALDB_H
#define SN_SEALDB_H

#include <stddef.h>
#include <stdint.h>

#include "sn/err.h"
#include "sn/seal.h"

#define SN_SEALDB_BATCH 500

typedef struct sn_sealdb_column {
	const char *table;  /* "member", in the service's schema */
	const char *clear;  /* "id_number": nullable, NULL once sealed */
	const char *sealed; /* "id_number_sealed": the sn1. text, or NULL
	                     * where only the index is kept (a lookup
	                     * table whose value is never read back) */
	const char *index;  /* "id_number_index", or NULL for none */
	const char *ad;     /* associated data: "intake.member.id_number" */
	/* The index's column argument (sn_seal_index) when it is not ad: a
	 * service whose tables are joined by the value indexes them all
	 * under one name ("intake.id_number"). */
	const char *index_ad;
	/* The clear value as text when the column is not text, an SQL
	 * expression over the row (a text[]: "array_to_string(ids, ',')");
	 * NULL: the column itself. */
	const char *clear_text;
} sn_sealdb_column;

/*
 * Seals the clear values of cols[0..n) in schema (NULL: the connection's
 * search_path) over a connection of its own to conninfo. *sealed (may be
 * NULL) counts the rows sealed. Logs each table's count, never a value.
 * SN_EDB when the database fails (what was committed stays sealed),
 * SN_EINVAL for a NULL sealer.
 */
sn_err sn_sealdb_run(const char *conninfo, const char *schema,
    const sn_seal *s, const sn_sealdb_column *cols, size_t n, int64_t *sealed);

/* A JSON key whose string values are sealed under ad. */
typedef struct sn_sealdb_key {
	const char *key; /* "id_number" */
	const char *ad;  /* "intake.member.id_number" */
} sn_sealdb_key;

/*
 * For documents built inside SQL from sealed columns: parses json and
 * replaces, at any depth, every string value of a key of keys that is
 * sealed text ("sn1." ...) with the value opened under that key's ad;
 * other values (clear text an older version stored, numbers, nulls) stay
 * as they are. *out is the document again (malloc'd, compact; free()).
 * SN_EPROTO for text that is not JSON, SN_EINVAL for a sealed value that
 * does not open (logged with the key, never the value), SN_ENOMEM.
 */
sn_err sn_sealdb_open_json(const sn_seal *s, const char *json,
    const sn_sealdb_key *keys, size_t n, char **out);

/*
 * The other way, for a JSON document stored as it is (a jsonb column):
 * every string value of a key of keys, at any depth, sealed under the
 * first ad listed for it (a value that is sealed already, "sn1." text,
 * is left as it is). A key may be listed more than once, with the
 * ads of the several places it comes from; sn_sealdb_open_json tries
 * them in order.
 */
sn_err sn_sealdb_seal_json(const sn_seal *s, const char *json,
    const sn_sealdb_key *keys, size_t n, char **out);

/*
 * A JSON document column (jsonb) holding values of named keys that are
 * sealed inside it (sn_sealdb_seal_json): the documents an older version
 * stored with those values in clear are sealed at start-up as columns
 * are, in batches, each clear value sealed under its key's first ad
 * (values already sealed, "sn1." text, are left as they are).
 */
typedef struct sn_sealdb_document {
	const char          *table;  /* "report" */
	const char          *column; /* "members", jsonb */
	const sn_sealdb_key *keys;   /* as for sn_sealdb_seal_json */
	size_t               nkeys;
} sn_sealdb_document;

/* sn_sealdb_run for documents; *sealed (may be NULL) counts the rows. */
sn_err sn_sealdb_run_documents(const char *conninfo, const char *schema,
    const sn_seal *s, const sn_sealdb_document *docs, size_t n,
    int64_t *sealed);

#endif /* SN_SEALDB_H */
