/// The byte-level lexer behind `SQLStatementSplitter`.
struct SQLScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var line = 1
    private(set) var statements: [SQLStatement] = []

    // The statement being read: where its first and last tokens are.
    private var statementStart: Int?
    private var statementLine = 1
    private var statementEnd = 0
    // psql's heuristics: `;` inside parentheses or a `BEGIN ATOMIC … END` body does not end the statement.
    private var parenthesisDepth = 0
    private var beginDepth = 0
    private var identifierCount = 0
    private var leadingKeywordInitials: [UInt8] = [0, 0, 0, 0]

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func scanAll() throws(SQLSplitError) {
        while index < bytes.count {
            let byte = bytes[index]
            let tokenStart = index
            let tokenLine = line
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D:
                countNewline(at: index)
                index += 1
                continue
            case 0xEF where isByteOrderMark(at: index):
                index += 3
                continue
            case UInt8(ascii: "-") where peek(1) == UInt8(ascii: "-"):
                skipLineComment()
                continue
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "*"):
                try skipBlockComment()
                continue
            case UInt8(ascii: ";") where parenthesisDepth == 0 && beginDepth == 0:
                finishStatement()
                index += 1
                continue
            case UInt8(ascii: "'"):
                try skipQuoted(UInt8(ascii: "'"), backslashEscapes: false, kind: .unterminatedString)
            case UInt8(ascii: "\""):
                try skipQuoted(UInt8(ascii: "\""), backslashEscapes: false, kind: .unterminatedQuotedIdentifier)
            case UInt8(ascii: "$"):
                if let tagEnd = dollarTagEnd(at: index) {
                    try skipDollarQuoted(tagEnd: tagEnd)
                } else {
                    index += 1
                }
            case UInt8(ascii: "("):
                parenthesisDepth += 1
                index += 1
            case UInt8(ascii: ")"):
                parenthesisDepth = max(0, parenthesisDepth - 1)
                index += 1
            case _ where Self.isWordStart(byte):
                try scanWord()
            default:
                index += 1
            }
            markToken(start: tokenStart, line: tokenLine)
        }
        finishStatement()
    }

    // MARK: Statements

    private mutating func markToken(start: Int, line tokenLine: Int) {
        if statementStart == nil {
            statementStart = start
            statementLine = tokenLine
        }
        statementEnd = index
    }

    private mutating func finishStatement() {
        if let start = statementStart {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<statementEnd]), as: UTF8.self)
            statements.append(SQLStatement(text: text, line: statementLine))
        }
        statementStart = nil
        parenthesisDepth = 0
        beginDepth = 0
        identifierCount = 0
    }

    // MARK: Tokens

    private mutating func skipLineComment() {
        while index < bytes.count, bytes[index] != 0x0A, bytes[index] != 0x0D { index += 1 }
    }

    private mutating func skipBlockComment() throws(SQLSplitError) {
        let startLine = line
        var depth = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "*") {
                depth += 1
                index += 2
            } else if bytes[index] == UInt8(ascii: "*"), peek(1) == UInt8(ascii: "/") {
                depth -= 1
                index += 2
                if depth == 0 { return }
            } else {
                countNewline(at: index)
                index += 1
            }
        }
        throw SQLSplitError(kind: .unterminatedBlockComment, line: startLine)
    }

    /// From the opening quote to just past the closing one; a doubled quote stands for itself.
    private mutating func skipQuoted(_ quote: UInt8, backslashEscapes: Bool, kind: SQLSplitError.Kind) throws(SQLSplitError) {
        let startLine = line
        index += 1
        while index < bytes.count {
            let byte = bytes[index]
            if backslashEscapes, byte == UInt8(ascii: "\\") {
                index += 1
                if index < bytes.count {
                    countNewline(at: index)
                    index += 1
                }
            } else if byte == quote {
                index += 1
                guard index < bytes.count, bytes[index] == quote else { return }
                index += 1
            } else {
                countNewline(at: index)
                index += 1
            }
        }
        throw SQLSplitError(kind: kind, line: startLine)
    }

    /// The index just past `$tag$` when a dollar quote opens at `start`; nil for `$1`, a lone `$` and the like.
    private func dollarTagEnd(at start: Int) -> Int? {
        var cursor = start + 1
        guard cursor < bytes.count else { return nil }
        if bytes[cursor] != UInt8(ascii: "$") {
            guard Self.isWordStart(bytes[cursor]), !bytes[cursor].isASCIIDigit else { return nil }
            while cursor < bytes.count, Self.isTagByte(bytes[cursor]) { cursor += 1 }
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "$") else { return nil }
        }
        return cursor + 1
    }

    /// From `$tag$` to just past the next `$tag$`. Linear: the tag has no `$` inside, so each comparison stops by the next `$`.
    private mutating func skipDollarQuoted(tagEnd: Int) throws(SQLSplitError) {
        let startLine = line
        let tagStart = index
        let tagLength = tagEnd - tagStart
        index = tagEnd
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "$"), index + tagLength <= bytes.count {
                var matched = 1
                while matched < tagLength, bytes[index + matched] == bytes[tagStart + matched] { matched += 1 }
                if matched == tagLength {
                    index += tagLength
                    return
                }
            }
            countNewline(at: index)
            index += 1
        }
        let tag = String(decoding: UnsafeBufferPointer(rebasing: bytes[tagStart..<tagEnd]), as: UTF8.self)
        throw SQLSplitError(kind: .unterminatedDollarQuote(tag: tag), line: startLine)
    }

    /// An identifier, keyword or number; `E'…'` continues into an escape string.
    private mutating func scanWord() throws(SQLSplitError) {
        let start = index
        let isNumber = bytes[start].isASCIIDigit
        index += 1
        while index < bytes.count, Self.isWordByte(bytes[index]), !isByteOrderMark(at: index) {
            if isNumber, bytes[index] == UInt8(ascii: "$") { break }
            index += 1
        }
        let length = index - start
        if length == 1, bytes[start] | 0x20 == UInt8(ascii: "e"), peek(0) == UInt8(ascii: "'") {
            try skipQuoted(UInt8(ascii: "'"), backslashEscapes: true, kind: .unterminatedString)
            return
        }
        if !isNumber { noteIdentifier(start: start, end: index) }
    }

    /// psql's rule: in `CREATE [OR REPLACE] {FUNCTION|PROCEDURE}`, BEGIN (and CASE inside it) open a body that END closes.
    private mutating func noteIdentifier(start: Int, end: Int) {
        if identifierCount == 0 { leadingKeywordInitials = [0, 0, 0, 0] }
        if identifierCount < 4, Self.routineKeywords.contains(where: { equalsLowercased($0, start, end) }) {
            leadingKeywordInitials[identifierCount] = bytes[start] | 0x20
        }
        identifierCount += 1
        let k = leadingKeywordInitials
        let createsRoutine = k[0] == UInt8(ascii: "c") && (k[1] == UInt8(ascii: "f") || k[1] == UInt8(ascii: "p")
            || (k[1] == UInt8(ascii: "o") && k[2] == UInt8(ascii: "r") && (k[3] == UInt8(ascii: "f") || k[3] == UInt8(ascii: "p"))))
        guard createsRoutine, parenthesisDepth == 0 else { return }
        if equalsLowercased("begin", start, end) {
            beginDepth += 1
        } else if equalsLowercased("case", start, end) {
            if beginDepth >= 1 { beginDepth += 1 }
        } else if equalsLowercased("end", start, end), beginDepth > 0 {
            beginDepth -= 1
        }
    }

    // MARK: Bytes

    private func peek(_ offset: Int) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private mutating func countNewline(at position: Int) {
        let byte = bytes[position]
        if byte == 0x0A || (byte == 0x0D && (position + 1 == bytes.count || bytes[position + 1] != 0x0A)) { line += 1 }
    }

    private func isByteOrderMark(at position: Int) -> Bool {
        position + 2 < bytes.count && bytes[position] == 0xEF && bytes[position + 1] == 0xBB && bytes[position + 2] == 0xBF
    }

    private func equalsLowercased(_ word: String, _ start: Int, _ end: Int) -> Bool {
        guard end - start == word.utf8.count else { return false }
        return zip(word.utf8, bytes[start..<end]).allSatisfy { $0 == $1 | 0x20 }
    }

    /// Letters, digits, `_` and non-ASCII bytes start a word (PostgreSQL treats non-ASCII as letters).
    static func isWordStart(_ byte: UInt8) -> Bool {
        byte.isASCIILetter || byte.isASCIIDigit || byte == UInt8(ascii: "_") || byte >= 0x80
    }

    static func isWordByte(_ byte: UInt8) -> Bool {
        isWordStart(byte) || byte == UInt8(ascii: "$")
    }

    /// A dollar-quote tag is letters, digits (not first), `_` and non-ASCII bytes.
    static func isTagByte(_ byte: UInt8) -> Bool {
        isWordStart(byte)
    }

    private static let routineKeywords = ["create", "function", "procedure", "or", "replace"]
}
