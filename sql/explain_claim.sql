-- explain_claim.sql: the plans of every statement turing.claim_tasks runs, with timings and buffers,
-- for one real claim that is then rolled back.
--
-- Why: the claim must stay O(batch) however large turing.tasks grows. Run this against a
-- production-sized table and check that the candidate queries read tasks_claimable_idx (or
-- tasks_claimable_workflow_idx with a workflow) and never a Seq Scan, that the claim itself finds its
-- rows through tasks_pkey, and that "Buffers" stays small.
-- It calls the function itself, so what it shows is what the installed migrations do (093 and later:
-- short statements with cached plans). auto_explain prints each nested statement's plan as a NOTICE;
-- loading it needs a superuser. Everything runs inside a transaction that is rolled back: no task is claimed.
--
--   psql -f sql/explain_claim.sql
--   psql -v workflow=1124 -v max_tasks=50 -f sql/explain_claim.sql
--
-- Variables: workflow (default NULL = all workflows), max_tasks (default 50),
-- lease (default '30 seconds'), worker (default 'explain_claim').

\set ON_ERROR_STOP on
\if :{?workflow}
\else
\set workflow NULL
\endif
\if :{?max_tasks}
\else
\set max_tasks 50
\endif
\if :{?lease}
\else
\set lease '30 seconds'
\endif
\if :{?worker}
\else
\set worker explain_claim
\endif

BEGIN;

LOAD 'auto_explain';
SET LOCAL auto_explain.log_min_duration = 0;
SET LOCAL auto_explain.log_analyze = on;
SET LOCAL auto_explain.log_buffers = on;
SET LOCAL auto_explain.log_timing = on;
SET LOCAL auto_explain.log_nested_statements = on;
-- To this session as NOTICEs, not to the server log.
SET LOCAL auto_explain.log_level = notice;
SET LOCAL client_min_messages = notice;

SELECT count(*) AS claimed_then_rolled_back
FROM turing.claim_tasks(:'worker', :max_tasks, (:'lease')::interval, (:workflow)::bigint);

ROLLBACK;
