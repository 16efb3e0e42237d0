import Foundation
import TestSupport
import Testing
import TuringPostgres
@testable import Turing

/// A URL that cannot be reached (port 1 refuses) with a password in it: were a bad flag let through,
/// the run would end with exit 3 instead of 2, and the password must never show either way.
private let unreachablePassword = "Pw-d0nt-sh0w"
private let unreachableURL = "postgresql://postgres:\(unreachablePassword)@127.0.0.1:1/turing"

extension WorkerTests {
    /// `turing-worker`'s command line: bad input, exit codes, and passwords kept out of every output.
    @Suite("command line and secrets")
    struct CLI {
        static let unreachable = unreachableURL
        static let password = unreachablePassword

        @Test("bad flags: one line on stderr, exit 2", arguments: [
            ["--handler", "nonesuch"],
            ["--workers", "0"],
            ["--batch-size", "-1"],
            ["--handler", "exec"],
            ["--workers", "abc"],
            ["--lease", "x"],
            ["--lease", "0"],
            ["--max-tasks", "0"],
            ["--exec", ""],
            ["--handler", "simulate", "--exec", "true"],
            ["--batch-size=-1"],
            ["--workers", "2000"],
            ["--workflow", "abc"],
            ["--workflow", "0"],
            ["--shutdown-grace", "x"],
            ["--progress-interval", "abc"],
            ["--ollama-url", "ftp://x"],
            ["--worker-id", ""],
            ["--exec", "'unterminated"],
            ["--task-timeout", "x"],
            ["--task-timeout", "0"],
            ["--no-such-flag"],
        ])
        func badFlags(_ arguments: [String]) async throws {
            let (status, child) = try await WorkerFixture.runWorker(arguments + ["--exit-when-idle"], url: Self.unreachable)
            defer { WorkerFixture.cleanUp(child) }
            let stderr = child.standardError
            #expect(status == 2, "arguments \(arguments): stderr \(stderr)")
            let lines = stderr.split(separator: "\n", omittingEmptySubsequences: true)
            #expect(lines.count == 1, "arguments \(arguments): stderr \(stderr)")
            #expect(stderr.hasPrefix("turing-worker: "), "stderr: \(stderr)")
            #expect(!stderr.contains(Self.password))
            #expect(child.standardOutput.isEmpty)
        }

        @Test("a negative number is read as the option's value and gets the option's own message, not 'missing value'",
              arguments: [
                (["--batch-size", "-1"], "--batch-size must be between 1 and"),
                (["--workers", "-3"], "--workers must be between 1 and"),
                (["--workflow", "-2"], "--workflow must be at least 1"),
                (["--max-tasks", "-1"], "--max-tasks must be at least 1"),
                (["--task-timeout", "-1"], "--task-timeout"),
              ])
        func negativeNumbers(_ arguments: [String], _ message: String) async throws {
            let (status, child) = try await WorkerFixture.runWorker(arguments + ["--exit-when-idle"], url: Self.unreachable)
            defer { WorkerFixture.cleanUp(child) }
            #expect(status == 2)
            #expect(child.standardError.contains(message), "stderr: \(child.standardError)")
            #expect(!child.standardError.contains("Missing value"), "stderr: \(child.standardError)")
        }

        @Test("bad values from the environment are usage errors too", arguments: [
            ["TURING_PARALLEL_WORKERS": "many"], ["TURING_BATCH_SIZE": "0"], ["TURING_HANDLER": "gpu"], ["TURING_LEASE_SECONDS": "soon"],
        ])
        func badEnvironment(_ environment: [String: String]) async throws {
            let (status, child) = try await WorkerFixture.runWorker(["--exit-when-idle"], url: Self.unreachable, environment: environment)
            defer { WorkerFixture.cleanUp(child) }
            #expect(status == 2, "environment \(environment): stderr \(child.standardError)")
            #expect(child.standardError.split(separator: "\n").count == 1, "stderr: \(child.standardError)")
            #expect(child.standardError.contains(environment.keys.first!), "the message should name the variable: \(child.standardError)")
        }

