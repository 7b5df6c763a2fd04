/* Every module of supervision (supervision.h), in the order their
 * on_event hooks run for each event. */
#include "audit.h"
#include "households.h"
#include "supervision.h"

const supervision_module supervision_modules[] = {
	{ "households", NULL, supervision_households_on_event, NULL },
	{ "audit", supervision_audit_setup, supervision_audit_on_event, NULL },
};
const size_t supervision_nmodules
    = sizeof(supervision_modules) / sizeof(supervision_modules[0]);
