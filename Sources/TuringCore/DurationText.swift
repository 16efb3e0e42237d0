/// Reads durations as people type them: "30", "30s", "1.5s", "500ms", "2m", "1h", "1m30s".
public enum DurationText {
    /// The duration in seconds; a bare number means seconds. Nil for empty, negative or malformed text.
    public static func seconds(_ text: String) -> Double? {
        let compact = text.lowercased().filter { $0 != " " && $0 != "\t" }
        guard !compact.isEmpty else { return nil }
        if let plain = Double(compact) { return plain.isFinite && plain >= 0 ? plain : nil }
        var total = 0.0
        var rest = Substring(compact)
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(unit.count)
            guard let scale = unitSeconds[String(unit)] else { return nil }
            total += value * scale
        }
        return total.isFinite ? total : nil
    }

    private static let unitSeconds: [String: Double] = [
        "ms": 0.001, "s": 1, "sec": 1, "secs": 1, "m": 60, "min": 60, "mins": 60, "h": 3600, "hr": 3600, "hrs": 3600,
    ]
}
