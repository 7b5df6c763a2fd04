-- deploy/ha/roles.sql: the roles and schemas safetynet's services need,
-- run once as the superuser on the primary (they replicate):
--   psql "host=db1,db2,db3 port=5432,5432,5432 dbname=safetynet user=postgres target_session_attrs=read-write" \
--     -v ON_ERROR_STOP=1 -v name=intake -v password="$(cat intake.password)" -f deploy/ha/roles.sql
-- once per service (names: services/*/, '-' becomes '_'). The same as
-- deploy/local/lib.sh's sn_db_roles: a login role with a password (kept
-- as a scram-sha-256 verifier), a schema of its own, no rights for
-- anyone else, search_path set to it. Each service makes its tables at
-- start (its migrations); nothing else is needed.
SET client_min_messages = warning;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
SET password_encryption = 'scram-sha-256';
SELECT format('CREATE ROLE %I LOGIN', :'name')
	WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'name', :'password') \gexec
SELECT format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', :'name', :'name') \gexec
SELECT format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', :'name') \gexec
SELECT format('ALTER ROLE %I SET search_path = %I', :'name', :'name') \gexec
