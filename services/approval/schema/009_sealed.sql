-- Issue 11: identity and account numbers sealed at rest (sn/seal.h). The
-- register's head_id_number and account_number are kept sealed (the
-- column's name as associated data: "approval.beneficiaries.<column>");
-- nothing looks a household up by them, so they have no blind index. A
-- migration has no key: the clear columns become nullable, and the service
-- seals the rows that still have a clear value at start-up (sn/sealdb.h),
-- before it reports ready, setting the clear value NULL. New rows never
-- write the clear columns.
ALTER TABLE beneficiaries
	ADD COLUMN head_id_number_sealed text,
	ADD COLUMN account_number_sealed text,
	ALTER COLUMN head_id_number DROP NOT NULL,
	ALTER COLUMN account_number DROP NOT NULL,
	ADD CHECK (head_id_number IS NOT NULL
		OR head_id_number_sealed IS NOT NULL),
	ADD CHECK (account_number IS NOT NULL
		OR account_number_sealed IS NOT NULL);
