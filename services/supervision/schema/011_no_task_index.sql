-- Issue 15: events_task (010) served only the anomaly facts' look-up of a
-- home-visit task's household (anomaly.c, SQL_ACT_FACTS), which the
-- planner did not choose while its statistics said there was one
-- investigation.completed event. The look-up now reads household_keys by
-- its primary key (investigation.completed links its task_id there,
-- households.c): nothing reads the index, so it is no longer written.
DROP INDEX events_task;
