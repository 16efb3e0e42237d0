import Foundation

/// `status --json`: `{"version": "088", "name": …, "state": "applied", "applied_at": "2025-01-31T12:00:00Z", "duration_seconds": 1.5}`,
/// with `applied_at` and `duration_seconds` null while pending.
extension MigrationStatus: Encodable {
    private enum CodingKeys: String, CodingKey {
        case version, name, state
        case appliedAt = "applied_at"
        case durationSeconds = "duration_seconds"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version.description, forKey: .version)
        try container.encode(name, forKey: .name)
        try container.encode(state, forKey: .state)
        try container.encode(appliedAt.map { $0.formatted(.iso8601) }, forKey: .appliedAt)
        try container.encode(durationSeconds, forKey: .durationSeconds)
    }
}
