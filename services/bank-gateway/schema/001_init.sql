-- bank-gateway (issue 14): the ISO 20022 files it sent and received, the
-- statuses the bank gave each payment, the statement entries it fetched
-- and the reconciliations it ran. One schema, owned by its own role.

-- One pain.001 per BatchRequest; msg_id is disbursement's batch_id. The
-- document is stored, byte for byte, in the transaction that takes the
-- batch, before anything is sent: a repeated batch_id is sent again
-- with these very bytes, never rebuilt. request_sha256 is the digest of
-- the request's content, so that a batch_id reused for another batch is
-- told apart from a repeat.
CREATE TABLE messages (
	msg_id          text PRIMARY KEY
	                CHECK (length(msg_id) BETWEEN 1 AND 35),
	seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
	fund            text NOT NULL,
	debtor_account  text NOT NULL,
	n_txs           integer NOT NULL CHECK (n_txs > 0),
	ctrl_sum_fen    bigint NOT NULL CHECK (ctrl_sum_fen > 0),
	request_sha256  bytea NOT NULL,
	document        bytea NOT NULL,
	document_sha256 bytea NOT NULL,
	-- how it goes to the bank: POSTed over HTTPS, or dropped as a file
	transport       text NOT NULL CHECK (transport IN ('https', 'drop')),
	-- stored: not known to have reached the bank; sent: the bank
	-- answered it (or the file was written); refused: the bank refused
	-- the whole file (nothing of it is at the bank)
	state           text NOT NULL DEFAULT 'stored'
	                CHECK (state IN ('stored', 'sent', 'refused')),
	sends           integer NOT NULL DEFAULT 0, -- tries, answered or not
	group_status    text NOT NULL DEFAULT '',   -- the last GrpSts
	group_reason    text NOT NULL DEFAULT '',   -- its Rsn/Cd
	group_info      text NOT NULL DEFAULT '',   -- its AddtlInf
	last_error      text NOT NULL DEFAULT '',   -- the last failed try
	created_at      timestamptz NOT NULL DEFAULT now(),
	sent_at         timestamptz,                -- first answered
	answered_at     timestamptz                 -- last answered
);

-- One row per transaction of a message, in its order. An end-to-end id
-- is in several messages only when disbursement sent it again after a
-- RETRY (or asked twice); the latest message's row is its status.
CREATE TABLE transactions (
	msg_id           text NOT NULL REFERENCES messages (msg_id),
	position         integer NOT NULL CHECK (position > 0),
	end_to_end_id    text NOT NULL,
	instr_id         text NOT NULL,
	amount_fen       bigint NOT NULL CHECK (amount_fen > 0),
	creditor_name    text NOT NULL,
	creditor_account text NOT NULL,
	bank_code        text NOT NULL,
	period           text NOT NULL,
	run_id           text NOT NULL,
	-- none: no status yet; then the outcome of the latest (rules.h):
	-- paid, rejected and retry are final
	state            text NOT NULL DEFAULT 'none'
	                 CHECK (state IN ('none', 'pending', 'paid',
	                 'rejected', 'retry')),
	iso_status       text NOT NULL DEFAULT '', -- TxSts: ACSC, RJCT, ...
	reason_code      text NOT NULL DEFAULT '', -- Rsn/Cd: AC04, AM04, ...
	reason_info      text NOT NULL DEFAULT '', -- AddtlInf
	updated_at       timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (msg_id, position),
	UNIQUE (msg_id, end_to_end_id)
);
CREATE INDEX transactions_e2e ON transactions (end_to_end_id);

