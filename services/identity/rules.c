/*
 * rules.c - identity's pure decisions; see rules.h.
 */
#include "rules.h"

#include <ctype.h>
#include <string.h>

#include "sn/idnum.h"
#include "sn/input.h"

static const char *const staff_roles[]
    = { "clerk", "investigator", "village_reviewer", "township_officer",
	      "emergency_officer", "district_officer", "district_admin",
	      "finance", "finance_approver", "supervisor", "inspector", NULL };
/* Issue 12: "hub" is a municipal hub reading supervision's feed. */
static const char *const service_roles[]
    = { "partner", "department", "hub", NULL };
/* Issue 13: these act only for their unit (sn/auth.h, claim "unit"). */
static const char *const unit_roles[] = { "department", "partner", NULL };

bool
identity_rules_kind_parse(const char *s, identity_kind *out)
{
	if (s == NULL)
		return false;
	if (strcmp(s, "staff") == 0)
		*out = IDENTITY_KIND_STAFF;
	else if (strcmp(s, "service") == 0)
		*out = IDENTITY_KIND_SERVICE;
	else
		return false;
	return true;
}

const char *
identity_rules_kind_name(identity_kind k)
{
	return k == IDENTITY_KIND_SERVICE ? "service" : "staff";
}

bool
identity_rules_username_valid(const char *s)
{
	size_t n = 0;
	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char) s[n];
		if (n == 63 || c > 127
		    || !(isalnum(c) || c == '.' || c == '_' || c == '@'
		        || c == '-'))
			return false;
	}
	return n >= 1;
}

