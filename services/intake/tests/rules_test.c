/*
 * intake.rules: the checks of intake/codec.h and intake/rules.h, with no
 * database (and intake_rules_referral: which referrals open a draft). A
 * fixture builder returns a passing application; each case of the table breaks
 * exactly one thing in it and names the answer expected (status, code, field).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "rules.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/clock.h"
#include "sn/idnum.h"
#include "sn/uuid.h"

/* A fixed "today": the rules take the date as an argument. */
static const sn_date TODAY = { 2025, 6, 10 };

/* A valid identity number of region 220103 born on yyyymmdd. */
static void
make_id(char out[19], int yyyymmdd, int seq)
{
	char first[48];
	snprintf(first, sizeof(first), "220103%08d%03d", yyyymmdd % 100000000,
	    seq % 1000);
	memcpy(out, first, 17);
	out[17] = sn_idnum_check_char(first);
	out[18] = '\0';
}

static sn_principal
clerk(const char *juris)
{
	sn_principal p;
	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "clerk1");
	snprintf(p.role, sizeof(p.role), "clerk");
	snprintf(p.juris, sizeof(p.juris), "%s", juris);
	return p;
}

/* The fixture: a three-person rural household that passes every check. */
static json_t *
fixture(void)
{
	char a[19], b[19], c[19];
	make_id(a, 19800512, 11);
	make_id(b, 19820301, 22);
	make_id(c, 20100720, 33);
	json_t *j = json_pack(
	    "{s:{s:s, s:s, s:s, s:s, s:s, s:b},"
	    " s:[{s:s, s:s, s:s, s:s, s:s, s:i, s:s},"
	    "    {s:s, s:s, s:s, s:s, s:s, s:i, s:s},"
	    "    {s:s, s:s, s:s, s:s, s:s, s:i, s:s}],"
	    " s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I},"
	    " s:{s:s, s:s}, s:{s:s, s:s, s:s}, s:s}",
	    "household", "registration", "rural", "district_code", "220103",
	    "township_code", "220103001", "village_code", "220103001002",
	    "address", "No. 3, East Lane", "has_able_supporter", 0, "members",
	    "id_number", a, "name", "Wang Fang", "relation", "self",
	    "birth_date", "1980-05-12", "labour_capacity", "partial",
	    "disability_grade", 0, "self_care", "able", "id_number", b, "name",
	    "Li Ming", "relation", "spouse", "birth_date", "1982-03-01",
	    "labour_capacity", "none", "disability_grade", 2, "self_care",
	    "partially_able", "id_number", c, "name", "Wang Xiao", "relation",
	    "child", "birth_date", "2010-07-20", "labour_capacity", "none",
	    "disability_grade", 0, "self_care", "able", "declared_income",
	    "wages_fen", (json_int_t) 120000, "business_fen", (json_int_t) 0,
	    "pensions_fen", (json_int_t) 0, "other_fen", (json_int_t) 5000,
	    "declared_expenditure", "medical_fen", (json_int_t) 30000,
	    "education_fen", (json_int_t) 8000, "housing_fen", (json_int_t) 0,
	    "employment_costs_fen", (json_int_t) 0, "consent", "reference",
	    "CONSENT-2025-0001", "signed_date", "2025-06-01", "payee",
	    "bank_code", "RCC", "account_number", "6230520000123456",
	    "account_name", "Wang Fang", "requested_category", "dibao");
	assert_non_null(j);
	return j;
}

/*
 * Sets (value JSON text) or deletes (value NULL) the member at path, a
 * dotted path with [n] indexes: "members[1].id_number".
 */
static void
set_path(json_t *root, const char *path, const char *value)
{
	char    buf[128];
	json_t *cur = root;
	snprintf(buf, sizeof(buf), "%s", path);
	char *seg = buf;
	for (;;) {
		char *dot = strchr(seg, '.');
		if (dot != NULL)
			*dot = '\0';
		char *br  = strchr(seg, '[');
		long  idx = -1;
		if (br != NULL) {
			idx = strtol(br + 1, NULL, 10);
			*br = '\0';
		}
		bool last = dot == NULL;
		if (last && idx < 0) {
			if (value == NULL) {
				json_object_del(cur, seg);
			} else {
				json_t *v
				    = json_loads(value, JSON_DECODE_ANY, NULL);
				assert_non_null(v);
				json_object_set_new(cur, seg, v);
			}
			return;
		}
		cur = json_object_get(cur, seg);
		if (idx >= 0) {
			if (last) {
				if (value == NULL) {
					json_array_remove(cur, (size_t) idx);
				} else {
					json_t *v = json_loads(
					    value, JSON_DECODE_ANY, NULL);
					assert_non_null(v);
					json_array_set_new(
					    cur, (size_t) idx, v);
				}
				return;
			}
			cur = json_array_get(cur, (size_t) idx);
		}
		assert_non_null(cur);
		seg = dot + 1;
	}
}

/* Decode and validate as the handler does. */
static bool
check(
    const json_t *body, const sn_principal *p, sn_problem *pb, intake_app *app)
{
	return intake_codec_decode(body, app, pb)
	    && intake_rules_validate(app, TODAY, p, pb);
}

static void
test_fixture_passes(void **state)
{
	(void) state;
	json_t      *j = fixture();
	sn_principal p = clerk("220103001");
	sn_problem   pb;
	intake_app   app;
	assert_true(check(j, &p, &pb, &app));
	assert_int_equal(app.nmembers, 3);
	assert_int_equal(app.registration,
	    SN__ASSIST__V1__REGISTRATION__REGISTRATION_RURAL);
	assert_int_equal(
	    app.requested_category, SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO);
	/* A district clerk reaches the village too; a clerk of the very
	 * village as well. */
	p = clerk("220103");
	assert_true(check(j, &p, &pb, &app));
	p = clerk("220103001002");
	assert_true(check(j, &p, &pb, &app));
	json_decref(j);
}

/* Variants that must still pass: each changes one optional thing. */
static void
test_variants_pass(void **state)
{
	(void) state;
	static const struct {
		const char *path, *value;
	} ok[] = {
		{ "requested_category", NULL },
		{ "requested_category", "null" },
		{ "requested_category", "\"tekun\"" },
		{ "requested_category", "\"low_income\"" },
		{ "household.registration", "\"urban\"" },
		{ "members[1].disability_grade", "4" },
		{ "declared_income.wages_fen", "0" },
		{ "consent.signed_date", "\"2025-06-10\"" }, /* today */
	};
	sn_principal p = clerk("220103001");
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		json_t    *j = fixture();
		sn_problem pb;
		intake_app app;
		set_path(j, ok[i].path, ok[i].value);
		if (!check(j, &p, &pb, &app))
			fail_msg("%s=%s refused: %s %s", ok[i].path,
			    ok[i].value ? ok[i].value : "(deleted)", pb.code,
			    pb.field);
		json_decref(j);
	}
}

/* A lowercase check character is normalised, not refused. */
static void
test_lowercase_x(void **state)
{
	(void) state;
	char id[19];
	int  seq = 0;
	do
		make_id(id, 19800512, ++seq);
	while (id[17] != 'X');
	char val[32];
	snprintf(val, sizeof(val), "\"%.17sx\"", id);
	json_t *j = fixture();
	set_path(j, "members[0].id_number", val);
	sn_principal p = clerk("220103001");
	sn_problem   pb;
	intake_app   app;
	assert_true(check(j, &p, &pb, &app));
	assert_string_equal(app.members[0].id_number, id);
	json_decref(j);
}

struct bad {
	const char *path;
	const char *value; /* JSON text; NULL deletes */
	unsigned    status;
	const char *code;
	const char *field;
};

static void
run_bad(const struct bad *cases, size_t n)
{
	sn_principal p = clerk("220103001");
	for (size_t i = 0; i < n; i++) {
		json_t    *j = fixture();
		sn_problem pb;
		intake_app app;
		set_path(j, cases[i].path, cases[i].value);
		bool ok = check(j, &p, &pb, &app);
		if (ok)
			fail_msg("%s=%s passed; want %s", cases[i].path,
			    cases[i].value ? cases[i].value : "(deleted)",
			    cases[i].code);
		if (pb.status != cases[i].status
		    || strcmp(pb.code, cases[i].code) != 0
		    || strcmp(pb.field, cases[i].field) != 0)
			fail_msg("%s=%s: got %u %s %s, want %u %s %s",
			    cases[i].path,
			    cases[i].value ? cases[i].value : "(deleted)",
			    pb.status, pb.code, pb.field, cases[i].status,
			    cases[i].code, cases[i].field);
		json_decref(j);
	}
}

