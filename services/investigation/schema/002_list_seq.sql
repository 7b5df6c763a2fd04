-- Issue 10: GET /tasks pages (libcommon sn/page.h) in the order of a key
-- that only grows. Tasks that existed before get theirs in no particular
-- order; new ones in the order they are opened.
ALTER TABLE task ADD COLUMN list_seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX task_list_seq ON task (list_seq);
CREATE INDEX task_village_seq ON task (village_code, status, list_seq);
CREATE INDEX task_township_seq ON task (township_code, status, list_seq);
