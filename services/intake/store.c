#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/assist.h"
#include "sn/seal.h"
#include "sn/sealdb.h"

/* A nullable column whose presence flag another column shares, or whose
 * name differs from its member's. */
#define COL_OPT_AS(T, member, colname, type, has)                             \
	{                                                                     \
		colname, type, offsetof(T, member),                           \
		    sizeof(((T *) 0)->member), offsetof(T, has), NULL         \
	}
#define ENUM_OPT_AS(T, member, colname, names, has)                           \
	{                                                                     \
		colname, SN_COL_ENUM, offsetof(T, member),                    \
		    sizeof(((T *) 0)->member), offsetof(T, has), names        \
	}

/* The words of intake_holder_kind and of the categories one may apply for
 * (the index is Sn__Assist__V1__Category's value). */
static const char *const holder_kinds[] = { "open", "beneficiary", NULL };
static const char *const categories[]
    = { "", "tekun", "dibao", "expenditure", "low_income", NULL };

/* ---- sealed columns (issue 11, schema/007_sealed.sql) -------------- */

/* plain sealed under ad into *out (malloc'd; NULL for a NULL plain);
 * false when it cannot be (no memory). */
static bool
seal_opt(const char *ad, const char *plain, char **out)
{
	*out = NULL;
	return plain == NULL
	    || sn_seal_text(sn_seal_default(), ad, plain, out) == SN_OK;
}

/* The blind index of plain under ix in buf; NULL for a NULL plain. */
static const char *
index_of(const char *ix, const char *plain, char buf[SN_SEAL_INDEX_HEX + 1])
{
	if (plain == NULL)
		return NULL;
	sn_seal_index(sn_seal_default(), ix, plain, buf);
	return buf;
}

/* The keys of the documents built below whose values are sealed. */
static const intake_sealed_key doc_keys[] = {
	{ "id_number", INTAKE_AD_MEMBER },
	{ "account_number", INTAKE_AD_ACCOUNT },
	{ "member_id_number", INTAKE_AD_CHANGE },
	/* the members a reported change names (household_change.details) */
	{ "id_number", INTAKE_AD_CHANGE_DETAILS },
};

/* The members of a reported change's details sealed as stored. */
static const intake_sealed_key details_keys[] = {
	{ "id_number", INTAKE_AD_CHANGE_DETAILS },
};

/* A document read from SQL with its sealed values opened (malloc'd), or
 * NULL when one does not open (logged). */
static char *
open_doc(const char *json)
{
	char *out = NULL;

	if (sn_sealdb_open_json(
	        sn_seal_default(), json, doc_keys, SN_NCOLS(doc_keys), &out)
	    != SN_OK)
		return NULL;
	return out;
}

/* The members' blind indexes as one text[] parameter; NULL without
 * memory (a fini'd a needs no more). */
static const char *
member_ids(const intake_app *app, sn_pgarray *a)
{
	char ix[SN_SEAL_INDEX_HEX + 1];

	sn_pgarray_init(a);
	for (size_t i = 0; i < app->nmembers; i++)
		sn_pgarray_add(
		    a, index_of(INTAKE_IX_ID, app->members[i].id_number, ix));
	return sn_pgarray_text(a);
}

/* ---- holders -------------------------------------------------------- */

/* Whether application row a was approved as an edge-tier household
 * (issue 10): its persons are held by nobody against a new application. */
#define EDGE_DECIDED(a)                                                       \
	"(" a ".status = 'decided_approved' AND " a ".decided_tier = 'edge')"

/* Who holds any person of $1 other than application $2 (NULL: anyone):
 * the first such person in the request's order. The statements built on
 * it run their generic plan (SN_SQL_GENERIC): by PostgreSQL's default
 * each call was planned anew, 0.4-0.9 ms a plan against 0.16-0.4 ms to
 * run (3,000 households, pg_stat_statements), and the generic plan reads
 * claim and beneficiary_member by their index as the custom ones do.
 * The claims' DELETE below the same, its persons unnested and joined:
 * written with "= ANY ($1)", its generic plan ran 8 times slower. */
#define HOLDERS_OF(excluded)                                                  \
	"SELECT array_position($1::text[], x.ix) AS pos,"                     \
	"  x.application_id, x.kind, x.beneficiary_id FROM ("                 \
	" SELECT c.id_number_index AS ix,"                                    \
	"  c.application_id::text AS application_id,"                         \
	"  CASE WHEN h.status IN ('open', 'returned') THEN 'open'"            \
	"  ELSE 'beneficiary' END AS kind, '' AS beneficiary_id"              \
	"  FROM claim c JOIN application h ON h.id = c.application_id"        \
	"  WHERE c.id_number_index = ANY ($1::text[])"                        \
	"  AND NOT " EDGE_DECIDED(                                            \
	    "h") ""                                                           \
	         "  AND c.application_id IS DISTINCT FROM " excluded          \
	         " UNION ALL"                                                 \
	         " SELECT b.id_number_index, b.application_id, "              \
	         "'beneficiary',"                                             \
	         "  b.beneficiary_id FROM beneficiary_member b"               \
	         "  WHERE b.id_number_index = ANY ($1::text[]) AND NOT "      \
	         "b.edge"                                                     \
	         ") x ORDER BY 1, 2 LIMIT 1"

static const sn_col holder_cols[] = {
	SN_COL(intake_holder, pos, SN_COL_I32),
	SN_COL(intake_holder, application_id, SN_COL_TEXT),
	SN_COL_ENUMOF(intake_holder, kind, holder_kinds),
	SN_COL(intake_holder, beneficiary_id, SN_COL_TEXT),
};

static void
holders_read(sn_tx *tx, PGresult *res, void *arg)
{
	intake_store_holder_slot *slot = arg;
	intake_holder             h;
	sn_err err = sn_rows_one(res, holder_cols, SN_NCOLS(holder_cols), &h);

	if (err == SN_ENOTFOUND)
		slot->fn(tx, SN_OK, NULL, slot->arg);
	else
		slot->fn(tx, err, err == SN_OK ? &h : NULL, slot->arg);
}

sn_err
intake_store_qholders(sn_tx *tx, const intake_app *app, const char *except,
    intake_store_holder_slot *slot)
{
	sn_pgarray  ids;
	const char *v[2] = { member_ids(app, &ids), except };
	sn_err      err  = SN_ENOMEM;

	if (v[0] != NULL)
		err = sn_tx_query(tx, SN_SQL_GENERIC HOLDERS_OF("$2::uuid"), 2,
		    v, holders_read, slot);
	sn_pgarray_fini(&ids);
	return err;
}

/* ---- the outcome of a submission ------------------------------------ */

static const sn_col outcome_cols[] = {
	SN_COL(intake_outcome, application_id, SN_COL_TEXT),
	SN_COL(intake_outcome, accepted_date, SN_COL_DATE),
	SN_COL(intake_outcome, deadline_date, SN_COL_DATE),
	SN_COL_OPT(intake_outcome, referral_id, SN_COL_TEXT, has_referral_id),
	COL_OPT_AS(
	    intake_outcome, holder.pos, "holder_pos", SN_COL_I32, has_holder),
	COL_OPT_AS(intake_outcome, holder.application_id,
	    "holder_application_id", SN_COL_TEXT, has_holder),
	ENUM_OPT_AS(intake_outcome, holder.kind, "holder_kind", holder_kinds,
	    has_holder),
	COL_OPT_AS(intake_outcome, holder.beneficiary_id,
	    "holder_beneficiary_id", SN_COL_TEXT, has_holder),
};

