#include "codec.h"

#include <stdio.h>
#include <string.h>

#include "sn/input.h"

/* ---- JSON in -------------------------------------------------------- */

/* A 422 naming prefix + key. */
static bool
refuse(sn_problem *p, const char *code, const char *message,
    const char *prefix, const char *key)
{
	char field[sizeof(p->field)];
	snprintf(field, sizeof(field), "%s%s", prefix, key);
	return sn_problem_set(p, 422, code, field, "%s", message);
}

/*
 * Whether v may go on to sn/input.h: present, and of the JSON type
 * wanted (JSON_TRUE: a boolean) or null, which sn/input.h refuses as
 * invalid_type. An absent member or another type is refused the way
 * intake always has (invalid_field, invalid_money).
 */
static bool
shaped(const json_t *v, json_type type)
{
	if (v == NULL)
		return false;
	if (json_is_null(v))
		return true;
	if (type == JSON_TRUE)
		return json_is_boolean(v);
	return json_typeof(v) == type;
}

static bool
get_object(const json_t *parent, const char *key, const char *prefix,
    const json_t **out, sn_problem *p)
{
	if (!shaped(json_object_get(parent, key), JSON_OBJECT))
		return refuse(
		    p, "invalid_field", "an object is required", prefix, key);
	return sn_in_object(parent, key, prefix, SN_IN_REQUIRED, out, p);
}

static bool
get_string(const json_t *obj, const char *key, const char *prefix,
    const char **out, sn_problem *p)
{
	if (!shaped(json_object_get(obj, key), JSON_STRING))
		return refuse(
		    p, "invalid_field", "a string is required", prefix, key);
	return sn_in_str(obj, key, prefix, SN_IN_REQUIRED, 0, out, p);
}

static bool
get_int(const json_t *obj, const char *key, const char *prefix,
    const char *code, const char *message, int64_t *out, sn_problem *p)
{
	if (!shaped(json_object_get(obj, key), JSON_INTEGER))
		return refuse(p, code, message, prefix, key);
	return sn_in_i64(
	    obj, key, prefix, SN_IN_REQUIRED, INT64_MIN, INT64_MAX, out, p);
}

static bool
get_fen(const json_t *obj, const char *key, const char *prefix, int64_t *out,
    sn_problem *p)
{
	return get_int(obj, key, prefix, "invalid_money",
	    "amounts are integer fen", out, p);
}

static bool
decode_household(const json_t *body, intake_app *a, sn_problem *p)
{
	static const char *const keys[]
	    = { "registration", "district_code", "township_code",
		      "village_code", "address", "has_able_supporter", NULL };
	const json_t *h = NULL;
	const char   *reg;
	const char   *pre = "household.";

	if (!get_object(body, "household", "", &h, p)
	    || !sn_in_only(h, keys, pre, p)
	    || !get_string(h, "registration", pre, &reg, p))
		return false;
	if (!intake_rules_registration_parse(reg, &a->registration))
		return sn_problem_set(p, 422, "invalid_value",
		    "household.registration",
		    "registration is \"urban\" or \"rural\"");
	if (!get_string(h, "district_code", pre, &a->district_code, p)
	    || !get_string(h, "township_code", pre, &a->township_code, p)
	    || !get_string(h, "village_code", pre, &a->village_code, p)
	    || !get_string(h, "address", pre, &a->address, p))
		return false;
	if (!shaped(json_object_get(h, "has_able_supporter"), JSON_TRUE))
		return refuse(p, "invalid_field", "true or false is required",
		    pre, "has_able_supporter");
	return sn_in_bool(h, "has_able_supporter", pre, SN_IN_REQUIRED,
	    &a->has_able_supporter, p);
}

