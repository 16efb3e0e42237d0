import Testing
@testable import TuringCore

@Suite("MigrationCatalog: -- turing: directives")
struct MigrationDirectiveTests {
    private func load(up: String, down: String = "SELECT 1;") throws -> Migration {
        try #require(try MigrationCatalog.load(MigrationFixtures.pair("089_index", up: up, down: down)).first)
    }

    @Test("-- turing:no-transaction in the leading comments runs the file outside a transaction")
    func noTransaction() throws {
        let migration = try load(up: "-- Build the index without blocking writers.\n-- turing:no-transaction\n\nCREATE INDEX CONCURRENTLY i ON t (a);")
        #expect(migration.upRunsInTransaction == false)
        #expect(migration.downRunsInTransaction == true)
    }

    @Test("the directive is read from the down file independently")
    func downDirective() throws {
        let migration = try load(up: "SELECT 1;", down: "--turing:no-transaction\r\nDROP INDEX CONCURRENTLY i;")
        #expect(migration.upRunsInTransaction)
        #expect(migration.downRunsInTransaction == false)
    }

    @Test("spacing, a BOM, CRLF and a trailing remark do not hide the directive")
    func tolerantSpelling() throws {
        let migration = try load(up: "\u{FEFF}  --   turing:no-transaction   (CONCURRENTLY needs it)\r\nCREATE INDEX CONCURRENTLY i ON t (a);")
        #expect(migration.upRunsInTransaction == false)
    }

    @Test("a directive after the first statement is an ordinary comment")
    func onlyLeadingComments() throws {
        let migration = try load(up: "SELECT 1;\n-- turing:no-transaction\n-- turing:whatever\n")
        #expect(migration.upRunsInTransaction)
    }

    @Test("an unknown directive is rejected, naming file and directive")
    func unknownDirective() {
        let error = #expect(throws: MigrationCatalogError.self) {
            try load(up: "-- turing:no-transactions\nSELECT 1;")
        }
        #expect(error?.fileName == "089_index.up.sql")
        #expect(error?.message.contains("-- turing:no-transactions") == true)
        #expect(error?.message.contains("-- turing:no-transaction") == true)
    }

    @Test("an empty directive is rejected too")
    func emptyDirective() {
        let error = #expect(throws: MigrationCatalogError.self) { try load(up: "SELECT 1;", down: "-- turing:\nSELECT 1;") }
        #expect(error?.fileName == "089_index.down.sql")
    }

    @Test("ordinary comments mentioning turing are not directives")
    func ordinaryComments() throws {
        let migration = try load(up: "-- turing schema, version 89\n-- see turing: the docs\nSELECT 1;")
        #expect(migration.upRunsInTransaction)
    }
}
