import Testing
@testable import TuringCore

@Suite("MigrationPlanner: up, down and baseline plans")
struct MigrationPlannerPlanTests {
    let baseline = MigrationFixtures.migration(87, "baseline")
    let parallel = MigrationFixtures.migration(88, "parallel_batch_processing")
    let roles = MigrationFixtures.migration(89, "roles")
    var all: [Migration] { [roles, baseline, parallel] }

    @Test("up without a target applies every pending migration in order")
    func upAll() throws {
        let plan = try MigrationPlanner.planUp(available: all, applied: [MigrationFixtures.applied(baseline)], target: nil)
        #expect(plan.map(\.version.number) == [88, 89])
    }

    @Test("up to a target stops there, inclusive; 88 and 088 are the same")
    func upToTarget() throws {
        let plan = try MigrationPlanner.planUp(available: all, applied: [], target: MigrationVersion("88"))
        #expect(plan.map(\.version.number) == [87, 88])
    }

    @Test("up with nothing pending is an empty plan, also for an applied target")
    func upNothingPending() throws {
        let applied = all.map { MigrationFixtures.applied($0) }
        #expect(try MigrationPlanner.planUp(available: all, applied: applied, target: nil).isEmpty)
        #expect(try MigrationPlanner.planUp(available: all, applied: applied, target: MigrationVersion("87")).isEmpty)
    }

    @Test("up 087 then up 088 runs what a single up would")
    func upInSteps() throws {
        let first = try MigrationPlanner.planUp(available: all, applied: [], target: MigrationVersion("87"))
        let second = try MigrationPlanner.planUp(available: all, applied: first.map { MigrationFixtures.applied($0) }, target: MigrationVersion("88"))
        let single = try MigrationPlanner.planUp(available: all, applied: [], target: MigrationVersion("88"))
        #expect(first + second == single)
    }

    @Test("up to a version that has no file is refused, naming the range")
    func upUnknownTarget() {
        let error = #expect(throws: MigrationPlanError.self) {
            try MigrationPlanner.planUp(available: all, applied: [], target: MigrationVersion("8"))
        }
        #expect(error?.message == "`up 008`: no migration 008; the migrations go from 087 to 089, so give one of those versions")
    }

    @Test("up refuses over a modified or missing file or an out-of-order pending one, listing them")
    func upRefusesProblems() {
        let applied = [MigrationFixtures.applied(baseline, checksum: "stale"), MigrationFixtures.applied(roles)]
        let error = #expect(throws: MigrationPlanError.self) {
            try MigrationPlanner.planUp(available: all, applied: applied, target: nil)
        }
        #expect(error?.problems.count == 2)
        #expect(error?.message.hasPrefix("refusing to migrate because of 2 problems: 087_baseline.up.sql was changed") == true)
        #expect(error?.message.contains("088_parallel_batch_processing.up.sql is pending but the newer 089") == true)
        #expect(error?.message.contains("\n") == false)
    }

    @Test("down reverts applied versions above the target, newest first")
    func downToTarget() throws {
        let applied = all.map { MigrationFixtures.applied($0) }
        let plan = try MigrationPlanner.planDown(available: all, applied: applied, target: MigrationVersion("87")!)
        #expect(plan.map(\.version.number) == [89, 88])
    }

    @Test("down 0 reverts everything; pending versions are left alone")
    func downToZero() throws {
        let applied = [baseline, parallel].map { MigrationFixtures.applied($0) }
        let plan = try MigrationPlanner.planDown(available: all, applied: applied, target: .zero)
        #expect(plan.map(\.version.number) == [88, 87])
    }

    @Test("down to the newest applied version or above is an empty plan")
    func downNothing() throws {
        let applied = [MigrationFixtures.applied(baseline)]
        #expect(try MigrationPlanner.planDown(available: all, applied: applied, target: MigrationVersion("87")!).isEmpty)
        #expect(try MigrationPlanner.planDown(available: all, applied: applied, target: MigrationVersion("89")!).isEmpty)
    }

    @Test("down refuses when a version to revert has no file")
    func downMissingFile() {
        let gone = MigrationFixtures.migration(90, "gone")
        let applied = [baseline, parallel, gone].map { MigrationFixtures.applied($0) }
        let error = #expect(throws: MigrationPlanError.self) {
            try MigrationPlanner.planDown(available: all, applied: applied, target: MigrationVersion("87")!)
        }
        #expect(error?.message == "cannot revert 090: 090_gone.down.sql is missing; restore it from version control")
    }

    @Test("down to a version that is neither 0 nor known is refused")
    func downUnknownTarget() {
        let error = #expect(throws: MigrationPlanError.self) {
            try MigrationPlanner.planDown(available: all, applied: [MigrationFixtures.applied(baseline)], target: MigrationVersion("8")!)
        }
        #expect(error?.message.contains("no migration 008") == true)
    }

    @Test("baseline records every unapplied version up to the target, without later ones")
    func baselinePlan() throws {
        let plan = try MigrationPlanner.planBaseline(available: all, applied: [], target: MigrationVersion("87")!)
        #expect(plan.map(\.version.number) == [87])
        let later = try MigrationPlanner.planBaseline(available: all, applied: [MigrationFixtures.applied(baseline)], target: MigrationVersion("88")!)
        #expect(later.map(\.version.number) == [88])
    }

    @Test("baseline 087 then up 088 applies only 088")
    func baselineThenUp() throws {
        let recorded = try MigrationPlanner.planBaseline(available: all, applied: [], target: MigrationVersion("87")!)
        let plan = try MigrationPlanner.planUp(available: all, applied: recorded.map { MigrationFixtures.applied($0) }, target: MigrationVersion("88"))
        #expect(plan.map(\.version.number) == [88])
    }

    @Test("baseline of an unknown version is refused; with no files the message says so")
    func baselineUnknown() {
        let error = #expect(throws: MigrationPlanError.self) {
            try MigrationPlanner.planBaseline(available: [], applied: [], target: MigrationVersion("87")!)
        }
        #expect(error?.message == "`baseline 087`: there are no migration files; check --dir")
    }
}