static bool
decode_member(const json_t *m, size_t i, intake_member *out, sn_problem *p)
{
	static const char *const keys[] = { "id_number", "name", "relation",
		"birth_date", "labour_capacity", "disability_grade",
		"self_care", NULL };
	char                     pre[48], self[40];
	const char              *idn, *labour, *care;

	snprintf(pre, sizeof(pre), "members[%zu].", i);
	snprintf(self, sizeof(self), "members[%zu]", i);
	if (!json_is_object(m))
		return sn_problem_set(p, 422,
		    json_is_null(m) ? "invalid_type" : "invalid_field", self,
		    "a member is an object");
	if (!sn_in_only(m, keys, pre, p)
	    || !get_string(m, "id_number", pre, &idn, p))
		return false;
	if (strlen(idn) != 18)
		return refuse(p, "invalid_id_number",
		    "not a valid resident identity number", pre, "id_number");
	memcpy(out->id_number, idn, 19);
	if (out->id_number[17] == 'x')
		out->id_number[17] = 'X';
	if (!get_string(m, "name", pre, &out->name, p)
	    || !get_string(m, "relation", pre, &out->relation, p)
	    || !get_string(m, "birth_date", pre, &out->birth_date, p)
	    || !get_string(m, "labour_capacity", pre, &labour, p))
		return false;
	if (!intake_rules_labour_parse(labour, &out->labour_capacity))
		return refuse(p, "invalid_value",
		    "labour_capacity is \"full\", \"partial\" or \"none\"",
		    pre, "labour_capacity");
	if (!get_int(m, "disability_grade", pre, "invalid_field",
	        "an integer is required", &out->disability_grade, p)
	    || !get_string(m, "self_care", pre, &care, p))
		return false;
	if (!intake_rules_self_care_parse(care, &out->self_care))
		return refuse(p, "invalid_value",
		    "self_care is \"able\", \"partially_able\" or \"unable\"",
		    pre, "self_care");
	return true;
}

static bool
decode_members(const json_t *body, intake_app *a, sn_problem *p)
{
	const json_t *ms = NULL;

	if (!shaped(json_object_get(body, "members"), JSON_ARRAY))
		return refuse(
		    p, "invalid_field", "an array is required", "", "members");
	if (!sn_in_array(body, "members", "", SN_IN_REQUIRED, &ms, p))
		return false;
	if (json_array_size(ms) == 0
	    || json_array_size(ms) > INTAKE_MEMBERS_MAX)
		return sn_problem_set(p, 422, "members_required", "members",
		    "one to 30 members, the applicant first");
	a->nmembers = json_array_size(ms);
	for (size_t i = 0; i < a->nmembers; i++)
		if (!decode_member(
		        json_array_get(ms, i), i, &a->members[i], p))
			return false;
	return true;
}

/* A figure that may be absent (0), issue 10's agricultural and
 * relatives' support; present, it is read as the others are. */
static bool
get_fen_opt(const json_t *obj, const char *key, const char *prefix,
    int64_t *out, sn_problem *p)
{
	*out = 0;
	return json_object_get(obj, key) == NULL
	    || get_fen(obj, key, prefix, out, p);
}

/* The declared income's six figures (intake_income_keys), the last two
 * optional. */
static bool
decode_income(const json_t *in, const char *pi, intake_app *a, sn_problem *p)
{
	return sn_in_only(in, intake_income_keys, pi, p)
	    && get_fen(in, "wages_fen", pi, &a->wages_fen, p)
	    && get_fen(in, "business_fen", pi, &a->business_fen, p)
	    && get_fen(in, "pensions_fen", pi, &a->pensions_fen, p)
	    && get_fen(in, "other_fen", pi, &a->other_fen, p)
	    && get_fen_opt(in, "agricultural_fen", pi, &a->agricultural_fen, p)
	    && get_fen_opt(in, "support_fen", pi, &a->support_fen, p);
}

static bool
decode_money(const json_t *body, intake_app *a, sn_problem *p)
{
	static const char *const out_keys[] = { "medical_fen", "education_fen",
		"housing_fen", "employment_costs_fen", NULL };
	const json_t            *in = NULL, *out = NULL;
	const char              *po = "declared_expenditure.";

	return get_object(body, "declared_income", "", &in, p)
	    && decode_income(in, "declared_income.", a, p)
	    && get_object(body, "declared_expenditure", "", &out, p)
	    && sn_in_only(out, out_keys, po, p)
	    && get_fen(out, "medical_fen", po, &a->medical_fen, p)
	    && get_fen(out, "education_fen", po, &a->education_fen, p)
	    && get_fen(out, "housing_fen", po, &a->housing_fen, p)
	    && get_fen(
	        out, "employment_costs_fen", po, &a->employment_costs_fen, p);
}

/* "consent" absent or null is no consent (the rules refuse it); its
 * reference absent is none. */
static bool
decode_consent(const json_t *body, intake_app *a, sn_problem *p)
{
	static const char *const keys[] = { "reference", "signed_date", NULL };
	const json_t            *c      = json_object_get(body, "consent");

	if (c == NULL || json_is_null(c))
		return true;
	if (!json_is_object(c))
		return refuse(p, "invalid_field", "an object is required", "",
		    "consent");
	a->has_consent = true;
	if (!sn_in_only(c, keys, "consent.", p))
		return false;
	if (json_object_get(c, "reference") != NULL
	    && !get_string(
	        c, "reference", "consent.", &a->consent_reference, p))
		return false;
	return get_string(
	    c, "signed_date", "consent.", &a->consent_signed_date, p);
}

