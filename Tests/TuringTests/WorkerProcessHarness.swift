import Foundation
import TestSupport
import Testing

/// Real `turing-worker` processes for tests: the binary built next to the test bundle, run with `ChildProcess`.
enum WorkerProcessHarness {
    /// `turing-worker`, next to `turing-migrate`.
    static let binary: String = URL(fileURLWithPath: MigrateCLI.binary)
        .deletingLastPathComponent().appendingPathComponent("turing-worker").path

    /// Starts `turing-worker ARGUMENTS --database-url URL` (DATABASE_URL emptied, so the caller's never leaks in).
    static func start(_ arguments: [String], database: TestDatabase, environment: [String: String] = [:]) throws -> ChildProcess {
        var environment = environment
        if environment["DATABASE_URL"] == nil { environment["DATABASE_URL"] = "" }
        return try ChildProcess([binary] + arguments + ["--database-url", database.url], environment: environment)
    }

    /// Waits for the exit without blocking Swift's pool; SIGKILLs the process after `timeout` seconds and says so.
    static func exit(_ process: ChildProcess, within timeout: Double) async -> (status: Int32, timedOut: Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        let timedOut = process.isRunning
        if timedOut { process.send(SIGKILL) }
        return (await process.exit(), timedOut)
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` seconds pass; returns whether it held.
    static func waitUntil(timeout: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}
