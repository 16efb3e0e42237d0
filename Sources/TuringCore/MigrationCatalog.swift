/// Turns the files of a migrations folder into migrations, rejecting anything ambiguous.
public enum MigrationCatalog {
    /// The migrations among `files`, sorted by version.
    ///
    /// Files that are not `.sql` (README, hidden files) are ignored. A `.sql` file with a malformed name, two files
    /// for one version and direction, an up file without its down file (or the reverse) and an unknown
    /// `-- turing:` directive are errors naming the file.
    public static func load(_ files: [MigrationSourceFile]) throws(MigrationCatalogError) -> [Migration] {
        var pairs: [MigrationVersion: FilePair] = [:]
        for file in files.sorted(by: { $0.fileName < $1.fileName }) {
            switch MigrationFileName.classify(file.fileName) {
            case .ignored:
                continue
            case .malformed(let reason):
                throw MigrationCatalogError(fileName: file.fileName, message: reason)
            case .migration(let parsed):
                try pairs[parsed.version, default: FilePair()].add(NamedFile(parsed: parsed, file: file))
            }
        }
        var migrations: [Migration] = []
        for version in pairs.keys.sorted() {
            migrations.append(try pairs[version]!.migration())
        }
        return migrations
    }

    private struct NamedFile {
        let parsed: MigrationFileName
        let file: MigrationSourceFile
    }

    private struct FilePair {
        var up: NamedFile?
        var down: NamedFile?

        mutating func add(_ named: NamedFile) throws(MigrationCatalogError) {
            let existing = named.parsed.direction == .up ? up : down
            if let existing {
                throw .duplicateVersion(named.parsed.version, fileName: named.file.fileName, otherFileName: existing.file.fileName)
            }
            if let other = up ?? down, other.parsed.stem != named.parsed.stem {
                if other.parsed.versionText == named.parsed.versionText || other.parsed.name != named.parsed.name {
                    throw .duplicateVersion(named.parsed.version, fileName: named.file.fileName, otherFileName: other.file.fileName)
                }
                throw .mismatchedPair(fileName: named.file.fileName, otherFileName: other.file.fileName)
            }
            if named.parsed.direction == .up { up = named } else { down = named }
        }

        func migration() throws(MigrationCatalogError) -> Migration {
            guard let up else {
                let down = down!
                throw .missingUpFile(downFileName: down.file.fileName, expected: down.parsed.counterpartFileName)
            }
            guard let down else {
                throw .missingDownFile(upFileName: up.file.fileName, expected: up.parsed.counterpartFileName)
            }
            let upDirectives = try directives(of: up)
            let downDirectives = try directives(of: down)
            return Migration(
                version: up.parsed.version,
                name: up.parsed.name,
                upFileName: up.file.fileName,
                downFileName: down.file.fileName,
                upSQL: removingByteOrderMark(up.file.contents),
                downSQL: removingByteOrderMark(down.file.contents),
                upChecksum: MigrationChecksum.of(up.file.contents),
                upRunsInTransaction: upDirectives.runsInTransaction,
                downRunsInTransaction: downDirectives.runsInTransaction
            )
        }

        private func directives(of named: NamedFile) throws(MigrationCatalogError) -> MigrationDirectives {
            do {
                return try MigrationDirectives.parse(named.file.contents)
            } catch {
                throw .unknownDirective(error.directive, fileName: named.file.fileName)
            }
        }
    }

    static func removingByteOrderMark(_ text: String) -> String {
        text.unicodeScalars.first == "\u{FEFF}" ? String(text.unicodeScalars.dropFirst()) : text
    }
}
