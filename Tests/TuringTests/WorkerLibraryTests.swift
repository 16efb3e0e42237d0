import Foundation
import Logging
import TestSupport
import Testing
import TuringPostgres
@testable import Turing

extension WorkerTests {
    /// `TuringOrchestrator` used as a Swift library, against the real server.
    @Suite("library API")
    struct Library {
        static let quiet = Logger(label: "worker-tests") { _ in SwiftLogNoOpLogHandler() }

        static func orchestrator(
            _ database: TestDatabase, workerID: String, workflow: Int64?, configure: (inout TuringOrchestrator.Options) -> Void = { _ in }
        ) -> TuringOrchestrator {
            var options = TuringOrchestrator.Options(workerID: workerID)
            options.workflowID = workflow
            options.exitWhenIdle = true
            configure(&options)
            return TuringOrchestrator(
                database: .init(connectionString: database.url, applicationName: "turing-tests"),
                options: options, handler: SimulateHandler(defaultMilliseconds: nil), logger: quiet)
        }

        @Test("processPendingTasksParallel completes every task exactly once, with its result, and progress reaches 100 %",
              arguments: [(tasks: 10, workers: 2), (tasks: 50, workers: 4)])
        func parallelCompletesEverything(_ scenario: (tasks: Int, workers: Int)) async throws {
            let (database, connection) = try await WorkerFixture.database()
            let workflow: Int64 = 1124
            try await WorkerFixture.seed(connection, workflow: workflow, count: scenario.tasks)
            // A second workflow that the run must leave alone.
            try await WorkerFixture.seed(connection, workflow: 7, count: 3)

            let report = try await Self.orchestrator(database, workerID: "lib-\(scenario.workers)", workflow: workflow)
                .processPendingTasksParallel(maxTasks: nil, workers: scenario.workers, batchSize: 50)

            #expect(report.succeeded == scenario.tasks)
            #expect(report.failed == 0)
            #expect(report.leasesLost == 0)
            try await WorkerFixture.expectEachCompletedOnce(connection, workflow: workflow, count: scenario.tasks)
            #expect(try await WorkerFixture.int(
                connection,
                """
                SELECT count(*) FROM turing.tasks WHERE workflow_id = $1 AND attempts = 1 AND claimed_by = $2
                   AND result = '{"simulated_ms": 20}'::jsonb AND started_at IS NOT NULL AND completed_at >= started_at
                """, [workflow, "lib-\(scenario.workers)"]) == scenario.tasks)
            let progress = try await WorkerFixture.progress(connection, workflow: workflow)
            #expect(progress.percent == 100)
            #expect(progress.total == scenario.tasks && progress.completed == scenario.tasks)
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM turing.tasks WHERE workflow_id = 7 AND status = 'pending' AND attempts = 0") == 3)
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM turing.workers WHERE id = $1 AND stopped_at IS NOT NULL AND slots = $2",
                ["lib-\(scenario.workers)", scenario.workers]) == 1)
            await connection.close()
        }

        /// Answers every task with `{"n": …}`, except that tasks whose payload has `"bad": true` get a string
        /// holding U+0000, which JSON allows and jsonb refuses.
        struct NulResultHandler: TaskHandler {
            func run(_ task: ClaimedTask, context: TaskContext) async throws -> String {
                task.payload.contains("\"bad\": true") ? #""a\u0000b""# : #"{"n": 1}"#
            }
        }

        @Test("a result jsonb would refuse fails its task alone; the others in its batch are recorded")
        func resultJSONBRefuses() async throws {
            let (database, connection) = try await WorkerFixture.database()
            let workflow: Int64 = 1124
            try await WorkerFixture.seed(
                connection, workflow: workflow, count: 12, payloadSQL: "jsonb_build_object('bad', g % 4 = 0)")
            try await connection.query("UPDATE turing.tasks SET max_attempts = 1 WHERE workflow_id = $1", [workflow])
            var options = TuringOrchestrator.Options(workerID: "nul")
            options.workflowID = workflow
            options.exitWhenIdle = true
            let report = try await TuringOrchestrator(
                database: .init(connectionString: database.url, applicationName: "turing-tests"),
                options: options, handler: NulResultHandler(), logger: Self.quiet
            ).processPendingTasksParallel(maxTasks: nil, workers: 4, batchSize: 50)

            #expect(report.succeeded == 9)
            #expect(report.failed == 3)
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM turing.tasks WHERE workflow_id = $1 AND status = 'completed' AND result = '{\"n\": 1}'",
                [workflow]) == 9)
            #expect(try await WorkerFixture.int(
                connection,
                "SELECT count(*) FROM turing.tasks WHERE workflow_id = $1 AND status = 'failed' AND error LIKE '%not JSON as jsonb reads it%' AND payload->>'bad' = 'true'",
                [workflow]) == 3)
            await connection.close()
        }

        @Test("processPendingTasks (sequential) completes every task exactly once too")
        func sequentialCompletesEverything() async throws {
            let (database, connection) = try await WorkerFixture.database()
            try await WorkerFixture.seed(connection, workflow: 5, count: 10)
            let report = try await Self.orchestrator(database, workerID: "lib-seq", workflow: 5).processPendingTasks(maxTasks: nil)
            #expect(report.succeeded == 10)
            try await WorkerFixture.expectEachCompletedOnce(connection, workflow: 5, count: 10)
            #expect(try await WorkerFixture.progress(connection, workflow: 5).percent == 100)
            await connection.close()
        }

        @Test("an idle run is woken by the NOTIFY of a later insert: with polling pushed out to an hour, the task still runs")
        func listenWakesAnIdleRun() async throws {
            let (database, connection) = try await WorkerFixture.database()
            try await WorkerFixture.seed(connection, workflow: 3, count: 0)
            let orchestrator = Self.orchestrator(database, workerID: "lib-listen", workflow: 3) { options in
                options.exitWhenIdle = false
                options.pollInterval = .seconds(3600)
            }
            let run = Task { try await orchestrator.processPendingTasksParallel(maxTasks: nil, workers: 2, batchSize: 10) }
            // LISTEN starts before the worker registers, so once its row is there a NOTIFY cannot be missed.
            let registered = try await WorkerFixture.eventually {
                try await WorkerFixture.int(connection, "SELECT count(*) FROM turing.workers WHERE id = 'lib-listen'") == 1
            }
            #expect(registered)
            try await WorkerFixture.seed(connection, workflow: 3, count: 1, payloadSQL: "jsonb_build_object('simulate_ms', 5)")
            let completed = try await WorkerFixture.eventually(within: .seconds(30)) {
                try await WorkerFixture.int(connection, "SELECT count(*) FROM turing.tasks WHERE workflow_id = 3 AND status = 'completed'") == 1
            }
            #expect(completed, "the task inserted after the worker went idle was never run (no wake-up without polling)")
            orchestrator.stop()
            let report = try await run.value
            #expect(report.succeeded == 1)
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM turing.workers WHERE id = 'lib-listen' AND stopped_at IS NOT NULL") == 1)
            await connection.close()
        }

        @Test("maxTasks is respected across all workers: exactly that many finish, no other task stays claimed")
        func maxTasksAcrossWorkers() async throws {
            let (database, connection) = try await WorkerFixture.database()
            try await WorkerFixture.seed(connection, workflow: 9, count: 40)
            let report = try await Self.orchestrator(database, workerID: "lib-max", workflow: 9)
                .processPendingTasksParallel(maxTasks: 7, workers: 4, batchSize: 50)
            #expect(report.finished == 7)
            #expect(try await WorkerFixture.int(connection, "SELECT count(*) FROM turing.tasks WHERE status = 'completed'") == 7)
            #expect(try await WorkerFixture.int(
                connection, "SELECT count(*) FROM turing.tasks WHERE status = 'pending' AND claimed_by IS NULL AND attempts = 0") == 33)
            await connection.close()
        }
    }
}
