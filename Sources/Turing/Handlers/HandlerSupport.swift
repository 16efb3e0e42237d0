import Foundation

/// Small helpers shared by the handlers (a namespace, so as not to clash with extensions elsewhere in the module).
enum HandlerSupport {
    /// `duration` in whole nanoseconds (saturating; negative durations give 0).
    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let (nanos, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        let (total, overflow2) = nanos.addingReportingOverflow(UInt64(max(attoseconds, 0) / 1_000_000_000))
        return overflow2 ? .max : total
    }

    /// `duration` in seconds, for APIs that take a `TimeInterval`.
    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// A short human form for error messages: `300s`, `1.5s`, `250ms`.
    static func describe(_ duration: Duration) -> String {
        let nanos = nanoseconds(duration)
        if nanos < 1_000_000_000 && nanos % 1_000_000 == 0 {
            return "\(nanos / 1_000_000)ms"
        }
        if nanos % 1_000_000_000 == 0 {
            return "\(nanos / 1_000_000_000)s"
        }
        var text = String(format: "%.3f", Double(nanos) / 1e9)
        while text.hasSuffix("0") { text.removeLast() }
        return text + "s"
    }

    /// At most `count` characters of `text`, with an ellipsis when cut.
    static func truncate(_ text: String, to count: Int) -> String {
        text.count <= count ? text : String(text.prefix(count)) + "…"
    }
}
