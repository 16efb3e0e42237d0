-- turing:no-transaction
-- 089_claim_indexes (down): drops the claim indexes without blocking writers (DROP INDEX
-- CONCURRENTLY cannot run in a transaction block, hence no-transaction). The 088 functions keep
-- working without them, only slower on a large table.

DROP INDEX CONCURRENTLY IF EXISTS turing.tasks_recent_done_idx;

DROP INDEX CONCURRENTLY IF EXISTS turing.tasks_claimed_by_idx;

DROP INDEX CONCURRENTLY IF EXISTS turing.tasks_lease_expiry_idx;

DROP INDEX CONCURRENTLY IF EXISTS turing.tasks_claimable_workflow_idx;

DROP INDEX CONCURRENTLY IF EXISTS turing.tasks_claimable_idx;
