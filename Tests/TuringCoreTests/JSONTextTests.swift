import Foundation
import TestSupport
import Testing
import TuringCore

@Suite("JSONText")
struct JSONTextTests {
    /// Inputs `jsonb` accepts; the server-backed suite checks this list against PostgreSQL itself.
    static let valid = [
        "0", "-0", "12", "-3.25", "1e10", "1E+2", "2.5e-3", "\"\"", "\"a\"", "null", "true", "false", "[]", "{}",
        " [1, {\"a\": [null, true]}] ", "\n\t{\"k\" : \"v\"}\r\n", #""\" \\ \/ \b \f \n \r \t""#, #""\ud83e\uddea""#,
        #""\u00e9\u4e16""#, "\"héllo 世界 🧪\"", #"{"a": 1, "a": 2}"#, "[[[[[[[[[[1]]]]]]]]]]",
    ]

    /// Inputs `jsonb` refuses.
    static let invalid = [
        "", " ", "01", "-", "1.", ".5", "+1", "1e", "1e+", "0x10", "tru", "nul", "True", "NaN", "Infinity", "[1,]",
        "[,1]", "[1 2]", "{\"a\":1,}", "{a:1}", "{\"a\" 1}", "{\"a\":}", "'a'", "\"open", #""\x""#, #""\u12""#,
        #""\u0000""#, #""\ud800""#, #""\udc00x""#, #""\ud800\u0041""#, "\"tab\there\"", "\"new\nline\"", "[1] x",
        "{} {}", "[", "]", "{", "}",
    ]

    @Test("valid JSON is valid, and parses", arguments: valid)
    func validInputs(_ text: String) {
        #expect(JSONText.isValid(text))
        #expect(JSONText.parse(text) != nil)
    }

    @Test("invalid JSON is refused by both entry points", arguments: invalid)
    func invalidInputs(_ text: String) {
        #expect(!JSONText.isValid(text))
        #expect(JSONText.parse(text) == nil)
    }

    @Test("values come out decoded: escapes, surrogate pairs, numbers as written, the last of a repeated key")
    func parsedValues() {
        #expect(JSONText.parse(#"{"a": 1, "a": 2}"#) == .object(["a": .number("2")]))
        #expect(JSONText.parse(#""\ud83e\uddea \u00e9 \"q\" \\ \/ \n""#) == .string("🧪 é \"q\" \\ / \n"))
        #expect(JSONText.parse(" [1.50, -0, true, null, {}] ") == .array([.number("1.50"), .number("-0"), .bool(true), .null, .object([:])]))
        #expect(JSONText.parse("12")?.integer == 12)
        #expect(JSONText.parse("-7")?.integer == -7)
        #expect(JSONText.parse("1.0")?.integer == nil)
        #expect(JSONText.parse("1e3")?.integer == nil)
        #expect(JSONText.parse("99999999999999999999")?.integer == nil)
        #expect(JSONText.parse("\"3\"")?.integer == nil)
    }

    @Test("nesting deeper than maximumDepth is refused instead of overflowing the stack")
    func depthLimit() {
        let depth = JSONText.maximumDepth
        #expect(JSONText.isValid(String(repeating: "[", count: depth) + String(repeating: "]", count: depth)))
        #expect(!JSONText.isValid(String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1)))
        #expect(!JSONText.isValid(String(repeating: "[", count: 1_000_000)))
    }

    @Test("2,000 random documents written by JSONSerialization are valid and parse to what was written")
    func randomDocuments() throws {
        var random = SplitMix64(seed: 88)
        for _ in 0..<2_000 {
            let document = Self.randomValue(depth: 0, using: &random)
            let text = String(decoding: try JSONSerialization.data(withJSONObject: document, options: [.fragmentsAllowed]), as: UTF8.self)
            #expect(JSONText.isValid(text), "\(text)")
            let parsed = try #require(JSONText.parse(text), "\(text)")
            #expect(Self.matches(parsed, document), "\(text)")
        }
    }

    /// Whether `value` is what `JSONText.parse` should give for `document`, built by `randomValue`.
    static func matches(_ value: JSONText.Value, _ document: Any) -> Bool {
        switch (value, document) {
        case (.null, is NSNull): return true
        case (.bool(let flag), let expected as Bool): return flag == expected
        case (.number(let literal), let expected as Int): return literal == String(expected)
        case (.number(let literal), let expected as Double): return Double(literal) == expected
        case (.string(let text), let expected as String): return text == expected
        case (.array(let elements), let expected as [Any]):
            return elements.count == expected.count && zip(elements, expected).allSatisfy { matches($0, $1) }
        case (.object(let members), let expected as [String: Any]):
            return members.count == expected.count
                && expected.allSatisfy { key, member in members[key].map { matches($0, member) } ?? false }
        default: return false
        }
    }

    static func randomValue(depth: Int, using random: inout SplitMix64) -> Any {
        switch Int.random(in: depth > 3 ? 0...3 : 0...5, using: &random) {
        case 0: return Int.random(in: -1_000_000...1_000_000, using: &random)
        case 1: return Double(Int.random(in: -1000...1000, using: &random)) / 8
        case 2: return String((0..<Int.random(in: 0...8, using: &random)).map { _ in "aé\"\\/ 世🧪\n\t".randomElement(using: &random)! })
        case 3: return [NSNull(), true, false].randomElement(using: &random)!
        case 4: return (0..<Int.random(in: 0...4, using: &random)).map { _ in randomValue(depth: depth + 1, using: &random) }
        default:
            var object: [String: Any] = [:]
            for key in ["a", "b c", "ü", "k\"q"].shuffled(using: &random).prefix(Int.random(in: 0...3, using: &random)) {
                object[key] = randomValue(depth: depth + 1, using: &random)
            }
            return object
        }
    }
}
