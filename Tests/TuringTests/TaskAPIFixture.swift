import Foundation
import TestSupport
import Testing
import TuringCore
import TuringPostgres
@testable import Turing

/// Shared setup for the tests of migration 088's SQL API (TaskAPI*Tests): a fresh database migrated with the
/// files in `migrations/` (the SQL exactly as shipped), and small helpers around the functions.
enum TaskAPIFixture {
    /// `migrations/` of this checkout.
    static let migrationsDirectory: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("migrations").path

    /// `sql/` of this checkout.
    static let sqlDirectory: String = URL(fileURLWithPath: migrationsDirectory)
        .deletingLastPathComponent().appendingPathComponent("sql").path

    static func runner(_ database: TestDatabase) throws -> MigrationRunner {
        var options = MigrationRunner.Options()
        options.output = { _ in }
        return MigrationRunner(
            database: .init(connectionString: database.url, applicationName: "turing-tests"),
            migrations: try MigrationSource.load(directory: migrationsDirectory), options: options)
    }

    /// A fresh database with every migration applied (or up to `version`), and a superuser connection to it.
    static func database(
        _ label: String = #fileID, upTo version: Int? = nil
    ) async throws -> (TestDatabase, PostgresConnection) {
        let database = try await TestPostgres.database(label)
        try await runner(database).up(to: version.flatMap { MigrationVersion(number: $0) })
        return (database, try await database.connect())
    }

    /// A new workflow; returns its id.
    static func workflow(_ connection: PostgresConnection, name: String = "wf") async throws -> Int64 {
        let rows = try await connection.query("INSERT INTO turing.workflows (name) VALUES ($1) RETURNING id", [name])
        return try #require(rows.first).decode(0)
    }

    /// Inserts `count` tasks with plain SQL in one statement (as other tools do); returns their ids in order.
    @discardableResult
    static func insertTasks(_ connection: PostgresConnection, workflow: Int64, count: Int) async throws -> [Int64] {
        let rows = try await connection.query(
            """
            INSERT INTO turing.tasks (workflow_id, payload)
            SELECT $1, jsonb_build_object('n', g) FROM generate_series(1, $2) AS g
            RETURNING id
            """, [workflow, count])
        return try rows.map { try $0.decode(0, as: Int64.self) }.sorted()
    }

    struct Claim: Sendable, Hashable {
        let taskID: Int64
        let workflowID: Int64
        let token: UUID
        let attempt: Int
        let payload: String
        let checkpoint: String?
    }

    static let claimSQL = """
        SELECT task_id, workflow_id, lease_token, attempt, payload::text, checkpoint::text
        FROM turing.claim_tasks($1, $2, make_interval(secs => $3), $4)
        """

    /// `turing.claim_tasks(worker, max, lease seconds, workflow)`.
    static func claim(
        _ connection: PostgresConnection, worker: String, max: Int = 1, leaseSeconds: Double = 60, workflow: Int64? = nil
    ) async throws -> [Claim] {
        let rows = try await connection.query(claimSQL, [worker, max, leaseSeconds, workflow])
        return try rows.map {
            Claim(
                taskID: try $0.decode(0), workflowID: try $0.decode(1), token: try $0.decode(2), attempt: try $0.decode(3),
                payload: try $0.decode(4), checkpoint: try $0.decode(5))
        }
    }

    static func completeTask(_ connection: PostgresConnection, _ claim: Claim, result: String) async throws -> Bool {
        let rows = try await connection.query(
            "SELECT turing.complete_task($1, $2, $3::jsonb)", [claim.taskID, claim.token, result])
        return try #require(rows.first).decode(0)
    }

    static func failTask(
        _ connection: PostgresConnection, _ claim: Claim, error: String, retryDelaySeconds: Double? = nil
    ) async throws -> String? {
        let rows = try await connection.query(
            """
            SELECT turing.fail_task($1, $2, $3,
                   CASE WHEN $4::float8 IS NULL THEN NULL ELSE make_interval(secs => $4::float8) END)
            """, [claim.taskID, claim.token, error, retryDelaySeconds])
        return try #require(rows.first).decode(0)
    }

    static func renew(
        _ connection: PostgresConnection, worker: String, _ claims: [Claim], leaseSeconds: Double = 60
    ) async throws -> [Int64] {
        let rows = try await connection.query(
            "SELECT turing.renew_leases($1, $2::bigint[], $3::uuid[], make_interval(secs => $4)) ORDER BY 1",
            [worker, claims.map(\.taskID), claims.map(\.token), leaseSeconds])
        return try rows.map { try $0.decode(0) }
    }

    static func checkpoint(_ connection: PostgresConnection, _ claim: Claim, state: String) async throws -> Bool {
        let rows = try await connection.query(
            "SELECT turing.checkpoint_task($1, $2, $3::jsonb)", [claim.taskID, claim.token, state])
        return try #require(rows.first).decode(0)
    }

    static func release(_ connection: PostgresConnection, worker: String, ids: [Int64]?) async throws -> Int {
        let rows = try await connection.query("SELECT turing.release_tasks($1, $2::bigint[])", [worker, ids])
        return try #require(rows.first).decode(0)
    }

    /// Moves a task's lease into the past, as if its holder had stopped renewing (superuser only).
    static func expireLease(_ connection: PostgresConnection, _ taskID: Int64) async throws {
        let rows = try await connection.query(
            "UPDATE turing.tasks SET lease_expires_at = now() - interval '1 second' WHERE id = $1 AND status = 'running'",
            [taskID])
        #expect(rows.affectedRows == 1)
    }

    /// Makes a pending task's backoff run out (superuser only).
    static func makeDue(_ connection: PostgresConnection, _ taskID: Int64) async throws {
        let rows = try await connection.query(
            "UPDATE turing.tasks SET run_after = now() - interval '1 millisecond' WHERE id = $1 AND status = 'pending'",
            [taskID])
        #expect(rows.affectedRows == 1)
    }

    /// One column of one row, by SQL.
    static func value<T: PostgresDecodable>(
        _ connection: PostgresConnection, _ sql: String, _ parameters: [any PostgresEncodable] = [], as type: T.Type = T.self
    ) async throws -> T {
        let rows = try await connection.query(sql, parameters)
        return try #require(rows.first, "no row from \(sql)").decode(0)
    }

    /// A digest of everything the API can change: every row of tasks, workers and workflows.
    static func state(_ connection: PostgresConnection) async throws -> String {
        try await value(
            connection,
            """
            SELECT coalesce((SELECT string_agg(t::text, E'\\n' ORDER BY t.id) FROM turing.tasks AS t), '')
                || E'\\n--\\n' || coalesce((SELECT string_agg(w::text, E'\\n' ORDER BY w.id) FROM turing.workers AS w), '')
                || E'\\n--\\n' || coalesce((SELECT string_agg(f::text, E'\\n' ORDER BY f.id) FROM turing.workflows AS f), '')
            """)
    }

    /// Runs `sql` and expects it to fail with SQLSTATE `state`.
    static func expectSQLState(
        _ state: String, _ connection: PostgresConnection, _ sql: String, _ parameters: [any PostgresEncodable] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            try await connection.query(sql, parameters)
            Issue.record("expected SQLSTATE \(state), but it succeeded: \(sql)", sourceLocation: sourceLocation)
        } catch let error as PostgresError {
            #expect(error.sqlState == state, "\(sql) -> \(error.sqlState ?? "nil"): \(error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record(error, "\(sql)", sourceLocation: sourceLocation)
        }
    }
}
