#!/usr/bin/env bash
# tests/contract/parts.sh CMAKE SPEC SPLIT NAME...: the ctest contract.parts.
#
# Cuts each service's part of SPEC with SPLIT (proto/openapi_split.cmake,
# what sn_openapi_embed compiles into the binary and GET /openapi.yaml
# serves) and checks, without node: the part has exactly the operations
# of SPEC tagged NAME or ops, one servers entry (NAME's), and every $ref
# in it names a component the part defines. deploy/local/contract lints
# the same parts with redocly.
set -uo pipefail

if (($# < 4)); then
	echo "usage: $0 CMAKE SPEC SPLIT NAME..." >&2
	exit 2
fi
cmake=$1 spec=$2 split=$3
shift 3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sn-parts.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# "TAG METHOD PATH" per operation (the layout of proto/openapi.yaml).
operations() {
	awk '
		/^[^ #]/ { inpaths = ($0 ~ /^paths:/); next }
		!inpaths { next }
		/^  \/.*:$/ { path = $1; sub(/:$/, "", path); next }
		/^    [a-z]+:$/ { method = toupper($1); sub(/:$/, "", method); next }
		/^      tags:$/ { intags = 1; next }
		intags && /^        - / { print $2, method, path; intags = 0 }
	' "$1" | sort
}

problems=0
fail() {
	printf 'contract.parts: FAIL %s\n' "$*"
	problems=$((problems + 1))
}

all=$(operations "$spec")
for name in "$@"; do
	part="$tmp/$name.yaml"
	if ! "$cmake" -DIN="$spec" -DSERVICE="$name" -DOUT="$part" \
		-P "$split" >"$tmp/split.log" 2>&1; then
		fail "$name: $split failed: $(tr '\n' ' ' <"$tmp/split.log")"
		continue
	fi
	before=$problems
	want=$(awk -v n="$name" '$1 == n || $1 == "ops"' <<<"$all")
	got=$(operations "$part")
	if [[ $want != "$got" ]]; then
		fail "$name: the part's operations differ from the spec's tagged $name or ops:"
		diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") |
			sed -n 's/^</  missing:/p; s/^>/  extra:/p'
	fi
	servers=$(grep -c '^    x-service: ' "$part" || true)
	if [[ $servers != 1 ]] || ! grep -q "^    x-service: $name\$" "$part"; then
		fail "$name: the part has $servers servers entries, not just $name's"
	fi
	while IFS= read -r ref; do
		kind=${ref#\#/components/}
		comp=${kind#*/}
		kind=${kind%%/*}
		if ! awk -v k="  $kind:" -v c="    $comp:" '
			$0 == "components:" { inc = 1; next }
			inc && $0 == k { ink = 1; next }
			inc && /^  [^ ]/ { ink = 0 }
			ink && index($0, c) == 1 { found = 1 }
			END { exit !found }' "$part"; then
			fail "$name: the part refers to $ref but does not define it"
		fi
	done < <(grep -o "#/components/[A-Za-z]*/[A-Za-z0-9_.-]*" "$part" | sort -u)
	if ((problems == before)); then
		printf 'contract.parts: ok %s: %d operations, its server, every reference defined\n' \
			"$name" "$(grep -c . <<<"$got")"
	fi
done
if ((problems)); then
	printf 'contract.parts: %d problems\n' "$problems"
	exit 1
fi
printf 'contract.parts: all %d parts match %s\n' "$#" "$spec"
