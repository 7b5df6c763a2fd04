/*
 * store.c - approval's SQL, and its results read into rows. See store.h.
 *
 * Columns are named in every SELECT and RETURNING (AS ...) because
 * sn_rows looks them up by name; coalesce() supplies the documented
 * sentinel where a row struct has no has_ flag.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/assist.h"
#include "sn/seal.h"
#include "sn/sealdb.h"

#define NP(a) ((int) (sizeof(a) / sizeof((a)[0])))

/* A review by its primary key, from the text naming it (sn/db.h): a
 * review case's review_id, a review case's own id (case_id = review_id),
 * $1. */
#define REVIEW_OF_CASE SN_SQL_UUID_OF("c.review_id")
#define REVIEW_CASE SN_SQL_UUID_OF("c.case_id")
#define REVIEW_1 SN_SQL_UUID_OF("$1")

/* A column at a nested member (policy.urban_min_fen), named name, NULL
 * allowed when has is a bool member's offset. */
#define COL_AT(T, path, name, type, has)                                      \
	{                                                                     \
		name, type, offsetof(T, path), sizeof(((T *) 0)->path), has,  \
		    NULL                                                      \
	}
#define COL_OPT_AT(T, path, name, type, hasm)                                 \
	COL_AT(T, path, name, type, offsetof(T, hasm))

/* The register figures of a version (migration 006) at member path of
 * T. */
#define REGISTER_POLICY_COLS(T, path, has)                                    \
	COL_AT(T, path.review_months_dibao_stable,                            \
	    "review_months_dibao_stable", SN_COL_I32, has),                   \
	    COL_AT(T, path.review_months_dibao, "review_months_dibao",        \
	        SN_COL_I32, has),                                             \
	    COL_AT(T, path.review_months_tekun, "review_months_tekun",        \
	        SN_COL_I32, has),                                             \
	    COL_AT(T, path.review_months_edge, "review_months_edge",          \
	        SN_COL_I32, has),                                             \
	    COL_AT(T, path.price_subsidy_per_person_fen,                      \
	        "price_subsidy_per_person_fen", SN_COL_I64, has),             \
	    COL_AT(T, path.cpi_threshold_permille, "cpi_threshold_permille",  \
	        SN_COL_I64, has),                                             \
	    COL_AT(T, path.food_cpi_threshold_permille,                       \
	        "food_cpi_threshold_permille", SN_COL_I64, has)

static void
i64s(char buf[24], int64_t v)
{
	snprintf(buf, 24, "%" PRId64, v);
}

/* An array parameter's text, or NULL (out of memory) */
static const char *
pgarray(sn_pgarray *a, const char *const *v, size_t n)
{
	sn_pgarray_init(a);
	for (size_t i = 0; i < n; i++)
		sn_pgarray_add(a, v[i]);
	return sn_pgarray_text(a);
}

/* ---- sealed columns ------------------------------------------------------
 */

const sn_sealdb_column approval_sealed_columns[] = {
	{ .table    = "beneficiaries",
	    .clear  = "head_id_number",
	    .sealed = "head_id_number_sealed",
	    .ad     = APPROVAL_SEALED_HEAD },
	{ .table    = "beneficiaries",
	    .clear  = "account_number",
	    .sealed = "account_number_sealed",
	    .ad     = APPROVAL_SEALED_ACCOUNT },
};
const size_t approval_sealed_ncolumns
    = sizeof(approval_sealed_columns) / sizeof(approval_sealed_columns[0]);

/* The keys of the register's documents that hold sealed values. */
static const sn_sealdb_key sealed_keys[] = {
	{ "head_id_number", APPROVAL_SEALED_HEAD },
	{ "account_number", APPROVAL_SEALED_ACCOUNT },
};

/* plain sealed for column ad (*out malloc'd). */
static sn_err
seal(const char *ad, const char *plain, char **out)
{
	const sn_seal *s = sn_seal_default();
	*out             = NULL;
	if (s == NULL || plain == NULL)
		return SN_EINVAL;
	return sn_seal_text(s, ad, plain, out);
}

/* v opened for column ad: sealed text opened, a clear value (a row not
 * sealed yet) copied. *out malloc'd. */
static sn_err
unseal(const char *ad, const char *v, char **out)
{
	const sn_seal *s = sn_seal_default();
	*out             = NULL;
	if (v == NULL)
		return SN_EINVAL;
	if (strncmp(v, "sn1.", 4) != 0) {
		*out = strdup(v);
		return *out != NULL ? SN_OK : SN_ENOMEM;
	}
	return s != NULL ? sn_seal_open_text(s, ad, v, out) : SN_EINVAL;
}

/* r's sealed values opened in place: r points into opened[0..1], which
 * the caller frees. */
static sn_err
register_open(approval_register_row *r, char *opened[2])
{
	sn_err err
	    = unseal(APPROVAL_SEALED_ACCOUNT, r->account_number, &opened[0]);
	if (err == SN_OK)
		err = unseal(
		    APPROVAL_SEALED_HEAD, r->head_id_number, &opened[1]);
	if (err == SN_OK) {
		r->account_number = opened[0];
		r->head_id_number = opened[1];
	}
	return err;
}

/* A register document with its sealed values opened (*out malloc'd). */
static sn_err
open_doc(const char *json, char **out)
{
	const sn_seal *s = sn_seal_default();
	*out             = NULL;
	if (s == NULL)
		return SN_EINVAL;
	return sn_sealdb_open_json(
	    s, json, sealed_keys, SN_NCOLS(sealed_keys), out);
}

/* Queues sql with text parameters but for one binary (bytea), v[bin],
 * of len bytes. */
static sn_err
query_with_bytes(sn_tx *tx, const char *sql, int n, const char *const *v,
    int bin, size_t len)
{
	int lengths[16] = { 0 }, formats[16] = { 0 };
	if (n > 16 || len > INT32_MAX)
		return SN_EINVAL;
	lengths[bin] = (int) len;
	formats[bin] = 1;
	return sn_tx_query_bin(tx, sql, n, v, lengths, formats, 0, NULL, NULL);
}

/* ---- the three upstream streams ------------------------------------------
 */

static const char SQL_PUT_SUBMITTED[]
    = "WITH s AS (INSERT INTO submitted (application_id, data, accepted_date,"
      " district_code, township_code, village_code, taken_in_by, member_ids,"
      " summary) VALUES ($1, $2, $3::date, $4, $5, $6, $7, $8::text[],"
      " $9::jsonb)"
      " ON CONFLICT (application_id) DO NOTHING RETURNING application_id)"
      " INSERT INTO cases (case_id, stage, accepted_date, deadline_date,"
      " district_code, township_code, village_code)"
      " SELECT $1, 'GATHERING', $3::date, $10::date, $4, $5, $6"
      " FROM s ON CONFLICT (case_id) DO NOTHING";

sn_err
approval_store_put_submitted(sn_tx *tx, const approval_submission *s)
{
	char        accepted[SN_DATE_STRLEN], deadline[SN_DATE_STRLEN];
	sn_pgarray  ids;
	const char *idv = pgarray(&ids, s->member_ids, s->nmembers);
	sn_err      err = SN_ENOMEM;
	if (idv != NULL) {
		const char *v[] = { s->application_id, (const char *) s->data,
			sn_date_format(s->accepted, accepted),
			s->district_code, s->township_code, s->village_code,
			s->taken_in_by, idv, s->summary_json,
			sn_date_format(s->deadline, deadline) };
		err             = query_with_bytes(
		                tx, SQL_PUT_SUBMITTED, NP(v), v, 1, s->len);
	}
	sn_pgarray_fini(&ids);
	return err;
}

static const char SQL_WITHDRAW[]
    = "WITH old AS (SELECT case_id, stage FROM cases WHERE case_id = $1"
      " AND stage IN ('GATHERING', 'HELD', 'VILLAGE_REVIEW',"
      " 'TOWNSHIP_CONFIRM', 'RETURNED') FOR UPDATE)"
      " UPDATE cases c SET stage = 'WITHDRAWN', stage_reason = $2,"
      " updated_at = now() FROM old WHERE c.case_id = old.case_id"
      " RETURNING c.case_id AS case_id, old.stage AS from_stage,"
      " c.township_code AS township_code, $3::text AS actor";

static const sn_col withdrawal_cols[] = {
	SN_COL(approval_withdrawal, case_id, SN_COL_TEXT),
	{ "from_stage", SN_COL_ENUM, offsetof(approval_withdrawal, from),
	    sizeof(approval_stage), SN_COL_NOT_NULL, approval_stage_names },
	SN_COL(approval_withdrawal, township_code, SN_COL_TEXT),
	SN_COL(approval_withdrawal, actor, SN_COL_TEXT),
};

static void
withdrawn_cb(sn_tx *tx, PGresult *res, void *arg)
{
	const approval_withdrawn_req *req = arg;
	approval_withdrawal           w;
	sn_err                        err
	    = sn_rows_one(res, withdrawal_cols, SN_NCOLS(withdrawal_cols), &w);
	req->cb(tx, err, err == SN_OK ? &w : NULL, req->arg);
}

sn_err
approval_store_withdraw(sn_tx *tx, const char *case_id, const char *reason,
    const char *actor, const approval_withdrawn_req *req)
{
	const char *v[] = { case_id, reason, actor };
	return sn_tx_query(
	    tx, SQL_WITHDRAW, NP(v), v, withdrawn_cb, (void *) req);
}

static const char SQL_PUT_VERIFICATION[]
    = "INSERT INTO verification (application_id, complete, missing, attempt,"
      " data, facts, revision) VALUES ($1, $2::boolean, $3::text[],"
      " $4::integer, $5, $6::jsonb, $7::integer)"
      " ON CONFLICT (application_id) DO UPDATE SET"
      " complete = EXCLUDED.complete, missing = EXCLUDED.missing,"
      " attempt = EXCLUDED.attempt, data = EXCLUDED.data,"
      " facts = EXCLUDED.facts, revision = EXCLUDED.revision,"
      " received_at = now()"
      " WHERE verification.revision <= EXCLUDED.revision";

sn_err
approval_store_put_verification(sn_tx *tx, const approval_verification *x)
{
	char        attempt[24], revision[24];
	sn_pgarray  missing;
	const char *mv  = pgarray(&missing, x->missing, x->nmissing);
	sn_err      err = SN_ENOMEM;
	i64s(attempt, x->attempt);
	i64s(revision, x->revision > 1 ? x->revision : 1);
	if (mv != NULL) {
		const char *v[] = { x->application_id,
			x->complete ? "true" : "false", mv, attempt,
			(const char *) x->data, x->facts_json, revision };
		err             = query_with_bytes(
		                tx, SQL_PUT_VERIFICATION, NP(v), v, 4, x->len);
	}
	sn_pgarray_fini(&missing);
	return err;
}

static const char SQL_PUT_INVESTIGATION[]
    = "INSERT INTO investigation (application_id, investigators, report)"
      " VALUES ($1, $2::text[], $3::jsonb)"
      " ON CONFLICT (application_id) DO UPDATE SET"
      " investigators = EXCLUDED.investigators, report = EXCLUDED.report,"
      " received_at = now()";

sn_err
approval_store_put_investigation(sn_tx *tx, const char *app_id,
    const char *const *investigators, size_t ninvestigators,
    const char *report_json)
{
	sn_pgarray  inv;
	const char *iv  = pgarray(&inv, investigators, ninvestigators);
	sn_err      err = SN_ENOMEM;
	if (iv != NULL) {
		const char *v[] = { app_id, iv, report_json };
		err             = sn_tx_query(
		                tx, SQL_PUT_INVESTIGATION, NP(v), v, NULL, NULL);
	}
	sn_pgarray_fini(&inv);
	return err;
}

static const char SQL_LOCK_CASE[]
    = "SELECT pg_advisory_xact_lock(hashtext('approval.case'), hashtext($1))";

sn_err
approval_store_lock_case(sn_tx *tx, const char *case_id)
{
	const char *v[] = { case_id };
	return sn_tx_query(tx, SQL_LOCK_CASE, NP(v), v, NULL, NULL);
}

/* ---- the join --------------------------------------------------------------
 */

static const char SQL_INPUTS[]
    = "SELECT c.case_id, c.stage, c.stage_reason, c.township_code,"
      " s.data AS submitted, v.complete AS verification_complete,"
      " v.data AS verification,"
      " array_to_string(v.missing, ',') AS missing,"
      " (i.application_id IS NOT NULL) AS investigation_in,"
      " p.version, p.urban_min_fen, p.rural_min_fen, p.urban_basic_fen,"
      " p.rural_basic_fen, p.care_able_fen, p.care_partially_able_fen,"
      " p.care_unable_fen, p.low_income_factor_percent, p.asset_multiple,"
      " p.max_homes, p.business_capital_limit_fen"
      " FROM cases c JOIN submitted s ON s.application_id = c.case_id"
      " LEFT JOIN verification v ON v.application_id = c.case_id"
      " AND v.revision = c.revision"
      " LEFT JOIN investigation i ON i.application_id = c.case_id"
      " LEFT JOIN LATERAL (SELECT * FROM policy_version q"
      "  WHERE q.effective_from <= s.accepted_date"
      "  ORDER BY q.effective_from DESC LIMIT 1) p ON true"
      " WHERE c.case_id = $1 AND c.stage IN ('GATHERING', 'HELD')";

#define POLICY_COL(T, m) COL_OPT_AT(T, policy.m, #m, SN_COL_I64, has_policy)

static const sn_col inputs_cols[] = {
	SN_COL(approval_inputs, case_id, SN_COL_TEXT),
	SN_COL_ENUMOF(approval_inputs, stage, approval_stage_names),
	SN_COL(approval_inputs, stage_reason, SN_COL_TEXT),
	SN_COL(approval_inputs, township_code, SN_COL_TEXT),
	SN_COL(approval_inputs, submitted, SN_COL_BYTES),
	SN_COL_OPT(approval_inputs, verification_complete, SN_COL_BOOL,
	    has_verification),
	SN_COL_OPT(
	    approval_inputs, verification, SN_COL_BYTES, has_verification),
	SN_COL_OPT(approval_inputs, missing, SN_COL_TEXT, has_verification),
	SN_COL(approval_inputs, investigation_in, SN_COL_BOOL),
	COL_OPT_AT(approval_inputs, policy.version, "version", SN_COL_CHARS,
	    has_policy),
	POLICY_COL(approval_inputs, urban_min_fen),
	POLICY_COL(approval_inputs, rural_min_fen),
	POLICY_COL(approval_inputs, urban_basic_fen),
	POLICY_COL(approval_inputs, rural_basic_fen),
	POLICY_COL(approval_inputs, care_able_fen),
	POLICY_COL(approval_inputs, care_partially_able_fen),
	POLICY_COL(approval_inputs, care_unable_fen),
	POLICY_COL(approval_inputs, low_income_factor_percent),
	POLICY_COL(approval_inputs, asset_multiple),
	POLICY_COL(approval_inputs, max_homes),
	POLICY_COL(approval_inputs, business_capital_limit_fen),
};

static void
inputs_cb(sn_tx *tx, PGresult *res, void *arg)
{
	const approval_inputs_req *req = arg;
	approval_inputs            in;
	sn_rows                    rows;
	sn_err                     err
	    = sn_rows_open(&rows, res, inputs_cols, SN_NCOLS(inputs_cols));
	if (err == SN_OK && sn_rows_count(&rows) == 0)
		err = SN_ENOTFOUND;
	if (err == SN_OK)
		err = sn_rows_read(&rows, 0, &in);
	req->cb(tx, err, err == SN_OK ? &in : NULL, req->arg);
	sn_rows_close(&rows);
}

