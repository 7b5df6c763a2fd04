/*
 * intake: takes in applications at the township service hall (issue 3).
 * Wiring only; see handlers.h for what it does.
 *
 * Settings: the table below (besides sn/service.h's; `intake --help`
 * prints them all); a bad one exits 2. It publishes as "intake"
 * (SN_INTAKE_PUB_URL, SN_INTAKE_REPLAY_URL) and follows "approval"
 * (SN_APPROVAL_PUB_URL, SN_APPROVAL_REPLAY_URL) and "emergency"
 * (SN_EMERGENCY_PUB_URL, SN_EMERGENCY_REPLAY_URL: its referral.created
 * opens draft applications) and "agency-sim" (SN_AGENCY_SIM_PUB_URL,
 * SN_AGENCY_SIM_REPLAY_URL: the agencies' notices, notices.h) and
 * "disbursement" (SN_DISBURSEMENT_PUB_URL, SN_DISBURSEMENT_REPLAY_URL:
 * payee.changed, issue 10); all ten are required, as is SN_TOKEN_PUBLIC_KEY.
 * Dates (acceptance, deadline) are the district's (sn/clock.h,
 * SN_DISTRICT_UTC_OFFSET_MIN).
 */
#include "changes.h"
#include "handlers.h"
#include "notices.h"
#include "store.h"

static const sn_http_route_def routes[] = {
	{ "POST", "/applications", SN_HTTP_IDEMPOTENT, "clerk",
	    intake_handlers_submit },
	{ "GET", "/applications", 0, INTAKE_LIST_ROLES, intake_handlers_list },
	{ "POST", "/applications/{id}/submit", SN_HTTP_IDEMPOTENT, "clerk",
	    intake_handlers_submit_draft },
	{ "POST", "/applications/{id}/withdraw", SN_HTTP_IDEMPOTENT, "clerk",
	    intake_handlers_withdraw },
	{ "GET", "/applications/{id}", 0, INTAKE_STAFF_ROLES,
	    intake_handlers_get },
	{ "PUT", "/applications/{id}", SN_HTTP_IDEMPOTENT, "clerk",
	    intake_handlers_amend },
	{ "POST", "/applications/{id}/resubmit", SN_HTTP_IDEMPOTENT, "clerk",
	    intake_handlers_resubmit },
	{ "POST", "/households/{id}/changes", SN_HTTP_IDEMPOTENT, "clerk",
	    intake_changes_report },
	{ "GET", "/households/{id}/changes", 0, INTAKE_STAFF_ROLES,
	    intake_changes_list },
};

static const sn_setting_doc settings[] = {
	{ "SN_CASE_DEADLINE_DAYS",
	    "days from acceptance to the confirmation "
	    "deadline, 1-365 (default 15)" },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	static const char *const follows[]
	    = { "approval", "emergency", "agency-sim", "disbursement", NULL };
	static intake_handlers h;

	const sn_service_def def    = { .openapi = sn_openapi_document,
		   .name                         = "intake",
		   .publishes                    = true,
		   .needs_auth                   = true,
		   .needs_seal                   = true,
		   .follows                      = follows,
		   .setup                        = intake_handlers_setup,
		   .arg                          = &h,
		   .routes                       = routes,
		   .nroutes         = sizeof(routes) / sizeof(routes[0]),
		   .settings        = settings,
		   .seal_columns    = intake_store_seal_columns,
		   .nseal_columns   = intake_store_nseal_columns,
		   .seal_documents  = intake_store_seal_documents,
		   .nseal_documents = intake_store_nseal_documents };
	int                  status = sn_service_main(argc, argv, &def);
	intake_notices_free(h.notices); /* the loop is gone */
	return status;
}
