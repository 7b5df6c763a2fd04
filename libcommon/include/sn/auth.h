/*
 * sn/auth.h - bearer tokens for staff: who calls, in which role, and over
 * which part of the district (design section 7).
 *
 * A token is a JWT signed with HMAC-SHA256 (alg "HS256", nothing else:
 * "none", the other HMACs and every public-key algorithm are refused)
 * under one shared secret, SN_TOKEN_KEY, which the caller reads from the
 * environment and hands to sn_auth_open. Its claims are
 *   "sub"   the user name: 1..63 of A-Z a-z 0-9 . _ @ -
 *   "role"  the role: 1..31 of A-Z a-z 0-9 _ -
 *   "juris" the jurisdiction, an administrative division code of digits
 *           only: 6 digits a district, 9 a township, 12 a village
 *   "idn"   optional: the staff member's own resident identity number, so
 *           that a service can refuse a case in which the caller is a
 *           household member (design section 6); valid by sn/idnum.h
 *   "exp"   expiry, seconds since the Unix epoch (required)
 *   "iat"   issue time (written by sn_auth_issue, not required)
 *   "nbf"   not before (honoured when present)
 * The same character rules apply when issuing and when verifying, so a
 * principal read from a token can go into logs and SQL parameters as is.
 *
 * A division code nests by prefix: village 220103001002 lies in township
 * 220103001, which lies in district 220103. A principal acts only within
 * its jurisdiction: sn_auth_within.
 *
 * An sn_auth only holds a copy of the key and is never modified after
 * sn_auth_open, so every function here may be called from any thread.
 */
#ifndef SN_AUTH_H
#define SN_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "sn/err.h"

/* Shortest key sn_auth_open accepts: RFC 7518 asks for the hash size. */
#define SN_AUTH_KEY_MIN 32

/* Longest token accepted by sn_auth_verify, in bytes. */
#define SN_AUTH_TOKEN_MAX 4096

typedef struct sn_auth sn_auth;

/*
 * Who calls: plain NUL-terminated strings, valid by the rules above.
 * Callers embed it; it owns nothing.
 */
typedef struct sn_principal {
	char user[64];
	char role[32];
	char juris[16];
	char id_number[19]; /* "" when the token carries none */
} sn_principal;

/*
 * Opens a verifier and issuer holding a copy of key (SN_TOKEN_KEY, at
 * least SN_AUTH_KEY_MIN bytes: SN_EINVAL otherwise).
 */
sn_err sn_auth_open(sn_auth **out, const char *key);

/* Wipes the key copy and frees auth. NULL is a no-op. */
void sn_auth_close(sn_auth *auth);

/*
 * Checks the value of an Authorization header ("Bearer <token>"; the
 * scheme is case-insensitive) and fills out with its principal.
 * SN_EAUTH for anything else: NULL or missing token, another scheme, a
 * malformed token, a bad signature, an algorithm other than HS256, a
 * missing or malformed claim, an expired token or one not yet valid.
 * The reason is logged at debug level, never the token. out is written
 * only on SN_OK.
 */
sn_err sn_auth_verify(
    const sn_auth *auth, const char *authorization, sn_principal *out);

/*
 * Issues a token for p valid for ttl_s seconds (1 .. 366 days) from now.
 * On SN_OK *token is a malloc'd string the caller frees with free().
 * SN_EINVAL for a principal that breaks the rules above or a bad ttl,
 * SN_ENOMEM when libjwt fails.
 */
sn_err sn_auth_issue(
    const sn_auth *auth, const sn_principal *p, int64_t ttl_s, char **token);

/* True if p's fields follow the rules above. NULL is false. */
bool sn_auth_principal_valid(const sn_principal *p);

/* True if code is a division code: digits only, 6, 9 or 12 of them. */
bool sn_auth_juris_valid(const char *code);

/*
 * True if the division code lies within p's jurisdiction: code is a valid
 * division code at least as long as p->juris and starts with it. A
 * district principal reaches its townships and villages; a village
 * principal only its village. NULL for either is false.
 */
bool sn_auth_within(const sn_principal *p, const char *code);

/*
 * True if p's role is one of roles, a comma-separated list such as
 * "village,township" (spaces around names are ignored). NULL or an empty
 * list is false.
 */
bool sn_auth_has_role(const sn_principal *p, const char *roles);

#endif /* SN_AUTH_H */
