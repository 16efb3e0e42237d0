import Foundation
import Logging
import TuringCore
import TuringPostgres

/// One run of `processPendingTasks`, the old path: claim one task, run it, record it, repeat.
///
/// With migration 088 it claims through `turing.claim_tasks` with a lease renewed while the task runs, so it
/// can run beside parallel workers. On the 087 schema (after `turing-migrate down 087`) it falls back to the
/// orchestrator's original statements: `status = 'pending' ORDER BY id LIMIT 1`, no leases.
struct SequentialRun {
    let orchestrator: TuringOrchestrator
    let mailbox: Mailbox
    let maxTasks: Int?

    private var options: TuringOrchestrator.Options { orchestrator.options }
    private var logger: Logger { orchestrator.logger }

    func run() async throws -> TuringOrchestrator.RunReport {
        let started = ContinuousClock.now
        let connection = try await orchestrator.connect(role: "sequential")
        let legacy = try await LegacyTaskQueue.isNeeded(on: connection)
        let queue: any SequentialQueue =
            legacy
            ? LegacyTaskQueue(connection: connection, workflowID: options.workflowID)
            : LeasedTaskQueue(store: TaskStore(connection: connection), options: options)
        if legacy { logger.notice("turing.claim_tasks is absent (087 schema): using the pre-088 statements, without leases") }
        if let resource = options.resource {
            if legacy { throw ConfigurationError(message: "--resource needs migration 090; this database has the 087 schema") }
            try await TaskStore(connection: connection).requireResource(resource)
        }
        try await queue.start()
        var report = TuringOrchestrator.RunReport()
        var failures = 0
        var wakeUps = mailbox.wakeUps.makeAsyncIterator()

        while mailbox.take().stop == .none, maxTasks.map({ report.finished < $0 }) ?? true {
            let task: ClaimedTask?
            do {
                task = try await queue.claimOne()
                failures = 0
            } catch {
                failures += 1
                logger.error("could not claim a task: \(DatabaseErrorText.describe(error))")
                try? await Task.sleep(for: RetryPolicy.databaseReconnect.delay(forAttempt: failures))
                continue
            }
            guard let task else {
                if options.exitWhenIdle, try await !queue.hasUnsettledTasks() { break }
                let deadline = ContinuousClock.now + options.pollInterval
                let ticker = Task {
                    try? await Task.sleep(until: deadline)
                    mailbox.tick()
                }
                _ = await wakeUps.next()
                ticker.cancel()
                continue
            }
            let outcome = await runWithRenewals(task, queue: queue)
            switch outcome {
            case .succeeded(_, let result):
                if try await queue.complete(task, result: result) { report.succeeded += 1 } else { report.leasesLost += 1 }
            case .failed(_, let reason):
                logger.warning("task \(task.taskID) failed (attempt \(task.attempt)): \(reason)")
                if try await queue.fail(task, reason: reason) { report.failed += 1 } else { report.leasesLost += 1 }
            case .cancelled:
                report.released += try await queue.release(task)
            }
        }
        try? await queue.stop()
        await connection.close()
        report.wallTime = ContinuousClock.now - started
        options.progress?.finish(report: report, workers: 1)
        return report
    }

    /// Runs the handler while renewing the lease every third of it; a lost lease or an immediate stop cancels it.
    private func runWithRenewals(_ task: ClaimedTask, queue: any SequentialQueue) async -> TaskOutcome {
        let handler = orchestrator.handler
        let context = TaskContext { state in
            guard try await queue.checkpoint(task, state: state) else {
                throw TaskFailure("lease lost while saving a checkpoint")
            }
        }
        let work = Task { await TaskExecution.run(task, handler: handler, context: context) }
        let watcher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: options.lease / 3)
                if Task.isCancelled { return }
                if mailbox.take().stop == .immediate {
                    work.cancel()
                    return
                }
                if (try? await queue.renew(task)) == false {
                    logger.warning("task \(task.taskID): lease lost to another worker; its work is cancelled")
                    work.cancel()
                    return
                }
            }
        }
        let outcome = await work.value
        watcher.cancel()
        return outcome
    }
}

