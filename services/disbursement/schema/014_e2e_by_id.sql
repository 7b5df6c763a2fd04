-- Issue 15: a payment's end-to-end id is always e2e_of(id, attempt): its
-- id's 32 hex digits, '-', the attempt. Its own unique index took an
-- entry for every version of every payment (built, claimed, answered:
-- none of them HOT, since status is indexed), a 35-character key each,
-- only to find a payment by the end-to-end id the bank answers with,
-- which names the payment's id already. The check below keeps the rule;
-- with it the primary key makes end-to-end ids unique, and an answer
-- finds its payment by the id (payment_id_of_e2e) and compares the whole
-- end-to-end id, as before (an answer for an attempt replaced by a
-- correction finds no payment). payment_id_of_e2e is NULL for anything
-- not of that shape, so a garbled answer matches nothing rather than
-- failing its batch.
ALTER TABLE payment ADD CONSTRAINT payment_e2e_of_id
	CHECK (e2e_id = e2e_of(id, attempt));
ALTER TABLE payment DROP CONSTRAINT payment_e2e_id_key;

CREATE FUNCTION payment_id_of_e2e(e2e text) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN e2e ~ '^[0-9a-f]{32}-[1-9][0-9]?$'
		THEN substr(e2e, 1, 32)::uuid END
$$;
