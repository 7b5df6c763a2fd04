#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
intake_store_id_array(const char *const *ids, size_t n)
{
	size_t cap = 3, len = 0;
	for (size_t i = 0; i < n; i++)
		cap += strlen(ids[i]) + 1;
	char *s = malloc(cap);
	if (s == NULL)
		return NULL;
	s[len++] = '{';
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(ids[i]);
		if (i > 0)
			s[len++] = ',';
		memcpy(s + len, ids[i], k);
		len += k;
	}
	s[len++] = '}';
	s[len]   = '\0';
	return s;
}

/* Who holds any person of $1 other than application $2 (NULL: anyone):
 * the first such person in the request's order. */
#define HOLDERS_OF(excluded)                                                   \
	"SELECT array_position($1::text[], x.id_number) AS pos,"               \
	"  x.application_id, x.kind, x.beneficiary_id FROM ("                  \
	" SELECT c.id_number, c.application_id::text AS application_id,"       \
	"  CASE WHEN h.status = 'open' THEN 'open' ELSE 'beneficiary' END"     \
	"  AS kind, '' AS beneficiary_id"                                      \
	"  FROM claim c JOIN application h ON h.id = c.application_id"         \
	"  WHERE c.id_number = ANY ($1::text[])"                               \
	"  AND c.application_id IS DISTINCT FROM " excluded                    \
	" UNION ALL"                                                           \
	" SELECT b.id_number, b.application_id, 'beneficiary',"                \
	"  b.beneficiary_id FROM beneficiary_member b"                         \
	"  WHERE b.id_number = ANY ($1::text[])"                               \
	") x ORDER BY 1, 2 LIMIT 1"

void
intake_store_holders(sn_db *db, const char *ids, const char *except,
    const char *principal, const char *key, sn_db_query_fn done, void *arg)
{
	const char *v[4] = { ids, principal, key, except };
	/* A key already used (committed) means a repeat of a request that
	 * may have claimed these very persons: let sn_http_tx replay its
	 * answer rather than refuse the repeat. */
	sn_db_query(db,
	    "SELECT * FROM (" HOLDERS_OF("$4::uuid") ") h"
	    " WHERE NOT EXISTS (SELECT 1 FROM http_idempotency"
	    "  WHERE principal = $2 AND key = $3)",
	    4, v, done, arg);
}

sn_err
intake_store_qoutcome(sn_tx *tx, const char *ids, const char *id,
    sn_query_fn cb, void *arg)
{
	const char *v[2] = { ids, id };
	return sn_tx_query(tx,
	    "SELECT a.id::text, to_char(a.accepted_date, 'YYYY-MM-DD'),"
	    " to_char(a.deadline_date, 'YYYY-MM-DD'), o.pos, o.application_id,"
	    " o.kind, o.beneficiary_id, a.referral_id"
	    " FROM application a LEFT JOIN LATERAL ("
	    HOLDERS_OF("a.id") ") o ON true WHERE a.id = $2::uuid",
	    2, v, cb, arg);
}

static const char SQL_INSERT_APP[] =
    "INSERT INTO application (id, accepted_date, deadline_date, taken_in_by,"
    " registration, district_code, township_code, village_code, address,"
    " has_able_supporter, wages_fen, business_fen, pensions_fen, other_fen,"
    " medical_fen, education_fen, housing_fen, employment_costs_fen,"
    " consent_reference, consent_signed_date, payee_bank_code,"
    " payee_account_number, payee_account_name, requested_category)"
    " VALUES ($1::uuid, $2::date, $3::date, $4, $5, $6, $7, $8, $9,"
    " $10::boolean, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20::date,"
    " $21, $22, $23, $24)";

static const char SQL_INSERT_MEMBER[] =
    "INSERT INTO member (application_id, position, id_number, name,"
    " relation, birth_date, labour_capacity, disability_grade, self_care)"
    " VALUES ($1::uuid, $2, $3, $4, $5, $6::date, $7, $8, $9)";

/* The 24 parameters of SQL_INSERT_APP and SQL_COMPLETE_APP; fen is the
 * caller's storage for the money as text. */
