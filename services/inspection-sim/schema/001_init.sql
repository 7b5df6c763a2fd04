-- inspection-sim: the simulated 12388 platform's own records (issue 12):
-- the tips citizens filed, the cases and outcomes partners delivered, and
-- the nonces of signed requests it has seen.

-- Tips in a dense order: seq comes from the one counter row, bumped in
-- the inserting transaction, so a reader of "after N" never skips a tip
-- that committed late.
CREATE TABLE tips_head (
	one  boolean PRIMARY KEY DEFAULT true CHECK (one),
	last bigint NOT NULL DEFAULT 0
);
INSERT INTO tips_head DEFAULT VALUES;

CREATE TABLE tips (
	seq          bigint PRIMARY KEY,
	id           uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
	subject_kind text NOT NULL
	             CHECK (subject_kind IN ('case', 'household', 'staff')),
	subject_id   text NOT NULL,
	category     text NOT NULL
	             CHECK (category IN ('decision', 'amount', 'delay',
	                                 'conduct')),
	text         text NOT NULL,
	reporter     text NOT NULL DEFAULT '',
	received_at  timestamptz NOT NULL DEFAULT now()
);

-- A case a partner delivered, as of its latest version (the partner's
-- own ordering, e.g. its queue's id): an older or equal version changes
-- nothing. outcome_* likewise for the case's outcome.
CREATE TABLE cases (
	id              text PRIMARY KEY,
	partner         text NOT NULL,    -- the key id that delivered it
	kind            text NOT NULL,    -- "grievance" or "alert"
	body            jsonb NOT NULL,
	version         bigint NOT NULL,
	outcome         jsonb,
	outcome_version bigint,
	puts            integer NOT NULL DEFAULT 1, -- requests, repeats too
	first_at        timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Every version of a case or an outcome that changed something: one row
-- each, ever (a repeated delivery adds none).
CREATE TABLE case_log (
	case_id  text NOT NULL,
	what     text NOT NULL CHECK (what IN ('case', 'outcome')),
	version  bigint NOT NULL,
	body     jsonb NOT NULL,
	at       timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (case_id, what, version)
);

-- Nonces of signed requests, per key, kept twice the timestamp window.
CREATE TABLE nonces (
	key_id text NOT NULL,
	nonce  text NOT NULL,
	at     timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (key_id, nonce)
);
CREATE INDEX nonces_at ON nonces (at);

-- Cases listed in the order they first arrived (GET /cases pages by it).
ALTER TABLE cases ADD COLUMN no bigint GENERATED ALWAYS AS IDENTITY UNIQUE;

-- A delivery of a case: 'created', 'updated', or, for a version not above
-- the one held, 'repeat' (the same) or 'stale' (an older one); every
-- request is counted in puts.
CREATE FUNCTION put_case(p_id text, p_partner text, p_kind text,
    p_version bigint, p_body jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	held bigint;
BEGIN
	SELECT version INTO held FROM cases WHERE id = p_id FOR UPDATE;
	IF NOT FOUND THEN
		INSERT INTO cases (id, partner, kind, body, version)
		VALUES (p_id, p_partner, p_kind, p_body, p_version);
		INSERT INTO case_log (case_id, what, version, body)
		VALUES (p_id, 'case', p_version, p_body);
		RETURN 'created';
	END IF;
	UPDATE cases SET puts = puts + 1 WHERE id = p_id;
	IF p_version <= held THEN
		RETURN CASE WHEN p_version = held THEN 'repeat' ELSE 'stale' END;
	END IF;
	UPDATE cases SET kind = p_kind, body = p_body, version = p_version,
		updated_at = now()
	WHERE id = p_id;
	INSERT INTO case_log (case_id, what, version, body)
	VALUES (p_id, 'case', p_version, p_body);
	RETURN 'updated';
END $$;

-- A delivery of a case's outcome: 'no_case' when the case never came,
-- else as put_case.
CREATE FUNCTION put_outcome(p_id text, p_partner text, p_version bigint,
    p_body jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	held bigint;
BEGIN
	SELECT outcome_version INTO held FROM cases WHERE id = p_id FOR UPDATE;
	IF NOT FOUND THEN
		RETURN 'no_case';
	END IF;
	UPDATE cases SET puts = puts + 1 WHERE id = p_id;
	IF held IS NOT NULL AND p_version <= held THEN
		RETURN CASE WHEN p_version = held THEN 'repeat' ELSE 'stale' END;
	END IF;
	UPDATE cases SET outcome = p_body, outcome_version = p_version,
		updated_at = now()
	WHERE id = p_id;
	INSERT INTO case_log (case_id, what, version, body)
	VALUES (p_id, 'outcome', p_version, p_body);
	RETURN CASE WHEN held IS NULL THEN 'created' ELSE 'updated' END;
END $$;