static void
test_rejections(void **state)
{
	(void) state;
	char id0[19], wrong[19], future[19], q_wrong[24], q_future[24],
	    q_dup[24];
	make_id(id0, 19800512, 11);
	make_id(wrong, 19800512, 11);
	wrong[17] = wrong[17] == '0' ? '1' : '0';
	make_id(future, 20300101, 11);
	snprintf(q_wrong, sizeof(q_wrong), "\"%s\"", wrong);
	snprintf(q_future, sizeof(q_future), "\"%s\"", future);
	snprintf(q_dup, sizeof(q_dup), "\"%s\"", id0);
	char long_name[140];
	long_name[0] = '"';
	memset(long_name + 1, 'a', 101);
	snprintf(long_name + 102, sizeof(long_name) - 102, "\"");

	const struct bad cases[] = {
		/* identity numbers */
		{ "members[0].id_number", q_wrong, 422, "invalid_id_number",
		    "members[0].id_number" },
		{ "members[1].id_number", "\"22010319800512\"", 422,
		    "invalid_id_number", "members[1].id_number" },
		{ "members[1].id_number", q_future, 422, "invalid_id_number",
		    "members[1].id_number" },
		{ "members[2].id_number", "12", 422, "invalid_field",
		    "members[2].id_number" },
		{ "members[1].birth_date", "\"1982-03-02\"", 422,
		    "birth_date_mismatch", "members[1].birth_date" },
		{ "members[1].birth_date", "\"1982-02-30\"", 422,
		    "invalid_date", "members[1].birth_date" },
		{ "members[1].birth_date", "\"01/03/1982\"", 422,
		    "invalid_date", "members[1].birth_date" },
		/* the same person twice */
		{ "members[2].id_number", q_dup, 422, "duplicate_member",
		    "members[2].id_number" },
		/* relations */
		{ "members[0].relation", "\"spouse\"", 422, "applicant_first",
		    "members[0].relation" },
		{ "members[2].relation", "\"self\"", 422, "applicant_first",
		    "members[2].relation" },
		{ "members", "[]", 422, "members_required", "members" },
		{ "members", NULL, 422, "invalid_field", "members" },
		/* other member fields */
		{ "members[1].name", "\"\"", 422, "invalid_field",
		    "members[1].name" },
		{ "members[1].name", long_name, 422, "too_long",
		    "members[1].name" },
		{ "members[1].labour_capacity", "\"some\"", 422,
		    "invalid_value", "members[1].labour_capacity" },
		{ "members[1].self_care", "\"fine\"", 422, "invalid_value",
		    "members[1].self_care" },
		{ "members[1].disability_grade", "5", 422, "invalid_value",
		    "members[1].disability_grade" },
		{ "members[1].disability_grade", "-1", 422, "invalid_value",
		    "members[1].disability_grade" },
		{ "members[1].disability_grade", "\"2\"", 422, "invalid_field",
		    "members[1].disability_grade" },
		{ "members[1].phone", "\"123\"", 422, "unknown_field",
		    "members[1].phone" },
		/* the household and its codes */
		{ "household.registration", "\"city\"", 422, "invalid_value",
		    "household.registration" },
		{ "household.township_code", "\"220104001\"", 403,
		    "codes_do_not_nest", "household.township_code" },
		{ "household.village_code", "\"220103002001\"", 403,
		    "codes_do_not_nest", "household.village_code" },
		{ "household.village_code", "\"22010300100\"", 422,
		    "invalid_code", "household.village_code" },
		{ "household.district_code", "\"22O103\"", 422, "invalid_code",
		    "household.district_code" },
		{ "household.address", "\"\"", 422, "invalid_field",
		    "household.address" },
		{ "household.has_able_supporter", "\"no\"", 422,
		    "invalid_field", "household.has_able_supporter" },
		{ "household.street", "\"x\"", 422, "unknown_field",
		    "household.street" },
		{ "household", NULL, 422, "invalid_field", "household" },
		/* money */
		{ "declared_income.wages_fen", "-1", 422, "invalid_money",
		    "declared_income.wages_fen" },
		{ "declared_expenditure.housing_fen", "-100", 422,
		    "invalid_money", "declared_expenditure.housing_fen" },
		{ "declared_income.other_fen", "12.5", 422, "invalid_money",
		    "declared_income.other_fen" },
		{ "declared_income.other_fen", "100.0", 422, "invalid_money",
		    "declared_income.other_fen" },
		{ "declared_income.pensions_fen", "\"100\"", 422,
		    "invalid_money", "declared_income.pensions_fen" },
		{ "declared_expenditure.medical_fen", NULL, 422,
		    "invalid_money", "declared_expenditure.medical_fen" },
		{ "declared_income.other_fen", "9223372036854775807", 422,
		    "invalid_money", "declared_income.other_fen" },
		{ "declared_income.wage", "1", 422, "unknown_field",
		    "declared_income.wage" },
		/* consent: without it no agency may be asked */
		{ "consent", NULL, 422, "consent_required", "consent" },
		{ "consent", "null", 422, "consent_required", "consent" },
		{ "consent.reference", "\"\"", 422, "consent_required",
		    "consent.reference" },
		{ "consent.reference", NULL, 422, "consent_required",
		    "consent.reference" },
		{ "consent.signed_date", "\"2025-06-11\"", 422, "invalid_date",
		    "consent.signed_date" },
		{ "consent.signed_date", NULL, 422, "invalid_field",
		    "consent.signed_date" },
		{ "consent.signed_date", "\"1899-12-31\"", 422, "invalid_date",
		    "consent.signed_date" },
		/* payee */
		{ "payee.account_number", "\"6230-5200\"", 422,
		    "invalid_value", "payee.account_number" },
		{ "payee.account_number", "\"1234567\"", 422, "invalid_value",
		    "payee.account_number" },
		{ "payee.bank_code", "\"\"", 422, "invalid_field",
		    "payee.bank_code" },
		{ "payee.account_name", "\"\"", 422, "invalid_field",
		    "payee.account_name" },
		{ "payee", NULL, 422, "invalid_field", "payee" },
		/* the rest */
		{ "requested_category", "\"emergency\"", 422, "invalid_value",
		    "requested_category" },
		{ "requested_category", "2", 422, "invalid_value",
		    "requested_category" },
		{ "applicant_phone", "\"1\"", 422, "unknown_field",
		    "applicant_phone" },
	};
	run_bad(cases, sizeof(cases) / sizeof(cases[0]));
}

/* The sum of the declared incomes overflowing int64 is refused. */
static void
test_money_overflow(void **state)
{
	(void) state;
	json_t *j = fixture();
	set_path(j, "declared_income.wages_fen", "9223372036854775000");
	set_path(j, "declared_income.other_fen", "1000");
	sn_principal p = clerk("220103001");
	sn_problem   pb;
	intake_app   app;
	assert_false(check(j, &p, &pb, &app));
	assert_string_equal(pb.code, "invalid_money");
	assert_string_equal(pb.field, "declared_income.other_fen");
	json_decref(j);
}

/* A household outside the caller's jurisdiction is a 403. */
static void
test_outside_jurisdiction(void **state)
{
	(void) state;
	static const char *const juris[]
	    = { "220103002", "220104", "220103001003" };
	for (size_t i = 0; i < 3; i++) {
		json_t      *j = fixture();
		sn_principal p = clerk(juris[i]);
		sn_problem   pb;
		intake_app   app;
		assert_false(check(j, &p, &pb, &app));
		assert_int_equal(pb.status, 403);
		assert_string_equal(pb.code, "outside_jurisdiction");
		assert_string_equal(pb.field, "household.village_code");
		json_decref(j);
	}
}

static void
test_too_many_members(void **state)
{
	(void) state;
	json_t *j  = fixture();
	json_t *ms = json_object_get(j, "members");
	for (int i = 3; i <= INTAKE_MEMBERS_MAX; i++) {
		char id[19], bd[11];
		make_id(id, 20000101, 100 + i);
		snprintf(bd, sizeof(bd), "2000-01-01");
		json_array_append_new(ms,
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s}",
		        "id_number", id, "name", "n", "relation", "child",
		        "birth_date", bd, "labour_capacity", "none",
		        "disability_grade", 0, "self_care", "able"));
	}
	sn_principal p = clerk("220103001");
	sn_problem   pb;
	intake_app   app;
	assert_false(check(j, &p, &pb, &app));
	assert_string_equal(pb.code, "members_required");
	/* 30 exactly passes. */
	json_array_remove(ms, json_array_size(ms) - 1);
	assert_true(check(j, &p, &pb, &app));
	json_decref(j);
}

/* The dates intake computes, through sn/date.h and the deadline of
 * sn/clock.h (accepted + 15 days). */
