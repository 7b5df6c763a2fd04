#!/usr/bin/env bash
# deploy/compose/role-passwords.sh: run once by the postgres image on a
# fresh volume (docker-entrypoint-initdb.d, after init.sql), as user
# postgres. Gives each service's role the password of its secret file
# /run/secrets/db-<service>-password (docker-compose.yml mounts them into
# the postgres container only; deploy/compose/secrets.sh writes them).
# (SN_COMPOSE_SECRETS names another folder, for tests/deploy.)
# psql reads each file itself (\set with backquotes), so no password is
# on a command line; the server stores the scram-sha-256 verifier.
set -euo pipefail
for svc in identity agency-sim intake verification investigation approval \
	emergency bank-sim bank-gateway disbursement supervision inspection-sim \
	services console; do
	role=${svc//-/_}
	file=${SN_COMPOSE_SECRETS:-/run/secrets}/db-$svc-password
	if [[ ! -r $file ]]; then
		echo "role-passwords.sh: $file is missing (run deploy/compose/secrets.sh)" >&2
		exit 1
	fi
	psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" \
		--dbname "${POSTGRES_DB:-safetynet}" --no-psqlrc -q <<SQL
SET password_encryption = 'scram-sha-256';
\\set pw \`cat $file\`
ALTER ROLE "$role" WITH LOGIN PASSWORD :'pw';
SQL
done
