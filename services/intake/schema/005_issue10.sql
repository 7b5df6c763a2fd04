-- Issue 10: declared income from farming and from relatives; edge-tier
-- households that may apply again; returned applications amended and
-- resubmitted with their revisions; payees corrected by disbursement;
-- every list paged (sn/page.h) by a growing key.

-- Declared income, all sources (Income.agricultural_fen, support_fen).
-- NULL only while a draft, as the other figures (002).
ALTER TABLE application
	ADD COLUMN agricultural_fen bigint CHECK (agricultural_fen >= 0),
	ADD COLUMN support_fen bigint CHECK (support_fen >= 0);
UPDATE application SET agricultural_fen = 0, support_fen = 0
	WHERE status <> 'draft';

-- A case approval returned (case.stage_changed to RETURNED) waits for the
-- clerk's amendment and resubmission; it keeps its persons meanwhile.
ALTER TABLE application DROP CONSTRAINT application_status_check;
ALTER TABLE application ADD CONSTRAINT application_status_check
	CHECK (status IN ('draft', 'open', 'returned', 'withdrawn',
	                  'decided_approved', 'decided_rejected'));
ALTER TABLE application
	ADD COLUMN revision integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
	ADD COLUMN returned_reason text,
	ADD COLUMN returned_by text,
	ADD COLUMN returned_at timestamptz,
	-- What application.decided said (approved ones): the tier decides
	-- whether the household's persons may apply again (edge: yes).
	ADD COLUMN decided_category text,
	ADD COLUMN decided_tier text,
	-- The key GET /applications pages by.
	ADD COLUMN list_seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX application_list_seq ON application (list_seq);
CREATE INDEX application_taken_in_by ON application (taken_in_by, list_seq);

-- The register's tier of a household's persons: an edge household
-- (low income, expenditure) holds nobody against a new application.
ALTER TABLE beneficiary_member
	ADD COLUMN edge boolean NOT NULL DEFAULT false;
ALTER TABLE beneficiary_household
	ADD COLUMN category text,
	ADD COLUMN tier text;

-- An application's history beyond its columns: returned (by whom, why),
-- amended, resubmitted (the clerk's amendment), payee changed (the old
-- payee). revision is the application's revision the entry belongs to.
CREATE TABLE application_history (
	seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	application_id uuid NOT NULL REFERENCES application (id),
	kind           text NOT NULL CHECK (kind IN ('returned', 'amended',
	                   'resubmitted', 'payee_changed')),
	revision       integer NOT NULL,
	actor          text NOT NULL,
	note           text NOT NULL DEFAULT '',
	details        jsonb NOT NULL DEFAULT '{}',
	at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_history_app ON application_history
	(application_id, seq);
