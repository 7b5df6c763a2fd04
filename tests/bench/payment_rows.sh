#!/usr/bin/env bash
# tests/bench/payment_rows.sh [N]: what the sending's two updates of a
# payment (claimed, answered) cost with disbursement's `payment` as its
# migrations leave it today, against the same before migration 017
# (issue 15, Benchmarks, "Payment runs", thirteenth and fourteenth
# steps):
#   016    the migrations up to 016: `status` in five of payment's
#          indexes, `checked_at` in one, so neither update can be HOT;
#          the claim takes planned payments by payment_planned;
#   today  every migration: no index names `status` or `checked_at`; the
#          claim takes planned payments by `(run_id, fund, id)` from a
#          claim cursor, writes its batch's row and moves the cursor to
#          the first payment still planned; the answer counts its
#          batch's payments still sent down, deleting the row at none.
# Each shape gets its migrations of services/disbursement/schema in a
# schema of its own on a private cluster (fsync on), N planned payments
# of one run (default 190,000, as 100,000 payees make), then N/500 claims
# of 500 and their answers, each a transaction as disbursement writes it
# (the claim; the locking read in id order, then the answer's UPDATE with
# the beneficiary's look-up). These are the statements' shapes, not the
# service's code. Printed for each: the time, the WAL, the table's size
# with its indexes, the updates that were HOT, and today's time and WAL
# as a ratio of 016's; with COPY's rows a second into a payment-shaped
# table on the same cluster, for scale. About a minute.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=deploy/local/lib.sh
. "$ROOT/deploy/local/lib.sh"
n=${1:-190000}
[[ $n =~ ^[1-9][0-9]*$ ]] || sn_die "payment_rows.sh: N is a positive count, not '$n'"
sn_install_deps
sn_traps
sn_run_dir_init
sn_pg_start
psql_() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$SN_TEST_DB_URL" "$@"; }
q() { psql_ -At -c "$1"; }
run_id=00000000-0000-0000-0000-000000000001
batches=$(((n + 499) / 500))

# One claim and its answer as psql lines; $1 the shape, $2 the batch.
claim_sql() {
	case $1 in
	today)
		cat <<SQL
