/// The pair of files `turing-migrate new NAME` writes.
public enum NewMigration {
    /// `NNN_name.up.sql` and `NNN_name.down.sql`, numbered after `newest`, with a header to fill in.
    public static func files(name: String, after newest: MigrationVersion?) throws(ConfigurationError) -> [MigrationSourceFile] {
        let valid = name.first.map { $0.isASCII && $0.isLowercase } == true
            && name.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" }
        guard valid else {
            throw ConfigurationError(message: "migration name \"\(name)\" must be snake_case: lowercase letters, digits and _, starting with a letter")
        }
        let version = MigrationVersion(String((newest?.number ?? 0) + 1))!
        let stem = "\(version)_\(name)"
        return [
            MigrationSourceFile(
                fileName: "\(stem).up.sql",
                contents: "-- \(stem): what this migration does, and why.\n-- Add -- turing:no-transaction on the first line for CREATE INDEX CONCURRENTLY and the like.\n\n"),
            MigrationSourceFile(
                fileName: "\(stem).down.sql",
                contents: "-- \(stem), reverted: undo exactly what the .up.sql did.\n\n"),
        ]
    }
}
