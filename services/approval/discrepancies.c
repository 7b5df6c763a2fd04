/*
 * discrepancies.c - a verification's discrepancies as JSON. See
 * discrepancies.h.
 */
#include "discrepancies.h"

#include <jansson.h>

char *
approval_discrepancies_json(const Sn__Assist__V1__VerificationCompleted *v)
{
	json_t *a = json_array();
	if (a == NULL)
		return NULL;
	for (size_t i = 0; i < v->n_discrepancies; i++) {
		const Sn__Assist__V1__Discrepancy *d = v->discrepancies[i];
		if (d == NULL)
			continue;
		json_t *o = json_pack("{s:s,s:I,s:I,s:s}", "field",
		    d->field != NULL ? d->field : "", "declared_fen",
		    (json_int_t) d->declared_fen, "reported_fen",
		    (json_int_t) d->reported_fen, "agency",
		    d->agency != NULL ? d->agency : "");
		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}
