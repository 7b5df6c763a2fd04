/*
 * handlers.c - approval's events and HTTP requests. See handlers.h.
 *
 * Memory across asynchronous steps: query callbacks get either nothing
 * (bus handlers: every value they need comes back in the row, so nothing
 * is allocated that a failed transaction could leak) or the sn_http_req,
 * which the http module owns and which keeps the path parameters, the
 * body and the principal readable until the answer.
 */
#include "handlers.h"
#include "sn/assist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rules.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/auth.h"
#include "sn/log.h"
#include "store.h"

/* rules.h mirrors the protobuf enums by number. */
_Static_assert(
    (int) APPROVAL_CAT_NONE == SN__ASSIST__V1__CATEGORY__CATEGORY_NONE,
    "category numbers");
_Static_assert((int) APPROVAL_CAT_LOW_INCOME
        == SN__ASSIST__V1__CATEGORY__CATEGORY_LOW_INCOME,
    "category numbers");
_Static_assert((int) APPROVAL_TIER_EDGE == SN__ASSIST__V1__TIER__TIER_EDGE,
    "tier numbers");
_Static_assert(
    (int) APPROVAL_LABOUR_NONE == SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_NONE,
    "labour numbers");
_Static_assert(
    (int) APPROVAL_CARE_UNABLE == SN__ASSIST__V1__SELF_CARE__SELF_CARE_UNABLE,
    "self-care numbers");
_Static_assert((int) APPROVAL_REG_RURAL
        == SN__ASSIST__V1__REGISTRATION__REGISTRATION_RURAL,
    "registration numbers");

#define MAX_LIST 64

static struct approval {
	sn_service *svc;
	sn_bus     *bus;
	sn_db      *db;
	sn_loop    *loop;
	char        deadline_days[24];
	bool        tick_running;
	sn_gauge   *g_stage[10];
	sn_gauge   *g_overdue;
	sn_counter *c_refusals;
	sn_counter *c_overdue;
	sn_counter *c_computed;
} A;

static const char *const stage_names[] = { "", "GATHERING", "HELD",
	"VILLAGE_REVIEW", "TOWNSHIP_CONFIRM", "DISTRICT_FILING", "FILED",
	"REJECTED", "RETURNED", "WITHDRAWN" };
#define NSTAGES ((int) (sizeof(stage_names) / sizeof(stage_names[0])))

static int
stage_parse(const char *s)
{
	if (s == NULL)
		return 0;
	for (int i = 1; i < NSTAGES; i++)
		if (strcmp(stage_names[i], s) == 0)
			return i;
	return 0;
}

/* ---- small helpers ---------------------------------------------------- */

static char *
hex_encode(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char             *s        = malloc(2 * n + 1);
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i]     = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex text into a malloc'd buffer; NULL on bad input. */
static uint8_t *
hex_decode(const char *s, size_t *len)
{
	size_t n = strlen(s);
	if (n % 2 != 0)
		return NULL;
	uint8_t *b = malloc(n / 2 + 1);
	if (b == NULL)
		return NULL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(b);
			return NULL;
		}
		b[i] = (uint8_t) (hi << 4 | lo);
	}
	*len = n / 2;
	return b;
}

/* Splits buf (modified) at commas into at most max pieces. */
static size_t
split(char *buf, const char **out, size_t max)
{
	size_t n = 0;
	if (buf == NULL || buf[0] == '\0')
		return 0;
	char *p = buf;
	while (n < max) {
		out[n++] = p;
		char *c  = strchr(p, ',');
		if (c == NULL)
			break;
		*c = '\0';
		p  = c + 1;
	}
	return n;
}

/* Joins strings with commas into a malloc'd string; NULL if one holds a
 * comma (lists travel comma-separated, see store.h). */
static char *
join(char *const *items, size_t n)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++) {
		if (items[i] == NULL || strchr(items[i], ',') != NULL)
			return NULL;
		len += strlen(items[i]) + 1;
	}
	char *s = malloc(len);
	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, items[i]);
	}
	return s;
}

static bool
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static bool
code_valid(const char *s, size_t len)
{
	return s != NULL && strlen(s) == len && sn_auth_juris_valid(s);
}

static void
i64s(char buf[24], int64_t v)
{
	snprintf(buf, 24, "%lld", (long long) v);
}

static char *
dump(json_t *j)
{
	char *s
	    = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	json_decref(j);
	return s;
}

/* Packs msg and appends it to the outbox on tx. */
static sn_err
append(sn_tx *tx, const char *type, const char *subject, const char *actor,
    const ProtobufCMessage *msg)
{
	size_t   len = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL)
		return SN_ENOMEM;
	protobuf_c_message_pack(msg, buf);
	sn_event_out ev  = { .type = type,
		 .subject          = subject,
		 .actor            = actor,
		 .schema_version   = 1,
		 .data             = buf,
		 .len              = len };
	sn_err       err = sn_bus_append(A.bus, tx, &ev);
	free(buf);
	return err;
}

/* The timeline entry and case.stage_changed of one stage change. */
static sn_err
stage_changed(sn_tx *tx, const char *case_id, int from, int to,
    const char *actor, const char *reason, const char *township,
    bool spot_check, const char *action)
{
	sn_err err = approval_store_timeline(tx, case_id, actor, action,
	    from > 0 ? stage_names[from] : NULL, stage_names[to], reason,
	    NULL);
	if (err != SN_OK)
		return err;
	Sn__Assist__V1__CaseStageChanged m
	    = SN__ASSIST__V1__CASE_STAGE_CHANGED__INIT;
	m.case_id        = (char *) case_id;
	m.application_id = (char *) case_id;
	m.from           = (Sn__Assist__V1__Stage) from;
	m.to             = (Sn__Assist__V1__Stage) to;
	m.actor          = (char *) actor;
	m.reason         = (char *) (reason ? reason : "");
	m.township_code  = (char *) (township ? township : "");
	m.spot_check     = spot_check;
	return append(tx, "case.stage_changed", case_id, actor, &m.base);
}

/* ---- protobuf to JSON, for the GET of a case --------------------------- */

static json_t *
household_json(const Sn__Assist__V1__Household *h)
{
	if (h == NULL)
		return json_null();
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "registration",
	    sn_assist_or(sn_assist_registration_name((int) h->registration), ""), "district_code", h->district_code,
	    "township_code", h->township_code, "village_code", h->village_code,
	    "address", h->address, "has_able_supporter",
	    h->has_able_supporter);
}

