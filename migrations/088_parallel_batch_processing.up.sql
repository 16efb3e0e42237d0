-- 088_parallel_batch_processing: lets any number of worker processes share turing.tasks safely.
--
-- What: claim columns on turing.tasks (holder, lease token, lease expiry, attempts, backoff, priority,
-- checkpoint), a registry of worker processes (turing.workers), the SQL API the workers call
-- (claim / renew / complete / fail / release / enqueue / requeue / checkpoint / register), a
-- NOTIFY on channel turing_tasks when tasks become claimable, and views for psql.
--
-- Why this shape:
-- * PostgreSQL itself is the coordinator: FOR UPDATE SKIP LOCKED hands every task to exactly one
--   caller, a lease (token + expiry) lets a crashed worker's tasks be claimed again, and the token
--   fences late writers out (complete/fail/renew/checkpoint need the token of the current lease).
-- * Safe on a live table while the old sequential processor runs: only nullable columns or columns
--   with a constant default (no table rewrite, metadata only), CHECK constraints added NOT VALID (no
--   scan; they still apply to every new or updated row; `ALTER TABLE turing.tasks VALIDATE
--   CONSTRAINT ...` can be run later without blocking writers), no index on turing.tasks here:
--   the claim indexes are built CONCURRENTLY by 089_claim_indexes. The one ACCESS EXCLUSIVE lock
--   (ALTER TABLE) is held for milliseconds and bounded by the runner's lock_timeout.
-- * Every function is one statement for the caller and keeps no session state, so it works behind
--   a transaction-pooling PgBouncer. Each runs as its owner (SECURITY DEFINER) with a pinned
--   search_path, so a least-privileged role (turing_worker, see sql/roles.sql) needs no table rights.
-- * Errors of the API itself: SQLSTATE TU001 invalid argument, TU002 arrays of different lengths,
--   TU003 unknown workflow. A function that raises changes nothing.
--
-- Coexisting with the old sequential processor: a task it runs is 'running' with lease_expires_at
-- NULL, and claim_tasks never takes such a task. The old path must take a task with
--   UPDATE turing.tasks SET status = 'running', started_at = now() WHERE id = $1 AND status = 'pending'
-- (or SELECT ... FOR UPDATE SKIP LOCKED): under READ COMMITTED the UPDATE waits for a concurrent
-- claim_tasks, re-checks status = 'pending' on the new row version, and updates nothing if the task
-- was claimed. Pending tasks always have lease_expires_at NULL (every transition to pending clears it).

-- ---------------------------------------------------------------------------------------------
-- Claim columns. One ALTER TABLE: one short ACCESS EXCLUSIVE lock, no rewrite, no scan.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE turing.tasks
    ADD COLUMN claimed_by       text,
    ADD COLUMN lease_token      uuid,
    ADD COLUMN lease_expires_at timestamptz,
    ADD COLUMN attempts         integer NOT NULL DEFAULT 0,
    ADD COLUMN max_attempts     integer NOT NULL DEFAULT 5,
    ADD COLUMN run_after        timestamptz,
    ADD COLUMN priority         integer NOT NULL DEFAULT 0,
    ADD COLUMN checkpoint       jsonb,
    ADD COLUMN checkpointed_at  timestamptz,
    ADD CONSTRAINT tasks_attempts_check CHECK (attempts >= 0) NOT VALID,
    ADD CONSTRAINT tasks_max_attempts_check CHECK (max_attempts >= 1) NOT VALID;

COMMENT ON COLUMN turing.tasks.claimed_by IS
    'Worker id holding (or, for completed/failed tasks, last holding) the task; NULL when pending or run by the old sequential processor.';
COMMENT ON COLUMN turing.tasks.lease_token IS
    'Fencing token of the current lease, fresh per claim; complete/fail/renew/checkpoint must present it. Kept after completion so the result can be traced to the lease that wrote it.';
COMMENT ON COLUMN turing.tasks.lease_expires_at IS
    'When the running task''s lease ends unless renewed; after that any worker may claim it again. NULL when not leased (a running task with NULL lease belongs to the old sequential processor and is never claimed).';
COMMENT ON COLUMN turing.tasks.attempts IS
    'Number of claims (runs started) so far; release_tasks refunds one, requeue_failed resets to 0.';
COMMENT ON COLUMN turing.tasks.max_attempts IS
    'Runs allowed before the task ends failed (by fail_task, or by claim_tasks when its lease expired on the last attempt).';
COMMENT ON COLUMN turing.tasks.run_after IS
    'Earliest time a pending task may be claimed (retry backoff); NULL means now.';
COMMENT ON COLUMN turing.tasks.priority IS
    'Higher runs first; ties run oldest (lowest id) first.';
COMMENT ON COLUMN turing.tasks.checkpoint IS
    'Handler state saved by checkpoint_task; returned by claim_tasks so a retry can resume.';
COMMENT ON COLUMN turing.tasks.checkpointed_at IS
    'When checkpoint was last written.';
COMMENT ON CONSTRAINT tasks_attempts_check ON turing.tasks IS
    'attempts is never negative. Added NOT VALID (no scan on a live table); may be validated later.';
COMMENT ON CONSTRAINT tasks_max_attempts_check ON turing.tasks IS
    'At least one attempt. Added NOT VALID (no scan on a live table); may be validated later.';

-- ---------------------------------------------------------------------------------------------
-- Worker registry (a new table: constraints are validated at once, it is empty).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE turing.workers (
    id             text        CONSTRAINT workers_pkey PRIMARY KEY
                               CONSTRAINT workers_id_check CHECK (id <> ''),
    host           text,
    pid            integer     CONSTRAINT workers_pid_check CHECK (pid > 0),
    slots          integer     CONSTRAINT workers_slots_check CHECK (slots > 0),
    started_at     timestamptz NOT NULL DEFAULT now(),
    last_heartbeat timestamptz NOT NULL DEFAULT now(),
    stopped_at     timestamptz
);

