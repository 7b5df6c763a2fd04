/*
 * agency-sim/records.c - see records.h.
 */
#include "records.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "sn/hash.h"

static const char *const envs[AGENCY_SIM_NAGENCIES]
    = { "PUBLIC_SECURITY", "HUMAN_RESOURCES", "HOUSING", "VEHICLES", "MARKET",
	      "TAX", "BANKS", "PROVIDENT_FUND" };
static const char *const names[AGENCY_SIM_NAGENCIES]
    = { "public_security", "human_resources", "housing", "vehicles", "market",
	      "tax", "banks", "provident_fund" };

const char *
agency_sim_agency_env(int index)
{
	return index >= 0 && index < AGENCY_SIM_NAGENCIES ? envs[index] : NULL;
}

const char *
agency_sim_agency_name(int index)
{
	return index >= 0 && index < AGENCY_SIM_NAGENCIES ? names[index]
	                                                  : NULL;
}

static uint64_t
splitmix(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* Draws from one person's stream of numbers. */
typedef struct stream {
	uint64_t state;
} stream;

static uint64_t
next(stream *s)
{
	s->state += UINT64_C(0x9e3779b97f4a7c15);
	return splitmix(s->state);
}

static unsigned
pct(stream *s)
{
	return (unsigned) (next(s) % 100u);
}

/* Whole yuan in [lo, hi], as fen. */
static int64_t
yuan(stream *s, int64_t lo, int64_t hi)
{
	return (lo + (int64_t) (next(s) % (uint64_t) (hi - lo + 1))) * 100;
}

void
agency_sim_record_derive(const char *id, agency_sim_record *out)
{
	stream            s = { splitmix(sn_fnv1a64(id, strlen(id))) };
	agency_sim_record r;
	memset(&r, 0, sizeof(r));
	/* Every field draws the same number of values whatever came
	 * before, so changing one rule does not shift the others. */
	unsigned r1 = pct(&s), r2 = pct(&s);
	r.registered = r1 >= 1 || r2 >= 50; /* 99.5 % */
	r.alive      = pct(&s) >= 1;

	unsigned w  = pct(&s);
	int64_t  lo = yuan(&s, 1500, 4500), hi = yuan(&s, 4500, 12000);
	r.wages_fen = w < 55 ? 0 : w < 85 ? lo : hi;
	int birth   = 0;
	if (strlen(id) == 18)
		birth = (id[6] - '0') * 1000 + (id[7] - '0') * 100
		    + (id[8] - '0') * 10 + (id[9] - '0');
	unsigned pp        = pct(&s);
	int64_t  pens      = yuan(&s, 1000, 3500);
	r.pension_fen      = birth > 0 && birth < 1965 && pp < 60 ? pens : 0;
	unsigned up        = pct(&s);
	int64_t  unem      = yuan(&s, 1000, 1800);
	r.unemployment_fen = up < 3 ? unem : 0;
	r.social_insurance
	    = r.wages_fen > 0 || r.pension_fen > 0 || r.unemployment_fen > 0;

	unsigned hp            = pct(&s);
	r.homes                = hp < 77 ? 0 : hp < 97 ? 1 : 2;
	r.vehicles             = pct(&s) < 4 ? 1 : 0;
	r.exempt_vehicles      = pct(&s) < 2 ? 1 : 0;
	unsigned bp            = pct(&s);
	int64_t  cap           = yuan(&s, 10000, 500000);
	r.businesses           = bp < 3 ? 1 : 0;
	r.business_capital_fen = bp < 3 ? cap : 0;

	unsigned tp    = pct(&s);
	int64_t  extra = yuan(&s, 1000, 5000);
	r.taxed_income_fen
	    = r.wages_fen + (r.wages_fen > 0 && tp < 5 ? extra : 0);

	unsigned dp = pct(&s);
	int64_t  d0 = yuan(&s, 0, 5000), d1 = yuan(&s, 5000, 50000),
	        d2             = yuan(&s, 50000, 300000);
	r.deposits_fen         = dp < 70 ? d0 : dp < 95 ? d1 : d2;
	unsigned fp            = pct(&s);
	int64_t  fa            = yuan(&s, 10000, 100000);
	r.financial_assets_fen = fp < 5 ? fa : 0;

	unsigned pf = pct(&s);
	int64_t  pb = yuan(&s, 5000, 80000);
	if (r.wages_fen > 0 && pf < 60) {
		r.pf_balance_fen = pb;
		r.pf_monthly_fen = r.wages_fen * 24 / 100;
	}
	*out = r;
}

bool
agency_sim_record_equal(const agency_sim_record *a, const agency_sim_record *b)
{
	return a->registered == b->registered && a->alive == b->alive
	    && a->wages_fen == b->wages_fen && a->pension_fen == b->pension_fen
	    && a->unemployment_fen == b->unemployment_fen
	    && a->social_insurance == b->social_insurance
	    && a->homes == b->homes && a->vehicles == b->vehicles
	    && a->exempt_vehicles == b->exempt_vehicles
	    && a->businesses == b->businesses
	    && a->business_capital_fen == b->business_capital_fen
	    && a->taxed_income_fen == b->taxed_income_fen
	    && a->deposits_fen == b->deposits_fen
	    && a->financial_assets_fen == b->financial_assets_fen
	    && a->pf_balance_fen == b->pf_balance_fen
	    && a->pf_monthly_fen == b->pf_monthly_fen;
}

struct entry {
	char              id[32];
	agency_sim_record rec;
};

struct agency_sim_fixture {
	struct entry *entries; /* sorted by id */
	size_t        n;
};

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(
	    ((const struct entry *) a)->id, ((const struct entry *) b)->id);
}

