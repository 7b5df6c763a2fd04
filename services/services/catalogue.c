/*
 * catalogue.c - the catalogue of service projects; see catalogue.h.
 *
 * Every change reads the project FOR UPDATE, judges it, writes it with
 * RETURNING and publishes project.changed from the row RETURNING gave, in
 * one transaction: the event says what was committed.
 */
#include "catalogue.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seed.h"
#include "sn/auth.h"
#include "sn/clock.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/page.h"
#include "sn/services/v1/services.pb-c.h"

#define SEED_RETRY_MS 2000
#define NAME_ZH_MAX 100
#define NAME_EN_MAX 200
#define DESCRIPTION_MAX 2000
#define REASON_MAX 500
#define SEED_MAX 10000

struct services_catalogue {
	services            *s;
	json_t              *doc; /* projects.json, owned */
	services_vocab       vocab;
	services_project_in *seed; /* borrowed from doc */
	size_t               nseed;
	bool                 loading, loaded;
	size_t               added;
};

/* ---- rows ------------------------------------------------------------- */

const sn_col services_project_cols[] = {
	SN_COL(services_project_row, code, SN_COL_TEXT),
	SN_COL(services_project_row, no, SN_COL_I64),
	SN_COL(services_project_row, name_zh, SN_COL_TEXT),
	SN_COL(services_project_row, name_en, SN_COL_TEXT),
	SN_COL(services_project_row, description, SN_COL_TEXT),
	SN_COL(services_project_row, domain, SN_COL_TEXT),
	SN_COL(services_project_row, partner_code, SN_COL_TEXT),
	SN_COL(services_project_row, partner_name_zh, SN_COL_TEXT),
	SN_COL(services_project_row, partner_name_en, SN_COL_TEXT),
	SN_COL(services_project_row, partner_kind, SN_COL_TEXT),
	SN_COL(services_project_row, categories, SN_COL_TEXT),
	SN_COL_OPT(services_project_row, min_age, SN_COL_I32, has_min_age),
	SN_COL_OPT(services_project_row, max_age, SN_COL_I32, has_max_age),
	SN_COL(services_project_row, needs, SN_COL_TEXT),
	SN_COL(services_project_row, capacity, SN_COL_I32),
	SN_COL(services_project_row, taken, SN_COL_I32),
	SN_COL(services_project_row, township_codes, SN_COL_TEXT),
	SN_COL(services_project_row, from_date, SN_COL_DATE),
	SN_COL(services_project_row, to_date, SN_COL_DATE),
	SN_COL(services_project_row, closed, SN_COL_BOOL),
	SN_COL(services_project_row, closed_reason, SN_COL_TEXT),
	SN_COL(services_project_row, version, SN_COL_I32),
	SN_COL(services_project_row, source, SN_COL_TEXT),
	SN_COL(services_project_row, created_by, SN_COL_TEXT),
	SN_COL(services_project_row, updated_by, SN_COL_TEXT),
	SN_COL(services_project_row, created_at, SN_COL_TEXT),
	SN_COL(services_project_row, updated_at, SN_COL_TEXT),
};
const size_t services_project_ncols = SN_NCOLS(services_project_cols);

/* A JSON array of the pieces of a ','-joined list. */
static json_t *
list_json(const char *joined)
{
	json_t     *a = json_array();
	const char *p = joined;
	while (a != NULL && p != NULL && *p != '\0') {
		const char *c = strchr(p, ',');
		size_t      n = c != NULL ? (size_t) (c - p) : strlen(p);
		json_array_append_new(a, json_stringn(p, n));
		p = c != NULL ? c + 1 : NULL;
	}
	return a;
}

static json_t *
age_json(bool has, int32_t v)
{
	return has ? json_integer(v) : json_null();
}

json_t *
services_project_json(const services_project_row *r, sn_date today)
{
	char from[SN_DATE_STRLEN], to[SN_DATE_STRLEN];
	bool open = !r->closed && sn_date_cmp(today, r->from_date) >= 0
	    && sn_date_cmp(today, r->to_date) <= 0;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s},"
	                 " s:{s:o, s:o, s:o, s:o}, s:i, s:i, s:i, s:o,"
	                 " s:{s:s, s:s}, s:b, s:b, s:s?, s:i, s:s, s:s, s:s,"
	                 " s:s, s:s}",
	    "code", r->code, "name_zh", r->name_zh, "name_en", r->name_en,
	    "description_zh", r->description, "domain", r->domain, "partner",
	    "code", r->partner_code, "name_zh", r->partner_name_zh, "name_en",
	    r->partner_name_en, "kind", r->partner_kind, "eligibility",
	    "categories", list_json(r->categories), "min_age",
	    age_json(r->has_min_age, r->min_age), "max_age",
	    age_json(r->has_max_age, r->max_age), "needs", list_json(r->needs),
	    "capacity", (int) r->capacity, "taken", (int) r->taken, "left",
	    (int) (r->capacity > r->taken ? r->capacity - r->taken : 0),
	    "township_codes", list_json(r->township_codes), "period", "from",
	    sn_date_format(r->from_date, from), "to",
	    sn_date_format(r->to_date, to), "open", open, "closed", r->closed,
	    "closed_reason", r->closed_reason[0] ? r->closed_reason : NULL,
	    "version", (int) r->version, "source", r->source, "created_by",
	    r->created_by, "updated_by", r->updated_by, "created_at",
	    r->created_at, "updated_at", r->updated_at);
}

