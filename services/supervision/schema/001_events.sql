-- supervision's event log (issue 12, events.h): every event of every
-- followed stream, its own included, at a dense position `pos` in commit
-- order (1, 2, 3 ... no gap), which the hub feed uses as its cursor.
CREATE TABLE events_head (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	pos bigint NOT NULL DEFAULT 0
);
INSERT INTO events_head DEFAULT VALUES;

CREATE TABLE events (
	pos            bigint PRIMARY KEY,
	event_id       uuid NOT NULL UNIQUE,
	source         text NOT NULL,
	sequence       bigint NOT NULL,
	type           text NOT NULL,
	subject        text NOT NULL,
	time           timestamptz NOT NULL,
	actor          text NOT NULL,
	schema_version integer NOT NULL,
	-- The body as JSON (pbjson.h): identity and account numbers sealed
	-- (sn1.<kid>.<base64url>); {"undecoded": base64} for a type this
	-- version does not know.
	data           jsonb NOT NULL,
	-- Blind indexes of the identity numbers the event carries.
	persons        text[] NOT NULL DEFAULT '{}',
	ingested_at    timestamptz NOT NULL DEFAULT now(),
	UNIQUE (source, sequence)
);
CREATE INDEX events_type_time ON events (type, time);
CREATE INDEX events_subject ON events (subject);
CREATE INDEX events_persons ON events USING gin (persons);
