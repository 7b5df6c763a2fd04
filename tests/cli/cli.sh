#!/usr/bin/env bash
# tests/cli/cli.sh BINARY NAME: every service binary answers --help (the
# settings it reads, one per line, the common ones included), --version
# ("NAME VERSION") and --routes ("METHOD /pattern" lines), each with exit
# status 0 and without any setting in the environment.
set -uo pipefail
bin=$1 name=$2
fail() { printf 'cli %s: %s\n' "$name" "$*" >&2; exit 1; }

out=$(env -i "$bin" --help) || fail "--help exited $?"
for s in SN_DB_URL SN_HTTP_PORT SN_DISTRICT_UTC_OFFSET_MIN SN_LOG_LEVEL; do
	grep -q "^  $s " <<<"$out" || fail "--help does not list $s"
done
# Every line naming a setting names one SN_* variable and says something.
bad=$(grep -E '^  SN_' <<<"$out" | grep -vE '^  SN_[A-Z0-9_<>]+ +[^ ].*' || true)
[[ -z $bad ]] || fail "--help lines without a description: $bad"

ver=$(env -i "$bin" --version) || fail "--version exited $?"
[[ $ver =~ ^$name\ [^[:space:]]+$ ]] || fail "--version said '$ver'"

routes=$(env -i "$bin" --routes) || fail "--routes exited $?"
bad=$(grep -vE '^(GET|POST|PUT|PATCH|DELETE) /[^ ]*$' <<<"$routes" || true)
[[ -z $bad ]] || fail "--routes lines that are not METHOD /pattern: $bad"

printf 'cli %s: --help (%d settings), --version (%s), --routes (%d)\n' \
	"$name" "$(grep -cE '^  SN_' <<<"$out")" "${ver#* }" \
	"$(grep -c . <<<"$routes")"
