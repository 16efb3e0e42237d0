import Logging
import TuringCore
import TuringPostgres

/// The `turing_tasks` channel: migration 088 notifies it, once per statement, when tasks become claimable.
enum TaskNotifications {
    static let channel = "turing_tasks"

    /// Waits on the LISTEN connection and tells the engine at once when a notification arrives; runs until
    /// cancelled. A lost connection is retried with backoff (the wrapper re-LISTENs when it reconnects);
    /// meanwhile polling keeps the worker going.
    static func forward(from listener: PostgresConnection, to mailbox: Mailbox, logger: Logger) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let received = try await listener.waitForNotifications(timeout: .seconds(5))
                failures = 0
                if !received.isEmpty { mailbox.notifyClaimable() }
            } catch {
                failures += 1
                if failures == 1 { logger.warning("LISTEN connection lost; polling until it is back: \(DatabaseErrorText.describe(error))") }
                try? await Task.sleep(for: RetryPolicy.databaseReconnect.delay(forAttempt: failures))
                if failures > 1 { mailbox.notifyClaimable() }  // something may have been missed while it was down
            }
        }
    }
}
