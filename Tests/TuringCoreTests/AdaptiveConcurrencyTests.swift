import TestSupport
import Testing
@testable import TuringCore

/// A simulated server with `slots` parallel slots and a fixed service time: with L tasks in flight it completes
/// min(L, slots)/service tasks per second, and each waits L/slots service times once L exceeds the slots.
private struct SimulatedServer {
    var slots: Int
    var serviceSeconds = 0.1
    var windowSeconds = 2.0
    /// Multiplicative noise on throughput and latency: each is scaled by a factor in 1 ± noise.
    var noise = 0.0

    func window(limit: Int, rng: inout SplitMix64) -> AdaptiveConcurrency.Window {
        let throughput = Double(min(limit, slots)) / serviceSeconds
        let latency = serviceSeconds * max(1, Double(limit) / Double(slots))
        func jitter() -> Double { noise > 0 ? Double.random(in: (1 - noise)...(1 + noise), using: &rng) : 1 }
        let completed = Int((throughput * windowSeconds * jitter()).rounded())
        return .init(
            limit: limit, completed: completed, seconds: windowSeconds, meanLatencySeconds: latency * jitter(),
            averageInFlight: Double(limit))
    }
}

/// Runs `windows` windows; returns the limits in force during each window and the decisions.
private func simulate(
    _ server: (Int) -> SimulatedServer, windows: Int, configuration: AdaptiveConcurrency.Configuration = .init(),
    seed: UInt64 = 1
) -> (limits: [Int], decisions: [AdaptiveConcurrency.Decision]) {
    var rule = AdaptiveConcurrency(configuration)
    var rng = SplitMix64(seed: seed)
    var limits: [Int] = []
    var decisions: [AdaptiveConcurrency.Decision] = []
    for index in 0..<windows {
        limits.append(rule.limit)
        decisions.append(rule.next(window: server(index).window(limit: rule.limit, rng: &rng)))
    }
    return (limits, decisions)
}

@Suite("AdaptiveConcurrency")
struct AdaptiveConcurrencyTests {
    @Test("against a server with 4 slots: climbs 2 → 3 → 4 → 5, keeps the fifth as headroom, takes a sixth back")
    func climbsAndSettles() {
        let run = simulate({ _ in SimulatedServer(slots: 4) }, windows: 60)
        let changes = run.decisions.filter(\.changed).map { "\($0.from)→\($0.to)" }
        #expect(Array(changes.prefix(5)) == ["2→3", "3→4", "4→5", "5→6", "6→5"], "\(run.decisions)")
        #expect(run.decisions[3].reason == .headroom(gain: 0, latencyRise: 0.25) && run.decisions[3].isNotable)
        let settled = run.limits.dropFirst(10)
        #expect(settled.allSatisfy { (5...6).contains($0) }, "\(run.limits)")
        // Failed probes wait longer and longer: well over 80 % of the settled windows run at exactly 5.
        #expect(Double(settled.filter { $0 == 5 }.count) / Double(settled.count) > 0.8, "\(run.limits)")
        // Throughput over the run after the climb: the server's best.
        #expect(run.decisions.dropFirst(10).allSatisfy { $0.throughput >= 40 - 1e-9 }, "\(run.limits)")
    }

    @Test("noisy windows (±4 % on throughput and latency): stays near the knee, no thrashing", arguments: [1, 2, 3, 4, 5] as [UInt64])
    func noisyWindows(seed: UInt64) {
        let run = simulate({ _ in SimulatedServer(slots: 4, noise: 0.04) }, windows: 200, seed: seed)
        let settled = run.limits.dropFirst(10)
        #expect(settled.allSatisfy { (3...6).contains($0) }, "\(run.limits)")
        let changes = run.decisions.dropFirst(10).filter(\.changed).count
        #expect(changes <= settled.count / 4, "\(changes) changes in \(settled.count) windows: \(run.limits)")
        let mean = settled.map { Double(min($0, 4)) }.reduce(0, +) / Double(settled.count)
        #expect(mean >= 0.95 * 4, "mean useful concurrency \(mean): \(run.limits)")
    }

    @Test("never above --max-workers, however well raising pays")
    func respectsMaximum() {
        let run = simulate({ _ in SimulatedServer(slots: 100) }, windows: 40, configuration: .init(initial: 2, maximum: 8))
        #expect(run.limits.max() == 8)
        #expect(run.limits.suffix(20).allSatisfy { $0 == 8 })
        #expect(run.decisions.contains { $0.reason == .atMaximum })
        #expect(AdaptiveConcurrency(.init(initial: 50, maximum: 8)).limit == 8)
        #expect(AdaptiveConcurrency(.init(initial: 0, maximum: 0)).limit == 1)
    }

