import Foundation
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs `scripts/llm_standin.py` (a stand-in for Ollama's `/api/chat`) for one test, on 127.0.0.1 and a free port.
/// Stopped by `stop()` or, at the latest, when the last reference goes away.
final class LLMStandIn: @unchecked Sendable {
    let baseURL: URL
    let port: Int
    private let process: ChildProcess

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The repository's root, found from this file's path (symlinks resolved).
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent()  // TuringTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// - Parameter arguments: extra options, e.g. `["--fail-rate", "1"]`.
    init(delayMilliseconds: Int = 20, slots: Int = 4, arguments: [String] = []) throws {
        let script = Self.repositoryRoot.appendingPathComponent("scripts/llm_standin.py").path
        process = try ChildProcess(
            ["python3", script, "--port", "0", "--delay-ms", "\(delayMilliseconds)", "--slots", "\(slots)"] + arguments)
        // The script prints one line, {"port": N}, once it listens.
        struct PortLine: Decodable { let port: Int }
        var port: Int?
        for _ in 0..<1000 where port == nil {
            if let line = process.standardOutput.split(separator: "\n").first {
                port = try? JSONDecoder().decode(PortLine.self, from: Data(line.utf8)).port
            }
            if port == nil {
                guard process.isRunning else { break }
                usleep(10_000)
            }
        }
        guard let port else {
            process.send(SIGKILL)
            process.wait()
            throw Failure(description: "llm_standin.py did not start: \(process.standardError.suffix(500))")
        }
        self.port = port
        baseURL = URL(string: "http://127.0.0.1:\(port)")!
    }

    deinit {
        stop()
    }

    /// SIGTERM, then SIGKILL if it is still there after 5 s; reaped either way.
    func stop() {
        guard process.isRunning else { return }
        process.send(SIGTERM)
        for _ in 0..<500 {
            if !process.isRunning { return }
            usleep(10_000)
        }
        process.send(SIGKILL)
        process.wait()
    }

    /// `GET /stats`.
    func stats() async throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: try await get("stats"))
        return object as? [String: Any] ?? [:]
    }

    /// A counter from `GET /stats`, e.g. `requests`, `completed`, `hung_released`.
    func counter(_ name: String) async throws -> Int {
        try await stats()[name] as? Int ?? -1
    }

    /// `GET /requests`: the chat bodies received, in arrival order.
    func requests() async throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: try await get("requests"))
        return object as? [[String: Any]] ?? []
    }

    /// `POST /stats/reset`.
    func reset() async throws {
        var request = URLRequest(url: baseURL.appendingPathComponent("stats/reset"))
        request.httpMethod = "POST"
        _ = try await URLSession.shared.data(for: request)
    }

    private func get(_ path: String) async throws -> Data {
        try await URLSession.shared.data(from: baseURL.appendingPathComponent(path)).0
    }
}
