/*
 * rules.h - identity's decisions as pure functions: what a user name and
 * a password may be, which roles each kind of account takes, the lockout
 * arithmetic of a login, whether a refresh token may be exchanged, and
 * what an administrator's change of a user amounts to (and whether it is
 * allowed). No I/O, no clock (now is a parameter), no allocation, no log;
 * any thread. Strings in and out are borrowed.
 */
#ifndef IDENTITY_RULES_H
#define IDENTITY_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/auth.h"
#include "sn/problem.h"

/* Longest display name, in code points. */
#define IDENTITY_DISPLAY_NAME_MAX 100
/* A password's length in bytes: at least 12 (issue 11), at most 128. */
#define IDENTITY_PASSWORD_MIN 12
#define IDENTITY_PASSWORD_MAX 128
/* Fields one change may touch (identity_rules_patch). */
#define IDENTITY_MAX_CHANGES 8

typedef enum identity_kind {
	IDENTITY_KIND_STAFF = 0,
	IDENTITY_KIND_SERVICE,
} identity_kind;

/* "staff" / "service" and back; false for anything else. */
bool        identity_rules_kind_parse(const char *s, identity_kind *out);
const char *identity_rules_kind_name(identity_kind k);

/* 1..63 of A-Z a-z 0-9 . _ @ - (the token's "sub"). NULL is false. */
bool identity_rules_username_valid(const char *s);

/*
 * The roles of a kind: staff take the district's staff roles (clerk,
 * investigator, village_reviewer, township_officer, emergency_officer,
 * district_officer, district_admin, finance, finance_approver); service
 * accounts take partner or department. NULL is false.
 */
bool identity_rules_role_valid(identity_kind kind, const char *role);

/*
 * True if role acts only for a unit and so requires one (issue 13):
 * department (a member department's account) and partner (a service
 * project partner's). NULL is false.
 */
bool identity_rules_role_needs_unit(const char *role);

/*
 * Whether a user of role may have unit (NULL: none): a unit is
 * 1..47 of a-z 0-9 _ - (sn_auth_unit_valid; 422 invalid_unit, "" too),
 * optional for every role and required for the roles that need one
 * (422 unit_required). Field "unit" either way.
 */
bool identity_rules_unit_ok(
    const char *role, const char *unit, sn_problem *why);

/*
 * The password policy: IDENTITY_PASSWORD_MIN..MAX bytes of valid UTF-8
 * without control characters, not the user name (case-insensitive), not
 * one character repeated. false with *why (422 weak_password or
 * invalid_password, field "password").
 */
bool identity_rules_password_ok(
    const char *password, const char *username, sn_problem *why);

/* ---- login ----------------------------------------------------------- */

typedef struct identity_lockout {
	int32_t max_failures; /* SN_IDENTITY_LOCKOUT_FAILURES, >= 1 */
	int64_t lock_s;       /* SN_IDENTITY_LOCKOUT_S, >= 1 */
} identity_lockout;

/* The account as the login finds it. */
typedef struct identity_login_state {
	bool    exists;
	bool    disabled;
	int32_t failed_logins;
	bool    has_locked_until;
	int64_t locked_until_s; /* Unix seconds */
} identity_login_state;

typedef enum identity_login_outcome {
	IDENTITY_LOGIN_OK = 0,
	IDENTITY_LOGIN_BAD,        /* unknown user or wrong password */
	IDENTITY_LOGIN_LOCKED,     /* locked before this attempt */
	IDENTITY_LOGIN_LOCKED_NOW, /* this failure locked the account */
	IDENTITY_LOGIN_DISABLED,   /* right password, disabled account */
} identity_login_outcome;

/* What the attempt leaves on the account (when it exists). */
typedef struct identity_login_result {
	identity_login_outcome outcome;
	bool                   write; /* the account's row changes */
	int32_t                failed_logins;
	bool                   has_locked_until;
	int64_t                locked_until_s;
} identity_login_result;

/*
 * One login attempt at now_s: a locked account (locked_until after now)
 * refuses even the right password and counts nothing; a lock that has
 * run out counts from zero again; a wrong password counts, and the
 * max_failures-th in a row locks the account for lock_s (the count then
 * starts again); the right password on an enabled account clears count
 * and lock. An unknown user changes nothing.
 */
