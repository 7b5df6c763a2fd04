/*
 * fuzz_fixture: agency-sim's fixture reader (agency_sim_fixture_parse),
 * which splits the top-level object into its records itself and lets
 * jansson parse each alone. Its verdict must be jansson's on the whole
 * text: the whole object parsed by json_loads (duplicates refused), and
 * each record, written out alone by json_dumps, accepted by the reader;
 * if so, every identity number is found with the record it was given.
 */
#include <jansson.h>

#include "agency-sim/records.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	agency_sim_fixture *f = NULL;
	char                err[256];
	sn_err got = agency_sim_fixture_parse(text, &f, err, sizeof(err));

	json_error_t je;
	json_t      *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	bool         want = root != NULL && json_is_object(root);
	const char  *id;
	json_t      *rec;
	if (want)
		json_object_foreach(root, id, rec)
		{
			json_t *one = json_pack("{sO}", id, rec);
			char   *s   = one != NULL ? json_dumps(one, 0) : NULL;
			agency_sim_fixture *g = NULL;
			want                  = s != NULL
			    && agency_sim_fixture_parse(
			           s, &g, err, sizeof(err))
			        == SN_OK
			    && agency_sim_fixture_count(g) == 1;
			/* The record read from the whole text is the one
			 * read alone. */
			if (want && got == SN_OK) {
				const agency_sim_record *a
				    = agency_sim_fixture_find(f, id);
				FUZZ_CHECK(a != NULL);
				FUZZ_CHECK(agency_sim_record_equal(
				    a, agency_sim_fixture_find(g, id)));
			}
			agency_sim_fixture_free(g);
			free(s);
			json_decref(one);
			if (!want)
				break;
		}
	FUZZ_CHECK((got == SN_OK) == want);
	if (got == SN_OK)
		FUZZ_CHECK(
		    agency_sim_fixture_count(f) == json_object_size(root));
	json_decref(root);
	agency_sim_fixture_free(f);
	free(text);
	return 0;
}
