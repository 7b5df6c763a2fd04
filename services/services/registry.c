/*
 * registry.c - the registry of departments and kinds; see registry.h.
 *
 * The seed document is kept whole (json_t) and every string of the
 * registry is borrowed from it; the route rules' lists are arrays of
 * those borrowed pointers, one allocation per kind.
 */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

#include "referrals.h"
#include "seed.h"
#include "sn/log.h"

typedef struct dep_entry {
	const char *code;
	size_t      first, nkinds; /* its kinds in kinds[] */
} dep_entry;

struct services_registry {
	json_t                  *doc;
	json_t                  *answer; /* GET /departments */
	dep_entry               *deps;
	size_t                   ndeps;
	services_kind_def       *kinds;
	json_t                 **kind_json; /* each kind's seed object */
	const char             **lists;     /* route needs and categories */
	size_t                   nkinds;
	const services_kind_def *defaults[SERVICES_NTYPES];
};

static sn_err
bad(const char *what, const char *code, const char *why)
{
	sn_log(SN_LOG_ERROR, "services: departments.json is not valid", what,
	    code != NULL ? code : "(none)", "why", why, NULL);
	return SN_EINVAL;
}

static const char *
str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Counts the kinds and the route lists' strings, checking the shapes. */
static sn_err
count(const json_t *deps, size_t *nkinds, size_t *nstrs)
{
	size_t  i, j;
	json_t *d, *k;
	*nkinds = *nstrs = 0;
	if (!json_is_array(deps) || json_array_size(deps) == 0)
		return bad("departments", NULL, "a non-empty list");
	json_array_foreach(deps, i, d)
	{
		json_t *ks = json_object_get(d, "kinds");
		if (!services_rules_code_valid(str_of(d, "code")))
			return bad("department", str_of(d, "code"), "code");
		if (!json_is_array(ks))
			return bad("department", str_of(d, "code"), "kinds");
		json_array_foreach(ks, j, k)
		{
			json_t *r = json_object_get(k, "route");
			(*nkinds)++;
			*nstrs += json_array_size(json_object_get(r, "needs"))
			    + json_array_size(
			        json_object_get(r, "categories"));
		}
	}
	return SN_OK;
}

/* Reads list (codes) into out[0..n). */
static sn_err
codes(const json_t *list, const char **out, size_t *n, const char *kind)
{
	size_t  i;
	json_t *v;
	if (!json_is_array(list) || json_array_size(list) == 0)
		return bad("kind", kind, "route needs and categories: lists");
	json_array_foreach(list, i, v)
	{
		if (!services_rules_code_valid(json_string_value(v)))
			return bad("kind", kind, "route: codes only");
		out[i] = json_string_value(v);
	}
	*n = json_array_size(list);
	return SN_OK;
}

static sn_err
age(const json_t *r, const char *key, int32_t dflt, int32_t *out,
    const char *kind)
{
	json_t *v = json_object_get(r, key);
	if (v == NULL || json_is_null(v)) {
		*out = dflt;
		return SN_OK;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0
	    || json_integer_value(v) > 150)
		return bad("kind", kind, "route ages: 0-150");
	*out = (int32_t) json_integer_value(v);
	return SN_OK;
}

static sn_err
read_route(const json_t *r, services_kind_def *k, const char **strs)
{
	services_route_rule *rr = &k->route;
	sn_err               err;
	size_t               nn = 0, nc = 0;
	if (r == NULL || json_is_null(r))
		return SN_OK;
	if ((err = codes(json_object_get(r, "needs"), strs, &nn, k->code))
	        != SN_OK
	    || (err = codes(
	            json_object_get(r, "categories"), strs + nn, &nc, k->code))
	        != SN_OK)
		return err;
	k->has_route    = true;
	rr->needs       = strs;
	rr->nneeds      = nn;
	rr->categories  = strs + nn;
	rr->ncategories = nc;
	rr->per_member  = json_object_get(r, "min_age") != NULL
	    || json_object_get(r, "max_age") != NULL;
	if ((err = age(r, "min_age", 0, &rr->min_age, k->code)) != SN_OK
	    || (err = age(r, "max_age", 150, &rr->max_age, k->code)) != SN_OK)
		return err;
	if (rr->min_age > rr->max_age)
		return bad("kind", k->code, "route: min_age above max_age");
	return SN_OK;
}

