-- turing:no-transaction
-- 094_running_task_indexes: running tasks indexed by workflow and lease expiry, so that a claim for one
-- workflow finds that workflow's expired leases without reading anyone else's; _claim_tasks asks for them
-- in a form only that index serves; tasks_claimed_by_idx goes.
--
-- Why: claim_tasks(..., workflow_id) looks for running tasks of its workflow whose lease has expired. The
-- only index on running tasks by expiry (tasks_lease_expiry_idx, 089) spans every workflow, so the planner
-- walked the expired leases of all workflows and filtered on workflow_id: with 120,000 expired leases in
-- other workflows (workers of those workflows stopped or crashed, nobody claiming them back), every claim
-- read all 120,000 (19 ms instead of 0.03 ms for that step), and one process's no-op throughput fell from
-- about 42,000 to 3,700 tasks/s. With stale statistics the planner could also read every running task of
-- the workflow through tasks_workflow_id_status_idx. With this index the step reads only the workflow's
-- expired leases, oldest first, and stops at the claim's size.
--
-- The index alone is not enough: PL/pgSQL caches a generic plan (the workflow unknown), and for
-- "workflow_id = $1 AND lease_expires_at < now() ORDER BY lease_expires_at LIMIT n" the planner still
-- preferred walking tasks_lease_expiry_idx in order and filtering. So _claim_tasks (CREATE OR REPLACE: same
-- signature, answers and locks; only that statement changes) states the condition as one range of the new
-- index, (workflow_id, lease_expires_at) from (p_workflow_id, -infinity) up to (p_workflow_id, now()),
-- ordered by both columns: an order no other index gives, and the same rows (a NULL lease never matches,
-- as before).
--
-- Each claim writes an entry into every index on running tasks, and the new one alone cost about 8 % of
-- one process's no-op throughput (alternating runs, 40,000 tasks, 5 pairs: 44.2k -> 40.8k tasks/s). So
-- tasks_claimed_by_idx (089) goes: since 092 renew_leases finds its rows by primary key, and what still
-- filters on claimed_by (release_tasks for all of a worker's tasks, once when it stops; worker_status,
-- resource_usage) reads the running set, which tasks_lease_expiry_idx covers. With the swap, the same runs
-- measured 44.0k against 42.5k before 094.
--
-- How: CREATE INDEX CONCURRENTLY, so workers and the old sequential processor keep writing while it builds;
-- it cannot run in a transaction block, hence no-transaction. A build that failed earlier leaves an INVALID
-- index, which IF NOT EXISTS would accept: the DO block drops such a leftover first, so a rerun rebuilds it.
-- The index is partial (running tasks only), so it stays as small as the running set. The function is
-- replaced only once the index exists, and the drop (CONCURRENTLY too) comes last, so an interrupted run
-- leaves at worst both indexes; every statement here may run again.

DO $cleanup$
BEGIN
    IF EXISTS (
        SELECT 1
        FROM pg_catalog.pg_index AS i
        JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname = 'turing' AND c.relname = 'tasks_running_workflow_idx' AND NOT i.indisvalid
    ) THEN
        RAISE NOTICE 'dropping invalid index turing.tasks_running_workflow_idx left by an interrupted build';
        DROP INDEX turing.tasks_running_workflow_idx;
    END IF;
END
$cleanup$;

CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_running_workflow_idx
    ON turing.tasks (workflow_id, lease_expires_at)
    WHERE status = 'running';

COMMENT ON INDEX turing.tasks_running_workflow_idx IS
    'claim_tasks with a workflow_id: that workflow''s running tasks by lease expiry (its expired leases).';

CREATE OR REPLACE FUNCTION turing._claim_tasks(p_worker_id text, p_max_tasks integer, p_lease interval, p_workflow_id bigint)
RETURNS TABLE (task_id bigint, workflow_id bigint, lease_token uuid, attempt integer, payload jsonb, checkpoint jsonb)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
DECLARE
    v_due bigint[];
    v_expired bigint[];
    v_exhausted bigint[];
    v_picked bigint[];
