/*
 * bankside.h - the bank's side of bank-gateway's three ISO 20022
 * messages (issue 14), for bank-sim: reading the pain.001.001.09 a
 * customer sends, writing the pain.002.001.10 status report and the
 * camt.054.001.08 debit notification it answers with.
 *
 * Work in progress: the interface is being written (helper H1).
 */
#ifndef BANK_GATEWAY_BANKSIDE_H
#define BANK_GATEWAY_BANKSIDE_H

#include "iso20022.h"

/* The version of this interface (a placeholder until the readers and
 * writers land). */
int bank_gateway_bankside_version(void);

#endif /* BANK_GATEWAY_BANKSIDE_H */