static sn_err
copy_list(const char *from, char *buf, size_t cap, const char **out,
    size_t max, size_t *n, const char *what)
{
	if (strlen(from) >= cap) {
		sn_log(SN_LOG_ERROR, "catalogue: a project's list is too long",
		    "list", what, NULL);
		return SN_EPROTO;
	}
	memcpy(buf, from, strlen(from) + 1);
	*n = services_match_split(buf, out, max);
	if (*n > max) {
		sn_log(SN_LOG_ERROR, "catalogue: a project's list is too long",
		    "list", what, NULL);
		return SN_EPROTO;
	}
	return SN_OK;
}

sn_err
services_project_view_fill(
    const services_project_row *r, services_project_view *v)
{
	services_match_project *m = &v->m;
	sn_err                  err;

	memset(m, 0, sizeof(*m));
	snprintf(v->code, sizeof(v->code), "%s", r->code);
	snprintf(v->domain, sizeof(v->domain), "%s", r->domain);
	m->code        = v->code;
	m->domain      = v->domain;
	m->has_min_age = r->has_min_age;
	m->min_age     = r->min_age;
	m->has_max_age = r->has_max_age;
	m->max_age     = r->max_age;
	m->from        = r->from_date;
	m->to          = r->to_date;
	m->closed      = r->closed;
	m->capacity    = r->capacity;
	m->taken       = r->taken;
	if ((err = copy_list(r->categories, v->categories,
	         sizeof(v->categories), m->categories,
	         SERVICES_MATCH_CATEGORIES_MAX, &m->ncategories, "categories"))
	        != SN_OK
	    || (err = copy_list(r->needs, v->needs, sizeof(v->needs), m->needs,
	            SERVICES_MATCH_PNEEDS_MAX, &m->nneeds, "needs"))
	        != SN_OK)
		return err;
	return copy_list(r->township_codes, v->townships, sizeof(v->townships),
	    m->townships, SERVICES_MATCH_TOWNSHIPS_MAX, &m->ntownships,
	    "township_codes");
}

/* ---- reading a project from JSON ---------------------------------------- */

static bool
one_of(const char *v, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, set[i]) == 0)
			return true;
	return false;
}

static bool
code_ok(const char *c)
{
	size_t n = strlen(c);
	if (n < 1 || n > 48)
		return false;
	for (size_t i = 0; i < n; i++) {
		char x  = c[i];
		bool ok = (x >= 'a' && x <= 'z') || (x >= '0' && x <= '9')
		    || (i > 0 && (x == '-' || x == '_'));
		if (!ok)
			return false;
	}
	return true;
}

static bool
township_ok(const char *c)
{
	if (strlen(c) != 9)
		return false;
	for (size_t i = 0; i < 9; i++)
		if (c[i] < '0' || c[i] > '9')
			return false;
	return true;
}

/* What a list's elements must be. */
typedef struct list_rule {
	const char        *key;
	size_t             min, max;
	const char *const *set; /* NULL: township codes */
	size_t             nset;
	const char        *bad; /* the code of an element not allowed */
} list_rule;

static bool
element_ok(const list_rule *r, const char *s)
{
	return r->set != NULL ? one_of(s, r->set, r->nset) : township_ok(s);
}

/* The list r->key of o: strings, r->min..r->max of them, each allowed,
 * none twice. */
static bool
read_list(const json_t *o, const char *prefix, const list_rule *r,
    const char **out, size_t *n, sn_problem *p)
{
	const json_t *a = NULL;
	char          field[96];

	snprintf(field, sizeof(field), "%s%s", prefix, r->key);
	if (!sn_in_array(o, r->key, prefix, SN_IN_REQUIRED, &a, p))
		return false;
	if (json_array_size(a) < r->min || json_array_size(a) > r->max)
		return sn_problem_set(p, 422, "out_of_range", field,
		    "%zu to %zu of them", r->min, r->max);
	*n = 0;
	for (size_t i = 0; i < json_array_size(a); i++) {
		const char *s = json_string_value(json_array_get(a, i));
		snprintf(field, sizeof(field), "%s%s[%zu]", prefix, r->key, i);
		if (s == NULL)
			return sn_problem_set(
			    p, 422, "invalid_type", field, "a string");
		if (!sn_in_text_ok(s, false) || !element_ok(r, s))
			return sn_problem_set(
			    p, 422, r->bad, field, "not one allowed here");
		if (one_of(s, out, *n))
			return sn_problem_set(
			    p, 422, "duplicate", field, "given twice");
		out[(*n)++] = s;
	}
	return true;
}

