import Foundation
import Logging
import TuringCore
import TuringPostgres

/// Samples the GPUs with `nvidia-smi` every few seconds and records them with `turing.record_gpu_samples`
/// (migration 091), for `turing.gpu_utilization`.
///
/// Without `nvidia-smi` on `PATH` it records that once, logs one debug line and stops. Without migration 091 it
/// stops too (one debug line). `nvidia-smi` runs as a child process with a timeout, spawned and waited for on a
/// thread of its own (the `exec` handler's `ChildProcess`), never on Swift's cooperative pool; cancelling the
/// sampler kills a running query. Database errors skip a round: the worker's loop reports outages itself.
struct GPUSampler: Sendable {
    let store: TaskStore
    let workerID: String
    let logger: Logger
    var interval: Duration = .seconds(5)
    var timeout: Duration = .seconds(4)
    var searchPath: String? = ProcessInfo.processInfo.environment["PATH"]

    func run() async {
        guard let executable = Self.locate(NvidiaSMI.program, searchPath: searchPath) else {
            logger.debug("GPU samples off: \(NvidiaSMI.notFound)")
            _ = await record([], unavailable: NvidiaSMI.notFound)
            return
        }
        var lastProblem: String?? = .none  // nothing reported yet
        while !Task.isCancelled {
            let samples: [GPUSample]
            let problem: String?
            switch await sample(executable) {
            case .success(let found):
                samples = found
                problem = found.isEmpty ? "nvidia-smi reported no GPU" : nil
            case .failure(let failure):
                samples = []
                problem = failure.reason
            }
            if Task.isCancelled { return }
            if problem != lastProblem {
                switch (problem, lastProblem) {
                case (nil, .none): logger.debug("GPU samples: \(samples.count) GPUs every \(interval) with \(executable)")
                case (nil, _): logger.info("GPU samples: \(executable) works again")
                case (let problem?, _): logger.notice("GPU samples: \(problem)")
                }
                lastProblem = .some(problem)
            }
            guard await record(samples, unavailable: problem) else { return }
            try? await Task.sleep(for: interval)
        }
    }

    /// Records one round; false when the database has no `turing.record_gpu_samples` (stop sampling).
    private func record(_ samples: [GPUSample], unavailable: String?) async -> Bool {
        do {
            try await store.recordGPUSamples(workerID: workerID, samples: samples, unavailable: unavailable)
        } catch let error as PostgresError where error.sqlState == "42883" {  // undefined_function
            logger.debug("GPU samples off: turing.record_gpu_samples is missing (migration 091 not applied)")
            return false
        } catch {
            logger.debug("GPU samples not recorded: \(DatabaseErrorText.describe(error))")
        }
        return true
    }

    /// Runs `nvidia-smi` once.
    private func sample(_ executable: String) async -> Result<[GPUSample], TaskFailure> {
        let child: ExecHandler.ChildProcess
        do {
            child = try ExecHandler.ChildProcess.spawn([executable] + NvidiaSMI.arguments)
        } catch {
            return .failure(TaskFailure("nvidia-smi could not be started: \(error)"))
        }
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ExecHandler.ChildProcess.Outcome, Never>) in
                child.start(input: [], timeout: timeout, maxOutputBytes: 1 << 20, stderrTailBytes: 512) {
                    continuation.resume(returning: $0)
                }
            }
        } onCancel: {
            child.terminate(.cancelled)
        }
        let output = String(decoding: outcome.stdout, as: UTF8.self)
        switch outcome.termination {
        case .cancelled?: return .failure(TaskFailure("cancelled"))
        case .timeout?: return .failure(TaskFailure("nvidia-smi did not answer within \(HandlerSupport.describe(timeout))"))
        case .outputLimit?: return .failure(TaskFailure("nvidia-smi wrote more than 1 MiB"))
        case nil: break
        }
        switch outcome.status {
        case .exited(0), .unknown:
            return .success(NvidiaSMI.parse(output))
        case .exited(let code):
            // nvidia-smi explains itself on stdout ("NVIDIA-SMI has failed because it couldn't communicate with …").
            let said = ExecHandler.tail(outcome.stderrTail).isEmpty ? output : ExecHandler.tail(outcome.stderrTail)
            let line = said.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            return .failure(TaskFailure("nvidia-smi failed (exit \(code))" + (line.isEmpty ? "" : ": " + HandlerSupport.truncate(line, to: 200))))
        case .signalled(let signal):
            return .failure(TaskFailure("nvidia-smi was killed by \(ExecHandler.ChildProcess.signalName(signal))"))
        }
    }

    /// The first executable `name` in the directories of `searchPath` (an empty entry is the current directory).
    static func locate(_ name: String, searchPath: String?) -> String? {
        guard let searchPath, !searchPath.isEmpty else { return nil }
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }
}
