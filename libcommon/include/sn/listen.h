/*
 * sn/listen.h - an NNG listener that is kept accepting.
 *
 * Debian 12's nng 1.5.2 stops a listener for good when a peer hangs up
 * while the SP headers are being exchanged (nng #1518, fixed in 1.6.0):
 * the header's write fails with EPIPE, NNG reports it as NNG_ECLOSED and
 * the listener takes that for its own closing, so it asks for no further
 * connection. The transport underneath goes on accepting connections and
 * exchanging headers, so a dialer connects and then hears nothing: a
 * subscriber killed while it dials leaves a publisher that no new
 * subscriber can join, live or by replay.
 *
 * sn_listen_open listens as sn_nng_listen does and then checks the
 * listener every SN_NNG_LISTEN_CHECK_MS (default 5000; 0: never): it
 * connects to the listener's own address (127.0.0.1 or ::1 for a
 * wildcard) with a plain socket and sends an SP header naming the
 * socket's peer protocol. The listener must then answer (its header, a
 * TLS alert, or the connection closed or reset) and NNG must count an
 * outcome for it (an accept or a failed one, from its statistics): the
 * transport answers for a dead listener too, only the count tells. A
 * window of wall time, twice the check interval and 2 s at least, is
 * given for a count; a probe that ends before one is followed by another
 * at the next check (a count can be lost: a TLS listener pausing after a
 * failed handshake is not told of the next). A window with no count, and
 * the listener is closed (which closes the pipes it accepted; their
 * peers dial again) and opened again, with a warning. A check of an
 * accepting listener completes an ordinary connection, or fails a TLS
 * handshake, which makes NNG pause accepting for 100 ms.
 *
 * Only ipc:// and tcp:// addresses (tls+tcp:// included) are checked;
 * others are listened on and left alone. All functions run on the loop's
 * thread.
 */
#ifndef SN_LISTEN_H
#define SN_LISTEN_H

#include <nng/nng.h>

#include "sn/loop.h"

typedef struct sn_listen sn_listen;

/*
 * Listens on url with sock (sn_nng_listen: TLS for tls+tcp://) and starts
 * the checks on loop. Returns 0, or an NNG error code with nothing left
 * listening (NNG_ENOMEM if memory ran out). The socket stays the
 * caller's; it must outlive the sn_listen or be closed after it.
 */
int sn_listen_open(
    sn_listen **out, sn_loop *loop, nng_socket sock, const char *url);

/* Stops the checks; the listener stays open until the socket is closed.
 * Frees on the loop's next turn. NULL is a no-op. */
void sn_listen_close(sn_listen *l);

#endif
