extension MigrationPlanner {
    /// The pending migrations to apply, oldest first, up to and including `target` (all when nil).
    ///
    /// Throws when `target` names no migration file, or when `problems(available:applied:)` finds any.
    public static func planUp(
        available: [Migration], applied: [AppliedMigration], target: MigrationVersion?
    ) throws(MigrationPlanError) -> [Migration] {
        if let target { try requireFile(for: target, in: available, command: "up") }
        let problems = problems(available: available, applied: applied)
        guard problems.isEmpty else {
            let list = problems.map(\.description).joined(separator: "; ")
            let count = problems.count == 1 ? "a problem" : "\(problems.count) problems"
            throw MigrationPlanError(message: "refusing to migrate because of \(count): \(list)", problems: problems)
        }
        let history = appliedByVersion(applied)
        return available.sorted { $0.version < $1.version }.filter { migration in
            history[migration.version] == nil && (target.map { migration.version <= $0 } ?? true)
        }
    }

    /// The applied migrations above `target` to revert, newest first; `MigrationVersion.zero` reverts everything.
    ///
    /// Throws when `target` is neither 0 nor a known version, or when a migration to revert has no files.
    public static func planDown(
        available: [Migration], applied: [AppliedMigration], target: MigrationVersion
    ) throws(MigrationPlanError) -> [Migration] {
        let files = migrationsByVersion(available)
        let history = appliedByVersion(applied)
        guard target == .zero || files[target] != nil || history[target] != nil else {
            throw MigrationPlanError(message: "no migration \(target) to go down to; give a version that exists, or 0 to revert everything")
        }
        var plan: [Migration] = []
        for version in history.keys.filter({ $0 > target }).sorted(by: >) {
            guard let migration = files[version] else {
                let name = history[version]!.name
                throw MigrationPlanError(message: "cannot revert \(version): \(version)_\(name).down.sql is missing; restore it from version control")
            }
            plan.append(migration)
        }
        return plan
    }

    /// The migrations up to and including `target` that `baseline` records as applied without running them, oldest first.
    ///
    /// Throws when `target` names no migration file.
    public static func planBaseline(
        available: [Migration], applied: [AppliedMigration], target: MigrationVersion
    ) throws(MigrationPlanError) -> [Migration] {
        try requireFile(for: target, in: available, command: "baseline")
        let history = appliedByVersion(applied)
        return available.sorted { $0.version < $1.version }.filter { $0.version <= target && history[$0.version] == nil }
    }

    private static func requireFile(for target: MigrationVersion, in available: [Migration], command: String) throws(MigrationPlanError) {
        guard !available.contains(where: { $0.version == target }) else { return }
        let versions = available.map(\.version)
        guard let oldest = versions.min(), let newest = versions.max() else {
            throw MigrationPlanError(message: "`\(command) \(target)`: there are no migration files; check --dir")
        }
        throw MigrationPlanError(
            message: "`\(command) \(target)`: no migration \(target); the migrations go from \(oldest) to \(newest), so give one of those versions"
        )
    }
}
