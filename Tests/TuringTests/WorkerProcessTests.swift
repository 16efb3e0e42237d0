import Foundation
import TestSupport
import Testing
import TuringPostgres
@testable import Turing

extension WorkerTests {
    /// The real `turing-worker` binary, several processes at a time, against the real server.
    @Suite("worker processes")
    struct Processes {
        @Test("3 processes × 4 workers over 600 tasks: each task completed exactly once, none left, every process did some")
        func threeProcessesShareAWorkflow() async throws {
            let (database, connection) = try await WorkerFixture.database()
            let workflow: Int64 = 600
            try await WorkerFixture.seed(connection, workflow: workflow, count: 600)

            // Hold the claims back until all three processes are up, so a slow start cannot leave one without work:
            // claim_tasks waits for this table lock; registering (turing.workers) does not.
            let gate = try await database.connect(applicationName: "turing-tests-gate")
            try await gate.query("BEGIN")
            try await gate.query("LOCK TABLE turing.tasks IN EXCLUSIVE MODE")
            let ids = ["proc-a", "proc-b", "proc-c"]
            let children = try ids.map { id in
                try WorkerFixture.worker(
                    ["--handler", "simulate", "--exit-when-idle", "--workflow", "\(workflow)", "--workers", "4", "--worker-id", id],
                    url: database.url)
            }
            defer { children.forEach { WorkerFixture.cleanUp($0) } }
            let allRegistered = try await WorkerFixture.eventually {
                try await WorkerFixture.int(connection, "SELECT count(*) FROM turing.workers WHERE id = ANY($1::text[])", [ids]) == 3
            }
            try await gate.query("COMMIT")
            await gate.close()
            #expect(allRegistered)

            for child in children {
                let status = await WorkerFixture.exit(of: child, within: .seconds(120))
                #expect(status == 0, "stderr: \(child.standardError.suffix(1500))")
            }
            try await WorkerFixture.expectEachCompletedOnce(connection, workflow: workflow, count: 600)
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM turing.tasks WHERE workflow_id = $1 AND attempts = 1", [workflow]) == 600)
            let perWorker = try await connection.query(
                "SELECT claimed_by, count(*)::bigint FROM turing.tasks WHERE workflow_id = $1 GROUP BY claimed_by ORDER BY 1", [workflow])
            let counts = Dictionary(uniqueKeysWithValues: try perWorker.map { (try $0.decode(0, as: String.self), try $0.decode(1, as: Int.self)) })
            #expect(Set(counts.keys) == Set(ids), "tasks per worker: \(counts)")
            #expect(counts.values.allSatisfy { $0 > 0 }, "tasks per worker: \(counts)")
            #expect(counts.values.reduce(0, +) == 600)
            #expect(try await WorkerFixture.progress(connection, workflow: workflow).percent == 100)
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM turing.workers WHERE id = ANY($1::text[]) AND stopped_at IS NOT NULL", [ids]) == 3)
            await connection.close()
        }

