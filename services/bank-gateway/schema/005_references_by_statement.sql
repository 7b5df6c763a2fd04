-- Issue 15: a transaction's and a settlement's message were foreign keys,
-- checked row by row: each of a message's 500 transactions, and each
-- settlement a report makes, ran a look-up of messages of its own (about
-- half of a 500-row insert's time, measured on a scratch table: 737 ms
-- for 200 such inserts with the key, 361 ms with the check below).
--
-- The rule stays whole, enforced in two halves:
--   - every statement inserting transactions or settlements checks,
--     once, that each message its rows name exists (a transition table
--     of the rows, one anti-join): a row naming no message is refused
--     with 23503, as the key refused it;
--   - a message is never deleted, nor its msg_id changed (it is the
--     record of what was sent to the bank; nothing in the service deletes
--     one), and a transaction's or settlement's message never changes:
--     refused, so no check is needed after the insert. (A TRUNCATE of
--     messages is refused already by the key of reports.)
CREATE FUNCTION message_named() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
	missing text;
BEGIN
	SELECT n.msg_id INTO missing
	FROM (SELECT DISTINCT msg_id FROM new_rows) n
	WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.msg_id = n.msg_id)
	LIMIT 1;
	IF missing IS NOT NULL THEN
		RAISE foreign_key_violation
			USING MESSAGE = format('%s names message %s, which does not exist',
			                       TG_TABLE_NAME, missing),
			      TABLE = TG_TABLE_NAME;
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER transactions_message AFTER INSERT ON transactions
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION message_named();
CREATE TRIGGER settlements_message AFTER INSERT ON settlements
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION message_named();

-- What the statement check relies on, refused with the keys' own codes:
-- 23503 for a row moved to another message, 23001 (restrict) for a
-- message deleted or renamed.
CREATE FUNCTION message_fixed() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	RAISE foreign_key_violation
		USING MESSAGE = format('a row of %s keeps its message',
		                       TG_TABLE_NAME),
		      TABLE = TG_TABLE_NAME;
END $$;

CREATE TRIGGER transactions_message_fixed BEFORE UPDATE OF msg_id
	ON transactions FOR EACH ROW WHEN (NEW.msg_id IS DISTINCT FROM OLD.msg_id)
	EXECUTE FUNCTION message_fixed();
CREATE TRIGGER settlements_message_fixed BEFORE UPDATE OF msg_id
	ON settlements FOR EACH ROW WHEN (NEW.msg_id IS DISTINCT FROM OLD.msg_id)
	EXECUTE FUNCTION message_fixed();

CREATE FUNCTION message_kept() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	RAISE restrict_violation
		USING MESSAGE = 'messages are never deleted or renamed: '
		                'transactions and settlements name them',
		      TABLE = 'messages';
END $$;

CREATE TRIGGER messages_kept BEFORE DELETE ON messages
	FOR EACH ROW EXECUTE FUNCTION message_kept();
CREATE TRIGGER messages_kept_id BEFORE UPDATE OF msg_id ON messages
	FOR EACH ROW WHEN (NEW.msg_id IS DISTINCT FROM OLD.msg_id)
	EXECUTE FUNCTION message_kept();

ALTER TABLE transactions DROP CONSTRAINT transactions_msg_id_fkey;
ALTER TABLE settlements DROP CONSTRAINT settlements_msg_id_fkey;
