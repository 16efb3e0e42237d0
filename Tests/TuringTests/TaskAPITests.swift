import Foundation
import TestSupport
import Testing
import TuringPostgres
@testable import Turing

/// Migration 088's SQL API against a real server: claims, leases, fencing, retries, releases, NOTIFY and
/// coexistence with the old sequential processor. Each test has its own database.
@Suite("088 SQL API: claims, leases, retries")
struct TaskAPITests {
    typealias F = TaskAPIFixture

    // MARK: Concurrent claims

    @Test("8 connections claiming in a tight loop over 20k tasks: every task claimed exactly once")
    func concurrentClaimsAreExclusive() async throws {
        let (database, admin) = try await F.database()
        let workflow = try await F.workflow(admin)
        let all = try await F.insertTasks(admin, workflow: workflow, count: 20_000)
        #expect(all.count == 20_000)

        let connections: [PostgresConnection] = try await withThrowingTaskGroup(of: PostgresConnection.self) { group in
            for _ in 0..<8 { group.addTask { try await database.connect() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let perWorker: [String: [F.Claim]] = try await withThrowingTaskGroup(of: (String, [F.Claim]).self) { group in
            for (index, connection) in connections.enumerated() {
                // Batch sizes from 1 to 29, so claims of different sizes collide on the same rows.
                let batch = [1, 3, 7, 13, 29, 2, 5, 11][index]
                let worker = "claimer-\(index)"
                group.addTask {
                    var claims: [F.Claim] = []
                    var emptyInARow = 0
                    // An empty answer only means everything left is locked by other claimers right now:
                    // stop after a few in a row; the check below proves nothing was left behind.
                    while emptyInARow < 3 {
                        let got = try await F.claim(connection, worker: worker, max: batch, leaseSeconds: 600)
                        #expect(got.count <= batch)
                        emptyInARow = got.isEmpty ? emptyInARow + 1 : 0
                        claims += got
                    }
                    return (worker, claims)
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }

        let claims = perWorker.values.flatMap { $0 }
        let ids = claims.map(\.taskID)
        #expect(ids.count == 20_000, "claims handed out: \(ids.count)")
        #expect(Set(ids).count == ids.count, "a task was handed to two callers")
        let missing = Set(all).subtracting(ids), extra = Set(ids).subtracting(all)
        #expect(missing.isEmpty && extra.isEmpty, "never claimed: \(missing.count), not enqueued: \(extra.count)")
        #expect(perWorker.values.filter { !$0.isEmpty }.count > 1, "only one connection ever got work")
        #expect(claims.allSatisfy { $0.attempt == 1 })
        #expect(Set(claims.map(\.token)).count == claims.count, "lease tokens are not unique per claim")

        // The database agrees with what each caller was told: holder, token, one attempt.
        let rows = try await admin.query(
            "SELECT id, claimed_by, lease_token, attempts, status FROM turing.tasks ORDER BY id")
        var told: [Int64: (String, UUID)] = [:]
        for (worker, list) in perWorker { for claim in list { told[claim.taskID] = (worker, claim.token) } }
        var mismatches = 0
        for row in rows {
            let id: Int64 = try row.decode(0)
            let holder: String? = try row.decode(1)
            let token: UUID? = try row.decode(2)
            let attempts: Int = try row.decode(3)
            let status: String = try row.decode(4)
            if told[id]?.0 != holder || told[id]?.1 != token || attempts != 1 || status != "running" { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(try await F.value(admin, "SELECT count(*) FROM turing.tasks WHERE status = 'pending'", as: Int.self) == 0)
        for connection in connections { await connection.close() }
    }

    @Test("claim order: highest priority first, then oldest; a workflow filter claims only that workflow")
    func claimOrderAndWorkflowFilter() async throws {
        let (_, db) = try await F.database()
        let one = try await F.workflow(db, name: "one")
        let two = try await F.workflow(db, name: "two")
        let low = try await F.insertTasks(db, workflow: one, count: 3)
        let other = try await F.insertTasks(db, workflow: two, count: 2)
        let high = try await F.value(
            db, "SELECT turing.enqueue_tasks($1, ARRAY['{\"p\": 5}'::jsonb, '{\"p\": 5}'], 5) ORDER BY 1 LIMIT 1",
            [one], as: Int64.self)

        let first = try await F.claim(db, worker: "w", max: 2, workflow: one)
        #expect(first.map(\.taskID) == [high, high + 1])
        let next = try await F.claim(db, worker: "w", max: 10, workflow: one)
        #expect(next.map(\.taskID) == low)
        #expect(try await F.claim(db, worker: "w", max: 10, workflow: one).isEmpty)
        let rest = try await F.claim(db, worker: "w", max: 10)
        #expect(rest.map(\.taskID) == other)
        #expect(rest.allSatisfy { $0.workflowID == two })
    }

    // MARK: Leases and fencing

    @Test("fencing: after an expired lease is re-claimed, the first holder's complete/fail/renew/checkpoint are refused")
    func fencing() async throws {
        let (database, admin) = try await F.database()
        let a = try await database.connect()
        let b = try await database.connect()
        let workflow = try await F.workflow(admin)
        let id = try #require(try await F.insertTasks(admin, workflow: workflow, count: 1).first)

        let first = try #require(try await F.claim(a, worker: "worker-a").first)
        #expect(first.taskID == id && first.attempt == 1)
        #expect(try await F.checkpoint(a, first, state: #"{"step": 1}"#))
        try await F.expireLease(admin, id)

        let second = try #require(try await F.claim(b, worker: "worker-b").first)
        #expect(second.taskID == id)
        #expect(second.attempt == 2)
        #expect(second.token != first.token)
        #expect(second.checkpoint.map { $0.contains("\"step\": 1") } == true, "the checkpoint is handed to the next attempt")

        // The late worker A: every write is refused, and changes nothing.
        let before = try await F.state(admin)
        #expect(try await F.completeTask(a, first, result: #"{"by": "a"}"#) == false)
        #expect(try await F.failTask(a, first, error: "a failed") == nil)
        #expect(try await F.renew(a, worker: "worker-a", [first]).isEmpty)
        #expect(try await F.checkpoint(a, first, state: #"{"step": "a"}"#) == false)
        #expect(try await F.release(a, worker: "worker-a", ids: nil) == 0)
        #expect(try await F.release(a, worker: "worker-a", ids: [id]) == 0)
        let batch = try await a.query(
            "SELECT turing.complete_tasks($1::bigint[], $2::uuid[], $3::jsonb[])",
            [[id], [first.token], [#"{"by": "a"}"#]])
        #expect(batch.isEmpty)
        #expect(try await F.state(admin) == before)

        // B holds the task: its calls work, and its result stands.
        #expect(try await F.renew(a, worker: "worker-a", [second]).isEmpty, "a lease is renewed only by its holder")
        #expect(try await F.renew(b, worker: "worker-b", [second]) == [id])
        #expect(try await F.checkpoint(b, second, state: #"{"step": 2}"#))
        #expect(try await F.completeTask(b, second, result: #"{"by": "b"}"#))
        #expect(try await F.completeTask(a, first, result: #"{"by": "a"}"#) == false)
        #expect(try await F.failTask(a, first, error: "late") == nil)
        #expect(try await F.completeTask(b, second, result: #"{"by": "b again"}"#) == false, "a task completes once")

        let row = try #require(try await admin.query(
            "SELECT status, result->>'by', claimed_by, lease_token, error FROM turing.tasks WHERE id = $1", [id]).first)
        #expect(try row.decode(0, as: String.self) == "completed")
        #expect(try row.decode(1, as: String.self) == "b")
        #expect(try row.decode(2, as: String.self) == "worker-b")
        #expect(try row.decode(3, as: UUID.self) == second.token)
        #expect(try row.decode(4, as: String?.self) == nil)
    }

    @Test("fencing in complete_tasks: only the entries whose lease still holds are recorded")
    func batchCompletionFencing() async throws {
        let (_, db) = try await F.database()
        let workflow = try await F.workflow(db)
        try await F.insertTasks(db, workflow: workflow, count: 3)
        let claims = try await F.claim(db, worker: "a", max: 3)
        try #require(claims.count == 3)
        try await F.expireLease(db, claims[1].taskID)
        let stolen = try #require(try await F.claim(db, worker: "b").first)
        #expect(stolen.taskID == claims[1].taskID)

        let recorded = try await db.query(
            "SELECT turing.complete_tasks($1::bigint[], $2::uuid[], $3::jsonb[]) ORDER BY 1",
            [claims.map(\.taskID), claims.map(\.token), claims.map { _ in #"{"by": "a"}"# }])
        #expect(try recorded.map { try $0.decode(0, as: Int64.self) } == [claims[0].taskID, claims[2].taskID])
        let stolenRow = try #require(try await db.query(
            "SELECT status, result, claimed_by FROM turing.tasks WHERE id = $1", [stolen.taskID]).first)
        #expect(try stolenRow.decode(0, as: String.self) == "running")
        #expect(try stolenRow.decode(1, as: String?.self) == nil)
        #expect(try stolenRow.decode(2, as: String.self) == "b")
    }

    @Test("an expired lease is claimable again with no manual step; a renewed one is not")
    func expiredVersusRenewed() async throws {
        let (_, db) = try await F.database()
        let workflow = try await F.workflow(db)
        let ids = try await F.insertTasks(db, workflow: workflow, count: 2)
        let claims = try await F.claim(db, worker: "holder", max: 2)
        try #require(claims.map(\.taskID) == ids)

        // Both leases run out (explicit timeline: moved into the past) ...
        try await F.expireLease(db, ids[0])
        try await F.expireLease(db, ids[1])
        let listed = try await db.query("SELECT task_id FROM turing.expired_leases ORDER BY task_id")
        #expect(try listed.map { try $0.decode(0, as: Int64.self) } == ids)
        // ... but the holder renews the second before anyone else claims it.
        #expect(try await F.renew(db, worker: "holder", [claims[1]], leaseSeconds: 60) == [ids[1]])
        let expiry = try await F.value(
            db, "SELECT lease_expires_at > now() + interval '50 seconds' FROM turing.tasks WHERE id = $1", [ids[1]],
            as: Bool.self)
        #expect(expiry)

        let taken = try await F.claim(db, worker: "other", max: 10)
        #expect(taken.map(\.taskID) == [ids[0]])
        #expect(taken.first?.attempt == 2)
        #expect(try await F.claim(db, worker: "other", max: 10).isEmpty)
        #expect(try await db.query("SELECT 1 FROM turing.expired_leases").isEmpty)
        #expect(try await F.renew(db, worker: "holder", claims) == [ids[1]], "the holder learns it lost the first task")
    }

    // MARK: Retries

    @Test("backoff: not claimable before run_after; failed after max_attempts; requeue_failed brings it back")
    func backoffAndExhaustion() async throws {
        let (_, db) = try await F.database()
        let workflow = try await F.workflow(db)
        let id = try #require(try await F.insertTasks(db, workflow: workflow, count: 1).first)
        let maxAttempts = try await F.value(db, "SELECT max_attempts FROM turing.tasks WHERE id = $1", [id], as: Int.self)
        #expect(maxAttempts == 5)

        for attempt in 1...maxAttempts {
            let claim = try #require(try await F.claim(db, worker: "w").first, "attempt \(attempt) was not claimable")
            #expect(claim.attempt == attempt)
            // fail_task and the check share a transaction, so now() is the same instant in both.
            let (outcome, delay, running) = try await db.transaction { tx in
                let outcome: String? = try #require(try tx.query(
                    "SELECT turing.fail_task($1, $2, $3)", [id, claim.token, "boom \(attempt)"]).first).decode(0)
                let row = try #require(try tx.query(
                    "SELECT extract(epoch FROM run_after - now())::float8, lease_expires_at IS NOT NULL OR claimed_by IS NOT NULL FROM turing.tasks WHERE id = $1",
                    [id]).first)
                return (outcome, try row.decode(0, as: Double?.self), try row.decode(1, as: Bool.self))
            }
            if attempt < maxAttempts {
                #expect(outcome == "pending")
                // 2^attempts seconds, +-25 % jitter.
                let base = pow(2.0, Double(attempt))
                let seconds = try #require(delay)
                #expect(seconds >= base * 0.75 - 1e-6 && seconds <= base * 1.25 + 1e-6, "attempt \(attempt): \(seconds) s")
                #expect(!running, "a retried task keeps no lease")
                #expect(try await F.claim(db, worker: "w").isEmpty, "claimable before its run_after")
                try await F.makeDue(db, id)
            } else {
                #expect(outcome == "failed")
            }
        }
        let row = try #require(try await db.query(
            "SELECT status, error, attempts, completed_at IS NOT NULL, lease_expires_at FROM turing.tasks WHERE id = $1",
            [id]).first)
        #expect(try row.decode(0, as: String.self) == "failed")
        #expect(try row.decode(1, as: String.self) == "boom \(maxAttempts)")
        #expect(try row.decode(2, as: Int.self) == maxAttempts)
        #expect(try row.decode(3, as: Bool.self))
        #expect(try row.decode(4, as: String?.self) == nil)
        try await db.query("UPDATE turing.tasks SET run_after = now() - interval '1 day' WHERE id = $1", [id])
        #expect(try await F.claim(db, worker: "w").isEmpty, "a failed task is never claimed")

        #expect(try await F.value(db, "SELECT turing.requeue_failed($1)", [workflow], as: Int.self) == 1)
        #expect(try await F.value(db, "SELECT turing.requeue_failed($1)", [workflow], as: Int.self) == 0)
        let again = try #require(try await F.claim(db, worker: "w").first)
        #expect(again.taskID == id)
        #expect(again.attempt == 1, "requeue_failed gives fresh attempts")
    }

    @Test("an explicit retry_delay is honoured exactly; zero means claimable at once")
    func explicitRetryDelay() async throws {
        let (_, db) = try await F.database()
        let workflow = try await F.workflow(db)
        let id = try #require(try await F.insertTasks(db, workflow: workflow, count: 1).first)
        let claim = try #require(try await F.claim(db, worker: "w").first)
        let delay = try await db.transaction { tx in
            let outcome: String? = try #require(try tx.query(
                "SELECT turing.fail_task($1, $2, 'later', interval '1 hour')", [id, claim.token]).first).decode(0)
            #expect(outcome == "pending")
            return try #require(try tx.query(
                "SELECT (run_after - now())::text FROM turing.tasks WHERE id = $1", [id]).first).decode(0, as: String.self)
        }
        #expect(delay == "01:00:00")
        #expect(try await F.claim(db, worker: "w").isEmpty)
        try await db.query("UPDATE turing.tasks SET run_after = now() - interval '1 second' WHERE id = $1", [id])

