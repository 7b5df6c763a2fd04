/* supervision.pbjson: an event's JSON, by its descriptor alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pbjson.h"
#include "sn/assist/v1/case.pb-c.h"
#include "supervision.h"

#define KEYRING                                                               \
	"k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define BLIND                                                                 \
	"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"

static char *ids[]   = { "220103199001011237", "220103201001011234" };
static char *names[] = { "张三", "张小三" };

static void
fill(Sn__Assist__V1__BeneficiaryChanged *m, Sn__Assist__V1__PayeeAccount *p)
{
	sn__assist__v1__beneficiary_changed__init(m);
	sn__assist__v1__payee_account__init(p);
	m->beneficiary_id      = "b-1";
	m->category            = SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO;
	m->monthly_amount_fen  = 9007199254740993LL; /* beyond a double */
	m->head_id_number      = ids[0];
	m->head_name           = names[0];
	m->n_member_id_numbers = 2;
	m->member_id_numbers   = ids;
	m->n_member_names      = 2;
	m->member_names        = names;
	p->account_number      = "6222020200112233445";
	p->account_name        = names[0];
	m->payee               = p;
}

static void
test_clear(void **state)
{
	Sn__Assist__V1__BeneficiaryChanged m;
	Sn__Assist__V1__PayeeAccount       p;
	json_t                            *j = NULL;

	(void) state;
	fill(&m, &p);
	assert_int_equal(supervision_pbjson(&m.base, NULL, NULL, &j), SN_OK);
	assert_string_equal(json_string_value(json_object_get(j, "category")),
	    "CATEGORY_DIBAO");
	assert_true(
	    json_integer_value(json_object_get(j, "monthly_amount_fen"))
	    == 9007199254740993LL);
	assert_int_equal(
	    json_array_size(json_object_get(j, "member_id_numbers")), 2);
	/* Every field is present, defaults too; an unset message is null. */
	assert_non_null(json_object_get(j, "until_month"));
	assert_true(json_is_null(json_object_get(j, "household")));
	assert_string_equal(
	    json_string_value(json_object_get(j, "head_id_number")), ids[0]);
	json_decref(j);
}

static void
test_sealed(void **state)
{
	Sn__Assist__V1__BeneficiaryChanged m;
	Sn__Assist__V1__PayeeAccount       p;
	sn_seal                           *s = NULL;
	sn_pgarray                         persons;
	json_t                            *j    = NULL;
	char                              *open = NULL;
	char                               idx[SN_SEAL_INDEX_HEX + 1];

	(void) state;
	fill(&m, &p);
	assert_int_equal(sn_seal_open(&s, KEYRING, BLIND), SN_OK);
	sn_pgarray_init(&persons);
	assert_int_equal(supervision_pbjson(&m.base, s, &persons, &j), SN_OK);
	const char *head
	    = json_string_value(json_object_get(j, "head_id_number"));
	assert_non_null(head);
	assert_null(strstr(head, "220103"));
	assert_int_equal(
	    sn_seal_open_text(s, SUPERVISION_PERSON_COLUMN, head, &open),
	    SN_OK);
	assert_string_equal(open, ids[0]);
	free(open);
	const char *acct = json_string_value(
	    json_object_get(json_object_get(j, "payee"), "account_number"));
	assert_int_equal(
	    sn_seal_open_text(s, SUPERVISION_ACCOUNT_COLUMN, acct, &open),
	    SN_OK);
	assert_string_equal(open, "6222020200112233445");
	free(open);
	/* Names stay (in clear by design); the head and both members are
	 * indexed: three identity numbers, two distinct persons. */
	assert_string_equal(
	    json_string_value(json_object_get(j, "head_name")), names[0]);
	assert_int_equal(persons.n, 3);
	sn_seal_index(s, SUPERVISION_PERSON_COLUMN, ids[1], idx);
	assert_non_null(strstr(sn_pgarray_text(&persons), idx));
	sn_pgarray_fini(&persons);
	json_decref(j);
	sn_seal_close(s);
}

static void
test_kinds(void **state)
{
	(void) state;
	assert_int_equal(
	    supervision_pbjson_kind("id_number"), SUPERVISION_PBJSON_PERSON);
	assert_int_equal(supervision_pbjson_kind("member_id_numbers"),
	    SUPERVISION_PBJSON_PERSON);
	assert_int_equal(supervision_pbjson_kind("account_number"),
	    SUPERVISION_PBJSON_ACCOUNT);
	assert_int_equal(
	    supervision_pbjson_kind("account_name"), SUPERVISION_PBJSON_NAME);
	assert_int_equal(
	    supervision_pbjson_kind("address"), SUPERVISION_PBJSON_ADDRESS);
	assert_int_equal(supervision_pbjson_kind("beneficiary_id"),
	    SUPERVISION_PBJSON_PLAIN);
	assert_int_equal(
	    supervision_pbjson_kind("username"), SUPERVISION_PBJSON_PLAIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_sealed),
		cmocka_unit_test(test_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
