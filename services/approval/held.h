/*
 * held.h - issue 10 (approval-A, item 5): a case's clock as every case
 * answer shows it (GET /cases/{id}, GET /cases and its ?held=true list).
 *
 * The clock runs from acceptance to the township's confirmation and is
 * never reset: it keeps running while a case is HELD (verification
 * incomplete) and while it is RETURNED awaiting a resubmission. Each
 * case object gets
 *   days_left      deadline_date - today (the district's), negative
 *                  when past; null once the clock has stopped
 *                  (DISTRICT_FILING, FILED, REJECTED, WITHDRAWN);
 *   clock_running  whether it runs;
 * beside the deadline_date and overdue (the clock's mark, set once by
 * the overdue check) it already has.
 *
 * Pure but for jansson's allocations; any thread.
 */
#ifndef APPROVAL_HELD_H
#define APPROVAL_HELD_H

#include <stdbool.h>

#include <jansson.h>

#include "sn/date.h"

/* Adds the clock to case object c (its stage and deadline_date read);
 * leaves c as it is when it has no deadline_date. */
void approval_held_clock(json_t *c, sn_date today);

/* approval_held_clock on j, one case object or an array of them. */
void approval_held_clocks(json_t *j, sn_date today);

#endif /* APPROVAL_HELD_H */