static void
outcome_read(sn_tx *tx, PGresult *res, void *arg)
{
	intake_store_outcome_slot *slot = arg;
	intake_outcome             o;
	sn_err                     err
	    = sn_rows_one(res, outcome_cols, SN_NCOLS(outcome_cols), &o);

	slot->fn(tx, err, err == SN_OK ? &o : NULL, slot->arg);
}

sn_err
intake_store_qoutcome(sn_tx *tx, const intake_app *app, const char *id,
    intake_store_outcome_slot *slot)
{
	sn_pgarray  ids;
	const char *v[2] = { member_ids(app, &ids), id };
	sn_err      err  = SN_ENOMEM;

	if (v[0] != NULL)
		err = sn_tx_query(tx,
		    SN_SQL_GENERIC
		    "SELECT a.id::text AS application_id,"
		    " to_char(a.accepted_date, 'YYYY-MM-DD') AS accepted_date,"
		    " to_char(a.deadline_date, 'YYYY-MM-DD') AS deadline_date,"
		    " a.referral_id, o.pos AS holder_pos,"
		    " o.application_id AS holder_application_id,"
		    " o.kind AS holder_kind,"
		    " o.beneficiary_id AS holder_beneficiary_id"
		    " FROM application a LEFT JOIN LATERAL (" HOLDERS_OF(
		        "a.id") ") o ON true WHERE a.id = $2::uuid",
		    2, v, outcome_read, slot);
	sn_pgarray_fini(&ids);
	return err;
}

/* ---- the locked application ----------------------------------------- */

static const sn_col current_cols[] = {
	SN_COL_ENUMOF(intake_current, status, intake_status_names),
	SN_COL(intake_current, village_code, SN_COL_TEXT),
	SN_COL_OPT(intake_current, referral_id, SN_COL_TEXT, has_referral_id),
	SN_COL_OPT(
	    intake_current, applicant_id_number, SN_COL_TEXT, has_applicant),
	ENUM_OPT_AS(intake_current, category, "requested_category", categories,
	    has_category),
};

static void
current_read(sn_tx *tx, PGresult *res, void *arg)
{
	intake_store_current_slot *slot = arg;
	intake_current             c;
	char                      *applicant = NULL;
	sn_err                     err
	    = sn_rows_one(res, current_cols, SN_NCOLS(current_cols), &c);

	if (err == SN_OK && c.has_applicant) {
		err = sn_seal_open_text(sn_seal_default(), INTAKE_AD_MEMBER,
		    c.applicant_id_number, &applicant);
		c.applicant_id_number = applicant;
	}
	slot->fn(tx, err, err == SN_OK ? &c : NULL, slot->arg);
	free(applicant);
}

sn_err
intake_store_qlock(sn_tx *tx, const char *id, intake_store_current_slot *slot)
{
	const char *v[1] = { id };
	return sn_tx_query(tx,
	    "SELECT a.status, a.village_code, a.referral_id,"
	    " (SELECT m.id_number_sealed FROM member m"
	    "  WHERE m.application_id = a.id"
	    "  AND m.position = 0) AS applicant_id_number,"
	    " a.requested_category"
	    " FROM application a WHERE a.id = $1::uuid FOR UPDATE",
	    1, v, current_read, slot);
}

/* ---- applications in ------------------------------------------------ */

static const char SQL_INSERT_APP[]
    = "INSERT INTO application (id, accepted_date, deadline_date, taken_in_by,"
      " registration, district_code, township_code, village_code, address,"
      " has_able_supporter, wages_fen, business_fen, pensions_fen, other_fen,"
      " medical_fen, education_fen, housing_fen, employment_costs_fen,"
      " consent_reference, consent_signed_date, payee_bank_code,"
      " payee_account_number_sealed, payee_account_name, requested_category,"
      " agricultural_fen, support_fen, payee_account_number_index)"
      " VALUES ($1::uuid, $2::date, $3::date, $4, $5, $6, $7, $8, $9,"
      " $10::boolean, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20::date,"
      " $21, $22, $23, $24, $25, $26, $27)";

static const char SQL_INSERT_MEMBER[]
    = "INSERT INTO member (application_id, position, id_number_sealed, name,"
      " relation, birth_date, labour_capacity, disability_grade, self_care,"
      " id_number_index)"
      " VALUES ($1::uuid, $2, $3, $4, $5, $6::date, $7, $8, $9, $10)";

/* Parameters of an application row. */
#define APP_NPARAMS 27

/* Text storage for the parameters of an application row; app_text_fini
 * frees the sealed account. */
struct app_text {
	char        fen[10][24];
	char        accepted[SN_DATE_STRLEN], deadline[SN_DATE_STRLEN];
	char       *account; /* sealed */
	char        account_ix[SN_SEAL_INDEX_HEX + 1];
	const char *v[APP_NPARAMS];
};

static void
app_text_fini(struct app_text *t)
{
	free(t->account);
}

/* The parameters of SQL_INSERT_APP, SQL_COMPLETE_APP and SQL_AMEND_APP
 * into t; false without memory (t is to be fini'd either way). */
static bool
app_params(const intake_app *a, const char *id, sn_date accepted,
    sn_date deadline, const char *taken_in_by, struct app_text *t)
{
	const int64_t v8[10] = { a->wages_fen, a->business_fen,
		a->pensions_fen, a->other_fen, a->medical_fen,
		a->education_fen, a->housing_fen, a->employment_costs_fen,
		a->agricultural_fen, a->support_fen };
	for (int i = 0; i < 10; i++)
		snprintf(
		    t->fen[i], sizeof(t->fen[i]), "%lld", (long long) v8[i]);
	if (!seal_opt(INTAKE_AD_ACCOUNT, a->account_number, &t->account))
		return false;
	const char *p[APP_NPARAMS] = {
		id, sn_date_format(accepted, t->accepted),
		sn_date_format(deadline, t->deadline), taken_in_by,
		sn_assist_registration_name((int) a->registration),
		a->district_code, a->township_code, a->village_code,
		a->address, a->has_able_supporter ? "true" : "false",
		t->fen[0], t->fen[1], t->fen[2], t->fen[3], t->fen[4],
		t->fen[5], t->fen[6], t->fen[7], a->consent_reference,
		a->consent_signed_date, a->bank_code, t->account,
		a->account_name,
		sn_assist_category_name((int) a->requested_category),
		t->fen[8], t->fen[9],
		index_of(INTAKE_IX_ACCOUNT, a->account_number, t->account_ix)
	};
	memcpy(t->v, p, sizeof(p));
	return true;
}

