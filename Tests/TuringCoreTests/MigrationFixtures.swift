import Foundation
@testable import TuringCore

/// Builders for migrations and history rows used by the migration suites.
enum MigrationFixtures {
    static func pair(_ stem: String, up: String = "SELECT 1;", down: String = "SELECT 2;") -> [MigrationSourceFile] {
        [MigrationSourceFile(fileName: "\(stem).up.sql", contents: up), MigrationSourceFile(fileName: "\(stem).down.sql", contents: down)]
    }

    static func version(_ number: Int) -> MigrationVersion {
        MigrationVersion(number: number)!
    }

    static func migration(_ number: Int, _ name: String, up: String = "SELECT 1;") -> Migration {
        let stem = "\(version(number))_\(name)"
        return Migration(
            version: version(number), name: name, upFileName: "\(stem).up.sql", downFileName: "\(stem).down.sql",
            upSQL: up, downSQL: "SELECT 2;", upChecksum: MigrationChecksum.of(up)
        )
    }

    static func applied(_ migration: Migration, checksum: String? = nil, at seconds: TimeInterval = 1_700_000_000) -> AppliedMigration {
        AppliedMigration(
            version: migration.version, name: migration.name, checksum: checksum ?? migration.upChecksum,
            appliedAt: Date(timeIntervalSince1970: seconds), durationSeconds: 0.25, appliedBy: "postgres@db1"
        )
    }
}
