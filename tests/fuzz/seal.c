/*
 * fuzz_seal: sealed personal data (sn/seal.h): the sealed text a service
 * reads back from its tables (a restored or tampered database is outside
 * input too), and the keyring text of SN_SEAL_KEYS. The first input byte
 * picks the mode:
 *   0  the rest is a sealed value as stored: it must not open (nothing
 *      here holds the key it would need), and nothing may crash;
 *   1  the rest is a plain value (up to a NUL) and a byte position: it
 *      seals and opens back to itself, also under the next keyring (a new
 *      first key, the old one kept: rotation); it does not open under
 *      another column nor under a keyring without its key; with any one
 *      character changed it no longer opens; its blind index is 64
 *      lower-case hex digits, the same each time;
 *   2  the rest is a keyring: when sn_seal_open takes it, a value seals
 *      and opens under it.
 */
#include "sn/seal.h"
#include "fuzz.h"

#define K1                                                                    \
	"k1:"                                                                 \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define K2                                                                    \
	"k2:"                                                                 \
	"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
#define BLIND                                                                 \
	"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
#define COLUMN "intake.member.id_number"

static sn_seal *
sealer(int which)
{
	static sn_seal          *s[3];
	static const char *const rings[3]
	    = { K1 "\n", K2 "\n" K1 "\n", K2 "\n" };
	if (s[which] == NULL)
		FUZZ_CHECK(
		    sn_seal_open(&s[which], rings[which], BLIND) == SN_OK);
	return s[which];
}

static void
opens_to(const sn_seal *s, const char *column, const char *sealed,
    const char *plain)
{
	char  *out = NULL;
	sn_err err = sn_seal_open_text(s, column, sealed, &out);
	if (plain == NULL) {
		FUZZ_CHECK(err != SN_OK);
		return;
	}
	FUZZ_CHECK(err == SN_OK && strcmp(out, plain) == 0);
	free(out);
}

static void
round_trip(const uint8_t *data, size_t size)
{
	char  *plain  = fuzz_str(data, size);
	size_t n      = strlen(plain);
	size_t at     = n + 1 < size ? data[n + 1] : 0;
	char  *sealed = NULL;
	FUZZ_CHECK(sn_seal_text(sealer(0), COLUMN, plain, &sealed) == SN_OK);
	FUZZ_CHECK(strncmp(sealed, "sn1.k1.", 7) == 0);
	opens_to(sealer(0), COLUMN, sealed, plain);
	opens_to(sealer(1), COLUMN, sealed, plain); /* rotated: k1 kept */
	opens_to(sealer(2), COLUMN, sealed, NULL);  /* k1 gone */
	opens_to(sealer(0), "intake.payee.account_number", sealed, NULL);
	size_t len = strlen(sealed);
	at %= len;
	char was   = sealed[at];
	sealed[at] = (char) (was == 'A' ? 'B' : 'A');
	opens_to(sealer(0), COLUMN, sealed, NULL);
	free(sealed);
	char a[SN_SEAL_INDEX_HEX + 1], b[SN_SEAL_INDEX_HEX + 1];
	sn_seal_index(sealer(0), COLUMN, plain, a);
	sn_seal_index(sealer(1), COLUMN, plain, b);
	FUZZ_CHECK(strlen(a) == SN_SEAL_INDEX_HEX && strcmp(a, b) == 0);
	for (size_t i = 0; i < SN_SEAL_INDEX_HEX; i++)
		FUZZ_CHECK((a[i] >= '0' && a[i] <= '9')
		    || (a[i] >= 'a' && a[i] <= 'f'));
	free(plain);
}

static void
keyring(const uint8_t *data, size_t size)
{
	char    *ring = fuzz_str(data, size);
	sn_seal *s    = NULL;
	if (sn_seal_open(&s, ring, BLIND) == SN_OK) {
		char *sealed = NULL;
		FUZZ_CHECK(
		    sn_seal_text(s, COLUMN, "110101199003078515", &sealed)
		    == SN_OK);
		opens_to(s, COLUMN, sealed, "110101199003078515");
		free(sealed);
		sn_seal_close(s);
	}
	free(ring);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0: {
		char *sealed = fuzz_str(data + 1, size - 1);
		opens_to(sealer(0), COLUMN, sealed, NULL);
		opens_to(sealer(1), COLUMN, sealed, NULL);
		free(sealed);
		break;
	}
	case 1:
		round_trip(data + 1, size - 1);
		break;
	default:
		keyring(data + 1, size - 1);
		break;
	}
	return 0;
}
