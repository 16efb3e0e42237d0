/// The settings a worker process runs with, after flags, environment and defaults were combined and checked.
public struct WorkerSettings: Sendable, Equatable {
    /// Tasks in flight in this process (unless `autoWorkers`).
    public var workers: Int
    /// Most tasks claimed in one round trip, and most unstarted claims held.
    public var batchSize: Int
    /// Stop after this many tasks finished; nil for no limit.
    public var maxTasks: Int?
    /// Only this workflow's tasks; nil for all.
    public var workflowID: Int64?
    public var leaseSeconds: Double
    public var handler: HandlerKind
    /// nil: use `defaultWorkerID(host:pid:)`.
    public var workerID: String?
    public var exitWhenIdle: Bool
    public var sequential: Bool
    /// Overrides `payload.simulate_ms` for the simulate handler.
    public var simulateMilliseconds: Int?
    /// The command of the exec handler (program first); nil for other handlers.
    public var execCommand: [String]?
    /// Ollama's base URL with a scheme, e.g. "http://127.0.0.1:11434".
    public var ollamaURL: String
    public var progressIntervalSeconds: Double
    /// How long running tasks may take to finish after SIGINT/SIGTERM; nil means the lease.
    public var shutdownGraceSeconds: Double?
    /// How long one task may run (an exec child, an Ollama request) before it fails for a retry.
    public var taskTimeoutSeconds: Double
    /// The resource of `turing.resources` whose capacity this process's claims count against; nil for none.
    public var resource: String? = nil
    /// `--workers auto`: the tasks in flight adapt to the measured throughput (`AdaptiveConcurrency`), from 2
    /// up to `maxWorkers`; `workers` is not used.
    public var autoWorkers = false
    /// The most tasks in flight with `--workers auto`.
    public var maxWorkers = defaultMaxWorkers

    public init(
        workers: Int = defaultWorkers, batchSize: Int = defaultBatchSize, maxTasks: Int? = nil, workflowID: Int64? = nil,
        leaseSeconds: Double = defaultLeaseSeconds, handler: HandlerKind = defaultHandler, workerID: String? = nil,
        exitWhenIdle: Bool = false, sequential: Bool = false, simulateMilliseconds: Int? = nil,
        execCommand: [String]? = nil, ollamaURL: String = defaultOllamaURL,
        progressIntervalSeconds: Double = defaultProgressIntervalSeconds, shutdownGraceSeconds: Double? = nil,
        taskTimeoutSeconds: Double = defaultTaskTimeoutSeconds
    ) {
        self.workers = workers
        self.batchSize = batchSize
        self.maxTasks = maxTasks
        self.workflowID = workflowID
        self.leaseSeconds = leaseSeconds
        self.handler = handler
        self.workerID = workerID
        self.exitWhenIdle = exitWhenIdle
        self.sequential = sequential
        self.simulateMilliseconds = simulateMilliseconds
        self.execCommand = execCommand
        self.ollamaURL = ollamaURL
        self.progressIntervalSeconds = progressIntervalSeconds
        self.shutdownGraceSeconds = shutdownGraceSeconds
        self.taskTimeoutSeconds = taskTimeoutSeconds
    }

    public static let defaultWorkers = 4
    public static let defaultBatchSize = 50
    public static let defaultLeaseSeconds = 30.0
    public static let defaultHandler = HandlerKind.ollama
    public static let defaultOllamaURL = "http://127.0.0.1:11434"
    public static let defaultProgressIntervalSeconds = 10.0
    public static let defaultTaskTimeoutSeconds = 300.0
    public static let defaultMaxWorkers = AdaptiveConcurrency.Configuration.defaultMaximum
    /// What `--workers` (or `TURING_PARALLEL_WORKERS`) says to adapt the count.
    public static let autoWorkersText = "auto"

    /// Leases are renewed every third of the lease while a task runs.
    public var leaseRenewalIntervalSeconds: Double { leaseSeconds / 3 }

    /// The shutdown grace period in effect: `shutdownGraceSeconds`, else the lease.
    public var effectiveShutdownGraceSeconds: Double { shutdownGraceSeconds ?? leaseSeconds }

    /// "host:pid", the worker id when none is given.
    public static func defaultWorkerID(host: String, pid: Int32) -> String {
        "\(host.isEmpty ? "localhost" : host):\(pid)"
    }
}
