import Foundation
import Logging
import TuringCore
import TuringPostgres

/// One run of `processPendingTasksParallel`: a single loop owns every piece of state, so there are no locks
/// around it. Running tasks, the LISTEN connection, a ticker and stop requests post into the mailbox; each turn
/// of the loop takes what was posted, starts buffered tasks in free slots, writes results (all that finished
/// since the last write, in one `complete_tasks`), renews leases when due, and tops up claims.
///
/// Connections: one for claims and leases, one for writing results (so a write overlaps the next claim), and
/// one that LISTENs, whatever the number of workers.
struct ParallelRun {
    let orchestrator: TuringOrchestrator
    let mailbox: Mailbox
    let maxTasks: Int?
    let workers: Int
    let batchSize: Int

    private var options: TuringOrchestrator.Options { orchestrator.options }
    private var logger: Logger { orchestrator.logger }

    func run() async throws -> TuringOrchestrator.RunReport {
        let started = ContinuousClock.now
        let connection = try await orchestrator.connect(role: "api")
        let results = try await orchestrator.connect(role: "results")
        let writer = ResultWriter(store: TaskStore(connection: results), logger: logger)
        let listener = try await orchestrator.connect(role: "listen")
        try await listener.listen(TaskNotifications.channel)
        let store = TaskStore(connection: connection)
        try await store.requireAPI()
        if let resource = options.resource {
            let capacity = try await store.requireResource(resource)
            logger.info("claims count against resource \(resource): at most \(capacity) tasks at once across all its workers")
        }
        try await store.registerWorker(
            id: options.workerID, host: ProcessInfo.processInfo.hostName, pid: getpid(), slots: workers)
        if let adaptive = options.adaptiveConcurrency {
            logger.info("worker \(options.workerID) started: workers auto (from \(adaptive.initial), at most \(workers)), batches of up to \(batchSize)")
        } else {
            logger.info("worker \(options.workerID) started: \(workers) slots, batches of up to \(batchSize)")
        }

        let background = [
            Task { await TaskNotifications.forward(from: listener, to: mailbox, logger: logger) },
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                    mailbox.tick()
                }
            },
            Task { await GPUSampler(store: store, workerID: options.workerID, logger: logger).run() },
        ]
        var state = LoopState(options: options, workers: workers, batchSize: batchSize, maxTasks: maxTasks)
        await loop(&state, store: store, writer: writer)
        background.forEach { $0.cancel() }
        listener.interruptWait()

        await state.retryingDatabase("mark the worker stopped", logger: logger, attempts: 5) {
            try await store.stopWorker(id: options.workerID)
        }
        await connection.close()
        await results.close()
        await listener.close()
        state.report.wallTime = ContinuousClock.now - started
        options.progress?.finish(report: state.report, workers: state.limit)
        return state.report
    }

    private func loop(_ state: inout LoopState, store: TaskStore, writer: ResultWriter) async {
        var wakeUps = mailbox.wakeUps.makeAsyncIterator()
        while true {
            let posted = mailbox.take()
            state.absorb(posted.outcomes)
            for report in posted.writes { state.apply(report, logger: logger) }
            if !posted.outcomes.isEmpty && state.running.isEmpty && state.buffer.isEmpty {
                state.nextPoll = .now  // just went idle: look again at once rather than after the poll interval
            }
            if !posted.outcomes.isEmpty { state.adaptLimitIfDue(logger: logger) }
            if posted.notified { state.claimableHint = true }
            // Under a resource a claim may have come back short because its capacity was taken: a finished
            // task freed a place, so claim again now rather than at the next poll.
            if options.resource != nil, !posted.outcomes.isEmpty { state.claimableHint = true }
            startTasks(&state, store: store)
            startWriting(&state, writer: writer)
            await handleStop(posted.stop, &state, store: store)
            await renewLeasesIfDue(&state, store: store)
            await claimIfUseful(&state, store: store)
            startTasks(&state, store: store)
            await reportProgressIfDue(&state, store: store)
            if state.isFinished { break }
            _ = await wakeUps.next()
        }
    }

    // MARK: Running tasks

    private func startTasks(_ state: inout LoopState, store: TaskStore) {
        guard state.stop == .none else { return }
        defer { state.noteInFlight() }
        while state.running.count < state.limit, !state.buffer.isEmpty {
            let task = state.buffer.removeFirst()
            let handler = orchestrator.handler
            let mailbox = mailbox
            let context = TaskContext { checkpoint in
                guard try await store.checkpoint(task, state: checkpoint) else {
                    throw TaskFailure("lease lost while saving a checkpoint")
                }
            }
            state.running[task.taskID] = RunningTask(
                task: task, started: .now,
                handle: Task {
                    mailbox.post(await TaskExecution.run(task, handler: handler, context: context))
                })
        }
    }

    // MARK: Results

    /// Hands unwritten outcomes (up to `LoopState.maximumWrite`) to the writer unless a write is in flight.
    private func startWriting(_ state: inout LoopState, writer: ResultWriter) {
        guard state.beingWritten.isEmpty, !state.unwritten.isEmpty, state.databaseAvailable(at: .now) else { return }
        let batch = Array(state.unwritten.prefix(LoopState.maximumWrite))
        state.unwritten.removeFirst(batch.count)
        state.beingWritten = batch
        let mailbox = mailbox
        Task { mailbox.post(await writer.write(batch)) }
    }

    // MARK: Stopping

    private func handleStop(_ request: StopRequest, _ state: inout LoopState, store: TaskStore) async {
        if request > state.stop {
            state.stop = request
            state.graceDeadline = .now + (options.shutdownGrace ?? options.lease)
            logger.info(
                request == .immediate
                    ? "stopping now: cancelling \(state.running.count) running tasks and releasing every claim"
                    : "stopping: no new claims; \(state.running.count) running tasks may finish, \(state.buffer.count) unstarted claims released"
            )
        }
        switch state.stop {
        case .none:
            return
        case .immediate:
            // Cancel everything and hand every claim back in one call; do not wait for handlers.
            state.running.values.forEach { $0.handle.cancel() }
            let released = await state.retryingDatabase("release claims", logger: logger, attempts: 3) {
                try await store.release(workerID: options.workerID, taskIDs: nil)
            }
            state.report.released += released ?? 0
            state.running.removeAll()
            state.buffer.removeAll()
            state.interrupted.removeAll()
        case .graceful:
            if ContinuousClock.now >= state.graceDeadline {
                for (id, entry) in state.running where !entry.cancelled {
                    logger.warning("task \(id) did not finish within the shutdown grace period: cancelled and released")
                    entry.handle.cancel()
                    state.running[id]?.cancelled = true
                }
            }
            // Unstarted and interrupted claims go back at once, so other workers need not wait for their leases.
            let toRelease = state.buffer.map(\.taskID) + state.interrupted
            guard !toRelease.isEmpty else { return }
            let released = await state.retryingDatabase("release claims", logger: logger, attempts: 3) {
                try await store.release(workerID: options.workerID, taskIDs: toRelease)
            }
            state.report.released += released ?? 0
            state.buffer.removeAll()
            state.interrupted.removeAll()
        }
    }

    // MARK: Leases

    private func renewLeasesIfDue(_ state: inout LoopState, store: TaskStore) async {
        let now = ContinuousClock.now
        guard now >= state.nextRenewal, state.databaseAvailable(at: now) else { return }
        state.nextRenewal = now + options.lease / 3
        // Finished tasks keep their leases until their results are written: a slow write or an outage must not
        // let them expire and be claimed again.
        let held = state.running.values.filter { !$0.cancelled }.map(\.task) + state.buffer
            + (state.unwritten + state.beingWritten).map(\.task)
        do {
            if held.isEmpty {
                try await store.heartbeat(workerID: options.workerID)
                return
            }
            let stillHeld = try await store.renew(workerID: options.workerID, tasks: held, lease: options.lease)
            state.databaseRecovered()
            // Lost leases of finished tasks show when their write is refused; here only unfinished work stops.
            let unfinished = Set(state.running.keys).union(state.buffer.map(\.taskID))
            for task in held where !stillHeld.contains(task.taskID) && unfinished.contains(task.taskID) {
                logger.warning("task \(task.taskID): lease lost to another worker; its work is cancelled")
                state.report.leasesLost += 1
                state.buffer.removeAll { $0.taskID == task.taskID }
                if let entry = state.running[task.taskID] {
                    entry.handle.cancel()
                    state.running[task.taskID]?.cancelled = true
                    state.running[task.taskID]?.leaseLost = true
                }
            }
        } catch {
            state.databaseFailed("renew leases", error, logger: logger)
        }
    }

    // MARK: Claiming

    private func claimIfUseful(_ state: inout LoopState, store: TaskStore) async {
        let now = ContinuousClock.now
        guard state.stop == .none, state.databaseAvailable(at: now) else { return }
        let wanted = ClaimSizing.claimCount(
            freeSlots: state.limit - state.running.count, buffered: state.buffer.count, batchSize: batchSize,
            prefetch: state.prefetch, remainingAllowed: state.remainingAllowed)
        guard wanted > 0, state.claimableHint || now >= state.nextPoll else { return }
        state.claimableHint = false
        do {
            let claimStarted = ContinuousClock.now
            let claimed = try await store.claim(
                workerID: options.workerID, maxTasks: wanted, lease: options.lease, workflowID: options.workflowID,
                resource: options.resource)
            state.meanClaimSeconds.add((ContinuousClock.now - claimStarted).inSeconds)
            state.databaseRecovered()
            state.buffer += claimed
            if claimed.isEmpty && options.exitWhenIdle && state.running.isEmpty && state.buffer.isEmpty {
                // Idle here; but tasks other workers hold may come back (a crashed worker's lease expires),
                // and retries may be waiting out a backoff: only a settled workflow lets this worker go.
                state.settled = try await !store.hasUnsettledTasks(workflowID: options.workflowID)
            } else {
                state.settled = false
            }
            if claimed.count == wanted {
                state.claimableHint = true  // probably more where these came from
            } else if options.exitWhenIdle && claimed.isEmpty && !state.settled && state.running.isEmpty && state.buffer.isEmpty {
                state.nextPoll = now + min(options.pollInterval, .milliseconds(500))  // waiting for others to settle
            } else {
                state.nextPoll = now + options.pollInterval
            }
        } catch {
            state.databaseFailed("claim tasks", error, logger: logger)
        }
    }

    // MARK: Progress

    private func reportProgressIfDue(_ state: inout LoopState, store: TaskStore) async {
        guard let progress = options.progress else { return }
        let now = ContinuousClock.now
        guard now >= state.nextProgress, state.databaseAvailable(at: now) else { return }
        state.nextProgress = now + progress.interval
        if let snapshot = try? await store.progress(workflowID: options.workflowID) {
            progress.report(snapshot: snapshot, inFlight: state.running.count, finishedHere: state.report.finished)
        }
    }
}