static void
app_params(const intake_app *a, const char *id, const char *accepted_date,
    const char *deadline_date, const char *taken_in_by, char fen[8][24],
    const char *v[24])
{
	const int64_t v8[8] = { a->wages_fen, a->business_fen, a->pensions_fen,
		a->other_fen, a->medical_fen, a->education_fen, a->housing_fen,
		a->employment_costs_fen };
	for (int i = 0; i < 8; i++)
		snprintf(fen[i], 24, "%lld", (long long) v8[i]);
	const char *p[24] = { id, accepted_date, deadline_date, taken_in_by,
		intake_rules_registration_name(a->registration),
		a->district_code, a->township_code, a->village_code, a->address,
		a->has_able_supporter ? "true" : "false", fen[0], fen[1],
		fen[2], fen[3], fen[4], fen[5], fen[6], fen[7],
		a->consent_reference, a->consent_signed_date, a->bank_code,
		a->account_number, a->account_name,
		intake_rules_category_name(a->requested_category) };
	memcpy(v, p, sizeof(p));
}

static sn_err
insert_members(sn_tx *tx, const intake_app *a, const char *id)
{
	sn_err err = SN_OK;
	for (size_t i = 0; i < a->nmembers && err == SN_OK; i++) {
		const intake_member *m = &a->members[i];
		char                 pos[24], grade[24];
		snprintf(pos, sizeof(pos), "%zu", i);
		snprintf(grade, sizeof(grade), "%lld",
		    (long long) m->disability_grade);
		const char *mv[9] = { id, pos, m->id_number, m->name,
			m->relation, m->birth_date,
			intake_rules_labour_name(m->labour_capacity), grade,
			intake_rules_self_care_name(m->self_care) };
		err = sn_tx_query(tx, SQL_INSERT_MEMBER, 9, mv, NULL, NULL);
	}
	return err;
}

sn_err
intake_store_qinsert(sn_tx *tx, const intake_app *a, const char *id,
    const char *accepted_date, const char *deadline_date,
    const char *taken_in_by)
{
	char        fen[8][24];
	const char *v[24];
	app_params(a, id, accepted_date, deadline_date, taken_in_by, fen, v);
	sn_err err = sn_tx_query(tx, SQL_INSERT_APP, 24, v, NULL, NULL);
	return err == SN_OK ? insert_members(tx, a, id) : err;
}

static const char SQL_COMPLETE_APP[] =
    "UPDATE application SET status = 'open', accepted_date = $2::date,"
    " deadline_date = $3::date, taken_in_by = $4, registration = $5,"
    " district_code = $6, township_code = $7, village_code = $8,"
    " address = $9, has_able_supporter = $10::boolean, wages_fen = $11,"
    " business_fen = $12, pensions_fen = $13, other_fen = $14,"
    " medical_fen = $15, education_fen = $16, housing_fen = $17,"
    " employment_costs_fen = $18, consent_reference = $19,"
    " consent_signed_date = $20::date, payee_bank_code = $21,"
    " payee_account_number = $22, payee_account_name = $23,"
    " requested_category = coalesce($24, requested_category)"
    " WHERE id = $1::uuid AND status = 'draft'";

sn_err
intake_store_qcomplete(sn_tx *tx, const intake_app *a, const char *id,
    const char *accepted_date, const char *deadline_date,
    const char *taken_in_by)
{
	char        fen[8][24];
	const char *v[24];
	app_params(a, id, accepted_date, deadline_date, taken_in_by, fen, v);
	/* The draft's members go first, while it is still a draft. */
	sn_err err = sn_tx_query(tx,
	    "DELETE FROM member WHERE application_id = $1::uuid AND EXISTS"
	    " (SELECT 1 FROM application WHERE id = $1::uuid"
	    "  AND status = 'draft')",
	    1, v, NULL, NULL);
	if (err == SN_OK)
		err = sn_tx_query(tx, SQL_COMPLETE_APP, 24, v, NULL, NULL);
	return err == SN_OK ? insert_members(tx, a, id) : err;
}

sn_err
intake_store_qdraft(sn_tx *tx, const intake_draft *d, const char *id)
{
	char size[16];
	if (d->household_size > 0)
		snprintf(size, sizeof(size), "%d", (int) d->household_size);
	const char *v[15] = { id, d->district_code, d->township_code,
		d->village_code, d->bank_code, d->account_number,
		d->account_name, intake_rules_category_name(d->category),
		d->referral_id, d->grant_id,
		d->household_size > 0 ? size : NULL, d->referral_note,
		d->created_by, d->note[0] != '\0' ? d->note : NULL, NULL };
	sn_err err = sn_tx_query(tx,
	    "INSERT INTO application (id, status, district_code,"
	    " township_code, village_code, payee_bank_code,"
	    " payee_account_number, payee_account_name, requested_category,"
	    " referral_id, referral_grant_id, referral_household_size,"
	    " referral_note, referral_created_by, note)"
	    " VALUES ($1::uuid, 'draft', $2, $3, $4, $5, $6, $7, $8, $9, $10,"
	    " $11::integer, $12, $13, $14)"
	    " ON CONFLICT (referral_id) DO NOTHING",
	    14, v, NULL, NULL);
	if (err != SN_OK)
		return err;
	const char *m[4] = { id, d->id_number, d->name, d->birth_date };
	/* Only if the draft above was opened (id is new each time). */
	return sn_tx_query(tx,
	    "INSERT INTO member (application_id, position, id_number, name,"
	    " relation, birth_date)"
	    " SELECT $1::uuid, 0, $2, $3, 'self', $4::date"
	    " WHERE EXISTS (SELECT 1 FROM application WHERE id = $1::uuid)",
	    4, m, NULL, NULL);
}

