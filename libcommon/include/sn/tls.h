/*
 * sn/tls.h - mutual TLS on every NNG link (design section 2 item 7,
 * issue 11): pub/sub, replay, the agencies and the bank.
 *
 * The process's certificate, key and CA come from SN_TLS_CERT_FILE,
 * SN_TLS_KEY_FILE and SN_TLS_CA_FILE (PEM files), read once, on the first
 * listen or dial of a tls+tcp:// URL. A listener demands a client
 * certificate of that CA; a dialler checks that the listener's
 * certificate is of that CA and, when peer_name is given, that it names
 * peer_name (its common name or a DNS subject alternative name): a
 * follower dials publisher "intake" with peer_name "intake", so a
 * certificate of another service cannot pose as the publisher.
 *
 * Any other scheme (ipc://, tcp://, inproc://) is passed to NNG as it
 * is. A tls+tcp:// URL without the three files configured is refused
 * (NNG_EINVAL, with an error log line naming the missing setting).
 */
#ifndef SN_TLS_H
#define SN_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <nng/nng.h>

/* nng_listen(s, url) with this process's TLS settings applied to a
 * tls+tcp:// url, giving the listener in *lp when lp is not NULL (and the
 * call returns 0). Returns 0 or an NNG error code. sn/listen.h keeps a
 * listener accepting. */
int sn_nng_listen(nng_socket s, const char *url, nng_listener *lp);

/* nng_dial(s, url, flags) likewise; peer_name may be NULL (any
 * certificate of our CA). Returns 0 or an NNG error code. */
int sn_nng_dial(
    nng_socket s, const char *url, const char *peer_name, int flags);

/* sn_nng_dial, giving the dialer in *d (when the call returns 0): a
 * caller that may have to give up on a connection and dial again closes
 * that dialer (the bus's follower, on a silent stream). */
int sn_nng_dialer(nng_socket s, const char *url, const char *peer_name,
    int flags, nng_dialer *d);

/*
 * HTTPS (design section 5): the HTTP server's certificate and key, PEM
 * text malloc'd for the caller (free both), when SN_TLS_CERT_FILE and
 * SN_TLS_KEY_FILE are set and SN_HTTP_TLS is not off; both NULL (plain
 * HTTP) otherwise. Start-up only: an unreadable or empty file stops the
 * program with status 2, as a bad setting does (sn/config.h).
 */
void sn_tls_http_pems(char **cert, char **key);

/*
 * The CA of HTTPS client certificates (sn/http.h, SN_HTTP_CLIENT_CERT
 * routes: a bank's interface; staff and partners carry tokens), PEM text
 * malloc'd for the caller (free it), from SN_HTTP_CLIENT_CA_FILE when it
 * is set and the server serves HTTPS (sn_tls_http_on); NULL otherwise,
 * with a warning when the setting is given to a plain HTTP server.
 * Start-up only: an unreadable or empty file exits 2, like
 * sn_tls_http_pems.
 */
char *sn_tls_http_client_ca(void);

/* Whether the HTTP server serves HTTPS: SN_TLS_CERT_FILE and
 * SN_TLS_KEY_FILE set, SN_HTTP_TLS not off. Start-up only. */
bool sn_tls_http_on(void);

/*
 * `--probe` over HTTPS: sends the len bytes of req through TLS on the
 * connected socket fd and reads the answer's first bytes into buf (at
 * most cap - 1, NUL-terminated). The server's certificate is checked
 * against SN_TLS_CA_FILE when set; its name is not (the probe asks its
 * own port). Returns the bytes read, or -1.
 */
long sn_tls_probe(int fd, const char *req, size_t len, char *buf, size_t cap);

/* Releases the process's TLS configuration (at exit; for leak checks). */
void sn_tls_shutdown(void);

#endif /* SN_TLS_H */
