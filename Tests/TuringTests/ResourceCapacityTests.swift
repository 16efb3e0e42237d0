import Foundation
import TestSupport
import Testing
import TuringCore
import TuringPostgres
@testable import Turing

/// Migration 090: a global capacity per resource, enforced by the 5-argument `turing.claim_tasks`.
@Suite("090 resource capacity")
struct ResourceCapacityTests {
    typealias F = TaskAPIFixture

    /// `turing.claim_tasks(worker, max, lease seconds, workflow, resource)`.
    static func claim(
        _ connection: PostgresConnection, worker: String, max: Int = 1, resource: String?, leaseSeconds: Double = 60,
        workflow: Int64? = nil
    ) async throws -> [F.Claim] {
        let rows = try await connection.query(
            """
            SELECT task_id, workflow_id, lease_token, attempt, payload::text, checkpoint::text
            FROM turing.claim_tasks($1, $2, make_interval(secs => $3), $4, $5)
            """, [worker, max, leaseSeconds, workflow, resource])
        return try rows.map {
            F.Claim(
                taskID: try $0.decode(0), workflowID: try $0.decode(1), token: try $0.decode(2), attempt: try $0.decode(3),
                payload: try $0.decode(4), checkpoint: try $0.decode(5))
        }
    }

    static func setCapacity(_ connection: PostgresConnection, _ resource: String, _ capacity: Int) async throws {
        try await connection.query("SELECT turing.set_capacity($1, $2)", [resource, capacity])
    }

    /// Unexpired leases held on `resource` right now: what the claim counts against capacity.
    static func held(_ connection: PostgresConnection, _ resource: String) async throws -> Int {
        try await F.value(
            connection,
            "SELECT count(*) FROM turing.tasks WHERE status = 'running' AND resource = $1 AND lease_expires_at > now()",
            [resource])
    }

    struct Usage: Equatable {
        var capacity: Int, inUse: Int, available: Int, waiting: Int
    }

    static func usage(_ connection: PostgresConnection, _ resource: String) async throws -> Usage? {
        let rows = try await connection.query(
            "SELECT capacity, in_use, available, waiting FROM turing.resource_usage WHERE resource = $1", [resource])
        return try rows.first.map {
            Usage(capacity: try $0.decode(0), inUse: try $0.decode(1), available: try $0.decode(2), waiting: try $0.decode(3))
        }
    }

    struct HammerResult: Sendable {
        var completed: [Int64] = []
        var claims = 0
        var maxHeld = 0
        var violations: [Int] = []
    }

    @Test("8 connections hammering claim_tasks with capacity 4: never more than 4 unexpired leases, each task completed once")
    func hammer() async throws {
        let (database, admin) = try await F.database()
        let workflow = try await F.workflow(admin)
        let ids = try await F.insertTasks(admin, workflow: workflow, count: 150)
        try await Self.setCapacity(admin, "gpu0", 4)

        let results = try await withThrowingTaskGroup(of: HammerResult.self) { group in
            for index in 0..<8 {
                group.addTask {
                    let connection = try await database.connect()
                    defer { Task { await connection.close() } }
                    var result = HammerResult()
                    var held: [F.Claim] = []
                    var generator = SystemRandomNumberGenerator()
                    while true {
                        let claims = try await Self.claim(
                            connection, worker: "w\(index)", max: Int.random(in: 1...3, using: &generator), resource: "gpu0")
                        // Right after every claim, on the same connection: the invariant.
                        let inUse = try await Self.held(connection, "gpu0")
                        if inUse > 4 { result.violations.append(inUse) }
                        result.maxHeld = max(result.maxHeld, inUse)
                        result.claims += claims.count
                        held += claims
                        if let first = held.first {
                            held.removeFirst()
                            // Mostly complete; sometimes hand the task back or fail it for a retry, so leases also
                            // end through release_tasks and fail_task.
                            switch Int.random(in: 0..<10, using: &generator) {
                            case 0:
                                #expect(try await F.release(connection, worker: "w\(index)", ids: [first.taskID]) == 1)
                            case 1:
                                #expect(try await F.failTask(connection, first, error: "again", retryDelaySeconds: 0) == "pending")
                            default:
                                #expect(try await F.completeTask(connection, first, result: #"{"by": \#(index)}"#))
                                result.completed.append(first.taskID)
                            }
                        } else if claims.isEmpty {
                            let left = try await F.value(
                                connection, "SELECT count(*) FROM turing.tasks WHERE status <> 'completed'", as: Int.self)
                            if left == 0 { break }
                            await Task.yield()
                        }
                    }
                    return result
                }
            }
            var all: [HammerResult] = []
            for try await result in group { all.append(result) }
            return all
        }

        #expect(results.flatMap(\.violations).isEmpty, "more than 4 leases held on gpu0: \(results.flatMap(\.violations))")
        #expect(results.map(\.maxHeld).max() == 4, "the capacity was never reached: the test proves nothing")
        let completed = results.flatMap(\.completed)
        #expect(completed.count == ids.count && Set(completed) == Set(ids), "each task completed exactly once")
        #expect(results.map(\.claims).reduce(0, +) >= ids.count)
        #expect(results.filter { !$0.completed.isEmpty }.count >= 2, "only one connection ever got a claim")
        #expect(try await Self.usage(admin, "gpu0") == Usage(capacity: 4, inUse: 0, available: 4, waiting: 0))
    }

