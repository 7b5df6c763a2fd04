/*
 * The pure rules of identity, as tables: user names, the password
 * policy, roles per kind, the lockout arithmetic of a login, the refresh
 * decision, the unit a role requires, and an administrator's creation
 * and change of a user.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rules.h"
#include "sn/idnum.h"

#define NOW 1800000000

static void
usernames(void **state)
{
	static const struct {
		const char *s;
		bool        ok;
	} cases[] = {
		{ "admin", true }, { "a", true },
		{ "li.wei_01@220103-x", true }, { "", false },
		{ "has space", false }, { "semi;colon", false },
		{ "caf\xc3\xa9", false },
		{ "x1234567890123456789012345678901234567890123456789012345678"
		  "90"
		  "12",
		    true }, /* 63 */
		{ "x1234567890123456789012345678901234567890123456789012345678"
		  "90"
		  "123",
		    false }, /* 64 */
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (identity_rules_username_valid(cases[i].s) != cases[i].ok)
			fail_msg("username case %zu (%s)", i, cases[i].s);
	}
	assert_false(identity_rules_username_valid(NULL));
}

static void
passwords(void **state)
{
	static const struct {
		const char *pw;
		const char *code; /* NULL: accepted */
	} cases[] = {
		{ "correct horse battery", NULL },
		{ "123456789012", NULL },           /* exactly 12 */
		{ "12345678901", "weak_password" }, /* 11 */
		{ "", "weak_password" },
		{ "aaaaaaaaaaaaaaaa", "weak_password" },
		{ "Li.Wei.Clerk01", "weak_password" }, /* the user name */
		{ "tab\there-and-more", "invalid_password" },
		{ "bad utf8 \xff\xfe here", "invalid_password" },
		{ "p"
		  "12345678901234567890123456789012345678901234567890123456789"
		  "0"
		  "12345678901234567890123456789012345678901234567890123456789"
		  "0"
		  "1234567",
		    NULL }, /* 128 */
		{ "p"
		  "12345678901234567890123456789012345678901234567890123456789"
		  "0"
		  "12345678901234567890123456789012345678901234567890123456789"
		  "0"
		  "12345678",
		    "weak_password" }, /* 129 */
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_problem why;
		sn_problem_clear(&why);
		bool ok = identity_rules_password_ok(
		    cases[i].pw, "li.wei.clerk01", &why);
		if (ok != (cases[i].code == NULL))
			fail_msg("password case %zu: ok=%d", i, ok);
		if (!ok) {
			assert_string_equal(why.code, cases[i].code);
			assert_string_equal(why.field, "password");
			assert_int_equal(why.status, 422);
		}
	}
}

static void
roles(void **state)
{
	(void) state;
	assert_true(identity_rules_role_valid(IDENTITY_KIND_STAFF, "clerk"));
	assert_true(
	    identity_rules_role_valid(IDENTITY_KIND_STAFF, "district_admin"));
	assert_true(identity_rules_role_valid(
	    IDENTITY_KIND_STAFF, "finance_approver"));
	assert_false(
	    identity_rules_role_valid(IDENTITY_KIND_STAFF, "partner"));
	assert_true(
	    identity_rules_role_valid(IDENTITY_KIND_SERVICE, "partner"));
	assert_true(
	    identity_rules_role_valid(IDENTITY_KIND_SERVICE, "department"));
	assert_false(
	    identity_rules_role_valid(IDENTITY_KIND_SERVICE, "clerk"));
	assert_false(identity_rules_role_valid(IDENTITY_KIND_STAFF, "Clerk"));
	assert_false(identity_rules_role_valid(IDENTITY_KIND_STAFF, NULL));
	identity_kind k;
	assert_true(identity_rules_kind_parse("service", &k));
	assert_int_equal(k, IDENTITY_KIND_SERVICE);
	assert_false(identity_rules_kind_parse("robot", &k));
}

/* Issue 13: department and partner act only for their unit; every other
 * role may have one or none. */
