/*
 * fuzz_emergency: the body of emergency's POST /grants, decoded by
 * emergency_decode_grant (as the handler does) and classified by
 * emergency_rules_classify for an emergency officer of the district
 * against the default per-grant limit. Every refusal is a 4xx with a
 * code; an accepted grant names a valid identity number, asks 1 ..
 * EMERGENCY_AMOUNT_MAX fen (a transitional grant exactly its instalments
 * times its monthly amount, in 2 .. the most instalments), lists fewer
 * than EMERGENCY_HOUSEHOLD_MAX valid members, and is granted at once
 * exactly when it is within the limit.
 */
#include <jansson.h>

#include "emergency/handlers.h"
#include "emergency/rules.h"
#include "fuzz.h"
#include "sn/idnum.h"

#define LIMIT 300000
#define INSTALMENTS_MAX 6

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = fuzz_body(data, size);
	if (body == NULL)
		return 0;
	emergency_grant_body g;
	sn_problem           p;
	memset(&p, 0, sizeof(p));
	if (!emergency_decode_grant(body, INSTALMENTS_MAX, &g, &p)) {
		FUZZ_REFUSED(&p);
		json_decref(body);
		return 0;
	}
	sn_principal officer;
	memset(&officer, 0, sizeof(officer));
	snprintf(officer.user, sizeof(officer.user), "officer-e1");
	snprintf(officer.role, sizeof(officer.role), "emergency_officer");
	snprintf(officer.juris, sizeof(officer.juris), "220103");
	memset(&p, 0, sizeof(p));
	emergency_class cls
	    = emergency_rules_classify(&g.r, &officer, LIMIT, &p);
	if (cls == EMERGENCY_INVALID) {
		FUZZ_REFUSED(&p);
		json_decref(body);
		return 0;
	}
	FUZZ_CHECK(g.r.id_number != NULL && sn_idnum_valid(g.r.id_number));
	FUZZ_CHECK(
	    g.r.amount_fen >= 1 && g.r.amount_fen <= EMERGENCY_AMOUNT_MAX);
	FUZZ_CHECK(
	    (cls == EMERGENCY_AT_ONCE) == (g.r.amount_fen <= (sn_fen) LIMIT));
	FUZZ_CHECK(g.r.nhousehold < EMERGENCY_HOUSEHOLD_MAX);
	for (size_t i = 0; i < g.r.nhousehold; i++)
		FUZZ_CHECK(sn_idnum_valid(g.r.household[i])
		    && strcmp(g.r.household[i], g.r.id_number) != 0);
	if (g.kind == EMERGENCY_KIND_TRANSITIONAL)
		FUZZ_CHECK(g.instalments >= 2
		    && g.instalments <= INSTALMENTS_MAX && g.monthly >= 1
		    && g.monthly * g.instalments == g.r.amount_fen);
	json_decref(body);
	return 0;
}
