/*
 * catalogue.h - the district's service projects (issue 13 item 3): the
 * seed catalogue loaded at start, staff adding, editing and closing
 * projects, and reading them.
 *
 * Seed. seed/projects.json (SN_SERVICES_SEED_DIR; seed.h) is read and
 * checked whole in setup: a project that breaks the rules below, or a
 * code given twice, stops the service (exit 1) with a log line naming the
 * project and the field. Its vocabularies (categories, needs, partner
 * kinds) are the ones every project, seed or staff, is checked against;
 * domains are the seven of match.h. Once the loop runs, one transaction
 * inserts every project whose code is not in the table (source "seed",
 * version 1) and publishes project.changed for each one inserted; a code
 * already there is left as staff edited it (or closed it). The load is
 * retried every 2 seconds until it commits; the log line "catalogue:
 * seed loaded" says how many were added. Several instances may load at
 * once: the insert of a code is done by one of them, which alone
 * publishes it.
 *
 * A project (the JSON of POST /projects, PUT /projects/{code} and of each
 * seed entry):
 *   code           1-48 of a-z 0-9 _ -, starting with a letter or digit
 *   name_zh        1-100 characters; name_en 0-200; description_zh 0-2000
 *   domain         one of match.h's seven
 *   partner        {code (a unit: sn_auth_unit_valid), name_zh, name_en,
 *                  kind (the seed's partner_kinds)}
 *   eligibility    {categories: 1-8 of the seed's, no repeats; min_age,
 *                  max_age: 0-150 or null (no bound), min <= max; needs:
 *                  0-16 of the seed's, no repeats}
 *   capacity       1-100000 places
 *   township_codes 1-64 township codes (9 digits), no repeats
 *   period         {from, to}: YYYY-MM-DD, from <= to
 * Refusals are 422 with the field named (sn/input.h's codes, and
 * invalid_code, invalid_domain, invalid_partner, invalid_kind,
 * invalid_category, invalid_need, invalid_township, duplicate,
 * invalid_ages, invalid_period).
 *
 * Changes (roles district_officer, district_admin; every township of the
 * project, before and after, within the caller's jurisdiction, else 403
 * outside_jurisdiction). Each is one transaction with its project.changed
 * event (version 1 when added, +1 per edit or closure):
 *   POST /projects              add: 201; 409 project_exists
 *   PUT  /projects/{code}       replace every field but code (a code in
 *                               the body must be the path's) and the
 *                               places taken; optional "version": the
 *                               version the caller read (409
 *                               version_conflict when it moved on); 409
 *                               capacity_below_taken, 409 project_closed
 *   POST /projects/{code}/closure {reason}: no new places from then on;
 *                               enrolments go on until ended; 409
 *                               project_closed when closed already
 * Reading (any staff or partner token): GET /projects (filters domain,
 * township, partner, open = true|false; paged, sn/page.h) and GET
 * /projects/{code}, each with taken, left and open (not closed and today,
 * the district's, in its period).
 *
 * Loop thread only.
 */
#ifndef SERVICES_CATALOGUE_H
#define SERVICES_CATALOGUE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "match.h"
#include "services.h"
#include "sn/date.h"
#include "sn/db.h"
#include "sn/problem.h"

/* ---- a project as a query returns it ------------------------------------ */

/*
 * The columns of a project (SELECT or RETURNING), its lists joined with
 * ',' (no code in them holds one), read with services_project_cols.
 */