    @Test("a server that gains slots is found by the probes; one that slows down is backed off from")
    func followsTheServer() {
        let growing = simulate({ SimulatedServer(slots: $0 < 30 ? 4 : 8) }, windows: 120)
        #expect(growing.limits[25] <= 5)
        #expect(growing.limits.suffix(20).allSatisfy { (9...10).contains($0) }, "\(growing.limits)")

        // Same limit, latency up 50 % (another client took the server), throughput flat: back off × 0.75.
        var rule = AdaptiveConcurrency(.init(initial: 8, maximum: 32))
        _ = rule.next(window: .init(limit: 8, completed: 80, seconds: 2, meanLatencySeconds: 0.2, averageInFlight: 8))
        _ = rule.next(window: .init(limit: 9, completed: 80, seconds: 2, meanLatencySeconds: 0.21, averageInFlight: 9))
        #expect(rule.limit == 9)
        let decision = rule.next(window: .init(limit: 9, completed: 80, seconds: 2, meanLatencySeconds: 0.33, averageInFlight: 9))
        #expect(decision.from == 9 && decision.to == 7)
        #expect(decision.summary == "9 → 7 (throughput 40.0/s, up 0 %; latency up 57 %)")
    }

    @Test("the back-off is × 0.75 rounded, at least one lower, never below 1")
    func backoffSteps() {
        // At the same limit, latency doubles without more throughput.
        for (start, expected) in [(8, 6), (6, 5), (5, 4), (3, 2), (2, 1), (1, 1)] {
            var rule = AdaptiveConcurrency(.init(initial: start, maximum: start))  // at the maximum: no probe upward
            _ = rule.next(window: .init(limit: start, completed: 40, seconds: 2, meanLatencySeconds: 0.1, averageInFlight: Double(start)))
            let decision = rule.next(
                window: .init(limit: start, completed: 40, seconds: 2, meanLatencySeconds: 0.2, averageInFlight: Double(start)))
            #expect(decision.to == expected, "from \(start): \(decision)")
        }
    }

    @Test("windows without enough work, or with too few completions, hold the limit and judge nothing")
    func uninformativeWindows() {
        var rule = AdaptiveConcurrency(.init(initial: 4, maximum: 32))
        let idle = rule.next(window: .init(limit: 4, completed: 20, seconds: 2, meanLatencySeconds: 0.1, averageInFlight: 1.5))
        #expect(idle == .init(from: 4, to: 4, reason: .notEnoughWork(averageInFlight: 1.5), throughput: 10))
        let few = rule.next(window: .init(limit: 4, completed: 3, seconds: 2, meanLatencySeconds: 0.1, averageInFlight: 4))
        #expect(few.reason == .tooFewCompletions && !few.changed)
        // The next full window has nothing to compare with: it probes one higher.
        let full = rule.next(window: .init(limit: 4, completed: 80, seconds: 2, meanLatencySeconds: 0.1, averageInFlight: 4))
        #expect(full.reason == .firstMeasurement && full.to == 5)
        // A long idle stretch never walks the limit anywhere.
        for _ in 0..<50 {
            _ = rule.next(window: .init(limit: rule.limit, completed: 5, seconds: 2, meanLatencySeconds: 0.1, averageInFlight: 0.5))
        }
        #expect(rule.limit == 5)
    }

    @Test("a back-off that costs throughput is undone step by step; one that only shortened the queue holds")
    func backoffTooFar() {
        var rule = AdaptiveConcurrency(.init(initial: 8, maximum: 8))
        _ = rule.next(window: .init(limit: 8, completed: 160, seconds: 2, meanLatencySeconds: 0.1, averageInFlight: 8))
        _ = rule.next(window: .init(limit: 8, completed: 160, seconds: 2, meanLatencySeconds: 0.2, averageInFlight: 8))
        #expect(rule.limit == 6)
        // 8 → 6 cost 25 % of the throughput while latency fell by only 10 %: too far, one more.
        let decision = rule.next(window: .init(limit: 6, completed: 120, seconds: 2, meanLatencySeconds: 0.18, averageInFlight: 6))
        #expect(decision.reason == .throughputFellAfterBackoff(gain: -0.25) && decision.to == 7)

        var queued = AdaptiveConcurrency(.init(initial: 8, maximum: 8))
        _ = queued.next(window: .init(limit: 8, completed: 160, seconds: 2, meanLatencySeconds: 0.2, averageInFlight: 8))
        _ = queued.next(window: .init(limit: 8, completed: 160, seconds: 2, meanLatencySeconds: 0.4, averageInFlight: 8))
        // 8 → 6 with latency down by as much as the limit: those two only waited at the server. Hold.
        let hold = queued.next(window: .init(limit: 6, completed: 152, seconds: 2, meanLatencySeconds: 0.3, averageInFlight: 6))
        #expect(!hold.changed)
    }

