-- Issue 15: a grant's ledger row and its people are inserted in the
-- statement that debits the fund and inserts the grant, inside the
-- group commit's savepoint for that grant. Their foreign keys, checked
-- at once, took a key-share lock on the fund row that the same
-- transaction had just updated, from a subtransaction: a MultiXact per
-- grant (0.115 ms of the statement's 0.27 ms in auto_explain). Checked
-- at the COMMIT instead, by the transaction that holds the row already,
-- nothing more is locked; a savepoint undone takes its checks with it.
ALTER TABLE ledger ALTER CONSTRAINT ledger_township_code_fkey
	DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE grant_person ALTER CONSTRAINT grant_person_grant_id_fkey
	DEFERRABLE INITIALLY DEFERRED;
