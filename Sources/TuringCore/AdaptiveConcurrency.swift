/// `--workers auto`: how many tasks a worker process keeps in flight, chosen from what it measures.
///
/// The worker starts low and, after every measurement window, hands the window to `next(window:)`:
/// - **raise by 1** while a raise pays: the window after a raise finished meaningfully more tasks per second
///   (more than `gainThreshold`, 5 %) than the window before it, and latency grew by less than half as much as
///   the limit did (by Little's law the extra tasks went into throughput, not into a queue at the server);
/// - **keep one of headroom**: the first raise past the last limit that paid is kept even when it brought no such
///   gain. The extra task waits at the server, ready the moment a slot frees, so the server never idles while the
///   worker writes a result and sends the next request (for short tasks that gap is worth a few per cent);
/// - **take a raise back** when, beyond that, it brought no gain and the mean task latency climbed (by more than
///   `latencyThreshold`, 10 %): the extra task only queued;
/// - **back off multiplicatively** (× `backoffFactor`, 0.75, rounded, at least one lower, never below 1) when
///   latency climbs that much at an unchanged limit without a throughput gain: the server slowed down (other
///   processes share it). Should the back-off cost throughput that latency did not pay for, the next window
///   raises by 1 again (additive increase, multiplicative decrease);
/// - otherwise **hold**, and after `probeAfterWindows` steady windows probe one higher; each probe that had to be
///   taken back doubles that wait (up to `maximumProbeWait`), so a settled worker rarely leaves its best limit.
///
/// Windows in which the worker could not keep its limit in flight (not enough claimable work) or that saw too
/// few completions say nothing about the limit: they hold it and forget the comparison. The limit never
/// leaves `1...maximum`. Pure: no clock, no I/O; `Meter` turns what the worker observes into `Window`s.
public struct AdaptiveConcurrency: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// The limit to start from (clamped to `1...maximum`).
        public var initial: Int
        /// `--max-workers`: never more in flight than this.
        public var maximum: Int
        /// A throughput rise counts when above this fraction (0.05: 5 %).
        public var gainThreshold: Double = 0.05
        /// A latency climb counts when above this fraction (0.10: 10 %).
        public var latencyThreshold: Double = 0.10
        /// The multiplicative decrease.
        public var backoffFactor: Double = 0.75
        /// Windows with fewer completions are not compared.
        public var minimumCompletions: Int = 4
        /// A window counts when the worker kept at least this share of its limit in flight on average.
        public var minimumFullness: Double = 0.8
        /// Steady windows before probing one higher, at first.
        public var probeAfterWindows: Int = 3
        /// The most steady windows waited before a probe, however many probes failed.
        public var maximumProbeWait: Int = 12
        /// The shortest measurement window, in seconds.
        public var minimumWindowSeconds: Double = 2
        /// A window lasts at least this many mean task durations.
        public var windowTaskDurations: Double = 3

        public static let defaultInitial = 2
        public static let defaultMaximum = 32

        public init(initial: Int = defaultInitial, maximum: Int = defaultMaximum) {
            self.maximum = max(1, maximum)
            self.initial = min(max(1, initial), self.maximum)
        }

        /// How long a window lasts: `max(minimumWindowSeconds, windowTaskDurations × mean task seconds)`.
        public func windowSeconds(meanTaskSeconds: Double?) -> Double {
            guard let mean = meanTaskSeconds, mean.isFinite, mean > 0 else { return minimumWindowSeconds }
            return max(minimumWindowSeconds, windowTaskDurations * mean)
        }
    }

    /// What one measurement window saw.
    public struct Window: Sendable, Equatable {
        /// The in-flight limit in force during the window.
        public var limit: Int
        /// Tasks that completed successfully in the window.
        public var completed: Int
        /// The window's length in seconds.
        public var seconds: Double
        /// Mean seconds from start to completion of the tasks that completed in the window.
        public var meanLatencySeconds: Double
        /// Tasks in flight, averaged over the window's time.
        public var averageInFlight: Double

        public init(limit: Int, completed: Int, seconds: Double, meanLatencySeconds: Double, averageInFlight: Double) {
            self.limit = limit
            self.completed = completed
            self.seconds = seconds
            self.meanLatencySeconds = meanLatencySeconds
            self.averageInFlight = averageInFlight
        }

        /// Completed tasks per second; 0 for an empty window.
        public var throughput: Double { seconds > 0 ? Double(completed) / seconds : 0 }
    }

    /// What `next(window:)` chose, and why.
    public struct Decision: Sendable, Equatable {
        public enum Reason: Sendable, Equatable {
            /// The first comparable window: probe one higher.
            case firstMeasurement
            /// Throughput rose by `gain` (a fraction) since the window before.
            case throughputRose(gain: Double)
            /// Latency rose by `latencyRise` while throughput changed by only `gain`.
            case latencyRoseWithoutGain(gain: Double, latencyRise: Double)
            /// Throughput fell by `-gain` after the last back-off: it went too far.
            case throughputFellAfterBackoff(gain: Double)
            /// Steady for long enough: try one more.
            case probing
            /// The raise brought no gain, but it is the one task of headroom past the last limit that paid: kept.
            case headroom(gain: Double, latencyRise: Double)
            /// Nothing worth a change.
            case steady(gain: Double)
            /// At `--max-workers` already.
            case atMaximum
            /// The worker could not keep the limit in flight: not enough work to judge by.
            case notEnoughWork(averageInFlight: Double)
            /// Too few completions to judge by.
            case tooFewCompletions
        }

        public var from: Int
        public var to: Int
        public var reason: Reason
        /// The window's completed tasks per second.
        public var throughput: Double

        public init(from: Int, to: Int, reason: Reason, throughput: Double) {
            self.from = from
            self.to = to
            self.reason = reason
            self.throughput = throughput
        }

        public var changed: Bool { from != to }

        /// Worth an info line: a change, or settling on headroom.
        public var isNotable: Bool {
            if changed { return true }
            if case .headroom = reason { return true }
            return false
        }

        /// "4 → 5 (throughput 19.6/s, up 24 %)", "5 → 4 (throughput 39.1/s, up 1 %; latency up 25 %)", "4 (steady, …)".
        public var summary: String {
            let rate = "throughput \(Self.rate(throughput))/s"
            let detail: String
            switch reason {
            case .firstMeasurement: detail = "\(rate), first measurement"
            case .throughputRose(let gain): detail = "\(rate), \(Self.change(gain))"
            case .latencyRoseWithoutGain(let gain, let rise):
                detail = "\(rate), \(Self.change(gain)); latency \(Self.change(rise))"
            case .throughputFellAfterBackoff(let gain): detail = "\(rate), \(Self.change(gain)) after backing off"
            case .probing: detail = "\(rate), steady: probing one more"
            case .headroom(let gain, let rise):
                detail = "\(rate), \(Self.change(gain)); latency \(Self.change(rise)): one task of headroom, kept"
            case .steady(let gain): detail = "\(rate), \(Self.change(gain)): steady"
            case .atMaximum: detail = "\(rate), at --max-workers"
            case .notEnoughWork(let average):
                detail = "only \(Self.rate(average)) in flight on average: not enough work to judge"
            case .tooFewCompletions: detail = "too few completions to judge"
            }
            return (changed ? "\(from) → \(to)" : "\(to)") + " (\(detail))"
        }

        static func rate(_ value: Double) -> String {
            guard value.isFinite else { return "?" }
            let tenths = (value * 10).rounded()
            return "\(Int(tenths) / 10).\(abs(Int(tenths)) % 10)"
        }

        static func change(_ fraction: Double) -> String {
            guard fraction.isFinite else { return "unchanged" }
            let percent = Int((fraction * 100).rounded())
            return percent >= 0 ? "up \(percent) %" : "down \(-percent) %"
        }
    }

    public let configuration: Configuration
    /// Tasks to keep in flight now.
    public private(set) var limit: Int
    /// The last comparable window.
    private var previous: Window?
    private var steadyWindows = 0
    /// The last limit whose raise paid (throughput rose); one above it is kept as headroom. Forgotten on a back-off.
    private var lastPaidLimit: Int?
    private var probeWait: Int

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        limit = configuration.initial
        probeWait = configuration.probeAfterWindows
    }

    /// Judges a finished window (measured at `window.limit`, normally the current limit) and sets the next limit.
    public mutating func next(window: Window) -> Decision {
        let config = configuration
        let throughput = window.throughput
        func decide(_ to: Int, _ reason: Decision.Reason) -> Decision {
            let from = limit
            limit = min(max(1, to), config.maximum)
            if limit != from { steadyWindows = 0 }
            return Decision(from: from, to: limit, reason: reason, throughput: throughput)
        }
        func raise(_ reason: Decision.Reason) -> Decision {
            limit >= config.maximum ? decide(limit, .atMaximum) : decide(limit + 1, reason)
        }
        func steady(_ gain: Double) -> Decision {
            steadyWindows += 1
            if steadyWindows >= probeWait && limit < config.maximum { return raise(.probing) }
            return decide(limit, .steady(gain: gain))
        }

        guard window.completed >= config.minimumCompletions, window.seconds > 0,
              window.meanLatencySeconds.isFinite, window.meanLatencySeconds > 0
        else { return decide(limit, .tooFewCompletions) }
        guard window.averageInFlight >= config.minimumFullness * Double(window.limit) else {
            previous = nil
            return decide(limit, .notEnoughWork(averageInFlight: window.averageInFlight))
        }
        defer { previous = window }
        guard let previous, previous.throughput > 0 else { return raise(.firstMeasurement) }

        let gain = throughput / previous.throughput - 1
        let latencyRise = window.meanLatencySeconds / previous.meanLatencySeconds - 1
        // By Little's law, tasks added in flight show up as throughput or as latency. A change of the limit by
        // `limitChange` (a fraction) that moved latency by less than half as much went mostly into throughput.
        let limitChange = Double(window.limit) / Double(previous.limit) - 1

        if window.limit > previous.limit {
            // The last choice was a raise: keep raising while it pays; take it back when the extra tasks only queued.
            if gain > config.gainThreshold && latencyRise < limitChange / 2 {
                probeWait = config.probeAfterWindows
                lastPaidLimit = window.limit
                return raise(.throughputRose(gain: gain))
            }
            if previous.limit == lastPaidLimit {
                return decide(limit, .headroom(gain: gain, latencyRise: latencyRise))
            }
            if latencyRise > config.latencyThreshold {
                probeWait = min(probeWait * 2, config.maximumProbeWait)
                return decide(previous.limit, .latencyRoseWithoutGain(gain: gain, latencyRise: latencyRise))
            }
            return steady(gain)
        }
        if window.limit < previous.limit {
            // The last choice was a back-off: a loss of throughput that latency did not pay for means it went too far.
            if gain < -config.gainThreshold && latencyRise > limitChange / 2 {
                return raise(.throughputFellAfterBackoff(gain: gain))
            }
            return steady(gain)
        }
        // Same limit: the server slowed down (others share it): back off multiplicatively when only latency moved.
        if latencyRise > config.latencyThreshold && gain <= config.gainThreshold {
            let backoff = min(window.limit - 1, Int((Double(window.limit) * config.backoffFactor).rounded()))
            lastPaidLimit = nil
            return decide(backoff, .latencyRoseWithoutGain(gain: gain, latencyRise: latencyRise))
        }
        return steady(gain)
    }
}