        let second = try #require(try await F.claim(db, worker: "w").first)
        #expect(second.attempt == 2)
        #expect(try await F.failTask(db, second, error: "again", retryDelaySeconds: 0) == "pending")
        let third = try #require(try await F.claim(db, worker: "w").first)
        #expect(third.taskID == id && third.attempt == 3)
    }

    @Test("a task whose lease keeps expiring ends failed after max_attempts instead of looping")
    func leaseExpiringEveryTimeEndsFailed() async throws {
        let (_, db) = try await F.database()
        let workflow = try await F.workflow(db)
        let id = try #require(try await F.insertTasks(db, workflow: workflow, count: 1).first)
        try await db.query("UPDATE turing.tasks SET max_attempts = 3 WHERE id = $1", [id])

        for attempt in 1...3 {
            let claim = try #require(try await F.claim(db, worker: "crasher-\(attempt)").first)
            #expect(claim.attempt == attempt)
            try await F.expireLease(db, id)  // the worker died with the task
        }
        #expect(try await F.claim(db, worker: "next", max: 10).isEmpty)
        let row = try #require(try await db.query(
            "SELECT status, attempts, error, lease_expires_at IS NULL, completed_at IS NOT NULL FROM turing.tasks WHERE id = $1",
            [id]).first)
        #expect(try row.decode(0, as: String.self) == "failed")
        #expect(try row.decode(1, as: Int.self) == 3)
        let error = try row.decode(2, as: String.self)
        #expect(error.contains("lease expired after 3 attempts") && error.contains("crasher-3"), "\(error)")
        #expect(try row.decode(3, as: Bool.self))
        #expect(try row.decode(4, as: Bool.self))
        #expect(try await db.query("SELECT 1 FROM turing.expired_leases").isEmpty)
        #expect(try await F.claim(db, worker: "next", max: 10).isEmpty)
        #expect(try await F.value(db, "SELECT turing.requeue_failed($1)", [workflow], as: Int.self) == 1)
        #expect(try await F.claim(db, worker: "next").first?.attempt == 1)
    }

    @Test("release_tasks hands unstarted claims back at once and costs no attempt")
    func releaseCostsNoAttempt() async throws {
        let (_, db) = try await F.database()
        let workflow = try await F.workflow(db)
        let ids = try await F.insertTasks(db, workflow: workflow, count: 5)
        let claims = try await F.claim(db, worker: "w", max: 5)
        try #require(claims.map(\.taskID) == ids)

        #expect(try await F.release(db, worker: "someone-else", ids: nil) == 0)
        #expect(try await F.release(db, worker: "w", ids: [ids[0], ids[1], 999_999]) == 2)
        let released = try await db.query(
            "SELECT status, attempts, claimed_by, lease_token, lease_expires_at, run_after, started_at FROM turing.tasks WHERE id = ANY($1::bigint[])",
            [[ids[0], ids[1]]])
        #expect(released.count == 2)
        for row in released {
            #expect(try row.decode(0, as: String.self) == "pending")
            #expect(try row.decode(1, as: Int.self) == 0)
            #expect(row.cells[2...].allSatisfy { $0 == nil }, "lease, holder, backoff and start are cleared")
        }
        #expect(try await F.release(db, worker: "w", ids: nil) == 3)
        #expect(try await F.value(db, "SELECT count(*) FROM turing.tasks WHERE status = 'pending' AND attempts = 0", as: Int.self) == 5)

        let again = try await F.claim(db, worker: "w2", max: 5)
        #expect(again.map(\.taskID) == ids, "released tasks are claimable at once, in order")
        #expect(again.allSatisfy { $0.attempt == 1 })

        // A task on its second attempt keeps the first one: only the unstarted claim is refunded.
        #expect(try await F.failTask(db, again[0], error: "x", retryDelaySeconds: 0) == "pending")
        let retry = try #require(try await F.claim(db, worker: "w3").first)
        #expect(retry.taskID == ids[0] && retry.attempt == 2)
        #expect(try await F.release(db, worker: "w3", ids: [ids[0]]) == 1)
        #expect(try await F.value(db, "SELECT attempts FROM turing.tasks WHERE id = $1", [ids[0]], as: Int.self) == 1)
        #expect(try await F.completeTask(db, retry, result: "{}") == false, "a released claim's token is dead")
    }

    // MARK: The old sequential processor

    @Test("the old sequential UPDATE ... SKIP LOCKED path and claim_tasks never take the same task")
    func legacyPathCoexists() async throws {
        let (database, admin) = try await F.database()
        let workflow = try await F.workflow(admin)
        let all = try await F.insertTasks(admin, workflow: workflow, count: 3_000)
        let modern = try await database.connect()
        let legacy = try await database.connect()
        let legacyTwoStep = try await database.connect()

        @Sendable func claimLoop() async throws -> [F.Claim] {
            var claims: [F.Claim] = []
            var emptyInARow = 0
            while emptyInARow < 3 {
                let got = try await F.claim(modern, worker: "parallel", max: 4, leaseSeconds: 600)
                emptyInARow = got.isEmpty ? emptyInARow + 1 : 0
                claims += got
            }
            return claims
        }
        // The old processor's claim, as it ran before 088: one task at a time.
        @Sendable func skipLockedLoop() async throws -> [Int64] {
            var ids: [Int64] = []
            var emptyInARow = 0
            while emptyInARow < 3 {
                let rows = try await legacy.query(
                    """
                    UPDATE turing.tasks SET status = 'running', started_at = now()
                    WHERE id = (SELECT id FROM turing.tasks WHERE status = 'pending' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
                    RETURNING id
                    """)
                emptyInARow = rows.isEmpty ? emptyInARow + 1 : 0
                ids += try rows.map { try $0.decode(0, as: Int64.self) }
            }
            return ids
        }
        // The 087 comment's variant: read the next pending id, then take it only if it is still pending.
        @Sendable func twoStepLoop() async throws -> [Int64] {
            var ids: [Int64] = []
            while true {
                let next = try await legacyTwoStep.query(
                    "SELECT id FROM turing.tasks WHERE status = 'pending' ORDER BY id LIMIT 1")
                guard let candidate = try next.first?.decode(0, as: Int64.self) else { break }
                let rows = try await legacyTwoStep.query(
                    "UPDATE turing.tasks SET status = 'running', started_at = now() WHERE id = $1 AND status = 'pending' RETURNING id",
                    [candidate])
                ids += try rows.map { try $0.decode(0, as: Int64.self) }
            }
            return ids
        }
        async let claimed = claimLoop()
        async let takenSkipLocked = skipLockedLoop()
        async let takenTwoStep = twoStepLoop()
        let (claims, skipLocked, twoStep) = try await (claimed, takenSkipLocked, takenTwoStep)

        let claimedIDs = Set(claims.map(\.taskID))
        let legacyIDs = skipLocked + twoStep
        #expect(claims.count == claimedIDs.count)
        #expect(Set(legacyIDs).count == legacyIDs.count, "the two old-style clients took the same task")
        let both = claimedIDs.intersection(legacyIDs)
        #expect(both.isEmpty, "\(both.count) tasks taken by both claim_tasks and the old path, e.g. \(both.sorted().prefix(10))")
        let untaken = Set(all).subtracting(claimedIDs).subtracting(legacyIDs)
        #expect(untaken.isEmpty, "\(untaken.count) tasks taken by nobody")
        #expect(!claimedIDs.isEmpty && !legacyIDs.isEmpty, "both sides should have got work")

        // In the table: claim_tasks' tasks carry the token it returned; the old path's carry no lease.
        let leased = try await admin.query(
            "SELECT id, lease_token FROM turing.tasks WHERE lease_token IS NOT NULL ORDER BY id")
        var tokens: [Int64: UUID] = [:]
        for row in leased { tokens[try row.decode(0)] = try row.decode(1) }
        #expect(Set(tokens.keys).symmetricDifference(claimedIDs).isEmpty)
        #expect(claims.allSatisfy { tokens[$0.taskID] == $0.token })
        #expect(try await F.value(
            admin,
            "SELECT count(*) FROM turing.tasks WHERE status = 'running' AND lease_expires_at IS NULL AND claimed_by IS NULL AND attempts = 0",
            as: Int.self) == legacyIDs.count)

        // The old processor's running tasks (NULL lease) are never claimed, however old they are.
        try await admin.query("UPDATE turing.tasks SET started_at = now() - interval '1 day' WHERE lease_token IS NULL")
        #expect(try await F.claim(modern, worker: "parallel", max: 100).isEmpty)
        #expect(try await admin.query("SELECT 1 FROM turing.expired_leases").isEmpty)
    }

    // MARK: NOTIFY

    @Test("a bulk INSERT of 10k tasks sends exactly one NOTIFY turing_tasks")
    func oneNotificationPerStatement() async throws {
        let (database, admin) = try await F.database()
        let listener = try await database.connect()
        try await listener.listen("turing_tasks")
        let workflow = try await F.workflow(admin)

        /// Notifications on turing_tasks caused by `body`: a sentinel sent afterwards from the same connection
        /// arrives after them (notifications of one session are delivered in commit order).
        func notifications(_ body: () async throws -> Void) async throws -> [PostgresNotification] {
            try await body()
            let sentinel = "sentinel-\(UUID())"
            try await admin.notify("turing_tasks", payload: sentinel)
            var received: [PostgresNotification] = []
            while !received.contains(where: { $0.payload == sentinel }) {
                let batch = try await listener.waitForNotifications(timeout: .seconds(60))
                try #require(!batch.isEmpty, "no notification within a minute")
                received += batch
            }
            return received.filter { $0.payload != sentinel }
        }

        // One trigger per statement (not per row) on INSERT and UPDATE: PostgreSQL would fold identical per-row
        // notifications of one transaction into one too, but only after queueing one per row.
        let triggers = try await admin.query(
            """
            SELECT tgname, (tgtype & 1) = 0 AS per_statement FROM pg_trigger
            WHERE tgrelid = 'turing.tasks'::regclass AND NOT tgisinternal ORDER BY tgname
            """)
        #expect(try triggers.map { try $0.decode(0, as: String.self) } == ["tasks_notify_insert", "tasks_notify_update"])
        #expect(try triggers.allSatisfy { try $0.decode(1, as: Bool.self) })

        let bulk = try await notifications {
            _ = try await F.insertTasks(admin, workflow: workflow, count: 10_000)
        }
        #expect(bulk.count == 1)
        #expect(bulk.first?.channel == "turing_tasks")

        let enqueued = try await notifications {
            try await admin.query(
                "SELECT turing.enqueue_tasks($1, array_fill('{}'::jsonb, ARRAY[10000]))", [workflow])
        }
        #expect(enqueued.count == 1)

        // Nothing becomes claimable: no notification.
        let claims = try await F.claim(admin, worker: "w", max: 3)
        let quiet = try await notifications {
            try await admin.query(
                "UPDATE turing.tasks SET status = 'completed', completed_at = now() WHERE status = 'pending' AND id % 2 = 0")
            try await admin.query(
                "INSERT INTO turing.tasks (workflow_id, run_after) SELECT $1, now() + interval '1 hour' FROM generate_series(1, 100)",
                [workflow])
        }
        #expect(quiet.isEmpty)

        var releasedCount = 0
        let released = try await notifications {
            releasedCount = try await F.release(admin, worker: "w", ids: nil)
        }
        #expect(releasedCount == claims.count)
        #expect(released.count == 1)
    }

    // MARK: Literal storage

    @Test("payloads, worker ids, workflow names, errors and results with quotes, backslashes, Unicode and SQL are stored literally")
    func hostileTextIsStoredLiterally() async throws {
        let (_, db) = try await F.database()
        let nasty = #"O'Brien "quoted" \back\slash\\ %s %I $1 $$ $fn$ '); DROP TABLE turing.tasks; -- ünïcødé ✓ 🚀 日本語 \u0041"#
        let workerID = "worker " + nasty
        let workflow = try await F.workflow(db, name: nasty)
        #expect(try await F.value(db, "SELECT name FROM turing.workflows WHERE id = $1", [workflow], as: String.self) == nasty)
        #expect(try await F.value(
            db, "SELECT name FROM turing.workflow_progress WHERE workflow_id = $1", [workflow], as: String.self) == nasty)

        let payload = try await F.value(db, "SELECT jsonb_build_object('text', $1::text, 'list', jsonb_build_array($1::text))::text", [nasty], as: String.self)
        let ids = try await db.query(
            "SELECT turing.enqueue_tasks($1, $2::jsonb[])", [workflow, [payload, payload, payload]])
        #expect(ids.count == 3)
        #expect(try await F.value(
            db, "SELECT count(*) FROM turing.tasks WHERE payload->>'text' = $1 AND payload->'list'->>0 = $1", [nasty],
            as: Int.self) == 3)

        try await db.query("SELECT turing.register_worker($1, $2, 42, 2)", [workerID, nasty])
        let claims = try await F.claim(db, worker: workerID, max: 3)
        #expect(claims.count == 3)
        let claimedPayload = try await F.value(db, "SELECT ($1::jsonb)->>'text'", [claims[0].payload], as: String.self)
        #expect(claimedPayload == nasty)
        let status = try #require(try await db.query(
            "SELECT worker_id, host, running FROM turing.worker_status").first)
        #expect(try status.decode(0, as: String.self) == workerID)
        #expect(try status.decode(1, as: String.self) == nasty)
        #expect(try status.decode(2, as: Int.self) == 3)
        #expect(try await F.value(
            db, "SELECT count(*) FROM turing.tasks WHERE claimed_by = $1", [workerID], as: Int.self) == 3)

        let result = try await F.value(db, "SELECT jsonb_build_object('answer', $1::text)::text", [nasty], as: String.self)
        #expect(try await F.completeTask(db, claims[0], result: result))
        #expect(try await F.failTask(db, claims[1], error: nasty, retryDelaySeconds: 0) == "pending")
        #expect(try await F.checkpoint(db, claims[2], state: result))
        #expect(try await F.renew(db, worker: workerID, [claims[2]]) == [claims[2].taskID])
        #expect(try await F.value(
            db, "SELECT result->>'answer' FROM turing.tasks WHERE id = $1", [claims[0].taskID], as: String.self) == nasty)
        #expect(try await F.value(db, "SELECT error FROM turing.tasks WHERE id = $1", [claims[1].taskID], as: String.self) == nasty)
        #expect(try await F.value(
            db, "SELECT checkpoint->>'answer' FROM turing.tasks WHERE id = $1", [claims[2].taskID], as: String.self) == nasty)

        // The lease-expiry message quotes the holder literally too.
        try await db.query("UPDATE turing.tasks SET max_attempts = 1 WHERE id = $1", [claims[2].taskID])
        try await F.expireLease(db, claims[2].taskID)
        _ = try await F.claim(db, worker: "other", max: 10)
        let gaveUp = try await F.value(db, "SELECT error FROM turing.tasks WHERE id = $1", [claims[2].taskID], as: String.self)
        #expect(gaveUp == "lease expired after 1 attempts (worker \(workerID) stopped renewing)")

        #expect(try await F.release(db, worker: workerID, ids: nil) == 0)
        try await db.query("SELECT turing.stop_worker($1)", [workerID])
        #expect(try await F.value(
            db, "SELECT NOT alive FROM turing.worker_status WHERE worker_id = $1", [workerID], as: Bool.self))
        #expect(try await F.value(db, "SELECT count(*) FROM turing.tasks", as: Int.self) == 3, "nothing was dropped")
    }
}
