/*
 * agency-sim/notices.c - see notices.h.
 *
 * Ownership: a POST's context (notice_req) belongs to the request from
 * agency_sim_notices_post until notice_end, which sn_http_tx_with_end
 * runs once however the transaction ends; the overlay is changed by
 * notice_committed, after COMMIT and before that.
 */
#include "notices.h"

#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "sn/agency/v1/agency.pb-c.h"
#include "sn/clock.h"
#include "sn/idnum.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/page.h"
#include "sn/uuid.h"
#include "store.h"

_Static_assert(SN__AGENCY__V1__NOTICE_KIND__NOTICE_DEATH == 1
        && SN__AGENCY__V1__NOTICE_KIND__NOTICE_NEW_JOB == 2,
    "agency_sim_notice_what.kind holds NoticeKind values");
_Static_assert(SN__AGENCY__V1__AGENCY__AGENCY_PUBLIC_SECURITY == 1
        && SN__AGENCY__V1__AGENCY__AGENCY_HUMAN_RESOURCES == 2,
    "agency_sim_notice_what.agency holds Agency values");

struct agency_sim_notices {
	sn_service         *svc;
	agency_sim_overlay *overlay;
	bool                loaded, loading;
	sn_counter         *issued[2]; /* by kind - 1 */
};

typedef struct notice_req {
	sn_http_req           *req;
	agency_sim_notices    *ns;
	agency_sim_notice_what what;
	agency_sim_notice_row  row;
	char                   id[SN_UUID_STRLEN];
	char                   id_number[19];
	char                   date[SN_DATE_STRLEN];
	char                   issued_at[SN_CLOCK_STAMPLEN];
	char                   actor[32];
} notice_req;

/* ---- the overlay at start ------------------------------------------- */

static void
loaded(void *arg, sn_err err, const agency_sim_notice_row *rows, size_t n,
    bool more)
{
	agency_sim_notices *ns = arg;
	(void) more;
	ns->loading = false;
	for (size_t i = 0; err == SN_OK && i < n; i++)
		err = strcmp(rows[i].kind, "death") == 0
		    ? agency_sim_overlay_death(ns->overlay, rows[i].id_number)
		    : agency_sim_overlay_wage(ns->overlay, rows[i].id_number,
		        rows[i].monthly_wage_fen);
	if (err != SN_OK) {
		sn_log(SN_LOG_WARN, "cannot read the notices; retrying",
		    "error", sn_strerror(err), NULL);
		return;
	}
	ns->loaded = true;
	char count[24];
	snprintf(count, sizeof(count), "%zu", n);
	sn_log(SN_LOG_INFO, "notices applied to the records", "notices", count,
	    NULL);
}

/* Every second until the overlay is built: a repeat after a failure
 * applies the same notices again, which changes nothing. */
static void
load_tick(void *arg)
{
	agency_sim_notices *ns = arg;
	if (ns->loaded || ns->loading)
		return;
	ns->loading = true;
	agency_sim_store_notices(
	    sn_service_db(ns->svc), NULL, 0, 0, loaded, ns);
}

static bool
is_ready(void *arg, char *why, size_t cap)
{
	agency_sim_notices *ns = arg;
	(void) why;
	(void) cap;
	return ns->loaded && sn_db_ready(sn_service_db(ns->svc));
}

sn_err
agency_sim_notices_open(
    agency_sim_notices **out, sn_service *svc, agency_sim_overlay *overlay)
{
	agency_sim_notices *ns = calloc(1, sizeof(*ns));
	if (ns == NULL)
		return SN_ENOMEM;
	ns->svc     = svc;
	ns->overlay = overlay;
	for (int k = 0; k < 2; k++) {
		char labels[32];
		snprintf(labels, sizeof(labels), "kind=\"%s\"",
		    agency_sim_notice_kind_name(k + 1));
		ns->issued[k] = sn_metrics_counter(sn_service_metrics(svc),
		    "sn_agency_sim_notices_total", "Notices issued", labels);
	}
	sn_err err = sn_service_every(svc, 0, 1000, load_tick, ns);
	if (err != SN_OK) {
		free(ns);
		return err;
	}
	sn_http_set_ready(sn_service_http(svc), is_ready, ns);
	*out = ns;
	return SN_OK;
}