static void
units(void **state)
{
	static const struct {
		const char *role;
		const char *unit;
		const char *code; /* NULL: accepted */
	} cases[] = {
		{ "department", "medical_insurance", NULL },
		{ "department", "human_resources", NULL },
		{ "partner", "first-street-social-work-station", NULL },
		{ "department", NULL, "unit_required" },
		{ "partner", NULL, "unit_required" },
		{ "hub", NULL, NULL },
		{ "hub", "city-hub", NULL },
		{ "clerk", NULL, NULL },
		{ "district_admin", NULL, NULL },
		{ "clerk", "education", NULL },
		{ "department", "", "invalid_unit" },
		{ "department", "Health", "invalid_unit" },
		{ "partner", "first street", "invalid_unit" },
		{ "clerk", "civil.affairs", "invalid_unit" },
		{ "department",
		    "x2345678901234567890123456789012345678901234567",
		    NULL }, /* 47 */
		{ "department",
		    "x23456789012345678901234567890123456789012345678",
		    "invalid_unit" }, /* 48 */
		{ "department", "\xe5\x8c\xbb\xe4\xbf\x9d", "invalid_unit" },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_problem why;
		sn_problem_clear(&why);
		bool ok = identity_rules_unit_ok(
		    cases[i].role, cases[i].unit, &why);
		if (ok != (cases[i].code == NULL))
			fail_msg("unit case %zu (%s, %s): ok=%d", i,
			    cases[i].role, cases[i].unit ? cases[i].unit : "-",
			    ok);
		if (!ok) {
			assert_string_equal(why.code, cases[i].code);
			assert_string_equal(why.field, "unit");
			assert_int_equal(why.status, 422);
		}
	}
	assert_true(identity_rules_role_needs_unit("department"));
	assert_true(identity_rules_role_needs_unit("partner"));
	assert_false(identity_rules_role_needs_unit("hub"));
	assert_false(identity_rules_role_needs_unit("clerk"));
	assert_false(identity_rules_role_needs_unit(NULL));
}

/* The lockout arithmetic: max 5 failures, 900 s. */
static void
login_table(void **state)
{
	static const identity_lockout cfg = { 5, 900 };
	static const struct {
		const char            *what;
		identity_login_state   st;
		bool                   pw_ok;
		identity_login_outcome want;
		bool                   write;
		int32_t                failed;
		bool                   locked;
		int64_t                until;
	} cases[] = {
		{ "unknown user", { false, false, 0, false, 0 }, false,
		    IDENTITY_LOGIN_BAD, false, 0, false, 0 },
		{ "unknown user, any password", { false, false, 0, false, 0 },
		    true, IDENTITY_LOGIN_BAD, false, 0, false, 0 },
		{ "right password", { true, false, 3, false, 0 }, true,
		    IDENTITY_LOGIN_OK, true, 0, false, 0 },
		{ "first failure", { true, false, 0, false, 0 }, false,
		    IDENTITY_LOGIN_BAD, true, 1, false, 0 },
		{ "fourth failure", { true, false, 3, false, 0 }, false,
		    IDENTITY_LOGIN_BAD, true, 4, false, 0 },
		{ "fifth failure locks", { true, false, 4, false, 0 }, false,
		    IDENTITY_LOGIN_LOCKED_NOW, true, 0, true, NOW + 900 },
		{ "locked: right password refused",
		    { true, false, 0, true, NOW + 1 }, true,
		    IDENTITY_LOGIN_LOCKED, false, 0, true, NOW + 1 },
		{ "locked: wrong password not counted",
		    { true, false, 0, true, NOW + 600 }, false,
		    IDENTITY_LOGIN_LOCKED, false, 0, true, NOW + 600 },
		{ "lock ran out: right password",
		    { true, false, 0, true, NOW }, true, IDENTITY_LOGIN_OK,
		    true, 0, false, 0 },
		{ "lock ran out: count starts again",
		    { true, false, 4, true, NOW - 5 }, false,
		    IDENTITY_LOGIN_BAD, true, 1, false, 0 },
		{ "disabled, right password", { true, true, 2, false, 0 },
		    true, IDENTITY_LOGIN_DISABLED, true, 0, false, 0 },
		{ "disabled, wrong password counts",
		    { true, true, 0, false, 0 }, false, IDENTITY_LOGIN_BAD,
		    true, 1, false, 0 },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		identity_login_result r;
		identity_rules_login(
		    &cases[i].st, cases[i].pw_ok, NOW, &cfg, &r);
		if (r.outcome != cases[i].want || r.write != cases[i].write
		    || (r.write
		        && (r.failed_logins != cases[i].failed
		            || r.has_locked_until != cases[i].locked
		            || (r.has_locked_until
		                && r.locked_until_s != cases[i].until))))
			fail_msg("login case '%s': outcome %d write %d failed "
			         "%d locked %d until %lld",
			    cases[i].what, r.outcome, r.write, r.failed_logins,
			    r.has_locked_until, (long long) r.locked_until_s);
	}
}

/* Five failures in a row from a fresh account lock it; one success in
 * between starts the count again. */
