import ArgumentParser
import Foundation
import Logging
import Turing
import TuringCLI
import TuringCore
import TuringPostgres

@main
struct TuringWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "turing-worker",
        abstract: "Claims turing tasks from PostgreSQL and runs N of them at once.",
        discussion: """
            Start as many worker processes as you like, on any hosts: PostgreSQL coordinates them through \
            migration 088's functions (FOR UPDATE SKIP LOCKED claims with leases). No task is lost or done twice; \
            a crashed worker's tasks come back when their lease expires.

              turing-worker --workflow 1124 --workers 4 &
              psql -c 'SELECT * FROM turing.workflow_progress'

            Connection: --database-url, else DATABASE_URL, else libpq's PG* variables (PGHOST, PGDATABASE, …). \
            Prefer DATABASE_URL or a ~/.pgpass file to a password on the command line, which ps shows.

            SIGINT/SIGTERM: stop claiming, let running tasks finish, release the rest, exit 0; a second signal \
            releases everything at once. Exit codes: 0 done, 1 failed, 2 usage, 3 database unreachable.
            """,
        version: TuringVersion.current)

    @Option(help: "PostgreSQL URL or key=value conninfo. (env: DATABASE_URL; default: libpq's PG* variables)")
    var databaseURL: String?

    @Option(parsing: .unconditional, help: "Tasks in flight in this process, or 'auto' to follow the measured throughput (see --max-workers). (env: TURING_PARALLEL_WORKERS; default: 4)")
    var workers: String?

    @Option(parsing: .unconditional, help: "With --workers auto: the most tasks in flight; it starts at 2. (default: 32)")
    var maxWorkers: Int?

    @Option(parsing: .unconditional, help: "Most tasks claimed in one round trip; also the most unstarted claims held. (env: TURING_BATCH_SIZE; default: 50)")
    var batchSize: Int?

    @Option(parsing: .unconditional, help: "Stop after this many tasks finished, across all of this process's workers. (default: no limit)")
    var maxTasks: Int?

    @Option(parsing: .unconditional, help: "Only this workflow's tasks. (env: TURING_WORKFLOW; default: all workflows)")
    var workflow: Int64?

    @Option(parsing: .unconditional, help: "Lease in seconds, renewed every third of it while a task runs. (env: TURING_LEASE_SECONDS; default: 30)")
    var lease: String?

    @Option(help: "simulate, exec or ollama. (env: TURING_HANDLER; default: ollama)")
    var handler: String?

    @Option(help: "This worker's name in turing.workers and pg_stat_activity. (env: TURING_WORKER_ID; default: host:pid)")
    var workerID: String?

    @Flag(help: "Exit 0 once nothing is claimable and nothing runs, instead of waiting for new tasks.")
    var exitWhenIdle = false

    @Flag(help: "The old path, one task at a time: claim one, run it, complete it, repeat. The rollback plan.")
    var sequential = false

    @Option(parsing: .unconditional, help: "simulate handler: milliseconds per task when the payload has no simulate_ms. (default: 0)")
    var simulateMs: Int?

    @Option(help: "exec handler: the command to run per task, e.g. 'python3 job.py' (task JSON on stdin, result JSON on stdout).")
    var exec: String?

    @Option(help: "ollama handler: the server's URL. (env: OLLAMA_HOST; default: http://127.0.0.1:11434)")
    var ollamaURL: String?

    @Option(parsing: .unconditional, help: "Seconds between progress lines on stderr; 0 for none. (default: 10)")
    var progressInterval: String?

    @Option(parsing: .unconditional, help: "Seconds running tasks get to finish after SIGINT/SIGTERM. (default: the lease)")
    var shutdownGrace: String?

    @Option(help: "Count this process's running tasks against a resource's capacity, shared by every process that names it (SELECT turing.set_capacity('gpu0', 4)). (env: TURING_RESOURCE; default: none)")
    var resource: String?

    @Option(parsing: .unconditional, help: "Seconds one task may run (an exec child, an Ollama request) before it fails for a retry. (env: TURING_TASK_TIMEOUT; default: 300)")
    var taskTimeout: String?

    /// Parses, maps every error to the documented exit code with one line, and runs.
    static func main() async {
        await CommandLineTool.main(Self.self, name: "turing-worker")
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let workerCount = try workers.map { try WorkerOption.workers(from: $0) }
        var flags = WorkerFlags(
            workers: workerCount ?? nil, batchSize: batchSize, maxTasks: maxTasks, workflowID: workflow, handler: handler,
            workerID: workerID, exitWhenIdle: exitWhenIdle, sequential: sequential, simulateMilliseconds: simulateMs,
            execCommandLine: exec, ollamaURL: ollamaURL)
        flags.leaseSeconds = try lease.map { try WorkerOption.lease.seconds(from: $0) }
        flags.progressIntervalSeconds = try progressInterval.map { try WorkerOption.progressInterval.seconds(from: $0) }
        flags.shutdownGraceSeconds = try shutdownGrace.map { try WorkerOption.shutdownGrace.seconds(from: $0) }
        flags.taskTimeoutSeconds = try taskTimeout.map { try WorkerOption.taskTimeout.seconds(from: $0) }
        flags.resource = resource
        flags.autoWorkers = workerCount == .some(nil)  // --workers auto
        flags.maxWorkers = maxWorkers
        let settings = try WorkerSettings.resolve(flags: flags, environment: environment)
        let handler = try makeHandler(settings)
        let workerID = settings.workerID ?? WorkerSettings.defaultWorkerID(host: ProcessInfo.processInfo.hostName, pid: getpid())

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: environment["TURING_LOG_LEVEL"] ?? "info") ?? .info
            return handler
        }
        var options = TuringOrchestrator.Options(workerID: workerID)
        options.workflowID = settings.workflowID
        options.lease = .seconds(settings.leaseSeconds)
        options.exitWhenIdle = settings.exitWhenIdle
        options.shutdownGrace = settings.shutdownGraceSeconds.map { .seconds($0) }
        options.resource = settings.resource
        if settings.autoWorkers { options.adaptiveConcurrency = .init(maximum: settings.maxWorkers) }
        if settings.progressIntervalSeconds > 0 {
            options.progress = ProgressReporter(interval: .seconds(settings.progressIntervalSeconds))
        }
        let source = ConnectionSource.resolve(argument: databaseURL, environment: environment)
        let orchestrator = TuringOrchestrator(
            database: .init(connectionString: source.connectionString ?? "", applicationName: "turing-worker"),
            options: options, handler: handler, logger: Logger(label: "turing-worker"))

        let signals = SignalForwarder { immediately in orchestrator.stop(immediately: immediately) }
        defer { signals.cancel() }
        if settings.sequential {
            _ = try await orchestrator.processPendingTasks(maxTasks: settings.maxTasks)
        } else {
            _ = try await orchestrator.processPendingTasksParallel(
                maxTasks: settings.maxTasks, workers: settings.workers, batchSize: settings.batchSize)
        }
    }

    private func makeHandler(_ settings: WorkerSettings) throws -> any TaskHandler {
        switch settings.handler {
        case .simulate:
            return SimulateHandler(defaultMilliseconds: settings.simulateMilliseconds)
        case .exec:
            return ExecHandler(command: settings.execCommand ?? [], timeout: .seconds(settings.taskTimeoutSeconds))
        case .ollama:
            guard let url = URL(string: settings.ollamaURL), url.host != nil else {
                throw ConfigurationError(message: "--ollama-url (or OLLAMA_HOST) is not a URL: \(settings.ollamaURL)")
            }
            return OllamaHandler(baseURL: url, requestTimeout: .seconds(settings.taskTimeoutSeconds))
        }
    }
}

/// SIGINT and SIGTERM: the first asks for a graceful stop, the next for an immediate one.
final class SignalForwarder: @unchecked Sendable {  // the sources are only read after init
    private let sources: [any DispatchSourceSignal]

    init(_ stop: @escaping @Sendable (_ immediately: Bool) -> Void) {
        let count = LockedValue(0)
        sources = [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                let received = count.withValue { count -> Int in
                    count += 1
                    return count
                }
                FileHandle.standardError.write(
                    Data((received == 1 ? "turing-worker: stopping after running tasks finish (signal again to stop now)\n"
                        : "turing-worker: stopping now, releasing every claim\n").utf8))
                stop(received > 1)
            }
            source.resume()
            return source
        }
    }

    func cancel() {
        sources.forEach { $0.cancel() }
    }
}
