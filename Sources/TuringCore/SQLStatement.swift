/// One statement of a SQL file, without its terminating semicolon or surrounding comments.
public struct SQLStatement: Sendable, Hashable {
    /// The statement from its first token to its last.
    public let text: String
    /// 1-based line of the file where the statement starts.
    public let line: Int

    public init(text: String, line: Int) {
        self.text = text
        self.line = line
    }
}
