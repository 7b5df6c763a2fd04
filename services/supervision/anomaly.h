/*
 * anomaly.h - anomaly rules and alerts (issue 12 item 5).
 *
 * Seven rules watch the event log (events.h) and raise alerts:
 *
 *   shared_account     one bank account (by the blind index of its
 *                      number, SUPERVISION_ACCOUNT_COLUMN) named as payee
 *                      of, or paid to, two or more households. Subject
 *                      "account:" and the index's first 16 hex digits.
 *   paid_after_death   a month's benefit scheduled or settled for a period
 *                      after the household's life on the register ended
 *                      by death (every member known reported dead by
 *                      household.change_reported kind DEATH, a clerk's or
 *                      an agency notice's, or the register's exit with
 *                      cause DEATH), or an emergency grant to a person
 *                      reported dead before it. Subject the household,
 *                      period the payment's month ("grant:<id>" for a
 *                      grant).
 *   relative_conflict  a staff action (staff.acted, the token's identity
 *                      number by its blind index) on a subject whose
 *                      household the actor is a member of, or whose
 *                      registered address is that of the actor's own
 *                      household (a home-visit task, /tasks/{id}/report,
 *                      is the household of its investigation.completed).
 *                      A refused action (approval's 403 household_member,
 *                      say) is raised too, as an attempt, medium instead
 *                      of high. Subject the
 *                      action's subject, period the user (":attempt"
 *                      appended for a refusal).
 *   grants_under_limit at least SN_SUPERVISION_UNDER_LIMIT_GRANTS grants
 *                      granted at once, each at least
 *                      SN_SUPERVISION_UNDER_LIMIT_PERCENT % of the
 *                      per-grant limit (SN_SUPERVISION_GRANT_LIMIT_FEN,
 *                      emergency's SN_EMERGENCY_GRANT_LIMIT_FEN), within
 *                      SN_SUPERVISION_UNDER_LIMIT_DAYS days, by one
 *                      officer (subject the officer) or to one person
 *                      (subject the household); a grant counts in one
 *                      alert of each kind at most, so a pattern that goes
 *                      on raises again with the next grants. Period the
 *                      first grant's id.
 *   fast_or_odd_hours  a case decided less than
 *                      SN_SUPERVISION_FAST_DECISION_MINUTES after it
 *                      entered village review (period "fast_decision"),
 *                      or filed less than SN_SUPERVISION_FAST_STEPS_MINUTES
 *                      after (all three staff steps: "fast_steps"); a
 *                      staff step at an odd hour of the district's day
 *                      (SN_SUPERVISION_ODD_HOURS_FROM to _TO, sn/clock.h's
 *                      offset; period "odd_hours"). Subject the case.
 *   township_outlier   a township whose approval rate (or override rate:
 *                      approvals the rules did not support, of approvals)
 *                      over the last SN_SUPERVISION_OUTLIER_DAYS stands
 *                      out from the rest of its district's by
 *                      SN_SUPERVISION_OUTLIER_Z_TENTHS tenths of a
 *                      standard error or more, with at least
 *                      SN_SUPERVISION_OUTLIER_MIN_CASES cases on each
 *                      side; a periodic scan. Subject the township,
 *                      period "<metric>:<district month>".
 *   overdue            a case past its deadline (approval's case.overdue,
 *                      held cases included: their clock runs on; period
 *                      "case"); an emergency referral (referral.created)
 *                      not taken up SN_SUPERVISION_REFERRAL_DAYS days
 *                      after it (taken up: an application submitted from
 *                      it, or services routing it to a department,
 *                      referral.routed naming it as its
 *                      emergency_referral_id); and a referral services
 *                      routed that its department left unanswered past
 *                      the kind's deadline (services' referral.overdue,
 *                      authoritative for services' referrals: one
 *                      answered in time, referral.answered, has none; a
 *                      late answer leaves the alert open). Subject the
 *                      referral (emergency's or services' id), period
 *                      "referral".
 *
 * Each rule gathers its facts in SQL and decides in anomaly_rules.h.
 * Facts are recorded by the on_event hook (tables anomaly_*), which runs
 * after the households hook (households.h); a check whose event is not
 * linked to its household yet waits in anomaly_todo and the periodic
 * scan (SN_SUPERVISION_ANOMALY_SCAN_MS) asks again, for
 * SN_SUPERVISION_ANOMALY_WAIT_DAYS at most. The scan also finds overdue
 * referrals; the outlier scan runs every SN_SUPERVISION_OUTLIER_SCAN_MS.
 *
 * Alerts (table alerts) are raised once per (rule, subject, period): the
 * key is unique and the id is derived from it (anomaly_alert_id), so a
 * replay, a restart or a second scan never raises one twice. Every raise
 * and every change publishes "alert.raised" (AlertRaised, with its state)
 * through supervision's outbox in the same transaction. Raises, waiting
 * checks and grant marks are written under one transaction-level
 * advisory lock, so the apply transactions and the scans never deadlock
 * on them. Evidence is a JSON object of ids, event ids, amounts, days and
 * times: never a name, an identity or account number, or an address.
 *
 * HTTP (roles in main.c):
 *   GET  /alerts?rule=&state=&township=&limit=&cursor=  sn/page.h, by n
 *   GET  /alerts/{id}
 *   POST /alerts/{id}/assignment {"assignee": user id}: a supervisor
 *        assigns it to a supervisor or inspector identity knows (its
 *        latest user.changed), open or assigned alerts only
 *   POST /alerts/{id}/closure {"note": text}: closes it, a note required
 *
 * Everything runs on the loop thread.
 */
#ifndef SUPERVISION_ANOMALY_H
#define SUPERVISION_ANOMALY_H

#include "sn/http.h"
#include "supervision.h"

/* Reads the settings, registers the metrics, starts the scans. */
sn_err supervision_anomaly_setup(supervision *s);
/* Records the facts of every event and runs the rules it triggers. */
sn_err supervision_anomaly_on_event(
    supervision *s, sn_tx *tx, const supervision_event *e);

/* The routes; arg is the supervision. */
void supervision_anomaly_list(sn_http_req *req, void *arg);
void supervision_anomaly_get(sn_http_req *req, void *arg);
void supervision_anomaly_assign(sn_http_req *req, void *arg);
void supervision_anomaly_close(sn_http_req *req, void *arg);

#endif /* SUPERVISION_ANOMALY_H */
