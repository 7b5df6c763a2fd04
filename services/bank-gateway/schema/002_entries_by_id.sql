-- A day's reconciliation takes the payments the bank booked that day
-- whatever day the gateway learned they settled (reconcile.h): entries
-- are looked up by end-to-end id.
CREATE INDEX entries_e2e ON entries (end_to_end_id) WHERE status = 'BOOK';
