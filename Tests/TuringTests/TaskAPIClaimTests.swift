import Foundation
import TestSupport
import Testing
import TuringPostgres
@testable import Turing

/// claim_tasks as migration 093 writes it (short statements with cached plans), and the worker's one-statement
/// exchange of results for new claims.
@Suite("088 SQL API: claims with cached plans, and complete-and-claim")
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

    @Test("completeAndClaim records the results whose leases hold and claims more, in one statement")
    func completeAndClaim() async throws {
        let (_, db) = try await F.database()
        let workflow = try await F.workflow(db)
        let ids = try await F.insertTasks(db, workflow: workflow, count: 6)
        let store = TaskStore(connection: db)
        let request = TaskStore.ClaimRequest(workerID: "w", maxTasks: 2, lease: .seconds(60), workflowID: workflow)
        let first = try await store.claim(request)
        try #require(first.map(\.taskID) == Array(ids.prefix(2)))

        let completions = [
            TaskStore.Completion(taskID: first[0].taskID, leaseToken: first[0].leaseToken, result: #"{"ok": 1}"#),
            TaskStore.Completion(taskID: first[1].taskID, leaseToken: UUID(), result: #"{"stale": true}"#),
        ]
        let (recorded, claimed) = try await store.completeAndClaim(completions, request)
        #expect(recorded == [ids[0]])
        #expect(claimed.map(\.taskID) == [ids[2], ids[3]])
        #expect(claimed.allSatisfy { $0.attempt == 1 && $0.payload.contains("\"n\"") })
        let states = try await db.query("SELECT id, status, result::text FROM turing.tasks WHERE id = ANY($1) ORDER BY id", [Array(ids.prefix(4))])
        #expect(try states.map { try $0.decode(1, as: String.self) } == ["completed", "running", "running", "running"])
        #expect(try states.first?.decode(2, as: String?.self) == #"{"ok": 1}"#)

        // Nothing to complete, or nothing left to claim: each half still answers.
        let (none, more) = try await store.completeAndClaim([], request)
        #expect(none.isEmpty && more.map(\.taskID) == [ids[4], ids[5]])
        let done = more.map { TaskStore.Completion(taskID: $0.taskID, leaseToken: $0.leaseToken, result: "null") }
        let (last, empty) = try await store.completeAndClaim(done, request)
        #expect(last == [ids[4], ids[5]] && empty.isEmpty)
    }

    @Test("a completeAndClaim that fails changes nothing: no result recorded, no task claimed")
    func completeAndClaimIsOneTransaction() async throws {
        let (_, db) = try await F.database()
        let workflow = try await F.workflow(db)
        try await F.insertTasks(db, workflow: workflow, count: 3)
        let store = TaskStore(connection: db)
        let held = try #require(try await store.claim(workerID: "w", maxTasks: 1, lease: .seconds(60), workflowID: workflow).first)
        // An unknown workflow makes the claim half raise TU003 after the complete half has run.
        let bad = TaskStore.ClaimRequest(workerID: "w", maxTasks: 2, lease: .seconds(60), workflowID: 987_654)
        let completion = TaskStore.Completion(taskID: held.taskID, leaseToken: held.leaseToken, result: "1")
        let error = await #expect(throws: PostgresError.self) { try await store.completeAndClaim([completion], bad) }
        #expect(error?.sqlState == "TU003")
        let counts = try await db.query("SELECT count(*) FILTER (WHERE status = 'running'), count(*) FILTER (WHERE status = 'pending') FROM turing.tasks")
        #expect(try counts.first?.decode(0, as: Int.self) == 1)
        #expect(try counts.first?.decode(1, as: Int.self) == 2)
    }
}