static bool
decode_payee(const json_t *body, intake_app *a, sn_problem *p)
{
	static const char *const keys[]
	    = { "bank_code", "account_number", "account_name", NULL };
	const json_t *py  = NULL;
	const char   *pre = "payee.";

	return get_object(body, "payee", "", &py, p)
	    && sn_in_only(py, keys, pre, p)
	    && get_string(py, "bank_code", pre, &a->bank_code, p)
	    && get_string(py, "account_number", pre, &a->account_number, p)
	    && get_string(py, "account_name", pre, &a->account_name, p);
}

bool
intake_codec_decode(const json_t *body, intake_app *a, sn_problem *p)
{
	static const char *const keys[] = { "household", "members",
		"declared_income", "declared_expenditure", "consent", "payee",
		"requested_category", NULL };

	memset(a, 0, sizeof(*a));
	sn_problem_clear(p);
	if (!json_is_object(body))
		return sn_problem_set(p, 422, "invalid_field", NULL,
		    "the application is a JSON object");
	if (!sn_in_only(body, keys, "", p) || !decode_household(body, a, p)
	    || !decode_members(body, a, p) || !decode_money(body, a, p)
	    || !decode_consent(body, a, p) || !decode_payee(body, a, p))
		return false;
	const json_t *cat = json_object_get(body, "requested_category");
	if (cat != NULL && !json_is_null(cat)
	    && !(json_is_string(cat)
	        && intake_rules_category_parse(
	            json_string_value(cat), &a->requested_category)))
		return sn_problem_set(p, 422, "invalid_value",
		    "requested_category",
		    "requested_category is \"tekun\", \"dibao\", "
		    "\"expenditure\" or \"low_income\"");
	return true;
}

bool
intake_codec_withdrawal(const json_t *body, const char **reason, sn_problem *p)
{
	static const char *const keys[] = { "reason", NULL };
	static const char        bad[]  = "a reason of 1 to 500 bytes is "
	                                  "required";

	sn_problem_clear(p);
	*reason = NULL;
	if (!json_is_object(body))
		return sn_problem_set(p, 422, "invalid_field", "reason", bad);
	if (!sn_in_only(body, keys, "", p))
		return false;
	if (!shaped(json_object_get(body, "reason"), JSON_STRING))
		return sn_problem_set(p, 422, "invalid_field", "reason", bad);
	if (!sn_in_str(body, "reason", "", SN_IN_REQUIRED | SN_IN_MULTILINE, 0,
	        reason, p))
		return false;
	if (!intake_rules_reason_valid(*reason))
		return sn_problem_set(p, 422, "invalid_field", "reason", bad);
	return true;
}

bool
intake_codec_resubmission(
    const json_t *body, const char **amendment, sn_problem *p)
{
	static const char *const keys[] = { "amendment", NULL };
	static const char        bad[]  = "an amendment of 1 to 2000 bytes, "
	                                  "what changed, is required";

	sn_problem_clear(p);
	*amendment = NULL;
	if (!json_is_object(body))
		return sn_problem_set(
		    p, 422, "invalid_field", "amendment", bad);
	if (!sn_in_only(body, keys, "", p))
		return false;
	if (!shaped(json_object_get(body, "amendment"), JSON_STRING))
		return sn_problem_set(
		    p, 422, "invalid_field", "amendment", bad);
	if (!sn_in_str(body, "amendment", "", SN_IN_REQUIRED | SN_IN_MULTILINE,
	        0, amendment, p))
		return false;
	if (!intake_rules_amendment_valid(*amendment))
		return sn_problem_set(
		    p, 422, "invalid_field", "amendment", bad);
	return true;
}

/* ---- POST /households/{id}/changes ---------------------------------- */

/* income or expenditure: the four figures of keys into v, when present. */
static bool
decode_figures(const json_t *body, const char *key, const char *const *keys,
    int64_t *const *v, bool *has, sn_problem *p)
{
	const json_t *o = NULL;
	char          pre[32];
	if (json_object_get(body, key) == NULL)
		return true;
	snprintf(pre, sizeof(pre), "%s.", key);
	if (!get_object(body, key, "", &o, p) || !sn_in_only(o, keys, pre, p))
		return false;
	for (int i = 0; i < 4; i++)
		if (!get_fen(o, keys[i], pre, v[i], p))
			return false;
	*has = true;
	return true;
}

