/*
 * e2e_supervision anomaly (issue 12 item 5), with the real intake,
 * verification, investigation, approval and supervision over a real
 * PostgreSQL and real NNG sockets:
 *
 *   A household of two is taken in, checked and visited. A township
 *   officer whose token carries the wife's identity number tries the
 *   township's confirmation: approval refuses it (403 household_member,
 *   segregation of duties), and its staff.acted record reaches
 *   supervision, which raises relative_conflict on the case as an
 *   attempt (medium), the refusal its evidence. The three steps then go
 *   through within seconds of each other: fast_or_odd_hours raises
 *   fast_decision and fast_steps for the case. An inspector closes the
 *   relative_conflict alert; without a note it is refused.
 */
#include "supervision_anomaly.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"

#define DISTRICT E2E_DISTRICT
#define TOWNSHIP E2E_TOWNSHIP
#define VILLAGE E2E_VILLAGE

static char HUSBAND[19], WIFE[19];

static void
start(void)
{
	static const char *const order[] = { "intake", "verification",
		"investigation", "approval", "supervision" };
	e2e_setup();
	const int ports[]
	    = { P_INTAKE, P_VERIF, P_INVEST, P_APPROVAL, P_SUPER };
	e2e_idnum(HUSBAND, "22010319700304131");
	e2e_idnum(WIFE, "22010319720506142");
	json_t *fx = json_pack("{s:{}, s:{}}", HUSBAND, WIFE);
	e2e_fixture_write(fx);
	json_decref(fx);
	e2e_start_agency_sim(NULL);
	e2e_start_services(
	    order, ports, sizeof(order) / sizeof(order[0]), NULL);
}

static char *
take_in(char accepted[16])
{
	const e2e_member m[] = {
		{ HUSBAND, "Li Si", "self", "1970-03-04", "none", 2 },
		{ WIFE, "Sun Mei", "spouse", "1972-05-06", "none", 0 },
	};
	const e2e_household h = { .address = "No. 12, the first village",
		.members                   = m,
		.n                         = 2,
		.consent                   = "CONSENT-ANOM-1",
		.account                   = "6217000000000000412",
		.account_name              = "Li Si" };
	return e2e_take_in("clerk-a", &h, accepted);
}

/* The one alert of rule for subject with period, once supervision has
 * raised it (GET /alerts, as an inspector). */
static json_t *
wait_alert(const char *rule, const char *subject, const char *period)
{
	char    *insp = e2e_token("insp-a", "inspector", DISTRICT, NULL);
	char     path[96];
	uint64_t end = th_now_ms() + E2E_WAIT_MS;

	snprintf(path, sizeof(path), "/alerts?rule=%s", rule);
	while (th_now_ms() < end) {
		json_t *out = NULL, *found = NULL, *a;
		size_t  i;
		TH_CHECK(&T,
		    e2e_call(P_SUPER, "GET", path, insp, NULL, &out) == 200,
		    "GET %s", path);
		json_array_foreach(e2e_items(out, "items"), i,
		    a) if (strcmp(e2e_jstr(a, "subject"), subject) == 0
		    && strcmp(e2e_jstr(a, "period"), period) == 0) found
		    = json_incref(a);
		json_decref(out);
		if (found != NULL) {
			free(insp);
			return found;
		}
		th_sleep_ms(100);
	}
	th_fail(&T, "no %s alert for %s (%s)", rule, subject, period);
}

