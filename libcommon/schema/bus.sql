-- The bus's tables, in every service's own schema (design section 2).
-- Embedded into libcommon at build time; applied as migration "bus/001".

-- Events written in the same transaction as the state change that caused
-- them. seq is NULL until the relay gives the row its place in the stream.
CREATE TABLE outbox (
	id             bigserial PRIMARY KEY,
	seq            bigint UNIQUE,
	event_id       uuid NOT NULL DEFAULT gen_random_uuid(),
	topic          text NOT NULL,
	subject        text NOT NULL DEFAULT '',
	actor          text NOT NULL DEFAULT 'system',
	schema_version integer NOT NULL DEFAULT 1,
	data           bytea NOT NULL,
	created_at     timestamptz NOT NULL DEFAULT now(),
	published_at   timestamptz
);
CREATE INDEX outbox_unassigned ON outbox (id) WHERE seq IS NULL;
CREATE INDEX outbox_created ON outbox (created_at) WHERE seq IS NOT NULL;

-- The highest sequence each publisher has assigned; survives retention.
CREATE TABLE bus_publisher (
	name     text PRIMARY KEY,
	last_seq bigint NOT NULL DEFAULT 0
);

-- How far this service has applied each stream it follows, per partition.
CREATE TABLE bus_cursor (
	publisher  text NOT NULL,
	part       text NOT NULL,
	last_seq   bigint NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (publisher, part)
);
