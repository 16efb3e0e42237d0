import Foundation
import TestSupport
import Testing
import TuringPostgres
@testable import Turing

/// Migration 088's views and `utilization_between`, on timelines built by the tests (explicit started_at,
/// completed_at and lease_expires_at; the setup and the read share a transaction where now() matters).
@Suite("088 SQL API: progress views")
struct TaskAPIViewsTests {
    typealias F = TaskAPIFixture

    @Test("workflow_progress counts match count(*) GROUP BY status")
    func progressCountsMatch() async throws {
        let (_, db) = try await F.database()
        let a = try await F.workflow(db, name: "a")
        let b = try await F.workflow(db, name: "b")
        let empty = try await F.workflow(db, name: "empty")
        try await F.insertTasks(db, workflow: a, count: 12)
        try await F.insertTasks(db, workflow: b, count: 4)
        let claims = try await F.claim(db, worker: "w", max: 6, workflow: a)
        #expect(try await F.completeTask(db, claims[0], result: "{}"))
        #expect(try await F.completeTask(db, claims[1], result: "{}"))
        try await db.query("UPDATE turing.tasks SET max_attempts = 1 WHERE id = $1", [claims[2].taskID])
        #expect(try await F.failTask(db, claims[2], error: "x") == "failed")
        // The old processor's way of running a task, then plain-SQL completions.
        try await db.query(
            "UPDATE turing.tasks SET status = 'running', started_at = now() WHERE id = (SELECT min(id) FROM turing.tasks WHERE workflow_id = $1 AND status = 'pending')",
            [a])
        try await db.query(
            "UPDATE turing.tasks SET status = 'completed', started_at = now(), completed_at = now() WHERE workflow_id = $1",
            [b])

        let expected = try await db.query(
            "SELECT workflow_id, status, count(*)::bigint FROM turing.tasks GROUP BY workflow_id, status")
        var counts: [Int64: [String: Int]] = [:]
        for row in expected { counts[try row.decode(0), default: [:]][try row.decode(1)] = try row.decode(2) }
        #expect(counts[a] == ["pending": 5, "running": 4, "completed": 2, "failed": 1])

        let view = try await db.query(
            "SELECT workflow_id, name, total, pending, running, completed, failed, percent_done::text FROM turing.workflow_progress")
        #expect(try view.map { try $0.decode(0, as: Int64.self) } == [a, b, empty])
        for row in view {
            let id: Int64 = try row.decode(0)
            let byStatus = counts[id] ?? [:]
            let total = byStatus.values.reduce(0, +)
            #expect(try row.decode(2, as: Int.self) == total)
            #expect(try row.decode(3, as: Int.self) == byStatus["pending", default: 0])
            #expect(try row.decode(4, as: Int.self) == byStatus["running", default: 0])
            #expect(try row.decode(5, as: Int.self) == byStatus["completed", default: 0])
            #expect(try row.decode(6, as: Int.self) == byStatus["failed", default: 0])
        }
        #expect(try view[0].decode(7, as: String.self) == "25.0")
        #expect(try view[1].decode(7, as: String.self) == "100.0")
        #expect(try view[2].decode(1, as: String.self) == "empty")
        #expect(try view[2].decode(7, as: String?.self) == nil, "percent_done of an empty workflow is NULL")
    }

