-- The request id (X-Request-Id) of the work that asked for the check:
-- the event's, which carries the submission's (issue 16). A round of the
-- check runs with it, so its agency calls, its log lines and the
-- verification.completed it publishes name the request that began it.
-- '' when none.
ALTER TABLE checks ADD COLUMN request_id text NOT NULL DEFAULT '';