static void
login_sequence(void **state)
{
	static const identity_lockout cfg = { 5, 900 };
	identity_login_state          st  = { true, false, 0, false, 0 };
	identity_login_result         r;
	(void) state;
	for (int i = 0; i < 4; i++) {
		identity_rules_login(&st, false, NOW, &cfg, &r);
		assert_int_equal(r.outcome, IDENTITY_LOGIN_BAD);
		st.failed_logins = r.failed_logins;
	}
	identity_rules_login(&st, true, NOW, &cfg, &r);
	assert_int_equal(r.outcome, IDENTITY_LOGIN_OK);
	st.failed_logins = r.failed_logins;
	for (int i = 0; i < 5; i++) {
		identity_rules_login(&st, false, NOW + i, &cfg, &r);
		st.failed_logins    = r.failed_logins;
		st.has_locked_until = r.has_locked_until;
		st.locked_until_s   = r.locked_until_s;
	}
	assert_int_equal(r.outcome, IDENTITY_LOGIN_LOCKED_NOW);
	assert_int_equal(r.locked_until_s, NOW + 4 + 900);
	identity_rules_login(&st, true, NOW + 4 + 899, &cfg, &r);
	assert_int_equal(r.outcome, IDENTITY_LOGIN_LOCKED);
	identity_rules_login(&st, true, NOW + 4 + 900, &cfg, &r);
	assert_int_equal(r.outcome, IDENTITY_LOGIN_OK);
	/* a threshold of 1 locks at the first failure */
	static const identity_lockout one   = { 1, 60 };
	identity_login_state          fresh = { true, false, 0, false, 0 };
	identity_rules_login(&fresh, false, NOW, &one, &r);
	assert_int_equal(r.outcome, IDENTITY_LOGIN_LOCKED_NOW);
	assert_string_equal(
	    identity_rules_login_event(&fresh, r.outcome), "locked_now");
	fresh.exists = false;
	assert_string_equal(
	    identity_rules_login_event(&fresh, IDENTITY_LOGIN_BAD),
	    "unknown_user");
}

static void
refresh_table(void **state)
{
	static const struct {
		identity_refresh_state   st;
		identity_refresh_outcome want;
	} cases[] = {
		{ { false, false, false, NOW + 10, false, false, 0 },
		    IDENTITY_REFRESH_UNKNOWN },
		{ { true, false, false, NOW + 10, false, false, 0 },
		    IDENTITY_REFRESH_OK },
		{ { true, true, false, NOW + 10, false, false, 0 },
		    IDENTITY_REFRESH_REUSED },
		{ { true, false, true, NOW + 10, false, false, 0 },
		    IDENTITY_REFRESH_REUSED },
		{ { true, false, false, NOW, false, false, 0 },
		    IDENTITY_REFRESH_EXPIRED },
		{ { true, false, false, NOW + 10, true, false, 0 },
		    IDENTITY_REFRESH_DISABLED },
		{ { true, false, false, NOW + 10, false, true, NOW + 1 },
		    IDENTITY_REFRESH_LOCKED },
		{ { true, false, false, NOW + 10, false, true, NOW },
		    IDENTITY_REFRESH_OK },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (identity_rules_refresh(&cases[i].st, NOW) != cases[i].want)
			fail_msg("refresh case %zu", i);
}

static sn_principal
admin_of(const char *user, const char *juris)
{
	sn_principal p;
	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "%s", user);
	snprintf(p.role, sizeof(p.role), "district_admin");
	snprintf(p.juris, sizeof(p.juris), "%s", juris);
	return p;
}

