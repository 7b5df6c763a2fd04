-- Issue 15: the edge households a decision ends (store.c, SQL_EDGE_ROWS:
-- an edge household any of the case's members is in) were found by
-- reading every row of beneficiaries, once per township approval: 1.1 ms
-- a call at 3,000 households, and the table, and so each call, grows with
-- the register (5.9 ms and 1,158 pages at 22,000 rows, a province's
-- register 50 times that). The index holds only the rows that statement
-- can take (the planner matches its predicate): 5 pages at 22,000 rows.
CREATE INDEX beneficiaries_edge_members ON beneficiaries USING gin (member_ids)
	WHERE tier = 'edge' AND status IN ('ACTIVE', 'GRADUAL_EXIT', 'SUSPENDED');