sn_err
intake_store_qclaim(sn_tx *tx, const char *ids, const char *id)
{
	const char *v[2] = { ids, id };
	/* In a fixed order, so that two submissions sharing several persons
	 * wait for each other instead of deadlocking. */
	return sn_tx_query(tx,
	    "INSERT INTO claim (id_number, application_id)"
	    " SELECT p, $2::uuid FROM unnest($1::text[]) AS p ORDER BY p"
	    " ON CONFLICT (id_number) DO NOTHING",
	    2, v, NULL, NULL);
}

sn_err
intake_store_qlock(sn_tx *tx, const char *id, sn_query_fn cb, void *arg)
{
	const char *v[1] = { id };
	return sn_tx_query(tx,
	    "SELECT a.status, a.village_code, a.referral_id,"
	    " (SELECT m.id_number FROM member m WHERE m.application_id = a.id"
	    "  AND m.position = 0), a.requested_category"
	    " FROM application a WHERE a.id = $1::uuid FOR UPDATE",
	    1, v, cb, arg);
}

sn_err
intake_store_qwithdraw(sn_tx *tx, const char *id, const char *reason,
    const char *by)
{
	const char *v[3] = { id, reason, by };
	sn_err      err  = sn_tx_query(tx,
	          "UPDATE application SET status = 'withdrawn',"
	          " withdrawn_reason = $2, withdrawn_by = $3, withdrawn_at = now()"
	          " WHERE id = $1::uuid AND status = 'open'",
	          3, v, NULL, NULL);
	if (err != SN_OK)
		return err;
	return sn_tx_query(tx, "DELETE FROM claim WHERE application_id = $1::uuid",
	    1, v, NULL, NULL);
}

sn_err
intake_store_qdecided(sn_tx *tx, const char *id, bool approved,
    const char *case_id, const char *by)
{
	const char *v[4] = { id, approved ? "decided_approved"
	                                  : "decided_rejected",
		case_id, by };
	sn_err      err  = sn_tx_query(tx,
	          "UPDATE application SET status = $2, decided_case_id = $3,"
	          " decided_by = $4, decided_at = now()"
	          " WHERE id = $1::uuid AND status = 'open'",
	          4, v, NULL, NULL);
	if (err != SN_OK || approved)
		return err;
	/* Only if the rejection took: a withdrawn application freed its
	 * members already, and an approved one keeps them. */
	return sn_tx_query(tx,
	    "DELETE FROM claim WHERE application_id = $1::uuid AND EXISTS"
	    " (SELECT 1 FROM application WHERE id = $1::uuid"
	    "  AND status = 'decided_rejected')",
	    1, v, NULL, NULL);
}

sn_err
intake_store_qbeneficiary(sn_tx *tx, const char *beneficiary_id,
    const char *application_id, const char *status, const char *ids)
{
	const char *v[4] = { beneficiary_id, application_id, status, ids };
	sn_err      err  = sn_tx_query(tx,
	          "DELETE FROM beneficiary_member WHERE beneficiary_id = $1", 1, v,
	          NULL, NULL);
	if (err == SN_OK && status != NULL && ids != NULL)
		err = sn_tx_query(tx,
		    "INSERT INTO beneficiary_member"
		    " (beneficiary_id, id_number, application_id, status)"
		    " SELECT $1, p, $2, $3 FROM unnest($4::text[]) AS p"
		    " ON CONFLICT DO NOTHING",
		    4, v, NULL, NULL);
	else if (err == SN_OK && status != NULL && application_id[0] != '\0')
		err = sn_tx_query(tx,
		    "INSERT INTO beneficiary_member"
		    " (beneficiary_id, id_number, application_id, status)"
		    " SELECT $1, m.id_number, $2, $3 FROM member m"
		    " WHERE m.application_id = $2::uuid ON CONFLICT DO NOTHING",
		    3, v, NULL, NULL);
	/* The register now holds them (or nobody does): the application's
	 * own claims end. */
	if (err == SN_OK && application_id[0] != '\0')
		err = sn_tx_query(tx,
		    "DELETE FROM claim WHERE application_id = $1::uuid", 1,
		    &v[1], NULL, NULL);
	return err;
}

