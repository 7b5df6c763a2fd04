/*
 * fuzz_investigation: the body of investigation's POST /tasks/{id}/report
 * (a home visit's report), read as the http module reads bodies and
 * decoded by investigation_decode_report, then checked by
 * investigation_rules_check_report against a task whose members are the
 * ones the report names. Every refusal is a 4xx with a code; an accepted
 * report has exactly two investigators, none of them a member, and a
 * visit date that is a real day within the task's window.
 */
#include <jansson.h>

#include "fuzz.h"
#include "investigation/handlers.h"
#include "investigation/rules.h"
#include "sn/date.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = fuzz_body(data, size);
	if (body == NULL)
		return 0;
	static investigation_report r;
	sn_problem                  p;
	memset(&p, 0, sizeof(p));
	if (!investigation_decode_report(body, &r, &p)) {
		FUZZ_REFUSED(&p);
		json_decref(body);
		return 0;
	}
	investigation_report_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	for (size_t i = 0; i < r.nmembers; i++)
		ctx.member_ids[ctx.nmembers++] = r.members[i].id_number;
	ctx.applicant_id     = r.nmembers > 0 ? r.members[0].id_number : "";
	ctx.not_before       = (sn_date) { 2026, 11, 1 };
	ctx.today            = (sn_date) { 2026, 12, 3 };
	ctx.caller_user      = "inv1";
	ctx.caller_id_number = "";
	if (!investigation_rules_check_report(&r, &ctx, &p)) {
		FUZZ_REFUSED(&p);
		json_decref(body);
		return 0;
	}
	FUZZ_CHECK(r.ninvestigators == 2);
	sn_date visit;
	FUZZ_CHECK(sn_date_parse(r.visit_date, &visit) == SN_OK);
	FUZZ_CHECK(sn_date_cmp(visit, ctx.today) <= 0
	    && sn_date_cmp(visit, ctx.not_before) >= 0);
	for (size_t i = 0; i < r.ninvestigators; i++)
		for (size_t k = 0; k < r.nmembers; k++)
			FUZZ_CHECK(strcmp(r.investigators[i].id_number,
			               r.members[k].id_number)
			    != 0);
	json_decref(body);
	return 0;
}
