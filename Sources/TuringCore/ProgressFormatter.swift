/// The text of the worker's progress reports.
public enum ProgressFormatter {
    /// "done 120/1764 (6.8%) · in flight 4 · 5.1 tasks/min · ETA 5h 21m"; failures show as "(6.8%, 3 failed)",
    /// an unknown rate or ETA as "—".
    public static func line(snapshot: ProgressSnapshot, inFlight: Int, tasksPerMinute: Double?, eta: Duration?) -> String {
        let failed = snapshot.failed > 0 ? ", \(snapshot.failed) failed" : ""
        let percent = decimal(snapshot.fractionDone * 100, places: 1)
        let rate = tasksPerMinute.flatMap { $0.isFinite ? rateText($0) : nil } ?? "—"
        let etaText = eta.map { duration($0.inSeconds) } ?? "—"
        return "done \(snapshot.done)/\(snapshot.total) (\(percent)%\(failed)) · in flight \(inFlight) · \(rate) tasks/min · ETA \(etaText)"
    }

    /// A bar of exactly `width` cells filled to `fraction` (clamped to 0...1) with eighth-block precision: "████▌░░░░░".
    public static func bar(fraction: Double, width: Int) -> String {
        guard width > 0 else { return "" }
        let clamped = fraction.isNaN ? 0 : min(max(fraction, 0), 1)
        let eighths = Int((clamped * Double(width * 8)).rounded(.down))
        let full = eighths / 8
        let partial = eighths % 8
        var bar = String(repeating: "█", count: full)
        if partial > 0 { bar.append(partialBlocks[partial]) }
        bar += String(repeating: "░", count: width - full - (partial > 0 ? 1 : 0))
        return bar
    }

    /// A short human duration: "47s", "5m 03s", "5h 21m", "3d 04h"; "0s" for negative or not-a-number input.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return seconds.isNaN ? "0s" : "∞" }
        let total = Int(max(seconds, 0).rounded())
        switch total {
        case ..<60: return "\(total)s"
        case ..<3600: return "\(total / 60)m \(twoDigits(total % 60))s"
        case ..<86400: return "\(total / 3600)h \(twoDigits(total % 3600 / 60))m"
        default: return "\(total / 86400)d \(twoDigits(total % 86400 / 3600))h"
        }
    }

    /// `duration(_:)` for a `Duration`.
    public static func duration(_ duration: Duration) -> String {
        self.duration(duration.inSeconds)
    }

    private static let partialBlocks: [Character] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]

    private static func rateText(_ perMinute: Double) -> String {
        perMinute > 0 && perMinute < 0.1 ? decimal(perMinute, places: 2) : decimal(perMinute, places: 1)
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    /// `value` rounded to `places` decimals without locale-dependent formatting.
    static func decimal(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "—" }
        var scale = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((abs(value) * Double(scale)).rounded())
        let sign = value < 0 && scaled > 0 ? "-" : ""
        guard places > 0 else { return "\(sign)\(scaled)" }
        let fraction = String(scaled % scale)
        return "\(sign)\(scaled / scale).\(String(repeating: "0", count: places - fraction.count))\(fraction)"
    }
}