        @Test("--max-tasks 7 --workers 4: exactly 7 tasks completed by that process, nothing else left claimed")
        func maxTasks() async throws {
            let (database, connection) = try await WorkerFixture.database()
            try await WorkerFixture.seed(connection, workflow: 77, count: 60, payloadSQL: "jsonb_build_object('simulate_ms', 50)")
            let (status, child) = try await WorkerFixture.runWorker(
                ["--handler", "simulate", "--exit-when-idle", "--workflow", "77", "--workers", "4", "--max-tasks", "7", "--worker-id", "max7"],
                url: database.url)
            defer { WorkerFixture.cleanUp(child) }
            #expect(status == 0, "stderr: \(child.standardError.suffix(1500))")
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM turing.tasks WHERE status = 'completed' AND claimed_by = 'max7' AND attempts = 1") == 7)
            #expect(try await WorkerFixture.int(connection, "SELECT count(*) FROM turing.tasks WHERE status = 'completed'") == 7)
            #expect(try await WorkerFixture.int(connection, "SELECT count(*) FROM turing_test.completions") == 7)
            // The other 53: never claimed, or handed back with the attempt refunded; none running, none holding a lease.
            #expect(try await WorkerFixture.int(
                connection,
                """
                SELECT count(*) FROM turing.tasks
                WHERE status = 'pending' AND claimed_by IS NULL AND lease_token IS NULL AND lease_expires_at IS NULL AND attempts = 0
                """) == 53)
            #expect(try await WorkerFixture.int(connection, "SELECT count(*) FROM turing.tasks WHERE status = 'running'") == 0)
            await connection.close()
        }

        @Test("--sequential gives the same results as the parallel mode on the same payloads")
        func sequentialMatchesParallel() async throws {
            let (database, connection) = try await WorkerFixture.database()
            // Varied durations (so parallel completion order differs from id order), and two that fail for good.
            let payload = """
                CASE WHEN g % 7 = 0 THEN jsonb_build_object('simulate_ms', 5, 'fail', true)
                     ELSE jsonb_build_object('simulate_ms', (g * 37) % 90, 'n', g) END
                """
            for workflow: Int64 in [1, 2] {
                try await WorkerFixture.seed(connection, workflow: workflow, count: 20, payloadSQL: payload)
            }
            try await connection.query("UPDATE turing.tasks SET max_attempts = 1 WHERE payload ? 'fail'")

            let (parallelStatus, parallel) = try await WorkerFixture.runWorker(
                ["--handler", "simulate", "--exit-when-idle", "--workflow", "1", "--workers", "4", "--worker-id", "par"],
                url: database.url)
            let (sequentialStatus, sequential) = try await WorkerFixture.runWorker(
                ["--handler", "simulate", "--exit-when-idle", "--workflow", "2", "--sequential", "--worker-id", "seq"],
                url: database.url)
            defer { WorkerFixture.cleanUp(parallel, sequential) }
            #expect(parallelStatus == 0, "stderr: \(parallel.standardError.suffix(1500))")
            #expect(sequentialStatus == 0, "stderr: \(sequential.standardError.suffix(1500))")

            func outcomes(_ workflow: Int64) async throws -> [String] {
                try await connection.query(
                    """
                    SELECT concat_ws(' | ', payload::text, status, result::text, error, attempts::text)
                    FROM turing.tasks WHERE workflow_id = $1 ORDER BY id
                    """, [workflow]
                ).map { try $0.decode(0, as: String.self) }
            }
            let parallelOutcomes = try await outcomes(1)
            let sequentialOutcomes = try await outcomes(2)
            #expect(parallelOutcomes.count == 20)
            #expect(parallelOutcomes == sequentialOutcomes)
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM turing.tasks WHERE status = 'failed' AND error = 'simulated failure'") == 4)
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM turing.tasks WHERE workflow_id = 2 AND claimed_by = 'seq'") == 20)
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM (SELECT task_id FROM turing_test.completions GROUP BY task_id HAVING count(*) > 1) AS twice") == 0)
            await connection.close()
        }

        @Test("SIGKILL mid-task: another worker finishes the tasks after the lease expires; the old lease token is refused")
        func killedWorkersTasksAreTakenOver() async throws {
            let (database, connection) = try await WorkerFixture.database()
            try await WorkerFixture.seed(connection, workflow: 4, count: 4, payloadSQL: "jsonb_build_object('simulate_ms', 3000)")
            let victim = try WorkerFixture.worker(
                ["--handler", "simulate", "--workflow", "4", "--workers", "4", "--lease", "2", "--worker-id", "victim"], url: database.url)
            var rescuer: ChildProcess?
            defer {
                WorkerFixture.cleanUp(victim)
                rescuer.map { WorkerFixture.cleanUp($0) }
            }
            let allClaimed = try await WorkerFixture.eventually {
                try await WorkerFixture.int(
                    connection, "SELECT count(*) FROM turing.tasks WHERE status = 'running' AND claimed_by = 'victim'") == 4
            }
            try #require(allClaimed, "the victim never claimed the 4 tasks: \(victim.standardError.suffix(1500))")
            let oldLeases = try await connection.query("SELECT id, lease_token FROM turing.tasks ORDER BY id")
                .map { (id: try $0.decode(0, as: Int64.self), token: try $0.decode(1, as: UUID.self)) }

            victim.send(SIGKILL)
            #expect(await victim.exit() == 128 + SIGKILL)
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM turing.tasks WHERE status = 'running' AND claimed_by = 'victim'") == 4,
                "the killed worker's tasks should stay claimed until their leases expire")

            rescuer = try WorkerFixture.worker(
                ["--handler", "simulate", "--workflow", "4", "--workers", "4", "--lease", "2", "--worker-id", "rescuer"], url: database.url)
            let finished = try await WorkerFixture.eventually(within: .seconds(90)) {
                try await WorkerFixture.int(connection, "SELECT count(*) FROM turing.tasks WHERE status = 'completed'") == 4
            }
            #expect(finished, "stderr: \(rescuer?.standardError.suffix(1500) ?? "")")
            rescuer?.send(SIGTERM)
            if let rescuer { #expect(await WorkerFixture.exit(of: rescuer, within: .seconds(60)) == 0) }

            try await WorkerFixture.expectEachCompletedOnce(connection, workflow: 4, count: 4)
            #expect(try await WorkerFixture.int(
                connection,
                """
                SELECT count(*) FROM turing.tasks
                WHERE claimed_by = 'rescuer' AND attempts = 2 AND result = '{"simulated_ms": 3000}'::jsonb
                  AND lease_token <> ALL ($1::uuid[])
                """, [oldLeases.map(\.token)]) == 4)
            #expect(try await WorkerFixture.int(connection, "SELECT count(*) FROM turing_test.completions WHERE claimed_by = 'rescuer'") == 4)

            // The victim, back from the dead, tries to write with the lease it held: refused, nothing changes.
            for lease in oldLeases {
                let accepted = try #require(try await connection.query(
                    #"SELECT turing.complete_task($1, $2, '{"late": true}'::jsonb)"#, [lease.id, lease.token]).first)
                #expect(try accepted.decode(0, as: Bool.self) == false)
            }
            let batch = try await connection.query(
                #"SELECT turing.complete_tasks($1::bigint[], $2::uuid[], array_fill('{"late": true}'::jsonb, ARRAY[4]))"#,
                [oldLeases.map(\.id), oldLeases.map(\.token)])
            #expect(batch.isEmpty)
            #expect(try await WorkerFixture.int(connection, "SELECT count(*) FROM turing.tasks WHERE result ? 'late'") == 0)
            #expect(try await WorkerFixture.int(connection, "SELECT count(*) FROM turing_test.completions") == 4)
            await connection.close()
        }

        @Test("SIGTERM: running tasks finish, unstarted claims are released at once, exit 0, the worker is marked stopped")
        func sigtermReleasesUnstartedClaims() async throws {
            let (database, connection) = try await WorkerFixture.database()
            try await WorkerFixture.seed(connection, workflow: 15, count: 10, payloadSQL: "jsonb_build_object('simulate_ms', 4000)")
            let worker = try WorkerFixture.worker(
                ["--handler", "simulate", "--workflow", "15", "--workers", "2", "--batch-size", "10", "--worker-id", "termed"],
                url: database.url)
            defer { WorkerFixture.cleanUp(worker) }
            // Two running plus the prefetched, not yet started, claims.
            var claimedBefore = 0
            let claimed = try await WorkerFixture.eventually {
                claimedBefore = try await WorkerFixture.int(
                    connection, "SELECT count(*) FROM turing.tasks WHERE status = 'running' AND claimed_by = 'termed'")
                return claimedBefore > 2
            }
            try #require(claimed, "the worker never claimed more than it runs: \(worker.standardError.suffix(1500))")

            worker.send(SIGTERM)
            // While the two running tasks still sleep, the unstarted claims are already back.
            var releasedWhileRunning = false
            _ = try await WorkerFixture.eventually(within: .seconds(30), every: .milliseconds(20)) {
                let held = try await WorkerFixture.int(
                    connection, "SELECT count(*) FROM turing.tasks WHERE status = 'running' AND claimed_by = 'termed'")
                if held == 2 && worker.isRunning { releasedWhileRunning = true }
                return releasedWhileRunning || !worker.isRunning
            }
            #expect(releasedWhileRunning, "unstarted claims were not handed back before the running tasks ended")

            let status = await WorkerFixture.exit(of: worker, within: .seconds(60))
            #expect(status == 0, "stderr: \(worker.standardError.suffix(1500))")
            #expect(worker.standardError.contains("stopping"))
            #expect(try await WorkerFixture.int(
                connection,
                "SELECT count(*) FROM turing.tasks WHERE status = 'completed' AND claimed_by = 'termed' AND result = '{\"simulated_ms\": 4000}'::jsonb"
            ) == 2)
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM turing.tasks WHERE status = 'pending' AND claimed_by IS NULL AND attempts = 0") == 8)
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM turing.workers WHERE id = 'termed' AND stopped_at IS NOT NULL") == 1)
            // Another worker takes all of them at once, without waiting for any lease to run out.
            let reclaimed = try await connection.query(
                "SELECT task_id, attempt FROM turing.claim_tasks('other', 100, interval '30 seconds', 15)")
            #expect(reclaimed.count == 8)
            #expect(try reclaimed.allSatisfy { try $0.decode(1, as: Int.self) == 1 })
            await connection.close()
        }

        @Test("an idle worker (no --exit-when-idle) runs a task inserted later, then stops cleanly on SIGTERM")
        func idleWorkerWakesForNewTask() async throws {
            let (database, connection) = try await WorkerFixture.database()
            try await WorkerFixture.seed(connection, workflow: 21, count: 0)
            let worker = try WorkerFixture.worker(
                ["--handler", "simulate", "--workflow", "21", "--workers", "2", "--worker-id", "idler"], url: database.url)
            defer { WorkerFixture.cleanUp(worker) }
            let registered = try await WorkerFixture.eventually {
                try await WorkerFixture.int(connection, "SELECT count(*) FROM turing.workers WHERE id = 'idler'") == 1
            }
            try #require(registered, "stderr: \(worker.standardError.suffix(1500))")
            #expect(worker.isRunning, "the worker exited although it has no --exit-when-idle")

            try await WorkerFixture.seed(connection, workflow: 21, count: 1, payloadSQL: "jsonb_build_object('simulate_ms', 5)")
            let completed = try await WorkerFixture.eventually {
                try await WorkerFixture.int(
                    connection, "SELECT count(*) FROM turing.tasks WHERE status = 'completed' AND claimed_by = 'idler'") == 1
            }
            #expect(completed)
            #expect(worker.isRunning, "the worker exited although it has no --exit-when-idle")
            worker.send(SIGTERM)
            #expect(await WorkerFixture.exit(of: worker, within: .seconds(60)) == 0)
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM turing.workers WHERE id = 'idler' AND stopped_at IS NOT NULL") == 1)
            await connection.close()
        }

        @Test("--workers 16 uses at most 3 connections, all named after the worker")
        func fewConnections() async throws {
            let (database, connection) = try await WorkerFixture.database()
            try await WorkerFixture.seed(connection, workflow: 16, count: 48, payloadSQL: "jsonb_build_object('simulate_ms', 1500)")
            let worker = try WorkerFixture.worker(
                ["--handler", "simulate", "--exit-when-idle", "--workflow", "16", "--workers", "16", "--worker-id", "wide16"],
                url: database.url)
            defer { WorkerFixture.cleanUp(worker) }
            var mostConnections = 0
            var mostRunning = 0
            while worker.isRunning {
                let row = try #require(try await connection.query(
                    """
                    SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE '%wide16%'),
                           (SELECT count(*) FROM turing.tasks WHERE status = 'running' AND claimed_by = 'wide16')
                    """).first)
                mostConnections = max(mostConnections, try row.decode(0, as: Int.self))
                mostRunning = max(mostRunning, try row.decode(1, as: Int.self))
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(await worker.exit() == 0, "stderr: \(worker.standardError.suffix(1500))")
            #expect(mostConnections >= 1, "never saw the worker's connections in pg_stat_activity")
            #expect(mostConnections <= 3, "the worker opened \(mostConnections) connections")
            #expect(mostRunning >= 16, "the worker never had 16 tasks in flight (at most \(mostRunning))")
            try await WorkerFixture.expectEachCompletedOnce(connection, workflow: 16, count: 48)
            await connection.close()
        }
    }
}
