/*
 * bankside.c - the bank's side of the three messages (bankside.h).
 */
#include "bankside.h"

int
bank_gateway_bankside_version(void)
{
	return 0;
}
