/// Parses PostgreSQL's text form of a one-dimensional array: `{a,"b c",NULL}`.
enum PostgresArrayLiteral {
    /// The elements (nil for an unquoted NULL), or nil when the text is not a one-dimensional array literal.
    static func parse(_ text: String) -> [String?]? {
        var scalars = Substring(text).unicodeScalars[...]
        // An explicit lower bound such as `[0:2]={…}` precedes the braces.
        if scalars.first == "[", let equals = scalars.firstIndex(of: "=") {
            scalars = scalars[scalars.index(after: equals)...]
        }
        guard scalars.first == "{", scalars.last == "}" else { return nil }
        scalars = scalars.dropFirst().dropLast()
        if scalars.isEmpty { return [] }

        var elements: [String?] = []
        var current = String.UnicodeScalarView()
        var quoted = false
        var wasQuoted = false
        var escaped = false
        for scalar in scalars {
            if escaped {
                current.append(scalar)
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else if scalar == "\"" {
                quoted.toggle()
                wasQuoted = true
            } else if scalar == "," && !quoted {
                elements.append(element(current, wasQuoted: wasQuoted))
                current = String.UnicodeScalarView()
                wasQuoted = false
            } else if scalar == "{" && !quoted {
                return nil  // multi-dimensional arrays are not needed here
            } else {
                current.append(scalar)
            }
        }
        guard !quoted, !escaped else { return nil }
        elements.append(element(current, wasQuoted: wasQuoted))
        return elements
    }

    private static func element(_ scalars: String.UnicodeScalarView, wasQuoted: Bool) -> String? {
        let text = String(scalars)
        if !wasQuoted && text.caseInsensitiveCompare("NULL") == .orderedSame { return nil }
        return text
    }
}
