-- Issue 15: a payment's id, and so its end-to-end id (e2e_of), was a
-- version 4 uuid, random. Every index keyed by either (payment's primary
-- key and e2e_id here, the gateway's transactions and settlements, the
-- bank's instructions) took each new entry on a random leaf: once a run's
-- payments outgrow shared_buffers, nearly every insert reads a leaf back
-- and dirties it again, and each leaf dirtied after a checkpoint is
-- written whole into the WAL. A version 7 uuid (RFC 9562) starts with the
-- Unix time in milliseconds, so a run's new entries land together at the
-- right edge of each index; its remaining 74 bits stay random (those of
-- gen_random_uuid()), so ids are no easier to guess within a millisecond.
CREATE FUNCTION uuid_v7() RETURNS uuid LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	b bytea := uuid_send(gen_random_uuid());
BEGIN
	b := overlay(b PLACING substring(int8send(floor(extract(epoch FROM
	     clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6);
	-- The version nibble; the variant bits are version 4's already.
	b := set_byte(b, 6, (get_byte(b, 6) & 15) | 112);
	RETURN encode(b, 'hex')::uuid;
END
$$;

ALTER TABLE payment ALTER COLUMN id SET DEFAULT uuid_v7();
