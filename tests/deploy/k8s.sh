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
# Installs what is missing: sn_install_deps (deploy/local/lib.sh) installs
# Debian's kubernetes-client, nodejs or npm when the kubectl, node or npm
# command is missing (SN_DEB_COMMANDS), and the checker's packages come
# from its lockfile (npm ci, only when node_modules is older than the
# lockfile).
#
# The doctored copies are rendered three at a time (SN_K8S_JOBS): each
# render is a kubectl process of its own, mostly waiting, and one after
# another they were most of the test's 25 s.
set -euo pipefail
root=${1:?usage: k8s.sh SOURCE_DIR}
# shellcheck source=deploy/local/lib.sh
. "$root/deploy/local/lib.sh"
dir="$root/tests/deploy/k8s"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Only the commands this test needs (SN_DEB_COMMANDS), not the build's
# packages: deploy/local/test installs those before the suite.
SN_DEB_PACKAGES=()
sn_install_deps || sn_die "k8s: could not install kubectl, node or npm"
if [[ ! $dir/node_modules/.package-lock.json -nt $dir/package-lock.json ]]; then
	(cd "$dir" && npm ci --prefer-offline --no-audit --no-fund \
		--loglevel=error >/dev/null) || sn_die "k8s: npm ci failed in tests/deploy/k8s"
fi
sn_say "k8s: $(kubectl version --client 2>/dev/null | head -n 1)"

# render TREE OVERLAY OUT: kustomize 5 warns on stderr about the fields
# kustomize 2.0.3 needs (bases, patchesStrategicMerge); errors still fail.
# OUT.err holds kubectl's stderr (renders run side by side).
render() {
	local err
	if ! kubectl kustomize "$1/overlays/$2" >"$3" 2>"$3.err"; then
		cat "$3.err"
		return 1
	fi
	err=$(grep -v "^# Warning: '[A-Za-z]*' is deprecated" "$3.err" || true)
	[[ -z $err ]] || echo "$err"
}
# render_bg TREE OVERLAY BASE: render in the background into BASE.yaml,
# its messages in BASE.out, 0 or 1 in BASE.rc.
render_bg() {
	{
		if render "$1" "$2" "$3.yaml" >"$3.out" 2>&1; then
			echo 0 >"$3.rc"
		else
			echo 1 >"$3.rc"
		fi
	} &
}
jobs_max=${SN_K8S_JOBS:-3}
# throttle: wait until fewer than jobs_max renders run.
throttle() {
	while (($(jobs -rp | wc -l) >= jobs_max)); do
		wait -n || true
	done
}

rc=0
for overlay in district city; do
	render_bg "$root/deploy/k8s" "$overlay" "$tmp/$overlay"
done
wait
for overlay in district city; do
	if [[ $(<"$tmp/$overlay.rc") != 0 ]]; then
		cat "$tmp/$overlay.out"
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

# source_must_fail N SED WANT: a source tree whose Dockerfile is edited
# with SED must fail --source on the same rendering, with WANT among the
# findings.
source_must_fail() {
	local src="$tmp/src$1" line
	mkdir "$src"
	ln -s "$root/services" "$src/services"
	sed "$2" "$root/Dockerfile" >"$src/Dockerfile"
	if cmp -s "$src/Dockerfile" "$root/Dockerfile"; then
		echo "FAIL: the test's edit '$2' of the Dockerfile no longer applies"
		rc=1
	elif node "$dir/check.mjs" --source "$src" "$tmp/district.yaml" >"$tmp/out" 2>&1; then
		echo "FAIL: the check passed the rendering against a Dockerfile edited with '$2'"
		rc=1
	elif ! line=$(grep -m1 -F -- "$3" "$tmp/out"); then
		echo "FAIL: a Dockerfile edited with '$2' failed, but not with '$3':"
		cat "$tmp/out"
		rc=1
	else
		echo "caught (Dockerfile: $2): $line"
	fi
}
# The image's user: every pod runs as the Dockerfile's USER (10001:10001).
source_must_fail 1 's|^USER 10001:10001$|USER 10002:10002|' \
	"the image's USER is 10002:10002"