/// Where the sequential path gets and records its tasks.
protocol SequentialQueue: Sendable {
    func start() async throws
    func claimOne() async throws -> ClaimedTask?
    /// False when the lease was lost.
    func renew(_ task: ClaimedTask) async throws -> Bool
    func checkpoint(_ task: ClaimedTask, state: String) async throws -> Bool
    func complete(_ task: ClaimedTask, result: String) async throws -> Bool
    func fail(_ task: ClaimedTask, reason: String) async throws -> Bool
    func release(_ task: ClaimedTask) async throws -> Int
    /// Whether some task may still need a worker (see `TaskStore.hasUnsettledTasks`).
    func hasUnsettledTasks() async throws -> Bool
    func stop() async throws
}

/// The 088 API, one task at a time.
struct LeasedTaskQueue: SequentialQueue {
    let store: TaskStore
    let options: TuringOrchestrator.Options

    func start() async throws {
        try await store.registerWorker(id: options.workerID, host: ProcessInfo.processInfo.hostName, pid: getpid(), slots: 1)
    }

    func claimOne() async throws -> ClaimedTask? {
        try await store.claim(
            workerID: options.workerID, maxTasks: 1, lease: options.lease, workflowID: options.workflowID, resource: options.resource
        ).first
    }

    func renew(_ task: ClaimedTask) async throws -> Bool {
        try await store.renew(workerID: options.workerID, tasks: [task], lease: options.lease).contains(task.taskID)
    }

    func checkpoint(_ task: ClaimedTask, state: String) async throws -> Bool {
        try await store.checkpoint(task, state: state)
    }

    func complete(_ task: ClaimedTask, result: String) async throws -> Bool {
        try await store.complete([.init(taskID: task.taskID, leaseToken: task.leaseToken, result: result)]).contains(task.taskID)
    }

    func fail(_ task: ClaimedTask, reason: String) async throws -> Bool {
        try await store.fail(task, error: reason) != nil
    }

    func release(_ task: ClaimedTask) async throws -> Int {
        try await store.release(workerID: options.workerID, taskIDs: [task.taskID])
    }

    func hasUnsettledTasks() async throws -> Bool {
        try await store.hasUnsettledTasks(workflowID: options.workflowID)
    }

    func stop() async throws {
        try await store.stopWorker(id: options.workerID)
    }
}

/// The orchestrator's statements from before 088, for a database rolled back to 087.
struct LegacyTaskQueue: SequentialQueue {
    let connection: PostgresConnection
    let workflowID: Int64?

    /// True when migration 088's API is absent.
    static func isNeeded(on connection: PostgresConnection) async throws -> Bool {
        try await !TaskStore.hasAPI(connection)
    }

    func start() async throws {}

    func claimOne() async throws -> ClaimedTask? {
        let rows = try await connection.query(
            """
            UPDATE turing.tasks SET status = 'running', started_at = now()
            WHERE id = (SELECT id FROM turing.tasks
                        WHERE status = 'pending' AND ($1::bigint IS NULL OR workflow_id = $1)
                        ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, workflow_id, payload::text
            """, [workflowID])
        return try rows.first.map { row in
            ClaimedTask(
                taskID: try row.decode(0), workflowID: try row.decode(1), leaseToken: UUID(uuidString: "00000000-0000-0000-0000-000000000000")!,
                attempt: 1, payload: try row.decode(2))
        }
    }

    func renew(_ task: ClaimedTask) async throws -> Bool { true }

    func checkpoint(_ task: ClaimedTask, state: String) async throws -> Bool { true }

    func complete(_ task: ClaimedTask, result: String) async throws -> Bool {
        try await connection.query(
            "UPDATE turing.tasks SET status = 'completed', result = $2::jsonb, completed_at = now() WHERE id = $1 AND status = 'running'",
            [task.taskID, result]
        ).affectedRows == 1
    }

    func fail(_ task: ClaimedTask, reason: String) async throws -> Bool {
        try await connection.query(
            "UPDATE turing.tasks SET status = 'failed', error = $2, completed_at = now() WHERE id = $1 AND status = 'running'",
            [task.taskID, reason]
        ).affectedRows == 1
    }

    func release(_ task: ClaimedTask) async throws -> Int {
        try await connection.query(
            "UPDATE turing.tasks SET status = 'pending', started_at = NULL WHERE id = $1 AND status = 'running'", [task.taskID]
        ).affectedRows
    }

    /// Without leases nothing comes back by itself: no pending task means done.
    func hasUnsettledTasks() async throws -> Bool { false }

    func stop() async throws {}
}
