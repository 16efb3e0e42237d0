import Foundation
import TuringCore
import TuringPostgres

/// One runner at a time: a session-level advisory lock, taken with `pg_try_advisory_lock` in a loop on a
/// connection of its own. Never a blocking `pg_advisory_lock`: `CREATE INDEX CONCURRENTLY` waits for every
/// transaction, and a runner blocked inside one would deadlock against it.
struct MigrationLock {
    /// The two-key advisory lock id: ('turi' as an int, 88).
    static let keys: (Int32, Int32) = (0x7475_7269, 88)

    let database: PostgresConnection.Configuration
    let output: @Sendable (String) -> Void
    private let holder = LockedValue<PostgresConnection?>(nil)

    init(database: PostgresConnection.Configuration, output: @escaping @Sendable (String) -> Void) {
        self.database = database
        self.output = output
    }

    func acquire(waitingUpTo limit: Duration) async throws {
        var configuration = database
        configuration.applicationName = ApplicationName.make(tool: "turing-migrate", detail: "lock")
        let connection = try await PostgresConnection.connect(configuration)
        let started = ContinuousClock.now
        var lastHolder = ""
        var lastReport = ContinuousClock.now - .seconds(60)
        while true {
            let taken = try await connection.query("SELECT pg_try_advisory_lock($1, $2)", [Self.keys.0, Self.keys.1])
            if try taken.first?.decode(0, as: Bool.self) == true {
                if !lastHolder.isEmpty { output("got the migration lock after waiting \(Self.seconds(ContinuousClock.now - started))") }
                holder.value = connection
                return
            }
            let who = try await currentHolder(connection)
            if who != lastHolder || ContinuousClock.now - lastReport >= .seconds(10) {
                output("waiting for the migration lock, held by \(who)")
                lastHolder = who
                lastReport = .now
            }
            if ContinuousClock.now - started >= limit {
                await connection.close()
                throw MigrationError.lockWaitExpired(waited: limit, holder: who)
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    func release() async {
        guard let connection = holder.value else { return }
        _ = try? await connection.query("SELECT pg_advisory_unlock($1, $2)", [Self.keys.0, Self.keys.1])
        await connection.close()
        holder.value = nil
    }

    private func currentHolder(_ connection: PostgresConnection) async throws -> String {
        let rows = try await connection.query(
            """
            SELECT a.pid, coalesce(nullif(a.application_name, ''), '?'), coalesce(a.usename::text, '?'),
                   coalesce(host(a.client_addr), 'local'), now() - a.backend_start
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid
              AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, [Int64(Self.keys.0), Int64(Self.keys.1)])
        guard let row = rows.first else { return "another session (it may just have finished)" }
        return "backend pid \(try row.decode(0, as: Int.self)) (\(try row.decode(1, as: String.self)), user \(try row.decode(2, as: String.self)) from \(try row.decode(3, as: String.self)), connected \(try row.decode(4, as: String.self)) ago)"
    }

    /// "0.3s", "60.0s": durations in messages.
    static func seconds(_ duration: Duration) -> String {
        String(format: "%.1fs", duration.inSeconds)
    }
}
