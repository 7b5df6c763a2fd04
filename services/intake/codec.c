#include "codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/assist/v1/application.pb-c.h"

/* ---- JSON in -------------------------------------------------------- */

static bool
bad_type(intake_problem *pb, const char *what, const char *field)
{
	(void) what;
	return intake_problem_set(pb, 422, "invalid_field", what, "%s", field);
}

/* Refuses keys of obj not in allowed (NULL-ended). */
static bool
known_keys(const json_t *obj, const char *const *allowed, const char *prefix,
    intake_problem *pb)
{
	const char *key;
	json_t     *v;

	json_object_foreach ((json_t *) obj, key, v) {
		bool ok = false;
		for (int i = 0; allowed[i] != NULL && !ok; i++)
			ok = strcmp(allowed[i], key) == 0;
		if (!ok)
			return intake_problem_set(pb, 422, "unknown_field",
			    "this field is not part of an application", "%s%s",
			    prefix, key);
	}
	return true;
}

static bool
get_object(const json_t *parent, const char *key, const char *field,
    const json_t **out, intake_problem *pb)
{
	const json_t *v = json_object_get(parent, key);
	if (!json_is_object(v))
		return bad_type(pb, "an object is required", field);
	*out = v;
	return true;
}

static bool
get_string(const json_t *obj, const char *key, const char *prefix,
    const char **out, intake_problem *pb)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		return intake_problem_set(pb, 422, "invalid_field",
		    "a string is required", "%s%s", prefix, key);
	*out = json_string_value(v);
	return true;
}

static bool
get_fen(const json_t *obj, const char *key, const char *prefix, int64_t *out,
    intake_problem *pb)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		return intake_problem_set(pb, 422, "invalid_money",
		    "amounts are integer fen", "%s%s", prefix, key);
	*out = (int64_t) json_integer_value(v);
	return true;
}

static bool
decode_household(const json_t *body, intake_app *a, intake_problem *pb)
{
	static const char *const keys[] = { "registration", "district_code",
		"township_code", "village_code", "address",
		"has_able_supporter", NULL };
	const json_t            *h = NULL;
	const char              *reg;
	const char              *p = "household.";

	if (!get_object(body, "household", "household", &h, pb) ||
	    !known_keys(h, keys, p, pb) ||
	    !get_string(h, "registration", p, &reg, pb))
		return false;
	if (!intake_rules_registration_parse(reg, &a->registration))
		return intake_problem_set(pb, 422, "invalid_value",
		    "registration is \"urban\" or \"rural\"",
		    "household.registration");
	if (!get_string(h, "district_code", p, &a->district_code, pb) ||
	    !get_string(h, "township_code", p, &a->township_code, pb) ||
	    !get_string(h, "village_code", p, &a->village_code, pb) ||
	    !get_string(h, "address", p, &a->address, pb))
		return false;
	const json_t *sup = json_object_get(h, "has_able_supporter");
	if (!json_is_boolean(sup))
		return bad_type(pb, "true or false is required",
		    "household.has_able_supporter");
	a->has_able_supporter = json_is_true(sup);
	return true;
}

static bool
decode_member(const json_t *m, size_t i, intake_member *out,
    intake_problem *pb)
{
	static const char *const keys[] = { "id_number", "name", "relation",
		"birth_date", "labour_capacity", "disability_grade",
		"self_care", NULL };
	char                     p[32];
	const char              *idn, *labour, *care;

	snprintf(p, sizeof(p), "members[%zu].", i);
	if (!json_is_object(m))
		return intake_problem_set(pb, 422, "invalid_field",
		    "a member is an object", "members[%zu]", i);
	if (!known_keys(m, keys, p, pb) ||
	    !get_string(m, "id_number", p, &idn, pb))
		return false;
	if (strlen(idn) != 18)
		return intake_problem_set(pb, 422, "invalid_id_number",
		    "not a valid resident identity number", "%sid_number", p);
	memcpy(out->id_number, idn, 19);
	if (out->id_number[17] == 'x')
		out->id_number[17] = 'X';
	if (!get_string(m, "name", p, &out->name, pb) ||
	    !get_string(m, "relation", p, &out->relation, pb) ||
	    !get_string(m, "birth_date", p, &out->birth_date, pb) ||
	    !get_string(m, "labour_capacity", p, &labour, pb))
		return false;
	if (!intake_rules_labour_parse(labour, &out->labour_capacity))
		return intake_problem_set(pb, 422, "invalid_value",
		    "labour_capacity is \"full\", \"partial\" or \"none\"",
		    "%slabour_capacity", p);
	const json_t *g = json_object_get(m, "disability_grade");
	if (!json_is_integer(g))
		return intake_problem_set(pb, 422, "invalid_field",
		    "an integer is required", "%sdisability_grade", p);
	out->disability_grade = (int64_t) json_integer_value(g);
	if (!get_string(m, "self_care", p, &care, pb))
		return false;
	if (!intake_rules_self_care_parse(care, &out->self_care))
		return intake_problem_set(pb, 422, "invalid_value",
		    "self_care is \"able\", \"partially_able\" or \"unable\"",
		    "%sself_care", p);
	return true;
}

