-- roles.sql: the least-privileged role turing_worker, for worker processes and dashboards.
--
-- What: creates the NOLOGIN role turing_worker if it does not exist, and grants it exactly
--   USAGE on schema turing, EXECUTE on the API functions, SELECT on the views,
-- and nothing else: no privilege on any table, so it cannot change turing.tasks except through
-- the API (whose functions run as their owner, SECURITY DEFINER, with a pinned search_path).
--
-- Why a script and not a migration: roles belong to the whole cluster, not to one database, so a
-- migration never creates them. Run this once per database, as a role that may create roles
-- (the first time) and that owns the turing schema, after `turing-migrate up`; it is idempotent.
-- Migrations 088, 090 and 091 also grant the same privileges when turing_worker already exists.
-- turing.set_capacity (090) is an operator's action and is not granted.
--
--   psql -f sql/roles.sql
--   psql -c "CREATE ROLE turing_worker_login LOGIN IN ROLE turing_worker PASSWORD '...'"   -- then connect as it

\set ON_ERROR_STOP on

DO $role$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'turing_worker') THEN
        CREATE ROLE turing_worker NOLOGIN;
        COMMENT ON ROLE turing_worker IS
            'turing workers and dashboards: EXECUTE on the turing API functions, SELECT on its views, no table privileges (sql/roles.sql).';
    END IF;
EXCEPTION
    -- Another session created it between the check and CREATE ROLE: that is fine.
    WHEN duplicate_object OR unique_violation THEN
        NULL;
END
$role$;

-- Start from nothing, so the grants below are exactly what the role has in schema turing.
REVOKE ALL ON ALL TABLES IN SCHEMA turing FROM turing_worker;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA turing FROM turing_worker;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA turing FROM turing_worker;

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

-- 090_resource_capacity and 091_gpu_samples, when applied.
DO $later$
BEGIN
    IF to_regprocedure('turing.claim_tasks(text,integer,interval,bigint,text)') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION turing.claim_tasks(text, integer, interval, bigint, text) TO turing_worker;
        GRANT SELECT ON turing.resource_usage TO turing_worker;
    END IF;
    IF to_regprocedure('turing.record_gpu_samples(text,jsonb,text)') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION turing.record_gpu_samples(text, jsonb, text) TO turing_worker;
        GRANT SELECT ON turing.gpu_utilization TO turing_worker;
    END IF;
END
$later$;
