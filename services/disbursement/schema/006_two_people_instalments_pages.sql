-- Issue 10: account changes take two people, the household's member
-- names, transitional aid in instalments, paged lists.

-- The household's members' names (beneficiary.changed member_names, in
-- member_id_numbers' order): a corrected account's holder must be one
-- of them.
ALTER TABLE payee ADD COLUMN member_names text[] NOT NULL DEFAULT '{}';

-- Transitional aid is paid in instalments: one payment per grant and
-- instalment (0 for a grant paid at once), each under its own
-- end-to-end id (made from the payment's own id).
ALTER TABLE payment ADD COLUMN instalment integer NOT NULL DEFAULT 0
	CHECK (instalment BETWEEN 0 AND 99);
ALTER TABLE payment DROP CONSTRAINT IF EXISTS payment_grant_id_key;
ALTER TABLE payment ADD CONSTRAINT payment_grant_instalment_key
	UNIQUE (grant_id, instalment);

-- A proposed account for a rejected payment (maker-checker): one user
-- proposes (pending), another confirms (confirmed: the payment goes out
-- again to it) or rejects it. A new proposal replaces the pending one
-- (replaced), whoever makes it; at most one is pending per payment.
CREATE TABLE account_proposal (
	id             bigserial PRIMARY KEY,
	payment_id     uuid NOT NULL REFERENCES payment (id),
	bank_code      text NOT NULL,
	account_number text NOT NULL,
	account_name   text NOT NULL,
	status         text NOT NULL CHECK (status IN ('pending', 'confirmed',
	               'rejected', 'replaced')),
	requested_by   text NOT NULL,
	requested_at   timestamptz NOT NULL DEFAULT now(),
	decided_by     text,
	decided_at     timestamptz,
	reason         text
);
CREATE UNIQUE INDEX account_proposal_pending ON account_proposal (payment_id)
	WHERE status = 'pending';

-- Paged lists (sn/page.h): a key per row that only grows.
ALTER TABLE payment ADD COLUMN list_seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX payment_list_seq ON payment (list_seq);
CREATE INDEX payment_status_seq ON payment (status, list_seq);
ALTER TABLE run ADD COLUMN list_seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX run_list_seq ON run (list_seq);
ALTER TABLE budget ADD COLUMN list_seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX budget_list_seq ON budget (list_seq);
