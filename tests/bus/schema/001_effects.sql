-- The test subscriber's visible effect: one row per event it applied.
-- Deliberately no unique key: a repeat would show up as a second row
-- rather than be refused, so the tests can prove "exactly once".
CREATE TABLE effects (
	id         bigserial PRIMARY KEY,
	publisher  text NOT NULL,
	seq        bigint NOT NULL,
	subject    text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
