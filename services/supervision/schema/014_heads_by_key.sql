-- Issue 15: the heads by their key. events_head and audit_head are one
-- row each, written once per event and once per audit record: thousands
-- of row versions between two autovacuums (at most one a minute), which
-- pruning keeps on the row's page only while no snapshot still sees them
-- and no other backend holds the page. Every statement on them named no
-- key, so each one read every page those versions filled: 53 pages a call
-- for event_in's UPDATE of events_head, 36 for audit_head's, at 3,000
-- households (pg_stat_statements). They now ask for the row by its key
-- (WHERE one: the primary key's index to the live version), and the
-- statements in supervision's C do the same (feed.c, feedpush.c,
-- audit.c). The two functions also turn sequential scans off for their
-- statements: a plan is made once per session and kept, and one made
-- while the head was a single page (a sequential scan being as cheap
-- then) would read every page of versions later; every statement in them
-- has an index to go by. A page of each head now keeps nine tenths of
-- itself free, so pruning runs on nearly every visit (a page is pruned
-- when its free space falls below what fillfactor keeps).
ALTER TABLE events_head SET (fillfactor = 10);
ALTER TABLE audit_head SET (fillfactor = 10);

-- event_in as in 012, the head by its key.
CREATE OR REPLACE FUNCTION event_in(p_event uuid, p_source text, p_sequence bigint,
	p_type text, p_subject text, p_time timestamptz, p_actor text,
	p_version integer, p_data jsonb, p_persons text[], p_lookup text[],
	p_default text, p_add text[]) RETURNS text
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
	hh    text;
	v_pos bigint;
BEGIN
	UPDATE events_head SET pos = pos + 1 WHERE one RETURNING pos INTO v_pos;
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

-- audit_chain_extends as in 002, the head by its key.
CREATE OR REPLACE FUNCTION audit_chain_extends() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT SET enable_seqscan = off AS $$
DECLARE
	h audit_head%ROWTYPE;
BEGIN
	SELECT * INTO h FROM audit_head WHERE one;
	IF NEW.n IS DISTINCT FROM h.n + 1
	   OR NEW.prev_hash IS DISTINCT FROM h.hash
	   OR NEW.hash IS DISTINCT FROM
	      sha256(NEW.prev_hash || convert_to(NEW.record, 'UTF8')) THEN
		RAISE EXCEPTION 'audit_chain: record % does not extend the head %',
			NEW.n, h.n;
	END IF;
	RETURN NEW;
END;
$$;
