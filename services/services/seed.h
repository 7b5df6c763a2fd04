/*
 * seed.h - reading the seed data (seed/departments.json,
 * seed/projects.json) the registry and the catalogue load at start.
 *
 * The files are data, not code: a district edits them (or points
 * SN_SERVICES_SEED_DIR at its own) without rebuilding. Loading is
 * idempotent: what is already in the database is left as it is (staff
 * edits win), what is new is added.
 */
#ifndef SERVICES_SEED_H
#define SERVICES_SEED_H

#include <jansson.h>

#include "sn/err.h"

/*
 * Reads dir/name as one JSON document (jansson: exact integers,
 * duplicate keys and trailing data refused) into *out, owned by the
 * caller (json_decref). A file that cannot be read or does not parse is
 * logged with its path, line and column and answered SN_EINVAL, as is an
 * document whose "version" is not 1; SN_ENOMEM when out of memory.
 * Called from setup, before the loop runs: the read blocks.
 */
sn_err services_seed_read(const char *dir, const char *name, json_t **out);

#endif /* SERVICES_SEED_H */