# The console's web application: console-settings' SN_CONSOLE_ROOT is
# where the image carries it.
# shellcheck disable=SC2016 # ${SERVICE} is the Dockerfile's, literally
source_must_fail 2 's|SN_CONSOLE_ROOT=/usr/share/safetynet/${SERVICE}/web|SN_CONSOLE_ROOT=/srv/${SERVICE}|' \
	"the image carries the web application in /srv/console"

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
	"base/kustomization.yaml|district|s|SN_APPROVAL_PUB_URL=tls+tcp://approval-bus:|SN_APPROVAL_PUB_URL=tls+tcp://approval:|"
	"base/intake.yaml|district|/The staff console forwards/,/protocol: TCP/d"
	"base/console.yaml|district|/The services it forwards/,/protocol: TCP/d"
	"base/console.yaml|city|s|values: \[approval, bank-gateway,|values: [agency-sim, approval, bank-gateway,|"
	"base/kustomization.yaml|district|s|SN_INTAKE_HTTP_URL=https://|SN_INTAKE_HTTP_URL=http://|"
	"base/kustomization.yaml|district|/SN_SUPERVISION_HTTP_URL=/d"
	"base/kustomization.yaml|district|s|SN_APPROVAL_HTTP_URL=https://approval:|SN_APPROVAL_HTTP_URL=https://inspection-sim:|"
)
# What each copy must be caught for (the finding's words, in the order of
# bad), so that a copy failing for another reason than its own fails.
why=(
	"unknown field /spec/template/spec/containers/0/imagePullPolicey"
	'required: {"missingProperty":"containerPort"}'
	"StatefulSet approval: schema: /spec/replicas type"
	"Deployment verification container verification: no livenessProbe"
	"readinessProbe path /healthz, not /readyz"
	"Deployment identity: pod runAsUser 0 is not a numeric non-root user"
	"Deployment services: pod securityContext.runAsNonRoot is not true"
	"Deployment bank-sim container bank-sim: root filesystem not read-only"
	"Deployment supervision container supervision: no memory limit"
	"mounts Secret sn-common, which sn-secrets does not list"
	"Deployment agency-sim: mounts intake's Secret sn-intake"
	"allows verification>disbursement:5555, not a link of the design"
	"allows disbursement>bank-sim:8080, not a link of the design"
	"SN_INTAKE_PUB_URL=tcp://intake-bus:5555 is not tls+tcp://"
	"bank-gateway is not this pod's hostname"
	"intake is not this pod's hostname"
	"StatefulSet approval container approval: SN_TLS_CERT_FILE=/run/secrets/intake-cert"
	"SN_PARTITION is \$(SN_PARTITION_INDEX)/1, not \$(SN_PARTITION_INDEX)/2"
	"StatefulSet intake container intake: a publisher with 2 pods"
	"Service approval routes to ready pods only"
	"intake does not accept the design's link console>intake:8080"
	"console may not open the design's link console>identity:8080"
	"allows console>agency-sim:8080, not a link of the design"
	"SN_INTAKE_HTTP_URL=http://intake:8080 is not https://host:port"
	"supervision is in SN_CONSOLE_SERVICES but SN_SUPERVISION_HTTP_URL is not set"
	"console>inspection-sim:8080 is not a link of the design"
)
if ((${#why[@]} != ${#bad[@]})); then
	echo "FAIL: ${#bad[@]} doctored copies but ${#why[@]} reasons"
	exit 1
fi
# Each copy rendered (jobs_max at a time), then all checked in one node
# process (loading the schemas once); each must fail, by kustomize or by
# the check.
for i in "${!bad[@]}"; do
	entry=${bad[$i]}
	IFS='|' read -r f overlay _ <<<"$entry"
	expr=${entry#"$f|$overlay|"}
	cp -R "$root/deploy/k8s" "$tmp/k8s-$i"
	sed -i "$expr" "$tmp/k8s-$i/$f"
	if cmp -s "$tmp/k8s-$i/$f" "$root/deploy/k8s/$f"; then
		echo "FAIL: the test's edit '$expr' no longer applies to deploy/k8s/$f"
		rc=1
		echo skip >"$tmp/bad-$i.rc"
		continue
	fi
	throttle
	render_bg "$tmp/k8s-$i" "$overlay" "$tmp/bad-$i"
done
wait
copies=()
for i in "${!bad[@]}"; do
	entry=${bad[$i]}
	IFS='|' read -r f overlay _ <<<"$entry"
	expr=${entry#"$f|$overlay|"}
	case $(<"$tmp/bad-$i.rc") in
	skip) ;;
	1) echo "caught ($f: $expr) by kubectl kustomize: $(head -n 1 "$tmp/bad-$i.out")" ;;
	*) copies+=("$i") ;;
	esac
done
if ((${#copies[@]})); then
	paths=()
	for i in "${copies[@]}"; do paths+=("$tmp/bad-$i.yaml"); done
	node "$dir/check.mjs" "${paths[@]}" >"$tmp/out" 2>&1 || true
	for i in "${copies[@]}"; do
		entry=${bad[$i]}
		IFS='|' read -r f overlay _ <<<"$entry"
		expr=${entry#"$f|$overlay|"}
		if line=$(grep -F "$tmp/bad-$i.yaml: FAIL" "$tmp/out" |
			grep -m1 -F -- "${why[$i]}"); then
			echo "caught ($f: $expr): ${line#"$tmp/bad-$i.yaml: "}"
		elif grep -q -F "$tmp/bad-$i.yaml: FAIL" "$tmp/out"; then
			echo "FAIL: deploy/k8s/$f edited with '$expr' failed, but not with '${why[$i]}':"
			grep -F "$tmp/bad-$i.yaml:" "$tmp/out"
			rc=1
		else
			echo "FAIL: the check passed deploy/k8s/$f edited with '$expr'"
			grep -F "$tmp/bad-$i.yaml:" "$tmp/out" || cat "$tmp/out"
			rc=1
		fi
	done
fi
exit $rc
