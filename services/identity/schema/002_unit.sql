-- Issue 13: the unit a user works for when it is not the district's own
-- administration - a member department ("medical_insurance") or a
-- service-project partner ("first-street-social-work-station"). It goes
-- into the user's tokens as claim "unit" (sn/auth.h), and the services
-- service lets a department or partner account act only for its unit.
--
-- Optional for every role; rules.c requires one of the roles department
-- and partner when a user is created or changed. That is not a CHECK
-- here: accounts of those roles made before this migration have none,
-- and must still log in (a login writes the row) until an administrator
-- gives them one.
ALTER TABLE users
	ADD COLUMN unit text CHECK (unit ~ '^[a-z0-9_-]{1,47}$');

CREATE OR REPLACE VIEW user_doc AS
SELECT u.id, u.list_seq, u.username, u.jurisdiction,
	json_build_object(
		'id', u.id,
		'username', u.username,
		'display_name', u.display_name,
		'kind', u.kind,
		'role', u.role,
		'jurisdiction', u.jurisdiction,
		'unit', u.unit,
		'id_number', u.id_number_sealed,
		'disabled', u.disabled,
		'failed_logins', u.failed_logins,
		'locked_until', utc_text(u.locked_until),
		'created_by', u.created_by,
		'created_at', utc_text(u.created_at),
		'updated_at', utc_text(u.updated_at)) AS doc
FROM users u;
