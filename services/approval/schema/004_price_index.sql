-- Price linkage (issue 9, design section 6): a month's price indices,
-- year on year in per mille, and what they decided (once per month).
CREATE TABLE price_index (
	month             text PRIMARY KEY CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
	cpi_permille      integer NOT NULL,
	food_cpi_permille integer NOT NULL,
	applies           boolean NOT NULL,
	per_person_fen    bigint NOT NULL CHECK (per_person_fen >= 0),
	policy_version    text NOT NULL,
	decided_by        text NOT NULL,
	at                timestamptz NOT NULL DEFAULT now()
);
