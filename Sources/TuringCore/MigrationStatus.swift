import Foundation

/// One line of `turing-migrate status`.
public struct MigrationStatus: Sendable, Hashable {
    public let version: MigrationVersion
    public let name: String
    public let state: MigrationState
    /// When it was applied; nil while pending.
    public let appliedAt: Date?
    /// How long applying it took; nil while pending.
    public let durationSeconds: Double?

    public init(version: MigrationVersion, name: String, state: MigrationState, appliedAt: Date?, durationSeconds: Double?) {
        self.version = version
        self.name = name
        self.state = state
        self.appliedAt = appliedAt
        self.durationSeconds = durationSeconds
    }
}
