import Testing
@testable import TuringCore

@Suite("ConnectionSource")
struct ConnectionSourceTests {
    @Test("--database-url wins over DATABASE_URL, which wins over libpq defaults")
    func precedence() {
        let environment = ["DATABASE_URL": "postgres://env/db", "PGHOST": "/var/run/postgresql"]
        #expect(ConnectionSource.resolve(argument: "postgres://arg/db", environment: environment) == .argument("postgres://arg/db"))
        #expect(ConnectionSource.resolve(argument: nil, environment: environment) == .environment("postgres://env/db"))
        #expect(ConnectionSource.resolve(argument: nil, environment: ["PGHOST": "/tmp"]) == .libpqDefaults)
    }

    @Test("an empty argument or DATABASE_URL counts as not given")
    func emptyValues() {
        #expect(ConnectionSource.resolve(argument: "", environment: ["DATABASE_URL": "host=db"]) == .environment("host=db"))
        #expect(ConnectionSource.resolve(argument: "  ", environment: ["DATABASE_URL": ""]) == .libpqDefaults)
    }

    @Test("the connection string is nil for libpq defaults, and descriptions never show a password")
    func connectionStringAndDescription() {
        #expect(ConnectionSource.libpqDefaults.connectionString == nil)
        #expect(ConnectionSource.argument("host=db").connectionString == "host=db")
        #expect(ConnectionSource.environment("postgres://u:pw@db/x").redactedDescription == "DATABASE_URL postgres://u:***@db/x")
        #expect(ConnectionSource.argument("host=db password=pw").redactedDescription == "--database-url host=db password=***")
        #expect(ConnectionSource.libpqDefaults.redactedDescription == "libpq defaults (PG* variables)")
    }
}