static json_t *
submitted_json(const Sn__Assist__V1__ApplicationSubmitted *s)
{
	json_t *members = json_array();
	for (size_t i = 0; i < s->n_members; i++) {
		const Sn__Assist__V1__Member *m = s->members[i];
		json_array_append_new(members,
		    json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "id_number",
		        m->id_number, "name", m->name, "relation", m->relation,
		        "birth_date", m->birth_date, "labour_capacity",
		        sn_assist_or(sn_assist_labour_name((int) m->labour_capacity), ""), "disability_grade",
		        (int) m->disability_grade, "self_care",
		        sn_assist_or(sn_assist_self_care_name((int) m->self_care), "")));
	}
	const Sn__Assist__V1__Income      *in = s->declared_income;
	const Sn__Assist__V1__Expenditure *ex = s->declared_expenditure;
	json_t *income = json_null(), *exp = json_null();
	json_t *payee = json_null(), *consent = json_null();
	if (in != NULL)
		income = json_pack("{s:I,s:I,s:I,s:I}", "wages_fen",
		    (json_int_t) in->wages_fen, "business_fen",
		    (json_int_t) in->business_fen, "pensions_fen",
		    (json_int_t) in->pensions_fen, "other_fen",
		    (json_int_t) in->other_fen);
	if (ex != NULL)
		exp = json_pack("{s:I,s:I,s:I,s:I}", "medical_fen",
		    (json_int_t) ex->medical_fen, "education_fen",
		    (json_int_t) ex->education_fen, "housing_fen",
		    (json_int_t) ex->housing_fen, "employment_costs_fen",
		    (json_int_t) ex->employment_costs_fen);
	if (s->payee != NULL)
		payee = json_pack("{s:s,s:s,s:s}", "bank_code",
		    s->payee->bank_code, "account_number",
		    s->payee->account_number, "account_name",
		    s->payee->account_name);
	if (s->consent != NULL)
		consent = json_pack("{s:s,s:s}", "reference",
		    s->consent->reference, "signed_date",
		    s->consent->signed_date);
	return json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:s,s:s}",
	    "accepted_date", s->accepted_date, "deadline_date_declared",
	    s->deadline_date, "household", household_json(s->household),
	    "members", members, "declared_income", income,
	    "declared_expenditure", exp, "payee", payee, "consent", consent,
	    "requested_category",
	    approval_rules_category_name(
	        (approval_category) s->requested_category),
	    "taken_in_by", s->taken_in_by, "referral_id", s->referral_id);
}

static json_t *
facts_json(const Sn__Assist__V1__HouseholdFacts *f)
{
	if (f == NULL)
		return json_null();
	return json_pack("{s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:i,s:I,s:i,"
	                 "s:b}",
	    "members", (int) f->members, "gross_income_fen",
	    (json_int_t) f->gross_income_fen, "income_per_member_fen",
	    (json_int_t) f->income_per_member_fen,
	    "rigid_expenditure_per_member_fen",
	    (json_int_t) f->rigid_expenditure_per_member_fen,
	    "net_per_member_fen", (json_int_t) f->net_per_member_fen,
	    "financial_assets_fen", (json_int_t) f->financial_assets_fen,
	    "financial_assets_per_member_fen",
	    (json_int_t) f->financial_assets_per_member_fen, "homes",
	    (int) f->homes, "vehicles", (int) f->vehicles, "exempt_vehicles",
	    (int) f->exempt_vehicles, "business_capital_fen",
	    (json_int_t) f->business_capital_fen, "deceased_members",
	    (int) f->deceased_members, "all_registered", f->all_registered);
}

/* ---- events in ---------------------------------------------------------- */

static void gather_cb(sn_tx *tx, PGresult *res, void *arg);

/* After storing a piece: lock the case, then look at what it has. */
static sn_err
join_case(sn_tx *tx, const char *case_id)
{
	sn_err err = approval_store_lock_case(tx, case_id);
	if (err == SN_OK)
		err = approval_store_gather(tx, case_id, gather_cb, NULL);
	return err;
}

static sn_err
on_submitted(sn_tx *tx, const sn_event *ev, void *arg)
{
	(void) arg;
	Sn__Assist__V1__ApplicationSubmitted *s
	    = sn__assist__v1__application_submitted__unpack(
	        NULL, ev->len, ev->data);
	if (s == NULL)
		return SN_EPROTO;
	sn_err                           err = SN_EPROTO;
	char                            *ids = NULL, *hex = NULL, *sum = NULL;
	const Sn__Assist__V1__Household *h = s->household;
	if (!nonempty(s->application_id) || h == NULL
	    || !code_valid(h->district_code, 6)
	    || !code_valid(h->township_code, 9)
	    || !code_valid(h->village_code, 12)
	    || strncmp(h->township_code, h->district_code, 6) != 0
	    || strncmp(h->village_code, h->township_code, 9) != 0
	    || !approval_rules_date_valid(s->accepted_date) || s->n_members < 1
	    || s->n_members > APPROVAL_MAX_MEMBERS
	    || strchr(s->taken_in_by, ',') != NULL)
		goto out;
	char *idv[APPROVAL_MAX_MEMBERS];
	for (size_t i = 0; i < s->n_members; i++)
		idv[i] = s->members[i]->id_number;
	if ((ids = join(idv, s->n_members)) == NULL)
		goto out;
	err = SN_ENOMEM;
	if ((hex = hex_encode(ev->data, ev->len)) == NULL
	    || (sum = dump(submitted_json(s))) == NULL)
		goto out;
	approval_store_submitted row = { .application_id = s->application_id,
		.data_hex                                = hex,
		.accepted_date                           = s->accepted_date,
		.district_code                           = h->district_code,
		.township_code                           = h->township_code,
		.village_code                            = h->village_code,
		.taken_in_by                             = s->taken_in_by,
		.member_ids                              = ids,
		.summary_json                            = sum,
		.deadline_days                           = A.deadline_days };
	if ((err = approval_store_put_submitted(tx, &row)) != SN_OK
	    || (err = stage_changed(tx, s->application_id, 0, 1, ev->actor, "",
	            h->township_code, false, "opened"))
	        != SN_OK)
		goto out;
	err = join_case(tx, s->application_id);
out:
	free(ids);
	free(hex);
	free(sum);
	sn__assist__v1__application_submitted__free_unpacked(s, NULL);
	return err;
}

