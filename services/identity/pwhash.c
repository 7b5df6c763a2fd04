/*
 * pwhash.c - argon2id off the loop; see pwhash.h.
 */
#include "pwhash.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

static char dummy_hash[crypto_pwhash_STRBYTES];

/* Loop thread only, like the module. */
static sn_gauge   *running;
static sn_counter *checks[2]; /* against a user's hash, the dummy */

/* One job on the pool: owned by the module from the call to after_work. */
typedef struct job {
	uv_work_t            work;
	char                *password; /* wiped and freed in after_work */
	char                 hash[crypto_pwhash_STRBYTES];
	bool                 verify;
	bool                 dummy;
	bool                 ok;
	bool                 rehashed;
	char                 new_hash[crypto_pwhash_STRBYTES];
	identity_pwhash_fn   hash_done;
	identity_pwverify_fn verify_done;
	void                *arg;
} job;

static bool
make_hash(char out[crypto_pwhash_STRBYTES], const char *pw)
{
	return crypto_pwhash_str(out, pw, strlen(pw), OPS, MEM) == 0;
}

sn_err
identity_pwhash_init(sn_metrics *m)
{
	unsigned char raw[24];
	char          pw[64];
	if (sodium_init() < 0)
		return SN_EINVAL;
	running   = sn_metrics_gauge(m, "sn_identity_pwhash_running",
	      "argon2id hashes running on the thread pool now", NULL);
	checks[0] = sn_metrics_counter(m, "sn_identity_password_checks_total",
	    "Passwords checked with argon2id, by the hash checked against",
	    "against=\"user\"");
	checks[1] = sn_metrics_counter(m, "sn_identity_password_checks_total",
	    "Passwords checked with argon2id, by the hash checked against",
	    "against=\"dummy\"");
	if (running == NULL || checks[0] == NULL || checks[1] == NULL)
		return SN_ENOMEM;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(pw, sizeof(pw), raw, sizeof(raw));
	bool ok = make_hash(dummy_hash, pw);
	sodium_memzero(pw, sizeof(pw));
	return ok ? SN_OK : SN_ENOMEM;
}

sn_err
identity_pwhash_now(const char *password, char out[IDENTITY_PWHASH_MAX])
{
	_Static_assert(IDENTITY_PWHASH_MAX == crypto_pwhash_STRBYTES,
	    "IDENTITY_PWHASH_MAX");
	return make_hash(out, password) ? SN_OK : SN_ENOMEM;
}

static void
work(uv_work_t *w)
{
	job *j = w->data;
	if (!j->verify) {
		j->ok = make_hash(j->hash, j->password);
		return;
	}
	/* The same work for a real and a dummy hash. */
	j->ok = crypto_pwhash_str_verify(j->dummy ? dummy_hash : j->hash,
	            j->password, strlen(j->password))
	        == 0
	    && !j->dummy;
	if (j->ok && crypto_pwhash_str_needs_rehash(j->hash, OPS, MEM) != 0)
		j->rehashed = make_hash(j->new_hash, j->password);
}

static void
after_work(uv_work_t *w, int status)
{
	job *j = w->data;
	(void) status;
	sn_gauge_add(running, -1);
	if (j->verify)
		sn_counter_add(checks[j->dummy], 1);
	sodium_memzero(j->password, strlen(j->password));
	free(j->password);
	if (j->verify)
		j->verify_done(
		    j->ok, j->rehashed ? j->new_hash : NULL, j->arg);
	else
		j->hash_done(
		    j->ok ? SN_OK : SN_ENOMEM, j->ok ? j->hash : NULL, j->arg);
	sodium_memzero(j, sizeof(*j));
	free(j);
}

static sn_err
queue(uv_loop_t *loop, job *j, const char *password)
{
	j->password  = strdup(password);
	j->work.data = j;
	if (j->password == NULL) {
		free(j);
		return SN_ENOMEM;
	}
	if (uv_queue_work(loop, &j->work, work, after_work) != 0) {
		free(j->password);
		free(j);
		return SN_EUV;
	}
	sn_gauge_add(running, 1);
	return SN_OK;
}

sn_err
identity_pwhash_hash(
    uv_loop_t *loop, const char *password, identity_pwhash_fn done, void *arg)
{
	job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return SN_ENOMEM;
	j->hash_done = done;
	j->arg       = arg;
	return queue(loop, j, password);
}

sn_err
identity_pwhash_verify(uv_loop_t *loop, const char *hash, const char *password,
    identity_pwverify_fn done, void *arg)
{
	job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return SN_ENOMEM;
	j->verify      = true;
	j->dummy       = hash == NULL || strlen(hash) >= sizeof(j->hash);
	j->verify_done = done;
	j->arg         = arg;
	if (!j->dummy)
		memcpy(j->hash, hash, strlen(hash) + 1);
	return queue(loop, j, password);
}
