/// The `-- turing:…` directives a migration file declares in its leading comment lines.
///
/// Only the comment lines before the first statement count; a `-- turing:` comment further down is an ordinary comment.
struct MigrationDirectives: Hashable, Sendable {
    /// Every directive turing understands.
    static let known = ["no-transaction"]

    var runsInTransaction = true

    /// A `-- turing:NAME` that turing does not understand.
    struct UnknownDirective: Error, Hashable, Sendable {
        let directive: String
    }

    static func parse(_ sql: String) throws(UnknownDirective) -> MigrationDirectives {
        var directives = MigrationDirectives()
        for line in leadingCommentLines(of: sql) {
            guard let directive = directive(inComment: line) else { continue }
            switch directive {
            case "no-transaction": directives.runsInTransaction = false
            default: throw UnknownDirective(directive: directive)
            }
        }
        return directives
    }

    /// The comment text (after `--`) of each leading line that is a `--` comment, stopping at the first other line.
    static func leadingCommentLines(of sql: String) -> [Substring] {
        var text = Substring(sql)
        if text.unicodeScalars.first == "\u{FEFF}" { text = Substring(text.unicodeScalars.dropFirst()) }
        var comments: [Substring] = []
        while !text.isEmpty {
            let lineEnd = text.utf8.firstIndex(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) ?? text.endIndex
            let line = text[..<lineEnd].trimmingASCIIWhitespace()
            text = lineEnd == text.endIndex ? "" : text[text.utf8.index(after: lineEnd)...]
            if line.isEmpty { continue }
            guard line.hasPrefix("--") else { break }
            comments.append(line.dropFirst(2))
        }
        return comments
    }

    /// `no-transaction` for ` turing:no-transaction (because CONCURRENTLY)`; nil when the comment is no directive.
    static func directive(inComment comment: Substring) -> String? {
        let body = comment.trimmingASCIIWhitespace()
        guard body.hasPrefix("turing:") else { return nil }
        let rest = body.dropFirst("turing:".count).trimmingASCIIWhitespace()
        return String(rest.prefix(while: { !$0.isWhitespace }))
    }
}
