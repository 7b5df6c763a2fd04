/*
 * supervision - the cross-programme view (issue 12): it follows every
 * stream and keeps the event log, the audit hash chain, grievances, the
 * 12388 link, anomaly alerts, statistics, the household chain and the hub
 * feed; see supervision.h. Wiring only.
 *
 * Settings: those of sn/service.h (it publishes as "supervision" and
 * follows every publisher, itself included, so SN_<NAME>_PUB_URL and
 * SN_<NAME>_REPLAY_URL of each are required; SN_SEAL_KEYS and
 * SN_BLIND_KEY are required: identity and account numbers are sealed at
 * rest), and the table below.
 */
#include <stdlib.h>
#include <string.h>

#include "anomaly.h"
#include "audit.h"
#include "events.h"
#include "feed.h"
#include "feedpush.h"
#include "feedschema.h"
#include "grievances.h"
#include "households.h"
#include "sn/config.h"
#include "sn/log.h"
#include "stats.h"
#include "supervision.h"

static const sn_setting_doc settings[] = {
	{ "SN_SUPERVISION_PENDING_DAYS",
	    "days an event whose household is not known waits to be linked, "
	    "1-3650 (default 30)" },
	{ "SN_SUPERVISION_ANCHOR_CHECK_MS",
	    "how often the audit chain's daily anchor is checked for, ms, "
	    "50-86400000 (default 60000)" },
	{ "SN_SUPERVISION_GRIEVANCE_DAYS",
	    "days from a grievance's receipt to its deadline, 1-365 (default "
	    "15)" },
	{ "SN_SUPERVISION_GRIEVANCE_SCAN_MS",
	    "how often overdue grievances are counted, ms, 50-86400000 "
	    "(default 60000)" },
	{ "SN_INSPECTION_URL",
	    "the 12388 platform's base URL (https://...); unset: the link is "
	    "off" },
	{ "SN_INSPECTION_KEY",
	    "the key requests to the 12388 platform are signed with, 64 hex "
	    "(required with SN_INSPECTION_URL; give it as "
	    "SN_INSPECTION_KEY_FILE)" },
	{ "SN_INSPECTION_KEY_ID", "that key's id (default k1)" },
	{ "SN_SUPERVISION_LINK_POLL_MS",
	    "how often the 12388 link delivers and reads tips, ms, 20-3600000 "
	    "(default 1000)" },
	{ "SN_SUPERVISION_LINK_PAGE",
	    "queued deliveries read at once, their acknowledgements recorded "
	    "in one statement, 1-200 (default 50)" },
	{ "SN_SUPERVISION_LINK_RETRY_MAX_MS",
	    "longest wait before a failed delivery is retried, ms, "
	    "20-86400000 (default 60000; it doubles from the poll period)" },
	{ "SN_SUPERVISION_LINK_TIMEOUT_MS",
	    "one request to the 12388 platform, ms, 100-600000 (default "
	    "10000)" },
	{ "SN_SUPERVISION_FEED_KEY",
	    "the hub feed's master key of pseudonyms, 64 hex (required; give "
	    "it as SN_SUPERVISION_FEED_KEY_FILE)" },
	{ "SN_SUPERVISION_FEED_RETENTION_DAYS",
	    "days the feed serves an event after it was taken in, 1-36500 "
	    "(default 400)" },
	{ "SN_SUPERVISION_FEED_HORIZON_MS",
	    "how often the feed's retention horizon moves, ms, 100-86400000 "
	    "(default 3600000)" },
	{ "SN_SUPERVISION_FEED_PUSH_BATCH",
	    "events per webhook POST to a hub, 1-1000 (default 100)" },
	{ "SN_SUPERVISION_FEED_PUSH_TIMEOUT_MS",
	    "a webhook POST's time limit, ms, 100-120000 (default 10000)" },
	{ "SN_SUPERVISION_FEED_RETRY_MIN_MS",
	    "first wait before a failed webhook POST is retried, ms, "
	    "10-3600000 (default 1000; it doubles)" },
	{ "SN_SUPERVISION_FEED_RETRY_MAX_MS",
	    "longest wait between webhook retries, ms, 10-86400000 (default "
	    "300000)" },
	{ "SN_SUPERVISION_ANOMALY_SCAN_MS",
	    "how often anomaly checks waiting for a household link and "
	    "overdue referrals are looked at, ms, 50-86400000 (default "
	    "60000)" },
	{ "SN_SUPERVISION_ANOMALY_WAIT_DAYS",
	    "days an anomaly check waits for its household link before it "
	    "is dropped, 1-3650 (default 30)" },
	{ "SN_SUPERVISION_GRANT_LIMIT_FEN",
	    "emergency's per-grant limit (its SN_EMERGENCY_GRANT_LIMIT_FEN), "
	    "fen, 1-100000000 (default 300000)" },
	{ "SN_SUPERVISION_UNDER_LIMIT_PERCENT",
	    "a grant is just under the limit from this % of it, 1-100 "
	    "(default 90)" },
	{ "SN_SUPERVISION_UNDER_LIMIT_GRANTS",
	    "grants just under the limit, by one officer or to one person, "
	    "that raise an alert, 2-1000 (default 3)" },
	{ "SN_SUPERVISION_UNDER_LIMIT_DAYS",
	    "... within this many days, 1-3660 (default 90)" },
	{ "SN_SUPERVISION_FAST_DECISION_MINUTES",
	    "a township decision sooner than this after the case entered "
	    "village review raises an alert, 0 (off)-525600 (default 60)" },
	{ "SN_SUPERVISION_FAST_STEPS_MINUTES",
	    "village review to district filing sooner than this raises an "
	    "alert, 0 (off)-525600 (default 30)" },
	{ "SN_SUPERVISION_ODD_HOURS_FROM",
	    "a staff step of a case from this district hour on is at an odd "
	    "hour, 0-23 (default 22)" },
	{ "SN_SUPERVISION_ODD_HOURS_TO",
	    "... until this district hour, 0-23 (default 6; equal to FROM: "
	    "off)" },
	{ "SN_SUPERVISION_OUTLIER_SCAN_MS",
	    "how often townships' approval and override rates are compared, "
	    "ms, 50-86400000 (default 3600000)" },
	{ "SN_SUPERVISION_OUTLIER_DAYS",
	    "the decisions compared are those of the last this many days, "
	    "1-3660 (default 365)" },
	{ "SN_SUPERVISION_OUTLIER_MIN_CASES",
	    "cases a township and the rest of its district each need to be "
	    "compared, 1-1000000 (default 20)" },
	{ "SN_SUPERVISION_OUTLIER_Z_TENTHS",
	    "a township stands out from this many tenths of a standard error, "
	    "1-1000 (default 20)" },
	{ "SN_SUPERVISION_REFERRAL_DAYS",
	    "days an emergency referral may wait to be taken up (an "
	    "application from it, or services routing it; services' own "
	    "referral.overdue judges departments' answers), 1-366 (default "
	    "15)" },
	{ NULL, NULL },
};

