-- identity: the district's users (staff and service accounts), their
-- password hashes, refresh tokens, the record of every change an
-- administrator made, and the record of every login attempt.
--
-- Times a rule compares (locked_until, a refresh token's expiry) are
-- written by the service from its clock (sn/clock.h), never now(), so a
-- test clock moves them; created/updated stamps are the database's.

CREATE TABLE users (
	id               uuid PRIMARY KEY,
	-- GET /users pages in this order (sn/page.h).
	list_seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
	username         text NOT NULL UNIQUE,
	display_name     text NOT NULL,
	kind             text NOT NULL CHECK (kind IN ('staff', 'service')),
	role             text NOT NULL,
	jurisdiction     text NOT NULL,
	-- The staff member's resident identity number, sealed (sn/seal.h,
	-- column "identity.users.id_number") with its blind index; NULL for
	-- service accounts and the bootstrap administrator. Never stored in
	-- clear.
	id_number_sealed text,
	id_number_index  text UNIQUE,
	-- argon2id, libsodium's crypto_pwhash_str format.
	password_hash    text NOT NULL,
	failed_logins    integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
	locked_until     timestamptz,
	disabled         boolean NOT NULL DEFAULT false,
	created_by       text NOT NULL,
	created_at       timestamptz NOT NULL DEFAULT now(),
	updated_at       timestamptz NOT NULL DEFAULT now(),
	-- Staff created through the API carry one (rules.h); the district
	-- administrator identity creates at its first start has none.
	CHECK (kind = 'staff' OR id_number_sealed IS NULL),
	CHECK ((id_number_sealed IS NULL) = (id_number_index IS NULL))
);
CREATE INDEX users_juris ON users (jurisdiction text_pattern_ops, list_seq);

-- Every change of a user, one row per field (never a password or a
-- hash: a reset is field 'password' without values).
CREATE TABLE user_changes (
	seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id    uuid NOT NULL REFERENCES users (id),
	changed_by text NOT NULL,
	changed_at timestamptz NOT NULL DEFAULT now(),
	field      text NOT NULL,
	old_value  text,
	new_value  text
);
CREATE INDEX user_changes_user ON user_changes (user_id, seq);

-- Refresh tokens, by the SHA-256 of the token (hex): the token itself is
-- never stored. A family is the chain of tokens one login started; each
-- is used once (used_at), and a used or revoked token presented again
-- revokes its whole family.
CREATE TABLE refresh_tokens (
	token_hash text PRIMARY KEY,
	family     uuid NOT NULL,
	user_id    uuid NOT NULL REFERENCES users (id),
	issued_at  timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	used_at    timestamptz,
	revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)
	WHERE used_at IS NULL AND revoked_at IS NULL;

-- Every login and refresh attempt: outcome 'ok', 'bad_password',
-- 'unknown_user', 'locked' (refused while locked), 'locked_now' (this
-- failure locked the account), 'disabled', and for refreshes
-- 'refresh_ok', 'refresh_reused', 'refresh_refused'. username is what was
-- tried when it is a valid user name, else NULL.
CREATE TABLE login_events (
	seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at       timestamptz NOT NULL DEFAULT now(),
	user_id  uuid REFERENCES users (id),
	username text,
	outcome  text NOT NULL
);
CREATE INDEX login_events_user ON login_events (user_id, seq);

-- A user as the API shows it. id_number holds the sealed text: the
-- handler opens it (or answers null) before anything leaves the service.
CREATE FUNCTION utc_text(t timestamptz) RETURNS text
	LANGUAGE sql IMMUTABLE AS
$$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

CREATE VIEW user_doc AS
SELECT u.id, u.list_seq, u.username, u.jurisdiction,
	json_build_object(
		'id', u.id,
		'username', u.username,
		'display_name', u.display_name,
		'kind', u.kind,
		'role', u.role,
		'jurisdiction', u.jurisdiction,
		'id_number', u.id_number_sealed,
		'disabled', u.disabled,
		'failed_logins', u.failed_logins,
		'locked_until', utc_text(u.locked_until),
		'created_by', u.created_by,
		'created_at', utc_text(u.created_at),
		'updated_at', utc_text(u.updated_at)) AS doc
FROM users u;
