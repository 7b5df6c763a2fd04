#!/usr/bin/env bash
# tests/deploy/port_race.sh SOURCE_DIR BUILD_DIR: a port taken between
# sn_services_start's pick and a service's bind (the flake of issue 10's
# runs) makes the start try again on other ports instead of failing.
#
# The race is made certain: the first pick of HTTP ports is handed the
# port PostgreSQL already listens on, so the first service cannot bind
# it. The start must still succeed, every service answering over HTTPS on
# a port other than that one, and the first service's log must show the
# failed bind.
set -euo pipefail
root=${1:?usage: port_race.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: port_race.sh SOURCE_DIR BUILD_DIR}
unset SN_PG_DIR SN_PG_PORT SN_TEST_DB_URL PGPASSFILE PGPASSWORD SN_RUN_DIR \
	SN_LOG_DIR
# shellcheck source=deploy/local/lib.sh
. "$root/deploy/local/lib.sh"
sn_traps
SN_PG_PORT_BASE=${SN_PG_PORT_BASE:-58432} sn_pg_start
sn_db_roles >/dev/null

# The second pick of a start is its HTTP ports (the first, its links').
eval "$(declare -f _sn_pick_ports | sed '1s/_sn_pick_ports/_sn_pick_ports_real/')"
picks=0
_sn_pick_ports() {
	_sn_pick_ports_real "$@" || return 1
	picks=$((picks + 1))
	if ((picks == 2)); then
		_SN_PICKED[0]=$SN_PG_PORT
	fi
}

SN_HTTP_PORT_BASE=${SN_HTTP_PORT_BASE:-28080} sn_services_start "$build"

fails=0
first=${_SN_SVC_NAMES[0]}
if ((picks < 4)); then
	echo "FAIL: the start did not try again ($picks port picks)"
	fails=1
fi
if ! grep -qi 'address in use\|address already in use\|failed to bind' \
	"$SN_LOG_DIR/$first.log"; then
	echo "FAIL: $first's log does not show the failed bind"
	fails=1
fi
for i in "${!_SN_SVC_NAMES[@]}"; do
	port=${_SN_SVC_PORTS[$i]}
	if [[ $port == "$SN_PG_PORT" ]]; then
		echo "FAIL: ${_SN_SVC_NAMES[$i]} kept the taken port"
		fails=1
	fi
	code=$(sn_http_status "$port" /readyz)
	if [[ $code != 200 ]]; then
		echo "FAIL: ${_SN_SVC_NAMES[$i]} on $port answers /readyz $code"
		fails=1
	fi
done
((fails == 0)) || exit 1
run=$SN_RUN_DIR
sn_stop_all 0 2>/dev/null
rm -rf "$run"
echo "ok: the raced port ($SN_PG_PORT) was given up; ${#_SN_SVC_NAMES[@]} services ready on the second try"