static void
new_users(void **state)
{
	char first[] = "22010319800101011";
	char idn[19];
	memcpy(idn, first, 17);
	idn[17]                       = sn_idnum_check_char(first);
	idn[18]                       = '\0';
	sn_principal            admin = admin_of("admin", "220103");
	const identity_new_user ok = { "li.wei", "Li Wei", IDENTITY_KIND_STAFF,
		"clerk", "220103001", NULL, idn, "a long enough secret" };
	static const struct {
		int         what; /* which member breaks */
		const char *code;
		unsigned    status;
	} cases[] = {
		{ 0, NULL, 0 },
		{ 1, "invalid_username", 422 },
		{ 2, "invalid_role", 422 },
		{ 3, "invalid_jurisdiction", 422 },
		{ 4, "outside_jurisdiction", 403 },
		{ 5, "invalid_id_number", 422 },
		{ 6, "invalid_id_number", 422 },
		{ 7, "unexpected_id_number", 422 },
		{ 8, "weak_password", 422 },
		{ 9, NULL, 0 },
		{ 10, "unit_required", 422 },
		{ 11, "unit_required", 422 },
		{ 12, NULL, 0 },
		{ 13, "invalid_unit", 422 },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		identity_new_user u = ok;
		sn_problem        why;
		sn_problem_clear(&why);
		switch (cases[i].what) {
		case 1:
			u.username = "li wei";
			break;
		case 2:
			u.role = "partner";
			break;
		case 3:
			u.jurisdiction = "2201";
			break;
		case 4:
			u.jurisdiction = "220104001";
			break;
		case 5:
			u.id_number = NULL;
			break;
		case 6:
			u.id_number = "220103198001010110";
			break;
		case 7:
			u.kind = IDENTITY_KIND_SERVICE;
			u.role = "partner";
			u.unit = "first-street-social-work-station";
			break;
		case 8:
			u.password = "short";
			break;
		case 9:
			u.kind      = IDENTITY_KIND_SERVICE;
			u.role      = "department";
			u.unit      = "medical_insurance";
			u.id_number = NULL;
			break;
		case 10: /* a department without its unit */
			u.kind      = IDENTITY_KIND_SERVICE;
			u.role      = "department";
			u.id_number = NULL;
			break;
		case 11: /* a partner without its unit */
			u.kind      = IDENTITY_KIND_SERVICE;
			u.role      = "partner";
			u.id_number = NULL;
			break;
		case 12: /* staff may have a unit */
			u.unit = "education";
			break;
		case 13:
			u.unit = "Education";
			break;
		default:
			break;
		}
		bool got = identity_rules_new_user(&u, &admin, 20261201, &why);
		if (got != (cases[i].code == NULL))
			fail_msg("new user case %zu: ok=%d", i, got);
		if (!got) {
			assert_string_equal(why.code, cases[i].code);
			assert_int_equal(why.status, cases[i].status);
		}
	}
}

