/*
 * emergency - the emergency fast-response fund ("救急难", issue 4):
 * township reserve funds, emergency grants, referrals. See handlers.h for
 * the API and the events.
 *
 * Settings: those of sn/service.h (it publishes as "emergency" and
 * follows "disbursement", "intake" and "approval"; SN_TOKEN_KEY is
 * required), and
 *   SN_EMERGENCY_GRANT_LIMIT_FEN    per-grant limit of every township's
 *                                   fund: grants above it wait for a
 *                                   district approver (default 300000 =
 *                                   3,000 yuan; 1..100000000)
 *   SN_EMERGENCY_UTC_OFFSET_MIN     the district's offset from UTC in
 *                                   minutes, for the months of the
 *                                   figures and the settlement year
 *                                   (default 480; -720..840)
 *   SN_EMERGENCY_METRICS_MS         how often the balance and status
 *                                   gauges are read from the database
 *                                   (default 5000; 100..600000)
 */
#include "handlers.h"
#include "rules.h"
#include "sn/config.h"

static emergency        em;
static emergency_config cfg;

static sn_err
setup(sn_service *svc, void *arg)
{
	(void) arg;
	return emergency_init(&em, svc, &cfg);
}

int
main(int argc, char **argv)
{
	static const char *const follows[]
	    = { "disbursement", "intake", "approval", NULL };
	static const sn_service_def def = { .name = "emergency",
		.publishes                        = true,
		.needs_auth                       = true,
		.follows                          = follows,
		.setup                            = setup };

	cfg.grant_limit_fen = sn_config_int("SN_EMERGENCY_GRANT_LIMIT_FEN",
	    EMERGENCY_GRANT_LIMIT_DEFAULT, 1, EMERGENCY_AMOUNT_MAX);
	cfg.utc_offset_min
	    = (int) sn_config_int("SN_EMERGENCY_UTC_OFFSET_MIN", 480, -720, 840);
	cfg.metrics_ms = (uint32_t) sn_config_int(
	    "SN_EMERGENCY_METRICS_MS", 5000, 100, 600000);
	return sn_service_main(argc, argv, &def);
}
