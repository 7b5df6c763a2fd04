#!/usr/bin/env bash
# tests/deploy/compose_secrets.sh SOURCE_DIR: docker-compose.yml holds no
# secret value, puts every link on tls+tcp:// with each service's own
# certificate and publishes each service's API on the host's loopback only;
# the Dockerfile it builds pins its bases by digest, runs as the numeric
# user 10001 and carries the OCI labels (tests/deploy/compose_check.py, on
# the file and on what `docker-compose config` renders). Then the same
# check must fail on copies of the compose file or the Dockerfile into
# which one mistake was put, each with the finding that names it, so that
# the check is known to catch each kind.
set -euo pipefail
root=${1:?usage: compose_secrets.sh SOURCE_DIR}
check="$root/tests/deploy/compose_check.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The file as written and as docker-compose renders it.
docker-compose -f "$root/docker-compose.yml" --project-directory "$root" \
	config >"$tmp/rendered.yml"
python3 "$check" "$root/docker-compose.yml" "$tmp/rendered.yml"

# Each doctored copy: FILE (docker-compose.yml or Dockerfile), one sed
# expression on the real file, and the finding it must produce.
hex=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
b64=MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2iRts67cnKPzt
bad=(
	"docker-compose.yml	s|SN_SEAL_KEYS_FILE: /run/secrets/seal-keys|SN_SEAL_KEYS: k1:$hex|	32 or more hex digits"
	"docker-compose.yml	s|SN_TOKEN_PUBLIC_KEY_FILE: /run/secrets/token-public|SN_TOKEN_PUBLIC_KEY: $b64|	40 or more base64"
	"docker-compose.yml	s|SN_DB_URL_FILE: /run/secrets/intake-db-url|SN_DB_URL: host=postgres user=intake password=hunter2|	password= in a connection string"
	"docker-compose.yml	s|POSTGRES_HOST_AUTH_METHOD: scram-sha-256|POSTGRES_HOST_AUTH_METHOD: trust|	trust authentication"
	"docker-compose.yml	s|tls+tcp://intake:5555|tcp://intake:5555|	is not tls+tcp://"
	"docker-compose.yml	s|SN_TLS_CERT_FILE: /run/secrets/approval-cert|SN_TLS_CERT_FILE: /run/secrets/intake-cert|	approval: SN_TLS_CERT_FILE"
	"docker-compose.yml	s|SN_BLIND_KEY_FILE: /run/secrets/blind-key|SN_BLIND_KEY_FILE: /tmp/blind-key|	is not a compose secret"
	"docker-compose.yml	s|POSTGRES_PASSWORD_FILE: /run/secrets/postgres-password|POSTGRES_PASSWORD: hunter2|	POSTGRES_PASSWORD is given as a value"
	"docker-compose.yml	s|SN_IDENTITY_ADMIN_USER: admin|SN_IDENTITY_ADMIN_USER: admin\n      SN_IDENTITY_ADMIN_SECRET: \"\"|	SN_IDENTITY_ADMIN_SECRET is given as a value"
	"docker-compose.yml	s|\"127.0.0.1:8083:8080\"|\"8083:8080\"|	intake: port '8083:8080' is published on every address"
	"docker-compose.yml	s|\"127.0.0.1:8086:8080\"|\"0.0.0.0:8086:8080\"|	approval: port '0.0.0.0:8086:8080' is published on 0.0.0.0"
	"docker-compose.yml	s|\"127.0.0.1:8090:8080\"|\"127.0.0.1:8089:8080\"|	host port 8089 is also"
	"docker-compose.yml	/\"127.0.0.1:8091:8080\"/d	supervision: publishes its API 0 times"
	"docker-compose.yml	s|\"127.0.0.1:8081:8080\"|\"127.0.0.1:8081:8080\"\n      - \"127.0.0.1:5555:5555\"|	identity: port '127.0.0.1:5555:5555' publishes 5555"
	"docker-compose.yml	s|    image: postgres:15-bookworm|    image: postgres:15-bookworm\n    ports:\n      - \"127.0.0.1:5432:5432\"|	postgres: publishes a port"
	"docker-compose.yml	s|    image: safetynet/emergency:local|    image: safetynet/emergency:local\n    env_file: deploy/compose/emergency.env|	emergency: env_file"
	"docker-compose.yml	s|SN_INTAKE_HTTP_URL: https://intake:8080|SN_INTAKE_HTTP_URL: http://intake:8080|	console: SN_INTAKE_HTTP_URL=http://intake:8080 is not https://"
	"docker-compose.yml	/SN_SUPERVISION_HTTP_URL:/d	console: supervision is in SN_CONSOLE_SERVICES but SN_SUPERVISION_HTTP_URL is not set"
	"docker-compose.yml	s|SN_APPROVAL_HTTP_URL: https://approval:8080|SN_APPROVAL_HTTP_URL: https://intake:8080|	console: SN_APPROVAL_HTTP_URL=https://intake:8080, not https://approval:8080"
	"docker-compose.yml	s|\"127.0.0.1:8094:8080\"|\"8094:8080\"|	console: port '8094:8080' is published on every address"
	"docker-compose.yml	s|SN_TLS_KEY_FILE: /run/secrets/console-key|SN_TLS_KEY_FILE: /run/secrets/identity-key|	console: SN_TLS_KEY_FILE"
	"docker-compose.yml	s|SN_CONSOLE_ROOT: /usr/share/safetynet/console/web|SN_CONSOLE_ROOT: /usr/share/safetynet/console|	console: SN_CONSOLE_ROOT=/usr/share/safetynet/console, but the image carries"
	"Dockerfile	s|^FROM debian:bookworm-slim@sha256:[0-9a-f]*|FROM debian:bookworm-slim|	'FROM debian:bookworm-slim' is not pinned by digest"
	"Dockerfile	s| zlib1g-dev||	the build stage does not install zlib1g-dev"
	"Dockerfile	s|^FROM debian:bookworm@sha256:[0-9a-f]*|FROM debian:bookworm|	'FROM debian:bookworm AS build' is not pinned by digest"
	"Dockerfile	s|^USER 10001:10001|USER safetynet|	USER safetynet is not the numeric 10001:10001"
	"Dockerfile	s|^USER 10001:10001|USER 0|	USER 0 is not the numeric"
	"Dockerfile	/^USER /d	sets no USER"
	"Dockerfile	s|--uid 10001|--uid 999|	no useradd --uid 10001"
	"Dockerfile	/org.opencontainers.image.revision=/d	no label org.opencontainers.image.revision"
	"Dockerfile	s|image.source=\"\${SN_SOURCE}\"|image.source=\"unknown\"|	label org.opencontainers.image.source is not a build arg"
	"Dockerfile	/org.opencontainers.image.licenses=/d	no label org.opencontainers.image.licenses"
	"Dockerfile	s|^ARG SN_VERSION=.*|ARG SN_VERSION=9.9.9|	SN_VERSION defaults to 9.9.9"
)
# Each copy written, then all checked in one python process (--each, a
# compose file and the Dockerfile to read with it: the real Dockerfile for
# a compose copy, since a copy in $tmp has none beside it).
rc=0
pairs=()
for i in "${!bad[@]}"; do
	IFS=$'\t' read -r f expr _ <<<"${bad[$i]}"
	sed "$expr" "$root/$f" >"$tmp/bad-$i-$f"
	if cmp -s "$tmp/bad-$i-$f" "$root/$f"; then
		echo "FAIL: the test's edit '$expr' no longer applies to $f"
		rc=1
	elif [[ $f == Dockerfile ]]; then
		pairs+=("$root/docker-compose.yml:$tmp/bad-$i-$f")
	else
		pairs+=("$tmp/bad-$i-$f:$root/Dockerfile")
	fi
done
python3 "$check" --each "${pairs[@]}" >"$tmp/out" 2>&1 || true
for i in "${!bad[@]}"; do
	IFS=$'\t' read -r f expr want <<<"${bad[$i]}"
	if [[ $f == Dockerfile ]]; then
		pair="$root/docker-compose.yml:$tmp/bad-$i-$f"
	else
		pair="$tmp/bad-$i-$f:$root/Dockerfile"
	fi
	out=$(grep -F "$pair: " "$tmp/out" || true)
	if [[ -z $out ]] || grep -q -F "$pair: ok:" <<<"$out"; then
		echo "FAIL: the check passed $f edited with '$expr'"
		rc=1
	elif ! line=$(grep -m1 -F -- "$want" <<<"$out"); then
		echo "FAIL: $f edited with '$expr' failed, but not with '$want':"
		echo "$out"
		rc=1
	else
		echo "caught ($f: $expr): ${line#"$pair: "}"
	fi
done
exit $rc
