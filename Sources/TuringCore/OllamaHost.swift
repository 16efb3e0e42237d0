/// Reads `OLLAMA_HOST` / `--ollama-url` the way Ollama's own client does.
public enum OllamaHost {
    public static let defaultPort = 11434

    /// A base URL without trailing slash: "127.0.0.1:11434" → "http://127.0.0.1:11434", "gpu-box" → "http://gpu-box:11434",
    /// "https://ollama.example.com/" → "https://ollama.example.com". Nil for other schemes, spaces, an empty host or a bad port.
    public static func baseURL(_ text: String) -> String? {
        var rest = Substring(text).trimmingASCIIWhitespace()
        guard !rest.isEmpty, !rest.contains(where: \.isWhitespace) else { return nil }
        var scheme = "http"
        var hadScheme = false
        if let separator = rest.firstRange(of: "://") {
            scheme = rest[..<separator.lowerBound].lowercased()
            rest = rest[separator.upperBound...]
            hadScheme = true
        }
        guard scheme == "http" || scheme == "https" else { return nil }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        let hostPort = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(hostPort.count)

        let host: Substring
        let port: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { return nil }
            host = hostPort[...close]
            let afterHost = hostPort[hostPort.index(after: close)...]
            guard afterHost.isEmpty || afterHost.hasPrefix(":") else { return nil }
            port = afterHost.isEmpty ? nil : afterHost.dropFirst()
        } else if let colon = hostPort.firstIndex(of: ":") {
            host = hostPort[..<colon]
            port = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort
            port = nil
        }
        guard host.count > (host.hasPrefix("[") ? 2 : 0) else { return nil }
        if let port {
            guard let number = Int(port), (1...65535).contains(number), port.allSatisfy(\.isASCII) else { return nil }
        }
        let portText = port.map { ":\($0)" } ?? (hadScheme ? "" : ":\(defaultPort)")
        return "\(scheme)://\(host)\(portText)\(path)"
    }
}
