-- Issue 14: bank-sim speaks ISO 20022 over HTTP beside the bank
-- protocol over NNG, with one book for both: the instructions table stays
-- the one row per end-to-end id that is paid at most once, whichever
-- protocol brought it. A pain.001's MsgId is a batch_id in batches (one
-- namespace: a MsgId taken by a batch is taken), and the tables below
-- keep what the document said, so that its status report can always be
-- answered again.

-- The book's rows learn the ISO side: the debtor (fund) account that
-- pays (the batch's debtor_account for the bank protocol), the block and
-- instruction ids of the pain.001, the ISO reason code of a rejection,
-- and whether a settled row is shown in the account's statements (drawn
-- once at settlement: SN_BANK_SIM_STATEMENT_OMIT_PERCENT).
ALTER TABLE instructions ADD COLUMN debtor_account text;
ALTER TABLE instructions ADD COLUMN pmt_inf_id text;
ALTER TABLE instructions ADD COLUMN instr_id text;
ALTER TABLE instructions ADD COLUMN iso_reason text;
ALTER TABLE instructions ADD COLUMN in_statement boolean;

UPDATE instructions i SET debtor_account = b.debtor_account
FROM batches b WHERE b.batch_id = i.batch_id;
UPDATE instructions SET iso_reason = CASE reason_code
	WHEN 'invalid_amount' THEN 'AM12' WHEN 'no_such_account' THEN 'AC01'
	WHEN 'closed_account' THEN 'AC04' WHEN 'name_mismatch' THEN 'BE01' END
WHERE status = 'rejected';
UPDATE instructions SET in_statement = true WHERE status = 'settled';
ALTER TABLE instructions ALTER COLUMN debtor_account SET NOT NULL;

ALTER TABLE instructions DROP CONSTRAINT instructions_reason_code_check;
ALTER TABLE instructions ADD CONSTRAINT instructions_reason_code_check
	CHECK (reason_code IN ('invalid_amount', 'no_such_account',
	'closed_account', 'blocked_account', 'holder_deceased',
	'name_mismatch', 'insufficient_funds'));
ALTER TABLE instructions ADD CONSTRAINT instructions_iso_reason_check
	CHECK ((status = 'rejected') = (iso_reason IS NOT NULL));
ALTER TABLE instructions ADD CONSTRAINT instructions_in_statement_check
	CHECK ((status = 'settled') = (in_statement IS NOT NULL));

-- What a debtor account has paid: its balance is the fixture's less
-- these (accepted and settled rows, and the entries below).
CREATE INDEX instructions_debtor ON instructions (debtor_account)
	WHERE status <> 'rejected';
-- A statement: the settled rows of a debtor account by time.
CREATE INDEX instructions_statement ON instructions (debtor_account,
	settled_at) WHERE status = 'settled';

-- Whether a settled row is in the statements: the same answer for the
-- same id and seed, omit_percent of the ids left out.
CREATE FUNCTION bank_sim_in_statement(e2e text, seed text,
	omit_percent integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT omit_percent <= 0 OR ('x' || substr(md5(seed || ':' || e2e),
		1, 8))::bit(32)::bigint % 100 >= omit_percent
$$;

-- A pain.001 stored: the SHA-256 of its bytes (the same MsgId with the
-- same document is a repeat, with another a duplicate MsgId, DU01).
CREATE TABLE iso_messages (
	msg_id      text PRIMARY KEY REFERENCES batches (batch_id),
	sha256      text NOT NULL CHECK (length(sha256) = 64),
	created     text NOT NULL, -- GrpHdr/CreDtTm as sent
	nb_of_txs   integer NOT NULL CHECK (nb_of_txs > 0),
	received_at timestamptz NOT NULL DEFAULT now()
);

-- Its payment information blocks; status and iso_reason only for a block
-- rejected whole (RJCT AM04: its debtor account was short).
CREATE TABLE iso_pmtinfs (
	msg_id         text NOT NULL REFERENCES iso_messages (msg_id),
	position       integer NOT NULL, -- in the document, from 1
	pmt_inf_id     text NOT NULL,
	debtor_account text NOT NULL,
	status         text CHECK (status = 'RJCT'),
	iso_reason     text,
	PRIMARY KEY (msg_id, position)
);

-- Its transactions. booked: this one was judged and written to the book
-- (a new end-to-end id, or a retry of one rejected before); its status
-- then is the book row's while the row is still this message's, else
-- the status it was given here. Not booked: a duplicate, whose status is
-- the book row's, now.
CREATE TABLE iso_txs (
	msg_id        text NOT NULL REFERENCES iso_messages (msg_id),
	position      integer NOT NULL, -- in the document, from 1
	block         integer NOT NULL, -- iso_pmtinfs.position
	instr_id      text NOT NULL,
	end_to_end_id text NOT NULL,
	amount_fen    bigint NOT NULL,
	booked        boolean NOT NULL,
	status        text NOT NULL
	              CHECK (status IN ('accepted', 'settled', 'rejected')),
	iso_reason    text,
	PRIMARY KEY (msg_id, position)
);
CREATE INDEX iso_txs_e2e ON iso_txs (end_to_end_id);

-- Debit entries booked with no payment behind them (a bank fee, a
-- foreign payment): POST /accounts/{account}/entries. In the statements
-- and taken from the balance like a payment.
CREATE TABLE foreign_entries (
	id            bigserial PRIMARY KEY,
	account       text NOT NULL,
	end_to_end_id text NOT NULL
	              CHECK (length(end_to_end_id) BETWEEN 1 AND 35),
	amount_fen    bigint NOT NULL CHECK (amount_fen > 0),
	booking_date  date NOT NULL,
	created_at    timestamptz NOT NULL DEFAULT now(),
	UNIQUE (account, end_to_end_id)
);
CREATE INDEX foreign_entries_day ON foreign_entries (account, booking_date);
