import Testing
@testable import TuringCore

@Suite("SQLStatementSplitter: PostgreSQL lexical rules")
struct SQLStatementSplitterTests {
    private func texts(_ sql: String) throws -> [String] {
        try SQLStatementSplitter.split(sql).map(\.text)
    }

    @Test("splits at semicolons, trims, and records the starting line")
    func basicSplit() throws {
        let statements = try SQLStatementSplitter.split("CREATE TABLE a (x int);\n\n  INSERT INTO a VALUES (1) ;\nSELECT 1")
        #expect(statements == [
            SQLStatement(text: "CREATE TABLE a (x int)", line: 1),
            SQLStatement(text: "INSERT INTO a VALUES (1)", line: 3),
            SQLStatement(text: "SELECT 1", line: 4),
        ])
    }

    @Test("empty statements and comment-only parts are dropped")
    func dropsEmpty() throws {
        #expect(try texts(";;  ;\n-- only a comment\n/* and a block */;") == [])
        #expect(try texts("") == [])
        #expect(try texts("SELECT 1;;;SELECT 2;\n-- trailing comment") == ["SELECT 1", "SELECT 2"])
    }

    @Test("comments before and after a statement are not part of it; comments inside are kept")
    func commentPlacement() throws {
        let statements = try SQLStatementSplitter.split("-- header\n/* block */\nSELECT /* inner; */ 1 -- trailing; still comment\n;")
        #expect(statements == [SQLStatement(text: "SELECT /* inner; */ 1", line: 3)])
    }

    @Test("semicolons inside single-quoted strings with '' escapes do not split")
    func singleQuotes() throws {
        #expect(try texts("SELECT 'a;b', 'it''s; fine';SELECT 2") == ["SELECT 'a;b', 'it''s; fine'", "SELECT 2"])
    }

    @Test("E'' strings honour backslash escapes, ordinary strings do not")
    func escapeStrings() throws {
        #expect(try texts(#"SELECT E'a\';b', e'\\';SELECT 2"#) == [#"SELECT E'a\';b', e'\\'"#, "SELECT 2"])
        #expect(try texts(#"SELECT 'a\';SELECT 2"#) == [#"SELECT 'a\'"#, "SELECT 2"])
        #expect(try texts(#"SELECT somE'a\';SELECT 2"#) == [#"SELECT somE'a\'"#, "SELECT 2"])
    }

    @Test("double-quoted identifiers with \"\" escapes do not split")
    func quotedIdentifiers() throws {
        #expect(try texts(#"CREATE TABLE "a;b""c" (x int);SELECT 2"#) == [#"CREATE TABLE "a;b""c" (x int)"#, "SELECT 2"])
    }

    @Test("dollar quotes, tagged or not, hold semicolons and other quotes")
    func dollarQuotes() throws {
        let function = """
        CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$
        BEGIN
          PERFORM 'x;'; -- a comment; with $$ inside
          RETURN 1;
        END;
        $body$;
        SELECT $$a;b$$, $x$ $$ ; $x$
        """
        let statements = try SQLStatementSplitter.split(function)
        #expect(statements.count == 2)
        #expect(statements[0].text.hasSuffix("END;\n$body$"))
        #expect(statements[1] == SQLStatement(text: "SELECT $$a;b$$, $x$ $$ ; $x$", line: 7))
    }

    @Test("$1 is a parameter and a$b$ an identifier, not dollar quotes")
    func dollarNotQuote() throws {
        #expect(try texts("PREPARE p AS SELECT $1;SELECT a$b$;SELECT $2$") == ["PREPARE p AS SELECT $1", "SELECT a$b$", "SELECT $2$"])
        #expect(try texts("SELECT 1$$x;$$;SELECT 2") == ["SELECT 1$$x;$$", "SELECT 2"])
    }

    @Test("a tag is case sensitive and may hold non-ASCII letters")
    func tagRules() throws {
        #expect(try texts("SELECT $A$ $a$; $A$;SELECT 2") == ["SELECT $A$ $a$; $A$", "SELECT 2"])
        #expect(try texts("SELECT $é$;$é$;SELECT 2") == ["SELECT $é$;$é$", "SELECT 2"])
    }

    @Test("block comments nest; -- inside them is not a comment start")
    func nestedComments() throws {
        #expect(try texts("SELECT /* a /* b; */ c; */ 1;SELECT 2") == ["SELECT /* a /* b; */ c; */ 1", "SELECT 2"])
        #expect(try texts("/* -- ; */ SELECT 1") == ["SELECT 1"])
    }

    @Test("line comments end at LF or CR and hide semicolons and quotes")
    func lineComments() throws {
        #expect(try texts("SELECT 1 -- it's; fine\n;SELECT 2") == ["SELECT 1", "SELECT 2"])
        #expect(try texts("SELECT 1 -- x\r;SELECT 2") == ["SELECT 1", "SELECT 2"])
    }

    @Test("semicolons inside parentheses do not split, as in psql")
    func parentheses() throws {
        let rule = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));SELECT 2"
        #expect(try texts(rule) == ["CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))", "SELECT 2"])
        #expect(try texts("SELECT 1);SELECT 2") == ["SELECT 1)", "SELECT 2"])
    }

    @Test("a BEGIN ATOMIC … END function body stays one statement, as in psql")
    func beginAtomic() throws {
        let sql = """
        CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql
        BEGIN ATOMIC
          SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;
          SELECT 2;
        END;
        BEGIN;
        SELECT 3;
        COMMIT;
        """
        let statements = try texts(sql)
        #expect(statements.count == 4)
        #expect(statements[0].hasSuffix("SELECT 2;\nEND"))
        #expect(Array(statements.dropFirst()) == ["BEGIN", "SELECT 3", "COMMIT"])
    }

    @Test("a leading BOM and CRLF line endings are handled; lines count CRLF once")
    func bomAndCRLF() throws {
        let statements = try SQLStatementSplitter.split("\u{FEFF}SELECT 1;\r\n\r\nSELECT\r\n  2;\rSELECT 3")
        #expect(statements == [
            SQLStatement(text: "SELECT 1", line: 1), SQLStatement(text: "SELECT\r\n  2", line: 3), SQLStatement(text: "SELECT 3", line: 5),
        ])
    }

    @Test("multi-line strings and comments advance the line count")
    func lineCounting() throws {
        let statements = try SQLStatementSplitter.split("SELECT 'a\nb';\n/* x\ny */ SELECT $$\n$$;\nSELECT 3")
        #expect(statements.map(\.line) == [1, 4, 6])
    }

    @Test("unterminated constructs throw with the line where they start", arguments: [
        ("SELECT 1;\nSELECT 'abc", SQLSplitError(kind: .unterminatedString, line: 2)),
        ("SELECT E'abc\\'", SQLSplitError(kind: .unterminatedString, line: 1)),
        ("SELECT 1;\n\nSELECT \"abc", SQLSplitError(kind: .unterminatedQuotedIdentifier, line: 3)),
        ("SELECT $fn$ body\n\n $fn", SQLSplitError(kind: .unterminatedDollarQuote(tag: "$fn$"), line: 1)),
        ("SELECT 1;\n/* outer /* inner */\n", SQLSplitError(kind: .unterminatedBlockComment, line: 2)),
    ])
    func unterminated(sql: String, expected: SQLSplitError) {
        let error = #expect(throws: SQLSplitError.self) { try SQLStatementSplitter.split(sql) }
        #expect(error == expected)
    }

    @Test("error descriptions give the line and the fix")
    func errorDescription() {
        let error = SQLSplitError(kind: .unterminatedDollarQuote(tag: "$body$"), line: 12)
        #expect(error.description == "line 12: unterminated dollar-quoted string opened with $body$; close it with $body$")
    }
}
