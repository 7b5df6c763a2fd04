-- services (资源+服务, issue 13): the registry of the member departments
-- and their kinds of special assistance (a copy of seed/departments.json,
-- registry.h), referrals and the departments' answers (referrals.h), and
-- what the household tables need for routing (households.h).

-- The registry. A code no longer in the seed file is kept, retired.
CREATE TABLE department (
	code       text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,46}$'),
	name_zh    text NOT NULL,
	name_en    text NOT NULL,
	role_en    text NOT NULL DEFAULT '',
	retired    boolean NOT NULL DEFAULT false,
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- grant_terms: the seed's `grant` (what the kind grants: money_monthly,
-- money_once, money_per_term, reimbursement or service); route: its
-- `route` (needs, categories, ages), NULL when it is never routed
-- automatically.
CREATE TABLE kind (
	code          text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,46}$'),
	department    text NOT NULL REFERENCES department (code),
	type          text NOT NULL CHECK (type IN ('medical', 'housing',
	              'education', 'employment', 'other')),
	name_zh       text NOT NULL,
	name_en       text NOT NULL,
	deadline_days integer NOT NULL CHECK (deadline_days BETWEEN 1 AND 366),
	grant_terms   jsonb NOT NULL,
	route         jsonb,
	retired       boolean NOT NULL DEFAULT false,
	updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX kind_department ON kind (department);

