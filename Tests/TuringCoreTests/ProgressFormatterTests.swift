import Testing
@testable import TuringCore

@Suite("ProgressFormatter")
struct ProgressFormatterTests {
    @Test("the progress line reads like the design's example")
    func line() {
        let snapshot = ProgressSnapshot(total: 1764, pending: 1640, running: 4, completed: 120, failed: 0)
        let line = ProgressFormatter.line(snapshot: snapshot, inFlight: 4, tasksPerMinute: 5.1, eta: .seconds(5 * 3600 + 21 * 60 + 10))
        #expect(line == "done 120/1764 (6.8%) · in flight 4 · 5.1 tasks/min · ETA 5h 21m")
    }

    @Test("failures, an unknown rate and an unknown ETA are shown plainly")
    func lineUnknowns() {
        let snapshot = ProgressSnapshot(total: 10, pending: 7, running: 0, completed: 1, failed: 2)
        let line = ProgressFormatter.line(snapshot: snapshot, inFlight: 0, tasksPerMinute: nil, eta: nil)
        #expect(line == "done 3/10 (30.0%, 2 failed) · in flight 0 · — tasks/min · ETA —")
        let slow = ProgressFormatter.line(snapshot: snapshot, inFlight: 1, tasksPerMinute: 0.05, eta: .seconds(47))
        #expect(slow.contains("0.05 tasks/min") && slow.hasSuffix("ETA 47s"))
    }

    @Test("durations: seconds, minutes with padded seconds, hours with padded minutes, days", arguments: [
        (0.0, "0s"), (47.0, "47s"), (59.6, "1m 00s"), (303.0, "5m 03s"), (3599.0, "59m 59s"), (19260.0, "5h 21m"),
        (86400.0 + 4 * 3600, "1d 04h"), (-3.0, "0s"), (Double.nan, "0s"), (Double.infinity, "∞"),
    ])
    func durations(seconds: Double, expected: String) {
        #expect(ProgressFormatter.duration(seconds) == expected)
    }

    @Test("the bar is always exactly `width` cells and fills in eighths")
    func bar() {
        #expect(ProgressFormatter.bar(fraction: 0, width: 10) == String(repeating: "░", count: 10))
        #expect(ProgressFormatter.bar(fraction: 1, width: 10) == String(repeating: "█", count: 10))
        #expect(ProgressFormatter.bar(fraction: 0.45, width: 10) == "████▌░░░░░")
        for fraction in stride(from: -0.5, through: 1.5, by: 0.01) {
            #expect(ProgressFormatter.bar(fraction: fraction, width: 37).count == 37)
        }
        #expect(ProgressFormatter.bar(fraction: .nan, width: 4) == "░░░░")
        #expect(ProgressFormatter.bar(fraction: 0.5, width: 0).isEmpty)
    }
}
