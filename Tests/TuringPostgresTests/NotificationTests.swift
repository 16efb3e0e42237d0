import Foundation
import TestSupport
import Testing
import TuringPostgres

@Suite("LISTEN/NOTIFY and lost connections")
struct NotificationTests {
    @Test("a notification from another connection wakes the waiter as it arrives")
    func notificationArrives() async throws {
        let database = try await TestPostgres.database()
        let listener = try await database.connect()
        let sender = try await database.connect()
        let channel = "odd \"channel\" name"
        try await listener.listen(channel)

        async let received = listener.waitForNotifications(timeout: .seconds(30))
        try await Task.sleep(for: .milliseconds(200))
        let sent = ContinuousClock.now
        try await sender.notify(channel, payload: "hello ✓")
        let notifications = try await received
        // Woken by the socket, not by the 30 s timeout.
        #expect(ContinuousClock.now - sent < .seconds(5))
        #expect(notifications.map(\.payload) == ["hello ✓"])
        #expect(notifications.first?.channel == channel)
    }

    @Test("a wait with nothing sent returns empty after the timeout")
    func waitTimesOut() async throws {
        let listener = try await TestPostgres.database().connect()
        try await listener.listen("quiet")
        let started = ContinuousClock.now
        let notifications = try await listener.waitForNotifications(timeout: .milliseconds(300))
        #expect(notifications.isEmpty)
        #expect(ContinuousClock.now - started >= .milliseconds(300))
    }

    @Test("interruptWait() ends a wait early")
    func waitInterrupted() async throws {
        let listener = try await TestPostgres.database().connect()
        try await listener.listen("quiet")
        async let waited = listener.waitForNotifications(timeout: .seconds(60))
        try await Task.sleep(for: .milliseconds(200))
        let interrupted = ContinuousClock.now
        listener.interruptWait()
        #expect(try await waited.isEmpty)
        #expect(ContinuousClock.now - interrupted < .seconds(30))
    }

    @Test("pg_terminate_backend: the next call reports a lost connection, then a reconnect restores LISTENs")
    func terminatedBackend() async throws {
        let database = try await TestPostgres.database()
        let connection = try await database.connect()
        let admin = try await database.connect()
        try await connection.listen("turing_tasks")
        let pid = try #require(await connection.backendPID())
        try await admin.query("SELECT pg_terminate_backend($1)", [pid])
        try await Task.sleep(for: .milliseconds(200))

        let lost = await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1") }
        #expect(lost?.kind == .connectionLost)

        try await connection.reconnect()
        let newPID = try #require(await connection.backendPID())
        #expect(newPID != pid)
        let listening = try await admin.query(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND application_name = 'turing-tests'", [newPID])
        #expect(try listening.first?.decode(0, as: Int.self) == 1)

        async let received = connection.waitForNotifications(timeout: .seconds(30))
        try await Task.sleep(for: .milliseconds(200))
        try await admin.notify("turing_tasks", payload: "after reconnect")
        #expect(try await received.map(\.payload) == ["after reconnect"])
    }

    @Test("after a lost connection the next statement reconnects by itself")
    func automaticReconnect() async throws {
        let database = try await TestPostgres.database()
        let connection = try await database.connect()
        let admin = try await database.connect()
        let pid = try #require(await connection.backendPID())
        try await admin.query("SELECT pg_terminate_backend($1)", [pid])
        try await Task.sleep(for: .milliseconds(200))
        await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1") }
        #expect(try await connection.query("SELECT 2").first?.decode(0, as: Int.self) == 2)
    }
}
