-- Issue 10: GET /accounts/{n}/credits is paged (sn/page.h) by a key
-- that only grows, given to an instruction when it settles (a credit
-- that settles while a client pages comes on a later page).
CREATE SEQUENCE credit_seq;
ALTER TABLE instructions ADD COLUMN credit_seq bigint UNIQUE;
UPDATE instructions i SET credit_seq = o.k
FROM (SELECT end_to_end_id, nextval('credit_seq') AS k FROM
	(SELECT end_to_end_id FROM instructions WHERE status = 'settled'
	 ORDER BY settled_at, end_to_end_id) s) o
WHERE i.end_to_end_id = o.end_to_end_id;

CREATE FUNCTION credit_seq_on_settle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.status = 'settled' AND NEW.credit_seq IS NULL THEN
		NEW.credit_seq := nextval('credit_seq');
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER instructions_credit_seq BEFORE INSERT OR UPDATE
	ON instructions FOR EACH ROW EXECUTE FUNCTION credit_seq_on_settle();

CREATE INDEX instructions_credit_page ON instructions (account_number,
	credit_seq) WHERE status = 'settled';
