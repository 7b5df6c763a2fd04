/*
 * tls.c - see sn/tls.h.
 *
 * One server configuration (our certificate and key, our CA, client
 * certificates REQUIRED) and one client configuration per distinct
 * peer_name (the same, plus the server name mbedTLS checks the
 * listener's certificate against: its common name or a DNS subject
 * alternative name), built on first use and kept until sn_tls_shutdown.
 * A listener or dialer holds its own reference to the configuration it
 * was given, so freeing ours at shutdown never pulls one from under a
 * live socket.
 *
 * What nng 1.5.2 cannot do: it does not expose the peer certificate's
 * names on a pipe (only NNG_OPT_TLS_VERIFIED), so a listener cannot tell
 * which of our services dialled it, only that its certificate is of our
 * CA. The follower-side check that a stream comes from the publisher it
 * follows is therefore the dialler's server-name check above: the
 * follower dials publisher "intake" with peer_name "intake", and a
 * listener presenting any other certificate fails the handshake.
 */
#include "sn/tls.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <nng/supplemental/tls/tls.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "sn/config.h"
#include "sn/log.h"

#define MAX_PEERS 32
#define PEM_MAX (1u << 20)

typedef struct peer_cfg {
	char           *name; /* "" for any certificate of our CA */
	nng_tls_config *cfg;
} peer_cfg;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool            loaded; /* the files were read (lock) */
static char           *cert_pem, *key_pem, *ca_pem; /* NULL: not set */
static nng_tls_config *server_cfg;
static peer_cfg        peers[MAX_PEERS];
static size_t          npeers;

static bool
is_tls_url(const char *url)
{
	return url != NULL && strncmp(url, "tls+", 4) == 0;
}