static void
withdrawn_cb(sn_tx *tx, PGresult *res, void *arg)
{
	(void) arg;
	if (PQntuples(res) != 1)
		return;
	const char *case_id = PQgetvalue(res, 0, 2);
	sn_err      err
	    = stage_changed(tx, case_id, stage_parse(PQgetvalue(res, 0, 0)), 9,
	        PQgetvalue(res, 0, 3), "withdrawn by the applicant",
	        PQgetvalue(res, 0, 1), false, "withdrawn");
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static sn_err
on_withdrawn(sn_tx *tx, const sn_event *ev, void *arg)
{
	(void) arg;
	Sn__Assist__V1__ApplicationWithdrawn *w
	    = sn__assist__v1__application_withdrawn__unpack(
	        NULL, ev->len, ev->data);
	if (w == NULL)
		return SN_EPROTO;
	sn_err err = SN_EPROTO;
	if (nonempty(w->application_id))
		err = approval_store_withdraw(tx, w->application_id, w->reason,
		    nonempty(w->withdrawn_by) ? w->withdrawn_by : ev->actor,
		    withdrawn_cb, NULL);
	sn__assist__v1__application_withdrawn__free_unpacked(w, NULL);
	return err;
}

static sn_err
on_verification(sn_tx *tx, const sn_event *ev, void *arg)
{
	(void) arg;
	Sn__Assist__V1__VerificationCompleted *v
	    = sn__assist__v1__verification_completed__unpack(
	        NULL, ev->len, ev->data);
	if (v == NULL)
		return SN_EPROTO;
	sn_err err     = SN_EPROTO;
	char  *missing = NULL, *hex = NULL, *facts = NULL;
	bool   complete = v->status
	    == SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_COMPLETE;
	if (!nonempty(v->application_id)
	    || (v->status
	            != SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_COMPLETE
	        && v->status
	            != SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_INCOMPLETE)
	    || (complete && v->facts == NULL)
	    || (missing = join(v->missing_agencies, v->n_missing_agencies))
	        == NULL)
		goto out;
	err = SN_ENOMEM;
	if ((hex = hex_encode(ev->data, ev->len)) == NULL
	    || (facts = dump(facts_json(v->facts))) == NULL)
		goto out;
	char attempt[24];
	i64s(attempt, v->attempt);
	if ((err = approval_store_put_verification(tx, v->application_id,
	         complete ? "true" : "false", missing, attempt, hex, facts))
	    != SN_OK)
		goto out;
	err = join_case(tx, v->application_id);
out:
	free(missing);
	free(hex);
	free(facts);
	sn__assist__v1__verification_completed__free_unpacked(v, NULL);
	return err;
}

static sn_err
on_investigation(sn_tx *tx, const sn_event *ev, void *arg)
{
	(void) arg;
	Sn__Assist__V1__InvestigationCompleted *r
	    = sn__assist__v1__investigation_completed__unpack(
	        NULL, ev->len, ev->data);
	if (r == NULL)
		return SN_EPROTO;
	sn_err err = SN_EPROTO;
	char  *inv = NULL, *report = NULL;
	if (!nonempty(r->application_id) || r->n_investigators < 1
	    || (inv = join(r->investigators, r->n_investigators)) == NULL)
		goto out;
	json_t *invj = json_array(), *pres = json_array(),
	       *contra = json_array();
	for (size_t i = 0; i < r->n_investigators; i++)
		json_array_append_new(invj, json_string(r->investigators[i]));
	for (size_t i = 0; i < r->n_members; i++)
		json_array_append_new(pres,
		    json_pack("{s:s,s:b}", "id_number",
		        r->members[i]->id_number, "present",
		        r->members[i]->present));
	for (size_t i = 0; i < r->n_contradictions; i++)
		json_array_append_new(
		    contra, json_string(r->contradictions[i]));
	static const char *const recs[]
	    = { "", "approve", "reject", "further_review" };
	err    = SN_ENOMEM;
	report = dump(json_pack("{s:s,s:o,s:s,s:o,s:s,s:s,s:o,s:s,s:s}",
	    "task_id", r->task_id, "investigators", invj, "visit_date",
	    r->visit_date, "members", pres, "living_conditions",
	    r->living_conditions, "housing_condition", r->housing_condition,
	    "contradictions", contra, "recommendation",
	    (unsigned) r->recommendation < 4 ? recs[r->recommendation] : "",
	    "submitted_by", r->submitted_by));
	if (report == NULL)
		goto out;
	if ((err = approval_store_put_investigation(
	         tx, r->application_id, inv, report))
	    != SN_OK)
		goto out;
	err = join_case(tx, r->application_id);
out:
	free(inv);
	free(report);
	sn__assist__v1__investigation_completed__free_unpacked(r, NULL);
	return err;
}

/* ---- the join: classify when everything is in -------------------------- */

static json_t *
computation_json(const approval_policy *p, const approval_household *h,
    const approval_result *r)
{
	json_t *refs = json_array(), *fails = json_array();
	for (int i = 1; i < 5; i++)
		if (r->referrals & (1u << i))
			json_array_append_new(
			    refs, json_string(sn_assist_referral_name(i)));
	static const char *const fn[]
	    = { "financial_assets", "homes", "vehicle", "business_capital" };
	for (int i = 0; i < 4; i++)
		if (r->asset_failures & (1u << i))
			json_array_append_new(fails, json_string(fn[i]));
	json_t *assets = json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
	    "pass", r->assets_pass, "financial_assets_per_member_fen",
	    (json_int_t) h->financial_assets_per_member_fen,
	    "financial_assets_limit_fen", (json_int_t) r->asset_limit_fen,
	    "homes", (json_int_t) h->homes, "max_homes",
	    (json_int_t) p->max_homes, "vehicles", (json_int_t) h->vehicles,
	    "business_capital_fen", (json_int_t) h->business_capital_fen,
	    "business_capital_limit_fen",
	    (json_int_t) p->business_capital_limit_fen, "failures", fails);
	return json_pack("{s:s,s:s,s:i,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:s,"
	                 "s:s,s:I,s:I,s:I,s:o}",
	    "policy_version", p->version, "registration",
	    sn_assist_or(sn_assist_registration_name((int) h->registration), ""), "members", (int) h->nmembers,
	    "has_able_supporter", h->has_able_supporter, "standard_fen",
	    (json_int_t) r->standard_fen, "gross_income_fen",
	    (json_int_t) h->gross_income_fen, "income_per_member_fen",
	    (json_int_t) h->income_per_member_fen,
	    "rigid_expenditure_per_member_fen",
	    (json_int_t) h->rigid_expenditure_per_member_fen,
	    "net_per_member_fen", (json_int_t) r->net_per_member_fen,
	    "low_income_factor_percent",
	    (json_int_t) p->low_income_factor_percent, "assets", assets,
	    "category", approval_rules_category_name(r->category), "tier",
	    approval_rules_tier_name(r->tier), "monthly_amount_fen",
	    (json_int_t) r->monthly_amount_fen, "tekun_amount_fen",
	    (json_int_t) r->tekun_amount_fen, "dibao_amount_fen",
	    (json_int_t) r->dibao_amount_fen, "referrals", refs);
}

/* Moves the case to HELD with reason, unless it is there already. */
static sn_err
hold(sn_tx *tx, const char *case_id, int stage, const char *old_reason,
    const char *reason, const char *township)
{
	if (stage == 2 && strcmp(old_reason, reason) == 0)
		return SN_OK;
	sn_err err = approval_store_set_stage(tx, case_id, "HELD", reason);
	if (err == SN_OK)
		err = stage_changed(tx, case_id, stage, 2, "system", reason,
		    township, false, "held");
	return err;
}

