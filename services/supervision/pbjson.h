/*
 * pbjson.h - any decoded protobuf-c message as JSON, by its descriptor:
 * one converter for every event type of every publisher, so that a new
 * field reaches the event log, the household chain and the hub feed
 * without code.
 *
 * The rules (docs/feed.md states them for hubs):
 *   - fields by their .proto names; every field present, proto3 defaults
 *     included, so that each type has one fixed shape;
 *   - integers as JSON integers, 64-bit exact (money is integer fen);
 *     bools as true/false; enums by their value name ("CATEGORY_DIBAO");
 *     bytes as base64; messages as objects; repeated fields as arrays;
 *   - personal identifiers (see supervision_pbjson_kind): with a sealer,
 *     identity numbers are sealed (sn/seal.h, SUPERVISION_PERSON_COLUMN)
 *     and their blind indexes collected, account numbers sealed
 *     (SUPERVISION_ACCOUNT_COLUMN); without one they stay in clear.
 * Pure apart from allocation; any thread.
 */
#ifndef SUPERVISION_PBJSON_H
#define SUPERVISION_PBJSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "sn/db.h"
#include "sn/err.h"
#include "sn/seal.h"

typedef enum supervision_pbjson_kind {
	SUPERVISION_PBJSON_PLAIN,
	SUPERVISION_PBJSON_PERSON,  /* id_number, *_id_number(s) */
	SUPERVISION_PBJSON_ACCOUNT, /* account_number */
	SUPERVISION_PBJSON_NAME,    /* name, *_name(s): a person's name */
	SUPERVISION_PBJSON_ADDRESS, /* address: where a person lives */
} supervision_pbjson_class;

/* What a field of this name holds, by name alone: the one rule the
 * sealing here and the hub feed's pseudonymisation share. */
supervision_pbjson_class supervision_pbjson_kind(const char *field);

/*
 * *out = m as JSON (a new reference). seal may be NULL (identifiers in
 * clear); persons, if not NULL, gets the blind index of every identity
 * number (with seal only). SN_ENOMEM, or SN_EINVAL for a message that
 * does not match its descriptor.
 */
sn_err supervision_pbjson(const ProtobufCMessage *m, const sn_seal *seal,
    sn_pgarray *persons, json_t **out);

/* The size of one element of a repeated field of type t (the array
 * protobuf-c keeps for it); 0 for an unknown type. */
size_t supervision_pbjson_elem_size(ProtobufCType t);

#endif /* SUPERVISION_PBJSON_H */