    @Test("headroom is one past the last raise that paid, and a back-off forgets it")
    func headroom() {
        func window(_ limit: Int, _ completed: Int, _ latency: Double) -> AdaptiveConcurrency.Window {
            .init(limit: limit, completed: completed, seconds: 2, meanLatencySeconds: latency, averageInFlight: Double(limit))
        }
        var rule = AdaptiveConcurrency(.init(initial: 3, maximum: 32))
        #expect(rule.next(window: window(3, 60, 0.1)).to == 4)  // first measurement
        #expect(rule.next(window: window(4, 80, 0.1)).summary == "4 → 5 (throughput 40.0/s, up 33 %)")
        // 5 brought nothing but a queue: kept, it is the headroom past 4.
        let kept = rule.next(window: window(5, 80, 0.125))
        #expect(kept == .init(from: 5, to: 5, reason: .headroom(gain: 0, latencyRise: 0.25), throughput: 40))
        #expect(kept.summary == "5 (throughput 40.0/s, up 0 %; latency up 25 %: one task of headroom, kept)")
        // The same at 5: latency climbs (another client): × 0.75 → 4, and the headroom is forgotten.
        #expect(rule.next(window: window(5, 80, 0.2)).to == 4)
        #expect(rule.next(window: window(4, 80, 0.16)).reason == .steady(gain: 0))
        for _ in 0..<2 { _ = rule.next(window: window(4, 80, 0.16)) }
        #expect(rule.limit == 5)  // probing
        // A probe with no gain is now taken back: nothing paid since the back-off.
        let back = rule.next(window: window(5, 80, 0.2))
        #expect(back.to == 4 && back.reason == .latencyRoseWithoutGain(gain: 0, latencyRise: 0.25))
    }

    @Test("log lines: the change, the throughput and why")
    func summaries() {
        let raise = AdaptiveConcurrency.Decision(from: 4, to: 5, reason: .throughputRose(gain: 0.24), throughput: 19.6)
        #expect(raise.summary == "4 → 5 (throughput 19.6/s, up 24 %)")
        let back = AdaptiveConcurrency.Decision(
            from: 5, to: 4, reason: .latencyRoseWithoutGain(gain: -0.01, latencyRise: 0.25), throughput: 39.07)
        #expect(back.summary == "5 → 4 (throughput 39.1/s, down 1 %; latency up 25 %)")
        let hold = AdaptiveConcurrency.Decision(from: 4, to: 4, reason: .steady(gain: 0.02), throughput: 40)
        #expect(hold.summary == "4 (throughput 40.0/s, up 2 %: steady)")
        let first = AdaptiveConcurrency.Decision(from: 2, to: 3, reason: .firstMeasurement, throughput: 0.05)
        #expect(first.summary == "2 → 3 (throughput 0.1/s, first measurement)")
    }

    @Test("window length: at least 2 s and 3 mean task durations")
    func windowLength() {
        let configuration = AdaptiveConcurrency.Configuration()
        #expect(configuration.windowSeconds(meanTaskSeconds: nil) == 2)
        #expect(configuration.windowSeconds(meanTaskSeconds: 0.1) == 2)
        #expect(configuration.windowSeconds(meanTaskSeconds: 47) == 141)
        #expect(configuration.windowSeconds(meanTaskSeconds: .nan) == 2)
    }

    @Test("the meter: time-weighted in flight, completions and mean latency per window; due after time and completions")
    func meter() {
        let configuration = AdaptiveConcurrency.Configuration()
        var meter = AdaptiveConcurrency.Meter(at: 100)
        meter.record(inFlight: 2, at: 100)
        meter.record(inFlight: 4, at: 101)  // 2 in flight for 1 s, then 4
        for _ in 0..<3 { meter.recordCompletion(durationSeconds: 0.5) }
        #expect(!meter.isDue(at: 103, configuration))  // 3 completions: too few
        meter.recordCompletion(durationSeconds: 1.5)  // mean 0.75 s: the window lasts 2.25 s
        #expect(!meter.isDue(at: 102, configuration))
        #expect(meter.isDue(at: 102.25, configuration))
        let window = meter.close(at: 102.25, limit: 4)
        #expect(window == .init(limit: 4, completed: 4, seconds: 2.25, meanLatencySeconds: 0.75, averageInFlight: 3.5 / 2.25 * 2))
        #expect(meter.recentMeanTaskSeconds == 0.75)

        // The next window starts where the last ended and keeps the in-flight count; long tasks make it longer.
        for _ in 0..<4 { meter.recordCompletion(durationSeconds: 10) }
        #expect(!meter.isDue(at: 120, configuration))  // 3 × 10 s = 30 s
        #expect(meter.isDue(at: 132.25, configuration))
        let next = meter.close(at: 132.25, limit: 4)
        #expect(next.seconds == 30 && next.averageInFlight == 4 && next.throughput == 4.0 / 30)
        // Time going backwards changes nothing.
        meter.record(inFlight: 1, at: 120)
        #expect(meter.close(at: 133.25, limit: 4).averageInFlight == 1)
    }
}
