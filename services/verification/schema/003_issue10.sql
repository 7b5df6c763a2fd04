-- Issue 10: declared income no agency sees, resubmissions, withdrawals,
-- held checks.
--
-- declared_agricultural_fen, declared_support_fen: ApplicationSubmitted's
-- Income fields 5 and 6, counted as declared (rules.h).
-- revision: the application's revision this check is of (1 for
-- application.submitted, n for application.resubmitted's); a review's
-- check is of revision 1. One application check per revision.
-- accepted_date, deadline_date: the event's, '' when it had none; shown
-- on the held list.
-- status 'cancelled': the application was withdrawn, or a newer revision
-- was resubmitted, while the check was pending or incomplete (reason says
-- which); no agency is asked for it again and nothing more is published.
-- retry_requested: a township officer asked a held check again (POST
-- /checks/{id}/retry); the round it starts is published whatever its
-- outcome, then the flag is cleared. retried_by: that officer.
ALTER TABLE checks
	ADD COLUMN declared_agricultural_fen bigint NOT NULL DEFAULT 0,
	ADD COLUMN declared_support_fen bigint NOT NULL DEFAULT 0,
	ADD COLUMN revision integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
	ADD COLUMN accepted_date text NOT NULL DEFAULT '',
	ADD COLUMN deadline_date text NOT NULL DEFAULT '',
	ADD COLUMN retry_requested boolean NOT NULL DEFAULT false,
	ADD COLUMN retried_by text NOT NULL DEFAULT '',
	ADD COLUMN cancelled_at timestamptz;
ALTER TABLE checks DROP CONSTRAINT checks_status_check;
ALTER TABLE checks ADD CONSTRAINT checks_status_check
	CHECK (status IN ('pending', 'complete', 'incomplete', 'cancelled'));
CREATE UNIQUE INDEX checks_revision ON checks (application_id, revision)
	WHERE kind = 'application';
-- Held: incomplete after the last automatic round (no round scheduled)
-- of a check that asked the agencies (reason '').
CREATE INDEX checks_held ON checks (township_code, check_id)
	WHERE status = 'incomplete' AND next_round_at IS NULL AND reason = '';
