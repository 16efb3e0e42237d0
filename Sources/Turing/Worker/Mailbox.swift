import Foundation

/// How a task's run ended, as the engine learns it.
enum TaskOutcome: Sendable {
    case succeeded(ClaimedTask, result: String)
    case failed(ClaimedTask, reason: String)
    /// Stopped because the lease was lost or the worker is shutting down at once; nothing is written.
    case cancelled(ClaimedTask)

    var task: ClaimedTask {
        switch self {
        case .succeeded(let task, _), .failed(let task, _), .cancelled(let task): task
        }
    }
}

/// How a stop was asked for: finish what runs, or drop everything now.
enum StopRequest: Int, Comparable, Sendable {
    case none = 0, graceful, immediate

    static func < (lhs: StopRequest, rhs: StopRequest) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where running tasks, the LISTEN connection, the ticker and signal handlers leave word for the engine's loop.
/// Posting never blocks; the loop takes everything at once, so results that arrive together are written together.
final class Mailbox: @unchecked Sendable {
    struct Contents {
        var outcomes: [TaskOutcome] = []
        var writes: [ResultWriter.Report] = []
        var notified = false
        var stop = StopRequest.none
    }

    private let lock = NSLock()
    private var contents = Contents()
    private var stop = StopRequest.none
    private let continuation: AsyncStream<Void>.Continuation
    /// Yields after each post (coalesced); the engine's loop is its only reader.
    let wakeUps: AsyncStream<Void>

    init() {
        (wakeUps, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func post(_ outcome: TaskOutcome) {
        lock.withLock { contents.outcomes.append(outcome) }
        continuation.yield()
    }

    /// A result write finished.
    func post(_ report: ResultWriter.Report) {
        lock.withLock { contents.writes.append(report) }
        continuation.yield()
    }

    /// New tasks may be claimable (a NOTIFY arrived).
    func notifyClaimable() {
        lock.withLock { contents.notified = true }
        continuation.yield()
    }

    /// A stop request only ever escalates: graceful, then immediate.
    func requestStop(_ request: StopRequest) {
        lock.withLock {
            stop = max(stop, request)
            contents.stop = stop
        }
        continuation.yield()
    }

    /// Re-evaluate timers.
    func tick() {
        continuation.yield()
    }

    /// Everything posted since the last call.
    func take() -> Contents {
        lock.withLock {
            let taken = contents
            contents = Contents(stop: stop)
            return taken
        }
    }
}
