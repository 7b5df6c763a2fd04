-- Households across programmes (households.h): the ids each is known by,
-- events waiting for one of their ids, and each household's latest facts.
ALTER TABLE events ADD COLUMN household_id text;
CREATE INDEX events_household ON events (household_id, pos)
	WHERE household_id IS NOT NULL;

CREATE TABLE household_keys (
	key          text PRIMARY KEY,  -- an id, or 'person:' || blind index
	household_id text NOT NULL
);
CREATE INDEX household_keys_household ON household_keys (household_id);

-- An event none of whose ids was known when it was applied.
CREATE TABLE household_pending (
	key      text NOT NULL,
	pos      bigint NOT NULL REFERENCES events (pos),
	add_keys text[] NOT NULL, -- its own ids, linked with it
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (key, pos)
);

CREATE TABLE households (
	household_id       text PRIMARY KEY,
	district_code      text NOT NULL DEFAULT '',
	township_code      text NOT NULL DEFAULT '',
	village_code       text NOT NULL DEFAULT '',
	registration       text NOT NULL DEFAULT '',
	address            text NOT NULL DEFAULT '', -- in clear, as intake
	members            integer NOT NULL DEFAULT 0,
	status             text NOT NULL DEFAULT '', -- the register's, if on it
	category           text NOT NULL DEFAULT '',
	tier               text NOT NULL DEFAULT '',
	monthly_amount_fen bigint NOT NULL DEFAULT 0,
	updated_pos        bigint NOT NULL
);
CREATE INDEX households_address ON households (address) WHERE address <> '';

-- Links keys to hh, and every event that waited for one of them
-- (with the ids it brings, recursively).
CREATE FUNCTION link_keys(hh text, keys text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	fresh text[];
	r     record;
BEGIN
	WITH ins AS (
		INSERT INTO household_keys (key, household_id)
		SELECT DISTINCT k, hh FROM unnest(keys) k WHERE k <> ''
		ON CONFLICT (key) DO NOTHING
		RETURNING key)
	SELECT array_agg(key) INTO fresh FROM ins;
	IF fresh IS NULL THEN
		RETURN;
	END IF;
	FOR r IN SELECT DISTINCT p.pos, p.add_keys FROM household_pending p
	    WHERE p.key = ANY (fresh) LOOP
		DELETE FROM household_pending WHERE pos = r.pos;
		UPDATE events SET household_id = hh
		WHERE pos = r.pos AND household_id IS NULL;
		PERFORM link_keys(hh, r.add_keys);
	END LOOP;
END $$;

-- Links the event at p_pos: through the first known of p_lookup, else to
-- p_default (a new household) if given, else it waits. Returns the
-- household id, or NULL while it waits.
CREATE FUNCTION link_event(p_event uuid, p_lookup text[], p_default text,
	p_add text[]) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	hh  text;
	v_pos bigint;
BEGIN
	SELECT e.pos INTO v_pos FROM events e WHERE e.event_id = p_event;
	SELECT k.household_id INTO hh FROM household_keys k
	WHERE k.key = ANY (p_lookup)
	ORDER BY array_position(p_lookup, k.key) LIMIT 1;
	IF hh IS NULL THEN
		hh := NULLIF(p_default, '');
	END IF;
	IF hh IS NULL THEN
		INSERT INTO household_pending (key, pos, add_keys)
		SELECT DISTINCT k, v_pos, p_add || p_lookup FROM unnest(p_lookup) k
		WHERE k <> ''
		ON CONFLICT DO NOTHING;
		RETURN NULL;
	END IF;
	UPDATE events SET household_id = hh WHERE events.pos = v_pos;
	PERFORM link_keys(hh, p_add || p_lookup);
	RETURN hh;
END $$;
