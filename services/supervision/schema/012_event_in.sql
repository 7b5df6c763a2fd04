-- Issue 15: an event is written once, with its household. Before, the
-- event was inserted without one and link_event (006) then updated the
-- row: a second version of every linked event, non-HOT (household_id is
-- indexed), so entries again in each of the table's seven indexes, its
-- GIN index of persons among them. link_event was supervision's costliest
-- statement on the application path (15 of 30 statement-seconds per
-- 3,000 applications). Now one call bumps the position, finds the
-- household, inserts the event with it, and links the event's keys or
-- leaves it waiting. An event updated later is one that waited for its
-- household (link_keys, unchanged).
--
-- The position is taken first, as before: its row lock orders the
-- streams' transactions, and the look-up that follows (a statement of
-- its own, so a snapshot taken after the lock) sees every key a
-- transaction before this one linked.
CREATE FUNCTION event_in(p_event uuid, p_source text, p_sequence bigint,
	p_type text, p_subject text, p_time timestamptz, p_actor text,
	p_version integer, p_data jsonb, p_persons text[], p_lookup text[],
	p_default text, p_add text[]) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	hh    text;
	v_pos bigint;
BEGIN
	UPDATE events_head SET pos = pos + 1 RETURNING pos INTO v_pos;
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

DROP FUNCTION link_event(uuid, text[], text, text[]);
