#!/usr/bin/env bash
# tests/contract/routes.sh SPEC NAME=BINARY...: the ctest contract.routes.
#
# For every service binary, `BINARY --routes` (its route table, one
# "METHOD PATTERN" a line, exit 0) against SPEC (proto/openapi.yaml):
#   - every route is an operation of SPEC tagged NAME;
#   - every operation of SPEC tagged NAME is a route of the binary.
# The built-in routes (GET /healthz, /readyz, /metrics, /openapi.yaml) are
# documented once under the tag ops: a binary need not list them, and
# one it lists must be there. Path parameters match whatever their names
# ({id} and {application_id} are both "one segment").
#
# Prints one line per problem, naming the route or the operation, and a
# summary; exits 1 on any problem. Plain bash and awk.
set -uo pipefail

if (($# < 2)); then
	echo "usage: $0 SPEC NAME=BINARY..." >&2
	exit 2
fi
spec=$1
shift
if [[ ! -r $spec ]]; then
	echo "contract.routes: cannot read $spec" >&2
	exit 2
fi

builtins=" GET /healthz | GET /readyz | GET /metrics | GET /openapi.yaml "

# The operations of the spec: "TAG METHOD PATH OPERATIONID" per line,
# from its regular layout (paths at two spaces, methods at four, each
# operation's tags as `tags:` then `- NAME` lines).
ops=$(awk '
	function flush() {
		if (method != "") {
			if (ntags != 1)
				printf "BADTAGS %s %s %d\n", toupper(method), path, ntags
			else
				printf "%s %s %s %s\n", tag, toupper(method), path, (opid == "" ? "-" : opid)
		}
		method = ""; tag = ""; ntags = 0; opid = ""; intags = 0
	}
	/^[^ #]/ { flush(); inpaths = ($0 ~ /^paths:/); next }
	!inpaths { next }
	/^  \/.*:$/ { flush(); path = $1; sub(/:$/, "", path); next }
	/^    (get|put|post|delete|patch|head|options|trace):$/ {
		flush(); method = $1; sub(/:$/, "", method); next
	}
	method != "" && /^      tags:$/ { intags = 1; next }
	intags && /^        - / { tag = $2; ntags++; next }
	intags && /^      [^ ]/ { intags = 0 }
	method != "" && /^      operationId: / { opid = $2 }
	END { flush() }
' "$spec")
if [[ -z $ops ]]; then
	echo "contract.routes: no operations found in $spec (layout changed?)" >&2
	exit 1
fi

failed=0
problems=0
say() {
	printf 'contract.routes: %s\n' "$*"
}
problem() {
	printf 'contract.routes: FAIL %s\n' "$*"
	problems=$((problems + 1))
}

while read -r first method path _; do
	if [[ $first == BADTAGS ]]; then
		problem "$method $path: an operation needs exactly one tag in $spec"
	fi
done <<<"$ops"

checked=0
for arg in "$@"; do
	name=${arg%%=*}
	bin=${arg#*=}
	if [[ -z $name || $name == "$arg" || -z $bin ]]; then
		echo "contract.routes: bad argument '$arg' (NAME=BINARY)" >&2
		exit 2
	fi
	before=$problems
	checked=$((checked + 1))
	if [[ ! -x $bin ]]; then
		problem "$name: no binary at $bin"
		failed=$((failed + 1))
		continue
	fi
	if ! grep -q "^$name " <<<"$ops"; then
		if ! grep -q "^  - name: $name\$" "$spec"; then
			problem "$name: $spec has no tag '$name'"
		fi
	fi
	out=$(timeout 20 "$bin" --routes </dev/null 2>/dev/null)
	rc=$?
	if ((rc != 0)); then
		problem "$name: '$bin --routes' exited $rc (it prints the route table, METHOD PATTERN a line, and exits 0)"
		failed=$((failed + 1))
		continue
	fi
	routes=$(grep -v '^[[:space:]]*$' <<<"$out" || true)
	bad=$(grep -Ev '^[A-Z]+ /[^ ]*$' <<<"$routes" || true)
	if [[ -n $bad ]]; then
		problem "$name: '$bin --routes' printed lines that are not METHOD PATTERN: $(head -n 3 <<<"$bad" | tr '\n' '|')"
		failed=$((failed + 1))
		continue
	fi
	# Both ways in one awk: the spec's operations (from $ops) first, then
	# the binary's routes; one "FAIL ..." line per problem.
	report=$(awk -v name="$name" -v spec="$spec" -v bin="$bin" \
		-v builtins="$builtins" '
		function norm(p) { gsub(/\{[^}]*\}/, "{}", p); return p }
		FNR == NR {
			k = $2 " " norm($3)
			if ($1 == name) { mine[k] = $2 " " $3 " (" $4 ")"; order[++n] = k }
			else if ($1 == "ops") own[k] = 1
			else other[k] = $1
			next
		}
		NF == 0 { next }
		{
			k = $1 " " norm($2)
			if (k in seen) { printf "FAIL %s: route %s %s listed twice\n", name, $1, $2; next }
			seen[k] = 1
			if (k in mine) next
			if (index(builtins, " " $1 " " $2 " ")) {
				if (!(k in own))
					printf "FAIL %s: built-in route %s %s is not in %s under tag ops\n", name, $1, $2, spec
				next
			}
			if (k in other)
				printf "FAIL %s: route %s %s is in %s under tag %s, not %s\n", name, $1, $2, spec, other[k], name
			else
				printf "FAIL %s: route %s %s is not in %s (add the operation, tagged %s)\n", name, $1, $2, spec, name
		}
		END {
			for (i = 1; i <= n; i++)
				if (!(order[i] in seen))
					printf "FAIL %s: operation %s of %s, tagged %s, has no route in %s --routes\n", name, mine[order[i]], spec, name, bin
		}' <(printf '%s\n' "$ops") <(printf '%s\n' "$routes"))
	if [[ -n $report ]]; then
		while IFS= read -r line; do
			problem "${line#FAIL }"
		done <<<"$report"
	fi
	n=$(grep -c . <<<"$routes" || true)
	if ((problems == before)); then
		say "ok $name: $n routes, each in the spec, and every $name operation routed"
	else
		failed=$((failed + 1))
	fi
done

if ((problems)); then
	say "$problems problems; $checked binaries checked, $failed of them with problems"
	exit 1
fi
say "all $checked binaries match $spec"
exit 0
