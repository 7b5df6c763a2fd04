-- Cheaper appends and relay passes (issue 15).
-- Embedded into libcommon at build time; applied as migration "bus/004".

-- The sequence's uniqueness without an index entry for every row not
-- numbered yet: the UNIQUE constraint of bus/001 indexed the NULL of each
-- appended row too, one B-tree insertion per append that nothing reads
-- (replay and the head ask for seq >= n or seq IS NOT NULL, which this
-- index answers). The new index is built before the old one goes, in the
-- migration's transaction, so the sequence is never without one.
CREATE UNIQUE INDEX outbox_seq ON outbox (seq) WHERE seq IS NOT NULL;
ALTER TABLE outbox DROP CONSTRAINT outbox_seq_key;

-- Room on each page for the relay's numbering: the row version the relay
-- writes goes on the appended row's own page instead of the table's last
-- one, which the appends are filling (no contention there, and no lock
-- record in the WAL for each row moved to another page). Pages filled
-- from now on; the old row versions are pruned away as before.
ALTER TABLE outbox SET (fillfactor = 50);

-- Retention finds its rows by the primary key (bus.c, SQL_RETENTION):
-- the index on created_at cost an entry per numbered row.
DROP INDEX outbox_created;
