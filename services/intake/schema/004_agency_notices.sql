-- Agency notices (issue 9): intake follows agency-sim's agency.notice (a
-- death, a new job). A notice naming a member of a beneficiary household
-- on the register is recorded as that household's change, as a clerk's
-- report is (household_change, with the agency and the notice), and
-- published as household.change_reported; one naming nobody intake holds
-- is kept here as unmatched. Either way once per notice_id.
ALTER TABLE household_change ADD COLUMN agency text;
ALTER TABLE household_change ADD COLUMN notice_id text;
CREATE UNIQUE INDEX household_change_notice ON household_change (notice_id)
	WHERE notice_id IS NOT NULL;

CREATE TABLE agency_notice (
	notice_id        text PRIMARY KEY,
	agency           text NOT NULL,
	kind             text NOT NULL CHECK (kind IN ('death', 'new_job')),
	id_number        text NOT NULL,
	effective_date   date NOT NULL,
	monthly_wage_fen bigint NOT NULL DEFAULT 0,
	outcome          text NOT NULL CHECK (outcome IN ('matched', 'unmatched')),
	beneficiary_id   text,
	change_id        uuid,
	received_on      date NOT NULL,
	created_at       timestamptz NOT NULL DEFAULT now(),
	CHECK ((outcome = 'matched') = (change_id IS NOT NULL))
);
CREATE INDEX agency_notice_unmatched ON agency_notice (created_at)
	WHERE outcome = 'unmatched';