static sn_err
insert_members(sn_tx *tx, const intake_app *a, const char *id)
{
	sn_err err = SN_OK;
	for (size_t i = 0; i < a->nmembers && err == SN_OK; i++) {
		const intake_member *m = &a->members[i];
		char                 pos[24], grade[24];
		char                 ix[SN_SEAL_INDEX_HEX + 1];
		char                *sealed = NULL;
		snprintf(pos, sizeof(pos), "%zu", i);
		snprintf(grade, sizeof(grade), "%lld",
		    (long long) m->disability_grade);
		if (!seal_opt(INTAKE_AD_MEMBER, m->id_number, &sealed))
			return SN_ENOMEM;
		const char *mv[10] = { id, pos, sealed, m->name, m->relation,
			m->birth_date,
			sn_assist_labour_name((int) m->labour_capacity), grade,
			sn_assist_self_care_name((int) m->self_care),
			index_of(INTAKE_IX_ID, m->id_number, ix) };
		err = sn_tx_query(tx, SQL_INSERT_MEMBER, 10, mv, NULL, NULL);
		free(sealed);
	}
	return err;
}

sn_err
intake_store_qinsert(sn_tx *tx, const intake_app *a, const char *id,
    sn_date accepted, sn_date deadline, const char *taken_in_by)
{
	struct app_text t = { .account = NULL };
	sn_err err = app_params(a, id, accepted, deadline, taken_in_by, &t)
	    ? sn_tx_query(tx, SQL_INSERT_APP, APP_NPARAMS, t.v, NULL, NULL)
	    : SN_ENOMEM;
	app_text_fini(&t);
	return err == SN_OK ? insert_members(tx, a, id) : err;
}

static const char SQL_COMPLETE_APP[]
    = "UPDATE application SET status = 'open', accepted_date = $2::date,"
      " deadline_date = $3::date, taken_in_by = $4, registration = $5,"
      " district_code = $6, township_code = $7, village_code = $8,"
      " address = $9, has_able_supporter = $10::boolean, wages_fen = $11,"
      " business_fen = $12, pensions_fen = $13, other_fen = $14,"
      " medical_fen = $15, education_fen = $16, housing_fen = $17,"
      " employment_costs_fen = $18, consent_reference = $19,"
      " consent_signed_date = $20::date, payee_bank_code = $21,"
      " payee_account_number_sealed = $22, payee_account_name = $23,"
      " requested_category = coalesce($24, requested_category),"
      " agricultural_fen = $25, support_fen = $26,"
      " payee_account_number_index = $27, payee_account_number = NULL"
      " WHERE id = $1::uuid AND status = 'draft'";

sn_err
intake_store_qcomplete(sn_tx *tx, const intake_app *a, const char *id,
    sn_date accepted, sn_date deadline, const char *taken_in_by)
{
	struct app_text t = { .account = NULL };
	if (!app_params(a, id, accepted, deadline, taken_in_by, &t)) {
		app_text_fini(&t);
		return SN_ENOMEM;
	}
	/* The draft's members go first, while it is still a draft. */
	sn_err err = sn_tx_query(tx,
	    "DELETE FROM member WHERE application_id = $1::uuid AND EXISTS"
	    " (SELECT 1 FROM application WHERE id = $1::uuid"
	    "  AND status = 'draft')",
	    1, t.v, NULL, NULL);
	if (err == SN_OK)
		err = sn_tx_query(
		    tx, SQL_COMPLETE_APP, APP_NPARAMS, t.v, NULL, NULL);
	app_text_fini(&t);
	return err == SN_OK ? insert_members(tx, a, id) : err;
}

sn_err
intake_store_qdraft(sn_tx *tx, const intake_draft *d, const char *id)
{
	char size[16], acct_ix[SN_SEAL_INDEX_HEX + 1],
	    ix[SN_SEAL_INDEX_HEX + 1];
	char *acct = NULL, *idn = NULL;
	if (d->household_size > 0)
		snprintf(size, sizeof(size), "%d", (int) d->household_size);
	if (!seal_opt(INTAKE_AD_ACCOUNT, d->account_number, &acct)
	    || !seal_opt(INTAKE_AD_MEMBER, d->id_number, &idn)) {
		free(acct);
		return SN_ENOMEM;
	}
	const char *v[15] = { id, d->district_code, d->township_code,
		d->village_code, d->bank_code, acct, d->account_name,
		sn_assist_category_name((int) d->category), d->referral_id,
		d->grant_id, d->household_size > 0 ? size : NULL,
		d->referral_note, d->created_by,
		d->note[0] != '\0' ? d->note : NULL,
		index_of(INTAKE_IX_ACCOUNT, d->account_number, acct_ix) };
	sn_err      err   = sn_tx_query(tx,
	           "INSERT INTO application (id, status, district_code,"
	                  " township_code, village_code, payee_bank_code,"
	                  " payee_account_number_sealed, payee_account_name,"
	                  " requested_category, referral_id, referral_grant_id,"
	                  " referral_household_size, referral_note,"
	                  " referral_created_by, note, payee_account_number_index)"
	                  " VALUES ($1::uuid, 'draft', $2, $3, $4, $5, $6, $7, $8, $9, $10,"
	                  " $11::integer, $12, $13, $14, $15)"
	                  " ON CONFLICT (referral_id) DO NOTHING",
	           15, v, NULL, NULL);
	const char *m[5]  = { id, idn, d->name, d->birth_date,
		 index_of(INTAKE_IX_ID, d->id_number, ix) };
	/* Only if the draft above was opened (id is new each time). */
	if (err == SN_OK)
		err = sn_tx_query(tx,
		    "INSERT INTO member (application_id, position,"
		    " id_number_sealed, name, relation, birth_date,"
		    " id_number_index)"
		    " SELECT $1::uuid, 0, $2, $3, 'self', $4::date, $5"
		    " WHERE EXISTS (SELECT 1 FROM application WHERE id = "
		    "$1::uuid)",
		    5, m, NULL, NULL);
	free(acct);
	free(idn);
	return err;
}

sn_err
intake_store_qclaim(sn_tx *tx, const intake_app *app, const char *id)
{
	sn_pgarray  ids;
	const char *v[2] = { member_ids(app, &ids), id };
	sn_err      err  = SN_ENOMEM;

	/* An edge household's persons apply again (issue 10): the claims
	 * its approved application kept pass to the new one. */
	if (v[0] != NULL)
		err = sn_tx_query(tx,
		    SN_SQL_GENERIC
		    "DELETE FROM claim c"
		    " USING unnest($1::text[]) AS x(ix), application h"
		    " WHERE c.id_number_index = x.ix"
		    " AND h.id = c.application_id AND h.id <> $2::uuid"
		    " AND " EDGE_DECIDED("h"),
		    2, v, NULL, NULL);
	/* In a fixed order, so that two submissions sharing several persons
	 * wait for each other instead of deadlocking. */
	if (err == SN_OK)
		err = sn_tx_query(tx,
		    "INSERT INTO claim (id_number_index, application_id)"
		    " SELECT p, $2::uuid FROM unnest($1::text[]) AS p"
		    " ORDER BY p ON CONFLICT (id_number_index) DO NOTHING",
		    2, v, NULL, NULL);
	sn_pgarray_fini(&ids);
	return err;
}

/* ---- changes of an application -------------------------------------- */

sn_err
intake_store_qwithdraw(
    sn_tx *tx, const char *id, const char *reason, const char *by)
{
	const char *v[3] = { id, reason, by };
	sn_err      err  = sn_tx_query(tx,
	          "UPDATE application SET status = 'withdrawn',"
	                " withdrawn_reason = $2, withdrawn_by = $3, withdrawn_at = now()"
	                " WHERE id = $1::uuid AND status IN ('open', 'returned')",
	          3, v, NULL, NULL);
	if (err != SN_OK)
		return err;
	return sn_tx_query(tx,
	    "DELETE FROM claim WHERE application_id = $1::uuid", 1, v, NULL,
	    NULL);
}