static bool
read_age(const json_t *o, const char *key, const char *prefix, bool *has,
    int32_t *out, sn_problem *p)
{
	int64_t v = -1;
	if (!sn_in_i64(o, key, prefix, SN_IN_NULLABLE, 0, 150, &v, p))
		return false;
	*has = v >= 0;
	*out = *has ? (int32_t) v : 0;
	return true;
}

static bool
read_eligibility(const json_t *o, const char *prefix, const services_vocab *v,
    services_project_in *out, sn_problem *p)
{
	static const char *const keys[]
	    = { "categories", "min_age", "max_age", "needs", NULL };
	const json_t *e = NULL;
	char          pre[96];
	list_rule     cats = { "categories", 1, SERVICES_MATCH_CATEGORIES_MAX,
		    v->categories, v->ncategories, "invalid_category" };
	list_rule needs    = { "needs", 0, SERVICES_MATCH_PNEEDS_MAX, v->needs,
		   v->nneeds, "invalid_need" };

	snprintf(pre, sizeof(pre), "%seligibility.", prefix);
	if (!sn_in_object(o, "eligibility", prefix, SN_IN_REQUIRED, &e, p)
	    || !sn_in_only(e, keys, pre, p)
	    || !read_list(e, pre, &cats, out->categories, &out->ncategories, p)
	    || !read_age(
	        e, "min_age", pre, &out->has_min_age, &out->min_age, p)
	    || !read_age(
	        e, "max_age", pre, &out->has_max_age, &out->max_age, p)
	    || !read_list(e, pre, &needs, out->needs, &out->nneeds, p))
		return false;
	if (out->has_min_age && out->has_max_age
	    && out->min_age > out->max_age)
		return sn_problem_set(
		    p, 422, "invalid_ages", pre, "min_age is above max_age");
	return true;
}

static bool
read_partner(const json_t *o, const char *prefix, const services_vocab *v,
    services_project_in *out, sn_problem *p)
{
	static const char *const keys[]
	    = { "code", "name_zh", "name_en", "kind", NULL };
	const json_t  *pa = NULL;
	char           pre[96], field[112];
	const unsigned req = SN_IN_REQUIRED | SN_IN_NONEMPTY;

	snprintf(pre, sizeof(pre), "%spartner.", prefix);
	out->partner_name_en = "";
	if (!sn_in_object(o, "partner", prefix, SN_IN_REQUIRED, &pa, p)
	    || !sn_in_only(pa, keys, pre, p)
	    || !sn_in_str(pa, "code", pre, req, 47, &out->partner_code, p)
	    || !sn_in_str(
	        pa, "name_zh", pre, req, NAME_EN_MAX, &out->partner_name_zh, p)
	    || !sn_in_str(
	        pa, "name_en", pre, 0, NAME_EN_MAX, &out->partner_name_en, p)
	    || !sn_in_str(pa, "kind", pre, req, 48, &out->partner_kind, p))
		return false;
	snprintf(field, sizeof(field), "%scode", pre);
	if (!sn_auth_unit_valid(out->partner_code))
		return sn_problem_set(p, 422, "invalid_partner", field,
		    "1 to 47 of a-z 0-9 _ -");
	snprintf(field, sizeof(field), "%skind", pre);
	if (!one_of(out->partner_kind, v->kinds, v->nkinds))
		return sn_problem_set(p, 422, "invalid_kind", field,
		    "not one of the catalogue's partner kinds");
	return true;
}

static bool
read_period(const json_t *o, const char *prefix, services_project_in *out,
    sn_problem *p)
{
	static const char *const keys[] = { "from", "to", NULL };
	const json_t            *pe     = NULL;
	char                     pre[96];

	snprintf(pre, sizeof(pre), "%speriod.", prefix);
	if (!sn_in_object(o, "period", prefix, SN_IN_REQUIRED, &pe, p)
	    || !sn_in_only(pe, keys, pre, p)
	    || !sn_in_date(pe, "from", pre, SN_IN_REQUIRED, &out->from, p)
	    || !sn_in_date(pe, "to", pre, SN_IN_REQUIRED, &out->to, p))
		return false;
	if (sn_date_cmp(out->from, out->to) > 0)
		return sn_problem_set(
		    p, 422, "invalid_period", pre, "from is after to");
	return true;
}

