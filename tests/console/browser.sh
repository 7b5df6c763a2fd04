#!/usr/bin/env bash
# tests/console/browser.sh SOURCE_DIR BUILD_DIR: the staff console in a
# real browser (issue 17). Starts this build's services as
# deploy/local/up does (every service, TLS, on a PostgreSQL cluster of
# its own), installs the web application's libraries (console/vendor.sh)
# and the test's (npm ci here: puppeteer-core, axe-core), and runs
# browser.mjs against the console with Debian's chromium. Screenshots go
# to BUILD_DIR/console-screens/. Exits 77 (ctest: skipped) only when
# chromium is missing or cannot start; any other failure is a failure.
set -euo pipefail
root=${1:?usage: browser.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: browser.sh SOURCE_DIR BUILD_DIR}
here="$root/tests/console"
unset SN_PG_DIR SN_PG_PORT SN_TEST_DB_URL PGPASSFILE PGPASSWORD SN_RUN_DIR \
	SN_LOG_DIR
# shellcheck source=deploy/local/lib.sh
. "$root/deploy/local/lib.sh"

chromium=${CHROMIUM:-$(command -v chromium || true)}
if [[ -z $chromium ]]; then
	SN_DEB_PACKAGES=(chromium)
	sn_install_deps >/dev/null 2>&1 || true
	chromium=$(command -v chromium || true)
fi
if [[ -z $chromium ]] ||
	! timeout 60 "$chromium" --headless --no-sandbox --disable-gpu \
		--disable-dev-shm-usage --dump-dom about:blank >/dev/null 2>&1; then
	echo "SKIP console.browser: chromium is missing or cannot start"
	exit 77
fi
export CHROMIUM=$chromium

"$root/console/vendor.sh"
if ! (cd "$here" && npm ci --prefer-offline --no-audit --no-fund \
	--loglevel=error >/dev/null); then
	sn_die "console.browser: npm ci failed in tests/console"
fi

sn_traps
SN_PG_PORT_BASE=${SN_PG_PORT_BASE:-59432} sn_pg_start
sn_db_roles >/dev/null
# The web application of this source tree (a helper may run a tree's
# browser test against another build's binaries).
export SN_CONSOLE_ROOT=${SN_CONSOLE_ROOT:-$root/console/web}
SN_HTTP_PORT_BASE=${SN_HTTP_PORT_BASE:-29080} sn_services_start "$build"

url=
for i in "${!_SN_SVC_NAMES[@]}"; do
	if [[ ${_SN_SVC_NAMES[$i]} == console ]]; then
		url="$(sn_http_scheme)://127.0.0.1:${_SN_SVC_PORTS[$i]}"
	fi
done
[[ -n $url ]] || sn_die "console.browser: the console did not start"
out="$build/console-screens"
mkdir -p "$out"
export SN_ADMIN_PASSWORD
SN_ADMIN_PASSWORD=$(<"$SN_IDENTITY_ADMIN_PASSWORD_FILE")
if _sn_tls_on; then
	export NODE_EXTRA_CA_CERTS="$SN_SECRETS_DIR/tls/ca.pem"
fi
node "$here/browser.mjs" "$url" "$out"
