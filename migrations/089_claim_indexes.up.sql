-- turing:no-transaction
-- 089_claim_indexes: the partial indexes that keep the 088 claim path and views fast as
-- turing.tasks grows.
--
-- Why a separate, non-transactional migration: CREATE INDEX CONCURRENTLY builds an index without
-- blocking writers (the old sequential processor and the workers keep running), and it cannot run
-- inside a transaction block. The runner executes this file statement by statement.
--
-- All indexes are partial: completed and failed tasks (nearly the whole table, over time) are not
-- in the claim indexes, so a claim costs O(batch), not O(table).
--
-- A concurrent build that fails (lock timeout, cancel, deadlock) leaves an INVALID index behind,
-- which IF NOT EXISTS would then silently accept. The DO block first removes such leftovers (an
-- invalid index serves no query; dropping it is a short catalog change) so a rerun rebuilds them.

DO $cleanup$
DECLARE
    v_index regclass;
BEGIN
    FOR v_index IN
        SELECT i.indexrelid::regclass
        FROM pg_catalog.pg_index AS i
        JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname = 'turing'
          AND c.relname IN ('tasks_claimable_idx', 'tasks_claimable_workflow_idx', 'tasks_lease_expiry_idx',
                            'tasks_claimed_by_idx', 'tasks_recent_done_idx')
          AND NOT i.indisvalid
    LOOP
        RAISE NOTICE 'dropping invalid index % left by an interrupted build', v_index;
        EXECUTE format('DROP INDEX %s', v_index);
    END LOOP;
END
$cleanup$;

-- claim_tasks without a workflow: pending tasks in claim order (priority DESC, id).
CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_claimable_idx
    ON turing.tasks (priority DESC, id)
    WHERE status = 'pending';

-- claim_tasks for one workflow (turing-worker --workflow ID): the same order within the workflow.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_claimable_workflow_idx
    ON turing.tasks (workflow_id, priority DESC, id)
    WHERE status = 'pending';

-- claim_tasks and expired_leases: running tasks by lease expiry.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_lease_expiry_idx
    ON turing.tasks (lease_expires_at)
    WHERE status = 'running';

-- release_tasks, renew_leases and worker_status: running tasks by holder.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_claimed_by_idx
    ON turing.tasks (claimed_by)
    WHERE status = 'running';

-- workflow_progress, worker_status and utilization: tasks finished in the last minutes/hour.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_recent_done_idx
    ON turing.tasks (completed_at)
    WHERE completed_at IS NOT NULL;

COMMENT ON INDEX turing.tasks_claimable_idx IS
    'claim_tasks: pending tasks in claim order (priority DESC, id); completed/failed tasks are not in it.';
COMMENT ON INDEX turing.tasks_claimable_workflow_idx IS
    'claim_tasks with a workflow_id: pending tasks of one workflow in claim order.';
COMMENT ON INDEX turing.tasks_lease_expiry_idx IS
    'claim_tasks and expired_leases: running tasks by lease expiry.';
COMMENT ON INDEX turing.tasks_claimed_by_idx IS
    'release_tasks, renew_leases, worker_status: running tasks by holder.';
COMMENT ON INDEX turing.tasks_recent_done_idx IS
    'workflow_progress, worker_status, utilization: recently finished tasks by completed_at.';
