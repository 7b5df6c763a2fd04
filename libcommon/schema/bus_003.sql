-- The request id of each event (issue 16 item 4).
-- Embedded into libcommon at build time; applied as migration "bus/003".

-- The X-Request-Id of the request the publisher was handling when it
-- appended the row (sn_log_request_id), '' when none. The relay and
-- replay carry it in Envelope.request_id; a follower sets it around the
-- event's handler, so that the events the handler appends carry it on.
-- A constant default: adding the column rewrites no row.
ALTER TABLE outbox ADD COLUMN request_id text NOT NULL DEFAULT '';
