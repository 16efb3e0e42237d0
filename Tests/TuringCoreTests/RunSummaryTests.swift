import Testing
@testable import TuringCore

@Suite("RunSummary")
struct RunSummaryTests {
    @Test("the summary gives tasks, failures, wall time and effective seconds per task")
    func text() {
        let summary = RunSummary(completed: 48, failed: 2, wallSeconds: 303, workers: 4)
        #expect(summary.done == 50)
        #expect(summary.effectiveSecondsPerTask == 6.06)
        #expect(summary.text == "Done: 50 tasks (48 completed, 2 failed) in 5m 03s with 4 workers, 6.06 s per task effective.")
        #expect(summary.description == summary.text)
    }

    @Test("lost leases and released claims are mentioned only when there were some; no tasks means no per-task figure")
    func extras() {
        let idle = RunSummary(completed: 0, failed: 0, wallSeconds: 12, workers: 1)
        #expect(idle.effectiveSecondsPerTask == nil)
        #expect(idle.text == "Done: 0 tasks (0 completed, 0 failed) in 12s with 1 worker.")
        let stopped = RunSummary(completed: 1, failed: 0, leasesLost: 1, released: 3, wallSeconds: 40, workers: 2)
        #expect(stopped.text.hasSuffix("; 1 lost to other workers when their lease expired, 3 unstarted released."))
        #expect(stopped.text.contains("1 task (1 completed"))
    }
}