    @Test("a capacity change takes effect at the next claim, up and down; 0 pauses; expired leases stop counting")
    func capacityChanges() async throws {
        let (_, db) = try await F.database()
        let workflow = try await F.workflow(db)
        try await F.insertTasks(db, workflow: workflow, count: 20)
        try await Self.setCapacity(db, "gpu0", 2)

        let first = try await Self.claim(db, worker: "a", max: 10, resource: "gpu0")
        #expect(first.count == 2)
        #expect(try await Self.claim(db, worker: "b", max: 10, resource: "gpu0").isEmpty)
        #expect(try await Self.usage(db, "gpu0") == Usage(capacity: 2, inUse: 2, available: 0, waiting: 18))

        try await Self.setCapacity(db, "gpu0", 5)
        let second = try await Self.claim(db, worker: "b", max: 10, resource: "gpu0")
        #expect(second.count == 3)
        #expect(try await Self.held(db, "gpu0") == 5)

        // Lowered below what runs: nothing is interrupted, no claim until the count drops under it.
        try await Self.setCapacity(db, "gpu0", 1)
        #expect(try await Self.claim(db, worker: "c", max: 10, resource: "gpu0").isEmpty)
        #expect(try await Self.usage(db, "gpu0") == Usage(capacity: 1, inUse: 5, available: 0, waiting: 15))
        for claim in first + second.prefix(2) {
            #expect(try await F.completeTask(db, claim, result: "{}"))
        }
        #expect(try await Self.claim(db, worker: "c", max: 10, resource: "gpu0").isEmpty)  // 1 held, capacity 1
        #expect(try await F.completeTask(db, second[2], result: "{}"))
        #expect(try await Self.claim(db, worker: "c", max: 10, resource: "gpu0").count == 1)

        // 0 pauses the resource; claims without a resource are not limited by it.
        try await Self.setCapacity(db, "gpu0", 0)
        #expect(try await Self.claim(db, worker: "d", max: 10, resource: "gpu0").isEmpty)
        #expect(try await F.claim(db, worker: "e", max: 2).count == 2)
        #expect(try await Self.held(db, "gpu0") == 1)

        // An expired lease no longer counts, and the claim may take that very task over (a new attempt).
        try await Self.setCapacity(db, "gpu1", 2)
        let onGPU1 = try await Self.claim(db, worker: "f", max: 2, resource: "gpu1")
        #expect(onGPU1.count == 2)
        try await F.expireLease(db, onGPU1[0].taskID)
        #expect(try await Self.held(db, "gpu1") == 1)
        let takeover = try await Self.claim(db, worker: "g", max: 10, resource: "gpu1")
        #expect(takeover.count == 1)
        #expect(try await Self.held(db, "gpu1") == 2)
        #expect(try await Self.usage(db, "gpu1").map(\.inUse) == 2)
    }

