import Foundation
import TestSupport
import Testing
import TuringPostgres
@testable import Turing

/// Bad input to every function of migration 088's API: each case gets the SQLSTATE its COMMENT documents
/// (TU001 invalid argument, TU002 arrays of different lengths, TU003 unknown workflow), and nothing changes.
@Suite("088 SQL API: bad input")
struct TaskAPIBadInputTests {
    typealias F = TaskAPIFixture

    /// A database with something for a wrong call to damage: a held task, pending tasks, a failed task and a
    /// registered worker.
    struct Scene {
        let db: PostgresConnection
        let workflow: Int64
        let held: F.Claim
        let pending: Int64
        static let unknownWorkflow: Int64 = 987_654_321
    }

    static func scene(_ label: String = #fileID) async throws -> Scene {
        let (_, db) = try await F.database(label)
        let workflow = try await F.workflow(db)
        let ids = try await F.insertTasks(db, workflow: workflow, count: 4)
        try await db.query("SELECT turing.register_worker('w', 'host', 10, 2)")
        try await db.query("UPDATE turing.tasks SET max_attempts = 1 WHERE id = $1", [ids[0]])
        let doomed = try #require(try await F.claim(db, worker: "w").first)
        #expect(try await F.failTask(db, doomed, error: "gone") == "failed")
        let held = try #require(try await F.claim(db, worker: "w").first)
        return Scene(db: db, workflow: workflow, held: held, pending: ids[3])
    }

    /// Runs every case, expecting its SQLSTATE, then checks that no row of tasks, workers or workflows changed.
    static func check(
        _ scene: Scene, _ cases: [(state: String, sql: String, parameters: [any PostgresEncodable])],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let before = try await F.state(scene.db)
        for item in cases {
            await F.expectSQLState(item.state, scene.db, item.sql, item.parameters, sourceLocation: sourceLocation)
        }
        #expect(try await F.state(scene.db) == before, "a rejected call changed something", sourceLocation: sourceLocation)
        // The scene is still usable: the functions work with good input afterwards.
        #expect(try await F.renew(scene.db, worker: "w", [scene.held]) == [scene.held.taskID], sourceLocation: sourceLocation)
    }

    @Test("claim_tasks: NULL/empty worker, NULL/zero/negative max_tasks, NULL/non-positive lease, unknown workflow")
    func claimTasks() async throws {
        let scene = try await Self.scene()
        let sql = "SELECT * FROM turing.claim_tasks($1, $2, $3::interval, $4)"
        let none: Int64? = nil
        try await Self.check(scene, [
            ("TU001", sql, [nil as String?, 1, "30 seconds", none]),
            ("TU001", sql, ["", 1, "30 seconds", none]),
            ("TU001", sql, ["   ", 1, "30 seconds", none]),
            ("TU001", sql, ["w", nil as Int?, "30 seconds", none]),
            ("TU001", sql, ["w", 0, "30 seconds", none]),
            ("TU001", sql, ["w", -1, "30 seconds", none]),
            ("TU001", sql, ["w", Int(Int32.min), "30 seconds", none]),
            ("TU001", sql, ["w", 1, nil as String?, none]),
            ("TU001", sql, ["w", 1, "0 seconds", none]),
            ("TU001", sql, ["w", 1, "-5 seconds", none]),
            ("TU001", sql, ["w", 1, "1 day -48 hours", none]),
            ("TU003", sql, ["w", 1, "30 seconds", Scene.unknownWorkflow]),
            ("TU003", sql, ["w", 1, "30 seconds", Int64(-1)]),
            ("TU001", "SELECT * FROM turing.claim_tasks(NULL, NULL, NULL)", []),
        ])
        #expect(try await F.claim(scene.db, worker: "w", workflow: scene.workflow).count == 1, "good input still claims")
    }

    @Test("renew_leases: NULL worker, NULL or 2-D arrays, arrays of different lengths, non-positive lease")
    func renewLeases() async throws {
        let scene = try await Self.scene()
        let sql = "SELECT turing.renew_leases($1, $2::bigint[], $3::uuid[], $4::interval)"
        let id = scene.held.taskID, token = scene.held.token
        try await Self.check(scene, [
            ("TU001", sql, [nil as String?, [id], [token], "30 seconds"]),
            ("TU001", sql, ["", [id], [token], "30 seconds"]),
            ("TU001", sql, ["w", nil as [Int64]?, [token], "30 seconds"]),
            ("TU001", sql, ["w", [id], nil as [UUID]?, "30 seconds"]),
            ("TU002", sql, ["w", [id, scene.pending], [token], "30 seconds"]),
            ("TU002", sql, ["w", [id], [token, token], "30 seconds"]),
            ("TU002", sql, ["w", [Int64](), [token], "30 seconds"]),
            ("TU001", sql, ["w", [id], [token], nil as String?]),
            ("TU001", sql, ["w", [id], [token], "0 seconds"]),
            ("TU001", sql, ["w", [id], [token], "-1 second"]),
            ("TU001", "SELECT turing.renew_leases('w', ARRAY[[$1::bigint]], ARRAY[[$2::uuid]], interval '30 seconds')", [id, token]),
        ])
    }