static sn_err
classify(sn_tx *tx, PGresult *res, const char *case_id, int stage,
    const char *township)
{
	approval_policy p = { 0 };
	snprintf(p.version, sizeof(p.version), "%s", PQgetvalue(res, 0, 8));
	p.urban_min_fen              = sn_db_i64(res, 0, 9);
	p.rural_min_fen              = sn_db_i64(res, 0, 10);
	p.urban_basic_fen            = sn_db_i64(res, 0, 11);
	p.rural_basic_fen            = sn_db_i64(res, 0, 12);
	p.care_able_fen              = sn_db_i64(res, 0, 13);
	p.care_partially_able_fen    = sn_db_i64(res, 0, 14);
	p.care_unable_fen            = sn_db_i64(res, 0, 15);
	p.low_income_factor_percent  = sn_db_i64(res, 0, 16);
	p.asset_multiple             = sn_db_i64(res, 0, 17);
	p.max_homes                  = sn_db_i64(res, 0, 18);
	p.business_capital_limit_fen = sn_db_i64(res, 0, 19);

	size_t   slen = 0, vlen = 0;
	uint8_t *sb = hex_decode(PQgetvalue(res, 0, 3), &slen);
	uint8_t *vb = hex_decode(PQgetvalue(res, 0, 6), &vlen);
	Sn__Assist__V1__ApplicationSubmitted  *s = sb == NULL
	     ? NULL
	     : sn__assist__v1__application_submitted__unpack(NULL, slen, sb);
	Sn__Assist__V1__VerificationCompleted *v = vb == NULL
	    ? NULL
	    : sn__assist__v1__verification_completed__unpack(NULL, vlen, vb);
	free(sb);
	free(vb);
	sn_err err  = SN_OK;
	char  *comp = NULL, *refs = NULL;
	if (s == NULL || v == NULL || v->facts == NULL) {
		/* Stored by us after the same checks: cannot happen. */
		err = hold(tx, case_id, stage, PQgetvalue(res, 0, 1),
		    "stored inputs unreadable", township);
		goto out;
	}
	approval_member members[APPROVAL_MAX_MEMBERS];
	for (size_t i = 0; i < s->n_members; i++) {
		members[i].labour
		    = (approval_labour) s->members[i]->labour_capacity;
		members[i].self_care
		    = (approval_self_care) s->members[i]->self_care;
	}
	const Sn__Assist__V1__HouseholdFacts *f  = v->facts;
	approval_household                    hh = { 0 };
	hh.registration = (approval_registration) s->household->registration;
	hh.has_able_supporter    = s->household->has_able_supporter;
	hh.nmembers              = s->n_members;
	hh.members               = members;
	hh.gross_income_fen      = f->gross_income_fen;
	hh.income_per_member_fen = f->income_per_member_fen;
	hh.rigid_expenditure_per_member_fen
	    = f->rigid_expenditure_per_member_fen;
	hh.financial_assets_per_member_fen
	    = f->financial_assets_per_member_fen;
	hh.homes                = f->homes;
	hh.vehicles             = f->vehicles;
	hh.business_capital_fen = f->business_capital_fen;
	if (s->declared_income != NULL)
		hh.declared_wages_fen = s->declared_income->wages_fen;
	if (s->declared_expenditure != NULL) {
		hh.declared_medical_fen = s->declared_expenditure->medical_fen;
		hh.declared_education_fen
		    = s->declared_expenditure->education_fen;
		hh.declared_housing_fen = s->declared_expenditure->housing_fen;
	}
	approval_result r;
	sn_err          rerr = approval_rules_classify(&p, &hh, &r);
	if (rerr != SN_OK) {
		char why[96];
		snprintf(why, sizeof(why), "cannot classify: %s",
		    sn_strerror(rerr));
		err = hold(
		    tx, case_id, stage, PQgetvalue(res, 0, 1), why, township);
		goto out;
	}
	char  *names[4];
	size_t nref = 0;
	for (int i = 1; i < 5; i++)
		if (r.referrals & (1u << i))
			names[nref++] = (char *) sn_assist_referral_name(i);
	err = SN_ENOMEM;
	if ((comp = dump(computation_json(&p, &hh, &r))) == NULL
	    || (refs = join(names, nref)) == NULL)
		goto out;
	char amount[24], tekun[24], dibao[24];
	i64s(amount, r.monthly_amount_fen);
	i64s(tekun, r.tekun_amount_fen);
	i64s(dibao, r.dibao_amount_fen);
	approval_store_computed c = { .case_id = case_id,
		.policy_version                = p.version,
		.category         = approval_rules_category_name(r.category),
		.tier             = approval_rules_tier_name(r.tier),
		.amount           = amount,
		.tekun_amount     = tekun,
		.dibao_amount     = dibao,
		.referrals        = refs,
		.computation_json = comp };
	if ((err = approval_store_set_computed(tx, &c)) != SN_OK
	    || (err = approval_store_timeline(
	            tx, case_id, "system", "computed", NULL, NULL, "", comp))
	        != SN_OK)
		goto out;
	err = stage_changed(tx, case_id, stage, 3, "system", "", township,
	    false, "ready_for_review");
	sn_counter_add(A.c_computed, 1);
out:
	free(comp);
	free(refs);
	if (s != NULL)
		sn__assist__v1__application_submitted__free_unpacked(s, NULL);
	if (v != NULL)
		sn__assist__v1__verification_completed__free_unpacked(v, NULL);
	return err;
}

static void
gather_cb(sn_tx *tx, PGresult *res, void *arg)
{
	(void) arg;
	if (PQntuples(res) != 1)
		return; /* not submitted yet, or past gathering */
	const char *case_id  = PQgetvalue(res, 0, 20);
	int         stage    = stage_parse(PQgetvalue(res, 0, 0));
	const char *reason   = PQgetvalue(res, 0, 1);
	const char *township = PQgetvalue(res, 0, 2);
	sn_err      err      = SN_OK;
	if (PQgetisnull(res, 0, 4))
		return; /* no verification yet */
	if (strcmp(PQgetvalue(res, 0, 4), "t") != 0) {
		char why[512];
		snprintf(why, sizeof(why),
		    "verification incomplete: no answer from %s",
		    PQgetvalue(res, 0, 5));
		err = hold(tx, case_id, stage, reason, why, township);
	} else if (strcmp(PQgetvalue(res, 0, 7), "t") != 0) {
		if (stage == 2) {
			/* A complete verification releases a held case. */
			err = approval_store_set_stage(
			    tx, case_id, "GATHERING", "");
			if (err == SN_OK)
				err = stage_changed(tx, case_id, 2, 1,
				    "system", "verification complete",
				    township, false, "released");
		}
	} else if (PQgetisnull(res, 0, 8)) {
		err = hold(tx, case_id, stage, reason,
		    "no policy version in force on the accepted date",
		    township);
	} else {
		err = classify(tx, res, case_id, stage, township);
	}
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

/* ---- HTTP: common --------------------------------------------------------
 */

static void
reply_db_json(sn_http_req *req, sn_err err, PGresult *res, const char *key)
{
	if (err != SN_OK || res == NULL) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the database did not answer; retry", NULL);
		return;
	}
	if (PQntuples(res) != 1) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such case", NULL);
		return;
	}
	json_t *j = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	if (j == NULL) {
		sn_http_reply_error(
		    req, 500, "internal", "bad stored JSON", NULL);
		return;
	}
	if (key != NULL)
		j = json_pack("{s:o}", key, j);
	sn_http_reply_json(req, 200, j);
}

static void
case_got(sn_err err, PGresult *res, void *arg)
{
	reply_db_json(arg, err, res, NULL);
}

static void
get_case(sn_http_req *req, void *arg)
{
	(void) arg;
	const sn_principal *p = sn_http_principal(req);
	approval_store_case_get(
	    A.db, sn_http_param(req, "id"), p->juris, case_got, req);
}

static void
cases_listed(sn_err err, PGresult *res, void *arg)
{
	reply_db_json(arg, err, res, "cases");
}

static void
list_cases(sn_http_req *req, void *arg)
{
	(void) arg;
	const sn_principal *p        = sn_http_principal(req);
	const char         *township = sn_http_query(req, "township");
	const char         *stage    = sn_http_query(req, "stage");
	const char         *category = sn_http_query(req, "category");
	const char         *overdue  = sn_http_query(req, "overdue");
	if (township != NULL && !code_valid(township, 9)) {
		sn_http_reply_error(req, 400, "invalid_query",
		    "township is a 9-digit township code", "township");
		return;
	}
	if (stage != NULL && stage_parse(stage) == 0) {
		sn_http_reply_error(req, 400, "invalid_query",
		    "stage is one of GATHERING, HELD, VILLAGE_REVIEW, "
		    "TOWNSHIP_CONFIRM, DISTRICT_FILING, FILED, REJECTED, "
		    "RETURNED, WITHDRAWN",
		    "stage");
		return;
	}
	if (category != NULL
	    && approval_rules_category_parse(category)
	        == APPROVAL_CAT_UNSPECIFIED) {
		sn_http_reply_error(req, 400, "invalid_query",
		    "category is one of tekun, dibao, expenditure, "
		    "low_income, "
		    "emergency, none",
		    "category");
		return;
	}
	if (overdue != NULL && strcmp(overdue, "true") != 0
	    && strcmp(overdue, "false") != 0) {
		sn_http_reply_error(req, 400, "invalid_query",
		    "overdue is true or false", "overdue");
		return;
	}
	approval_store_case_list(A.db, p->juris, township, stage, category,
	    overdue, cases_listed, req);
}

