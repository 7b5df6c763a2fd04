-- Issue 10: the account a confirmed change replaced. A beneficiary.changed
-- that approval published before it applied payee.changed still carries
-- it; that account bounced, so it never comes back by such an event.
ALTER TABLE payee ADD COLUMN superseded_account text;
