#!/usr/bin/env bash
# tests/cli/cli.sh BINARY NAME: every service binary answers --help (the
# settings it reads, one per line, the common ones included), --version
# ("NAME VERSION") and --routes ("METHOD /pattern" lines), each with exit
# status 0 and without any setting in the environment; and refuses a
# private key as its token key (below).
set -uo pipefail
bin=$1 name=$2
fail() { printf 'cli %s: %s\n' "$name" "$*" >&2; exit 1; }

out=$(env -i "$bin" --help) || fail "--help exited $?"
for s in SN_DB_URL SN_HTTP_PORT SN_DISTRICT_UTC_OFFSET_MIN SN_LOG_LEVEL; do
	grep -q "^  $s " <<<"$out" || fail "--help does not list $s"
done
# Every line naming a setting names one SN_* variable and says something.
bad=$(grep -E '^  SN_' <<<"$out" | grep -vE '^  SN_[A-Z0-9_<>]+ +[^ ].*' || true)
[[ -z $bad ]] || fail "--help lines without a description: $bad"

ver=$(env -i "$bin" --version) || fail "--version exited $?"
[[ $ver =~ ^$name\ [^[:space:]]+$ ]] || fail "--version said '$ver'"

routes=$(env -i "$bin" --routes) || fail "--routes exited $?"
bad=$(grep -vE '^(GET|POST|PUT|PATCH|DELETE) /[^ ]*$' <<<"$routes" || true)
[[ -z $bad ]] || fail "--routes lines that are not METHOD /pattern: $bad"

# The token key (sn/auth.h): a service only verifies, so a private key in
# SN_TOKEN_PUBLIC_KEY, or anything but a P-256 public key, exits 2 naming
# the setting (never echoing it) before the database is touched. Required
# NNG URLs are filled in as the binary names them. The keys are the
# tests' own (tests/support/defaults.c).
priv='-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg4oU7pNfAi1hKwTKm
YC6nqdqfIXyC6DbcWkDNnVScUeuhRANCAATaJG2zrtyco/O35jaSs9Z1HzMy+pHj
jnGSDZ0elUCMlvHuPGEBsfgu24ij23G1xUyGEM23U9DBIU3BsmXkf3ni
-----END PRIVATE KEY-----'
pub='-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2iRts67cnKPzt+Y2krPWdR8zMvqR
445xkg2dHpVAjJbx7jxhAbH4LtuIo9txtcVMhhDNt1PQwSFNwbJl5H954g==
-----END PUBLIC KEY-----'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
envs=(SN_DB_URL="host=127.0.0.1 port=1 dbname=x connect_timeout=1"
	SN_HTTP_PORT=0 SN_IDENTITY_SIGNING_KEY="$priv"
	SN_SEAL_KEYS=t1:7a84fd2636dfde32de199e2fa68637e23614f448e2cd3c1e7730585fa8069043
	SN_BLIND_KEY=5f1c0e9a3b7d2468ace0f1357924680bdf13579bace02468fdb97531eca86420
	SN_INSPECTION_KEY=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0)
start() { timeout 20 env -i "${envs[@]}" "$@" "$bin" 2>&1 >/dev/null; }
for _ in $(seq 40); do
	got=$(start SN_TOKEN_PUBLIC_KEY="$priv")
	rc=$?
	url=$(grep -oE '^safetynet: SN_[A-Z0-9_]+_URL:' <<<"$got" | sed 's/^safetynet: //; s/:$//')
	[[ -n $url ]] || break
	# An HTTP peer's URL (bank-gateway's SN_BANK_ISO_URL) where the
	# message asks for one, an NNG URL otherwise.
	if [[ $got == *"https://"* ]]; then
		envs+=("$url=https://127.0.0.1:1/${url,,}")
	else
		envs+=("$url=ipc://$tmp/${url,,}")
	fi
done
[[ $rc == 2 && $got == *"SN_TOKEN_PUBLIC_KEY: expected a public key"* ]] ||
	fail "a private key in SN_TOKEN_PUBLIC_KEY: exit $rc, '$got'"
[[ $got != *MIGHAgEA* ]] || fail "the private key was echoed"
got=$(start SN_TOKEN_PUBLIC_KEY="0123456789abcdef0123456789abcdef-hs256")
rc=$?
[[ $rc == 2 && $got == *"SN_TOKEN_PUBLIC_KEY: expected a P-256 public key"* ]] ||
	fail "an HS256 secret in SN_TOKEN_PUBLIC_KEY: exit $rc, '$got'"
# The control: the public key passes that check (and the unreachable
# database stops the service later).
got=$(start SN_TOKEN_PUBLIC_KEY="$pub")
[[ $got != *SN_TOKEN_PUBLIC_KEY* ]] ||
	fail "the public key was refused: '$got'"

printf 'cli %s: --help (%d settings), --version (%s), --routes (%d)\n' \
	"$name" "$(grep -cE '^  SN_' <<<"$out")" "${ver#* }" \
	"$(grep -c . <<<"$routes")"
