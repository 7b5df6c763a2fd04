/*
 * supervision_stats.h - e2e_supervision's scenario "statistics" (issue 12
 * item 6), in supervision_stats.c: supervision's figures against the sums
 * in disbursement's and emergency's own tables.
 */
#ifndef SN_E2E_SUPERVISION_STATS_H
#define SN_E2E_SUPERVISION_STATS_H

void e2e_supervision_statistics(void);

#endif /* SN_E2E_SUPERVISION_STATS_H */
