#!/usr/bin/env bash
# tests/deploy/compose_db.sh SOURCE_DIR: the compose deployment's database
# setup, without Docker: deploy/compose/secrets.sh makes the secrets, the
# postgres image's two init scripts (init.sql, then role-passwords.sh)
# run against a private scram-sha-256 cluster (deploy/local/lib.sh), and
# each service then logs in with its own <service>-db-url secret (the host
# "postgres" replaced by the loopback), lands in its own schema, and is
# refused with another's password or none. The certificates secrets.sh made
# are checked against its CA and their names.
#
# tests/deploy/pg_auth.sh runs it on its own cluster (SN_DEPLOY_PG=shared
# with SN_PG_DIR, SN_PG_PORT, SN_TEST_DB_URL set); alone it starts one.
set -euo pipefail
root=${1:?usage: compose_db.sh SOURCE_DIR}
if [[ ${SN_DEPLOY_PG:-} != shared ]]; then
	unset SN_PG_DIR SN_PG_PORT SN_TEST_DB_URL PGPASSFILE SN_RUN_DIR SN_LOG_DIR
fi
unset PGPASSWORD
# shellcheck source=deploy/local/lib.sh
. "$root/deploy/local/lib.sh"
tmp=$(mktemp -d)
if [[ ${SN_DEPLOY_PG:-} == shared ]]; then
	trap 'rm -rf "$tmp"' EXIT
else
	trap 'sn_stop_all; rm -rf "$tmp"' EXIT
	SN_PG_PORT_BASE=${SN_PG_PORT_BASE:-57432} sn_pg_start
fi

sec="$tmp/secrets"
"$root/deploy/compose/secrets.sh" "$sec" >/dev/null
fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}
[[ $(stat -c %a "$sec") == 700 ]] || fail "secrets folder mode $(stat -c %a "$sec")"
[[ $(stat -c %a "$sec/tls/ca.key") == 600 ]] || fail "CA key mode not 600"
if "$root/deploy/compose/secrets.sh" "$sec" >/dev/null 2>&1; then
	fail "secrets.sh overwrote an existing folder"
fi

# The postgres image's init scripts, in its order, as the superuser.
_sn_psql -f "$root/deploy/compose/init.sql"
PGHOST=127.0.0.1 PGPORT=$SN_PG_PORT SN_COMPOSE_SECRETS=$sec \
	POSTGRES_USER=postgres POSTGRES_DB=safetynet \
	"$root/deploy/compose/role-passwords.sh"

services=(identity agency-sim intake verification investigation approval
	emergency bank-sim bank-gateway disbursement services console)
for svc in "${services[@]}"; do
	url=$(<"$sec/$svc-db-url")
	url=${url/host=postgres port=5432/host=127.0.0.1 port=$SN_PG_PORT}
	role=${svc//-/_}
	if ! out=$(env -u PGPASSFILE "$SN_PG_BIN/psql" -X -w -At -d "$url" \
		-c 'SELECT current_user, current_schema()' 2>&1); then
		fail "$svc cannot log in with its db-url secret: $out"
	elif [[ $out != "$role|$role" ]]; then
		fail "$svc logged in as user|schema '$out'"
	fi
	if out=$(env -u PGPASSFILE "$SN_PG_BIN/psql" -X -w -At -d \
		"host=127.0.0.1 port=$SN_PG_PORT user=$role dbname=safetynet" \
		-c 'SELECT 1' 2>&1); then
		fail "$svc logged in without a password"
	fi
	# The certificate: of our CA, naming the service (and no other).
	if ! openssl verify -CAfile "$sec/tls/ca.pem" -verify_hostname "$svc" \
		"$sec/tls/$svc.pem" >/dev/null 2>&1; then
		fail "$svc's certificate does not verify for the name $svc"
	fi
	if openssl verify -CAfile "$sec/tls/ca.pem" -verify_hostname \
		"$([[ $svc == intake ]] && echo approval || echo intake)" \
		"$sec/tls/$svc.pem" >/dev/null 2>&1; then
		fail "$svc's certificate verifies for another service's name"
	fi
done
# Another service's password does not open a role.
url=$(<"$sec/approval-db-url")
url=${url/host=postgres port=5432/host=127.0.0.1 port=$SN_PG_PORT}
if env -u PGPASSFILE "$SN_PG_BIN/psql" -X -w -At -d "${url/user=approval/user=intake}" \
	-c 'SELECT 1' >/dev/null 2>&1; then
	fail "intake logged in with approval's password"
fi
if ((fails)); then
	echo "$fails check(s) failed"
	exit 1
fi
echo "ok: ${#services[@]} roles log in with their compose secrets only; certificates name their services"
