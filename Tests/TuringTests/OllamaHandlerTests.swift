import Foundation
import Testing
@testable import Turing

@Suite("OllamaHandler against the LLM stand-in")
struct OllamaHandlerTests {
    static func task(_ payload: String, checkpoint: String? = nil) -> ClaimedTask {
        ClaimedTask(taskID: 42, workflowID: 1124, leaseToken: UUID(), attempt: 1, payload: payload, checkpoint: checkpoint)
    }

    /// Collects what the handler checkpoints.
    actor CheckpointLog {
        var saved: [String] = []
        func save(_ text: String) { saved.append(text) }
        nonisolated var context: TaskContext { TaskContext { await self.save($0) } }
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Runs `body` and returns the `TaskFailure` it throws (nil when it throws something else or succeeds).
    static func failure(_ body: () async throws -> String) async -> TaskFailure? {
        do {
            _ = try await body()
        } catch let failure as TaskFailure {
            return failure
        } catch {
            Issue.record("expected a TaskFailure, got \(error)")
        }
        return nil
    }

    /// Waits (up to a generous limit) until the stand-in's counter reaches `value`.
    static func waitFor(_ standIn: LLMStandIn, _ counter: String, toReach value: Int) async throws -> Bool {
        for _ in 0..<1200 {  // up to a minute: the full suite loads both cores
            if try await standIn.counter(counter) >= value { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    static let conversationPayload = """
        {"actors": [{"name": "alice", "model": "m-a", "system": "You are Alice."},
                    {"name": "bob", "model": "m-b", "system": "You are Bob."},
                    {"name": "carol", "model": "m-c", "system": "You are Carol."}],
         "turns": 4, "opening": "Let us talk about the weather in Lisbon."}
        """

    static func message(_ role: String, _ content: String) -> [String: String] { ["role": role, "content": content] }

    @Test("one chat: one /api/chat call, the reply and Ollama's counters in the result")
    func oneChat() async throws {
        let standIn = try LLMStandIn()
        let handler = OllamaHandler(baseURL: standIn.baseURL)
        let payload = #"{"model": "llama3", "messages": [{"role": "user", "content": "Why is the sky blue?"}], "options": {"temperature": 0.2, "num_ctx": 4096}}"#
        let result = try Self.json(try await handler.run(Self.task(payload), context: TaskContext()))

        let reply = try #require(result["message"] as? [String: Any])
        #expect(reply["role"] as? String == "assistant")
        let content = try #require(reply["content"] as? String)
        #expect(content.contains("Why is the sky blue?") && content.contains("llama3"))
        #expect(result["model"] as? String == "llama3")
        #expect((result["eval_count"] as? Int ?? 0) > 0)
        #expect((result["prompt_eval_count"] as? Int ?? 0) > 0)
        #expect((result["total_duration_ns"] as? Int ?? 0) > 0)

        let requests = try await standIn.requests()
        #expect(requests.count == 1)
        #expect(requests.first?["stream"] as? Bool == false)
        #expect(requests.first?["messages"] as? [[String: String]] == [Self.message("user", "Why is the sky blue?")])
        let options = try #require(requests.first?["options"] as? [String: Any])
        #expect(options["num_ctx"] as? Int == 4096)
    }

    @Test("3 actors, 4 turns: the expected /api/chat calls, in order, each from the speaker's point of view")
    func conversation() async throws {
        let standIn = try LLMStandIn()
        let handler = OllamaHandler(baseURL: standIn.baseURL)
        let log = CheckpointLog()
        let result = try Self.json(try await handler.run(Self.task(Self.conversationPayload), context: log.context))

        let lines = try #require(result["messages"] as? [[String: Any]])
        #expect(lines.map { $0["actor"] as? String } == ["alice", "bob", "carol", "alice"])
        #expect(lines.map { $0["turn"] as? Int } == [1, 2, 3, 4])
        let said = lines.map { $0["content"] as? String ?? "" }
        #expect(said[0].hasPrefix("m-a answers") && said[1].hasPrefix("m-b answers") && said[2].hasPrefix("m-c answers"))

        let opening = Self.message("user", "Let us talk about the weather in Lisbon.")
        let expected: [(model: String, messages: [[String: String]])] = [
            ("m-a", [Self.message("system", "You are Alice."), opening]),
            ("m-b", [Self.message("system", "You are Bob."), opening, Self.message("user", "alice: \(said[0])")]),
            ("m-c", [Self.message("system", "You are Carol."), opening, Self.message("user", "alice: \(said[0])"),
                     Self.message("user", "bob: \(said[1])")]),
            ("m-a", [Self.message("system", "You are Alice."), opening, Self.message("assistant", said[0]),
                     Self.message("user", "bob: \(said[1])"), Self.message("user", "carol: \(said[2])")]),
        ]
        let requests = try await standIn.requests()
        try #require(requests.count == expected.count)
        for (request, want) in zip(requests, expected) {
            #expect(request["model"] as? String == want.model)
            #expect(request["stream"] as? Bool == false)
            #expect(request["messages"] as? [[String: String]] == want.messages)
        }

        let turns = try #require(result["turns"] as? [[String: Any]])
        #expect(turns.map { $0["model"] as? String } == ["m-a", "m-b", "m-c", "m-a"])
        let evalSum = turns.reduce(0) { $0 + ($1["eval_count"] as? Int ?? 0) }
        #expect(evalSum > 0 && result["eval_count"] as? Int == evalSum)

        let saved = await log.saved
        #expect(saved.count == 4)
        let last = try Self.json(try #require(saved.last))
        #expect(last["completed_turns"] as? Int == 4)
    }

    @Test("resuming from the checkpoint saved after turn 2 makes only the calls for turns 3 and 4")
    func resumeFromCheckpoint() async throws {
        let standIn = try LLMStandIn()
        let handler = OllamaHandler(baseURL: standIn.baseURL)
        let firstRun = CheckpointLog()
        let full = try Self.json(try await handler.run(Self.task(Self.conversationPayload), context: firstRun.context))
        let afterTurn2 = try #require(await firstRun.saved.dropFirst().first)
        #expect(try Self.json(afterTurn2)["completed_turns"] as? Int == 2)
        try await standIn.reset()

        let retry = CheckpointLog()
        let resumed = try Self.json(try await handler.run(Self.task(Self.conversationPayload, checkpoint: afterTurn2), context: retry.context))

        let requests = try await standIn.requests()
        #expect(requests.map { $0["model"] as? String } == ["m-c", "m-a"])
        let turn3Messages = try #require(requests.first?["messages"] as? [[String: String]])
        #expect(turn3Messages.first == Self.message("system", "You are Carol."))
        #expect(turn3Messages.count == 4)  // system, opening, alice's and bob's lines from the checkpoint
        let fullLines = try #require(full["messages"] as? [[String: Any]])
        let resumedLines = try #require(resumed["messages"] as? [[String: Any]])
        #expect(resumedLines.count == 4)
        #expect(resumedLines.prefix(2).map { $0["content"] as? String } == fullLines.prefix(2).map { $0["content"] as? String })
        #expect(resumedLines.map { $0["turn"] as? Int } == [1, 2, 3, 4])
        #expect(await retry.saved.count == 2)
    }

    @Test("a checkpoint holding every turn finishes without a call")
    func completeCheckpoint() async throws {
        let standIn = try LLMStandIn()
        let handler = OllamaHandler(baseURL: standIn.baseURL)
        let log = CheckpointLog()
        _ = try await handler.run(Self.task(Self.conversationPayload), context: log.context)
        try await standIn.reset()
        let result = try Self.json(try await handler.run(Self.task(Self.conversationPayload, checkpoint: await log.saved.last), context: TaskContext()))
        #expect((result["messages"] as? [Any])?.count == 4)
        #expect(try await standIn.requests().isEmpty)
    }

    @Test("HTTP 500 fails the task with Ollama's error text and the turn")
    func serverError() async throws {
        let standIn = try LLMStandIn(arguments: ["--fail-rate", "1"])
        let handler = OllamaHandler(baseURL: standIn.baseURL)
        let failure = try #require(await Self.failure { try await handler.run(Self.task(Self.conversationPayload), context: TaskContext()) })
        #expect(failure.reason.hasPrefix("ollama: HTTP 500 from \(standIn.baseURL.absoluteString)/api/chat: stand-in failure"))
        #expect(failure.reason.contains("(turn 1 of 4, actor alice)"))
    }

    @Test("a refused connection fails the task with 'cannot connect'")
    func connectionRefused() async throws {
        let handler = OllamaHandler(baseURL: URL(string: "http://127.0.0.1:1")!)
        let payload = #"{"model": "llama3", "messages": [{"role": "user", "content": "hi"}]}"#
        let failure = try #require(await Self.failure { try await handler.run(Self.task(payload), context: TaskContext()) })
        #expect(failure.reason.hasPrefix("ollama: cannot connect to http://127.0.0.1:1/api/chat: "))
    }

    @Test("a 404 carries Ollama's 'model not found' text")
    func missingModel() async throws {
        let standIn = try LLMStandIn()
        let handler = OllamaHandler(baseURL: standIn.baseURL)
        let payload = #"{"model": "missing", "messages": [{"role": "user", "content": "hi"}]}"#
        let failure = try #require(await Self.failure { try await handler.run(Self.task(payload), context: TaskContext()) })
        #expect(failure.reason.hasPrefix("ollama: HTTP 404 from "))
        #expect(failure.reason.hasSuffix(#"model "missing" not found, try pulling it first"#))
    }

    @Test("no answer within the request timeout fails the task, and the request is dropped")
    func hangPastTimeout() async throws {
        let standIn = try LLMStandIn(arguments: ["--hang-rate", "1"])
        let handler = OllamaHandler(baseURL: standIn.baseURL, requestTimeout: .seconds(1))
        let payload = #"{"model": "llama3", "messages": [{"role": "user", "content": "hi"}]}"#
        let failure = try #require(await Self.failure { try await handler.run(Self.task(payload), context: TaskContext()) })
        #expect(failure.reason.hasPrefix("ollama: no answer within 1s from "))
        #expect(try await Self.waitFor(standIn, "hung_released", toReach: 1))  // the stand-in saw the connection close
    }

    @Test("cancelling the Swift task cancels a hanging request")
    func cancellation() async throws {
        let standIn = try LLMStandIn(arguments: ["--hang-rate", "1"])
        let handler = OllamaHandler(baseURL: standIn.baseURL)  // 300 s timeout: only cancellation ends this
        let running = Task {
            try await handler.run(Self.task(Self.conversationPayload), context: TaskContext())
        }
        #expect(try await Self.waitFor(standIn, "hung", toReach: 1))
        running.cancel()
        let result = await running.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(try await Self.waitFor(standIn, "hung_released", toReach: 1))
        #expect(try await standIn.counter("requests") == 1)  // no further turn was attempted
    }

    @Test("malformed payloads fail with the expected shapes", arguments: [
        #"{"prompt": "hi"}"#, #"[1, 2]"#, #"{"model": "m"}"#, #"{"model": "m", "messages": "hi"}"#,
        #"{"actors": [], "turns": 2, "opening": "x"}"#, #"{"actors": [{"name": "a"}], "turns": 2, "opening": "x"}"#,
        #"{"actors": [{"name": "a", "model": "m"}], "turns": 0, "opening": "x"}"#,
        #"{"actors": [{"name": "a", "model": "m"}], "turns": 2}"#,
    ])
    func malformedPayload(_ payload: String) async throws {
        let handler = OllamaHandler(baseURL: URL(string: "http://127.0.0.1:1")!)
        let failure = try #require(await Self.failure { try await handler.run(Self.task(payload), context: TaskContext()) })
        #expect(failure.reason.hasPrefix("payload: expected {model, messages} or {actors, turns, opening}: "))
    }
}
