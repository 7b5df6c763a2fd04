-- Issue 15: one index fewer written per settled instruction.
-- instructions_credits (account_number, settled_at) served the credits of
-- an account before they were paged by credit_seq (002); the page and its
-- count now both use instructions_credit_page (account_number, credit_seq,
-- the same rows), and nothing orders an account's credits by settled_at.
DROP INDEX instructions_credits;