sn_err
approval_store_inputs(
    sn_tx *tx, const char *case_id, const approval_inputs_req *req)
{
	const char *v[] = { case_id };
	return sn_tx_query(tx, SQL_INPUTS, NP(v), v, inputs_cb, (void *) req);
}

static const char SQL_SET_STAGE[]
    = "UPDATE cases SET stage = $2, stage_reason = $3, updated_at = now()"
      " WHERE case_id = $1";

sn_err
approval_store_set_stage(
    sn_tx *tx, const char *case_id, approval_stage stage, const char *reason)
{
	const char *v[]
	    = { case_id, approval_rules_stage_name(stage), reason };
	return sn_tx_query(tx, SQL_SET_STAGE, NP(v), v, NULL, NULL);
}

static const char SQL_SET_COMPUTED[]
    = "UPDATE cases SET stage = 'VILLAGE_REVIEW', stage_reason = '',"
      " policy_version = $2, category = $3, tier = NULLIF($4, ''),"
      " monthly_amount_fen = $5::bigint, tekun_amount_fen = $6::bigint,"
      " dibao_amount_fen = $7::bigint,"
      " referrals = CASE WHEN cardinality($8::text[]) = 0 THEN NULL"
      "  ELSE $8::text[] END,"
      " computation = $9::jsonb, updated_at = now() WHERE case_id = $1";

/* The referral bits as an array of their names. */
static const char *
referral_array(sn_pgarray *a, unsigned bits)
{
	sn_pgarray_init(a);
	for (int i = 1; i < 32; i++)
		if (bits & (1u << i)) {
			const char *name = sn_assist_referral_name(i);
			if (name != NULL)
				sn_pgarray_add(a, name);
		}
	return sn_pgarray_text(a);
}

sn_err
approval_store_set_computed(sn_tx *tx, const char *case_id,
    const char *version, const approval_result *r,
    const char *computation_json)
{
	char        amount[24], tekun[24], dibao[24];
	sn_pgarray  refs;
	const char *rv  = referral_array(&refs, r->referrals);
	sn_err      err = SN_ENOMEM;
	i64s(amount, r->monthly_amount_fen);
	i64s(tekun, r->tekun_amount_fen);
	i64s(dibao, r->dibao_amount_fen);
	if (rv != NULL) {
		const char *v[] = { case_id, version,
			approval_rules_category_name(r->category),
			approval_rules_tier_name(r->tier), amount, tekun,
			dibao, rv, computation_json };
		err = sn_tx_query(tx, SQL_SET_COMPUTED, NP(v), v, NULL, NULL);
	}
	sn_pgarray_fini(&refs);
	return err;
}

static const char SQL_TIMELINE[]
    = "INSERT INTO case_timeline (case_id, actor, action, from_stage,"
      " to_stage, reason, detail) VALUES ($1, $2, $3, $4, $5,"
      " coalesce($6, ''), $7::jsonb)";

static const char *
stage_or_null(approval_stage s)
{
	return s == APPROVAL_STAGE_UNSPECIFIED ? NULL
	                                       : approval_rules_stage_name(s);
}

sn_err
approval_store_timeline(sn_tx *tx, const char *case_id, const char *actor,
    const char *action, approval_stage from, approval_stage to,
    const char *reason, const char *detail_json)
{
	const char *v[] = { case_id, actor, action, stage_or_null(from),
		stage_or_null(to), reason, detail_json };
	return sn_tx_query(tx, SQL_TIMELINE, NP(v), v, NULL, NULL);
}

/* ---- the steps
 * ----------------------------------------------------------------- */

/*
 * One row per person or referral of the case (kind, who), each carrying
 * the case's own columns too: the lists and the case arrive in one
 * result, so that every string stays borrowed from it.
 */
static const char SQL_CASE_STEP[]
    = "SELECT c.case_id, c.stage, c.district_code, c.township_code,"
      " c.village_code, s.taken_in_by, coalesce(c.category, '') AS category,"
      " coalesce(c.monthly_amount_fen, 0) AS monthly_amount_fen,"
      " coalesce(c.tekun_amount_fen, 0) AS tekun_amount_fen,"
      " coalesce(c.dibao_amount_fen, 0) AS dibao_amount_fen,"
      " coalesce(c.policy_version, '') AS policy_version,"
      " c.kind = 'review' AS is_review,"
      " c.revision, c.rule_reason,"
      " coalesce(c.review_id, '') AS review_id,"
      " coalesce(c.beneficiary_id, '') AS beneficiary_id,"
      " s.data AS submitted, coalesce(l.kind, '') AS kind, l.who,"
      " f.version IS NOT NULL AS has_reg,"
      " f.review_months_dibao_stable, f.review_months_dibao,"
      " f.review_months_tekun, f.review_months_edge,"
      " f.price_subsidy_per_person_fen, f.cpi_threshold_permille,"
      " f.food_cpi_threshold_permille"
      " FROM cases c LEFT JOIN beneficiaries b ON c.kind = 'review'"
      " AND b.beneficiary_id = c.beneficiary_id"
      " LEFT JOIN LATERAL (SELECT * FROM policy_version"
      "  WHERE effective_from <= $2::date ORDER BY effective_from DESC"
      "  LIMIT 1) f ON true"
      " JOIN submitted s"
      " ON s.application_id = coalesce(b.application_id, c.case_id)"
      " LEFT JOIN LATERAL (SELECT investigators FROM investigation"
      "  WHERE c.kind = 'application' AND application_id = c.case_id"
      "  UNION ALL SELECT investigators FROM review_investigation"
      "  WHERE c.kind = 'review' AND review_id = c.case_id) i ON true"
      " LEFT JOIN LATERAL ("
      "  SELECT 'member' AS kind, m AS who FROM (SELECT unnest(s.member_ids)"
      "  UNION SELECT unnest(b.member_ids)) AS mm (m)"
      "  UNION ALL SELECT 'investigator', x FROM unnest(i.investigators) x"
      "  UNION ALL SELECT 'actor', a.user_id FROM case_actors a"
      "   WHERE a.case_id = c.case_id"
      "  UNION ALL SELECT 'referral', r FROM unnest(c.referrals) r) l"
      " ON true"
      " WHERE c.case_id = $1 FOR UPDATE OF c";

/* The case's columns, read from the first row. */
typedef struct step_row {
	const char              *case_id;
	approval_stage           stage;
	const char              *district_code, *township_code, *village_code;
	const char              *taken_in_by;
	approval_category        category;
	int64_t                  monthly_amount_fen, tekun_amount_fen;
	int64_t                  dibao_amount_fen;
	const char              *policy_version;
	bool                     is_review;
	const char              *review_id, *beneficiary_id;
	sn_bytes                 submitted;
	bool                     has_reg;
	approval_register_policy reg;
	int32_t                  revision;
	const char              *rule_reason;
} step_row;

static const sn_col step_cols[] = {
	SN_COL(step_row, case_id, SN_COL_TEXT),
	SN_COL_ENUMOF(step_row, stage, approval_stage_names),
	SN_COL(step_row, district_code, SN_COL_TEXT),
	SN_COL(step_row, township_code, SN_COL_TEXT),
	SN_COL(step_row, village_code, SN_COL_TEXT),
	SN_COL(step_row, taken_in_by, SN_COL_TEXT),
	SN_COL_ENUMOF(step_row, category, approval_category_names),
	SN_COL(step_row, monthly_amount_fen, SN_COL_I64),
	SN_COL(step_row, tekun_amount_fen, SN_COL_I64),
	SN_COL(step_row, dibao_amount_fen, SN_COL_I64),
	SN_COL(step_row, policy_version, SN_COL_TEXT),
	SN_COL(step_row, is_review, SN_COL_BOOL),
	SN_COL(step_row, review_id, SN_COL_TEXT),
	SN_COL(step_row, beneficiary_id, SN_COL_TEXT),
	SN_COL(step_row, submitted, SN_COL_BYTES),
	SN_COL(step_row, has_reg, SN_COL_BOOL),
	REGISTER_POLICY_COLS(step_row, reg, offsetof(step_row, has_reg)),
	SN_COL(step_row, revision, SN_COL_I32),
	SN_COL(step_row, rule_reason, SN_COL_TEXT),
};

enum list_kind {
	KIND_NONE,
	KIND_MEMBER,
	KIND_INVESTIGATOR,
	KIND_ACTOR,
	KIND_REFERRAL
};
static const char *const kind_names[]
    = { "", "member", "investigator", "actor", "referral", NULL };

typedef struct list_row {
	enum list_kind kind;
	bool           has_who;
	const char    *who;
} list_row;

static const sn_col list_cols[] = {
	SN_COL_ENUMOF(list_row, kind, kind_names),
	SN_COL_OPT(list_row, who, SN_COL_TEXT, has_who),
};

/* Puts one (kind, who) into c; SN_EPROTO for a list too long or an
 * unknown referral. */
static sn_err
add_to_case(approval_case *c, const list_row *l)
{
	if (l->kind == KIND_NONE || !l->has_who)
		return SN_OK;
	switch (l->kind) {
	case KIND_MEMBER:
		if (c->nmembers == APPROVAL_MAX_MEMBERS)
			return SN_EPROTO;
		c->member_ids[c->nmembers++] = l->who;
		return SN_OK;
	case KIND_INVESTIGATOR:
		if (c->ninvestigators == APPROVAL_MAX_LIST)
			return SN_EPROTO;
		c->investigators[c->ninvestigators++] = l->who;
		return SN_OK;
	case KIND_ACTOR:
		if (c->nactors == APPROVAL_MAX_LIST)
			return SN_EPROTO;
		c->actors[c->nactors++] = l->who;
		return SN_OK;
	case KIND_REFERRAL: {
		int r = sn_assist_referral_parse(l->who);
		if (r <= 0 || r >= 32)
			return SN_EPROTO;
		c->referrals |= 1u << r;
		return SN_OK;
	}
	case KIND_NONE:
		break;
	}
	return SN_OK;
}

static sn_err
read_case(const PGresult *res, approval_case *c, sn_rows *rows)
{
	sn_rows  lists;
	step_row r;
	sn_err   err;
	memset(c, 0, sizeof(*c));
	err = sn_rows_open(rows, res, step_cols, SN_NCOLS(step_cols));
	if (err == SN_OK && sn_rows_count(rows) == 0)
		return SN_ENOTFOUND;
	if (err != SN_OK || (err = sn_rows_read(rows, 0, &r)) != SN_OK
	    || (err
	           = sn_rows_open(&lists, res, list_cols, SN_NCOLS(list_cols)))
	        != SN_OK)
		return err;
	*c = (approval_case) { .case_id = r.case_id,
		.stage                  = r.stage,
		.district_code          = r.district_code,
		.township_code          = r.township_code,
		.village_code           = r.village_code,
		.taken_in_by            = r.taken_in_by,
		.category               = r.category,
		.monthly_amount_fen     = r.monthly_amount_fen,
		.tekun_amount_fen       = r.tekun_amount_fen,
		.dibao_amount_fen       = r.dibao_amount_fen,
		.policy_version         = r.policy_version,
		.is_review              = r.is_review,
		.review_id              = r.review_id,
		.beneficiary_id         = r.beneficiary_id,
		.reg = r.has_reg ? r.reg : approval_register_policy_default,
		.submitted     = r.submitted.data,
		.submitted_len = r.submitted.len,
		.revision      = r.revision,
		.rule_reason   = r.rule_reason };
	for (int i = 0; err == SN_OK && i < sn_rows_count(&lists); i++) {
		list_row l;
		if ((err = sn_rows_read(&lists, i, &l)) == SN_OK)
			err = add_to_case(c, &l);
	}
	sn_rows_close(&lists);
	return err;
}

static void
case_step_cb(sn_tx *tx, PGresult *res, void *arg)
{
	const approval_case_req *req = arg;
	sn_rows                  rows;
	approval_case            c;
	sn_err                   err = read_case(res, &c, &rows);
	req->cb(tx, err, err == SN_OK ? &c : NULL, req->arg);
	sn_rows_close(&rows);
}

sn_err
approval_store_case_step(sn_tx *tx, const char *case_id, sn_date today,
    const approval_case_req *req)
{
	char        day[SN_DATE_STRLEN];
	const char *v[] = { case_id, sn_date_format(today, day) };
	return sn_tx_query(
	    tx, SQL_CASE_STEP, NP(v), v, case_step_cb, (void *) req);
}

static const char SQL_REFUSAL[]
    = "WITH r AS (INSERT INTO refusals (case_id, user_id, role, step, code)"
      " VALUES ($1, $2, $3, $4, $5) RETURNING case_id)"
      " INSERT INTO case_timeline (case_id, actor, action, reason, detail)"
      " SELECT case_id, $2, 'refused', $5,"
      " json_build_object('step', $4::text, 'role', $3::text,"
      " 'code', $5::text)"
      " FROM r";

sn_err
approval_store_refusal(sn_tx *tx, const char *case_id, const char *user,
    const char *role, approval_step step, const char *code)
{
	const char *v[]
	    = { case_id, user, role, approval_rules_step_name(step), code };
	return sn_tx_query(tx, SQL_REFUSAL, NP(v), v, NULL, NULL);
}

static const char SQL_ACTOR[]
    = "INSERT INTO case_actors (case_id, user_id, step) VALUES ($1, $2, $3)";

sn_err
approval_store_actor(
    sn_tx *tx, const char *case_id, const char *user, approval_step step)
{
	const char *v[] = { case_id, user, approval_rules_step_name(step) };
	return sn_tx_query(tx, SQL_ACTOR, NP(v), v, NULL, NULL);
}

static const char SQL_DECIDE[]
    = "UPDATE cases SET stage = $2, stage_reason = $3,"
      " decided_approved = $4::boolean, decided_category = $5,"
      " category = $5, tier = NULLIF($6, ''), monthly_amount_fen = $7::bigint,"
      " decided_by = $8, decided_at = now(), updated_at = now()"
      " WHERE case_id = $1";

sn_err
approval_store_decide(sn_tx *tx, const char *case_id,
    const approval_decision *d, const char *reason, const char *decided_by)
{
	char amount[24];
	i64s(amount, d->monthly_amount_fen);
	const char *v[] = { case_id, approval_rules_stage_name(d->to), reason,
		d->approved ? "true" : "false",
		approval_rules_category_name(d->category),
		approval_rules_tier_name(d->tier), amount, decided_by };
	return sn_tx_query(tx, SQL_DECIDE, NP(v), v, NULL, NULL);
}

static const char SQL_FILE[]
    = "UPDATE cases SET stage = 'FILED', stage_reason = $3,"
      " spot_check = $2::boolean, updated_at = now() WHERE case_id = $1";

sn_err
approval_store_file(
    sn_tx *tx, const char *case_id, bool spot_check, const char *note)
{
	const char *v[] = { case_id, spot_check ? "true" : "false", note };
	return sn_tx_query(tx, SQL_FILE, NP(v), v, NULL, NULL);
}

static const char SQL_BENEFICIARY[]
    = "WITH b AS (INSERT INTO beneficiaries (beneficiary_id, application_id,"
      " status, category, tier, monthly_amount_fen, bank_code,"
      " account_number_sealed, account_name, from_month, approved_by,"
      " district_code, township_code, village_code, head_id_number_sealed,"
      " head_name, member_ids, members,"
      " next_review_date, policy_version)"
      " VALUES ($1, $2, 'ACTIVE', $3, $4, $5::bigint, $6, $7, $8, $9, $10,"
      " $11, $12, $13, $14, $15, $16::text[], cardinality($16::text[]),"
      " $17::date, $18) RETURNING beneficiary_id, status, monthly_amount_fen,"
      " from_month, approved_by)"
      " INSERT INTO beneficiary_history (beneficiary_id, cause, new_status,"
      " old_amount_fen, new_amount_fen, first_month, actor)"
      " SELECT beneficiary_id, 'decision', status, 0, monthly_amount_fen,"
      " from_month, approved_by FROM b";