    @Test("eta is NULL when nothing completed in the last 15 minutes, and (pending + running) / rate otherwise")
    func eta() async throws {
        let (_, db) = try await F.database()
        let steady = try await F.workflow(db, name: "steady")
        let young = try await F.workflow(db, name: "young")
        let stale = try await F.workflow(db, name: "stale")
        let untouched = try await F.workflow(db, name: "untouched")
        let finished = try await F.workflow(db, name: "finished")
        for (workflow, count) in [(steady, 30), (young, 16), (stale, 10), (untouched, 5), (finished, 3)] {
            try await F.insertTasks(db, workflow: workflow, count: count)
        }
        let rows = try await db.transaction { tx in
            // steady: 10 runs of 2 minutes completed 14..5 minutes ago, the first started 16 minutes ago, so the
            // window is the full 15 minutes: 40 tasks/hour, 20 left -> 30 minutes.
            try tx.query(
                """
                WITH picked AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM turing.tasks WHERE workflow_id = $1 ORDER BY id LIMIT 10)
                UPDATE turing.tasks AS t SET status = 'completed',
                    started_at = now() - interval '16 minutes' + p.k * interval '1 minute',
                    completed_at = now() - interval '14 minutes' + p.k * interval '1 minute'
                FROM picked AS p WHERE t.id = p.id
                """, [steady])
            // young: started 5 minutes ago, 10 done in 30 s each: a 300 s window, 120 tasks/hour, 6 left -> 3 minutes.
            try tx.query(
                """
                WITH picked AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM turing.tasks WHERE workflow_id = $1 ORDER BY id LIMIT 10)
                UPDATE turing.tasks AS t SET status = 'completed',
                    started_at = now() - interval '5 minutes' + p.k * interval '30 seconds',
                    completed_at = now() - interval '270 seconds' + p.k * interval '30 seconds'
                FROM picked AS p WHERE t.id = p.id
                """, [young])
            // stale: completions an hour ago only.
            try tx.query(
                """
                UPDATE turing.tasks SET status = 'completed', started_at = now() - interval '61 minutes', completed_at = now() - interval '60 minutes'
                WHERE id IN (SELECT id FROM turing.tasks WHERE workflow_id = $1 ORDER BY id LIMIT 4)
                """, [stale])
            // finished: everything done a minute ago.
            try tx.query(
                "UPDATE turing.tasks SET status = 'completed', started_at = now() - interval '2 minutes', completed_at = now() - interval '1 minute' WHERE workflow_id = $1",
                [finished])
            return try tx.query(
                "SELECT workflow_id, eta::text, tasks_per_hour::float8, avg_task_seconds::float8 FROM turing.workflow_progress ORDER BY workflow_id")
        }
        var byID: [Int64: PostgresRow] = [:]
        for row in rows { byID[try row.decode(0)] = row }

        let steadyRow = try #require(byID[steady])
        #expect(try steadyRow.decode(1, as: String?.self) == "00:30:00")
        #expect(try steadyRow.decode(2, as: Double.self) == 40.0)
        #expect(try steadyRow.decode(3, as: Double?.self) == 120.0)
        let youngRow = try #require(byID[young])
        #expect(try youngRow.decode(1, as: String?.self) == "00:03:00")
        #expect(try youngRow.decode(2, as: Double.self) == 120.0)
        #expect(try youngRow.decode(3, as: Double?.self) == 30.0)
        for quiet in [stale, untouched] {
            let row = try #require(byID[quiet])
            #expect(try row.decode(1, as: String?.self) == nil, "eta without recent completions")
            #expect(try row.decode(2, as: Double.self) == 0)
            #expect(try row.decode(3, as: Double?.self) == nil)
        }
        #expect(try #require(byID[finished]).decode(1, as: String?.self) == nil, "nothing left: no eta")

        // Outside the transaction too (now() moves on a little): still positive for the active workflows.
        let positive = try await F.value(
            db, "SELECT bool_and(eta > interval '0') FROM turing.workflow_progress WHERE workflow_id IN ($1, $2)",
            [steady, young], as: Bool.self)
        #expect(positive)
    }

