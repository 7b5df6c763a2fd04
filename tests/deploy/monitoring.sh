#!/usr/bin/env bash
# deploy.monitoring: deploy/monitoring's Prometheus rules pass `promtool
# check rules` and their unit tests (`promtool test rules`), the Grafana
# dashboard is valid JSON whose every expression names metrics the
# services export (monitoring_check.py), and each check fails on a doctored
# copy. promtool comes from Debian's prometheus package (deploy/local/lib.sh
# SN_DEB_PACKAGES).
#
#   monitoring.sh SOURCE_ROOT
set -euo pipefail

root=${1:?usage: monitoring.sh SOURCE_ROOT}
mon=$root/deploy/monitoring
check=$root/tests/deploy/monitoring_check.py

if ! command -v promtool >/dev/null 2>&1; then
	echo "promtool not found: install Debian prometheus (deploy/local/lib.sh sn_install_deps)"
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

promtool check rules "$mon/rules.yml"
(cd "$mon" && promtool test rules rules_test.yml)
python3 "$check" "$root"

# Each doctored copy must fail its check.
fails=0
expect_fail() {
	local what=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		echo "monitoring: the check passed a doctored copy: $what"
		fails=$((fails + 1))
	else
		echo "monitoring: refused as it should, $what: $(head -n 1 "$tmp/out")"
	fi
}

sed 's/sn_bus_consumer_lag_events/sn_bus_consumer_lag/' "$mon/dashboard.json" \
	>"$tmp/dash-unknown.json"
expect_fail "a dashboard metric the services do not export" \
	python3 "$check" "$root" "$tmp/dash-unknown.json"

head -c 200 "$mon/dashboard.json" >"$tmp/dash-cut.json"
expect_fail "a dashboard cut short (not JSON)" \
	python3 "$check" "$root" "$tmp/dash-cut.json"

sed 's/sn_bus_stream_halted) == 1/sn_bus_streams_halted) == 1/' \
	"$mon/rules.yml" >"$tmp/rules-unknown.yml"
expect_fail "a rule on a metric the services do not export" \
	python3 "$check" "$root" "$mon/dashboard.json" "$tmp/rules-unknown.yml"

sed 's/> 300$/> > 300/' "$mon/rules.yml" >"$tmp/rules-bad.yml"
expect_fail "a rule that does not parse" promtool check rules "$tmp/rules-bad.yml"

cp "$mon/rules_test.yml" "$tmp/rules_test.yml"
sed 's/> 1000$/> 100000/' "$mon/rules.yml" >"$tmp/rules.yml"
expect_fail "a lag threshold its unit test does not expect" \
	bash -c "cd '$tmp' && promtool test rules rules_test.yml"

if ((fails > 0)); then
	exit 1
fi
echo "monitoring: rules, their tests and the dashboard pass; 5 doctored copies refused"