static sn_err
read_kind(services_registry *g, json_t *o, const char *dep, size_t *nstr)
{
	services_kind_def *k  = &g->kinds[g->nkinds];
	json_t            *dl = json_object_get(o, "deadline_days");
	json_t            *r  = json_object_get(o, "route");
	k->code               = str_of(o, "code");
	k->department         = dep;
	k->type = services_rules_type_parse(str_of(o, "referral"));
	if (!services_rules_code_valid(k->code))
		return bad("kind", k->code, "code");
	if (services_registry_kind(g, k->code) != NULL)
		return bad("kind", k->code, "a second kind of this code");
	if (k->type == SERVICES_TYPE_NONE)
		return bad("kind", k->code, "referral: one of referral_types");
	if (!json_is_integer(dl) || json_integer_value(dl) < 1
	    || json_integer_value(dl) > 366)
		return bad("kind", k->code, "deadline_days: 1-366");
	if (str_of(o, "name_zh") == NULL || str_of(o, "name_en") == NULL
	    || !json_is_object(json_object_get(o, "grant")))
		return bad("kind", k->code, "name_zh, name_en and grant");
	k->deadline_days = (int32_t) json_integer_value(dl);
	sn_err err       = read_route(r, k, g->lists + *nstr);
	if (err != SN_OK)
		return err;
	*nstr += k->route.nneeds + k->route.ncategories;
	g->kind_json[g->nkinds++] = o;
	return SN_OK;
}

static sn_err
read_departments(services_registry *g, const json_t *deps)
{
	size_t  i, j, nstr = 0;
	json_t *d, *k;
	json_array_foreach(deps, i, d)
	{
		dep_entry *dp = &g->deps[i];
		dp->code      = str_of(d, "code");
		dp->first     = g->nkinds;
		if (str_of(d, "name_zh") == NULL
		    || str_of(d, "name_en") == NULL)
			return bad("department", dp->code, "names");
		for (size_t p = 0; p < i; p++)
			if (strcmp(g->deps[p].code, dp->code) == 0)
				return bad("department", dp->code, "twice");
		json_array_foreach(json_object_get(d, "kinds"), j, k)
		{
			sn_err err = read_kind(g, k, dp->code, &nstr);
			if (err != SN_OK)
				return err;
		}
		dp->nkinds = g->nkinds - dp->first;
	}
	g->ndeps = json_array_size(deps);
	return SN_OK;
}

static sn_err
read_defaults(services_registry *g)
{
	const char *type;
	json_t     *v;
	json_object_foreach(json_object_get(g->doc, "defaults"), type, v)
	{
		services_type t    = services_rules_type_parse(type);
		const char   *path = json_string_value(v);
		const char   *sl   = path != NULL ? strchr(path, '/') : NULL;
		const services_kind_def *k
		    = sl != NULL ? services_registry_kind(g, sl + 1) : NULL;
		if (t == SERVICES_TYPE_NONE || k == NULL || k->type != t
		    || strlen(k->department) != (size_t) (sl - path)
		    || strncmp(k->department, path, (size_t) (sl - path)) != 0)
			return bad("default", type,
			    "a type naming \"department/kind\" of that type");
		g->defaults[t] = k;
	}
	return SN_OK;
}

static json_t *kind_answer(const services_registry *g, size_t i);
static json_t *build_answer(const services_registry *g);

