-- bank-sim: the simulated bank's own records of the payment instructions
-- it received (issue 5). This is what the tests read as "the bank's
-- records": one row per end-to-end id, ever.

-- Batches taken (a refused batch is never stored). A repeated batch_id
-- with the same count and control sum is the same batch, answered from
-- the rows below; one with another count or sum is refused.
CREATE TABLE batches (
	batch_id        text PRIMARY KEY
	                CHECK (length(batch_id) BETWEEN 1 AND 128),
	debtor_account  text NOT NULL,
	count           integer NOT NULL CHECK (count > 0),
	control_sum_fen bigint NOT NULL,
	received_at     timestamptz NOT NULL DEFAULT now()
);

-- One row per end-to-end id: a repeat is never stored again, never paid
-- twice, and is answered with this row's status. The status moves only
-- from accepted to settled (the settlement timer).
CREATE TABLE instructions (
	end_to_end_id   text PRIMARY KEY
	                CHECK (length(end_to_end_id) BETWEEN 1 AND 35),
	batch_id        text NOT NULL REFERENCES batches (batch_id),
	position        integer NOT NULL, -- in its first batch, from 1
	amount_fen      bigint NOT NULL,
	bank_code       text NOT NULL,
	account_number  text NOT NULL,
	account_name    text NOT NULL,
	remittance_info text NOT NULL,
	status          text NOT NULL
	                CHECK (status IN ('accepted', 'settled', 'rejected')),
	reason_code     text CHECK (reason_code IN ('invalid_amount',
	                'no_such_account', 'closed_account', 'name_mismatch')),
	reason          text,
	received_at     timestamptz NOT NULL DEFAULT now(),
	settle_due_at   timestamptz,
	settled_at      timestamptz,
	CHECK ((status = 'rejected') = (reason_code IS NOT NULL)),
	CHECK ((status = 'settled') = (settled_at IS NOT NULL)),
	CHECK (status = 'rejected' OR amount_fen > 0)
);
CREATE INDEX instructions_batch ON instructions (batch_id, position);
CREATE INDEX instructions_due ON instructions (settle_due_at)
	WHERE status = 'accepted';
CREATE INDEX instructions_credits ON instructions (account_number,
	settled_at) WHERE status = 'settled';

-- Counts kept across restarts: instructions whose end-to-end id had
-- been received before (refused as duplicates: answered, not paid), and
-- batches received again.
CREATE TABLE counters (
	name  text PRIMARY KEY,
	value bigint NOT NULL DEFAULT 0
);
INSERT INTO counters (name) VALUES ('duplicate_instructions'),
	('repeated_batches');