static bool
decode_change_money(const json_t *body, intake_change *c, sn_problem *p)
{
	static const char *const out_keys[] = { "medical_fen", "education_fen",
		"housing_fen", "employment_costs_fen", NULL };
	intake_app              *a          = &c->app;
	int64_t *const           out[4] = { &a->medical_fen, &a->education_fen,
		          &a->housing_fen, &a->employment_costs_fen };
	const json_t            *in     = NULL;

	if (json_object_get(body, "income") != NULL) {
		if (!get_object(body, "income", "", &in, p)
		    || !decode_income(in, "income.", a, p))
			return false;
		c->has_income = true;
	}
	return decode_figures(
	    body, "expenditure", out_keys, out, &c->has_expenditure, p);
}

static bool
decode_member_id(const json_t *body, intake_change *c, sn_problem *p)
{
	const char *idn = NULL;
	if (!sn_in_str(body, "member_id_number", "", 0, 0, &idn, p))
		return false;
	if (idn == NULL)
		return true;
	if (strlen(idn) != 18)
		return sn_problem_set(p, 422, "invalid_id_number",
		    "member_id_number",
		    "not a valid resident identity number");
	memcpy(c->member_id, idn, 19);
	if (c->member_id[17] == 'x')
		c->member_id[17] = 'X';
	c->has_member_id = true;
	return true;
}

bool
intake_codec_change(const json_t *body, intake_change *c, sn_problem *p)
{
	static const char *const keys[]
	    = { "kind", "member_id_number", "income", "expenditure",
		      "household", "members", "effective_date", "note", NULL };

	memset(c, 0, sizeof(*c));
	sn_problem_clear(p);
	if (!json_is_object(body))
		return sn_problem_set(p, 422, "invalid_field", NULL,
		    "the change is a JSON object");
	if (!sn_in_only(body, keys, "", p)
	    || !sn_in_str(body, "kind", "", SN_IN_REQUIRED | SN_IN_NONEMPTY, 0,
	        &c->kind_name, p))
		return false;
	if (!intake_rules_change_kind_parse(c->kind_name, &c->kind))
		return sn_problem_set(p, 422, "invalid_value", "kind",
		    "kind is members, income, expenditure, address, death or "
		    "moved_out");
	if (!decode_member_id(body, c, p) || !decode_change_money(body, c, p))
		return false;
	if (json_object_get(body, "household") != NULL) {
		if (!decode_household(body, &c->app, p))
			return false;
		c->has_household = true;
	}
	if (json_object_get(body, "members") != NULL) {
		if (!decode_members(body, &c->app, p))
			return false;
		c->has_members = true;
	}
	return sn_in_str(body, "effective_date", "",
	           SN_IN_REQUIRED | SN_IN_NONEMPTY, 0, &c->effective_date, p)
	    && sn_in_str(body, "note", "", SN_IN_MULTILINE, 0, &c->note, p);
}

/* ---- protobuf out --------------------------------------------------- */

/* protobuf-c wants char *; it never writes through them when packing. */
static char *
s(const char *v)
{
	return (char *) (v != NULL ? v : "");
}

