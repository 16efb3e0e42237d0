/// The parts of a migration file name `NNN_snake_case_name.up.sql` / `NNN_snake_case_name.down.sql`.
struct MigrationFileName: Hashable, Sendable {
    enum Direction: String, Sendable {
        case up, down
    }

    /// What a file in a migrations folder turned out to be.
    enum Classification: Hashable, Sendable {
        /// Not a `.sql` file (README, editor backups, hidden files): not a migration.
        case ignored
        /// A `.sql` file whose name does not follow the pattern.
        case malformed(reason: String)
        case migration(MigrationFileName)
    }

    /// The digits exactly as written ("088").
    let versionText: String
    let version: MigrationVersion
    let name: String
    let direction: Direction

    /// `088_name`: what the up and down file of one migration share.
    var stem: String { "\(versionText)_\(name)" }

    /// The file name of the other direction of the same migration.
    var counterpartFileName: String {
        "\(stem).\(direction == .up ? Direction.down.rawValue : Direction.up.rawValue).sql"
    }

    static let expectedPattern = "NNN_snake_case_name.up.sql or NNN_snake_case_name.down.sql"

    static func classify(_ fileName: String) -> Classification {
        let baseName = fileName.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? fileName
        guard !baseName.hasPrefix("."), baseName.lowercased().hasSuffix(".sql") else { return .ignored }
        let malformed = Classification.malformed(reason: "malformed migration file name; expected \(expectedPattern)")

        let direction: Direction
        let stem: Substring
        if baseName.hasSuffix(".up.sql") {
            direction = .up
            stem = baseName.dropLast(".up.sql".count)
        } else if baseName.hasSuffix(".down.sql") {
            direction = .down
            stem = baseName.dropLast(".down.sql".count)
        } else {
            return malformed
        }
        guard let underscore = stem.firstIndex(of: "_") else { return malformed }
        let versionText = String(stem[..<underscore])
        let name = String(stem[stem.index(after: underscore)...])
        guard !versionText.isEmpty, versionText.utf8.allSatisfy(\.isASCIIDigit) else { return malformed }
        guard isSnakeCaseName(name) else { return malformed }
        guard let version = MigrationVersion(versionText) else {
            if MigrationVersion(versionText, allowingZero: true) == .zero {
                return .malformed(reason: "malformed migration file name: version 0 is reserved; number migrations from 001")
            }
            return .malformed(reason: "malformed migration file name: version \(versionText) is too large")
        }
        return .migration(MigrationFileName(versionText: versionText, version: version, name: name, direction: direction))
    }

    /// `[a-z][a-z0-9_]*`.
    static func isSnakeCaseName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first.isASCIILowercaseLetter else { return false }
        return name.utf8.allSatisfy { $0.isASCIILowercaseLetter || $0.isASCIIDigit || $0 == UInt8(ascii: "_") }
    }
}
