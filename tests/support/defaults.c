/*
 * defaults.c - the settings every service a test starts gets (see
 * th_default_env in harness.h): keys made for the tests and for nothing
 * else. They are in the tree on purpose; no deployment uses them
 * (deploy/local makes its own at each run).
 */
#include <stddef.h>

#include "harness.h"

/* The token signing key pair of the tests (ES256, P-256): the private
 * half signs test tokens (sn_auth_open on th_token_private_pem), the
 * public half is what every service verifies with. */
#define TH_TOKEN_PUBLIC_PEM                                                   \
	"-----BEGIN PUBLIC KEY-----\n"                                        \
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2iRts67cnKPzt+Y2krPWdR8zMvqR\n"  \
	"445xkg2dHpVAjJbx7jxhAbH4LtuIo9txtcVMhhDNt1PQwSFNwbJl5H954g==\n"      \
	"-----END PUBLIC KEY-----\n"

const char th_token_private_pem[]
    = "-----BEGIN PRIVATE KEY-----\n"
      "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg4oU7pNfAi1hKwTKm\n"
      "YC6nqdqfIXyC6DbcWkDNnVScUeuhRANCAATaJG2zrtyco/O35jaSs9Z1HzMy+pHj\n"
      "jnGSDZ0elUCMlvHuPGEBsfgu24ij23G1xUyGEM23U9DBIU3BsmXkf3ni\n"
      "-----END PRIVATE KEY-----\n";

const char th_token_public_pem[] = TH_TOKEN_PUBLIC_PEM;

const char *const th_default_env[] = {
	/* bearer tokens (sn/auth.h): every service verifies with the public
	 * half; tests mint with th_token_private_pem */
	"SN_TOKEN_PUBLIC_KEY=" TH_TOKEN_PUBLIC_PEM,
	/* personal data sealing (sn/seal.h): two keys, so rotation is
	 * exercised: "t2" seals, "t1" still opens */
	"SN_SEAL_KEYS=t2:"
	"cb3316d0a1fba3eff4aaf518b56aebabbdca30894d2e2d7b28d8b3452ed8f27e\n"
	"t1:7a84fd2636dfde32de199e2fa68637e23614f448e2cd3c1e7730585fa8069043",
	"SN_BLIND_KEY="
	"5f1c0e9a3b7d2468ace0f1357924680bdf13579bace02468fdb97531eca86420",
	/* supervision's hub feed: the master key of the hubs' pseudonyms */
	"SN_SUPERVISION_FEED_KEY="
	"9e3779b97f4a7c15f39cc0605cedc8341082276bf3a27251f86c6a11d0c18e95",
	NULL,
};
