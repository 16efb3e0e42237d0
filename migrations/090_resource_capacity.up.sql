-- 090_resource_capacity: a global limit on tasks running at once against a named resource (a GPU, an
-- Ollama endpoint), enforced by PostgreSQL across every worker process on every host.
--
-- What: the table turing.resources (name, capacity), turing.set_capacity(name, capacity), a nullable
-- column turing.tasks.resource recording which resource a claim counts against, a claim_tasks overload
-- with a fifth argument, resource, and the view turing.resource_usage (capacity, in use, waiting).
--
-- Why this shape:
-- * Per-process --workers cannot see the other processes: the limit lives where every claimer meets,
--   in the claim itself. turing.claim_tasks(worker_id, max_tasks, lease, workflow_id, resource) locks the
--   resource's row (SELECT ... FOR UPDATE), so claimers of one resource take turns; it then counts the
--   unexpired leases held on the resource (status running, resource = it, lease_expires_at > now()) and
--   claims at most capacity - held. Under READ COMMITTED each statement of the function sees every claim
--   committed before the lock was granted, so the count is exact and capacity is never exceeded, however
--   many processes race. Claimers of different resources, and 4-argument claims, never wait on each other.
-- * The claim logic itself is 088's turing._claim_tasks, unchanged except that it now clears
--   tasks.resource on every claim (CREATE OR REPLACE below): a task claimed without a resource never
--   counts against one, even if an earlier attempt was claimed with it. The 5-argument function then sets
--   the column on the rows it claimed, in the same call and transaction.
-- * A lease stops counting when the task completes, fails, is released or its lease expires (renewal keeps
--   it counting). Capacity is read at every claim: set_capacity takes effect at the next claim; lowering
--   it never interrupts running tasks, it only stops new claims until the count drops below it.
-- * Safe on a live table: one nullable column without default (no rewrite, no scan), a new table, new
--   functions; the ACCESS EXCLUSIVE lock of ALTER TABLE is held for milliseconds, bounded by lock_timeout.
--   No index: the count reads running tasks only, through 089's tasks_lease_expiry_idx.
-- * The 4-argument claim_tasks keeps resolving to 088's function: the new overload has no default for
--   resource, so a call with four arguments matches only the old one.
-- * Errors: TU001 invalid argument, TU003 unknown workflow (as in 088), TU004 unknown resource. A function
--   that raises changes nothing.

