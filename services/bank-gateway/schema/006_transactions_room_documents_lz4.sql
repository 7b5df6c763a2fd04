-- Issue 15: a batch's statuses are written by one UPDATE of its 500
-- transactions, and no old version on a page can be pruned while that
-- statement runs: each row's new version needs room of its own on its
-- page. With fillfactor 70 (migration 003) there was room for about 3
-- new versions in 7 rows, and the rest were written elsewhere, entering
-- all three indexes again (47 % of the updates HOT at 100,000 payees).
-- At 50 every row's answer fits beside it: at 100,000 payees 95 % of
-- the updates HOT, the status writes 4.79 against 5.72 s, 3.1 against
-- 3.9 million blocks, 120 against 164 MB of WAL.
ALTER TABLE transactions SET (fillfactor = 50);

-- The documents (a pain.001 of 500 transactions is about 280 kB of XML,
-- its report 120 kB) are compressed with lz4 rather than PostgreSQL's
-- own pglz, whose compression was 1.9 % of PostgreSQL's CPU in a payment
-- run's sending: at 100,000 payees the 380 messages' inserts took 0.22
-- against 0.79 s and the reports' 0.12 against 0.39 s, each document
-- stored in about 8 % more bytes (22.4 against 20.7 kB a pain.001).
ALTER TABLE messages ALTER COLUMN document SET COMPRESSION lz4;
ALTER TABLE reports ALTER COLUMN document SET COMPRESSION lz4;
