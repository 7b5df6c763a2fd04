-- Issue 15: link_keys (006) deletes a waiting event's rows by its
-- position, which no index led to (the key is (key, pos)): every event
-- linked after waiting read the whole table, its dead rows too (5,048
-- such scans, 4.9 million rows read, in the application-path benchmark of
-- 3,000 households, for a table of a few hundred live rows).
CREATE INDEX household_pending_pos ON household_pending (pos);