static void
beneficiaries_listed(sn_err err, PGresult *res, void *arg)
{
	reply_db_json(arg, err, res, "beneficiaries");
}

static void
list_beneficiaries(sn_http_req *req, void *arg)
{
	(void) arg;
	const sn_principal *p        = sn_http_principal(req);
	const char         *township = sn_http_query(req, "township");
	if (township != NULL && !code_valid(township, 9)) {
		sn_http_reply_error(req, 400, "invalid_query",
		    "township is a 9-digit township code", "township");
		return;
	}
	approval_store_beneficiary_list(
	    A.db, p->juris, township, beneficiaries_listed, req);
}

/* ---- HTTP: policy --------------------------------------------------------
 */

static const char *const policy_fields[]
    = { "urban_min_fen", "rural_min_fen", "urban_basic_fen", "rural_basic_fen",
	      "care_able_fen", "care_partially_able_fen", "care_unable_fen",
	      "low_income_factor_percent", "asset_multiple", "max_homes",
	      "business_capital_limit_fen" };
#define NPOLICY 11

static void
policy_listed(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	if (err != SN_OK || res == NULL) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the database did not answer; retry", NULL);
		return;
	}
	json_t *versions = json_array();
	json_t *in_force = json_null();
	json_t *ratio    = json_null();
	for (int r = 0; r < PQntuples(res); r++) {
		json_t *v
		    = json_pack("{s:s,s:s}", "version", PQgetvalue(res, r, 0),
		        "effective_from", PQgetvalue(res, r, 1));
		for (int i = 0; i < NPOLICY; i++)
			json_object_set_new(v, policy_fields[i],
			    json_integer(sn_db_i64(res, r, 2 + i)));
		if (strcmp(PQgetvalue(res, r, 13), "t") == 0) {
			char buf[32];
			json_decref(in_force);
			in_force = json_string(PQgetvalue(res, r, 0));
			if (approval_rules_ratio(sn_db_i64(res, r, 2),
			        sn_db_i64(res, r, 3), buf)
			    == SN_OK) {
				json_decref(ratio);
				ratio = json_string(buf);
			}
		}
		json_array_append_new(versions, v);
	}
	sn_http_reply_json(req, 200,
	    json_pack("{s:o,s:o,s:o}", "versions", versions, "in_force",
	        in_force, "urban_rural_ratio", ratio));
}

static void
get_policy(sn_http_req *req, void *arg)
{
	(void) arg;
	approval_store_policy_list(A.db, policy_listed, req);
}

static bool
version_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 31)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
		        || (c >= 'A' && c <= 'Z') || c == '-' || c == '.'
		        || c == '_'))
			return false;
	}
	return true;
}

static void
policy_checked(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req  = arg;
	json_t      *body = sn_http_json(req);
	if (strcmp(PQgetvalue(res, 0, 2), "t") == 0) {
		sn_http_tx_fail(req, tx, 409, "version_exists",
		    "a policy version with this name exists", "version");
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 3), "t") == 0) {
		sn_http_tx_fail(req, tx, 409, "date_taken",
		    "a policy version starts on this date", "effective_from");
		return;
	}
	if (sn_db_i64(res, 0, 0) > 0
	    && strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
		sn_http_tx_fail(req, tx, 409, "policy_in_force",
		    "would change a standard in force: effective_from must be "
		    "after today",
		    "effective_from");
		return;
	}
	char        nums[NPOLICY][24];
	const char *v[14];
	v[0] = json_string_value(json_object_get(body, "version"));
	v[1] = json_string_value(json_object_get(body, "effective_from"));
	for (int i = 0; i < NPOLICY; i++) {
		i64s(nums[i],
		    json_integer_value(
		        json_object_get(body, policy_fields[i])));
		v[2 + i] = nums[i];
	}
	v[13] = sn_http_principal(req)->user;
	if (approval_store_policy_add(tx, v) != SN_OK) {
		sn_http_tx_fail(req, tx, 503, "unavailable", "retry", NULL);
		return;
	}
	json_t *out = json_deep_copy(body);
	sn_http_tx_reply(req, tx, 201, out);
}

static void
policy_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	(void) arg;
	json_t *body = sn_http_json(req);
	if (approval_store_policy_check(tx,
	        json_string_value(json_object_get(body, "effective_from")),
	        json_string_value(json_object_get(body, "version")),
	        policy_checked, req)
	    != SN_OK)
		sn_http_tx_fail(req, tx, 503, "unavailable", "retry", NULL);
}

static void
post_policy(sn_http_req *req, void *arg)
{
	(void) arg;
	json_t *body = sn_http_json(req);
	if (!json_is_object(body)) {
		sn_http_reply_error(req, 400, "invalid_body",
		    "the body is a JSON object", NULL);
		return;
	}
	const char *version
	    = json_string_value(json_object_get(body, "version"));
	if (version == NULL || !version_valid(version)) {
		sn_http_reply_error(req, 400, "invalid_field",
		    "version is 1 to 31 of A-Z a-z 0-9 . _ -", "version");
		return;
	}
	const char *from
	    = json_string_value(json_object_get(body, "effective_from"));
	if (from == NULL || !approval_rules_date_valid(from)) {
		sn_http_reply_error(req, 400, "invalid_field",
		    "effective_from is a date YYYY-MM-DD", "effective_from");
		return;
	}
	for (int i = 0; i < NPOLICY; i++) {
		json_t *f   = json_object_get(body, policy_fields[i]);
		int64_t min = i < 4 ? 1
		    : i < 7         ? 0
		    : i == 7        ? 100
		    : i == 8        ? 1
		                    : 0;
		if (!json_is_integer(f) || json_integer_value(f) < min) {
			char msg[128];
			snprintf(msg, sizeof(msg),
			    "%s is an integer of at least %lld",
			    policy_fields[i], (long long) min);
			sn_http_reply_error(
			    req, 400, "invalid_field", msg, policy_fields[i]);
			return;
		}
	}
	sn_http_tx(req, policy_begin, NULL);
}

/* ---- HTTP: the three steps -----------------------------------------------
 */

enum step_kind { STEP_VILLAGE, STEP_TOWNSHIP, STEP_DISTRICT };

static const struct step {
	enum step_kind kind;
	const char    *pattern;
	const char    *name;
	const char    *role;
	int            at; /* the stage the step acts at */
} steps[] = {
	{ STEP_VILLAGE, "/cases/{id}/village-review", "village_review",
	    "village_reviewer", 3 },
	{ STEP_TOWNSHIP, "/cases/{id}/township-confirmation",
	    "township_confirmation", "township_officer", 4 },
	{ STEP_DISTRICT, "/cases/{id}/district-filing", "district_filing",
	    "district_officer", 5 },
};

static const struct step *
step_of(sn_http_req *req)
{
	const char *pat = sn_http_route_pattern(req);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (strcmp(steps[i].pattern, pat) == 0)
			return &steps[i];
	return &steps[0];
}

static const char *
body_str(sn_http_req *req, const char *key)
{
	const char *s
	    = json_string_value(json_object_get(sn_http_json(req), key));
	return s ? s : "";
}