    @Test("the 4-argument claim_tasks still resolves to 088's and clears tasks.resource: a re-claimed task stops counting")
    func fourArgumentClaimClearsResource() async throws {
        let (_, db) = try await F.database()
        let workflow = try await F.workflow(db)
        try await F.insertTasks(db, workflow: workflow, count: 3)
        try await Self.setCapacity(db, "gpu0", 3)
        let claims = try await Self.claim(db, worker: "a", max: 3, resource: "gpu0")
        #expect(try await F.value(db, "SELECT count(*) FROM turing.tasks WHERE resource = 'gpu0'", as: Int.self) == 3)
        try await F.expireLease(db, claims[0].taskID)

        let plain = try await F.claim(db, worker: "b", max: 1)
        #expect(plain.map(\.taskID) == [claims[0].taskID] && plain.first?.attempt == 2)
        #expect(try await F.value(db, "SELECT resource FROM turing.tasks WHERE id = $1", [claims[0].taskID], as: String?.self) == nil)
        #expect(try await Self.held(db, "gpu0") == 2)
        #expect(try await F.value(
            db, "SELECT count(*) FROM pg_proc WHERE proname = 'claim_tasks' AND pronamespace = 'turing'::regnamespace",
            as: Int.self) == 2)
        #expect(try await F.value(
            db, "SELECT pronargdefaults FROM pg_proc WHERE oid = 'turing.claim_tasks(text,integer,interval,bigint,text)'::regprocedure",
            as: Int.self) == 0)
    }

    @Test("an unknown resource raises TU004 naming set_capacity and changes nothing; bad arguments raise TU001/TU003")
    func badResource() async throws {
        let (_, db) = try await F.database()
        let workflow = try await F.workflow(db)
        try await F.insertTasks(db, workflow: workflow, count: 5)
        try await Self.setCapacity(db, "gpu0", 4)
        let before = try await F.state(db)
        let resourcesBefore = try await F.value(db, "SELECT string_agg(r::text, ',') FROM turing.resources AS r", as: String.self)

        let claimSQL = "SELECT * FROM turing.claim_tasks($1, $2, make_interval(secs => $3), $4, $5)"
        do {
            try await db.query(claimSQL, ["w", 2, 60.0, Int64?.none, "gpu9"])
            Issue.record("an unknown resource was accepted")
        } catch let error as PostgresError {
            #expect(error.sqlState == "TU004")
            #expect(error.message.contains("gpu9"))
            #expect(error.hint?.contains("SELECT turing.set_capacity('gpu9', 4)") == true, "\(error.hint ?? "no hint")")
        }
        await F.expectSQLState("TU001", db, claimSQL, ["w", 2, 60.0, Int64?.none, String?.none])
        await F.expectSQLState("TU001", db, claimSQL, ["w", 2, 60.0, Int64?.none, "  "])
        await F.expectSQLState("TU001", db, claimSQL, ["", 2, 60.0, Int64?.none, "gpu0"])
        await F.expectSQLState("TU001", db, claimSQL, ["w", 0, 60.0, Int64?.none, "gpu0"])
        await F.expectSQLState("TU001", db, claimSQL, ["w", 2, 0.0, Int64?.none, "gpu0"])
        await F.expectSQLState("TU003", db, claimSQL, ["w", 2, 60.0, Int64(999_999), "gpu0"])
        await F.expectSQLState("TU001", db, "SELECT turing.set_capacity('gpu0', -1)")
        await F.expectSQLState("TU001", db, "SELECT turing.set_capacity(NULL, 1)")
        await F.expectSQLState("TU001", db, "SELECT turing.set_capacity('gpu0', NULL)")
        await F.expectSQLState("TU001", db, "SELECT turing.set_capacity(' ', 1)")
        // The count could miss concurrent claims under a snapshot kept for the whole transaction: refused.
        try await db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        await F.expectSQLState("TU001", db, claimSQL, ["w", 2, 60.0, Int64?.none, "gpu0"])
        try await db.execute("ROLLBACK")

        #expect(try await F.state(db) == before, "a refused call changed a task or worker")
        #expect(try await F.value(db, "SELECT string_agg(r::text, ',') FROM turing.resources AS r", as: String.self) == resourcesBefore)
    }

    @Test("turing_worker may claim with a resource and read resource_usage and gpu_utilization, not set capacities")
    func workerRolePrivileges() async throws {
        let (database, admin) = try await F.database()
        try await admin.execute(try TaskAPIPrivilegeTests.rolesScript())
        let role = TaskAPIPrivilegeTests.uniqueRoleName("turing_test_resource")
        try await admin.execute("CREATE ROLE \(role) LOGIN IN ROLE turing_worker")
        let workflow = try await F.workflow(admin)
        try await F.insertTasks(admin, workflow: workflow, count: 3)
        try await Self.setCapacity(admin, "gpu0", 2)

        let worker = try await TaskAPIPrivilegeTests.connect(database, as: role)
        let store = TaskStore(connection: worker)
        #expect(try await store.requireResource("gpu0") == 2)
        try await store.registerWorker(id: role, host: "h", pid: 1, slots: 4)
        #expect(try await store.claim(workerID: role, maxTasks: 4, lease: .seconds(60), workflowID: nil, resource: "gpu0").count == 2)
        try await store.recordGPUSamples(
            workerID: role, samples: [GPUSample(gpu: 0, utilizationPercent: 50, memoryUsedMiB: 1, memoryTotalMiB: 2)], unavailable: nil)
        #expect(try await F.value(worker, "SELECT in_use FROM turing.resource_usage WHERE resource = 'gpu0'", as: Int.self) == 2)
        #expect(try await F.value(worker, "SELECT samples FROM turing.gpu_utilization WHERE host = 'h'", as: Int.self) == 1)
        await F.expectSQLState("42501", worker, "SELECT turing.set_capacity('gpu0', 100)")
        await F.expectSQLState("42501", worker, "SELECT * FROM turing._claim_tasks_for_resource('x', 1, interval '1 minute', NULL, 'gpu0')")
        await F.expectSQLState("42501", worker, "SELECT * FROM turing.resources")
        await F.expectSQLState("42501", worker, "SELECT * FROM turing.gpu_samples")
        await worker.close()
        try await admin.execute("DROP OWNED BY \(role); DROP ROLE \(role)")
    }

    @Test("090 and 091 down restore the 089 schema exactly; tasks claimed with a resource keep running")
    func downRestores089() async throws {
        let only089 = try await TestPostgres.database()
        try await F.runner(only089).up(to: MigrationVersion(number: 89))
        let (database, db) = try await F.database()
        let workflow = try await F.workflow(db)
        try await F.insertTasks(db, workflow: workflow, count: 4)
        try await Self.setCapacity(db, "gpu0", 2)
        let claims = try await Self.claim(db, worker: "a", max: 4, resource: "gpu0")
        #expect(claims.count == 2)
        try await db.query("SELECT turing.record_gpu_samples('a', '[]', 'nvidia-smi not found on PATH')")

        try await F.runner(database).down(to: try #require(MigrationVersion(number: 89)))

        let expected = try await MigrateDB.schemaDump(only089)
        let actual = try await MigrateDB.schemaDump(database)
        #expect(actual == expected, "down 089 differs from up 089:\n\(MigrateDB.difference(actual, expected))")
        #expect(try await F.value(db, "SELECT count(*) FROM turing.tasks WHERE status = 'running'", as: Int.self) == 2)
        #expect(try await F.completeTask(db, claims[0], result: "{}"))
        #expect(try await F.claim(db, worker: "b", max: 10).count == 2)

        try await F.runner(database).up(to: nil)
        #expect(try await F.value(db, "SELECT count(*) FROM turing.resources", as: Int.self) == 0)
    }
}

