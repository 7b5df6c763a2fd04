-- Statistics of services' facts (stats.h; issue 13): special assistance
-- (a referral to a member department) and service projects (a place, a
-- session) are rows of stats_fact, with two more dimensions: service,
-- the department or the project's domain, and outcome, a referral's or a
-- place's state now (updated as its answer or end comes) or "session".
-- '' for the other programmes' facts.
ALTER TABLE stats_fact
	ADD COLUMN service text NOT NULL DEFAULT '',
	ADD COLUMN outcome text NOT NULL DEFAULT '';
