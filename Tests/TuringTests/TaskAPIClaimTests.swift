import Foundation
import TestSupport
import Testing
import TuringPostgres
@testable import Turing

/// claim_tasks as migration 093 writes it: short statements whose plans PL/pgSQL caches per session.
@Suite("088 SQL API: claims with cached plans (093)")
struct TaskAPIClaimTests {
    typealias F = TaskAPIFixture

    @Test("one session switching between workflows and all workflows keeps each claim to its scope")
    func cachedPlansKeepTheirScope() async throws {
        let (_, db) = try await F.database()
        let one = try await F.workflow(db, name: "one")
        let two = try await F.workflow(db, name: "two")
        let ones = try await F.insertTasks(db, workflow: one, count: 40)
        let twos = try await F.insertTasks(db, workflow: two, count: 40)
        // Eight claims per scope on one connection: PL/pgSQL plans the first five for their values, then may
        // reuse a generic plan; the answers must not change when it does.
        var claimed: [Int64: Set<Int64>] = [:]
        for round in 0..<8 {
            for scope in [one, two] {
                let batch = try await F.claim(db, worker: "w", max: 2, workflow: scope)
                #expect(batch.count == 2, "round \(round)")
                #expect(batch.allSatisfy { $0.workflowID == scope })
                claimed[scope, default: []].formUnion(batch.map(\.taskID))
            }
        }
        #expect(claimed[one] == Set(ones.prefix(16)))
        #expect(claimed[two] == Set(twos.prefix(16)))
        let anywhere = try await F.claim(db, worker: "w", max: 100)
        #expect(Set(anywhere.map(\.taskID)) == Set(ones.dropFirst(16) + twos.dropFirst(16)))
    }

    @Test("due and expired candidates are merged in claim order, and max_tasks counts both")
    func dueAndExpiredMerged() async throws {
        let (_, db) = try await F.database()
        let workflow = try await F.workflow(db)
        let ids = try await F.insertTasks(db, workflow: workflow, count: 4)
        // The two oldest are claimed and their leases run out; the two newest stay pending.
        let held = try await F.claim(db, worker: "gone", max: 2, workflow: workflow)
        try #require(held.map(\.taskID) == Array(ids.prefix(2)))
        try await F.expireLease(db, ids[0])
        try await F.expireLease(db, ids[1])
        try await db.query("UPDATE turing.tasks SET priority = 9 WHERE id = $1", [ids[3]])

        let taken = try await F.claim(db, worker: "next", max: 3, workflow: workflow)
        #expect(taken.map(\.taskID) == [ids[3], ids[0], ids[1]])
        #expect(taken.map(\.attempt) == [1, 2, 2])
        let rest = try await F.claim(db, worker: "next", max: 3)
        #expect(rest.map(\.taskID) == [ids[2]])
    }
}

extension TaskAPIClaimTests {
    @Test("sql/explain_claim.sql prints the plans of claim_tasks' statements, through the indexes, and claims nothing")
    func explainClaimScript() async throws {
        let (database, db) = try await F.database()
        let workflow = try await F.workflow(db)
        // A table worth planning for: 20,000 finished tasks of another workflow, 200 pending ones.
        let history = try await F.workflow(db, name: "history")
        try await db.query(
            """
            INSERT INTO turing.tasks (workflow_id, payload, status, completed_at, result)
            SELECT $1, '{}', 'completed', now(), '{}' FROM generate_series(1, 20000)
            """, [history])
        try await F.insertTasks(db, workflow: workflow, count: 200)
        try await db.query("ANALYZE turing.tasks")
        let psql = try await MigrateCLI.runTool([
            "psql", "-X", "-d", database.url, "-v", "workflow=\(workflow)", "-v", "max_tasks=20",
            "-f", F.sqlDirectory + "/explain_claim.sql",
        ])
        #expect(psql.status == 0, "\(psql)")
        let output = psql.stdout + psql.stderr
        #expect(output.contains("tasks_claimable_workflow_idx"), "\(output)")
        #expect(output.contains("tasks_pkey"), "\(output)")
        #expect(output.contains("Buffers:"), "\(output)")
        #expect(!output.contains("Seq Scan on tasks"), "\(output)")
        #expect(psql.stdout.contains("20"), "the claim inside the transaction took 20 tasks: \(psql.stdout)")
        #expect(try await F.value(db, "SELECT count(*) FROM turing.tasks WHERE status = 'pending'", as: Int.self) == 200)
    }
}
