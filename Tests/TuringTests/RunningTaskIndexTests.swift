import Foundation
import TestSupport
import Testing
import TuringCore
import TuringPostgres
@testable import Turing

/// Migration 094: a claim for one workflow reads only that workflow's expired leases.
@Suite("094 running task indexes")
struct RunningTaskIndexTests {
    typealias F = TaskAPIFixture

    /// 20,000 running tasks of another workflow whose leases expired long ago (their workers are gone and
    /// nobody claims that workflow), 1,000 pending tasks of `workflow`, and fresh statistics.
    static func strandedLeases(_ db: PostgresConnection) async throws -> (workflow: Int64, stranded: Int64) {
        let workflow = try await F.workflow(db, name: "live")
        let stranded = try await F.workflow(db, name: "stranded")
        try await db.query(
            """
            INSERT INTO turing.tasks (workflow_id, payload, status, claimed_by, lease_token, lease_expires_at, attempts, started_at)
            SELECT $1, '{}', 'running', 'gone', gen_random_uuid(), now() - interval '1 hour', 1, now() - interval '2 hours'
            FROM generate_series(1, 20000)
            """, [stranded])
        try await F.insertTasks(db, workflow: workflow, count: 1_000)
        try await db.query("ANALYZE turing.tasks")
        return (workflow, stranded)
    }

    /// Rows a claim of 50 for `workflow` read from turing.tasks and its indexes (sequential scans' rows plus
    /// index scans' entries), from the server's own per-transaction counters.
    static func rowsReadByClaim(_ db: PostgresConnection, workflow: Int64) async throws -> Int {
        // The counters add up over the session until the server flushes them, so the claim's share is the
        // difference, read inside its transaction.
        let counter = """
            SELECT pg_stat_get_xact_tuples_returned('turing.tasks'::regclass)
                 + (SELECT sum(pg_stat_get_xact_tuples_returned(i.indexrelid)) FROM pg_index AS i
                    WHERE i.indrelid = 'turing.tasks'::regclass)
            """
        return try await db.transaction { tx in
            let before = try tx.query(counter).first?.decode(0, as: Int.self) ?? 0
            let claimed = try tx.query("SELECT count(*) FROM turing.claim_tasks('w', 50, interval '1 minute', $1)", [workflow])
            guard try claimed.first?.decode(0, as: Int.self) == 50 else { throw TaskFailure("the claim did not take 50 tasks") }
            return try (tx.query(counter).first?.decode(0, as: Int.self) ?? 0) - before
        }
    }

    /// What each of `rounds` claims of 50 read. Seven on one connection, so that PL/pgSQL's generic plan
    /// (from the sixth call on) is measured as well as the first custom ones.
    static func readsOfClaims(_ db: PostgresConnection, workflow: Int64, rounds: Int = 7) async throws -> [Int] {
        var reads: [Int] = []
        for _ in 0..<rounds { reads.append(try await rowsReadByClaim(db, workflow: workflow)) }
        return reads
    }

    @Test("a claim for one workflow does not read the expired leases of another workflow")
    func claimSkipsOtherWorkflowsLeases() async throws {
        let (_, db) = try await F.database()
        let (workflow, _) = try await Self.strandedLeases(db)
        let reads = try await Self.readsOfClaims(db, workflow: workflow)
        #expect(reads.allSatisfy { $0 >= 50 }, "the counters must see at least the 50 claimed rows: \(reads)")
        #expect(reads.allSatisfy { $0 < 1_000 }, "rows read per claim of 50: \(reads)")
    }

    @Test("094 down restores the 093 schema exactly and brings the 20,000-row read back; up again fixes it")
    func downAndUpAgain() async throws {
        let only093 = try await TestPostgres.database()
        try await F.runner(only093).up(to: MigrationVersion(number: 93))
        let (database, db) = try await F.database()
        let (workflow, _) = try await Self.strandedLeases(db)

        try await F.runner(database).down(to: try #require(MigrationVersion(number: 93)))
        let expected = try await MigrateDB.schemaDump(only093)
        let actual = try await MigrateDB.schemaDump(database)
        #expect(actual == expected, "down 093 differs from up 093:\n\(MigrateDB.difference(actual, expected))")
        // What 094 fixes, shown on the same data: without its index the claim walks every expired lease.
        let readsBefore = try await Self.readsOfClaims(db, workflow: workflow)
        #expect(readsBefore.contains { $0 >= 20_000 }, "without 094, rows read per claim of 50: \(readsBefore)")

        try await F.runner(database).up(to: nil)
        let readsAfter = try await Self.readsOfClaims(db, workflow: workflow)
        #expect(readsAfter.allSatisfy { $0 < 1_000 }, "with 094, rows read per claim of 50: \(readsAfter)")
        #expect(try await F.value(
            db, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'turing' AND indexname = 'tasks_claimed_by_idx'", as: Int.self) == 0)
    }
}
