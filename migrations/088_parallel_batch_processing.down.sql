-- 088_parallel_batch_processing (down): back to exactly the 087 schema, keeping every task row.
--
-- What: tasks claimed through claim_tasks that are still running go back to pending (result and
-- error kept), then the trigger, views, functions, turing.workers and the claim columns go.
-- Claim metadata (attempts, priority, backoff, checkpoints, lease history) is lost with its
-- columns: the 087 schema has nowhere to keep it. DROP COLUMN only marks the columns dropped
-- (no rewrite); indexes of 089 on them, if still there, go with them.
--
-- Why the table lock first: no worker may claim a task between the reset of running tasks and
-- the removal of the API, or that task would stay 'running' forever under 087. The statements
-- below are short; the runner's lock_timeout bounds the wait for the lock.
--
-- Tasks running with a NULL lease belong to the old sequential processor (which may be running
-- now) and are left alone: resetting them would make it run them twice.

LOCK TABLE turing.tasks IN ACCESS EXCLUSIVE MODE;

DROP TRIGGER tasks_notify_update ON turing.tasks;
DROP TRIGGER tasks_notify_insert ON turing.tasks;

UPDATE turing.tasks
SET status = 'pending',
    started_at = NULL
WHERE status = 'running'
  AND lease_expires_at IS NOT NULL;

DROP VIEW turing.expired_leases;
DROP VIEW turing.utilization;
DROP VIEW turing.worker_status;
DROP VIEW turing.workflow_progress;

DROP FUNCTION turing.utilization_between(timestamptz, timestamptz, bigint);
DROP FUNCTION turing.stop_worker(text);
DROP FUNCTION turing.heartbeat(text);
DROP FUNCTION turing.register_worker(text, text, integer, integer);
DROP FUNCTION turing.checkpoint_task(bigint, uuid, jsonb);
DROP FUNCTION turing.requeue_failed(bigint);
DROP FUNCTION turing.enqueue_tasks(bigint, jsonb[], integer);
DROP FUNCTION turing.release_tasks(text, bigint[]);
DROP FUNCTION turing.fail_task(bigint, uuid, text, interval);
DROP FUNCTION turing.complete_tasks(bigint[], uuid[], jsonb[]);
DROP FUNCTION turing.complete_task(bigint, uuid, jsonb);
DROP FUNCTION turing.renew_leases(text, bigint[], uuid[], interval);
DROP FUNCTION turing.claim_tasks(text, integer, interval, bigint);
DROP FUNCTION turing._claim_tasks(text, integer, interval, bigint);
DROP FUNCTION turing.notify_claimable();

DROP TABLE turing.workers;

ALTER TABLE turing.tasks
    DROP CONSTRAINT tasks_max_attempts_check,
    DROP CONSTRAINT tasks_attempts_check,
    DROP COLUMN checkpointed_at,
    DROP COLUMN checkpoint,
    DROP COLUMN priority,
    DROP COLUMN run_after,
    DROP COLUMN max_attempts,
    DROP COLUMN attempts,
    DROP COLUMN lease_expires_at,
    DROP COLUMN lease_token,
    DROP COLUMN claimed_by;

-- 088 granted USAGE on the schema to turing_worker (when the role existed); 087 had no such grant.
DO $revoke$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'turing_worker') THEN
        REVOKE USAGE ON SCHEMA turing FROM turing_worker;
    END IF;
END
$revoke$;
