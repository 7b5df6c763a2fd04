#include "sn/auth.h"
#include "sn/idnum.h"

#include <errno.h>
#include <jwt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sn/log.h"

#define TTL_MAX (366 * 24 * 3600)

struct sn_auth {
	size_t        keylen;
	unsigned char key[];
};

static bool
is_digit(char c)
{
	/* Not isdigit(): it follows the locale. */
	return c >= '0' && c <= '9';
}

static bool
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
valid_chars(const char *s, size_t max, const char *extra)
{
	size_t n;

	if (s == NULL)
		return false;
	for (n = 0; s[n] != '\0'; n++) {
		if (n >= max)
			return false;
		if (!is_alnum(s[n]) && strchr(extra, s[n]) == NULL)
			return false;
	}
	return n > 0;
}

static bool
valid_user(const char *s)
{
	return valid_chars(s, sizeof(((sn_principal *) 0)->user) - 1, "._@-");
}

static bool
valid_role(const char *s)
{
	return valid_chars(s, sizeof(((sn_principal *) 0)->role) - 1, "_-");
}

bool
sn_auth_juris_valid(const char *code)
{
	size_t n;

	if (code == NULL)
		return false;
	for (n = 0; code[n] != '\0'; n++) {
		if (n >= 12 || !is_digit(code[n]))
			return false;
	}
	return n == 6 || n == 9 || n == 12;
}

bool
sn_auth_principal_valid(const sn_principal *p)
{
	/* The fields are arrays: look for the NUL inside each before
	 * treating them as strings. */
	if (p == NULL || memchr(p->user, '\0', sizeof(p->user)) == NULL
	    || memchr(p->role, '\0', sizeof(p->role)) == NULL
	    || memchr(p->juris, '\0', sizeof(p->juris)) == NULL)
		return false;
	if (memchr(p->id_number, '\0', sizeof(p->id_number)) == NULL)
		return false;
	return valid_user(p->user) && valid_role(p->role)
	    && sn_auth_juris_valid(p->juris)
	    && (p->id_number[0] == '\0' || sn_idnum_valid(p->id_number));
}

sn_err
sn_auth_open(sn_auth **out, const char *key)
{
	sn_auth *a;
	size_t   n;

	*out = NULL;
	if (key == NULL || (n = strlen(key)) < SN_AUTH_KEY_MIN || n > INT_MAX)
		return SN_EINVAL;
	if ((a = malloc(sizeof(*a) + n)) == NULL)
		return SN_ENOMEM;
	a->keylen = n;
	memcpy(a->key, key, n);
	*out = a;
	return SN_OK;
}

void
sn_auth_close(sn_auth *auth)
{
	volatile unsigned char *k;

	if (auth == NULL)
		return;
	/* volatile so that the wipe is not optimised away before free. */
	k = auth->key;
	for (size_t i = 0; i < auth->keylen; i++)
		k[i] = 0;
	free(auth);
}

static sn_err
refuse(const char *why)
{
	sn_log(SN_LOG_DEBUG, "token refused", "reason", why, NULL);
	return SN_EAUTH;
}

/* Token characters: base64url plus the two dots. */
static bool
token_shape(const char *t, size_t n)
{
	size_t dots = 0;

	if (n == 0 || n > SN_AUTH_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '.')
			dots++;
		else if (!is_alnum(t[i]) && t[i] != '-' && t[i] != '_')
			return false;
	}
	return dots == 2;
}

