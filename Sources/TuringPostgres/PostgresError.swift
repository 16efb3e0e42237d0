/// Every failure the wrapper reports: a server error with its diagnostic fields, or a client-side problem.
///
/// `description` prints the way psql does with `\set VERBOSITY verbose`; `oneLine` is for command-line tools.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; decides what a caller may do next.
    public enum Kind: Sendable, Equatable {
        /// The connection could not be established (bad settings, server down, authentication failed).
        case connectionFailed
        /// An established connection broke; the statement may or may not have run.
        case connectionLost
        /// The server rejected the statement; the connection is still usable.
        case server
        /// A value could not be read as the requested Swift type.
        case decoding
        /// The statement was cancelled through `cancel()`.
        case cancelled
    }

    public var kind: Kind
    public var severity: String?
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// 1-based character position of the error in `statement`, when the server gave one.
    public var position: Int?
    public var context: String?
    public var constraint: String?
    /// The SQL text that failed (never a connection string).
    public var statement: String?

    public init(
        kind: Kind, message: String, severity: String? = nil, sqlState: String? = nil, detail: String? = nil,
        hint: String? = nil, position: Int? = nil, context: String? = nil, constraint: String? = nil,
        statement: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.severity = severity
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.position = position
        self.context = context
        self.constraint = constraint
        self.statement = statement
    }

    /// `ERROR:  42P01: relation "x" does not exist` followed by DETAIL, HINT, CONTEXT and the statement line.
    public var description: String {
        var lines = ["\(severity ?? "ERROR"):  \(sqlState.map { "\($0): " } ?? "")\(message)"]
        if let detail { lines.append("DETAIL:  \(detail)") }
        if let hint { lines.append("HINT:  \(hint)") }
        if let context { lines.append("CONTEXT:  \(context)") }
        if let location = statementLocation { lines.append(location) }
        return lines.joined(separator: "\n")
    }

    /// One line for a terminal: message, SQLSTATE, detail and hint.
    public var oneLine: String {
        var text = message.replacingOccurrences(of: "\n", with: " ")
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail { text += "; detail: \(detail.replacingOccurrences(of: "\n", with: " "))" }
        if let hint { text += "; hint: \(hint.replacingOccurrences(of: "\n", with: " "))" }
        return text
    }

    /// The 1-based line of `statement` on which `position` falls.
    public var lineInStatement: Int? {
        guard let position, let statement, position >= 1 else { return nil }
        var line = 1
        for (offset, character) in statement.enumerated() {
            if offset >= position - 1 { break }
            if character == "\n" { line += 1 }
        }
        return line
    }

    private var statementLocation: String? {
        guard let statement else { return nil }
        if let line = lineInStatement {
            let text = statement.split(separator: "\n", omittingEmptySubsequences: false)[line - 1]
            return "LINE \(line): \(text)"
        }
        let firstLine = statement.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? statement
        return "STATEMENT:  \(firstLine)"
    }
}

extension PostgresError {
    /// SQLSTATE class 08 and the like: worth retrying after a reconnect.
    public var isConnectionProblem: Bool { kind == .connectionLost || kind == .connectionFailed }

    /// `55P03 lock_not_available`: a `lock_timeout` fired.
    public var isLockTimeout: Bool { sqlState == "55P03" }

    /// `57014 query_canceled`.
    public var isQueryCanceled: Bool { sqlState == "57014" }

    /// `26000 invalid_sql_statement_name`: no prepared statement of that name in the session.
    static let undefinedPreparedStatement = "26000"
    /// `42P05 duplicate_prepared_statement`.
    static let duplicatePreparedStatement = "42P05"

    /// A prepared statement that must be prepared again: gone from the session (`26000`), or planned for a
    /// result type that has since changed (`0A000`, "cached plan must not change result type").
    var isStalePreparedStatement: Bool {
        sqlState == Self.undefinedPreparedStatement || sqlState == "0A000"
    }
}
