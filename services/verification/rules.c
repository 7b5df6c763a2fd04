/*
 * verification/rules.c - see rules.h. Every bound is checked before any
 * sum, so the arithmetic below cannot overflow: at most
 * VERIFICATION_MAX_MEMBERS figures of at most VERIFICATION_MAX_FEN each.
 */
#include "rules.h"

#include <stddef.h>
#include <string.h>

#include "sn/auth.h"
#include "sn/idnum.h"

static const char *const names[VERIFICATION_NAGENCIES] = {
	"public_security",
	"human_resources",
	"housing",
	"vehicles",
	"market",
	"tax",
	"banks",
	"provident_fund",
};

static const char *const envs[VERIFICATION_NAGENCIES] = {
	"PUBLIC_SECURITY",
	"HUMAN_RESOURCES",
	"HOUSING",
	"VEHICLES",
	"MARKET",
	"TAX",
	"BANKS",
	"PROVIDENT_FUND",
};

const char *
verification_agency_name(int agency)
{
	if (agency < 0 || agency >= VERIFICATION_NAGENCIES)
		return NULL;
	return names[agency];
}

int
verification_agency_from_name(const char *name)
{
	for (int i = 0; name != NULL && i < VERIFICATION_NAGENCIES; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

const char *
verification_agency_env(int agency)
{
	if (agency < 0 || agency >= VERIFICATION_NAGENCIES)
		return NULL;
	return envs[agency];
}

static bool
fen_ok(int64_t v)
{
	return v >= 0 && v <= VERIFICATION_MAX_FEN;
}

static bool
count_ok(int32_t v)
{
	return v >= 0 && v <= VERIFICATION_MAX_COUNT;
}

bool
verification_rules_person_valid(const verification_person *p)
{
	return p != NULL && fen_ok(p->wages_fen) && fen_ok(p->pension_fen)
	    && fen_ok(p->unemployment_fen) && count_ok(p->homes)
	    && count_ok(p->vehicles) && count_ok(p->exempt_vehicles)
	    && count_ok(p->businesses) && fen_ok(p->business_capital_fen)
	    && fen_ok(p->taxed_income_fen) && fen_ok(p->deposits_fen)
	    && fen_ok(p->financial_fen) && fen_ok(p->pf_balance_fen)
	    && fen_ok(p->pf_monthly_fen);
}

static bool
declared_ok(const verification_declared *d)
{
	return fen_ok(d->wages_fen) && fen_ok(d->business_fen)
	    && fen_ok(d->pensions_fen) && fen_ok(d->other_fen)
	    && fen_ok(d->agricultural_fen) && fen_ok(d->support_fen)
	    && fen_ok(d->medical_fen) && fen_ok(d->education_fen)
	    && fen_ok(d->housing_fen) && fen_ok(d->employment_fen);
}

bool
verification_rules_declared_valid(const verification_declared *d)
{
	return d != NULL && declared_ok(d);
}

static bool
codes_nest(const char *district, const char *township, const char *village)
{
	return district != NULL && township != NULL && village != NULL
	    && sn_auth_juris_valid(district) && sn_auth_juris_valid(township)
	    && sn_auth_juris_valid(village) && strlen(village) == 12
	    && strlen(district) == 6 && strlen(township) == 9
	    && strncmp(village, township, 9) == 0
	    && strncmp(township, district, 6) == 0;
}

bool
verification_rules_household_valid(const verification_household_in *h)
{
	if (h == NULL || h->application_id == NULL
	    || h->consent_reference == NULL || h->application_id[0] == '\0'
	    || strlen(h->application_id) > VERIFICATION_ID_MAX
	    || strlen(h->consent_reference) > VERIFICATION_ID_MAX
	    || !codes_nest(
	        h->district_code, h->township_code, h->village_code))
		return false;
	if (h->ids == NULL || h->nids < 1
	    || h->nids > VERIFICATION_MAX_MEMBERS)
		return false;
	for (size_t i = 0; i < h->nids; i++)
		if (!sn_idnum_valid(h->ids[i]))
			return false;
	return true;
}

verification_admission
verification_rules_admit(const char *consent_reference)
{
	verification_admission a = { .ask = true,
		.status                   = VERIFICATION_PENDING,
		.attempt                  = 0,
		.reason                   = "" };
	if (consent_reference == NULL || consent_reference[0] == '\0') {
		a.ask     = false;
		a.status  = VERIFICATION_INCOMPLETE;
		a.attempt = 1;
		a.reason  = "no consent reference: no agency was asked";
	}
	return a;
}

/* An admission that asks no agency, for reason. */
static verification_admission
unasked(const char *reason)
{
	verification_admission a = { .ask = false,
		.status                   = VERIFICATION_INCOMPLETE,
		.attempt                  = 1,
		.reason                   = reason };
	return a;
}

verification_admission
verification_rules_admit_review(
    const char *consent_reference, const char *signed_date, sn_date opened_on)
{
	sn_date signed_on;
	if (consent_reference == NULL || consent_reference[0] == '\0')
		return unasked("no consent on file for the review: no agency "
		               "was asked");
	if (signed_date == NULL
	    || sn_date_parse(signed_date, &signed_on) != SN_OK)
		return unasked("the consent on file has no signed date: no "
		               "agency was asked");
	sn_date lapses
	    = sn_date_add_months(signed_on, VERIFICATION_CONSENT_MONTHS);
	if (sn_date_cmp(opened_on, lapses) > 0)
		return unasked(
		    "the consent on file expired (signed more than "
		    "12 months before the review opened): no agency "
		    "was asked; a new consent is needed");
	return verification_rules_admit(consent_reference);
}

verification_round_next
verification_rules_round_next(bool complete, int attempt, int max_attempts,
    int64_t retry_ms, bool requested)
{
	verification_round_next n = { .status
		= complete ? VERIFICATION_COMPLETE : VERIFICATION_INCOMPLETE,
		.publish  = complete || attempt == 1 || requested,
		.retry_ms = -1 };
	if (!complete && attempt < max_attempts)
		n.retry_ms = retry_ms;
	return n;
}

bool
verification_rules_held(
    verification_status status, bool round_scheduled, bool asked)
{
	return status == VERIFICATION_INCOMPLETE && !round_scheduled && asked;
}

int
verification_rules_revision(int32_t revision)
{
	return revision < 1 ? 1 : revision;
}

bool
verification_rules_resubmission_valid(int32_t revision)
{
	return revision >= 2;
}

static void
add_discrepancy(verification_result *r, const char *field, int64_t declared,
    int64_t reported, int agency)
{
	if (declared == reported
	    || r->ndiscrepancies == VERIFICATION_MAX_DISCREPANCIES)
		return;
	verification_discrepancy *d = &r->discrepancies[r->ndiscrepancies++];
	d->field                    = field;
	d->declared_fen             = declared;
	d->reported_fen             = reported;
	d->agency                   = agency;
}

/* Declared against reported, from the agencies that answered. */
static void
compare(const verification_input *in, verification_result *r)
{
	const bool *ans   = in->answered;
	int64_t     wages = 0, pensions = 0, taxed = 0, capital_sum = 0;
	int32_t     businesses = 0;
	if (!in->has_declaration)
		return;
	/* Household sums of what each agency reports. */
	for (int m = 0; m < in->members; m++) {
		const verification_person *p = &in->persons[m];
		wages += p->wages_fen;
		pensions += p->pension_fen;
		taxed += p->taxed_income_fen;
		businesses += p->businesses;
		capital_sum += p->business_capital_fen;
	}
	const verification_declared *d = &in->declared;
	if (ans[VERIFICATION_HUMAN_RESOURCES]) {
		add_discrepancy(r, "wages_fen", d->wages_fen, wages,
		    VERIFICATION_HUMAN_RESOURCES);
		add_discrepancy(r, "pensions_fen", d->pensions_fen, pensions,
		    VERIFICATION_HUMAN_RESOURCES);
	}
	if (ans[VERIFICATION_TAX])
		add_discrepancy(r, "taxed_income_fen",
		    d->wages_fen + d->business_fen, taxed, VERIFICATION_TAX);
	if (ans[VERIFICATION_MARKET]
	    && (d->business_fen > 0) != (businesses > 0))
		add_discrepancy(r, "business_fen", d->business_fen,
		    capital_sum, VERIFICATION_MARKET);
}

/*
 * Income by source (rules.h): what the household declares against what
 * the agencies report, each source counted at the larger of the two.
 * reported NULL: no agency sees the source, so it counts as declared;
 * declared -1: nothing is declared for it (unemployment benefit counts as
 * reported). tax_group: tax's taxed income covers these together
 * (income_gross). This table is also the one in proto/openapi.yaml's
 * description of GET /checks/{application_id}.
 */
typedef struct income_source {
	const char *field;
	ptrdiff_t   declared; /* offset in verification_declared, or -1 */
	int64_t (*reported)(const verification_person *p);
	const char *agencies;
	bool        tax_group;
} income_source;

static int64_t
rep_wages(const verification_person *p)
{
	return p->wages_fen;
}

static int64_t
rep_pension(const verification_person *p)
{
	return p->pension_fen;
}

static int64_t
rep_unemployment(const verification_person *p)
{
	return p->unemployment_fen;
}

#define DECL(f) ((ptrdiff_t) offsetof(verification_declared, f))

static const income_source sources[] = {
	{ "wages_fen", DECL(wages_fen), rep_wages, "human_resources, tax",
	    true },
	{ "pensions_fen", DECL(pensions_fen), rep_pension, "human_resources",
	    true },
	{ "business_fen", DECL(business_fen), NULL, "tax (market: capital)",
	    true },
	{ "unemployment_benefit_fen", -1, rep_unemployment, "human_resources",
	    false },
	{ "other_fen", DECL(other_fen), NULL, "none", false },
	{ "agricultural_fen", DECL(agricultural_fen), NULL, "none", false },
	{ "support_fen", DECL(support_fen), NULL, "none", false },
};

/* The gross income of the household: sources[] counted, and tax's
 * taxed income where it exceeds wages, pensions and business. */
static int64_t
income_gross(const verification_input *in, const verification_declared *d)
{
	int64_t group = 0, taxed = 0, gross = 0;
	for (size_t s = 0; s < sizeof(sources) / sizeof(sources[0]); s++) {
		const income_source *src = &sources[s];
		int64_t              dec = 0, rep = 0;
		if (src->declared >= 0)
			dec = *(
			    const int64_t *) (const void *) ((const char *) d
			    + src->declared);
		for (int m = 0; src->reported != NULL && m < in->members; m++)
			rep += src->reported(&in->persons[m]);
		int64_t counted = dec > rep ? dec : rep;
		if (src->tax_group)
			group += counted;
		else
			gross += counted;
	}
	/* Per member, tax sees at least what human resources does. */
	for (int m = 0; m < in->members; m++) {
		const verification_person *p  = &in->persons[m];
		int64_t                    hr = p->wages_fen + p->pension_fen;
		taxed += p->taxed_income_fen > hr ? p->taxed_income_fen : hr;
	}
	return gross + (taxed > group ? taxed : group);
}

/* The facts, when every agency answered. */
static void
facts(const verification_input *in, verification_facts *f)
{
	static const verification_declared none;
	const verification_declared       *d
	    = in->has_declaration || in->has_expenditure ? &in->declared
	                                                 : &none;
	const verification_declared *inc
	    = in->has_declaration ? &in->declared : &none;
	int64_t financial = 0;
	f->members        = in->members;
	f->all_registered = true;
	for (int m = 0; m < in->members; m++) {
		const verification_person *p = &in->persons[m];
		financial += p->deposits_fen + p->financial_fen;
		f->homes += p->homes;
		f->vehicles += p->vehicles;
		f->exempt_vehicles += p->exempt_vehicles;
		if (p->business_capital_fen > f->business_capital_fen)
			f->business_capital_fen = p->business_capital_fen;
		if (!p->alive)
			f->deceased_members++;
		if (!p->registered)
			f->all_registered = false;
	}
	int64_t gross = income_gross(in, inc);
	int64_t n     = in->members;
	int64_t exp   = d->medical_fen + d->education_fen + d->housing_fen
	    + d->employment_fen;
	/* Every operand is non-negative: '/' is the floor. */
	f->gross_income_fen                 = gross;
	f->income_per_member_fen            = gross / n;
	f->rigid_expenditure_per_member_fen = exp / n;
	f->net_per_member_fen
	    = f->income_per_member_fen - f->rigid_expenditure_per_member_fen;
	f->financial_assets_fen            = financial;
	f->financial_assets_per_member_fen = financial / n;
}

sn_err
verification_rules_evaluate(
    const verification_input *in, verification_result *out)
{
	if (in == NULL || out == NULL || in->members < 1
	    || in->members > VERIFICATION_MAX_MEMBERS || in->persons == NULL
	    || !declared_ok(&in->declared))
		return SN_EINVAL;
	for (int m = 0; m < in->members; m++)
		if (!verification_rules_person_valid(&in->persons[m]))
			return SN_EINVAL;

	verification_result r;
	memset(&r, 0, sizeof(r));
	for (int a = 0; a < VERIFICATION_NAGENCIES; a++)
		if (!in->answered[a])
			r.missing[r.nmissing++] = a;
	r.complete = r.nmissing == 0;
	compare(in, &r);
	if (r.complete) {
		facts(in, &r.facts);
		r.has_facts = true;
	}
	*out = r;
	return SN_OK;
}
