import Foundation
import TuringCore
import TuringPostgres

/// The `turing_migrate` schema: which versions are applied, with checksum, who, when and how long.
/// It lives apart from the migrated schemas, so no migration's `down` can touch it.
enum MigrationHistory {
    static let createSQL = """
        CREATE SCHEMA IF NOT EXISTS turing_migrate;
        CREATE TABLE IF NOT EXISTS turing_migrate.history (
            version     integer PRIMARY KEY,
            name        text NOT NULL,
            checksum    text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now(),
            applied_by  text NOT NULL,
            duration_ms double precision NOT NULL,
            baseline    boolean NOT NULL DEFAULT false
        );
        COMMENT ON TABLE turing_migrate.history IS 'Migrations applied by turing-migrate: one row per version.';
        CREATE TABLE IF NOT EXISTS turing_migrate.partial_runs (
            version         integer PRIMARY KEY,
            name            text NOT NULL,
            statements_done integer NOT NULL,
            statements      integer NOT NULL,
            failed_line     integer,
            error           text,
            updated_at      timestamptz NOT NULL DEFAULT now()
        );
        COMMENT ON TABLE turing_migrate.partial_runs IS
            'Progress of no-transaction migrations (run statement by statement): what ran before a failure.';
        """

    /// The applied versions; none when the history does not exist yet.
    static func load(_ connection: PostgresConnection) async throws -> [AppliedMigration] {
        let exists = try await connection.query("SELECT to_regclass('turing_migrate.history') IS NOT NULL")
        guard try exists.first?.decode(0, as: Bool.self) == true else { return [] }
        let rows = try await connection.query(
            "SELECT version, name, checksum, applied_at, duration_ms, applied_by FROM turing_migrate.history ORDER BY version")
        return try rows.map { row in
            guard let version = MigrationVersion(String(try row.decode(0, as: Int.self))) else {
                throw PostgresError(kind: .decoding, message: "turing_migrate.history holds an invalid version")
            }
            return AppliedMigration(
                version: version, name: try row.decode(1), checksum: try row.decode(2), appliedAt: try row.decode(3),
                durationSeconds: try row.decode(4, as: Double.self) / 1000, appliedBy: try row.decode(5))
        }
    }

    static let insertSQL = """
        INSERT INTO turing_migrate.history (version, name, checksum, applied_by, duration_ms, baseline)
        VALUES ($1, $2, $3, current_user || '@' || $4, $5, $6)
        """

    static let deleteSQL = "DELETE FROM turing_migrate.history WHERE version = $1"
}
