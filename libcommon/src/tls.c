/*
 * tls.c - see sn/tls.h. Stub: passes every URL to NNG as it is, until
 * the TLS configuration is built (issue 11, item 2).
 */
#include "sn/tls.h"

int
sn_nng_listen(nng_socket s, const char *url)
{
	return nng_listen(s, url, NULL, 0);
}

int
sn_nng_dial(nng_socket s, const char *url, const char *peer_name, int flags)
{
	(void) peer_name;
	return nng_dial(s, url, NULL, flags);
}

void
sn_tls_shutdown(void)
{
}