sn_err
services_registry_load(const char *dir, services_registry **out)
{
	services_registry *g = calloc(1, sizeof(*g));
	size_t             nkinds, nstrs;
	sn_err             err;
	*out = NULL;
	if (g == NULL)
		return SN_ENOMEM;
	if ((err = services_seed_read(dir, "departments.json", &g->doc))
	        != SN_OK
	    || (err = count(
	            json_object_get(g->doc, "departments"), &nkinds, &nstrs))
	        != SN_OK)
		goto fail;
	json_t *deps = json_object_get(g->doc, "departments");
	g->deps      = calloc(json_array_size(deps), sizeof(*g->deps));
	g->kinds     = calloc(nkinds + 1, sizeof(*g->kinds));
	g->kind_json = calloc(nkinds + 1, sizeof(*g->kind_json));
	g->lists     = calloc(nstrs + 1, sizeof(*g->lists));
	err          = SN_ENOMEM;
	if (g->deps == NULL || g->kinds == NULL || g->kind_json == NULL
	    || g->lists == NULL)
		goto fail;
	if ((err = read_departments(g, deps)) != SN_OK
	    || (err = read_defaults(g)) != SN_OK)
		goto fail;
	if ((g->answer = build_answer(g)) == NULL) {
		err = SN_ENOMEM;
		goto fail;
	}
	*out = g;
	return SN_OK;
fail:
	services_registry_free(g);
	return err;
}

void
services_registry_free(services_registry *r)
{
	if (r == NULL)
		return;
	json_decref(r->answer);
	json_decref(r->doc);
	free(r->deps);
	free(r->kinds);
	free(r->kind_json);
	free(r->lists);
	free(r);
}

const services_kind_def *
services_registry_kinds(const services_registry *r, size_t *n)
{
	*n = r->nkinds;
	return r->kinds;
}

const services_kind_def *
services_registry_kind(const services_registry *r, const char *code)
{
	for (size_t i = 0; code != NULL && i < r->nkinds; i++)
		if (strcmp(r->kinds[i].code, code) == 0)
			return &r->kinds[i];
	return NULL;
}

bool
services_registry_has_department(const services_registry *r, const char *code)
{
	for (size_t i = 0; code != NULL && i < r->ndeps; i++)
		if (strcmp(r->deps[i].code, code) == 0)
			return true;
	return false;
}

const services_kind_def *
services_registry_default(const services_registry *r, services_type type)
{
	return (unsigned) type < SERVICES_NTYPES ? r->defaults[type] : NULL;
}

const services_kind_def *
services_registry_kind_for(
    const services_registry *r, const char *department, services_type type)
{
	const services_kind_def *d = services_registry_default(r, type);
	if (department == NULL
	    || (d != NULL && strcmp(d->department, department) == 0))
		return d;
	for (size_t i = 0; i < r->nkinds; i++)
		if (r->kinds[i].type == type
		    && strcmp(r->kinds[i].department, department) == 0)
			return &r->kinds[i];
	return d;
}

const char *
services_registry_kind_name(
    const services_registry *r, const services_kind_def *k, bool zh)
{
	size_t i = (size_t) (k - r->kinds);
	if (i >= r->nkinds)
		return "";
	const char *s = str_of(r->kind_json[i], zh ? "name_zh" : "name_en");
	return s != NULL ? s : "";
}

/* ---- GET /departments ------------------------------------------------- */

static json_t *
kind_answer(const services_registry *g, size_t i)
{
	const services_kind_def *k     = &g->kinds[i];
	const json_t            *o     = g->kind_json[i];
	json_t                  *route = json_object_get(o, "route");
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:O, s:O}", "code",
	    k->code, "department", k->department, "name_zh",
	    str_of(o, "name_zh"), "name_en", str_of(o, "name_en"), "type",
	    services_rules_type_name(k->type), "deadline_days",
	    (int) k->deadline_days, "grant", json_object_get(o, "grant"),
	    "route", route != NULL ? route : json_null());
}

static json_t *
build_answer(const services_registry *g)
{
	json_t *deps = json_array(), *defaults = json_object();
	json_t *src = json_object_get(g->doc, "departments");
	for (size_t i = 0; deps != NULL && i < g->ndeps; i++) {
		json_t     *d     = json_array_get(src, i);
		json_t     *kinds = json_array();
		const char *role  = str_of(d, "role_en");
		for (size_t j = 0; kinds != NULL && j < g->deps[i].nkinds; j++)
			json_array_append_new(
			    kinds, kind_answer(g, g->deps[i].first + j));
		json_array_append_new(deps,
		    json_pack("{s:s, s:s, s:s, s:s, s:o*}", "code",
		        g->deps[i].code, "name_zh", str_of(d, "name_zh"),
		        "name_en", str_of(d, "name_en"), "role_en",
		        role != NULL ? role : "", "kinds", kinds));
	}
	for (int t = 1; defaults != NULL && t < SERVICES_NTYPES; t++)
		if (g->defaults[t] != NULL)
			json_object_set_new(defaults,
			    services_rules_type_name((services_type) t),
			    json_pack("{s:s, s:s}", "department",
			        g->defaults[t]->department, "kind",
			        g->defaults[t]->code));
	if (deps == NULL || defaults == NULL) {
		json_decref(deps);
		json_decref(defaults);
		return NULL;
	}
	return json_pack(
	    "{s:o, s:o}", "departments", deps, "defaults", defaults);
}

