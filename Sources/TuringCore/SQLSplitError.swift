/// A SQL file the splitter cannot split: a quote, dollar quote or block comment that never ends.
public struct SQLSplitError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Hashable {
        case unterminatedString
        case unterminatedQuotedIdentifier
        case unterminatedDollarQuote(tag: String)
        case unterminatedBlockComment
    }

    public let kind: Kind
    /// 1-based line where the unterminated construct starts.
    public let line: Int

    public init(kind: Kind, line: Int) {
        self.kind = kind
        self.line = line
    }

    /// What is wrong and what to do, one line, without the line number.
    public var message: String {
        switch kind {
        case .unterminatedString:
            "unterminated quoted string; close it with ' (write '' for a quote inside it)"
        case .unterminatedQuotedIdentifier:
            "unterminated quoted identifier; close it with \" (write \"\" for a quote inside it)"
        case .unterminatedDollarQuote(let tag):
            "unterminated dollar-quoted string opened with \(tag); close it with \(tag)"
        case .unterminatedBlockComment:
            "unterminated /* comment; close it with */ (comments nest, so every /* needs its own */)"
        }
    }

    /// "line 12: unterminated …".
    public var description: String { "line \(line): \(message)" }
}
