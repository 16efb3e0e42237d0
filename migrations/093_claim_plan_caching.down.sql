-- 093_claim_plan_caching (down): turing._claim_tasks exactly as 090 defined it (one statement, planned
-- on every call).

CREATE OR REPLACE FUNCTION turing._claim_tasks(p_worker_id text, p_max_tasks integer, p_lease interval, p_workflow_id bigint)
RETURNS TABLE (task_id bigint, workflow_id bigint, lease_token uuid, attempt integer, payload jsonb, checkpoint jsonb)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
-- Plan for the actual arguments on every call: "p_workflow_id IS NULL OR ..." then folds away and
-- the per-workflow partial index can serve a claim restricted to one workflow.
SET plan_cache_mode = force_custom_plan
AS $fn$
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
    IF p_workflow_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM turing.workflows AS w WHERE w.id = p_workflow_id) THEN
        RAISE EXCEPTION 'turing.claim_tasks: workflow % does not exist', p_workflow_id
            USING ERRCODE = 'TU003', HINT = 'Check the id in turing.workflows, or pass NULL to claim from every workflow.';
    END IF;

    RETURN QUERY
    WITH due AS (
        -- Pending and due, in claim order, straight from tasks_claimable_idx (or
        -- tasks_claimable_workflow_idx); rows locked by other claimers are skipped and do not
        -- count towards the LIMIT.
        SELECT t.id, t.priority
        FROM turing.tasks AS t
        WHERE t.status = 'pending'
          AND (t.run_after IS NULL OR t.run_after <= now())
          AND (p_workflow_id IS NULL OR t.workflow_id = p_workflow_id)
        ORDER BY t.priority DESC, t.id
        LIMIT p_max_tasks
        FOR UPDATE SKIP LOCKED
    ), expired AS (
        -- Running with an expired lease, from tasks_lease_expiry_idx. Running tasks with a NULL
        -- lease belong to the old sequential processor and never match.
        SELECT t.id, t.priority, t.attempts >= t.max_attempts AS exhausted
        FROM turing.tasks AS t
        WHERE t.status = 'running'
          AND t.lease_expires_at < now()
          AND (p_workflow_id IS NULL OR t.workflow_id = p_workflow_id)
        ORDER BY t.lease_expires_at
        LIMIT p_max_tasks
        FOR UPDATE SKIP LOCKED
    ), picked AS (
        SELECT c.id
        FROM (
            SELECT d.id, d.priority FROM due AS d
            UNION ALL
            SELECT e.id, e.priority FROM expired AS e WHERE NOT e.exhausted
        ) AS c
        ORDER BY c.priority DESC, c.id
        LIMIT p_max_tasks
    ), given_up AS (
        -- Lease expired on the last allowed attempt: the job keeps killing its worker. End it.
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
            claimed_by = p_worker_id,
            lease_token = gen_random_uuid(),
            lease_expires_at = now() + p_lease,
            attempts = t.attempts + 1,
            started_at = now(),
            completed_at = NULL,
            resource = NULL  -- 090: a claim counts against no resource unless the caller sets one
        FROM picked AS p
        WHERE t.id = p.id
        RETURNING t.id, t.workflow_id, t.lease_token, t.attempts, t.payload, t.checkpoint, t.priority
    )
    SELECT c.id, c.workflow_id, c.lease_token, c.attempts, c.payload, c.checkpoint
    FROM claimed AS c
    ORDER BY c.priority DESC, c.id;
END
$fn$;