sn_err
approval_store_beneficiary_add(sn_tx *tx, const approval_beneficiary *b)
{
	char        amount[24], month[SN_MONTH_STRLEN], review[SN_DATE_STRLEN];
	char       *acct = NULL, *head = NULL;
	sn_pgarray  ids;
	const char *iv  = pgarray(&ids, b->member_ids, b->nmembers);
	sn_err      err = iv != NULL ? SN_OK : SN_ENOMEM;
	i64s(amount, b->monthly_amount_fen);
	if (err == SN_OK
	    && (err = seal(APPROVAL_SEALED_ACCOUNT, b->account_number, &acct))
	        == SN_OK
	    && (err = seal(APPROVAL_SEALED_HEAD, b->head_id_number, &head))
	        == SN_OK) {
		const char *v[] = { b->beneficiary_id, b->application_id,
			approval_rules_category_name(b->category),
			approval_rules_tier_name(b->tier), amount,
			b->bank_code, acct, b->account_name,
			sn_month_format(b->from_month, month), b->approved_by,
			b->district_code, b->township_code, b->village_code,
			head, b->head_name, iv,
			sn_date_format(b->next_review, review),
			b->policy_version };
		err = sn_tx_query(tx, SQL_BENEFICIARY, NP(v), v, NULL, NULL);
	}
	free(acct);
	free(head);
	sn_pgarray_fini(&ids);
	return err;
}

/* The register's sealed columns as read (a row an older version wrote in
 * clear and not sealed yet reads its clear value), opened by
 * register_open. */
#define SEALED_ACCOUNT_COL                                                    \
	" coalesce(b.account_number_sealed, b.account_number)"                \
	" AS account_number,"
#define SEALED_HEAD_COL                                                       \
	" coalesce(b.head_id_number_sealed, b.head_id_number)"                \
	" AS head_id_number,"

/* The columns of a household of the register for a change to it; the
 * member ids as one text ("a,b": id numbers hold no comma). */
/* The columns of a register row (register_cols), the household's
 * submission joined as s; the query adds its verification column. */
#define REGISTER_ROW_SELECT                                                   \
	"SELECT b.beneficiary_id, b.application_id, b.status, b.category,"    \
	" b.tier, b.monthly_amount_fen, b.bank_code," SEALED_ACCOUNT_COL      \
	" b.account_name, b.from_month, b.until_month, b.approved_by,"        \
	" b.district_code, b.township_code, b.village_code," SEALED_HEAD_COL  \
	" b.head_name,"                                                       \
	" array_to_string(b.member_ids, ',') AS member_ids,"                  \
	" b.members::bigint AS members, b.policy_version,"                    \
	" coalesce(s.taken_in_by, '') AS taken_in_by, s.data AS submitted,"

static const char SQL_REGISTER_LOCK[] = REGISTER_ROW_SELECT
    " v.data AS verification"
    " FROM beneficiaries b"
    " LEFT JOIN submitted s ON s.application_id = b.application_id"
    " LEFT JOIN verification v ON v.application_id = b.application_id"
    " WHERE b.beneficiary_id = $1"
    " AND left(b.village_code, length($2)) = $2 FOR UPDATE OF b";

static const char *const tier_names[]
    = { "", "core", "edge", "universal", NULL };

typedef struct register_cols_row {
	approval_register_row r;
	const char           *member_text;
} register_cols_row;

#define REG_COL(m, type)                                                      \
	COL_AT(register_cols_row, r.m, #m, type, SN_COL_NOT_NULL)

static const sn_col register_cols[] = {
	REG_COL(beneficiary_id, SN_COL_TEXT),
	REG_COL(application_id, SN_COL_TEXT),
	{ "status", SN_COL_ENUM, offsetof(register_cols_row, r.status),
	    sizeof(approval_standing), SN_COL_NOT_NULL,
	    approval_register_status_names },
	{ "category", SN_COL_ENUM, offsetof(register_cols_row, r.category),
	    sizeof(approval_category), SN_COL_NOT_NULL,
	    approval_category_names },
	{ "tier", SN_COL_ENUM, offsetof(register_cols_row, r.tier),
	    sizeof(approval_tier), SN_COL_NOT_NULL, tier_names },
	REG_COL(monthly_amount_fen, SN_COL_I64),
	REG_COL(bank_code, SN_COL_TEXT),
	REG_COL(account_number, SN_COL_TEXT),
	REG_COL(account_name, SN_COL_TEXT),
	REG_COL(from_month, SN_COL_MONTH),
	COL_OPT_AT(register_cols_row, r.until_month, "until_month",
	    SN_COL_MONTH, r.has_until),
	REG_COL(approved_by, SN_COL_TEXT),
	REG_COL(district_code, SN_COL_TEXT),
	REG_COL(township_code, SN_COL_TEXT),
	REG_COL(village_code, SN_COL_TEXT),
	REG_COL(head_id_number, SN_COL_TEXT),
	REG_COL(head_name, SN_COL_TEXT),
	SN_COL_AS(register_cols_row, member_text, "member_ids", SN_COL_TEXT),
	REG_COL(members, SN_COL_I64),
	REG_COL(policy_version, SN_COL_TEXT),
	REG_COL(taken_in_by, SN_COL_TEXT),
	COL_OPT_AT(register_cols_row, r.submitted, "submitted", SN_COL_BYTES,
	    r.has_submitted),
	COL_OPT_AT(register_cols_row, r.verification, "verification",
	    SN_COL_BYTES, r.has_verification),
};

/* Splits the member ids of x into x->r (ids points into buf). */
static sn_err
split_members(register_cols_row *x, char *buf)
{
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t != NULL;
	     t       = strtok_r(NULL, ",", &save)) {
		if (x->r.nmembers == APPROVAL_MAX_MEMBERS)
			return SN_EPROTO;
		x->r.member_ids[x->r.nmembers++] = t;
	}
	return SN_OK;
}

/* Through sn_rows_open (the submission is bytea in text format), kept
 * open during the callback. */
static void
register_lock_cb(sn_tx *tx, PGresult *res, void *arg)
{
	const approval_register_req *req = arg;
	register_cols_row            x;
	char                        *buf = NULL, *opened[2] = { NULL, NULL };
	sn_rows                      rows;
	memset(&x, 0, sizeof(x));
	sn_err err
	    = sn_rows_open(&rows, res, register_cols, SN_NCOLS(register_cols));
	if (err == SN_OK && sn_rows_count(&rows) != 1)
		err = sn_rows_count(&rows) == 0 ? SN_ENOTFOUND : SN_EPROTO;
	if (err == SN_OK)
		err = sn_rows_read(&rows, 0, &x);
	if (err == SN_OK && (buf = strdup(x.member_text)) == NULL)
		err = SN_ENOMEM;
	if (err == SN_OK)
		err = split_members(&x, buf);
	if (err == SN_OK)
		err = register_open(&x.r, opened);
	req->cb(tx, err, err == SN_OK ? &x.r : NULL, req->arg);
	free(buf);
	free(opened[0]);
	free(opened[1]);
	sn_rows_close(&rows);
}

sn_err
approval_store_register_lock(sn_tx *tx, const char *id, const char *juris,
    const approval_register_req *req)
{
	const char *v[] = { id, juris };
	return sn_tx_query(
	    tx, SQL_REGISTER_LOCK, NP(v), v, register_lock_cb, (void *) req);
}

static const char SQL_REGISTER_SET[]
    = "WITH b AS (UPDATE beneficiaries SET status = $3"
      " WHERE beneficiary_id = $1 AND status = $2 RETURNING beneficiary_id)"
      " INSERT INTO beneficiary_history (beneficiary_id, cause, old_status,"
      " new_status, old_amount_fen, new_amount_fen, first_month, actor,"
      " reason) SELECT beneficiary_id, $4, $2, $3, $5::bigint, $6::bigint,"
      " $7, $8, $9 FROM b";

sn_err
approval_store_register_set(sn_tx *tx, const approval_register_write *w)
{
	char        old[24], amount[24], month[SN_MONTH_STRLEN];
	const char *v[] = { w->beneficiary_id,
		approval_register_status_name(w->from),
		approval_register_status_name(w->to),
		approval_register_cause_name(w->cause), old, amount,
		sn_month_format(w->first_month, month), w->actor, w->reason };
	i64s(old, w->old_amount_fen);
	i64s(amount, w->new_amount_fen);
	return sn_tx_query(tx, SQL_REGISTER_SET, NP(v), v, NULL, NULL);
}

static const char SQL_REGISTER_REFUSAL[]
    = "INSERT INTO refusals (case_id, user_id, role, step, code)"
      " VALUES ($1, $2, $3, $4, $5)";

sn_err
approval_store_register_refusal(sn_tx *tx, const char *application_id,
    const char *user, const char *role, const char *step, const char *code)
{
	const char *v[] = { application_id, user, role, step, code };
	return sn_tx_query(tx, SQL_REGISTER_REFUSAL, NP(v), v, NULL, NULL);
}

/* ---- the clock
 * ----------------------------------------------------------------- */

static const char SQL_MARK_OVERDUE[]
    = "UPDATE cases SET overdue = true, overdue_at = now()"
      " WHERE NOT overdue AND deadline_date < $1::date"
      " AND stage IN ('GATHERING', 'HELD', 'VILLAGE_REVIEW',"
      " 'TOWNSHIP_CONFIRM')"
      " RETURNING case_id, stage, deadline_date AS deadline, township_code";

static const sn_col overdue_cols[] = {
	SN_COL(approval_overdue, case_id, SN_COL_TEXT),
	SN_COL_ENUMOF(approval_overdue, stage, approval_stage_names),
	SN_COL(approval_overdue, deadline, SN_COL_DATE),
	SN_COL(approval_overdue, township_code, SN_COL_TEXT),
};

