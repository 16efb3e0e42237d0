import Testing
@testable import TuringCore

@Suite("NewMigration (turing-migrate new)")
struct NewMigrationTests {
    @Test("the next number follows the newest migration, and the files load as a valid pair")
    func nextPair() throws {
        let files = try NewMigration.files(name: "add_roles", after: MigrationVersion("88"))
        #expect(files.map(\.fileName) == ["089_add_roles.up.sql", "089_add_roles.down.sql"])
        let loaded = try MigrationCatalog.load(files)
        #expect(loaded.map(\.name) == ["add_roles"])
        #expect(loaded.first?.upRunsInTransaction == true)
        #expect(try SQLStatementSplitter.split(files[0].contents).isEmpty)
    }

    @Test("the first migration is 001")
    func firstMigration() throws {
        #expect(try NewMigration.files(name: "baseline", after: nil).first?.fileName == "001_baseline.up.sql")
    }

    @Test("names that are not snake_case are refused with one line", arguments: ["", "Add_roles", "add-roles", "9lives", "_x", "ééé", "a b"])
    func refusesNames(name: String) {
        let error = #expect(throws: ConfigurationError.self) { try NewMigration.files(name: name, after: nil) }
        #expect(error?.message.contains("must be snake_case") == true)
        #expect(error?.message.contains("\n") == false)
    }
}