/* Records the refusal and answers 403 with its code, in one commit. */
static void
refuse(sn_http_req *req, sn_tx *tx, const char *case_id, const char *code,
    const char *message)
{
	const sn_principal *p  = sn_http_principal(req);
	const struct step  *st = step_of(req);
	if (approval_store_refusal(
	        tx, case_id, p->user, p->role, st->name, code)
	    != SN_OK) {
		sn_http_tx_fail(req, tx, 503, "unavailable", "retry", NULL);
		return;
	}
	sn_counter_add(A.c_refusals, 1);
	sn_log(SN_LOG_INFO, "step refused", "case", case_id, "user", p->user,
	    "step", st->name, "code", code, NULL);
	sn_http_tx_reply(req, tx, 403,
	    json_pack("{s:{s:s,s:s,s:s?}}", "error", "code", code, "message",
	        message, "field", NULL));
}

static json_t *
step_answer(const char *case_id, int stage)
{
	return json_pack(
	    "{s:s,s:s}", "case_id", case_id, "stage", stage_names[stage]);
}

static void
do_village(sn_http_req *req, sn_tx *tx, PGresult *res, const char *case_id)
{
	const sn_principal *p = sn_http_principal(req);
	bool        pass      = strcmp(body_str(req, "decision"), "pass") == 0;
	const char *reason    = body_str(req, "reason");
	int         to        = pass ? 4 : 8;
	if (approval_store_actor(tx, case_id, p->user, "village_review")
	        != SN_OK
	    || approval_store_set_stage(tx, case_id, stage_names[to], reason)
	        != SN_OK
	    || stage_changed(tx, case_id, 3, to, p->user, reason,
	           PQgetvalue(res, 0, 2), false,
	           pass ? "village_passed" : "village_returned")
	        != SN_OK) {
		sn_http_tx_fail(req, tx, 503, "unavailable", "retry", NULL);
		return;
	}
	sn_http_tx_reply(req, tx, 200, step_answer(case_id, to));
}

static void
do_district(sn_http_req *req, sn_tx *tx, PGresult *res, const char *case_id)
{
	const sn_principal *p = sn_http_principal(req);
	bool                spot
	    = json_is_true(json_object_get(sn_http_json(req), "spot_check"));
	const char *note = body_str(req, "note");
	if (approval_store_actor(tx, case_id, p->user, "district_filing")
	        != SN_OK
	    || approval_store_file(tx, case_id, spot ? "true" : "false", note)
	        != SN_OK
	    || stage_changed(tx, case_id, 5, 6, p->user, note,
	           PQgetvalue(res, 0, 2), spot, "district_filed")
	        != SN_OK) {
		sn_http_tx_fail(req, tx, 503, "unavailable", "retry", NULL);
		return;
	}
	json_t *out = step_answer(case_id, 6);
	json_object_set_new(out, "spot_check", json_boolean(spot));
	sn_http_tx_reply(req, tx, 200, out);
}

static void
do_township(sn_http_req *req, sn_tx *tx, PGresult *res, const char *case_id)
{
	const sn_principal *p = sn_http_principal(req);
	bool approve = strcmp(body_str(req, "decision"), "approve") == 0;
	const char       *reason = body_str(req, "reason");
	approval_category computed
	    = approval_rules_category_parse(PQgetvalue(res, 0, 8));
	approval_category cat   = computed;
	const char       *asked = body_str(req, "category");
	if (asked[0] != '\0') {
		cat = approval_rules_category_parse(asked);
		if (cat != computed && reason[0] == '\0') {
			sn_http_tx_fail(req, tx, 422, "reason_required",
			    "changing the category needs a written reason",
			    "reason");
			return;
		}
	}
	if (approve
	    && (cat == APPROVAL_CAT_NONE || cat == APPROVAL_CAT_UNSPECIFIED)) {
		sn_http_tx_fail(req, tx, 422, "not_eligible",
		    "the household is in no category: approve needs a "
		    "category",
		    "category");
		return;
	}
	approval_tier tier   = approval_rules_tier(cat);
	sn_fen        amount = 0;
	if (cat == computed)
		amount = sn_db_i64(res, 0, 10);
	else if (cat == APPROVAL_CAT_TEKUN)
		amount = sn_db_i64(res, 0, 11);
	else if (cat == APPROVAL_CAT_DIBAO)
		amount = sn_db_i64(res, 0, 12);
	if (!approve)
		amount = 0;
	char month[8];
	if (approval_rules_next_month(PQgetvalue(res, 0, 16), month)
	    != SN_OK) {
		sn_http_tx_fail(req, tx, 500, "internal", "bad date", NULL);
		return;
	}
	size_t   slen = 0;
	uint8_t *sb   = hex_decode(PQgetvalue(res, 0, 15), &slen);
	Sn__Assist__V1__ApplicationSubmitted *s = sb == NULL
	    ? NULL
	    : sn__assist__v1__application_submitted__unpack(NULL, slen, sb);
	free(sb);
	if (s == NULL) {
		sn_http_tx_fail(
		    req, tx, 500, "internal", "stored input unreadable", NULL);
		return;
	}
	char refbuf[128];
	snprintf(refbuf, sizeof(refbuf), "%s", PQgetvalue(res, 0, 13));
	const char              *refnames[8];
	size_t                   nref = split(refbuf, refnames, 8);
	Sn__Assist__V1__Referral refs[8];
	for (size_t i = 0; i < nref; i++)
		refs[i]
		    = (Sn__Assist__V1__Referral) sn_assist_referral_parse(refnames[i]);
	const char *head_id   = s->members[0]->id_number;
	const char *head_name = s->members[0]->name;
	const char *bid       = PQgetvalue(res, 0, 17);
	int         to        = approve ? 5 : 7;
	char        amt[24];
	i64s(amt, amount);
	sn_err err = SN_OK;

	Sn__Assist__V1__ApplicationDecided d
	    = SN__ASSIST__V1__APPLICATION_DECIDED__INIT;
	d.application_id            = (char *) case_id;
	d.case_id                   = (char *) case_id;
	d.approved                  = approve;
	d.category                  = (Sn__Assist__V1__Category) cat;
	d.tier                      = (Sn__Assist__V1__Tier) tier;
	d.monthly_amount_fen        = amount;
	d.effective_month           = month;
	d.n_referrals               = approve ? nref : 0;
	d.referrals                 = refs;
	d.decided_by                = (char *) p->user;
	d.reason                    = (char *) reason;
	d.policy_version            = PQgetvalue(res, 0, 14);
	d.household                 = s->household;
	d.payee                     = s->payee;
	d.members                   = (int32_t) s->n_members;
	d.head_id_number            = (char *) head_id;
	d.head_name                 = (char *) head_name;
	approval_store_decision dec = { .case_id = case_id,
		.stage                           = stage_names[to],
		.reason                          = reason,
		.approved                        = approve ? "true" : "false",
		.category   = approval_rules_category_name(cat),
		.tier       = approval_rules_tier_name(tier),
		.amount     = amt,
		.decided_by = p->user };
	if ((err = approval_store_actor(
	         tx, case_id, p->user, "township_confirmation"))
	        != SN_OK
	    || (err = approval_store_decide(tx, &dec)) != SN_OK
	    || (err = append(
	            tx, "application.decided", case_id, p->user, &d.base))
	        != SN_OK
	    || (err = stage_changed(tx, case_id, 4, to, p->user, reason,
	            PQgetvalue(res, 0, 2), false,
	            approve ? "township_approved" : "township_rejected"))
	        != SN_OK)
		goto out;
	if (approve) {
		Sn__Assist__V1__PayeeAccount nopayee
		    = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
		const Sn__Assist__V1__PayeeAccount *pay
		    = s->payee != NULL ? s->payee : &nopayee;
		char *ids[APPROVAL_MAX_MEMBERS];
		for (size_t i = 0;
		     i < s->n_members && i < APPROVAL_MAX_MEMBERS; i++)
			ids[i] = s->members[i]->id_number;
		approval_store_beneficiary         b = { .beneficiary_id = bid,
			        .application_id = case_id,
			        .category  = approval_rules_category_name(cat),
			        .tier      = approval_rules_tier_name(tier),
			        .amount    = amt,
			        .bank_code = pay->bank_code,
			        .account_number = pay->account_number,
			        .account_name   = pay->account_name,
			        .from_month     = month,
			        .approved_by    = p->user,
			        .district_code  = PQgetvalue(res, 0, 1),
			        .township_code  = PQgetvalue(res, 0, 2),
			        .village_code   = PQgetvalue(res, 0, 3),
			        .head_id_number = head_id,
			        .head_name      = head_name,
			        .member_ids     = PQgetvalue(res, 0, 5) };
		Sn__Assist__V1__BeneficiaryChanged bc
		    = SN__ASSIST__V1__BENEFICIARY_CHANGED__INIT;
		bc.beneficiary_id = (char *) bid;
		bc.application_id = (char *) case_id;
		bc.status
		    = SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE;
		bc.category            = (Sn__Assist__V1__Category) cat;
		bc.tier                = (Sn__Assist__V1__Tier) tier;
		bc.monthly_amount_fen  = amount;
		bc.payee               = s->payee;
		bc.from_month          = month;
		bc.approved_by         = (char *) p->user;
		bc.household           = s->household;
		bc.head_id_number      = (char *) head_id;
		bc.head_name           = (char *) head_name;
		bc.n_member_id_numbers = s->n_members;
		bc.member_id_numbers   = ids;
		if ((err = approval_store_beneficiary_add(tx, &b)) != SN_OK
		    || (err = append(tx, "beneficiary.changed", case_id,
		            p->user, &bc.base))
		        != SN_OK)
			goto out;
	}
out:
	if (err != SN_OK) {
		sn__assist__v1__application_submitted__free_unpacked(s, NULL);
		sn_http_tx_fail(req, tx, 503, "unavailable", "retry", NULL);
		return;
	}
	json_t *ans = step_answer(case_id, to);
	json_object_set_new(ans, "approved", json_boolean(approve));
	json_object_set_new(
	    ans, "category", json_string(approval_rules_category_name(cat)));
	json_object_set_new(
	    ans, "tier", json_string(approval_rules_tier_name(tier)));
	json_object_set_new(ans, "monthly_amount_fen", json_integer(amount));
	json_object_set_new(ans, "effective_month", json_string(month));
	if (approve)
		json_object_set_new(ans, "beneficiary_id", json_string(bid));
	sn__assist__v1__application_submitted__free_unpacked(s, NULL);
	sn_http_tx_reply(req, tx, 200, ans);
}

