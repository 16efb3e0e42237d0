import Foundation
import TuringCore
import TuringPostgres

/// Applies and reverts migrations against one database, one runner at a time.
///
/// Each transactional migration runs in one transaction together with its history row, after
/// `SET LOCAL lock_timeout`; a lock timeout (55P03) is retried with jittered backoff. Files marked
/// `-- turing:no-transaction` run statement by statement, with their progress recorded.
public struct MigrationRunner: Sendable {
    public struct Options: Sendable {
        /// `lock_timeout` inside each migration, so a busy table never queues the application behind it.
        public var lockTimeout: Duration = .seconds(5)
        /// How long to wait for another runner's advisory lock before giving up.
        public var lockWait: Duration = .seconds(60)
        /// How many times a migration that hit `lock_timeout` is tried in all.
        public var lockTimeoutTries = 4
        /// Print the plan and the SQL instead of running it.
        public var dryRun = false
        /// Where progress lines go (stdout for the CLI).
        public var output: @Sendable (String) -> Void = { print($0) }

        public init() {}
    }

    public let database: PostgresConnection.Configuration
    public let migrations: [Migration]
    public let options: Options

    public init(database: PostgresConnection.Configuration, migrations: [Migration], options: Options = Options()) {
        self.database = database
        self.migrations = migrations
        self.options = options
    }

    // MARK: Commands

    /// Applies pending migrations up to and including `target` (all when nil); returns what it applied.
    @discardableResult
    public func up(to target: MigrationVersion?) async throws -> [Migration] {
        try await withLockedSession { connection, applied in
            let plan = try refusing { () throws(MigrationPlanError) in try MigrationPlanner.planUp(available: migrations, applied: applied, target: target) }
            if plan.isEmpty {
                options.output("nothing to apply: the database is up to date\(target.map { " (up to \($0))" } ?? "")")
                return []
            }
            for migration in plan {
                try await apply(migration, direction: .up, on: connection)
            }
            return plan
        }
    }

    /// Reverts applied migrations above `target`, newest first; returns what it reverted.
    @discardableResult
    public func down(to target: MigrationVersion) async throws -> [Migration] {
        try await withLockedSession { connection, applied in
            let plan = try refusing { () throws(MigrationPlanError) in try MigrationPlanner.planDown(available: migrations, applied: applied, target: target) }
            if plan.isEmpty {
                options.output("nothing to revert: no migration above \(target) is applied")
                return []
            }
            for migration in plan {
                try await apply(migration, direction: .down, on: connection)
            }
            return plan
        }
    }

    /// Records `target` and every version below it as applied, without running them.
    @discardableResult
    public func baseline(_ target: MigrationVersion) async throws -> [Migration] {
        try await withLockedSession { connection, applied in
            let plan = try refusing { () throws(MigrationPlanError) in try MigrationPlanner.planBaseline(available: migrations, applied: applied, target: target) }
            for migration in plan {
                if options.dryRun {
                    options.output("-- would record \(migration.version) \(migration.name) as applied (baseline)")
                    continue
                }
                let host = ProcessInfo.processInfo.hostName
                try await connection.query(
                    MigrationHistory.insertSQL,
                    [migration.version.number, migration.name, migration.upChecksum, host, 0.0, true])
                options.output("baselined \(migration.version) \(migration.name)")
            }
            if plan.isEmpty { options.output("nothing to baseline: \(target) and below are already recorded") }
            return plan
        }
    }

    /// Each version's state: applied, pending, modified or missing.
    public func status() async throws -> [MigrationStatus] {
        MigrationPlanner.status(available: migrations, applied: try await loadHistory())
    }

    /// What `up` would refuse over: modified or missing applied files, pending versions below applied ones.
    public func problems() async throws -> [MigrationProblem] {
        MigrationPlanner.problems(available: migrations, applied: try await loadHistory())
    }

    /// The history, read on a connection of its own (no lock: reading changes nothing).
    private func loadHistory() async throws -> [AppliedMigration] {
        let connection = try await connect()
        do {
            let applied = try await MigrationHistory.load(connection)
            await connection.close()
            return applied
        } catch {
            await connection.close()
            throw error
        }
    }

    // MARK: Applying one migration

    enum Direction: String { case up, down }

    private func apply(_ migration: Migration, direction: Direction, on connection: PostgresConnection) async throws {
        let file = direction == .up ? migration.upFileName : migration.downFileName
        let sql = direction == .up ? migration.upSQL : migration.downSQL
        let transactional = direction == .up ? migration.upRunsInTransaction : migration.downRunsInTransaction
        let statements: [SQLStatement]
        do { statements = try SQLStatementSplitter.split(sql) } catch { throw MigrationError.unreadable(file: file, error: error) }

        if options.dryRun {
            options.output("-- \(direction == .up ? "apply" : "revert") \(file) (\(transactional ? "in one transaction" : "no transaction, statement by statement"), lock_timeout \(options.lockTimeout))")
            for statement in statements { options.output(statement.text + ";") }
            return
        }
        options.output("\(direction == .up ? "applying" : "reverting") \(file) ...")
        let started = ContinuousClock.now
        if transactional {
            try await runInTransaction(migration, file: file, statements: statements, direction: direction, on: connection)
        } else {
            try await runStatementByStatement(migration, file: file, statements: statements, direction: direction, on: connection)
        }
        let elapsed = ContinuousClock.now - started
        options.output("\(direction == .up ? "applied" : "reverted") \(migration.version) \(migration.name) in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow)))")
    }