static void
test_dates(void **state)
{
	(void) state;
	static const struct {
		int from, days, want;
	} t[] = {
		{ 20250610, 15, 20250625 },
		{ 20250620, 15, 20250705 },
		{ 20251225, 15, 20260109 },
		{ 20240220, 15, 20240306 }, /* leap year */
		{ 20250220, 15, 20250307 },
		{ 20240229, 1, 20240301 },
		{ 20000228, 1, 20000229 }, /* 2000 is leap */
		{ 21000228, 1, 21000301 }, /* 2100 is not */
		{ 20250101, -1, 20241231 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sn_date from = { t[i].from / 10000, t[i].from / 100 % 100,
			t[i].from % 100 };
		assert_int_equal(
		    sn_date_yyyymmdd(sn_date_add_days(from, t[i].days)),
		    t[i].want);
		if (t[i].days == SN_CLOCK_CASE_DAYS)
			assert_int_equal(sn_date_yyyymmdd(sn_clock_deadline(
			                     from, SN_CLOCK_CASE_DAYS)),
			    t[i].want);
	}
	char buf[SN_DATE_STRLEN];
	assert_string_equal(
	    sn_date_format((sn_date) { 2026, 1, 9 }, buf), "2026-01-09");
	sn_date d = { 0, 0, 0 };
	assert_int_equal(sn_date_parse("2024-02-29", &d), SN_OK);
	assert_int_equal(sn_date_yyyymmdd(d), 20240229);
	assert_int_not_equal(sn_date_parse("2025-02-29", &d), SN_OK);
	assert_int_not_equal(sn_date_parse("2025-13-01", &d), SN_OK);
	assert_int_not_equal(sn_date_parse("2025-1-01", &d), SN_OK);
	/* Dates before 1900 are refused by the rules (see
	 * test_rejections: consent.signed_date 1899-12-31). */
}

static void
test_uuid_and_reason(void **state)
{
	(void) state;
	assert_true(sn_uuid_valid("0f8fad5b-d9cb-469f-a165-70867728950e"));
	assert_true(sn_uuid_valid("0F8FAD5B-D9CB-469F-A165-70867728950E"));
	assert_false(sn_uuid_valid("0f8fad5b-d9cb-469f-a165-70867728950"));
	assert_false(sn_uuid_valid("0f8fad5bxd9cb-469f-a165-70867728950e"));
	assert_false(sn_uuid_valid("0f8fad5b-d9cb-469f-a165-70867728950g"));
	assert_false(sn_uuid_valid("1; DROP TABLE application"));
	assert_true(intake_rules_reason_valid("moved away"));
	assert_false(intake_rules_reason_valid(""));
	assert_false(intake_rules_reason_valid(NULL));
}

/* The ApplicationSubmitted of app and meta, packed (malloc'd). */
static uint8_t *
packed_submitted(
    const intake_app *app, const intake_submitted_meta *meta, size_t *len)
{
	static intake_submitted_pb pb;
	const ProtobufCMessage    *m = intake_codec_submitted(app, meta, &pb);
	uint8_t *buf = malloc(protobuf_c_message_get_packed_size(m) + 1);
	assert_non_null(buf);
	*len = protobuf_c_message_pack(m, buf);
	return buf;
}

/* The event carries everything that was taken in. */
static void
test_event_round_trip(void **state)
{
	(void) state;
	json_t      *j = fixture();
	sn_principal p = clerk("220103001");
	sn_problem   pb;
	intake_app   app;
	assert_true(check(j, &p, &pb, &app));
	intake_submitted_meta meta
	    = { .application_id      = "0f8fad5b-d9cb-469f-a165-70867728950e",
		      .accepted_date = "2025-06-10",
		      .deadline_date = "2025-06-25",
		      .taken_in_by   = "clerk1" };
	size_t   len;
	uint8_t *data = packed_submitted(&app, &meta, &len);
	Sn__Assist__V1__ApplicationSubmitted *ev
	    = sn__assist__v1__application_submitted__unpack(NULL, len, data);
	assert_non_null(ev);
	assert_string_equal(ev->application_id, meta.application_id);
	assert_string_equal(ev->accepted_date, "2025-06-10");
	assert_string_equal(ev->deadline_date, "2025-06-25");
	assert_string_equal(ev->taken_in_by, "clerk1");
	assert_int_equal(ev->household->registration,
	    SN__ASSIST__V1__REGISTRATION__REGISTRATION_RURAL);
	assert_string_equal(ev->household->village_code, "220103001002");
	assert_string_equal(ev->household->address, "No. 3, East Lane");
	assert_int_equal(ev->n_members, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(
		    ev->members[i]->id_number, app.members[i].id_number);
		assert_string_equal(ev->members[i]->name, app.members[i].name);
		assert_string_equal(
		    ev->members[i]->birth_date, app.members[i].birth_date);
	}
	assert_int_equal(ev->members[1]->disability_grade, 2);
	assert_int_equal(ev->members[1]->self_care,
	    SN__ASSIST__V1__SELF_CARE__SELF_CARE_PARTIALLY_ABLE);
	assert_int_equal(ev->members[1]->labour_capacity,
	    SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_NONE);
	assert_int_equal(ev->declared_income->wages_fen, 120000);
	assert_int_equal(ev->declared_income->other_fen, 5000);
	assert_int_equal(ev->declared_expenditure->medical_fen, 30000);
	assert_int_equal(ev->declared_expenditure->education_fen, 8000);
	assert_string_equal(ev->consent->reference, "CONSENT-2025-0001");
	assert_string_equal(ev->consent->signed_date, "2025-06-01");
	assert_string_equal(ev->payee->account_number, "6230520000123456");
	assert_int_equal(
	    ev->requested_category, SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO);
	sn__assist__v1__application_submitted__free_unpacked(ev, NULL);
	free(data);
	json_decref(j);
}

/* ---- referrals (issue 4) -------------------------------------------- */

/* The referral fixture: a dibao referral that opens a draft. Strings
 * point at static storage or at the caller's id and payee. */
static Sn__Assist__V1__ReferralCreated
referral(char id[19], Sn__Assist__V1__PayeeAccount *py)
{
	Sn__Assist__V1__ReferralCreated r
	    = SN__ASSIST__V1__REFERRAL_CREATED__INIT;
	Sn__Assist__V1__PayeeAccount p = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	make_id(id, 19750304, 41);
	*py                = p;
	py->bank_code      = "ICBC";
	py->account_number = "6222020200998877665";
	py->account_name   = "\xe5\xbc\xa0\xe4\xb8\x89";
	r.referral_id      = "ref-1";
	r.grant_id         = "grant-1";
	r.kind           = SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_DIBAO;
	r.id_number      = id;
	r.name           = "\xe5\xbc\xa0\xe4\xb8\x89";
	r.district_code  = "220103";
	r.township_code  = "220103001";
	r.village_code   = "220103001002";
	r.household_size = 4;
	r.payee          = py;
	r.note           = "fire";
	r.created_by     = "officer-1";
	return r;
}

static intake_referral_verdict
verdict(const Sn__Assist__V1__ReferralCreated *r, intake_draft *d)
{
	const char             *why = NULL;
	intake_referral_verdict v   = intake_rules_referral(r, TODAY, d, &why);
	assert_true((v == INTAKE_REFERRAL_BAD) == (why != NULL));
	return v;
}

/* The fixture opens a draft prefilled from it. */
static void
test_referral_draft(void **state)
{
	(void) state;
	char                            id[19];
	Sn__Assist__V1__PayeeAccount    py;
	Sn__Assist__V1__ReferralCreated r = referral(id, &py);
	intake_draft                    d;

	assert_int_equal(verdict(&r, &d), INTAKE_REFERRAL_DRAFT);
	assert_int_equal(d.category, SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO);
	assert_string_equal(d.referral_id, "ref-1");
	assert_string_equal(d.grant_id, "grant-1");
	assert_string_equal(d.created_by, "officer-1");
	assert_string_equal(d.district_code, "220103");
	assert_string_equal(d.township_code, "220103001");
	assert_string_equal(d.village_code, "220103001002");
	assert_string_equal(d.id_number, id);
	assert_string_equal(d.birth_date, "1975-03-04");
	assert_string_equal(d.name, "\xe5\xbc\xa0\xe4\xb8\x89");
	assert_int_equal(d.household_size, 4);
	assert_string_equal(d.note, "household size: 4");
	assert_string_equal(d.bank_code, "ICBC");
	assert_string_equal(d.account_number, "6222020200998877665");
	assert_string_equal(d.referral_note, "fire");

	/* tekun; district derived; a lowercase x; no size; no payee. */
	r.kind           = SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_TEKUN;
	r.district_code  = "";
	r.household_size = 0;
	r.payee          = NULL;
	char lower[19];
	int  seq = 41;
	do { /* an id whose check character is X */
		make_id(lower, 19750304, ++seq);
	} while (lower[17] != 'X');
	lower[17]   = 'x';
	r.id_number = lower;
	assert_int_equal(verdict(&r, &d), INTAKE_REFERRAL_DRAFT);
	assert_int_equal(d.category, SN__ASSIST__V1__CATEGORY__CATEGORY_TEKUN);
	assert_string_equal(d.district_code, "220103");
	assert_int_equal(d.id_number[17], 'X');
	assert_string_equal(d.note, "");
	assert_null(d.bank_code);
	assert_null(d.account_number);
	assert_null(d.account_name);
	/* A note over several lines is free text. */
	r.note = "house fire;\n\tfamily with neighbours\r\n";
	assert_int_equal(verdict(&r, &d), INTAKE_REFERRAL_DRAFT);
	assert_string_equal(d.referral_note, r.note);
	/* A payee of empty strings is none. */
	Sn__Assist__V1__PayeeAccount empty
	    = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	r.payee = &empty;
	assert_int_equal(verdict(&r, &d), INTAKE_REFERRAL_DRAFT);
	assert_null(d.bank_code);
}

/* Other departments' kinds are not intake's; a missing kind is bad. */
static void
test_referral_kinds(void **state)
{
	(void) state;
	char                               id[19];
	Sn__Assist__V1__PayeeAccount       py;
	Sn__Assist__V1__ReferralCreated    r = referral(id, &py);
	intake_draft                       d;
	const Sn__Assist__V1__ReferralKind other[] = {
		SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_MEDICAL,
		SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_HOUSING,
		SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_EDUCATION,
		SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_EMPLOYMENT,
		(Sn__Assist__V1__ReferralKind) 99,
	};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		r.kind = other[i];
		assert_int_equal(verdict(&r, &d), INTAKE_REFERRAL_OTHER);
	}
	/* Not even a broken id number matters for another department. */
	r.id_number = "x";
	assert_int_equal(verdict(&r, &d), INTAKE_REFERRAL_OTHER);
	r.kind = SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_UNSPECIFIED;
	assert_int_equal(verdict(&r, &d), INTAKE_REFERRAL_BAD);
	assert_int_equal(
	    intake_rules_referral(NULL, TODAY, &d, &(const char *) { NULL }),
	    INTAKE_REFERRAL_BAD);
}

