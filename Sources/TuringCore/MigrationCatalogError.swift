/// A migrations folder that cannot be used as it is: names the file and says what to change.
public struct MigrationCatalogError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The offending file, as given to `MigrationCatalog.load`.
    public let fileName: String
    /// What is wrong and what to do, one line.
    public let message: String

    public init(fileName: String, message: String) {
        self.fileName = fileName
        self.message = message
    }

    /// "087_x.up.sql: <message>".
    public var description: String { "\(fileName): \(message)" }
}

extension MigrationCatalogError {
    static func duplicateVersion(_ version: MigrationVersion, fileName: String, otherFileName: String) -> Self {
        Self(fileName: fileName, message: "duplicate migration version \(version), also used by \(otherFileName); give each migration its own number")
    }

    static func mismatchedPair(fileName: String, otherFileName: String) -> Self {
        Self(fileName: fileName, message: "does not match \(otherFileName) of the same version; name the up and down files alike")
    }

    static func missingDownFile(upFileName: String, expected: String) -> Self {
        Self(fileName: upFileName, message: "has no \(expected); add it (it reverts the up file) so that `down` can undo this migration")
    }

    static func missingUpFile(downFileName: String, expected: String) -> Self {
        Self(fileName: downFileName, message: "has no \(expected); add the up file or remove this down file")
    }

    static func unknownDirective(_ directive: String, fileName: String) -> Self {
        let known = MigrationDirectives.known.map { "-- turing:\($0)" }.joined(separator: ", ")
        return Self(fileName: fileName, message: "unknown directive -- turing:\(directive); the known directives are: \(known)")
    }
}
