-- Issue 14: bank-sim no longer speaks the bank protocol over NNG
-- (sn/bank/v1/bank.proto, which no bank speaks); ISO 20022 is its only
-- interface. The rows and batches that protocol stored stay in the book,
-- paid once like any other. Only what it alone filled goes: an
-- instruction's bank_code (a pain.001's transactions name none that
-- bank-sim reads; the ISO side wrote '' there).
ALTER TABLE instructions DROP COLUMN bank_code;
