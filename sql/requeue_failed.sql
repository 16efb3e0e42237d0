-- requeue_failed.sql: puts a workflow's failed tasks back to pending with fresh attempts.
--
-- Why: after fixing what made tasks fail (a model that was missing, a server that was down), run
-- them again without touching the ones that completed. Workers are woken at once (NOTIFY).
-- The last error message stays in turing.tasks.error until the task fails again.
--
--   psql -v workflow=1124 -f sql/requeue_failed.sql

\set ON_ERROR_STOP on
\if :{?workflow}
\else
\echo 'usage: psql -v workflow=ID -f sql/requeue_failed.sql'
\quit
\endif

SELECT t.error, count(*) AS tasks
FROM turing.tasks AS t
WHERE t.workflow_id = :'workflow'::bigint
  AND t.status = 'failed'
GROUP BY t.error
ORDER BY count(*) DESC
LIMIT 10;

SELECT turing.requeue_failed(:'workflow'::bigint) AS requeued;
