import Foundation
import TestSupport
import Testing
import TuringPostgres
@testable import Turing

/// Every turing-worker suite nests in this one, serialized: the process tests start several real workers each,
/// and running them side by side on a shared 2-core machine would only make them slow and their leases tight.
@Suite("turing-worker", .serialized)
enum WorkerTests {}

/// What the worker tests share: a migrated database with a completion audit, seeding, the binary, and waiting.
enum WorkerFixture {
    /// A fresh database with every migration applied and `turing_test.completions`, which records each
    /// transition of a task to `completed` (so a task completed twice shows up as two rows, whoever wrote them).
    static func database(_ label: String = #fileID) async throws -> (TestDatabase, PostgresConnection) {
        let database = try await TestPostgres.database(label)
        _ = try await MigrationRunner(
            database: .init(connectionString: database.url, applicationName: "turing-tests-migrate"),
            migrations: try MigrationSource.load(directory: nil)
        ).up(to: nil)
        let connection = try await database.connect()
        try await connection.execute(
            """
            CREATE SCHEMA turing_test;
            CREATE TABLE turing_test.completions (
                task_id bigint NOT NULL, lease_token uuid, claimed_by text, result jsonb, at timestamptz NOT NULL DEFAULT clock_timestamp());
            CREATE FUNCTION turing_test.record_completion() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                INSERT INTO turing_test.completions (task_id, lease_token, claimed_by, result)
                VALUES (NEW.id, NEW.lease_token, NEW.claimed_by, NEW.result);
                RETURN NULL;
            END
            $fn$;
            CREATE TRIGGER zz_test_record_completion AFTER UPDATE ON turing.tasks FOR EACH ROW
                WHEN (NEW.status = 'completed' AND OLD.status IS DISTINCT FROM 'completed')
                EXECUTE FUNCTION turing_test.record_completion();
            """)
        return (database, connection)
    }

    /// Creates workflow `id` and `count` tasks whose payload is `payloadSQL` (an SQL expression; `g` is 1…count).
    static func seed(
        _ connection: PostgresConnection, workflow id: Int64, count: Int,
        payloadSQL: String = "jsonb_build_object('simulate_ms', 20)"
    ) async throws {
        try await connection.query(
            "INSERT INTO turing.workflows (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", [id, "workflow \(id)"])
        try await connection.query(
            "INSERT INTO turing.tasks (workflow_id, payload) SELECT $1, \(payloadSQL) FROM generate_series(1, $2::int) AS g",
            [id, count])
    }

    /// One integer from a query.
    static func int(_ connection: PostgresConnection, _ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> Int {
        let row = try #require(try await connection.query(sql, parameters).first)
        return try row.decode(0, as: Int.self)
    }

    /// The binary built next to the test bundle (`turing-worker`, `turing-migrate`).
    static func binary(_ name: String) throws -> String {
        var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: executable).deletingLastPathComponent())
        }
        // Inside an .xctest bundle on macOS, the products sit a few levels up.
        candidates += candidates.flatMap { [$0.deletingLastPathComponent(), $0.deletingLastPathComponent().deletingLastPathComponent()] }
        for folder in candidates {
            let path = folder.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw TestSetupError("\(name) not found next to the test bundle (looked in \(candidates.map(\.path)))")
    }

    /// Starts `turing-worker` with `arguments` against `url` (passed as --database-url unless nil).
    static func worker(_ arguments: [String], url: String?, environment: [String: String] = [:]) throws -> ChildProcess {
        var environment = environment
        environment["TURING_LOG_LEVEL"] = environment["TURING_LOG_LEVEL"] ?? "info"
        return try ChildProcess(
            [try binary("turing-worker")] + (url.map { ["--database-url", $0] } ?? []) + ["--progress-interval", "3600"] + arguments,
            environment: environment)
    }

    /// Runs `turing-worker` to its exit and returns the exit code with the child (for its output).
    static func runWorker(_ arguments: [String], url: String?, environment: [String: String] = [:]) async throws -> (Int32, ChildProcess) {
        let child = try worker(arguments, url: url, environment: environment)
        return (await exit(of: child, within: .seconds(120)), child)
    }

    /// Waits for the child's exit; kills it (and records an issue) when it takes longer than `limit`.
    static func exit(of child: ChildProcess, within limit: Duration) async -> Int32 {
        let deadline = ContinuousClock.now + limit
        while child.isRunning {
            if ContinuousClock.now >= deadline {
                Issue.record("turing-worker (pid \(child.pid)) did not exit within \(limit); killed. stderr: \(child.standardError.suffix(2000))")
                child.send(SIGKILL)
                break
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return await child.exit()
    }

    /// Polls `condition` until it holds; false when `limit` passed first. A guard against hangs, not a timing assertion.
    static func eventually(
        within limit: Duration = .seconds(60), every interval: Duration = .milliseconds(50),
        _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: interval)
        }
        return try await condition()
    }

    /// Stops a child that is still running (end of a test that failed half-way) and removes its output files.
    static func cleanUp(_ children: ChildProcess...) {
        for child in children {
            if child.isRunning {
                child.send(SIGKILL)
                child.wait()
            }
            try? FileManager.default.removeItem(atPath: child.outputPath)
            try? FileManager.default.removeItem(atPath: child.errorPath)
        }
    }

    /// Checks the audit: every task of `workflow` completed exactly once, none left pending, running or failed.
    static func expectEachCompletedOnce(
        _ connection: PostgresConnection, workflow: Int64, count: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let row = try #require(
            try await connection.query(
                """
                SELECT count(*) FILTER (WHERE t.status = 'completed'),
                       count(*) FILTER (WHERE t.status <> 'completed'),
                       count(*) FILTER (WHERE t.result IS NULL),
                       (SELECT count(*) FROM turing_test.completions AS c JOIN turing.tasks AS t2 ON t2.id = c.task_id WHERE t2.workflow_id = $1),
                       (SELECT count(*) FROM (SELECT c.task_id FROM turing_test.completions AS c GROUP BY c.task_id HAVING count(*) > 1) AS d)
                FROM turing.tasks AS t WHERE t.workflow_id = $1
                """, [workflow]
            ).first, sourceLocation: sourceLocation)
        #expect(try row.decode(0, as: Int.self) == count, "completed tasks", sourceLocation: sourceLocation)
        #expect(try row.decode(1, as: Int.self) == 0, "tasks not completed", sourceLocation: sourceLocation)
        #expect(try row.decode(2, as: Int.self) == 0, "completed tasks without a result", sourceLocation: sourceLocation)
        #expect(try row.decode(3, as: Int.self) == count, "completions recorded by the audit trigger", sourceLocation: sourceLocation)
        #expect(try row.decode(4, as: Int.self) == 0, "tasks completed more than once", sourceLocation: sourceLocation)
    }

    /// `percent_done` and the counts of `turing.workflow_progress` for one workflow.
    static func progress(_ connection: PostgresConnection, workflow: Int64) async throws -> (percent: Double, total: Int, completed: Int) {
        let row = try #require(
            try await connection.query(
                "SELECT percent_done::float8, total::bigint, completed::bigint FROM turing.workflow_progress WHERE workflow_id = $1",
                [workflow]
            ).first)
        return (try row.decode(0), try row.decode(1), try row.decode(2))
    }
}
