-- deploy/compose/init.sql: run once by the postgres image on a fresh volume
-- (docker-entrypoint-initdb.d), in database safetynet as user postgres.
-- The same layout as deploy/local/lib.sh's sn_db_roles: per service a login
-- role and a schema of the same name ('-' becomes '_') owned by it, closed
-- to every other role. The list names every service of docker-compose.yml.
-- The roles get their passwords next, from the secret files
-- (20-role-passwords.sh, deploy/compose/role-passwords.sh): until then
-- they cannot log in (scram-sha-256 only, no trust).

REVOKE ALL ON SCHEMA public FROM PUBLIC;

DO $$
DECLARE
	svc text;
BEGIN
	FOREACH svc IN ARRAY ARRAY['identity', 'agency_sim', 'intake',
	    'verification', 'investigation', 'approval', 'emergency',
	    'bank_sim', 'bank_gateway', 'disbursement', 'supervision',
	    'inspection_sim',
	    'services', 'console']
	LOOP
		EXECUTE format('CREATE ROLE %I LOGIN', svc);
		EXECUTE format('CREATE SCHEMA %I AUTHORIZATION %I', svc, svc);
		EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', svc);
		EXECUTE format('ALTER ROLE %I SET search_path = %I', svc, svc);
	END LOOP;
END
$$;