COMMENT ON TABLE turing.workers IS
    'One row per worker process (register_worker); rows are kept after the worker stops, for history.';
COMMENT ON COLUMN turing.workers.id IS 'Worker id (default host:pid), the value of tasks.claimed_by.';
COMMENT ON COLUMN turing.workers.host IS 'Host name the worker runs on.';
COMMENT ON COLUMN turing.workers.pid IS 'Operating-system process id of the worker.';
COMMENT ON COLUMN turing.workers.slots IS 'Tasks the worker runs in parallel (--workers).';
COMMENT ON COLUMN turing.workers.started_at IS 'When the worker (last) registered.';
COMMENT ON COLUMN turing.workers.last_heartbeat IS 'Last sign of life (heartbeat or renew_leases).';
COMMENT ON COLUMN turing.workers.stopped_at IS 'When the worker stopped cleanly (stop_worker); NULL while it runs or if it died.';
COMMENT ON CONSTRAINT workers_id_check ON turing.workers IS 'A worker id is not empty.';
COMMENT ON CONSTRAINT workers_pid_check ON turing.workers IS 'A process id is positive.';
COMMENT ON CONSTRAINT workers_slots_check ON turing.workers IS 'A worker runs at least one task at a time.';

-- ---------------------------------------------------------------------------------------------
-- NOTIFY turing_tasks once per statement when a statement leaves some task claimable now.
-- Statement-level with a transition table: a 100k-row INSERT sends one notification, and
-- PostgreSQL also folds identical notifications of one transaction into one.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION turing.notify_claimable()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
BEGIN
    IF EXISTS (
        SELECT 1
        FROM new_tasks AS n
        WHERE n.status = 'pending'
          AND (n.run_after IS NULL OR n.run_after <= now())
    ) THEN
        PERFORM pg_notify('turing_tasks', '');
    END IF;
    RETURN NULL;
END
$fn$;

