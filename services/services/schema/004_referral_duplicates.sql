-- services (issue 13 review): a referral that duplicates another.
--
-- merge_household (002) joins the household a decision made first for an
-- application into the emergency-only household the application names,
-- and moved every referral of the first with one UPDATE. When both
-- households held a referral of the same member and kind routed or
-- accepted (a clerk's on the decision-first one, the emergency officer's
-- on the other), the move broke referral_open: the apply transaction
-- failed, the bus retried the intake batch for ever, and every later
-- intake event waited behind it.
--
-- Both referrals were routed to the department, and neither may vanish:
-- one of the pair is kept (referral_open ignores the other) and the
-- other is marked duplicate_of it. A duplicate stays what it was: in the
-- department's queue, answerable, counted, shown with duplicate_of on
-- GET /households/{id} and GET /department-referrals/{id}. The kept one
-- is the accepted one when only one of the two is accepted (the routed
-- one is then what the department answers as a duplicate), else the one
-- the joined household held.

ALTER TABLE referral ADD COLUMN duplicate_of uuid REFERENCES referral (id);

-- At most one referral of a kind open or accepted per household member,
-- its duplicates apart. ON CONFLICT clauses name this predicate.
DROP INDEX referral_open;
CREATE UNIQUE INDEX referral_open ON referral (household_id, member, kind)
	WHERE status IN ('routed', 'accepted') AND duplicate_of IS NULL;

-- A referral as the API shows it, on the district day today (002's, with
-- duplicate_of: the referral it duplicates, or null).
CREATE OR REPLACE FUNCTION referral_json(r referral, h household, today date)
RETURNS json LANGUAGE sql STABLE AS $$
SELECT json_build_object(
	'id', r.id,
	'household_id', r.household_id,
	'application_id', h.application_id,
	'emergency_referral_id', h.emergency_referral_id,
	'township_code', h.township_code,
	'village_code', h.village_code,
	'member', r.member,
	'department', r.department,
	'kind', r.kind,
	'type', r.type,
	'source', r.source,
	'needs', to_json(r.needs),
	'category', nullif(r.category, ''),
	'tier', nullif(r.tier, ''),
	'note', r.note,
	'status', r.status,
	'duplicate_of', r.duplicate_of,
	'routed_by', r.routed_by,
	'routed_at', ts_json(r.routed_at),
	'routed_on', r.routed_on,
	'deadline_date', r.deadline_date,
	'overdue', r.status = 'routed' AND r.deadline_date < today,
	'overdue_at', ts_json(r.overdue_at),
	'answer', CASE WHEN r.status = 'routed' THEN NULL
	ELSE json_build_object(
		'outcome', r.status,
		'grant', r.granted,
		'amount_fen', r.amount_fen,
		'amount_per', r.amount_per,
		'from_date', r.from_date,
		'reason_code', r.reason_code,
		'reason', r.reason,
		'note', r.answer_note,
		'answered_by', r.answered_by,
		'answered_at', ts_json(r.answered_at),
		'late', r.late) END) $$;

-- Moves what approval told of a household that intake had not yet
-- described (a decision that came first) onto the household its
-- application joins (an emergency-only one), and drops the first. Its
-- referrals all move; a pair open or accepted of the same member and
-- kind keeps one and marks the other duplicate_of it (above). Its
-- staff-noted needs move too (the facts' are derived again).
CREATE OR REPLACE FUNCTION merge_household(from_id uuid, into_id uuid)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	UPDATE household i SET approved = f.approved, category = f.category,
		tier = f.tier, decided_by = f.decided_by,
		decided_at = f.decided_at, beneficiary_id = f.beneficiary_id,
		standing = f.standing, decision_revision = f.decision_revision,
		decision_referrals = f.decision_referrals
	FROM household f
	WHERE i.id = into_id AND f.id = from_id
		AND f.decision_revision >= i.decision_revision;
	UPDATE need n SET household_id = into_id
	WHERE n.household_id = from_id AND n.source = 'staff'
		AND NOT EXISTS (SELECT 1 FROM need o
			WHERE o.household_id = into_id AND o.member = n.member
			AND o.need = n.need AND o.source = 'staff');
	DELETE FROM need WHERE household_id = from_id;
	DELETE FROM member WHERE household_id = from_id;
	UPDATE routing SET household_id = into_id WHERE household_id = from_id
		AND trigger NOT IN (SELECT trigger FROM routing
			WHERE household_id = into_id);
	DELETE FROM routing WHERE household_id = from_id;
	-- the joined household's routed one duplicates the moved accepted one
	UPDATE referral i SET duplicate_of = f.id
	FROM referral f
	WHERE i.household_id = into_id AND i.status = 'routed'
		AND i.duplicate_of IS NULL
		AND f.household_id = from_id AND f.status = 'accepted'
		AND f.duplicate_of IS NULL
		AND f.member = i.member AND f.kind = i.kind;
	-- else the moved one duplicates the joined household's
	UPDATE referral f SET duplicate_of = i.id
	FROM referral i
	WHERE f.household_id = from_id
		AND f.status IN ('routed', 'accepted') AND f.duplicate_of IS NULL
		AND i.household_id = into_id
		AND i.status IN ('routed', 'accepted') AND i.duplicate_of IS NULL
		AND i.member = f.member AND i.kind = f.kind;
	UPDATE referral SET household_id = into_id
		WHERE household_id = from_id;
	UPDATE household SET application_id = NULL, emergency_referral_id = NULL
		WHERE id = from_id;
	DELETE FROM household WHERE id = from_id;
END $$;
