/*
 * keys.h - the ES256 keys libcommon's unit tests sign and verify with.
 * Made for the tests and for nothing else.
 */
#ifndef SN_TEST_KEYS_H
#define SN_TEST_KEYS_H

/* The tests' key pair (tests/support/defaults.c has the
 * same): PKCS#8
 * private half, SubjectPublicKeyInfo public half. */
#define KEY                                                                   \
	"-----BEGIN PRIVATE KEY-----\n"                                       \
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg4oU7pNfAi1hKwTKm\n"  \
	"YC6nqdqfIXyC6DbcWkDNnVScUeuhRANCAATaJG2zrtyco/O35jaSs9Z1HzMy+pHj\n"  \
	"jnGSDZ0elUCMlvHuPGEBsfgu24ij23G1xUyGEM23U9DBIU3BsmXkf3ni\n"          \
	"-----END PRIVATE KEY-----\n"
#define PUB                                                                   \
	"-----BEGIN PUBLIC KEY-----\n"                                        \
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2iRts67cnKPzt+Y2krPWdR8zMvqR\n"  \
	"445xkg2dHpVAjJbx7jxhAbH4LtuIo9txtcVMhhDNt1PQwSFNwbJl5H954g==\n"      \
	"-----END PUBLIC KEY-----\n"
/* Its kid by `openssl pkey -pubin -outform DER | sha256sum | cut -c1-16`,
 * and its x and y by python3-jwt's ECAlgorithm.to_jwk. */
#define PUB_KID "f97adc7e88376a2b"
#define PUB_X "2iRts67cnKPzt-Y2krPWdR8zMvqR445xkg2dHpVAjJY"
#define PUB_Y "8e48YQGx-C7biKPbcbXFTIYQzbdT0MEhTcGyZeR_eeI"

/* Another P-256 key, in SEC1 form ("EC PRIVATE KEY"), and its public. */
#define KEY2                                                                  \
	"-----BEGIN EC PRIVATE KEY-----\n"                                    \
	"MHcCAQEEIBlEl80TvSVxGwv7dJ9Ym0FUslOO0J7EmJQ1Yti7dgZNoAoGCCqGSM49\n"  \
	"AwEHoUQDQgAExEDbdckqVGuYXgq6ZH+OsDiPjL8ij0YG2Vi5TWy7Yuv0oGTTJP5A\n"  \
	"WzqZGO0OsKg8L3pLnBBjqhl+vbOJZUuncQ==\n"                              \
	"-----END EC PRIVATE KEY-----\n"
#define PUB2                                                                  \
	"-----BEGIN PUBLIC KEY-----\n"                                        \
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExEDbdckqVGuYXgq6ZH+OsDiPjL8i\n"  \
	"j0YG2Vi5TWy7Yuv0oGTTJP5AWzqZGO0OsKg8L3pLnBBjqhl+vbOJZUuncQ==\n"      \
	"-----END PUBLIC KEY-----\n"
#endif /* SN_TEST_KEYS_H */