-- What routing needs of a household: the decision's revision and its
-- referral label (approval's sn.assist.v1.Referral names).
ALTER TABLE household
	ADD COLUMN decision_revision integer NOT NULL DEFAULT 0,
	ADD COLUMN decision_referrals text[] NOT NULL DEFAULT '{}';
CREATE INDEX household_grant ON household (grant_id);

-- The emergency grants seen (emergency.granted), for their cause: a
-- household referred from a grant gets its need (major_illness,
-- disaster).
CREATE TABLE emergency_grant (
	grant_id      uuid PRIMARY KEY,
	cause         text NOT NULL DEFAULT '' CHECK (cause IN ('', 'accident',
	              'major_illness', 'disaster', 'fire', 'other')),
	township_code text NOT NULL DEFAULT '',
	village_code  text NOT NULL DEFAULT '',
	granted_at    timestamptz NOT NULL DEFAULT now()
);

-- Every routing done, once per household and trigger ('decision:<the
-- decided revision>', 'review:<review id>', 'emergency:<referral id>'):
-- a repeat of the event that caused it finds its row and routes nothing,
-- even when a department has declined in between.
CREATE TABLE routing (
	household_id uuid NOT NULL REFERENCES household (id) ON UPDATE CASCADE,
	trigger      text NOT NULL,
	referrals    integer NOT NULL DEFAULT 0,
	routed_at    timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (household_id, trigger)
);

-- Referrals. status: routed (in the department's queue) -> accepted or
-- declined, once. routed_on and deadline_date are district days
-- (sn/clock.h); overdue_at is set once, by the scan, when a referral is
-- still routed after its deadline day (referral.overdue in the same
-- transaction). granted: what an acceptance grants, in words.
CREATE TABLE referral (
	id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	no            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
	household_id  uuid NOT NULL REFERENCES household (id) ON UPDATE CASCADE,
	member        integer NOT NULL DEFAULT 0 CHECK (member >= 0),
	department    text NOT NULL REFERENCES department (code),
	kind          text NOT NULL REFERENCES kind (code),
	type          text NOT NULL,
	source        text NOT NULL CHECK (source IN ('decision', 'review',
	              'emergency', 'clerk')),
	trigger       text NOT NULL DEFAULT '',
	needs         text[] NOT NULL DEFAULT '{}',
	category      text NOT NULL DEFAULT '',
	tier          text NOT NULL DEFAULT '',
	note          text NOT NULL DEFAULT '',
	status        text NOT NULL DEFAULT 'routed' CHECK (status IN ('routed',
	              'accepted', 'declined')),
	routed_by     text NOT NULL,
	routed_at     timestamptz NOT NULL DEFAULT now(),
	routed_on     date NOT NULL,
	deadline_date date NOT NULL,
	overdue_at    timestamptz,
	granted       text,
	amount_fen    bigint CHECK (amount_fen >= 0),
	amount_per    text CHECK (amount_per IN ('', 'month', 'once', 'term',
	              'year')),
	from_date     date,
	reason_code   text,
	reason        text,
	answer_note   text,
	answered_by   text,
	answered_at   timestamptz,
	answered_on   date,
	late          boolean,
	CHECK ((status = 'routed') = (answered_at IS NULL))
);
-- At most one referral of a kind open or accepted per household member.
CREATE UNIQUE INDEX referral_open ON referral (household_id, member, kind)
	WHERE status IN ('routed', 'accepted');
CREATE INDEX referral_household ON referral (household_id);
CREATE INDEX referral_department ON referral (department, no);
CREATE INDEX referral_routed_on ON referral (routed_on);
CREATE INDEX referral_due ON referral (deadline_date)
	WHERE status = 'routed' AND overdue_at IS NULL;

CREATE FUNCTION ts_json(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- Where a household is, as precisely as known: its village, township or
-- district code ('' when unknown); a caller sees it when this starts
-- with the caller's jurisdiction.
CREATE FUNCTION household_place(h household) RETURNS text LANGUAGE sql
IMMUTABLE AS $$
SELECT coalesce(nullif(h.village_code, ''), nullif(h.township_code, ''),
	h.district_code) $$;

-- A referral as the API shows it, on the district day today.
CREATE FUNCTION referral_json(r referral, h household, today date)
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
-- application joins (an emergency-only one), and drops the first.
CREATE FUNCTION merge_household(from_id uuid, into_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE household i SET approved = f.approved, category = f.category,
		tier = f.tier, decided_by = f.decided_by,
		decided_at = f.decided_at, beneficiary_id = f.beneficiary_id,
		standing = f.standing, decision_revision = f.decision_revision,
		decision_referrals = f.decision_referrals
	FROM household f
	WHERE i.id = into_id AND f.id = from_id
		AND f.decision_revision >= i.decision_revision;
	DELETE FROM need WHERE household_id = from_id;
	DELETE FROM member WHERE household_id = from_id;
	UPDATE routing SET household_id = into_id WHERE household_id = from_id
		AND trigger NOT IN (SELECT trigger FROM routing
			WHERE household_id = into_id);
	DELETE FROM routing WHERE household_id = from_id;
	UPDATE referral SET household_id = into_id
		WHERE household_id = from_id;
	UPDATE household SET application_id = NULL, emergency_referral_id = NULL
		WHERE id = from_id;
	DELETE FROM household WHERE id = from_id;
END $$;

-- The household an application belongs to, locked; made (id = the
-- application id) when unknown. Call it in a statement of its own: a
-- row it inserts is not seen by the rest of the statement calling it.
CREATE FUNCTION household_of_application(app uuid) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
	hid uuid;
BEGIN
	SELECT id INTO hid FROM household WHERE application_id = app
		FOR UPDATE;
	IF hid IS NULL THEN
		INSERT INTO household (id, application_id) VALUES (app, app)
			ON CONFLICT (id) DO NOTHING;
		SELECT id INTO hid FROM household WHERE id = app FOR UPDATE;
	END IF;
	RETURN hid;
END $$;

-- application.submitted / application.resubmitted: the household's facts
-- and members (in the application's order; no identity numbers). Joins
-- the emergency-only household of the referral the application names,
-- if there is one. NULL when a later revision is stored already.
CREATE FUNCTION take_application(app uuid, ref uuid, rev integer,
	reg text, district text, township text, village text,
	wages bigint, business bigint, medical bigint, education bigint,
	housing bigint, employment bigint, names text[], relations text[],
	births date[], labours text[], grades integer[], cares text[])
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
	by_app uuid;
	by_ref uuid;
	hid    uuid;
BEGIN
	SELECT id INTO by_app FROM household WHERE application_id = app
		FOR UPDATE;
	IF ref IS NOT NULL THEN
		SELECT id INTO by_ref FROM household
			WHERE emergency_referral_id = ref FOR UPDATE;
	END IF;
	IF by_ref IS NOT NULL AND by_app IS NOT NULL AND by_app <> by_ref THEN
		PERFORM merge_household(by_app, by_ref);
		by_app := NULL;
	END IF;
	hid := coalesce(by_ref, by_app);
	IF hid IS NULL THEN
		-- a decision's household made meanwhile by another stream is
		-- waited for and then updated (the next statement sees it)
		INSERT INTO household (id) VALUES (app) ON CONFLICT (id) DO NOTHING;
		hid := app;
	END IF;
	UPDATE household SET application_id = app,
		emergency_referral_id = coalesce(ref, emergency_referral_id),
		registration = reg, district_code = district,
		township_code = township, village_code = village,
		wages_fen = wages, business_fen = business,
		medical_fen = medical, education_fen = education,
		housing_fen = housing, employment_costs_fen = employment,
		household_size = cardinality(names), has_facts = true,
		revision = rev, updated_at = now()
	WHERE id = hid AND (NOT has_facts OR revision <= rev);
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	DELETE FROM member WHERE household_id = hid;
	INSERT INTO member (household_id, member, name, relation, birth_date,
		labour, disability_grade, self_care)
	SELECT hid, m.ord, m.name, m.relation, m.birth, m.labour, m.grade,
		m.care
	FROM unnest(names, relations, births, labours, grades, cares)
		WITH ORDINALITY AS m(name, relation, birth, labour, grade, care,
		ord);
	RETURN hid;
END $$;

-- referral.created (special assistance): the household of the emergency
-- referral - the one naming it, else the one of the same grant, else a
-- new emergency-only household (id = the referral id) of the person
-- referred (member 1, by name) - with the grant and its cause.
CREATE FUNCTION take_emergency_referral(ref uuid, grant_ref uuid,
	district text, township text, village text, size integer,
	person text)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
	hid uuid;
BEGIN
	SELECT id INTO hid FROM household WHERE emergency_referral_id = ref
		FOR UPDATE;
	IF hid IS NULL AND grant_ref IS NOT NULL THEN
		SELECT id INTO hid FROM household WHERE grant_id = grant_ref
			ORDER BY created_at LIMIT 1 FOR UPDATE;
	END IF;
	IF hid IS NULL THEN
		INSERT INTO household (id, emergency_referral_id, district_code,
			township_code, village_code, household_size)
		VALUES (ref, ref, district, township, village, size)
		RETURNING id INTO hid;
		INSERT INTO member (household_id, member, name)
		VALUES (hid, 1, person);
	END IF;
	UPDATE household h SET grant_id = coalesce(grant_ref, h.grant_id),
		emergency_cause = coalesce((SELECT g.cause FROM emergency_grant g
			WHERE g.grant_id = grant_ref), h.emergency_cause),
		updated_at = now()
	WHERE h.id = hid;
	RETURN hid;
END $$;
