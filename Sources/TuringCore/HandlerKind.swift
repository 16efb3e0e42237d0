/// Which handler runs the tasks of a worker.
public enum HandlerKind: String, Sendable, CaseIterable {
    /// Sleeps `payload.simulate_ms` (or `--simulate-ms`); for demos and benchmarks.
    case simulate
    /// Runs a command per task, the task JSON on stdin and the result JSON on stdout.
    case exec
    /// Talks to Ollama's `/api/chat`.
    case ollama
}
