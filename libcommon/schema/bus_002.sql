-- The bus's authentic streams (design section 2, item 7; issue 11).
-- Embedded into libcommon at build time; applied as migration "bus/002".

-- The publisher's epoch: a random id made with its row and never changed.
-- Carried in every envelope, heartbeat and replay answer, so that a
-- follower tells this publisher's stream from a recreated one. (A
-- volatile default gives every existing row its own value.)
ALTER TABLE bus_publisher
	ADD COLUMN epoch uuid NOT NULL DEFAULT gen_random_uuid();

-- The epoch of the stream this cursor follows (NULL: not adopted yet; the
-- next replay answer gives it), and why the stream is halted (NULL: it is
-- not). A halted stream applies nothing until an operator clears the
-- halt (sn-bus resync), which the running follower notices.
ALTER TABLE bus_cursor
	ADD COLUMN epoch uuid,
	ADD COLUMN halted_reason text,
	ADD COLUMN halted_at timestamptz;
