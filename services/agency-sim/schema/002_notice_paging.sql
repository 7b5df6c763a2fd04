-- Issue 10: GET /notices pages (libcommon sn/page.h) by a key that only
-- grows, in the order the notices were issued.
ALTER TABLE notice ADD COLUMN list_seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX notice_list_seq ON notice (list_seq);