void
services_registry_get(sn_http_req *req, void *arg)
{
	services *s = arg;
	sn_http_reply_json(
	    req, 200, json_incref(s->referrals->registry->answer));
}

/* ---- the tables --------------------------------------------------------- */

static const char store_departments_sql[]
    = "INSERT INTO department AS t (code, name_zh, name_en, role_en)"
      " SELECT d->>'code', d->>'name_zh', d->>'name_en',"
      " coalesce(d->>'role_en', '')"
      " FROM jsonb_array_elements($1::jsonb) d"
      " ON CONFLICT (code) DO UPDATE SET name_zh = EXCLUDED.name_zh,"
      " name_en = EXCLUDED.name_en, role_en = EXCLUDED.role_en,"
      " retired = false, updated_at = now()"
      " WHERE (t.name_zh, t.name_en, t.role_en, t.retired) IS DISTINCT FROM"
      " (EXCLUDED.name_zh, EXCLUDED.name_en, EXCLUDED.role_en, false)";

static const char store_kinds_sql[]
    = "INSERT INTO kind AS t (code, department, type, name_zh, name_en,"
      " deadline_days, grant_terms, route)"
      " SELECT k->>'code', d->>'code', k->>'referral', k->>'name_zh',"
      " k->>'name_en', (k->>'deadline_days')::int, k->'grant',"
      " nullif(k->'route', 'null'::jsonb)"
      " FROM jsonb_array_elements($1::jsonb) d,"
      " jsonb_array_elements(d->'kinds') k"
      " ON CONFLICT (code) DO UPDATE SET department = EXCLUDED.department,"
      " type = EXCLUDED.type, name_zh = EXCLUDED.name_zh,"
      " name_en = EXCLUDED.name_en, deadline_days = EXCLUDED.deadline_days,"
      " grant_terms = EXCLUDED.grant_terms, route = EXCLUDED.route,"
      " retired = false, updated_at = now()"
      " WHERE (t.department, t.type, t.name_zh, t.name_en, t.deadline_days,"
      " t.grant_terms, t.route, t.retired) IS DISTINCT FROM"
      " (EXCLUDED.department, EXCLUDED.type, EXCLUDED.name_zh,"
      " EXCLUDED.name_en, EXCLUDED.deadline_days, EXCLUDED.grant_terms,"
      " EXCLUDED.route, false)";

static const char retire_sql[]
    = "WITH d AS (SELECT d FROM jsonb_array_elements($1::jsonb) d),"
      " k AS (UPDATE kind SET retired = true, updated_at = now()"
      "  WHERE NOT retired AND code NOT IN (SELECT k->>'code' FROM d,"
      "  jsonb_array_elements(d->'kinds') k) RETURNING 1)"
      " UPDATE department SET retired = true, updated_at = now()"
      " WHERE NOT retired AND code NOT IN (SELECT d->>'code' FROM d)";

sn_err
services_registry_store(const services_registry *r, sn_tx *tx)
{
	char *text
	    = json_dumps(json_object_get(r->doc, "departments"), JSON_COMPACT);
	if (text == NULL)
		return SN_ENOMEM;
	const char *vals[] = { text };
	sn_err      err
	    = sn_tx_query(tx, store_departments_sql, 1, vals, NULL, NULL);
	if (err == SN_OK)
		err = sn_tx_query(tx, store_kinds_sql, 1, vals, NULL, NULL);
	if (err == SN_OK)
		err = sn_tx_query(tx, retire_sql, 1, vals, NULL, NULL);
	free(text);
	return err;
}