    @Test("utilization_between: 1.0 for back-to-back runs, 0.5 for half the window; overlaps count once")
    func utilizationBetween() async throws {
        let (_, db) = try await F.database()
        let backToBack = try await F.workflow(db, name: "back to back")
        let half = try await F.workflow(db, name: "half")
        let overlapping = try await F.workflow(db, name: "overlapping")
        let clipped = try await F.workflow(db, name: "clipped")

        /// Tasks that ran [start, end) minutes after 2024-01-01 00:00 UTC.
        func ran(_ workflow: Int64, _ runs: [(Int, Int)], status: String = "completed") async throws {
            for (start, end) in runs {
                try await db.query(
                    """
                    INSERT INTO turing.tasks (workflow_id, status, started_at, completed_at)
                    VALUES ($1, $4, timestamptz '2024-01-01 00:00:00+00' + make_interval(mins => $2),
                                    timestamptz '2024-01-01 00:00:00+00' + make_interval(mins => $3))
                    """, [workflow, start, end, status])
            }
        }
        try await ran(backToBack, [(0, 10), (10, 20), (20, 30), (30, 40), (40, 50)])
        try await ran(backToBack, [(50, 60)], status: "failed")
        try await ran(half, [(0, 10), (20, 30), (40, 50)])
        try await ran(overlapping, [(0, 30), (0, 30), (10, 20)])
        try await ran(clipped, [(-30, 30), (90, 120)])

        func utilization(_ workflow: Int64?, from: Int = 0, to: Int = 60) async throws -> (Double, Double) {
            let row = try #require(try await db.query(
                """
                SELECT busy_fraction, avg_concurrency FROM turing.utilization_between(
                    timestamptz '2024-01-01 00:00:00+00' + make_interval(mins => $1),
                    timestamptz '2024-01-01 00:00:00+00' + make_interval(mins => $2), $3)
                """, [from, to, workflow]).first)
            return (try row.decode(0), try row.decode(1))
        }
        func close(_ value: Double, _ expected: Double) -> Bool { abs(value - expected) < 1e-9 }

        let full = try await utilization(backToBack)
        #expect(close(full.0, 1.0) && close(full.1, 1.0), "\(full)")
        let halfTime = try await utilization(half)
        #expect(close(halfTime.0, 0.5) && close(halfTime.1, 0.5), "\(halfTime)")
        let overlap = try await utilization(overlapping)
        #expect(close(overlap.0, 0.5), "overlapping runs count once: \(overlap)")
        #expect(close(overlap.1, 70.0 / 60.0), "\(overlap)")
        let edge = try await utilization(clipped)
        #expect(close(edge.0, 0.5) && close(edge.1, 0.5), "runs are clipped to the window: \(edge)")
        let quarter = try await utilization(half, from: 5, to: 25)
        #expect(close(quarter.0, 0.5), "\(quarter)")
        let idle = try await utilization(half, from: 60, to: 120)
        #expect(idle.0 == 0 && idle.1 == 0)
        // All workflows together: [-30, 60) is busy the whole first hour.
        let everything = try await utilization(nil)
        #expect(close(everything.0, 1.0), "\(everything)")
        #expect(close(everything.1, (60.0 + 30.0 + 70.0 + 30.0) / 60.0), "\(everything)")
    }

    @Test("the utilization view: 1.0 when tasks ran back to back, 0.5 when they ran half the time, running tasks count")
    func utilizationView() async throws {
        let (_, db) = try await F.database()
        let workflow = try await F.workflow(db)
        let (backToBack, halfTime, running) = try await db.transaction { tx in
            func windows() throws -> [String: Double] {
                var result: [String: Double] = [:]
                for row in try tx.query("SELECT \"window\", busy_fraction FROM turing.utilization") {
                    result[try row.decode(0)] = try row.decode(1)
                }
                return result
            }
            // 60 one-minute runs, back to back through the last hour.
            try tx.query(
                """
                INSERT INTO turing.tasks (workflow_id, status, started_at, completed_at)
                SELECT $1, 'completed', now() - make_interval(mins => k + 1), now() - make_interval(mins => k)
                FROM generate_series(0, 59) AS k
                """, [workflow])
            let backToBack = try windows()
            // 30 s runs at the start of each minute: busy half the time in every window.
            try tx.query("UPDATE turing.tasks SET completed_at = started_at + interval '30 seconds'")
            let halfTime = try windows()
            // Nothing finished; one task running for the last 30 s.
            try tx.query("DELETE FROM turing.tasks")
            try tx.query(
                """
                INSERT INTO turing.tasks (workflow_id, status, started_at, claimed_by, lease_token, lease_expires_at)
                VALUES ($1, 'running', now() - interval '30 seconds', 'w', gen_random_uuid(), now() + interval '1 minute')
                """, [workflow])
            return (backToBack, halfTime, try windows())
        }
        #expect(backToBack.keys.sorted() == ["1 hour", "1 minute", "15 minutes", "5 minutes"])
        for (window, busy) in backToBack { #expect(abs(busy - 1.0) < 1e-9, "\(window): \(busy)") }
        for (window, busy) in halfTime { #expect(abs(busy - 0.5) < 1e-9, "\(window): \(busy)") }
        #expect(abs((running["1 minute"] ?? 0) - 0.5) < 1e-9, "\(running)")
        #expect(abs((running["1 hour"] ?? 0) - 30.0 / 3600.0) < 1e-9, "\(running)")
    }

    @Test("worker_status: running and recent completions per worker; alive follows heartbeats and stop_worker")
    func workerStatus() async throws {
        let (_, db) = try await F.database()
        let workflow = try await F.workflow(db)
        try await F.insertTasks(db, workflow: workflow, count: 6)
        try await db.query("SELECT turing.register_worker('w1', 'host-1', 101, 4)")
        try await db.query("SELECT turing.register_worker('w2', 'host-2', 202, 2)")
        try await db.query("SELECT turing.register_worker('w3', NULL, NULL, NULL)")
        let w1 = try await F.claim(db, worker: "w1", max: 4)
        #expect(try await F.completeTask(db, w1[0], result: "{}"))
        #expect(try await F.completeTask(db, w1[1], result: "{}"))
        // One of those completions is old: it no longer counts as recent.
        try await db.query(
            "UPDATE turing.tasks SET completed_at = now() - interval '1 hour' WHERE id = $1", [w1[1].taskID])
        _ = try await F.claim(db, worker: "w2", max: 1)
        try await db.query("SELECT turing.stop_worker('w2')")
        try await db.query("UPDATE turing.workers SET last_heartbeat = now() - interval '2 minutes' WHERE id = 'w3'")

        struct Status {
            let host: String?
            let pid: Int?
            let slots: Int?
            let running: Int
            let recent: Int
            let alive: Bool
        }
        func status() async throws -> [String: Status] {
            var result: [String: Status] = [:]
            for row in try await db.query(
                "SELECT worker_id, host, pid, slots, running, completed_last_15m, alive FROM turing.worker_status")
            {
                result[try row.decode(0)] = Status(
                    host: try row.decode(1), pid: try row.decode(2), slots: try row.decode(3), running: try row.decode(4),
                    recent: try row.decode(5), alive: try row.decode(6))
            }
            return result
        }
        var now = try await status()
        #expect(now.keys.sorted() == ["w1", "w2", "w3"])
        #expect(now["w1"]?.host == "host-1" && now["w1"]?.pid == 101 && now["w1"]?.slots == 4)
        #expect(now["w1"]?.running == 2 && now["w1"]?.recent == 1 && now["w1"]?.alive == true)
        #expect(now["w2"]?.running == 1 && now["w2"]?.alive == false, "stopped")
        #expect(now["w3"]?.running == 0 && now["w3"]?.alive == false, "no heartbeat for two minutes")

        try await db.query("SELECT turing.heartbeat('w3')")
        try await db.query("SELECT turing.register_worker('w2', 'host-2b', 203, 2)")
        try await db.query("SELECT turing.heartbeat('w4')")
        now = try await status()
        #expect(now["w3"]?.alive == true)
        #expect(now["w2"]?.alive == true && now["w2"]?.host == "host-2b" && now["w2"]?.pid == 203)
        #expect(now["w4"]?.alive == true && now["w4"]?.host == nil, "a heartbeat from an unknown worker registers it")

        // renew_leases is a heartbeat too, even with nothing to renew.
        try await db.query("UPDATE turing.workers SET last_heartbeat = now() - interval '2 minutes' WHERE id = 'w1'")
        #expect(try await status()["w1"]?.alive == false)
        #expect(try await F.renew(db, worker: "w1", []).isEmpty)
        #expect(try await status()["w1"]?.alive == true)
    }

    @Test("expired_leases: running tasks past their lease, oldest first, with holder and how long ago")
    func expiredLeases() async throws {
        let (_, db) = try await F.database()
        let workflow = try await F.workflow(db)
        try await F.insertTasks(db, workflow: workflow, count: 5)
        let claims = try await F.claim(db, worker: "holder", max: 4)
        #expect(try await F.completeTask(db, claims[3], result: "{}"))
        // The old processor's running task: no lease, never listed.
        try await db.query(
            "UPDATE turing.tasks SET status = 'running', started_at = now() - interval '1 day' WHERE status = 'pending'")
        #expect(try await db.query("SELECT 1 FROM turing.expired_leases").isEmpty)

        let rows = try await db.transaction { tx in
            try tx.query("UPDATE turing.tasks SET lease_expires_at = now() - interval '30 seconds' WHERE id = $1", [claims[0].taskID])
            try tx.query("UPDATE turing.tasks SET lease_expires_at = now() - interval '90 seconds' WHERE id = $1", [claims[1].taskID])
            // A completed task with an old lease time is not running: not listed.
            try tx.query("UPDATE turing.tasks SET lease_expires_at = now() - interval '1 hour' WHERE id = $1", [claims[3].taskID])
            return try tx.query(
                "SELECT task_id, workflow_id, claimed_by, expired_for::text, attempts, max_attempts FROM turing.expired_leases")
        }
        #expect(rows.count == 2)
        #expect(try rows.map { try $0.decode(0, as: Int64.self) } == [claims[1].taskID, claims[0].taskID])
        #expect(try rows.map { try $0.decode(3, as: String.self) } == ["00:01:30", "00:00:30"])
        for row in rows {
            #expect(try row.decode(1, as: Int64.self) == workflow)
            #expect(try row.decode(2, as: String.self) == "holder")
            #expect(try row.decode(4, as: Int.self) == 1)
            #expect(try row.decode(5, as: Int.self) == 5)
        }
        // Claiming them takes them off the list.
        let taken = try await F.claim(db, worker: "rescuer", max: 10)
        #expect(Set(taken.map(\.taskID)) == [claims[0].taskID, claims[1].taskID])
        #expect(try await db.query("SELECT 1 FROM turing.expired_leases").isEmpty)
    }
}
