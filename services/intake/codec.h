/*
 * intake/codec.h - the application between its three shapes: the JSON of
 * POST /applications, the intake_app the rules check (intake/rules.h),
 * and the ApplicationSubmitted protobuf that goes into the outbox.
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
#include "sn/err.h"

/*
 * Reads body (the request's JSON object) into app: shapes, JSON types,
 * the enum words and unknown keys. Strings in app are borrowed from body,
 * which must outlive app. Money must be JSON integers (1.5, "100" and 1e3
 * are refused as invalid_money). "requested_category" may be absent or
 * null; "consent" absent or null leaves app->has_consent false (the rules
 * refuse it with consent_required). Returns true, or false with pb filled
 * (a 422 naming the field).
 */
bool intake_codec_decode(const json_t *body, intake_app *app,
    intake_problem *pb);

/* What the event carries beyond the application itself. */
typedef struct intake_submitted_meta {
	const char *application_id;
	const char *accepted_date; /* YYYY-MM-DD */
	const char *deadline_date; /* YYYY-MM-DD */
	const char *taken_in_by;   /* the clerk's user id */
	const char *referral_id;   /* NULL or "" when none */
} intake_submitted_meta;

/*
 * app and meta as a serialized ApplicationSubmitted. On SN_OK *out is
 * malloc'd (the caller frees it) and *len its size; SN_ENOMEM otherwise.
 */
sn_err intake_codec_submitted(const intake_app *app,
    const intake_submitted_meta *meta, uint8_t **out, size_t *len);

/* A serialized ApplicationWithdrawn; ownership as above. */
sn_err intake_codec_withdrawn(const char *application_id, const char *reason,
    const char *withdrawn_by, uint8_t **out, size_t *len);

#endif /* INTAKE_CODEC_H */
