import Foundation
import Testing
@testable import Turing

@Suite("ExecHandler")
struct ExecHandlerTests {
    static func task(_ payload: String = #"{"n": 1}"#, checkpoint: String? = nil) -> ClaimedTask {
        ClaimedTask(taskID: 31, workflowID: 1124, leaseToken: UUID(), attempt: 2, payload: payload, checkpoint: checkpoint)
    }

    static func sh(_ script: String, _ arguments: String..., timeout: Duration? = nil, maxOutputBytes: Int = 16 << 20) -> ExecHandler {
        ExecHandler(command: ["/bin/sh", "-c", script] + arguments, timeout: timeout, maxOutputBytes: maxOutputBytes)
    }

    /// Runs the handler and returns its `TaskFailure` (nil, and an issue recorded, when it does not throw one).
    static func failure(_ handler: ExecHandler, _ task: ClaimedTask = task()) async -> TaskFailure? {
        do {
            let result = try await handler.run(task, context: TaskContext())
            Issue.record("expected a failure, got \(result)")
        } catch let failure as TaskFailure {
            return failure
        } catch {
            Issue.record("expected a TaskFailure, got \(error)")
        }
        return nil
    }

    /// Whether `pid` is a live process (not gone, not a zombie waiting for its parent).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    /// A fresh file path, and a wait for the pids a script writes there (one per line).
    static func pidFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("turing-exec-\(UUID().uuidString).pids").path
    }

    static func waitForPids(_ path: String, count: Int) async throws -> [Int32] {
        for _ in 0..<400 {
            let pids = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
            if pids.count >= count { return pids }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("the child never wrote its pids to \(path)")
        return []
    }

    @Test("stdin gets the task as JSON; stdout's JSON is the result (bare command name looked up on PATH)")
    func taskOnStdin() async throws {
        let payload = #"{"prompt": "h\u00e9llo \"quoted\" \\ back", "list": [1, 2.5, null]}"#
        let result = try await ExecHandler(command: ["cat"]).run(Self.task(payload, checkpoint: #"{"step": 3}"#), context: TaskContext())
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.utf8)) as? [String: Any])
        #expect(object["task_id"] as? Int == 31)
        #expect(object["workflow_id"] as? Int == 1124)
        #expect(object["attempt"] as? Int == 2)
        let sent = try #require(object["payload"] as? [String: Any])
        #expect(sent["prompt"] as? String == "héllo \"quoted\" \\ back")
        #expect((object["checkpoint"] as? [String: Any])?["step"] as? Int == 3)

        let plain = try await Self.sh("cat").run(Self.task(), context: TaskContext())
        #expect(plain == #"{"task_id":31,"workflow_id":1124,"attempt":2,"payload":{"n": 1},"checkpoint":null}"#)
    }

    @Test("any JSON value on stdout is the result, trimmed")
    func anyJSONValue() async throws {
        #expect(try await Self.sh("echo '  [1, {\"a\": true}] '; echo").run(Self.task(), context: TaskContext()) == #"[1, {"a": true}]"#)
        #expect(try await Self.sh("echo 42").run(Self.task(), context: TaskContext()) == "42")
    }

    @Test("a non-zero exit fails the task with the exit status and stderr")
    func nonZeroExit() async throws {
        let failure = try #require(await Self.failure(Self.sh("echo first >&2; echo '{}'; echo last words >&2; exit 3")))
        #expect(failure.reason == "exec: exited with status 3: first\nlast words")
    }

    @Test("only the last 2 KB of stderr are kept")
    func stderrTail() async throws {
        let script = #"i=0; while [ $i -lt 2000 ]; do echo "noise line $i" >&2; i=$((i+1)); done; echo THE END >&2; exit 1"#
        let failure = try #require(await Self.failure(Self.sh(script)))
        #expect(failure.reason.hasPrefix("exec: exited with status 1: "))
        #expect(failure.reason.hasSuffix("noise line 1999\nTHE END"))
        #expect(!failure.reason.contains("noise line 0\n"))
        #expect(failure.reason.utf8.count <= 2048 + "exec: exited with status 1: ".utf8.count)
    }

    @Test("stdout that is not JSON fails the task")
    func notJSON() async throws {
        #expect(await Self.failure(Self.sh("printf 'hello world'"))?.reason == "exec: stdout is not JSON: hello world")
        #expect(await Self.failure(Self.sh("true"))?.reason == "exec: stdout is not JSON: (empty)")
        let long = try #require(await Self.failure(Self.sh("head -c 5000 /dev/zero | tr '\\0' x")))
        #expect(long.reason == "exec: stdout is not JSON: " + String(repeating: "x", count: 200))
    }

    @Test("death by a signal is named")
    func killedBySignal() async throws {
        let failure = try #require(await Self.failure(Self.sh("echo dying >&2; kill -9 $$")))
        #expect(failure.reason == "exec: killed by signal 9 (SIGKILL): dying")
    }

    @Test("a command that cannot be run fails the task")
    func missingCommand() async throws {
        let failure = try #require(await Self.failure(ExecHandler(command: ["turing-no-such-command-xyz", "arg"])))
        #expect(failure.reason.hasPrefix("exec: cannot run turing-no-such-command-xyz: "))
    }

    @Test("50 MB on stdout fails cleanly at the cap (the default, 16 MB)")
    func outputCap() async throws {
        let failure = try #require(await Self.failure(Self.sh("head -c 52428800 /dev/zero")))
        #expect(failure.reason == "exec: output exceeded \(16 << 20) bytes; killed")
        let small = try #require(await Self.failure(Self.sh("head -c 52428800 /dev/zero", maxOutputBytes: 1000)))
        #expect(small.reason == "exec: output exceeded 1000 bytes; killed")
    }

    @Test("a child that does not read a large stdin still succeeds (no SIGPIPE)")
    func unreadStdin() async throws {
        let payload = #"{"blob": ""# + String(repeating: "z", count: 4 << 20) + #""}"#
        #expect(try await Self.sh("echo 7").run(Self.task(payload), context: TaskContext()) == "7")
    }

    @Test("a never-exiting child is killed and reaped when the Swift task is cancelled")
    func cancellationKills() async throws {
        let pids = Self.pidFile()
        defer { try? FileManager.default.removeItem(atPath: pids) }
        let handler = Self.sh(#"echo $$ > "$0"; sleep 1000 & echo $! >> "$0"; wait"#, pids)
        let running = Task { try await handler.run(Self.task(), context: TaskContext()) }
        let children = try await Self.waitForPids(pids, count: 2)
        try #require(children.count == 2)
        #expect(Self.isAlive(children[0]) && Self.isAlive(children[1]))
        running.cancel()
        let result = await running.result
        #expect(throws: CancellationError.self) { try result.get() }
        let reaped = kill(children[0], 0) == -1 && errno == ESRCH
        #expect(reaped)  // killed and reaped: no zombie left behind
        for _ in 0..<100 where Self.isAlive(children[1]) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!Self.isAlive(children[1]))  // the grandchild, in the same process group, too
    }

    @Test("the timeout kills a child that ignores SIGTERM (SIGKILL after the grace)")
    func timeoutKills() async throws {
        let pids = Self.pidFile()
        defer { try? FileManager.default.removeItem(atPath: pids) }
        let handler = Self.sh(#"trap '' TERM; echo $$ > "$0"; while :; do sleep 1; done"#, pids, timeout: .milliseconds(300))
        let failure = try #require(await Self.failure(handler))
        #expect(failure.reason == "exec: no exit within 300ms; killed")
        let children = try await Self.waitForPids(pids, count: 1)
        let child = try #require(children.first)
        let reaped = kill(child, 0) == -1 && errno == ESRCH
        #expect(reaped)
    }

    @Test("processes a command leaves behind are killed, and do not hold the task up")
    func leftoversKilled() async throws {
        let pids = Self.pidFile()
        defer { try? FileManager.default.removeItem(atPath: pids) }
        let result = try await Self.sh(#"sleep 1000 & echo $! > "$0"; echo '{"done": true}'"#, pids).run(Self.task(), context: TaskContext())
        #expect(result == #"{"done": true}"#)
        let leftover = try #require(try await Self.waitForPids(pids, count: 1).first)
        for _ in 0..<100 where Self.isAlive(leftover) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!Self.isAlive(leftover))
    }

    @Test("the child inherits no descriptor of ours beyond 0, 1 and 2")
    func noInheritedDescriptors() async throws {
        let fd = open("/dev/null", O_RDONLY)  // deliberately without O_CLOEXEC
        try #require(fd >= 3)
        defer { close(fd) }
        let script = "if [ -e /proc/self/fd/\(fd) ]; then echo '\"leaked\"'; else echo '\"clean\"'; fi"
        #expect(try await Self.sh(script).run(Self.task(), context: TaskContext()) == #""clean""#)
    }

    @Test("concurrent commands each get their own input and output")
    func concurrentCommands() async throws {
        let results = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<8 {
                group.addTask {
                    (index, try await ExecHandler(command: ["cat"]).run(Self.task(#"{"index": \#(index)}"#), context: TaskContext()))
                }
            }
            return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
        }
        for index in 0..<8 {
            #expect(results[index]?.contains(#""payload":{"index": \#(index)}"#) == true)
        }
    }
}
