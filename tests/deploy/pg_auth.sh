#!/usr/bin/env bash
# tests/deploy/pg_auth.sh: the private cluster of deploy/local/lib.sh asks
# every connection for a password (scram-sha-256, never trust), and each
# service's role logs in with its own passfile only.
#
# Starts its own cluster (a free port of its own), so it runs beside the
# suite's; stops it on exit. Runs tests/deploy/compose_db.sh (the compose
# file's roles and passwords) on the same cluster first.
set -euo pipefail
root=${1:?usage: pg_auth.sh SOURCE_DIR}
# Not the suite's cluster: a new one.
unset SN_PG_DIR SN_PG_PORT SN_TEST_DB_URL PGPASSFILE PGPASSWORD SN_RUN_DIR \
	SN_LOG_DIR
export SN_KEEP_RUN_DIR=0
# shellcheck source=deploy/local/lib.sh
. "$root/deploy/local/lib.sh"
sn_traps
SN_PG_PORT_BASE=${SN_PG_PORT_BASE:-56432} sn_pg_start
# First the compose deployment's roles, on this cluster (one start, not
# two; its init.sql creates the roles), then the local run's, which take
# new passwords.
SN_DEPLOY_PG=shared bash "$root/tests/deploy/compose_db.sh" "$root"
sn_db_roles

fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}
psql_as() { # psql_as CONNINFO: exit status of SELECT current_user
	env -u PGPASSFILE "$SN_PG_BIN/psql" -X -w -At -d "$1" \
		-c 'SELECT current_user' 2>&1
}

# pg_hba.conf has no trust line and scram only.
hba="$SN_PG_DIR/data/pg_hba.conf"
if grep -Ev '^\s*(#|$)' "$hba" | grep -qwv scram-sha-256; then
	fail "pg_hba.conf has a line that is not scram-sha-256: $(grep -Ev '^\s*(#|$)' "$hba")"
fi
method=$(_sn_psql -At -c 'SHOW password_encryption')
[[ $method == scram-sha-256 ]] || fail "password_encryption is $method"

# The superuser: refused without a password, on TCP and the socket.
for host in 127.0.0.1 "$SN_PG_DIR"; do
	if out=$(psql_as "host=$host port=$SN_PG_PORT user=postgres dbname=safetynet passfile=/nonexistent"); then
		fail "superuser without a password accepted on $host: $out"
	fi
done
# ... and accepted with the passfile sn_pg_start wrote (mode 600).
out=$(psql_as "$SN_TEST_DB_URL") || fail "superuser with its passfile refused: $out"
mode=$(stat -c %a "$SN_PG_DIR/pgpass")
[[ $mode == 600 ]] || fail "superuser passfile mode $mode, not 600"

# Each service's role: its passfile works, nothing else does.
n=intake
url_var=SN_INTAKE_DB_URL
url=${!url_var}
[[ $url == *passfile=* ]] || fail "$url_var has no passfile: $url"
out=$(psql_as "$url") || fail "role $n with its passfile refused: $out"
[[ $out == "$n" ]] || fail "role $n connected as '$out'"
pass=${url##*passfile=}
pass=${pass%% *}
mode=$(stat -c %a "$pass")
[[ $mode == 600 ]] || fail "$pass mode $mode, not 600"
if out=$(psql_as "host=127.0.0.1 port=$SN_PG_PORT user=$n dbname=safetynet passfile=/nonexistent"); then
	fail "role $n without a password accepted: $out"
fi
# Another role's passfile does not open this role.
other="$(dirname "$pass")/db-approval.pgpass"
if out=$(psql_as "host=127.0.0.1 port=$SN_PG_PORT user=$n dbname=safetynet passfile=$other"); then
	fail "role $n accepted with approval's passfile: $out"
fi
# A wrong password is refused.
wrong=$(mktemp)
printf '*:*:*:%s:%s\n' "$n" not-the-password >"$wrong"
chmod 600 "$wrong"
if out=$(psql_as "host=127.0.0.1 port=$SN_PG_PORT user=$n dbname=safetynet passfile=$wrong"); then
	fail "role $n accepted with a wrong password: $out"
fi
rm -f "$wrong"
# The server keeps a scram verifier, never the password.
stored=$(_sn_psql -At -c "SELECT rolpassword FROM pg_authid WHERE rolname = '$n'")
[[ $stored == SCRAM-SHA-256\$* ]] || fail "role $n's stored password is not a scram verifier"

if ((fails)); then
	echo "$fails check(s) failed"
	exit 1
fi
echo "ok: scram-sha-256 only; superuser and role $n need their passfiles"
