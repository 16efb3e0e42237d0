import Foundation
import TestSupport
import Testing
import TuringPostgres

/// `turing-worker --workers auto` against the LLM stand-in with 4 real slots: it must find them by itself.
@Suite("turing-worker --workers auto against the LLM stand-in")
struct WorkerAdaptiveTests {
    @Test("4 slots of 100 ms: every change is logged, and the limit ends between 3 and 8")
    func findsTheSlots() async throws {
        let (database, connection) = try await TaskAPIFixture.database()
        defer { Task { await connection.close() } }
        let standIn = try LLMStandIn(delayMilliseconds: 100, slots: 4)
        defer { standIn.stop() }
        let workflow = try await TaskAPIFixture.workflow(connection, name: "adaptive")
        let count = 900  // about 25 s at the stand-in's best: a dozen 2 s windows
        try await connection.query(
            """
            INSERT INTO turing.tasks (workflow_id, payload)
            SELECT $1, jsonb_build_object('model', 'm', 'messages',
                       jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'task ' || g)))
            FROM generate_series(1, $2) AS g
            """, [workflow, count])

        let worker = try WorkerProcessHarness.start(
            ["--workflow", "\(workflow)", "--handler", "ollama", "--ollama-url", standIn.baseURL.absoluteString,
             "--workers", "auto", "--max-workers", "16", "--exit-when-idle", "--progress-interval", "0"],
            database: database, environment: ["TURING_LOG_LEVEL": "info"])
        let exit = await WorkerProcessHarness.exit(worker, within: 240)
        let log = worker.standardError
        #expect(exit == (0, false), "\(log.suffix(3000))")

        let completed: Int = try await TaskAPIFixture.value(
            connection, "SELECT count(*)::int FROM turing.tasks WHERE workflow_id = $1 AND status = 'completed'", [workflow])
        #expect(completed == count)

        // "workers auto: 4 → 5 (throughput 39.8/s, up 24 %)": the changes, in order.
        #expect(log.contains("started: workers auto (from 2, at most 16)"), "\(log.prefix(2000))")
        let changes = log.split(separator: "\n").compactMap { line -> (from: Int, to: Int)? in
            guard let range = line.range(of: "workers auto: ") else { return nil }
            let words = line[range.upperBound...].split(separator: " ")
            guard words.count >= 3, words[1] == "→", let from = Int(words[0]), let to = Int(words[2]) else { return nil }
            return (from, to)
        }
        #expect(changes.first.map { $0 == (2, 3) } == true, "\(log.suffix(3000))")
        #expect(changes.count >= 2, "\(log.suffix(3000))")
        for (previous, next) in zip(changes, changes.dropFirst()) {
            #expect(previous.to == next.from, "the changes do not chain: \(changes)")
        }
        let final = changes.last?.to ?? 2
        #expect((3...8).contains(final), "final limit \(final): \(changes)\n\(log.suffix(3000))")
        let maxInFlight = try await standIn.counter("max_in_flight")
        #expect((1...16).contains(maxInFlight))
    }
}