/* Each case breaks exactly one thing of the fixture: no draft. */
static void
test_referral_rejections(void **state)
{
	(void) state;
	static char long_id[80], long_name[INTAKE_NAME_MAX + 2],
	    long_note[INTAKE_REFERRAL_NOTE_MAX + 2];
	memset(long_id, 'a', sizeof(long_id) - 1);
	memset(long_name, 'n', sizeof(long_name) - 1);
	memset(long_note, 'o', sizeof(long_note) - 1);
	enum {
		REF_ID,
		REF_ID_SPACE,
		REF_ID_LONG,
		GRANT_LONG,
		BY_BAD_UTF8,
		ID_CHECK,
		ID_SHORT,
		ID_FUTURE,
		NAME_EMPTY,
		NAME_LONG,
		NAME_BAD_UTF8,
		TOWNSHIP_SHORT,
		TOWNSHIP_LETTER,
		VILLAGE_OUTSIDE,
		VILLAGE_SHORT,
		DISTRICT_OTHER,
		DISTRICT_SHORT,
		SIZE_NEG,
		SIZE_BIG,
		PAYEE_LONG,
		PAYEE_BAD_UTF8,
		NOTE_LONG,
		NOTE_BAD_UTF8,
		NAME_CONTROL,
		NAME_NEWLINE,
		NAME_C1,
		PAYEE_CONTROL,
		NOTE_CONTROL,
		BY_CONTROL,
		NCASES
	};
	for (int c = 0; c < NCASES; c++) {
		char                            id[19], future[19];
		Sn__Assist__V1__PayeeAccount    py;
		Sn__Assist__V1__ReferralCreated r = referral(id, &py);
		intake_draft                    d;
		switch (c) {
		case REF_ID:
			r.referral_id = "";
			break;
		case REF_ID_SPACE:
			r.referral_id = "ref 1";
			break;
		case REF_ID_LONG:
			r.referral_id = long_id;
			break;
		case GRANT_LONG:
			r.grant_id = long_id;
			break;
		case BY_BAD_UTF8:
			r.created_by = "of\xc3\x28";
			break;
		case ID_CHECK:
			id[17] = id[17] == '0' ? '1' : '0';
			break;
		case ID_SHORT:
			id[16] = '\0';
			break;
		case ID_FUTURE:
			make_id(future, 20250611, 7);
			r.id_number = future;
			break;
		case NAME_EMPTY:
			r.name = "";
			break;
		case NAME_LONG:
			r.name = long_name;
			break;
		case NAME_BAD_UTF8:
			r.name = "\xed\xa0\x80";
			break;
		case TOWNSHIP_SHORT:
			r.township_code = "22010300";
			break;
		case TOWNSHIP_LETTER:
			r.township_code = "22010300a";
			break;
		case VILLAGE_OUTSIDE:
			r.village_code = "220103002002";
			break;
		case VILLAGE_SHORT:
			r.village_code = "22010300100";
			break;
		case DISTRICT_OTHER:
			r.district_code = "220104";
			break;
		case DISTRICT_SHORT:
			r.district_code = "2201";
			break;
		case SIZE_NEG:
			r.household_size = -1;
			break;
		case SIZE_BIG:
			r.household_size = INTAKE_HOUSEHOLD_SIZE_MAX + 1;
			break;
		case PAYEE_LONG:
			py.account_number = long_id;
			break;
		case PAYEE_BAD_UTF8:
			py.account_name = "\xff";
			break;
		case NOTE_LONG:
			r.note = long_note;
			break;
		case NOTE_BAD_UTF8:
			r.note = "\xe5\xbc";
			break;
		case NAME_CONTROL:
			r.name = "Wang\x01"
			         "Fang";
			break;
		case NAME_NEWLINE:
			r.name = "Wang\nFang";
			break;
		case NAME_C1:
			r.name = "Wang\xc2\x85";
			break;
		case PAYEE_CONTROL:
			py.account_name = "Wang\x01";
			break;
		case NOTE_CONTROL:
			r.note = "fire\x1b[31m";
			break;
		case BY_CONTROL:
			r.created_by = "officer\x7f";
			break;
		}
		if (verdict(&r, &d) != INTAKE_REFERRAL_BAD)
			fail_msg("case %d was not refused", c);
	}
}

static void
test_utf8(void **state)
{
	(void) state;
	assert_true(intake_rules_utf8_valid(""));
	assert_true(intake_rules_utf8_valid("plain"));
	assert_true(intake_rules_utf8_valid("\xe5\xbc\xa0\xe4\xb8\x89"));
	assert_true(intake_rules_utf8_valid("\xc2\xa9 \xf0\x9f\x98\x80"));
	assert_false(intake_rules_utf8_valid(NULL));
	assert_false(intake_rules_utf8_valid("\x80"));         /* lone tail */
	assert_false(intake_rules_utf8_valid("\xc0\xaf"));     /* overlong */
	assert_false(intake_rules_utf8_valid("\xe0\x80\xaf")); /* overlong */
	assert_false(intake_rules_utf8_valid("\xed\xa0\x80")); /* surrogate */
	assert_false(
	    intake_rules_utf8_valid("\xf4\x90\x80\x80"));  /* >10FFFF */
	assert_false(intake_rules_utf8_valid("\xe5\xbc")); /* truncated */
	assert_false(intake_rules_utf8_valid("\xfe"));
}

/* A completed draft's event carries its referral id. */
static void
test_event_referral_id(void **state)
{
	(void) state;
	json_t      *j = fixture();
	sn_principal p = clerk("220103001");
	sn_problem   pb;
	intake_app   app;
	assert_true(check(j, &p, &pb, &app));
	intake_submitted_meta meta
	    = { .application_id      = "0f8fad5b-d9cb-469f-a165-70867728950e",
		      .accepted_date = "2025-06-10",
		      .deadline_date = "2025-06-25",
		      .taken_in_by   = "clerk1",
		      .referral_id   = "ref-1" };
	size_t   len;
	uint8_t *data = packed_submitted(&app, &meta, &len);
	Sn__Assist__V1__ApplicationSubmitted *ev
	    = sn__assist__v1__application_submitted__unpack(NULL, len, data);
	assert_non_null(ev);
	assert_string_equal(ev->referral_id, "ref-1");
	sn__assist__v1__application_submitted__free_unpacked(ev, NULL);
	free(data);
	json_decref(j);
}

/* ---- issue 8: stricter input ---------------------------------------- */

/* Nulls, control characters and unknown members, nested ones too. */
static void
test_strict_input(void **state)
{
	(void) state;
	const struct bad cases[] = {
		{ "members[0].name", "\"Wang\\u0001Fang\"", 422,
		    "invalid_characters", "members[0].name" },
		{ "members[1].name", "\"Li\\u007fMing\"", 422,
		    "invalid_characters", "members[1].name" },
		{ "members[1].name", "\"Li\\u009bMing\"", 422,
		    "invalid_characters", "members[1].name" },
		{ "members[1].name", "\"Li\\tMing\"", 422,
		    "invalid_characters", "members[1].name" },
		{ "members[1].relation", "\"spouse\\n\"", 422,
		    "invalid_characters", "members[1].relation" },
		{ "household.address", "\"No. 3\\r\\nEast Lane\"", 422,
		    "invalid_characters", "household.address" },
		{ "payee.account_name", "\"Wang\\u0001\"", 422,
		    "invalid_characters", "payee.account_name" },
		{ "consent.reference", "\"C\\u0002\"", 422,
		    "invalid_characters", "consent.reference" },
		{ "members[1].name", "null", 422, "invalid_type",
		    "members[1].name" },
		{ "members[0].id_number", "null", 422, "invalid_type",
		    "members[0].id_number" },
		{ "members[0].disability_grade", "null", 422, "invalid_type",
		    "members[0].disability_grade" },
		{ "members[1]", "null", 422, "invalid_type", "members[1]" },
		{ "members", "null", 422, "invalid_type", "members" },
		{ "household", "null", 422, "invalid_type", "household" },
		{ "household.address", "null", 422, "invalid_type",
		    "household.address" },
		{ "household.has_able_supporter", "null", 422, "invalid_type",
		    "household.has_able_supporter" },
		{ "declared_income.wages_fen", "null", 422, "invalid_type",
		    "declared_income.wages_fen" },
		{ "declared_expenditure", "null", 422, "invalid_type",
		    "declared_expenditure" },
		{ "consent.reference", "null", 422, "invalid_type",
		    "consent.reference" },
		{ "consent.signed_date", "null", 422, "invalid_type",
		    "consent.signed_date" },
		{ "payee.bank_code", "null", 422, "invalid_type",
		    "payee.bank_code" },
		{ "consent.witness", "\"x\"", 422, "unknown_field",
		    "consent.witness" },
		{ "payee.iban", "\"x\"", 422, "unknown_field", "payee.iban" },
		{ "declared_expenditure.rent_fen", "1", 422, "unknown_field",
		    "declared_expenditure.rent_fen" },
	};
	run_bad(cases, sizeof(cases) / sizeof(cases[0]));
}

/* The withdrawal's body: {"reason"} and nothing else. */
static void
test_withdrawal_body(void **state)
{
	(void) state;
	static const struct {
		const char *body;
		const char *code, *field; /* NULL: accepted */
		const char *reason;
	} t[] = {
		{ "{\"reason\":\"moved away\"}", NULL, NULL, "moved away" },
		{ "{\"reason\":\"moved\\naway\\tfor good\\r\\n\"}", NULL, NULL,
		    "moved\naway\tfor good\r\n" },
		{ "{}", "invalid_field", "reason", NULL },
		{ "{\"reason\":\"\"}", "invalid_field", "reason", NULL },
		{ "{\"reason\":5}", "invalid_field", "reason", NULL },
		{ "[]", "invalid_field", "reason", NULL },
		{ "{\"reason\":null}", "invalid_type", "reason", NULL },
		{ "{\"reason\":\"x\",\"extra\":1}", "unknown_field", "extra",
		    NULL },
		{ "{\"extra\":1}", "unknown_field", "extra", NULL },
		{ "{\"reason\":\"a\\u0001b\"}", "invalid_characters", "reason",
		    NULL },
		{ "{\"reason\":\"a\\u001bb\"}", "invalid_characters", "reason",
		    NULL },
		{ "{\"reason\":\"a\\u0085b\"}", "invalid_characters", "reason",
		    NULL },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *j = json_loads(t[i].body, JSON_DECODE_ANY, NULL);
		assert_non_null(j);
		const char *reason = NULL;
		sn_problem  p;
		bool        ok = intake_codec_withdrawal(j, &reason, &p);
		if (t[i].code == NULL) {
			if (!ok)
				fail_msg("%s refused: %s", t[i].body, p.code);
			assert_string_equal(reason, t[i].reason);
		} else {
			if (ok)
				fail_msg("%s accepted", t[i].body);
			assert_int_equal(p.status, 422);
			assert_string_equal(p.code, t[i].code);
			assert_string_equal(p.field, t[i].field);
		}
		json_decref(j);
	}
	/* 500 bytes pass, 501 do not. */
	char        r[INTAKE_REASON_MAX + 2];
	sn_problem  p;
	const char *reason;
	for (int n = INTAKE_REASON_MAX; n <= INTAKE_REASON_MAX + 1; n++) {
		memset(r, 'r', (size_t) n);
		r[n]      = '\0';
		json_t *j = json_pack("{s:s}", "reason", r);
		assert_int_equal(intake_codec_withdrawal(j, &reason, &p),
		    n == INTAKE_REASON_MAX);
		json_decref(j);
	}
}

