/*
 * intake/codec.h - the application between its three shapes: the JSON of
 * POST /applications, the intake_app the rules check (intake/rules.h),
 * and the ApplicationSubmitted protobuf that goes into the outbox; and
 * the withdrawal's body and event.
 *
 * Bodies are read with sn/input.h. Besides the checks of rules.h, the
 * refusals are (all 422, field in the request's terms):
 *   unknown_field       a member the API does not know, nested ones too
 *                       (typos in money fields would otherwise read as
 *                       zero)
 *   invalid_type        null where a string, number, boolean, object or
 *                       array is required (consent and requested_category
 *                       may be null: none)
 *   invalid_characters  control characters (C0, DEL, C1) in any string;
 *                       the withdrawal's reason may hold TAB, LF and CR
 *   invalid_field       a required member absent, or of another JSON type
 *   invalid_money       an amount absent, or not a JSON integer (1.5,
 *                       "100" and 1e3 are refused)
 *   invalid_value       an enum word the API does not know
 *   invalid_id_number   an identity number not of 18 characters
 *   members_required    no members, or more than INTAKE_MEMBERS_MAX
 *
 * No I/O, no clock, no logging; callable from any thread.
 */
#ifndef INTAKE_CODEC_H
#define INTAKE_CODEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/problem.h"

/*
 * Reads body (the request's JSON object) into app: shapes, JSON types,
 * characters, the enum words and unknown members. Strings in app are
 * borrowed from body, which must outlive app. "requested_category" may
 * be absent or null; "consent" absent or null leaves app->has_consent
 * false (the rules refuse it with consent_required). Returns true, or
 * false with p filled.
 */
bool intake_codec_decode(const json_t *body, intake_app *app, sn_problem *p);

/*
 * The body of POST /applications/{id}/withdraw, {"reason"}: *reason of
 * 1..INTAKE_REASON_MAX bytes, free text. Returns true, or false with p
 * filled (invalid_field when absent or empty, as above otherwise).
 */
bool intake_codec_withdrawal(
    const json_t *body, const char **reason, sn_problem *p);

/*
 * The body of POST /applications/{id}/resubmit, {"amendment"}: what the
 * clerk changed, 1..INTAKE_NOTE_MAX bytes of free text (TAB, LF, CR
 * allowed). Returns true, or false with p filled (invalid_field when
 * absent, empty or too long; unknown_field, invalid_type,
 * invalid_characters as above).
 */
bool intake_codec_resubmission(
    const json_t *body, const char **amendment, sn_problem *p);

/* What the event carries beyond the application itself. */
typedef struct intake_submitted_meta {
	const char *application_id;
	const char *accepted_date;  /* YYYY-MM-DD */
	const char *deadline_date;  /* YYYY-MM-DD */
	const char *taken_in_by;    /* the clerk's user id */
	const char *referral_id;    /* NULL or "" when none */
	int32_t     revision;       /* 1 the first time; 0 reads as 1 */
	const char *resubmitted_by; /* revision >= 2: the clerk; else NULL */
	const char *amendment;      /* revision >= 2: what changed; NULL */
} intake_submitted_meta;

/* Storage for an ApplicationSubmitted and the messages inside it. */
typedef struct intake_submitted_pb {
	Sn__Assist__V1__ApplicationSubmitted ev;
	Sn__Assist__V1__Household            household;
	Sn__Assist__V1__Income               income;
	Sn__Assist__V1__Expenditure          expenditure;
	Sn__Assist__V1__Consent              consent;
	Sn__Assist__V1__PayeeAccount         payee;
	Sn__Assist__V1__Member               members[INTAKE_MEMBERS_MAX];
	Sn__Assist__V1__Member              *member_ptrs[INTAKE_MEMBERS_MAX];
} intake_submitted_pb;

/*
 * app and meta as an ApplicationSubmitted built in pb; returns the
 * message (pb's), which points into pb, app and meta: all three must
 * outlive it (sn_bus_append_msg packs it at once).
 */
const ProtobufCMessage *intake_codec_submitted(const intake_app *app,
    const intake_submitted_meta *meta, intake_submitted_pb *pb);

/* An ApplicationWithdrawn in *ev, pointing at the strings given. */
const ProtobufCMessage *intake_codec_withdrawn(const char *application_id,
    const char *reason, const char *withdrawn_by,
    Sn__Assist__V1__ApplicationWithdrawn *ev);

/*
 * The body of POST /households/{id}/changes into c (intake_change,
 * rules.h): kind (required), member_id_number, income, expenditure,
 * household (as POST /applications'), members (likewise), effective_date
 * (required), note (free text; TAB, LF, CR allowed). The refusals above,
 * and missing_field for kind or effective_date absent or empty. What the
 * kind needs is checked by intake_rules_change. Strings borrowed from
 * body. Returns true, or false with p filled.
 */
bool intake_codec_change(const json_t *body, intake_change *c, sn_problem *p);

/* What household.change_reported carries beyond the change itself. */
typedef struct intake_change_meta {
	const char *change_id;
	const char *beneficiary_id;
	const char *application_id;
	const char
	    *reported_by; /* the clerk's user id, or "agency:<AGENCY>" */
	const char *reported_on; /* YYYY-MM-DD, the district's day */
	const char *agency;      /* an agency's notice: "PUBLIC_SECURITY" ...;
	                            NULL for a clerk's report */
	const char *notice_id;   /* the notice's id; NULL likewise */
} intake_change_meta;

/* Storage for a HouseholdChangeReported and the messages inside it. */
typedef struct intake_change_pb {
	Sn__Assist__V1__HouseholdChangeReported ev;
	intake_submitted_pb                     app;
} intake_change_pb;

/* c and meta as a HouseholdChangeReported in pb (pointing into all
 * three: they must outlive it); only the parts the kind carries. */
const ProtobufCMessage *intake_codec_change_reported(const intake_change *c,
    const intake_change_meta *meta, intake_change_pb *pb);

#endif /* INTAKE_CODEC_H */
