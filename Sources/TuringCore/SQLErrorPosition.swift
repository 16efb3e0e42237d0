/// Turns the `position` of a PostgreSQL error (1-based, counted in characters of the query) into a line number.
public enum SQLErrorPosition {
    /// The 1-based line of `sql` holding character `position`; line 1 for positions before the text, the last line past it.
    public static func line(forCharacterPosition position: Int, in sql: String) -> Int {
        var line = 1
        var previousWasCarriageReturn = false
        for (offset, scalar) in sql.unicodeScalars.enumerated() {
            if offset >= position - 1 { break }
            if scalar == "\n" {
                if !previousWasCarriageReturn { line += 1 }
            } else if scalar == "\r" {
                line += 1
            }
            previousWasCarriageReturn = scalar == "\r"
        }
        return line
    }
}

extension SQLStatement {
    /// The line of the file for an error `position` the server reported while running this statement alone.
    public func fileLine(forCharacterPosition position: Int) -> Int {
        line + SQLErrorPosition.line(forCharacterPosition: position, in: text) - 1
    }
}
