import Foundation
import TestSupport
import Testing
import TuringPostgres

@Suite("Prepared statements")
struct PreparedStatementTests {
    /// The names of the session's prepared statements, as the server lists them.
    private func preparedNames(_ connection: PostgresConnection) async throws -> [String] {
        try await connection.query("SELECT name FROM pg_prepared_statements ORDER BY name").map { try $0.decode(0) }
    }

    @Test("a statement is prepared once per session, under a name derived from its text, and gives query's answers")
    func preparedOnceAndReused() async throws {
        let connection = try await TestPostgres.database().connect()
        let sql = "SELECT $1::bigint * 2, $2::text || '!', $3::text IS NULL"
        for value in [Int64(1), 21, -7] {
            let row = try #require(try await connection.queryPrepared(sql, [value, "héllo", Optional<String>.none]).first)
            let plain = try #require(try await connection.query(sql, [value, "héllo", Optional<String>.none]).first)
            #expect(try row.decode(0, as: Int64.self) == value * 2)
            #expect(try row.decode(0, as: Int64.self) == plain.decode(0, as: Int64.self))
            #expect(try row.decode(1, as: String.self) == "héllo!")
            #expect(try row.decode(2, as: Bool.self))
        }
        let names = try await preparedNames(connection)
        #expect(names.count == 1)
        #expect(names.first?.hasPrefix("turing_") == true)

        // Another connection derives the same name for the same text, and another for another text.
        let other = try await TestPostgres.database().connect()
        try await other.queryPrepared(sql, [Int64(1), "x", "y"])
        try await other.queryPrepared("SELECT 1")
        let otherNames = try await preparedNames(other)
        #expect(otherNames.count == 2)
        #expect(otherNames.contains(try #require(names.first)))
    }

    @Test("a SQL error in a prepared statement throws with its SQLSTATE and leaves nothing broken")
    func errorsPassThrough() async throws {
        let connection = try await TestPostgres.database().connect()
        do {
            try await connection.queryPrepared("SELEC 1")
            Issue.record("a syntax error was accepted")
        } catch let error as PostgresError {
            #expect(error.sqlState == "42601")
        }
        do {
            try await connection.queryPrepared("SELECT 1 / $1::int", [0])
            Issue.record("a division by zero was accepted")
        } catch let error as PostgresError {
            #expect(error.sqlState == "22012")
        }
        #expect(try await connection.queryPrepared("SELECT 1 / $1::int", [1]).first?.decode(0, as: Int.self) == 1)
        #expect(try await preparedNames(connection).count == 1)
    }

    @Test("a statement the session lost (DEALLOCATE ALL, as a pooler's DISCARD ALL does) is prepared again")
    func lostStatementIsPreparedAgain() async throws {
        let connection = try await TestPostgres.database().connect()
        let sql = "SELECT $1::int + 1"
        #expect(try await connection.queryPrepared(sql, [1]).first?.decode(0, as: Int.self) == 2)
        try await connection.execute("DEALLOCATE ALL")
        #expect(try await preparedNames(connection).isEmpty)
        #expect(try await connection.queryPrepared(sql, [2]).first?.decode(0, as: Int.self) == 3)
        #expect(try await preparedNames(connection).count == 1)
    }

    @Test("after a lost connection the reconnected session prepares its statements again")
    func reconnectPreparesAgain() async throws {
        let database = try await TestPostgres.database()
        let connection = try await database.connect()
        let admin = try await database.connect()
        let sql = "SELECT $1::int * 10"
        #expect(try await connection.queryPrepared(sql, [1]).first?.decode(0, as: Int.self) == 10)
        let pid = try #require(await connection.backendPID())
        try await admin.query("SELECT pg_terminate_backend($1)", [pid])
        try await Task.sleep(for: .milliseconds(200))
        await #expect(throws: PostgresError.self) { try await connection.queryPrepared(sql, [2]) }
        #expect(try await connection.queryPrepared(sql, [3]).first?.decode(0, as: Int.self) == 30)
        #expect(try await preparedNames(connection).count == 1)
    }

    @Test("a function replaced with another result type (a migration while workers run) is prepared again")
    func changedResultTypeIsPreparedAgain() async throws {
        let database = try await TestPostgres.database()
        let connection = try await database.connect()
        let schema = "prepared_\(UInt32.random(in: 0...UInt32.max))"
        try await connection.execute(
            """
            CREATE SCHEMA \(schema);
            CREATE TABLE \(schema).answers (a int);
            INSERT INTO \(schema).answers VALUES (1);
            """)
        let sql = "SELECT * FROM \(schema).answers"
        #expect(try await connection.queryPrepared(sql).first?.decode(0, as: Int.self) == 1)
        try await database.connect().execute("ALTER TABLE \(schema).answers ADD COLUMN b text DEFAULT 'new'")
        let row = try #require(try await connection.queryPrepared(sql).first)
        #expect(try row.decode(1, as: String.self) == "new")
        #expect(try await preparedNames(connection).count == 1)
    }
}

extension PreparedStatementTests {
    @Test("through a transaction-pooling PgBouncer that discards session state, prepared queries still answer right")
    func throughTransactionPooler() async throws {
        let database = try await TestPostgres.database()
        let pooler = try TestPgBouncer(frontOf: database)
        defer { pooler.stop() }
        let connection = try await PostgresConnection.connect(.init(connectionString: pooler.url, applicationName: "turing-tests"))
        // Each call is its own transaction, after which PgBouncer discards the server session's statements:
        // a connection that kept relying on its prepared statements would fail from the second call on.
        for value in 1...20 {
            let row = try #require(try await connection.queryPrepared("SELECT $1::int * 3, $2::text", [value, "v\(value)"]).first)
            #expect(try row.decode(0, as: Int.self) == value * 3)
            #expect(try row.decode(1, as: String.self) == "v\(value)")
        }
        await connection.close()
    }
}