    @Test("complete_task and complete_tasks: NULL ids or tokens, arrays of different lengths, duplicate or NULL ids")
    func completeTasks() async throws {
        let scene = try await Self.scene()
        let id = scene.held.taskID, token = scene.held.token
        let single = "SELECT turing.complete_task($1, $2, $3::jsonb)"
        let batch = "SELECT turing.complete_tasks($1::bigint[], $2::uuid[], $3::jsonb[])"
        let result = #"{"done": true}"#
        try await Self.check(scene, [
            ("TU001", single, [nil as Int64?, token, result]),
            ("TU001", single, [id, nil as UUID?, result]),
            ("TU001", single, [nil as Int64?, nil as UUID?, nil as String?]),
            ("TU001", batch, [nil as [Int64]?, [token], [result]]),
            ("TU001", batch, [[id], nil as [UUID]?, [result]]),
            ("TU001", batch, [[id], [token], nil as [String]?]),
            ("TU002", batch, [[id, scene.pending], [token], [result, result]]),
            ("TU002", batch, [[id], [token], [result, result]]),
            ("TU002", batch, [[id], [token, token], [result]]),
            ("TU001", batch, [[id, id], [token, token], [result, result]]),
            ("TU001", batch, [[id, nil as Int64?], [token, token], [result, result]]),
            ("TU001", "SELECT turing.complete_tasks(ARRAY[[$1::bigint]], ARRAY[[$2::uuid]], ARRAY[['{}'::jsonb]])", [id, token]),
        ])
        #expect(try await F.completeTask(scene.db, scene.held, result: result))
    }

    @Test("fail_task: NULL id or token, negative retry_delay")
    func failTask() async throws {
        let scene = try await Self.scene()
        let id = scene.held.taskID, token = scene.held.token
        let sql = "SELECT turing.fail_task($1, $2, $3, $4::interval)"
        try await Self.check(scene, [
            ("TU001", sql, [nil as Int64?, token, "e", nil as String?]),
            ("TU001", sql, [id, nil as UUID?, "e", nil as String?]),
            ("TU001", sql, [id, token, "e", "-1 second"]),
            ("TU001", sql, [id, token, "e", "-1 day"]),
            ("TU001", "SELECT turing.fail_task(NULL, NULL, NULL)", []),
        ])
        #expect(try await F.failTask(scene.db, scene.held, error: "e", retryDelaySeconds: 0) == "pending")
    }

    @Test("release_tasks: NULL or blank worker id")
    func releaseTasks() async throws {
        let scene = try await Self.scene()
        let sql = "SELECT turing.release_tasks($1, $2::bigint[])"
        try await Self.check(scene, [
            ("TU001", sql, [nil as String?, nil as [Int64]?]),
            ("TU001", sql, [nil as String?, [scene.held.taskID]]),
            ("TU001", sql, ["", nil as [Int64]?]),
            ("TU001", sql, ["   ", [scene.held.taskID]]),
        ])
        #expect(try await F.release(scene.db, worker: "w", ids: nil) == 1)
    }

    @Test("enqueue_tasks: NULL workflow, NULL/2-D payloads or a NULL element, NULL priority, unknown workflow")
    func enqueueTasks() async throws {
        let scene = try await Self.scene()
        let sql = "SELECT turing.enqueue_tasks($1, $2::jsonb[], $3)"
        try await Self.check(scene, [
            ("TU001", sql, [nil as Int64?, ["{}"], 0]),
            ("TU001", sql, [scene.workflow, nil as [String]?, 0]),
            ("TU001", sql, [scene.workflow, ["{}", nil as String?], 0]),
            ("TU001", sql, [scene.workflow, ["{}"], nil as Int?]),
            ("TU003", sql, [Scene.unknownWorkflow, ["{}"], 0]),
            ("TU001", "SELECT turing.enqueue_tasks($1, ARRAY[['{}'::jsonb], ['{}'::jsonb]])", [scene.workflow]),
            ("TU003", "SELECT turing.enqueue_tasks($1, ARRAY['{}'::jsonb])", [Scene.unknownWorkflow]),
        ])
        let added = try await scene.db.query("SELECT turing.enqueue_tasks($1, $2::jsonb[])", [scene.workflow, ["{}", "[]"]])
        #expect(added.count == 2)
        let nothing = try await scene.db.query("SELECT turing.enqueue_tasks($1, '{}'::jsonb[])", [scene.workflow])
        #expect(nothing.isEmpty, "an empty array enqueues nothing")
    }

    @Test("requeue_failed: NULL or unknown workflow")
    func requeueFailed() async throws {
        let scene = try await Self.scene()
        try await Self.check(scene, [
            ("TU001", "SELECT turing.requeue_failed($1)", [nil as Int64?]),
            ("TU003", "SELECT turing.requeue_failed($1)", [Scene.unknownWorkflow]),
        ])
        #expect(try await F.value(scene.db, "SELECT turing.requeue_failed($1)", [scene.workflow], as: Int.self) == 1)
    }