/// A task whose handler is running.
struct RunningTask {
    let task: ClaimedTask
    let started: ContinuousClock.Instant
    let handle: Task<Void, Never>
    var cancelled = false
    var leaseLost = false
}

/// Everything the parallel loop tracks between turns.
struct LoopState {
    let options: TuringOrchestrator.Options
    let workers: Int
    let batchSize: Int
    let maxTasks: Int?
    /// Tasks to keep in flight: `workers`, or what `--workers auto` chose last (never more than `workers`).
    var limit: Int
    /// `--workers auto`; nil for a fixed number of workers.
    var adaptive: AdaptiveLimit?
    /// Claimed but not started, oldest claim first.
    var buffer: [ClaimedTask] = []
    var running: [Int64: RunningTask] = [:]
    /// Finished runs whose outcome is not yet written (kept across database outages).
    var unwritten: [TaskOutcome] = []
    /// The outcomes of the write in flight on the results connection (empty when none is).
    var beingWritten: [TaskOutcome] = []
    /// The most outcomes one write carries, however many piled up during an outage.
    static let maximumWrite = 500
    /// Cancelled tasks to hand back.
    var interrupted: [Int64] = []
    var report = TuringOrchestrator.RunReport()
    var stop = StopRequest.none
    var graceDeadline = ContinuousClock.now
    var claimableHint = true
    /// Set when a claim found nothing and no task in scope is pending or leased anywhere (`--exit-when-idle`).
    var settled = false
    var nextPoll = ContinuousClock.now
    var nextRenewal: ContinuousClock.Instant
    var nextProgress: ContinuousClock.Instant
    var databaseRetryAt = ContinuousClock.now
    var databaseFailures = 0

