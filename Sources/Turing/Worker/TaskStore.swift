import Foundation
import TuringCore
import TuringPostgres

/// The worker's side of migration 088's SQL API: every call is one statement of one function.
/// The functions keep no session state, so this works behind a transaction-pooling PgBouncer. The calls made
/// per batch (claim, complete, fail, renew, checkpoint) are prepared once per connection (`queryPrepared`);
/// a pooler that does not carry prepared statements (PgBouncer before 1.21, or `max_prepared_statements = 0`)
/// is noticed, and the connection then runs them unnamed.
public struct TaskStore: Sendable {
    /// A result to record with `complete_tasks`.
    public struct Completion: Sendable, Hashable {
        public let taskID: Int64
        public let leaseToken: UUID
        /// The result as JSON text.
        public let result: String
    }

    /// What `fail_task` did with a failed task.
    public enum FailOutcome: String, Sendable {
        /// Back to pending, to run again after a backoff.
        case retrying = "pending"
        /// Out of attempts: failed for good.
        case failed
    }

    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Whether migration 088's API is in this database (a catalog lookup: it works without the schema too).
    public static func hasAPI(_ connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                           WHERE n.nspname = 'turing' AND p.proname = 'claim_tasks')
            """)
        return try rows.first?.decode(0, as: Bool.self) ?? false
    }

    /// Throws a one-line explanation when migration 088's API is not in this database.
    public func requireAPI() async throws {
        guard try await Self.hasAPI(connection) else {
            throw TaskFailure(
                "this database has no turing.claim_tasks: apply migration 088 first (turing-migrate up 088), "
                    + "or run the old path with --sequential")
        }
    }

    /// `turing.claim_tasks`: up to `maxTasks` claimable tasks, each with a fresh lease. With a `resource`
    /// (migration 090's 5-argument overload), fewer when the resource's capacity is taken, possibly none.
    public func claim(
        workerID: String, maxTasks: Int, lease: Duration, workflowID: Int64?, resource: String? = nil
    ) async throws -> [ClaimedTask] {
        let rows =
            if let resource {
                try await connection.queryPrepared(
                    """
                    SELECT task_id, workflow_id, lease_token, attempt, payload::text, checkpoint::text
                    FROM turing.claim_tasks($1, $2, make_interval(secs => $3), $4, $5)
                    """, [workerID, maxTasks, lease.inSeconds, workflowID, resource])
            } else {
                try await connection.queryPrepared(
                    """
                    SELECT task_id, workflow_id, lease_token, attempt, payload::text, checkpoint::text
                    FROM turing.claim_tasks($1, $2, make_interval(secs => $3), $4)
                    """, [workerID, maxTasks, lease.inSeconds, workflowID])
            }
        return try rows.map { row in
            ClaimedTask(
                taskID: try row.decode(0), workflowID: try row.decode(1), leaseToken: try row.decode(2),
                attempt: try row.decode(3), payload: try row.decode(4), checkpoint: try row.decode(5))
        }
    }

    /// `turing.renew_leases`: extends the leases still held and returns their ids; also counts as a heartbeat.
    public func renew(workerID: String, tasks: [ClaimedTask], lease: Duration) async throws -> Set<Int64> {
        let rows = try await connection.queryPrepared(
            "SELECT turing.renew_leases($1, $2::bigint[], $3::uuid[], make_interval(secs => $4))",
            [workerID, tasks.map(\.taskID), tasks.map(\.leaseToken), lease.inSeconds])
        return Set(try rows.map { try $0.decode(0, as: Int64.self) })
    }

    /// `turing.complete_tasks`: records results whose leases still hold; returns the ids recorded.
    public func complete(_ completions: [Completion]) async throws -> Set<Int64> {
        guard !completions.isEmpty else { return [] }
        let rows = try await connection.queryPrepared(
            "SELECT turing.complete_tasks($1::bigint[], $2::uuid[], $3::jsonb[])",
            [completions.map(\.taskID), completions.map(\.leaseToken), completions.map(\.result)])
        return Set(try rows.map { try $0.decode(0, as: Int64.self) })
    }

    /// `turing.fail_task`: nil when the lease was lost (nothing changed).
    public func fail(_ task: ClaimedTask, error: String, retryDelay: Duration? = nil) async throws -> FailOutcome? {
        let rows = try await connection.queryPrepared(
            "SELECT turing.fail_task($1, $2, $3, CASE WHEN $4::float8 IS NULL THEN NULL ELSE make_interval(secs => $4) END)",
            [task.taskID, task.leaseToken, error, retryDelay?.inSeconds])
        return try rows.first?.decode(0, as: String?.self).flatMap(FailOutcome.init(rawValue:))
    }

    /// `turing.release_tasks`: hands tasks back at once (all of the worker's when `taskIDs` is nil).
    @discardableResult
    public func release(workerID: String, taskIDs: [Int64]?) async throws -> Int {
        let rows = try await connection.query("SELECT turing.release_tasks($1, $2::bigint[])", [workerID, taskIDs])
        return try rows.first?.decode(0, as: Int.self) ?? 0
    }

    /// `turing.checkpoint_task`: false when the lease was lost.
    public func checkpoint(_ task: ClaimedTask, state: String) async throws -> Bool {
        let rows = try await connection.queryPrepared(
            "SELECT turing.checkpoint_task($1, $2, $3::jsonb)", [task.taskID, task.leaseToken, state])
        return try rows.first?.decode(0, as: Bool.self) ?? false
    }

    /// The capacity of `resource` (migration 090's `turing.resource_usage`). Throws a `ConfigurationError` (exit 2)
    /// saying what to run when the migration or the resource is missing.
    @discardableResult
    public func requireResource(_ resource: String) async throws -> Int {
        let migrated = try await connection.query(
            "SELECT to_regprocedure('turing.claim_tasks(text,integer,interval,bigint,text)') IS NOT NULL")
        guard try migrated.first?.decode(0, as: Bool.self) == true else {
            throw ConfigurationError(
                message: "--resource needs migration 090 (turing.resources), which this database lacks: run turing-migrate up")
        }
        let rows = try await connection.query("SELECT capacity FROM turing.resource_usage WHERE resource = $1", [resource])
        guard let row = rows.first else {
            let literal = "'" + resource.replacingOccurrences(of: "'", with: "''") + "'"
            throw ConfigurationError(
                message: "resource \(literal) does not exist: create it with its capacity (the tasks that may run on it at once, "
                    + "across all workers), e.g. SELECT turing.set_capacity(\(literal), 4)")
        }
        return try row.decode(0)
    }

    /// `turing.record_gpu_samples` (migration 091): one round of samples, or none and the reason why.
    public func recordGPUSamples(workerID: String, samples: [GPUSample], unavailable: String?) async throws {
        try await connection.query(
            "SELECT turing.record_gpu_samples($1, $2::jsonb, $3)", [workerID, NvidiaSMI.json(samples), unavailable])
    }

    /// `turing.register_worker`: a row in `turing.workers` for this process.
    public func registerWorker(id: String, host: String, pid: Int32, slots: Int) async throws {
        try await connection.query("SELECT turing.register_worker($1, $2, $3, $4)", [id, host, pid, slots])
    }

    /// `turing.heartbeat`.
    public func heartbeat(workerID: String) async throws {
        try await connection.query("SELECT turing.heartbeat($1)", [workerID])
    }

    /// `turing.stop_worker`: marks the worker stopped.
    public func stopWorker(id: String) async throws {
        try await connection.query("SELECT turing.stop_worker($1)", [id])
    }

    /// True while some task in scope may still need a worker: pending (due or waiting out a backoff), or
    /// running under a lease, which comes back if its holder dies. Tasks the pre-088 processor runs (no lease)
    /// do not count.
    public func hasUnsettledTasks(workflowID: Int64?) async throws -> Bool {
        let rows = try await connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM turing.tasks WHERE status = 'pending' AND ($1::bigint IS NULL OR workflow_id = $1))
                OR EXISTS (SELECT 1 FROM turing.tasks WHERE status = 'running' AND lease_expires_at IS NOT NULL
                                                        AND ($1::bigint IS NULL OR workflow_id = $1))
            """, [workflowID])
        return try rows.first?.decode(0, as: Bool.self) ?? false
    }

    /// Counts by status for one workflow, or for all, from `turing.workflow_progress`.
    public func progress(workflowID: Int64?) async throws -> ProgressSnapshot {
        let rows = try await connection.query(
            """
            SELECT coalesce(sum(total), 0)::bigint, coalesce(sum(pending), 0)::bigint, coalesce(sum(running), 0)::bigint,
                   coalesce(sum(completed), 0)::bigint, coalesce(sum(failed), 0)::bigint
            FROM turing.workflow_progress WHERE $1::bigint IS NULL OR workflow_id = $1
            """, [workflowID])
        let row = try rows.first.orThrow("turing.workflow_progress returned no row")
        return ProgressSnapshot(
            total: try row.decode(0), pending: try row.decode(1), running: try row.decode(2),
            completed: try row.decode(3), failed: try row.decode(4))
    }
}

extension Optional {
    func orThrow(_ message: String) throws -> Wrapped {
        guard let self else { throw PostgresError(kind: .decoding, message: message) }
        return self
    }
}
