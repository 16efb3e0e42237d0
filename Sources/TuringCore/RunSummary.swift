/// What a worker run achieved, for the final report on stderr.
public struct RunSummary: Sendable, Hashable, CustomStringConvertible {
    public let completed: Int
    public let failed: Int
    /// Tasks whose lease was lost to another worker before they finished here.
    public let leasesLost: Int
    /// Unstarted claims handed back at shutdown.
    public let released: Int
    public let wallSeconds: Double
    public let workers: Int

    public init(completed: Int, failed: Int, leasesLost: Int = 0, released: Int = 0, wallSeconds: Double, workers: Int) {
        self.completed = completed
        self.failed = failed
        self.leasesLost = leasesLost
        self.released = released
        self.wallSeconds = wallSeconds
        self.workers = workers
    }

    /// Tasks finished here, whether completed or failed.
    public var done: Int { completed + failed }

    /// Wall time divided by tasks done: what one task effectively cost with the parallelism achieved; nil when none was done.
    public var effectiveSecondsPerTask: Double? {
        done > 0 && wallSeconds.isFinite ? max(wallSeconds, 0) / Double(done) : nil
    }

    /// One paragraph: "Done: 50 tasks (48 completed, 2 failed) in 5m 03s with 4 workers, 6.1 s per task effective."
    public var text: String {
        let tasks = done == 1 ? "1 task" : "\(done) tasks"
        let workerText = workers == 1 ? "1 worker" : "\(workers) workers"
        var text = "Done: \(tasks) (\(completed) completed, \(failed) failed) in \(ProgressFormatter.duration(wallSeconds)) with \(workerText)"
        if let perTask = effectiveSecondsPerTask {
            let places = perTask < 10 ? 2 : 1
            text += ", \(ProgressFormatter.decimal(perTask, places: places)) s per task effective"
        }
        var extras: [String] = []
        if leasesLost > 0 { extras.append("\(leasesLost) lost to other workers when their lease expired") }
        if released > 0 { extras.append("\(released) unstarted released") }
        if !extras.isEmpty { text += "; " + extras.joined(separator: ", ") }
        return text + "."
    }

    public var description: String { text }
}