    init(options: TuringOrchestrator.Options, workers: Int, batchSize: Int, maxTasks: Int?) {
        self.options = options
        self.workers = workers
        self.batchSize = batchSize
        self.maxTasks = maxTasks
        adaptive = options.adaptiveConcurrency.map(AdaptiveLimit.init)
        limit = adaptive?.limit ?? workers
        nextRenewal = .now + options.lease / 3
        nextProgress = .now + (options.progress?.interval ?? .zero)
    }

    /// Recent task run times and claim round trips, for `prefetch`.
    var meanTaskSeconds = MovingAverage()
    var meanClaimSeconds = MovingAverage()

    /// Extra claims kept ready so a freed slot starts its next task without a round trip (see `ClaimSizing`).
    /// None under a resource: a claim waiting in the buffer would hold a place of the resource's capacity while
    /// nothing runs on it.
    var prefetch: Int {
        guard options.resource == nil else { return 0 }
        return ClaimSizing.prefetch(
            workers: limit, batchSize: batchSize, meanTaskSeconds: meanTaskSeconds.value,
            meanClaimSeconds: meanClaimSeconds.value)
    }

    /// Tasks this process may still claim under `--max-tasks`.
    var remainingAllowed: Int? {
        maxTasks.map { $0 - report.finished - unwritten.count - beingWritten.count - running.count - buffer.count }
    }

