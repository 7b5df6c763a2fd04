-- Issue 15: the sender claims a run's planned payments one fund at a
-- time, and tries every fund in turn (dibao, tekun, emergency, price
-- subsidy). Keyed by run alone, a claim for a fund the run has none of
-- (emergency, always) or none left of read every planned payment of the
-- run still unsent from the heap to test its fund: 1,312 claims for 380
-- batches, 137 ms each, at 100,000 payees. Keyed by run and fund, such a
-- claim finds nothing in the index at once.
DROP INDEX payment_planned;
CREATE INDEX payment_planned ON payment (run_id, fund) WHERE status = 'planned';
