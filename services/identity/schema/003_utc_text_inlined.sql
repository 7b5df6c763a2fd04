-- Issue 15: utc_text was IMMUTABLE around to_char, which is STABLE, so the
-- planner could not inline it, and PostgreSQL 15 parses and plans a SQL
-- function that is not inlined again in each statement's execution. As
-- STABLE (what it is) it is inlined into the statements calling it.
CREATE OR REPLACE FUNCTION utc_text(t timestamptz) RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;
