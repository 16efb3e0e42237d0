import Testing
@testable import TuringCore

@Suite("WorkerOption")
struct WorkerOptionTests {
    @Test("each option has a flag; the documented ones have their environment variable")
    func metadata() {
        #expect(Set(WorkerOption.allCases.map(\.flag)).count == WorkerOption.allCases.count)
        #expect(WorkerOption.workers.flagAndVariable == "--workers (or TURING_PARALLEL_WORKERS)")
        #expect(WorkerOption.maxTasks.environmentVariable == nil)
        #expect(WorkerOption.ollamaURL.environmentVariable == "OLLAMA_HOST")
        #expect(WorkerOption.handler.defaultDescription == "ollama")
    }

    @Test("raw flag text parses with the option's message")
    func parsesText() throws {
        #expect(try WorkerOption.workers.integer(from: " 12 ") == 12)
        #expect(try WorkerOption.lease.seconds(from: "1m30s") == 90)
        let error = #expect(throws: ConfigurationError.self) { try WorkerOption.batchSize.integer(from: "lots") }
        #expect(error?.message == #"--batch-size must be a whole number (got "lots"; also settable as TURING_BATCH_SIZE)"#)
        let seconds = #expect(throws: ConfigurationError.self) { try WorkerOption.shutdownGrace.seconds(from: "-1") }
        #expect(seconds?.message == #"--shutdown-grace must be a number of seconds such as 30, 30s or 500ms (got "-1")"#)
    }
}
