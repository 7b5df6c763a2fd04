-- Issue 15: events_head written once per transaction, not once per event.
-- event_in (014) bumped the head with an UPDATE for every event: a new
-- version of its row each time (17,936 updates, 1.4 s of statement time
-- at 3,000 households, pg_stat_statements), though the row lock it takes
-- is all the ordering needs and a transaction's events are written
-- together. Now the first event of a transaction locks the row and reads
-- it (FOR UPDATE: after a wait, the version its holder committed); each
-- event's position is the one before plus one, kept in the
-- transaction's own setting sn.events_pos (set_config's is_local: undone
-- with the transaction, or with a savepoint rolled back); and supervision
-- writes the head once, before its commit (events_head_store(), called by
-- events.c's hook). The order stays what 012 says: the lock is taken
-- before the look-ups, and each statement after it takes a new snapshot.
-- A transaction that gave positions and did not store the head would
-- leave the next one to give them again: the primary key of events
-- refuses that, and the batch is applied again.
CREATE OR REPLACE FUNCTION event_in(p_event uuid, p_source text, p_sequence bigint,
	p_type text, p_subject text, p_time timestamptz, p_actor text,
	p_version integer, p_data jsonb, p_persons text[], p_lookup text[],
	p_default text, p_add text[]) RETURNS text
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
	hh     text;
	v_pos  bigint;
	v_last text := current_setting('sn.events_pos', true);
BEGIN
	IF v_last IS NULL OR v_last = '' THEN
		SELECT pos + 1 INTO v_pos FROM events_head WHERE one FOR UPDATE;
	ELSE
		v_pos := v_last::bigint + 1;
	END IF;
	PERFORM set_config('sn.events_pos', v_pos::text, true);
	SELECT k.household_id INTO hh FROM household_keys k
	WHERE k.key = ANY (p_lookup)
	ORDER BY array_position(p_lookup, k.key) LIMIT 1;
	IF hh IS NULL THEN
		hh := NULLIF(p_default, '');
	END IF;
	INSERT INTO events (pos, event_id, source, sequence, type, subject,
		time, actor, schema_version, data, persons, household_id)
	VALUES (v_pos, p_event, p_source, p_sequence, p_type, p_subject,
		p_time, p_actor, p_version, p_data, p_persons, hh);
	IF hh IS NULL THEN
		INSERT INTO household_pending (key, pos, add_keys)
		SELECT DISTINCT k, v_pos, p_add || p_lookup FROM unnest(p_lookup) k
		WHERE k <> ''
		ON CONFLICT DO NOTHING;
	ELSE
		PERFORM link_keys(hh, p_add || p_lookup);
	END IF;
	RETURN hh;
END $$;

-- The head at the last position this transaction gave; nothing when it
-- gave none.
CREATE FUNCTION events_head_store() RETURNS void
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
	v_last text := current_setting('sn.events_pos', true);
BEGIN
	IF v_last IS NOT NULL AND v_last <> '' THEN
		UPDATE events_head SET pos = v_last::bigint WHERE one;
	END IF;
END $$;
