/*
 * fuzz_identity: the bodies of identity's POST /users and PATCH
 * /users/{id} (a district administrator's user administration), read as
 * the http module reads bodies, decoded by identity_users_decode_new /
 * _decode_patch and judged by identity_rules_new_user / _patch. The
 * first input byte picks the body. Every refusal is a 4xx with a code;
 * an accepted user has a valid name and a kind that names back, and the
 * password accepted is the whole password sent.
 */
#include <jansson.h>

#include "fuzz.h"
#include "identity/rules.h"
#include "identity/users.h"

static const sn_principal ADMIN = { "admin", "district_admin", "220103", "" };

/* The password taken is the one sent: no byte after a "\u0000" lost. */
static void
whole_password(const json_t *b, const char *pw)
{
	const json_t *v = json_object_get(b, "password");
	FUZZ_CHECK(pw == NULL || strlen(pw) == json_string_length(v));
}

static void
create(const json_t *b)
{
	identity_new_user u;
	sn_problem        why;
	sn_problem_clear(&why);
	if (!identity_users_decode_new(b, &u, &why)
	    || !identity_rules_new_user(&u, &ADMIN, 20261203, &why)) {
		FUZZ_REFUSED(&why);
		return;
	}
	FUZZ_CHECK(identity_rules_username_valid(u.username));
	FUZZ_CHECK(identity_rules_role_valid(u.kind, u.role));
	identity_kind k;
	FUZZ_CHECK(
	    identity_rules_kind_parse(identity_rules_kind_name(u.kind), &k)
	    && k == u.kind);
	whole_password(b, u.password);
}

static void
patch(const json_t *b)
{
	identity_patch     p;
	identity_user_view cur = { .username = "clerk1",
		.display_name                = "Clerk One",
		.kind                        = IDENTITY_KIND_STAFF,
		.role                        = "clerk",
		.jurisdiction                = "220103001",
		.disabled                    = false,
		.failed_logins               = 3,
		.locked_until                = NULL };
	identity_change    out[IDENTITY_MAX_CHANGES];
	size_t             n = 0;
	sn_problem         why;
	sn_problem_clear(&why);
	if (!identity_users_decode_patch(b, &p, &why)
	    || !identity_rules_patch(&cur, &p, &ADMIN, out, &n, &why)) {
		FUZZ_REFUSED(&why);
		return;
	}
	FUZZ_CHECK(n <= IDENTITY_MAX_CHANGES);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(out[i].field != NULL);
	whole_password(b, p.password);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	json_t *b = fuzz_body(data + 1, size - 1);
	if (b == NULL)
		return 0;
	if (data[0] % 2 == 0)
		create(b);
	else
		patch(b);
	json_decref(b);
	return 0;
}
