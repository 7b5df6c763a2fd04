#!/usr/bin/env bash
# deploy.backup_conf: deploy/backup/pgbackrest.conf is a configuration
# pgBackRest (Debian pgbackrest, in SN_DEB_PACKAGES) takes for a backup
# and for archive-get: every option known, every value valid; the
# repository is encrypted, retention set, WAL pushed asynchronously. Each
# of four doctored copies must fail. (The backup and restore themselves:
# deploy/local/backup-restore, README "Backups and restore".)
set -euo pipefail
root=${1:?usage: backup_conf.sh SOURCE_DIR}
conf="$root/deploy/backup/pgbackrest.conf"
command -v pgbackrest >/dev/null ||
	{ echo "pgbackrest not found: install Debian pgbackrest (deploy/local/lib.sh sn_install_deps)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# parses CONF: pgBackRest read CONF without a warning and went on to the
# repository (missing here: error 55 or 103), for a backup and for archive-get.
parses() {
	local c=$1 out rc cmd args
	for cmd in backup archive-get; do
		rc=0
		args=(--pg1-socket-path="$tmp" "$cmd")
		if [[ $cmd == archive-get ]]; then
			args=(--spool-path="$tmp" "$cmd" 000000010000000000000001 "$tmp/wal")
		fi
		out=$(env PGBACKREST_REPO1_CIPHER_PASS=test pgbackrest --config="$c" \
			--stanza=safetynet --log-level-file=off --log-level-console=warn \
			--lock-path="$tmp" --repo1-path="$tmp/repo" "${args[@]}" 2>&1) ||
			rc=$?
		if [[ $out == *WARN* ]] || ((rc != 55 && rc != 103)); then
			echo "  $cmd: exit $rc: $(head -n 2 <<<"$out")"
			return 1
		fi
	done
}

rc=0
if parses "$conf"; then
	echo "ok: $conf parses for backup and archive-get"
else
	echo "FAILED: $conf"
	rc=1
fi
for want in 'repo1-cipher-type=aes-256-cbc' 'repo1-retention-full=' \
	'archive-async=y' 'pg1-path=' "archive_command = 'pgbackrest --stanza=safetynet archive-push %p'"; do
	if ! grep -qF -- "$want" "$conf"; then
		echo "FAILED: $conf lacks $want"
		rc=1
	fi
done

n=0
for edit in 's/^start-fast=y/start-fastt=y/' 's/^process-max=2/process-max=two/' \
	's/^repo1-cipher-type=.*/repo1-cipher-type=rot13/' \
	's/^compress-type=zst/compress-type=zip/'; do
	n=$((n + 1))
	sed "$edit" "$conf" >"$tmp/bad$n.conf"
	if parses "$tmp/bad$n.conf" >/dev/null; then
		echo "FAILED: the doctored copy ($edit) passed"
		rc=1
	else
		echo "ok: the doctored copy ($edit) fails"
	fi
done
exit $rc
