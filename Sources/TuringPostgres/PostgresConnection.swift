import CLibPQ
import Dispatch
import Foundation
import TuringCore

/// One libpq connection, confined to its own serial dispatch queue.
///
/// Every blocking libpq call runs on that queue, never on Swift's cooperative thread pool, so any number of
/// Swift tasks may share a connection: their statements run one after another and never interleave.
/// A statement that finds the connection broken throws `.connectionLost`; the next call reconnects
/// (re-issuing LISTENs) before it runs, and `reconnect(policy:attempts:)` retries with backoff.
public final class PostgresConnection: @unchecked Sendable {
    public let configuration: Configuration

    private let queue: DispatchQueue
    // Touched only on `queue`.
    private var handle: OpaquePointer?
    private var listenedChannels: [String] = []
    /// Statements `queryPrepared` has prepared in the current session, by SQL text.
    private var preparedStatements: [String: String] = [:]
    /// Cleared when the server keeps losing this connection's prepared statements (a pooler that does not
    /// carry them): `queryPrepared` then runs statements unnamed, as `query` does.
    private var preparingStatements = true
    // The cancel handle is used from other threads, so it has its own lock.
    private let cancelLock = NSLock()
    private var cancelHandle: OpaquePointer?
    private let wakeUp = WakeUpPipe()

    private init(configuration: Configuration) {
        self.configuration = configuration
        self.queue = DispatchQueue(label: "turing.postgres.\(configuration.applicationName)")
    }

    deinit {
        // No other reference exists any more, so no queue hop is needed.
        cancelLock.withLock {
            if let cancelHandle { PQfreeCancel(cancelHandle) }
        }
        if let handle { PQfinish(handle) }
    }

    /// Opens a connection; throws `.connectionFailed` with libpq's reason (password removed).
    public static func connect(_ configuration: Configuration) async throws -> PostgresConnection {
        let connection = PostgresConnection(configuration: configuration)
        try await connection.onQueue { try connection.open() }
        return connection
    }

    /// Closes the connection (`PQfinish`). Later calls reconnect.
    public func close() async {
        try? await onQueue { self.finish() }
    }

    // MARK: Statements

