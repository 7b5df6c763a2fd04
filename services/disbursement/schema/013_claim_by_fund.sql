-- Issue 15: the sender's claim takes up to a batch of one fund's planned
-- payments in the runs being sent. payment_planned held the run alone,
-- so the claim's plan (a prepared statement's generic plan, made once for
-- every fund) was a sequential scan of payment filtered by fund: each
-- claim read the table from its start, past every payment claimed
-- already, and a claim for a fund with nothing planned read all of it
-- (two of them a second while a run is sent; at a million payees, two
-- million rows each). Keyed by run, fund and time of making, the index
-- hands a claim its fund's oldest planned payments, and a fund with none
-- costs a descent. The claim orders by created_at, which no other index
-- of planned payments is in: in id order, a plan could walk the primary
-- key past every payment claimed already (one did, at 3,000 payments).
DROP INDEX payment_planned;
CREATE INDEX payment_planned ON payment (run_id, fund, created_at)
	WHERE status = 'planned';