    @Test("checkpoint_task: NULL id or token")
    func checkpointTask() async throws {
        let scene = try await Self.scene()
        let sql = "SELECT turing.checkpoint_task($1, $2, $3::jsonb)"
        try await Self.check(scene, [
            ("TU001", sql, [nil as Int64?, scene.held.token, "{}"]),
            ("TU001", sql, [scene.held.taskID, nil as UUID?, "{}"]),
        ])
        #expect(try await F.checkpoint(scene.db, scene.held, state: "{}"))
    }

    @Test("register_worker, heartbeat, stop_worker: NULL or blank id, non-positive pid or slots")
    func workerRegistry() async throws {
        let scene = try await Self.scene()
        let register = "SELECT turing.register_worker($1, $2, $3, $4)"
        try await Self.check(scene, [
            ("TU001", register, [nil as String?, "h", 1, 1]),
            ("TU001", register, ["", "h", 1, 1]),
            ("TU001", register, ["w", "h", 0, 1]),
            ("TU001", register, ["w", "h", -5, 1]),
            ("TU001", register, ["new", "h", 1, 0]),
            ("TU001", register, ["new", "h", 1, -1]),
            ("TU001", "SELECT turing.heartbeat($1)", [nil as String?]),
            ("TU001", "SELECT turing.heartbeat($1)", [""]),
            ("TU001", "SELECT turing.stop_worker($1)", [nil as String?]),
            ("TU001", "SELECT turing.stop_worker($1)", ["  "]),
        ])
    }

    @Test("utilization_between: NULL bounds, an empty or reversed window, unknown workflow")
    func utilizationBetween() async throws {
        let scene = try await Self.scene()
        let sql = "SELECT * FROM turing.utilization_between($1::timestamptz, $2::timestamptz, $3)"
        let t1 = "2024-01-01 00:00:00+00", t2 = "2024-01-01 01:00:00+00"
        let none: Int64? = nil
        try await Self.check(scene, [
            ("TU001", sql, [nil as String?, t2, none]),
            ("TU001", sql, [t1, nil as String?, none]),
            ("TU001", sql, [t1, t1, none]),
            ("TU001", sql, [t2, t1, none]),
            ("TU003", sql, [t1, t2, Scene.unknownWorkflow]),
        ])
        #expect(try await scene.db.query(sql, [t1, t2, scene.workflow]).count == 1)
    }

    @Test("every API function's COMMENT documents its errors with the SQLSTATEs the tests above see")
    func errorsAreDocumented() async throws {
        let (_, db) = try await F.database()
        let rows = try await db.query(
            """
            SELECT p.proname, coalesce(obj_description(p.oid, 'pg_proc'), '')
            FROM pg_proc AS p WHERE p.pronamespace = 'turing'::regnamespace AND p.proname NOT IN ('_claim_tasks', '_claim_tasks_for_resource', 'notify_claimable')
            """)
        var documented: [String: String] = [:]
        for row in rows { documented[try row.decode(0)] = try row.decode(1) }
        let expected: [String: [String]] = [
            "claim_tasks": ["TU001", "TU003"], "renew_leases": ["TU001", "TU002"], "complete_task": ["TU001"],
            "complete_tasks": ["TU001", "TU002"], "fail_task": ["TU001"], "release_tasks": ["TU001"],
            "enqueue_tasks": ["TU001", "TU003"], "requeue_failed": ["TU001", "TU003"], "checkpoint_task": ["TU001"],
            "register_worker": ["TU001"], "heartbeat": ["TU001"], "stop_worker": ["TU001"],
            "utilization_between": ["TU001", "TU003"],
            // 090 and 091 (the 5-argument claim_tasks shares its name with the 4-argument one: see below)
            "set_capacity": ["TU001"], "record_gpu_samples": ["TU001"],
        ]
        #expect(Set(documented.keys) == Set(expected.keys))
        for (function, states) in expected {
            let comment = documented[function] ?? ""
            for state in states { #expect(comment.contains(state), "\(function)'s COMMENT does not mention \(state)") }
        }
        let overloads = try await db.query(
            "SELECT obj_description(p.oid, 'pg_proc') FROM pg_proc AS p WHERE p.oid IN ('turing.claim_tasks(text,integer,interval,bigint)'::regprocedure, 'turing.claim_tasks(text,integer,interval,bigint,text)'::regprocedure)")
        #expect(overloads.count == 2)
        for row in overloads {
            let comment = try row.decode(0, as: String.self)
            #expect(comment.contains("TU001") && comment.contains("TU003"), "\(comment)")
        }
        #expect(try await F.value(
            db, "SELECT obj_description('turing.claim_tasks(text,integer,interval,bigint,text)'::regprocedure, 'pg_proc')",
            as: String.self).contains("TU004"))
    }
}
