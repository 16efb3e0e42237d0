import Logging
import TuringCore

/// `--workers auto` inside the parallel loop: feeds `AdaptiveConcurrency.Meter` with what the loop sees (tasks in
/// flight, completed tasks and how long they ran) and, when a window is due, applies the rule's choice to
/// `LoopState.limit`. Lowering the limit cancels nothing: the loop just starts fewer tasks until it is under it.
struct AdaptiveLimit {
    private var rule: AdaptiveConcurrency
    private var meter: AdaptiveConcurrency.Meter
    private let origin = ContinuousClock.now

    init(_ configuration: AdaptiveConcurrency.Configuration) {
        rule = AdaptiveConcurrency(configuration)
        meter = AdaptiveConcurrency.Meter(at: 0)
    }

    var limit: Int { rule.limit }

    private func seconds(_ instant: ContinuousClock.Instant) -> Double { (instant - origin).inSeconds }

    mutating func record(inFlight: Int, at instant: ContinuousClock.Instant = .now) {
        meter.record(inFlight: inFlight, at: seconds(instant))
    }

    mutating func recordCompletion(startedAt started: ContinuousClock.Instant, at instant: ContinuousClock.Instant = .now) {
        meter.recordCompletion(durationSeconds: (instant - started).inSeconds)
    }

    /// The rule's decision when a window just ended, else nil.
    mutating func decideIfDue(at instant: ContinuousClock.Instant = .now) -> AdaptiveConcurrency.Decision? {
        let now = seconds(instant)
        guard meter.isDue(at: now, rule.configuration) else { return nil }
        return rule.next(window: meter.close(at: now, limit: rule.limit))
    }
}

extension LoopState {
    /// Tells the meter how many tasks run now; call after anything that starts or ends tasks.
    mutating func noteInFlight() {
        adaptive?.record(inFlight: running.count)
    }

    /// Ends a measurement window when one is due and applies the choice: changes (and keeping headroom) at info,
    /// holds at debug.
    mutating func adaptLimitIfDue(logger: Logger) {
        guard stop == .none, var adaptive else { return }
        defer { self.adaptive = adaptive }
        guard let decision = adaptive.decideIfDue() else { return }
        limit = decision.to
        if decision.isNotable {
            logger.info("workers auto: \(decision.summary)")
        } else {
            logger.debug("workers auto: \(decision.summary)")
        }
    }
}
