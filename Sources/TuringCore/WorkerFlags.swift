/// What was given on the `turing-worker` command line; nil (or false) where a flag was absent.
public struct WorkerFlags: Sendable, Equatable {
    public var workers: Int?
    public var batchSize: Int?
    public var maxTasks: Int?
    public var workflowID: Int64?
    public var leaseSeconds: Double?
    /// The handler name as typed; checked by `WorkerSettings.resolve`.
    public var handler: String?
    public var workerID: String?
    public var exitWhenIdle: Bool
    public var sequential: Bool
    public var simulateMilliseconds: Int?
    /// The `exec` command as separate arguments.
    public var execCommand: [String]?
    /// The `exec` command as one string (`--exec 'python3 job.py'`), split like a shell would; used when `execCommand` is nil.
    public var execCommandLine: String?
    public var ollamaURL: String?
    public var progressIntervalSeconds: Double?
    public var shutdownGraceSeconds: Double?
    public var taskTimeoutSeconds: Double?
    /// `--resource NAME`: the resource (turing.resources) this process's claims count against.
    public var resource: String?
    /// `--workers auto`: adapt the tasks in flight to the measured throughput (`workers` is then nil).
    public var autoWorkers = false
    /// `--max-workers`: the most tasks in flight with `--workers auto`.
    public var maxWorkers: Int?

    public init(
        workers: Int? = nil, batchSize: Int? = nil, maxTasks: Int? = nil, workflowID: Int64? = nil,
        leaseSeconds: Double? = nil, handler: String? = nil, workerID: String? = nil,
        exitWhenIdle: Bool = false, sequential: Bool = false, simulateMilliseconds: Int? = nil,
        execCommand: [String]? = nil, execCommandLine: String? = nil, ollamaURL: String? = nil,
        progressIntervalSeconds: Double? = nil, shutdownGraceSeconds: Double? = nil, taskTimeoutSeconds: Double? = nil
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
        self.execCommandLine = execCommandLine
        self.ollamaURL = ollamaURL
        self.progressIntervalSeconds = progressIntervalSeconds
        self.shutdownGraceSeconds = shutdownGraceSeconds
        self.taskTimeoutSeconds = taskTimeoutSeconds
    }

    /// Same as `WorkerSettings.resolve(flags:environment:)`.
    public static func resolve(flags: WorkerFlags, environment: [String: String]) throws(ConfigurationError) -> WorkerSettings {
        try WorkerSettings.resolve(flags: flags, environment: environment)
    }
}
