import Foundation

extension OllamaHandler {
    /// Any JSON value, kept as it came (integers stay integers), for payloads passed through to Ollama.
    enum JSONValue: Codable, Sendable, Equatable {
        case null
        case bool(Bool)
        case int(Int64)
        case double(Double)
        case string(String)
        case array([JSONValue])
        case object([String: JSONValue])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Int64.self) {
                self = .int(value)
            } else if let value = try? container.decode(Double.self) {
                self = .double(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else if let value = try? container.decode([JSONValue].self) {
                self = .array(value)
            } else {
                self = .object(try container.decode([String: JSONValue].self))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .bool(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            case .double(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            case .array(let value): try container.encode(value)
            case .object(let value): try container.encode(value)
            }
        }

        subscript(key: String) -> JSONValue? {
            if case .object(let object) = self { return object[key] }
            return nil
        }

        var string: String? {
            if case .string(let value) = self { return value }
            return nil
        }

        /// An integer, also from a whole `Double` (some encoders write `3.0`).
        var int64: Int64? {
            switch self {
            case .int(let value): return value
            case .double(let value) where value.rounded() == value && abs(value) < 9e18: return Int64(value)
            default: return nil
            }
        }

        static func parse(_ text: String) throws -> JSONValue {
            try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        }

        /// Compact JSON with sorted keys: stable text for results and checkpoints.
        static func text<T: Encodable>(_ value: T) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // Encoding these types cannot fail (no non-finite doubles reach here from parsed JSON).
            let data = (try? encoder.encode(value)) ?? Data("null".utf8)
            return String(decoding: data, as: UTF8.self)
        }
    }
}

extension OllamaHandler {
    /// What a task asks for: one chat, or a conversation between actors.
    enum Request: Equatable {
        /// `{"model", "messages", "options"?, …}`: sent as it is (any other Ollama field passes through), with `"stream": false`.
        case chat(model: String, body: [String: JSONValue])
        case conversation(Conversation)
    }

    struct Actor: Equatable {
        var name: String
        var model: String
        /// Empty: no system message.
        var system: String
        /// The actor's `options`, else the payload's top-level `options`, else none.
        var options: JSONValue?
    }

    struct Conversation: Equatable {
        var actors: [Actor]
        var turns: Int
        var opening: String

        /// Turns are numbered from 1; turn `t` is spoken by `actors[(t - 1) % actors.count]`.
        func actorIndex(ofTurn turn: Int) -> Int { (turn - 1) % actors.count }
    }

    static let payloadShape = "payload: expected {model, messages} or {actors, turns, opening}"

    static func parseRequest(_ text: String) throws -> Request {
        func malformed(_ detail: String) -> TaskFailure { TaskFailure("\(payloadShape): \(detail)") }
        guard let payload = try? JSONValue.parse(text), case .object(let object) = payload else {
            throw malformed("not a JSON object")
        }
        if let actorsValue = object["actors"] {
            guard case .array(let actorValues) = actorsValue, !actorValues.isEmpty else {
                throw malformed("actors must be a non-empty array")
            }
            let sharedOptions = object["options"]
            var actors: [Actor] = []
            for (index, value) in actorValues.enumerated() {
                guard let name = value["name"]?.string, !name.isEmpty else {
                    throw malformed("actors[\(index)].name must be a non-empty string")
                }
                guard let model = value["model"]?.string, !model.isEmpty else {
                    throw malformed("actors[\(index)].model must be a non-empty string")
                }
                let system = value["system"]
                guard system == nil || system == .null || system?.string != nil else {
                    throw malformed("actors[\(index)].system must be a string")
                }
                actors.append(Actor(name: name, model: model, system: system?.string ?? "",
                                    options: value["options"] ?? sharedOptions))
            }
            guard let turns = object["turns"]?.int64, turns >= 1, turns <= 100_000 else {
                throw malformed("turns must be an integer ≥ 1")
            }
            guard let opening = object["opening"]?.string else {
                throw malformed("opening must be a string")
            }
            return .conversation(Conversation(actors: actors, turns: Int(turns), opening: opening))
        }
        guard let model = object["model"]?.string, !model.isEmpty else {
            throw malformed("model must be a non-empty string")
        }
        guard case .array(let messages)? = object["messages"],
              messages.allSatisfy({ if case .object = $0 { return true } else { return false } })
        else {
            throw malformed("messages must be an array of objects")
        }
        var body = object
        body["stream"] = .bool(false)
        return .chat(model: model, body: body)
    }

    // MARK: Results and checkpoints

    /// One line of a conversation.
    struct Line: Codable, Equatable, Sendable {
        var actor: String
        var content: String
        var turn: Int
    }

    /// What Ollama reported for one call.
    struct TurnStats: Codable, Equatable, Sendable {
        var turn: Int
        var actor: String
        var model: String
        var promptEvalCount: Int64
        var evalCount: Int64
        var totalDurationNs: Int64
        var evalDurationNs: Int64

        enum CodingKeys: String, CodingKey {
            case turn, actor, model
            case promptEvalCount = "prompt_eval_count"
            case evalCount = "eval_count"
            case totalDurationNs = "total_duration_ns"
            case evalDurationNs = "eval_duration_ns"
        }
    }

    /// Saved after every turn; a retry resumes after `completedTurns`.
    struct Checkpoint: Codable, Equatable, Sendable {
        var completedTurns: Int
        var messages: [Line]
        var turns: [TurnStats]

        enum CodingKeys: String, CodingKey {
            case completedTurns = "completed_turns"
            case messages, turns
        }

        /// The checkpoint, when it fits this conversation; otherwise `nil` (the conversation starts over).
        static func resuming(_ text: String?, for conversation: Conversation) -> Checkpoint? {
            guard let text, let checkpoint = try? JSONDecoder().decode(Checkpoint.self, from: Data(text.utf8)),
                  checkpoint.completedTurns == checkpoint.messages.count,
                  checkpoint.completedTurns == checkpoint.turns.count,
                  checkpoint.completedTurns <= conversation.turns
            else { return nil }
            for (index, line) in checkpoint.messages.enumerated() {
                let turn = index + 1
                let actor = conversation.actors[conversation.actorIndex(ofTurn: turn)].name
                guard line.turn == turn, line.actor == actor, checkpoint.turns[index].turn == turn else { return nil }
            }
            return checkpoint
        }
    }

    struct ConversationResult: Encodable {
        var messages: [Line]
        var turns: [TurnStats]
        var promptEvalCount: Int64
        var evalCount: Int64
        var totalDurationNs: Int64

        init(messages: [Line], turns: [TurnStats]) {
            self.messages = messages
            self.turns = turns
            promptEvalCount = turns.reduce(0) { $0 + $1.promptEvalCount }
            evalCount = turns.reduce(0) { $0 + $1.evalCount }
            totalDurationNs = turns.reduce(0) { $0 + $1.totalDurationNs }
        }

        enum CodingKeys: String, CodingKey {
            case messages, turns
            case promptEvalCount = "prompt_eval_count"
            case evalCount = "eval_count"
            case totalDurationNs = "total_duration_ns"
        }
    }
}
