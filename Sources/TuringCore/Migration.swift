/// One numbered migration: its `.up.sql` and `.down.sql` files, parsed and checksummed.
public struct Migration: Sendable, Hashable, Identifiable {
    public let version: MigrationVersion
    /// The snake_case name from the file name, e.g. `parallel_batch_processing`.
    public let name: String
    public let upFileName: String
    public let downFileName: String
    /// The up file's SQL (a leading byte-order mark removed).
    public let upSQL: String
    /// The down file's SQL (a leading byte-order mark removed).
    public let downSQL: String
    /// SHA-256 (hex) of the up file, line endings normalised; see `MigrationChecksum`.
    public let upChecksum: String
    /// False when the up file's leading comments say `-- turing:no-transaction`.
    public let upRunsInTransaction: Bool
    /// False when the down file's leading comments say `-- turing:no-transaction`.
    public let downRunsInTransaction: Bool

    public var id: MigrationVersion { version }

    public init(
        version: MigrationVersion, name: String, upFileName: String, downFileName: String,
        upSQL: String, downSQL: String, upChecksum: String,
        upRunsInTransaction: Bool = true, downRunsInTransaction: Bool = true
    ) {
        self.version = version
        self.name = name
        self.upFileName = upFileName
        self.downFileName = downFileName
        self.upSQL = upSQL
        self.downSQL = downSQL
        self.upChecksum = upChecksum
        self.upRunsInTransaction = upRunsInTransaction
        self.downRunsInTransaction = downRunsInTransaction
    }
}
