import Foundation

/// A PgBouncer in transaction-pooling mode in front of the test server, started for one test and stopped
/// with `stop()`. Each transaction may run on another server session, and `server_reset_query_always`
/// discards a session's state (prepared statements included) after every transaction, as a pool
/// shared with other clients would sooner or later. Like the test server, it fails rather than skips: no
/// pgbouncer binary is an error that says what to install.
public final class TestPgBouncer: Sendable {
    /// A URL for `database` through the pooler, as the superuser.
    public let url: String
    private let root: String
    private let pid: Int32

    public init(frontOf front: TestDatabase) throws {
        let binary = try Self.findBinary()
        root = FileManager.default.temporaryDirectory.appendingPathComponent("turing-pgbouncer-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let port = try FreePort.next()
        let config = """
            [databases]
            * = host=\(front.server.host) port=\(front.server.port)
            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = trust
            auth_file = \(root)/users.txt
            pool_mode = transaction
            default_pool_size = 3
            server_reset_query = DISCARD ALL
            server_reset_query_always = 1
            ignore_startup_parameters = extra_float_digits,options
            logfile = \(root)/pgbouncer.log
            pidfile = \(root)/pgbouncer.pid

            """
        try config.write(toFile: root + "/pgbouncer.ini", atomically: true, encoding: .utf8)
        try "\"postgres\" \"\"\n".write(toFile: root + "/users.txt", atomically: true, encoding: .utf8)
        if geteuid() == 0 {
            // PgBouncer refuses to run as root, as PostgreSQL does.
            let chown = try Shell.run(["chown", "-R", "postgres:postgres", root])
            guard chown.status == 0 else { throw TestSetupError("cannot hand \(root) to the postgres user: \(chown.stderr)") }
        }
        let started = try Shell.run([binary, "-d", root + "/pgbouncer.ini"], asPostgresUser: true)
        // The daemon writes its pid file a moment after the launcher returns.
        var pid: Int32?
        for _ in 0..<250 where started.status == 0 && pid == nil {
            pid = (try? String(contentsOfFile: root + "/pgbouncer.pid", encoding: .utf8))
                .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if pid == nil { usleep(20_000) }
        }
        guard let pid else {
            let log = (try? String(contentsOfFile: root + "/pgbouncer.log", encoding: .utf8)) ?? ""
            throw TestSetupError("pgbouncer did not start (status \(started.status)): \(started.stderr) \(log.suffix(600))")
        }
        self.pid = pid
        guard FreePort.awaitListener(on: port, within: .seconds(5)) else {
            kill(pid, SIGTERM)
            throw TestSetupError("pgbouncer started but does not accept connections on port \(port)")
        }
        // Should this process die before stop(), a detached shell stops the pooler and removes its folder.
        _ = try? ChildProcess(
            ["setsid", "sh", "-c",
             "while kill -0 \(getpid()) 2>/dev/null; do sleep 0.5; done; kill \(pid) 2>/dev/null; rm -rf '\(root)'"],
            outputPath: "/dev/null", errorPath: "/dev/null")
        url = "postgresql://postgres@127.0.0.1:\(port)/\(front.name)"
    }

    /// Stops the pooler and removes its folder.
    public func stop() {
        kill(pid, SIGTERM)
        for _ in 0..<100 where kill(pid, 0) == 0 { usleep(20_000) }
        try? FileManager.default.removeItem(atPath: root)
    }

    private static func findBinary() throws -> String {
        for path in ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        throw TestSetupError("no pgbouncer binary found: install the pgbouncer package (scripts/install-deps does)")
    }
}
