import Testing
@testable import TuringCore

@Suite("OllamaHost")
struct OllamaHostTests {
    @Test("OLLAMA_HOST forms become base URLs as Ollama's client reads them", arguments: [
        ("127.0.0.1:11434", "http://127.0.0.1:11434"),
        ("gpu-box", "http://gpu-box:11434"),
        ("http://gpu-box", "http://gpu-box"),
        ("https://ollama.example.com/", "https://ollama.example.com"),
        ("HTTP://h:80/prefix/", "http://h:80/prefix"),
        ("[::1]:11434", "http://[::1]:11434"),
        ("[::1]", "http://[::1]:11434"),
        (" localhost:8080 ", "http://localhost:8080"),
    ])
    func valid(input: String, expected: String) {
        #expect(OllamaHost.baseURL(input) == expected)
    }

    @Test("other schemes, spaces, empty hosts and bad ports are refused", arguments: ["", "ftp://h", "h :1", ":11434", "h:0", "h:99999", "h:port", "http://", "[::1"])
    func invalid(input: String) {
        #expect(OllamaHost.baseURL(input) == nil)
    }
}
