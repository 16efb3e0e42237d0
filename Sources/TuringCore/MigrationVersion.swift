/// A migration's number. Versions compare as numbers: `088`, `88` and `0088` are the same version.
public struct MigrationVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// The version as a number (88 for `088`).
    public let number: Int

    /// The version before any migration: `down 0` reverts everything.
    public static let zero = MigrationVersion(uncheckedNumber: 0)

    /// Parses a version written with ASCII digits only ("088", "88", "0088"). Nil for anything else, including 0.
    public init?(_ text: String) {
        self.init(text, allowingZero: false)
    }

    /// Parses a version written with ASCII digits only; `allowingZero` also accepts "0" (as in `down 0`).
    public init?(_ text: String, allowingZero: Bool) {
        guard !text.utf8.isEmpty, text.utf8.allSatisfy(\.isASCIIDigit), let number = Int(text) else { return nil }
        guard number > 0 || (allowingZero && number == 0) else { return nil }
        self.number = number
    }

    /// A version from its number; nil unless the number is at least 1.
    public init?(number: Int) {
        guard number > 0 else { return nil }
        self.number = number
    }

    private init(uncheckedNumber: Int) {
        number = uncheckedNumber
    }

    /// Zero-padded to three digits, as in file names: "088", "1000".
    public var description: String {
        let digits = String(number)
        return digits.count >= 3 ? digits : String(repeating: "0", count: 3 - digits.count) + digits
    }

    public static func < (lhs: MigrationVersion, rhs: MigrationVersion) -> Bool {
        lhs.number < rhs.number
    }
}
