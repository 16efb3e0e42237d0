import Foundation
import TuringCore

/// The `exec` handler: runs a command per task, the task as JSON on its stdin, its stdout's JSON as the result.
///
/// - stdin: `{"task_id": …, "workflow_id": …, "attempt": …, "payload": <payload>, "checkpoint": <checkpoint or null>}`,
///   then closed.
/// - exit 0: stdout, trimmed, must be one JSON value (any kind); it is the task's result.
/// - anything else fails the task: a non-zero exit (with the last 2 KB of stderr), death by a signal (named),
///   stdout that is not JSON, more than `maxOutputBytes` on stdout, or no exit within `timeout`.
///
/// The command is spawned directly (no shell; a bare name is looked up on `PATH`) in a process group of its
/// own, with default signal dispositions and no file descriptor but 0, 1 and 2. A Swift task cancellation
/// (lost lease, forced shutdown), the timeout or the output cap sends SIGTERM to the whole group, then
/// SIGKILL 2 s later; when the command exits, whatever it left running in its group is killed too.
/// The child is always reaped and every pipe closed. All blocking I/O and waiting happens on a dedicated
/// thread per running command, never on Swift's cooperative pool.
public struct ExecHandler: TaskHandler {
    public let command: [String]
    public let timeout: Duration?
    public let maxOutputBytes: Int

    /// How much of stderr's end a failure quotes.
    static let stderrTailBytes = 2048

    public init(command: [String], timeout: Duration? = nil, maxOutputBytes: Int = 16 << 20) {
        self.command = command
        self.timeout = timeout
        self.maxOutputBytes = maxOutputBytes
    }

    public func run(_ task: ClaimedTask, context: TaskContext) async throws -> String {
        guard let executable = command.first, !executable.isEmpty else {
            throw TaskFailure("exec: no command given")
        }
        try Task.checkCancellation()
        let child = try ChildProcess.spawn(command)
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ChildProcess.Outcome, Never>) in
                child.start(
                    input: Array(Self.stdinJSON(for: task).utf8),
                    timeout: timeout,
                    maxOutputBytes: maxOutputBytes,
                    stderrTailBytes: Self.stderrTailBytes
                ) { continuation.resume(returning: $0) }
            }
        } onCancel: {
            child.terminate(.cancelled)
        }
        return try result(of: outcome)
    }

    /// The JSON written to the command's stdin. Payload and checkpoint are JSON already and are embedded as they are.
    static func stdinJSON(for task: ClaimedTask) -> String {
        func json(_ text: String?) -> String {
            guard let text, !text.allSatisfy(\.isWhitespace) else { return "null" }
            return text
        }
        return #"{"task_id":\#(task.taskID),"workflow_id":\#(task.workflowID),"attempt":\#(task.attempt),"#
            + #""payload":\#(json(task.payload)),"checkpoint":\#(json(task.checkpoint))}"#
    }

    func result(of outcome: ChildProcess.Outcome) throws -> String {
        switch outcome.termination {
        case .cancelled?:
            throw CancellationError()
        case .timeout?:
            throw TaskFailure("exec: no exit within \(HandlerSupport.describe(timeout ?? .zero)); killed")
        case .outputLimit?:
            throw TaskFailure("exec: output exceeded \(maxOutputBytes) bytes; killed")
        case nil:
            break
        }
        let stderrTail = Self.tail(outcome.stderrTail)
        let detail = stderrTail.isEmpty ? "" : ": " + stderrTail
        switch outcome.status {
        case .exited(0):
            break
        case .exited(let code):
            throw TaskFailure("exec: exited with status \(code)\(detail)")
        case .signalled(let signal):
            throw TaskFailure("exec: killed by signal \(signal) (\(ChildProcess.signalName(signal)))\(detail)")
        case .unknown:
            throw TaskFailure("exec: exit status unavailable (reaped elsewhere)\(detail)")
        }
        guard let text = String(bytes: outcome.stdout, encoding: .utf8) else {
            throw TaskFailure("exec: stdout is not JSON: not valid UTF-8")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard JSONText.isValid(trimmed) else {
            throw TaskFailure("exec: stdout is not JSON: \(trimmed.isEmpty ? "(empty)" : String(trimmed.prefix(200)))")
        }
        return trimmed
    }

    /// stderr's last bytes as text: decoded leniently, a cut-off first character dropped, trimmed.
    static func tail(_ bytes: [UInt8]) -> String {
        var text = String(decoding: bytes.suffix(stderrTailBytes), as: UTF8.self)
        while text.first == "\u{FFFD}" { text.removeFirst() }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