/* The whole of the file named by setting, or NULL with an error log. */
static char *
read_pem(const char *setting)
{
	const char *path = sn_config_str(setting, "");
	if (path[0] == '\0') {
		sn_log(SN_LOG_ERROR, "tls+tcp:// needs a certificate setting",
		    "setting", setting, NULL);
		return NULL;
	}
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		sn_log(SN_LOG_ERROR, "cannot open a TLS file", "setting",
		    setting, "path", path, NULL);
		return NULL;
	}
	char  *buf = malloc(PEM_MAX + 1);
	size_t n   = buf != NULL ? fread(buf, 1, PEM_MAX, f) : 0;
	bool   bad = buf == NULL || ferror(f) || n == 0 || n == PEM_MAX;
	fclose(f);
	if (bad) {
		sn_log(SN_LOG_ERROR,
		    "cannot read a TLS file (empty or too big)", "setting",
		    setting, "path", path, NULL);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

bool
sn_tls_http_on(void)
{
	return sn_config_bool("SN_HTTP_TLS", true)
	    && sn_config_str("SN_TLS_CERT_FILE", "")[0] != '\0'
	    && sn_config_str("SN_TLS_KEY_FILE", "")[0] != '\0';
}

long
sn_tls_probe(int fd, const char *req, size_t len, char *buf, size_t cap)
{
	const char *ca  = sn_config_str("SN_TLS_CA_FILE", "");
	long        got = -1;
	SSL_CTX    *ctx = SSL_CTX_new(TLS_client_method());
	SSL        *ssl = NULL;
	if (ctx == NULL || cap == 0)
		goto out;
	/* an answer ended without close_notify is still an answer */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (ca[0] != '\0') {
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
			goto out;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	int one = 1; /* the request right after the handshake: no Nagle */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1
	    || SSL_connect(ssl) != 1
	    || SSL_write(ssl, req, (int) len) != (int) len)
		goto out;
	size_t n = 0;
	int    r;
	while (n < cap - 1
	    && (r = SSL_read(ssl, buf + n, (int) (cap - 1 - n))) > 0)
		n += (size_t) r;
	buf[n] = '\0';
	got    = (long) n;
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return got;
}

void
sn_tls_http_pems(char **cert, char **key)
{
	*cert = *key = NULL;
	if (!sn_tls_http_on())
		return;
	const char *cpath = sn_config_str("SN_TLS_CERT_FILE", "");
	const char *kpath = sn_config_str("SN_TLS_KEY_FILE", "");
	if ((*cert = read_pem("SN_TLS_CERT_FILE")) == NULL)
		sn_config_fail(
		    "SN_TLS_CERT_FILE", "a readable PEM file", cpath);
	if ((*key = read_pem("SN_TLS_KEY_FILE")) == NULL)
		sn_config_fail(
		    "SN_TLS_KEY_FILE", "a readable PEM file", kpath);
}

char *
sn_tls_http_client_ca(void)
{
	const char *path = sn_config_str("SN_HTTP_CLIENT_CA_FILE", "");
	char       *ca;
	if (path[0] == '\0')
		return NULL;
	if (!sn_tls_http_on()) {
		sn_log(SN_LOG_WARN,
		    "SN_HTTP_CLIENT_CA_FILE is ignored: the API serves plain "
		    "HTTP (client-certificate routes refuse every request)",
		    NULL);
		return NULL;
	}
	if ((ca = read_pem("SN_HTTP_CLIENT_CA_FILE")) == NULL)
		sn_config_fail(
		    "SN_HTTP_CLIENT_CA_FILE", "a readable PEM file", path);
	return ca;
}

/* Reads the three files once (lock held); false while any is missing. */
static bool
load_files(void)
{
	if (!loaded) {
		loaded   = true;
		cert_pem = read_pem("SN_TLS_CERT_FILE");
		key_pem  = read_pem("SN_TLS_KEY_FILE");
		ca_pem   = read_pem("SN_TLS_CA_FILE");
	}
	if (cert_pem == NULL || key_pem == NULL || ca_pem == NULL) {
		sn_log(SN_LOG_ERROR,
		    "tls+tcp:// refused: SN_TLS_CERT_FILE, SN_TLS_KEY_FILE "
		    "and "
		    "SN_TLS_CA_FILE must all name readable PEM files",
		    NULL);
		return false;
	}
	return true;
}

/* A configuration of mode with our certificate, key and CA, peers'
 * certificates required; server_name (client only) may be NULL. */
static nng_tls_config *
make_cfg(nng_tls_mode mode, const char *server_name)
{
	nng_tls_config *cfg;
	int             rv;
	if ((rv = nng_tls_config_alloc(&cfg, mode)) != 0) {
		sn_log(SN_LOG_ERROR, "nng_tls_config_alloc failed", "error",
		    nng_strerror(rv), NULL);
		return NULL;
	}
	const char *step = "auth mode";
	if ((rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED))
	        != 0
	    || (step = "SN_TLS_CA_FILE",
	        (rv = nng_tls_config_ca_chain(cfg, ca_pem, NULL)) != 0)
	    || (step = "SN_TLS_CERT_FILE and SN_TLS_KEY_FILE",
	        (rv = nng_tls_config_own_cert(cfg, cert_pem, key_pem, NULL))
	            != 0)
	    || (step = "server name",
	        server_name != NULL
	            && (rv = nng_tls_config_server_name(cfg, server_name))
	                != 0)) {
		sn_log(SN_LOG_ERROR, "cannot build the TLS configuration",
		    "setting", step, "error", nng_strerror(rv), NULL);
		nng_tls_config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* The configuration for a listener (peer_name unused) or a dialer, with
 * a reference for the caller; NULL if it cannot be built. */
static nng_tls_config *
config_for(bool server, const char *peer_name)
{
	nng_tls_config *cfg = NULL;
	const char     *key = peer_name != NULL ? peer_name : "";
	pthread_mutex_lock(&lock);
	if (!load_files())
		goto out;
	if (server) {
		if (server_cfg == NULL)
			server_cfg = make_cfg(NNG_TLS_MODE_SERVER, NULL);
		cfg = server_cfg;
		goto out;
	}
	for (size_t i = 0; i < npeers && cfg == NULL; i++)
		if (strcmp(peers[i].name, key) == 0)
			cfg = peers[i].cfg;
	if (cfg == NULL && npeers < MAX_PEERS
	    && (cfg = make_cfg(NNG_TLS_MODE_CLIENT, key[0] ? key : NULL))
	        != NULL) {
		peers[npeers].name  = strdup(key);
		peers[npeers++].cfg = cfg;
	} else if (cfg == NULL && npeers == MAX_PEERS) {
		sn_log(SN_LOG_ERROR, "too many TLS peer names", "peer", key,
		    NULL);
	}
out:
	if (cfg != NULL)
		nng_tls_config_hold(cfg);
	pthread_mutex_unlock(&lock);
	return cfg;
}

int
sn_nng_listen(nng_socket s, const char *url, nng_listener *lp)
{
	if (!is_tls_url(url))
		return nng_listen(s, url, lp, 0);
	nng_tls_config *cfg = config_for(true, NULL);
	if (cfg == NULL)
		return NNG_EINVAL;
	nng_listener l;
	int          rv = nng_listener_create(&l, s, url);
	if (rv == 0) {
		if ((rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, cfg))
		    == 0)
			rv = nng_listener_start(l, 0);
		if (rv != 0)
			nng_listener_close(l);
		else if (lp != NULL)
			*lp = l;
	}
	nng_tls_config_free(cfg); /* the listener holds its own */
	return rv;
}

int
sn_nng_dialer(nng_socket s, const char *url, const char *peer_name, int flags,
    nng_dialer *dp)
{
	if (!is_tls_url(url))
		return nng_dial(s, url, dp, flags);
	nng_tls_config *cfg = config_for(false, peer_name);
	if (cfg == NULL)
		return NNG_EINVAL;
	nng_dialer d;
	int        rv = nng_dialer_create(&d, s, url);
	if (rv == 0) {
		if ((rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg)) == 0)
			rv = nng_dialer_start(d, flags);
		if (rv != 0)
			nng_dialer_close(d);
		else if (dp != NULL)
			*dp = d;
	}
	nng_tls_config_free(cfg); /* the dialer holds its own */
	return rv;
}

int
sn_nng_dial(nng_socket s, const char *url, const char *peer_name, int flags)
{
	return sn_nng_dialer(s, url, peer_name, flags, NULL);
}

void
sn_tls_shutdown(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < npeers; i++) {
		nng_tls_config_free(peers[i].cfg);
		free(peers[i].name);
	}
	npeers = 0;
	if (server_cfg != NULL)
		nng_tls_config_free(server_cfg);
	server_cfg = NULL;
	free(cert_pem);
	free(key_pem);
	free(ca_pem);
	cert_pem = key_pem = ca_pem = NULL;
	loaded                      = false;
	pthread_mutex_unlock(&lock);
}