/// Migration 091: GPU samples and the view that explains their absence.
@Suite("091 GPU samples")
struct GPUSamplesSQLTests {
    typealias F = TaskAPIFixture

    static func record(_ db: PostgresConnection, _ worker: String, _ samples: String, _ unavailable: String? = nil) async throws -> Int {
        try await F.value(db, "SELECT turing.record_gpu_samples($1, $2::jsonb, $3)", [worker, samples, unavailable])
    }

    static func note(_ db: PostgresConnection) async throws -> String? {
        let rows = try await db.query("SELECT note FROM turing.gpu_utilization")
        #expect(rows.count == 1)
        return try rows.first?.decode(0)
    }

    @Test("no samples: one row saying why, from what the workers of the last 5 minutes reported")
    func emptyExplains() async throws {
        let (_, db) = try await F.database()
        #expect(try await Self.note(db)?.hasSuffix("no worker has been running (none sent a heartbeat in that time)") == true)
        try await db.query("SELECT turing.register_worker('a', 'host-a', 1, 4)")
        #expect(try await Self.note(db)?.contains("no running worker samples GPUs") == true)
        #expect(try await Self.record(db, "a", "[]", "nvidia-smi not found on PATH") == 0)
        #expect(try await Self.note(db) == "no GPU samples in the last 5 minutes: nvidia-smi was not found on any worker's PATH")
        try await db.query("SELECT turing.register_worker('b', 'host-b', 1, 4)")
        _ = try await Self.record(db, "b", "[]", "nvidia-smi failed (exit 9): NVIDIA-SMI has failed")
        #expect(try await Self.note(db)
            == "no GPU samples in the last 5 minutes: workers report: nvidia-smi failed (exit 9): NVIDIA-SMI has failed; nvidia-smi not found on PATH")
        let row = try #require(try await db.query("SELECT host, samples, busy_fraction FROM turing.gpu_utilization").first)
        #expect(try row.decode(0, as: String?.self) == nil && row.decode(1, as: Int.self) == 0)
        #expect(try row.decode(2, as: Double?.self) != nil)
        #expect(try await F.value(db, "SELECT gpu_sampling FROM turing.workers WHERE id = 'a'", as: String.self) == "nvidia-smi not found on PATH")
    }

    @Test("samples: one row per host and GPU with average, peak and newest figures next to the busy fraction")
    func samplesPerGPU() async throws {
        let (_, db) = try await F.database()
        try await db.query("SELECT turing.register_worker('a', 'host-a', 1, 4)")
        try await db.query("SELECT turing.register_worker('b', 'host-a', 2, 4)")
        try await db.query("SELECT turing.register_worker('c', 'host-c', 3, 4)")
        #expect(try await Self.record(db, "a", #"[{"gpu": 0, "utilization_percent": 40, "memory_used_mib": 100, "memory_total_mib": 1000}, {"gpu": 1, "utilization_percent": null}]"#) == 2)
        #expect(try await Self.record(db, "b", #"[{"gpu": 0, "utilization_percent": 80, "memory_used_mib": 300, "memory_total_mib": 1000}]"#) == 1)
        #expect(try await Self.record(db, "c", #"[{"gpu": 0, "utilization_percent": 10}]"#) == 1)
        let rows = try await db.query(
            "SELECT host, gpu, samples, utilization_avg::float8, utilization_max::float8, utilization_now::float8, memory_used_mib, note FROM turing.gpu_utilization")
        let lines = try rows.map { row in
            [try row.decode(0, as: String.self), String(try row.decode(1, as: Int.self)), String(try row.decode(2, as: Int.self)),
             (try row.decode(3, as: Double?.self)).map { String($0) } ?? "-", (try row.decode(4, as: Double?.self)).map { String($0) } ?? "-",
             (try row.decode(5, as: Double?.self)).map { String($0) } ?? "-", (try row.decode(6, as: Int?.self)).map(String.init) ?? "-",
             try row.decode(7, as: String?.self) ?? "-"].joined(separator: " ")
        }
        #expect(lines == ["host-a 0 2 60.0 80.0 80.0 300 -", "host-a 1 1 - - - - -", "host-c 0 1 10.0 10.0 10.0 - -"])
        #expect(try await F.value(db, "SELECT gpu_sampling FROM turing.workers WHERE id = 'a'", as: String.self) == "nvidia-smi")

        // A day's retention: older samples go as new ones arrive.
        try await db.query("UPDATE turing.gpu_samples SET sampled_at = now() - interval '25 hours' WHERE worker_id = 'c'")
        _ = try await Self.record(db, "a", #"[{"gpu": 0, "utilization_percent": 50}]"#)
        #expect(try await F.value(db, "SELECT count(*) FROM turing.gpu_samples WHERE worker_id = 'c'", as: Int.self) == 0)
    }

    @Test("bad samples raise TU001 and store nothing")
    func badSamples() async throws {
        let (_, db) = try await F.database()
        let sql = "SELECT turing.record_gpu_samples($1, $2::jsonb, $3)"
        for (worker, samples, unavailable) in [
            ("", "[]", nil), ("a", "{}", nil), ("a", "[1]", nil), (#"a"#, #"[{"gpu": -1}]"#, nil), ("a", #"[{"gpu": 1.5}]"#, nil),
            ("a", #"[{"utilization_percent": 3}]"#, nil), ("a", #"[{"gpu": 0, "utilization_percent": 101}]"#, nil),
            ("a", #"[{"gpu": 0, "memory_used_mib": "lots"}]"#, nil), ("a", #"[{"gpu": 0}]"#, "nvidia-smi not found on PATH"),
        ] as [(String, String, String?)] {
            await F.expectSQLState("TU001", db, sql, [worker, samples, unavailable])
        }
        await F.expectSQLState("TU001", db, "SELECT turing.record_gpu_samples('a', NULL)")
        #expect(try await F.value(db, "SELECT count(*) FROM turing.gpu_samples", as: Int.self) == 0)
    }
}
