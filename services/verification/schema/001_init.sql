-- verification: the economic checks (家庭经济状况核对), every agency's
-- answer, and each round's outcome. Money is bigint fen.

-- One check per application.submitted or review.requested event.
-- status: pending (a round is due now), complete, incomplete (some
-- agency did not answer; next_round_at says when the missing ones are
-- asked again, NULL when no further round will run).
CREATE TABLE checks (
	check_id          bigserial PRIMARY KEY,
	source_event      text NOT NULL UNIQUE,  -- envelope id of the cause
	kind              text NOT NULL CHECK (kind IN ('application', 'review')),
	application_id    text NOT NULL,
	review_id         text NOT NULL DEFAULT '',
	consent_reference text NOT NULL,
	id_numbers        text[] NOT NULL,
	members           integer NOT NULL CHECK (members >= 1),
	has_declaration   boolean NOT NULL,
	declared_wages_fen            bigint NOT NULL DEFAULT 0,
	declared_business_fen         bigint NOT NULL DEFAULT 0,
	declared_pensions_fen         bigint NOT NULL DEFAULT 0,
	declared_other_fen            bigint NOT NULL DEFAULT 0,
	declared_medical_fen          bigint NOT NULL DEFAULT 0,
	declared_education_fen        bigint NOT NULL DEFAULT 0,
	declared_housing_fen          bigint NOT NULL DEFAULT 0,
	declared_employment_costs_fen bigint NOT NULL DEFAULT 0,
	district_code     text NOT NULL,
	township_code     text NOT NULL,
	village_code      text NOT NULL,
	status            text NOT NULL DEFAULT 'pending'
	                  CHECK (status IN ('pending', 'complete', 'incomplete')),
	attempt           integer NOT NULL DEFAULT 0,  -- rounds finished
	next_round_at     timestamptz,
	reason            text NOT NULL DEFAULT '',
	created_at        timestamptz NOT NULL DEFAULT now(),
	updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX checks_application ON checks (application_id, check_id);
CREATE INDEX checks_pending ON checks (check_id) WHERE status = 'pending';
CREATE INDEX checks_due ON checks (next_round_at)
	WHERE status = 'incomplete' AND next_round_at IS NOT NULL;

-- Every agency's final answer in every round (attempt), with its time.
-- reply is the agency's AgencyReply protobuf as received (NULL when
-- nothing usable came back); records the same figures as JSON.
CREATE TABLE answers (
	check_id           bigint NOT NULL REFERENCES checks,
	agency             text NOT NULL,
	attempt            integer NOT NULL,
	outcome            text NOT NULL CHECK (outcome IN ('ok', 'error',
	                   'timeout', 'no_consent', 'malformed', 'unreachable')),
	tries              integer NOT NULL,
	latency_ms         bigint NOT NULL,
	answered_at        timestamptz NOT NULL DEFAULT now(),
	agency_answered_at text NOT NULL DEFAULT '',
	error              text NOT NULL DEFAULT '',
	reply              bytea,
	records            jsonb NOT NULL DEFAULT '[]',
	PRIMARY KEY (check_id, agency, attempt)
);

-- What each round concluded, and whether it was published.
CREATE TABLE outcomes (
	check_id         bigint NOT NULL REFERENCES checks,
	attempt          integer NOT NULL,
	status           text NOT NULL CHECK (status IN ('complete', 'incomplete')),
	missing_agencies text[] NOT NULL,
	facts            jsonb,  -- NULL unless complete: never zeros
	discrepancies    jsonb NOT NULL DEFAULT '[]',
	published        boolean NOT NULL,
	decided_at       timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (check_id, attempt)
);
