-- Issue 15: a payment's payee and run were foreign keys, checked row by
-- row: for each payment a run's build inserts, PostgreSQL ran two
-- look-ups of its own (one per key) and locked the payee's row FOR KEY
-- SHARE, so a run of a million payees wrote a million row locks on
-- payee (a WAL record each, and its page dirtied again) besides the
-- payments. Measured on a scratch table, 400,000 rows in chunks of
-- 20,000: 5.9 s and 247 MB of WAL with the keys, 3.6 s and 188 MB with
-- the check below.
--
-- The rule stays whole, enforced in two halves:
--   - every statement inserting payments checks, once, that each payee
--     and run its rows name exists (a transition table of the rows, one
--     anti-join each): a payment naming no payee or run is refused with
--     23503, as the keys refused it;
--   - a payee or a run is never deleted, nor its id changed (the register
--     and the runs are the history the payments stand on; nothing in the
--     service deletes either), and a payment's payee and run never change
--     after it is made: all three are refused, so no check is needed
--     after the insert. (A TRUNCATE of either is refused already by the
--     keys of payee_month, netting, recovery and run_plan.)
-- No row lock is needed either: the key took one only so that a
-- concurrent delete of the payee waited for the payment's transaction,
-- and there are no deletes.
CREATE FUNCTION payment_references() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
	missing text;
BEGIN
	SELECT 'payee ' || n.payee_id INTO missing
	FROM (SELECT DISTINCT payee_id FROM new_payments
	      WHERE payee_id IS NOT NULL) n
	WHERE NOT EXISTS (SELECT 1 FROM payee p WHERE p.id = n.payee_id)
	LIMIT 1;
	IF missing IS NULL THEN
		SELECT 'run ' || n.run_id INTO missing
		FROM (SELECT DISTINCT run_id FROM new_payments
		      WHERE run_id IS NOT NULL) n
		WHERE NOT EXISTS (SELECT 1 FROM run r WHERE r.id = n.run_id)
		LIMIT 1;
	END IF;
	IF missing IS NOT NULL THEN
		RAISE foreign_key_violation
			USING MESSAGE = format('payment names %s, which does not exist',
			                       missing),
			      TABLE = 'payment';
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER payment_references AFTER INSERT ON payment
	REFERENCING NEW TABLE AS new_payments
	FOR EACH STATEMENT EXECUTE FUNCTION payment_references();

-- What the statement check relies on, refused with the keys' own codes:
-- 23503 for a payment moved to another payee or run, 23001 (restrict)
-- for a payee or run deleted or renumbered.
CREATE FUNCTION payment_references_fixed() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	RAISE foreign_key_violation
		USING MESSAGE = 'a payment''s payee and run never change',
		      TABLE = 'payment';
END $$;

CREATE TRIGGER payment_references_fixed BEFORE UPDATE OF payee_id, run_id
	ON payment FOR EACH ROW
	WHEN (NEW.payee_id IS DISTINCT FROM OLD.payee_id
	      OR NEW.run_id IS DISTINCT FROM OLD.run_id)
	EXECUTE FUNCTION payment_references_fixed();

CREATE FUNCTION referenced_kept() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	RAISE restrict_violation
		USING MESSAGE = format('%s rows are never deleted or renumbered: '
		                       'payments name them', TG_TABLE_NAME),
		      TABLE = TG_TABLE_NAME;
END $$;

CREATE TRIGGER payee_kept BEFORE DELETE ON payee
	FOR EACH ROW EXECUTE FUNCTION referenced_kept();
CREATE TRIGGER payee_kept_id BEFORE UPDATE OF id ON payee
	FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id)
	EXECUTE FUNCTION referenced_kept();
CREATE TRIGGER run_kept BEFORE DELETE ON run
	FOR EACH ROW EXECUTE FUNCTION referenced_kept();
CREATE TRIGGER run_kept_id BEFORE UPDATE OF id ON run
	FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id)
	EXECUTE FUNCTION referenced_kept();

ALTER TABLE payment DROP CONSTRAINT payment_payee_id_fkey;
ALTER TABLE payment DROP CONSTRAINT payment_run_id_fkey;
