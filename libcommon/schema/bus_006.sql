-- The outbox vacuumed by a fixed count of dead rows (issue 15).
-- Embedded into libcommon at build time; applied as migration "bus/006".

-- Each row the relay numbers leaves a dead entry in outbox_unassigned
-- (the version it replaced had no sequence), and every relay pass scans
-- that index from its left end (seq IS NULL ORDER BY id), stepping over
-- each dead entry until a vacuum removes it. Autovacuum's default waits
-- for a fifth of the table to be dead, so the scan grew with the outbox:
-- at a province's retention, hundreds of pages a pass. Here it runs
-- once 10,000 rows are dead, whatever the table's size, and always
-- cleans the indexes (by default it may skip them when few pages hold
-- dead rows, and the entries the scan steps over would stay). Measured
-- on a scratch outbox of 330,000 rows, 30,000 numbered since the last
-- vacuum and 15 waiting, autovacuum_naptime 1 s: without these settings
-- no vacuum ran (the threshold was 66,000) and each scan read 84 buffers;
-- with them one ran and the scan read 2.
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0,
	autovacuum_vacuum_threshold = 10000, vacuum_index_cleanup = on);