const ProtobufCMessage *
intake_codec_submitted(const intake_app *a, const intake_submitted_meta *meta,
    intake_submitted_pb *pb)
{
	static const Sn__Assist__V1__ApplicationSubmitted ev0
	    = SN__ASSIST__V1__APPLICATION_SUBMITTED__INIT;
	static const Sn__Assist__V1__Household h0
	    = SN__ASSIST__V1__HOUSEHOLD__INIT;
	static const Sn__Assist__V1__Income in0 = SN__ASSIST__V1__INCOME__INIT;
	static const Sn__Assist__V1__Expenditure ex0
	    = SN__ASSIST__V1__EXPENDITURE__INIT;
	static const Sn__Assist__V1__Consent c0
	    = SN__ASSIST__V1__CONSENT__INIT;
	static const Sn__Assist__V1__PayeeAccount py0
	    = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	static const Sn__Assist__V1__Member m0 = SN__ASSIST__V1__MEMBER__INIT;
	Sn__Assist__V1__Household          *h  = &pb->household;
	Sn__Assist__V1__Income             *in = &pb->income;
	Sn__Assist__V1__Expenditure        *ex = &pb->expenditure;

	*h                    = h0;
	h->registration       = a->registration;
	h->district_code      = s(a->district_code);
	h->township_code      = s(a->township_code);
	h->village_code       = s(a->village_code);
	h->address            = s(a->address);
	h->has_able_supporter = a->has_able_supporter;
	for (size_t i = 0; i < a->nmembers && i < INTAKE_MEMBERS_MAX; i++) {
		const intake_member    *m  = &a->members[i];
		Sn__Assist__V1__Member *mm = &pb->members[i];
		*mm                        = m0;
		mm->id_number              = s(m->id_number);
		mm->name                   = s(m->name);
		mm->relation               = s(m->relation);
		mm->birth_date             = s(m->birth_date);
		mm->labour_capacity        = m->labour_capacity;
		mm->disability_grade       = (int32_t) m->disability_grade;
		mm->self_care              = m->self_care;
		pb->member_ptrs[i]         = mm;
	}
	*in                      = in0;
	in->wages_fen            = a->wages_fen;
	in->business_fen         = a->business_fen;
	in->pensions_fen         = a->pensions_fen;
	in->other_fen            = a->other_fen;
	in->agricultural_fen     = a->agricultural_fen;
	in->support_fen          = a->support_fen;
	*ex                      = ex0;
	ex->medical_fen          = a->medical_fen;
	ex->education_fen        = a->education_fen;
	ex->housing_fen          = a->housing_fen;
	ex->employment_costs_fen = a->employment_costs_fen;
	pb->consent              = c0;
	pb->consent.reference    = s(a->consent_reference);
	pb->consent.signed_date  = s(a->consent_signed_date);
	pb->payee                = py0;
	pb->payee.bank_code      = s(a->bank_code);
	pb->payee.account_number = s(a->account_number);
	pb->payee.account_name   = s(a->account_name);

	pb->ev                      = ev0;
	pb->ev.application_id       = s(meta->application_id);
	pb->ev.accepted_date        = s(meta->accepted_date);
	pb->ev.deadline_date        = s(meta->deadline_date);
	pb->ev.household            = h;
	pb->ev.n_members            = a->nmembers;
	pb->ev.members              = pb->member_ptrs;
	pb->ev.declared_income      = in;
	pb->ev.declared_expenditure = ex;
	pb->ev.consent              = &pb->consent;
	pb->ev.payee                = &pb->payee;
	pb->ev.requested_category   = a->requested_category;
	pb->ev.taken_in_by          = s(meta->taken_in_by);
	pb->ev.referral_id          = s(meta->referral_id);
	pb->ev.revision             = meta->revision > 0 ? meta->revision : 1;
	pb->ev.resubmitted_by       = s(meta->resubmitted_by);
	pb->ev.amendment            = s(meta->amendment);
	return &pb->ev.base;
}

const ProtobufCMessage *
intake_codec_withdrawn(const char *application_id, const char *reason,
    const char *withdrawn_by, Sn__Assist__V1__ApplicationWithdrawn *ev)
{
	static const Sn__Assist__V1__ApplicationWithdrawn ev0
	    = SN__ASSIST__V1__APPLICATION_WITHDRAWN__INIT;

	*ev                = ev0;
	ev->application_id = s(application_id);
	ev->reason         = s(reason);
	ev->withdrawn_by   = s(withdrawn_by);
	return &ev->base;
}

const ProtobufCMessage *
intake_codec_change_reported(const intake_change *c,
    const intake_change_meta *meta, intake_change_pb *pb)
{
	static const Sn__Assist__V1__HouseholdChangeReported ev0
	    = SN__ASSIST__V1__HOUSEHOLD_CHANGE_REPORTED__INIT;
	/* The household, members and figures as an application's, then
	 * only those the kind carries. */
	intake_submitted_meta none = { 0 };
	intake_codec_submitted(&c->app, &none, &pb->app);
	pb->ev                = ev0;
	pb->ev.change_id      = s(meta->change_id);
	pb->ev.beneficiary_id = s(meta->beneficiary_id);
	pb->ev.application_id = s(meta->application_id);
	pb->ev.kind           = c->kind;
	pb->ev.member_id_number
	    = c->has_member_id ? (char *) c->member_id : s(NULL);
	pb->ev.income      = c->has_income ? &pb->app.income : NULL;
	pb->ev.expenditure = c->has_expenditure ? &pb->app.expenditure : NULL;
	pb->ev.household   = c->has_household ? &pb->app.household : NULL;
	pb->ev.n_members   = c->has_members ? c->app.nmembers : 0;
	pb->ev.members     = c->has_members ? pb->app.member_ptrs : NULL;
	pb->ev.effective_date = s(c->effective_date);
	pb->ev.note           = s(c->note);
	pb->ev.reported_by    = s(meta->reported_by);
	pb->ev.reported_on    = s(meta->reported_on);
	pb->ev.agency         = s(meta->agency);
	pb->ev.notice_id      = s(meta->notice_id);
	return &pb->ev.base;
}