sn_err
intake_store_qdecided(sn_tx *tx, const intake_store_decision *d)
{
	const char *v[6] = { d->application_id,
		intake_status_names[d->approved
		        ? INTAKE_STATUS_DECIDED_APPROVED
		        : INTAKE_STATUS_DECIDED_REJECTED],
		d->case_id, d->decided_by,
		d->category != NULL && d->category[0] != '\0' ? d->category
		                                              : NULL,
		d->edge ? "edge" : "core" };
	/* A returned application may be decided too: approval's word wins
	 * over a return it took back. */
	sn_err err = sn_tx_query(tx,
	    "UPDATE application SET status = $2, decided_case_id = $3,"
	    " decided_by = $4, decided_at = now(), decided_category = $5,"
	    " decided_tier = $6"
	    " WHERE id = $1::uuid AND status IN ('open', 'returned')",
	    6, v, NULL, NULL);
	if (err != SN_OK || d->approved)
		return err;
	/* Only if the rejection took: a withdrawn application freed its
	 * members already, and an approved one keeps them. */
	return sn_tx_query(tx,
	    "DELETE FROM claim WHERE application_id = $1::uuid AND EXISTS"
	    " (SELECT 1 FROM application WHERE id = $1::uuid"
	    "  AND status = 'decided_rejected')",
	    1, v, NULL, NULL);
}

/* The tier's word in beneficiary_household.tier; NULL: unsaid. */
static const char *
tier_name(intake_tier tier)
{
	switch (tier) {
	case INTAKE_TIER_CORE:
		return "core";
	case INTAKE_TIER_EDGE:
		return "edge";
	case INTAKE_TIER_UNSAID:
		break;
	}
	return NULL;
}

/* Whether beneficiary $1's persons are an edge household's: the tier
 * named by parameter p, or when it is NULL the one recorded (read before
 * intake_store_qbeneficiary_household updates it). */
#define EDGE_OF(p)                                                            \
	"COALESCE(" p "::text, (SELECT h.tier FROM beneficiary_household h"   \
	" WHERE h.beneficiary_id = $1), 'core') = 'edge'"

/* The register's words for a household's members. */
static const char *
hold_name(intake_hold hold)
{
	switch (hold) {
	case INTAKE_HOLD_ACTIVE:
		return "active";
	case INTAKE_HOLD_GRADUAL_EXIT:
		return "gradual_exit";
	case INTAKE_HOLD_SUSPENDED:
		return "suspended";
	case INTAKE_HOLD_EXITED:
		break;
	}
	return NULL;
}

sn_err
intake_store_qbeneficiary(sn_tx *tx, const char *beneficiary_id,
    const char *application_id, intake_hold hold, intake_tier tier,
    const char *const *ids, size_t n, const char *head)
{
	sn_pgarray a;
	char       ix[SN_SEAL_INDEX_HEX + 1];
	sn_pgarray_init(&a);
	for (size_t i = 0; i < n; i++)
		sn_pgarray_add(&a, index_of(INTAKE_IX_ID, ids[i], ix));
	if (head != NULL)
		sn_pgarray_add(&a, index_of(INTAKE_IX_ID, head, ix));
	const char *list = a.n > 0 ? sn_pgarray_text(&a) : NULL;
	const char *v[5] = { beneficiary_id, application_id, hold_name(hold),
		list, tier_name(tier) };
	sn_err      err  = a.n > 0 && list == NULL ? SN_ENOMEM : SN_OK;

	if (err == SN_OK)
		err = sn_tx_query(tx,
		    "DELETE FROM beneficiary_member WHERE beneficiary_id = $1",
		    1, v, NULL, NULL);
	if (err == SN_OK && v[2] != NULL && list != NULL)
		err = sn_tx_query(tx,
		    "INSERT INTO beneficiary_member"
		    " (beneficiary_id, id_number_index, application_id, "
		    "status, "
		    "edge)"
		    " SELECT $1, p, $2, $3, " EDGE_OF(
		        "$5") ""
		              " FROM unnest($4::text[]) AS p ON CONFLICT DO "
		              "NOTHING",
		    5, v, NULL, NULL);
	else if (err == SN_OK && v[2] != NULL && application_id[0] != '\0')
		err = sn_tx_query(tx,
		    "INSERT INTO beneficiary_member (beneficiary_id,"
		    " id_number_index, application_id, status, edge)"
		    " SELECT $1, m.id_number_index, $2, $3, $5::boolean FROM "
		    "member "
		    "m"
		    " WHERE m.application_id = $2::uuid"
		    " AND $4::text IS NULL ON CONFLICT DO NOTHING",
		    5, v, NULL, NULL);
	/* The register now holds them (or nobody does): the application's
	 * own claims end. */
	if (err == SN_OK && application_id[0] != '\0')
		err = sn_tx_query(tx,
		    "DELETE FROM claim WHERE application_id = $1::uuid", 1,
		    &v[1], NULL, NULL);
	sn_pgarray_fini(&a);
	return err;
}

/* ---- reads for GET -------------------------------------------------- */

/* Application a as the body of POST /applications (what PUT takes and
 * application.resubmitted carries): the keys of intake_codec_decode. */
#define BODY_KEYS                                                             \
	" 'household', json_build_object('registration', a.registration,"     \
	"   'district_code', a.district_code, 'township_code', "              \
	"a.township_code,"                                                    \
	"   'village_code', a.village_code, 'address', a.address,"            \
	"   'has_able_supporter', a.has_able_supporter),"                     \
	" 'members', (SELECT json_agg(json_build_object("                     \
	"   'id_number', m.id_number_sealed, 'name', m.name, 'relation', "    \
	"m.relation,"                                                         \
	"   'birth_date', to_char(m.birth_date, 'YYYY-MM-DD'),"               \
	"   'labour_capacity', m.labour_capacity,"                            \
	"   'disability_grade', m.disability_grade, 'self_care', "            \
	"m.self_care)"                                                        \
	"   ORDER BY m.position) FROM member m WHERE m.application_id = "     \
	"a.id),"                                                              \
	" 'declared_income', json_build_object('wages_fen', a.wages_fen,"     \
	"   'business_fen', a.business_fen, 'pensions_fen', a.pensions_fen,"  \
	"   'other_fen', a.other_fen, 'agricultural_fen', "                   \
	"a.agricultural_fen,"                                                 \
	"   'support_fen', a.support_fen),"                                   \
	" 'declared_expenditure', json_build_object("                         \
	"   'medical_fen', a.medical_fen, 'education_fen', a.education_fen,"  \
	"   'housing_fen', a.housing_fen,"                                    \
	"   'employment_costs_fen', a.employment_costs_fen),"                 \
	" 'consent', json_build_object('reference', a.consent_reference,"     \
	"   'signed_date', to_char(a.consent_signed_date, 'YYYY-MM-DD')),"    \
	" 'payee', json_build_object('bank_code', a.payee_bank_code,"         \
	"   'account_number', a.payee_account_number_sealed,"                 \
	"   'account_name', a.payee_account_name),"                           \
	" 'requested_category', a.requested_category"

