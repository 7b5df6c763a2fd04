#!/usr/bin/env bash
# tests/console/vendor.sh SOURCE_DIR: console/vendor.sh run three times at
# once, as the suite does when several tests start the console at the same
# moment (deploy.local_stack and console.browser did on CI 12-04, and the
# second npm ci failed with ENOTEMPTY in node_modules/preact/compat). In a
# copy of console/ (its lockfile and script) beside deploy/local/lib.sh,
# with no node_modules and no web/vendor: every run must exit 0, web/vendor
# must hold the three modules, and a fourth run must find it made from
# this lockfile and leave node_modules as it is.
set -euo pipefail
root=${1:?usage: vendor.sh SOURCE_DIR}
# shellcheck source=deploy/local/lib.sh
. "$root/deploy/local/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/console" "$tmp/deploy/local"
cp "$root/console/package.json" "$root/console/package-lock.json" \
	"$root/console/vendor.sh" "$tmp/console/"
cp "$root/deploy/local/lib.sh" "$tmp/deploy/local/"

pids=()
for i in 1 2 3; do
	"$tmp/console/vendor.sh" >"$tmp/run$i.log" 2>&1 &
	pids+=($!)
done
fail=0
for i in 1 2 3; do
	if ! wait "${pids[$((i - 1))]}"; then
		echo "FAIL: run $i of three at once failed:"
		cat "$tmp/run$i.log"
		fail=1
	fi
done
for m in preact hooks htm; do
	if [[ ! -s $tmp/console/web/vendor/$m.mjs ]]; then
		echo "FAIL: web/vendor/$m.mjs missing after three runs"
		fail=1
	fi
done
grep -q 'from"./preact.mjs"' "$tmp/console/web/vendor/hooks.mjs" || {
	echo "FAIL: hooks.mjs does not import ./preact.mjs"
	fail=1
}
before=$(stat -c %Y.%i "$tmp/console/node_modules/preact/package.json")
"$tmp/console/vendor.sh" >"$tmp/run4.log" 2>&1 || {
	echo "FAIL: a fourth run failed"
	fail=1
}
after=$(stat -c %Y.%i "$tmp/console/node_modules/preact/package.json")
if [[ $before != "$after" ]]; then
	echo "FAIL: a fourth run installed node_modules again ($before -> $after)"
	fail=1
fi
((fail == 0)) || exit 1
echo "PASS: three runs at once, web/vendor complete, a fourth run left it alone"