BEGIN;
WITH cur AS (SELECT k.run_id, k.fund, k.from_id FROM claim_cursor k
  WHERE k.run_id = '$run_id' AND k.fund = 'dibao'),
 p AS (SELECT q.id, k.run_id FROM cur k CROSS JOIN LATERAL (SELECT id
  FROM payment WHERE (run_id, fund, id) >= (k.run_id, k.fund, k.from_id)
  AND (run_id, fund, id) <= (k.run_id, k.fund,
  'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid) AND status = 'planned'
  ORDER BY run_id, fund, id LIMIT 500 FOR UPDATE SKIP LOCKED) q),
 u AS (UPDATE payment SET status = 'sent', batch_id = 'B$2', sender = 's',
  sent_at = now(), checked_at = now() FROM p WHERE payment.id = p.id
  RETURNING payment.*),
 b AS (INSERT INTO send_batch (batch_id, sender, sent_at, payments,
  sent_left) SELECT 'B$2', 's', now(), array_agg(id ORDER BY id), count(*)
  FROM u
  HAVING count(*) > 0)
 SELECT array_agg(id)::text AS ids FROM u \gset
UPDATE claim_cursor k SET from_id = coalesce((SELECT id FROM payment
  WHERE (run_id, fund, id) >= (k.run_id, k.fund, k.from_id)
  AND (run_id, fund, id) <= (k.run_id, k.fund,
  'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid) AND status = 'planned'
  ORDER BY run_id, fund, id LIMIT 1),
  'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)
  WHERE k.run_id = '$run_id' AND k.fund = 'dibao';
COMMIT;
SQL
		;;
	016)
		cat <<SQL
WITH p AS (SELECT q.id FROM run CROSS JOIN LATERAL (SELECT id FROM payment
  WHERE status = 'planned' AND run_id = run.id AND fund = 'dibao'
  ORDER BY created_at LIMIT 500 FOR UPDATE SKIP LOCKED) q
  WHERE run.status = 'sending' LIMIT 500),
 u AS (UPDATE payment SET status = 'sent', batch_id = 'B$2', sender = 's',
  sent_at = now(), checked_at = now() FROM p WHERE payment.id = p.id
  RETURNING payment.e2e_id, payment.amount_fen, payment.bank_code,
  payment.account_number, payment.account_name, payment.period,
  payment.id)
 SELECT array_agg(id)::text AS ids FROM u \gset
SQL
		;;
	esac
	local closed=''
	[[ $1 == today ]] && closed=",
 n AS (SELECT 'B$2'::text AS b, count(*) AS k FROM u
  WHERE u.status <> 'sent'),
 dd AS (DELETE FROM send_batch s USING n WHERE s.batch_id = n.b
  AND s.sent_left <= n.k),
 du AS (UPDATE send_batch s SET sent_left = s.sent_left - n.k FROM n
  WHERE s.batch_id = n.b AND s.sent_left > n.k)"
	cat <<SQL
BEGIN;
SELECT count(*) FROM (SELECT p.status FROM unnest(:'ids'::uuid[]) AS a(id)
  JOIN payment p ON p.id = a.id ORDER BY p.id FOR UPDATE OF p) x \g /dev/null
WITH u AS (UPDATE payment p SET status = 'settled',
  settled_at = '2026-03-10T12:00:00Z', checked_at = now(),
  finished_at = now() FROM unnest(:'ids'::uuid[]) AS a(id)
  WHERE p.id = a.id RETURNING p.*)$closed
 SELECT count(*), count((SELECT pe.beneficiary_id FROM payee pe
  WHERE pe.id = u.payee_id)) FROM u \g /dev/null
COMMIT;
SQL
}

# COPY's rows a second: today's N payment rows, written out by \copy,
# copied into a table of the same columns without indexes.
copy_rate() {
	local f="$RUN/payment_rows.copy" t0 ms
	psql_ -c "\\copy (SELECT * FROM pr_016.payment) TO '$f'"
	q "CREATE TABLE copy_bench (LIKE pr_016.payment INCLUDING DEFAULTS)"
	t0=$(date +%s%N)
	psql_ -c "\\copy copy_bench FROM '$f'"
	ms=$((($(date +%s%N) - t0) / 1000000))
	q "DROP TABLE copy_bench"
	rm -f "$f"
	echo $((n * 1000 / (ms > 0 ? ms : 1)))
}

q "CREATE EXTENSION IF NOT EXISTS pgcrypto"
base_ms='' base_wal=''
for shape in 016 today; do
	s=pr_$shape
	sql="$RUN/payment_rows_$s.sql"
	{
		echo "CREATE SCHEMA $s; SET search_path = $s, public;"
		for m in "$ROOT"/services/disbursement/schema/0*.sql; do
			v=${m##*/}
			[[ $shape == 016 ]] && ((10#${v%%_*} > 16)) && continue
			cat "$m"
			echo
		done
		echo "ALTER TABLE payment DISABLE TRIGGER USER;"
		cat <<SQL
INSERT INTO run (id, period, status, created_by)
	VALUES ('$run_id', '2026-03', 'sending', 'bench');
INSERT INTO payee (application_id, beneficiary_id, status, fund, monthly_fen,
	from_month, bank_code, account_number, account_name)
	SELECT 'A' || g, 'BEN' || g, 'active', 'dibao', 50000, '2026-01', 'ICBC',
	'62220200' || lpad(g::text, 8, '0'), 'Zhang San'
	FROM generate_series(1, $n) g;
INSERT INTO payment (id, payee_id, fund, period, year, run_id, amount_fen,
	township_code, bank_code, account_number, account_name, attempt, e2e_id,
	status, category, persons)
	SELECT x.id, x.g, 'dibao', '2026-03', 2026, '$run_id', 50000, '220103001',
	'ICBC', '62220200' || lpad(x.g::text, 8, '0'), 'Zhang San', 1,
	e2e_of(x.id, 1), 'planned', 'dibao', 2
	FROM (SELECT uuid_v7() AS id, g FROM generate_series(1, $n) g) x;
ANALYZE payment; ANALYZE payee;
SQL
		[[ $shape == today ]] &&
			echo "INSERT INTO claim_cursor VALUES ('$run_id', 'dibao', '00000000-0000-0000-0000-000000000000');"
	} >"$sql"
	psql_ -f "$sql" >/dev/null
	work="$RUN/payment_rows_${s}_work.sql"
	{
		echo "SET search_path = $s, public;"
		for ((b = 1; b <= batches; b++)); do claim_sql "$shape" "$b"; done
	} >"$work"
	q "CHECKPOINT"
	w0=$(q "SELECT pg_current_wal_lsn()")
	t0=$(date +%s%N)
	psql_ -f "$work" >/dev/null
	ms=$((($(date +%s%N) - t0) / 1000000))
	wal=$(q "SELECT round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$w0') / 1048576)")
	settled=$(q "SELECT count(*) FROM $s.payment WHERE status = 'settled'")
	[[ $settled == "$n" ]] ||
		sn_die "payment_rows.sh: $shape settled $settled of $n payments"
	size=$(q "SELECT round(pg_total_relation_size('$s.payment') / 1048576.0)")
	# The work's backend reports its counts as it exits, after psql has
	# returned: waited for until both updates of every payment show.
	stats="FROM pg_stat_user_tables WHERE schemaname = '$s' AND relname = 'payment'"
	for ((i = 0; i < 100; i++)); do
		(($(q "SELECT n_tup_upd $stats") >= 2 * n)) && break
		sleep 0.05
	done
	hot=$(q "SELECT n_tup_hot_upd || ' of ' || n_tup_upd $stats")
	line="$shape: $batches claims of 500 and their answers in $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s, WAL $wal MiB, payment $size MiB with its indexes, updates HOT $hot"
	if [[ -z $base_ms ]]; then
		base_ms=$ms base_wal=$wal
	else
		line+=$(awk -v a="$ms" -v b="$base_ms" -v c="$wal" -v d="$base_wal" \
			'BEGIN { printf " (%.2f x the time, %.2f x the WAL of 016)", a / b, c / d }')
	fi
	echo "$line"
done
echo "PostgreSQL reference, same cluster: COPY of today's $n payment rows into a table without indexes, $(copy_rate) rows/s"
