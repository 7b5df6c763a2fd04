#!/usr/bin/env bash
# tests/bench/ids.sh [N]: what a table keyed by uuids pays for random
# (version 4, gen_random_uuid) against time-ordered (version 7, uuid_v7 as
# disbursement's migration 012 makes them) ids. N rows (default 6,000,000)
# go into a table shaped like supervision's events (a bigint key, a
# UNIQUE uuid, 200 bytes of row), 10,000 a transaction, on a private
# cluster (fsync on, shared_buffers 256 MB); each kind prints its time,
# the WAL written and the index's size, and the time-ordered kind its
# ratio to the random one. Long: about a minute per kind at 6,000,000.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=deploy/local/lib.sh
. "$ROOT/deploy/local/lib.sh"
n=${1:-6000000}
[[ $n =~ ^[1-9][0-9]*$ ]] || sn_die "ids.sh: N is a positive count, not '$n'"
sn_install_deps
sn_traps
sn_pg_start
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$SN_TEST_DB_URL" -c "$1"; }
# The function disbursement's migration 012 defines, in public.
sed -n '/^CREATE FUNCTION uuid_v7/,/^\$\$;/p' \
	"$ROOT/services/disbursement/schema/012_time_ordered_ids.sql" |
	psql -X -q -v ON_ERROR_STOP=1 "$SN_TEST_DB_URL"
base_s='' base_wal='' base_idx=''
for kind in gen_random_uuid uuid_v7; do
	q "DROP TABLE IF EXISTS ids_bench; CREATE TABLE ids_bench (pos bigint
	   PRIMARY KEY, event_id uuid NOT NULL UNIQUE, pad text NOT NULL);
	   CHECKPOINT"
	w0=$(q "SELECT pg_current_wal_lsn()")
	t0=$(date +%s%N)
	q "DO \$\$ DECLARE i bigint := 0; BEGIN WHILE i < $n LOOP
	   INSERT INTO ids_bench SELECT g, $kind(), repeat('x', 200)
	   FROM generate_series(i + 1, least(i + 10000, $n)) g;
	   COMMIT; i := i + 10000; END LOOP; END \$\$"
	ms=$((($(date +%s%N) - t0) / 1000000))
	wal=$(q "SELECT round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$w0') / 1048576)")
	idx=$(q "SELECT round(pg_relation_size('ids_bench_event_id_key') / 1048576.0)")
	line="$kind: $n rows in $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s, WAL $wal MiB, index $idx MiB"
	if [[ -z $base_s ]]; then
		base_s=$ms base_wal=$wal base_idx=$idx
	else
		line+=$(awk -v a="$ms" -v b="$base_s" -v c="$wal" -v d="$base_wal" \
			-v e="$idx" -v f="$base_idx" 'BEGIN { printf " (%.2f x the time, %.2f x the WAL, %.2f x the index of random ids)", a / b, c / d, e / f }')
	fi
	echo "$line"
done
q "DROP TABLE ids_bench"