void
e2e_supervision_anomaly(void)
{
	char accepted[16];

	start();
	char *id = take_in(accepted);
	e2e_investigate("application_id", id, NULL, accepted);
	json_decref(e2e_wait_stage(id, "VILLAGE_REVIEW"));
	char *rev = e2e_token("reviewer-a", "village_reviewer", VILLAGE, NULL);
	char *off = e2e_token("officer-a", "township_officer", TOWNSHIP, NULL);
	char *rel
	    = e2e_token("officer-wife", "township_officer", TOWNSHIP, WIFE);
	char *dis
	    = e2e_token("district-a", "district_officer", DISTRICT, NULL);
	TH_CHECK(&T,
	    e2e_step(id, "village-review", rev,
	        "{\"decision\":\"pass\",\"reason\":\"confirmed\"}", NULL)
	        == 200,
	    "village review");
	json_t *out = NULL;
	int     st  = e2e_step(id, "township-confirmation", rel,
	         "{\"decision\":\"approve\",\"reason\":\"my own\"}", &out);
	TH_CHECK(&T,
	    st == 403
	        && strcmp(e2e_jstr(json_object_get(out, "error"), "code"),
	               "household_member")
	            == 0,
	    "the wife as township officer: %d", st);
	json_decref(out);
	TH_CHECK(&T,
	    e2e_step(id, "township-confirmation", off,
	        "{\"decision\":\"approve\",\"reason\":\"no income\"}", NULL)
	        == 200,
	    "township confirmation");
	TH_CHECK(&T,
	    e2e_step(id, "district-filing", dis,
	        "{\"spot_check\":false,\"note\":\"filed\"}", NULL)
	        == 200,
	    "district filing");
	json_decref(e2e_wait_stage(id, "FILED"));

	/* relative_conflict: the refused attempt, on the case */
	json_t *a
	    = wait_alert("relative_conflict", id, "officer-wife:attempt");
	json_t *ev = json_object_get(a, "evidence");
	char    route[64];
	snprintf(route, sizeof(route), "/cases/{id}/township-confirmation");
	TH_CHECK(&T,
	    strcmp(e2e_jstr(a, "severity"), "medium") == 0
	        && strcmp(e2e_jstr(a, "state"), "open") == 0
	        && strcmp(e2e_jstr(a, "household_id"), id) == 0
	        && strcmp(e2e_jstr(a, "township_code"), TOWNSHIP) == 0
	        && strcmp(e2e_jstr(ev, "relation"), "member") == 0
	        && strcmp(e2e_jstr(ev, "outcome_code"), "household_member")
	            == 0
	        && e2e_jint(ev, "status") == 403
	        && strcmp(e2e_jstr(ev, "service"), "approval") == 0
	        && strcmp(e2e_jstr(ev, "route"), route) == 0
	        && json_is_true(json_object_get(ev, "attempt")),
	    "the attempt's alert and evidence");
	char *text = json_dumps(a, JSON_COMPACT);
	TH_CHECK(&T,
	    strstr(text, WIFE) == NULL && strstr(text, HUSBAND) == NULL,
	    "an identity number in clear in the alert");
	free(text);

	/* fast_or_odd_hours: the three steps within seconds */
	json_t *f = wait_alert("fast_or_odd_hours", id, "fast_decision");
	TH_CHECK(&T,
	    e2e_jint(json_object_get(f, "evidence"), "decided_after_s") < 3600,
	    "decided after %lld s",
	    (long long) e2e_jint(
	        json_object_get(f, "evidence"), "decided_after_s"));
	json_decref(f);
	json_decref(wait_alert("fast_or_odd_hours", id, "fast_steps"));

	/* an inspector closes the attempt's alert, with a note only */
	char *insp = e2e_token("insp-a", "inspector", DISTRICT, NULL);
	char  path[128];
	snprintf(path, sizeof(path), "/alerts/%s/closure", e2e_jstr(a, "id"));
	out = NULL;
	st  = e2e_call(P_SUPER, "POST", path, insp, "{}", &out);
	TH_CHECK(&T,
	    st == 422
	        && strcmp(e2e_jstr(json_object_get(out, "error"), "code"),
	               "note_required")
	            == 0,
	    "closed without a note: %d", st);
	json_decref(out);
	out = NULL;
	st  = e2e_call(P_SUPER, "POST", path, insp,
	     "{\"note\":\"refused by approval; the officer was reminded\"}",
	     &out);
	TH_CHECK(&T,
	    st == 200 && strcmp(e2e_jstr(out, "state"), "closed") == 0,
	    "closed: %d", st);
	printf("anomaly: a relative's refused attempt and a case decided in "
	       "seconds raised their alerts from the real services' events\n");
	json_decref(out);
	json_decref(a);
	free(insp);
	free(rev);
	free(off);
	free(rel);
	free(dis);
	free(id);
}
