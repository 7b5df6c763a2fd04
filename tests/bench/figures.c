/*
 * sn-figures: the main job's closing figures (issue 12 item 6). After
 * the district's run (sn-district, sn-halfyear), deploy/local/run waits
 * until supervision has applied every event its publishers had written
 * and runs
 *
 *   sn-figures [--from YYYY-MM-DD] [--to YYYY-MM-DD]
 *
 * which asks supervision for GET /statistics/district as a supervisor and
 * prints the district's figures in the seed's form: households,
 * person-times and money by programme, the district's sentence ("救助N户、
 * M人次，发放X元") and the emergency figures ("临时救助K人次，Y元"). What
 * counts is supervision's definition (services/supervision/stats.h).
 *
 * Settings: SN_SUPERVISION_HTTP_URL, and SN_IDENTITY_HTTP_URL with the
 * administrator's login or SN_TOKEN_SIGNING_KEY(_FILE) (client.h), as
 * deploy/local/run exports them. Exits 1 when supervision does not
 * answer.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "sn/log.h"

#define PROG "sn-figures"

static const char *
str(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));
	return s != NULL ? s : "";
}

static long long
num(json_t *j, const char *key)
{
	return (long long) json_integer_value(json_object_get(j, key));
}

static void
line(const char *name, json_t *f, const char *note)
{
	printf("  %-19s %10lld %13lld %16s%s%s\n", name, num(f, "households"),
	    num(f, "person_times"), str(f, "amount_yuan"),
	    note[0] != '\0' ? "   " : "", note);
}

int
main(int argc, char **argv)
{
	const char *from = NULL, *to = NULL;
	char        path[128] = "/statistics/district";

	sn_log_init(PROG, SN_LOG_ERROR);
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--from") == 0)
			from = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--to") == 0)
			to = argv[++i];
		else {
			fprintf(stderr,
			    "usage: " PROG
			    " [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n");
			return 2;
		}
	}
	if (from != NULL || to != NULL)
		snprintf(path, sizeof(path), "/statistics/district?%s%s%s%s%s",
		    from ? "from=" : "", from ? from : "",
		    from && to ? "&" : "", to ? "to=" : "", to ? to : "");
	if (!client_open(PROG))
		return 2;
	int          port = client_port("SN_SUPERVISION_HTTP_URL");
	struct staff sup;
	client_issue(
	    &sup, "supervisor-1", "supervisor", CLIENT_DISTRICT, NULL);
	json_t *d  = NULL;
	int     st = client_call(port, "GET", path, &sup, NULL, &d);
	if (st != 200 || d == NULL) {
		fprintf(stderr, PROG ": GET %s answered %d\n", path, st);
		json_decref(d);
		client_close();
		return 1;
	}
	printf("\nthe district's figures (supervision, GET %s):\n", path);
	printf("  %-19s %10s %13s %16s\n", "programme", "households",
	    "person-times", "yuan");
	size_t  i;
	json_t *p;
	json_array_foreach(json_object_get(d, "programmes"), i, p)
	    line(str(p, "programme"), p, str(p, "note"));
	line("district", d, "(households counted once)");
	printf("\n  %s\n  %s\n", str(d, "sentence"),
	    str(json_object_get(d, "emergency"), "sentence"));
	json_decref(d);
	client_close();
	return 0;
}
