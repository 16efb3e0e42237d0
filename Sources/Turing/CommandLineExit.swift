import Foundation
import TuringCore
import TuringPostgres

/// Exit codes shared by both tools: 0 done, 1 failed, 2 usage or configuration, 3 database unreachable.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    case failure = 1
    case usage = 2
    case databaseUnreachable = 3

    /// The exit status for an error that ended a command.
    public static func of(_ error: any Error) -> ExitStatus {
        switch error {
        case let error as PostgresError where error.kind == .connectionFailed: .databaseUnreachable
        case is ConfigurationError: .usage
        default: .failure
        }
    }
}

/// Prints `tool: message` on stderr as one line and exits with `status`.
public func exitWithMessage(_ tool: String, _ message: String, status: ExitStatus) -> Never {
    let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
    FileHandle.standardError.write(Data("\(tool): \(oneLine)\n".utf8))
    exit(status.rawValue)
}

/// Explains an error the way both tools print it.
public func describeForTerminal(_ error: any Error) -> String {
    switch error {
    case let error as PostgresError where error.kind == .connectionFailed:
        "cannot connect to the database: \(error.message) (check --database-url, DATABASE_URL or the PG* variables)"
    case let error as PostgresError:
        error.oneLine
    default:
        String(describing: error)
    }
}