        @Test("an unreachable database: exit 3, one line, and the password is never printed", arguments: [
            (url: Optional(unreachableURL), environment: [String: String]()),
            (url: nil, environment: ["DATABASE_URL": unreachableURL]),
            (url: Optional("host=127.0.0.1 port=1 user=postgres password=\(unreachablePassword) dbname=turing"), environment: [:]),
        ])
        func unreachableDatabase(_ setup: (url: String?, environment: [String: String])) async throws {
            for mode in [["--exit-when-idle"], ["--exit-when-idle", "--sequential"]] {
                let (status, child) = try await WorkerFixture.runWorker(
                    ["--handler", "simulate"] + mode, url: setup.url, environment: setup.environment.merging(["TURING_LOG_LEVEL": "trace"]) { $1 })
                defer { WorkerFixture.cleanUp(child) }
                #expect(status == 3, "stderr: \(child.standardError)")
                #expect(child.standardError.split(separator: "\n").count == 1, "stderr: \(child.standardError)")
                #expect(child.standardError.contains("connect"), "stderr: \(child.standardError)")
                #expect(!child.standardError.contains(Self.password), "the password leaked: \(child.standardError)")
                #expect(!child.standardOutput.contains(Self.password))
            }
        }

        @Test("a database without migration 088: one line saying to apply it, exit 1")
        func missingMigration() async throws {
            let database = try await TestPostgres.database()
            let (status, child) = try await WorkerFixture.runWorker(["--handler", "simulate", "--exit-when-idle"], url: database.url)
            defer { WorkerFixture.cleanUp(child) }
            #expect(status == 1, "stderr: \(child.standardError)")
            #expect(child.standardError.split(separator: "\n").count == 1, "stderr: \(child.standardError)")
            #expect(child.standardError.contains("turing-migrate up 088"), "stderr: \(child.standardError)")
        }

        @Test("--help explains the options with their variables and defaults, and exits 0")
        func help() async throws {
            let (status, child) = try await WorkerFixture.runWorker(["--help"], url: nil)
            defer { WorkerFixture.cleanUp(child) }
            #expect(status == 0)
            let help = child.standardOutput
            for text in ["--workers", "TURING_PARALLEL_WORKERS", "--batch-size", "TURING_BATCH_SIZE", "--max-tasks", "--lease",
                         "--handler", "--exit-when-idle", "--sequential", "--exec", "OLLAMA_HOST", "DATABASE_URL"] {
                #expect(help.contains(text), "--help does not mention \(text)")
            }
        }

        @Test("a password in the URL never reaches stderr, application_name or turing.workers")
        func passwordNeverShown() async throws {
            let (database, connection) = try await WorkerFixture.database()
            try await WorkerFixture.seed(connection, workflow: 51, count: 12, payloadSQL: "jsonb_build_object('simulate_ms', 400)")
            let secret = "s3cret-Qx7"
            // The cluster trusts local connections, so any password is accepted; what matters is where it ends up.
            let url = database.url.replacingOccurrences(of: "postgresql://postgres@", with: "postgresql://postgres:\(secret)@")
            #expect(url.contains(secret))
            // No --worker-id: the default (host:pid) is what gets stored and shown.
            let worker = try WorkerFixture.worker(
                ["--handler", "simulate", "--exit-when-idle", "--workflow", "51", "--workers", "2", "--progress-interval", "0.2"],
                url: url, environment: ["TURING_LOG_LEVEL": "trace"])
            defer { WorkerFixture.cleanUp(worker) }
            var names: Set<String> = []
            while worker.isRunning {
                let rows = try await connection.query(
                    "SELECT application_name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'turing-worker%'")
                names.formUnion(try rows.map { try $0.decode(0, as: String.self) })
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(await worker.exit() == 0, "stderr: \(worker.standardError.suffix(1500))")
            try await WorkerFixture.expectEachCompletedOnce(connection, workflow: 51, count: 12)
            #expect(!names.isEmpty, "never saw the worker in pg_stat_activity")
            #expect(names.allSatisfy { $0.contains(":\(worker.pid)") }, "application_name should carry the worker id: \(names)")
            #expect(!names.contains { $0.contains(secret) }, "password in application_name: \(names)")
            #expect(!worker.standardError.isEmpty)
            #expect(!worker.standardError.contains(secret), "password on stderr")
            #expect(!worker.standardOutput.contains(secret), "password on stdout")
            let registry = try await connection.query("SELECT concat_ws(' ', id, host, pid::text) FROM turing.workers")
                .map { try $0.decode(0, as: String.self) }
            #expect(registry.count == 1)
            #expect(!registry.contains { $0.contains(secret) }, "password in turing.workers: \(registry)")
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM turing.tasks WHERE claimed_by LIKE '%' || $1 || '%'", [secret]) == 0)
            await connection.close()
        }
    }
}
