-- Issue 15: a payment updated in place. The sending updates every
-- payment twice, claimed (planned to sent) and answered (sent to
-- settled). PostgreSQL writes an update's version on the row's own page,
-- entering no index (a HOT update), only when no column that an index
-- names in its key or its predicate changes; status was in five of
-- payment's nine indexes (payment_planned, payment_ready,
-- payment_inflight and payment_status_seq by predicate, payment_run by
-- key) and checked_at in one, so neither update ever was: each wrote its
-- version on another page and entered four or five indexes again (0 of
-- 380,000 updates HOT at 100,000 payees). Measured on a scratch schema
-- (tests/bench/payment_rows.sh): the two updates in place take 0.63 x
-- the time and 0.45 x the WAL.
--
-- So no index names status or checked_at any more. What they told apart
-- is found otherwise:
--   - planned payments: a run's payments of a fund by id (payment_run),
--     from a cursor per run and fund (claim_cursor) that the claims move:
--     every planned payment of the run and fund has an id at or after
--     it. A claim takes planned payments in id order from the cursor,
--     passing over those another transaction holds (SKIP LOCKED), and
--     moves the cursor to the first it passed over or else to the last
--     it took. The cursor rows are made when a run's build ends (one per
--     fund in its plan), and here for the runs built already;
--   - ready, accepted and rejected payments (few: retries, emergency
--     payments, answers still open, refusals held for correction): by
--     stage, a stored generated column that is status for those three
--     and NULL for planned, sent and settled, so that the two updates of
--     the sending leave it NULL;
--   - sent payments: a row per batch (send_batch) naming its payments,
--     its sender and when it was sent, made by the claim and deleted once
--     none of its payments is sent any more (an answer, the batch undone);
--     the look for payments to ask the bank about walks those of other
--     senders' and old batches, where it walked payment_inflight.
-- fillfactor 50 leaves room on each page for the two new versions of its
-- payments (the first is pruned by the time the second is written).
ALTER TABLE payment SET (fillfactor = 50);
ALTER TABLE payment ADD COLUMN stage text GENERATED ALWAYS AS
	(CASE WHEN status IN ('ready', 'accepted', 'rejected') THEN status END)
	STORED;
DROP INDEX payment_planned, payment_ready, payment_inflight,
	payment_status_seq, payment_run;
CREATE INDEX payment_run ON payment (run_id, fund, id);
CREATE INDEX payment_ready ON payment (fund, created_at) WHERE stage = 'ready';
CREATE INDEX payment_stage_seq ON payment (stage, list_seq)
	WHERE stage IS NOT NULL;

CREATE TABLE claim_cursor (
	run_id  uuid NOT NULL REFERENCES run (id),
	fund    text NOT NULL,
	from_id uuid NOT NULL,
	PRIMARY KEY (run_id, fund)
);
INSERT INTO claim_cursor (run_id, fund, from_id)
	SELECT DISTINCT pl.run_id, pl.fund,
		'00000000-0000-0000-0000-000000000000'::uuid
	FROM run_plan pl JOIN run r ON r.id = pl.run_id
	WHERE r.status IN ('awaiting_approval', 'approved', 'sending');

CREATE TABLE send_batch (
	batch_id text PRIMARY KEY,
	sender   text,
	sent_at  timestamptz NOT NULL,
	payments uuid[] NOT NULL
);
-- A batch orphaned (its sender gave up) has its sent payments' sender
-- NULL: so does its row.
INSERT INTO send_batch (batch_id, sender, sent_at, payments)
	SELECT batch_id,
		CASE WHEN count(sender) = count(*) THEN min(sender) END,
		coalesce(min(sent_at), now()), array_agg(id ORDER BY id)
	FROM payment WHERE status = 'sent' AND batch_id IS NOT NULL
	GROUP BY batch_id;