void
agency_sim_notices_close(agency_sim_notices *ns)
{
	free(ns);
}

/* ---- POST /notices ---------------------------------------------------- */

static void
notice_end(void *arg)
{
	free(arg);
}

/* After COMMIT: the agencies answer by the notice from now on. */
static void
notice_committed(void *arg)
{
	notice_req *nr  = arg;
	sn_err      err = nr->what.kind == 1
	         ? agency_sim_overlay_death(nr->ns->overlay, nr->id_number)
	         : agency_sim_overlay_wage(
	             nr->ns->overlay, nr->id_number, nr->row.monthly_wage_fen);
	if (err != SN_OK)
		sn_log(SN_LOG_ERROR,
		    "a notice is stored but the records miss it until restart",
		    "notice_id", nr->id, "error", sn_strerror(err), NULL);
	sn_counter_add(nr->ns->issued[nr->what.kind - 1], 1);
}

static json_t *
notice_json(const agency_sim_notice_row *r)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s}",
	    "notice_id", r->notice_id, "agency", r->agency, "kind", r->kind,
	    "id_number", r->id_number, "effective_date", r->effective_date,
	    "monthly_wage_fen", (json_int_t) r->monthly_wage_fen, "note",
	    r->note, "issued_at", r->issued_at);
}

static void
notice_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	notice_req                  *nr = arg;
	Sn__Agency__V1__AgencyNotice ev = SN__AGENCY__V1__AGENCY_NOTICE__INIT;
	ev.notice_id                    = (char *) nr->row.notice_id;
	ev.agency           = (Sn__Agency__V1__Agency) nr->what.agency;
	ev.kind             = (Sn__Agency__V1__NoticeKind) nr->what.kind;
	ev.id_number        = (char *) nr->row.id_number;
	ev.effective_date   = (char *) nr->row.effective_date;
	ev.monthly_wage_fen = nr->row.monthly_wage_fen;
	ev.note             = (char *) nr->row.note;
	ev.issued_at        = (char *) nr->row.issued_at;
	sn_err err          = agency_sim_store_qnotice(tx, &nr->row);
	if (err == SN_OK)
		err = sn_bus_append_msg(sn_service_bus(nr->ns->svc), tx,
		    "agency.notice", nr->id, nr->actor, &ev.base);
	if (err == SN_OK)
		err = sn_tx_on_commit(tx, notice_committed, nr);
	if (err != SN_OK) {
		if (!sn_tx_failed(tx))
			sn_http_tx_fail(req, tx, 503, "unavailable",
			    "the notice could not be stored; retry", NULL);
		return;
	}
	char masked[SN_LOG_MASK_MAX];
	sn_log(SN_LOG_INFO, "notice issued", "notice_id", nr->id, "kind",
	    nr->row.kind, "person",
	    sn_log_mask_idnum(nr->row.id_number, masked), NULL);
	sn_http_tx_reply(req, tx, 201, notice_json(&nr->row));
}

