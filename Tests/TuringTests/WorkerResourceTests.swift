import Foundation
import Logging
import TestSupport
import Testing
import TuringCore
import TuringPostgres
@testable import Turing

/// `turing-worker --resource` and GPU sampling, through the real binary (and the engine in-process).
@Suite("turing-worker: --resource and GPU samples")
struct WorkerResourceTests {
    typealias F = TaskAPIFixture

    /// `turing-worker`, built next to the test bundle.
    static let binary: String = URL(fileURLWithPath: MigrateCLI.binary).deletingLastPathComponent()
        .appendingPathComponent("turing-worker").path

    /// Starts `turing-worker ARGUMENTS --database-url URL` with `environment` added (DATABASE_URL emptied).
    static func start(_ arguments: [String], database: TestDatabase, environment: [String: String] = [:]) throws -> ChildProcess {
        var environment = environment
        if environment["DATABASE_URL"] == nil { environment["DATABASE_URL"] = "" }
        return try ChildProcess([binary] + arguments + ["--database-url", database.url], environment: environment)
    }

    /// Waits for every process to exit and returns their codes; kills them all if they take longer than `limit`.
    static func exitCodes(_ processes: [ChildProcess], limit: Duration = .seconds(240)) async -> [Int32] {
        let watchdog = Task {
            try await Task.sleep(for: limit)
            processes.forEach { $0.send(SIGKILL) }
        }
        var codes: [Int32] = []
        for process in processes { codes.append(await process.exit()) }
        watchdog.cancel()
        return codes
    }

