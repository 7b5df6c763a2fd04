#!/usr/bin/env bash
# console/vendor.sh: the web application's libraries, from npm with the
# lockfile (package-lock.json), copied into web/vendor/ where the console
# serves them (nothing loads from the internet at run time):
#   preact.mjs  preact/dist/preact.module.js
#   hooks.mjs   preact/hooks/dist/hooks.module.js, its import of "preact"
#               pointed at ./preact.mjs (no import map: it would be an
#               inline script, which the console's CSP refuses)
#   htm.mjs     htm/dist/htm.module.js
# Source-map comments are dropped (the maps are not copied). Needs node
# and npm (Debian's nodejs and npm are enough for these two packages);
# installs them by name when missing. Exits 0 when web/vendor is complete.
# One run at a time (flock on console/vendor.lock): the test suite starts
# the console from several tests at once, and two npm ci in one folder
# remove each other's files (ENOTEMPTY). A run that finds web/vendor
# made from this lockfile (console/vendor.stamp) does nothing more.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/lib.sh
. "$HERE/../deploy/local/lib.sh"

exec 9>"$HERE/vendor.lock"
flock 9
out="$HERE/web/vendor"
lock_sum=$(sha256sum "$HERE/package-lock.json")
lock_sum=${lock_sum%% *}
if [[ -f $out/preact.mjs && -f $out/hooks.mjs && -f $out/htm.mjs &&
	$(cat "$HERE/vendor.stamp" 2>/dev/null) == "$lock_sum" ]]; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	SN_DEB_PACKAGES=(nodejs npm)
	sn_install_deps || sn_die "console: could not install nodejs and npm"
fi
if ! (cd "$HERE" && npm ci --prefer-offline --no-audit --no-fund \
	--loglevel=error >/dev/null); then
	sn_die "console: npm ci failed in console/"
fi
mkdir -p "$out"
nm="$HERE/node_modules"
strip_map() { sed -e '/^\/\/# sourceMappingURL=/d' "$1"; }
strip_map "$nm/preact/dist/preact.module.js" >"$out/preact.mjs.tmp"
strip_map "$nm/preact/hooks/dist/hooks.module.js" |
	sed -e 's#from"preact"#from"./preact.mjs"#g' >"$out/hooks.mjs.tmp"
strip_map "$nm/htm/dist/htm.module.js" >"$out/htm.mjs.tmp"
for f in preact hooks htm; do
	mv "$out/$f.mjs.tmp" "$out/$f.mjs"
done
if grep -q 'from"preact"' "$out/hooks.mjs"; then
	sn_die "console: hooks.mjs still imports \"preact\""
fi
echo "$lock_sum" >"$HERE/vendor.stamp"
sn_say "console: web/vendor has preact $(node -p "require('$nm/preact/package.json').version") and htm $(node -p "require('$nm/htm/package.json').version")"
