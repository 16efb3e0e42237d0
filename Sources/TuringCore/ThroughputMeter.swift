import Foundation

/// Tasks finished per second over a sliding window, from samples of a running "finished" counter.
///
/// Record samples on one time base (seconds from any origin, or dates). A counter that goes down or time that goes
/// back starts the measurement over.
public struct ThroughputMeter: Sendable {
    private struct Sample: Sendable {
        let seconds: Double
        let finishedCount: Int
    }

    /// How far back samples count, in seconds.
    public let windowSeconds: Double
    private var samples: [Sample] = []
    private var firstKept = 0

    public init(windowSeconds: Double = 60) {
        self.windowSeconds = windowSeconds.isFinite && windowSeconds > 0 ? windowSeconds : 60
    }

    /// Records that `finishedCount` tasks had finished at `seconds` (any fixed origin).
    public mutating func record(at seconds: Double, finishedCount: Int) {
        guard seconds.isFinite else { return }
        if let last = samples.last, seconds < last.seconds || finishedCount < last.finishedCount {
            samples.removeAll()
            firstKept = 0
        }
        samples.append(Sample(seconds: seconds, finishedCount: finishedCount))
        while firstKept < samples.count - 1, samples[firstKept].seconds < seconds - windowSeconds { firstKept += 1 }
        if firstKept > 64, firstKept * 2 > samples.count {
            samples.removeFirst(firstKept)
            firstKept = 0
        }
    }

    /// Records that `finishedCount` tasks had finished at `date`.
    public mutating func record(at date: Date, finishedCount: Int) {
        record(at: date.timeIntervalSinceReferenceDate, finishedCount: finishedCount)
    }

    /// Tasks per second over the window; nil until two samples some time apart exist.
    public var tasksPerSecond: Double? {
        guard let last = samples.last, firstKept < samples.count - 1 else { return nil }
        let first = samples[firstKept]
        let elapsed = last.seconds - first.seconds
        guard elapsed > 0 else { return nil }
        return Double(last.finishedCount - first.finishedCount) / elapsed
    }

    /// Tasks per minute over the window; nil while `tasksPerSecond` is.
    public var tasksPerMinute: Double? { tasksPerSecond.map { $0 * 60 } }

    /// How long `remaining` tasks take at the current rate: zero when none remain, nil while there is no rate
    /// or nothing finished in the window.
    public func eta(remaining: Int) -> Duration? {
        if remaining <= 0 { return .zero }
        guard let rate = tasksPerSecond, rate > 0 else { return nil }
        let seconds = Double(remaining) / rate
        guard seconds.isFinite, seconds < 1e12 else { return nil }
        return .seconds(seconds)
    }
}
