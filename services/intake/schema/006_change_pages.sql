-- Issue 10: GET /households/{id}/changes is paged (sn/page.h) by a key
-- that only grows.
ALTER TABLE household_change
	ADD COLUMN list_seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX household_change_page
	ON household_change (beneficiary_id, list_seq);
