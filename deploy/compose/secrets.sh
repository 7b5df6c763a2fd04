#!/usr/bin/env bash
# deploy/compose/secrets.sh [FOLDER]: the secrets docker-compose.yml
# mounts, written to FOLDER (default deploy/compose/secrets, git-ignored),
# each file named as its compose secret:
#   tls/ca.pem, tls/ca.key      a local CA (the key never leaves this folder)
#   tls/NAME.pem, tls/NAME.key  a P-256 certificate per service (CN and
#                               DNS SAN = the compose service name), and
#                               "operator" for the admin tools
#   token-signing, token-public identity's ES256 key pair (PKCS#8, SPKI)
#   seal-keys, blind-key        SN_SEAL_KEYS ("k1:<64 hex>"), SN_BLIND_KEY
#   identity-admin-password     the district administrator's first password
#   postgres-password           the PostgreSQL superuser's
#   db-NAME-password            each service's role (for the postgres
#                               container's role-passwords.sh)
#   NAME-db-url                 each service's libpq string with that
#                               password (its SN_DB_URL_FILE)
# The folder is mode 700; the files 644, because compose (without swarm)
# bind-mounts them as they are and a container's non-root user must read
# its own. Refuses to overwrite an existing folder (the database volume
# keeps the passwords it was made with): remove it, and the volume
# (docker-compose down -v), to start over.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=deploy/local/lib.sh
. "$ROOT/deploy/local/lib.sh"

out=${1:-$ROOT/deploy/compose/secrets}
# Every service of docker-compose.yml (the compose service names).
services=(identity agency-sim intake verification investigation approval
	emergency bank-sim bank-gateway disbursement supervision inspection-sim
	services console)

if [[ -e $out ]]; then
	sn_die "$out exists; remove it (and the database volume: docker-compose down -v) to make new secrets"
fi
(umask 077 && mkdir -p "$out") || sn_die "cannot create $out"

sn_tls_make "$out/tls" "${services[@]}" operator ||
	sn_die "could not make the CA and certificates"
_sn_tls_key "$out/token-signing" || sn_die "could not make the signing key"
openssl pkey -in "$out/token-signing" -pubout -out "$out/token-public" \
	2>/dev/null || sn_die "could not write the token public key"
_sn_secret_file "$out/seal-keys" "k1:$(_sn_hex_key)"
_sn_secret_file "$out/blind-key" "$(_sn_hex_key)"
_sn_secret_file "$out/identity-admin-password" "$(_sn_hex_key 16)"
_sn_secret_file "$out/postgres-password" "$(_sn_hex_key)"
_sn_secret_file "$out/feed-key" "$(_sn_hex_key)"
_sn_secret_file "$out/inspection-key" "$(_sn_hex_key)"
for svc in "${services[@]}"; do
	pw=$(_sn_hex_key)
	_sn_secret_file "$out/db-$svc-password" "$pw"
	_sn_secret_file "$out/$svc-db-url" \
		"host=postgres port=5432 user=${svc//-/_} dbname=safetynet password=$pw"
done
rm -f "$out/tls/ca.cnf" "$out/tls/openssl.log"

# Readable by the containers' users; the CA's key stays private.
find "$out" -type f -exec chmod 644 {} +
chmod 600 "$out/tls/ca.key"
chmod 755 "$out/tls"
chmod 700 "$out"
sn_say "secrets for docker-compose.yml in $out (mode 700); identity's administrator: admin, password in $out/identity-admin-password"
