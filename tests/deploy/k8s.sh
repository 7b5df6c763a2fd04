#!/usr/bin/env bash
# tests/deploy/k8s.sh SOURCE_DIR: the Kubernetes manifests (deploy/k8s),
# offline. Each overlay is rendered with `kubectl kustomize` (Debian 12's
# kubernetes-client, kubectl 1.20 with kustomize 2.0.3, or a newer kubectl)
# and checked by tests/deploy/k8s/check.mjs: every object against its
# Kubernetes schema, strictly (an unknown field fails), then the project's
# rules (probes, resources, a numeric non-root user, a read-only root,
# secrets as files of listed Secrets, tls+tcp:// links, partitions) and
# the NetworkPolicies against the design's links. Then the same check
# must fail on doctored copies of the manifests, so that it is known to
# catch each kind of mistake.
#
# Installs what is missing the way deploy/local/contract does: Debian's
# kubernetes-client when there is no kubectl, nodejs and npm when there is
# no node, and the checker's packages from its lockfile (npm ci, only when
# node_modules is older than the lockfile).
set -euo pipefail
root=${1:?usage: k8s.sh SOURCE_DIR}
# shellcheck source=deploy/local/lib.sh
. "$root/deploy/local/lib.sh"
dir="$root/tests/deploy/k8s"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

missing=()
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
	# By name, as sn_install_deps installs the build's packages.
	SN_DEB_PACKAGES=("${missing[@]}")
	sn_install_deps || sn_die "k8s: could not install ${missing[*]}"
fi
if [[ ! $dir/node_modules/.package-lock.json -nt $dir/package-lock.json ]]; then
	(cd "$dir" && npm ci --prefer-offline --no-audit --no-fund \
		--loglevel=error >/dev/null) || sn_die "k8s: npm ci failed in tests/deploy/k8s"
fi
sn_say "k8s: $(kubectl version --client 2>/dev/null | head -n 1)"

# render TREE OVERLAY OUT: kustomize 5 warns on stderr about the fields
# kustomize 2.0.3 needs (bases, patchesStrategicMerge); errors still fail.
render() {
	local err
	if ! kubectl kustomize "$1/overlays/$2" >"$3" 2>"$tmp/render.err"; then
		cat "$tmp/render.err"
		return 1
	fi
	err=$(grep -v "^# Warning: '[A-Za-z]*' is deprecated" "$tmp/render.err" || true)
	[[ -z $err ]] || echo "$err"
}

rc=0
for overlay in district city; do
	if ! render "$root/deploy/k8s" "$overlay" "$tmp/$overlay.yaml"; then
		echo "FAIL: kubectl kustomize deploy/k8s/overlays/$overlay"
		rc=1
	elif ! node "$dir/check.mjs" --source "$root" "$tmp/$overlay.yaml"; then
		echo "FAIL: deploy/k8s/overlays/$overlay"
		rc=1
	else
		echo "passed: deploy/k8s/overlays/$overlay"
	fi
done
((rc == 0)) || exit $rc

# Each doctored copy: FILE (under deploy/k8s), OVERLAY, one sed expression.
bad=(
	"base/intake.yaml|district|s|imagePullPolicy:|imagePullPolicey:|"
	"base/intake.yaml|district|s|containerPort: 5555|containerPot: 5555|"
	"base/approval.yaml|district|s|replicas: 1|replicas: one|"
	"base/verification.yaml|district|/livenessProbe:/,/failureThreshold: 3/d"
	"base/emergency.yaml|district|s|path: /readyz|path: /healthz|"
	"base/identity.yaml|district|s|runAsUser: 10001|runAsUser: 0|"
	"base/services.yaml|district|/runAsNonRoot: true/d"
	"base/bank-sim.yaml|district|s|readOnlyRootFilesystem: true|readOnlyRootFilesystem: false|"
	"base/supervision.yaml|district|/limits:/,/memory: 128Mi/d"
	"base/agency-sim.yaml|district|s|name: sn-shared|name: sn-common|"
	"base/agency-sim.yaml|district|s|name: sn-agency-sim$|name: sn-intake|"
	"base/verification.yaml|district|s|values: \[approval, intake\]|values: [approval, disbursement, intake]|"
	"base/bank-sim.yaml|district|s|app.kubernetes.io/name: bank-gateway|app.kubernetes.io/name: disbursement|"
	"base/kustomization.yaml|district|s|SN_INTAKE_PUB_URL=tls+tcp://|SN_INTAKE_PUB_URL=tcp://|"
	"base/bank-gateway.yaml|district|/hostname: bank-gateway/d"
	"base/intake.yaml|district|s|tls+tcp://0.0.0.0:5555|tls+tcp://intake:5555|"
	"base/kustomization.yaml|city|s|SN_TLS_CERT_FILE=/run/secrets/approval-cert|SN_TLS_CERT_FILE=/run/secrets/intake-cert|"
	"overlays/city/sizes.yaml|city|0,/replicas: 1/s//replicas: 2/"
	"overlays/city/sizes.yaml|city|0,/replicas: 1/s//replicas: 2/;0,/INDEX)\/1/s//INDEX)\/2/"
)
# Each copy rendered, then all checked in one node process (loading the
# schemas once); each must fail, by kustomize or by the check.
copies=()
for i in "${!bad[@]}"; do
	entry=${bad[$i]}
	IFS='|' read -r f overlay _ <<<"$entry"
	expr=${entry#"$f|$overlay|"}
	rm -rf "$tmp/k8s"
	cp -R "$root/deploy/k8s" "$tmp/k8s"
	sed -i "$expr" "$tmp/k8s/$f"
	if cmp -s "$tmp/k8s/$f" "$root/deploy/k8s/$f"; then
		echo "FAIL: the test's edit '$expr' no longer applies to deploy/k8s/$f"
		rc=1
	elif ! render "$tmp/k8s" "$overlay" "$tmp/bad-$i.yaml" >"$tmp/out" 2>&1; then
		echo "caught ($f: $expr) by kubectl kustomize: $(head -n 1 "$tmp/out")"
	else
		copies+=("$i")
	fi
done
if ((${#copies[@]})); then
	paths=()
	for i in "${copies[@]}"; do paths+=("$tmp/bad-$i.yaml"); done
	node "$dir/check.mjs" "${paths[@]}" >"$tmp/out" 2>&1 || true
	for i in "${copies[@]}"; do
		entry=${bad[$i]}
		IFS='|' read -r f overlay _ <<<"$entry"
		expr=${entry#"$f|$overlay|"}
		if line=$(grep -m1 -F "$tmp/bad-$i.yaml: FAIL" "$tmp/out"); then
			echo "caught ($f: $expr): ${line#"$tmp/bad-$i.yaml: "}"
		else
			echo "FAIL: the check passed deploy/k8s/$f edited with '$expr'"
			grep -F "$tmp/bad-$i.yaml:" "$tmp/out" || cat "$tmp/out"
			rc=1
		fi
	done
fi
exit $rc
