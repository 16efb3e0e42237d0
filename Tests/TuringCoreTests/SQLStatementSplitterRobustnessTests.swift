import TestSupport
import Testing
@testable import TuringCore

@Suite("SQLStatementSplitter: bad input, fuzzing and large files")
struct SQLStatementSplitterRobustnessTests {
    /// Pieces that exercise every lexical state and its edges.
    static let fragments = [
        "'", "''", "\"", "\"\"", "$$", "$a$", "$A$", "$1", "$", "a$b", "E'", "e'", "\\", "\\'", "/*", "*/", "/", "*", "--", "-",
        ";", ";", ";", "\n", "\r\n", "\r", " ", "\t", "\u{FEFF}", "(", ")", "begin", "END", "create", "function", "or", "replace",
        "case", "atomic", "SELECT", "x", "1", "é", "😀", "\u{0}", "%", "::",
    ]

    static func randomSQL(using rng: inout SplitMix64) -> String {
        let count = Int.random(in: 0...60, using: &rng)
        return (0..<count).map { _ in fragments.randomElement(using: &rng)! }.joined()
    }

    static func lineCount(_ text: String) -> Int {
        let bytes = Array(text.utf8)
        var lines = 1
        for (offset, byte) in bytes.enumerated() where byte == 0x0A || (byte == 0x0D && (offset + 1 == bytes.count || bytes[offset + 1] != 0x0A)) {
            lines += 1
        }
        return lines
    }

    /// Splits `sql` and checks what must hold whether it succeeds or fails.
    static func checkSplit(_ sql: String) {
        let lines = lineCount(sql)
        do {
            let statements = try SQLStatementSplitter.split(sql)
            let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D]
            for statement in statements {
                #expect(!statement.text.isEmpty)
                #expect(!whitespace.contains(statement.text.utf8.first!) && !whitespace.contains(statement.text.utf8.last!))
                #expect((1...lines).contains(statement.line))
            }
            #expect(statements.map(\.line) == statements.map(\.line).sorted())
            let rejoined = statements.map(\.text).joined(separator: ";\n")
            #expect(try SQLStatementSplitter.split(rejoined).map(\.text) == statements.map(\.text), "re-split of \(String(reflecting: sql))")
        } catch {
            #expect((1...lines).contains(error.line))
        }
    }

    @Test("random token soup returns statements or throws, and joining then re-splitting is stable")
    func tokenSoup() {
        var rng = SplitMix64(seed: 0x7475_7269_6E67)
        for _ in 0..<3000 { Self.checkSplit(Self.randomSQL(using: &rng)) }
    }

    @Test("random bytes decoded lossily return statements or throw")
    func randomBytes() {
        var rng = SplitMix64(seed: 42)
        let interesting: [UInt8] = Array("';\"$/*-\\\n\r(eE ".utf8) + [0xEF, 0xBB, 0xBF, 0x80, 0xFF, 0x00]
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...80, using: &rng)).map { _ in
                Bool.random(using: &rng) ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
            Self.checkSplit(String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test("adversarial shapes return or throw", arguments: [
        "\u{FEFF}", "\u{FEFF}\u{FEFF};\u{FEFF}", "$", "$$", "$a", "$a$", "$a$$a", "$a$ $b$ $a$", "E'\\", "'''", "\"\"\"", "/*/", "/**/",
        "/*/**/", "*/", "--", "-", "-- \r\n;", ";", "(((;", ")));", "begin; end;", "create function begin;", "\r\r\n\n", "\u{0}",
        "CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC CASE END; END; x",
    ])
    func adversarial(sql: String) {
        Self.checkSplit(sql)
    }
}