#define SERVICES_PROJECT_COLS                                                 \
	"code, no, name_zh, name_en, description, domain, partner_code,"      \
	" partner_name_zh, partner_name_en, partner_kind,"                    \
	" array_to_string(categories, ',') AS categories, min_age, max_age,"  \
	" array_to_string(needs, ',') AS needs, capacity, taken,"             \
	" array_to_string(township_codes, ',') AS township_codes,"            \
	" from_date::text AS from_date, to_date::text AS to_date, closed,"    \
	" closed_reason, version, source, created_by, updated_by,"            \
	" to_char(created_at AT TIME ZONE 'UTC',"                             \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created_at,"                \
	" to_char(updated_at AT TIME ZONE 'UTC',"                             \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS updated_at"

/* One row, borrowed from the result (valid during its callback). */
typedef struct services_project_row {
	const char *code;
	int64_t     no;
	const char *name_zh, *name_en, *description, *domain;
	const char *partner_code, *partner_name_zh, *partner_name_en;
	const char *partner_kind;
	const char *categories, *needs, *township_codes; /* joined by ',' */
	bool        has_min_age, has_max_age;
	int32_t     min_age, max_age;
	int32_t     capacity, taken, version;
	sn_date     from_date, to_date;
	bool        closed;
	const char *closed_reason, *source, *created_by, *updated_by;
	const char *created_at, *updated_at;
} services_project_row;

extern const sn_col services_project_cols[];
extern const size_t services_project_ncols;

/* The project's JSON (the shape above, plus taken, left, open, closed,
 * closed_reason, version, source, created/updated by and at); NULL
 * without memory. today decides open. */
json_t *services_project_json(const services_project_row *r, sn_date today);

/*
 * A project as match.h sees it, with its own copies of the strings: fill
 * with services_project_view; v->m points into v, so a view is never
 * copied by value. SN_EPROTO (logged) when a list holds more than
 * match.h's limits.
 */
typedef struct services_project_view {
	char code[SERVICES_MATCH_CODE_LEN];
	char domain[SERVICES_MATCH_CODE_LEN];
	char categories[SERVICES_MATCH_CATEGORIES_MAX
	    * SERVICES_MATCH_CODE_LEN];
	char needs[SERVICES_MATCH_PNEEDS_MAX * SERVICES_MATCH_CODE_LEN];
	char townships[SERVICES_MATCH_TOWNSHIPS_MAX * 10 + 1];
	services_match_project m;
} services_project_view;

sn_err services_project_view_fill(
    const services_project_row *r, services_project_view *v);

/* ---- a project as a request gives it ------------------------------------ */

/* What the seed says the words may be; borrowed from the seed document. */
typedef struct services_vocab {
	const char *categories[SERVICES_MATCH_CATEGORIES_MAX];
	size_t      ncategories;
	const char *needs[64];
	size_t      nneeds;
	const char *kinds[32];
	size_t      nkinds;
} services_vocab;

/* A project read from JSON; strings borrowed from the JSON. */
typedef struct services_project_in {
	const char *code, *name_zh, *name_en, *description, *domain;
	const char *partner_code, *partner_name_zh, *partner_name_en;
	const char *partner_kind;
	const char *categories[SERVICES_MATCH_CATEGORIES_MAX];
	size_t      ncategories;
	bool        has_min_age, has_max_age;
	int32_t     min_age, max_age;
	const char *needs[SERVICES_MATCH_PNEEDS_MAX];
	size_t      nneeds;
	const char *townships[SERVICES_MATCH_TOWNSHIPS_MAX];
	size_t      ntownships;
	sn_date     from, to;
	int32_t     capacity;
	bool        has_version; /* PUT: the version the caller read */
	int32_t     version;
} services_project_in;

/*
 * Reads o as a project (the rules above) into out, the field path of a
 * problem prefixed with prefix ("projects[3]." for the seed; "" for a
 * request). put: the body of PUT (code optional, "version" allowed);
 * seed: the seed's entries (description_zh only, no version). Pure.
 */
typedef enum services_project_form {
	SERVICES_PROJECT_ADD,
	SERVICES_PROJECT_PUT,
	SERVICES_PROJECT_SEED,
} services_project_form;

bool services_project_parse(const json_t *o, const char *prefix,
    services_project_form form, const services_vocab *v,
    services_project_in *out, sn_problem *p);

/* Reads the vocabularies of the seed document doc into v (borrowing
 * from doc). SN_EINVAL (logged) for a missing or malformed list. */
sn_err services_vocab_read(const json_t *doc, services_vocab *v);

/* ---- the module --------------------------------------------------------- */

/* True if need is one of the seed's needs (projects.json's vocabulary,
 * which staff-noted needs are checked against too). After setup. */
bool services_catalogue_need_known(const services *s, const char *need);

/* Reads and checks the seed, starts its load; from the service's setup. */
sn_err services_catalogue_setup(services *s);
/* Frees what setup kept; from the service's teardown. NULL-safe. */
void services_catalogue_teardown(services *s);

/* The routes; arg is the services. */
void services_catalogue_post(sn_http_req *req, void *arg);
void services_catalogue_put(sn_http_req *req, void *arg);
void services_catalogue_close(sn_http_req *req, void *arg);
void services_catalogue_list(sn_http_req *req, void *arg);
void services_catalogue_get(sn_http_req *req, void *arg);

#endif /* SERVICES_CATALOGUE_H */
