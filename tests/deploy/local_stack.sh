#!/usr/bin/env bash
# tests/deploy/local_stack.sh SOURCE_DIR BUILD_DIR: the local stack of
# deploy/local/lib.sh, started from BUILD_DIR's services on a cluster of
# its own.
#
# 1. A port taken between sn_services_start's pick and a service's bind
#    (the flake of issue 10's runs) makes the start try again on other
#    ports instead of failing. The race is made certain: the first pick of
#    HTTP ports is handed the port PostgreSQL already listens on, so the
#    first service cannot bind it. The start must still succeed, every
#    service answering over HTTPS (checked against the run's CA) on
#    another port, and the first service's log must show the failed bind.
# 2. The links are mutual TLS with the run's certificates: intake's PUB
#    socket completes a handshake with the operator's certificate and
#    presents a certificate that verifies for the name "intake"; it
#    refuses a client with no certificate or with one of another CA, and
#    does not verify as "approval". The followers adopt their publishers'
#    epochs over the replay links (the streams flow over TLS).
# 3. The bank (issue 14): bank-sim has no bank protocol link of its own
#    (bank-gateway alone is the bank's SN_BANK_URL); its ISO 20022 routes answer bank-gateway's
#    certificate (the local CA is its SN_HTTP_CLIENT_CA_FILE) and refuse a
#    caller without one.
set -euo pipefail
root=${1:?usage: local_stack.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: local_stack.sh SOURCE_DIR BUILD_DIR}
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

# 2. TLS on intake's PUB socket, with openssl s_client as the peer.
tls="$SN_SECRETS_DIR/tls"
for e in "${_SN_LINK_ENVS[@]}"; do
	[[ $e == SN_INTAKE_PUB_URL=* ]] && pub=${e##*:}
done
sn_tls_make "$SN_RUN_DIR/rogue" operator # another CA, same name
# probe NAME EXPECT [s_client args...]: EXPECT ok or refused.
probe() {
	local name=$1 expect=$2 got=refused
	shift 2
	if timeout 10 openssl s_client -connect "127.0.0.1:$pub" \
		-CAfile "$tls/ca.pem" -verify_return_error -brief "$@" \
		</dev/null >"$SN_RUN_DIR/probe.out" 2>&1 &&
		grep -q '^Verification: OK' "$SN_RUN_DIR/probe.out"; then
		got=ok
	fi
	if [[ $got != "$expect" ]]; then
		echo "FAIL: TLS to intake's PUB $name: $got, expected $expect:"
		sed 's/^/    /' "$SN_RUN_DIR/probe.out" | head -n 8
		fails=1
	else
		echo "TLS to intake's PUB $name: $got"
	fi
}
probe "with the operator's certificate" ok \
	-cert "$tls/operator.pem" -key "$tls/operator.key" -verify_hostname intake
probe "without a certificate" refused -verify_hostname intake
probe "with a certificate of another CA" refused \
	-cert "$SN_RUN_DIR/rogue/operator.pem" \
	-key "$SN_RUN_DIR/rogue/operator.key" -verify_hostname intake
probe "expecting it to be approval" refused \
	-cert "$tls/operator.pem" -key "$tls/operator.key" -verify_hostname approval
# The followers' replay over TLS: each adopts its publishers' epochs.
deadline=$((SECONDS + 30))
while :; do
	n=$(cat "$SN_LOG_DIR"/*.log | grep -c '"stream epoch adopted"' || true)
	((n >= 5 || SECONDS >= deadline)) && break
	sleep 1
done
if ((n < 5)); then
	echo "FAIL: only $n streams adopted an epoch over the TLS links in 30 s"
	fails=1
fi

# 3. The bank.
for e in "${_SN_LINK_ENVS[@]}"; do
	if [[ $e == SN_BANK_SIM_REP_URL=* ]]; then
		echo "FAIL: bank-sim has a bank protocol link: $e"
		fails=1
	fi
done
for i in "${!_SN_SVC_NAMES[@]}"; do
	[[ ${_SN_SVC_NAMES[$i]} == bank-sim ]] && bank_port=${_SN_SVC_PORTS[$i]}
done
# iso CERT...: the status of GET pain.002 of an unknown MsgId.
iso() {
	curl -sS -o /dev/null -w '%{http_code}' --max-time 10 \
		--cacert "$tls/ca.pem" "$@" \
		"https://127.0.0.1:${bank_port:-0}/iso20022/pain.002/NO-SUCH-MSG"
}
code=$(iso --cert "$tls/bank-gateway.pem" --key "$tls/bank-gateway.key")
if [[ $code != 404 ]]; then
	echo "FAIL: bank-sim's ISO route answers bank-gateway's certificate $code, expected 404"
	fails=1
fi
code=$(iso)
if [[ $code != 403 ]]; then
	echo "FAIL: bank-sim's ISO route answers no certificate $code, expected 403"
	fails=1
fi
((fails == 0)) || exit 1
run=$SN_RUN_DIR
taken=$SN_PG_PORT
started=${#_SN_SVC_NAMES[@]}
sn_stop_all 0 2>/dev/null
rm -rf "$run"
echo "ok: the raced port ($taken) was given up; $started services ready on the second try; $n streams adopted their epochs over mutual TLS; bank-sim answers bank-gateway's certificate only, on HTTPS"
