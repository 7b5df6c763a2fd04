#!/usr/bin/env bash
# tests/deploy/compose_secrets.sh SOURCE_DIR: docker-compose.yml holds no
# secret value and puts every link on tls+tcp:// with each service's own
# certificate (tests/deploy/compose_check.py, on the file and on what
# `docker-compose config` renders); then the same check must fail on
# copies of the file into which a secret or a plain link was put, so that
# the check is known to catch them.
set -euo pipefail
root=${1:?usage: compose_secrets.sh SOURCE_DIR}
check="$root/tests/deploy/compose_check.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The file as written and as docker-compose renders it.
docker-compose -f "$root/docker-compose.yml" --project-directory "$root" \
	config >"$tmp/rendered.yml"
python3 "$check" "$root/docker-compose.yml" "$tmp/rendered.yml"

# check FILE: the doctored copies, read by the checker itself.
check() { python3 "$check" "$1"; }

# Each doctored copy: one sed expression on the real file.
hex=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
b64=MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2iRts67cnKPzt
bad=(
	"s|SN_SEAL_KEYS_FILE: /run/secrets/seal-keys|SN_SEAL_KEYS: k1:$hex|"
	"s|SN_TOKEN_PUBLIC_KEY_FILE: /run/secrets/token-public|SN_TOKEN_PUBLIC_KEY: $b64|"
	"s|SN_DB_URL_FILE: /run/secrets/intake-db-url|SN_DB_URL: host=postgres user=intake password=hunter2|"
	"s|POSTGRES_HOST_AUTH_METHOD: scram-sha-256|POSTGRES_HOST_AUTH_METHOD: trust|"
	"s|tls+tcp://intake:5555|tcp://intake:5555|"
	"s|SN_TLS_CERT_FILE: /run/secrets/approval-cert|SN_TLS_CERT_FILE: /run/secrets/intake-cert|"
	"s|SN_BLIND_KEY_FILE: /run/secrets/blind-key|SN_BLIND_KEY_FILE: /tmp/blind-key|"
)
rc=0
for expr in "${bad[@]}"; do
	sed "$expr" "$root/docker-compose.yml" >"$tmp/bad.yml"
	if cmp -s "$tmp/bad.yml" "$root/docker-compose.yml"; then
		echo "FAIL: the test's edit '$expr' no longer applies to docker-compose.yml"
		rc=1
	elif out=$(check "$tmp/bad.yml" 2>&1); then
		echo "FAIL: the check passed a compose file edited with '$expr'"
		rc=1
	else
		echo "caught ($expr): $(grep -m1 FAIL <<<"$out")"
	fi
done
exit $rc
