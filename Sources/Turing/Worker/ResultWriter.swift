import Logging

/// Writes finished tasks' outcomes on a connection of its own, so that one write overlaps the loop's next claim:
/// successes in one `complete_tasks`, failures one `fail_task` each. Whatever finished while a write was in
/// flight goes out together in the next one.
struct ResultWriter: Sendable {
    /// What one write did. `unwritten` is what is left to write when the database failed part-way.
    struct Report: Sendable {
        var succeeded = 0
        var failed = 0
        var leasesLost = 0
        var unwritten: [TaskOutcome] = []
        var error: (any Error)?
    }

    let store: TaskStore
    let logger: Logger

    func write(_ outcomes: [TaskOutcome]) async -> Report {
        var report = Report()
        var remaining = outcomes
        let completions = outcomes.compactMap { outcome -> TaskStore.Completion? in
            guard case .succeeded(let task, let result) = outcome else { return nil }
            return TaskStore.Completion(taskID: task.taskID, leaseToken: task.leaseToken, result: result)
        }
        do {
            let recorded = try await store.complete(completions)
            let lost = completions.count - recorded.count
            if lost > 0 {
                logger.warning("\(lost) results discarded: their leases had passed to another worker")
            }
            report.succeeded += recorded.count
            report.leasesLost += lost
            remaining.removeAll { if case .succeeded = $0 { true } else { false } }
            while let outcome = remaining.first {
                guard case .failed(let task, let reason) = outcome else {
                    remaining.removeFirst()
                    continue
                }
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
                remaining.removeFirst()
            }
        } catch {
            report.error = error
        }
        report.unwritten = remaining
        return report
    }
}
