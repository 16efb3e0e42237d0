import Foundation
import TestSupport
import Testing
import TuringPostgres

/// Per-turn checkpoints end to end: a real `turing-worker` is SIGKILLed in the middle of a conversation, another
/// takes the task over when the lease expires, and no finished turn is asked of the LLM again.
@Suite("Checkpoint resume across worker processes")
struct CheckpointResumeTests {
    /// Two actors with system prompts and an opening: the request for turn t carries system + opening + the
    /// t − 1 earlier lines, so t + 1 messages. That is how the requests below are told apart.
    static let payload = """
        {"actors": [{"name": "alice", "model": "m-alice", "system": "You are Alice."},
                    {"name": "bob", "model": "m-bob", "system": "You are Bob."}],
         "turns": 6, "opening": "Plan a picnic."}
        """

    static func turn(ofRequest body: [String: Any]) -> Int {
        ((body["messages"] as? [Any])?.count ?? 0) - 1
    }

    @Test("killed after turn 3 of 6: the next worker starts at turn 4, and the result has 6 turns in order")
    func resumeAfterKill() async throws {
        let (database, connection) = try await TaskAPIFixture.database()
        defer { Task { await connection.close() } }
        // One stand-in per worker, so that each worker's requests can be told apart for certain.
        // Each turn holds a slot for 1.5 s: ample time to kill the first worker while turn 4 is in flight.
        let firstServer = try LLMStandIn(delayMilliseconds: 1500, slots: 4)
        defer { firstServer.stop() }
        let secondServer = try LLMStandIn(delayMilliseconds: 200, slots: 4)
        defer { secondServer.stop() }
        let workflow = try await TaskAPIFixture.workflow(connection, name: "conversation")
        let taskID: Int64 = try await TaskAPIFixture.value(
            connection, "SELECT turing.enqueue_tasks($1, ARRAY[$2::jsonb])", [workflow, Self.payload])

        func arguments(_ server: LLMStandIn, _ name: String) -> [String] {
            ["--workflow", "\(workflow)", "--handler", "ollama", "--ollama-url", server.baseURL.absoluteString,
             "--workers", "1", "--lease", "2", "--worker-id", name, "--exit-when-idle", "--progress-interval", "0"]
        }
        let completedTurns = {
            let turns: Int? = try await TaskAPIFixture.value(
                connection, "SELECT (checkpoint->>'completed_turns')::int FROM turing.tasks WHERE id = $1", [taskID])
            return turns ?? 0
        }

        let first = try WorkerProcessHarness.start(arguments(firstServer, "first"), database: database)
        let reachedThree = try await WorkerProcessHarness.waitUntil(timeout: 60) { try await completedTurns() >= 3 }
        first.send(SIGKILL)
        let firstStatus = await first.exit()
        try #require(reachedThree, "no checkpoint with 3 turns: \(first.standardError.suffix(2000))")
        #expect(firstStatus == 128 + SIGKILL)

        // The first worker is gone, so its checkpoint is final. It saved turns 1–3 and had turn 4 in flight
        // (asked of the stand-in, never answered to a live worker): an in-flight request is not a finished turn,
        // and only finished turns must never be asked again.
        let finished = try await completedTurns()
        #expect(finished == 3, "the first worker finished \(finished) turns before it was killed; the test wants 3")
        try #require((3...5).contains(finished))
        let psql = try await MigrateCLI.runTool(
            ["psql", "-X", "-At", "-d", database.url, "-c", "SELECT checkpoint FROM turing.tasks WHERE id = \(taskID)"])
        #expect(psql.status == 0, "\(psql)")
        let checkpoint = try #require(
            try JSONSerialization.jsonObject(with: Data(psql.stdout.utf8)) as? [String: Any], "psql said: \(psql)")
        #expect(checkpoint["completed_turns"] as? Int == finished)
        #expect((checkpoint["messages"] as? [[String: Any]])?.compactMap { $0["turn"] as? Int } == Array(1...finished))

        let firstTurns = try await firstServer.requests().map(Self.turn(ofRequest:))
        #expect(firstTurns == Array(1...finished) || firstTurns == Array(1...finished + 1), "first worker asked for \(firstTurns)")

        // The second worker claims the task once the killed worker's 2 s lease has expired.
        let second = try WorkerProcessHarness.start(arguments(secondServer, "second"), database: database)
        let secondExit = await WorkerProcessHarness.exit(second, within: 120)
        #expect(secondExit == (0, false), "\(second.standardError.suffix(3000))")

        // Its requests begin right after the last finished turn: no finished turn was asked again.
        let secondTurns = try await secondServer.requests().map(Self.turn(ofRequest:))
        #expect(secondTurns == Array(finished + 1...6), "second worker asked for \(secondTurns)")

        let row = try #require(try await connection.query(
            "SELECT status, attempts, result::text, (checkpoint->>'completed_turns')::int FROM turing.tasks WHERE id = $1",
            [taskID]).first)
        let status: String = try row.decode(0)
        let attempts: Int = try row.decode(1)
        let resultText: String = try row.decode(2)
        let finalCheckpointTurns: Int = try row.decode(3)
        #expect(status == "completed" && attempts == 2)
        #expect(finalCheckpointTurns == 6)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(resultText.utf8)) as? [String: Any])
        let messages = try #require(result["messages"] as? [[String: Any]])
        #expect(messages.compactMap { $0["turn"] as? Int } == Array(1...6))
        #expect(messages.compactMap { $0["actor"] as? String } == ["alice", "bob", "alice", "bob", "alice", "bob"])
        // Each line is the reply to its own turn's request (the stand-in counts the messages it was sent).
        for message in messages {
            let turn = message["turn"] as? Int ?? 0
            #expect((message["content"] as? String)?.contains("(\(turn + 1) messages)") == true, "\(message)")
        }
        #expect((result["turns"] as? [[String: Any]])?.compactMap { $0["turn"] as? Int } == Array(1...6))
    }
}