/* One application a as the JSON of GET /applications/{id}. */
#define APP_JSON                                                              \
	"json_build_object("                                                  \
	" 'application_id', a.id,"                                            \
	" 'status', a.status,"                                                \
	" 'revision', a.revision,"                                            \
	" 'referral_id', a.referral_id,"                                      \
	" 'referral', CASE WHEN a.referral_id IS NOT NULL THEN "              \
	"json_build_object("                                                  \
	"   'referral_id', a.referral_id, 'grant_id', a.referral_grant_id,"   \
	"   'household_size', a.referral_household_size,"                     \
	"   'note', a.referral_note, 'created_by', a.referral_created_by) "   \
	"END,"                                                                \
	" 'note', a.note,"                                                    \
	" 'created_at', a.created_at,"                                        \
	" 'accepted_date', to_char(a.accepted_date, 'YYYY-MM-DD'),"           \
	" 'deadline_date', to_char(a.deadline_date, 'YYYY-MM-DD'),"           \
	" 'taken_in_by', a.taken_in_by," BODY_KEYS ","                        \
	" 'withdrawal', CASE WHEN a.status = 'withdrawn' THEN "               \
	"json_build_object("                                                  \
	"   'reason', a.withdrawn_reason, 'withdrawn_by', a.withdrawn_by,"    \
	"   'withdrawn_at', a.withdrawn_at) END,"                             \
	" 'returned', CASE WHEN a.status = 'returned' THEN "                  \
	"json_build_object("                                                  \
	"   'reason', a.returned_reason, 'returned_by', a.returned_by,"       \
	"   'returned_at', a.returned_at) END,"                               \
	" 'decision', CASE WHEN a.status LIKE 'decided_%' THEN "              \
	"json_build_object("                                                  \
	"   'approved', a.status = 'decided_approved',"                       \
	"   'category', a.decided_category, 'tier', a.decided_tier,"          \
	"   'case_id', a.decided_case_id, 'decided_by', a.decided_by,"        \
	"   'decided_at', a.decided_at) END,"                                 \
	" 'history', COALESCE((SELECT json_agg(json_build_object("            \
	"   'kind', x.kind, 'revision', x.revision, 'actor', x.actor,"        \
	"   'note', x.note, 'at', x.at)::jsonb || x.details ORDER BY x.seq)"  \
	"   FROM application_history x WHERE x.application_id = a.id),"       \
	"   '[]')"                                                            \
	")"

static const sn_col view_cols[] = {
	SN_COL(intake_view, json, SN_COL_TEXT),
	SN_COL(intake_view, village_code, SN_COL_TEXT),
};

struct view_call {
	intake_store_view_fn done;
	void                *arg;
};

static void
view_read(sn_err err, PGresult *res, void *arg)
{
	struct view_call c = *(struct view_call *) arg;
	intake_view      v;
	char            *doc = NULL;

	free(arg);
	if (err == SN_OK)
		err = res != NULL
		    ? sn_rows_one(res, view_cols, SN_NCOLS(view_cols), &v)
		    : SN_EDB;
	if (err == SN_OK && (doc = open_doc(v.json)) == NULL)
		err = SN_EPROTO;
	v.json = doc;
	c.done(c.arg, err, err == SN_OK ? &v : NULL);
	free(doc);
}

void
intake_store_get(
    sn_db *db, const char *id, intake_store_view_fn done, void *arg)
{
	struct view_call *c    = malloc(sizeof(*c));
	const char       *v[1] = { id };

	if (c == NULL) {
		done(arg, SN_ENOMEM, NULL);
		return;
	}
	c->done = done;
	c->arg  = arg;
	sn_db_query(db,
	    "SELECT " APP_JSON "::text AS json, a.village_code"
	    " FROM application a WHERE a.id = $1::uuid",
	    1, v, view_read, c);
}

struct list_call {
	intake_store_list_fn done;
	void                *arg;
	int64_t              limit;
};

static const sn_col list_cols[] = {
	SN_COL(intake_list_row, key, SN_COL_I64),
	SN_COL(intake_list_row, doc, SN_COL_TEXT),
};

static void
list_read(sn_err err, PGresult *res, void *arg)
{
	struct list_call c    = *(struct list_call *) arg;
	intake_list_row *rows = NULL;
	sn_rows          r;
	int              n = 0;

	free(arg);
	if (err == SN_OK)
		err = res != NULL
		    ? sn_rows_open(&r, res, list_cols, SN_NCOLS(list_cols))
		    : SN_EDB;
	if (err == SN_OK) {
		n    = sn_rows_count(&r);
		rows = calloc((size_t) n + 1, sizeof(*rows));
		err  = rows != NULL ? SN_OK : SN_ENOMEM;
		for (int i = 0; i < n && err == SN_OK; i++) {
			err = sn_rows_read(&r, i, &rows[i]);
			/* the opened document replaces the borrowed one */
			if (err == SN_OK
			    && (rows[i].doc = open_doc(rows[i].doc)) == NULL)
				err = SN_EPROTO;
		}
		if (err == SN_OK)
			c.done(c.arg, SN_OK, rows,
			    n > c.limit ? (size_t) c.limit : (size_t) n,
			    n > c.limit);
		sn_rows_close(&r);
	}
	if (err != SN_OK)
		c.done(c.arg, err, NULL, 0, false);
	for (int i = 0; rows != NULL && i < n; i++)
		free((char *) rows[i].doc);
	free(rows);
}

void
intake_store_list(sn_db *db, const intake_list_query *q, const char *juris,
    intake_store_list_fn done, void *arg)
{
	struct list_call *c = malloc(sizeof(*c));
	char              after[24], lim[24];
	const char       *v[6]
	    = { after, q->status, q->township, q->taken_in_by, juris, lim };

	if (c == NULL) {
		done(arg, SN_ENOMEM, NULL, 0, false);
		return;
	}
	c->done  = done;
	c->arg   = arg;
	c->limit = q->page.limit;
	snprintf(after, sizeof(after), "%lld", (long long) q->page.after);
	snprintf(lim, sizeof(lim), "%lld", (long long) q->page.limit + 1);
	sn_db_query(db,
	    "SELECT a.list_seq AS key, " APP_JSON "::text AS doc"
	    " FROM application a WHERE a.list_seq > $1::bigint"
	    " AND ($2::text IS NULL OR a.status = $2"
	    "  OR ($2 = 'decided' AND a.status LIKE 'decided_%'))"
	    " AND ($3::text IS NULL OR a.township_code = $3)"
	    " AND ($4::text IS NULL OR a.taken_in_by = $4)"
	    " AND left(a.village_code, length($5)) = $5"
	    " ORDER BY a.list_seq LIMIT $6::bigint",
	    6, v, list_read, c);
}

/* ---- issue 10: returned, amended, resubmitted, payee changed ------- */

sn_err
intake_store_qreturned(
    sn_tx *tx, const char *id, const char *by, const char *reason)
{
	const char *v[3] = { id, by, reason };
	/* Only an open application: a repeat, or a case already decided
	 * or withdrawn, changes nothing. */
	return sn_tx_query(tx,
	    "WITH r AS (UPDATE application SET status = 'returned',"
	    "  returned_reason = $3, returned_by = $2, returned_at = now()"
	    "  WHERE id = $1::uuid AND status = 'open'"
	    "  RETURNING id, revision)"
	    " INSERT INTO application_history (application_id, kind,"
	    "  revision, actor, note)"
	    " SELECT id, 'returned', revision, $2, $3 FROM r",
	    3, v, NULL, NULL);
}

