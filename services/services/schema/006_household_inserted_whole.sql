-- Issue 15: a new household inserted whole. take_application (002)
-- inserted a household it had not seen with its id alone and then updated
-- it with the application's facts, which change indexed columns
-- (application_id, emergency_referral_id, township_code): a second
-- version of the row, and a second entry in each of its indexes, for
-- every application (take_application was services' costliest statement
-- at 3,000 households, 1.3 ms a call, pg_stat_statements). Now it is
-- inserted with them; one that another stream made meanwhile (the
-- insert finds its id taken) is updated as before.
CREATE OR REPLACE FUNCTION take_application(app uuid, ref uuid, rev integer,
	reg text, district text, township text, village text,
	wages bigint, business bigint, medical bigint, education bigint,
	housing bigint, employment bigint, names text[], relations text[],
	births date[], labours text[], grades integer[], cares text[])
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
	by_app uuid;
	by_ref uuid;
	hid    uuid;
	fresh  boolean := false;
BEGIN
	SELECT id INTO by_app FROM household WHERE application_id = app
		FOR UPDATE;
	IF ref IS NOT NULL THEN
		SELECT id INTO by_ref FROM household
			WHERE emergency_referral_id = ref FOR UPDATE;
	END IF;
	IF by_ref IS NOT NULL AND by_app IS NOT NULL AND by_app <> by_ref THEN
		PERFORM merge_household(by_app, by_ref);
		by_app := NULL;
	END IF;
	hid := coalesce(by_ref, by_app);
	IF hid IS NULL THEN
		INSERT INTO household (id, application_id, emergency_referral_id,
			registration, district_code, township_code, village_code,
			wages_fen, business_fen, medical_fen, education_fen,
			housing_fen, employment_costs_fen, household_size, has_facts,
			revision)
		VALUES (app, app, ref, reg, district, township, village, wages,
			business, medical, education, housing, employment,
			cardinality(names), true, rev)
		ON CONFLICT (id) DO NOTHING
		RETURNING id INTO hid;
		fresh := hid IS NOT NULL;
		-- a decision's household made meanwhile by another stream is
		-- waited for and then updated (the next statement sees it)
		hid := app;
	END IF;
	IF NOT fresh THEN
		UPDATE household SET application_id = app,
			emergency_referral_id = coalesce(ref, emergency_referral_id),
			registration = reg, district_code = district,
			township_code = township, village_code = village,
			wages_fen = wages, business_fen = business,
			medical_fen = medical, education_fen = education,
			housing_fen = housing, employment_costs_fen = employment,
			household_size = cardinality(names), has_facts = true,
			revision = rev, updated_at = now()
		WHERE id = hid AND (NOT has_facts OR revision <= rev);
		IF NOT FOUND THEN
			RETURN NULL;
		END IF;
		DELETE FROM member WHERE household_id = hid;
	END IF;
	INSERT INTO member (household_id, member, name, relation, birth_date,
		labour, disability_grade, self_care)
	SELECT hid, m.ord, m.name, m.relation, m.birth, m.labour, m.grade,
		m.care
	FROM unnest(names, relations, births, labours, grades, cares)
		WITH ORDINALITY AS m(name, relation, birth, labour, grade, care,
		ord);
	RETURN hid;
END $$;
