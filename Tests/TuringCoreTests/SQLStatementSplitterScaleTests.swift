import Testing
@testable import TuringCore

@Suite("SQLStatementSplitter: 10 MB inputs in linear time")
struct SQLStatementSplitterScaleTests {
    static let tenMegabytes = 10 * 1024 * 1024

    static func repeated(_ piece: String, toBytes size: Int = tenMegabytes) -> String {
        String(repeating: piece, count: size / piece.utf8.count)
    }

    @Test("a 10 MB file of ordinary statements splits quickly and fully", .timeLimit(.minutes(1)))
    func largeFile() throws {
        let piece = "INSERT INTO t VALUES ('a;b', $$c;d$$, E'\\'') /* x; */ -- y;\n;\n"
        let sql = Self.repeated(piece)
        let start = ContinuousClock.now
        let statements = try SQLStatementSplitter.split(sql)
        #expect(statements.count == Self.tenMegabytes / piece.utf8.count)
        #expect(statements.last?.line == 2 * statements.count - 1)
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test("10 MB adversarial inputs finish quickly", .timeLimit(.minutes(1)), arguments: [
        "$a", "$", "$$", "(", ")", "'", "/*", "*/", "a", "-", "$tag", "\u{FEFF}", "e'",
    ])
    func adversarialLarge(piece: String) {
        let sql = Self.repeated(piece)
        let start = ContinuousClock.now
        _ = try? SQLStatementSplitter.split(sql)
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test("an unterminated dollar quote with a long tag near-matching everywhere is still linear", .timeLimit(.minutes(1)))
    func longTagNearMatches() {
        let tag = "$" + String(repeating: "t", count: 1000) + "$"
        let sql = tag + String(repeating: "$" + String(repeating: "t", count: 999), count: 10_000)
        let start = ContinuousClock.now
        let error = #expect(throws: SQLSplitError.self) { try SQLStatementSplitter.split(sql) }
        #expect(error?.kind == .unterminatedDollarQuote(tag: tag))
        #expect(ContinuousClock.now - start < .seconds(30))
    }
}
