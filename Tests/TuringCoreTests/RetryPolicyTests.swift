import TestSupport
import Testing
@testable import TuringCore

@Suite("RetryPolicy")
struct RetryPolicyTests {
    @Test("without jitter the delay doubles from the initial value up to the cap")
    func baseGrowth() {
        let policy = RetryPolicy(initial: .milliseconds(100), maximum: .seconds(5), multiplier: 2, jitter: 0)
        var rng = SplitMix64(seed: 1)
        let delays = (1...10).map { policy.delay(forAttempt: $0, using: &rng) }
        #expect(delays.prefix(6) == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600), .milliseconds(3200)])
        #expect(delays.dropFirst(6).allSatisfy { $0 == .seconds(5) })
        #expect(zip(delays, delays.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test("with jitter every delay stays within ±jitter of the base and within the cap", arguments: [RetryPolicy.databaseReconnect, .lockTimeoutRetry])
    func jitterBounds(policy: RetryPolicy) {
        var rng = SplitMix64(seed: 99)
        for attempt in 1...20 {
            let base = policy.baseDelay(forAttempt: attempt)
            for _ in 0..<200 {
                let delay = policy.delay(forAttempt: attempt, using: &rng)
                #expect(delay >= base * (1 - policy.jitter) - .nanoseconds(1))
                #expect(delay <= min(base * (1 + policy.jitter), policy.maximum) + .nanoseconds(1))
                #expect(delay <= policy.maximum && delay >= .zero)
            }
        }
    }

    @Test("jitter actually spreads the delays, and the same seed repeats them")
    func jitterSpreads() {
        var first = SplitMix64(seed: 5)
        var second = SplitMix64(seed: 5)
        let a = (0..<50).map { _ in RetryPolicy.databaseReconnect.delay(forAttempt: 3, using: &first) }
        let b = (0..<50).map { _ in RetryPolicy.databaseReconnect.delay(forAttempt: 3, using: &second) }
        #expect(a == b)
        #expect(Set(a.map { $0.components.attoseconds }).count > 40)
    }

    @Test("the presets match their purpose")
    func presets() {
        #expect(RetryPolicy.databaseReconnect.baseDelay(forAttempt: 1) == .milliseconds(100))
        #expect(RetryPolicy.databaseReconnect.baseDelay(forAttempt: 100) == .seconds(5))
        #expect(RetryPolicy.lockTimeoutRetry.baseDelay(forAttempt: 1) == .milliseconds(250))
        #expect(RetryPolicy.lockTimeoutRetry.baseDelay(forAttempt: 100) == .seconds(2))
        #expect(RetryPolicy.lockTimeoutRetry.delay(forAttempt: 2) <= .seconds(2))
    }

    @Test("odd inputs are tamed: attempt 0 counts as 1, huge attempts hit the cap, bad settings are clamped")
    func oddInputs() {
        let policy = RetryPolicy(initial: .seconds(1), maximum: .milliseconds(10), multiplier: .nan, jitter: 7)
        #expect(policy.maximum == .seconds(1))
        #expect(policy.multiplier == 1)
        #expect(policy.jitter == 1)
        #expect(RetryPolicy.databaseReconnect.baseDelay(forAttempt: 0) == .milliseconds(100))
        #expect(RetryPolicy.databaseReconnect.baseDelay(forAttempt: -5) == .milliseconds(100))
        #expect(RetryPolicy.databaseReconnect.baseDelay(forAttempt: Int.max) == .seconds(5))
    }
}
