import TuringPostgres

/// One line about a database error, for logs and terminals (passwords are already scrubbed by the wrapper).
public enum DatabaseErrorText {
    public static func describe(_ error: any Error) -> String {
        if let error = error as? PostgresError { return error.oneLine }
        return String(describing: error)
    }
}