/* Sets one field from JSON; false if the key or the value is wrong. */
static bool
set_field(agency_sim_record *r, const char *key, json_t *v)
{
	static const struct {
		const char *name;
		size_t      off;
		char        type; /* b bool, i int32, l int64 */
	} fields[] = {
		{ "registered", offsetof(agency_sim_record, registered), 'b' },
		{ "alive", offsetof(agency_sim_record, alive), 'b' },
		{ "wages_fen", offsetof(agency_sim_record, wages_fen), 'l' },
		{ "pension_fen", offsetof(agency_sim_record, pension_fen),
		    'l' },
		{ "unemployment_benefit_fen",
		    offsetof(agency_sim_record, unemployment_fen), 'l' },
		{ "social_insurance",
		    offsetof(agency_sim_record, social_insurance), 'b' },
		{ "homes", offsetof(agency_sim_record, homes), 'i' },
		{ "vehicles", offsetof(agency_sim_record, vehicles), 'i' },
		{ "exempt_vehicles",
		    offsetof(agency_sim_record, exempt_vehicles), 'i' },
		{ "businesses", offsetof(agency_sim_record, businesses), 'i' },
		{ "business_capital_fen",
		    offsetof(agency_sim_record, business_capital_fen), 'l' },
		{ "taxed_income_fen",
		    offsetof(agency_sim_record, taxed_income_fen), 'l' },
		{ "deposits_fen", offsetof(agency_sim_record, deposits_fen),
		    'l' },
		{ "financial_assets_fen",
		    offsetof(agency_sim_record, financial_assets_fen), 'l' },
		{ "provident_fund_balance_fen",
		    offsetof(agency_sim_record, pf_balance_fen), 'l' },
		{ "provident_fund_monthly_fen",
		    offsetof(agency_sim_record, pf_monthly_fen), 'l' },
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(fields[i].name, key) != 0)
			continue;
		char *p = (char *) r + fields[i].off;
		if (fields[i].type == 'b') {
			if (!json_is_boolean(v))
				return false;
			*(bool *) p = json_is_true(v);
			return true;
		}
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return false;
		json_int_t x = json_integer_value(v);
		if (fields[i].type == 'i') {
			if (x > INT32_MAX)
				return false;
			*(int32_t *) p = (int32_t) x;
		} else {
			*(int64_t *) p = (int64_t) x;
		}
		return true;
	}
	return false;
}

/* Where the member of the top-level object starting at p ends: the ',' or
 * '}' after it at depth 0 (strings skipped, brackets counted), or NULL if
 * the text ends first; *lines counts the newlines on the way, for the
 * errors' line numbers. It only finds the boundary; jansson parses what
 * lies within. */
static const char *
member_end(const char *p, int *lines)
{
	int depth = 0;
	for (; *p != '\0'; p++) {
		if (*p == '"') {
			for (p++; *p != '"'; p++)
				if (*p == '\0' || (*p == '\\' && *++p == '\0'))
					return NULL;
		} else if (*p == '\n') {
			++*lines;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (depth-- == 0)
				return p;
		} else if (*p == ',' && depth == 0) {
			return p;
		}
	}
	return NULL;
}

