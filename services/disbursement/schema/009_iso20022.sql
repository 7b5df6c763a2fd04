-- Issue 14: the bank's word comes through bank-gateway in ISO 20022 terms.
--
-- reason_code: from now on an ISO 20022 external status reason code (AC01
-- no such account, AC04 closed, AC06 blocked, AM04 the fund's account short,
-- BE01 the name does not match, MD07 the holder died, FF01 the file was
-- refused, ...); rows written before keep the words bank-sim used then
-- (closed_account, name_mismatch, no_such_account, invalid_amount), which
-- are not rewritten: payment.failed events were published with them.
-- reason: what the township does, in Chinese (before: bank-sim's English
-- text). reason_en: the same in English; NULL on rows written before.
--
-- retries: how often the bank said RETRY (not the payee's problem: the
-- fund's account short of money, the bank's cut-off): each time the payment
-- went back to 'ready' under the same end-to-end id, nothing published,
-- and is not claimed again before not_before (a backoff doubling per
-- retry). A batch the bank refused whole waits the same way.
ALTER TABLE payment
	ADD COLUMN reason_en text,
	ADD COLUMN retries integer NOT NULL DEFAULT 0 CHECK (retries >= 0),
	ADD COLUMN not_before timestamptz;
