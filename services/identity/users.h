/*
 * users.h - the district administrators' user API of identity (see
 * handlers.h for the endpoints), and user.changed. Loop thread only.
 */
#ifndef IDENTITY_USERS_H
#define IDENTITY_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "handlers.h"
#include "rules.h"
#include "sn/db.h"
#include "sn/http.h"

/* The role of every route here. */
#define IDENTITY_ADMIN_ROLE "district_admin"
/* The sealed column of staff identity numbers (sn/seal.h associated
 * data and blind-index column). */
#define IDENTITY_IDN_COLUMN "identity.users.id_number"

/* The route handlers; arg is the identity. */
void identity_users_create(sn_http_req *req, void *arg);
void identity_users_list(sn_http_req *req, void *arg);
void identity_users_get(sn_http_req *req, void *arg);
void identity_users_patch(sn_http_req *req, void *arg);
void identity_users_changes(sn_http_req *req, void *arg);

/*
 * Appends user.changed for user uid as after shows it, with its n
 * changes, by actor, on tx (the outbox). SN_ENOMEM.
 */
sn_err identity_users_publish(identity *id, sn_tx *tx, const char *uid,
    const char *actor, bool created, const identity_user_view *after,
    const identity_change *ch, size_t n);

/* The bodies of POST /users and PATCH /users/{id} (strings borrowed from
 * b); false with *why. Public for tests/fuzz. */
bool identity_users_decode_new(
    const json_t *b, identity_new_user *u, sn_problem *why);
bool identity_users_decode_patch(
    const json_t *b, identity_patch *p, sn_problem *why);

#endif /* IDENTITY_USERS_H */
