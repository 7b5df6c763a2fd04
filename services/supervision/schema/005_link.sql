-- The 12388 link (link.h, issue 12 item 4): what the platform must be
-- told, queued in the transaction of the change it reports, and the
-- cursor of the platform's tips.
CREATE TABLE link_outbound (
	-- The delivery order, and the version the platform keeps per case.
	id           bigserial PRIMARY KEY,
	what         text NOT NULL CHECK (what IN ('case', 'outcome')),
	case_id      text NOT NULL,
	body         jsonb NOT NULL,
	created_at   timestamptz NOT NULL DEFAULT now(),
	attempts     integer NOT NULL DEFAULT 0,
	next_at      timestamptz NOT NULL DEFAULT now(),
	last_error   text NOT NULL DEFAULT '',
	delivered_at timestamptz,
	-- Refused for good by the platform (a 4xx that no retry mends).
	refused_at   timestamptz
);
CREATE INDEX link_outbound_pending ON link_outbound (id)
	WHERE delivered_at IS NULL AND refused_at IS NULL;

-- The seq of the last tip taken (the platform's dense order).
CREATE TABLE link_tips (
	one   boolean PRIMARY KEY DEFAULT true CHECK (one),
	after bigint NOT NULL DEFAULT 0
);
INSERT INTO link_tips DEFAULT VALUES;
