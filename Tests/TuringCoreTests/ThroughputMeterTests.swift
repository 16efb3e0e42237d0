import Foundation
import Testing
@testable import TuringCore

@Suite("ThroughputMeter")
struct ThroughputMeterTests {
    @Test("no rate until two samples some time apart")
    func needsTwoSamples() {
        var meter = ThroughputMeter()
        #expect(meter.tasksPerSecond == nil)
        meter.record(at: 100, finishedCount: 0)
        #expect(meter.tasksPerSecond == nil)
        #expect(meter.eta(remaining: 10) == nil)
        meter.record(at: 100, finishedCount: 3)
        #expect(meter.tasksPerSecond == nil)
    }

    @Test("rate and ETA come from the samples in the window")
    func rateAndETA() {
        var meter = ThroughputMeter(windowSeconds: 60)
        for second in stride(from: 0.0, through: 30, by: 10) { meter.record(at: second, finishedCount: Int(second / 2)) }
        #expect(meter.tasksPerSecond == 0.5)
        #expect(meter.tasksPerMinute == 30)
        #expect(meter.eta(remaining: 100) == .seconds(200))
        #expect(meter.eta(remaining: 0) == .zero)
    }

    @Test("old samples leave the window, so the rate follows a slowdown")
    func slidingWindow() {
        var meter = ThroughputMeter(windowSeconds: 60)
        for second in 0...100 { meter.record(at: Double(second), finishedCount: second * 10) }
        for second in 101...300 { meter.record(at: Double(second), finishedCount: 1000 + (second - 100)) }
        #expect(meter.tasksPerSecond == 1)
    }

    @Test("no progress in the window means a zero rate and no ETA")
    func stalled() {
        var meter = ThroughputMeter()
        meter.record(at: Date(timeIntervalSince1970: 0), finishedCount: 5)
        meter.record(at: Date(timeIntervalSince1970: 30), finishedCount: 5)
        #expect(meter.tasksPerSecond == 0)
        #expect(meter.eta(remaining: 3) == nil)
    }

    @Test("a counter that goes back starts over instead of reporting a negative rate")
    func counterReset() {
        var meter = ThroughputMeter()
        meter.record(at: 0, finishedCount: 50)
        meter.record(at: 10, finishedCount: 60)
        meter.record(at: 20, finishedCount: 2)
        #expect(meter.tasksPerSecond == nil)
        meter.record(at: 30, finishedCount: 12)
        #expect(meter.tasksPerSecond == 1)
    }

    @Test("memory stays bounded over a long run of frequent samples")
    func longRun() {
        var meter = ThroughputMeter(windowSeconds: 1)
        for tick in 0..<200_000 { meter.record(at: Double(tick) / 1000, finishedCount: tick) }
        #expect(abs((meter.tasksPerSecond ?? 0) - 1000) < 1e-6)
    }
}