COMMENT ON FUNCTION turing.notify_claimable() IS
    'Trigger function: pg_notify(''turing_tasks'', '''') once per INSERT/UPDATE statement that leaves at least one task pending and due, so idle workers wake at once (they still poll as a fallback).';

CREATE TRIGGER tasks_notify_insert
    AFTER INSERT ON turing.tasks
    REFERENCING NEW TABLE AS new_tasks
    FOR EACH STATEMENT
    EXECUTE FUNCTION turing.notify_claimable();

CREATE TRIGGER tasks_notify_update
    AFTER UPDATE ON turing.tasks
    REFERENCING NEW TABLE AS new_tasks
    FOR EACH STATEMENT
    EXECUTE FUNCTION turing.notify_claimable();

COMMENT ON TRIGGER tasks_notify_insert ON turing.tasks IS
    'One NOTIFY turing_tasks per INSERT statement (plain SQL inserts by other tools included) that adds claimable tasks.';
COMMENT ON TRIGGER tasks_notify_update ON turing.tasks IS
    'One NOTIFY turing_tasks per UPDATE statement that makes tasks claimable (release_tasks, requeue_failed, fail_task with no delay, manual fixes).';

-- ---------------------------------------------------------------------------------------------
-- claim_tasks
-- The work is done by a PL/pgSQL function with p_-prefixed parameters: PL/pgSQL cannot have an
-- input and an output parameter of the same name, and the contract has workflow_id as both.
-- The public claim_tasks is a thin SQL wrapper with the contract's exact signature.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION turing._claim_tasks(p_worker_id text, p_max_tasks integer, p_lease interval, p_workflow_id bigint)
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
            completed_at = NULL
        FROM picked AS p
        WHERE t.id = p.id
        RETURNING t.id, t.workflow_id, t.lease_token, t.attempts, t.payload, t.checkpoint, t.priority
    )
    SELECT c.id, c.workflow_id, c.lease_token, c.attempts, c.payload, c.checkpoint
    FROM claimed AS c
    ORDER BY c.priority DESC, c.id;
END
$fn$;

COMMENT ON FUNCTION turing._claim_tasks(text, integer, interval, bigint) IS
    'Internal: the body of turing.claim_tasks (which see). Not granted to turing_worker.';

CREATE FUNCTION turing.claim_tasks(worker_id text, max_tasks integer, lease interval, workflow_id bigint DEFAULT NULL)
RETURNS TABLE (task_id bigint, workflow_id bigint, lease_token uuid, attempt integer, payload jsonb, checkpoint jsonb)
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
    SELECT c.task_id, c.workflow_id, c.lease_token, c.attempt, c.payload, c.checkpoint
    FROM turing._claim_tasks($1, $2, $3, $4) AS c
$fn$;

COMMENT ON FUNCTION turing.claim_tasks(text, integer, interval, bigint) IS
$$Claims up to max_tasks claimable tasks for worker_id (of one workflow, or of all when workflow_id is NULL) and returns them, highest priority first, then oldest (lowest id).
Claimable: pending with run_after NULL or past, or running with an expired lease (a crashed worker's task). FOR UPDATE SKIP LOCKED: no task is ever given to two callers.
Each claimed task: status running, claimed_by = worker_id, a fresh lease_token, lease_expires_at = now() + lease, attempts + 1 (returned as attempt), started_at = now(). Its checkpoint is returned so a retry can resume.
A task whose lease expired on its last allowed attempt is not claimed but set failed ("lease expired after N attempts (worker X stopped renewing)"), so a job that kills its worker every time ends instead of looping.
Tasks running with a NULL lease belong to the old sequential processor and are never taken.
Errors: TU001 worker_id NULL or empty, max_tasks NULL or < 1, lease NULL or not positive; TU003 unknown workflow_id.$$;

-- ---------------------------------------------------------------------------------------------
-- renew_leases
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION turing.renew_leases(worker_id text, task_ids bigint[], lease_tokens uuid[], lease interval)
RETURNS SETOF bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
BEGIN
    IF renew_leases.worker_id IS NULL OR btrim(renew_leases.worker_id) = '' THEN
        RAISE EXCEPTION 'turing.renew_leases: worker_id must not be NULL or empty'
            USING ERRCODE = 'TU001', HINT = 'Pass the id the tasks were claimed with.';
    END IF;
    IF renew_leases.task_ids IS NULL OR renew_leases.lease_tokens IS NULL
       OR array_ndims(renew_leases.task_ids) > 1 OR array_ndims(renew_leases.lease_tokens) > 1 THEN
        RAISE EXCEPTION 'turing.renew_leases: task_ids and lease_tokens must be one-dimensional arrays, not NULL'
            USING ERRCODE = 'TU001', HINT = 'Pass empty arrays to only send a heartbeat.';
    END IF;
    IF cardinality(renew_leases.task_ids) <> cardinality(renew_leases.lease_tokens) THEN
        RAISE EXCEPTION 'turing.renew_leases: % task_ids but % lease_tokens',
                cardinality(renew_leases.task_ids), cardinality(renew_leases.lease_tokens)
            USING ERRCODE = 'TU002', HINT = 'Pass one lease token per task id, in the same order.';
    END IF;
    IF renew_leases.lease IS NULL OR renew_leases.lease <= interval '0' THEN
        RAISE EXCEPTION 'turing.renew_leases: lease must be a positive interval, got %', coalesce(renew_leases.lease::text, 'NULL')
            USING ERRCODE = 'TU001', HINT = 'For example interval ''30 seconds''.';
    END IF;

    UPDATE turing.workers AS w
    SET last_heartbeat = now()
    WHERE w.id = renew_leases.worker_id;

    RETURN QUERY
    WITH held AS (
        -- Lock in id order, so two batch calls can never deadlock on each other.
        SELECT t.id
        FROM turing.tasks AS t
        JOIN unnest(renew_leases.task_ids, renew_leases.lease_tokens) AS u (id, token)
          ON t.id = u.id AND t.lease_token = u.token
        WHERE t.status = 'running'
          AND t.claimed_by = renew_leases.worker_id
        ORDER BY t.id
        FOR UPDATE OF t
    )
    UPDATE turing.tasks AS t
    SET lease_expires_at = now() + renew_leases.lease
    FROM (SELECT DISTINCT h.id FROM held AS h) AS h
    WHERE t.id = h.id
    RETURNING t.id;
END
$fn$;


COMMENT ON FUNCTION turing.renew_leases(text, bigint[], uuid[], interval) IS
$$Extends to now() + lease the leases worker_id still holds (status running, claimed_by = worker_id, same lease token) and returns those task ids.
A task missing from the answer is lost to this worker (its lease expired and another worker claimed it, or it was released): stop working on it.
Also bumps turing.workers.last_heartbeat for worker_id when it is registered; empty arrays just send that heartbeat.
Errors: TU001 worker_id NULL or empty, an array NULL or multi-dimensional, lease NULL or not positive; TU002 arrays of different lengths.$$;

-- ---------------------------------------------------------------------------------------------
-- complete_task / complete_tasks
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION turing.complete_task(task_id bigint, lease_token uuid, result jsonb)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
BEGIN
    IF complete_task.task_id IS NULL OR complete_task.lease_token IS NULL THEN
        RAISE EXCEPTION 'turing.complete_task: task_id and lease_token must not be NULL'
            USING ERRCODE = 'TU001', HINT = 'Pass the task id and the lease token claim_tasks returned for it.';
    END IF;

    UPDATE turing.tasks AS t
    SET status = 'completed',
        result = complete_task.result,
        completed_at = now(),
        lease_expires_at = NULL
    WHERE t.id = complete_task.task_id
      AND t.status = 'running'
      AND t.lease_token = complete_task.lease_token;

    RETURN FOUND;
END
$fn$;

COMMENT ON FUNCTION turing.complete_task(bigint, uuid, jsonb) IS
$$Records result and marks the task completed (completed_at = now(), lease_expires_at cleared; claimed_by and lease_token are kept, so the result can be traced to the lease that wrote it; error keeps the last failed attempt's message, if any).
Only while the caller holds the lease (status running and the same lease_token): returns false otherwise and changes nothing, so a late worker can never overwrite another's result.
Errors: TU001 task_id or lease_token NULL.$$;

CREATE FUNCTION turing.complete_tasks(task_ids bigint[], lease_tokens uuid[], results jsonb[])
RETURNS SETOF bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
BEGIN
    IF complete_tasks.task_ids IS NULL OR complete_tasks.lease_tokens IS NULL OR complete_tasks.results IS NULL
       OR array_ndims(complete_tasks.task_ids) > 1 OR array_ndims(complete_tasks.lease_tokens) > 1
       OR array_ndims(complete_tasks.results) > 1 THEN
        RAISE EXCEPTION 'turing.complete_tasks: task_ids, lease_tokens and results must be one-dimensional arrays, not NULL'
            USING ERRCODE = 'TU001', HINT = 'Pass one element per task in each array (empty arrays are fine).';
    END IF;
    IF cardinality(complete_tasks.task_ids) <> cardinality(complete_tasks.lease_tokens)
       OR cardinality(complete_tasks.task_ids) <> cardinality(complete_tasks.results) THEN
        RAISE EXCEPTION 'turing.complete_tasks: % task_ids, % lease_tokens and % results',
                cardinality(complete_tasks.task_ids), cardinality(complete_tasks.lease_tokens), cardinality(complete_tasks.results)
            USING ERRCODE = 'TU002', HINT = 'Pass one lease token and one result per task id, in the same order.';
    END IF;
    IF (SELECT count(DISTINCT u.id) FROM unnest(complete_tasks.task_ids) AS u (id)) <> cardinality(complete_tasks.task_ids)
       OR array_position(complete_tasks.task_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'turing.complete_tasks: task_ids must be distinct and not NULL'
            USING ERRCODE = 'TU001', HINT = 'Each task can be completed once; send one result per task.';
    END IF;

    RETURN QUERY
    WITH held AS (
        -- Lock in id order, so two batch calls can never deadlock on each other.
        SELECT t.id, u.result
        FROM turing.tasks AS t
        JOIN unnest(complete_tasks.task_ids, complete_tasks.lease_tokens, complete_tasks.results) AS u (id, token, result)
          ON t.id = u.id AND t.lease_token = u.token
        WHERE t.status = 'running'
        ORDER BY t.id
        FOR UPDATE OF t
    )
    UPDATE turing.tasks AS t
    SET status = 'completed',
        result = h.result,
        completed_at = now(),
        lease_expires_at = NULL
    FROM held AS h
    WHERE t.id = h.id
    RETURNING t.id;
END
$fn$;

COMMENT ON FUNCTION turing.complete_tasks(bigint[], uuid[], jsonb[]) IS
$$Batch form of complete_task: task_ids[i] gets results[i] if lease_tokens[i] is still its lease. Returns the ids recorded; the others were lost and are unchanged.
Errors: TU001 an array NULL or multi-dimensional, or task_ids not distinct or containing NULL; TU002 arrays of different lengths.$$;

-- ---------------------------------------------------------------------------------------------
-- fail_task
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION turing.fail_task(task_id bigint, lease_token uuid, error text, retry_delay interval DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
DECLARE
    v_status text;
BEGIN
    IF fail_task.task_id IS NULL OR fail_task.lease_token IS NULL THEN
        RAISE EXCEPTION 'turing.fail_task: task_id and lease_token must not be NULL'
            USING ERRCODE = 'TU001', HINT = 'Pass the task id and the lease token claim_tasks returned for it.';
    END IF;
    IF fail_task.retry_delay < interval '0' THEN
        RAISE EXCEPTION 'turing.fail_task: retry_delay must not be negative, got %', fail_task.retry_delay
            USING ERRCODE = 'TU001', HINT = 'Pass NULL for exponential backoff, or a delay >= 0.';
    END IF;

    UPDATE turing.tasks AS t
    SET status = CASE WHEN t.attempts < t.max_attempts THEN 'pending' ELSE 'failed' END,
        error = coalesce(fail_task.error, '(no error message)'),
        run_after = CASE
            WHEN t.attempts < t.max_attempts THEN
                now() + coalesce(
                    fail_task.retry_delay,
                    -- 2^attempts seconds, +-25 % jitter, at most an hour (exponent capped: 2^12 s > 1 h).
                    least(interval '1 hour',
                          make_interval(secs => power(2, least(t.attempts, 12)) * (0.75 + random() * 0.5))))
            ELSE t.run_after
        END,
        completed_at = CASE WHEN t.attempts < t.max_attempts THEN NULL ELSE now() END,
        started_at = CASE WHEN t.attempts < t.max_attempts THEN NULL ELSE t.started_at END,
        claimed_by = CASE WHEN t.attempts < t.max_attempts THEN NULL ELSE t.claimed_by END,
        lease_token = CASE WHEN t.attempts < t.max_attempts THEN NULL ELSE t.lease_token END,
        lease_expires_at = NULL
    WHERE t.id = fail_task.task_id
      AND t.status = 'running'
      AND t.lease_token = fail_task.lease_token
    RETURNING t.status INTO v_status;

    RETURN v_status;
END
$fn$;

COMMENT ON FUNCTION turing.fail_task(bigint, uuid, text, interval) IS
$$Records a failed attempt of a task the caller holds; error is stored in both cases.
Attempts left (attempts < max_attempts): back to pending, claimable after run_after = now() + retry_delay, or when retry_delay is NULL an exponential backoff with jitter: least(1 hour, 2^attempts s * (0.75 + random() * 0.5)); returns 'pending'.
None left: status failed, completed_at = now(); returns 'failed' (requeue_failed brings it back).
Returns NULL when the lease was lost (not running, or another lease token); nothing changes then.
Errors: TU001 task_id or lease_token NULL, retry_delay negative.$$;

-- ---------------------------------------------------------------------------------------------
-- release_tasks
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION turing.release_tasks(worker_id text, task_ids bigint[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
SET plan_cache_mode = force_custom_plan
AS $fn$
DECLARE
    v_count integer;
BEGIN
    IF release_tasks.worker_id IS NULL OR btrim(release_tasks.worker_id) = '' THEN
        RAISE EXCEPTION 'turing.release_tasks: worker_id must not be NULL or empty'
            USING ERRCODE = 'TU001', HINT = 'Pass the id the tasks were claimed with.';
    END IF;

    WITH mine AS (
        SELECT t.id
        FROM turing.tasks AS t
        WHERE t.status = 'running'
          AND t.claimed_by = release_tasks.worker_id
          AND (release_tasks.task_ids IS NULL OR t.id = ANY (release_tasks.task_ids))
        ORDER BY t.id
        FOR UPDATE OF t
    ), released AS (
        UPDATE turing.tasks AS t
        SET status = 'pending',
            attempts = greatest(t.attempts - 1, 0),
            claimed_by = NULL,
            lease_token = NULL,
            lease_expires_at = NULL,
            run_after = NULL,
            started_at = NULL
        FROM mine AS m
        WHERE t.id = m.id
        RETURNING t.id
    )
    SELECT count(*) INTO v_count FROM released;

    RETURN v_count;
END
$fn$;

COMMENT ON FUNCTION turing.release_tasks(text, bigint[]) IS
$$Hands worker_id's running tasks (only those in task_ids, or all of them when task_ids is NULL) back at once: pending, claimable now (run_after NULL), lease and claimed_by cleared, and the attempt refunded (attempts = greatest(attempts - 1, 0)): a release is a clean hand-back, never a crash. Ids the worker does not hold are ignored.
Returns how many tasks were released. Wakes idle workers (NOTIFY turing_tasks, through the trigger, once).
Errors: TU001 worker_id NULL or empty.$$;

-- ---------------------------------------------------------------------------------------------
-- enqueue_tasks / requeue_failed
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION turing.enqueue_tasks(workflow_id bigint, payloads jsonb[], priority integer DEFAULT 0)
RETURNS SETOF bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
BEGIN
    IF enqueue_tasks.workflow_id IS NULL THEN
        RAISE EXCEPTION 'turing.enqueue_tasks: workflow_id must not be NULL'
            USING ERRCODE = 'TU001', HINT = 'Create the workflow first: INSERT INTO turing.workflows (name) VALUES (...) RETURNING id.';
    END IF;
    IF enqueue_tasks.payloads IS NULL OR array_ndims(enqueue_tasks.payloads) > 1
       OR array_position(enqueue_tasks.payloads, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'turing.enqueue_tasks: payloads must be a one-dimensional array without NULL elements'
            USING ERRCODE = 'TU001', HINT = 'Use ''{}''::jsonb for a task without input.';
    END IF;
    IF enqueue_tasks.priority IS NULL THEN
        RAISE EXCEPTION 'turing.enqueue_tasks: priority must not be NULL'
            USING ERRCODE = 'TU001', HINT = 'Omit it for the default, 0; higher runs first.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM turing.workflows AS w WHERE w.id = enqueue_tasks.workflow_id) THEN
        RAISE EXCEPTION 'turing.enqueue_tasks: workflow % does not exist', enqueue_tasks.workflow_id
            USING ERRCODE = 'TU003', HINT = 'Create it first: INSERT INTO turing.workflows (name) VALUES (...) RETURNING id.';
    END IF;

    RETURN QUERY
    INSERT INTO turing.tasks AS t (workflow_id, payload, priority)
    SELECT enqueue_tasks.workflow_id, u.payload, enqueue_tasks.priority
    FROM unnest(enqueue_tasks.payloads) WITH ORDINALITY AS u (payload, n)
    ORDER BY u.n
    RETURNING t.id;
END
$fn$;

COMMENT ON FUNCTION turing.enqueue_tasks(bigint, jsonb[], integer) IS
$$Adds one pending task per element of payloads to workflow_id, with the given priority (higher runs first), and returns the new ids in the order of payloads. One statement: one NOTIFY turing_tasks however many tasks.
Errors: TU001 workflow_id or priority NULL, payloads NULL, multi-dimensional or with a NULL element; TU003 unknown workflow.$$;

CREATE FUNCTION turing.requeue_failed(workflow_id bigint)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
DECLARE
    v_count integer;
BEGIN
    IF requeue_failed.workflow_id IS NULL THEN
        RAISE EXCEPTION 'turing.requeue_failed: workflow_id must not be NULL'
            USING ERRCODE = 'TU001', HINT = 'Pass the id of the workflow whose failed tasks should run again.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM turing.workflows AS w WHERE w.id = requeue_failed.workflow_id) THEN
        RAISE EXCEPTION 'turing.requeue_failed: workflow % does not exist', requeue_failed.workflow_id
            USING ERRCODE = 'TU003', HINT = 'Check the id in turing.workflows.';
    END IF;

    WITH failed AS (
        SELECT t.id
        FROM turing.tasks AS t
        WHERE t.workflow_id = requeue_failed.workflow_id
          AND t.status = 'failed'
        ORDER BY t.id
        FOR UPDATE OF t
    ), requeued AS (
        UPDATE turing.tasks AS t
        SET status = 'pending',
            attempts = 0,
            run_after = NULL,
            started_at = NULL,
            completed_at = NULL,
            claimed_by = NULL,
            lease_token = NULL,
            lease_expires_at = NULL
        FROM failed AS f
        WHERE t.id = f.id
        RETURNING t.id
    )
    SELECT count(*) INTO v_count FROM requeued;

    RETURN v_count;
END
$fn$;

COMMENT ON FUNCTION turing.requeue_failed(bigint) IS
$$Puts every failed task of workflow_id back to pending, claimable now, with fresh attempts (0). The error column is kept as history of the last failure (the next failure overwrites it; status, not error, tells whether a task failed); checkpoint is kept so the task can resume.
Returns how many tasks were requeued. Wakes idle workers (NOTIFY turing_tasks, through the trigger, once).
Errors: TU001 workflow_id NULL; TU003 unknown workflow.$$;

-- ---------------------------------------------------------------------------------------------
-- checkpoint_task
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION turing.checkpoint_task(task_id bigint, lease_token uuid, state jsonb)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
BEGIN
    IF checkpoint_task.task_id IS NULL OR checkpoint_task.lease_token IS NULL THEN
        RAISE EXCEPTION 'turing.checkpoint_task: task_id and lease_token must not be NULL'
            USING ERRCODE = 'TU001', HINT = 'Pass the task id and the lease token claim_tasks returned for it.';
    END IF;

    UPDATE turing.tasks AS t
    SET checkpoint = checkpoint_task.state,
        checkpointed_at = now()
    WHERE t.id = checkpoint_task.task_id
      AND t.status = 'running'
      AND t.lease_token = checkpoint_task.lease_token;

    RETURN FOUND;
END
$fn$;

COMMENT ON FUNCTION turing.checkpoint_task(bigint, uuid, jsonb) IS
$$Saves state as the task's checkpoint (and checkpointed_at = now()) while the caller holds the lease; claim_tasks returns it to the next attempt so a retry can resume. NULL state clears it.
Returns false when the lease was lost; nothing changes then.
Errors: TU001 task_id or lease_token NULL.$$;

-- ---------------------------------------------------------------------------------------------
-- Worker registry
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION turing.register_worker(worker_id text, host text, pid integer, slots integer)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
BEGIN
    IF register_worker.worker_id IS NULL OR btrim(register_worker.worker_id) = '' THEN
        RAISE EXCEPTION 'turing.register_worker: worker_id must not be NULL or empty'
            USING ERRCODE = 'TU001', HINT = 'Use host:pid, or the --worker-id given to turing-worker.';
    END IF;
    IF register_worker.pid <= 0 THEN
        RAISE EXCEPTION 'turing.register_worker: pid must be positive, got %', register_worker.pid
            USING ERRCODE = 'TU001', HINT = 'Pass the operating-system process id, or NULL.';
    END IF;
    IF register_worker.slots <= 0 THEN
        RAISE EXCEPTION 'turing.register_worker: slots must be positive, got %', register_worker.slots
            USING ERRCODE = 'TU001', HINT = 'Pass the number of tasks the worker runs in parallel, or NULL.';
    END IF;

    INSERT INTO turing.workers AS w (id, host, pid, slots)
    VALUES (register_worker.worker_id, register_worker.host, register_worker.pid, register_worker.slots)
    ON CONFLICT ON CONSTRAINT workers_pkey DO UPDATE
    SET host = EXCLUDED.host,
        pid = EXCLUDED.pid,
        slots = EXCLUDED.slots,
        started_at = now(),
        last_heartbeat = now(),
        stopped_at = NULL;
END
$fn$;

COMMENT ON FUNCTION turing.register_worker(text, text, integer, integer) IS
$$Registers (or re-registers) a worker process: upserts its turing.workers row, sets started_at and last_heartbeat to now() and clears stopped_at.
Errors: TU001 worker_id NULL or empty, pid or slots not positive (NULL host, pid or slots are allowed).$$;

CREATE FUNCTION turing.heartbeat(worker_id text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
BEGIN
    IF heartbeat.worker_id IS NULL OR btrim(heartbeat.worker_id) = '' THEN
        RAISE EXCEPTION 'turing.heartbeat: worker_id must not be NULL or empty'
            USING ERRCODE = 'TU001', HINT = 'Pass the id the worker registered with.';
    END IF;

    INSERT INTO turing.workers AS w (id)
    VALUES (heartbeat.worker_id)
    ON CONFLICT ON CONSTRAINT workers_pkey DO UPDATE
    SET last_heartbeat = now();
END
$fn$;

COMMENT ON FUNCTION turing.heartbeat(text) IS
$$Sign of life: sets last_heartbeat = now() for worker_id (registering a bare row if it is unknown, e.g. after the registry was cleaned up). A worker is shown alive in worker_status while its last heartbeat is under a minute old; renew_leases also counts as a heartbeat, so call this at least every 20 s while idle.
Errors: TU001 worker_id NULL or empty.$$;

CREATE FUNCTION turing.stop_worker(worker_id text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
BEGIN
    IF stop_worker.worker_id IS NULL OR btrim(stop_worker.worker_id) = '' THEN
        RAISE EXCEPTION 'turing.stop_worker: worker_id must not be NULL or empty'
            USING ERRCODE = 'TU001', HINT = 'Pass the id the worker registered with.';
    END IF;

    UPDATE turing.workers AS w
    SET stopped_at = now()
    WHERE w.id = stop_worker.worker_id;
END
$fn$;

COMMENT ON FUNCTION turing.stop_worker(text) IS
$$Marks worker_id stopped (stopped_at = now()); an unknown id is ignored. It does not release tasks: call release_tasks first for unstarted claims.
Errors: TU001 worker_id NULL or empty.$$;

-- ---------------------------------------------------------------------------------------------
-- utilization_between: busy share and average concurrency over a time window.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION turing.utilization_between(since timestamptz, until timestamptz, workflow_id bigint DEFAULT NULL)
RETURNS TABLE (busy_fraction double precision, avg_concurrency double precision)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
SET plan_cache_mode = force_custom_plan
AS $fn$
DECLARE
    v_seconds double precision;
BEGIN
    IF utilization_between.since IS NULL OR utilization_between.until IS NULL
       OR utilization_between.until <= utilization_between.since THEN
        RAISE EXCEPTION 'turing.utilization_between: need since < until, got [%, %)',
                coalesce(utilization_between.since::text, 'NULL'), coalesce(utilization_between.until::text, 'NULL')
            USING ERRCODE = 'TU001', HINT = 'For example (now() - interval ''1 hour'', now()).';
    END IF;
    IF utilization_between.workflow_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM turing.workflows AS w WHERE w.id = utilization_between.workflow_id) THEN
        RAISE EXCEPTION 'turing.utilization_between: workflow % does not exist', utilization_between.workflow_id
            USING ERRCODE = 'TU003', HINT = 'Check the id in turing.workflows, or pass NULL for all workflows.';
    END IF;

    v_seconds := extract(epoch FROM utilization_between.until - utilization_between.since);

    RETURN QUERY
    WITH runs AS (
        -- Runs still going (tasks_claimed_by_idx / tasks_lease_expiry_idx: status = 'running') ...
        SELECT greatest(t.started_at, utilization_between.since) AS s,
               least(now(), utilization_between.until) AS e
        FROM turing.tasks AS t
        WHERE t.status = 'running'
          AND t.started_at < utilization_between.until
          AND (utilization_between.workflow_id IS NULL OR t.workflow_id = utilization_between.workflow_id)
        UNION ALL
        -- ... and runs that ended inside the window (tasks_recent_done_idx on completed_at).
        SELECT greatest(t.started_at, utilization_between.since),
               least(t.completed_at, utilization_between.until)
        FROM turing.tasks AS t
        WHERE t.completed_at > utilization_between.since
          AND t.status IN ('completed', 'failed')
          AND t.started_at < utilization_between.until
          AND (utilization_between.workflow_id IS NULL OR t.workflow_id = utilization_between.workflow_id)
    ), clipped AS (
        SELECT r.s, r.e FROM runs AS r WHERE r.e > r.s
    ), marked AS (
        -- Gaps and islands: a run starts a new island when it begins after every earlier run ended.
        SELECT c.s, c.e,
               CASE WHEN c.s <= max(c.e) OVER (ORDER BY c.s, c.e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                    THEN 0 ELSE 1 END AS starts_island
        FROM clipped AS c
    ), numbered AS (
        SELECT m.s, m.e, sum(m.starts_island) OVER (ORDER BY m.s, m.e ROWS UNBOUNDED PRECEDING) AS island
        FROM marked AS m
    ), islands AS (
        SELECT max(n.e) - min(n.s) AS span FROM numbered AS n GROUP BY n.island
    )
    SELECT coalesce((SELECT sum(extract(epoch FROM i.span)) FROM islands AS i), 0)::double precision / v_seconds,
           coalesce((SELECT sum(extract(epoch FROM c.e - c.s)) FROM clipped AS c), 0)::double precision / v_seconds;
END
$fn$;

COMMENT ON FUNCTION turing.utilization_between(timestamptz, timestamptz, bigint) IS
$$How busy the workers were in [since, until), over all workflows or one.
busy_fraction: share of the window in which at least one task was running (the union of the runs [started_at, coalesce(completed_at, now())) clipped to the window) - what the GPU saw. avg_concurrency: sum of the clipped run durations / window length (e.g. 3.5 = three and a half tasks running on average).
Completed, failed and running tasks count. Only the last run of a task is recorded (a failed attempt that was retried, or a released claim, leaves no trace), and a running task whose worker died counts until it is claimed again or fails. A window reaching into the future counts that part as idle.
Errors: TU001 since/until NULL or since >= until; TU003 unknown workflow.$$;

-- ---------------------------------------------------------------------------------------------
-- Views for psql. They read through the partial indexes of 089 (recent completions, running
-- tasks) and the baseline's (workflow_id, status) index; none scans completed history beyond the
-- counts per status.
-- ---------------------------------------------------------------------------------------------
CREATE VIEW turing.workflow_progress AS
WITH by_status AS (
    -- Index-only scan of tasks_workflow_id_status_idx (087); grouping by both columns first is
    -- cheaper than filtered aggregates over every row.
    SELECT t.workflow_id, t.status, count(*) AS n
    FROM turing.tasks AS t
    GROUP BY t.workflow_id, t.status
), counts AS (
    SELECT s.workflow_id,
           sum(s.n)::bigint AS total,
           coalesce(sum(s.n) FILTER (WHERE s.status = 'pending'), 0)::bigint AS pending,
           coalesce(sum(s.n) FILTER (WHERE s.status = 'running'), 0)::bigint AS running,
           coalesce(sum(s.n) FILTER (WHERE s.status = 'completed'), 0)::bigint AS completed,
           coalesce(sum(s.n) FILTER (WHERE s.status = 'failed'), 0)::bigint AS failed
    FROM by_status AS s
    GROUP BY s.workflow_id
), recent AS (
    SELECT t.workflow_id,
           count(*) AS done,
           avg(extract(epoch FROM t.completed_at - t.started_at)) AS avg_seconds,
           -- Measuring window: the last 15 minutes, or less while the workflow is younger than
           -- that (since the earliest of these completions started), never under 1 s.
           greatest(1.0, extract(epoch FROM now() - greatest(now() - interval '15 minutes',
                                                             coalesce(min(t.started_at), now() - interval '15 minutes'))))
               AS window_seconds
    FROM turing.tasks AS t
    WHERE t.completed_at >= now() - interval '15 minutes'
      AND t.status = 'completed'
    GROUP BY t.workflow_id
)
SELECT w.id AS workflow_id,
       w.name,
       coalesce(c.total, 0) AS total,
       coalesce(c.pending, 0) AS pending,
       coalesce(c.running, 0) AS running,
       coalesce(c.completed, 0) AS completed,
       coalesce(c.failed, 0) AS failed,
       round(100.0 * (c.completed + c.failed) / nullif(c.total, 0), 1)::numeric(5,1) AS percent_done,
       coalesce(round(r.done * 3600.0 / r.window_seconds, 1), 0) AS tasks_per_hour,
       round(r.avg_seconds, 3) AS avg_task_seconds,
       CASE WHEN r.done > 0 AND c.pending + c.running > 0
            THEN make_interval(secs => round((c.pending + c.running) * r.window_seconds / r.done))
       END AS eta
FROM turing.workflows AS w
LEFT JOIN counts AS c ON c.workflow_id = w.id
LEFT JOIN recent AS r ON r.workflow_id = w.id
ORDER BY w.id;

COMMENT ON VIEW turing.workflow_progress IS
$$Progress per workflow: task counts by status (they match count(*) GROUP BY status), percent_done = (completed + failed) / total (NULL for an empty workflow),
tasks_per_hour = tasks completed in the last 15 minutes scaled to an hour (x4 once the workflow has been running for 15 minutes; while it is younger the window is shortened to the time since the earliest of those completions started, so a fresh run is not underestimated),
avg_task_seconds = mean completed_at - started_at of those completions, eta = (pending + running) / that rate; NULL when nothing completed in the last 15 minutes or nothing is left.$$;

CREATE VIEW turing.worker_status AS
SELECT w.id AS worker_id,
       w.host,
       w.pid,
       w.slots,
       coalesce(r.running, 0) AS running,
       coalesce(d.completed, 0) AS completed_last_15m,
       w.last_heartbeat,
       (w.stopped_at IS NULL AND w.last_heartbeat > now() - interval '1 minute') AS alive,
       w.started_at,
       w.stopped_at
FROM turing.workers AS w
LEFT JOIN (
    SELECT t.claimed_by, count(*) AS running
    FROM turing.tasks AS t
    WHERE t.status = 'running'
      AND t.claimed_by IS NOT NULL
    GROUP BY t.claimed_by
) AS r ON r.claimed_by = w.id
LEFT JOIN (
    SELECT t.claimed_by, count(*) AS completed
    FROM turing.tasks AS t
    WHERE t.completed_at >= now() - interval '15 minutes'
      AND t.status = 'completed'
      AND t.claimed_by IS NOT NULL
    GROUP BY t.claimed_by
) AS d ON d.claimed_by = w.id
ORDER BY w.id;

COMMENT ON VIEW turing.worker_status IS
$$One row per registered worker process: tasks it holds (running), tasks it completed in the last 15 minutes, last heartbeat, and alive = not stopped and a heartbeat within the last minute (a worker that died without stop_worker turns not alive after a minute). Stopped workers stay listed for history.$$;

CREATE VIEW turing.utilization AS
SELECT w."window", u.busy_fraction, u.avg_concurrency
FROM (VALUES (1, '1 minute', interval '1 minute'),
             (2, '5 minutes', interval '5 minutes'),
             (3, '15 minutes', interval '15 minutes'),
             (4, '1 hour', interval '1 hour')) AS w (ord, "window", span)
CROSS JOIN LATERAL turing.utilization_between(now() - w.span, now()) AS u
ORDER BY w.ord;

COMMENT ON VIEW turing.utilization IS
$$busy_fraction and avg_concurrency (see turing.utilization_between) over the last 1 minute, 5 minutes, 15 minutes and 1 hour, all workflows. The column "window" is a keyword: quote it in queries (SELECT "window" FROM turing.utilization).$$;

CREATE VIEW turing.expired_leases AS
SELECT t.id AS task_id,
       t.workflow_id,
       t.claimed_by,
       t.lease_expires_at,
       now() - t.lease_expires_at AS expired_for,
       t.attempts,
       t.max_attempts
FROM turing.tasks AS t
WHERE t.status = 'running'
  AND t.lease_expires_at < now()
ORDER BY t.lease_expires_at;

COMMENT ON VIEW turing.expired_leases IS
$$Running tasks whose lease has expired (their worker died or stalled), oldest first, with the holder and how long ago. The next claim_tasks takes them over (or fails them once attempts reach max_attempts); no manual step is needed.$$;

-- ---------------------------------------------------------------------------------------------
-- Privileges: nothing for PUBLIC; the API for turing_worker when that role exists. Roles are
-- cluster-wide, so a migration never creates one (sql/roles.sql does, and grants the same).
-- ---------------------------------------------------------------------------------------------
REVOKE ALL ON FUNCTION turing.notify_claimable() FROM PUBLIC;
REVOKE ALL ON FUNCTION turing._claim_tasks(text, integer, interval, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION turing.claim_tasks(text, integer, interval, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION turing.renew_leases(text, bigint[], uuid[], interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION turing.complete_task(bigint, uuid, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION turing.complete_tasks(bigint[], uuid[], jsonb[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION turing.fail_task(bigint, uuid, text, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION turing.release_tasks(text, bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION turing.enqueue_tasks(bigint, jsonb[], integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION turing.requeue_failed(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION turing.checkpoint_task(bigint, uuid, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION turing.register_worker(text, text, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION turing.heartbeat(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION turing.stop_worker(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION turing.utilization_between(timestamptz, timestamptz, bigint) FROM PUBLIC;

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'turing_worker') THEN
        GRANT USAGE ON SCHEMA turing TO turing_worker;
        GRANT EXECUTE ON FUNCTION
            turing.claim_tasks(text, integer, interval, bigint),
            turing.renew_leases(text, bigint[], uuid[], interval),
            turing.complete_task(bigint, uuid, jsonb),
            turing.complete_tasks(bigint[], uuid[], jsonb[]),
            turing.fail_task(bigint, uuid, text, interval),
            turing.release_tasks(text, bigint[]),
            turing.enqueue_tasks(bigint, jsonb[], integer),
            turing.requeue_failed(bigint),
            turing.checkpoint_task(bigint, uuid, jsonb),
            turing.register_worker(text, text, integer, integer),
            turing.heartbeat(text),
            turing.stop_worker(text),
            turing.utilization_between(timestamptz, timestamptz, bigint)
        TO turing_worker;
        GRANT SELECT ON
            turing.workflow_progress,
            turing.worker_status,
            turing.utilization,
            turing.expired_leases
        TO turing_worker;
    END IF;
END
$grants$;

