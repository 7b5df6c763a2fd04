-- Reviews of the register (issue 9, design section 6 "The register over
-- time"): a household's periodic review when its review date comes, an
-- unscheduled one on a reported change; at most one open per household.
CREATE TABLE reviews (
	review_id      uuid PRIMARY KEY,
	beneficiary_id text NOT NULL REFERENCES beneficiaries (beneficiary_id),
	kind           text NOT NULL CHECK (kind IN ('periodic',
	               'change_report', 'agency_notice')),
	opened_on      date NOT NULL,
	deadline_date  date NOT NULL,
	status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open',
	               'closed')),
	change_id      text,
	at             timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX reviews_one_open ON reviews (beneficiary_id)
	WHERE status = 'open';
CREATE INDEX reviews_status ON reviews (status, opened_on);

-- Every household.change_reported followed, once (change_id), with the
-- review it opened or was recorded on (NULL: the household was not in
-- the register, or had exited).
CREATE TABLE review_changes (
	change_id      text PRIMARY KEY,
	beneficiary_id text NOT NULL,
	review_id      uuid REFERENCES reviews (review_id),
	data           bytea NOT NULL,
	at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_changes_review ON review_changes (review_id);