/* One record, "id": {...}, parsed alone (wrapped in braces) into e. */
static bool
fixture_member(const char *m, size_t len, int line, struct entry *e, char *err,
    size_t cap)
{
	char *buf = malloc(len + 2);
	if (buf == NULL) {
		snprintf(err, cap, "out of memory");
		return false;
	}
	buf[0] = '{';
	memcpy(buf + 1, m, len);
	buf[len + 1] = '}';
	json_error_t je;
	json_t *obj = json_loadb(buf, len + 2, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (obj == NULL || json_object_size(obj) != 1) {
		snprintf(err, cap, "line %d: %s",
		    line + (obj ? 0 : je.line - 1),
		    obj ? "expected one identity number and its record"
		        : je.text);
		json_decref(obj);
		return false;
	}
	const char *id  = json_object_iter_key(json_object_iter(obj));
	json_t     *rec = json_object_iter_value(json_object_iter(obj));
	bool        ok  = strlen(id) > 0 && strlen(id) < sizeof(e->id)
	    && json_is_object(rec);
	if (!ok)
		snprintf(err, cap,
		    "%.40s: expected an identity number and an object", id);
	else {
		snprintf(e->id, sizeof(e->id), "%s", id);
		memset(&e->rec, 0, sizeof(e->rec));
		e->rec.registered = true;
		e->rec.alive      = true;
		const char *key;
		json_t     *v;
		json_object_foreach(rec, key, v)
		{
			if (!set_field(&e->rec, key, v)) {
				snprintf(err, cap,
				    "%.40s.%.60s: unknown field or bad value",
				    id, key);
				ok = false;
				break;
			}
		}
	}
	json_decref(obj);
	return ok;
}

static int
lines_in(const char *p, const char *end)
{
	int n = 0;
	for (; p < end; p++)
		n += *p == '\n';
	return n;
}

/*
 * The fixture is one JSON object of records by identity number. Parsed a
 * record at a time (member_end finds each, jansson parses it): jansson's
 * tree of the whole object was the simulator's peak, 156 MiB for the
 * 30,000 households' 14.9 MB fixture.
 */
sn_err
agency_sim_fixture_parse(
    const char *text, agency_sim_fixture **out, char *err, size_t cap)
{
	agency_sim_fixture *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return SN_ENOMEM;
	size_t      have = 0;
	const char *p    = text + strspn(text, " \t\r\n");
	int         line = 1 + lines_in(text, p);
	if (*p != '{') {
		snprintf(err, cap, "the fixture must be a JSON object");
		goto fail;
	}
	for (p++;;) {
		int         nl  = 0;
		const char *end = member_end(p, &nl);
		if (end == NULL || (*end != ',' && *end != '}')) {
			snprintf(err, cap, "line %d: the object does not end",
			    line);
			goto fail;
		}
		size_t blank = strspn(p, " \t\r\n");
		if (p + blank == end && *end == '}' && f->n == 0) {
			p = end + 1; /* {} */
			break;
		}
		if (f->n == have) {
			size_t        n = have ? 2 * have : 1024;
			struct entry *e = realloc(f->entries, n * sizeof(*e));
			if (e == NULL) {
				snprintf(err, cap, "out of memory");
				goto fail;
			}
			f->entries = e;
			have       = n;
		}
		int at = line + lines_in(p, p + blank);
		if (!fixture_member(p, (size_t) (end - p), at,
		        &f->entries[f->n], err, cap))
			goto fail;
		f->n++;
		line += nl;
		p = end + 1;
		if (*end == '}')
			break;
	}
	if (p[strspn(p, " \t\r\n")] != '\0') {
		snprintf(err, cap, "line %d: text after the object", line);
		goto fail;
	}
	/* An empty fixture ({}) has an array too: bsearch and qsort are
	 * given no NULL. */
	if (f->entries == NULL
	    && (f->entries = calloc(1, sizeof(*f->entries))) == NULL) {
		snprintf(err, cap, "out of memory");
		goto fail;
	}
	qsort(f->entries, f->n, sizeof(*f->entries), cmp_entry);
	for (size_t i = 1; i < f->n; i++)
		if (strcmp(f->entries[i - 1].id, f->entries[i].id) == 0) {
			snprintf(err, cap, "%.40s: the identity number twice",
			    f->entries[i].id);
			goto fail;
		}
	*out = f;
	return SN_OK;
fail:
	agency_sim_fixture_free(f);
	return SN_EINVAL;
}

const agency_sim_record *
agency_sim_fixture_find(const agency_sim_fixture *f, const char *id)
{
	if (f == NULL || f->n == 0 || strlen(id) >= sizeof(f->entries[0].id))
		return NULL;
	struct entry key;
	snprintf(key.id, sizeof(key.id), "%s", id);
	const struct entry *e
	    = bsearch(&key, f->entries, f->n, sizeof(*f->entries), cmp_entry);
	return e != NULL ? &e->rec : NULL;
}

size_t
agency_sim_fixture_count(const agency_sim_fixture *f)
{
	return f != NULL ? f->n : 0;
}

void
agency_sim_fixture_free(agency_sim_fixture *f)
{
	if (f == NULL)
		return;
	free(f->entries);
	free(f);
}

void
agency_sim_record_get(
    const agency_sim_fixture *f, const char *id, agency_sim_record *out)
{
	const agency_sim_record *r = agency_sim_fixture_find(f, id);
	if (r != NULL)
		*out = *r;
	else
		agency_sim_record_derive(id, out);
}

/* ---- the notices' overlay ------------------------------------------- */

struct change {
	char    id[19];
	bool    dead;
	bool    has_wage;
	int64_t wage_fen;
};

struct agency_sim_overlay {
	uv_mutex_t     lock;
	struct change *list; /* unsorted: notices are few */
	size_t         n, cap;
};

agency_sim_overlay *
agency_sim_overlay_new(void)
{
	agency_sim_overlay *o = calloc(1, sizeof(*o));
	if (o != NULL && uv_mutex_init(&o->lock) != 0) {
		free(o);
		return NULL;
	}
	return o;
}

void
agency_sim_overlay_free(agency_sim_overlay *o)
{
	if (o == NULL)
		return;
	uv_mutex_destroy(&o->lock);
	free(o->list);
	free(o);
}

/* The entry of id, added if new; NULL without memory. Locked. */
static struct change *
entry_of(agency_sim_overlay *o, const char *id)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->list[i].id, id) == 0)
			return &o->list[i];
	if (o->n == o->cap) {
		size_t         cap  = o->cap ? o->cap * 2 : 16;
		struct change *list = realloc(o->list, cap * sizeof(*list));
		if (list == NULL)
			return NULL;
		o->list = list;
		o->cap  = cap;
	}
	struct change *c = &o->list[o->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	return c;
}

