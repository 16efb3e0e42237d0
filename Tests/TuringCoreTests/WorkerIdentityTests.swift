import Testing
@testable import TuringCore

@Suite("Worker identity")
struct WorkerIdentityTests {
    @Test("the default worker id is host:pid")
    func defaultWorkerID() {
        #expect(WorkerSettings.defaultWorkerID(host: "gpu-1", pid: 4242) == "gpu-1:4242")
        #expect(WorkerSettings.defaultWorkerID(host: "", pid: 1) == "localhost:1")
    }

    @Test("application_name is printable ASCII and at most 63 bytes")
    func applicationName() {
        #expect(ApplicationName.make(tool: "turing-worker", detail: "gpu-1:4242") == "turing-worker gpu-1:4242")
        #expect(ApplicationName.make(tool: "turing-migrate") == "turing-migrate")
        #expect(ApplicationName.sanitized("wörker\n\u{0}😀'\"") == "w?rker???'\"")
        let long = ApplicationName.make(tool: "turing-worker", detail: String(repeating: "é", count: 100))
        #expect(long.utf8.count == 63)
        #expect(long.utf8.allSatisfy { (0x20...0x7E).contains($0) })
    }
}
