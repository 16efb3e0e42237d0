import Testing
@testable import TuringCore

@Suite("SQLErrorPosition")
struct SQLErrorPositionTests {
    @Test("a server error position maps to the line holding that character")
    func lineOfPosition() {
        let sql = "SELECT 1;\nSELECT é;\r\nSELEC 3;"
        #expect(SQLErrorPosition.line(forCharacterPosition: 1, in: sql) == 1)
        #expect(SQLErrorPosition.line(forCharacterPosition: 11, in: sql) == 2)
        #expect(SQLErrorPosition.line(forCharacterPosition: 22, in: sql) == 3)
        #expect(SQLErrorPosition.line(forCharacterPosition: 0, in: sql) == 1)
        #expect(SQLErrorPosition.line(forCharacterPosition: 999, in: sql) == 3)
    }

    @Test("a statement's error position maps to the line of the file")
    func statementFileLine() throws {
        let statements = try SQLStatementSplitter.split("SELECT 1;\n\nCREATE TABLE t (\n  a int,\n  b nonsense\n);")
        let create = try #require(statements.last)
        #expect(create.fileLine(forCharacterPosition: 31) == 5)
    }
}