    var isFinished: Bool {
        let idle = running.isEmpty && unwritten.isEmpty && beingWritten.isEmpty
        if stop != .none { return idle }
        if let maxTasks, report.finished >= maxTasks { return idle && buffer.isEmpty }
        return options.exitWhenIdle && idle && buffer.isEmpty && settled && !claimableHint
    }

    mutating func absorb(_ outcomes: [TaskOutcome]) {
        for outcome in outcomes {
            guard let entry = running.removeValue(forKey: outcome.task.taskID) else { continue }
            meanTaskSeconds.add((ContinuousClock.now - entry.started).inSeconds)
            if entry.leaseLost { continue }  // another worker owns it now: write nothing
            if case .succeeded = outcome { adaptive?.recordCompletion(startedAt: entry.started) }
            if case .cancelled = outcome {
                interrupted.append(entry.task.taskID)
            } else {
                unwritten.append(outcome)
            }
        }
        noteInFlight()
    }

    /// Takes in what a write did; on a database failure the rest waits for the next write, after a backoff.
    mutating func apply(_ written: ResultWriter.Report, logger: Logger) {
        beingWritten.removeAll()
        report.succeeded += written.succeeded
        report.failed += written.failed
        report.leasesLost += written.leasesLost
        if let error = written.error {
            unwritten = written.unwritten + unwritten
            databaseFailed("write results", error, logger: logger)
        } else {
            databaseRecovered()
        }
    }

    // MARK: Database outages

    func databaseAvailable(at instant: ContinuousClock.Instant) -> Bool { instant >= databaseRetryAt }

    mutating func databaseRecovered() {
        databaseFailures = 0
    }

    /// Backs off before the next database call; tasks keep running meanwhile.
    mutating func databaseFailed(_ what: String, _ error: any Error, logger: Logger) {
        databaseFailures += 1
        let delay = RetryPolicy.databaseReconnect.delay(forAttempt: databaseFailures)
        databaseRetryAt = .now + delay
        logger.error("could not \(what) (try \(databaseFailures), again in \(delay)): \(DatabaseErrorText.describe(error))")
    }

    /// Runs a database call that must not be skipped, retrying a few times; nil when it kept failing.
    func retryingDatabase<T: Sendable>(
        _ what: String, logger: Logger, attempts: Int, _ body: () async throws -> T
    ) async -> T? {
        for attempt in 1...attempts {
            do {
                return try await body()
            } catch {
                logger.error("could not \(what) (try \(attempt) of \(attempts)): \(DatabaseErrorText.describe(error))")
                if attempt < attempts {
                    try? await Task.sleep(for: RetryPolicy.databaseReconnect.delay(forAttempt: attempt))
                }
            }
        }
        return nil
    }
}

/// An exponentially weighted moving average; nil until the first sample.
struct MovingAverage {
    private(set) var value: Double?
    let weight = 0.2

    mutating func add(_ sample: Double) {
        value = value.map { $0 + weight * (sample - $0) } ?? sample
    }
}
