/*
 * intake/notices.c - see notices.h.
 */
#include "notices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changes.h"
#include "codec.h"
#include "rules.h"
#include "sn/agency/v1/agency.pb-c.h"
#include "sn/clock.h"
#include "sn/log.h"
#include "sn/uuid.h"
#include "store.h"

enum { N_MATCHED, N_UNMATCHED, N_REPEAT, N_MALFORMED, N_OUTCOMES };

struct intake_notices {
	sn_service *svc;
	sn_counter *count[N_OUTCOMES];
	/* The notice in flight (one at a time: see notices.h). */
	const Sn__Agency__V1__AgencyNotice
	                       *n; /* the bus's, until the tx ends */
	intake_change           c;
	const char             *agency; /* static */
	char                    change_id[SN_UUID_STRLEN];
	char                    today[SN_DATE_STRLEN];
	char                    by[32]; /* "agency:<AGENCY>" */
	char                    details[64];
	intake_store_match_slot slot;
};

intake_notices *
intake_notices_new(sn_service *svc)
{
	static const char *const names[N_OUTCOMES]
	    = { "matched", "unmatched", "repeat", "malformed" };
	intake_notices *ns = calloc(1, sizeof(*ns));
	if (ns == NULL)
		return NULL;
	ns->svc = svc;
	for (int i = 0; i < N_OUTCOMES; i++) {
		char labels[48];
		snprintf(labels, sizeof(labels), "outcome=\"%s\"", names[i]);
		ns->count[i] = sn_metrics_counter(sn_service_metrics(svc),
		    "sn_intake_agency_notices_total",
		    "Agencies' notices taken, by outcome", labels);
	}
	return ns;
}

void
intake_notices_free(intake_notices *ns)
{
	free(ns);
}

/* The notice as agency_notice keeps it; beneficiary and change NULL
 * when it matched nobody. */
static sn_err
keep_notice(intake_notices *ns, sn_tx *tx, const char *beneficiary_id,
    const char *change_id)
{
	const Sn__Agency__V1__AgencyNotice *n   = ns->n;
	intake_store_notice                 row = { .notice_id = n->notice_id,
		                .agency                        = ns->agency,
		                .kind = n->kind == SN__AGENCY__V1__NOTICE_KIND__NOTICE_DEATH
		                    ? "death"
		                    : "new_job",
		                .id_number        = n->id_number,
		                .effective_date   = n->effective_date,
		                .monthly_wage_fen = n->monthly_wage_fen,
		                .beneficiary_id   = beneficiary_id,
		                .change_id        = change_id,
		                .received_on      = ns->today };
	return intake_store_qnotice(tx, &row);
}

/* The change of the household m names, its event, and the notice. */
static sn_err
report(intake_notices *ns, sn_tx *tx, const intake_notice_match *m)
{
	intake_change_meta meta = { .change_id = ns->change_id,
		.beneficiary_id                = m->beneficiary_id,
		.application_id                = m->application_id,
		.reported_by                   = ns->by,
		.reported_on                   = ns->today,
		.agency                        = ns->agency,
		.notice_id                     = ns->n->notice_id };
	if (ns->c.has_income)
		snprintf(ns->details, sizeof(ns->details),
		    "{\"income\": {\"wages_fen\": %lld}}",
		    (long long) ns->c.app.wages_fen);
	else
		snprintf(ns->details, sizeof(ns->details), "{}");
	sn_err err = intake_changes_record(
	    sn_service_bus(ns->svc), tx, &ns->c, &meta, ns->details);
	if (err == SN_OK)
		err = keep_notice(ns, tx, m->beneficiary_id, ns->change_id);
	return err;
}

static void
matched(sn_tx *tx, sn_err err, const intake_notice_match *m, void *arg)
{
	intake_notices *ns = arg;
	char            masked[SN_LOG_MASK_MAX];
	int             outcome = -1;

	if (err == SN_OK && m->seen)
		outcome = N_REPEAT;
	else if (err == SN_OK && m->found)
		outcome = (err = report(ns, tx, m)) == SN_OK ? N_MATCHED : -1;
	else if (err == SN_OK)
		outcome = (err = keep_notice(ns, tx, NULL, NULL)) == SN_OK
		    ? N_UNMATCHED
		    : -1;
	if (err != SN_OK) {
		if (!sn_tx_failed(tx))
			sn_tx_rollback(tx, err);
		return;
	}
	sn_counter_add(ns->count[outcome], 1);
	sn_log(outcome == N_MATCHED ? SN_LOG_INFO : SN_LOG_WARN,
	    outcome == N_MATCHED ? "agency notice reported as a change"
	        : outcome == N_REPEAT
	        ? "agency notice seen before: nothing more"
	        : "agency notice matches no household on the register",
	    "notice_id", ns->n->notice_id, "agency", ns->agency, "kind",
	    ns->c.kind_name, "person",
	    sn_log_mask_idnum(ns->n->id_number, masked), "beneficiary_id",
	    outcome == N_MATCHED ? m->beneficiary_id : "-", "change_id",
	    outcome == N_MATCHED ? ns->change_id : "-", NULL);
}

sn_err
intake_notices_apply(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	intake_notices *ns = arg;
	const char     *why;
	sn_uuid         u;

	(void) ev;
	ns->n = (const Sn__Agency__V1__AgencyNotice *) msg;
	if (!intake_rules_notice(ns->n, &ns->c, &ns->agency, &why)) {
		sn_counter_add(ns->count[N_MALFORMED], 1);
		sn_log(
		    SN_LOG_WARN, "malformed agency notice", "why", why, NULL);
		return SN_EPROTO;
	}
	if (sn_uuid_v4(&u) != SN_OK)
		return SN_EIO;
	sn_uuid_format(&u, ns->change_id);
	sn_date_format(sn_clock_today(), ns->today);
	snprintf(ns->by, sizeof(ns->by), "agency:%s", ns->agency);
	ns->slot = (intake_store_match_slot) { matched, ns };
	return intake_store_qnotice_match(
	    tx, ns->n->notice_id, ns->n->id_number, &ns->slot);
}