-- Each end-to-end id the bank settled, once, with the day the gateway
-- learned it (the district's day): the payments a day's reconciliation
-- matches against the bank's statement entries.
CREATE TABLE settlements (
	end_to_end_id text PRIMARY KEY,
	msg_id        text NOT NULL REFERENCES messages (msg_id),
	fund          text NOT NULL,
	amount_fen    bigint NOT NULL CHECK (amount_fen > 0),
	run_id        text NOT NULL,
	settled_at    timestamptz NOT NULL,
	settled_day   date NOT NULL
);
CREATE INDEX settlements_day ON settlements (settled_day);

-- Every pain.002 received (answer to a POST, fetched by GET, or read
-- from the drop folder), as received.
CREATE TABLE reports (
	seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	msg_id        text NOT NULL REFERENCES messages (msg_id),
	report_msg_id text NOT NULL,
	via           text NOT NULL CHECK (via IN ('post', 'get', 'drop')),
	group_status  text NOT NULL,
	received_at   timestamptz NOT NULL DEFAULT now(),
	document      bytea NOT NULL
);
CREATE INDEX reports_msg ON reports (msg_id, seq);

-- Batches refused whole, for the record (the reply says why too):
-- unconfigured (no account for the fund), invalid (the pain.001 failed
-- our own XSD validation and was never sent), bank (the bank refused
-- the file: FF01, AM18, DU01, ...).
CREATE TABLE refusals (
	seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	msg_id     text NOT NULL,
	fund       text NOT NULL,
	kind       text NOT NULL CHECK (kind IN ('unconfigured', 'invalid',
	           'bank')),
	reason     text NOT NULL,
	refused_at timestamptz NOT NULL DEFAULT now()
);

-- The bank's camt.054 for one fund account and day, as last fetched (a
-- fetch again replaces it and its entries), or read from the drop
-- folder.
CREATE TABLE statements (
	account     text NOT NULL,
	day         date NOT NULL,
	camt_msg_id text NOT NULL,
	source      text NOT NULL CHECK (source IN ('https', 'drop')),
	fetched_at  timestamptz NOT NULL DEFAULT now(),
	document    bytea NOT NULL,
	PRIMARY KEY (account, day)
);

-- Its entries, one row per transaction (camt054.h), in document order.
CREATE TABLE entries (
	account       text NOT NULL,
	day           date NOT NULL,
	position      integer NOT NULL,
	entry_ref     text NOT NULL,
	bank_ref      text NOT NULL,
	end_to_end_id text NOT NULL,
	msg_id        text NOT NULL,
	amount_fen    bigint NOT NULL,
	currency      text NOT NULL,
	debit         boolean NOT NULL,
	reversal      boolean NOT NULL,
	status        text NOT NULL,
	booking_date  text NOT NULL,
	PRIMARY KEY (account, day, position),
	FOREIGN KEY (account, day) REFERENCES statements (account, day)
		ON DELETE CASCADE
);

-- A day's reconciliation, as last run: the summary (totals by kind, per
-- run, the accounts' statements) as served by GET /reconciliations, its
-- items (what did not match, and what did), and per run.
CREATE TABLE reconciliations (
	day           date PRIMARY KEY,
	reconciled_at timestamptz NOT NULL,
	balanced      boolean NOT NULL,
	summary       jsonb NOT NULL
);

CREATE TABLE reconciliation_items (
	seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	day            date NOT NULL REFERENCES reconciliations (day)
	               ON DELETE CASCADE,
	kind           text NOT NULL CHECK (kind IN ('matched',
	               'missing_entry', 'unmatched_entry', 'amount_mismatch',
	               'duplicate', 'reversed')),
	end_to_end_id  text NOT NULL,
	run_id         text NOT NULL, -- '' for an entry of no payment
	expected_fen   bigint NOT NULL,
	booked_fen     bigint NOT NULL,
	difference_fen bigint NOT NULL,
	n_entries      integer NOT NULL,
	account        text NOT NULL, -- the first entry's; '' when none
	bank_ref       text NOT NULL,
	msg_id         text NOT NULL  -- our pain.001, from the entry
);
CREATE INDEX reconciliation_items_day ON reconciliation_items (day, kind,
	seq);
CREATE INDEX reconciliation_items_page ON reconciliation_items (day, seq);

CREATE TABLE reconciliation_runs (
	day      date NOT NULL REFERENCES reconciliations (day)
	         ON DELETE CASCADE,
	run_id   text NOT NULL,
	balanced boolean NOT NULL,
	summary  jsonb NOT NULL,
	PRIMARY KEY (day, run_id)
);
