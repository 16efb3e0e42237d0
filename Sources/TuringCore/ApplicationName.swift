/// The `application_name` a tool connects with, so that `pg_stat_activity` shows who is who.
public enum ApplicationName {
    /// PostgreSQL keeps at most this many bytes of `application_name` (NAMEDATALEN − 1).
    public static let maximumBytes = 63

    /// "turing-worker host:123 claims": the tool, then the detail (worker id, role), sanitised.
    public static func make(tool: String, detail: String? = nil) -> String {
        sanitized(detail.map { "\(tool) \($0)" } ?? tool)
    }

    /// Printable ASCII only (anything else becomes "?"), cut to `maximumBytes`.
    public static func sanitized(_ text: String) -> String {
        let bytes = text.unicodeScalars.prefix(maximumBytes).map { scalar -> UInt8 in
            scalar.value >= 0x20 && scalar.value <= 0x7E ? UInt8(scalar.value) : UInt8(ascii: "?")
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