static void
step_read(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req        *req     = arg;
	const sn_principal *p       = sn_http_principal(req);
	const struct step  *st      = step_of(req);
	const char         *case_id = sn_http_param(req, "id");
	if (PQntuples(res) != 1) {
		sn_http_tx_fail(
		    req, tx, 404, "not_found", "no such case", NULL);
		return;
	}
	const char *code = PQgetvalue(res, 0,
	    st->kind == STEP_VILLAGE        ? 3
	        : st->kind == STEP_TOWNSHIP ? 2
	                                    : 1);
	if (!sn_auth_within(p, code)) {
		refuse(req, tx, case_id, "outside_jurisdiction",
		    "the case is outside your jurisdiction");
		return;
	}
	/* Lists live in copies, split in place. */
	char *members = strdup(PQgetvalue(res, 0, 5));
	char *invs    = strdup(PQgetvalue(res, 0, 6));
	char *actors  = strdup(PQgetvalue(res, 0, 7));
	if (members == NULL || invs == NULL || actors == NULL) {
		free(members);
		free(invs);
		free(actors);
		sn_http_tx_fail(req, tx, 503, "unavailable", "retry", NULL);
		return;
	}
	const char   *mv[MAX_LIST], *iv[MAX_LIST], *av[MAX_LIST];
	approval_duty d  = { .user = p->user,
		 .id_number        = p->id_number,
		 .taken_in_by      = PQgetvalue(res, 0, 4) };
	d.nmembers       = split(members, mv, MAX_LIST);
	d.member_ids     = mv;
	d.ninvestigators = split(invs, iv, MAX_LIST);
	d.investigators  = iv;
	d.nactors        = split(actors, av, MAX_LIST);
	d.actors         = av;
	const char *why  = approval_rules_duty_check(&d);
	free(members);
	free(invs);
	free(actors);
	if (why != NULL) {
		char msg[160];
		snprintf(msg, sizeof(msg),
		    "segregation of duties: you may not act on this case (%s)",
		    why);
		refuse(req, tx, case_id, why, msg);
		return;
	}
	int stage = stage_parse(PQgetvalue(res, 0, 0));
	if (stage != st->at) {
		char msg[128];
		snprintf(msg, sizeof(msg), "the case is at stage %s, not %s",
		    stage_names[stage], stage_names[st->at]);
		sn_http_tx_fail(req, tx, 409, "wrong_stage", msg, NULL);
		return;
	}
	switch (st->kind) {
	case STEP_VILLAGE:
		do_village(req, tx, res, case_id);
		break;
	case STEP_TOWNSHIP:
		do_township(req, tx, res, case_id);
		break;
	case STEP_DISTRICT:
		do_district(req, tx, res, case_id);
		break;
	}
}

static void
step_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	(void) arg;
	if (approval_store_step_read(
	        tx, sn_http_param(req, "id"), step_read, req)
	    != SN_OK)
		sn_http_tx_fail(req, tx, 503, "unavailable", "retry", NULL);
}

static bool
body_opt_string(sn_http_req *req, const char *key)
{
	json_t *v = json_object_get(sn_http_json(req), key);
	if (v == NULL || json_is_string(v))
		return true;
	sn_http_reply_error(
	    req, 400, "invalid_field", "a string is expected", key);
	return false;
}

