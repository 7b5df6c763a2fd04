-- deploy/compose/init.sql: run once by the postgres image on a fresh volume
-- (docker-entrypoint-initdb.d), in database safetynet as user postgres.
-- The same layout as deploy/local/lib.sh's sn_db_roles: per service a login
-- role and a schema of the same name ('-' becomes '_') owned by it, closed
-- to every other role. One block per service of docker-compose.yml.

REVOKE ALL ON SCHEMA public FROM PUBLIC;

CREATE ROLE agency_sim LOGIN;
CREATE SCHEMA agency_sim AUTHORIZATION agency_sim;
REVOKE ALL ON SCHEMA agency_sim FROM PUBLIC;
ALTER ROLE agency_sim SET search_path = agency_sim;

CREATE ROLE intake LOGIN;
CREATE SCHEMA intake AUTHORIZATION intake;
REVOKE ALL ON SCHEMA intake FROM PUBLIC;
ALTER ROLE intake SET search_path = intake;

CREATE ROLE verification LOGIN;
CREATE SCHEMA verification AUTHORIZATION verification;
REVOKE ALL ON SCHEMA verification FROM PUBLIC;
ALTER ROLE verification SET search_path = verification;

CREATE ROLE investigation LOGIN;
CREATE SCHEMA investigation AUTHORIZATION investigation;
REVOKE ALL ON SCHEMA investigation FROM PUBLIC;
ALTER ROLE investigation SET search_path = investigation;

CREATE ROLE approval LOGIN;
CREATE SCHEMA approval AUTHORIZATION approval;
REVOKE ALL ON SCHEMA approval FROM PUBLIC;
ALTER ROLE approval SET search_path = approval;

CREATE ROLE emergency LOGIN;
CREATE SCHEMA emergency AUTHORIZATION emergency;
REVOKE ALL ON SCHEMA emergency FROM PUBLIC;
ALTER ROLE emergency SET search_path = emergency;

CREATE ROLE bank_sim LOGIN;
CREATE SCHEMA bank_sim AUTHORIZATION bank_sim;
REVOKE ALL ON SCHEMA bank_sim FROM PUBLIC;
ALTER ROLE bank_sim SET search_path = bank_sim;

CREATE ROLE disbursement LOGIN;
CREATE SCHEMA disbursement AUTHORIZATION disbursement;
REVOKE ALL ON SCHEMA disbursement FROM PUBLIC;
ALTER ROLE disbursement SET search_path = disbursement;