void identity_rules_login(const identity_login_state *st, bool password_ok,
    int64_t now_s, const identity_lockout *cfg, identity_login_result *out);

/* The outcome's name as login_events records it ("ok", "bad_password",
 * "unknown_user" when !exists, "locked", "locked_now", "disabled"). */
const char *identity_rules_login_event(
    const identity_login_state *st, identity_login_outcome o);

/* ---- refresh ----------------------------------------------------------- */

typedef struct identity_refresh_state {
	bool    found;
	bool    used;    /* used_at set: exchanged once already */
	bool    revoked; /* revoked_at set: logged out or family revoked */
	int64_t expires_s;
	bool    user_disabled;
	bool    user_locked_until_set;
	int64_t user_locked_until_s;
} identity_refresh_state;

typedef enum identity_refresh_outcome {
	IDENTITY_REFRESH_OK = 0,
	IDENTITY_REFRESH_UNKNOWN,  /* no such token */
	IDENTITY_REFRESH_REUSED,   /* used or revoked: revoke the family */
	IDENTITY_REFRESH_EXPIRED,  /* past its expiry */
	IDENTITY_REFRESH_DISABLED, /* the user is disabled */
	IDENTITY_REFRESH_LOCKED,   /* the user is locked */
} identity_refresh_outcome;

identity_refresh_outcome identity_rules_refresh(
    const identity_refresh_state *st, int64_t now_s);

/* ---- users ------------------------------------------------------------- */

/* A user to create, as the request gives it. */
typedef struct identity_new_user {
	const char   *username;
	const char   *display_name;
	identity_kind kind;
	const char   *role;
	const char   *jurisdiction;
	const char   *unit;      /* NULL: none (identity_rules_unit_ok) */
	const char   *id_number; /* staff: required; service: must be NULL */
	const char   *password;
} identity_new_user;

/*
 * Whether admin may create u: user name, role for the kind, division
 * code within admin's jurisdiction (403 outside_jurisdiction), the unit
 * for the role (identity_rules_unit_ok), identity
 * number (staff only; sn/idnum.h with today_yyyymmdd), password policy.
 */
bool identity_rules_new_user(const identity_new_user *u,
    const sn_principal *admin, int today_yyyymmdd, sn_problem *why);

/* A user as a change sees it. */
typedef struct identity_user_view {
	const char   *username;
	const char   *display_name;
	identity_kind kind;
	const char   *role;
	const char   *jurisdiction;
	const char   *unit; /* NULL when none */
	bool          disabled;
	int32_t       failed_logins;
	const char   *locked_until; /* RFC 3339, or NULL when not set */
} identity_user_view;

/* A PATCH: NULL / false members are left as they are. */
typedef struct identity_patch {
	const char *display_name;
	const char *role;
	const char *jurisdiction;
	bool        has_unit; /* unit given: a code, or NULL to clear it */
	const char *unit;
	bool        has_disabled;
	bool        disabled;
	const char *password; /* a reset */
	bool        unlock;   /* clears the failure count and the lock */
} identity_patch;

/* One field that changes; values borrowed from the view, the patch or
 * static text. */
typedef struct identity_change {
	const char *field;
	const char *old_value;
	const char *new_value;
} identity_change;

/*
 * What admin's patch p does to cur: the fields that actually change
 * (*n of them, possibly none) in out. Refused: an empty patch (422
 * empty_patch), a role the kind does not take (422 invalid_role), a bad
 * division code (422 invalid_jurisdiction) or one outside admin's (403
 * outside_jurisdiction), a malformed unit or, when the patch gives a
 * role or a unit, a user left without the unit its role requires
 * (identity_rules_unit_ok; an account of such a role made before units
 * existed can still be disabled, renamed, reset or unlocked without
 * one), a weak password, changing one's own role (403
 * cannot_change_own_role) or disabling oneself (403 cannot_disable_self).
 * cur must be within admin's jurisdiction (the caller checks: 403).
 */
bool identity_rules_patch(const identity_user_view *cur,
    const identity_patch *p, const sn_principal *admin,
    identity_change out[IDENTITY_MAX_CHANGES], size_t *n, sn_problem *why);

#endif /* IDENTITY_RULES_H */