static bool
decode_money(const json_t *body, intake_app *a, intake_problem *pb)
{
	static const char *const in_keys[]  = { "wages_fen", "business_fen",
		 "pensions_fen", "other_fen", NULL };
	static const char *const out_keys[] = { "medical_fen",
		"education_fen", "housing_fen", "employment_costs_fen", NULL };
	const json_t            *in = NULL, *out = NULL;
	const char              *pi = "declared_income.";
	const char              *po = "declared_expenditure.";

	return get_object(body, "declared_income", "declared_income", &in,
	           pb) &&
	    known_keys(in, in_keys, pi, pb) &&
	    get_fen(in, "wages_fen", pi, &a->wages_fen, pb) &&
	    get_fen(in, "business_fen", pi, &a->business_fen, pb) &&
	    get_fen(in, "pensions_fen", pi, &a->pensions_fen, pb) &&
	    get_fen(in, "other_fen", pi, &a->other_fen, pb) &&
	    get_object(body, "declared_expenditure", "declared_expenditure",
	        &out, pb) &&
	    known_keys(out, out_keys, po, pb) &&
	    get_fen(out, "medical_fen", po, &a->medical_fen, pb) &&
	    get_fen(out, "education_fen", po, &a->education_fen, pb) &&
	    get_fen(out, "housing_fen", po, &a->housing_fen, pb) &&
	    get_fen(out, "employment_costs_fen", po, &a->employment_costs_fen,
	        pb);
}

static bool
decode_consent_payee(const json_t *body, intake_app *a, intake_problem *pb)
{
	static const char *const ckeys[] = { "reference", "signed_date",
		NULL };
	static const char *const pkeys[] = { "bank_code", "account_number",
		"account_name", NULL };
	const json_t            *c = json_object_get(body, "consent");
	const json_t            *py = NULL;

	if (c != NULL && !json_is_null(c)) {
		if (!json_is_object(c))
			return bad_type(pb, "an object is required", "consent");
		a->has_consent = true;
		if (!known_keys(c, ckeys, "consent.", pb))
			return false;
		const json_t *ref = json_object_get(c, "reference");
		if (ref != NULL && !json_is_null(ref) && !json_is_string(ref))
			return bad_type(pb, "a string is required",
			    "consent.reference");
		a->consent_reference = json_string_value(ref);
		if (!get_string(c, "signed_date", "consent.",
		        &a->consent_signed_date, pb))
			return false;
	}
	return get_object(body, "payee", "payee", &py, pb) &&
	    known_keys(py, pkeys, "payee.", pb) &&
	    get_string(py, "bank_code", "payee.", &a->bank_code, pb) &&
	    get_string(py, "account_number", "payee.", &a->account_number,
	        pb) &&
	    get_string(py, "account_name", "payee.", &a->account_name, pb);
}

bool
intake_codec_decode(const json_t *body, intake_app *a, intake_problem *pb)
{
	static const char *const keys[] = { "household", "members",
		"declared_income", "declared_expenditure", "consent", "payee",
		"requested_category", NULL };

	memset(a, 0, sizeof(*a));
	memset(pb, 0, sizeof(*pb));
	if (!json_is_object(body))
		return bad_type(pb, "the application is a JSON object", "");
	if (!known_keys(body, keys, "", pb) || !decode_household(body, a, pb))
		return false;
	const json_t *ms = json_object_get(body, "members");
	if (!json_is_array(ms))
		return bad_type(pb, "an array is required", "members");
	if (json_array_size(ms) == 0 ||
	    json_array_size(ms) > INTAKE_MEMBERS_MAX)
		return intake_problem_set(pb, 422, "members_required",
		    "one to 30 members, the applicant first", "members");
	a->nmembers = json_array_size(ms);
	for (size_t i = 0; i < a->nmembers; i++)
		if (!decode_member(json_array_get(ms, i), i, &a->members[i], pb))
			return false;
	if (!decode_money(body, a, pb) || !decode_consent_payee(body, a, pb))
		return false;
	const json_t *cat = json_object_get(body, "requested_category");
	if (cat != NULL && !json_is_null(cat) &&
	    !(json_is_string(cat) &&
	        intake_rules_category_parse(json_string_value(cat),
	            &a->requested_category)))
		return intake_problem_set(pb, 422, "invalid_value",
		    "requested_category is \"tekun\", \"dibao\", "
		    "\"expenditure\" or \"low_income\"",
		    "requested_category");
	return true;
}