/* code, names, description, domain, capacity and (PUT) version. */
static bool
read_head(const json_t *o, const char *prefix, services_project_form form,
    services_project_in *out, sn_problem *p)
{
	const unsigned req = SN_IN_REQUIRED | SN_IN_NONEMPTY;
	int64_t        cap = 0, version = -1;
	char           field[96];

	out->name_en     = "";
	out->description = "";
	if (!sn_in_str(o, "code", prefix,
	        form == SERVICES_PROJECT_PUT ? SN_IN_NONEMPTY : req, 48,
	        &out->code, p)
	    || !sn_in_str(
	        o, "name_zh", prefix, req, NAME_ZH_MAX, &out->name_zh, p)
	    || !sn_in_str(
	        o, "name_en", prefix, 0, NAME_EN_MAX, &out->name_en, p)
	    || !sn_in_str(o, "description_zh", prefix, SN_IN_MULTILINE,
	        DESCRIPTION_MAX, &out->description, p)
	    || !sn_in_str(o, "domain", prefix, req, 32, &out->domain, p)
	    || !sn_in_i64(
	        o, "capacity", prefix, SN_IN_REQUIRED, 1, 100000, &cap, p)
	    || !sn_in_i64(o, "version", prefix, 0, 1, INT32_MAX, &version, p))
		return false;
	out->capacity    = (int32_t) cap;
	out->has_version = version > 0;
	out->version     = (int32_t) version;
	snprintf(field, sizeof(field), "%scode", prefix);
	if (out->code != NULL && !code_ok(out->code))
		return sn_problem_set(p, 422, "invalid_code", field,
		    "1 to 48 of a-z 0-9 _ -, starting with a letter or digit");
	snprintf(field, sizeof(field), "%sdomain", prefix);
	if (services_match_domain_rank(out->domain) > 6)
		return sn_problem_set(p, 422, "invalid_domain", field,
		    "living, employment, education, medical, disability, "
		    "mental_care or social_integration");
	return true;
}

bool
services_project_parse(const json_t *o, const char *prefix,
    services_project_form form, const services_vocab *v,
    services_project_in *out, sn_problem *p)
{
	static const char *const keys[]     = { "code", "name_zh", "name_en",
		    "description_zh", "domain", "partner", "eligibility",
		    "capacity", "township_codes", "period", NULL, NULL };
	static const char *const put_keys[] = { "code", "name_zh", "name_en",
		"description_zh", "domain", "partner", "eligibility",
		"capacity", "township_codes", "period", "version", NULL };
	list_rule towns = { "township_codes", 1, SERVICES_MATCH_TOWNSHIPS_MAX,
		NULL, 0, "invalid_township" };

	memset(out, 0, sizeof(*out));
	return sn_in_only(o, form == SERVICES_PROJECT_PUT ? put_keys : keys,
	           prefix, p)
	    && read_head(o, prefix, form, out, p)
	    && read_partner(o, prefix, v, out, p)
	    && read_eligibility(o, prefix, v, out, p)
	    && read_list(
	        o, prefix, &towns, out->townships, &out->ntownships, p)
	    && read_period(o, prefix, out, p);
}

/* The codes of the seed's list key (strings, or objects with "code"). */
static sn_err
vocab_list(const json_t *doc, const char *key, const char **out, size_t max,
    size_t *n)
{
	const json_t *a = json_object_get(doc, key);
	*n              = 0;
	if (!json_is_array(a) || json_array_size(a) > max)
		goto bad;
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *e = json_array_get(a, i);
		const char   *s = json_is_object(e)
		      ? json_string_value(json_object_get(e, "code"))
		      : json_string_value(e);
		if (s == NULL || !code_ok(s))
			goto bad;
		out[(*n)++] = s;
	}
	return SN_OK;
bad:
	sn_log(SN_LOG_ERROR, "catalogue: the seed's vocabulary is malformed",
	    "list", key, NULL);
	return SN_EINVAL;
}

sn_err
services_vocab_read(const json_t *doc, services_vocab *v)
{
	sn_err err;
	memset(v, 0, sizeof(*v));
	if ((err = vocab_list(doc, "categories", v->categories,
	         SERVICES_MATCH_CATEGORIES_MAX, &v->ncategories))
	        != SN_OK
	    || (err = vocab_list(doc, "needs", v->needs, 64, &v->nneeds))
	        != SN_OK)
		return err;
	return vocab_list(doc, "partner_kinds", v->kinds, 32, &v->nkinds);
}

/* ---- writing ------------------------------------------------------------ */

static const char insert_sql[]
    = "INSERT INTO project (code, name_zh, name_en, description, domain,"
      " partner_code, partner_name_zh, partner_name_en, partner_kind,"
      " categories, min_age, max_age, needs, capacity, township_codes,"
      " from_date, to_date, source, created_by, updated_by)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text[],"
      " $11::int, $12::int, $13::text[], $14::int, $15::text[],"
      " $16::date, $17::date, $18, $19, $19)"
      " ON CONFLICT (code) DO NOTHING RETURNING " SERVICES_PROJECT_COLS;

