-- 092_batch_primary_key_lookups: complete_tasks and renew_leases find their rows by primary key.
--
-- Why: in 088 both joined turing.tasks to the unnested arrays. Expecting 100 array elements, the
-- planner scanned the partial index of every running task (tasks_claimed_by_idx) and re-read the
-- arrays for each row: quadratic in the tasks held. The benchmark caught it: a complete_tasks of
-- 2,000 results took 3.6 s with many tasks running, and 18 ms written this way.
-- Same signatures, same checks, same answers, same lock order (by id); only the lookup changes.
-- CREATE OR REPLACE keeps owner, grants and comments. Functions only: nothing is locked but the
-- functions themselves.

CREATE OR REPLACE FUNCTION turing.renew_leases(worker_id text, task_ids bigint[], lease_tokens uuid[], lease interval)
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
    WITH held AS MATERIALIZED (
        -- One primary-key probe per array element, locked in id order (so two batch calls can never
        -- deadlock on each other). The checks stay outside the probe: inside it, the planner would
        -- rather scan a partial index of every running task for each element.
        SELECT t.id, t.status, t.claimed_by, t.lease_token, u.token
        FROM (SELECT a.id, a.token
              FROM unnest(renew_leases.task_ids, renew_leases.lease_tokens) AS a (id, token)
              ORDER BY a.id) AS u
        CROSS JOIN LATERAL (
            SELECT tt.id, tt.status, tt.claimed_by, tt.lease_token
            FROM turing.tasks AS tt
            WHERE tt.id = u.id
            FOR UPDATE
        ) AS t
    )
    UPDATE turing.tasks AS t
    SET lease_expires_at = now() + renew_leases.lease
    FROM (SELECT DISTINCT h.id
          FROM held AS h
          WHERE h.status = 'running' AND h.lease_token = h.token AND h.claimed_by = renew_leases.worker_id) AS h
    WHERE t.id = h.id
    RETURNING t.id;
END
$fn$;

CREATE OR REPLACE FUNCTION turing.complete_tasks(task_ids bigint[], lease_tokens uuid[], results jsonb[])
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
    WITH held AS MATERIALIZED (
        -- One primary-key probe per array element, locked in id order (so two batch calls can never
        -- deadlock on each other). The checks stay outside the probe: inside it, the planner would
        -- rather scan a partial index of every running task for each element.
        SELECT t.id, t.status, t.lease_token, u.token, u.result
        FROM (SELECT a.id, a.token, a.result
              FROM unnest(complete_tasks.task_ids, complete_tasks.lease_tokens, complete_tasks.results)
                   AS a (id, token, result)
              ORDER BY a.id) AS u
        CROSS JOIN LATERAL (
            SELECT tt.id, tt.status, tt.lease_token
            FROM turing.tasks AS tt
            WHERE tt.id = u.id
            FOR UPDATE
        ) AS t
    )
    UPDATE turing.tasks AS t
    SET status = 'completed',
        result = h.result,
        completed_at = now(),
        lease_expires_at = NULL
    FROM held AS h
    WHERE t.id = h.id AND h.status = 'running' AND h.lease_token = h.token
    RETURNING t.id;
END
$fn$;
