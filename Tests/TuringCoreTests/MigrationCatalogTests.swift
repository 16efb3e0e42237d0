import Testing
@testable import TuringCore

@Suite("MigrationCatalog: file names and pairing")
struct MigrationCatalogTests {
    @Test("pairs up and down files, sorted by numeric version")
    func loadsSortedPairs() throws {
        let files = MigrationFixtures.pair("088_parallel_batch_processing", up: "CREATE TABLE t ();", down: "DROP TABLE t;")
            + MigrationFixtures.pair("087_baseline") + MigrationFixtures.pair("1000_later")
        let migrations = try MigrationCatalog.load(files.reversed())
        #expect(migrations.map(\.version.number) == [87, 88, 1000])
        let parallel = migrations[1]
        #expect(parallel.name == "parallel_batch_processing")
        #expect(parallel.upFileName == "088_parallel_batch_processing.up.sql")
        #expect(parallel.downFileName == "088_parallel_batch_processing.down.sql")
        #expect(parallel.upSQL == "CREATE TABLE t ();")
        #expect(parallel.downSQL == "DROP TABLE t;")
        #expect(parallel.upChecksum == MigrationChecksum.of("CREATE TABLE t ();"))
        #expect(parallel.upRunsInTransaction && parallel.downRunsInTransaction)
        #expect(parallel.id == MigrationVersion("88"))
    }

    @Test("files that are not .sql are ignored, as are hidden files")
    func ignoresOtherFiles() throws {
        let files = MigrationFixtures.pair("001_first") + [
            MigrationSourceFile(fileName: "README.md", contents: "# migrations"),
            MigrationSourceFile(fileName: "notes.txt", contents: ""),
            MigrationSourceFile(fileName: ".#001_first.up.sql", contents: "editor lock"),
            MigrationSourceFile(fileName: "001_first.up.sql.orig", contents: ""),
        ]
        #expect(try MigrationCatalog.load(files).map(\.name) == ["first"])
    }

    @Test("an empty folder has no migrations")
    func emptyFolder() throws {
        #expect(try MigrationCatalog.load([]).isEmpty)
    }

    @Test(
        "a .sql file with a malformed name is rejected, naming the file",
        arguments: [
            "seed.sql", "088_Parallel.up.sql", "088-parallel.up.sql", "088_parallel.sql", "088_parallel.UP.sql",
            "_parallel.up.sql", "088_.up.sql", "088_1st.up.sql", "088_has space.up.sql", "v088_x.up.sql", "000_zero.up.sql",
            "088_x.down.up.sql.SQL",
        ]
    )
    func rejectsMalformedNames(fileName: String) {
        let error = #expect(throws: MigrationCatalogError.self) {
            try MigrationCatalog.load([MigrationSourceFile(fileName: fileName, contents: "SELECT 1;")])
        }
        #expect(error?.fileName == fileName)
        #expect(error?.message.hasPrefix("malformed migration file name") == true)
        #expect(error?.description.hasPrefix("\(fileName): malformed migration file name") == true)
    }

    @Test("two names for one version are rejected, naming both files")
    func rejectsDuplicateVersionWithOtherName() {
        let files = MigrationFixtures.pair("088_alpha") + MigrationFixtures.pair("088_beta")
        let error = #expect(throws: MigrationCatalogError.self) { try MigrationCatalog.load(files) }
        #expect(error?.fileName == "088_beta.down.sql")
        #expect(error?.message.contains("088_alpha.down.sql") == true)
        #expect(error?.message.contains("duplicate migration version 088") == true)
    }

    @Test("two up files for one version written differently are rejected, naming both")
    func rejectsDuplicateVersionPadding() {
        let files = MigrationFixtures.pair("088_alpha") + [MigrationSourceFile(fileName: "88_alpha.up.sql", contents: "")]
        let error = #expect(throws: MigrationCatalogError.self) { try MigrationCatalog.load(files) }
        #expect(error?.description.contains("088_alpha.up.sql") == true)
        #expect(error?.description.contains("88_alpha.up.sql:") == true)
    }

    @Test("up and down files of one version with different paddings do not pair")
    func rejectsMismatchedPadding() {
        let files = [
            MigrationSourceFile(fileName: "088_alpha.up.sql", contents: ""), MigrationSourceFile(fileName: "88_alpha.down.sql", contents: ""),
        ]
        let error = #expect(throws: MigrationCatalogError.self) { try MigrationCatalog.load(files) }
        #expect(error?.fileName == "88_alpha.down.sql")
        #expect(error?.message.contains("088_alpha.up.sql") == true)
    }

    @Test("an up file without its down file is rejected, naming the file expected")
    func rejectsMissingDown() {
        let files = MigrationFixtures.pair("087_baseline") + [MigrationSourceFile(fileName: "088_parallel.up.sql", contents: "")]
        let error = #expect(throws: MigrationCatalogError.self) { try MigrationCatalog.load(files) }
        #expect(error == MigrationCatalogError(
            fileName: "088_parallel.up.sql",
            message: "has no 088_parallel.down.sql; add it (it reverts the up file) so that `down` can undo this migration"
        ))
    }

    @Test("a down file without its up file is rejected")
    func rejectsMissingUp() {
        let error = #expect(throws: MigrationCatalogError.self) {
            try MigrationCatalog.load([MigrationSourceFile(fileName: "088_parallel.down.sql", contents: "")])
        }
        #expect(error?.fileName == "088_parallel.down.sql")
        #expect(error?.message.contains("088_parallel.up.sql") == true)
    }

    @Test("a leading byte-order mark is not part of the SQL")
    func stripsByteOrderMark() throws {
        let migration = try #require(try MigrationCatalog.load(MigrationFixtures.pair("001_x", up: "\u{FEFF}SELECT 1;")).first)
        #expect(migration.upSQL == "SELECT 1;")
        #expect(migration.upChecksum == MigrationChecksum.of("SELECT 1;"))
    }

    @Test("every error message is a single line")
    func messagesAreOneLine() {
        let cases: [[MigrationSourceFile]] = [
            [MigrationSourceFile(fileName: "x.sql", contents: "")],
            MigrationFixtures.pair("001_a") + MigrationFixtures.pair("001_b"),
            [MigrationSourceFile(fileName: "001_a.up.sql", contents: "")],
            MigrationFixtures.pair("001_a", up: "-- turing:bogus\nSELECT 1;"),
        ]
        for files in cases {
            let error = #expect(throws: MigrationCatalogError.self) { try MigrationCatalog.load(files) }
            #expect(error?.description.contains("\n") == false)
        }
    }
}
