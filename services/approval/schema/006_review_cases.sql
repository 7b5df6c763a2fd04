-- A review is a case (issue 9, items 2-4; design section 6 "The register
-- over time"): a review's answers are kept apart from the application's,
-- keyed by review id, and each review has a row in cases (case_id = the
-- review id) that goes through the same three steps.

-- verification.completed with a review_id: replaced by a later one (the
-- latest attempt counts, as for applications). No reference to reviews:
-- an answer for an unknown review is kept and acts on nothing.
CREATE TABLE review_verification (
	review_id      text PRIMARY KEY,
	application_id text NOT NULL,
	complete       boolean NOT NULL,
	missing        text[] NOT NULL,
	attempt        integer NOT NULL,
	data           bytea NOT NULL,
	facts          jsonb NOT NULL,
	received_at    timestamptz NOT NULL DEFAULT now()
);

-- investigation.completed with a review_id.
CREATE TABLE review_investigation (
	review_id      text PRIMARY KEY,
	application_id text NOT NULL,
	investigators  text[] NOT NULL,
	report         jsonb NOT NULL,
	received_at    timestamptz NOT NULL DEFAULT now()
);

-- What a case is: an application (case_id = application id) or a review
-- of a household of the register (case_id = review_id).
ALTER TABLE cases
	ADD COLUMN kind           text NOT NULL DEFAULT 'application'
	                          CHECK (kind IN ('application', 'review')),
	ADD COLUMN review_id      text,
	ADD COLUMN beneficiary_id text;
CREATE INDEX cases_kind ON cases (kind, stage);

-- How a review ended: closed by the township's confirmation (approve or
-- reject), with the reason and the outcome applied ('' when rejected).
ALTER TABLE reviews
	ADD COLUMN closed_at    timestamptz,
	ADD COLUMN close_reason text NOT NULL DEFAULT '',
	ADD COLUMN outcome      text NOT NULL DEFAULT '';

-- The register's figures of a policy version (rules.h
-- approval_register_policy). Defaults: design section 6 for the review
-- periods and the price linkage thresholds. The subsidy per person is
-- in neither the design nor the issue (both say only "an amount per
-- person in the policy version"): 5000 fen (50 yuan) is the placeholder
-- rules.h has used (APPROVAL_REGISTER_POLICY_DEFAULT), kept so that
-- nothing changes until a version states the district's own figure.
ALTER TABLE policy_version
	ADD COLUMN review_months_dibao_stable   integer NOT NULL DEFAULT 12
	    CHECK (review_months_dibao_stable BETWEEN 1 AND 120),
	ADD COLUMN review_months_dibao          integer NOT NULL DEFAULT 6
	    CHECK (review_months_dibao BETWEEN 1 AND 120),
	ADD COLUMN review_months_tekun          integer NOT NULL DEFAULT 12
	    CHECK (review_months_tekun BETWEEN 1 AND 120),
	ADD COLUMN review_months_edge           integer NOT NULL DEFAULT 12
	    CHECK (review_months_edge BETWEEN 1 AND 120),
	ADD COLUMN price_subsidy_per_person_fen bigint NOT NULL DEFAULT 5000
	    CHECK (price_subsidy_per_person_fen >= 0),
	ADD COLUMN cpi_threshold_permille       bigint NOT NULL DEFAULT 35
	    CHECK (cpi_threshold_permille >= 0),
	ADD COLUMN food_cpi_threshold_permille  bigint NOT NULL DEFAULT 60
	    CHECK (food_cpi_threshold_permille >= 0);
