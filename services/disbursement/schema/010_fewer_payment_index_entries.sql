-- Issue 15: fewer index entries written per payment row version. Every
-- payment is written three times in a run (built, claimed, answered), and
-- since status is indexed no update is HOT: each version enters every
-- full index of the table. Two of them need not hold every row:
--
-- payment_status_seq served the paged list by status; it now holds only
-- the statuses a person lists to act on (ready, accepted, rejected). A
-- page of planned, sent or settled payments walks payment_list_seq and
-- filters (settled is most rows, so that walk is short; planned and sent
-- are transitional). Claimed and answered versions of a run's payments
-- (sent, settled) no longer enter it.
--
-- payment_grant_instalment_key held a NULL grant_id for every payee's
-- payment; NULLs never conflict, so the same uniqueness holds with the
-- grant payments alone (the grant insert names the predicate in its
-- ON CONFLICT).
DROP INDEX payment_status_seq;
CREATE INDEX payment_status_seq ON payment (status, list_seq)
	WHERE status IN ('ready', 'accepted', 'rejected');
ALTER TABLE payment DROP CONSTRAINT payment_grant_instalment_key;
CREATE UNIQUE INDEX payment_grant_instalment_key
	ON payment (grant_id, instalment) WHERE grant_id IS NOT NULL;
