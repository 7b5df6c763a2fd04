#!/usr/bin/env bash
# tests/deploy/ha_config.sh ROOT: deploy/ha/patroni.yml, rendered by
# deploy/ha/render as an operator would for one member, passes Patroni's
# own validator (patroni --validate-config), keeps synchronous_mode on
# and leaves no placeholder; render refuses a missing value and a value
# with a quote. The failover itself is deploy/local/ha (minutes: a
# documented command, not part of the suite).
set -euo pipefail
root=${1:?usage: ha_config.sh ROOT}
fail() { echo "ha_config: $*" >&2; exit 1; }
command -v patroni >/dev/null || fail "patroni is missing (Debian patroni: deploy/local/lib.sh sn_install_deps)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/data"
# As on a member (Patroni's validator refuses a loopback connect_address;
# nothing here is started or bound): db1.invalid is never resolved.
vars=(SN_HA_SCOPE=safetynet SN_HA_NAME=db1 SN_HA_LISTEN_ADDR=127.0.0.1
	SN_HA_CONNECT_ADDR=db1.invalid SN_HA_REST_PORT=8008 SN_HA_PG_PORT=5432
	SN_HA_ETCD_HOSTS=127.0.0.1:2379 SN_HA_TTL=30 SN_HA_LOOP_WAIT=10
	SN_HA_RETRY_TIMEOUT=10 SN_HA_DATA_DIR="$tmp/data"
	SN_HA_PGPASS="$tmp/pgpass" SN_HA_SOCKET_DIR="$tmp"
	SN_HA_SUPERUSER_PASSWORD=s3cret SN_HA_REPLICATION_PASSWORD=r3pl
	SN_HA_REWIND_PASSWORD=r3w SN_HA_MEMBERS_CIDR=127.0.0.1/32
	SN_HA_CLIENTS_CIDR=127.0.0.1/32)
env "${vars[@]}" "$root/deploy/ha/render" >"$tmp/patroni.yml" ||
	fail "render failed with every value set"
if grep -n '@[A-Z_]*@' "$tmp/patroni.yml"; then
	fail "placeholders left in the rendering"
fi
grep -q '^    synchronous_mode: true$' "$tmp/patroni.yml" ||
	fail "synchronous_mode: true is missing"
# The validator also asks etcd, which is not running here: that one
# complaint is expected, any other fails.
out=$(patroni --validate-config "$tmp/patroni.yml" 2>&1 || true)
rest=$(grep -v "^etcd3.hosts 127.0.0.1:2379 didn't pass validation: '127.0.0.1:2379 is not reachable'$" <<<"$out" || true)
[[ -z $rest ]] || fail "patroni --validate-config refused the rendering: $rest"
if env "${vars[@]/SN_HA_TTL=30/SN_HA_TTL=}" "$root/deploy/ha/render" >/dev/null 2>&1; then
	fail "render accepted an empty SN_HA_TTL"
fi
if env "${vars[@]}" SN_HA_SUPERUSER_PASSWORD='a"b' "$root/deploy/ha/render" >/dev/null 2>&1; then
	fail "render accepted a password with a quote"
fi
echo "ha_config: rendered, validated by patroni --validate-config, synchronous_mode on; render refuses a missing value and a quote"
