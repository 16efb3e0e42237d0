import Foundation

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

    struct Payload: Decodable, Equatable {
        var simulateMilliseconds: Int?
        var fail: Bool?

        enum CodingKeys: String, CodingKey {
            case simulateMilliseconds = "simulate_ms"
            case fail
        }
    }

    /// One day: more is surely a mistake.
    static let maximumMilliseconds = 86_400_000

    static func parse(_ text: String) throws -> Payload {
        let payload: Payload?
        do {
            payload = try JSONDecoder().decode(Payload?.self, from: Data(text.utf8))
        } catch {
            throw TaskFailure("payload: expected {\"simulate_ms\": integer ≥ 0, \"fail\": boolean}, both optional")
        }
        let result = payload ?? Payload()
        if let ms = result.simulateMilliseconds, ms < 0 || ms > maximumMilliseconds {
            throw TaskFailure("payload: simulate_ms must be between 0 and \(maximumMilliseconds), got \(ms)")
        }
        return result
    }
}