static sn_err
overlay_set(agency_sim_overlay *o, const char *id, bool dead, int64_t wage)
{
	if (o == NULL || id == NULL || id[0] == '\0' || strlen(id) > 18)
		return SN_EINVAL;
	uv_mutex_lock(&o->lock);
	struct change *c = entry_of(o, id);
	if (c != NULL && dead)
		c->dead = true;
	else if (c != NULL) {
		c->has_wage = true;
		c->wage_fen = wage;
	}
	uv_mutex_unlock(&o->lock);
	return c != NULL ? SN_OK : SN_ENOMEM;
}

sn_err
agency_sim_overlay_death(agency_sim_overlay *o, const char *id)
{
	return overlay_set(o, id, true, 0);
}

sn_err
agency_sim_overlay_wage(
    agency_sim_overlay *o, const char *id, int64_t wage_fen)
{
	if (wage_fen < 0)
		return SN_EINVAL;
	return overlay_set(o, id, false, wage_fen);
}

void
agency_sim_overlay_apply(
    agency_sim_overlay *o, const char *id, agency_sim_record *rec)
{
	if (o == NULL || id == NULL)
		return;
	uv_mutex_lock(&o->lock);
	for (size_t i = 0; i < o->n; i++) {
		const struct change *c = &o->list[i];
		if (strcmp(c->id, id) != 0)
			continue;
		if (c->dead)
			rec->alive = false;
		if (c->has_wage)
			rec->wages_fen = c->wage_fen;
		break;
	}
	uv_mutex_unlock(&o->lock);
}

size_t
agency_sim_overlay_count(agency_sim_overlay *o)
{
	if (o == NULL)
		return 0;
	uv_mutex_lock(&o->lock);
	size_t n = o->n;
	uv_mutex_unlock(&o->lock);
	return n;
}
