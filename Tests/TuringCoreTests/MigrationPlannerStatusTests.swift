import Foundation
import Testing
@testable import TuringCore

@Suite("MigrationPlanner: status and problems")
struct MigrationPlannerStatusTests {
    let baseline = MigrationFixtures.migration(87, "baseline")
    let parallel = MigrationFixtures.migration(88, "parallel_batch_processing")
    let roles = MigrationFixtures.migration(89, "roles")

    @Test("each version is applied, pending, modified or missing, sorted by version")
    func states() {
        let gone = MigrationFixtures.migration(86, "gone")
        let status = MigrationPlanner.status(
            available: [roles, parallel, baseline],
            applied: [MigrationFixtures.applied(parallel, checksum: "edited"), MigrationFixtures.applied(baseline), MigrationFixtures.applied(gone)]
        )
        #expect(status.map(\.version.number) == [86, 87, 88, 89])
        #expect(status.map(\.state) == [.missing, .applied, .modified, .pending])
        #expect(status[0].name == "gone")
        #expect(status[1].appliedAt == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(status[1].durationSeconds == 0.25)
        #expect(status[3].appliedAt == nil && status[3].durationSeconds == nil)
    }

    @Test("a clean history has no problems")
    func noProblems() {
        let problems = MigrationPlanner.problems(
            available: [baseline, parallel, roles], applied: [MigrationFixtures.applied(baseline), MigrationFixtures.applied(parallel)]
        )
        #expect(problems.isEmpty)
    }

    @Test("a modified file, a missing file and a pending version below the newest applied are problems")
    func problems() {
        let gone = MigrationFixtures.migration(90, "gone")
        let problems = MigrationPlanner.problems(
            available: [baseline, parallel, roles],
            applied: [MigrationFixtures.applied(parallel, checksum: "0000"), MigrationFixtures.applied(roles), MigrationFixtures.applied(gone)]
        )
        #expect(problems == [
            .pendingBelowApplied(version: baseline.version, fileName: "087_baseline.up.sql", newestApplied: gone.version),
            .modified(version: parallel.version, fileName: "088_parallel_batch_processing.up.sql"),
            .missing(version: gone.version, name: "gone"),
        ])
    }

    @Test("problem descriptions name the file and say what to do, on one line")
    func problemDescriptions() {
        let modified = MigrationProblem.modified(version: parallel.version, fileName: "088_parallel_batch_processing.up.sql")
        let missing = MigrationProblem.missing(version: parallel.version, name: "parallel_batch_processing")
        let below = MigrationProblem.pendingBelowApplied(version: baseline.version, fileName: "087_baseline.up.sql", newestApplied: parallel.version)
        #expect(modified.description.hasPrefix("088_parallel_batch_processing.up.sql was changed after it was applied"))
        #expect(missing.description.hasPrefix("088_parallel_batch_processing.up.sql was applied but is missing"))
        #expect(below.description.contains("087_baseline.up.sql") && below.description.contains("renumber it above 088"))
        #expect([modified, missing, below].allSatisfy { !$0.description.contains("\n") })
        #expect(below.version == baseline.version)
    }
}
