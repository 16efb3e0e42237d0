import Testing
@testable import TuringCore

@Suite("ProgressSnapshot")
struct ProgressSnapshotTests {
    @Test("done counts completed and failed; fraction and remaining follow")
    func counts() {
        let snapshot = ProgressSnapshot(total: 1764, pending: 1640, running: 4, completed: 117, failed: 3)
        #expect(snapshot.done == 120)
        #expect(snapshot.remaining == 1644)
        #expect(abs(snapshot.fractionDone - 120.0 / 1764.0) < 1e-12)
    }

    @Test("an empty workflow is 0 % done and odd counts stay within 0...1")
    func edges() {
        #expect(ProgressSnapshot(total: 0, pending: 0, running: 0, completed: 0, failed: 0).fractionDone == 0)
        let over = ProgressSnapshot(total: 5, pending: 0, running: 0, completed: 6, failed: 0)
        #expect(over.fractionDone == 1)
        #expect(over.remaining == 0)
    }
}
