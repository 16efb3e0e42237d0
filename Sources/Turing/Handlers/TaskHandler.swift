import Foundation

/// A task handed to a handler: what `turing.claim_tasks` returned for it.
public struct ClaimedTask: Sendable, Hashable {
    public let taskID: Int64
    public let workflowID: Int64
    /// The fencing token of this claim: every write about the task carries it.
    public let leaseToken: UUID
    /// 1 on the first run, 2 on the first retry, and so on.
    public let attempt: Int
    /// The task's `payload` as JSON text.
    public let payload: String
    /// The last checkpoint saved for this task (JSON text), when a previous attempt saved one.
    public let checkpoint: String?

    public init(taskID: Int64, workflowID: Int64, leaseToken: UUID, attempt: Int, payload: String, checkpoint: String? = nil) {
        self.taskID = taskID
        self.workflowID = workflowID
        self.leaseToken = leaseToken
        self.attempt = attempt
        self.payload = payload
        self.checkpoint = checkpoint
    }
}

/// What a handler may do besides returning a result.
public struct TaskContext: Sendable {
    /// Saves progress (JSON text) so that a retry can resume instead of starting over.
    /// Throws when the lease was lost: the handler should stop.
    public let saveCheckpoint: @Sendable (String) async throws -> Void

    public init(saveCheckpoint: @escaping @Sendable (String) async throws -> Void = { _ in }) {
        self.saveCheckpoint = saveCheckpoint
    }
}

/// A task failed for a reason worth storing in `turing.tasks.error`; the task is retried while attempts remain.
public struct TaskFailure: Error, Sendable, CustomStringConvertible, Equatable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Runs one task. Return the result as JSON text; throw (ideally a `TaskFailure`) to fail it.
/// The worker cancels the calling Swift task when the lease is lost or on a forced shutdown:
/// handlers must honour cancellation (stop HTTP requests, kill child processes).
public protocol TaskHandler: Sendable {
    func run(_ task: ClaimedTask, context: TaskContext) async throws -> String
}
