import Foundation
import Testing
@testable import Turing

@Suite("SimulateHandler")
struct SimulateHandlerTests {
    static func task(_ payload: String) -> ClaimedTask {
        ClaimedTask(taskID: 7, workflowID: 1124, leaseToken: UUID(), attempt: 1, payload: payload)
    }

    @Test("sleeps simulate_ms and reports it")
    func sleepsRequestedTime() async throws {
        var result = ""
        let elapsed = try await ContinuousClock().measure {
            result = try await SimulateHandler(defaultMilliseconds: nil).run(Self.task(#"{"simulate_ms": 60}"#), context: TaskContext())
        }
        #expect(result == #"{"simulated_ms": 60}"#)
        #expect(elapsed >= .milliseconds(60))
    }

    @Test("the default applies when the payload has no simulate_ms; the payload wins otherwise")
    func defaultMilliseconds() async throws {
        let handler = SimulateHandler(defaultMilliseconds: 40)
        var result = ""
        let elapsed = try await ContinuousClock().measure {
            result = try await handler.run(Self.task(#"{"other": "field"}"#), context: TaskContext())
        }
        #expect(result == #"{"simulated_ms": 40}"#)
        #expect(elapsed >= .milliseconds(40))
        #expect(try await handler.run(Self.task(#"{"simulate_ms": 0}"#), context: TaskContext()) == #"{"simulated_ms": 0}"#)
        #expect(try await handler.run(Self.task("null"), context: TaskContext()) == #"{"simulated_ms": 40}"#)
    }

    @Test("no default and no simulate_ms: 0 ms")
    func zeroWithoutDefault() async throws {
        let result = try await SimulateHandler(defaultMilliseconds: nil).run(Self.task("{}"), context: TaskContext())
        #expect(result == #"{"simulated_ms": 0}"#)
    }

    @Test("fail: true fails the task with \"simulated failure\"")
    func failFlag() async throws {
        let handler = SimulateHandler(defaultMilliseconds: nil)
        await #expect(throws: TaskFailure("simulated failure")) {
            try await handler.run(Self.task(#"{"simulate_ms": 5, "fail": true}"#), context: TaskContext())
        }
        #expect(try await handler.run(Self.task(#"{"fail": false}"#), context: TaskContext()) == #"{"simulated_ms": 0}"#)
    }

    @Test("a bad simulate_ms is a payload failure", arguments: [#"{"simulate_ms": -1}"#, #"{"simulate_ms": "ten"}"#, #"{"simulate_ms": 1.5}"#, #"{"simulate_ms": 86400001}"#, "[1]"])
    func badPayload(_ payload: String) async throws {
        do {
            _ = try await SimulateHandler(defaultMilliseconds: 10).run(Self.task(payload), context: TaskContext())
            Issue.record("expected a failure for \(payload)")
        } catch let failure as TaskFailure {
            #expect(failure.reason.hasPrefix("payload: "))
        }
    }

    @Test("cancellation interrupts the sleep")
    func cancellation() async throws {
        let running = Task {
            try await SimulateHandler(defaultMilliseconds: nil).run(Self.task(#"{"simulate_ms": 600000}"#), context: TaskContext())
        }
        try await Task.sleep(for: .milliseconds(50))
        running.cancel()
        let result = await running.result
        #expect(throws: CancellationError.self) { try result.get() }
    }
}
