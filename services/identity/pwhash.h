/*
 * pwhash.h - argon2id password hashes (libsodium crypto_pwhash_str,
 * OPSLIMIT/MEMLIMIT_INTERACTIVE) computed on libuv's thread pool, so that
 * a login (50-100 ms of hashing) never stalls the service's loop.
 *
 * Both calls copy the password and the hash at once (the caller's
 * strings may go after the call) and wipe their copies when done; done
 * runs exactly once, on the loop thread, never from inside the call.
 * Loop thread only.
 */
#ifndef IDENTITY_PWHASH_H
#define IDENTITY_PWHASH_H

#include <stdbool.h>
#include <uv.h>

#include "sn/err.h"
#include "sn/metrics.h"

/*
 * Prepares the module: sodium_init and the dummy hash an unknown user is
 * checked against, so that a login for a name that does not exist costs
 * the same as one for a name that does (no user enumeration by timing),
 * and its metrics in m: sn_identity_pwhash_running (hashes on the thread
 * pool now; a /metrics answer that sees it above 0 was given while a hash
 * ran) and sn_identity_password_checks_total{against="user"|"dummy"}.
 * Blocks for one hash; call once from setup. SN_ENOMEM or SN_EINVAL.
 */
sn_err identity_pwhash_init(sn_metrics *m);

/* Longest hash text, with its NUL (crypto_pwhash_STRBYTES). */
#define IDENTITY_PWHASH_MAX 128

/* The hash of password now, blocking (setup only: the bootstrap
 * administrator's). SN_ENOMEM. */
sn_err identity_pwhash_now(
    const char *password, char out[IDENTITY_PWHASH_MAX]);

/* The hash of password in crypto_pwhash_str's text form, or NULL with
 * SN_ENOMEM; borrowed during done only. */
typedef void (*identity_pwhash_fn)(sn_err err, const char *hash, void *arg);
sn_err identity_pwhash_hash(
    uv_loop_t *loop, const char *password, identity_pwhash_fn done, void *arg);

/*
 * Checks password against hash (NULL: the dummy hash; ok is then always
 * false). ok: it matches; rehash: it matched under other parameters than
 * today's, and new_hash (borrowed during done) is its hash under today's.
 */
typedef void (*identity_pwverify_fn)(bool ok, const char *new_hash, void *arg);
sn_err identity_pwhash_verify(uv_loop_t *loop, const char *hash,
    const char *password, identity_pwverify_fn done, void *arg);

#endif /* IDENTITY_PWHASH_H */
