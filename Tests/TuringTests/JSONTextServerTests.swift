import Foundation
import TestSupport
import Testing
import TuringCore
import TuringPostgres

/// `JSONText` decides which handler results the worker writes; PostgreSQL's `jsonb` is the judge it must agree with.
@Suite("JSONText against jsonb")
struct JSONTextServerTests {
    static let cases = [
        "0", "-0", "1e10", "28e875", "-1.5E-3", "\"\"", #""\ud83e\uddea""#, "\"héllo 世界\"", #"{"a": 1, "a": 2}"#,
        " [1, {\"a\": [null, true]}] ", "", " ", "01", "1.", ".5", "+1", "1e", "NaN", "Infinity", "[1,]", "{\"a\":1,}",
        "{a:1}", "'a'", #""\x""#, #""\u0000""#, #""\u0001""#, #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#,
        "\"tab\there\"", "[1] x", "{} {}", "tru", "nul",
    ]

    @Test("JSONText.isValid agrees with a ::jsonb cast on hand-picked cases and 600 corrupted random documents")
    func agreesWithServer() async throws {
        let connection = try await TestPostgres.database().connect()
        var random = SplitMix64(seed: 2026)
        let corrupted = (0..<600).map { _ in Self.corruptedDocument(using: &random) }
        var disagreements: [String] = []
        var refused = 0
        for text in Self.cases + corrupted {
            let server: Bool
            do {
                try await connection.query("SELECT $1::jsonb", [text])
                server = true
            } catch let error as PostgresError where error.kind == .server {
                server = false
                refused += 1
            }
            if JSONText.isValid(text) != server { disagreements.append(text) }
        }
        #expect(disagreements == [])
        #expect(refused > 100, "the corruptions should give many invalid documents, not only valid ones")
    }

    /// A random JSON document with one byte replaced by a character that often breaks it.
    static func corruptedDocument(using random: inout SplitMix64) -> String {
        var text = randomDocument(depth: 0, using: &random)
        var bytes = Array(text.utf8)
        bytes[Int.random(in: 0..<bytes.count, using: &random)] = Array("{}[],:\"\\ 0-.etxu".utf8).randomElement(using: &random)!
        text = String(decoding: bytes, as: UTF8.self)
        return text
    }

    static func randomDocument(depth: Int, using random: inout SplitMix64) -> String {
        switch Int.random(in: depth > 3 ? 0...3 : 0...5, using: &random) {
        case 0: return String(Int.random(in: -1_000_000...1_000_000, using: &random))
        case 1: return "\(Int.random(in: -99...99, using: &random)).\(Int.random(in: 0...99, using: &random))e\(Int.random(in: -9...9, using: &random))"
        case 2: return ["\"plain\"", #""\u00e9\n\"q\"""#, "\"世界🧪\"", #""\ud83e\uddea""#, "\"\""].randomElement(using: &random)!
        case 3: return ["null", "true", "false"].randomElement(using: &random)!
        case 4:
            return "[" + (0..<Int.random(in: 0...4, using: &random)).map { _ in randomDocument(depth: depth + 1, using: &random) }
                .joined(separator: ", ") + "]"
        default:
            return "{" + ["a", "b c", "ü"].prefix(Int.random(in: 0...3, using: &random)).map {
                "\"\($0)\": " + randomDocument(depth: depth + 1, using: &random)
            }.joined(separator: ",") + "}"
        }
    }
}
