import Foundation
import TestSupport
import Testing
import TuringPostgres

@Suite("Queries and values")
struct QueryTests {
    @Test("parameters and NULLs, empty strings, Unicode, jsonb and arrays round-trip exactly")
    func valuesRoundTrip() async throws {
        let connection = try await TestPostgres.database().connect()
        let odd = "héllo 世界 🧪👩‍🔬 'quote' \"double\" back\\slash ; DROP TABLE x; --"
        let row = try #require(
            try await connection.query(
                "SELECT $1::text, $2::text, $3::text, $4::bigint, $5::bool, $6::uuid, $7::jsonb, $8::text[], $9::int[], $10::timestamptz",
                [
                    Optional<String>.none, "", odd, Int64.max, true, UUID(uuidString: "123e4567-e89b-12d3-a456-426614174000")!,
                    #"{"a": [1, 2, {"b": "ü"}]}"#, ["x", "", "with,comma", "with\"quote", "with\\back", "NULL"], [1, -2, 3],
                    Date(timeIntervalSince1970: 1_764_500_000.123456),
                ]
            ).first)
        #expect(try row.decode(0, as: String?.self) == nil)
        #expect(try row.decode(1, as: String.self) == "")
        #expect(try row.decode(2, as: String.self) == odd)
        #expect(try row.decode(3, as: Int64.self) == Int64.max)
        #expect(try row.decode(4, as: Bool.self))
        #expect(try row.decode(5, as: UUID.self) == UUID(uuidString: "123e4567-e89b-12d3-a456-426614174000"))
        #expect(try row.decode(6, as: String.self) == #"{"a": [1, 2, {"b": "ü"}]}"#)
        #expect(try row.decode(7, as: [String].self) == ["x", "", "with,comma", "with\"quote", "with\\back", "NULL"])
        #expect(try row.decode(8, as: [Int].self) == [1, -2, 3])
        let date = try row.decode(9, as: Date.self)
        #expect(abs(date.timeIntervalSince1970 - 1_764_500_000.123456) < 0.000_001)
    }

    @Test("UUIDs and uuid[] round-trip in the server's form; text arrays keep every character")
    func uuidsAndTextArrays() async throws {
        let connection = try await TestPostgres.database().connect()
        let uuids = (0..<200).map { _ in UUID() }
        let texts = ["héllo 世界 🧪👩‍🔬", #"a"b\c"#, "", "{x,y}", "NULL", " spaced "]
        let row = try #require(
            try await connection.query(
                "SELECT $1::uuid[], array_to_string($1::uuid[], ','), $2::text[], $3::uuid", [uuids, texts, uuids[0]]
            ).first)
        #expect(try row.decode(0, as: [UUID].self) == uuids)
        #expect(try row.decode(1, as: String.self) == uuids.map { $0.uuidString.lowercased() }.joined(separator: ","))
        #expect(try row.decode(2, as: [String].self) == texts)
        #expect(try row.decode(3, as: UUID.self) == uuids[0])
        #expect(uuids[0].postgresText == uuids[0].uuidString.lowercased())
        #expect(try UUID.decode(postgresText: uuids[1].uuidString) == uuids[1])
        for bad in ["", "123e4567-e89b-12d3-a456-42661417400g", "123e4567e89b-12d3-a456-4266141740000", "123e4567-e89b-12d3-a456-42661417400"] {
            #expect(throws: PostgresError.self) { try UUID.decode(postgresText: bad) }
        }
    }

    @Test("arrays with NULL elements and timestamps in other time zones decode")
    func arraysAndTimeZones() async throws {
        let connection = try await TestPostgres.database().connect()
        let row = try #require(
            try await connection.query(
                "SELECT ARRAY[1, NULL, 3]::bigint[], ARRAY[]::text[], ('2026-01-02 03:04:05+05:30'::timestamptz AT TIME ZONE 'UTC')::text || '+00'"
            ).first)
        #expect(try row.decode(0, as: [Int64?].self) == [1, nil, 3])
        #expect(try row.decode(1, as: [String].self) == [])
        let date = try row.decode(2, as: Date.self)
        #expect(date == ISO8601DateFormatter().date(from: "2026-01-01T21:34:05Z"))
    }

    @Test("reading NULL as a non-optional type is a decoding error naming the column")
    func nullIntoNonOptional() async throws {
        let connection = try await TestPostgres.database().connect()
        let row = try #require(try await connection.query("SELECT NULL::int AS answer").first)
        let error = #expect(throws: PostgresError.self) { try row.decode("answer", as: Int.self) }
        #expect(error?.kind == .decoding)
        #expect(error?.message.contains("answer") == true)
    }

    @Test("100,000 rows and a 10 MB value come back whole")
    func largeResults() async throws {
        let connection = try await TestPostgres.database().connect()
        let rows = try await connection.query("SELECT g, md5(g::text) FROM generate_series(1, 100000) AS g")
        #expect(rows.count == 100_000)
        #expect(try rows[99_999].decode(0, as: Int.self) == 100_000)
        let sum = try rows.reduce(0) { $0 + (try $1.decode(0, as: Int.self)) }
        #expect(sum == 100_000 * 100_001 / 2)

        let big = String(repeating: "0123456789abcdéf", count: 10 * 1024 * 1024 / 17)
        let echoed = try await connection.query("SELECT $1::text, length($1::text)", [big])
        #expect(try echoed[0].decode(0, as: String.self) == big)
        #expect(try echoed[0].decode(1, as: Int.self) == big.count)
    }

    @Test("a SQL error carries SQLSTATE, message, detail and hint, and the connection keeps working")
    func serverErrors() async throws {
        let connection = try await TestPostgres.database().connect()
        try await connection.execute("CREATE TABLE t (id int CONSTRAINT t_pkey PRIMARY KEY); INSERT INTO t VALUES (1)")
        let duplicate = await #expect(throws: PostgresError.self) {
            try await connection.query("INSERT INTO t VALUES ($1)", [1])
        }
        #expect(duplicate?.sqlState == "23505")
        #expect(duplicate?.kind == .server)
        #expect(duplicate?.constraint == "t_pkey")
        #expect(duplicate?.detail == "Key (id)=(1) already exists.")

        let raised = await #expect(throws: PostgresError.self) {
            try await connection.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'custom failure' USING ERRCODE = 'TU001', DETAIL = 'the detail', HINT = 'the hint'; END $$")
        }
        #expect(raised?.sqlState == "TU001")
        #expect(raised?.message == "custom failure")
        #expect(raised?.hint == "the hint")
        #expect(raised?.description.contains("ERROR:  TU001: custom failure\nDETAIL:  the detail\nHINT:  the hint") == true)

        let syntax = await #expect(throws: PostgresError.self) {
            try await connection.query("SELECT 1\nFROM t\nWHERE nonsense nonsense")
        }
        #expect(syntax?.sqlState == "42601")
        #expect(syntax?.lineInStatement == 3)

        let count = try await connection.query("SELECT count(*) FROM t").first?.decode(0, as: Int.self)
        #expect(count == 1)
    }

    @Test("a failed transaction is rolled back, not left aborted")
    func transactionRollsBack() async throws {
        let connection = try await TestPostgres.database().connect()
        try await connection.execute("CREATE TABLE t (id int PRIMARY KEY)")
        await #expect(throws: PostgresError.self) {
            try await connection.transaction { transaction in
                try transaction.query("INSERT INTO t VALUES (1)")
                try transaction.query("INSERT INTO t VALUES (1)")
            }
        }
        #expect(try await connection.query("SELECT count(*) FROM t").first?.decode(0, as: Int.self) == 0)

        // A plain BEGIN followed by an error: the wrapper rolls the aborted transaction back.
        try await connection.execute("BEGIN")
        await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1/0") }
        #expect(try await connection.query("SELECT 42").first?.decode(0, as: Int.self) == 42)

        let committed = try await connection.transaction { transaction in
            try transaction.query("INSERT INTO t VALUES (2)").affectedRows
        }
        #expect(committed == 1)
        #expect(try await connection.query("SELECT count(*) FROM t").first?.decode(0, as: Int.self) == 1)
    }

    @Test("8 Swift tasks sharing one connection each get their own, unmixed results")
    func concurrentUse() async throws {
        let connection = try await TestPostgres.database().connect()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for round in 0..<50 {
                        let rows = try await connection.query(
                            "SELECT $1::int * 1000 + g FROM generate_series(1, $2::int) AS g", [worker, round % 7 + 1])
                        let values = try rows.map { try $0.decode(0, as: Int.self) }
                        #expect(values == (1...(round % 7 + 1)).map { worker * 1000 + $0 })
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test("cancel() from another task stops a running statement")
    func cancelRunningStatement() async throws {
        let connection = try await TestPostgres.database().connect()
        async let sleeper: PostgresRows = connection.query("SELECT pg_sleep(30)")
        try await Task.sleep(for: .milliseconds(300))
        connection.cancel()
        do {
            _ = try await sleeper
            Issue.record("pg_sleep(30) finished instead of being cancelled")
        } catch let error as PostgresError {
            #expect(error.kind == .cancelled)
            #expect(error.sqlState == "57014")
        }
        #expect(try await connection.query("SELECT 1").first?.decode(0, as: Int.self) == 1)
    }
}