/* ---- protobuf out --------------------------------------------------- */

/* protobuf-c wants char *; it never writes through them when packing. */
static char *
s(const char *v)
{
	return (char *) (v != NULL ? v : "");
}

static sn_err
pack(const ProtobufCMessage *msg, uint8_t **out, size_t *len)
{
	size_t   n   = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(n > 0 ? n : 1);
	if (buf == NULL)
		return SN_ENOMEM;
	*len = protobuf_c_message_pack(msg, buf);
	*out = buf;
	return SN_OK;
}

sn_err
intake_codec_submitted(const intake_app *a, const intake_submitted_meta *meta,
    uint8_t **out, size_t *len)
{
	Sn__Assist__V1__ApplicationSubmitted ev = SN__ASSIST__V1__APPLICATION_SUBMITTED__INIT;
	Sn__Assist__V1__Household            h  = SN__ASSIST__V1__HOUSEHOLD__INIT;
	Sn__Assist__V1__Income               in = SN__ASSIST__V1__INCOME__INIT;
	Sn__Assist__V1__Expenditure          ex = SN__ASSIST__V1__EXPENDITURE__INIT;
	Sn__Assist__V1__Consent              c  = SN__ASSIST__V1__CONSENT__INIT;
	Sn__Assist__V1__PayeeAccount         py = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	Sn__Assist__V1__Member               ms[INTAKE_MEMBERS_MAX];
	Sn__Assist__V1__Member              *mp[INTAKE_MEMBERS_MAX];

	h.registration       = a->registration;
	h.district_code      = s(a->district_code);
	h.township_code      = s(a->township_code);
	h.village_code       = s(a->village_code);
	h.address            = s(a->address);
	h.has_able_supporter = a->has_able_supporter;
	for (size_t i = 0; i < a->nmembers && i < INTAKE_MEMBERS_MAX; i++) {
		const intake_member   *m  = &a->members[i];
		Sn__Assist__V1__Member mm = SN__ASSIST__V1__MEMBER__INIT;
		mm.id_number              = s(m->id_number);
		mm.name                   = s(m->name);
		mm.relation               = s(m->relation);
		mm.birth_date             = s(m->birth_date);
		mm.labour_capacity        = m->labour_capacity;
		mm.disability_grade       = (int32_t) m->disability_grade;
		mm.self_care              = m->self_care;
		ms[i]                     = mm;
		mp[i]                     = &ms[i];
	}
	in.wages_fen            = a->wages_fen;
	in.business_fen         = a->business_fen;
	in.pensions_fen         = a->pensions_fen;
	in.other_fen            = a->other_fen;
	ex.medical_fen          = a->medical_fen;
	ex.education_fen        = a->education_fen;
	ex.housing_fen          = a->housing_fen;
	ex.employment_costs_fen = a->employment_costs_fen;
	c.reference             = s(a->consent_reference);
	c.signed_date           = s(a->consent_signed_date);
	py.bank_code            = s(a->bank_code);
	py.account_number       = s(a->account_number);
	py.account_name         = s(a->account_name);

	ev.application_id       = s(meta->application_id);
	ev.accepted_date        = s(meta->accepted_date);
	ev.deadline_date        = s(meta->deadline_date);
	ev.household            = &h;
	ev.n_members            = a->nmembers;
	ev.members              = mp;
	ev.declared_income      = &in;
	ev.declared_expenditure = &ex;
	ev.consent              = &c;
	ev.payee                = &py;
	ev.requested_category   = a->requested_category;
	ev.taken_in_by          = s(meta->taken_in_by);
	ev.referral_id          = s(meta->referral_id);
	return pack(&ev.base, out, len);
}

sn_err
intake_codec_withdrawn(const char *application_id, const char *reason,
    const char *withdrawn_by, uint8_t **out, size_t *len)
{
	Sn__Assist__V1__ApplicationWithdrawn ev = SN__ASSIST__V1__APPLICATION_WITHDRAWN__INIT;

	ev.application_id = s(application_id);
	ev.reason         = s(reason);
	ev.withdrawn_by   = s(withdrawn_by);
	return pack(&ev.base, out, len);
}
