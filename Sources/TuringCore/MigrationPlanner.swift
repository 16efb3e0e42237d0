/// Compares the migration files with the history and decides what each command does. No I/O.
public enum MigrationPlanner {
    /// Every version known from files or history, sorted: applied, pending, modified or missing.
    public static func status(available: [Migration], applied: [AppliedMigration]) -> [MigrationStatus] {
        let files = migrationsByVersion(available)
        let history = appliedByVersion(applied)
        return Set(files.keys).union(history.keys).sorted().map { version in
            switch (files[version], history[version]) {
            case (let file?, nil):
                MigrationStatus(version: version, name: file.name, state: .pending, appliedAt: nil, durationSeconds: nil)
            case (let file?, let row?):
                MigrationStatus(
                    version: version, name: file.name, state: file.upChecksum == row.checksum ? .applied : .modified,
                    appliedAt: row.appliedAt, durationSeconds: row.durationSeconds
                )
            case (nil, let row?):
                MigrationStatus(version: version, name: row.name, state: .missing, appliedAt: row.appliedAt, durationSeconds: row.durationSeconds)
            case (nil, nil):
                preconditionFailure("version \(version) came from neither files nor history")
            }
        }
    }

    /// What `validate` reports and `up` refuses to run over, sorted by version.
    public static func problems(available: [Migration], applied: [AppliedMigration]) -> [MigrationProblem] {
        let files = migrationsByVersion(available)
        let newestApplied = appliedByVersion(applied).keys.max()
        var problems: [MigrationProblem] = []
        for status in status(available: available, applied: applied) {
            switch status.state {
            case .applied:
                continue
            case .modified:
                problems.append(.modified(version: status.version, fileName: files[status.version]!.upFileName))
            case .missing:
                problems.append(.missing(version: status.version, name: status.name))
            case .pending:
                if let newestApplied, status.version < newestApplied {
                    let fileName = files[status.version]!.upFileName
                    problems.append(.pendingBelowApplied(version: status.version, fileName: fileName, newestApplied: newestApplied))
                }
            }
        }
        return problems
    }

    static func migrationsByVersion(_ migrations: [Migration]) -> [MigrationVersion: Migration] {
        Dictionary(migrations.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
    }

    static func appliedByVersion(_ applied: [AppliedMigration]) -> [MigrationVersion: AppliedMigration] {
        Dictionary(applied.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
