-- Re-rating (issue 9, design section 6): a policy version re-rates the
-- register once, when its effective month arrives on the district's
-- clock. A row here says it has (first_month: the month it re-rated
-- from).
CREATE TABLE policy_rerating (
	version     text PRIMARY KEY REFERENCES policy_version (version),
	first_month text NOT NULL,
	at          timestamptz NOT NULL DEFAULT now()
);
