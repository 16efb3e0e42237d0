/// Hides passwords before text reaches a log, an error message, `application_name` or `turing.workers`.
public enum SecretRedaction {
    /// What a hidden secret is replaced with.
    public static let mask = "***"

    /// `text` with passwords hidden: in URLs (`scheme://user:secret@host`, `?password=secret`, percent-encoded or not)
    /// and in `key=value` conninfo (`password=secret`, `password = 'sec ret'`). Works on whole messages too.
    public static func redact(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let ranges = SecretScanner(bytes: bytes).secretRanges()
        guard !ranges.isEmpty else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var cursor = 0
        for secret in ranges {
            output += bytes[cursor..<secret.range.lowerBound]
            output += mask.utf8
            cursor = secret.range.upperBound
        }
        output += bytes[cursor...]
        return String(decoding: output, as: UTF8.self)
    }

    /// `text` with every occurrence of each secret (as is, or percent-encoded) hidden, then `redact(_:)` applied.
    /// Use it on messages that may quote a password, e.g. with `secrets(in:)` of the connection string and `PGPASSWORD`.
    public static func redactAll(in text: String, secrets: [String]) -> String {
        var bytes = Array(text.utf8)
        let needles = Set(secrets.filter { !$0.isEmpty }.flatMap { [Array($0.utf8), Array(percentEncoded($0).utf8)] })
        for needle in needles.sorted(by: { $0.count > $1.count }) {
            bytes = replacingOccurrences(of: needle, in: bytes, with: Array(mask.utf8))
        }
        return redact(String(decoding: bytes, as: UTF8.self))
    }

    /// The passwords written in a connection string (URL or conninfo), decoded as libpq would read them.
    public static func secrets(in connectionString: String) -> [String] {
        let bytes = Array(connectionString.utf8)
        var found: [String] = []
        for secret in SecretScanner(bytes: bytes).secretRanges() {
            let raw = String(decoding: bytes[secret.range], as: UTF8.self)
            found.append(raw)
            switch secret.encoding {
            case .percentEncoded: found.append(percentDecoded(raw))
            case .backslashEscaped: found.append(backslashUnescaped(raw))
            case .plain: break
            }
        }
        var seen = Set<String>()
        return found.filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    static func percentEncoded(_ text: String) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                output.append(byte)
            } else {
                output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func percentDecoded(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func backslashUnescaped(_ text: String) -> String {
        var output = ""
        var escaping = false
        for character in text {
            if !escaping, character == "\\" {
                escaping = true
            } else {
                output.append(character)
                escaping = false
            }
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func replacingOccurrences(of needle: [UInt8], in haystack: [UInt8], with replacement: [UInt8]) -> [UInt8] {
        guard !needle.isEmpty, haystack.count >= needle.count else { return haystack }
        var output: [UInt8] = []
        output.reserveCapacity(haystack.count)
        var index = 0
        while index < haystack.count {
            if haystack[index] == needle[0], index + needle.count <= haystack.count, haystack[index..<index + needle.count].elementsEqual(needle) {
                output += replacement
                index += needle.count
            } else {
                output.append(haystack[index])
                index += 1
            }
        }
        return output
    }
}
