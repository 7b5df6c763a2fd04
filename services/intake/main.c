/*
 * intake: takes in applications at the township service hall (issue 3).
 * Wiring only; see handlers.h for what it does.
 *
 * Settings of its own (besides sn/service.h's):
 *   SN_CASE_DEADLINE_DAYS      days from acceptance to the confirmation
 *                              deadline, 1-365 (default 15)
 * It publishes as "intake" (SN_INTAKE_PUB_URL, SN_INTAKE_REPLAY_URL) and
 * follows "approval" (SN_APPROVAL_PUB_URL, SN_APPROVAL_REPLAY_URL) and
 * "emergency" (SN_EMERGENCY_PUB_URL, SN_EMERGENCY_REPLAY_URL: its
 * referral.created opens draft applications); all six are required, as
 * is SN_TOKEN_KEY.
 */
#include "handlers.h"

int
main(int argc, char **argv)
{
	static const char *const follows[] = { "approval", "emergency",
		NULL };
	static intake_handlers   h;

	const sn_service_def def = { .name = "intake", .publishes = true,
		.needs_auth = true, .follows = follows,
		.setup = intake_handlers_setup, .arg = &h };
	return sn_service_main(argc, argv, &def);
}
