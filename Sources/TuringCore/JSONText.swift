/// Strict JSON (RFC 8259) as PostgreSQL's `jsonb` accepts it, read straight from UTF-8 bytes.
///
/// The worker checks every handler result before writing it (one bad value must not fail a whole batch
/// write) and the `simulate` handler reads every payload: Foundation's `JSONSerialization` and `JSONDecoder`
/// cost several times more per task than this.
///
/// Besides RFC 8259, `jsonb` refuses `\u0000` and unpaired UTF-16 surrogates in strings, and so does this.
public enum JSONText {
    /// A parsed value. Numbers keep their literal text; a repeated object key keeps its last value, as `jsonb` does.
    public enum Value: Equatable, Sendable {
        case null
        case bool(Bool)
        case number(String)
        case string(String)
        case array([Value])
        case object([String: Value])
    }

    /// The deepest nesting of arrays and objects accepted; deeper documents count as invalid rather than
    /// risking the stack.
    public static let maximumDepth = 512

    /// Whether `text` is one JSON value (any kind, surrounded by optional whitespace) that `jsonb` accepts.
    public static func isValid(_ text: String) -> Bool {
        read(text, building: false) != nil
    }

    /// The value `text` holds, or nil when it is not valid JSON.
    public static func parse(_ text: String) -> Value? {
        read(text, building: true)
    }

    private static func read(_ text: String, building: Bool) -> Value? {
        var text = text
        return text.withUTF8 { bytes in
            var parser = Parser(bytes: bytes, building: building)
            guard let value = parser.value(depth: 0) else { return nil }
            parser.skipWhitespace()
            return parser.position == bytes.count ? value : nil
        }
    }
}

extension JSONText.Value {
    /// The number as an `Int` when it is written as an integer (no fraction, no exponent) that fits.
    public var integer: Int? {
        guard case .number(let literal) = self, !literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else {
            return nil
        }
        return Int(literal)
    }
}

/// Recursive descent over the bytes; every method returns nil at the first byte that breaks the grammar.
private struct Parser {
    let bytes: UnsafeBufferPointer<UInt8>
    /// False when only checking: values are then not built (`.null` stands for each).
    let building: Bool
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>, building: Bool) {
        self.bytes = bytes
        self.building = building
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    mutating func value(depth: Int) -> JSONText.Value? {
        skipWhitespace()
        guard let byte = current else { return nil }
        switch byte {
        case UInt8(ascii: "{"): return depth < JSONText.maximumDepth ? object(depth: depth + 1) : nil
        case UInt8(ascii: "["): return depth < JSONText.maximumDepth ? array(depth: depth + 1) : nil
        case UInt8(ascii: "\""): return string().map { .string($0) }
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
        default: return nil
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONText.Value) -> JSONText.Value? {
        let length = word.utf8CodeUnitCount
        guard bytes.count - position >= length else { return nil }
        for offset in 0..<length where bytes[position + offset] != word.utf8Start[offset] { return nil }
        position += length
        return value
    }

    private mutating func object(depth: Int) -> JSONText.Value? {
        position += 1  // {
        var members: [String: JSONText.Value] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\""), let key = string() else { return nil }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { return nil }
            position += 1
            guard let member = value(depth: depth) else { return nil }
            if building { members[key] = member }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return building ? .object(members) : .null
            default: return nil
            }
        }
    }

    private mutating func array(depth: Int) -> JSONText.Value? {
        position += 1  // [
        var elements: [JSONText.Value] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            guard let element = value(depth: depth) else { return nil }
            if building { elements.append(element) }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                return building ? .array(elements) : .null
            default: return nil
            }
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() -> JSONText.Value? {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        if current == UInt8(ascii: "0") {
            position += 1
        } else {
            guard digits() else { return nil }
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard digits() else { return nil }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard digits() else { return nil }
        }
        guard building else { return .null }
        return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
    }

    /// One or more decimal digits.
    private mutating func digits() -> Bool {
        let start = position
        while let byte = current, byte.isASCIIDigit { position += 1 }
        return position > start
    }

    /// A string starting at its opening quote; its unescaped text (empty when not building).
    private mutating func string() -> String? {
        position += 1  // "
        var text: [UInt8] = []
        while let byte = current {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return building ? String(decoding: text, as: UTF8.self) : ""
            case UInt8(ascii: "\\"):
                guard let escaped = current else { return nil }
                position += 1
                let plain: UInt8
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): plain = escaped
                case UInt8(ascii: "b"): plain = 0x08
                case UInt8(ascii: "f"): plain = 0x0C
                case UInt8(ascii: "n"): plain = 0x0A
                case UInt8(ascii: "r"): plain = 0x0D
                case UInt8(ascii: "t"): plain = 0x09
                case UInt8(ascii: "u"):
                    guard let scalar = unicodeEscape() else { return nil }
                    if building { text.append(contentsOf: String(Character(scalar)).utf8) }
                    continue
                default: return nil
                }
                if building { text.append(plain) }
            case 0x00..<0x20:
                return nil  // control characters must be escaped
            default:
                if building { text.append(byte) }
            }
        }
        return nil  // no closing quote
    }

    /// The scalar of `\uXXXX` (the `\u` already read), joining a surrogate pair; nil for `\u0000` and for
    /// unpaired surrogates, which `jsonb` refuses.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let first = hexQuad(), first != 0 else { return nil }
        switch first {
        case 0xD800...0xDBFF:
            guard current == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u")
            else { return nil }
            position += 2
            guard let second = hexQuad(), (0xDC00...0xDFFF).contains(second) else { return nil }
            return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
        case 0xDC00...0xDFFF:
            return nil
        default:
            return Unicode.Scalar(first)
        }
    }

    private mutating func hexQuad() -> UInt32? {
        guard bytes.count - position >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let nibble = bytes[position].hexDigitValue else { return nil }
            value = value << 4 | UInt32(nibble)
            position += 1
        }
        return value
    }
}
