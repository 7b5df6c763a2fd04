/*
 * registry.h - the registry of the leading group's member departments and
 * the kinds of special assistance each grants (issue 13), from
 * seed/departments.json.
 *
 * The file is the registry: the service reads it at start, validates it
 * (a bad file stops the start), keeps it in memory for routing and for
 * GET /departments, and copies it into the tables department and kind
 * (schema 002), which referrals name. The copy adds new codes and brings
 * existing ones up to the file (names, deadlines, grants, routes); a code
 * no longer in the file is kept, marked retired (referrals name it), and
 * is neither routed to nor offered any more. Nobody edits the registry
 * through the API.
 *
 * A services_registry is built once in setup and never changed after, so
 * every reader borrows it for the service's life. Loop thread.
 */
#ifndef SERVICES_REGISTRY_H
#define SERVICES_REGISTRY_H

#include <jansson.h>

#include "rules.h"
#include "services.h"
#include "sn/db.h"
#include "sn/err.h"
#include "sn/http.h"

typedef struct services_registry services_registry;

/*
 * Reads dir/departments.json (services_seed_read) into *out, owned by the
 * caller (services_registry_free). SN_EINVAL, logged naming the
 * department or kind, for a file that breaks the rules: codes of a-z 0-9
 * _ (unique kinds), a type of referral_types, deadline_days 1-366, a
 * grant object, a route's needs and categories lists of codes and its
 * ages 0-150, and defaults naming a kind of their type. SN_ENOMEM.
 */
sn_err services_registry_load(const char *dir, services_registry **out);

/* NULL is a no-op. */
void services_registry_free(services_registry *r);

/* Every kind, in the file's order (*n of them), for routing. */
const services_kind_def *services_registry_kinds(
    const services_registry *r, size_t *n);

/* The kind of that code; NULL if none. */
const services_kind_def *services_registry_kind(
    const services_registry *r, const char *code);

/* True if code is a department of the registry. */
bool services_registry_has_department(
    const services_registry *r, const char *code);

/* The default kind of type (seed `defaults`); NULL if none. */
const services_kind_def *services_registry_default(
    const services_registry *r, services_type type);

/*
 * The kind an emergency referral of type goes to when it names
 * department: that department's default kind of the type when the
 * default is the department's, else its first kind of the type, else
 * the type's default (NULL department: the default).
 */
const services_kind_def *services_registry_kind_for(
    const services_registry *r, const char *department, services_type type);

/* The kind's names in the file (borrowed), for answers. */
const char *services_registry_kind_name(
    const services_registry *r, const services_kind_def *k, bool zh);

/*
 * Queues on tx the copy of the registry into the tables (above). Any
 * failure fails tx.
 */
sn_err services_registry_store(const services_registry *r, sn_tx *tx);

/* GET /departments (any valid token): {"departments": [{code, name_zh,
 * name_en, role_en, kinds: [{code, name_zh, name_en, type,
 * deadline_days, grant, route}]}], "defaults": {type: "dept/kind"}}.
 * arg is the services. */
void services_registry_get(sn_http_req *req, void *arg);

#endif /* SERVICES_REGISTRY_H */