static const char SQL_AMEND_APP[]
    = "UPDATE application SET registration = $5,"
      " district_code = $6, township_code = $7, village_code = $8,"
      " address = $9, has_able_supporter = $10::boolean, wages_fen = $11,"
      " business_fen = $12, pensions_fen = $13, other_fen = $14,"
      " medical_fen = $15, education_fen = $16, housing_fen = $17,"
      " employment_costs_fen = $18, consent_reference = $19,"
      " consent_signed_date = $20::date, payee_bank_code = $21,"
      " payee_account_number_sealed = $22, payee_account_name = $23,"
      " requested_category = coalesce($24, requested_category),"
      " agricultural_fen = $25, support_fen = $26,"
      " payee_account_number_index = $27, payee_account_number = NULL"
      " WHERE id = $1::uuid AND status = 'returned'"
      /* $2..$4 (the dates, the clerk) stay as first set: named only
       * so that the statement takes app_params' parameters. */
      " AND num_nulls($2::date, $3::date, $4::text) >= 0";

sn_err
intake_store_qamend(
    sn_tx *tx, const intake_app *a, const char *id, const char *by)
{
	struct app_text t      = { .account = NULL };
	const sn_date   unused = { 2000, 1, 1 }; /* $2, $3: not changed */
	const char     *h[2]   = { id, by };
	if (!app_params(a, id, unused, unused, by, &t)) {
		app_text_fini(&t);
		return SN_ENOMEM;
	}
	/* First the entry, with what the amendment replaces. */
	sn_err err = sn_tx_query(tx,
	    "INSERT INTO application_history (application_id, kind,"
	    " revision, actor, details)"
	    " SELECT a.id, 'amended', a.revision, $2,"
	    "  jsonb_build_object('before', json_build_object(" BODY_KEYS "))"
	    " FROM application a WHERE a.id = $1::uuid"
	    " AND a.status = 'returned'",
	    2, h, NULL, NULL);
	if (err == SN_OK)
		err = sn_tx_query(tx,
		    "DELETE FROM member WHERE application_id = $1::uuid"
		    " AND EXISTS (SELECT 1 FROM application WHERE id = "
		    "$1::uuid"
		    "  AND status = 'returned')",
		    1, t.v, NULL, NULL);
	if (err == SN_OK)
		err = sn_tx_query(tx,
		    "DELETE FROM claim WHERE application_id = $1::uuid"
		    " AND EXISTS (SELECT 1 FROM application WHERE id = "
		    "$1::uuid"
		    "  AND status = 'returned')",
		    1, t.v, NULL, NULL);
	if (err == SN_OK)
		err = sn_tx_query(
		    tx, SQL_AMEND_APP, APP_NPARAMS, t.v, NULL, NULL);
	app_text_fini(&t);
	return err == SN_OK ? insert_members(tx, a, id) : err;
}

sn_err
intake_store_qresubmit(
    sn_tx *tx, const char *id, const char *by, const char *amendment)
{
	const char *v[3] = { id, by, amendment };
	return sn_tx_query(tx,
	    "WITH r AS (UPDATE application SET status = 'open',"
	    "  revision = revision + 1"
	    "  WHERE id = $1::uuid AND status = 'returned'"
	    "  RETURNING id, revision)"
	    " INSERT INTO application_history (application_id, kind,"
	    "  revision, actor, note)"
	    " SELECT id, 'resubmitted', revision, $2, $3 FROM r",
	    3, v, NULL, NULL);
}

static const sn_col body_cols[] = {
	SN_COL(intake_stored, body, SN_COL_TEXT),
	SN_COL(intake_stored, accepted_date, SN_COL_TEXT),
	SN_COL(intake_stored, deadline_date, SN_COL_TEXT),
	SN_COL(intake_stored, taken_in_by, SN_COL_TEXT),
	SN_COL(intake_stored, referral_id, SN_COL_TEXT),
	SN_COL(intake_stored, revision, SN_COL_I32),
};

static void
body_read(sn_tx *tx, PGresult *res, void *arg)
{
	intake_store_stored_slot *slot = arg;
	intake_stored             b;
	char                     *body = NULL;
	sn_err err = sn_rows_one(res, body_cols, SN_NCOLS(body_cols), &b);

	if (err == SN_OK && (body = open_doc(b.body)) == NULL)
		err = SN_EPROTO;
	b.body = body;
	slot->fn(tx, err, err == SN_OK ? &b : NULL, slot->arg);
	free(body);
}

sn_err
intake_store_qstored(sn_tx *tx, const char *id, intake_store_stored_slot *slot)
{
	const char *v[1] = { id };
	return sn_tx_query(tx,
	    "SELECT json_build_object(" BODY_KEYS ")::text AS body,"
	    " to_char(a.accepted_date, 'YYYY-MM-DD') AS accepted_date,"
	    " to_char(a.deadline_date, 'YYYY-MM-DD') AS deadline_date,"
	    " a.taken_in_by, COALESCE(a.referral_id, '') AS referral_id,"
	    " a.revision FROM application a WHERE a.id = $1::uuid",
	    1, v, body_read, slot);
}

sn_err
intake_store_qpayee(sn_tx *tx, const intake_store_payee *py)
{
	char  ix[SN_SEAL_INDEX_HEX + 1];
	char *acct = NULL;
	if (!seal_opt(INTAKE_AD_ACCOUNT, py->account_number, &acct))
		return SN_ENOMEM;
	const char *v[7] = { py->application_id, py->bank_code, acct,
		py->account_name, py->actor, py->details_json,
		index_of(INTAKE_IX_ACCOUNT, py->account_number, ix) };
	const char *u[5] = { v[0], v[1], v[2], v[3], v[6] };
	/* The old payee into the history first, and only when it differs
	 * (by the account's index): a repeat of the same correction changes
	 * nothing. Both accounts are kept sealed there. */
	sn_err err = sn_tx_query(tx,
	    "INSERT INTO application_history (application_id, kind,"
	    " revision, actor, details)"
	    " SELECT a.id, 'payee_changed', a.revision, $5,"
	    "  $6::jsonb || jsonb_build_object('old_payee',"
	    "  jsonb_build_object('bank_code', a.payee_bank_code,"
	    "  'account_number', a.payee_account_number_sealed,"
	    "  'account_name', a.payee_account_name),"
	    "  'new_payee', jsonb_build_object('bank_code', $2::text,"
	    "  'account_number', $3::text, 'account_name', $4::text))"
	    " FROM application a WHERE a.id = $1::uuid"
	    " AND a.status <> 'draft'"
	    " AND (a.payee_bank_code, a.payee_account_number_index,"
	    "  a.payee_account_name) IS DISTINCT FROM ($2, $7, $4)",
	    7, v, NULL, NULL);
	if (err == SN_OK)
		err = sn_tx_query(tx,
		    "UPDATE application SET payee_bank_code = $2,"
		    " payee_account_number_sealed = $3,"
		    " payee_account_name = $4, payee_account_number_index = $5"
		    " WHERE id = $1::uuid AND status <> 'draft'",
		    5, u, NULL, NULL);
	free(acct);
	return err;
}

