-- A home-visit task's investigation.completed by its task id (anomaly.c,
-- SQL_ACT_FACTS: the household a staff action on /tasks/{id}/... was
-- about). Without it each such action walked every investigation.completed
-- event (events_type_time) comparing data->>'task_id': 300 pages a call
-- at 3,000 applications, growing with the log. One entry per such event.
CREATE INDEX events_task ON events ((data ->> 'task_id'), pos)
	WHERE type = 'investigation.completed' AND household_id IS NOT NULL;