static const char update_sql[]
    = "UPDATE project SET name_zh = $2, name_en = $3, description = $4,"
      " domain = $5, partner_code = $6, partner_name_zh = $7,"
      " partner_name_en = $8, partner_kind = $9, categories = $10::text[],"
      " min_age = $11::int, max_age = $12::int, needs = $13::text[],"
      " capacity = $14::int, township_codes = $15::text[],"
      " from_date = $16::date, to_date = $17::date, updated_by = $18,"
      " version = version + 1, updated_at = now()"
      " WHERE code = $1 RETURNING " SERVICES_PROJECT_COLS;

/* The parameters of insert_sql and update_sql ($1-$17) from in; the
 * arrays and number texts live in the caller's storage. */
typedef struct params {
	sn_pgarray  cats, needs, towns;
	char        min[12], max[12], cap[12];
	char        from[SN_DATE_STRLEN], to[SN_DATE_STRLEN];
	const char *v[19];
} params;

static bool
params_fill(params *q, const services_project_in *in)
{
	sn_pgarray_init(&q->cats);
	sn_pgarray_init(&q->needs);
	sn_pgarray_init(&q->towns);
	for (size_t i = 0; i < in->ncategories; i++)
		sn_pgarray_add(&q->cats, in->categories[i]);
	for (size_t i = 0; i < in->nneeds; i++)
		sn_pgarray_add(&q->needs, in->needs[i]);
	for (size_t i = 0; i < in->ntownships; i++)
		sn_pgarray_add(&q->towns, in->townships[i]);
	snprintf(q->min, sizeof(q->min), "%d", (int) in->min_age);
	snprintf(q->max, sizeof(q->max), "%d", (int) in->max_age);
	snprintf(q->cap, sizeof(q->cap), "%d", (int) in->capacity);
	const char *v[] = { in->code, in->name_zh, in->name_en,
		in->description, in->domain, in->partner_code,
		in->partner_name_zh, in->partner_name_en, in->partner_kind,
		sn_pgarray_text(&q->cats), in->has_min_age ? q->min : NULL,
		in->has_max_age ? q->max : NULL, sn_pgarray_text(&q->needs),
		q->cap, sn_pgarray_text(&q->towns),
		sn_date_format(in->from, q->from),
		sn_date_format(in->to, q->to) };
	memcpy(q->v, v, sizeof(v));
	return q->v[9] != NULL && q->v[12] != NULL && q->v[14] != NULL;
}

static void
params_fini(params *q)
{
	sn_pgarray_fini(&q->cats);
	sn_pgarray_fini(&q->needs);
	sn_pgarray_fini(&q->towns);
}

/* project.changed for the row r, by actor. */
static sn_err
changed(
    services *s, sn_tx *tx, const services_project_row *r, const char *actor)
{
	Sn__Services__V1__ProjectChanged m
	    = SN__SERVICES__V1__PROJECT_CHANGED__INIT;
	services_project_view *v = malloc(sizeof(*v));
	char                   from[SN_DATE_STRLEN], to[SN_DATE_STRLEN];
	sn_err                 err;

	if (v == NULL)
		return SN_ENOMEM;
	if ((err = services_project_view_fill(r, v)) != SN_OK) {
		free(v);
		return err;
	}
	m.code             = (char *) r->code;
	m.name_zh          = (char *) r->name_zh;
	m.name_en          = (char *) r->name_en;
	m.domain           = (char *) r->domain;
	m.partner          = (char *) r->partner_code;
	m.capacity         = r->capacity;
	m.n_township_codes = v->m.ntownships;
	m.township_codes   = (char **) v->m.townships;
	m.from_date        = sn_date_format(r->from_date, from);
	m.to_date          = sn_date_format(r->to_date, to);
	m.closed           = r->closed;
	m.version          = r->version;
	m.actor            = (char *) actor;
	err                = sn_bus_append_msg(
	                   s->bus, tx, "project.changed", r->code, actor, &m.base);
	free(v);
	return err;
}

/* ---- the seed ------------------------------------------------------------
 */

static void
seed_inserted(sn_tx *tx, PGresult *res, void *arg)
{
	struct services_catalogue *c = arg;
	services_project_row       r;
	bool                       found = false;
	if (sn_rows_opt(
	        res, services_project_cols, services_project_ncols, &r, &found)
	    != SN_OK) {
		sn_tx_rollback(tx, SN_EPROTO);
		return;
	}
	if (!found)
		return; /* there already: staff's version stands */
	c->added++;
	if (changed(c->s, tx, &r, "system") != SN_OK)
		sn_tx_rollback(tx, SN_EDB);
}

static void
seed_begin(sn_tx *tx, void *arg)
{
	struct services_catalogue *c = arg;
	c->added                     = 0;
	for (size_t i = 0; i < c->nseed; i++) {
		params q;
		bool   ok = params_fill(&q, &c->seed[i]);
		q.v[17]   = "seed";
		q.v[18]   = "system";
		if (ok)
			sn_tx_query(tx, insert_sql, 19, q.v, seed_inserted, c);
		params_fini(&q);
		if (!ok) {
			sn_tx_rollback(tx, SN_ENOMEM);
			return;
		}
	}
	sn_tx_commit(tx);
}

