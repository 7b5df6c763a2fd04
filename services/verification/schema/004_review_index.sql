-- POST /checks/{id}/retry finds the latest check by application id or
-- review id: the review id's lookup has an index of its own.
CREATE INDEX checks_review ON checks (review_id, check_id)
	WHERE review_id <> '';