/* One application a as the JSON of GET /applications/{id}. */
#define APP_JSON                                                               \
    "json_build_object("                                                       \
    " 'application_id', a.id,"                                                 \
    " 'status', a.status,"                                                     \
    " 'referral_id', a.referral_id,"                                           \
    " 'referral', CASE WHEN a.referral_id IS NOT NULL THEN json_build_object(" \
    "   'referral_id', a.referral_id, 'grant_id', a.referral_grant_id,"        \
    "   'household_size', a.referral_household_size,"                          \
    "   'note', a.referral_note, 'created_by', a.referral_created_by) END,"    \
    " 'note', a.note,"                                                         \
    " 'created_at', a.created_at,"                                             \
    " 'accepted_date', to_char(a.accepted_date, 'YYYY-MM-DD'),"                \
    " 'deadline_date', to_char(a.deadline_date, 'YYYY-MM-DD'),"                \
    " 'taken_in_by', a.taken_in_by,"                                           \
    " 'household', json_build_object('registration', a.registration,"          \
    "   'district_code', a.district_code, 'township_code', a.township_code,"   \
    "   'village_code', a.village_code, 'address', a.address,"                 \
    "   'has_able_supporter', a.has_able_supporter),"                          \
    " 'members', (SELECT json_agg(json_build_object("                          \
    "   'id_number', m.id_number, 'name', m.name, 'relation', m.relation,"     \
    "   'birth_date', to_char(m.birth_date, 'YYYY-MM-DD'),"                    \
    "   'labour_capacity', m.labour_capacity,"                                 \
    "   'disability_grade', m.disability_grade, 'self_care', m.self_care)"     \
    "   ORDER BY m.position) FROM member m WHERE m.application_id = a.id),"    \
    " 'declared_income', json_build_object('wages_fen', a.wages_fen,"          \
    "   'business_fen', a.business_fen, 'pensions_fen', a.pensions_fen,"       \
    "   'other_fen', a.other_fen),"                                            \
    " 'declared_expenditure', json_build_object("                              \
    "   'medical_fen', a.medical_fen, 'education_fen', a.education_fen,"       \
    "   'housing_fen', a.housing_fen,"                                         \
    "   'employment_costs_fen', a.employment_costs_fen),"                      \
    " 'consent', json_build_object('reference', a.consent_reference,"          \
    "   'signed_date', to_char(a.consent_signed_date, 'YYYY-MM-DD')),"         \
    " 'payee', json_build_object('bank_code', a.payee_bank_code,"              \
    "   'account_number', a.payee_account_number,"                             \
    "   'account_name', a.payee_account_name),"                                \
    " 'requested_category', a.requested_category,"                             \
    " 'withdrawal', CASE WHEN a.status = 'withdrawn' THEN json_build_object("  \
    "   'reason', a.withdrawn_reason, 'withdrawn_by', a.withdrawn_by,"         \
    "   'withdrawn_at', a.withdrawn_at) END,"                                  \
    " 'decision', CASE WHEN a.status LIKE 'decided_%' THEN json_build_object(" \
    "   'case_id', a.decided_case_id, 'decided_by', a.decided_by,"             \
    "   'decided_at', a.decided_at) END"                                       \
    ")"

static const char SQL_GET[] =
    "SELECT " APP_JSON
    "::text, a.village_code FROM application a WHERE a.id = $1::uuid";

void
intake_store_get(sn_db *db, const char *id, sn_db_query_fn done, void *arg)
{
	const char *v[1] = { id };
	sn_db_query(db, SQL_GET, 1, v, done, arg);
}

void
intake_store_drafts(sn_db *db, const char *township, const char *limit,
    sn_db_query_fn done, void *arg)
{
	const char *v[2] = { township, limit };
	sn_db_query(db,
	    "SELECT " APP_JSON "::text FROM application a"
	    " WHERE a.status = 'draft' AND a.township_code = $1"
	    " ORDER BY a.created_at, a.id LIMIT $2::integer + 1",
	    2, v, done, arg);
}
