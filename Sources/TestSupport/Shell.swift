import Foundation

/// Runs a program to completion and captures its output; for test setup and CLI tests.
public enum Shell {
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs `arguments` (the first looked up on PATH), optionally as the `postgres` OS user (when root),
    /// with `environment` added to this process's own, and `input` on stdin.
    @discardableResult
    public static func run(
        _ arguments: [String], asPostgresUser: Bool = false, environment: [String: String] = [:], input: String? = nil
    ) throws -> Output {
        var command = arguments
        if asPostgresUser && geteuid() == 0 {
            command = ["runuser", "-u", "postgres", "--"] + command
        }
        var stdinPath: String?
        if let input {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("turing-stdin-\(UUID().uuidString.prefix(8))").path
            _ = FileManager.default.createFile(atPath: path, contents: Data(input.utf8))
            stdinPath = path
        }
        let child = try ChildProcess(command, environment: environment, stdinPath: stdinPath)
        let status = child.wait()
        let output = Output(status: status, stdout: child.standardOutput, stderr: child.standardError)
        for path in [child.outputPath, child.errorPath] + (stdinPath.map { [$0] } ?? []) {
            try? FileManager.default.removeItem(atPath: path)
        }
        return output
    }
}
