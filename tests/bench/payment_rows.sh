#!/usr/bin/env bash
# tests/bench/payment_rows.sh [N]: what the sending's two updates of a
# payment (claimed, answered) cost with disbursement's `payment` as its
# migrations leave it, against two shapes it could take (issue 15,
# Benchmarks, "Payment runs", thirteenth step):
#   answer-in-place  every index names a stored generated column `stage`
#                    (the status, NULL for sent and settled) instead of
#                    `status`, `payment_run` keys `run_id` alone, the
#                    payments in flight are a row per batch (inserted by
#                    the claim, closed by the answer), fillfactor 70: the
#                    answer's update can be HOT;
#   both-in-place    no index names `status` or `checked_at`, the claim
#                    takes the run's next payments by `(run_id, fund, id)`
#                    after a cursor row it moves, fillfactor 50: both
#                    updates can be HOT.
# Each shape gets every migration of services/disbursement/schema in a
# schema of its own on a private cluster (fsync on), N planned payments
# of one run (default 190,000, as 100,000 payees make), then N/500 claims
# of 500 and their answers, each a transaction as disbursement writes it
# (the claim's UPDATE; the locking read in id order, then the answer's
# UPDATE with the beneficiary's look-up). These are the statements'
# shapes, not the service's code. Printed for each: the time, the WAL,
# the table's size with its indexes, the updates that were HOT, and the
# time and WAL as a ratio of today's; with COPY's rows a second into a
# payment-shaped table on the same cluster, for scale. About a minute.
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

# The shape's DDL after the migrations; $1 the shape.
shape_sql() {
	case $1 in
	today) ;;
	answer-in-place)
		cat <<'SQL'
ALTER TABLE payment ADD COLUMN stage text GENERATED ALWAYS AS
	(CASE WHEN status IN ('sent', 'settled') THEN NULL ELSE status END) STORED;
DROP INDEX payment_planned, payment_ready, payment_inflight,
	payment_status_seq, payment_run;
CREATE INDEX payment_planned ON payment (run_id, fund, created_at)
	WHERE stage = 'planned';
CREATE INDEX payment_ready ON payment (fund, created_at) WHERE stage = 'ready';
CREATE INDEX payment_status_seq ON payment (stage, list_seq)
	WHERE stage IN ('ready', 'accepted', 'rejected');
CREATE INDEX payment_run ON payment (run_id);
CREATE INDEX payment_run_open ON payment (run_id, stage)
	WHERE stage IN ('planned', 'ready', 'accepted');
CREATE TABLE send_batch (batch_id text PRIMARY KEY, sender text,
	fund text NOT NULL, e2e text[] NOT NULL,
	sent_at timestamptz NOT NULL DEFAULT now(), checked_at timestamptz,
	open boolean NOT NULL DEFAULT true);
CREATE INDEX send_batch_open ON send_batch (checked_at NULLS FIRST) WHERE open;
ALTER TABLE payment SET (fillfactor = 70);
SQL
		;;
	both-in-place)
		cat <<'SQL'
DROP INDEX payment_planned, payment_ready, payment_inflight,
	payment_status_seq, payment_run;
CREATE INDEX payment_run_fund ON payment (run_id, fund, id);
CREATE TABLE claim_cursor (run_id uuid, fund text, last_id uuid NOT NULL,
	PRIMARY KEY (run_id, fund));
ALTER TABLE payment SET (fillfactor = 50);
SQL
		;;
	esac
}

# One claim and its answer as psql lines; $1 the shape, $2 the batch.
claim_sql() {
	local planned="status = 'planned'"
	case $1 in
	answer-in-place) planned="stage = 'planned'" ;;
	esac
	case $1 in
	both-in-place)
		cat <<SQL
BEGIN;
WITH c AS (SELECT id FROM payment WHERE run_id = '$run_id' AND fund = 'dibao'
  AND id > (SELECT last_id FROM claim_cursor WHERE run_id = '$run_id'
  AND fund = 'dibao') ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED),
 u AS (UPDATE payment SET status = 'sent', batch_id = 'B$2', sender = 's',
  sent_at = now(), checked_at = now() FROM c WHERE payment.id = c.id
  AND payment.status = 'planned' RETURNING payment.e2e_id,
  payment.amount_fen, payment.bank_code, payment.account_number,
  payment.account_name, payment.period, payment.id),
 k AS (UPDATE claim_cursor SET last_id = (SELECT max(id::text)::uuid FROM u)
  WHERE run_id = '$run_id' AND fund = 'dibao')
 SELECT array_agg(id)::text AS ids FROM u \gset
