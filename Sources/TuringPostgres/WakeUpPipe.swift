import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A self-pipe that lets another thread cut short a `poll(2)` on a connection's socket.
final class WakeUpPipe: @unchecked Sendable {
    private let readEnd: Int32
    private let writeEnd: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        precondition(pipe(&fds) == 0, "pipe(2) failed: \(errno)")
        readEnd = fds[0]
        writeEnd = fds[1]
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Waits until `socket` is readable (true), or the timeout passes or `signal()` is called (false).
    func wait(socket: Int32, timeout: Duration) -> Bool {
        var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0), pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)]
        // Round up, so a wait never ends before the timeout it was given.
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let milliseconds = Int32(clamping: max(0, (nanoseconds + 999_999) / 1_000_000))
        let ready = poll(&fds, 2, milliseconds)
        if ready > 0, fds[1].revents != 0 {
            var buffer = [UInt8](repeating: 0, count: 64)
            while read(readEnd, &buffer, buffer.count) > 0 {}
            return false
        }
        return ready > 0 && fds[0].revents != 0
    }
}
