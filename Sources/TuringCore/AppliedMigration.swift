import Foundation

/// A row of the migration history (`turing_migrate` schema): a migration that was applied or baselined.
public struct AppliedMigration: Sendable, Hashable {
    public let version: MigrationVersion
    public let name: String
    /// The `MigrationChecksum` of the up file when it was applied.
    public let checksum: String
    public let appliedAt: Date
    public let durationSeconds: Double
    /// Who applied it, e.g. "role@host".
    public let appliedBy: String

    public init(version: MigrationVersion, name: String, checksum: String, appliedAt: Date, durationSeconds: Double, appliedBy: String) {
        self.version = version
        self.name = name
        self.checksum = checksum
        self.appliedAt = appliedAt
        self.durationSeconds = durationSeconds
        self.appliedBy = appliedBy
    }
}
