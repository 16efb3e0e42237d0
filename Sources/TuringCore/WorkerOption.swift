/// The options of `turing-worker`: their flags, environment variables and defaults, for `--help` and error messages.
public enum WorkerOption: String, Sendable, CaseIterable {
    case workers, batchSize, maxTasks, workflow, lease, handler, workerID, exitWhenIdle, sequential
    case simulateMilliseconds, exec, ollamaURL, progressInterval, shutdownGrace, taskTimeout
    case resource
    case maxWorkers

    /// The command-line flag, e.g. "--batch-size".
    public var flag: String {
        switch self {
        case .workers: "--workers"
        case .batchSize: "--batch-size"
        case .maxTasks: "--max-tasks"
        case .workflow: "--workflow"
        case .lease: "--lease"
        case .handler: "--handler"
        case .workerID: "--worker-id"
        case .exitWhenIdle: "--exit-when-idle"
        case .sequential: "--sequential"
        case .simulateMilliseconds: "--simulate-ms"
        case .exec: "--exec"
        case .ollamaURL: "--ollama-url"
        case .progressInterval: "--progress-interval"
        case .shutdownGrace: "--shutdown-grace"
        case .taskTimeout: "--task-timeout"
        case .resource: "--resource"
        case .maxWorkers: "--max-workers"
        }
    }

    /// The environment variable that sets the option when the flag is absent, if any.
    public var environmentVariable: String? {
        switch self {
        case .workers: "TURING_PARALLEL_WORKERS"
        case .batchSize: "TURING_BATCH_SIZE"
        case .workflow: "TURING_WORKFLOW"
        case .lease: "TURING_LEASE_SECONDS"
        case .handler: "TURING_HANDLER"
        case .workerID: "TURING_WORKER_ID"
        case .ollamaURL: "OLLAMA_HOST"
        case .taskTimeout: "TURING_TASK_TIMEOUT"
        case .resource: "TURING_RESOURCE"
        case .maxTasks, .exitWhenIdle, .sequential, .simulateMilliseconds, .exec, .progressInterval, .shutdownGrace: nil
        case .maxWorkers: nil
        }
    }

    /// The default, as `--help` shows it.
    public var defaultDescription: String {
        switch self {
        case .workers: "\(WorkerSettings.defaultWorkers)"
        case .batchSize: "\(WorkerSettings.defaultBatchSize)"
        case .maxTasks: "no limit"
        case .workflow: "all workflows"
        case .lease: "\(Int(WorkerSettings.defaultLeaseSeconds)) s"
        case .handler: WorkerSettings.defaultHandler.rawValue
        case .workerID: "host:pid"
        case .exitWhenIdle, .sequential: "off"
        case .simulateMilliseconds: "payload.simulate_ms, else 0"
        case .exec: "none"
        case .ollamaURL: WorkerSettings.defaultOllamaURL
        case .progressInterval: "\(Int(WorkerSettings.defaultProgressIntervalSeconds)) s (0: off)"
        case .shutdownGrace: "the lease"
        case .taskTimeout: "\(Int(WorkerSettings.defaultTaskTimeoutSeconds)) s"
        case .resource: "none"
        case .maxWorkers: "\(WorkerSettings.defaultMaxWorkers)"
        }
    }

    /// "--workers (or TURING_PARALLEL_WORKERS)".
    public var flagAndVariable: String {
        environmentVariable.map { "\(flag) (or \($0))" } ?? flag
    }

    /// Parses the text of a whole-number flag, with this option's error message.
    public func integer(from text: String) throws(ConfigurationError) -> Int {
        guard let value = Int(Substring(text).trimmingASCIIWhitespace()) else {
            throw ConfigurationError(message: "\(flag) must be a whole number (got \(quoted(text))\(alsoSettable))")
        }
        return value
    }

    /// Parses the text of `--workers`: a whole number, or nil for `auto` (any case).
    public static func workers(from text: String) throws(ConfigurationError) -> Int? {
        let trimmed = String(Substring(text).trimmingASCIIWhitespace())
        if trimmed.lowercased() == WorkerSettings.autoWorkersText { return nil }
        guard let value = Int(trimmed) else {
            throw ConfigurationError(message: "--workers must be a whole number or auto (got \(quoted(text))\(WorkerOption.workers.alsoSettable))")
        }
        return value
    }

    /// Parses the text of a seconds flag ("30", "30s", "1.5s", "500ms", "2m"), with this option's error message.
    public func seconds(from text: String) throws(ConfigurationError) -> Double {
        guard let value = DurationText.seconds(text) else {
            throw ConfigurationError(message: "\(flag) must be a number of seconds such as 30, 30s or 500ms (got \(quoted(text))\(alsoSettable))")
        }
        return value
    }

    /// "; also settable as TURING_…" or "".
    var alsoSettable: String {
        environmentVariable.map { "; also settable as \($0)" } ?? ""
    }
}