static void
post_step(sn_http_req *req, void *arg)
{
	const struct step *st   = arg;
	json_t            *body = sn_http_json(req);
	if (!json_is_object(body)) {
		sn_http_reply_error(req, 400, "invalid_body",
		    "the body is a JSON object", NULL);
		return;
	}
	if (!body_opt_string(req, "reason") || !body_opt_string(req, "note")
	    || !body_opt_string(req, "category")
	    || !body_opt_string(req, "decision"))
		return;
	const char *decision = body_str(req, "decision");
	const char *reason   = body_str(req, "reason");
	switch (st->kind) {
	case STEP_VILLAGE:
		if (strcmp(decision, "pass") != 0
		    && strcmp(decision, "return") != 0) {
			sn_http_reply_error(req, 400, "invalid_field",
			    "decision is \"pass\" or \"return\"", "decision");
			return;
		}
		if (strcmp(decision, "return") == 0 && reason[0] == '\0') {
			sn_http_reply_error(req, 422, "reason_required",
			    "a return needs a reason", "reason");
			return;
		}
		break;
	case STEP_TOWNSHIP: {
		if (strcmp(decision, "approve") != 0
		    && strcmp(decision, "reject") != 0) {
			sn_http_reply_error(req, 400, "invalid_field",
			    "decision is \"approve\" or \"reject\"",
			    "decision");
			return;
		}
		if (strcmp(decision, "reject") == 0 && reason[0] == '\0') {
			sn_http_reply_error(req, 422, "reason_required",
			    "a rejection needs a reason", "reason");
			return;
		}
		const char       *cat = body_str(req, "category");
		approval_category c   = approval_rules_category_parse(cat);
		if (cat[0] != '\0' && c != APPROVAL_CAT_TEKUN
		    && c != APPROVAL_CAT_DIBAO && c != APPROVAL_CAT_EXPENDITURE
		    && c != APPROVAL_CAT_LOW_INCOME) {
			sn_http_reply_error(req, 400, "invalid_field",
			    "category is tekun, dibao, expenditure or "
			    "low_income",
			    "category");
			return;
		}
		break;
	}
	case STEP_DISTRICT: {
		json_t *spot = json_object_get(body, "spot_check");
		if (spot != NULL && !json_is_boolean(spot)) {
			sn_http_reply_error(req, 400, "invalid_field",
			    "spot_check is true or false", "spot_check");
			return;
		}
		break;
	}
	}
	sn_http_tx(req, step_begin, NULL);
}

/* ---- the clock ------------------------------------------------------------
 */

static void
overdue_marked(sn_tx *tx, PGresult *res, void *arg)
{
	(void) arg;
	for (int r = 0; r < PQntuples(res); r++) {
		const char                 *case_id = PQgetvalue(res, r, 0);
		Sn__Assist__V1__CaseOverdue m
		    = SN__ASSIST__V1__CASE_OVERDUE__INIT;
		m.case_id        = (char *) case_id;
		m.application_id = (char *) case_id;
		m.stage          = (Sn__Assist__V1__Stage) stage_parse(
		             PQgetvalue(res, r, 1));
		m.deadline_date = PQgetvalue(res, r, 2);
		m.township_code = PQgetvalue(res, r, 3);
		sn_err err = approval_store_timeline(tx, case_id, "system",
		    "overdue", NULL, NULL, m.deadline_date, NULL);
		if (err == SN_OK)
			err = append(
			    tx, "case.overdue", case_id, "system", &m.base);
		if (err != SN_OK) {
			sn_tx_rollback(tx, err);
			return;
		}
		sn_counter_add(A.c_overdue, 1);
	}
}

static void
counted(sn_tx *tx, PGresult *res, void *arg)
{
	(void) tx;
	(void) arg;
	int64_t by_stage[NSTAGES] = { 0 };
	int64_t overdue           = 0;
	for (int r = 0; r < PQntuples(res); r++) {
		const char *name = PQgetvalue(res, r, 0);
		if (strcmp(name, "overdue") == 0)
			overdue = sn_db_i64(res, r, 1);
		else
			by_stage[stage_parse(name)] = sn_db_i64(res, r, 1);
	}
	for (int i = 1; i < NSTAGES; i++)
		sn_gauge_set(A.g_stage[i], by_stage[i]);
	sn_gauge_set(A.g_overdue, overdue);
}

static void
tick_begin(sn_tx *tx, void *arg)
{
	(void) arg;
	if (approval_store_mark_overdue(tx, overdue_marked, NULL) != SN_OK
	    || approval_store_counts(tx, counted, NULL) != SN_OK) {
		sn_tx_rollback(tx, SN_EDB);
		return;
	}
	sn_tx_commit(tx);
}

static void
tick_done(sn_err err, void *arg)
{
	(void) arg;
	A.tick_running = false;
	if (err != SN_OK && err != SN_ECLOSED)
		sn_log(SN_LOG_WARN, "overdue check failed; next tick retries",
		    "error", sn_strerror(err), NULL);
}

static void
on_tick(void *arg)
{
	(void) arg;
	if (A.tick_running || sn_loop_stopping(A.loop))
		return;
	A.tick_running = true;
	sn_db_tx(A.db, tick_begin, tick_done, NULL);
}

/* ---- wiring
 * ----------------------------------------------------------------- */

sn_err
approval_setup(sn_service *svc, void *arg)
{
	const approval_config *cfg = arg;
	A.svc                      = svc;
	A.bus                      = sn_service_bus(svc);
	A.db                       = sn_service_db(svc);
	A.loop                     = sn_service_loop(svc);
	i64s(A.deadline_days, cfg->deadline_days);
	sn_metrics *m = sn_service_metrics(svc);
	for (int i = 1; i < NSTAGES; i++) {
		char labels[64];
		snprintf(
		    labels, sizeof(labels), "stage=\"%s\"", stage_names[i]);
		A.g_stage[i] = sn_metrics_gauge(
		    m, "approval_cases", "Cases by stage", labels);
		if (A.g_stage[i] == NULL)
			return SN_ENOMEM;
	}
	A.g_overdue = sn_metrics_gauge(
	    m, "approval_cases_overdue", "Cases marked overdue", NULL);
	A.c_refusals = sn_metrics_counter(m, "approval_refusals_total",
	    "Steps refused (jurisdiction, segregation of duties)", NULL);
	A.c_overdue  = sn_metrics_counter(m, "approval_overdue_marked_total",
	     "Cases marked overdue by the clock", NULL);
	A.c_computed = sn_metrics_counter(
	    m, "approval_computed_total", "Cases classified", NULL);
	if (A.g_overdue == NULL || A.c_refusals == NULL || A.c_overdue == NULL
	    || A.c_computed == NULL)
		return SN_ENOMEM;

	sn_bus *bus = A.bus;
	sn_err  err;
	if ((err = sn_bus_on(
	         bus, "intake", "application.submitted", on_submitted, NULL))
	        != SN_OK
	    || (err = sn_bus_on(bus, "intake", "application.withdrawn",
	            on_withdrawn, NULL))
	        != SN_OK
	    || (err = sn_bus_on(bus, "verification", "verification.completed",
	            on_verification, NULL))
	        != SN_OK
	    || (err = sn_bus_on(bus, "investigation",
	            "investigation.completed", on_investigation, NULL))
	        != SN_OK)
		return err;

	sn_http *h = sn_service_http(svc);
	if ((err = sn_http_route(
	         h, "GET", "/policy", 0, NULL, get_policy, NULL))
	        != SN_OK
	    || (err = sn_http_route(h, "POST", "/policy", SN_HTTP_IDEMPOTENT,
	            "district_admin", post_policy, NULL))
	        != SN_OK
	    || (err = sn_http_route(
	            h, "GET", "/cases", 0, NULL, list_cases, NULL))
	        != SN_OK
	    || (err = sn_http_route(
	            h, "GET", "/cases/{id}", 0, NULL, get_case, NULL))
	        != SN_OK
	    || (err = sn_http_route(h, "GET", "/beneficiaries", 0, NULL,
	            list_beneficiaries, NULL))
	        != SN_OK)
		return err;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if ((err = sn_http_route(h, "POST", steps[i].pattern,
		         SN_HTTP_IDEMPOTENT, steps[i].role, post_step,
		         (void *) &steps[i]))
		    != SN_OK)
			return err;

	return sn_service_every(
	    svc, 0, (uint64_t) cfg->overdue_check_ms, on_tick, NULL);
}