static bool
copy_claim(char *dst, size_t cap, const char *src)
{
	size_t n;

	if (src == NULL || (n = strlen(src)) >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

sn_err
sn_auth_verify(
    const sn_auth *auth, const char *authorization, sn_principal *out)
{
	const char  *t;
	size_t       n;
	jwt_t       *jwt = NULL;
	sn_principal p;
	long         exp, nbf;
	time_t       now = time(NULL);
	sn_err       err;

	if (auth == NULL || authorization == NULL)
		return refuse("no authorization");
	if (strncasecmp(authorization, "Bearer ", 7) != 0)
		return refuse("not a bearer token");
	t = authorization + 7;
	while (*t == ' ')
		t++;
	n = strlen(t);
	while (n > 0 && t[n - 1] == ' ')
		n--;
	if (!token_shape(t, n))
		return refuse("malformed token");
	/* Trailing spaces were stripped above, so t[n] may be a space: give
	 * libjwt its own copy ending at the token. */
	{
		char copy[SN_AUTH_TOKEN_MAX + 1];

		memcpy(copy, t, n);
		copy[n] = '\0';
		if (jwt_decode(&jwt, copy, auth->key, (int) auth->keylen) != 0)
			return refuse("bad token or signature");
	}
	/* libjwt takes the algorithm from the token's own header: only the
	 * one we sign with is acceptable, whatever libjwt verified. */
	if (jwt_get_alg(jwt) != JWT_ALG_HS256) {
		err = refuse("algorithm is not HS256");
		goto out;
	}
	errno = 0;
	exp   = jwt_get_grant_int(jwt, "exp");
	if (errno != 0) {
		err = refuse("no exp");
		goto out;
	}
	if ((long long) exp <= (long long) now) {
		err = refuse("expired");
		goto out;
	}
	errno = 0;
	nbf   = jwt_get_grant_int(jwt, "nbf");
	if (errno == 0 && (long long) nbf > (long long) now) {
		err = refuse("not yet valid");
		goto out;
	}
	memset(&p, 0, sizeof(p));
	if (!copy_claim(p.user, sizeof(p.user), jwt_get_grant(jwt, "sub"))
	    || !copy_claim(p.role, sizeof(p.role), jwt_get_grant(jwt, "role"))
	    || !copy_claim(
	        p.juris, sizeof(p.juris), jwt_get_grant(jwt, "juris"))
	    || (jwt_get_grant(jwt, "idn") != NULL
	        && !copy_claim(p.id_number, sizeof(p.id_number),
	            jwt_get_grant(jwt, "idn")))
	    || !sn_auth_principal_valid(&p)) {
		err = refuse("bad claims");
		goto out;
	}
	*out = p;
	err  = SN_OK;
out:
	jwt_free(jwt);
	return err;
}

sn_err
sn_auth_issue(
    const sn_auth *auth, const sn_principal *p, int64_t ttl_s, char **token)
{
	jwt_t *jwt = NULL;
	char  *s;
	long   now = (long) time(NULL);
	sn_err err = SN_ENOMEM;

	*token = NULL;
	if (auth == NULL || !sn_auth_principal_valid(p) || ttl_s < 1
	    || ttl_s > TTL_MAX)
		return SN_EINVAL;
	if (jwt_new(&jwt) != 0)
		return SN_ENOMEM;
	if (jwt_set_alg(jwt, JWT_ALG_HS256, auth->key, (int) auth->keylen) != 0
	    || jwt_add_grant(jwt, "sub", p->user) != 0
	    || jwt_add_grant(jwt, "role", p->role) != 0
	    || jwt_add_grant(jwt, "juris", p->juris) != 0
	    || (p->id_number[0] != '\0'
	        && jwt_add_grant(jwt, "idn", p->id_number) != 0)
	    || jwt_add_grant_int(jwt, "iat", now) != 0
	    || jwt_add_grant_int(jwt, "exp", now + (long) ttl_s) != 0) {
		sn_log(SN_LOG_ERROR, "libjwt could not build a token", NULL);
		goto out;
	}
	if ((s = jwt_encode_str(jwt)) == NULL) {
		sn_log(SN_LOG_ERROR, "libjwt could not sign a token", NULL);
		goto out;
	}
	*token = s;
	err    = SN_OK;
out:
	jwt_free(jwt);
	return err;
}

bool
sn_auth_within(const sn_principal *p, const char *code)
{
	size_t n;

	if (p == NULL || code == NULL || !sn_auth_juris_valid(code)
	    || memchr(p->juris, '\0', sizeof(p->juris)) == NULL
	    || !sn_auth_juris_valid(p->juris))
		return false;
	n = strlen(p->juris);
	return strlen(code) >= n && memcmp(code, p->juris, n) == 0;
}

bool
sn_auth_has_role(const sn_principal *p, const char *roles)
{
	size_t rn;

	if (p == NULL || roles == NULL
	    || memchr(p->role, '\0', sizeof(p->role)) == NULL
	    || (rn = strlen(p->role)) == 0)
		return false;
	while (*roles != '\0') {
		const char *end;
		size_t      n;

		while (*roles == ' ' || *roles == ',')
			roles++;
		end = roles;
		while (*end != '\0' && *end != ',')
			end++;
		n = (size_t) (end - roles);
		while (n > 0 && roles[n - 1] == ' ')
			n--;
		if (n == rn && memcmp(roles, p->role, n) == 0)
			return true;
		roles = end;
	}
	return false;
}
