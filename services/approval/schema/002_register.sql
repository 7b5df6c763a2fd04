-- The register over time (issue 9, design section 6 "The register over
-- time"): per household its status, the months it is valid for, its next
-- review date, its members and the policy version of its amount; and the
-- append-only history of every change with its cause.

-- Statuses keep the upper-case names the API has always shown.
ALTER TABLE beneficiaries
	ADD CONSTRAINT beneficiaries_status CHECK (status IN ('ACTIVE',
	'GRADUAL_EXIT', 'SUSPENDED', 'EXITED'));

-- until_month: NULL while open (was '').
ALTER TABLE beneficiaries ALTER COLUMN until_month DROP NOT NULL;
ALTER TABLE beneficiaries ALTER COLUMN until_month DROP DEFAULT;
UPDATE beneficiaries SET until_month = NULL WHERE until_month = '';

-- seq: the keyset of GET /beneficiaries' cursor (insertion order).
ALTER TABLE beneficiaries
	ADD COLUMN seq              bigserial,
	ADD COLUMN next_review_date date,
	ADD COLUMN members          integer,
	ADD COLUMN policy_version   text;

-- Existing households: members from their list, the policy version of
-- their case, a review 6 months after entry for dibao (the shorter
-- period: whether its members can work is not stored here), 12 for the
-- others.
UPDATE beneficiaries b SET members = cardinality(b.member_ids),
	policy_version = coalesce((SELECT c.policy_version FROM cases c
	WHERE c.case_id = b.application_id), ''),
	next_review_date = (b.created_at::date
	+ CASE WHEN b.category = 'dibao' THEN interval '6 months'
	ELSE interval '12 months' END)::date;

ALTER TABLE beneficiaries
	ALTER COLUMN members SET NOT NULL,
	ALTER COLUMN policy_version SET NOT NULL,
	ALTER COLUMN next_review_date SET NOT NULL,
	ADD CONSTRAINT beneficiaries_seq UNIQUE (seq);
CREATE INDEX beneficiaries_review ON beneficiaries (next_review_date);
CREATE INDEX beneficiaries_village ON beneficiaries (village_code);

-- Every change of a household's standing: append-only.
CREATE TABLE beneficiary_history (
	id             bigserial PRIMARY KEY,
	beneficiary_id text NOT NULL REFERENCES beneficiaries (beneficiary_id),
	cause          text NOT NULL CHECK (cause IN ('decision', 'review',
	               'change_report', 'rerating', 'exit', 'death', 'moved',
	               'suspension')),
	old_status     text,
	new_status     text NOT NULL,
	old_amount_fen bigint NOT NULL,
	new_amount_fen bigint NOT NULL,
	first_month    text NOT NULL,
	actor          text NOT NULL,
	review_id      text,
	reason         text NOT NULL DEFAULT '',
	at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX beneficiary_history_of ON beneficiary_history (beneficiary_id,
	id);

CREATE FUNCTION beneficiary_history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'beneficiary history is append-only';
END;
$$;
CREATE TRIGGER beneficiary_history_append_only BEFORE UPDATE OR DELETE
	ON beneficiary_history FOR EACH ROW
	EXECUTE FUNCTION beneficiary_history_append_only();
CREATE TRIGGER beneficiary_history_no_truncate BEFORE TRUNCATE
	ON beneficiary_history FOR EACH STATEMENT
	EXECUTE FUNCTION beneficiary_history_append_only();

-- The households already in the register entered by a decision.
INSERT INTO beneficiary_history (beneficiary_id, cause, old_status,
	new_status, old_amount_fen, new_amount_fen, first_month, actor, at)
SELECT beneficiary_id, 'decision', NULL, status, 0, monthly_amount_fen,
	from_month, approved_by, created_at
FROM beneficiaries ORDER BY seq;