    /// Polls `sql` (one integer) until it reaches `value`, for up to a minute.
    static func waitFor(_ db: PostgresConnection, _ sql: String, toReach value: Int) async throws -> Bool {
        for _ in 0..<600 {
            if try await F.value(db, sql, as: Int.self) >= value { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("turing-path-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("8 processes x 8 workers on a resource of capacity 4: the server never sees more than 4 requests; each task runs once")
    func eightProcessesShareCapacity() async throws {
        let standIn = try LLMStandIn(delayMilliseconds: 250, slots: 16)  // the server alone would take 16 at once
        let (database, db) = try await F.database()
        let workflow = try await F.workflow(db)
        let count = 96
        try await db.query(
            """
            INSERT INTO turing.tasks (workflow_id, payload)
            SELECT $1, jsonb_build_object('model', 'm', 'messages', jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'task ' || g)))
            FROM generate_series(1, $2) AS g
            """, [workflow, count])
        try await db.query("SELECT turing.set_capacity('gpu0', 4)")

        let processes = try (0..<8).map { index in
            try Self.start(
                ["--resource", "gpu0", "--workers", "8", "--handler", "ollama", "--ollama-url", standIn.baseURL.absoluteString,
                 "--exit-when-idle", "--progress-interval", "0", "--worker-id", "p\(index)"],
                database: database)
        }
        let codes = await Self.exitCodes(processes)
        #expect(codes == Array(repeating: 0, count: 8), "\(processes.map { $0.standardError.suffix(400) })")

        let stats = try await standIn.stats()
        let maxInFlight = try #require(stats["max_in_flight"] as? Int)
        #expect(maxInFlight <= 4, "the stand-in saw \(maxInFlight) requests at once")
        #expect(maxInFlight >= 1)
        #expect(stats["requests"] as? Int == count && stats["completed"] as? Int == count, "\(stats)")
        #expect(try await F.value(
            db, "SELECT count(*) FROM turing.tasks WHERE status = 'completed' AND attempts = 1 AND result IS NOT NULL",
            as: Int.self) == count)
        #expect(try await F.value(db, "SELECT in_use FROM turing.resource_usage WHERE resource = 'gpu0'", as: Int.self) == 0)
        let workersUsed = try await F.value(db, "SELECT count(DISTINCT claimed_by) FROM turing.tasks", as: Int.self)

        // The figure the README quotes (not asserted: it depends on the machine's load).
        if let busy = stats["busy_seconds_by_slot"] as? Double, let first = stats["first_start"] as? Double,
           let last = stats["last_end"] as? Double, last > first {
            print(
                "8 processes x 8 workers, capacity 4: max in flight \(maxInFlight), busy \(String(format: "%.1f", 100 * busy / (4 * (last - first)))) % of 4 slots over \(String(format: "%.2f", last - first)) s, tasks claimed by \(workersUsed) of the 8 processes")
        }
    }

    @Test("an unknown resource: one line naming set_capacity, exit 2 (from --resource or TURING_RESOURCE); a blank one is a usage error")
    func unknownResource() async throws {
        let (database, db) = try await F.database()
        let worker = try Self.start(["--resource", "gpu9", "--handler", "simulate"], database: database)
        #expect(await worker.exit() == 2)
        let lines = worker.standardError.split(separator: "\n")
        #expect(lines.count == 1, "\(worker.standardError)")
        #expect(lines.first?.contains("SELECT turing.set_capacity('gpu9', 4)") == true, "\(worker.standardError)")
        #expect(try await F.value(db, "SELECT count(*) FROM turing.workers", as: Int.self) == 0)

        let fromEnvironment = try Self.start(["--handler", "simulate"], database: database, environment: ["TURING_RESOURCE": "gpu9"])
        #expect(await fromEnvironment.exit() == 2)
        #expect(fromEnvironment.standardError.contains("set_capacity('gpu9', 4)"), "TURING_RESOURCE is read: \(fromEnvironment.standardError)")

        let blank = try Self.start(["--resource", " ", "--handler", "simulate"], database: database)
        #expect(await blank.exit() == 2)
        #expect(blank.standardError.contains("--resource must not be empty"), "\(blank.standardError)")
    }

    @Test("under a resource a finished task makes the engine claim again at once, not at the next poll", .timeLimit(.minutes(2)))
    func finishedTaskClaimsAgain() async throws {
        let (database, db) = try await F.database()
        let workflow = try await F.workflow(db)
        try await F.insertTasks(db, workflow: workflow, count: 6)
        try await db.query("SELECT turing.set_capacity('gpu0', 1)")
        var options = TuringOrchestrator.Options(workerID: "engine")
        options.resource = "gpu0"
        options.exitWhenIdle = true
        options.pollInterval = .seconds(3600)  // a claim waiting for the poll would hang the test
        let orchestrator = TuringOrchestrator(
            database: .init(connectionString: database.url, applicationName: "turing-tests"), options: options,
            handler: SimulateHandler(defaultMilliseconds: 5), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let report = try await orchestrator.processPendingTasksParallel(workers: 4, batchSize: 10)
        #expect(report.succeeded == 6)
        #expect(try await F.value(db, "SELECT count(*) FROM turing.tasks WHERE status = 'completed' AND resource = 'gpu0'", as: Int.self) == 6)
    }

    @Test("a stand-in nvidia-smi first on PATH: samples land in turing.gpu_samples and turing.gpu_utilization shows them")
    func samplesWithNvidiaSMI() async throws {
        let folder = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let script = folder + "/nvidia-smi"
        try Data(
            """
            #!/bin/sh
            [ "$1" = "--query-gpu=index,utilization.gpu,memory.used,memory.total" ] || { echo "unexpected: $*" >&2; exit 2; }
            echo "0, 37, 1024, 24576"
            echo "1, 88, 20000, 24576"

            """.utf8
        ).write(to: URL(fileURLWithPath: script))
        chmod(script, 0o755)
        let (database, db) = try await F.database()
        let path = folder + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let worker = try Self.start(
            ["--handler", "simulate", "--progress-interval", "0", "--worker-id", "gpu-worker"], database: database,
            environment: ["PATH": path])

        let sampled = try await Self.waitFor(db, "SELECT count(*) FROM turing.gpu_samples", toReach: 2)
        worker.send(SIGTERM)
        #expect(await worker.exit() == 0)
        #expect(sampled, "no samples recorded: \(worker.standardError)")
        let rows = try await db.query(
            "SELECT host, gpu, utilization_now::float8, memory_used_mib, memory_total_mib, note FROM turing.gpu_utilization ORDER BY gpu")
        #expect(rows.count == 2)
        let host = try await F.value(db, "SELECT host FROM turing.workers WHERE id = 'gpu-worker'", as: String.self)
        for (row, expected) in zip(rows, [(0, 37.0, 1024), (1, 88.0, 20000)]) {
            #expect(try row.decode(0, as: String.self) == host)
            #expect(try row.decode(1, as: Int.self) == expected.0)
            #expect(try row.decode(2, as: Double.self) == expected.1)
            #expect(try row.decode(3, as: Int.self) == expected.2 && row.decode(4, as: Int.self) == 24576)
            #expect(try row.decode(5, as: String?.self) == nil)
        }
        #expect(try await F.value(db, "SELECT gpu_sampling FROM turing.workers WHERE id = 'gpu-worker'", as: String.self) == "nvidia-smi")
        #expect(!worker.standardError.contains("GPU"), "sampling logged above debug: \(worker.standardError)")
    }

    @Test("without nvidia-smi: nothing breaks, one debug line, and the view says why it is empty")
    func withoutNvidiaSMI() async throws {
        let folder = try Self.temporaryDirectory()  // an empty PATH: no nvidia-smi anywhere
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (database, db) = try await F.database()
        let workflow = try await F.workflow(db)
        try await F.insertTasks(db, workflow: workflow, count: 3)
        let worker = try Self.start(
            ["--handler", "simulate", "--exit-when-idle", "--progress-interval", "0", "--worker-id", "plain-worker"],
            database: database, environment: ["PATH": folder, "TURING_LOG_LEVEL": "debug"])
        #expect(await Self.exitCodes([worker]) == [0], "\(worker.standardError)")
        #expect(try await F.value(db, "SELECT count(*) FROM turing.tasks WHERE status = 'completed'", as: Int.self) == 3)
        #expect(try await F.value(db, "SELECT gpu_sampling FROM turing.workers WHERE id = 'plain-worker'", as: String.self)
            == "nvidia-smi not found on PATH")
        let rows = try await db.query("SELECT host, samples, note FROM turing.gpu_utilization")
        #expect(rows.count == 1)
        #expect(try rows.first?.decode(0, as: String?.self) == nil)
        #expect(try rows.first?.decode(2, as: String.self)
            == "no GPU samples in the last 5 minutes: nvidia-smi was not found on any worker's PATH")
        let mentions = worker.standardError.split(separator: "\n").filter { $0.contains("nvidia-smi") }
        #expect(mentions.count == 1 && mentions.first?.contains(" debug ") == true, "\(worker.standardError)")
    }
}
