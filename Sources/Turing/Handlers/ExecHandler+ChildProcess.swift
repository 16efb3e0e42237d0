import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ExecHandler {
    /// One child process of the `exec` handler: spawned with `posix_spawnp` into a process group of its own,
    /// fed and drained by a dedicated thread running a `poll(2)` loop, then reaped.
    ///
    /// Signals only ever go to the group while the child is unreaped (a zombie leader still holds the group id,
    /// so the id cannot have been reused); `lock` orders signalling against reaping.
    final class ChildProcess: @unchecked Sendable {
        enum Termination: Sendable, Equatable {
            case cancelled, timeout, outputLimit
        }

        enum Status: Sendable, Equatable {
            case exited(Int32)
            case signalled(Int32)
            /// Someone else in the process reaped the child (a `waitpid(-1)` elsewhere).
            case unknown
        }

        struct Outcome: Sendable {
            var status: Status
            /// Why we stopped the child, when we did.
            var termination: Termination?
            var stdout: [UInt8]
            var stderrTail: [UInt8]
        }

        /// How long a child has between SIGTERM and SIGKILL.
        static let killGrace: UInt64 = 2_000_000_000

        let pid: pid_t
        private var stdinFD: Int32
        private var stdoutFD: Int32
        private var stderrFD: Int32

        private let lock = NSLock()
        private var termination: Termination?   // guarded by lock
        private var termSentAt: UInt64?         // guarded by lock
        private var killSent = false            // guarded by lock
        private var reaped = false              // guarded by lock

        private init(pid: pid_t, stdin: Int32, stdout: Int32, stderr: Int32) {
            self.pid = pid
            self.stdinFD = stdin
            self.stdoutFD = stdout
            self.stderrFD = stderr
        }

        // MARK: Spawning

        /// Spawns `argv` (a bare `argv[0]` is looked up on `PATH`) with pipes on 0, 1 and 2.
        static func spawn(_ argv: [String]) throws -> ChildProcess {
            var pipes: [Int32] = []
            defer { for fd in pipes where fd >= 0 { close(fd) } }
            for _ in 0..<3 {
                var pair: [Int32] = [-1, -1]
                guard makePipe(&pair) else {
                    throw TaskFailure("exec: cannot create a pipe: \(errnoText())")
                }
                pipes += pair
            }
            // pipes: [stdin read, stdin write, stdout read, stdout write, stderr read, stderr write]
            var actions = posix_spawn_file_actions_t.make()
            var attributes = posix_spawnattr_t.make()
            posix_spawn_file_actions_init(&actions)
            posix_spawnattr_init(&attributes)
            defer {
                posix_spawn_file_actions_destroy(&actions)
                posix_spawnattr_destroy(&attributes)
            }
            posix_spawn_file_actions_adddup2(&actions, pipes[0], 0)
            posix_spawn_file_actions_adddup2(&actions, pipes[3], 1)
            posix_spawn_file_actions_adddup2(&actions, pipes[5], 2)
            // Every other descriptor of ours (sockets, other children's pipes) stays out of the child.
            #if os(Linux)
            if let closeFrom = LibC.addCloseFrom {
                _ = closeFrom(&actions, 3)
            }
            let flags = Int32(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
            #else
            let flags = Int32(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_CLOEXEC_DEFAULT)
            #endif
            posix_spawnattr_setflags(&attributes, Int16(truncatingIfNeeded: flags))
            posix_spawnattr_setpgroup(&attributes, 0)
            var noSignals = sigset_t()
            sigemptyset(&noSignals)
            posix_spawnattr_setsigmask(&attributes, &noSignals)
            // The worker may ignore or catch these (SIGTERM handling, SIGPIPE ignored): the child starts clean.
            var defaults = sigset_t()
            sigemptyset(&defaults)
            for signal in [SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD] {
                sigaddset(&defaults, signal)
            }
            posix_spawnattr_setsigdefault(&attributes, &defaults)

            var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
            cArguments.append(nil)
            defer { for argument in cArguments { free(argument) } }
            var pid: pid_t = 0
            let error = posix_spawnp(&pid, argv[0], &actions, &attributes, cArguments, currentEnvironment())
            guard error == 0 else {
                throw TaskFailure("exec: cannot run \(argv[0]): \(String(cString: strerror(error)))")
            }
            for index in [0, 3, 5] {
                close(pipes[index])
                pipes[index] = -1
            }
            let child = ChildProcess(pid: pid, stdin: pipes[1], stdout: pipes[2], stderr: pipes[4])
            for index in [1, 2, 4] {
                _ = fcntl(pipes[index], F_SETFL, fcntl(pipes[index], F_GETFL) | O_NONBLOCK)
                pipes[index] = -1  // owned by the child object now
            }
            return child
        }

        private static func makePipe(_ pair: inout [Int32]) -> Bool {
            #if os(Linux)
            if let pipe2 = LibC.pipe2 {
                return pipe2(&pair, O_CLOEXEC) == 0
            }
            #endif
            guard pipe(&pair) == 0 else { return false }
            for fd in pair { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return true
        }

        // MARK: Running

        /// Starts the I/O thread: writes `input` to stdin, drains stdout (up to `maxOutputBytes`) and stderr
        /// (keeping its tail), enforces `timeout`, reaps the child, then calls `completion` once, on that thread.
        func start(
            input: [UInt8], timeout: Duration?, maxOutputBytes: Int, stderrTailBytes: Int,
            completion: @escaping @Sendable (Outcome) -> Void
        ) {
            let deadline = timeout.map { Self.now() &+ HandlerSupport.nanoseconds($0) }
            let thread = Thread {
                // A write to a pipe whose reader is gone must give EPIPE here, not kill the process.
                var pipeSignal = sigset_t()
                sigemptyset(&pipeSignal)
                sigaddset(&pipeSignal, SIGPIPE)
                pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
                completion(self.pump(input: input, deadline: deadline, maxOutputBytes: maxOutputBytes,
                                     stderrTailBytes: stderrTailBytes))
            }
            thread.name = "turing-exec-\(pid)"
            thread.start()
        }

        /// Stops the child for `reason` (the first reason given wins): SIGTERM to its group now, SIGKILL after the grace.
        func terminate(_ reason: Termination) {
            lock.lock()
            defer { lock.unlock() }
            guard termination == nil else { return }
            termination = reason
            termSentAt = Self.now()
            signalGroupLocked(SIGTERM)
        }

        private func signalGroupLocked(_ signal: Int32) {
            guard !reaped else { return }
            _ = kill(-pid, signal)
        }

        private func escalateIfDue(now: UInt64) -> UInt64? {
            lock.lock()
            defer { lock.unlock() }
            guard let sentAt = termSentAt, !killSent else { return nil }
            let due = sentAt + Self.killGrace  // `now` may predate `sentAt`: terminate() runs on other threads too
            if now >= due {
                killSent = true
                signalGroupLocked(SIGKILL)
                return nil
            }
            return due - now
        }

        /// The I/O loop. Runs on the dedicated thread; returns once the child is reaped and every pipe closed.
        private func pump(input: [UInt8], deadline: UInt64?, maxOutputBytes: Int, stderrTailBytes: Int) -> Outcome {
            var written = 0
            var stdout: [UInt8] = []
            var stderrTail: [UInt8] = []
            var exited = false
            var reapedElsewhere = false
            var idleWait: Int32 = 1
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 1)
            defer { buffer.deallocate() }

            if input.isEmpty { closeFD(&stdinFD) }
            while true {
                let now = Self.now()
                if let deadline, now >= deadline { terminate(.timeout) }
                var wait: UInt64 = 100_000_000  // check the child's exit and the deadlines at least this often
                if let untilKill = escalateIfDue(now: now) { wait = min(wait, untilKill) }
                if let deadline, deadline > now { wait = min(wait, deadline - now) }
                if lockedTermination() != nil { closeFD(&stdinFD) }

                if !exited {
                    switch checkExited() {
                    case .running: break
                    case .exited:
                        exited = true
                        lock.lock()
                        signalGroupLocked(SIGKILL)  // leftovers in the group would hold our pipes open
                        lock.unlock()
                    case .gone:
                        exited = true
                        reapedElsewhere = true
                    }
                }
                if exited && stdoutFD < 0 && stderrFD < 0 { break }

                var fds: [pollfd] = []
                if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
                if stdoutFD >= 0 { fds.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
                if stderrFD >= 0 { fds.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
                var timeoutMilliseconds = Int32(clamping: (wait + 999_999) / 1_000_000)
                if fds.isEmpty || exited {
                    // Waiting on the exit alone (pipes closed), or on leftovers dying: poll briefly, backing off.
                    timeoutMilliseconds = min(timeoutMilliseconds, idleWait)
                    idleWait = min(idleWait * 2, 100)
                }
                let ready = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
                if ready < 0 && errno != EINTR {  // cannot happen with valid descriptors; never hang on it
                    lock.lock()
                    signalGroupLocked(SIGKILL)
                    lock.unlock()
                    break
                }
                guard ready > 0 else { continue }

                for entry in fds where entry.revents != 0 {
                    if entry.fd == stdinFD {
                        if written < input.count {
                            let count = input.withUnsafeBytes { bytes in
                                write(stdinFD, bytes.baseAddress! + written, min(bytes.count - written, 65536))
                            }
                            if count > 0 {
                                written += count
                            } else if count < 0 && errno != EAGAIN && errno != EINTR {
                                closeFD(&stdinFD)  // EPIPE: the child does not read its input; fine
                            }
                        }
                        if written >= input.count || entry.revents & Int16(POLLERR | POLLHUP) != 0 {
                            closeFD(&stdinFD)
                        }
                    } else if entry.fd == stdoutFD {
                        let count = read(stdoutFD, buffer.baseAddress, buffer.count)
                        if count > 0 {
                            if stdout.count + count > maxOutputBytes {
                                terminate(.outputLimit)
                                closeFD(&stdoutFD)
                            } else {
                                stdout.append(contentsOf: buffer[0..<count])
                            }
                        } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                            closeFD(&stdoutFD)
                        }
                    } else if entry.fd == stderrFD {
                        let count = read(stderrFD, buffer.baseAddress, buffer.count)
                        if count > 0 {
                            stderrTail.append(contentsOf: buffer[0..<count])
                            if stderrTail.count > 2 * stderrTailBytes {
                                stderrTail.removeFirst(stderrTail.count - stderrTailBytes)
                            }
                        } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                            closeFD(&stderrFD)
                        }
                    }
                }
            }
            closeFD(&stdinFD)
            closeFD(&stdoutFD)
            closeFD(&stderrFD)
            let status = reapedElsewhere ? .unknown : reap()
            return Outcome(status: status, termination: lockedTermination(), stdout: stdout, stderrTail: stderrTail)
        }

        private func lockedTermination() -> Termination? {
            lock.lock()
            defer { lock.unlock() }
            return termination
        }

        private enum ExitCheck { case running, exited, gone }

        /// Whether the child has exited, without reaping it (`WNOWAIT`): it stays a zombie, its pid and group reserved.
        private func checkExited() -> ExitCheck {
            var info = siginfo_t()
            while true {
                if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 {
                    return info.childPID == 0 ? .running : .exited
                }
                if errno == EINTR { continue }
                lock.lock()
                reaped = true  // ECHILD: reaped by someone else; never signal that pid again
                lock.unlock()
                return .gone
            }
        }

        private func reap() -> Status {
            lock.lock()
            defer { lock.unlock() }
            var status: Int32 = 0
            var result: pid_t
            repeat {
                result = waitpid(pid, &status, 0)
            } while result < 0 && errno == EINTR
            reaped = true
            guard result == pid else { return .unknown }
            // The classic wait-status encoding (WIFEXITED and friends are macros Swift does not import).
            let low = status & 0x7f
            if low == 0 { return .exited((status >> 8) & 0xff) }
            return .signalled(low)
        }

        private func closeFD(_ fd: inout Int32) {
            if fd >= 0 {
                close(fd)
                fd = -1
            }
        }

        private static func now() -> UInt64 {
            DispatchTime.now().uptimeNanoseconds
        }

        static func signalName(_ signal: Int32) -> String {
            let names: [Int32: String] = [
                SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
                SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
                SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
                SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ", SIGSYS: "SIGSYS",
            ]
            return names[signal] ?? String(cString: strsignal(signal))
        }
    }
}

private func currentEnvironment() -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    #if canImport(Darwin)
    return _NSGetEnviron().pointee
    #else
    return environ
    #endif
}

