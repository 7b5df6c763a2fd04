-- Issue 15: payment_batch held every claimed version of a payment (status
-- 'sent') under its batch, only for the rare batch undone whole (refused
-- by the bank, or never answered). The sender holds a batch's end-to-end
-- ids until its answer is applied, so it names them when it undoes one,
-- and each payment is found by its id (payment_id_of_e2e, migration 014);
-- every claim writes one index entry fewer.
DROP INDEX payment_batch;
