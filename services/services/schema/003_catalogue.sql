-- services (资源+服务, issue 13): the catalogue of the district's service
-- projects, the places given in them (enrolments) and the sessions the
-- partners deliver. catalogue.h and enrol.h.

-- One row per project: loaded from seed/projects.json when its code is
-- new (source 'seed'), or added by staff (source 'staff'); staff edits
-- and closures bump version. taken counts the places given and not ended:
-- it moves only with an enrolment row in the same transaction
-- (enrolment: +1 when given, -1 when ended), by a conditional UPDATE, so
-- taken never passes capacity.
CREATE TABLE project (
	code            text PRIMARY KEY
	                CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,47}$'),
	no              bigint GENERATED ALWAYS AS IDENTITY UNIQUE, -- paging
	name_zh         text NOT NULL,
	name_en         text NOT NULL DEFAULT '',
	description     text NOT NULL DEFAULT '',
	domain          text NOT NULL CHECK (domain IN ('living', 'employment',
	                'education', 'medical', 'disability', 'mental_care',
	                'social_integration')),
	partner_code    text NOT NULL
	                CHECK (partner_code ~ '^[a-z0-9_-]{1,47}$'),
	partner_name_zh text NOT NULL,
	partner_name_en text NOT NULL DEFAULT '',
	partner_kind    text NOT NULL,
	-- Eligibility (match.h): any of the categories; a member aged
	-- min_age..max_age (NULL: no bound) having one of the needs (none
	-- listed: no particular need).
	categories      text[] NOT NULL CHECK (cardinality(categories) >= 1),
	min_age         integer CHECK (min_age BETWEEN 0 AND 150),
	max_age         integer CHECK (max_age BETWEEN 0 AND 150),
	needs           text[] NOT NULL DEFAULT '{}',
	capacity        integer NOT NULL CHECK (capacity BETWEEN 1 AND 100000),
	taken           integer NOT NULL DEFAULT 0
	                CHECK (taken >= 0 AND taken <= capacity),
	township_codes  text[] NOT NULL
	                CHECK (cardinality(township_codes) >= 1),
	from_date       date NOT NULL,
	to_date         date NOT NULL,
	closed          boolean NOT NULL DEFAULT false,
	closed_reason   text NOT NULL DEFAULT '',
	version         integer NOT NULL DEFAULT 1,
	source          text NOT NULL CHECK (source IN ('seed', 'staff')),
	created_by      text NOT NULL,
	updated_by      text NOT NULL,
	created_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now(),
	CHECK (min_age IS NULL OR max_age IS NULL OR min_age <= max_age),
	CHECK (from_date <= to_date)
);
CREATE INDEX project_domain ON project (domain);
CREATE INDEX project_partner ON project (partner_code);

-- A place given to a member of a household in a project. One active
-- enrolment per project, household and member (the partial unique index);
-- an ended one may be followed by a new one. township_code is the
-- household's when the place was given (the figures count by it);
-- enrolled_on and ended_on are district days (sn/clock.h).
CREATE TABLE enrolment (
	id            uuid PRIMARY KEY,
	no            bigint GENERATED ALWAYS AS IDENTITY UNIQUE, -- paging
	project_code  text NOT NULL REFERENCES project (code),
	household_id  uuid NOT NULL REFERENCES household (id)
	              ON UPDATE CASCADE,
	member        integer NOT NULL CHECK (member >= 1),
	status        text NOT NULL CHECK (status IN ('active', 'ended')),
	township_code text NOT NULL,
	sessions      integer NOT NULL DEFAULT 0 CHECK (sessions >= 0),
	last_session  date,
	outcome       text NOT NULL DEFAULT '',
	end_note      text NOT NULL DEFAULT '',
	enrolled_by   text NOT NULL,
	enrolled_on   date NOT NULL,
	enrolled_at   timestamptz NOT NULL DEFAULT now(),
	ended_by      text NOT NULL DEFAULT '',
	ended_on      date,
	ended_at      timestamptz,
	CHECK ((status = 'ended') = (ended_on IS NOT NULL))
);
CREATE UNIQUE INDEX enrolment_one_active
	ON enrolment (project_code, household_id, member)
	WHERE status = 'active';
CREATE INDEX enrolment_household ON enrolment (household_id);
CREATE INDEX enrolment_project ON enrolment (project_code, no);

-- A session the partner delivered: n is 1, 2, ... per enrolment.
CREATE TABLE session (
	enrolment_id uuid NOT NULL REFERENCES enrolment (id),
	n            integer NOT NULL CHECK (n >= 1),
	held_on      date NOT NULL,
	outcome      text NOT NULL DEFAULT '',
	note         text NOT NULL DEFAULT '',
	recorded_by  text NOT NULL,
	recorded_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (enrolment_id, n)
);
CREATE INDEX session_held_on ON session (held_on);
