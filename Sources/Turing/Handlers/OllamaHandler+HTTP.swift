import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension OllamaHandler {
    /// Owns the handler's URLSession and invalidates it when the last copy of the handler goes away.
    final class Session: @unchecked Sendable {
        let session: URLSession

        init(requestTimeout: Duration) {
            let configuration = URLSessionConfiguration.ephemeral
            // Our own timer enforces `requestTimeout` with a clear message; these are only a backstop.
            configuration.timeoutIntervalForRequest = HandlerSupport.seconds(requestTimeout) + 5
            configuration.timeoutIntervalForResource = HandlerSupport.seconds(requestTimeout) + 5
            configuration.httpMaximumConnectionsPerHost = 1024  // the worker bounds concurrency, not the session
            configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
            configuration.urlCache = nil
            configuration.httpCookieStorage = nil
            session = URLSession(configuration: configuration)
        }

        deinit {
            session.finishTasksAndInvalidate()
        }
    }

    /// One URLSession data task, cancellable from any thread, with a deadline.
    private final class Call: @unchecked Sendable {
        private let lock = NSLock()
        private var task: URLSessionDataTask?
        private var timer: DispatchWorkItem?
        private var cancelled = false
        private(set) var timedOut: Bool {
            get { lock.withLock { timedOutValue } }
            set { lock.withLock { timedOutValue = newValue } }
        }
        private var timedOutValue = false

        func start(_ task: URLSessionDataTask, timeout: Duration) {
            let timer = DispatchWorkItem { [weak self] in
                guard let self else { return }
                self.timedOut = true
                self.cancel()
            }
            let cancelledAlready: Bool = lock.withLock {
                self.task = task
                self.timer = timer
                return cancelled
            }
            task.resume()
            if cancelledAlready {
                task.cancel()
            } else {
                DispatchQueue.global().asyncAfter(
                    deadline: .now() + .nanoseconds(Int(clamping: HandlerSupport.nanoseconds(timeout))), execute: timer)
            }
        }

        func cancel() {
            let task: URLSessionDataTask? = lock.withLock {
                cancelled = true
                return self.task
            }
            task?.cancel()
        }

        func finished() {
            let timer: DispatchWorkItem? = lock.withLock { self.timer }
            timer?.cancel()
        }
    }

    /// POSTs `body` to `/api/chat` and returns Ollama's answer object.
    /// - Parameter situation: appended to failure reasons, e.g. ` (turn 2 of 4, actor bob)`.
    func postChat(_ body: [String: JSONValue], situation: String) async throws -> JSONValue {
        try Task.checkCancellation()
        var request = URLRequest(url: chatURL)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.timeoutInterval = HandlerSupport.seconds(requestTimeout) + 5
        request.httpBody = Data(JSONValue.text(JSONValue.object(body)).utf8)

        let call = Call()
        let session = self.session.session
        let (data, status): (Data, Int)
        do {
            (data, status) = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Data, Int), any Error>) in
                    let task = session.dataTask(with: request) { data, response, error in
                        call.finished()
                        if let error {
                            continuation.resume(throwing: error)
                        } else {
                            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                            continuation.resume(returning: (data ?? Data(), status))
                        }
                    }
                    call.start(task, timeout: requestTimeout)
                }
            } onCancel: {
                call.cancel()
            }
        } catch {
            if call.timedOut {
                throw TaskFailure("ollama: no answer within \(HandlerSupport.describe(requestTimeout)) from \(chatURL.absoluteString)\(situation)")
            }
            if Task.isCancelled { throw CancellationError() }
            throw describe(error, situation: situation)
        }
        return try interpret(data: data, status: status, situation: situation)
    }

    private func describe(_ error: any Error, situation: String) -> TaskFailure {
        let url = chatURL.absoluteString
        guard let urlError = error as? URLError else {
            return TaskFailure("ollama: request to \(url) failed: \(error)\(situation)")
        }
        let text = urlError.localizedDescription
        switch urlError.code {
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet, .secureConnectionFailed:
            return TaskFailure("ollama: cannot connect to \(url): \(text)\(situation)")
        case .networkConnectionLost:
            return TaskFailure("ollama: connection to \(url) lost before an answer: \(text)\(situation)")
        case .timedOut:
            return TaskFailure("ollama: no answer within \(HandlerSupport.describe(requestTimeout)) from \(url)\(situation)")
        default:
            return TaskFailure("ollama: request to \(url) failed: \(text)\(situation)")
        }
    }

    private func interpret(data: Data, status: Int, situation: String) throws -> JSONValue {
        let url = chatURL.absoluteString
        let answer = try? JSONDecoder().decode(JSONValue.self, from: data)
        let bodyText: String = {
            let text = String(decoding: data.prefix(400), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? "(empty body)" : HandlerSupport.truncate(text, to: 200)
        }()
        if status >= 400 || status < 200 {
            let reason = answer?["error"]?.string ?? bodyText
            throw TaskFailure("ollama: HTTP \(status) from \(url): \(reason)\(situation)")
        }
        if let error = answer?["error"] {
            throw TaskFailure("ollama: error from \(url): \(error.string ?? JSONValue.text(error))\(situation)")
        }
        guard let answer, answer["message"]?["content"]?.string != nil else {
            throw TaskFailure("ollama: unexpected answer from \(url): \(bodyText)\(situation)")
        }
        return answer
    }
}
