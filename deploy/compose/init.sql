-- deploy/compose/init.sql: run once by the postgres image on a fresh volume
-- (docker-entrypoint-initdb.d), in database safetynet as user postgres.
-- The same layout as deploy/local/lib.sh's sn_db_roles: per service a login
-- role and a schema of the same name ('-' becomes '_') owned by it, closed
-- to every other role. Add one block per service as it lands in
-- docker-compose.yml.

REVOKE ALL ON SCHEMA public FROM PUBLIC;

-- bus-demo-publisher (sn-testpub, running as service "testpub")
CREATE ROLE testpub LOGIN;
CREATE SCHEMA testpub AUTHORIZATION testpub;
REVOKE ALL ON SCHEMA testpub FROM PUBLIC;
ALTER ROLE testpub SET search_path = testpub;

-- bus-demo-subscriber (sn-testsub, running as service "testsub")
CREATE ROLE testsub LOGIN;
CREATE SCHEMA testsub AUTHORIZATION testsub;
REVOKE ALL ON SCHEMA testsub FROM PUBLIC;
ALTER ROLE testsub SET search_path = testsub;
