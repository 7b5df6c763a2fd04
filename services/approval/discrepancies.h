/*
 * discrepancies.h - issue 10 (approval-B, item 1): the differences
 * between what a household declared and what an agency reported, as
 * verification.completed carries them, kept with the case's verification
 * and shown to the deciding officer (GET /cases/{id} "discrepancies").
 * Any thread.
 */
#ifndef APPROVAL_DISCREPANCIES_H
#define APPROVAL_DISCREPANCIES_H

#include "sn/assist/v1/application.pb-c.h"

/*
 * The discrepancies of v as a JSON array of {field, declared_fen,
 * reported_fen, agency} in the event's order, malloc'd (the caller frees
 * it); NULL on allocation failure. A discrepancy without a field is
 * kept with field "" (the officer still sees the agency and figures).
 */
char *approval_discrepancies_json(
    const Sn__Assist__V1__VerificationCompleted *v);

#endif /* APPROVAL_DISCREPANCIES_H */
