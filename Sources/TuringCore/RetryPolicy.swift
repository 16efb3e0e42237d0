import Foundation

/// Exponential backoff with jitter: how long to wait before retry number `attempt`.
public struct RetryPolicy: Sendable, Hashable {
    /// The delay before the first retry.
    public let initial: Duration
    /// The longest delay, however many attempts failed.
    public let maximum: Duration
    /// How much each delay grows over the previous one (at least 1).
    public let multiplier: Double
    /// Random spread as a fraction of the delay: 0.2 means ±20 %. Clamped to 0...1.
    public let jitter: Double

    public init(initial: Duration, maximum: Duration, multiplier: Double = 2, jitter: Double = 0.2) {
        self.initial = max(initial, .zero)
        self.maximum = max(maximum, self.initial)
        self.multiplier = multiplier.isFinite ? max(multiplier, 1) : 1
        self.jitter = jitter.isFinite ? min(max(jitter, 0), 1) : 0
    }

    /// Reconnecting to a database that went away: 100 ms, doubling, up to 5 s.
    public static let databaseReconnect = RetryPolicy(initial: .milliseconds(100), maximum: .seconds(5), multiplier: 2, jitter: 0.2)

    /// Retrying a migration that hit `lock_timeout` (SQLSTATE 55P03): 250 ms, doubling, up to 2 s.
    public static let lockTimeoutRetry = RetryPolicy(initial: .milliseconds(250), maximum: .seconds(2), multiplier: 2, jitter: 0.25)

    /// The delay before retry `attempt` (1 for the first retry; smaller values count as 1) without jitter:
    /// `initial × multiplier^(attempt−1)`, at most `maximum`.
    public func baseDelay(forAttempt attempt: Int) -> Duration {
        let steps = max(attempt, 1) - 1
        guard multiplier > 1, initial > .zero, steps > 0 else { return min(initial, maximum) }
        guard steps <= 1000 else {
            let grown = initial.inSeconds * pow(multiplier, Double(steps))
            return grown.isFinite && grown < maximum.inSeconds ? .seconds(grown) : maximum
        }
        // Whole multipliers multiply exactly, so 100 ms doubles to exactly 200 ms, 400 ms, …
        let wholeMultiplier = multiplier == multiplier.rounded() && multiplier <= 1_000_000 ? Int(multiplier) : nil
        var delay = initial
        for _ in 0..<steps where delay < maximum {
            delay = wholeMultiplier.map { delay * $0 } ?? delay * multiplier
        }
        return min(delay, maximum)
    }

    /// The delay before retry `attempt`, spread by ±`jitter` using `rng`, never below zero nor above `maximum`.
    public func delay(forAttempt attempt: Int, using rng: inout some RandomNumberGenerator) -> Duration {
        let base = baseDelay(forAttempt: attempt)
        guard jitter > 0 else { return base }
        let spread = Double.random(in: -jitter...jitter, using: &rng)
        return min(max(base * (1 + spread), .zero), maximum)
    }

    /// The delay before retry `attempt`, with the system's random numbers.
    public func delay(forAttempt attempt: Int) -> Duration {
        var rng = SystemRandomNumberGenerator()
        return delay(forAttempt: attempt, using: &rng)
    }
}