/* ---- decisions on what is stored ------------------------------------ */

static intake_current
draft_row(void)
{
	intake_current c;
	memset(&c, 0, sizeof(c));
	c.status          = INTAKE_STATUS_DRAFT;
	c.village_code    = "220103001002";
	c.has_referral_id = true;
	c.referral_id     = "ref-1";
	c.has_applicant   = true;
	c.has_category    = true;
	c.category        = SN__ASSIST__V1__CATEGORY__CATEGORY_TEKUN;
	return c;
}

/* Completing a draft: where, which status, the referred person, and the
 * category kept when the body names none. */
static void
test_draft_submit(void **state)
{
	(void) state;
	json_t      *j = fixture();
	sn_principal p = clerk("220103001");
	sn_problem   pb;
	intake_app   app;
	assert_true(check(j, &p, &pb, &app));
	char applicant[19], stranger[19];
	memcpy(applicant, app.members[1].id_number, 19);
	make_id(stranger, 19700101, 99);

	enum {
		OK,
		OUTSIDE,
		NOT_DRAFT,
		MISSING,
		NO_APPLICANT,
		KEEP_CATEGORY,
		NO_CATEGORY,
		NCASES
	};
	for (int k = 0; k < NCASES; k++) {
		intake_current           c      = draft_row();
		sn_principal             who    = p;
		intake_app               a      = app;
		Sn__Assist__V1__Category want   = app.requested_category;
		unsigned                 status = 0;
		const char              *code   = NULL;
		c.applicant_id_number           = applicant;
		switch (k) {
		case OK:
			break;
		case OUTSIDE:
			who    = clerk("220103002");
			status = 403, code = "outside_jurisdiction";
			break;
		case NOT_DRAFT:
			c.status = INTAKE_STATUS_OPEN;
			status = 409, code = "not_draft";
			break;
		case MISSING:
			c.applicant_id_number = stranger;
			status = 422, code = "referred_person_missing";
			break;
		case NO_APPLICANT:
			c.has_applicant       = false;
			c.applicant_id_number = NULL;
			break;
		case KEEP_CATEGORY:
			a.requested_category
			    = SN__ASSIST__V1__CATEGORY__CATEGORY_UNSPECIFIED;
			want = SN__ASSIST__V1__CATEGORY__CATEGORY_TEKUN;
			break;
		case NO_CATEGORY:
			a.requested_category
			    = SN__ASSIST__V1__CATEGORY__CATEGORY_UNSPECIFIED;
			c.has_category = false;
			want = SN__ASSIST__V1__CATEGORY__CATEGORY_UNSPECIFIED;
			break;
		}
		Sn__Assist__V1__Category got = (Sn__Assist__V1__Category) -1;
		bool ok = intake_rules_draft_submit(&c, &who, &a, &got, &pb);
		if (code == NULL) {
			if (!ok)
				fail_msg("case %d refused: %s", k, pb.code);
			assert_int_equal(got, want);
		} else {
			if (ok)
				fail_msg("case %d accepted", k);
			assert_int_equal(pb.status, status);
			assert_string_equal(pb.code, code);
		}
	}
	/* The field and message of two refusals. */
	intake_current c      = draft_row();
	c.applicant_id_number = stranger;
	assert_false(intake_rules_draft_submit(
	    &c, &p, &app, &app.requested_category, &pb));
	assert_string_equal(pb.field, "members");
	c                     = draft_row();
	c.status              = INTAKE_STATUS_WITHDRAWN;
	c.applicant_id_number = applicant;
	assert_false(intake_rules_draft_submit(
	    &c, &p, &app, &app.requested_category, &pb));
	assert_string_equal(
	    pb.message, "the application is withdrawn, not a draft");
	json_decref(j);
}

