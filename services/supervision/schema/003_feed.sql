-- The hub feed (issue 12 item 8; feed.h, docs/feed.md): the events log
-- served as CloudEvents from a cursor, events.pos.

-- One row: the feed's epoch, a random id made with the feed (a hub that
-- sees another one knows the log was recreated and its cursor means
-- nothing here), and the retention horizon: the lowest position still
-- served. It only grows; a cursor below horizon - 1 is answered 410.
CREATE TABLE feed_state (
	one     boolean PRIMARY KEY DEFAULT true CHECK (one),
	epoch   uuid NOT NULL DEFAULT gen_random_uuid(),
	horizon bigint NOT NULL DEFAULT 1 CHECK (horizon >= 1)
);
INSERT INTO feed_state DEFAULT VALUES;

-- Hubs the feed is pushed to (webhooks), registered by a district
-- administrator (PUT /hubs/{name}). name is the hub's service account:
-- its pseudonyms are those it gets from GET /feed. cursor is the last
-- position the hub acknowledged with a 2xx; it moves only then.
CREATE TABLE feed_hubs (
	id           bigint GENERATED ALWAYS AS IDENTITY UNIQUE, -- GET /hubs pages by it
	name         text PRIMARY KEY
	             CHECK (name ~ '^[A-Za-z0-9._@-]{1,63}$'),
	url          text NOT NULL CHECK (url ~ '^https?://'),
	enabled      boolean NOT NULL DEFAULT true,
	cursor       bigint NOT NULL DEFAULT 0 CHECK (cursor >= 0),
	failures     integer NOT NULL DEFAULT 0,
	next_attempt timestamptz NOT NULL DEFAULT now(),
	last_status  integer NOT NULL DEFAULT 0,
	last_error   text NOT NULL DEFAULT '',
	delivered    bigint NOT NULL DEFAULT 0,
	created_at   timestamptz NOT NULL DEFAULT now(),
	updated_at   timestamptz NOT NULL DEFAULT now()
);