static supervision sup;

/* Readers: supervisors and the discipline-inspection commission's
 * inspectors; nobody writes supervision's record but the service. */
#define READERS "supervisor,inspector"

static const sn_http_route_def routes[] = {
	{ "GET", "/households/{id}/chain", 0, READERS,
	    supervision_households_chain },
	{ "GET", "/audit", 0, READERS, supervision_audit_search },
	{ "GET", "/audit/verify", 0, READERS, supervision_audit_verify },
	{ "GET", "/statistics", 0, READERS, supervision_stats_get },
	{ "GET", "/statistics.csv", 0, READERS, supervision_stats_csv },
	{ "GET", "/statistics/district", 0, READERS,
	    supervision_stats_district },
	{ "POST", "/audit/anchor", SN_HTTP_IDEMPOTENT, "supervisor",
	    supervision_audit_anchor },
	{ "POST", "/grievances", SN_HTTP_IDEMPOTENT, "clerk,supervisor",
	    supervision_grievances_post },
	{ "GET", "/grievances", 0, READERS ",clerk",
	    supervision_grievances_list },
	{ "GET", "/grievances/{id}", 0, READERS ",clerk",
	    supervision_grievances_get },
	{ "POST", "/grievances/{id}/assign", SN_HTTP_IDEMPOTENT, "supervisor",
	    supervision_grievances_assign },
	{ "POST", "/grievances/{id}/resolve", SN_HTTP_IDEMPOTENT, "supervisor",
	    supervision_grievances_resolve },
	{ "POST", "/grievances/{id}/appeal", SN_HTTP_IDEMPOTENT,
	    "clerk,supervisor", supervision_grievances_appeal },
	{ "GET", "/feed", 0, "hub,supervisor", supervision_feed_get },
	{ "GET", "/hubs", 0, "district_admin,supervisor",
	    supervision_feedpush_list },
	{ "PUT", "/hubs/{name}", SN_HTTP_IDEMPOTENT, "district_admin",
	    supervision_feedpush_put },
	{ "GET", "/alerts", 0, READERS, supervision_anomaly_list },
	{ "GET", "/alerts/{id}", 0, READERS, supervision_anomaly_get },
	{ "POST", "/alerts/{id}/assignment", SN_HTTP_IDEMPOTENT, "supervisor",
	    supervision_anomaly_assign },
	{ "POST", "/alerts/{id}/closure", SN_HTTP_IDEMPOTENT, READERS,
	    supervision_anomaly_close },
	{ NULL, NULL, 0, NULL, NULL },
};

