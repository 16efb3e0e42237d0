import Foundation

/// The `ollama` handler: Ollama's `POST /api/chat`, non-streaming, one chat or a conversation between actors.
///
/// **One chat** — payload `{"model": m, "messages": [...], "options"?: {...}}` (any other `/api/chat` field,
/// such as `format` or `keep_alive`, passes through; `stream` is forced to `false`). One call. Result:
/// `{"message": <Ollama's reply message>, "model", "done_reason", "prompt_eval_count", "eval_count",
/// "total_duration_ns", "eval_duration_ns"}`.
///
/// **Conversation** — payload `{"actors": [{"name", "model", "system"?, "options"?}], "turns": N, "opening": "…",
/// "options"?: {...}}`. Turns are numbered 1…N and turn `t` is spoken by `actors[(t − 1) % actors.count]`
/// (the first actor speaks first). Each turn is one `/api/chat` call to the speaker's `model`, with the
/// speaker's `options` (else the payload's `options`), and these messages, from the speaker's point of view:
/// 1. `{"role": "system", "content": speaker.system}` — left out when `system` is absent or empty;
/// 2. `{"role": "user", "content": opening}` — left out when `opening` is empty;
/// 3. for every earlier turn, in order: the speaker's own line as `{"role": "assistant", "content": line}`,
///    any other actor's line as `{"role": "user", "content": "<name>: <line>"}`.
///
/// The reply's `message.content` becomes turn `t`'s line. Result:
/// `{"messages": [{"actor", "content", "turn"}…], "turns": [{"turn", "actor", "model", "prompt_eval_count",
/// "eval_count", "total_duration_ns", "eval_duration_ns"}…], "prompt_eval_count": Σ, "eval_count": Σ,
/// "total_duration_ns": Σ}` (counts Ollama leaves out count as 0).
///
/// **Checkpoints** — after every completed turn, `context.saveCheckpoint` receives
/// `{"completed_turns": k, "messages": […], "turns": […]}` (the first k entries of the result's arrays). A task
/// that arrives with such a checkpoint resumes at turn k + 1 and never repeats a finished turn; a checkpoint
/// that does not fit the payload (other actors, more turns) is ignored and the conversation starts over.
///
/// **Failures** (`TaskFailure`, the task is retried while attempts remain) name the URL and, in a conversation,
/// the turn: no connection (`ollama: cannot connect to …`), HTTP status ≥ 400 with Ollama's `{"error": …}`
/// text, an `{"error": …}` answer with status 200, an answer without `message.content`, no answer within
/// `requestTimeout` (`ollama: no answer within 300s …`) and a malformed payload
/// (`payload: expected {model, messages} or {actors, turns, opening}: …`). Cancelling the Swift task
/// cancels the HTTP request at once and throws `CancellationError`.
public struct OllamaHandler: TaskHandler {
    public let baseURL: URL
    public let requestTimeout: Duration
    let chatURL: URL
    let session: Session

    /// - Parameters:
    ///   - baseURL: Ollama's address, e.g. `http://127.0.0.1:11434` (a path prefix is kept).
    ///   - requestTimeout: the most one `/api/chat` call may take, from sending to the whole answer.
    public init(baseURL: URL, requestTimeout: Duration = .seconds(300)) {
        self.baseURL = baseURL
        self.requestTimeout = requestTimeout
        chatURL = baseURL.appendingPathComponent("api").appendingPathComponent("chat")
        session = Session(requestTimeout: requestTimeout)
    }

    public func run(_ task: ClaimedTask, context: TaskContext) async throws -> String {
        switch try Self.parseRequest(task.payload) {
        case .chat(let model, let body):
            return try await chat(model: model, body: body)
        case .conversation(let conversation):
            return try await converse(conversation, checkpoint: task.checkpoint, context: context)
        }
    }

    private func chat(model: String, body: [String: JSONValue]) async throws -> String {
        let answer = try await postChat(body, situation: "")
        let result: [String: JSONValue] = [
            "message": answer["message"] ?? .null,
            "model": answer["model"] ?? .string(model),
            "done_reason": answer["done_reason"] ?? .null,
            "prompt_eval_count": .int(answer["prompt_eval_count"]?.int64 ?? 0),
            "eval_count": .int(answer["eval_count"]?.int64 ?? 0),
            "total_duration_ns": .int(answer["total_duration"]?.int64 ?? 0),
            "eval_duration_ns": .int(answer["eval_duration"]?.int64 ?? 0),
        ]
        return JSONValue.text(JSONValue.object(result))
    }

    private func converse(_ conversation: Conversation, checkpoint: String?, context: TaskContext) async throws -> String {
        let resumed = Checkpoint.resuming(checkpoint, for: conversation)
        var lines = resumed?.messages ?? []
        var stats = resumed?.turns ?? []
        let firstTurn = lines.count + 1
        if firstTurn <= conversation.turns {
            for turn in firstTurn...conversation.turns {
                try Task.checkCancellation()
                let speaker = conversation.actorIndex(ofTurn: turn)
                let actor = conversation.actors[speaker]
                var body: [String: JSONValue] = [
                    "model": .string(actor.model),
                    "messages": .array(Self.messages(for: speaker, in: conversation, after: lines)),
                    "stream": .bool(false),
                ]
                if let options = actor.options, options != .null { body["options"] = options }
                let situation = " (turn \(turn) of \(conversation.turns), actor \(actor.name))"
                let answer = try await postChat(body, situation: situation)
                lines.append(Line(actor: actor.name, content: answer["message"]?["content"]?.string ?? "", turn: turn))
                stats.append(TurnStats(
                    turn: turn, actor: actor.name, model: answer["model"]?.string ?? actor.model,
                    promptEvalCount: answer["prompt_eval_count"]?.int64 ?? 0,
                    evalCount: answer["eval_count"]?.int64 ?? 0,
                    totalDurationNs: answer["total_duration"]?.int64 ?? 0,
                    evalDurationNs: answer["eval_duration"]?.int64 ?? 0
                ))
                try await context.saveCheckpoint(JSONValue.text(Checkpoint(completedTurns: turn, messages: lines, turns: stats)))
            }
        }
        return JSONValue.text(ConversationResult(messages: lines, turns: stats))
    }

    /// The messages sent for a turn of actor `speaker`, given the lines spoken so far (the rule in the type's doc).
    static func messages(for speaker: Int, in conversation: Conversation, after lines: [Line]) -> [JSONValue] {
        func message(_ role: String, _ content: String) -> JSONValue {
            .object(["role": .string(role), "content": .string(content)])
        }
        var messages: [JSONValue] = []
        let actor = conversation.actors[speaker]
        if !actor.system.isEmpty { messages.append(message("system", actor.system)) }
        if !conversation.opening.isEmpty { messages.append(message("user", conversation.opening)) }
        for line in lines {
            if conversation.actorIndex(ofTurn: line.turn) == speaker {
                messages.append(message("assistant", line.content))
            } else {
                messages.append(message("user", "\(line.actor): \(line.content)"))
            }
        }
        return messages
    }
}
