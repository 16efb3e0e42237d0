import Foundation
import TuringCore

/// Writes progress to stderr at an interval: a line each time, or a live bar when stderr is a terminal;
/// and a final summary.
public struct ProgressReporter: Sendable {
    public let interval: Duration
    private let meter = LockedValue(ThroughputMeter())
    private let started = Date()
    private let isTerminal = isatty(STDERR_FILENO) == 1

    public init(interval: Duration) {
        self.interval = interval
    }

    func report(snapshot: ProgressSnapshot, inFlight: Int, finishedHere: Int) {
        var meter = self.meter.value
        meter.record(at: Date().timeIntervalSince(started), finishedCount: snapshot.done)
        self.meter.value = meter
        let perMinute = meter.tasksPerSecond.map { $0 * 60 }
        let eta = meter.eta(remaining: snapshot.total - snapshot.done)
        let line = ProgressFormatter.line(snapshot: snapshot, inFlight: inFlight, tasksPerMinute: perMinute, eta: eta)
        if isTerminal {
            let bar = ProgressFormatter.bar(fraction: snapshot.fractionDone, width: 24)
            write("\r\u{1B}[2K\(bar) \(line)")
        } else {
            write(line + "\n")
        }
    }

    func finish(report: TuringOrchestrator.RunReport, workers: Int) {
        let summary = RunSummary(
            completed: report.succeeded, failed: report.failed, leasesLost: report.leasesLost,
            released: report.released, wallSeconds: report.wallTime.inSeconds, workers: workers)
        write((isTerminal ? "\r\u{1B}[2K" : "") + summary.text + "\n")
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