static bool
in_list(const char *const *list, const char *s)
{
	if (s == NULL)
		return false;
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

bool
identity_rules_role_valid(identity_kind kind, const char *role)
{
	return in_list(
	    kind == IDENTITY_KIND_SERVICE ? service_roles : staff_roles, role);
}

bool
identity_rules_role_needs_unit(const char *role)
{
	return in_list(unit_roles, role);
}

bool
identity_rules_unit_ok(const char *role, const char *unit, sn_problem *why)
{
	if (unit != NULL && !sn_auth_unit_valid(unit))
		return sn_problem_set(why, 422, "invalid_unit", "unit",
		    "a unit is 1 to 47 of a-z 0-9 _ -");
	if (unit == NULL && identity_rules_role_needs_unit(role))
		return sn_problem_set(why, 422, "unit_required", "unit",
		    "a %s account acts only for its unit: give the code of "
		    "its department or partner",
		    role);
	return true;
}

static bool
same_ci(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (tolower((unsigned char) *a) != tolower((unsigned char) *b))
			return false;
	return *a == *b;
}

bool
identity_rules_password_ok(
    const char *password, const char *username, sn_problem *why)
{
	size_t len = password != NULL ? strlen(password) : 0;
	if (password == NULL || !sn_in_text_ok(password, false))
		return sn_problem_set(why, 422, "invalid_password", "password",
		    "a password is text without control characters");
	if (len < IDENTITY_PASSWORD_MIN || len > IDENTITY_PASSWORD_MAX)
		return sn_problem_set(why, 422, "weak_password", "password",
		    "a password has %d to %d bytes", IDENTITY_PASSWORD_MIN,
		    IDENTITY_PASSWORD_MAX);
	if (username != NULL && same_ci(password, username))
		return sn_problem_set(why, 422, "weak_password", "password",
		    "the password must not be the user name");
	size_t i = 1;
	while (i < len && password[i] == password[0])
		i++;
	if (i == len)
		return sn_problem_set(why, 422, "weak_password", "password",
		    "the password must not be one character repeated");
	return true;
}

/* ---- login ----------------------------------------------------------- */

void
identity_rules_login(const identity_login_state *st, bool password_ok,
    int64_t now_s, const identity_lockout *cfg, identity_login_result *out)
{
	memset(out, 0, sizeof(*out));
	if (!st->exists) {
		out->outcome = IDENTITY_LOGIN_BAD;
		return;
	}
	bool locked = st->has_locked_until && st->locked_until_s > now_s;
	/* Unchanged unless said otherwise below. */
	out->failed_logins    = st->failed_logins;
	out->has_locked_until = st->has_locked_until;
	out->locked_until_s   = st->locked_until_s;
	if (locked) {
		out->outcome = IDENTITY_LOGIN_LOCKED;
		return;
	}
	out->write = true;
	if (password_ok) {
		out->outcome          = st->disabled ? IDENTITY_LOGIN_DISABLED
		                                     : IDENTITY_LOGIN_OK;
		out->failed_logins    = 0;
		out->has_locked_until = false;
		out->locked_until_s   = 0;
		return;
	}
	/* A lock that ran out starts the count again. */
	int32_t before        = st->has_locked_until ? 0 : st->failed_logins;
	out->has_locked_until = false;
	out->locked_until_s   = 0;
	if (before + 1 >= cfg->max_failures) {
		out->outcome          = IDENTITY_LOGIN_LOCKED_NOW;
		out->failed_logins    = 0;
		out->has_locked_until = true;
		out->locked_until_s   = now_s + cfg->lock_s;
		return;
	}
	out->outcome       = IDENTITY_LOGIN_BAD;
	out->failed_logins = before + 1;
}

const char *
identity_rules_login_event(
    const identity_login_state *st, identity_login_outcome o)
{
	switch (o) {
	case IDENTITY_LOGIN_OK:
		return "ok";
	case IDENTITY_LOGIN_BAD:
		return st->exists ? "bad_password" : "unknown_user";
	case IDENTITY_LOGIN_LOCKED:
		return "locked";
	case IDENTITY_LOGIN_LOCKED_NOW:
		return "locked_now";
	case IDENTITY_LOGIN_DISABLED:
		return "disabled";
	}
	return "bad_password";
}

/* ---- refresh ----------------------------------------------------------- */

identity_refresh_outcome
identity_rules_refresh(const identity_refresh_state *st, int64_t now_s)
{
	if (!st->found)
		return IDENTITY_REFRESH_UNKNOWN;
	if (st->used || st->revoked)
		return IDENTITY_REFRESH_REUSED;
	if (st->expires_s <= now_s)
		return IDENTITY_REFRESH_EXPIRED;
	if (st->user_disabled)
		return IDENTITY_REFRESH_DISABLED;
	if (st->user_locked_until_set && st->user_locked_until_s > now_s)
		return IDENTITY_REFRESH_LOCKED;
	return IDENTITY_REFRESH_OK;
}

/* ---- users ------------------------------------------------------------- */

static bool
juris_ok(const char *code, const sn_principal *admin, sn_problem *why)
{
	if (!sn_auth_juris_valid(code))
		return sn_problem_set(why, 422, "invalid_jurisdiction",
		    "jurisdiction", "a division code: 6, 9 or 12 digits");
	if (!sn_auth_within(admin, code))
		return sn_problem_set(why, 403, "outside_jurisdiction",
		    "jurisdiction", "outside your jurisdiction");
	return true;
}

bool
identity_rules_new_user(const identity_new_user *u, const sn_principal *admin,
    int today_yyyymmdd, sn_problem *why)
{
	if (!identity_rules_username_valid(u->username))
		return sn_problem_set(why, 422, "invalid_username", "username",
		    "1 to 63 of A-Z a-z 0-9 . _ @ -");
	if (!identity_rules_role_valid(u->kind, u->role))
		return sn_problem_set(why, 422, "invalid_role", "role",
		    "not a role of a %s account",
		    identity_rules_kind_name(u->kind));
	if (!juris_ok(u->jurisdiction, admin, why)
	    || !identity_rules_unit_ok(u->role, u->unit, why))
		return false;
	if (u->kind == IDENTITY_KIND_SERVICE && u->id_number != NULL)
		return sn_problem_set(why, 422, "unexpected_id_number",
		    "id_number", "a service account has no identity number");
	if (u->kind == IDENTITY_KIND_STAFF
	    && (u->id_number == NULL
	        || sn_idnum_parse(u->id_number, strlen(u->id_number),
	               today_yyyymmdd, NULL)
	            != SN_OK))
		return sn_problem_set(why, 422, "invalid_id_number",
		    "id_number", "a staff member's resident identity number");
	return identity_rules_password_ok(u->password, u->username, why);
}

static void
add_change(identity_change *out, size_t *n, const char *field,
    const char *old_value, const char *new_value)
{
	out[*n] = (identity_change) { field, old_value, new_value };
	(*n)++;
}

static bool
changes(const char *now, const char *want)
{
	return want != NULL && strcmp(now, want) != 0;
}

/* The checks of a patch against the caller; false with *why. */
static bool
patch_allowed(const identity_user_view *cur, const identity_patch *p,
    const sn_principal *admin, sn_problem *why)
{
	bool self = strcmp(cur->username, admin->user) == 0;
	if (p->display_name == NULL && p->role == NULL
	    && p->jurisdiction == NULL && !p->has_unit && !p->has_disabled
	    && p->password == NULL && !p->unlock)
		return sn_problem_set(
		    why, 422, "empty_patch", NULL, "nothing to change");
	if (p->role != NULL && !identity_rules_role_valid(cur->kind, p->role))
		return sn_problem_set(why, 422, "invalid_role", "role",
		    "not a role of a %s account",
		    identity_rules_kind_name(cur->kind));
	if (p->jurisdiction != NULL && !juris_ok(p->jurisdiction, admin, why))
		return false;
	/* The role and the unit as the patch leaves them, checked when it
	 * gives either (see rules.h for accounts older than units). */
	if ((p->role != NULL || p->has_unit)
	    && !identity_rules_unit_ok(p->role != NULL ? p->role : cur->role,
	        p->has_unit ? p->unit : cur->unit, why))
		return false;
	if (p->password != NULL
	    && !identity_rules_password_ok(p->password, cur->username, why))
		return false;
	if (self && changes(cur->role, p->role))
		return sn_problem_set(why, 403, "cannot_change_own_role",
		    "role", "an administrator cannot change their own role");
	if (self && p->has_disabled && p->disabled)
		return sn_problem_set(why, 403, "cannot_disable_self",
		    "disabled", "an administrator cannot disable themselves");
	return true;
}

bool
identity_rules_patch(const identity_user_view *cur, const identity_patch *p,
    const sn_principal *admin, identity_change out[IDENTITY_MAX_CHANGES],
    size_t *n, sn_problem *why)
{
	*n = 0;
	if (!patch_allowed(cur, p, admin, why))
		return false;
	if (changes(cur->display_name, p->display_name))
		add_change(out, n, "display_name", cur->display_name,
		    p->display_name);
	if (changes(cur->role, p->role))
		add_change(out, n, "role", cur->role, p->role);
	if (changes(cur->jurisdiction, p->jurisdiction))
		add_change(out, n, "jurisdiction", cur->jurisdiction,
		    p->jurisdiction);
	const char *unit_was = cur->unit != NULL ? cur->unit : "";
	const char *unit_now = p->unit != NULL ? p->unit : "";
	if (p->has_unit && strcmp(unit_was, unit_now) != 0)
		add_change(out, n, "unit", unit_was, unit_now);
	if (p->has_disabled && p->disabled != cur->disabled)
		add_change(out, n, "disabled",
		    cur->disabled ? "true" : "false",
		    p->disabled ? "true" : "false");
	if (p->password != NULL)
		add_change(out, n, "password", "", "");
	if (p->unlock && (cur->locked_until != NULL || cur->failed_logins > 0))
		add_change(out, n, "locked_until",
		    cur->locked_until != NULL ? cur->locked_until : "", "");
	return true;
}