static void
seed_done(sn_err err, void *arg)
{
	struct services_catalogue *c = arg;
	char                       n[24], added[24];
	c->loading = false;
	if (err != SN_OK) {
		sn_log(SN_LOG_WARN,
		    "catalogue: the seed did not load; retrying", "error",
		    sn_strerror(err), NULL);
		return;
	}
	c->loaded = true;
	snprintf(n, sizeof(n), "%zu", c->nseed);
	snprintf(added, sizeof(added), "%zu", c->added);
	sn_log(SN_LOG_INFO, "catalogue: seed loaded", "projects", n, "added",
	    added, NULL);
}

static void
seed_tick(void *arg)
{
	struct services_catalogue *c = arg;
	if (c->loaded || c->loading)
		return;
	c->loading = true;
	sn_db_tx(c->s->db, seed_begin, seed_done, c);
}

/* Reads every project of the seed; a bad one or a code twice is fatal. */
static sn_err
seed_parse(struct services_catalogue *c)
{
	const json_t *a = json_object_get(c->doc, "projects");
	sn_problem    p;
	char          prefix[32];

	if (!json_is_array(a) || json_array_size(a) > SEED_MAX) {
		sn_log(SN_LOG_ERROR,
		    "catalogue: the seed has no projects list", NULL);
		return SN_EINVAL;
	}
	c->seed = calloc(json_array_size(a) + 1, sizeof(*c->seed));
	if (c->seed == NULL)
		return SN_ENOMEM;
	for (size_t i = 0; i < json_array_size(a); i++) {
		services_project_in *in = &c->seed[i];
		sn_problem_clear(&p);
		snprintf(prefix, sizeof(prefix), "projects[%zu].", i);
		if (!services_project_parse(json_array_get(a, i), prefix,
		        SERVICES_PROJECT_SEED, &c->vocab, in, &p)) {
			sn_log(SN_LOG_ERROR,
			    "catalogue: a seed project is bad", "field",
			    p.field, "code", p.code, "why", p.message, NULL);
			return SN_EINVAL;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(c->seed[k].code, in->code) == 0) {
				sn_log(SN_LOG_ERROR,
				    "catalogue: a seed code is given twice",
				    "code", in->code, NULL);
				return SN_EINVAL;
			}
		c->nseed++;
	}
	return SN_OK;
}

sn_err
services_catalogue_setup(services *s)
{
	struct services_catalogue *c = calloc(1, sizeof(*c));
	sn_err                     err;

	if (c == NULL)
		return SN_ENOMEM;
	c->s         = s;
	s->catalogue = c;
	if ((err = services_seed_read(
	         s->cfg.seed_dir, "projects.json", &c->doc))
	        != SN_OK
	    || (err = services_vocab_read(c->doc, &c->vocab)) != SN_OK
	    || (err = seed_parse(c)) != SN_OK)
		return err;
	return sn_service_every(s->svc, 0, SEED_RETRY_MS, seed_tick, c);
}

bool
services_catalogue_need_known(const services *s, const char *need)
{
	const services_vocab *v = &s->catalogue->vocab;
	return one_of(need, v->needs, v->nneeds);
}

void
services_catalogue_teardown(services *s)
{
	if (s == NULL || s->catalogue == NULL)
		return;
	free(s->catalogue->seed);
	json_decref(s->catalogue->doc);
	free(s->catalogue);
	s->catalogue = NULL;
}

/* ---- changes by staff -----------------------------------------------------
 */

typedef enum { OP_ADD, OP_PUT, OP_CLOSE } op_kind;

typedef struct op_ctx {
	services           *s;
	sn_http_req        *req;
	op_kind             op;
	services_project_in in;
	const char         *reason;
	char                code[SERVICES_MATCH_CODE_LEN];
	sn_principal        who;
} op_ctx;

/* Every township of the list within the caller's jurisdiction? */
static bool
townships_within(const sn_principal *who, const char *const *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!sn_auth_within(who, t[i]))
			return false;
	return true;
}

static void
op_written(sn_tx *tx, PGresult *res, void *arg)
{
	op_ctx              *c = arg;
	services_project_row r;
	bool                 found = false;

	if (sn_rows_opt(
	        res, services_project_cols, services_project_ncols, &r, &found)
	    != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the project could not be written", NULL);
		return;
	}
	if (!found) { /* only an add finds nothing: the code is taken */
		sn_http_tx_fail(c->req, tx, 409, "project_exists",
		    "a project with this code exists", "code");
		return;
	}
	if (changed(c->s, tx, &r, c->who.user) != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the project could not be written", NULL);
		return;
	}
	sn_http_tx_reply(c->req, tx, c->op == OP_ADD ? 201 : 200,
	    services_project_json(&r, sn_clock_today()));
}

