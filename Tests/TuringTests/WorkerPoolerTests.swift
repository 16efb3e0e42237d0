import Foundation
import TestSupport
import Testing
import TuringPostgres
@testable import Turing

extension WorkerTests {
    /// The worker behind a transaction-pooling PgBouncer, which the SQL API promises to support.
    @Suite("behind PgBouncer")
    struct Pooler {
        @Test("a parallel run through a transaction-pooling PgBouncer completes every task exactly once")
        func parallelRunThroughPgBouncer() async throws {
            let (database, connection) = try await WorkerFixture.database()
            let pooler = try TestPgBouncer(frontOf: database)
            defer { pooler.stop() }
            let workflow: Int64 = 1124
            try await WorkerFixture.seed(connection, workflow: workflow, count: 120, payloadSQL: "jsonb_build_object('simulate_ms', 5)")
            var options = TuringOrchestrator.Options(workerID: "pooled")
            options.workflowID = workflow
            options.exitWhenIdle = true
            let report = try await TuringOrchestrator(
                database: .init(connectionString: pooler.url, applicationName: "turing-tests"),
                options: options, handler: SimulateHandler(defaultMilliseconds: nil), logger: Library.quiet
            ).processPendingTasksParallel(maxTasks: nil, workers: 8, batchSize: 16)

            #expect(report.succeeded == 120)
            #expect(report.failed == 0 && report.leasesLost == 0)
            try await WorkerFixture.expectEachCompletedOnce(connection, workflow: workflow, count: 120)
            await connection.close()
        }
    }
}