COMMIT;
SQL
		;;
	*)
		local batch=''
		[[ $1 == answer-in-place ]] && batch=", b AS (INSERT INTO send_batch
  (batch_id, sender, fund, e2e, checked_at) SELECT 'B$2', 's', 'dibao',
  array_agg(e2e_id), now() FROM u)"
		cat <<SQL
WITH p AS (SELECT q.id FROM run CROSS JOIN LATERAL (SELECT id FROM payment
  WHERE $planned AND run_id = run.id AND fund = 'dibao'
  ORDER BY created_at LIMIT 500 FOR UPDATE SKIP LOCKED) q
  WHERE run.status = 'sending' LIMIT 500),
 u AS (UPDATE payment SET status = 'sent', batch_id = 'B$2', sender = 's',
  sent_at = now(), checked_at = now() FROM p WHERE payment.id = p.id
  RETURNING payment.e2e_id, payment.amount_fen, payment.bank_code,
  payment.account_number, payment.account_name, payment.period,
  payment.id)$batch
 SELECT array_agg(id)::text AS ids FROM u \gset
SQL
		;;
	esac
	cat <<SQL
BEGIN;
SELECT count(*) FROM (SELECT p.status FROM unnest(:'ids'::uuid[]) AS a(id)
  JOIN payment p ON p.id = a.id ORDER BY p.id FOR UPDATE OF p) x \g /dev/null
WITH u AS (UPDATE payment p SET status = 'settled',
  settled_at = '2026-03-10T12:00:00Z', checked_at = now(),
  finished_at = now() FROM unnest(:'ids'::uuid[]) AS a(id)
  WHERE p.id = a.id RETURNING p.*)
 SELECT count(*), count((SELECT pe.beneficiary_id FROM payee pe
  WHERE pe.id = u.payee_id)) FROM u \g /dev/null
SQL
	[[ $1 == answer-in-place ]] &&
		echo "UPDATE send_batch SET open = false, checked_at = now() WHERE batch_id = 'B$2';"
	echo "COMMIT;"
}

# COPY's rows a second: today's N payment rows, written out by \copy,
# copied into a table of the same columns without indexes.
copy_rate() {
	local f="$RUN/payment_rows.copy" t0 ms
	psql_ -c "\\copy (SELECT * FROM pr_today.payment) TO '$f'"
	q "CREATE TABLE copy_bench (LIKE pr_today.payment INCLUDING DEFAULTS)"
	t0=$(date +%s%N)
	psql_ -c "\\copy copy_bench FROM '$f'"
	ms=$((($(date +%s%N) - t0) / 1000000))
	q "DROP TABLE copy_bench"
	rm -f "$f"
	echo $((n * 1000 / (ms > 0 ? ms : 1)))
}

q "CREATE EXTENSION IF NOT EXISTS pgcrypto"
base_ms='' base_wal=''
for shape in today answer-in-place both-in-place; do
	s=pr_${shape//-/_}
	sql="$RUN/payment_rows_$s.sql"
	{
		echo "CREATE SCHEMA $s; SET search_path = $s, public;"
		for m in "$ROOT"/services/disbursement/schema/0*.sql; do
			cat "$m"
			echo
		done
		echo "ALTER TABLE payment DISABLE TRIGGER USER;"
		shape_sql "$shape"
		[[ $shape == both-in-place ]] &&
			echo "INSERT INTO claim_cursor VALUES ('$run_id', 'dibao', '00000000-0000-0000-0000-000000000000');"
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
			'BEGIN { printf " (%.2f x the time, %.2f x the WAL of today)", a / b, c / d }')
	fi
	echo "$line"
done
echo "PostgreSQL reference, same cluster: COPY of today's $n payment rows into a table without indexes, $(copy_rate) rows/s"
