import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with `posix_spawn`, for tests: the real binaries, PostgreSQL's tools, scripts.
///
/// Not `Foundation.Process`: on Linux, a `Process` launched from a Swift concurrency thread inherits that
/// thread's blocked signals (so SIGTERM never reaches it) and its `waitUntilExit` can miss the exit.
/// Here the child starts with an empty signal mask, its output goes to files (no pipe to fill up or to be
/// held open by a daemon it leaves behind), and `wait` is a plain `waitpid`.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let outputPath: String
    public let errorPath: String
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `arguments` (the first looked up on PATH) with `environment` added to this process's own.
    public init(
        _ arguments: [String], environment: [String: String] = [:], stdinPath: String? = nil,
        outputPath: String? = nil, errorPath: String? = nil
    ) throws {
        let folder = FileManager.default.temporaryDirectory.path
        let stem = "turing-child-\(UUID().uuidString.prefix(8))"
        self.outputPath = outputPath ?? "\(folder)/\(stem).out"
        self.errorPath = errorPath ?? "\(folder)/\(stem).err"

        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, self.outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, self.errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // Nothing else is inherited: a long-lived child holding a copy of some test's socket would keep that
        // connection open after the test closed it.
        _ = closeFrom?(&actions, 3)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let cArguments = arguments.map { strdup($0) } + [nil]
        let cEnvironment = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid: pid_t = 0
        let error = posix_spawnp(&pid, arguments[0], &actions, &attributes, cArguments, cEnvironment)
        guard error == 0 else {
            throw TestSetupError("cannot start \(arguments[0]): \(String(cString: strerror(error)))")
        }
        self.pid = pid
    }

    /// Sends `signal` (SIGTERM, SIGKILL, …) unless the process already exited.
    public func send(_ signal: Int32) {
        lock.withLock {
            if exitStatus == nil { _ = kill(pid, signal) }
        }
    }

    /// Waits for the exit (blocking this thread) and returns the exit code, or 128 + signal.
    @discardableResult
    public func wait() -> Int32 {
        if let exitStatus = lock.withLock({ exitStatus }) { return exitStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        lock.withLock { exitStatus = code }
        return code
    }

    /// Waits without blocking a Swift concurrency thread.
    public func exit() async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.wait()) }
        }
    }

    /// True while the process runs.
    public var isRunning: Bool {
        lock.withLock {
            guard exitStatus == nil else { return false }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                return false
            }
            return true
        }
    }

    public var standardOutput: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    public var standardError: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }
}

/// `posix_spawn_file_actions_addclosefrom_np` (glibc ≥ 2.34), which Swift's Glibc module does not export.
private let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np") else {
        return nil
    }
    return unsafeBitCast(address, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()
