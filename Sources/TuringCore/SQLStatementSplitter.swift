/// Splits a SQL file into statements the way PostgreSQL (and psql) read it, for files that run outside a transaction.
///
/// Semicolons inside quoted strings (`'…'` with `''`, `E'…'` with backslash escapes), quoted identifiers (`"…"`),
/// dollar quotes (`$$…$$`, `$tag$…$tag$`), `--` comments, nested `/* */` comments and parentheses do not split, nor do
/// those inside a `BEGIN ATOMIC … END` function body. Byte-order marks count as whitespace. Statements holding only
/// whitespace and comments are dropped.
/// Runs in linear time over the UTF-8 bytes.
public enum SQLStatementSplitter {
    public static func split(_ sql: String) throws(SQLSplitError) -> [SQLStatement] {
        let bytes = Array(sql.utf8)
        let result = bytes.withUnsafeBufferPointer { buffer -> Result<[SQLStatement], SQLSplitError> in
            var scanner = SQLScanner(bytes: buffer)
            do throws(SQLSplitError) {
                try scanner.scanAll()
                return .success(scanner.statements)
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let statements): return statements
        case .failure(let error): throw error
        }
    }
}
