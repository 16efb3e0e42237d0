import Foundation

/// Runs one task's handler and turns whatever happens into a `TaskOutcome`; never throws, so one task's
/// failure never touches the others.
enum TaskExecution {
    static func run(_ task: ClaimedTask, handler: any TaskHandler, context: TaskContext) async -> TaskOutcome {
        do {
            let result = try await handler.run(task, context: context)
            if Task.isCancelled { return .cancelled(task) }
            guard isJSON(result) else {
                return .failed(task, reason: "handler returned a result that is not JSON: \(result.prefix(200))")
            }
            return .succeeded(task, result: result)
        } catch {
            if Task.isCancelled || error is CancellationError { return .cancelled(task) }
            return .failed(task, reason: describe(error))
        }
    }

    /// `jsonb` accepts any JSON value; checking here keeps one bad result from failing a whole batch write.
    static func isJSON(_ text: String) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
    }

    static func describe(_ error: any Error) -> String {
        if let failure = error as? TaskFailure { return failure.reason }
        return String(describing: error)
    }
}
