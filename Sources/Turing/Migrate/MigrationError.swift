import TuringCore
import TuringPostgres

/// Why a migration command failed; `description` is one line (plus the server's detail) for the terminal.
public enum MigrationError: Error, Sendable, CustomStringConvertible {
    /// A statement of a migration file failed; a transactional file was rolled back whole.
    case statementFailed(file: String, statement: Int, of: Int, line: Int, error: PostgresError, transactional: Bool)
    /// A file could not be split into statements.
    case unreadable(file: String, error: SQLSplitError)
    /// Another runner held the migration lock for longer than `--lock-wait`.
    case lockWaitExpired(waited: Duration, holder: String)
    /// `lock_timeout` fired on every try.
    case lockTimeoutExhausted(file: String, tries: Int, error: PostgresError)
    /// The plan was refused (modified or missing files, out-of-order versions, unknown target).
    case refused(MigrationPlanError)

    public var description: String {
        switch self {
        case let .statementFailed(file, statement, total, line, error, transactional):
            let outcome =
                transactional
                ? "nothing of this migration was applied (rolled back)"
                : "statements 1-\(statement - 1) of \(total) ran, \(statement)-\(total) did not; fix the file and run again (its statements must be safe to re-run)"
            let ranNothing = !transactional && statement == 1 ? "no statement of \(total) ran; fix the file and run again" : outcome
            return "\(file): statement \(statement) of \(total) (line \(line)) failed: \(error.oneLine). \(ranNothing)"
        case let .unreadable(file, error):
            return "\(file): \(error.description)"
        case let .lockWaitExpired(waited, holder):
            return "gave up after waiting \(MigrationLock.seconds(waited)) for the migration lock held by \(holder); try again when it is done, or raise --lock-wait"
        case let .lockTimeoutExhausted(file, tries, error):
            return "\(file): could not take a lock within lock_timeout after \(tries) tries (\(error.oneLine)); the table is busy: retry later or raise --lock-timeout"
        case let .refused(error):
            return error.description
        }
    }
}