static sn_err
setup(sn_service *svc, void *arg)
{
	sn_err err;

	(void) arg;
	sup.svc     = svc;
	sup.db      = sn_service_db(svc);
	sup.bus     = sn_service_bus(svc);
	sup.http    = sn_service_http(svc);
	sup.metrics = sn_service_metrics(svc);
	sup.seal    = sn_seal_default();
	sn_service_set_route_arg(svc, &sup);
	if ((err = supervision_events_follow(&sup)) != SN_OK)
		return err;
	for (size_t i = 0; i < supervision_nmodules; i++)
		if (supervision_modules[i].setup != NULL
		    && (err = supervision_modules[i].setup(&sup)) != SN_OK) {
			sn_log(SN_LOG_ERROR, "supervision: a module failed",
			    "module", supervision_modules[i].name, NULL);
			return err;
		}
	return SN_OK;
}

static void
teardown(sn_service *svc, void *arg)
{
	(void) svc;
	(void) arg;
	for (size_t i = supervision_nmodules; i-- > 0;)
		if (supervision_modules[i].teardown != NULL)
			supervision_modules[i].teardown(&sup);
}

int
main(int argc, char **argv)
{
	static const sn_service_def def = { .openapi = sn_openapi_document,
		.name                                = "supervision",
		.publishes                           = true,
		.needs_auth                          = true,
		.needs_seal                          = true,
		.follows                             = supervision_publishers,
		/* Every stream's batch takes events_head's row (events.c):
		 * they take turns in the process instead of waiting on it. */
		.apply_serial = true,
		.setup        = setup,
		.teardown     = teardown,
		.routes       = routes,
		.nroutes      = sizeof(routes) / sizeof(routes[0]) - 1,
		.settings     = settings };

	/* The hub feed's JSON Schemas (feedschema.h), for docs/feed/. */
	if (argc == 3 && strcmp(argv[1], "--feed-schemas") == 0)
		return supervision_feedschema_write(argv[2]);
	return sn_service_main(argc, argv, &def);
}
