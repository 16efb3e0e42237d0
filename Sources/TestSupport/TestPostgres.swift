import Foundation
import TuringPostgres

/// The PostgreSQL server the tests talk to: `TURING_TEST_DATABASE_URL` when set, otherwise a throwaway
/// cluster that this process creates with `initdb` in a temporary folder, starts on a free port on 127.0.0.1,
/// and removes when the process exits (a watchdog process removes it even if the tests crash).
///
/// There is no skipping: when no server can be had, `database()` throws and says why, and the test fails.
public enum TestPostgres {
    /// A fresh, empty database for one suite; returns its connection URL.
    public static func database(_ label: String = #fileID) async throws -> TestDatabase {
        let server = try await ServerStarter.shared.server()
        let name = "t_" + label.lowercased().filter { $0.isLetter || $0.isNumber }.suffix(20)
            + "_" + UUID().uuidString.prefix(8).lowercased()
        let admin = try await PostgresConnection.connect(.init(connectionString: server.adminURL, applicationName: "turing-tests"))
        try await admin.execute("CREATE DATABASE \"\(name)\"")
        await admin.close()
        return TestDatabase(server: server, name: name)
    }

    /// The server itself (starting it when needed).
    public static func server() async throws -> TestServer {
        try await ServerStarter.shared.server()
    }
}

/// A running server: how to reach it as a superuser.
public struct TestServer: Sendable {
    /// A superuser URL for the `postgres` database.
    public let adminURL: String
    public let host: String
    public let port: Int
    /// The data directory when this process started the cluster (nil for `TURING_TEST_DATABASE_URL`).
    public let dataDirectory: String?
    public let binDirectory: String?

    /// Runs `pg_ctl` on the cluster this process started (e.g. `["restart", "-m", "fast"]`).
    public func pgCtl(_ arguments: [String]) throws -> Shell.Output {
        guard let dataDirectory, let binDirectory else {
            throw TestSetupError("pg_ctl is only available for the cluster the tests start themselves")
        }
        return try Shell.run(
            ["\(binDirectory)/pg_ctl", "-D", dataDirectory, "-w", "-t", "60"] + arguments, asPostgresUser: true)
    }
}

/// One suite's own database.
public struct TestDatabase: Sendable {
    public let server: TestServer
    public let name: String

    /// A URL for this database as the superuser.
    public var url: String {
        "postgresql://postgres@\(server.host):\(server.port)/\(name)"
    }

    /// Opens a new connection to this database.
    public func connect(applicationName: String = "turing-tests") async throws -> PostgresConnection {
        try await PostgresConnection.connect(.init(connectionString: url, applicationName: applicationName))
    }
}

/// Why the test server could not be had; the tests fail with this message.
public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Starts the cluster at most once per process.
actor ServerStarter {
    static let shared = ServerStarter()
    private var starting: Task<TestServer, Error>?

    func server() async throws -> TestServer {
        if let starting { return try await starting.value }
        let task = Task { try Self.start() }
        starting = task
        return try await task.value
    }

    private static func start() throws -> TestServer {
        if let url = ProcessInfo.processInfo.environment["TURING_TEST_DATABASE_URL"], !url.isEmpty {
            let components = URLComponents(string: url)
            return TestServer(
                adminURL: url, host: components?.host ?? "127.0.0.1", port: components?.port ?? 5432,
                dataDirectory: nil, binDirectory: nil)
        }
        let binDirectory = try findBinDirectory()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("turing-test-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        if geteuid() == 0 {
            // PostgreSQL refuses to run as root: the cluster belongs to the postgres OS user.
            let chown = try Shell.run(["chown", "-R", "postgres:postgres", root])
            guard chown.status == 0 else {
                throw TestSetupError("running as root, but cannot hand \(root) to the postgres user: \(chown.stderr)")
            }
        }
        startWatchdog(root: root, binDirectory: binDirectory)
        let data = root + "/data"
        let initdb = try Shell.run(
            ["\(binDirectory)/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync",
             "--locale=C"], asPostgresUser: true)
        guard initdb.status == 0 else {
            throw TestSetupError("initdb failed (status \(initdb.status)): \(initdb.stderr.suffix(600))")
        }
        let port = try FreePort.next()
        let options = [
            "-p \(port)", "-k \(root)", "-c listen_addresses=127.0.0.1", "-c max_connections=400",
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c shared_buffers=256MB",
        ].joined(separator: " ")
        let started = try Shell.run(
            ["\(binDirectory)/pg_ctl", "-D", data, "-l", root + "/server.log", "-o", options, "-w", "-t", "60", "start"],
            asPostgresUser: true)
        guard started.status == 0 else {
            let log = (try? String(contentsOfFile: root + "/server.log", encoding: .utf8)) ?? ""
            throw TestSetupError("pg_ctl start failed: \(started.stderr) \(log.suffix(600))")
        }
        return TestServer(
            adminURL: "postgresql://postgres@127.0.0.1:\(port)/postgres", host: "127.0.0.1", port: port,
            dataDirectory: data, binDirectory: binDirectory)
    }

    /// `pg_config --bindir`, else the newest `/usr/lib/postgresql/*/bin`.
    private static func findBinDirectory() throws -> String {
        if let output = try? Shell.run(["pg_config", "--bindir"]), output.status == 0 {
            let directory = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if FileManager.default.isExecutableFile(atPath: directory + "/initdb") { return directory }
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let directory = "/usr/lib/postgresql/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: directory + "/initdb") { return directory }
        }
        throw TestSetupError(
            "no PostgreSQL server binaries (initdb) found: install the postgresql package, or set TURING_TEST_DATABASE_URL")
    }

    /// A detached shell that, once this process is gone, stops the cluster and deletes its folder.
    private static func startWatchdog(root: String, binDirectory: String) {
        let asPostgres = geteuid() == 0 ? "runuser -u postgres -- " : ""
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 0.5; done
            \(asPostgres)\(binDirectory)/pg_ctl -D '\(root)/data' -m immediate stop >/dev/null 2>&1
            rm -rf '\(root)'
            """
        _ = try? ChildProcess(["setsid", "sh", "-c", script], outputPath: "/dev/null", errorPath: "/dev/null")
    }
}
