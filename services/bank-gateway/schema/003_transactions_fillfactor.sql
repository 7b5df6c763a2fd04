-- Issue 15: a transaction's row is written when its pain.001 is sent and
-- updated once when the pain.002 answers (state, iso_status, reason_code,
-- reason_info, updated_at: none of them indexed). Pages filled to the
-- brim by the batch insert leave no room for the new version, so every
-- answer wrote it elsewhere and entered all three indexes again; with room
-- left on each page the update stays on the page (HOT) and no index is
-- touched.
ALTER TABLE transactions SET (fillfactor = 70);
