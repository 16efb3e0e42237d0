import Foundation
import TuringCore

/// The `simulate` handler, for demos and benchmarks: sleeps, then answers `{"simulated_ms": N}`.
///
/// Payload (an object; `null` or `{}` means all defaults):
/// - `simulate_ms`: how long to sleep, an integer from 0 to 86,400,000 (a day); without it, `defaultMilliseconds` (0 when that is `nil` too).
/// - `fail`: when `true`, the task fails with `"simulated failure"` after the sleep.
///
/// The sleep honours cancellation (the task then throws `CancellationError`).
public struct SimulateHandler: TaskHandler {
    public let defaultMilliseconds: Int?

    public init(defaultMilliseconds: Int?) {
        self.defaultMilliseconds = defaultMilliseconds
    }

    public func run(_ task: ClaimedTask, context: TaskContext) async throws -> String {
        let payload = try Self.parse(task.payload)
        let milliseconds = payload.simulateMilliseconds ?? max(defaultMilliseconds ?? 0, 0)
        if milliseconds > 0 {
            try await Task.sleep(for: .milliseconds(milliseconds))
        } else {
            try Task.checkCancellation()
        }
        if payload.fail == true {
            throw TaskFailure("simulated failure")
        }
        return #"{"simulated_ms": \#(milliseconds)}"#
    }

    struct Payload: Equatable {
        var simulateMilliseconds: Int?
        var fail: Bool?
    }

    /// One day: more is surely a mistake.
    static let maximumMilliseconds = 86_400_000

    /// Reads the payload with `JSONText` rather than `JSONDecoder`, which costs several times more: with no-op
    /// tasks (the overhead benchmark) this runs tens of thousands of times a second.
    static func parse(_ text: String) throws -> Payload {
        let shape = TaskFailure("payload: expected {\"simulate_ms\": integer ≥ 0, \"fail\": boolean}, both optional")
        let members: [String: JSONText.Value]
        switch JSONText.parse(text) {
        case .null?: members = [:]
        case .object(let object)?: members = object
        default: throw shape
        }
        var result = Payload()
        switch members["simulate_ms"] {
        case nil, .null?: break
        case let value?:
            guard let ms = value.integer else { throw shape }
            guard ms >= 0 && ms <= maximumMilliseconds else {
                throw TaskFailure("payload: simulate_ms must be between 0 and \(maximumMilliseconds), got \(ms)")
            }
            result.simulateMilliseconds = ms
        }
        switch members["fail"] {
        case nil, .null?: break
        case .bool(let flag)?: result.fail = flag
        default: throw shape
        }
        return result
    }
}
