/// Where one migration stands, as `turing-migrate status` shows it.
public enum MigrationState: String, Sendable, Codable, CaseIterable {
    /// Applied, and the file still has the checksum it had then.
    case applied
    /// A file that was not applied yet.
    case pending
    /// Applied, but the file changed since.
    case modified
    /// Applied, but its file is gone.
    case missing
}
