-- progress.sql: a live dashboard of turing in psql - workflows, workers, utilization.
--
-- Why: the three views answer "how far, who is working, how busy" from indexes, in well under a
-- second on a million tasks, so they can be refreshed every couple of seconds.
--
--   psql -f sql/progress.sql                      # once
--   psql -v interval=2 -f sql/progress.sql        # refresh every 2 s (Ctrl-C to stop)
--   psql -v workflow=1124 -v interval=2 -f sql/progress.sql   # one workflow only
--   in psql: \i sql/progress.sql  then  \watch 2
--
-- The three queries are joined with \; into one query buffer so that \watch repeats all of them
-- (psql 15 or newer prints every result of such a buffer; older psql shows only the last one).

\set ON_ERROR_STOP on
\pset footer off
\if :{?workflow}
\else
\set workflow NULL
\endif

SELECT p.workflow_id AS id,
       p.name,
       rpad(repeat('#', floor(coalesce(p.percent_done, 0) / 5)::int), 20, '.') || ' ' || coalesce(p.percent_done, 0) || ' %' AS progress,
       p.completed || ' / ' || p.total AS done,
       p.pending,
       p.running,
       p.failed,
       p.tasks_per_hour AS per_hour,
       p.avg_task_seconds AS avg_s,
       p.eta
FROM turing.workflow_progress AS p
WHERE ((:workflow)::bigint IS NULL AND p.pending + p.running > 0)
   OR p.workflow_id = (:workflow)::bigint
ORDER BY p.workflow_id \;
SELECT s.worker_id, s.host, s.pid, s.slots, s.running, s.completed_last_15m AS done_15m,
       date_trunc('second', now() - s.last_heartbeat) AS heartbeat_age
FROM turing.worker_status AS s
WHERE s.alive
ORDER BY s.worker_id \;
SELECT u."window", round(u.busy_fraction::numeric, 3) AS busy_fraction, round(u.avg_concurrency::numeric, 2) AS avg_concurrency,
       (SELECT count(*) FROM turing.expired_leases) AS expired_leases
FROM turing.utilization AS u;

\if :{?interval}
\watch :interval
\endif
