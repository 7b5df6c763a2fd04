/*
 * fuzz_agency: the agency protocol (proto/sn/agency/v1/agency.proto) at
 * both ends. The first input byte picks what the rest is:
 *   0  an AgencyRequest as agency-sim's REP socket receives it: decoded,
 *      judged by agency_sim_rules_answer as each of the eight agencies;
 *      every request an agency answers OK is answered with the derived
 *      records, and that reply must decode at verification
 *      (verification_agencies_decode) into valid persons: the round trip
 *      between the simulator and its client;
 *   1  an AgencyReply as verification's REQ client receives it, decoded
 *      for the ids its records name and its agency;
 *   2  an AgencyNotice as intake follows it (agency.notice):
 *      intake_rules_notice.
 * Every message that decodes must also survive pb.h's round trip.
 */
#include "agency-sim/records.h"
#include "agency-sim/rules.h"
#include "intake/rules.h"
#include "pb.h"
#include "sn/agency/v1/agency.pb-c.h"
#include "sn/idnum.h"
#include "verification/agencies.h"

static void
person(const char *id, Sn__Agency__V1__PersonRecord *p)
{
	agency_sim_record r;
	agency_sim_record_derive(id, &r);
	sn__agency__v1__person_record__init(p);
	p->id_number                  = (char *) id;
	p->registered                 = r.registered;
	p->alive                      = r.alive;
	p->wages_fen                  = r.wages_fen;
	p->pension_fen                = r.pension_fen;
	p->unemployment_benefit_fen   = r.unemployment_fen;
	p->social_insurance           = r.social_insurance;
	p->homes                      = r.homes;
	p->vehicles                   = r.vehicles;
	p->exempt_vehicles            = r.exempt_vehicles;
	p->businesses                 = r.businesses;
	p->business_capital_fen       = r.business_capital_fen;
	p->taxed_income_fen           = r.taxed_income_fen;
	p->deposits_fen               = r.deposits_fen;
	p->financial_assets_fen       = r.financial_assets_fen;
	p->provident_fund_balance_fen = r.pf_balance_fen;
	p->provident_fund_monthly_fen = r.pf_monthly_fen;
}

/* The OK reply of agency index to rq, decoded as verification does. */
static void
answered(const Sn__Agency__V1__AgencyRequest *rq, int index)
{
	size_t n = rq->n_id_numbers;
	if (n == 0 || n > VERIFICATION_MAX_MEMBERS)
		return; /* verification never asks so */
	Sn__Agency__V1__PersonRecord  recs[VERIFICATION_MAX_MEMBERS];
	Sn__Agency__V1__PersonRecord *ptrs[VERIFICATION_MAX_MEMBERS];
	for (size_t i = 0; i < n; i++) {
		person(rq->id_numbers[i], &recs[i]);
		ptrs[i] = &recs[i];
	}
	Sn__Agency__V1__AgencyReply rp = SN__AGENCY__V1__AGENCY_REPLY__INIT;
	rp.request_id                  = rq->request_id;
	rp.agency                      = (Sn__Agency__V1__Agency) (index + 1);
	rp.status      = SN__AGENCY__V1__REPLY_STATUS__REPLY_OK;
	rp.answered_at = (char *) "2026-12-03T08:00:00Z";
	rp.n_records   = n;
	rp.records     = ptrs;
	size_t              len;
	uint8_t            *buf = fuzz_pb_pack(&rp.base, &len);
	verification_person persons[VERIFICATION_MAX_MEMBERS];
	memset(persons, 0, sizeof(persons));
	FUZZ_CHECK(
	    verification_agencies_decode(index,
	        (const char *const *) rq->id_numbers, n, buf, len, persons)
	    == SN_OK);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(verification_rules_person_valid(&persons[i]));
	free(buf);
}

static void
request(const uint8_t *body, size_t len)
{
	Sn__Agency__V1__AgencyRequest *rq
	    = (Sn__Agency__V1__AgencyRequest *) fuzz_pb_unpack(
	        &sn__agency__v1__agency_request__descriptor, body, len);
	agency_sim_ask ask = { .decoded = rq != NULL,
		.n_ids                  = rq != NULL ? rq->n_id_numbers : 0,
		.consent = rq != NULL ? rq->consent_reference : "",
		.agency  = rq != NULL ? (int) rq->agency : 0 };
	for (int i = 0; i < AGENCY_SIM_NAGENCIES; i++) {
		agency_sim_answer a
		    = agency_sim_rules_answer(&ask, i, false, false);
		FUZZ_CHECK(a.error != NULL);
		if (rq == NULL) {
			FUZZ_CHECK(a.outcome == AGENCY_SIM_OUT_MALFORMED);
			continue;
		}
		if (a.outcome == AGENCY_SIM_OUT_OK) {
			FUZZ_CHECK((int) rq->agency == i + 1);
			FUZZ_CHECK(rq->consent_reference[0] != '\0');
			answered(rq, i);
		}
	}
	if (rq != NULL)
		sn__agency__v1__agency_request__free_unpacked(rq, NULL);
}

static void
reply(const uint8_t *body, size_t len)
{
	Sn__Agency__V1__AgencyReply *r
	    = (Sn__Agency__V1__AgencyReply *) fuzz_pb_unpack(
	        &sn__agency__v1__agency_reply__descriptor, body, len);
	if (r == NULL)
		return;
	size_t      n = r->n_records;
	const char *ids[VERIFICATION_MAX_MEMBERS];
	if (n > 0 && n <= VERIFICATION_MAX_MEMBERS) {
		for (size_t i = 0; i < n; i++)
			ids[i] = r->records[i]->id_number;
		verification_person persons[VERIFICATION_MAX_MEMBERS];
		memset(persons, 0, sizeof(persons));
		int agency = (int) r->agency - 1;
		if (verification_agencies_decode(
		        agency, ids, n, body, len, persons)
		    == SN_OK) {
			FUZZ_CHECK(r->status
			    == SN__AGENCY__V1__REPLY_STATUS__REPLY_OK);
			for (size_t i = 0; i < n; i++)
				FUZZ_CHECK(verification_rules_person_valid(
				    &persons[i]));
		}
	}
	sn__agency__v1__agency_reply__free_unpacked(r, NULL);
}

static void
notice(const uint8_t *body, size_t len)
{
	Sn__Agency__V1__AgencyNotice *n
	    = (Sn__Agency__V1__AgencyNotice *) fuzz_pb_unpack(
	        &sn__agency__v1__agency_notice__descriptor, body, len);
	if (n == NULL)
		return;
	intake_change c;
	const char   *agency = NULL, *why = NULL;
	memset(&c, 0, sizeof(c));
	if (intake_rules_notice(n, &c, &agency, &why)) {
		FUZZ_CHECK(agency != NULL);
		FUZZ_CHECK(sn_idnum_valid(n->id_number));
	} else {
		FUZZ_CHECK(why != NULL && why[0] != '\0');
	}
	sn__agency__v1__agency_notice__free_unpacked(n, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		request(data + 1, size - 1);
		break;
	case 1:
		reply(data + 1, size - 1);
		break;
	default:
		notice(data + 1, size - 1);
		break;
	}
	return 0;
}