extension AdaptiveConcurrency {
    /// Turns what a worker observes (tasks in flight over time, completions with their durations) into windows.
    /// Times are seconds on any one time base.
    public struct Meter: Sendable {
        private var windowStart: Double
        private var lastChange: Double
        private var inFlight = 0
        private var inFlightSeconds = 0.0
        private var completed = 0
        private var latencySum = 0.0
        /// The mean task duration seen in recent windows, which sizes the next ones.
        public private(set) var recentMeanTaskSeconds: Double?

        public init(at seconds: Double) {
            windowStart = seconds
            lastChange = seconds
        }

        /// Records the number of tasks in flight from `seconds` on.
        public mutating func record(inFlight count: Int, at seconds: Double) {
            let now = max(seconds, lastChange)
            inFlightSeconds += Double(inFlight) * (now - lastChange)
            lastChange = now
            inFlight = max(0, count)
        }

        /// Records a task that completed successfully after `durationSeconds`.
        public mutating func recordCompletion(durationSeconds: Double) {
            guard durationSeconds.isFinite, durationSeconds >= 0 else { return }
            completed += 1
            latencySum += durationSeconds
        }

        /// True once the window has lasted `configuration.windowSeconds(…)` and seen enough completions.
        public func isDue(at seconds: Double, _ configuration: Configuration) -> Bool {
            let mean = completed > 0 ? latencySum / Double(completed) : recentMeanTaskSeconds
            return completed >= configuration.minimumCompletions
                && seconds - windowStart >= configuration.windowSeconds(meanTaskSeconds: mean)
        }

        /// Ends the window at `seconds` (measured at `limit`) and starts the next one.
        public mutating func close(at seconds: Double, limit: Int) -> Window {
            record(inFlight: inFlight, at: seconds)
            let length = max(0, lastChange - windowStart)
            let mean = completed > 0 ? latencySum / Double(completed) : 0
            let window = Window(
                limit: limit, completed: completed, seconds: length, meanLatencySeconds: mean,
                averageInFlight: length > 0 ? inFlightSeconds / length : 0)
            if completed > 0 { recentMeanTaskSeconds = mean }
            windowStart = lastChange
            inFlightSeconds = 0
            completed = 0
            latencySum = 0
            return window
        }
    }
}
