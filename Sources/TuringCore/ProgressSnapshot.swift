/// Task counts of a workflow (or of all workflows) at one moment.
public struct ProgressSnapshot: Sendable, Hashable {
    public let total: Int
    public let pending: Int
    public let running: Int
    public let completed: Int
    public let failed: Int

    public init(total: Int, pending: Int, running: Int, completed: Int, failed: Int) {
        self.total = total
        self.pending = pending
        self.running = running
        self.completed = completed
        self.failed = failed
    }

    /// Tasks that reached an end: completed or failed for good.
    public var done: Int { completed + failed }

    /// Tasks not done yet (never negative).
    public var remaining: Int { max(total - done, 0) }

    /// `done / total` in 0...1; 0 when there are no tasks.
    public var fractionDone: Double {
        guard total > 0 else { return 0 }
        return min(max(Double(done) / Double(total), 0), 1)
    }
}
