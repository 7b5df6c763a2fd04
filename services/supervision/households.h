/*
 * households.h - which household each event is about, and the household
 * chain (一户一条救助链, issue 12 item 7).
 *
 * Supervision has its own id for a household: the id of the first
 * application it saw for it, or, for a person helped in an emergency who
 * is in no known household, the grant's id. Every id the household is
 * known by (applications, cases, reviews, beneficiaries, grants,
 * referrals, payments, and services' referrals and enrolments) and the
 * blind index of each member's identity
 * number ("person:<index>") is a key in household_keys, pointing at it;
 * an event is linked through the first of its ids that is known (the
 * rules are a table in households.c, by event type and field name), and
 * adds its own new ids. Streams are not ordered against each other: an
 * event whose ids are not known yet (a case step applied before its
 * application) waits in household_pending and is linked the moment one of
 * its ids is. A re-application by the same people, and a grant to a
 * member, join the household through the members' blind indexes.
 * services' events (issue 13) name no person: a referral joins through
 * the application, emergency referral or grant it names, its answer,
 * overdue flag and an enrolment's changes through their own id (the
 * referral's, the enrolment's) or services' household_id (an
 * application's id or an emergency referral's), so the chain shows
 * every referral, answer, overdue flag, place and session.
 *
 * households holds each household's latest facts (where it lives, how
 * many members, its register status, category, tier and amount), for the
 * other modules' rules and figures.
 *
 * GET /households/{id}/chain answers every linked event in order (pos),
 * identity and account numbers masked.
 */
#ifndef SUPERVISION_HOUSEHOLDS_H
#define SUPERVISION_HOUSEHOLDS_H

#include "sn/http.h"
#include "supervision.h"

/* The module's setup: the hourly purge of events that waited
 * SN_SUPERVISION_PENDING_DAYS (default 30) for a household in vain. */
sn_err supervision_households_setup(supervision *s);

/*
 * The household link of e, by the rules in households.c: lookup, the ids
 * that may already be known, in order of trust; add, the ids it brings;
 * *fresh, the id that names a new household when none of lookup is known
 * ("" when none; borrowed from e). Events.c writes the event with them
 * (event_in, schema 012). Both arrays are initialised here and are the
 * caller's to finish; both stay empty for an event about no one
 * household.
 */
void supervision_households_keys(const supervision_event *e,
    sn_pgarray *lookup, sn_pgarray *add, const char **fresh);

/* The on_event hook (supervision.h): the household's latest facts. */
sn_err supervision_households_on_event(
    supervision *s, sn_tx *tx, const supervision_event *e);

/* GET /households/{id}/chain; arg is the supervision. */
void supervision_households_chain(sn_http_req *req, void *arg);

/*
 * The value at a dotted field path of m ("ref.beneficiary_id"): a string
 * field's text, or NULL when a field on the path does not exist, is not
 * a string, or a message on the path is unset. Borrowed from m.
 */
const char *supervision_field_text(
    const ProtobufCMessage *m, const char *path);

#endif /* SUPERVISION_HOUSEHOLDS_H */