/* Whether the locked project r may take the change; p says why not. */
static bool
may_change(const op_ctx *c, const services_project_row *r, sn_problem *p)
{
	services_project_view *v = malloc(sizeof(*v));
	bool                   within;
	if (v == NULL || services_project_view_fill(r, v) != SN_OK) {
		free(v);
		return sn_problem_set(p, 503, "unavailable", NULL,
		    "the project could not be read");
	}
	within = townships_within(&c->who, v->m.townships, v->m.ntownships);
	free(v);
	if (!within)
		return sn_problem_set(p, 403, "outside_jurisdiction",
		    "township_codes",
		    "the project covers townships outside your jurisdiction");
	if (r->closed)
		return sn_problem_set(
		    p, 409, "project_closed", NULL, "the project is closed");
	if (c->op == OP_CLOSE)
		return true;
	if (c->in.has_version && c->in.version != r->version)
		return sn_problem_set(p, 409, "version_conflict", "version",
		    "the project is at version %d", (int) r->version);
	if (c->in.capacity < r->taken)
		return sn_problem_set(p, 409, "capacity_below_taken",
		    "capacity", "%d places are taken", (int) r->taken);
	return true;
}

static void
op_locked(sn_tx *tx, PGresult *res, void *arg)
{
	op_ctx              *c = arg;
	services_project_row r;
	bool                 found = false;
	sn_problem           p;
	params               q;

	sn_problem_clear(&p);
	if (sn_rows_opt(
	        res, services_project_cols, services_project_ncols, &r, &found)
	    != SN_OK)
		sn_problem_set(&p, 503, "unavailable", NULL,
		    "the project could not be read");
	else if (!found)
		sn_problem_set(
		    &p, 404, "not_found", "code", "no such project");
	if (!found || !may_change(c, &r, &p)) {
		sn_http_tx_problem(c->req, tx, &p);
		return;
	}
	if (c->op == OP_CLOSE) {
		const char *v[] = { c->code, c->reason, c->who.user };
		sn_tx_query(tx,
		    "UPDATE project SET closed = true, closed_reason = $2,"
		    " updated_by = $3, version = version + 1, updated_at = "
		    "now()"
		    " WHERE code = $1 RETURNING " SERVICES_PROJECT_COLS,
		    3, v, op_written, c);
		return;
	}
	bool ok = params_fill(&q, &c->in);
	q.v[0]  = c->code;
	q.v[17] = c->who.user;
	if (ok)
		sn_tx_query(tx, update_sql, 18, q.v, op_written, c);
	params_fini(&q);
	if (!ok)
		sn_http_tx_fail(
		    c->req, tx, 503, "unavailable", "out of memory", NULL);
}

static void
op_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	op_ctx *c = arg;
	params  q;
	(void) req;
	if (c->op != OP_ADD) {
		const char *v[] = { c->code };
		sn_tx_query(tx,
		    "SELECT " SERVICES_PROJECT_COLS
		    " FROM project WHERE code = $1 FOR UPDATE",
		    1, v, op_locked, c);
		return;
	}
	bool ok = params_fill(&q, &c->in);
	q.v[17] = "staff";
	q.v[18] = c->who.user;
	if (ok)
		sn_tx_query(tx, insert_sql, 19, q.v, op_written, c);
	params_fini(&q);
	if (!ok)
		sn_http_tx_fail(
		    c->req, tx, 503, "unavailable", "out of memory", NULL);
}

/* The body as a project; false when answered. */
static bool
op_body(sn_http_req *req, op_ctx *c, services_project_form form)
{
	sn_problem p;
	sn_problem_clear(&p);
	if (!services_project_parse(sn_http_json(req), "", form,
	        &c->s->catalogue->vocab, &c->in, &p)) {
		sn_http_problem(req, &p);
		return false;
	}
	if (!townships_within(&c->who, c->in.townships, c->in.ntownships)) {
		sn_http_reply_error(req, 403, "outside_jurisdiction",
		    "a township is outside your jurisdiction",
		    "township_codes");
		return false;
	}
	return true;
}

void
services_catalogue_post(sn_http_req *req, void *arg)
{
	op_ctx c = { .s = arg, .req = req, .op = OP_ADD };
	c.who    = *sn_http_principal(req);
	if (!op_body(req, &c, SERVICES_PROJECT_ADD))
		return;
	snprintf(c.code, sizeof(c.code), "%s", c.in.code);
	services_tx_copy(req, op_begin, &c, sizeof(c));
}

/* The path's code into c; false when answered (404). */
static bool
op_code(sn_http_req *req, op_ctx *c)
{
	const char *code = sn_http_param(req, "code");
	if (code == NULL || !code_ok(code)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such project", "code");
		return false;
	}
	snprintf(c->code, sizeof(c->code), "%s", code);
	return true;
}

