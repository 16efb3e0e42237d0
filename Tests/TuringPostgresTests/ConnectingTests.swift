import Foundation
import TestSupport
import Testing
import TuringPostgres

@Suite("Connecting")
struct ConnectingTests {
    @Test("a URL and a key=value conninfo string both connect and set application_name")
    func connectsFromURLAndConninfo() async throws {
        let database = try await TestPostgres.database()
        let fromURL = try await PostgresConnection.connect(.init(connectionString: database.url, applicationName: "turing-test-url"))
        let name = try await fromURL.query("SELECT current_setting('application_name')").first?.decode(0, as: String.self)
        #expect(name == "turing-test-url")

        let conninfo = "host=\(database.server.host) port=\(database.server.port) dbname=\(database.name) user=postgres"
        let fromConninfo = try await PostgresConnection.connect(.init(connectionString: conninfo, applicationName: "turing-test-kv"))
        let current = try await fromConninfo.query("SELECT current_database()").first?.decode(0, as: String.self)
        #expect(current == database.name)
    }

    @Test(
        "bad settings fail with one clear line, quickly, and never show the password",
        arguments: [
            ("postgres://alice:s3cretPa55@127.0.0.1:notaport/db", "invalid"),
            ("postgres://alice:s3cretPa55@127.0.0.1:1/db", "127.0.0.1"),
            ("host=127.0.0.1 port=1 user=alice password=s3cretPa55 dbname=x", "127.0.0.1"),
        ])
    func badSettingsFailCleanly(connectionString: String, expectedFragment: String) async throws {
        let started = ContinuousClock.now
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(.init(connectionString: connectionString, applicationName: "t"))
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        let failure = try #require(error)
        #expect(failure.kind == .connectionFailed)
        #expect(failure.message.contains(expectedFragment))
        #expect(!failure.description.contains("s3cretPa55"))
        #expect(!failure.oneLine.contains("s3cretPa55"))
        #expect(!failure.oneLine.contains("\n"))
    }

    @Test("a database that does not exist is named in the error")
    func unknownDatabase() async throws {
        let server = try await TestPostgres.server()
        let url = "postgresql://postgres:pw-not-shown@\(server.host):\(server.port)/no_such_database_here"
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(.init(connectionString: url, applicationName: "t"))
        }
        #expect(error?.message.contains("no_such_database_here") == true)
        #expect(error?.description.contains("pw-not-shown") == false)
    }
}
