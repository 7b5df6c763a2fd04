-- supervision's audit hash chain (issue 12 item 2, audit.h): every
-- staff.acted event as record n = 1, 2, 3 ... with
-- hash = SHA-256(prev_hash || record), record being the canonical bytes
-- kept as text exactly as hashed. Append-only: the triggers below refuse
-- every other change, to the service's own role (the owner) as to anyone
-- else; only a superuser who disables triggers gets past them, and
-- GET /audit/verify names what he broke.

-- The head: n and hash of the last record (32 zero bytes before the
-- first). Read FOR UPDATE by each append, so its row lock orders the
-- streams' transactions.
CREATE TABLE audit_head (
	one  boolean PRIMARY KEY DEFAULT true CHECK (one),
	n    bigint NOT NULL DEFAULT 0,
	hash bytea NOT NULL DEFAULT decode(repeat('00', 32), 'hex')
);
INSERT INTO audit_head DEFAULT VALUES;

CREATE TABLE audit_chain (
	n               bigint PRIMARY KEY CHECK (n > 0),
	-- Copies of the record's members, for searching; verification
	-- checks that they agree with the record.
	service         text NOT NULL,
	user_id         text NOT NULL,
	role            text NOT NULL,
	jurisdiction    text NOT NULL,
	-- The blind index of the actor's own identity number ('' when the
	-- token carried none); the number itself is never stored.
	actor_index     text NOT NULL,
	method          text NOT NULL,
	route           text NOT NULL,
	subject         text NOT NULL,
	request_id      text NOT NULL,
	idempotency_key text NOT NULL,
	status          bigint NOT NULL,
	outcome_code    text NOT NULL,
	at              timestamptz NOT NULL,
	event_id        text NOT NULL,
	source          text NOT NULL,
	sequence        bigint NOT NULL,
	record          text NOT NULL,
	prev_hash       bytea NOT NULL,
	hash            bytea NOT NULL
);
CREATE INDEX audit_chain_subject ON audit_chain (subject, n);
CREATE INDEX audit_chain_user ON audit_chain (user_id, n);
CREATE INDEX audit_chain_at ON audit_chain (at);

-- The anchors published (audit.anchored): one daily row per district
-- day, so that a restart does not anchor the day again, and any number
-- requested by supervisors.
CREATE TABLE audit_anchors (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	day          date NOT NULL,
	daily        boolean NOT NULL,
	records      bigint NOT NULL,
	head_hash    bytea NOT NULL,
	anchored_at  timestamptz NOT NULL,
	requested_by text NOT NULL
);
CREATE UNIQUE INDEX audit_anchors_daily ON audit_anchors (day) WHERE daily;

CREATE FUNCTION audit_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$;

CREATE TRIGGER audit_chain_immutable BEFORE UPDATE OR DELETE
	ON audit_chain FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE
	ON audit_chain FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_anchors_immutable BEFORE UPDATE OR DELETE
	ON audit_anchors FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_anchors_no_truncate BEFORE TRUNCATE
	ON audit_anchors FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE
	ON audit_head FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();

-- A record must extend the head: the next n, the head's hash as its
-- prev_hash, and its hash recomputed here with PostgreSQL's own sha256().
CREATE FUNCTION audit_chain_extends() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
	h audit_head%ROWTYPE;
BEGIN
	SELECT * INTO h FROM audit_head;
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
CREATE TRIGGER audit_chain_extends BEFORE INSERT
	ON audit_chain FOR EACH ROW EXECUTE FUNCTION audit_chain_extends();

-- The head moves one record forward, to the record just appended, and
-- nowhere else; it is never deleted.
CREATE FUNCTION audit_head_advances() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	IF TG_OP <> 'UPDATE' OR NEW.one IS DISTINCT FROM OLD.one
	   OR NEW.n IS DISTINCT FROM OLD.n + 1
	   OR NEW.hash IS DISTINCT FROM
	      (SELECT c.hash FROM audit_chain c WHERE c.n = NEW.n) THEN
		RAISE EXCEPTION 'audit_head moves only to the next record: % refused',
			TG_OP;
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER audit_head_advances BEFORE UPDATE OR DELETE
	ON audit_head FOR EACH ROW EXECUTE FUNCTION audit_head_advances();