void
services_catalogue_put(sn_http_req *req, void *arg)
{
	op_ctx c = { .s = arg, .req = req, .op = OP_PUT };
	c.who    = *sn_http_principal(req);
	if (!op_code(req, &c) || !op_body(req, &c, SERVICES_PROJECT_PUT))
		return;
	if (c.in.code != NULL && strcmp(c.in.code, c.code) != 0) {
		sn_http_reply_error(req, 422, "code_mismatch",
		    "the body's code is not the path's; a code never changes",
		    "code");
		return;
	}
	services_tx_copy(req, op_begin, &c, sizeof(c));
}

void
services_catalogue_close(sn_http_req *req, void *arg)
{
	static const char *const keys[] = { "reason", NULL };
	json_t                  *b      = sn_http_json(req);
	sn_problem               p;
	op_ctx                   c = { .s = arg, .req = req, .op = OP_CLOSE };

	sn_problem_clear(&p);
	c.who = *sn_http_principal(req);
	if (!op_code(req, &c))
		return;
	if (!sn_in_only(b, keys, "", &p)
	    || !sn_in_str(b, "reason", "",
	        SN_IN_REQUIRED | SN_IN_NONEMPTY | SN_IN_MULTILINE, REASON_MAX,
	        &c.reason, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	services_tx_copy(req, op_begin, &c, sizeof(c));
}

/* ---- reading -------------------------------------------------------------
 */

static void
got(sn_err err, PGresult *res, void *arg)
{
	sn_http_req         *req = arg;
	services_project_row r;
	bool                 found = false;

	if (err != SN_OK
	    || sn_rows_opt(res, services_project_cols, services_project_ncols,
	           &r, &found)
	        != SN_OK) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the project cannot be read now", NULL);
		return;
	}
	if (!found) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such project", "code");
		return;
	}
	json_t *j = services_project_json(&r, sn_clock_today());
	if (j == NULL)
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
	else
		sn_http_reply_json(req, 200, j);
}

void
services_catalogue_get(sn_http_req *req, void *arg)
{
	services   *s    = arg;
	const char *code = sn_http_param(req, "code");
	if (code == NULL || !code_ok(code)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such project", "code");
		return;
	}
	const char *v[] = { code };
	sn_db_query(s->db,
	    "SELECT " SERVICES_PROJECT_COLS " FROM project WHERE code = $1", 1,
	    v, got, req);
}

static const char list_sql[]
    = "SELECT " SERVICES_PROJECT_COLS " FROM project WHERE no > $1::bigint"
      " AND ($3::text IS NULL OR domain = $3)"
      " AND ($4::text IS NULL OR $4 = ANY (township_codes))"
      " AND ($5::text IS NULL OR partner_code = $5)"
      " AND ($6::bool IS NULL OR (NOT closed AND $7::date BETWEEN"
      "  from_date AND to_date) = $6)"
      " ORDER BY no LIMIT $2::bigint + 1";

static json_t *
project_item(const void *row, int64_t *key, void *arg)
{
	const services_project_row *r = row;
	*key                          = r->no;
	return services_project_json(r, *(const sn_date *) arg);
}

static const sn_page_list_spec list_spec = {
	.cols     = services_project_cols,
	.ncols    = SN_NCOLS(services_project_cols),
	.row_size = sizeof(services_project_row),
	.item     = project_item,
	.unread   = "the projects cannot be read now",
};

/* The list's filters; false when answered (422 invalid_query). */
static bool
list_filters(sn_http_req *req, const char *f[4])
{
	f[0] = sn_http_query(req, "domain");
	f[1] = sn_http_query(req, "township");
	f[2] = sn_http_query(req, "partner");
	f[3] = sn_http_query(req, "open");
	if (f[0] != NULL && services_match_domain_rank(f[0]) > 6)
		sn_http_reply_error(req, 422, "invalid_query",
		    "domain: one of the seven domains", "domain");
	else if (f[1] != NULL && !township_ok(f[1]))
		sn_http_reply_error(req, 422, "invalid_query",
		    "township: a township code of 9 digits", "township");
	else if (f[2] != NULL && !sn_auth_unit_valid(f[2]))
		sn_http_reply_error(req, 422, "invalid_query",
		    "partner: a partner's code", "partner");
	else if (f[3] != NULL && strcmp(f[3], "true") != 0
	    && strcmp(f[3], "false") != 0)
		sn_http_reply_error(
		    req, 422, "invalid_query", "open: true or false", "open");
	else
		return true;
	return false;
}

void
services_catalogue_list(sn_http_req *req, void *arg)
{
	services   *s = arg;
	sn_page     page;
	sn_problem  p;
	const char *f[4];
	char        today[SN_DATE_STRLEN];

	sn_problem_clear(&p);
	if (!sn_page_query(req, &page, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	if (!list_filters(req, f))
		return;
	sn_date day = sn_clock_today();
	sn_date_format(day, today);
	const char *v[] = { f[0], f[1], f[2], f[3], today };
	sn_page_list(
	    req, s->db, &page, list_sql, 5, v, &list_spec, &day, sizeof(day));
}