BEGIN
    IF p_worker_id IS NULL OR btrim(p_worker_id) = '' THEN
        RAISE EXCEPTION 'turing.claim_tasks: worker_id must not be NULL or empty'
            USING ERRCODE = 'TU001', HINT = 'Pass the id the worker registered with (default host:pid).';
    END IF;
    IF p_max_tasks IS NULL OR p_max_tasks < 1 THEN
        RAISE EXCEPTION 'turing.claim_tasks: max_tasks must be a positive integer, got %', coalesce(p_max_tasks::text, 'NULL')
            USING ERRCODE = 'TU001', HINT = 'Pass the number of tasks the worker can take now (its free slots or batch size).';
    END IF;
    IF p_lease IS NULL OR p_lease <= interval '0' THEN
        RAISE EXCEPTION 'turing.claim_tasks: lease must be a positive interval, got %', coalesce(p_lease::text, 'NULL')
            USING ERRCODE = 'TU001', HINT = 'For example interval ''30 seconds''; renew it with turing.renew_leases before it ends.';
    END IF;

    -- Candidates, locked until the end of the transaction; rows other claimers hold are skipped and do not
    -- count towards the LIMIT: pending and due, in claim order (tasks_claimable_idx, or
    -- tasks_claimable_workflow_idx for one workflow), and running with an expired lease (running tasks with
    -- a NULL lease belong to the old sequential processor and never match). One static statement per case.
    IF p_workflow_id IS NULL THEN
        SELECT array_agg(d.id) INTO v_due
        FROM (
            SELECT t.id
            FROM turing.tasks AS t
            WHERE t.status = 'pending'
              AND (t.run_after IS NULL OR t.run_after <= now())
            ORDER BY t.priority DESC, t.id
            LIMIT p_max_tasks
            FOR UPDATE SKIP LOCKED
        ) AS d;
        SELECT array_agg(e.id) FILTER (WHERE NOT e.exhausted), array_agg(e.id) FILTER (WHERE e.exhausted)
        INTO v_expired, v_exhausted
        FROM (
            SELECT t.id, t.attempts >= t.max_attempts AS exhausted
            FROM turing.tasks AS t
            WHERE t.status = 'running'
              AND t.lease_expires_at < now()
            ORDER BY t.lease_expires_at
            LIMIT p_max_tasks
            FOR UPDATE SKIP LOCKED
        ) AS e;
    ELSE
        IF NOT EXISTS (SELECT 1 FROM turing.workflows AS w WHERE w.id = p_workflow_id) THEN
            RAISE EXCEPTION 'turing.claim_tasks: workflow % does not exist', p_workflow_id
                USING ERRCODE = 'TU003', HINT = 'Check the id in turing.workflows, or pass NULL to claim from every workflow.';
        END IF;
        SELECT array_agg(d.id) INTO v_due
        FROM (
            SELECT t.id
            FROM turing.tasks AS t
            WHERE t.status = 'pending'
              AND (t.run_after IS NULL OR t.run_after <= now())
              AND t.workflow_id = p_workflow_id
            ORDER BY t.priority DESC, t.id
            LIMIT p_max_tasks
            FOR UPDATE SKIP LOCKED
        ) AS d;
        SELECT array_agg(e.id) FILTER (WHERE NOT e.exhausted), array_agg(e.id) FILTER (WHERE e.exhausted)
        INTO v_expired, v_exhausted
        FROM (
            SELECT t.id, t.attempts >= t.max_attempts AS exhausted
            FROM turing.tasks AS t
            WHERE t.status = 'running'
              -- workflow_id = p_workflow_id AND lease_expires_at < now(), written as one range of
              -- tasks_running_workflow_idx (094): no other index can serve this range in this order, so
              -- the cached plan cannot walk every workflow's expired leases instead.
              AND (t.workflow_id, t.lease_expires_at) >= (p_workflow_id, '-infinity'::timestamptz)
              AND (t.workflow_id, t.lease_expires_at) < (p_workflow_id, now())
            ORDER BY t.workflow_id, t.lease_expires_at
            LIMIT p_max_tasks
            FOR UPDATE SKIP LOCKED
        ) AS e;
    END IF;

    -- Lease expired on the last allowed attempt: the job keeps killing its worker. End it.
    IF v_exhausted IS NOT NULL THEN
        UPDATE turing.tasks AS t
        SET status = 'failed',
            error = format('lease expired after %s attempts (worker %s stopped renewing)', t.attempts, t.claimed_by),
            completed_at = now(),
            lease_expires_at = NULL
        WHERE t.id = ANY (v_exhausted);
    END IF;

    -- The first max_tasks of both kinds in claim order (the usual case, no expired lease: the due ones).
    IF v_expired IS NULL THEN
        v_picked := v_due;
    ELSE
        SELECT array_agg(c.id) INTO v_picked
        FROM (
            SELECT t.id
            FROM turing.tasks AS t
            WHERE t.id = ANY (coalesce(v_due, '{}') || v_expired)
            ORDER BY t.priority DESC, t.id
            LIMIT p_max_tasks
        ) AS c;
    END IF;
    IF v_picked IS NULL THEN
        RETURN;
    END IF;

    RETURN QUERY
    WITH claimed AS (
        UPDATE turing.tasks AS t
        SET status = 'running',
            claimed_by = p_worker_id,
            lease_token = gen_random_uuid(),
            lease_expires_at = now() + p_lease,
            attempts = t.attempts + 1,
            started_at = now(),
            completed_at = NULL,
            resource = NULL  -- 090: a claim counts against no resource unless the caller sets one
        WHERE t.id = ANY (v_picked)
        RETURNING t.id, t.workflow_id, t.lease_token, t.attempts, t.payload, t.checkpoint, t.priority
    )
    SELECT c.id, c.workflow_id, c.lease_token, c.attempts, c.payload, c.checkpoint
    FROM claimed AS c
    ORDER BY c.priority DESC, c.id;
END
$fn$;

DROP INDEX CONCURRENTLY IF EXISTS turing.tasks_claimed_by_idx;
