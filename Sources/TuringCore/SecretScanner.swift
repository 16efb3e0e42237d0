/// Finds the byte ranges of passwords in URLs and conninfo strings, for `SecretRedaction`.
struct SecretScanner {
    enum Encoding {
        case plain, percentEncoded, backslashEscaped
    }

    struct Secret {
        let range: Range<Int>
        let encoding: Encoding
    }

    /// Keywords whose value is a secret, in conninfo and in URL query parameters.
    static let passwordKeywords = ["password", "sslpassword", "pgpassword"].map { Array($0.utf8) }

    let bytes: [UInt8]

    /// Non-empty, non-overlapping secret ranges in order.
    func secretRanges() -> [Secret] {
        let found = (urlSecrets() + keywordSecrets()).filter { !$0.range.isEmpty }.sorted { $0.range.lowerBound < $1.range.lowerBound }
        var merged: [Secret] = []
        for secret in found {
            if let last = merged.last, secret.range.lowerBound < last.range.upperBound {
                if secret.range.upperBound > last.range.upperBound {
                    merged[merged.count - 1] = Secret(range: last.range.lowerBound..<secret.range.upperBound, encoding: last.encoding)
                }
            } else {
                merged.append(secret)
            }
        }
        return merged
    }

    /// `scheme://user:SECRET@host/…` and `?password=SECRET&…`. The password may hold unencoded `@`, `/` or `:`:
    /// the user info ends at the last `@` before the query.
    private func urlSecrets() -> [Secret] {
        var secrets: [Secret] = []
        var index = 0
        while index + 2 < bytes.count {
            guard bytes[index] == UInt8(ascii: ":"), bytes[index + 1] == UInt8(ascii: "/"), bytes[index + 2] == UInt8(ascii: "/") else {
                index += 1
                continue
            }
            let tokenStart = index + 3
            let tokenEnd = bytes[tokenStart...].firstIndex(where: Self.endsURL) ?? bytes.count
            let queryStart = bytes[tokenStart..<tokenEnd].firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) ?? tokenEnd
            if let at = bytes[tokenStart..<queryStart].lastIndex(of: UInt8(ascii: "@")),
               let colon = bytes[tokenStart..<at].firstIndex(of: UInt8(ascii: ":")) {
                secrets.append(Secret(range: colon + 1..<at, encoding: .percentEncoded))
            }
            if queryStart < tokenEnd, bytes[queryStart] == UInt8(ascii: "?") {
                secrets += querySecrets(in: queryStart + 1..<tokenEnd)
            }
            index = max(tokenEnd, index + 3)
        }
        return secrets
    }

    private func querySecrets(in range: Range<Int>) -> [Secret] {
        var secrets: [Secret] = []
        let queryEnd = bytes[range].firstIndex(of: UInt8(ascii: "#")) ?? range.upperBound
        var parameterStart = range.lowerBound
        while parameterStart < queryEnd {
            let parameterEnd = bytes[parameterStart..<queryEnd].firstIndex(of: UInt8(ascii: "&")) ?? queryEnd
            if let equals = bytes[parameterStart..<parameterEnd].firstIndex(of: UInt8(ascii: "=")),
               Self.isPasswordKeyword(bytes[parameterStart..<equals]) {
                secrets.append(Secret(range: equals + 1..<parameterEnd, encoding: .percentEncoded))
            }
            parameterStart = parameterEnd + 1
        }
        return secrets
    }

    /// `password=SECRET`, `password = 'SEC RET'` (with `\'` and `\\` escapes), at the start or after a separator.
    private func keywordSecrets() -> [Secret] {
        var secrets: [Secret] = []
        for start in bytes.indices where start == 0 || Self.separatesKeywords(bytes[start - 1]) {
            guard let keyword = Self.passwordKeywords.first(where: { matchesCaseInsensitively($0, at: start) }) else { continue }
            var cursor = start + keyword.count
            while cursor < bytes.count, bytes[cursor] == 0x20 || bytes[cursor] == 0x09 { cursor += 1 }
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "=") else { continue }
            cursor += 1
            while cursor < bytes.count, bytes[cursor] == 0x20 || bytes[cursor] == 0x09 { cursor += 1 }
            guard cursor < bytes.count else { continue }
            if bytes[cursor] == UInt8(ascii: "'") {
                let valueStart = cursor + 1
                var valueEnd = valueStart
                while valueEnd < bytes.count, bytes[valueEnd] != UInt8(ascii: "'") {
                    valueEnd += bytes[valueEnd] == UInt8(ascii: "\\") ? 2 : 1
                }
                secrets.append(Secret(range: valueStart..<min(valueEnd, bytes.count), encoding: .backslashEscaped))
            } else {
                let inURL = start > 0 && (bytes[start - 1] == UInt8(ascii: "?") || bytes[start - 1] == UInt8(ascii: "&"))
                let afterQuote = start > 0 && bytes[start - 1] == UInt8(ascii: "\"")
                let valueEnd = bytes[cursor...].firstIndex(where: { byte in
                    Self.isSpace(byte) || (inURL && (byte == UInt8(ascii: "&") || byte == UInt8(ascii: "#")))
                        || (afterQuote && byte == UInt8(ascii: "\""))
                }) ?? bytes.count
                secrets.append(Secret(range: cursor..<valueEnd, encoding: inURL ? .percentEncoded : .plain))
            }
        }
        return secrets
    }

    private func matchesCaseInsensitively(_ keyword: [UInt8], at start: Int) -> Bool {
        guard start + keyword.count <= bytes.count else { return false }
        for offset in keyword.indices where Self.lowercased(bytes[start + offset]) != keyword[offset] { return false }
        return true
    }

    private static func isPasswordKeyword(_ key: ArraySlice<UInt8>) -> Bool {
        passwordKeywords.contains { $0.elementsEqual(key.map(lowercased)) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    private static func endsURL(_ byte: UInt8) -> Bool {
        isSpace(byte) || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "<")
            || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "`")
    }

    private static func separatesKeywords(_ byte: UInt8) -> Bool {
        isSpace(byte) || "\"'(,;?&{[".utf8.contains(byte)
    }
}
