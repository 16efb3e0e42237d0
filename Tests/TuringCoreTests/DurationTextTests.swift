import Testing
@testable import TuringCore

@Suite("DurationText")
struct DurationTextTests {
    @Test("durations as people type them", arguments: [
        ("30", 30.0), ("1.5", 1.5), ("30s", 30), ("500ms", 0.5), ("2m", 120), ("1h", 3600), ("1m30s", 90), ("5 s", 5), ("0", 0), ("2MIN", 120),
    ])
    func parses(text: String, seconds: Double) {
        #expect(DurationText.seconds(text) == seconds)
    }

    @Test("malformed or negative durations are refused", arguments: ["", "s", "-1", "-1s", "5x", "1.2.3s", "nan", "inf", "5s junk"])
    func refuses(text: String) {
        #expect(DurationText.seconds(text) == nil)
    }
}
