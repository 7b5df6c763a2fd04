/*
 * fuzz_notices: the body of agency-sim's POST /notices (an agency's
 * notice of a death or a new job), read as the http module reads bodies,
 * decoded by agency_sim_notice_parse and checked by
 * agency_sim_rules_notice as the handler does. Every refusal is a 4xx
 * with a code; an accepted notice names a valid identity number, an
 * effective date not after today, and a kind and agency that go
 * together, with a wage exactly for a new job.
 */
#include <jansson.h>

#include "agency-sim/notices.h"
#include "agency-sim/rules.h"
#include "fuzz.h"
#include "sn/idnum.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = fuzz_body(data, size);
	if (body == NULL)
		return 0;
	agency_sim_notice_in   in;
	agency_sim_notice_what what = { 0, 0 };
	const char            *note = NULL;
	sn_problem             p;
	sn_date                today = { 2026, 12, 3 };
	memset(&in, 0, sizeof(in));
	memset(&p, 0, sizeof(p));
	if (agency_sim_notice_parse(body, &in, &note, &p)
	    && agency_sim_rules_notice(&in, today, &what, &p)) {
		FUZZ_CHECK(p.status == 0);
		FUZZ_CHECK(sn_idnum_valid(in.id_number));
		FUZZ_CHECK(sn_date_cmp(in.effective_date, today) <= 0);
		FUZZ_CHECK((what.kind == 1 && what.agency == 1 && !in.has_wage)
		    || (what.kind == 2 && what.agency == 2 && in.has_wage
		        && in.monthly_wage_fen > 0));
	} else {
		FUZZ_CHECK(
		    p.status >= 400 && p.status < 500 && p.code != NULL);
	}
	json_decref(body);
	return 0;
}
