-- explain_claim.sql: EXPLAIN (ANALYZE, BUFFERS) of the claim query of turing.claim_tasks, rolled back.
--
-- Why: the claim must stay O(batch) however large turing.tasks grows. Run this against a
-- production-sized table and check that it reads tasks_claimable_idx (or tasks_claimable_workflow_idx
-- with a workflow) and tasks_lease_expiry_idx, never a Seq Scan, and that "Buffers" stays small.
-- Everything runs inside a transaction that is rolled back: no task is claimed.
--
--   psql -f sql/explain_claim.sql
--   psql -v workflow=1124 -v max_tasks=50 -f sql/explain_claim.sql
--
-- Variables: workflow (default NULL = all workflows), max_tasks (default 50),
-- lease (default '30 seconds'), worker (default 'explain_claim').
-- The statement below mirrors the body of turing._claim_tasks (migration 088); keep them in step.

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

EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING ON)
WITH due AS (
    SELECT t.id, t.priority
    FROM turing.tasks AS t
    WHERE t.status = 'pending'
      AND (t.run_after IS NULL OR t.run_after <= now())
      AND ((:workflow)::bigint IS NULL OR t.workflow_id = (:workflow)::bigint)
    ORDER BY t.priority DESC, t.id
    LIMIT :max_tasks
    FOR UPDATE SKIP LOCKED
), expired AS (
    SELECT t.id, t.priority, t.attempts >= t.max_attempts AS exhausted
    FROM turing.tasks AS t
    WHERE t.status = 'running'
      AND t.lease_expires_at < now()
      AND ((:workflow)::bigint IS NULL OR t.workflow_id = (:workflow)::bigint)
    ORDER BY t.lease_expires_at
    LIMIT :max_tasks
    FOR UPDATE SKIP LOCKED
), picked AS (
    SELECT c.id
    FROM (
        SELECT d.id, d.priority FROM due AS d
        UNION ALL
        SELECT e.id, e.priority FROM expired AS e WHERE NOT e.exhausted
    ) AS c
    ORDER BY c.priority DESC, c.id
    LIMIT :max_tasks
), given_up AS (
    UPDATE turing.tasks AS t
    SET status = 'failed',
        error = format('lease expired after %s attempts (worker %s stopped renewing)', t.attempts, t.claimed_by),
        completed_at = now(),
        lease_expires_at = NULL
    FROM expired AS e
    WHERE t.id = e.id
      AND e.exhausted
    RETURNING t.id
), claimed AS (
    UPDATE turing.tasks AS t
    SET status = 'running',
        claimed_by = :'worker',
        lease_token = gen_random_uuid(),
        lease_expires_at = now() + (:'lease')::interval,
        attempts = t.attempts + 1,
        started_at = now(),
        completed_at = NULL
    FROM picked AS p
    WHERE t.id = p.id
    RETURNING t.id, t.workflow_id, t.lease_token, t.attempts, t.payload, t.checkpoint, t.priority
)
SELECT c.id, c.workflow_id, c.lease_token, c.attempts, c.payload, c.checkpoint
FROM claimed AS c
ORDER BY c.priority DESC, c.id;

ROLLBACK;
