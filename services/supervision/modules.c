/* Every module of supervision (supervision.h), in the order their
 * on_event hooks run for each event. */
#include "supervision.h"

const supervision_module supervision_modules[] = {
	{ "events", NULL, NULL, NULL },
};
const size_t supervision_nmodules
    = sizeof(supervision_modules) / sizeof(supervision_modules[0]);