/* Withdrawing: only an open application, only within the jurisdiction. */
static void
test_withdraw(void **state)
{
	(void) state;
	static const struct {
		intake_status status;
		const char   *juris;
		unsigned      want_status;
		const char   *code, *message;
	} t[] = {
		{ INTAKE_STATUS_OPEN, "220103001", 0, NULL, NULL },
		{ INTAKE_STATUS_OPEN, "220103", 0, NULL, NULL },
		{ INTAKE_STATUS_RETURNED, "220103001", 0, NULL, NULL },
		{ INTAKE_STATUS_OPEN, "220103002", 403, "outside_jurisdiction",
		    NULL },
		{ INTAKE_STATUS_WITHDRAWN, "220103002", 403,
		    "outside_jurisdiction", NULL },
		{ INTAKE_STATUS_WITHDRAWN, "220103001", 409, "not_open",
		    "the application is withdrawn, not open" },
		{ INTAKE_STATUS_DRAFT, "220103001", 409, "not_open",
		    "the application is draft, not open" },
		{ INTAKE_STATUS_DECIDED_APPROVED, "220103001", 409, "not_open",
		    "the application is decided_approved, not open" },
		{ INTAKE_STATUS_DECIDED_REJECTED, "220103001", 409, "not_open",
		    "the application is decided_rejected, not open" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		intake_current c = draft_row();
		sn_principal   p = clerk(t[i].juris);
		sn_problem     pb;
		c.status = t[i].status;
		bool ok  = intake_rules_withdraw(&c, &p, &pb);
		assert_int_equal(ok, t[i].code == NULL);
		if (t[i].code == NULL)
			continue;
		assert_int_equal(pb.status, t[i].want_status);
		assert_string_equal(pb.code, t[i].code);
		if (t[i].message != NULL)
			assert_string_equal(pb.message, t[i].message);
	}
}

/* The 409 for a person held elsewhere. */
static void
test_holder(void **state)
{
	(void) state;
	intake_holder h = { 3, "0f8fad5b-d9cb-469f-a165-70867728950e",
		INTAKE_HELD_OPEN, "" };
	sn_problem    p;
	intake_rules_holder(&h, false, &p);
	assert_int_equal(p.status, 409);
	assert_string_equal(p.code, "person_in_open_application");
	assert_string_equal(p.field, "members[2].id_number");
	assert_string_equal(
	    p.message, "the person is already in another open application");
	h.kind = INTAKE_HELD_BENEFICIARY;
	h.pos  = 1;
	intake_rules_holder(&h, false, &p);
	assert_string_equal(p.code, "person_in_beneficiary_household");
	assert_string_equal(p.field, "members[0].id_number");
	assert_string_equal(
	    p.message, "the person is in an active beneficiary household");
	intake_rules_holder(&h, true, &p);
	assert_string_equal(p.code, "person_in_beneficiary_household");
	assert_string_equal(p.message,
	    "the person is already held by application "
	    "0f8fad5b-d9cb-469f-a165-70867728950e");
}

/* GET /applications?status=&township=&taken_in_by=&limit=&cursor= */
static void
test_list_query(void **state)
{
	(void) state;
	static const struct {
		const char *status, *township, *taken, *limit, *cursor;
		const char *role, *juris;
		int64_t     want_limit, want_after; /* when accepted */
		const char *want_taken;
		unsigned    st; /* 0: accepted */
		const char *code, *field;
	} t[] = {
		{ "draft", "220103001", NULL, NULL, NULL, "clerk", "220103001",
		    100, 0, NULL, 0, NULL, NULL },
		{ "draft", NULL, NULL, "1000", NULL, "clerk", "220103", 1000,
		    0, NULL, 0, NULL, NULL },
		{ NULL, NULL, "me", "2", "p000000000000000a", "clerk",
		    "220103001", 2, 10, "clerk1", 0, NULL, NULL },
		{ NULL, NULL, "clerk1", NULL, NULL, "clerk", "220103001", 100,
		    0, "clerk1", 0, NULL, NULL },
		{ "returned", NULL, "clerk-b", NULL, NULL, "township_officer",
		    "220103001", 100, 0, "clerk-b", 0, NULL, NULL },
		{ "decided", "220103001", NULL, NULL, NULL, "clerk", "220103",
		    100, 0, NULL, 0, NULL, NULL },
		{ NULL, NULL, "clerk-b", NULL, NULL, "clerk", "220103001", 0,
		    0, NULL, 403, "forbidden", "taken_in_by" },
		{ NULL, NULL, NULL, NULL, NULL, "clerk", "220103001", 0, 0,
		    NULL, 422, "invalid_query", "taken_in_by" },
		{ "opened", NULL, "me", NULL, NULL, "clerk", "220103001", 0, 0,
		    NULL, 422, "invalid_value", "status" },
		{ NULL, "22010300a", "me", NULL, NULL, "clerk", "220103001", 0,
		    0, NULL, 422, "invalid_code", "township" },
		{ NULL, "2201030011", NULL, NULL, NULL, "clerk", "220103001",
		    0, 0, NULL, 422, "invalid_code", "township" },
		{ NULL, NULL, "me", "0", NULL, "clerk", "220103001", 0, 0,
		    NULL, 422, "invalid_query", "limit" },
		{ NULL, NULL, "me", "1001", NULL, "clerk", "220103001", 0, 0,
		    NULL, 422, "invalid_query", "limit" },
		{ NULL, NULL, "me", NULL, "zz", "clerk", "220103001", 0, 0,
		    NULL, 422, "invalid_query", "cursor" },
		{ NULL, NULL, "", NULL, NULL, "clerk", "220103001", 0, 0, NULL,
		    422, "invalid_value", "taken_in_by" },
		{ "draft", "220103001", NULL, NULL, NULL, "clerk", "220103002",
		    0, 0, NULL, 403, "outside_jurisdiction", "township" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sn_principal p = clerk(t[i].juris);
		snprintf(p.role, sizeof(p.role), "%s", t[i].role);
		const intake_list_params in = { t[i].status, t[i].township,
			t[i].taken, t[i].limit, t[i].cursor };
		intake_list_query        q;
		sn_problem               pb;
		bool ok = intake_rules_list_query(&in, &p, &q, &pb);
		if (t[i].st == 0) {
			if (!ok)
				fail_msg("case %zu refused: %s", i, pb.code);
			assert_int_equal(q.page.limit, t[i].want_limit);
			assert_int_equal(q.page.after, t[i].want_after);
			if (t[i].want_taken == NULL)
				assert_null(q.taken_in_by);
			else
				assert_string_equal(
				    q.taken_in_by, t[i].want_taken);
			continue;
		}
		if (ok)
			fail_msg("case %zu accepted", i);
		assert_int_equal(pb.status, t[i].st);
		assert_string_equal(pb.code, t[i].code);
		assert_string_equal(pb.field, t[i].field);
	}
}

/* Which households are of the edge tier (issue 10): their persons may
 * apply again. */
static void
test_edge(void **state)
{
	(void) state;
	static const struct {
		Sn__Assist__V1__Category c;
		Sn__Assist__V1__Tier     t;
		bool                     edge;
	} t[] = {
		{ SN__ASSIST__V1__CATEGORY__CATEGORY_LOW_INCOME,
		    SN__ASSIST__V1__TIER__TIER_EDGE, true },
		{ SN__ASSIST__V1__CATEGORY__CATEGORY_EXPENDITURE,
		    SN__ASSIST__V1__TIER__TIER_EDGE, true },
		{ SN__ASSIST__V1__CATEGORY__CATEGORY_LOW_INCOME,
		    SN__ASSIST__V1__TIER__TIER_UNSPECIFIED, true },
		{ SN__ASSIST__V1__CATEGORY__CATEGORY_EXPENDITURE,
		    SN__ASSIST__V1__TIER__TIER_UNSPECIFIED, true },
		{ SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO,
		    SN__ASSIST__V1__TIER__TIER_CORE, false },
		{ SN__ASSIST__V1__CATEGORY__CATEGORY_TEKUN,
		    SN__ASSIST__V1__TIER__TIER_CORE, false },
		{ SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO,
		    SN__ASSIST__V1__TIER__TIER_UNSPECIFIED, false },
		{ SN__ASSIST__V1__CATEGORY__CATEGORY_UNSPECIFIED,
		    SN__ASSIST__V1__TIER__TIER_UNSPECIFIED, false },
		{ SN__ASSIST__V1__CATEGORY__CATEGORY_LOW_INCOME,
		    SN__ASSIST__V1__TIER__TIER_CORE, false },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (intake_rules_edge(t[i].c, t[i].t) != t[i].edge)
			fail_msg("case %zu: want %s", i,
			    t[i].edge ? "edge" : "core");
	/* An event that says neither keeps what intake knows. */
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		intake_tier want
		    = t[i].c == SN__ASSIST__V1__CATEGORY__CATEGORY_UNSPECIFIED
		        && t[i].t == SN__ASSIST__V1__TIER__TIER_UNSPECIFIED
		    ? INTAKE_TIER_UNSAID
		    : t[i].edge ? INTAKE_TIER_EDGE
		                : INTAKE_TIER_CORE;
		assert_int_equal(intake_rules_tier(t[i].c, t[i].t), want);
	}
	assert_int_equal(
	    intake_rules_tier(SN__ASSIST__V1__CATEGORY__CATEGORY_UNSPECIFIED,
	        SN__ASSIST__V1__TIER__TIER_UNSPECIFIED),
	    INTAKE_TIER_UNSAID);
}

/* Amend and resubmit (issue 10): only a returned application, within
 * the clerk's jurisdiction; the amendment is required. */
static void
test_amend(void **state)
{
	(void) state;
	static const struct {
		intake_status st;
		const char   *juris;
		unsigned      want; /* 0: may */
		const char   *code;
	} t[] = {
		{ INTAKE_STATUS_RETURNED, "220103001", 0, NULL },
		{ INTAKE_STATUS_RETURNED, "220103", 0, NULL },
		{ INTAKE_STATUS_OPEN, "220103001", 409, "not_returned" },
		{ INTAKE_STATUS_DRAFT, "220103001", 409, "not_returned" },
		{ INTAKE_STATUS_WITHDRAWN, "220103001", 409, "not_returned" },
		{ INTAKE_STATUS_DECIDED_APPROVED, "220103001", 409,
		    "not_returned" },
		{ INTAKE_STATUS_RETURNED, "220103002", 403,
		    "outside_jurisdiction" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		intake_current c
		    = { .status = t[i].st, .village_code = "220103001002" };
		sn_principal p = clerk(t[i].juris);
		sn_problem   pb;
		bool         ok = intake_rules_amend(&c, &p, &pb);
		if (t[i].want == 0) {
			if (!ok)
				fail_msg("case %zu refused: %s", i, pb.code);
			continue;
		}
		if (ok)
			fail_msg("case %zu accepted", i);
		assert_int_equal(pb.status, t[i].want);
		assert_string_equal(pb.code, t[i].code);
	}
	static const struct {
		const char *body;
		const char *code; /* NULL: accepted */
	} b[] = {
		{ "{\"amendment\":\"wages corrected\\nnew payee\"}", NULL },
		{ "{\"amendment\":\"\"}", "invalid_field" },
		{ "{}", "invalid_field" },
		{ "{\"amendment\":null}", "invalid_type" },
		{ "{\"amendment\":3}", "invalid_field" },
		{ "{\"amendment\":\"x\",\"why\":\"y\"}", "unknown_field" },
		{ "{\"amendment\":\"a\\u0001b\"}", "invalid_characters" },
	};
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		json_t     *j = json_loads(b[i].body, 0, NULL);
		const char *a;
		sn_problem  pb;
		assert_non_null(j);
		bool ok = intake_codec_resubmission(j, &a, &pb);
		if (b[i].code == NULL && !ok)
			fail_msg("body %zu refused: %s", i, pb.code);
		if (b[i].code != NULL) {
			if (ok)
				fail_msg("body %zu accepted", i);
			assert_string_equal(pb.code, b[i].code);
		}
		json_decref(j);
	}
	char long_s[INTAKE_NOTE_MAX + 2];
	memset(long_s, 'a', sizeof(long_s) - 1);
	long_s[sizeof(long_s) - 1] = '\0';
	assert_false(intake_rules_amendment_valid(long_s));
	long_s[INTAKE_NOTE_MAX] = '\0';
	assert_true(intake_rules_amendment_valid(long_s));
}

/* Declared income from farming and relatives (issue 10): optional (0),
 * integer fen, never negative, in applications and in change reports,
 * and carried by the events. */
static void
test_income_sources(void **state)
{
	(void) state;
	json_t    *j  = fixture();
	json_t    *in = json_object_get(j, "declared_income");
	intake_app a;
	sn_problem p;
	sn_date    today = { 2026, 6, 1 };
	assert_true(intake_codec_decode(j, &a, &p));
	assert_int_equal(a.agricultural_fen, 0);
	assert_int_equal(a.support_fen, 0);
	json_object_set_new(in, "agricultural_fen", json_integer(120000));
	json_object_set_new(in, "support_fen", json_integer(30000));
	assert_true(intake_codec_decode(j, &a, &p));
	assert_int_equal(a.agricultural_fen, 120000);
	assert_int_equal(a.support_fen, 30000);
	json_object_set_new(in, "support_fen", json_real(1.5));
	assert_false(intake_codec_decode(j, &a, &p));
	assert_string_equal(p.code, "invalid_money");
	assert_string_equal(p.field, "declared_income.support_fen");
	sn_principal who = clerk("220103");
	json_object_set_new(in, "support_fen", json_integer(0));
	assert_true(check(j, &who, &p, &a));
	json_object_set_new(in, "support_fen", json_integer(-1));
	assert_false(check(j, &who, &p, &a));
	assert_string_equal(p.code, "invalid_money");
	assert_string_equal(p.field, "declared_income.support_fen");
	json_object_set_new(in, "support_fen", json_integer(INT64_MAX));
	assert_false(check(j, &who, &p, &a));
	assert_string_equal(p.code, "invalid_money");
	json_decref(j);

	/* A change of income carries them too. */
	json_t       *c = json_loads("{\"kind\":\"income\",\"effective_date\":"
	                                   "\"2026-05-01\",\"income\":{\"wages_fen\":1,"
	                                   "\"business_fen\":2,\"pensions_fen\":3,"
	                                   "\"other_fen\":4,\"agricultural_fen\":5,"
	                                   "\"support_fen\":6}}",
	          0, NULL);
	intake_change ch;
	assert_true(intake_codec_change(c, &ch, &p));
	assert_true(ch.has_income);
	assert_int_equal(ch.app.agricultural_fen, 5);
	assert_int_equal(ch.app.support_fen, 6);
	intake_change_meta meta = { .change_id = "c", .reported_by = "u" };
	intake_change_pb   pb;
	const Sn__Assist__V1__HouseholdChangeReported *ev
	    = (const Sn__Assist__V1__HouseholdChangeReported *)
	        intake_codec_change_reported(&ch, &meta, &pb);
	assert_int_equal(ev->income->agricultural_fen, 5);
	assert_int_equal(ev->income->support_fen, 6);
	json_object_set_new(json_object_get(c, "income"), "agricultural_fen",
	    json_integer(-5));
	assert_true(intake_codec_change(c, &ch, &p));
	assert_false(intake_rules_change(&ch, today, &who, &p));
	assert_string_equal(p.code, "invalid_money");
	assert_string_equal(p.field, "income.agricultural_fen");
	json_decref(c);
}

/* beneficiary.changed: which state the members are in, who is held. */
static void
test_beneficiary(void **state)
{
	(void) state;
	char a[19], b[19], c[19];
	make_id(a, 19700101, 1);
	make_id(b, 19710101, 2);
	make_id(c, 19720101, 3);
	char *ids[2] = { a, b };
	enum {
		ACTIVE,
		GRADUAL,
		EXITED,
		HEAD_NEW,
		HEAD_SEEN,
		NO_APP,
		BAD_STATUS,
		NO_ID,
		LONG_ID,
		BAD_APP,
		BAD_MEMBER,
		BAD_HEAD,
		NCASES
	};
	static char long_id[80];
	memset(long_id, 'b', sizeof(long_id) - 1);
	for (int k = 0; k < NCASES; k++) {
		Sn__Assist__V1__BeneficiaryChanged m
		    = SN__ASSIST__V1__BENEFICIARY_CHANGED__INIT;
		char bad[19];
		memcpy(bad, b, 19);
		bad[17]          = bad[17] == '0' ? '1' : '0';
		char *bad_ids[2] = { a, bad };
		m.beneficiary_id = "ben-1";
		m.application_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
		m.status
		    = SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE;
		m.n_member_id_numbers = 2;
		m.member_id_numbers   = ids;
		intake_hold want      = INTAKE_HOLD_ACTIVE;
		const char *want_head = NULL;
		bool        valid     = true;
		switch (k) {
		case ACTIVE:
			break;
		case GRADUAL:
			m.status
			    = SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_GRADUAL_EXIT;
			want = INTAKE_HOLD_GRADUAL_EXIT;
			break;
		case EXITED:
			m.status
			    = SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_EXITED;
			m.n_member_id_numbers = 0;
			want                  = INTAKE_HOLD_EXITED;
			break;
		case HEAD_NEW:
			m.head_id_number = c;
			want_head        = c;
			break;
		case HEAD_SEEN:
			m.head_id_number = b;
			break;
		case NO_APP:
			m.application_id = "";
			break;
		case BAD_STATUS:
			m.status = (Sn__Assist__V1__BeneficiaryStatus) 0;
			valid    = false;
			break;
		case NO_ID:
			m.beneficiary_id = "";
			valid            = false;
			break;
		case LONG_ID:
			m.beneficiary_id = long_id;
			valid            = false;
			break;
		case BAD_APP:
			m.application_id = "not-a-uuid";
			valid            = false;
			break;
		case BAD_MEMBER:
			m.member_id_numbers = bad_ids;
			valid               = false;
			break;
		case BAD_HEAD:
			m.head_id_number = bad;
			valid            = false;
			break;
		}
		intake_hold hold = (intake_hold) -1;
		const char *head = "unset";
		bool        ok   = intake_rules_beneficiary(&m, &hold, &head);
		if (ok != valid)
			fail_msg(
			    "case %d: %s", k, ok ? "accepted" : "refused");
		if (!valid)
			continue;
		assert_int_equal(hold, want);
		if (want_head == NULL)
			assert_null(head);
		else
			assert_string_equal(head, want_head);
	}
	intake_hold h;
	const char *head;
	assert_false(intake_rules_beneficiary(NULL, &h, &head));
}

/* A suspended household stays on the register: its members stay held. */
static void
test_beneficiary_suspended(void **state)
{
	(void) state;
	char a[19];
	make_id(a, 19800512, 11);
	char                              *ids[1] = { a };
	Sn__Assist__V1__BeneficiaryChanged m
	    = SN__ASSIST__V1__BENEFICIARY_CHANGED__INIT;
	m.beneficiary_id = "ben-1";
	m.application_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
	m.status = SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_SUSPENDED;
	m.n_member_id_numbers = 1;
	m.member_id_numbers   = ids;
	intake_hold hold      = INTAKE_HOLD_EXITED;
	const char *head      = "x";
	assert_true(intake_rules_beneficiary(&m, &hold, &head));
	assert_int_equal(hold, INTAKE_HOLD_SUSPENDED);
	assert_null(head);
}

/* ---- changes of circumstances ---------------------------------------- */

/* One change body (JSON text with %s for a valid member id) through the
 * codec and the rules, as the handler does; the code refused, or "". */
static const char *
change_verdict(const char *fmt, const char *juris, sn_problem *pb)
{
	char          id[19], text[2048];
	intake_change c;
	make_id(id, 19800512, 11);
	/* "%s" stands for the id (the table's text is not a format). */
	size_t n = 0;
	for (const char *f = fmt; *f != '\0' && n + 19 < sizeof(text);) {
		if (f[0] == '%' && f[1] == 's') {
			memcpy(text + n, id, 18);
			n += 18;
			f += 2;
		} else {
			text[n++] = *f++;
		}
	}
	text[n]        = '\0';
	json_t      *j = json_loads(text, 0, NULL);
	sn_principal p = clerk(juris);
	assert_non_null(j);
	bool ok = intake_codec_change(j, &c, pb)
	    && intake_rules_change(&c, TODAY, &p, pb);
	json_decref(j);
	return ok ? "" : pb->code;
}

#define HH                                                                    \
	"{\"registration\": \"rural\", \"district_code\": \"220103\","        \
	" \"township_code\": \"220103001\", \"village_code\": "               \
	"\"220103001002\", \"address\": \"New house 3\","                     \
	" \"has_able_supporter\": false}"
#define INC                                                                   \
	"{\"wages_fen\": 1, \"business_fen\": 0, \"pensions_fen\": 0,"        \
	" \"other_fen\": 0}"
#define EXP                                                                   \
	"{\"medical_fen\": 1, \"education_fen\": 0, \"housing_fen\": 0,"      \
	" \"employment_costs_fen\": 0}"
#define MEM                                                                   \
	"[{\"id_number\": \"%s\", \"name\": \"A\", \"relation\": \"self\","   \
	" \"birth_date\": \"1980-05-12\", \"labour_capacity\": \"none\","     \
	" \"disability_grade\": 0, \"self_care\": \"able\"}]"
#define ON(d) ", \"effective_date\": \"" d "\"}"

static void
test_change(void **state)
{
	(void) state;
	const struct {
		const char *json, *juris, *code, *field;
	} rows[] = {
		/* each kind with what it needs; today and the past pass */
		{ "{\"kind\": \"death\", \"member_id_number\": \"%s\"" ON(
		      "2025-06-10"),
		    "220103001", "", "" },
		{ "{\"kind\": \"death\", \"member_id_number\": \"%s\","
		  " \"note\": \"line one\\nline two\"" ON("2025-06-01"),
		    "220103001", "", "" },
		{ "{\"kind\": \"income\", \"income\": " INC ON("2025-06-09"),
		    "220103001", "", "" },
		{ "{\"kind\": \"expenditure\", \"expenditure\": " EXP ON(
		      "2025-06-09"),
		    "220103001", "", "" },
		{ "{\"kind\": \"address\", \"household\": " HH ON(
		      "2025-06-09"),
		    "220103001", "", "" },
		{ "{\"kind\": \"members\", \"members\": " MEM ON("2025-06-09"),
		    "220103001", "", "" },
		{ "{\"kind\": \"moved_out\"" ON("2025-06-09"), "220103001", "",
		    "" },
		/* the day after the district's today */
		{ "{\"kind\": \"moved_out\"" ON("2025-06-11"), "220103001",
		    "future_date", "effective_date" },
		{ "{\"kind\": \"moved_out\"" ON("2025-02-30"), "220103001",
		    "invalid_date", "effective_date" },
		{ "{\"kind\": \"moved_out\"}", "220103001", "missing_field",
		    "effective_date" },
		/* a kind's required member, and another kind's */
		{ "{\"kind\": \"death\"" ON("2025-06-09"), "220103001",
		    "missing_field", "member_id_number" },
		{ "{\"kind\": \"income\"" ON("2025-06-09"), "220103001",
		    "missing_field", "income" },
		{ "{\"kind\": \"expenditure\"" ON("2025-06-09"), "220103001",
		    "missing_field", "expenditure" },
		{ "{\"kind\": \"address\"" ON("2025-06-09"), "220103001",
		    "missing_field", "household" },
		{ "{\"kind\": \"members\"" ON("2025-06-09"), "220103001",
		    "missing_field", "members" },
		{ "{\"kind\": \"moved_out\", \"income\": " INC ON(
		      "2025-06-09"),
		    "220103001", "not_for_kind", "income" },
		{ "{\"kind\": \"income\", \"member_id_number\": \"%s\","
		  " \"income\": " INC ON("2025-06-09"),
		    "220103001", "not_for_kind", "member_id_number" },
		/* shapes */
		{ "{\"kind\": \"divorce\"" ON("2025-06-09"), "220103001",
		    "invalid_value", "kind" },
		{ "{\"kind\": null" ON("2025-06-09"), "220103001",
		    "invalid_type", "kind" },
		{ "{\"kind\": \"moved_out\", \"extra\": 1" ON("2025-06-09"),
		    "220103001", "unknown_field", "extra" },
		{ "{\"kind\": \"income\", \"income\": {\"wages_fen\": 1,"
		  " \"business_fen\": 0, \"pensions_fen\": 0, \"other_fen\": "
		  "0,"
		  " \"bonus_fen\": 5}" ON("2025-06-09"),
		    "220103001", "unknown_field", "income.bonus_fen" },
		{ "{\"kind\": \"income\", \"income\": {\"wages_fen\": -1,"
		  " \"business_fen\": 0, \"pensions_fen\": 0, \"other_fen\": "
		  "0}" ON("2025-06-09"),
		    "220103001", "invalid_money", "income.wages_fen" },
		{ "{\"kind\": \"income\", \"income\": null" ON("2025-06-09"),
		    "220103001", "invalid_type", "income" },
		{ "{\"kind\": \"moved_out\", \"note\": \"a\\u0007\"" ON(
		      "2025-06-09"),
		    "220103001", "invalid_characters", "note" },
		{ "{\"kind\": \"death\", \"member_id_number\": \"12345\"" ON(
		      "2025-06-09"),
		    "220103001", "invalid_id_number", "member_id_number" },
		/* a new address outside the clerk's jurisdiction */
		{ "{\"kind\": \"address\", \"household\": " HH ON(
		      "2025-06-09"),
		    "220103002", "outside_jurisdiction",
		    "household.village_code" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sn_problem  pb;
		const char *got
		    = change_verdict(rows[i].json, rows[i].juris, &pb);
		if (strcmp(got, rows[i].code) != 0
		    || (got[0] != '\0'
		        && strcmp(pb.field, rows[i].field) != 0))
			fail_msg("row %zu: got %s (%s), want %s (%s)", i, got,
			    got[0] ? pb.field : "", rows[i].code,
			    rows[i].field);
	}
}

/* Who may report: unknown or exited 404, foreign 403, a stranger's death
 * 422; reading sees exited households, by village. */
static void
test_change_access(void **state)
{
	(void) state;
	intake_change c;
	memset(&c, 0, sizeof(c));
	c.kind               = SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_DEATH;
	intake_household h   = { .active = true,
		  .township_code         = "220103001",
		  .village_code          = "220103001002",
		  .application_id        = "A",
		  .member_known          = true };
	sn_principal     own = clerk("220103001"), other = clerk("220103002");
	sn_principal     village = clerk("220103001002");
	sn_problem       p;
	assert_true(intake_rules_change_access(&h, &c, &own, false, &p));
	assert_false(intake_rules_change_access(NULL, &c, &own, false, &p));
	assert_int_equal(p.status, 404);
	assert_false(intake_rules_change_access(&h, &c, &other, false, &p));
	assert_int_equal(p.status, 403);
	/* a village's clerk does not cover the household's township */
	assert_false(intake_rules_change_access(&h, &c, &village, false, &p));
	assert_int_equal(p.status, 403);
	assert_true(intake_rules_change_access(&h, NULL, &village, true, &p));
	h.member_known = false;
	assert_false(intake_rules_change_access(&h, &c, &own, false, &p));
	assert_int_equal(p.status, 422);
	assert_string_equal(p.code, "not_a_member");
	c.kind = SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_MOVED_OUT;
	assert_true(intake_rules_change_access(&h, &c, &own, false, &p));
	h.active = false;
	assert_false(intake_rules_change_access(&h, &c, &own, false, &p));
	assert_int_equal(p.status, 404);
	assert_true(intake_rules_change_access(&h, NULL, &own, true, &p));
}

/* ---- agency notices --------------------------------------------------- */

/* A notice that passes and one row per thing broken; the passing ones
 * become the change the notice reports. */
static void
test_notice(void **state)
{
	(void) state;
	char id[19], note[INTAKE_NOTE_MAX + 2], longid[80];
	make_id(id, 19620304, 21);
	memset(note, 'n', sizeof(note) - 1);
	note[sizeof(note) - 1] = '\0';
	memset(longid, 'a', INTAKE_NOTICE_ID_MAX + 1);
	longid[INTAKE_NOTICE_ID_MAX + 1] = '\0';
	enum {
		PS    = SN__AGENCY__V1__AGENCY__AGENCY_PUBLIC_SECURITY,
		HR    = SN__AGENCY__V1__AGENCY__AGENCY_HUMAN_RESOURCES,
		TAX   = SN__AGENCY__V1__AGENCY__AGENCY_TAX,
		DEATH = SN__AGENCY__V1__NOTICE_KIND__NOTICE_DEATH,
		JOB   = SN__AGENCY__V1__NOTICE_KIND__NOTICE_NEW_JOB
	};
	static const struct {
		const char *notice_id;
		int         agency, kind;
		const char *id; /* NULL: the valid one */
		const char *date;
		int64_t     wage;
		const char *note;
		const char *why; /* NULL: passes */
	} cases[] = {
		{ "N-1", PS, DEATH, NULL, "2026-11-30", 0, "", NULL },
		{ "N-2", HR, JOB, NULL, "2026-11-30", 350000, "x", NULL },
		{ "", PS, DEATH, NULL, "2026-11-30", 0, "",
		    "a malformed notice_id" },
		{ "N\x01", PS, DEATH, NULL, "2026-11-30", 0, "",
		    "a malformed notice_id" },
		{ "N-3", PS, 0, NULL, "2026-11-30", 0, "",
		    "an unknown kind of notice" },
		{ "N-3", HR, DEATH, NULL, "2026-11-30", 0, "",
		    "a death not from public security" },
		{ "N-3", TAX, JOB, NULL, "2026-11-30", 100, "",
		    "a new job not from human resources" },
		{ "N-3", PS, DEATH, NULL, "2026-11-30", 100, "",
		    "a death with a wage" },
		{ "N-3", HR, JOB, NULL, "2026-11-30", 0, "",
		    "a new job without a wage" },
		{ "N-3", HR, JOB, NULL, "2026-11-30", -5, "",
		    "a new job without a wage" },
		{ "N-3", PS, DEATH, "220103196203040000", "2026-11-30", 0, "",
		    "a malformed id_number" },
		{ "N-3", PS, DEATH, NULL, "2026-02-30", 0, "",
		    "a malformed effective_date" },
		{ "N-3", PS, DEATH, NULL, "2026-11-30", 0, "\x1b[2J",
		    "a malformed note" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		Sn__Agency__V1__AgencyNotice n
		    = SN__AGENCY__V1__AGENCY_NOTICE__INIT;
		n.notice_id      = (char *) cases[i].notice_id;
		n.agency         = (Sn__Agency__V1__Agency) cases[i].agency;
		n.kind           = (Sn__Agency__V1__NoticeKind) cases[i].kind;
		n.id_number      = (char *) (cases[i].id ? cases[i].id : id);
		n.effective_date = (char *) cases[i].date;
		n.monthly_wage_fen = cases[i].wage;
		n.note             = (char *) cases[i].note;
		intake_change c;
		const char   *agency = NULL, *why = NULL;
		bool          ok = intake_rules_notice(&n, &c, &agency, &why);
		if (cases[i].why != NULL) {
			assert_false(ok);
			assert_string_equal(why, cases[i].why);
			continue;
		}
		assert_true(ok);
		assert_true(c.has_member_id);
		assert_string_equal(c.member_id, id);
		assert_string_equal(c.effective_date, "2026-11-30");
		if (cases[i].kind == DEATH) {
			assert_int_equal(c.kind,
			    SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_DEATH);
			assert_string_equal(agency, "PUBLIC_SECURITY");
			assert_false(c.has_income);
			assert_null(c.note);
		} else {
			assert_int_equal(c.kind,
			    SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_INCOME);
			assert_string_equal(agency, "HUMAN_RESOURCES");
			assert_true(c.has_income);
			assert_int_equal(c.app.wages_fen, cases[i].wage);
			assert_int_equal(c.app.business_fen, 0);
			assert_string_equal(c.note, "x");
		}
	}
	/* Lengths: the notice id and the note at their limits and past. */
	Sn__Agency__V1__AgencyNotice n = SN__AGENCY__V1__AGENCY_NOTICE__INIT;
	intake_change                c;
	const char                  *agency, *why;
	n.agency         = SN__AGENCY__V1__AGENCY__AGENCY_PUBLIC_SECURITY;
	n.kind           = SN__AGENCY__V1__NOTICE_KIND__NOTICE_DEATH;
	n.id_number      = id;
	n.effective_date = "2026-11-30";
	n.notice_id      = longid;
	n.note           = note;
	assert_false(intake_rules_notice(&n, &c, &agency, &why));
	assert_string_equal(why, "a malformed notice_id");
	longid[INTAKE_NOTICE_ID_MAX] = '\0';
	assert_false(intake_rules_notice(&n, &c, &agency, &why));
	assert_string_equal(why, "a malformed note");
	note[INTAKE_NOTE_MAX] = '\0';
	assert_true(intake_rules_notice(&n, &c, &agency, &why));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_passes),
		cmocka_unit_test(test_variants_pass),
		cmocka_unit_test(test_lowercase_x),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_money_overflow),
		cmocka_unit_test(test_outside_jurisdiction),
		cmocka_unit_test(test_too_many_members),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_uuid_and_reason),
		cmocka_unit_test(test_event_round_trip),
		cmocka_unit_test(test_referral_draft),
		cmocka_unit_test(test_referral_kinds),
		cmocka_unit_test(test_referral_rejections),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_event_referral_id),
		cmocka_unit_test(test_strict_input),
		cmocka_unit_test(test_withdrawal_body),
		cmocka_unit_test(test_draft_submit),
		cmocka_unit_test(test_withdraw),
		cmocka_unit_test(test_holder),
		cmocka_unit_test(test_list_query),
		cmocka_unit_test(test_edge),
		cmocka_unit_test(test_amend),
		cmocka_unit_test(test_income_sources),
		cmocka_unit_test(test_beneficiary),
		cmocka_unit_test(test_beneficiary_suspended),
		cmocka_unit_test(test_change),
		cmocka_unit_test(test_change_access),
		cmocka_unit_test(test_notice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
