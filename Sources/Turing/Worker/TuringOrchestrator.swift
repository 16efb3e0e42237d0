import Foundation
import Logging
import TuringCore
import TuringPostgres

/// Processes turing's tasks: claims them through migration 088's SQL functions, runs them with a
/// `TaskHandler`, and records results, with leases renewed while they run.
///
/// `processPendingTasksParallel` keeps N tasks in flight; `processPendingTasks` is the old path,
/// one task at a time, kept as the rollback plan. Any number of processes may run either at once:
/// PostgreSQL coordinates them.
public final class TuringOrchestrator: Sendable {
    /// How a run behaves; everything but the worker id has a default.
    public struct Options: Sendable {
        /// Names this process in `turing.tasks.claimed_by`, `turing.workers` and `application_name`.
        public var workerID: String
        /// Only this workflow's tasks; all workflows when nil.
        public var workflowID: Int64?
        /// How long a claim holds without renewal; renewed every third of it.
        public var lease: Duration = .seconds(30)
        /// Return once nothing is claimable and nothing runs, instead of waiting for new tasks.
        public var exitWhenIdle = false
        /// How often to look for claimable tasks when no NOTIFY arrives (tasks whose backoff ended).
        public var pollInterval: Duration = .seconds(2)
        /// How long running tasks may take to finish after a graceful stop; the lease when nil.
        public var shutdownGrace: Duration?
        /// Where progress goes, and how often; nil for none.
        public var progress: ProgressReporter?
        /// Claims count against this resource's capacity (`turing.set_capacity`, migration 090); nil for no limit.
        public var resource: String?
        /// `--workers auto`: the parallel run adapts its tasks in flight within `1...maximum` by this rule,
        /// instead of keeping `workers` in flight.
        public var adaptiveConcurrency: AdaptiveConcurrency.Configuration?

        public init(workerID: String) {
            self.workerID = workerID
        }
    }

    /// What a run did.
    public struct RunReport: Sendable {
        /// Tasks whose handler returned a result that was recorded.
        public var succeeded = 0
        /// Task attempts that failed (each retried while attempts remain).
        public var failed = 0
        /// Results discarded because the lease had passed to another worker.
        public var leasesLost = 0
        /// Claims handed back unstarted (or interrupted) at shutdown.
        public var released = 0
        public var wallTime: Duration = .zero

        /// Tasks this process finished, successfully or not.
        public var finished: Int { succeeded + failed }
    }

    public let database: PostgresConnection.Configuration
    public let options: Options
    let handler: any TaskHandler
    let logger: Logger
    private let currentRun = LockedValue<Mailbox?>(nil)

    public init(database: PostgresConnection.Configuration, options: Options, handler: any TaskHandler, logger: Logger) {
        self.database = database
        self.options = options
        self.handler = handler
        self.logger = logger
    }

    /// The old path: claim one task, run it, record it, repeat. Works on the 087 schema too (without leases),
    /// so it stays usable after `turing-migrate down 087`.
    public func processPendingTasks(maxTasks: Int? = nil) async throws -> RunReport {
        try await SequentialRun(orchestrator: self, mailbox: beginRun(), maxTasks: maxTasks).run()
    }

    /// Keeps `workers` tasks in flight (or, with `options.adaptiveConcurrency`, as many as pay, up to its maximum),
    /// claiming at most `batchSize` per round trip and never holding more unstarted claims than that. Stops after
    /// `maxTasks` finished tasks when given.
    public func processPendingTasksParallel(maxTasks: Int? = nil, workers: Int = 4, batchSize: Int = 50) async throws -> RunReport {
        precondition(workers >= 1 && batchSize >= 1, "workers and batchSize must be at least 1")
        return try await ParallelRun(
            orchestrator: self, mailbox: beginRun(), maxTasks: maxTasks,
            workers: options.adaptiveConcurrency?.maximum ?? workers, batchSize: batchSize
        ).run()
    }

    /// Asks the run in progress to stop: gracefully (stop claiming, finish running tasks within the grace
    /// period, release the rest), or at once (cancel everything and release it). Safe from any thread.
    public func stop(immediately: Bool = false) {
        currentRun.value?.requestStop(immediately ? .immediate : .graceful)
    }

    private func beginRun() -> Mailbox {
        let mailbox = Mailbox()
        currentRun.value = mailbox
        return mailbox
    }

    /// Opens one connection for the run, with this worker's application_name.
    func connect(role: String) async throws -> PostgresConnection {
        var configuration = database
        configuration.applicationName = ApplicationName.make(tool: "turing-worker", detail: "\(options.workerID) \(role)")
        return try await PostgresConnection.connect(configuration)
    }
}

/// A value behind a lock.
public final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    public init(_ value: Value) { stored = value }

    public var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }

    /// Reads and changes the value in one step, under the lock.
    public func withValue<T>(_ body: (inout Value) -> T) -> T {
        lock.withLock { body(&stored) }
    }
}