static void
overdue_cb(sn_tx *tx, PGresult *res, void *arg)
{
	const approval_overdue_req *req = arg;
	sn_rows                     rows;
	sn_err                      err
	    = sn_rows_open(&rows, res, overdue_cols, SN_NCOLS(overdue_cols));
	for (int i = 0; err == SN_OK && i < sn_rows_count(&rows); i++) {
		approval_overdue o;
		if ((err = sn_rows_read(&rows, i, &o)) == SN_OK)
			err = req->cb(tx, &o, req->arg);
	}
	sn_rows_close(&rows);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

sn_err
approval_store_mark_overdue(
    sn_tx *tx, sn_date today, const approval_overdue_req *req)
{
	char        day[SN_DATE_STRLEN];
	const char *v[] = { sn_date_format(today, day) };
	return sn_tx_query(
	    tx, SQL_MARK_OVERDUE, NP(v), v, overdue_cb, (void *) req);
}

static const char SQL_COUNTS[]
    = "SELECT stage, count(*) AS n, count(*) FILTER (WHERE overdue) AS"
      " overdue FROM cases GROUP BY stage";

typedef struct count_row {
	approval_stage stage;
	int64_t        n, overdue;
} count_row;

static const sn_col count_cols[] = {
	SN_COL_ENUMOF(count_row, stage, approval_stage_names),
	SN_COL(count_row, n, SN_COL_I64),
	SN_COL(count_row, overdue, SN_COL_I64),
};

static void
counts_cb(sn_tx *tx, PGresult *res, void *arg)
{
	const approval_counts_req *req = arg;
	approval_counts            c   = { { 0 }, 0 };
	sn_rows                    rows;
	sn_err                     err
	    = sn_rows_open(&rows, res, count_cols, SN_NCOLS(count_cols));
	for (int i = 0; err == SN_OK && i < sn_rows_count(&rows); i++) {
		count_row r;
		if ((err = sn_rows_read(&rows, i, &r)) != SN_OK)
			break;
		c.by_stage[r.stage] = r.n;
		c.overdue += r.overdue;
	}
	sn_rows_close(&rows);
	req->cb(tx, err, err == SN_OK ? &c : NULL, req->arg);
}

sn_err
approval_store_counts(sn_tx *tx, const approval_counts_req *req)
{
	return sn_tx_query(tx, SQL_COUNTS, 0, NULL, counts_cb, (void *) req);
}

/* ---- policy versions
 * ------------------------------------------------------------ */

static const char SQL_POLICY_TAKEN[]
    = "SELECT (SELECT count(*) FROM policy_version) AS versions,"
      " EXISTS (SELECT 1 FROM policy_version WHERE version = $1)"
      "  AS version_taken,"
      " EXISTS (SELECT 1 FROM policy_version WHERE effective_from = $2::date)"
      "  AS date_taken,"
      " p.version IS NOT NULL AS has_prev,"
      " coalesce(p.urban_min_fen, 0) AS prev_urban_min_fen,"
      " coalesce(p.rural_min_fen, 0) AS prev_rural_min_fen,"
      " f.version IS NOT NULL AS has_in_force,"
      " f.review_months_dibao_stable, f.review_months_dibao,"
      " f.review_months_tekun, f.review_months_edge,"
      " f.price_subsidy_per_person_fen, f.cpi_threshold_permille,"
      " f.food_cpi_threshold_permille"
      " FROM (SELECT 1) AS one LEFT JOIN (SELECT version, urban_min_fen,"
      " rural_min_fen FROM policy_version WHERE effective_from < $2::date"
      " ORDER BY effective_from DESC LIMIT 1) AS p ON true"
      " LEFT JOIN (SELECT * FROM policy_version WHERE effective_from <="
      " $3::date ORDER BY effective_from DESC LIMIT 1) AS f ON true";

static const sn_col taken_cols[] = {
	SN_COL(approval_policy_taken, versions, SN_COL_I64),
	SN_COL(approval_policy_taken, version_taken, SN_COL_BOOL),
	SN_COL(approval_policy_taken, date_taken, SN_COL_BOOL),
	SN_COL(approval_policy_taken, has_prev, SN_COL_BOOL),
	SN_COL(approval_policy_taken, prev_urban_min_fen, SN_COL_I64),
	SN_COL(approval_policy_taken, prev_rural_min_fen, SN_COL_I64),
	SN_COL(approval_policy_taken, has_in_force, SN_COL_BOOL),
	REGISTER_POLICY_COLS(approval_policy_taken, in_force,
	    offsetof(approval_policy_taken, has_in_force)),
};

static void
taken_cb(sn_tx *tx, PGresult *res, void *arg)
{
	const approval_taken_req *req = arg;
	approval_policy_taken     t;
	sn_err err = sn_rows_one(res, taken_cols, SN_NCOLS(taken_cols), &t);
	req->cb(tx, err, err == SN_OK ? &t : NULL, req->arg);
}

sn_err
approval_store_policy_taken(sn_tx *tx, const char *version, sn_date from,
    sn_date today, const approval_taken_req *req)
{
	char        day[SN_DATE_STRLEN], now[SN_DATE_STRLEN];
	const char *v[] = { version, sn_date_format(from, day),
		sn_date_format(today, now) };
	return sn_tx_query(
	    tx, SQL_POLICY_TAKEN, NP(v), v, taken_cb, (void *) req);
}

static const char SQL_POLICY_ADD[]
    = "INSERT INTO policy_version (version, effective_from, urban_min_fen,"
      " rural_min_fen, urban_basic_fen, rural_basic_fen, care_able_fen,"
      " care_partially_able_fen, care_unable_fen, low_income_factor_percent,"
      " asset_multiple, max_homes, business_capital_limit_fen, created_by,"
      " review_months_dibao_stable, review_months_dibao, review_months_tekun,"
      " review_months_edge, price_subsidy_per_person_fen,"
      " cpi_threshold_permille, food_cpi_threshold_permille,"
      " override_reasons)"
      " VALUES ($1, $2::date, $3::bigint, $4::bigint, $5::bigint, $6::bigint,"
      " $7::bigint, $8::bigint, $9::bigint, $10::bigint, $11::bigint,"
      " $12::bigint, $13::bigint, $14, $15::integer, $16::integer,"
      " $17::integer, $18::integer, $19::bigint, $20::bigint, $21::bigint,"
      " coalesce($22::jsonb, (SELECT p.override_reasons FROM policy_version p"
      "  WHERE p.effective_from < $2::date ORDER BY p.effective_from DESC"
      "  LIMIT 1), (SELECT p.override_reasons FROM policy_version p"
      "  ORDER BY p.effective_from LIMIT 1)))";

sn_err
approval_store_policy_add(
    sn_tx *tx, const approval_policy_version *pv, const char *created_by)
{
	const approval_policy          *p = &pv->policy;
	char                            day[SN_DATE_STRLEN];
	char                            figures[APPROVAL_POLICY_NFIELDS][24];
	const approval_register_policy *rp = &pv->reg;
	char                            regs[7][24];
	const char *v[2 + APPROVAL_POLICY_NFIELDS + 1 + 7 + 1];
	v[0] = p->version;
	v[1] = sn_date_format(pv->effective_from, day);
	/* approval_policy_fields is in the columns' order above. */
	for (size_t i = 0; i < APPROVAL_POLICY_NFIELDS; i++) {
		int64_t x;
		memcpy(&x, (const char *) p + approval_policy_fields[i].offset,
		    sizeof(x));
		i64s(figures[i], x);
		v[2 + i] = figures[i];
	}
	v[2 + APPROVAL_POLICY_NFIELDS] = created_by;
	const int64_t reg[7]           = { rp->review_months_dibao_stable,
		          rp->review_months_dibao, rp->review_months_tekun,
		          rp->review_months_edge, rp->price_subsidy_per_person_fen,
		          rp->cpi_threshold_permille, rp->food_cpi_threshold_permille };
	for (size_t i = 0; i < 7; i++) {
		i64s(regs[i], reg[i]);
		v[3 + APPROVAL_POLICY_NFIELDS + i] = regs[i];
	}
	v[3 + APPROVAL_POLICY_NFIELDS + 7] = pv->override_reasons_json;
	return sn_tx_query(tx, SQL_POLICY_ADD, NP(v), v, NULL, NULL);
}

/* ---- reads outside a transaction
 * ------------------------------------------------ */

static const char SQL_POLICY_LIST[]
    = "SELECT version, effective_from, urban_min_fen, rural_min_fen,"
      " urban_basic_fen, rural_basic_fen, care_able_fen,"
      " care_partially_able_fen, care_unable_fen, low_income_factor_percent,"
      " asset_multiple, max_homes, business_capital_limit_fen,"
      " review_months_dibao_stable, review_months_dibao, review_months_tekun,"
      " review_months_edge, price_subsidy_per_person_fen,"
      " cpi_threshold_permille, food_cpi_threshold_permille"
      " FROM policy_version ORDER BY effective_from";

#define VERSION_COL(m)                                                        \
	COL_AT(approval_policy_version, policy.m, #m, SN_COL_I64,             \
	    SN_COL_NOT_NULL)

static const sn_col version_cols[] = {
	COL_AT(approval_policy_version, policy.version, "version",
	    SN_COL_CHARS, SN_COL_NOT_NULL),
	SN_COL(approval_policy_version, effective_from, SN_COL_DATE),
	VERSION_COL(urban_min_fen),
	VERSION_COL(rural_min_fen),
	VERSION_COL(urban_basic_fen),
	VERSION_COL(rural_basic_fen),
	VERSION_COL(care_able_fen),
	VERSION_COL(care_partially_able_fen),
	VERSION_COL(care_unable_fen),
	VERSION_COL(low_income_factor_percent),
	VERSION_COL(asset_multiple),
	VERSION_COL(max_homes),
	VERSION_COL(business_capital_limit_fen),
	REGISTER_POLICY_COLS(approval_policy_version, reg, SN_COL_NOT_NULL),
};

/* The callback of a read outside a transaction (sn_db_query always
 * calls back, so a heap context is safe here). */
typedef struct db_ctx {
	union {
		approval_versions_fn versions;
		approval_json_fn     json;
	} done;
	void *arg;
} db_ctx;

static db_ctx *
db_ctx_new(void *arg)
{
	db_ctx *c = malloc(sizeof(*c));
	if (c != NULL)
		c->arg = arg;
	return c;
}

static sn_err
read_versions(PGresult *res, approval_policy_version **out, size_t *n)
{
	sn_rows rows;
	sn_err  err
	    = sn_rows_open(&rows, res, version_cols, SN_NCOLS(version_cols));
	int count = sn_rows_count(&rows);
	*out      = NULL;
	*n        = 0;
	if (err != SN_OK || count == 0)
		return err;
	approval_policy_version *v = calloc((size_t) count, sizeof(*v));
	if (v == NULL)
		return SN_ENOMEM;
	for (int i = 0; err == SN_OK && i < count; i++)
		err = sn_rows_read(&rows, i, &v[i]);
	sn_rows_close(&rows);
	if (err != SN_OK) {
		free(v);
		return err;
	}
	*out = v;
	*n   = (size_t) count;
	return SN_OK;
}

static void
versions_cb(sn_err err, PGresult *res, void *arg)
{
	db_ctx                   c = *(db_ctx *) arg;
	approval_policy_version *v = NULL;
	size_t                   n = 0;
	free(arg);
	if (err == SN_OK)
		err = res != NULL ? read_versions(res, &v, &n) : SN_EDB;
	c.done.versions(c.arg, err, v, n);
	free(v);
}

void
approval_store_policy_list(sn_db *db, approval_versions_fn done, void *arg)
{
	db_ctx *c = db_ctx_new(arg);
	if (c == NULL) {
		done(arg, SN_ENOMEM, NULL, 0);
		return;
	}
	c->done.versions = done;
	sn_db_query(db, SQL_POLICY_LIST, 0, NULL, versions_cb, c);
}

typedef struct doc_row {
	const char *doc;
} doc_row;

static const sn_col doc_cols[] = {
	SN_COL(doc_row, doc, SN_COL_TEXT),
};

static void
doc_cb(sn_err err, PGresult *res, void *arg)
{
	db_ctx  c = *(db_ctx *) arg;
	doc_row d = { NULL };
	free(arg);
	if (err == SN_OK)
		err = res != NULL
		    ? sn_rows_one(res, doc_cols, SN_NCOLS(doc_cols), &d)
		    : SN_EDB;
	c.done.json(c.arg, err, err == SN_OK ? d.doc : NULL);
}

/* doc_cb for a register document: its sealed values opened. */
static void
sealed_doc_cb(sn_err err, PGresult *res, void *arg)
{
	db_ctx  c      = *(db_ctx *) arg;
	doc_row d      = { NULL };
	char   *opened = NULL;
	free(arg);
	if (err == SN_OK)
		err = res != NULL
		    ? sn_rows_one(res, doc_cols, SN_NCOLS(doc_cols), &d)
		    : SN_EDB;
	if (err == SN_OK && d.doc != NULL)
		err = open_doc(d.doc, &opened);
	c.done.json(c.arg, err, err == SN_OK ? opened : NULL);
	free(opened);
}

static void
doc_query(sn_db *db, const char *sql, int n, const char *const *v,
    approval_json_fn done, void *arg)
{
	db_ctx *c = db_ctx_new(arg);
	if (c == NULL) {
		done(arg, SN_ENOMEM, NULL);
		return;
	}
	c->done.json = done;
	sn_db_query(db, sql, n, v, doc_cb, c);
}

/* The discrepancies of a case c's current verification (an
 * application's only when of the case's revision), as a jsonb array. */
#define CASE_DISCREPANCIES                                                    \
	"coalesce((SELECT v.discrepancies FROM verification v"                \
	" WHERE c.kind = 'application' AND v.application_id = c.case_id"      \
	" AND v.revision = c.revision UNION ALL SELECT r.discrepancies"       \
	" FROM review_verification r WHERE c.kind = 'review'"                 \
	" AND r.review_id = c.case_id LIMIT 1), '[]'::jsonb)"

static const char SQL_CASE_GET[]
    = "SELECT json_build_object("
      " 'case_id', c.case_id,"
      " 'application_id', coalesce(b.application_id, c.case_id),"
      " 'kind', c.kind, 'review_id', c.review_id,"
      " 'beneficiary_id', c.beneficiary_id,"
      " 'review_kind', r.kind, 'review_status', r.status,"
      " 'review_outcome', CASE WHEN c.kind = 'review'"
      "  THEN c.computation END,"
      " 'stage', c.stage, 'stage_reason', c.stage_reason,"
      " 'accepted_date', c.accepted_date::text,"
      " 'deadline_date', c.deadline_date::text,"
      " 'overdue', c.overdue, 'overdue_at', c.overdue_at,"
      " 'revision', c.revision, 'rule_reason', c.rule_reason,"
      " 'missing_agencies', CASE WHEN c.stage = 'HELD' THEN v.missing END,"
      " 'earlier_applications', coalesce((SELECT json_agg(json_build_object("
      "  'revision', e.revision, 'application', e.summary,"
      "  'replaced_at', e.replaced_at) ORDER BY e.revision)"
      "  FROM submitted_history e WHERE e.application_id = c.case_id),"
      "  '[]'::json),"
      " 'resubmissions', coalesce((SELECT json_agg(json_build_object("
      "  'revision', x.revision, 'resubmitted_by', x.resubmitted_by,"
      "  'amendment', x.amendment, 'outcome', x.outcome,"
      "  'reason', x.reason, 'at', x.at) ORDER BY x.at, x.revision)"
      "  FROM resubmissions x WHERE x.application_id = c.case_id),"
      "  '[]'::json),"
      " 'district_code', c.district_code, 'township_code', c.township_code,"
      " 'village_code', c.village_code, 'taken_in_by', s.taken_in_by,"
      " 'application', s.summary,"
      " 'verification', CASE WHEN v.complete IS NULL THEN NULL ELSE"
      "  json_build_object('complete', v.complete, 'missing', v.missing,"
      "  'attempt', v.attempt, 'received_at', v.received_at) END,"
      " 'facts', v.facts, 'investigation', i.report,"
      " 'computation', c.computation, 'category', c.category,"
      " 'tier', c.tier, 'monthly_amount_fen', c.monthly_amount_fen,"
      " 'referrals', c.referrals,"
      " 'decision', CASE WHEN c.decided_by IS NULL THEN NULL ELSE"
      "  json_build_object('approved', c.decided_approved,"
      "  'category', c.decided_category, 'decided_by', c.decided_by,"
      "  'decided_at', c.decided_at) END,"
      " 'spot_check', c.spot_check,"
      " 'discrepancies', " CASE_DISCREPANCIES ","
      " 'override', CASE WHEN c.override_reason_code IS NULL THEN NULL"
      "  ELSE json_build_object('reason_code', c.override_reason_code,"
      "  'note', c.override_note, 'district_review', c.district_review,"
      "  'district_reviewed_by', c.district_reviewed_by,"
      "  'district_outcome', c.district_outcome) END,"
      " 'timeline', coalesce((SELECT json_agg(json_build_object('at', t.at,"
      "  'actor', t.actor, 'action', t.action, 'from', t.from_stage,"
      "  'to', t.to_stage, 'reason', t.reason, 'detail', t.detail)"
      "  ORDER BY t.id) FROM case_timeline t WHERE t.case_id = c.case_id),"
      "  '[]'::json),"
      " 'refusals', coalesce((SELECT json_agg(json_build_object('at', r.at,"
      "  'user', r.user_id, 'role', r.role, 'step', r.step, 'code', r.code)"
      "  ORDER BY r.id) FROM refusals r WHERE r.case_id = c.case_id),"
      "  '[]'::json))::text AS doc"
      " FROM cases c LEFT JOIN beneficiaries b ON c.kind = 'review'"
      " AND b.beneficiary_id = c.beneficiary_id"
      " LEFT JOIN reviews r ON r.review_id = " REVIEW_OF_CASE
      " LEFT JOIN submitted s"
      " ON s.application_id = coalesce(b.application_id, c.case_id)"
      " LEFT JOIN LATERAL (SELECT complete, missing, attempt, received_at,"
      "  facts FROM verification WHERE c.kind = 'application'"
      "  AND application_id = c.case_id UNION ALL SELECT complete, missing,"
      "  attempt, received_at, facts FROM review_verification"
      "  WHERE c.kind = 'review' AND review_id = c.case_id) v ON true"
      " LEFT JOIN LATERAL (SELECT report FROM investigation"
      "  WHERE c.kind = 'application' AND application_id = c.case_id"
      "  UNION ALL SELECT report FROM review_investigation"
      "  WHERE c.kind = 'review' AND review_id = c.case_id) i ON true"
      " WHERE c.case_id = $1 AND left(c.village_code, length($2)) = $2";

void
approval_store_case_get(sn_db *db, const char *case_id, const char *juris,
    approval_json_fn done, void *arg)
{
	const char *v[] = { case_id, juris };
	doc_query(db, SQL_CASE_GET, NP(v), v, done, arg);
}

/* One household of the register as JSON: today's fields of GET
 * /beneficiaries, then the register's own (issue 9). */
#define BENEFICIARY_JSON                                                      \
	"json_build_object('beneficiary_id', b.beneficiary_id,"               \
	" 'application_id', b.application_id, 'status', b.status,"            \
	" 'category', b.category, 'tier', b.tier,"                            \
	" 'monthly_amount_fen', b.monthly_amount_fen,"                        \
	" 'payee', json_build_object('bank_code', b.bank_code,"               \
	"  'account_number', coalesce(b.account_number_sealed,"               \
	"  b.account_number),"                                                \
	"  'account_name', b.account_name),"                                  \
	" 'from_month', b.from_month,"                                        \
	" 'until_month', coalesce(b.until_month, ''),"                        \
	" 'approved_by', b.approved_by, 'district_code', b.district_code,"    \
	" 'township_code', b.township_code, 'village_code', b.village_code,"  \
	" 'head_name', b.head_name, 'members', b.members,"                    \
	" 'next_review_date', b.next_review_date::text,"                      \
	" 'policy_version', b.policy_version)"

static const char SQL_BENEFICIARY_PAGE[]
    = "WITH page AS (SELECT * FROM beneficiaries"
      " WHERE left(village_code, length($1)) = $1"
      " AND ($2::text IS NULL OR township_code = $2)"
      " AND ($3::text IS NULL OR village_code = $3)"
      " AND ($4::text IS NULL OR category = $4)"
      " AND ($5::text IS NULL OR status = $5)"
      " AND ($6::date IS NULL OR next_review_date <= $6::date)"
      " AND seq > $7::bigint ORDER BY seq LIMIT $8::bigint + 1),"
      " shown AS (SELECT * FROM page ORDER BY seq LIMIT $8::bigint)"
      " SELECT coalesce((SELECT json_agg(" BENEFICIARY_JSON
      " ORDER BY b.seq) FROM shown b), '[]'::json)::text AS items_json,"
      " (SELECT count(*) FROM page) > $8::bigint AS more,"
      " coalesce((SELECT max(seq) FROM shown), 0) AS last";

static const sn_col page_cols[] = {
	SN_COL(approval_beneficiary_page, items_json, SN_COL_TEXT),
	SN_COL(approval_beneficiary_page, more, SN_COL_BOOL),
	SN_COL(approval_beneficiary_page, last, SN_COL_I64),
};

typedef struct page_ctx {
	approval_page_fn done;
	void            *arg;
} page_ctx;

static void
page_cb(sn_err err, PGresult *res, void *arg)
{
	page_ctx                  c     = *(page_ctx *) arg;
	approval_beneficiary_page p     = { NULL, false, 0 };
	char                     *items = NULL;
	free(arg);
	if (err == SN_OK)
		err = res != NULL
		    ? sn_rows_one(res, page_cols, SN_NCOLS(page_cols), &p)
		    : SN_EDB;
	if (err == SN_OK && (err = open_doc(p.items_json, &items)) == SN_OK)
		p.items_json = items;
	c.done(c.arg, err, err == SN_OK ? &p : NULL);
	free(items);
}

void
approval_store_beneficiary_page(sn_db *db, const char *juris,
    const approval_beneficiary_filter *f, approval_page_fn done, void *arg)
{
	char      after[24], limit[24], due[SN_DATE_STRLEN];
	page_ctx *c = malloc(sizeof(*c));
	if (c == NULL) {
		done(arg, SN_ENOMEM, NULL);
		return;
	}
	*c = (page_ctx) { done, arg };
	i64s(after, f->after);
	i64s(limit, f->limit);
	const char *v[] = { juris, f->township, f->village,
		f->category != APPROVAL_CAT_UNSPECIFIED
		    ? approval_rules_category_name(f->category)
		    : NULL,
		f->status != APPROVAL_STANDING_UNSPECIFIED
		    ? approval_register_status_name(f->status)
		    : NULL,
		f->has_review_due ? sn_date_format(f->review_due, due) : NULL,
		after, limit };
	sn_db_query(db, SQL_BENEFICIARY_PAGE, NP(v), v, page_cb, c);
}

static const char SQL_BENEFICIARY_GET[]
    = "SELECT (" BENEFICIARY_JSON
      "::jsonb || jsonb_build_object('head_id_number',"
      " coalesce(b.head_id_number_sealed, b.head_id_number),"
      " 'history', coalesce((SELECT jsonb_agg(jsonb_build_object("
      "  'at', h.at, 'cause', h.cause, 'old_status', h.old_status,"
      "  'new_status', h.new_status, 'old_amount_fen', h.old_amount_fen,"
      "  'new_amount_fen', h.new_amount_fen, 'first_month', h.first_month,"
      "  'actor', h.actor, 'review_id', h.review_id, 'reason', h.reason)"
      "  ORDER BY h.id) FROM beneficiary_history h"
      "  WHERE h.beneficiary_id = b.beneficiary_id), '[]'::jsonb),"
      " 'last_payment_failure', (SELECT jsonb_build_object('payment_id',"
      "  f.payment_id, 'period', f.period, 'reason_code', f.reason_code,"
      "  'reason', f.reason, 'failed_at', f.failed_at)"
      "  FROM payment_failures f WHERE f.payment_id = b.last_failure)))::text"
      " AS doc FROM beneficiaries b WHERE b.beneficiary_id = $1"
      " AND left(b.village_code, length($2)) = $2";

void
approval_store_beneficiary_get(sn_db *db, const char *id, const char *juris,
    approval_json_fn done, void *arg)
{
	const char *v[] = { id, juris };
	db_ctx     *c   = db_ctx_new(arg);
	if (c == NULL) {
		done(arg, SN_ENOMEM, NULL);
		return;
	}
	c->done.json = done;
	sn_db_query(db, SQL_BENEFICIARY_GET, NP(v), v, sealed_doc_cb, c);
}

/* ---- re-rating
 * ----------------------------------------------------------------- */

static const char SQL_RERATING_DUE[]
    = "WITH due AS (SELECT * FROM policy_version"
      " WHERE effective_from <= $1::date ORDER BY effective_from DESC"
      " LIMIT 1),"
      " ins AS (INSERT INTO policy_rerating (version, first_month)"
      " SELECT version, to_char(effective_from, 'YYYY-MM') FROM due"
      " ON CONFLICT (version) DO NOTHING RETURNING version)"
      " SELECT due.version, due.effective_from, due.urban_min_fen,"
      " due.rural_min_fen, due.urban_basic_fen, due.rural_basic_fen,"
      " due.care_able_fen, due.care_partially_able_fen, due.care_unable_fen,"
      " due.low_income_factor_percent, due.asset_multiple, due.max_homes,"
      " due.business_capital_limit_fen, due.review_months_dibao_stable,"
      " due.review_months_dibao, due.review_months_tekun,"
      " due.review_months_edge, due.price_subsidy_per_person_fen,"
      " due.cpi_threshold_permille, due.food_cpi_threshold_permille"
      " FROM due JOIN ins USING (version)";

static void
rerating_due_cb(sn_tx *tx, PGresult *res, void *arg)
{
	const approval_due_req *req = arg;
	approval_policy_version v;
	memset(&v, 0, sizeof(v));
	sn_err err
	    = sn_rows_one(res, version_cols, SN_NCOLS(version_cols), &v);
	req->cb(tx, err, err == SN_OK ? &v : NULL, req->arg);
}

sn_err
approval_store_rerating_due(
    sn_tx *tx, sn_date today, const approval_due_req *req)
{
	char        day[SN_DATE_STRLEN];
	const char *v[] = { sn_date_format(today, day) };
	return sn_tx_query(
	    tx, SQL_RERATING_DUE, NP(v), v, rerating_due_cb, (void *) req);
}

static const char SQL_POLICY_AT[]
    = "SELECT version, effective_from, urban_min_fen, rural_min_fen,"
      " urban_basic_fen, rural_basic_fen, care_able_fen,"
      " care_partially_able_fen, care_unable_fen, low_income_factor_percent,"
      " asset_multiple, max_homes, business_capital_limit_fen,"
      " review_months_dibao_stable, review_months_dibao, review_months_tekun,"
      " review_months_edge, price_subsidy_per_person_fen,"
      " cpi_threshold_permille, food_cpi_threshold_permille"
      " FROM policy_version WHERE effective_from <= $1::date"
      " ORDER BY effective_from DESC LIMIT 1";

sn_err
approval_store_policy_at(sn_tx *tx, sn_date day, const approval_due_req *req)
{
	char        d[SN_DATE_STRLEN];
	const char *v[] = { sn_date_format(day, d) };
	return sn_tx_query(
	    tx, SQL_POLICY_AT, NP(v), v, rerating_due_cb, (void *) req);
}

static const char SQL_RERATING_ROWS[] = REGISTER_ROW_SELECT
    " v.data AS verification"
    " FROM beneficiaries b"
    " JOIN policy_version p ON p.version = b.policy_version"
    " LEFT JOIN submitted s ON s.application_id = b.application_id"
    " LEFT JOIN verification v ON v.application_id = b.application_id"
    " WHERE b.status = 'ACTIVE' AND p.effective_from < $1::date"
    " ORDER BY b.seq FOR UPDATE OF b";

/* One row of the re-rating into x (members split into buf, the sealed
 * values opened into opened[2], freed by the caller). */
static sn_err
rerating_row(
    sn_rows *rows, int i, register_cols_row *x, char **buf, char *opened[2])
{
	memset(x, 0, sizeof(*x));
	*buf       = NULL;
	sn_err err = sn_rows_read(rows, i, x);
	if (err == SN_OK && (*buf = strdup(x->member_text)) == NULL)
		err = SN_ENOMEM;
	if (err == SN_OK)
		err = split_members(x, *buf);
	if (err == SN_OK)
		err = register_open(&x->r, opened);
	return err;
}

static void
rerating_rows_cb(sn_tx *tx, PGresult *res, void *arg)
{
	const approval_rerate_req *req = arg;
	sn_rows                    rows;
	sn_err                     err
	    = sn_rows_open(&rows, res, register_cols, SN_NCOLS(register_cols));
	for (int i = 0; err == SN_OK && i < sn_rows_count(&rows); i++) {
		register_cols_row x;
		char             *buf = NULL, *opened[2] = { NULL, NULL };
		err = rerating_row(&rows, i, &x, &buf, opened);
		if (err == SN_OK)
			err = req->cb(tx, &x.r, req->arg);
		free(buf);
		free(opened[0]);
		free(opened[1]);
	}
	sn_rows_close(&rows);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

sn_err
approval_store_rerating_rows(
    sn_tx *tx, sn_date from, const approval_rerate_req *req)
{
	char        day[SN_DATE_STRLEN];
	const char *v[] = { sn_date_format(from, day) };
	return sn_tx_query(
	    tx, SQL_RERATING_ROWS, NP(v), v, rerating_rows_cb, (void *) req);
}

static const char SQL_RERATE_SET[]
    = "WITH b AS (UPDATE beneficiaries SET monthly_amount_fen = $3::bigint,"
      " policy_version = $5 WHERE beneficiary_id = $1 AND status = 'ACTIVE'"
      " RETURNING beneficiary_id)"
      " INSERT INTO beneficiary_history (beneficiary_id, cause, old_status,"
      " new_status, old_amount_fen, new_amount_fen, first_month, actor,"
      " reason) SELECT beneficiary_id, 'rerating', 'ACTIVE', 'ACTIVE',"
      " $2::bigint, $3::bigint, $4, 'system', 'policy version ' || $5"
      " FROM b";

sn_err
approval_store_rerate_set(sn_tx *tx, const char *beneficiary_id,
    sn_fen old_amount_fen, sn_fen new_amount_fen, sn_month first_month,
    const char *version)
{
	char        old[24], amount[24], month[SN_MONTH_STRLEN];
	const char *v[] = { beneficiary_id, old, amount,
		sn_month_format(first_month, month), version };
	i64s(old, old_amount_fen);
	i64s(amount, new_amount_fen);
	return sn_tx_query(tx, SQL_RERATE_SET, NP(v), v, NULL, NULL);
}

/* ---- price linkage
 * ------------------------------------------------------------- */

static const char SQL_PRICE_ADD[]
    = "WITH ins AS (INSERT INTO price_index (month, cpi_permille,"
      " food_cpi_permille, applies, per_person_fen, policy_version,"
      " decided_by) VALUES ($1, $2::integer, $3::integer, $4::boolean,"
      " $5::bigint, coalesce((SELECT version FROM policy_version WHERE"
      " effective_from <= ($1 || '-01')::date ORDER BY effective_from DESC"
      " LIMIT 1), ''), $6) ON CONFLICT (month) DO NOTHING RETURNING *)"
      " SELECT p.inserted, p.cpi_permille::bigint AS cpi_permille,"
      " p.food_cpi_permille::bigint AS food_cpi_permille, p.policy_version"
      " FROM (SELECT true AS inserted, * FROM ins UNION ALL"
      " SELECT false, * FROM price_index WHERE month = $1) AS p"
      " ORDER BY p.inserted DESC LIMIT 1";

static const sn_col price_cols[] = {
	SN_COL(approval_price_stored, inserted, SN_COL_BOOL),
	SN_COL(approval_price_stored, cpi_permille, SN_COL_I64),
	SN_COL(approval_price_stored, food_cpi_permille, SN_COL_I64),
	SN_COL(approval_price_stored, policy_version, SN_COL_TEXT),
};

static void
price_add_cb(sn_tx *tx, PGresult *res, void *arg)
{
	const approval_price_req *req = arg;
	approval_price_stored     p;
	sn_rows                   rows;
	memset(&p, 0, sizeof(p));
	sn_err err
	    = sn_rows_open(&rows, res, price_cols, SN_NCOLS(price_cols));
	if (err == SN_OK && sn_rows_count(&rows) != 1)
		err = SN_EPROTO;
	if (err == SN_OK)
		err = sn_rows_read(&rows, 0, &p);
	req->cb(tx, err, err == SN_OK ? &p : NULL, req->arg);
	sn_rows_close(&rows);
}

sn_err
approval_store_price_add(
    sn_tx *tx, const approval_price_index *p, const approval_price_req *req)
{
	char        month[SN_MONTH_STRLEN], cpi[24], food[24], fen[24];
	const char *v[] = { sn_month_format(p->month, month), cpi, food,
		p->applies ? "true" : "false", fen, p->decided_by };
	i64s(cpi, p->cpi_permille);
	i64s(food, p->food_cpi_permille);
	i64s(fen, p->per_person_fen);
	return sn_tx_query(
	    tx, SQL_PRICE_ADD, NP(v), v, price_add_cb, (void *) req);
}

/* ---- reviews
 * ------------------------------------------------------------------- */

static const sn_col review_cols[] = {
	SN_COL(approval_review_opened, review_id, SN_COL_TEXT),
	SN_COL(approval_review_opened, beneficiary_id, SN_COL_TEXT),
	SN_COL(approval_review_opened, application_id, SN_COL_TEXT),
	SN_COL(approval_review_opened, township_code, SN_COL_TEXT),
	SN_COL(approval_review_opened, member_ids, SN_COL_TEXT),
	COL_OPT_AT(approval_review_opened, submitted, "submitted",
	    SN_COL_BYTES, has_submitted),
	COL_OPT_AT(approval_review_opened, change, "change", SN_COL_BYTES,
	    has_change),
};

static void
reviews_cb(sn_tx *tx, PGresult *res, void *arg)
{
	const approval_review_req *req = arg;
	sn_rows                    rows;
	sn_err                     err
	    = sn_rows_open(&rows, res, review_cols, SN_NCOLS(review_cols));
	for (int i = 0; err == SN_OK && i < sn_rows_count(&rows); i++) {
		approval_review_opened r;
		memset(&r, 0, sizeof(r));
		err = sn_rows_read(&rows, i, &r);
		if (err == SN_OK)
			err = req->cb(tx, &r, req->arg);
	}
	sn_rows_close(&rows);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static const char SQL_REVIEWS_DUE[]
    = "WITH due AS (SELECT b.beneficiary_id FROM beneficiaries b"
      " WHERE b.status IN ('ACTIVE', 'GRADUAL_EXIT')"
      " AND NOT (b.status = 'GRADUAL_EXIT'"
      "  AND b.until_month < to_char($1::date, 'YYYY-MM'))"
      " AND b.next_review_date <= $1::date AND NOT EXISTS (SELECT 1"
      " FROM reviews r WHERE r.beneficiary_id = b.beneficiary_id"
      " AND r.status = 'open') ORDER BY b.next_review_date, b.seq"
      " LIMIT $3::bigint FOR UPDATE OF b SKIP LOCKED),"
      " ins AS (INSERT INTO reviews (review_id, beneficiary_id, kind,"
      " opened_on, deadline_date) SELECT gen_random_uuid(), beneficiary_id,"
      " 'periodic', $1::date, $2::date FROM due ON CONFLICT DO NOTHING"
      " RETURNING review_id, beneficiary_id)"
      " SELECT ins.review_id::text AS review_id, ins.beneficiary_id,"
      " b.application_id, b.township_code,"
      " array_to_string(b.member_ids, ',') AS member_ids,"
      " s.data AS submitted, NULL::bytea AS change"
      " FROM ins JOIN beneficiaries b ON b.beneficiary_id = ins.beneficiary_id"
      " LEFT JOIN submitted s ON s.application_id = b.application_id"
      " ORDER BY b.seq";

sn_err
approval_store_reviews_due(sn_tx *tx, sn_date today, sn_date deadline,
    int64_t limit, const approval_review_req *req)
{
	char        day[SN_DATE_STRLEN], due[SN_DATE_STRLEN], lim[24];
	const char *v[] = { sn_date_format(today, day),
		sn_date_format(deadline, due), lim };
	i64s(lim, limit);
	return sn_tx_query(
	    tx, SQL_REVIEWS_DUE, NP(v), v, reviews_cb, (void *) req);
}

static const char SQL_REVIEW_CHANGE[]
    = "WITH b AS (SELECT beneficiary_id, application_id, township_code,"
      " member_ids FROM beneficiaries WHERE beneficiary_id = $2"
      " AND status <> 'EXITED' FOR UPDATE),"
      " ch AS (INSERT INTO review_changes (change_id, beneficiary_id, data)"
      " SELECT $1, beneficiary_id, $5 FROM b ON CONFLICT DO NOTHING"
      " RETURNING beneficiary_id, data),"
      " ins AS (INSERT INTO reviews (review_id, beneficiary_id, kind,"
      " opened_on, deadline_date, change_id) SELECT gen_random_uuid(),"
      " beneficiary_id, $6, $3::date, $4::date, $1 FROM ch"
      " ON CONFLICT DO NOTHING RETURNING review_id, beneficiary_id)"
      " SELECT ins.review_id::text AS review_id, ins.beneficiary_id,"
      " b.application_id, b.township_code,"
      " array_to_string(b.member_ids, ',') AS member_ids,"
      " s.data AS submitted, ch.data AS change"
      " FROM ins JOIN b ON b.beneficiary_id = ins.beneficiary_id"
      " JOIN ch ON ch.beneficiary_id = ins.beneficiary_id"
      " LEFT JOIN submitted s ON s.application_id = b.application_id";

/* The change on the review open for its household (the one it opened or
 * the one it found). */
static const char SQL_REVIEW_CHANGE_LINK[]
    = "UPDATE review_changes c SET review_id = r.review_id FROM reviews r"
      " WHERE c.change_id = $1 AND c.review_id IS NULL"
      " AND r.beneficiary_id = c.beneficiary_id AND r.status = 'open'";

sn_err
approval_store_review_change(sn_tx *tx, const char *change_id,
    const char *beneficiary_id, bool agency, const uint8_t *data, size_t len,
    sn_date today, sn_date deadline, const approval_review_req *req)
{
	char        day[SN_DATE_STRLEN], due[SN_DATE_STRLEN];
	const char *v[]
	    = { change_id, beneficiary_id, sn_date_format(today, day),
		      sn_date_format(deadline, due), (const char *) data,
		      approval_review_kind_names[agency
		              ? APPROVAL_REVIEW_AGENCY_NOTICE
		              : APPROVAL_REVIEW_CHANGE_REPORT] };
	int         lengths[6] = { 0, 0, 0, 0, 0, 0 };
	int         formats[6] = { 0, 0, 0, 0, 1, 0 };
	const char *link[]     = { change_id };
	if (len > INT32_MAX)
		return SN_EINVAL;
	lengths[4] = (int) len;
	sn_err err = sn_tx_query_bin(tx, SQL_REVIEW_CHANGE, NP(v), v, lengths,
	    formats, 0, reviews_cb, (void *) req);
	if (err == SN_OK)
		err = sn_tx_query(
		    tx, SQL_REVIEW_CHANGE_LINK, NP(link), link, NULL, NULL);
	return err;
}

/* ---- review cases
 * --------------------------------------------------------------- */

const char *const approval_review_kind_names[]
    = { "", "periodic", "change_report", "agency_notice", NULL };

static const char SQL_PUT_REVIEW_VERIFICATION[]
    = "INSERT INTO review_verification (review_id, application_id, complete,"
      " missing, attempt, data, facts) VALUES ($1, $2, $3::boolean,"
      " $4::text[], $5::integer, $6, $7::jsonb)"
      " ON CONFLICT (review_id) DO UPDATE SET"
      " application_id = EXCLUDED.application_id,"
      " complete = EXCLUDED.complete, missing = EXCLUDED.missing,"
      " attempt = EXCLUDED.attempt, data = EXCLUDED.data,"
      " facts = EXCLUDED.facts, received_at = now()";

sn_err
approval_store_put_review_verification(
    sn_tx *tx, const char *review_id, const approval_verification *x)
{
	char        attempt[24];
	sn_pgarray  missing;
	const char *mv  = pgarray(&missing, x->missing, x->nmissing);
	sn_err      err = SN_ENOMEM;
	i64s(attempt, x->attempt);
	if (mv != NULL) {
		const char *v[] = { review_id, x->application_id,
			x->complete ? "true" : "false", mv, attempt,
			(const char *) x->data, x->facts_json };
		err             = query_with_bytes(
		                tx, SQL_PUT_REVIEW_VERIFICATION, NP(v), v, 5, x->len);
	}
	sn_pgarray_fini(&missing);
	return err;
}

static const char SQL_PUT_REVIEW_INVESTIGATION[]
    = "INSERT INTO review_investigation (review_id, application_id,"
      " investigators, report) VALUES ($1, $2, $3::text[], $4::jsonb)"
      " ON CONFLICT (review_id) DO UPDATE SET"
      " application_id = EXCLUDED.application_id,"
      " investigators = EXCLUDED.investigators, report = EXCLUDED.report,"
      " received_at = now()";

sn_err
approval_store_put_review_investigation(sn_tx *tx, const char *review_id,
    const char *app_id, const char *const *investigators,
    size_t ninvestigators, const char *report_json)
{
	sn_pgarray  inv;
	const char *iv  = pgarray(&inv, investigators, ninvestigators);
	sn_err      err = SN_ENOMEM;
	if (iv != NULL) {
		const char *v[] = { review_id, app_id, iv, report_json };
		err             = sn_tx_query(
		                tx, SQL_PUT_REVIEW_INVESTIGATION, NP(v), v, NULL, NULL);
	}
	sn_pgarray_fini(&inv);
	return err;
}

static const char SQL_REVIEW_CASE_OPEN[]
    = "INSERT INTO cases (case_id, kind, review_id, beneficiary_id, stage,"
      " accepted_date, deadline_date, district_code, township_code,"
      " village_code) SELECT $1, 'review', $1, b.beneficiary_id,"
      " 'GATHERING', $3::date, $4::date, b.district_code, b.township_code,"
      " b.village_code FROM beneficiaries b WHERE b.beneficiary_id = $2"
      " ON CONFLICT (case_id) DO NOTHING";

sn_err
approval_store_review_case_open(sn_tx *tx, const char *review_id,
    const char *bid, sn_date opened, sn_date deadline)
{
	char        on[SN_DATE_STRLEN], due[SN_DATE_STRLEN];
	const char *v[] = { review_id, bid, sn_date_format(opened, on),
		sn_date_format(deadline, due) };
	return sn_tx_query(tx, SQL_REVIEW_CASE_OPEN, NP(v), v, NULL, NULL);
}

static const char SQL_REVIEW_INPUTS[]
    = "SELECT c.case_id, c.stage, c.stage_reason, r.kind AS review_kind,"
      " r.status = 'open' AS open, r.opened_on,"
      " b.beneficiary_id, b.application_id, b.status, b.category,"
      " b.tier, b.monthly_amount_fen, b.bank_code," SEALED_ACCOUNT_COL
      " b.account_name, b.from_month, b.until_month, b.approved_by,"
      " b.district_code, b.township_code, b.village_code," SEALED_HEAD_COL
      " b.head_name, array_to_string(b.member_ids, ',') AS member_ids,"
      " b.members::bigint AS members, b.policy_version,"
      " coalesce(s.taken_in_by, '') AS taken_in_by, s.data AS submitted,"
      " NULL::bytea AS verification, ch.data AS change,"
      " v.complete AS verification_complete,"
      " v.data AS review_verification,"
      " array_to_string(v.missing, ',') AS missing,"
      " (i.review_id IS NOT NULL) AS investigation_in,"
      " p.version, p.effective_from, p.urban_min_fen, p.rural_min_fen,"
      " p.urban_basic_fen, p.rural_basic_fen, p.care_able_fen,"
      " p.care_partially_able_fen, p.care_unable_fen,"
      " p.low_income_factor_percent, p.asset_multiple, p.max_homes,"
      " p.business_capital_limit_fen, p.review_months_dibao_stable,"
      " p.review_months_dibao, p.review_months_tekun, p.review_months_edge,"
      " p.price_subsidy_per_person_fen, p.cpi_threshold_permille,"
      " p.food_cpi_threshold_permille"
      " FROM cases c JOIN reviews r ON r.review_id = " REVIEW_CASE
      " JOIN beneficiaries b ON b.beneficiary_id = r.beneficiary_id"
      " LEFT JOIN submitted s ON s.application_id = b.application_id"
      " LEFT JOIN LATERAL (SELECT x.data FROM review_changes x"
      "  WHERE x.review_id = r.review_id ORDER BY x.at DESC, x.change_id DESC"
      "  LIMIT 1) ch ON true"
      " LEFT JOIN review_verification v ON v.review_id = c.case_id"
      " LEFT JOIN review_investigation i ON i.review_id = c.case_id"
      " LEFT JOIN LATERAL (SELECT * FROM policy_version q"
      "  WHERE q.effective_from <= $3::date"
      "  ORDER BY q.effective_from DESC LIMIT 1) p ON true"
      " WHERE c.case_id = $1 AND c.kind = 'review'"
      " AND c.stage = ANY ($2::text[]) FOR UPDATE OF c, b";

typedef struct review_cols_row {
	approval_review_inputs in;
	const char            *member_text;
} review_cols_row;

#define RI_REG(m, type)                                                       \
	COL_AT(review_cols_row, in.reg.m, #m, type, SN_COL_NOT_NULL)
#define RI_POLICY(m)                                                          \
	COL_OPT_AT(review_cols_row, in.policy.policy.m, #m, SN_COL_I64,       \
	    in.has_policy)

static const sn_col review_inputs_cols[] = {
	COL_AT(review_cols_row, in.case_id, "case_id", SN_COL_TEXT,
	    SN_COL_NOT_NULL),
	{ "stage", SN_COL_ENUM, offsetof(review_cols_row, in.stage),
	    sizeof(approval_stage), SN_COL_NOT_NULL, approval_stage_names },
	COL_AT(review_cols_row, in.stage_reason, "stage_reason", SN_COL_TEXT,
	    SN_COL_NOT_NULL),
	{ "review_kind", SN_COL_ENUM, offsetof(review_cols_row, in.kind),
	    sizeof(approval_review_kind), SN_COL_NOT_NULL,
	    approval_review_kind_names },
	COL_AT(review_cols_row, in.open, "open", SN_COL_BOOL, SN_COL_NOT_NULL),
	COL_AT(review_cols_row, in.opened_on, "opened_on", SN_COL_DATE,
	    SN_COL_NOT_NULL),
	RI_REG(beneficiary_id, SN_COL_TEXT),
	RI_REG(application_id, SN_COL_TEXT),
	{ "status", SN_COL_ENUM, offsetof(review_cols_row, in.reg.status),
	    sizeof(approval_standing), SN_COL_NOT_NULL,
	    approval_register_status_names },
	{ "category", SN_COL_ENUM, offsetof(review_cols_row, in.reg.category),
	    sizeof(approval_category), SN_COL_NOT_NULL,
	    approval_category_names },
	{ "tier", SN_COL_ENUM, offsetof(review_cols_row, in.reg.tier),
	    sizeof(approval_tier), SN_COL_NOT_NULL, tier_names },
	RI_REG(monthly_amount_fen, SN_COL_I64),
	RI_REG(bank_code, SN_COL_TEXT),
	RI_REG(account_number, SN_COL_TEXT),
	RI_REG(account_name, SN_COL_TEXT),
	RI_REG(from_month, SN_COL_MONTH),
	COL_OPT_AT(review_cols_row, in.reg.until_month, "until_month",
	    SN_COL_MONTH, in.reg.has_until),
	RI_REG(approved_by, SN_COL_TEXT),
	RI_REG(district_code, SN_COL_TEXT),
	RI_REG(township_code, SN_COL_TEXT),
	RI_REG(village_code, SN_COL_TEXT),
	RI_REG(head_id_number, SN_COL_TEXT),
	RI_REG(head_name, SN_COL_TEXT),
	SN_COL_AS(review_cols_row, member_text, "member_ids", SN_COL_TEXT),
	RI_REG(members, SN_COL_I64),
	RI_REG(policy_version, SN_COL_TEXT),
	RI_REG(taken_in_by, SN_COL_TEXT),
	COL_OPT_AT(review_cols_row, in.reg.submitted, "submitted",
	    SN_COL_BYTES, in.reg.has_submitted),
	COL_OPT_AT(review_cols_row, in.reg.verification, "verification",
	    SN_COL_BYTES, in.reg.has_verification),
	COL_OPT_AT(
	    review_cols_row, in.change, "change", SN_COL_BYTES, in.has_change),
	COL_OPT_AT(review_cols_row, in.verification_complete,
	    "verification_complete", SN_COL_BOOL, in.has_verification),
	COL_OPT_AT(review_cols_row, in.verification, "review_verification",
	    SN_COL_BYTES, in.has_verification),
	COL_OPT_AT(review_cols_row, in.missing, "missing", SN_COL_TEXT,
	    in.has_verification),
	COL_AT(review_cols_row, in.investigation_in, "investigation_in",
	    SN_COL_BOOL, SN_COL_NOT_NULL),
	COL_OPT_AT(review_cols_row, in.policy.policy.version, "version",
	    SN_COL_CHARS, in.has_policy),
	COL_OPT_AT(review_cols_row, in.policy.effective_from, "effective_from",
	    SN_COL_DATE, in.has_policy),
	RI_POLICY(urban_min_fen),
	RI_POLICY(rural_min_fen),
	RI_POLICY(urban_basic_fen),
	RI_POLICY(rural_basic_fen),
	RI_POLICY(care_able_fen),
	RI_POLICY(care_partially_able_fen),
	RI_POLICY(care_unable_fen),
	RI_POLICY(low_income_factor_percent),
	RI_POLICY(asset_multiple),
	RI_POLICY(max_homes),
	RI_POLICY(business_capital_limit_fen),
	REGISTER_POLICY_COLS(review_cols_row, in.policy.reg,
	    offsetof(review_cols_row, in.has_policy)),
};

static void
review_inputs_cb(sn_tx *tx, PGresult *res, void *arg)
{
	const approval_review_inputs_req *req = arg;
	review_cols_row                   x;
	char   *buf = NULL, *opened[2] = { NULL, NULL };
	sn_rows rows;
	memset(&x, 0, sizeof(x));
	sn_err err = sn_rows_open(
	    &rows, res, review_inputs_cols, SN_NCOLS(review_inputs_cols));
	if (err == SN_OK && sn_rows_count(&rows) != 1)
		err = sn_rows_count(&rows) == 0 ? SN_ENOTFOUND : SN_EPROTO;
	if (err == SN_OK)
		err = sn_rows_read(&rows, 0, &x);
	if (err == SN_OK && (buf = strdup(x.member_text)) == NULL)
		err = SN_ENOMEM;
	if (err == SN_OK) {
		register_cols_row r = { .r = x.in.reg };
		err                 = split_members(&r, buf);
		x.in.reg            = r.r;
	}
	if (err == SN_OK)
		err = register_open(&x.in.reg, opened);
	req->cb(tx, err, err == SN_OK ? &x.in : NULL, req->arg);
	free(buf);
	free(opened[0]);
	free(opened[1]);
	sn_rows_close(&rows);
}

sn_err
approval_store_review_inputs(sn_tx *tx, const char *case_id,
    const approval_stage *stages, size_t n, sn_date today,
    const approval_review_inputs_req *req)
{
	char        day[SN_DATE_STRLEN];
	sn_pgarray  st;
	const char *names[APPROVAL_NSTAGES];
	for (size_t i = 0; i < n && i < APPROVAL_NSTAGES; i++)
		names[i] = approval_rules_stage_name(stages[i]);
	const char *sv  = pgarray(&st, names, n < APPROVAL_NSTAGES ? n : 0);
	sn_err      err = SN_ENOMEM;
	if (sv != NULL) {
		const char *v[] = { case_id, sv, sn_date_format(today, day) };
		err             = sn_tx_query(tx, SQL_REVIEW_INPUTS, NP(v), v,
		                review_inputs_cb, (void *) req);
	}
	sn_pgarray_fini(&st);
	return err;
}

static const char SQL_REVIEW_APPLY[]
    = "WITH b AS (UPDATE beneficiaries SET status = $3, category = $5,"
      " tier = $6, monthly_amount_fen = $8::bigint,"
      " until_month = NULLIF($10, ''),"
      " next_review_date = coalesce($11::date, next_review_date),"
      " member_ids = CASE WHEN cardinality($12::text[]) > 0 THEN $12::text[]"
      "  ELSE member_ids END,"
      " members = CASE WHEN cardinality($12::text[]) > 0"
      "  THEN cardinality($12::text[]) ELSE members END,"
      " policy_version = $13"
      " WHERE beneficiary_id = $1 AND status = $2 RETURNING beneficiary_id)"
      " INSERT INTO beneficiary_history (beneficiary_id, cause, old_status,"
      " new_status, old_amount_fen, new_amount_fen, first_month, actor,"
      " review_id, reason) SELECT beneficiary_id, $4, $2, $3, $7::bigint,"
      " $8::bigint, $9, $14, $16, $15 FROM b WHERE $17::boolean";

sn_err
approval_store_review_apply(sn_tx *tx, const approval_review_apply *a)
{
	char        old[24], amount[24], first[SN_MONTH_STRLEN];
	char        until[SN_MONTH_STRLEN], next[SN_DATE_STRLEN];
	sn_pgarray  ids;
	const char *iv  = pgarray(&ids, a->member_ids, a->nmembers);
	sn_err      err = SN_ENOMEM;
	i64s(old, a->old_amount_fen);
	i64s(amount, a->new_amount_fen);
	if (iv != NULL) {
		const char *v[] = { a->beneficiary_id,
			approval_register_status_name(a->from),
			approval_register_status_name(a->to),
			approval_register_cause_name(a->cause),
			approval_rules_category_name(a->category),
			approval_rules_tier_name(a->tier), old, amount,
			sn_month_format(a->first_month, first),
			a->has_until ? sn_month_format(a->until_month, until)
			             : "",
			a->has_next ? sn_date_format(a->next_review, next)
			            : NULL,
			iv, a->policy_version, a->actor, a->reason,
			a->review_id, a->changed ? "true" : "false" };
		err = sn_tx_query(tx, SQL_REVIEW_APPLY, NP(v), v, NULL, NULL);
	}
	sn_pgarray_fini(&ids);
	return err;
}

static const char SQL_REVIEW_CLOSE[]
    = "WITH r AS (UPDATE reviews SET status = 'closed', closed_at = now(),"
      " close_reason = $3, outcome = $4 WHERE review_id = " REVIEW_1
      " AND status = 'open' RETURNING beneficiary_id)"
      " UPDATE beneficiaries b SET next_review_date = $5::date FROM r"
      " WHERE $5::date IS NOT NULL AND b.beneficiary_id = $2"
      " AND r.beneficiary_id = b.beneficiary_id";

sn_err
approval_store_review_close(sn_tx *tx, const char *review_id, const char *bid,
    const char *reason, const char *outcome, bool has_next, sn_date next)
{
	char        day[SN_DATE_STRLEN];
	const char *v[] = { review_id, bid, reason, outcome,
		has_next ? sn_date_format(next, day) : NULL };
	return sn_tx_query(tx, SQL_REVIEW_CLOSE, NP(v), v, NULL, NULL);
}

static const char SQL_REVIEW_COMPUTED[]
    = "UPDATE cases SET computation = $2::jsonb, updated_at = now()"
      " WHERE case_id = $1";

sn_err
approval_store_review_computed(
    sn_tx *tx, const char *case_id, const char *computation_json)
{
	const char *v[] = { case_id, computation_json };
	return sn_tx_query(tx, SQL_REVIEW_COMPUTED, NP(v), v, NULL, NULL);
}

static const char SQL_GRADUAL_DUE[] = REGISTER_ROW_SELECT
    " NULL::bytea AS verification"
    " FROM beneficiaries b"
    " LEFT JOIN submitted s ON s.application_id = b.application_id"
    " WHERE b.status = 'GRADUAL_EXIT' AND b.until_month < $1"
    " ORDER BY b.seq FOR UPDATE OF b";

sn_err
approval_store_gradual_due(
    sn_tx *tx, sn_month month, const approval_gradual_req *req)
{
	char        m[SN_MONTH_STRLEN];
	const char *v[] = { sn_month_format(month, m) };
	return sn_tx_query(
	    tx, SQL_GRADUAL_DUE, NP(v), v, rerating_rows_cb, (void *) req);
}

/* ---- issue 10 (approval-B): discrepancies, overrides, paging ----------- */

static const char SQL_PUT_DISCREPANCIES[]
    = "UPDATE verification SET discrepancies = $3::jsonb"
      " WHERE application_id = $1 AND data = $2";

static const char SQL_PUT_REVIEW_DISCREPANCIES[]
    = "UPDATE review_verification SET discrepancies = $3::jsonb"
      " WHERE review_id = $1 AND data = $2";

sn_err
approval_store_put_discrepancies(sn_tx *tx, const char *application_id,
    const char *review_id, const uint8_t *data, size_t len, const char *json)
{
	const char *v[] = { review_id != NULL ? review_id : application_id,
		(const char *) data, json };
	return query_with_bytes(tx,
	    review_id != NULL ? SQL_PUT_REVIEW_DISCREPANCIES
	                      : SQL_PUT_DISCREPANCIES,
	    NP(v), v, 1, len);
}

static const char SQL_CASEWORK[]
    = "SELECT jsonb_array_length(" CASE_DISCREPANCIES ") AS discrepancies,"
      " c.district_review,"
      " coalesce(c.override_reason_code, '') AS override_reason_code,"
      " coalesce(c.override_note, '') AS override_note,"
      " coalesce(c.decided_by, '') AS decided_by,"
      " coalesce((SELECT p.override_reasons FROM policy_version p"
      "  WHERE p.effective_from <= $2::date"
      "  ORDER BY p.effective_from DESC LIMIT 1), '[]'::jsonb)::text"
      " AS override_reasons"
      " FROM cases c WHERE c.case_id = $1 FOR UPDATE OF c";

static const sn_col casework_cols[] = {
	SN_COL(approval_casework, discrepancies, SN_COL_I64),
	SN_COL(approval_casework, district_review, SN_COL_BOOL),
	SN_COL(approval_casework, override_reason_code, SN_COL_TEXT),
	SN_COL(approval_casework, override_note, SN_COL_TEXT),
	SN_COL(approval_casework, decided_by, SN_COL_TEXT),
	SN_COL(approval_casework, override_reasons, SN_COL_TEXT),
};

static void
casework_cb(sn_tx *tx, PGresult *res, void *arg)
{
	const approval_casework_req *req = arg;
	approval_casework            w;
	sn_err                       err
	    = sn_rows_one(res, casework_cols, SN_NCOLS(casework_cols), &w);
	req->cb(tx, err, err == SN_OK ? &w : NULL, req->arg);
}

sn_err
approval_store_casework(sn_tx *tx, const char *case_id, sn_date today,
    const approval_casework_req *req)
{
	char        day[SN_DATE_STRLEN];
	const char *v[] = { case_id, sn_date_format(today, day) };
	return sn_tx_query(
	    tx, SQL_CASEWORK, NP(v), v, casework_cb, (void *) req);
}

static const char SQL_OVERRIDE[]
    = "UPDATE cases SET override_reason_code = $2, override_note = $3,"
      " district_review = true, district_reviewed_by = NULL,"
      " district_outcome = NULL, updated_at = now() WHERE case_id = $1";

sn_err
approval_store_override(
    sn_tx *tx, const char *case_id, const char *code, const char *note)
{
	const char *v[] = { case_id, code, note };
	return sn_tx_query(tx, SQL_OVERRIDE, NP(v), v, NULL, NULL);
}

static const char SQL_DISTRICT_REVIEW[]
    = "UPDATE cases SET stage = $3, stage_reason = $4,"
      " district_review = false, district_reviewed_by = $5,"
      " district_outcome = $2, spot_check = $6::boolean,"
      " decided_approved = CASE WHEN $2 = 'reject' THEN false"
      "  ELSE decided_approved END,"
      " override_reason_code = CASE WHEN $2 = 'return' THEN NULL"
      "  ELSE override_reason_code END,"
      " override_note = CASE WHEN $2 = 'return' THEN NULL"
      "  ELSE override_note END,"
      " updated_at = now() WHERE case_id = $1";

sn_err
approval_store_district_review(sn_tx *tx, const char *case_id,
    const char *outcome, approval_stage to, const char *reason, const char *by,
    bool spot_check)
{
	const char *v[] = { case_id, outcome, approval_rules_stage_name(to),
		reason, by, spot_check ? "true" : "false" };
	return sn_tx_query(tx, SQL_DISTRICT_REVIEW, NP(v), v, NULL, NULL);
}

static const char *
i64str(char buf[24], int64_t v)
{
	i64s(buf, v);
	return buf;
}

/* A page's query: $after and $limit are its last two parameters. */
static void
page_query(sn_db *db, const char *sql, int n, const char *const *v,
    approval_page_fn done, void *arg)
{
	page_ctx *c = malloc(sizeof(*c));
	if (c == NULL) {
		done(arg, SN_ENOMEM, NULL);
		return;
	}
	*c = (page_ctx) { done, arg };
	sn_db_query(db, sql, n, v, page_cb, c);
}

/* The page of rows "page" (already LIMIT $lim + 1, in key order k): the
 * items (json_build_object ITEM over shown rows r), more and last. */
#define PAGE_ANSWER(ITEM, k, lim)                                             \
	" shown AS (SELECT * FROM page ORDER BY " k " LIMIT " lim ")"         \
	" SELECT coalesce((SELECT json_agg(" ITEM " ORDER BY r." k ")"        \
	" FROM shown r), '[]'::json)::text AS items_json,"                    \
	" (SELECT count(*) FROM page) > " lim " AS more,"                     \
	" coalesce((SELECT max(" k ") FROM shown), 0) AS last"

static const char SQL_CASE_PAGE[]
    = "WITH page AS (SELECT c.*,"
      " jsonb_array_length(" CASE_DISCREPANCIES ") AS ndiscrepancies"
      " FROM cases c WHERE left(c.village_code, length($1)) = $1"
      " AND ($2::text IS NULL OR c.township_code = $2)"
      " AND ($3::text IS NULL OR c.stage = $3)"
      " AND ($4::text IS NULL OR c.category = $4)"
      " AND ($5::boolean IS NULL OR c.overdue = $5::boolean)"
      " AND ($6::text IS NULL OR c.kind = $6)"
      " AND ($7::boolean IS NULL"
      "  OR (c.override_reason_code IS NOT NULL) = $7::boolean)"
      " AND (NOT $8::boolean OR c.stage = 'HELD')"
      " AND c.list_seq > $9::bigint ORDER BY c.list_seq"
      " LIMIT $10::bigint + 1)," PAGE_ANSWER(
          "json_build_object('case_id', r.case_id,"
          " 'stage', r.stage, 'stage_reason', r.stage_reason,"
          " 'district_code', r.district_code,"
          " 'township_code', r.township_code,"
          " 'village_code', r.village_code, 'category', r.category,"
          " 'tier', r.tier, 'monthly_amount_fen', r.monthly_amount_fen,"
          " 'accepted_date', r.accepted_date::text,"
          " 'deadline_date', r.deadline_date::text, 'overdue', r.overdue,"
          " 'kind', r.kind, 'review_id', r.review_id,"
          " 'beneficiary_id', r.beneficiary_id,"
          " 'discrepancy_count', r.ndiscrepancies,"
          " 'override_reason_code', r.override_reason_code,"
          " 'district_review', r.district_review,"
          " 'revision', r.revision, 'missing_agencies', CASE"
          " WHEN r.stage = 'HELD' THEN (SELECT m.missing FROM verification m"
          " WHERE r.kind = 'application' AND m.application_id = r.case_id"
          " UNION ALL SELECT m.missing FROM review_verification m"
          " WHERE r.kind = 'review' AND m.review_id = r.case_id LIMIT 1)"
          " END)",
          "list_seq", "$10::bigint");

void
approval_store_case_page(sn_db *db, const char *juris,
    const approval_case_filter *f, int64_t after, int64_t limit,
    approval_page_fn done, void *arg)
{
	char        a[24], l[24];
	const char *v[] = { juris, f->township,
		f->stage != APPROVAL_STAGE_UNSPECIFIED
		    ? approval_rules_stage_name(f->stage)
		    : NULL,
		f->category != APPROVAL_CAT_UNSPECIFIED
		    ? approval_rules_category_name(f->category)
		    : NULL,
		!f->has_overdue  ? NULL
		    : f->overdue ? "true"
		                 : "false",
		f->kind,
		!f->has_override  ? NULL
		    : f->override ? "true"
		                  : "false",
		f->held ? "true" : "false", i64str(a, after),
		i64str(l, limit) };
	page_query(db, SQL_CASE_PAGE, NP(v), v, done, arg);
}

static const char SQL_REVIEW_PAGE[]
    = "WITH page AS (SELECT r.*, b.application_id, b.township_code,"
      " b.village_code, c.case_id, c.stage, c.stage_reason, c.overdue"
      " FROM reviews r JOIN beneficiaries b"
      " ON b.beneficiary_id = r.beneficiary_id"
      " LEFT JOIN cases c ON c.case_id = r.review_id::text"
      " WHERE left(b.village_code, length($1)) = $1"
      " AND ($2::text IS NULL OR r.status = $2)"
      " AND ($3::text IS NULL OR b.township_code = $3)"
      " AND r.list_seq > $4::bigint ORDER BY r.list_seq"
      " LIMIT $5::bigint + 1)," PAGE_ANSWER(
          "json_build_object('review_id', r.review_id,"
          " 'beneficiary_id', r.beneficiary_id, 'application_id',"
          " r.application_id, 'kind', r.kind, 'status', r.status,"
          " 'opened_on', r.opened_on::text, 'deadline_date',"
          " r.deadline_date::text, 'change_id', r.change_id,"
          " 'changes', coalesce((SELECT json_agg(x.change_id ORDER BY x.at,"
          " x.change_id) FROM review_changes x WHERE x.review_id ="
          " r.review_id), '[]'::json), 'township_code', r.township_code,"
          " 'village_code', r.village_code, 'case_id', r.case_id,"
          " 'stage', r.stage, 'stage_reason', r.stage_reason,"
          " 'overdue', r.overdue, 'outcome', r.outcome,"
          " 'close_reason', r.close_reason, 'closed_at', r.closed_at)",
          "list_seq", "$5::bigint");

void
approval_store_review_page(sn_db *db, const char *juris, const char *status,
    const char *township, int64_t after, int64_t limit, approval_page_fn done,
    void *arg)
{
	char        a[24], l[24];
	const char *v[]
	    = { juris, status, township, i64str(a, after), i64str(l, limit) };
	page_query(db, SQL_REVIEW_PAGE, NP(v), v, done, arg);
}

static const char SQL_PRICE_PAGE[]
    = "WITH page AS (SELECT * FROM price_index WHERE list_seq > $1::bigint"
      " ORDER BY list_seq LIMIT $2::bigint + 1)," PAGE_ANSWER(
          "json_build_object('month', r.month,"
          " 'cpi_permille', r.cpi_permille, 'food_cpi_permille',"
          " r.food_cpi_permille, 'applies', r.applies, 'per_person_fen',"
          " r.per_person_fen, 'policy_version', r.policy_version,"
          " 'decided_by', r.decided_by, 'at', r.at)",
          "list_seq", "$2::bigint");

void
approval_store_price_page(
    sn_db *db, int64_t after, int64_t limit, approval_page_fn done, void *arg)
{
	char        a[24], l[24];
	const char *v[] = { i64str(a, after), i64str(l, limit) };
	page_query(db, SQL_PRICE_PAGE, NP(v), v, done, arg);
}

static const char SQL_OVERRIDE_COUNTS[]
    = "SELECT detail->>'code' AS code, count(*) AS n FROM case_timeline"
      " WHERE action = 'township_override' AND detail ? 'code'"
      " GROUP BY 1 ORDER BY 1";

typedef struct override_row {
	const char *code;
	int64_t     n;
} override_row;

static const sn_col override_cols[] = {
	SN_COL(override_row, code, SN_COL_TEXT),
	SN_COL(override_row, n, SN_COL_I64),
};

static void
override_counts_cb(sn_tx *tx, PGresult *res, void *arg)
{
	const approval_override_counts_req *req = arg;
	approval_override_count             v[APPROVAL_OVERRIDE_COUNTS];
	size_t                              n = 0;
	sn_rows                             rows;
	sn_err                              err
	    = sn_rows_open(&rows, res, override_cols, SN_NCOLS(override_cols));
	for (int i = 0; err == SN_OK && i < sn_rows_count(&rows)
	     && n < APPROVAL_OVERRIDE_COUNTS;
	     i++) {
		override_row r;
		if ((err = sn_rows_read(&rows, i, &r)) == SN_OK)
			v[n++] = (approval_override_count) { r.code, r.n };
	}
	req->cb(tx, err, err == SN_OK ? v : NULL, n, req->arg);
	sn_rows_close(&rows);
}

sn_err
approval_store_override_counts(
    sn_tx *tx, const approval_override_counts_req *req)
{
	return sn_tx_query(tx, SQL_OVERRIDE_COUNTS, 0, NULL,
	    override_counts_cb, (void *) req);
}

/* ---- issue 10, approval-A: resubmission, edge households, payments ---
 */

/* One statement: the data-modifying CTEs all run, each seeing the rows
 * as they were before it (the history takes the submission being
 * replaced); ok is the case when the resubmission applies. */
static const char SQL_RESUBMIT[]
    = "WITH c AS (SELECT case_id, stage, revision, township_code FROM cases"
      " WHERE case_id = $1 AND kind = 'application' FOR UPDATE),"
      " seen AS (SELECT 1 FROM resubmissions WHERE application_id = $1"
      " AND revision = $2::integer),"
      " ok AS (SELECT * FROM c WHERE stage = 'RETURNED'"
      " AND revision < $2::integer AND NOT EXISTS (SELECT 1 FROM seen)),"
      " hist AS (INSERT INTO submitted_history (application_id, revision,"
      " data, summary, member_ids, taken_in_by) SELECT s.application_id,"
      " ok.revision, s.data, s.summary, s.member_ids, s.taken_in_by"
      " FROM submitted s JOIN ok ON s.application_id = ok.case_id"
      " ON CONFLICT DO NOTHING RETURNING 1),"
      " sub AS (UPDATE submitted s SET data = $3, summary = $4::jsonb,"
      " member_ids = $5::text[] FROM ok WHERE s.application_id = ok.case_id"
      " RETURNING 1),"
      " cs AS (UPDATE cases k SET stage = 'GATHERING', stage_reason = '',"
      " revision = $2::integer, updated_at = now() FROM ok"
      " WHERE k.case_id = ok.case_id RETURNING 1),"
      " ver AS (DELETE FROM verification v USING ok"
      " WHERE v.application_id = ok.case_id AND v.revision < $2::integer"
      " RETURNING 1),"
      " was AS (INSERT INTO case_actors_earlier (case_id, user_id, step, at,"
      " revision) SELECT a.case_id, a.user_id, a.step, a.at, ok.revision"
      " FROM case_actors a JOIN ok ON a.case_id = ok.case_id RETURNING 1),"
      " gone AS (DELETE FROM case_actors a USING ok"
      " WHERE a.case_id = ok.case_id RETURNING 1),"
      " rec AS (INSERT INTO resubmissions (application_id, revision,"
      " resubmitted_by, amendment, outcome, reason)"
      " SELECT $1, $2::integer, $6, $7,"
      " CASE WHEN EXISTS (SELECT 1 FROM ok) THEN 'applied' ELSE 'ignored'"
      " END,"
      " CASE WHEN EXISTS (SELECT 1 FROM ok) THEN ''"
      " WHEN NOT EXISTS (SELECT 1 FROM c) THEN 'no such case'"
      " WHEN (SELECT stage FROM c) <> 'RETURNED'"
      " THEN 'the case is at stage ' || (SELECT stage FROM c)"
      " ELSE 'the case is at revision ' || (SELECT revision FROM c)::text"
      " END WHERE NOT EXISTS (SELECT 1 FROM seen)"
      " RETURNING outcome, reason)"
      " SELECT $1::text AS case_id,"
      " coalesce((SELECT outcome FROM rec), 'repeat') AS outcome,"
      " coalesce((SELECT reason FROM rec), '') AS reason,"
      " (SELECT stage FROM c) AS from_stage,"
      " coalesce((SELECT township_code FROM c), '') AS township_code,"
      " $6::text AS actor, $7::text AS amendment";

/* After SQL_RESUBMIT, in the same transaction: the clerk who
 * resubmitted is an actor of the new round. */
static const char SQL_RESUBMIT_ACTOR[]
    = "INSERT INTO case_actors (case_id, user_id, step)"
      " SELECT $1, $2, 'resubmission' FROM resubmissions"
      " WHERE application_id = $1 AND revision = $3::integer"
      " AND outcome = 'applied' AND resubmitted_by = $2"
      " ON CONFLICT DO NOTHING";

static const char *const resubmit_outcome_names[]
    = { "", "applied", "ignored", "repeat", NULL };

typedef struct resubmit_row {
	approval_resubmitted r;
	bool                 has_from;
} resubmit_row;

static const sn_col resubmit_cols[] = {
	COL_AT(
	    resubmit_row, r.case_id, "case_id", SN_COL_TEXT, SN_COL_NOT_NULL),
	{ "outcome", SN_COL_ENUM, offsetof(resubmit_row, r.outcome),
	    sizeof(approval_resubmit_outcome), SN_COL_NOT_NULL,
	    resubmit_outcome_names },
	COL_AT(resubmit_row, r.reason, "reason", SN_COL_TEXT, SN_COL_NOT_NULL),
	{ "from_stage", SN_COL_ENUM, offsetof(resubmit_row, r.from),
	    sizeof(approval_stage), offsetof(resubmit_row, has_from),
	    approval_stage_names },
	COL_AT(resubmit_row, r.township_code, "township_code", SN_COL_TEXT,
	    SN_COL_NOT_NULL),
	COL_AT(resubmit_row, r.actor, "actor", SN_COL_TEXT, SN_COL_NOT_NULL),
	COL_AT(resubmit_row, r.amendment, "amendment", SN_COL_TEXT,
	    SN_COL_NOT_NULL),
};

static void
resubmit_cb(sn_tx *tx, PGresult *res, void *arg)
{
	const approval_resubmit_req *req = arg;
	resubmit_row                 x;
	memset(&x, 0, sizeof(x));
	sn_err err
	    = sn_rows_one(res, resubmit_cols, SN_NCOLS(resubmit_cols), &x);
	req->cb(tx, err, err == SN_OK ? &x.r : NULL, req->arg);
}

sn_err
approval_store_resubmit(sn_tx *tx, const approval_resubmission *r,
    const approval_resubmit_req *req)
{
	char        rev[24];
	sn_pgarray  ids;
	const char *idv = pgarray(&ids, r->member_ids, r->nmembers);
	sn_err      err = SN_ENOMEM;
	i64s(rev, r->revision);
	if (idv != NULL) {
		const char *v[]            = { r->application_id, rev,
			           (const char *) r->data, r->summary_json, idv,
			           r->resubmitted_by, r->amendment };
		int         lengths[NP(v)] = { 0 }, formats[NP(v)] = { 0 };
		lengths[2] = (int) r->len;
		formats[2] = 1;
		err        = r->len > INT32_MAX
		           ? SN_EINVAL
		           : sn_tx_query_bin(tx, SQL_RESUBMIT, NP(v), v, lengths,
		               formats, 0, resubmit_cb, (void *) req);
	}
	sn_pgarray_fini(&ids);
	if (err == SN_OK) {
		const char *a[]
		    = { r->application_id, r->resubmitted_by, rev };
		err = sn_tx_query(
		    tx, SQL_RESUBMIT_ACTOR, NP(a), a, NULL, NULL);
	}
	return err;
}

static const char SQL_RULE_REASON[]
    = "UPDATE cases SET rule_reason = $2,"
      " computation = CASE WHEN computation IS NULL THEN NULL"
      " ELSE computation || jsonb_build_object('rule_reason', $2::text) END"
      " WHERE case_id = $1";

sn_err
approval_store_rule_reason(
    sn_tx *tx, const char *case_id, const char *rule_reason)
{
	const char *v[] = { case_id, rule_reason };
	return sn_tx_query(tx, SQL_RULE_REASON, NP(v), v, NULL, NULL);
}

/* Its tier and status are the predicate of the index that finds the rows
 * by member (beneficiaries_edge_members, schema 010): change both or
 * neither. */
static const char SQL_EDGE_ROWS[] = REGISTER_ROW_SELECT
    " NULL::bytea AS verification"
    " FROM beneficiaries b"
    " LEFT JOIN submitted s ON s.application_id = b.application_id"
    " WHERE b.tier = 'edge'"
    " AND b.status IN ('ACTIVE', 'GRADUAL_EXIT', 'SUSPENDED')"
    " AND b.member_ids && $1::text[] AND b.application_id <> $2"
    " ORDER BY b.seq FOR UPDATE OF b";

sn_err
approval_store_edge_rows(sn_tx *tx, const char *const *member_ids, size_t n,
    const char *case_id, const approval_rerate_req *req)
{
	sn_pgarray  ids;
	const char *idv = pgarray(&ids, member_ids, n);
	sn_err      err = SN_ENOMEM;
	if (idv != NULL) {
		const char *v[] = { idv, case_id };
		err             = sn_tx_query(tx, SQL_EDGE_ROWS, NP(v), v,
		                rerating_rows_cb, (void *) req);
	}
	sn_pgarray_fini(&ids);
	return err;
}

static const char SQL_REGISTER_END[]
    = "WITH b AS (UPDATE beneficiaries SET status = $3, until_month = $10"
      " WHERE beneficiary_id = $1 AND status = $2 RETURNING beneficiary_id)"
      " INSERT INTO beneficiary_history (beneficiary_id, cause, old_status,"
      " new_status, old_amount_fen, new_amount_fen, first_month, actor,"
      " reason) SELECT beneficiary_id, $4, $2, $3, $5::bigint, $6::bigint,"
      " $7, $8, $9 FROM b";

sn_err
approval_store_register_end(
    sn_tx *tx, const approval_register_write *w, sn_month until_month)
{
	char        old[24], amount[24], month[SN_MONTH_STRLEN];
	char        until[SN_MONTH_STRLEN];
	const char *v[]
	    = { w->beneficiary_id, approval_register_status_name(w->from),
		      approval_register_status_name(w->to),
		      approval_register_cause_name(w->cause), old, amount,
		      sn_month_format(w->first_month, month), w->actor,
		      w->reason, sn_month_format(until_month, until) };
	i64s(old, w->old_amount_fen);
	i64s(amount, w->new_amount_fen);
	return sn_tx_query(tx, SQL_REGISTER_END, NP(v), v, NULL, NULL);
}

static const char SQL_PAYMENT_FAILED[]
    = "WITH b AS (SELECT beneficiary_id FROM beneficiaries"
      " WHERE beneficiary_id = $2),"
      " f AS (INSERT INTO payment_failures (payment_id, beneficiary_id,"
      " period, reason_code, reason, failed_at) SELECT $1, $2, $3, $4, $5,"
      " $6 FROM b ON CONFLICT (payment_id) DO UPDATE SET"
      " period = EXCLUDED.period, reason_code = EXCLUDED.reason_code,"
      " reason = EXCLUDED.reason, failed_at = EXCLUDED.failed_at, at = now()"
      " RETURNING payment_id)"
      " UPDATE beneficiaries SET last_failure = f.payment_id FROM f"
      " WHERE beneficiary_id = $2";

sn_err
approval_store_payment_failed(sn_tx *tx, const approval_payment_failure *f)
{
	const char *v[] = { f->payment_id, f->beneficiary_id, f->period,
		f->reason_code, f->reason, f->failed_at };
	return sn_tx_query(tx, SQL_PAYMENT_FAILED, NP(v), v, NULL, NULL);
}

static const char SQL_PAYEE_CHANGED[]
    = "WITH pc AS (INSERT INTO payee_changes (beneficiary_id, changed_at,"
      " payment_id, requested_by, confirmed_by) SELECT $1, $2, $3, $7, $8"
      " FROM beneficiaries WHERE beneficiary_id = $1"
      " ON CONFLICT DO NOTHING RETURNING beneficiary_id),"
      " b AS (UPDATE beneficiaries x SET bank_code = $4,"
      " account_number = NULL, account_number_sealed = $5,"
      " account_name = $6, last_failure = NULL FROM pc"
      " WHERE x.beneficiary_id = pc.beneficiary_id"
      " RETURNING x.beneficiary_id, x.status, x.monthly_amount_fen)"
      " INSERT INTO beneficiary_history (beneficiary_id, cause, old_status,"
      " new_status, old_amount_fen, new_amount_fen, first_month, actor,"
      " reason) SELECT beneficiary_id, 'payee', status, status,"
      " monthly_amount_fen, monthly_amount_fen, $9, $8,"
      " 'payee account corrected: requested by ' || $7"
      " || ', confirmed by ' || $8"
      " || CASE WHEN $3 = '' THEN '' ELSE ' (payment ' || $3 || ')' END"
      " FROM b";

sn_err
approval_store_payee_changed(sn_tx *tx, const approval_payee_change *p)
{
	/* first_month: the month of the change, as its RFC 3339 time says
	 * (the history's month column is never empty). */
	char month[8] = "";
	if (p->changed_at != NULL && strlen(p->changed_at) >= 7)
		memcpy(month, p->changed_at, 7);
	char  *acct = NULL;
	sn_err err  = seal(APPROVAL_SEALED_ACCOUNT, p->account_number, &acct);
	if (err == SN_OK) {
		const char *v[] = { p->beneficiary_id, p->changed_at,
			p->payment_id, p->bank_code, acct, p->account_name,
			p->requested_by, p->confirmed_by, month };
		err = sn_tx_query(tx, SQL_PAYEE_CHANGED, NP(v), v, NULL, NULL);
	}
	free(acct);
	return err;
}

static const char SQL_OVERRIDE_REASONS[]
    = "SELECT coalesce(json_object_agg(version, override_reasons),"
      " '{}'::json)::text AS doc FROM policy_version";

void
approval_store_override_reasons(sn_db *db, approval_json_fn done, void *arg)
{
	doc_query(db, SQL_OVERRIDE_REASONS, 0, NULL, done, arg);
}