/* ---- beneficiary households and their changes ----------------------- */

/* The application $2 names, by application's primary key (sn/db.h). */
#define APPLICATION_OF_2 SN_SQL_UUID_OF("$2")

sn_err
intake_store_qbeneficiary_household(sn_tx *tx, const char *beneficiary_id,
    const char *application_id, intake_hold hold, const char *district,
    const char *township, const char *village, const char *category,
    intake_tier tier)
{
	static const char *const holds[]
	    = { "active", "gradual_exit", "exited", "suspended" };
	const char *v[8] = { beneficiary_id, application_id, holds[hold],
		district != NULL ? district : "",
		township != NULL ? township : "",
		village != NULL ? village : "",
		category != NULL && category[0] != '\0' ? category : NULL,
		tier_name(tier) };
	return sn_tx_query(tx,
	    "INSERT INTO beneficiary_household AS h (beneficiary_id,"
	    "  application_id, status, district_code, township_code,"
	    "  village_code, category, tier)"
	    " SELECT $1, COALESCE(NULLIF($2, ''), ''), $3,"
	    "  COALESCE(NULLIF($4, ''), a.district_code),"
	    "  COALESCE(NULLIF($5, ''), a.township_code),"
	    "  COALESCE(NULLIF($6, ''), a.village_code), $7, $8"
	    " FROM (SELECT 1) one LEFT JOIN application a"
	    "  ON a.id = " APPLICATION_OF_2
	    " WHERE COALESCE(NULLIF($5, ''), a.township_code) IS NOT NULL"
	    "  AND COALESCE(NULLIF($4, ''), a.district_code) IS NOT NULL"
	    "  AND COALESCE(NULLIF($6, ''), a.village_code) IS NOT NULL"
	    " ON CONFLICT (beneficiary_id) DO UPDATE SET"
	    "  application_id = COALESCE(NULLIF(EXCLUDED.application_id, ''),"
	    "   h.application_id),"
	    "  status = EXCLUDED.status,"
	    "  district_code = EXCLUDED.district_code,"
	    "  township_code = EXCLUDED.township_code,"
	    "  village_code = EXCLUDED.village_code,"
	    "  category = COALESCE(EXCLUDED.category, h.category),"
	    "  tier = COALESCE(EXCLUDED.tier, h.tier), updated_at = now()",
	    8, v, NULL, NULL);
}

static const sn_col household_cols[] = {
	SN_COL(intake_household, active, SN_COL_BOOL),
	SN_COL(intake_household, township_code, SN_COL_TEXT),
	SN_COL(intake_household, village_code, SN_COL_TEXT),
	SN_COL(intake_household, application_id, SN_COL_TEXT),
	SN_COL(intake_household, member_known, SN_COL_BOOL),
};

static void
household_read(sn_tx *tx, PGresult *res, void *arg)
{
	intake_store_household_slot *slot = arg;
	intake_household             h;
	sn_err                       err
	    = sn_rows_one(res, household_cols, SN_NCOLS(household_cols), &h);

	slot->fn(tx, err, err == SN_OK ? &h : NULL, slot->arg);
}

sn_err
intake_store_qhousehold(sn_tx *tx, const char *id, const char *member_id,
    intake_store_household_slot *slot)
{
	char        ix[SN_SEAL_INDEX_HEX + 1];
	const char *v[2] = { id,
		member_id != NULL ? index_of(INTAKE_IX_ID, member_id, ix)
		                  : "" };
	return sn_tx_query(tx,
	    "SELECT h.status <> 'exited' AS active,"
	    " h.township_code, h.village_code, h.application_id,"
	    " EXISTS (SELECT 1 FROM beneficiary_member m"
	    "  WHERE m.beneficiary_id = h.beneficiary_id"
	    "  AND m.id_number_index = $2) AS member_known"
	    " FROM beneficiary_household h WHERE h.beneficiary_id = $1"
	    " FOR UPDATE",
	    2, v, household_read, slot);
}

sn_err
intake_store_qchange(sn_tx *tx, const intake_store_change *c)
{
	char *member = NULL, *details = NULL;
	if (!seal_opt(INTAKE_AD_CHANGE, c->member_id_number, &member)
	    || (c->details_json != NULL
	        && sn_sealdb_seal_json(sn_seal_default(), c->details_json,
	               details_keys, 1, &details)
	            != SN_OK)) {
		free(member);
		return SN_ENOMEM;
	}
	const char *v[12] = { c->change_id, c->beneficiary_id,
		c->application_id, c->kind, member, c->effective_date,
		c->note != NULL ? c->note : "", details, c->reported_by,
		c->reported_on, c->agency, c->notice_id };
	sn_err      err   = sn_tx_query(tx,
	           "INSERT INTO household_change (change_id, beneficiary_id,"
	                  " application_id, kind, member_id_number_sealed,"
	                  " effective_date, note, details, reported_by, reported_on,"
	                  " agency, notice_id)"
	                  " VALUES ($1::uuid, $2, $3, $4, $5, $6::date, $7, $8::jsonb, $9,"
	                  " $10::date, $11, $12)",
	           12, v, NULL, NULL);
	free(member);
	free(details);
	return err;
}

static const sn_col match_cols[] = {
	SN_COL(intake_notice_match, seen, SN_COL_BOOL),
	SN_COL_OPT(intake_notice_match, beneficiary_id, SN_COL_TEXT, found),
	SN_COL_OPT(intake_notice_match, application_id, SN_COL_TEXT, found),
};

static void
match_read(sn_tx *tx, PGresult *res, void *arg)
{
	intake_store_match_slot *slot = arg;
	intake_notice_match      m;
	sn_err err = sn_rows_one(res, match_cols, SN_NCOLS(match_cols), &m);

	slot->fn(tx, err, err == SN_OK ? &m : NULL, slot->arg);
}

sn_err
intake_store_qnotice_match(sn_tx *tx, const char *notice_id,
    const char *id_number, intake_store_match_slot *slot)
{
	char        ix[SN_SEAL_INDEX_HEX + 1];
	const char *v[2]
	    = { notice_id, index_of(INTAKE_IX_ID, id_number, ix) };
	return sn_tx_query(tx,
	    "SELECT EXISTS (SELECT 1 FROM agency_notice n"
	    "  WHERE n.notice_id = $1) AS seen,"
	    " h.beneficiary_id, h.application_id"
	    " FROM (SELECT 1) one LEFT JOIN LATERAL ("
	    "  SELECT b.beneficiary_id, b.application_id"
	    "  FROM beneficiary_household b JOIN beneficiary_member m"
	    "   ON m.beneficiary_id = b.beneficiary_id"
	    "  WHERE m.id_number_index = $2 AND b.status <> 'exited'"
	    "  ORDER BY b.beneficiary_id LIMIT 1 FOR UPDATE OF b) h ON true",
	    2, v, match_read, slot);
}

