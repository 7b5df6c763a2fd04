/*
 * sn/auth.h - bearer tokens for staff: who calls, in which role, and over
 * which part of the district (design section 7).
 *
 * A token is a JWT signed with ECDSA P-256 and SHA-256 (alg "ES256",
 * nothing else: "none", the HMACs - an HS256 token "signed" with the
 * public key's PEM text is the classic confusion attack -, RSA and the
 * other curves are refused before any signature is checked). Only the
 * identity service holds the private key (SN_IDENTITY_SIGNING_KEY) and
 * signs; every other service holds the public key (SN_TOKEN_PUBLIC_KEY)
 * and can only verify. The tests' tool sn-token signs with
 * SN_TOKEN_SIGNING_KEY. Its header is {"alg":"ES256","typ":"JWT","kid":K}:
 * "typ", when present, must be "JWT"; "kid", when present, must be the
 * verifying key's (sn_auth_kid); a "crit" header is refused. Its claims
 * are
 *   "sub"   the user name: 1..63 of A-Z a-z 0-9 . _ @ -
 *   "role"  the role: 1..31 of A-Z a-z 0-9 _ -
 *   "juris" the jurisdiction, an administrative division code of digits
 *           only: 6 digits a district, 9 a township, 12 a village
 *   "unit"  optional (issue 13): the organisation the user works for when
 *           it is not the district's own administration - a member
 *           department ("health") or a service-project partner
 *           ("p-first-street-elderly"): 1..47 of a-z 0-9 _ -; a role such
 *           as "department" or "partner" acts only for its unit
 *   "idn"   optional: the staff member's own resident identity number, so
 *           that a service can refuse a case in which the caller is a
 *           household member (design section 6); valid by sn/idnum.h
 *   "exp"   expiry, seconds since the Unix epoch (required, and at
 *           most SN_AUTH_TTL_MAX seconds from now: a token claiming to
 *           live longer than any issuer may issue is refused)
 *   "iat"   issue time (written by sn_auth_issue, not required)
 *   "nbf"   not before (honoured when present)
 * The same character rules apply when issuing and when verifying, so a
 * principal read from a token can go into logs and SQL parameters as is.
 *
 * A division code nests by prefix: village 220103001002 lies in township
 * 220103001, which lies in district 220103. A principal acts only within
 * its jurisdiction: sn_auth_within.
 *
 * Lifetimes: sn_auth_issue accepts 1 s .. SN_AUTH_TTL_MAX (366 days, for
 * tests and tools); the identity service issues short-lived tokens
 * (SN_IDENTITY_TOKEN_TTL_S, 15 minutes by default) and refreshes them.
 * A verifier refuses a token without exp, expired, not yet valid (nbf)
 * or expiring more than SN_AUTH_TTL_MAX from now.
 *
 * An sn_auth holds its keys, never modified after sn_auth_open, and the
 * tokens it verified lately (behind a lock), so every function here may
 * be called from any thread. A token verified before is served from that
 * cache only when it is the same token byte for byte and still unexpired.
 */
#ifndef SN_AUTH_H
#define SN_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "sn/err.h"

/* Longest lifetime sn_auth_issue gives and sn_auth_verify accepts. */
#define SN_AUTH_TTL_MAX (366 * 24 * 3600)

/* Longest PEM text sn_auth_open reads, in bytes. */
#define SN_AUTH_PEM_MAX 8192

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
	char unit[48];      /* "" when the token carries none */
} sn_principal;

/*
 * Opens a verifier from pem, the text of one P-256 key in PEM: a public
 * key ("PUBLIC KEY", SubjectPublicKeyInfo) verifies only; a private key
 * (PKCS#8 "PRIVATE KEY" or SEC1 "EC PRIVATE KEY", unencrypted) also
 * issues. SN_EINVAL for anything else (NULL, no PEM, an encrypted key,
 * RSA, another curve); SN_ENOMEM when out of memory.
 */
sn_err sn_auth_open(sn_auth **out, const char *pem);

/* Wipes the private key, if any, and frees auth. NULL is a no-op. */
void sn_auth_close(sn_auth *auth);

/* True if auth was opened on a private key and so can issue. */
bool sn_auth_can_issue(const sn_auth *auth);

/*
 * The key id written in the header of every token auth issues: the first
 * 16 hex digits of the SHA-256 of the public key's DER
 * (SubjectPublicKeyInfo), as
 *   openssl pkey -pubin -outform DER | sha256sum | cut -c1-16
 * prints it. Owned by auth.
 */
const char *sn_auth_kid(const sn_auth *auth);

/*
 * The public key as one JWK (RFC 7517/7518), owned by auth:
 *   {"kty":"EC","crv":"P-256","x":X,"y":Y,"kid":K,"alg":"ES256",
 *    "use":"sig"}
 * X and Y the coordinates, 32 bytes each in base64url without padding.
 * A JWKS is {"keys":[<this>]}.
 */
const char *sn_auth_jwk(const sn_auth *auth);

/* The public key in PEM ("PUBLIC KEY"), owned by auth. */
const char *sn_auth_public_pem(const sn_auth *auth);

/*
 * Checks the value of an Authorization header ("Bearer <token>"; the
 * scheme is case-insensitive) and fills out with its principal.
 * SN_EAUTH for anything else: NULL or missing token, another scheme, a
 * malformed token, a bad signature, an algorithm other than ES256,
 * another key's kid, a "typ" other than JWT, a "crit" header, a
 * missing or malformed claim, an expired token or one not yet valid.
 * The reason is logged at debug level, never the token. out is written
 * only on SN_OK.
 */
sn_err sn_auth_verify(
    sn_auth *auth, const char *authorization, sn_principal *out);

/* How many sn_auth_verify calls the cache of verified tokens answered. */
unsigned long sn_auth_verified_hits(const sn_auth *auth);

/*
 * Issues a token for p valid for ttl_s seconds (1 .. SN_AUTH_TTL_MAX)
 * from now, signed ES256 with kid sn_auth_kid(auth). On SN_OK *token is
 * a malloc'd string the caller frees with free(). SN_EDENIED when auth
 * holds only a public key; SN_EINVAL for a principal that breaks the
 * rules above or a bad ttl; SN_ENOMEM when libjwt fails.
 */
sn_err sn_auth_issue(
    const sn_auth *auth, const sn_principal *p, int64_t ttl_s, char **token);

/* True if p's fields follow the rules above. NULL is false. */
bool sn_auth_principal_valid(const sn_principal *p);

/* True if s is a unit: 1..47 of a-z 0-9 _ -. NULL is false. */
bool sn_auth_unit_valid(const char *s);

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