static void
patches(void **state)
{
	sn_principal             admin = admin_of("admin", "220103");
	const identity_user_view cur
	    = { "li.wei", "Li Wei", IDENTITY_KIND_STAFF, "clerk", "220103001",
		      NULL, false, 2, NULL };
	const identity_user_view self
	    = { "admin", "Admin", IDENTITY_KIND_STAFF, "district_admin",
		      "220103", NULL, false, 0, NULL };
	identity_change ch[IDENTITY_MAX_CHANGES];
	size_t          n;
	sn_problem      why;
	(void) state;

	identity_patch p = { .role = "investigator",
		.jurisdiction      = "220103002",
		.has_disabled      = true,
		.disabled          = true,
		.password          = "another long secret",
		.unlock            = true };
	assert_true(identity_rules_patch(&cur, &p, &admin, ch, &n, &why));
	assert_int_equal(n, 5);
	assert_string_equal(ch[0].field, "role");
	assert_string_equal(ch[0].old_value, "clerk");
	assert_string_equal(ch[0].new_value, "investigator");
	assert_string_equal(ch[1].field, "jurisdiction");
	assert_string_equal(ch[2].field, "disabled");
	assert_string_equal(ch[2].old_value, "false");
	assert_string_equal(ch[2].new_value, "true");
	assert_string_equal(ch[3].field, "password");
	assert_string_equal(ch[3].old_value, "");
	assert_string_equal(ch[3].new_value, "");
	assert_string_equal(ch[4].field, "locked_until");

	/* the same values: allowed, nothing changes */
	identity_patch same = { .display_name = "Li Wei", .role = "clerk" };
	assert_true(identity_rules_patch(&cur, &same, &admin, ch, &n, &why));
	assert_int_equal(n, 0);

	static const struct {
		identity_patch p;
		int            on_self;
		const char    *code;
		unsigned       status;
	} bad[] = {
		{ { 0 }, 0, "empty_patch", 422 },
		{ { .role = "partner" }, 0, "invalid_role", 422 },
		{ { .jurisdiction = "22010" }, 0, "invalid_jurisdiction",
		    422 },
		{ { .jurisdiction = "220199" }, 0, "outside_jurisdiction",
		    403 },
		{ { .password = "tooshort" }, 0, "weak_password", 422 },
		{ { .role = "clerk" }, 1, "cannot_change_own_role", 403 },
		{ { .has_disabled = true, .disabled = true }, 1,
		    "cannot_disable_self", 403 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sn_problem_clear(&why);
		if (identity_rules_patch(bad[i].on_self ? &self : &cur,
		        &bad[i].p, &admin, ch, &n, &why))
			fail_msg("bad patch %zu accepted", i);
		assert_string_equal(why.code, bad[i].code);
		assert_int_equal(why.status, bad[i].status);
	}
	/* an administrator may rename themselves and keep their role */
	identity_patch own
	    = { .display_name = "The Admin", .role = "district_admin" };
	assert_true(identity_rules_patch(&self, &own, &admin, ch, &n, &why));
	assert_int_equal(n, 1);
}

/* Issue 13: a patch that gives a role or a unit leaves the user with the
 * unit its role requires; the unit's changes are recorded. */
static void
unit_patches(void **state)
{
	sn_principal             admin = admin_of("admin", "220103");
	const identity_user_view clerk
	    = { "li.wei", "Li Wei", IDENTITY_KIND_STAFF, "clerk", "220103001",
		      NULL, false, 0, NULL };
	const identity_user_view dept
	    = { "yibao", "Medical insurance", IDENTITY_KIND_SERVICE,
		      "department", "220103", "health", false, 0, NULL };
	/* made before units existed */
	const identity_user_view old
	    = { "old.partner", "Old partner", IDENTITY_KIND_SERVICE, "partner",
		      "220103", NULL, false, 3, NULL };
	static const struct {
		const char    *what;
		int            user; /* 0 clerk, 1 dept, 2 old */
		identity_patch p;
		const char    *code; /* NULL: accepted */
		size_t         n;
		const char    *was, *now; /* the unit's change, if any */
	} cases[] = {
		{ "department: another unit", 1,
		    { .has_unit = true, .unit = "medical_insurance" }, NULL, 1,
		    "health", "medical_insurance" },
		{ "department: the same unit", 1,
		    { .has_unit = true, .unit = "health" }, NULL, 0, NULL,
		    NULL },
		{ "department: unit cleared", 1, { .has_unit = true },
		    "unit_required", 0, NULL, NULL },
		{ "department: malformed unit", 1,
		    { .has_unit = true, .unit = "Health" }, "invalid_unit", 0,
		    NULL, NULL },
		{ "department becomes partner, keeps its unit", 1,
		    { .role = "partner" }, NULL, 1, NULL, NULL },
		{ "department becomes hub, unit cleared", 1,
		    { .role = "hub", .has_unit = true }, NULL, 2, "health",
		    "" },
		{ "clerk: a unit given", 0,
		    { .has_unit = true, .unit = "education" }, NULL, 1, "",
		    "education" },
		{ "clerk: no unit, cleared again", 0, { .has_unit = true },
		    NULL, 0, NULL, NULL },
		{ "old partner: a role without a unit", 2,
		    { .role = "partner" }, "unit_required", 0, NULL, NULL },
		{ "old partner: its unit given", 2,
		    { .has_unit = true,
		        .unit   = "first-street-social-work-station" },
		    NULL, 1, "", "first-street-social-work-station" },
		{ "old partner: disabled without a unit", 2,
		    { .has_disabled = true, .disabled = true }, NULL, 1, NULL,
		    NULL },
		{ "old partner: unlocked without a unit", 2,
		    { .unlock = true }, NULL, 1, NULL, NULL },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const identity_user_view *u = cases[i].user == 0 ? &clerk
		    : cases[i].user == 1                         ? &dept
		                                                 : &old;
		identity_change           ch[IDENTITY_MAX_CHANGES];
		size_t                    n = 99;
		sn_problem                why;
		sn_problem_clear(&why);
		bool ok = identity_rules_patch(
		    u, &cases[i].p, &admin, ch, &n, &why);
		if (ok != (cases[i].code == NULL))
			fail_msg("'%s': ok=%d %s", cases[i].what, ok,
			    ok ? "" : why.code);
		if (!ok) {
			assert_string_equal(why.code, cases[i].code);
			assert_string_equal(why.field, "unit");
			assert_int_equal(why.status, 422);
			continue;
		}
		if (n != cases[i].n)
			fail_msg("'%s': %zu changes", cases[i].what, n);
		const identity_change *unit = NULL;
		for (size_t k = 0; k < n; k++)
			if (strcmp(ch[k].field, "unit") == 0)
				unit = &ch[k];
		if ((unit != NULL) != (cases[i].now != NULL)
		    || (unit != NULL
		        && (strcmp(unit->old_value, cases[i].was) != 0
		            || strcmp(unit->new_value, cases[i].now) != 0)))
			fail_msg("'%s': the unit's change", cases[i].what);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(usernames),
		cmocka_unit_test(passwords),
		cmocka_unit_test(roles),
		cmocka_unit_test(units),
		cmocka_unit_test(login_table),
		cmocka_unit_test(login_sequence),
		cmocka_unit_test(refresh_table),
		cmocka_unit_test(new_users),
		cmocka_unit_test(patches),
		cmocka_unit_test(unit_patches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