private func errnoText() -> String {
    String(cString: strerror(errno))
}

extension siginfo_t {
    /// `si_pid`, a macro in C.
    fileprivate var childPID: pid_t {
        #if os(Linux)
        return _sifields._sigchld.si_pid
        #else
        return si_pid
        #endif
    }
}

#if os(Linux)
/// glibc functions Swift's Glibc module hides (they need `_GNU_SOURCE`), looked up at run time.
/// `nil` on a C library without them: descriptors then rely on `O_CLOEXEC` alone.
private enum LibC {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// `pipe2(2)`: a pipe created close-on-exec atomically, so no concurrent spawn can inherit it.
    static let pipe2: Pipe2? = symbol("pipe2", as: Pipe2.self)
    /// `posix_spawn_file_actions_addclosefrom_np` (glibc ≥ 2.34): the child closes every descriptor from 3 up.
    static let addCloseFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np", as: AddCloseFrom.self)

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, name) else { return nil }
        return unsafeBitCast(address, to: type)
    }
}

extension posix_spawn_file_actions_t {
    fileprivate static func make() -> Self { Self() }
}
extension posix_spawnattr_t {
    fileprivate static func make() -> Self { Self() }
}
#else
extension Optional where Wrapped == OpaquePointer {
    fileprivate static func make() -> Self { nil }
}
#endif