/* The body into in; false with p set. */
bool
agency_sim_notice_parse(const json_t *body, agency_sim_notice_in *in,
    const char **note, sn_problem *p)
{
	static const char *const keys[] = { "kind", "id_number",
		"effective_date", "monthly_wage_fen", "note", NULL };
	memset(in, 0, sizeof(*in));
	*note        = "";
	in->has_wage = json_object_get(body, "monthly_wage_fen") != NULL;
	return sn_in_only(body, keys, "", p)
	    && sn_in_str(body, "kind", "", SN_IN_REQUIRED | SN_IN_NONEMPTY, 32,
	        &in->kind, p)
	    && sn_in_str(body, "id_number", "",
	        SN_IN_REQUIRED | SN_IN_NONEMPTY, 18, &in->id_number, p)
	    && sn_in_date(body, "effective_date", "", SN_IN_REQUIRED,
	        &in->effective_date, p)
	    && sn_in_i64(body, "monthly_wage_fen", "", 0, INT64_MIN, INT64_MAX,
	        &in->monthly_wage_fen, p)
	    && sn_in_str(body, "note", "", SN_IN_MULTILINE,
	        AGENCY_SIM_NOTE_MAX, note, p);
}

/* The stored row of a checked notice, pointing into nr. */
static void
notice_fill(notice_req *nr, const agency_sim_notice_in *in, const char *note)
{
	snprintf(nr->id_number, sizeof(nr->id_number), "%s", in->id_number);
	sn_date_format(in->effective_date, nr->date);
	sn_clock_stamp(nr->issued_at);
	snprintf(nr->actor, sizeof(nr->actor), "agency:%s",
	    nr->what.agency == 1 ? "PUBLIC_SECURITY" : "HUMAN_RESOURCES");
	nr->row = (agency_sim_notice_row) { .notice_id = nr->id,
		.agency                                = nr->actor + 7,
		.kind             = agency_sim_notice_kind_name(nr->what.kind),
		.id_number        = nr->id_number,
		.effective_date   = nr->date,
		.monthly_wage_fen = in->has_wage ? in->monthly_wage_fen : 0,
		.note             = note,
		.issued_at        = nr->issued_at };
}

void
agency_sim_notices_post(sn_http_req *req, void *arg)
{
	notice_req          *nr = calloc(1, sizeof(*nr));
	agency_sim_notice_in in;
	const char          *note;
	sn_problem           p;
	sn_uuid              u;

	if (nr == NULL || sn_uuid_v4(&u) != SN_OK) {
		free(nr);
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	sn_problem_clear(&p);
	if (agency_sim_notice_parse(sn_http_json(req), &in, &note, &p))
		agency_sim_rules_notice(&in, sn_clock_today(), &nr->what, &p);
	if (p.status != 0) {
		free(nr);
		sn_http_problem(req, &p);
		return;
	}
	nr->req = req;
	nr->ns  = arg;
	sn_uuid_format(&u, nr->id);
	notice_fill(nr, &in, note);
	sn_http_tx_with_end(req, notice_begin, notice_end, nr);
}

/* ---- GET /notices ----------------------------------------------------- */

static void
listed(void *arg, sn_err err, const agency_sim_notice_row *rows, size_t n,
    bool more)
{
	sn_http_req *req = arg;
	if (err != SN_OK) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the database is unavailable; retry", NULL);
		return;
	}
	json_t *list = json_array();
	for (size_t i = 0; list != NULL && i < n; i++)
		json_array_append_new(list, notice_json(&rows[i]));
	json_t *page
	    = sn_page_answer(list, more, n > 0 ? rows[n - 1].list_seq : 0);
	/* "notices": the answer's name before paging, for one release. */
	json_object_set(page, "notices", json_object_get(page, "items"));
	sn_http_reply_json(req, 200, page);
}

void
agency_sim_notices_list(sn_http_req *req, void *arg)
{
	agency_sim_notices *ns = arg;
	const char         *id = sn_http_query(req, "id_number");
	sn_page             page;
	sn_problem          p = { 0 };

	if (!sn_page_query(req, &page, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	if (id != NULL && !sn_idnum_valid(id)) {
		sn_http_reply_error(req, 400, "invalid_id_number",
		    "not a valid resident identity number", "id_number");
		return;
	}
	agency_sim_store_notices(sn_service_db(ns->svc), id, page.after,
	    (uint32_t) page.limit, listed, req);
}
