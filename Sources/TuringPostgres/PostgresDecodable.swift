import Foundation
import TuringCore

/// A Swift type that can be read from a column in PostgreSQL's text format.
public protocol PostgresDecodable: Sendable {
    /// Reads a non-NULL value; throws a `.decoding` error when the text does not fit.
    static func decode(postgresText text: String) throws -> Self
    /// What a SQL NULL becomes; the default throws, `Optional` answers `nil`.
    static func decodeNull() throws -> Self
}

extension PostgresDecodable {
    public static func decodeNull() throws -> Self {
        throw PostgresError(kind: .decoding, message: "unexpected NULL for a non-optional \(Self.self)")
    }

    static func mismatch(_ text: String) -> PostgresError {
        PostgresError(kind: .decoding, message: "cannot read \(Self.self) from \"\(text.prefix(60))\"")
    }
}

extension String: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> String { text }
}

extension Int: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> Int {
        guard let value = Int(text) else { throw mismatch(text) }
        return value
    }
}

extension Int32: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> Int32 {
        guard let value = Int32(text) else { throw mismatch(text) }
        return value
    }
}

extension Int64: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> Int64 {
        guard let value = Int64(text) else { throw mismatch(text) }
        return value
    }
}

extension Double: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> Double {
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(text) else { throw mismatch(text) }
            return value
        }
    }
}

extension Bool: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> Bool {
        switch text {
        case "t", "true", "on", "1": return true
        case "f", "false", "off", "0": return false
        default: throw mismatch(text)
        }
    }
}

extension UUID: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> UUID {
        guard let value = canonical(text) ?? UUID(uuidString: text) else { throw mismatch(text) }
        return value
    }

    /// Reads the 36-character form PostgreSQL prints (`123e4567-e89b-12d3-a456-426614174000`) without
    /// Foundation's scanner: lease tokens are read for every claimed task.
    private static func canonical(_ text: String) -> UUID? {
        let utf8 = text.utf8
        guard utf8.count == 36 else { return nil }
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let complete = withUnsafeMutableBytes(of: &bytes) { out -> Bool in
            var index = 0
            var high: UInt8?
            for (position, character) in utf8.enumerated() {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    guard character == UInt8(ascii: "-") else { return false }
                    continue
                }
                guard let nibble = character.hexDigitValue else { return false }
                if let first = high {
                    out[index] = first << 4 | nibble
                    index += 1
                    high = nil
                } else {
                    high = nibble
                }
            }
            return index == 16
        }
        return complete ? UUID(uuid: bytes) : nil
    }
}

extension Date: PostgresDecodable {
    /// Reads `timestamptz` as the server prints it with `DateStyle = ISO` (the default).
    public static func decode(postgresText text: String) throws -> Date {
        guard let value = PostgresTimestamp.parse(text) else { throw mismatch(text) }
        return value
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> Wrapped? {
        try Wrapped.decode(postgresText: text)
    }

    public static func decodeNull() throws -> Wrapped? { nil }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    /// Reads a one-dimensional array literal such as `{1,2,NULL}` or `{"a b","c\"d"}`.
    public static func decode(postgresText text: String) throws -> [Element] {
        guard let elements = PostgresArrayLiteral.parse(text) else { throw mismatch(text) }
        return try elements.map { element in
            guard let element else { return try Element.decodeNull() }
            return try Element.decode(postgresText: element)
        }
    }
}
