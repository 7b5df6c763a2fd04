/*
 * supervision_anomaly.h - e2e_supervision's scenario "anomaly" (issue 12
 * item 5), in supervision_anomaly.c: anomaly alerts raised from the real
 * services' events.
 */
#ifndef SN_E2E_SUPERVISION_ANOMALY_H
#define SN_E2E_SUPERVISION_ANOMALY_H

void e2e_supervision_anomaly(void);

#endif /* SN_E2E_SUPERVISION_ANOMALY_H */