    private func runInTransaction(
        _ migration: Migration, file: String, statements: [SQLStatement], direction: Direction, on connection: PostgresConnection
    ) async throws {
        let lockTimeout = "\(Int(options.lockTimeout.inSeconds * 1000))ms"
        let host = ProcessInfo.processInfo.hostName
        var attempt = 1
        while true {
            let started = ContinuousClock.now
            do {
                try await connection.transaction { transaction in
                    try transaction.query("SELECT set_config('lock_timeout', $1, true)", [lockTimeout])
                    for (index, statement) in statements.enumerated() {
                        do {
                            try transaction.execute(statement.text)
                        } catch let error as PostgresError {
                            throw MigrationError.statementFailed(
                                file: file, statement: index + 1, of: statements.count,
                                line: statement.line + (error.lineInStatement ?? 1) - 1, error: error, transactional: true)
                        }
                    }
                    if direction == .up {
                        let milliseconds = (ContinuousClock.now - started).inSeconds * 1000
                        try transaction.query(
                            MigrationHistory.insertSQL,
                            [migration.version.number, migration.name, migration.upChecksum, host, milliseconds, false])
                    } else {
                        try transaction.query(MigrationHistory.deleteSQL, [migration.version.number])
                    }
                }
                return
            } catch MigrationError.statementFailed(_, _, _, _, let error, _) where error.isLockTimeout && attempt < options.lockTimeoutTries {
                let delay = RetryPolicy.lockTimeoutRetry.delay(forAttempt: attempt)
                options.output("\(file): lock_timeout (\(MigrationLock.seconds(options.lockTimeout))) hit: the table is busy; retrying in \(MigrationLock.seconds(delay)) (try \(attempt + 1) of \(options.lockTimeoutTries))")
                try await Task.sleep(for: delay)
                attempt += 1
            } catch MigrationError.statementFailed(_, _, _, _, let error, _) where error.isLockTimeout {
                throw MigrationError.lockTimeoutExhausted(file: file, tries: attempt, error: error)
            }
        }
    }

    /// For `-- turing:no-transaction` files (such as `CREATE INDEX CONCURRENTLY`): each statement commits on its
    /// own, and `turing_migrate.partial_runs` records how far it got.
    private func runStatementByStatement(
        _ migration: Migration, file: String, statements: [SQLStatement], direction: Direction, on connection: PostgresConnection
    ) async throws {
        let version = migration.version.number
        // Session-level here (there is no transaction); the connection is closed when the command ends.
        try await connection.query("SELECT set_config('lock_timeout', $1, false)", ["\(Int(options.lockTimeout.inSeconds * 1000))ms"])
        let started = ContinuousClock.now
        for (index, statement) in statements.enumerated() {
            var attempt = 1
            while true {
                do {
                    try await connection.execute(statement.text)
                    break
                } catch let error as PostgresError {
                    if error.isLockTimeout && attempt < options.lockTimeoutTries {
                        try await Task.sleep(for: RetryPolicy.lockTimeoutRetry.delay(forAttempt: attempt))
                        attempt += 1
                        continue
                    }
                    let line = statement.line + (error.lineInStatement ?? 1) - 1
                    _ = try? await connection.query(
                        """
                        INSERT INTO turing_migrate.partial_runs (version, name, statements_done, statements, failed_line, error)
                        VALUES ($1, $2, $3, $4, $5, $6)
                        ON CONFLICT (version) DO UPDATE SET statements_done = $3, statements = $4, failed_line = $5,
                            error = $6, updated_at = now()
                        """, [version, migration.name, index, statements.count, line, error.oneLine])
                    throw MigrationError.statementFailed(
                        file: file, statement: index + 1, of: statements.count, line: line, error: error, transactional: false)
                }
            }
        }
        let milliseconds = (ContinuousClock.now - started).inSeconds * 1000
        try await connection.transaction { transaction in
            if direction == .up {
                try transaction.query(
                    MigrationHistory.insertSQL,
                    [version, migration.name, migration.upChecksum, ProcessInfo.processInfo.hostName, milliseconds, false])
            } else {
                try transaction.query(MigrationHistory.deleteSQL, [version])
            }
            try transaction.query("DELETE FROM turing_migrate.partial_runs WHERE version = $1", [version])
        }
    }

    /// Turns a refused plan into a `MigrationError`.
    private func refusing(_ plan: () throws(MigrationPlanError) -> [Migration]) throws -> [Migration] {
        do { return try plan() } catch { throw MigrationError.refused(error) }
    }

    // MARK: Sessions and the lock

    private func connect() async throws -> PostgresConnection {
        var configuration = database
        configuration.applicationName = ApplicationName.make(tool: "turing-migrate")
        return try await PostgresConnection.connect(configuration)
    }

    /// Takes the advisory lock (waiting up to `lockWait`), makes sure the history exists, and runs `body`
    /// with the applied migrations as they are once the lock is held.
    private func withLockedSession<T: Sendable>(
        _ body: (PostgresConnection, [AppliedMigration]) async throws -> T
    ) async throws -> T {
        let connection = try await connect()
        let lock = MigrationLock(database: database, output: options.output)
        try await lock.acquire(waitingUpTo: options.lockWait)
        do {
            if !options.dryRun { try await connection.execute(MigrationHistory.createSQL) }
            let value = try await body(connection, try await MigrationHistory.load(connection))
            await lock.release()
            await connection.close()
            return value
        } catch {
            await lock.release()
            await connection.close()
            throw error
        }
    }
}
