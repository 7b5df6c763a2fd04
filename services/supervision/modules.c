/* Every module of supervision (supervision.h), in the order their
 * on_event hooks run for each event. */
#include "anomaly.h"
#include "audit.h"
#include "feed.h"
#include "feedpush.h"
#include "grievances.h"
#include "households.h"
#include "link.h"
#include "stats.h"
#include "supervision.h"

const supervision_module supervision_modules[] = {
	{ "households", supervision_households_setup,
	    supervision_households_on_event, NULL },
	{ "audit", supervision_audit_setup, supervision_audit_on_event, NULL },
	{ "stats", NULL, supervision_stats_on_event, NULL },
	{ "grievances", supervision_grievances_setup, NULL, NULL },
	{ "link", supervision_link_setup, supervision_link_on_event,
	    supervision_link_teardown },
	{ "anomaly", supervision_anomaly_setup, supervision_anomaly_on_event,
	    NULL },
	{ "feed", supervision_feed_setup, supervision_feed_on_event,
	    supervision_feed_teardown },
	{ "feedpush", supervision_feedpush_setup, NULL,
	    supervision_feedpush_teardown },
};
const size_t supervision_nmodules
    = sizeof(supervision_modules) / sizeof(supervision_modules[0]);
