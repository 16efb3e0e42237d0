/// A migration file as read from disk or from the binary: its name (no directory) and its text.
public struct MigrationSourceFile: Sendable, Hashable {
    public let fileName: String
    public let contents: String

    public init(fileName: String, contents: String) {
        self.fileName = fileName
        self.contents = contents
    }
}