sn_err
intake_store_qnotice(sn_tx *tx, const intake_store_notice *n)
{
	char        wage[24];
	char       *sealed = NULL;
	const char *v[9];
	sn_err      err;
	if (!seal_opt(INTAKE_AD_NOTICE, n->id_number, &sealed))
		return SN_ENOMEM;
	snprintf(wage, sizeof(wage), "%lld", (long long) n->monthly_wage_fen);
	v[0] = n->notice_id;
	v[1] = n->agency;
	v[2] = n->kind;
	v[3] = sealed;
	v[4] = n->effective_date;
	v[5] = wage;
	v[6] = n->beneficiary_id;
	v[7] = n->change_id;
	v[8] = n->received_on;
	err  = sn_tx_query(tx,
	     "INSERT INTO agency_notice (notice_id, agency, kind,"
	      " id_number_sealed, effective_date, monthly_wage_fen, outcome,"
	      " beneficiary_id, change_id, received_on)"
	      " VALUES ($1, $2, $3, $4, $5::date, $6::bigint,"
	      " CASE WHEN $8::uuid IS NULL THEN 'unmatched' ELSE 'matched' END,"
	      " $7, $8::uuid, $9::date)"
	      " ON CONFLICT (notice_id) DO NOTHING",
	     9, v, NULL, NULL);
	free(sealed);
	return err;
}

struct changes_call {
	intake_store_changes_fn done;
	void                   *arg;
};

/* A row of the changes' read: the household and its changes. */
typedef struct changes_row {
	bool        active;
	const char *township_code;
	const char *village_code;
	const char *application_id;
	const char *json;
	bool        more;
	int64_t     last;
} changes_row;

static const sn_col changes_cols[] = {
	SN_COL(changes_row, active, SN_COL_BOOL),
	SN_COL(changes_row, township_code, SN_COL_TEXT),
	SN_COL(changes_row, village_code, SN_COL_TEXT),
	SN_COL(changes_row, application_id, SN_COL_TEXT),
	SN_COL(changes_row, json, SN_COL_TEXT),
	SN_COL(changes_row, more, SN_COL_BOOL),
	SN_COL(changes_row, last, SN_COL_I64),
};

static void
changes_read(sn_err err, PGresult *res, void *arg)
{
	struct changes_call c = *(struct changes_call *) arg;
	changes_row         r;
	intake_changes_view v;
	char               *doc = NULL;

	free(arg);
	if (err == SN_OK)
		err = res != NULL ? sn_rows_one(
		          res, changes_cols, SN_NCOLS(changes_cols), &r)
		                  : SN_EDB;
	if (err == SN_OK && (doc = open_doc(r.json)) == NULL)
		err = SN_EPROTO;
	if (err == SN_OK) {
		r.json = doc;
		memset(&v, 0, sizeof(v));
		v.household.active         = r.active;
		v.household.township_code  = r.township_code;
		v.household.village_code   = r.village_code;
		v.household.application_id = r.application_id;
		v.json                     = r.json;
		v.more                     = r.more;
		v.last                     = r.last;
	}
	c.done(c.arg, err, err == SN_OK ? &v : NULL);
	free(doc);
}

void
intake_store_changes(sn_db *db, const char *id, const sn_page *page,
    intake_store_changes_fn done, void *arg)
{
	struct changes_call *c = malloc(sizeof(*c));
	char                 after[24], lim[24];
	const char          *v[3] = { id, after, lim };

	if (c == NULL) {
		done(arg, SN_ENOMEM, NULL);
		return;
	}
	c->done = done;
	c->arg  = arg;
	snprintf(after, sizeof(after), "%lld", (long long) page->after);
	snprintf(lim, sizeof(lim), "%lld", (long long) page->limit);
	/* limit + 1 rows read: the one beyond says there is more. */
	sn_db_query(db,
	    "SELECT h.status <> 'exited' AS active,"
	    " h.township_code, h.village_code, h.application_id,"
	    " p.json, p.more, p.last"
	    " FROM beneficiary_household h LEFT JOIN LATERAL (SELECT"
	    "  COALESCE(jsonb_agg(q.doc ORDER BY q.k)"
	    "   FILTER (WHERE q.rn <= $3::bigint), '[]')::text AS json,"
	    "  count(*) > $3::bigint AS more,"
	    "  COALESCE(max(q.k) FILTER (WHERE q.rn <= $3::bigint), 0)"
	    "   AS last FROM (SELECT x.list_seq AS k,"
	    "   row_number() OVER (ORDER BY x.list_seq) AS rn,"
	    "   jsonb_build_object("
	    "  'change_id', x.change_id, 'beneficiary_id', x.beneficiary_id,"
	    "  'application_id', x.application_id, 'kind', x.kind,"
	    "  'member_id_number', x.member_id_number_sealed,"
	    "  'effective_date', to_char(x.effective_date, 'YYYY-MM-DD'),"
	    "  'note', x.note, 'reported_by', x.reported_by,"
	    "  'reported_on', to_char(x.reported_on, 'YYYY-MM-DD'),"
	    "  'agency', x.agency, 'notice_id', x.notice_id,"
	    "  'created_at', x.created_at) || x.details AS doc"
	    "  FROM household_change x"
	    "  WHERE x.beneficiary_id = h.beneficiary_id"
	    "  AND x.list_seq > $2::bigint"
	    "  ORDER BY x.list_seq LIMIT $3::bigint + 1) q) p ON true"
	    " WHERE h.beneficiary_id = $1",
	    3, v, changes_read, c);
}

/* ---- sealing at start-up -------------------------------------------- */

const sn_sealdb_column intake_store_seal_columns[] = {
	{ .table      = "member",
	    .clear    = "id_number",
	    .sealed   = "id_number_sealed",
	    .index    = "id_number_index",
	    .ad       = INTAKE_AD_MEMBER,
	    .index_ad = INTAKE_IX_ID },
	/* looked up, never read back: the index alone */
	{ .table      = "claim",
	    .clear    = "id_number",
	    .index    = "id_number_index",
	    .ad       = "intake.claim.id_number",
	    .index_ad = INTAKE_IX_ID },
	{ .table      = "beneficiary_member",
	    .clear    = "id_number",
	    .index    = "id_number_index",
	    .ad       = "intake.beneficiary_member.id_number",
	    .index_ad = INTAKE_IX_ID },
	{ .table      = "application",
	    .clear    = "payee_account_number",
	    .sealed   = "payee_account_number_sealed",
	    .index    = "payee_account_number_index",
	    .ad       = INTAKE_AD_ACCOUNT,
	    .index_ad = INTAKE_IX_ACCOUNT },
	{ .table    = "household_change",
	    .clear  = "member_id_number",
	    .sealed = "member_id_number_sealed",
	    .ad     = INTAKE_AD_CHANGE },
	{ .table    = "agency_notice",
	    .clear  = "id_number",
	    .sealed = "id_number_sealed",
	    .ad     = INTAKE_AD_NOTICE },
};
const size_t intake_store_nseal_columns = SN_NCOLS(intake_store_seal_columns);

/* Documents whose persons and accounts are sealed inside: the history's
 * (an amendment's "before", a payee change's payees) and a reported
 * change's details. */
static const intake_sealed_key history_keys[] = {
	{ "id_number", INTAKE_AD_MEMBER },
	{ "account_number", INTAKE_AD_ACCOUNT },
};

const sn_sealdb_document intake_store_seal_documents[] = {
	{ .table    = "application_history",
	    .column = "details",
	    .keys   = history_keys,
	    .nkeys  = 2 },
	{ .table    = "household_change",
	    .column = "details",
	    .keys   = details_keys,
	    .nkeys  = 1 },
};
const size_t intake_store_nseal_documents
    = SN_NCOLS(intake_store_seal_documents);