    /// Runs one statement with `$1…$n` parameters (text format) and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> PostgresRows {
        try await statement { try self.run(sql, parameters, on: $0) }
    }

    /// Like `query`, but the statement is prepared once per session (a named, protocol-level prepared
    /// statement) and then only executed: the server parses and plans it once instead of on every call.
    /// For the few statements a program runs over and over; each distinct text stays prepared until the
    /// session ends.
    ///
    /// The name is derived from the SQL text, so it means the same statement on every server session.
    /// A statement the server no longer has (a pooler moved the session, `DISCARD ALL`) or whose result
    /// type changed (a migration replaced a function) is prepared again once; if that happens again
    /// straight away, this connection stops preparing and runs its statements unnamed.
    @discardableResult
    public func queryPrepared(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> PostgresRows {
        try await statement { try self.runPrepared(sql, parameters, on: $0) }
    }

    /// Runs a script of one or more statements with the simple-query protocol (`PQexec`), no parameters.
    /// Outside a transaction the server runs a multi-statement script as one implicit transaction.
    public func execute(_ script: String) async throws {
        try await statement { try self.runScript(script, on: $0) }
    }

    /// Runs `body` on the queue with a live handle; if it fails inside a transaction the caller opened with a
    /// plain `BEGIN`, that transaction is rolled back so the connection stays usable.
    private func statement<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        try await onQueue {
            let connection = try self.liveHandle()
            do {
                return try body(connection)
            } catch {
                self.rollBackAbortedTransaction(connection)
                throw error
            }
        }
    }

    /// Runs `body` inside `BEGIN … COMMIT` on the connection's queue; any error rolls the transaction back.
    /// No other statement on this connection runs in between.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresTransaction) throws -> T) async throws -> T {
        try await onQueue {
            let connection = try self.liveHandle()
            try self.runScript("BEGIN", on: connection)
            do {
                let value = try body(PostgresTransaction(connection: self, handle: connection))
                try self.runScript("COMMIT", on: connection)
                return value
            } catch {
                if PQstatus(connection) == CONNECTION_OK, PQtransactionStatus(connection) != PQTRANS_IDLE {
                    try? self.runScript("ROLLBACK", on: connection)
                }
                throw error
            }
        }
    }

    /// Asks the server to cancel the statement now running on this connection. Safe from any thread.
    public func cancel() {
        cancelLock.withLock {
            guard let cancelHandle else { return }
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancelHandle, &buffer, Int32(buffer.count))
        }
    }

    /// The server process serving this connection (`pg_backend_pid()`), or nil when not connected.
    public func backendPID() async -> Int32? {
        try? await onQueue { self.handle.map { PQbackendPID($0) } }
    }

    // MARK: Reconnecting

    /// Reconnects, retrying with the policy's backoff, and re-issues LISTENs; throws the last failure.
    public func reconnect(policy: RetryPolicy = .databaseReconnect, attempts: Int = 10) async throws {
        var attempt = 1
        while true {
            do {
                try await onQueue {
                    self.finish()
                    try self.open()
                }
                return
            } catch let error as PostgresError where error.isConnectionProblem && attempt < attempts {
                try await Task.sleep(for: policy.delay(forAttempt: attempt))
                attempt += 1
            }
        }
    }

    // MARK: Queue confinement

    func onQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    // MARK: On the queue only

    private func open() throws {
        guard let connection = ConnectionParameters(configuration).connect() else {
            throw PostgresError(kind: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(kind: .connectionFailed, message: configuration.scrub(reason))
        }
        // Server NOTICEs ("relation already exists, skipping") are not errors; libpq would print them on stderr.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        handle = connection
        preparedStatements = [:]
        cancelLock.withLock {
            if let cancelHandle { PQfreeCancel(cancelHandle) }
            cancelHandle = PQgetCancel(connection)
        }
        for channel in listenedChannels {
            try runScript("LISTEN \(try quoteIdentifier(channel, on: connection))", on: connection)
        }
    }

    private func finish() {
        guard let connection = handle else { return }
        handle = nil
        cancelLock.withLock {
            if let cancelHandle { PQfreeCancel(cancelHandle) }
            cancelHandle = nil
        }
        PQfinish(connection)
    }

    /// The open handle; a broken one is replaced by a fresh connection first.
    func liveHandle() throws -> OpaquePointer {
        if let handle, PQstatus(handle) == CONNECTION_OK { return handle }
        finish()
        do {
            try open()
        } catch var error as PostgresError {
            error.kind = .connectionLost
            error.message = "the database connection is lost and reconnecting failed: \(error.message)"
            throw error
        }
        return handle!
    }

    func run(_ sql: String, _ parameters: [any PostgresEncodable], on connection: OpaquePointer) throws -> PostgresRows {
        let texts = parameters.map { $0.postgresText }
        let result = withCStringArray(texts) { values in
            PQexecParams(connection, sql, Int32(texts.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        return try rows(from: result, sql: sql, on: connection)
    }

    private func runPrepared(
        _ sql: String, _ parameters: [any PostgresEncodable], on connection: OpaquePointer
    ) throws -> PostgresRows {
        guard preparingStatements else { return try run(sql, parameters, on: connection) }
        let texts = parameters.map { $0.postgresText }
        func execute() throws -> PostgresRows {
            let name = try prepare(sql, on: connection)
            let result = withCStringArray(texts) { values in
                PQexecPrepared(connection, name, Int32(texts.count), values, nil, nil, 0)
            }
            defer { PQclear(result) }
            return try rows(from: result, sql: sql, on: connection)
        }
        do {
            return try execute()
        } catch let error as PostgresError where error.isStalePreparedStatement {
            // Gone from the session, or its plan no longer fits: forget it and prepare it again, once.
            forgetPrepared(sql, on: connection)
        }
        do {
            return try execute()
        } catch let error as PostgresError where error.sqlState == PostgresError.undefinedPreparedStatement {
            // Lost again at once: the server side does not keep this session's statements.
            forgetPrepared(sql, on: connection)
            preparingStatements = false
            return try run(sql, parameters, on: connection)
        }
    }

    private func forgetPrepared(_ sql: String, on connection: OpaquePointer) {
        guard let name = preparedStatements.removeValue(forKey: sql) else { return }
        _ = try? runScript("DEALLOCATE \(name)", on: connection)
    }

    /// The name of `sql`'s prepared statement in this session, preparing it first if needed.
    private func prepare(_ sql: String, on connection: OpaquePointer) throws -> String {
        if let name = preparedStatements[sql] { return name }
        let name = "turing_" + SHA256.hexDigest(Array(sql.utf8)).prefix(24)
        let result = PQprepare(connection, name, sql, 0, nil)
        defer { PQclear(result) }
        do {
            _ = try rows(from: result, sql: sql, on: connection)
        } catch let error as PostgresError where error.sqlState == PostgresError.duplicatePreparedStatement {
            // Already prepared under this name in this server session (a pooler shares sessions): the name
            // comes from the text, so it is this same statement.
        }
        preparedStatements[sql] = name
        return name
    }

    func runScript(_ script: String, on connection: OpaquePointer) throws {
        let result = PQexec(connection, script)
        defer { PQclear(result) }
        _ = try rows(from: result, sql: script, on: connection)
    }

    private func rows(from result: OpaquePointer?, sql: String, on connection: OpaquePointer) throws -> PostgresRows {
        guard let result else {
            throw PostgresError(
                kind: PQstatus(connection) == CONNECTION_OK ? .server : .connectionLost,
                message: configuration.scrub(String(cString: PQerrorMessage(connection))), statement: sql)
        }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PostgresRows(copying: result)
        default:
            throw error(from: result, sql: sql, on: connection)
        }
    }

    private func error(from result: OpaquePointer, sql: String, on connection: OpaquePointer) -> PostgresError {
        func field(_ code: DiagnosticField) -> String? {
            guard let text = PQresultErrorField(result, code.rawValue) else { return nil }
            return String(cString: text)
        }
        let lost = PQstatus(connection) != CONNECTION_OK
        let sqlState = field(.sqlState)
        let message = field(.messagePrimary) ?? String(cString: PQresultErrorMessage(result))
        return PostgresError(
            kind: lost ? .connectionLost : (sqlState == "57014" ? .cancelled : .server),
            message: configuration.scrub(message.trimmingCharacters(in: .whitespacesAndNewlines)),
            severity: field(.severityNonLocalized) ?? field(.severity), sqlState: sqlState,
            detail: field(.messageDetail), hint: field(.messageHint),
            position: field(.statementPosition).flatMap { Int($0) }, context: field(.context),
            constraint: field(.constraintName), statement: sql)
    }

    /// A statement that failed inside a transaction opened with a plain `BEGIN` leaves it aborted;
    /// roll it back so the connection stays usable.
    private func rollBackAbortedTransaction(_ connection: OpaquePointer) {
        if PQstatus(connection) == CONNECTION_OK, PQtransactionStatus(connection) == PQTRANS_INERROR {
            try? runScript("ROLLBACK", on: connection)
        }
    }

    // MARK: LISTEN / NOTIFY

    /// Subscribes to `channel`; kept across reconnects.
    public func listen(_ channel: String) async throws {
        try await onQueue {
            let connection = try self.liveHandle()
            try self.runScript("LISTEN \(try self.quoteIdentifier(channel, on: connection))", on: connection)
            if !self.listenedChannels.contains(channel) { self.listenedChannels.append(channel) }
        }
    }

    /// Unsubscribes from `channel`.
    public func unlisten(_ channel: String) async throws {
        try await onQueue {
            let connection = try self.liveHandle()
            try self.runScript("UNLISTEN \(try self.quoteIdentifier(channel, on: connection))", on: connection)
            self.listenedChannels.removeAll { $0 == channel }
        }
    }

    /// Sends `NOTIFY channel, payload` through `pg_notify` (parameters, so any text is safe).
    public func notify(_ channel: String, payload: String = "") async throws {
        try await query("SELECT pg_notify($1, $2)", [channel, payload])
    }

    /// Waits until a notification arrives, `timeout` passes or `interruptWait()` is called, whichever is first.
    /// Blocks in `poll(2)` on the connection's socket: no polling loop, no latency beyond the kernel's.
    /// Returns the notifications received (possibly none).
    public func waitForNotifications(timeout: Duration) async throws -> [PostgresNotification] {
        try await onQueue {
            let connection = try self.liveHandle()
            var received = try self.drainNotifications(connection)
            if received.isEmpty {
                let deadline = ContinuousClock.now + timeout
                while received.isEmpty {
                    let remaining = ContinuousClock.now.duration(to: deadline)
                    guard remaining > .zero else { break }
                    let socketReady = self.wakeUp.wait(socket: PQsocket(connection), timeout: remaining)
                    received = try self.drainNotifications(connection)
                    if !socketReady { break }  // interrupted or timed out
                }
            }
            return received
        }
    }

    /// Makes a `waitForNotifications` now in progress (or the next one) return at once. Safe from any thread.
    public func interruptWait() {
        wakeUp.signal()
    }

    private func drainNotifications(_ connection: OpaquePointer) throws -> [PostgresNotification] {
        guard PQconsumeInput(connection) == 1 else {
            let reason = configuration.scrub(String(cString: PQerrorMessage(connection)))
            throw PostgresError(kind: .connectionLost, message: "lost the connection while listening: \(reason)")
        }
        var received: [PostgresNotification] = []
        while let notification = PQnotifies(connection) {
            received.append(
                PostgresNotification(
                    channel: String(cString: notification.pointee.relname),
                    payload: String(cString: notification.pointee.extra),
                    senderPID: notification.pointee.be_pid))
            PQfreemem(notification)
        }
        return received
    }

    func quoteIdentifier(_ identifier: String, on connection: OpaquePointer) throws -> String {
        guard let quoted = PQescapeIdentifier(connection, identifier, identifier.utf8.count) else {
            throw PostgresError(kind: .server, message: String(cString: PQerrorMessage(connection)))
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }
}

/// A notification received on a channel this connection listens to.
public struct PostgresNotification: Sendable, Hashable {
    public let channel: String
    public let payload: String
    public let senderPID: Int32
}

/// Statements inside `PostgresConnection.transaction`; valid only during the closure, on the connection's queue.
public struct PostgresTransaction {
    let connection: PostgresConnection
    let handle: OpaquePointer

    /// Runs one statement with parameters inside the transaction.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> PostgresRows {
        try connection.run(sql, parameters, on: handle)
    }

    /// Runs a script of statements with the simple-query protocol inside the transaction.
    public func execute(_ script: String) throws {
        try connection.runScript(script, on: handle)
    }
}

/// Passes `[String?]` to C as `const char * const *`, with NULL for nil; frees the copies afterwards.
private func withCStringArray<R>(_ texts: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = texts.map { $0.map { strdup($0) } }
    defer { copies.forEach { free($0) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}
