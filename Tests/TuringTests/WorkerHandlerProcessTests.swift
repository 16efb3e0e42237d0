import Foundation
import TestSupport
import Testing
import TuringPostgres
@testable import Turing

extension WorkerTests {
    /// The `ollama` and `exec` handlers, run through the real `turing-worker` binary.
    @Suite("handlers through the worker")
    struct Handlers {
        static let conversation = """
            jsonb_build_object(
                'actors', jsonb_build_array(
                    jsonb_build_object('name', 'alice', 'model', 'model-a', 'system', 'You are Alice.'),
                    jsonb_build_object('name', 'bob', 'model', 'model-b', 'system', 'You are Bob.')),
                'turns', 4,
                'opening', 'Shall we talk about queues?')
            """

        @Test("ollama: a multi-actor conversation completes, its result holds the messages, the calls carry each actor's prompt")
        func ollamaConversation() async throws {
            let standIn = try LLMStandIn(delayMilliseconds: 5)
            defer { standIn.stop() }
            let (database, connection) = try await WorkerFixture.database()
            try await WorkerFixture.seed(connection, workflow: 31, count: 2, payloadSQL: Self.conversation)
            let (status, child) = try await WorkerFixture.runWorker(
                ["--handler", "ollama", "--ollama-url", standIn.baseURL.absoluteString, "--exit-when-idle", "--workflow", "31",
                 "--workers", "2", "--worker-id", "llm"], url: database.url)
            defer { WorkerFixture.cleanUp(child) }
            #expect(status == 0, "stderr: \(child.standardError.suffix(1500))")
            try await WorkerFixture.expectEachCompletedOnce(connection, workflow: 31, count: 2)

            let row = try #require(try await connection.query(
                "SELECT result::text FROM turing.tasks WHERE workflow_id = 31 ORDER BY id LIMIT 1").first)
            let result = try #require(
                try JSONSerialization.jsonObject(with: Data(try row.decode(0, as: String.self).utf8)) as? [String: Any])
            let messages = try #require(result["messages"] as? [[String: Any]])
            #expect(messages.map { $0["actor"] as? String } == ["alice", "bob", "alice", "bob"])
            #expect(messages.map { $0["turn"] as? Int } == [1, 2, 3, 4])
            #expect((messages[0]["content"] as? String)?.hasPrefix("model-a answers") == true)
            #expect((messages[1]["content"] as? String)?.hasPrefix("model-b answers") == true)
            #expect((result["eval_count"] as? Int ?? 0) > 0)

            // Eight calls in all (two tasks, four turns each); one task's calls in order show the conversation so far.
            let requests = try await standIn.requests()
            #expect(requests.count == 8)
            let firstLine = try #require(messages[0]["content"] as? String)
            let secondTurn = try #require(requests.first { request in
                let sent = request["messages"] as? [[String: Any]] ?? []
                return request["model"] as? String == "model-b" && sent.count == 3
            })
            let sent = try #require(secondTurn["messages"] as? [[String: String]])
            #expect(sent == [
                ["role": "system", "content": "You are Bob."],
                ["role": "user", "content": "Shall we talk about queues?"],
                ["role": "user", "content": "alice: \(firstLine)"],
            ])
            #expect(secondTurn["stream"] as? Bool == false)
            await connection.close()
        }

        @Test("ollama: a stand-in failing every request fails the task with the reason stored, and it is retried")
        func ollamaFailuresAreRetried() async throws {
            let standIn = try LLMStandIn(delayMilliseconds: 1, arguments: ["--fail-rate", "1"])
            defer { standIn.stop() }
            let (database, connection) = try await WorkerFixture.database()
            try await WorkerFixture.seed(
                connection, workflow: 32, count: 1,
                payloadSQL: #"'{"model": "m", "messages": [{"role": "user", "content": "hi"}]}'::jsonb"#)
            let worker = try WorkerFixture.worker(
                ["--handler", "ollama", "--ollama-url", standIn.baseURL.absoluteString, "--workflow", "32", "--worker-id", "llm-fail"],
                url: database.url)
            defer { WorkerFixture.cleanUp(worker) }

            // First failure: back to pending with a backoff and the reason.
            let failedOnce = try await WorkerFixture.eventually {
                try await WorkerFixture.int(
                    connection, "SELECT count(*) FROM turing.tasks WHERE attempts >= 1 AND error IS NOT NULL") == 1
            }
            try #require(failedOnce, "stderr: \(worker.standardError.suffix(1500))")
            let error = try #require(try await connection.query("SELECT error FROM turing.tasks").first).decode(0, as: String.self)
            #expect(error.contains("500"), "error: \(error)")
            #expect(error.contains("stand-in failure"), "error: \(error)")
            #expect(error.contains("127.0.0.1:\(standIn.port)"), "error: \(error)")

            // Retried after the backoff: attempts grow, the task never completes, nothing is marked failed for good.
            // (attempts grows when the task is claimed again, before the stand-in has answered: wait for both.)
            let retried = try await WorkerFixture.eventually(within: .seconds(60)) {
                let attempts = try await WorkerFixture.int(connection, "SELECT max(attempts) FROM turing.tasks")
                let failures = try await standIn.counter("failed")
                return attempts >= 2 && failures >= 2
            }
            #expect(retried)
            worker.send(SIGTERM)
            #expect(await WorkerFixture.exit(of: worker, within: .seconds(60)) == 0)
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM turing.tasks WHERE status IN ('pending', 'failed') AND result IS NULL") == 1)
            #expect(try await WorkerFixture.int(connection, "SELECT count(*) FROM turing_test.completions") == 0)
            await connection.close()
        }

        @Test("ollama: a refused connection fails the task with a reason that names the server; the worker goes on")
        func ollamaConnectionRefused() async throws {
            let (database, connection) = try await WorkerFixture.database()
            try await WorkerFixture.seed(
                connection, workflow: 33, count: 3,
                payloadSQL: #"'{"model": "m", "messages": [{"role": "user", "content": "hi"}]}'::jsonb"#)
            try await connection.query("UPDATE turing.tasks SET max_attempts = 1")
            let (status, child) = try await WorkerFixture.runWorker(
                ["--handler", "ollama", "--ollama-url", "http://127.0.0.1:1", "--exit-when-idle", "--workflow", "33",
                 "--worker-id", "llm-refused"], url: database.url)
            defer { WorkerFixture.cleanUp(child) }
            #expect(status == 0, "stderr: \(child.standardError.suffix(1500))")
            let errors = try await connection.query("SELECT status, error FROM turing.tasks ORDER BY id")
                .map { (try $0.decode(0, as: String.self), try $0.decode(1, as: String.self)) }
            #expect(errors.count == 3)
            for (status, error) in errors {
                #expect(status == "failed")
                #expect(error.contains("cannot connect") && error.contains("127.0.0.1:1"), "error: \(error)")
            }
            await connection.close()
        }

        @Test("ollama: a server that never answers fails the task after --task-timeout, with the reason; the request is dropped")
        func ollamaHangTimesOut() async throws {
            let standIn = try LLMStandIn(delayMilliseconds: 1, arguments: ["--hang-rate", "1"])
            defer { standIn.stop() }
            let (database, connection) = try await WorkerFixture.database()
            try await WorkerFixture.seed(
                connection, workflow: 34, count: 2,
                payloadSQL: #"'{"model": "m", "messages": [{"role": "user", "content": "hi"}]}'::jsonb"#)
            try await connection.query("UPDATE turing.tasks SET max_attempts = 1")
            let (status, child) = try await WorkerFixture.runWorker(
                ["--handler", "ollama", "--ollama-url", standIn.baseURL.absoluteString, "--task-timeout", "1", "--exit-when-idle",
                 "--workflow", "34", "--worker-id", "llm-hang"], url: database.url)
            defer { WorkerFixture.cleanUp(child) }
            #expect(status == 0, "stderr: \(child.standardError.suffix(1500))")
            let rows = try await connection.query("SELECT status, error FROM turing.tasks ORDER BY id")
                .map { (try $0.decode(0, as: String.self), try $0.decode(1, as: String?.self) ?? "") }
            #expect(rows.count == 2)
            for (status, error) in rows {
                #expect(status == "failed")
                #expect(error.contains("no answer within"), "error: \(error)")
            }
            #expect(try await standIn.counter("hung") == 2)
            // The abandoned requests are closed by the worker, so the stand-in stops waiting on them.
            #expect(try await WorkerFixture.eventually(within: .seconds(30)) { try await standIn.counter("hung_released") == 2 })
            await connection.close()
        }

        @Test("exec: a command that never exits is killed after --task-timeout and the task fails; the worker carries on")
        func execTimeout() async throws {
            let (database, connection) = try await WorkerFixture.database()
            try await WorkerFixture.seed(connection, workflow: 43, count: 1, payloadSQL: "jsonb_build_object('hang', true)")
            try await WorkerFixture.seed(connection, workflow: 43, count: 2, payloadSQL: "jsonb_build_object('hang', false)")
            try await connection.query("UPDATE turing.tasks SET max_attempts = 1")
            // Reads the task from stdin: a task whose payload says "hang": true sleeps for ten minutes.
            let command = #"/bin/sh -c 'grep -q true && exec sleep 600; echo "{\"ok\": 1}"'"#
            let (status, child) = try await WorkerFixture.runWorker(
                ["--handler", "exec", "--exec", command,
                 "--task-timeout", "1", "--exit-when-idle", "--workflow", "43", "--workers", "3", "--worker-id", "exec-hang"],
                url: database.url)
            defer { WorkerFixture.cleanUp(child) }
            #expect(status == 0, "stderr: \(child.standardError.suffix(1500))")
            let rows = try await connection.query("SELECT payload->>'hang', status, coalesce(error, ''), coalesce(result::text, '') FROM turing.tasks ORDER BY id")
                .map { (try $0.decode(0, as: String.self), try $0.decode(1, as: String.self), try $0.decode(2, as: String.self), try $0.decode(3, as: String.self)) }
            #expect(rows.count == 3)
            for (hang, status, error, result) in rows {
                if hang == "true" {
                    #expect(status == "failed")
                    #expect(error.contains("no exit within"), "error: \(error)")
                } else {
                    #expect(status == "completed")
                    #expect(result == #"{"ok": 1}"#)
                }
            }
            await connection.close()
        }

        @Test("exec: stdin gets the task as JSON, stdout's JSON is the result")
        func execRoundTrip() async throws {
            let (database, connection) = try await WorkerFixture.database()
            try await WorkerFixture.seed(
                connection, workflow: 41, count: 5, payloadSQL: "jsonb_build_object('n', g, 'text', 'it''s \"quoted\" ü')")
            let script = "import json,sys; t=json.load(sys.stdin); print(json.dumps({'seen': t, 'double': t['payload']['n'] * 2}))"
            let (status, child) = try await WorkerFixture.runWorker(
                ["--handler", "exec", "--exec", "python3 -c \"\(script)\"", "--exit-when-idle", "--workflow", "41", "--workers", "3",
                 "--worker-id", "exec-ok"], url: database.url)
            defer { WorkerFixture.cleanUp(child) }
            #expect(status == 0, "stderr: \(child.standardError.suffix(1500))")
            try await WorkerFixture.expectEachCompletedOnce(connection, workflow: 41, count: 5)
            #expect(try await WorkerFixture.int(
                connection,
                """
                SELECT count(*) FROM turing.tasks
                WHERE result->'seen'->'payload' = payload AND (result->'seen'->>'task_id')::bigint = id
                  AND (result->'seen'->>'workflow_id')::bigint = workflow_id AND (result->'seen'->>'attempt')::int = 1
                  AND (result->>'double')::int = 2 * (payload->>'n')::int
                """) == 5)
            await connection.close()
        }

        @Test("exec: a non-zero exit fails the task with the tail of stderr")
        func execFailureKeepsStderrTail() async throws {
            let (database, connection) = try await WorkerFixture.database()
            try await WorkerFixture.seed(connection, workflow: 42, count: 2)
            try await connection.query("UPDATE turing.tasks SET max_attempts = 1")
            // A marker, 5 KB of noise, then the real reason on stderr; exit 3.
            let script = "cat >/dev/null; echo EARLY-MARKER >&2; yes x | head -c 5000 >&2; echo boom: the job broke >&2; exit 3"
            let (status, child) = try await WorkerFixture.runWorker(
                ["--handler", "exec", "--exec", "/bin/sh -c '\(script)'",
                 "--exit-when-idle", "--workflow", "42", "--worker-id", "exec-fail"], url: database.url)
            defer { WorkerFixture.cleanUp(child) }
            #expect(status == 0, "stderr: \(child.standardError.suffix(1500))")
            let rows = try await connection.query("SELECT status, error FROM turing.tasks ORDER BY id")
                .map { (try $0.decode(0, as: String.self), try $0.decode(1, as: String.self)) }
            #expect(rows.count == 2)
            for (status, error) in rows {
                #expect(status == "failed")
                #expect(error.contains("status 3"), "error: \(error.prefix(300))")
                #expect(error.hasSuffix("boom: the job broke"), "error: \(error.suffix(300))")
                #expect(!error.contains("EARLY-MARKER"), "the error should keep only stderr's tail")
            }
            #expect(try await WorkerFixture.int(connection, "SELECT count(*) FROM turing_test.completions") == 0)
            await connection.close()
        }
    }
}
