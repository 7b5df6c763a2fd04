-- agency-sim's notices (issue 9): a death (public security) or a new job
-- (human resources) announced through POST /notices; each is published
-- as agency.notice through the outbox (the bus's own tables) in the same
-- transaction, and changes what the agencies answer from then on
-- (records.h, the overlay, rebuilt from this table at start).
CREATE TABLE notice (
	notice_id        uuid PRIMARY KEY,
	agency           text NOT NULL
	    CHECK (agency IN ('PUBLIC_SECURITY', 'HUMAN_RESOURCES')),
	kind             text NOT NULL CHECK (kind IN ('death', 'new_job')),
	id_number        text NOT NULL,
	effective_date   date NOT NULL,
	monthly_wage_fen bigint NOT NULL DEFAULT 0
	    CHECK (monthly_wage_fen >= 0),
	note             text NOT NULL DEFAULT '',
	issued_at        timestamptz NOT NULL
);
CREATE INDEX notice_issued ON notice (issued_at, notice_id);
CREATE INDEX notice_id_number ON notice (id_number, issued_at);
