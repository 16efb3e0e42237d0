import Logging

/// One round trip of the parallel loop on one of its two work connections: writes finished tasks' outcomes and,
/// when asked, claims more in the same statement (failures go first, one `fail_task` each). The loop keeps one
/// exchange in flight per connection, so claims and writes run on two backends at once, and each turn's results
/// ride along with its next claim.
struct TaskExchange: Sendable {
    /// What one exchange did. `unwritten` is what is left to write when the database failed part-way; a failed
    /// statement claimed nothing (it is one transaction).
    struct Report: Sendable {
        /// Which of the loop's connections ran it.
        var lane: Int
        var succeeded = 0
        var failed = 0
        var leasesLost = 0
        var unwritten: [TaskOutcome] = []
        /// Claimed tasks, in claim order; nil when no claim was asked for or the statement failed.
        var claimed: [ClaimedTask]?
        var error: (any Error)?
    }

    let lane: Int
    let store: TaskStore
    let logger: Logger

    func run(_ outcomes: [TaskOutcome], claim request: TaskStore.ClaimRequest?) async -> Report {
        var report = Report(lane: lane)
        var remaining = outcomes
        do {
            while let index = remaining.firstIndex(where: { if case .failed = $0 { true } else { false } }) {
                guard case .failed(let task, let reason) = remaining[index] else { break }
                switch try await store.fail(task, error: reason) {
                case .retrying?:
                    logger.warning("task \(task.taskID) failed (attempt \(task.attempt)), will retry: \(reason)")
                    report.failed += 1
                case .failed?:
                    logger.error("task \(task.taskID) failed for good after attempt \(task.attempt): \(reason)")
                    report.failed += 1
                case nil:
                    logger.warning("task \(task.taskID) failed, but its lease had passed to another worker")
                    report.leasesLost += 1
                }
                remaining.remove(at: index)
            }
            let completions = remaining.compactMap { outcome -> TaskStore.Completion? in
                guard case .succeeded(let task, let result) = outcome else { return nil }
                return TaskStore.Completion(taskID: task.taskID, leaseToken: task.leaseToken, result: result)
            }
            let recorded: Set<Int64>
            if let request, completions.isEmpty {
                recorded = []
                report.claimed = try await store.claim(request)
            } else if let request {
                (recorded, report.claimed) = try await store.completeAndClaim(completions, request)
            } else {
                recorded = try await store.complete(completions)
            }
            let lost = completions.count - recorded.count
            if lost > 0 {
                logger.warning("\(lost) results discarded: their leases had passed to another worker")
            }
            report.succeeded += recorded.count
            report.leasesLost += lost
            remaining.removeAll()
        } catch {
            report.error = error
        }
        report.unwritten = remaining
        return report
    }
}
