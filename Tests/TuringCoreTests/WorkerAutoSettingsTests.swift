import Testing
@testable import TuringCore

@Suite("WorkerSettings: --workers auto and --max-workers")
struct WorkerAutoSettingsTests {
    private func resolve(_ flags: WorkerFlags, _ environment: [String: String] = [:]) throws(ConfigurationError) -> WorkerSettings {
        try WorkerSettings.resolve(flags: flags, environment: environment)
    }

    private func message(_ flags: WorkerFlags, _ environment: [String: String] = [:]) -> String? {
        do {
            _ = try resolve(flags, environment)
            return nil
        } catch {
            return error.message
        }
    }

    @Test("--workers text: a whole number, or auto in any case")
    func workersText() throws {
        #expect(try WorkerOption.workers(from: " 12 ") == 12)
        #expect(try WorkerOption.workers(from: "auto") == nil)
        #expect(try WorkerOption.workers(from: " AUTO ") == nil)
        let error = #expect(throws: ConfigurationError.self) { try WorkerOption.workers(from: "lots") }
        #expect(error?.message == #"--workers must be a whole number or auto (got "lots"; also settable as TURING_PARALLEL_WORKERS)"#)
    }

    @Test("auto from the flag or TURING_PARALLEL_WORKERS; --max-workers defaults to 32")
    func auto() throws {
        var flags = WorkerFlags()
        flags.autoWorkers = true
        let settings = try resolve(flags)
        #expect(settings.autoWorkers && settings.maxWorkers == 32)
        #expect(WorkerSettings().maxWorkers == WorkerSettings.defaultMaxWorkers)

        let fromEnvironment = try resolve(WorkerFlags(), ["TURING_PARALLEL_WORKERS": " Auto "])
        #expect(fromEnvironment.autoWorkers && fromEnvironment.maxWorkers == 32)
        var capped = WorkerFlags()
        capped.maxWorkers = 6
        #expect(try resolve(capped, ["TURING_PARALLEL_WORKERS": "auto"]).maxWorkers == 6)

        // A fixed --workers flag wins over TURING_PARALLEL_WORKERS=auto, as flags always do.
        let fixed = try resolve(WorkerFlags(workers: 3), ["TURING_PARALLEL_WORKERS": "auto"])
        #expect(!fixed.autoWorkers && fixed.workers == 3)
        #expect(try !resolve(WorkerFlags()).autoWorkers)
    }

    @Test("--max-workers: 1 to 1024, and only with --workers auto")
    func maxWorkersChecks() {
        var flags = WorkerFlags()
        flags.autoWorkers = true
        flags.maxWorkers = 0
        #expect(message(flags) == "--max-workers must be between 1 and 1024 (got 0)")
        flags.maxWorkers = 2000
        #expect(message(flags) == "--max-workers must be between 1 and 1024 (got 2000)")
        var fixed = WorkerFlags(workers: 4)
        fixed.maxWorkers = 8
        #expect(message(fixed) == "--max-workers only applies to --workers auto (the workers are fixed at 4); drop one of them")
        #expect(message(fixed, ["TURING_PARALLEL_WORKERS": "auto"]) != nil)
        #expect(message(WorkerFlags(), ["TURING_PARALLEL_WORKERS": "sometimes"])
            == #"TURING_PARALLEL_WORKERS must be a whole number or auto for --workers (got "sometimes"); fix or unset it"#)
        #expect(WorkerOption.maxWorkers.flag == "--max-workers" && WorkerOption.maxWorkers.defaultDescription == "32")
    }
}
