import Foundation
import TuringCore

/// Runs one task's handler and turns whatever happens into a `TaskOutcome`; never throws, so one task's
/// failure never touches the others.
enum TaskExecution {
    static func run(_ task: ClaimedTask, handler: any TaskHandler, context: TaskContext) async -> TaskOutcome {
        do {
            let result = try await handler.run(task, context: context)
            if Task.isCancelled { return .cancelled(task) }
            // One value jsonb refuses would fail the whole batch write it goes out in: refuse it here, alone.
            guard JSONText.isValid(result) else {
                return .failed(
                    task,
                    reason: "handler returned a result that is not JSON as jsonb reads it (no \\u0000, no unpaired surrogates): "
                        + result.prefix(200))
            }
            return .succeeded(task, result: result)
        } catch {
            if Task.isCancelled || error is CancellationError { return .cancelled(task) }
            return .failed(task, reason: describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let failure = error as? TaskFailure { return failure.reason }
        return String(describing: error)
    }
}
