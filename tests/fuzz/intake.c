/*
 * fuzz_intake: intake's request bodies (services/intake/codec.h), read as
 * the http module reads them (json_loadb, duplicates refused) and decoded
 * by the codec the handlers call. The first input byte picks the body:
 *   0  POST /applications: decoded, checked by intake_rules_validate and
 *      intake_rules_payee, and made into the application.submitted event;
 *   1  POST /applications/{id}/withdraw;
 *   2  POST /applications/{id}/resubmit;
 *   3  POST /households/{id}/changes: decoded, checked by
 *      intake_rules_change, made into household.change_reported.
 * Round trips: an event built from an accepted body packs, unpacks and
 * carries the body's members, figures and texts; every refusal names a
 * 4xx problem with a code; a withdrawal's reason is the body's.
 */
#include <jansson.h>

#include "intake/codec.h"
#include "intake/rules.h"
#include "pb.h"
#include "sn/auth.h"

static const sn_principal CLERK = { "clerk1", "clerk", "220103", "" };

static sn_date
today(void)
{
	return (sn_date) { 2026, 12, 3 };
}

static void
same_members(const intake_app *app, Sn__Assist__V1__Member *const *m, size_t n)
{
	FUZZ_CHECK(n == app->nmembers);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(
		    strcmp(m[i]->id_number, app->members[i].id_number) == 0);
		FUZZ_CHECK(strcmp(m[i]->name, app->members[i].name) == 0);
		FUZZ_CHECK(m[i]->disability_grade
		    == app->members[i].disability_grade);
	}
}

static void
application(const json_t *body)
{
	static intake_app app;
	sn_problem        p;
	memset(&app, 0, sizeof(app));
	memset(&p, 0, sizeof(p));
	if (!intake_codec_decode(body, &app, &p)) {
		FUZZ_REFUSED(&p);
		return;
	}
	if (!intake_rules_validate(&app, today(), &CLERK, &p)) {
		FUZZ_REFUSED(&p);
		return;
	}
	if (!intake_rules_payee(&app, &p)) {
		FUZZ_REFUSED(&p);
		return;
	}
	intake_submitted_meta      meta = { .application_id = "A-1",
		     .accepted_date                         = "2026-12-03",
		     .deadline_date                         = "2027-01-02",
		     .taken_in_by                           = CLERK.user,
		     .revision                              = 1 };
	static intake_submitted_pb pb;
	size_t                     len;
	uint8_t                   *buf
	    = fuzz_pb_pack(intake_codec_submitted(&app, &meta, &pb), &len);
	Sn__Assist__V1__ApplicationSubmitted *ev
	    = sn__assist__v1__application_submitted__unpack(NULL, len, buf);
	FUZZ_CHECK(ev != NULL);
	same_members(&app, ev->members, ev->n_members);
	FUZZ_CHECK(ev->declared_income != NULL
	    && ev->declared_income->wages_fen == app.wages_fen
	    && ev->declared_income->support_fen == app.support_fen);
	FUZZ_CHECK(ev->household != NULL
	    && strcmp(ev->household->village_code, app.village_code) == 0);
	sn__assist__v1__application_submitted__free_unpacked(ev, NULL);
	free(buf);
}

static void
withdrawal(const json_t *body)
{
	const char *reason = NULL;
	sn_problem  p;
	memset(&p, 0, sizeof(p));
	if (!intake_codec_withdrawal(body, &reason, &p)) {
		FUZZ_REFUSED(&p);
		return;
	}
	FUZZ_CHECK(reason != NULL && reason[0] != '\0');
	FUZZ_CHECK(
	    strcmp(reason, json_string_value(json_object_get(body, "reason")))
	    == 0);
	Sn__Assist__V1__ApplicationWithdrawn ev;
	size_t                               len;
	uint8_t                             *buf = fuzz_pb_pack(
	                                intake_codec_withdrawn("A-1", reason, CLERK.user, &ev), &len);
	Sn__Assist__V1__ApplicationWithdrawn *back
	    = sn__assist__v1__application_withdrawn__unpack(NULL, len, buf);
	FUZZ_CHECK(back != NULL && strcmp(back->reason, reason) == 0);
	sn__assist__v1__application_withdrawn__free_unpacked(back, NULL);
	free(buf);
}

static void
resubmission(const json_t *body)
{
	const char *amendment = NULL;
	sn_problem  p;
	memset(&p, 0, sizeof(p));
	if (!intake_codec_resubmission(body, &amendment, &p)) {
		FUZZ_REFUSED(&p);
		return;
	}
	FUZZ_CHECK(amendment != NULL && amendment[0] != '\0');
}

static void
change(const json_t *body)
{
	static intake_change c;
	sn_problem           p;
	memset(&c, 0, sizeof(c));
	memset(&p, 0, sizeof(p));
	if (!intake_codec_change(body, &c, &p)) {
		FUZZ_REFUSED(&p);
		return;
	}
	if (!intake_rules_change(&c, today(), &CLERK, &p)) {
		FUZZ_REFUSED(&p);
		return;
	}
	intake_change_meta      meta = { .change_id = "C-1",
		     .beneficiary_id                = "B-1",
		     .application_id                = "A-1",
		     .reported_by                   = CLERK.user,
		     .reported_on                   = "2026-12-03" };
	static intake_change_pb pb;
	size_t                  len;
	uint8_t                *buf
	    = fuzz_pb_pack(intake_codec_change_reported(&c, &meta, &pb), &len);
	Sn__Assist__V1__HouseholdChangeReported *ev
	    = sn__assist__v1__household_change_reported__unpack(
	        NULL, len, buf);
	FUZZ_CHECK(ev != NULL);
	FUZZ_CHECK(strcmp(ev->effective_date, c.effective_date) == 0);
	if (c.has_members)
		same_members(&c.app, ev->members, ev->n_members);
	sn__assist__v1__household_change_reported__free_unpacked(ev, NULL);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	json_t *body = fuzz_body(data + 1, size - 1);
	if (body == NULL)
		return 0;
	switch (data[0] % 4) {
	case 0:
		application(body);
		break;
	case 1:
		withdrawal(body);
		break;
	case 2:
		resubmission(body);
		break;
	default:
		change(body);
		break;
	}
	json_decref(body);
	return 0;
}