-- ---------------------------------------------------------------------------------------------
-- Resources and their capacity (a new table: constraints are validated at once, it is empty).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE turing.resources (
    name       text        CONSTRAINT resources_pkey PRIMARY KEY
                           CONSTRAINT resources_name_check CHECK (btrim(name) <> ''),
    capacity   integer     NOT NULL
                           CONSTRAINT resources_capacity_check CHECK (capacity >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE turing.resources IS
    'Named resources (a GPU, an Ollama endpoint) with the most tasks that may run against each at once, across all worker processes (turing-worker --resource NAME). Set with turing.set_capacity; see turing.resource_usage.';
COMMENT ON COLUMN turing.resources.name IS 'The resource''s name, as given to turing-worker --resource and claim_tasks.';
COMMENT ON COLUMN turing.resources.capacity IS 'Most unexpired leases that may be held on the resource at once; 0 pauses its claims.';
COMMENT ON COLUMN turing.resources.updated_at IS 'When the capacity was last set.';
COMMENT ON CONSTRAINT resources_name_check ON turing.resources IS 'A resource name is not empty or blank.';
COMMENT ON CONSTRAINT resources_capacity_check ON turing.resources IS 'Capacity is 0 (paused) or more.';

-- One ALTER TABLE: a nullable column without default is metadata only (no rewrite, no scan).
ALTER TABLE turing.tasks
    ADD COLUMN resource text;

COMMENT ON COLUMN turing.tasks.resource IS
    'The resource (turing.resources.name) the current or last claim counts against; NULL when claimed without one (4-argument claim_tasks). Only running tasks with an unexpired lease count.';

-- ---------------------------------------------------------------------------------------------
-- set_capacity
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION turing.set_capacity(name text, capacity integer)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
BEGIN
    IF set_capacity.name IS NULL OR btrim(set_capacity.name) = '' THEN
        RAISE EXCEPTION 'turing.set_capacity: name must not be NULL or empty'
            USING ERRCODE = 'TU001', HINT = 'Name the resource the workers claim against, e.g. SELECT turing.set_capacity(''gpu0'', 4).';
    END IF;
    IF set_capacity.capacity IS NULL OR set_capacity.capacity < 0 THEN
        RAISE EXCEPTION 'turing.set_capacity: capacity must be 0 or more, got %', coalesce(set_capacity.capacity::text, 'NULL')
            USING ERRCODE = 'TU001', HINT = 'The most tasks that may run against the resource at once; 0 pauses its claims.';
    END IF;

    INSERT INTO turing.resources AS r (name, capacity)
    VALUES (set_capacity.name, set_capacity.capacity)
    ON CONFLICT ON CONSTRAINT resources_pkey DO UPDATE
    SET capacity = excluded.capacity,
        updated_at = now();
END
$fn$;

COMMENT ON FUNCTION turing.set_capacity(text, integer) IS
$$Creates the resource name with this capacity, or changes its capacity: the most tasks that may run against it at once across all worker processes (turing-worker --resource name). Takes effect at the next claim; lowering it interrupts nothing, new claims wait until fewer leases are held. 0 pauses the resource's claims.
It waits for a claim of the same resource in progress (both lock the resource's row). Remove a resource with DELETE FROM turing.resources WHERE name = ... (as the schema owner); its workers then fail their claims with TU004.
Errors: TU001 name NULL or blank, capacity NULL or negative.$$;

-- ---------------------------------------------------------------------------------------------
-- 088's claim body, now clearing tasks.resource on every claim (the only change, marked below).
-- ---------------------------------------------------------------------------------------------
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

-- ---------------------------------------------------------------------------------------------
-- claim_tasks with a resource. As in 088, the work is done by a PL/pgSQL function with p_-prefixed
-- parameters (workflow_id is both an input and an output name), behind a thin SQL wrapper.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION turing._claim_tasks_for_resource(
    p_worker_id text, p_max_tasks integer, p_lease interval, p_workflow_id bigint, p_resource text)
RETURNS TABLE (task_id bigint, workflow_id bigint, lease_token uuid, attempt integer, payload jsonb, checkpoint jsonb)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
DECLARE
    v_capacity integer;
    v_held integer;
    v_ids bigint[];
BEGIN
    -- The same checks as turing._claim_tasks, made before the resource is locked, so a bad call raises
    -- the same error whether or not the resource has room.
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
    IF p_resource IS NULL OR btrim(p_resource) = '' THEN
        RAISE EXCEPTION 'turing.claim_tasks: resource must not be NULL or empty'
            USING ERRCODE = 'TU001', HINT = 'Name a resource of turing.resources, or call the 4-argument claim_tasks to claim without one.';
    END IF;
    -- The count below must see every claim committed before the lock was granted: only READ COMMITTED
    -- takes a new snapshot per statement. (Callers use one statement in autocommit; this guards the rest.)
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'turing.claim_tasks: a claim with a resource needs READ COMMITTED, not %', current_setting('transaction_isolation')
            USING ERRCODE = 'TU001', HINT = 'Call it on its own (autocommit) or in a READ COMMITTED transaction.';
    END IF;

    -- Claimers of this resource take turns from here to the end of their transaction.
    SELECT r.capacity INTO v_capacity
    FROM turing.resources AS r
    WHERE r.name = p_resource
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'turing.claim_tasks: resource "%" does not exist', p_resource
            USING ERRCODE = 'TU004',
                  HINT = format('Create it with its capacity first, e.g. SELECT turing.set_capacity(%L, 4);', p_resource);
    END IF;

    -- Unexpired leases held on the resource (running tasks only: tasks_lease_expiry_idx of 089).
    SELECT count(*) INTO v_held
    FROM turing.tasks AS t
    WHERE t.status = 'running'
      AND t.resource = p_resource
      AND t.lease_expires_at > now();

    IF least(p_max_tasks, v_capacity - v_held) < 1 THEN
        RETURN;  -- full (or capacity lowered below what runs): nothing now; a finished task frees a place
    END IF;

    SELECT array_agg(c.task_id) INTO v_ids
    FROM turing._claim_tasks(p_worker_id, least(p_max_tasks, v_capacity - v_held), p_lease, p_workflow_id) AS c;
    IF v_ids IS NULL THEN
        RETURN;
    END IF;

    RETURN QUERY
    WITH marked AS (
        UPDATE turing.tasks AS t
        SET resource = p_resource
        WHERE t.id = ANY (v_ids)
        RETURNING t.id, t.workflow_id, t.lease_token, t.attempts, t.payload, t.checkpoint, t.priority
    )
    SELECT m.id, m.workflow_id, m.lease_token, m.attempts, m.payload, m.checkpoint
    FROM marked AS m
    ORDER BY m.priority DESC, m.id;
END
$fn$;

COMMENT ON FUNCTION turing._claim_tasks_for_resource(text, integer, interval, bigint, text) IS
    'Internal: the body of the 5-argument turing.claim_tasks (which see). Not granted to turing_worker.';

CREATE FUNCTION turing.claim_tasks(worker_id text, max_tasks integer, lease interval, workflow_id bigint, resource text)
RETURNS TABLE (task_id bigint, workflow_id bigint, lease_token uuid, attempt integer, payload jsonb, checkpoint jsonb)
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
    SELECT c.task_id, c.workflow_id, c.lease_token, c.attempt, c.payload, c.checkpoint
    FROM turing._claim_tasks_for_resource($1, $2, $3, $4, $5) AS c
$fn$;

COMMENT ON FUNCTION turing.claim_tasks(text, integer, interval, bigint, text) IS
$$The 4-argument claim_tasks (which see) under a global limit: the claimed tasks count against resource (a row of turing.resources), and the number of unexpired leases held on it (status running, tasks.resource = resource, lease_expires_at > now()) never exceeds its capacity, however many processes claim at once.
Claimers of one resource take turns (the resource's row is locked FOR UPDATE until the end of the call's transaction), count the leases held and claim at most min(max_tasks, capacity - held), possibly none. Capacity is read at every call, so turing.set_capacity takes effect at the next claim.
A lease stops counting when its task completes, fails, is released or its lease expires. A worker that stalls past its lease and then renews it successfully (nobody took the task meanwhile) counts again: the total can then exceed capacity until one of them finishes.
resource has no default: a call with four arguments is the 088 function, which claims without a resource (and clears tasks.resource on the tasks it claims).
Must run under READ COMMITTED (autocommit is).
Errors: TU001 worker_id NULL or empty, max_tasks NULL or < 1, lease NULL or not positive, resource NULL or blank, or an isolation level other than READ COMMITTED; TU003 unknown workflow_id; TU004 unknown resource (create it with set_capacity).$$;

-- ---------------------------------------------------------------------------------------------
-- resource_usage
-- ---------------------------------------------------------------------------------------------
CREATE VIEW turing.resource_usage AS
WITH held AS (
    -- Running tasks only (tasks_lease_expiry_idx of 089).
    SELECT t.resource, count(*) AS in_use, count(DISTINCT t.claimed_by) AS holders
    FROM turing.tasks AS t
    WHERE t.status = 'running'
      AND t.resource IS NOT NULL
      AND t.lease_expires_at > now()
    GROUP BY t.resource
), claimable AS (
    -- What claim_tasks could take now, from tasks_claimable_idx and tasks_lease_expiry_idx of 089.
    SELECT (SELECT count(*)
            FROM turing.tasks AS t
            WHERE t.status = 'pending'
              AND (t.run_after IS NULL OR t.run_after <= now()))
         + (SELECT count(*)
            FROM turing.tasks AS t
            WHERE t.status = 'running'
              AND t.lease_expires_at < now()
              AND t.attempts < t.max_attempts) AS n
)
SELECT r.name AS resource,
       r.capacity,
       coalesce(h.in_use, 0) AS in_use,
       greatest(r.capacity - coalesce(h.in_use, 0), 0) AS available,
       c.n AS waiting,
       coalesce(h.holders, 0) AS holders,
       r.updated_at
FROM turing.resources AS r
LEFT JOIN held AS h ON h.resource = r.name
CROSS JOIN claimable AS c
ORDER BY r.name;

COMMENT ON VIEW turing.resource_usage IS
$$One row per resource of turing.resources: capacity; in_use = unexpired leases held on it now (what claim_tasks counts against capacity, at most capacity unless capacity was just lowered); available = capacity - in_use (never below 0); holders = worker ids holding them.
waiting = tasks claimable right now (pending and due, or running under an expired lease with attempts left) in all workflows: the work a free place could take at once. Tasks are not tied to a resource (the worker's --resource is), so it is the same figure on every row; waiting > 0 with available = 0 means the resource is the bottleneck.$$;

-- ---------------------------------------------------------------------------------------------
-- Privileges: nothing for PUBLIC; the claim and the view for turing_worker when that role exists.
-- set_capacity is an operator's action (the schema owner's), not a worker's: not granted.
-- ---------------------------------------------------------------------------------------------
REVOKE ALL ON FUNCTION turing.set_capacity(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION turing._claim_tasks_for_resource(text, integer, interval, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION turing.claim_tasks(text, integer, interval, bigint, text) FROM PUBLIC;

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'turing_worker') THEN
        GRANT EXECUTE ON FUNCTION turing.claim_tasks(text, integer, interval, bigint, text) TO turing_worker;
        GRANT SELECT ON turing.resource_usage TO turing_worker;
    END IF;
END
$grants$;
