import TestSupport
import Testing
@testable import TuringCore

@Suite("SecretRedaction")
struct SecretRedactionTests {
    @Test("passwords in URLs are hidden, everything else kept", arguments: [
        ("postgres://user:secret@host/db", "postgres://user:***@host/db"),
        ("postgresql://user:secret@host:5432/db?sslmode=require", "postgresql://user:***@host:5432/db?sslmode=require"),
        ("postgres://user:s%40cr%2Fet@host/db", "postgres://user:***@host/db"),
        ("postgres://user:p@ss/w:rd@host/db", "postgres://user:***@host/db"),
        ("postgres://user:secret@h1:5432,h2:5433/db", "postgres://user:***@h1:5432,h2:5433/db"),
        ("postgres://user@host/db?password=secret&sslmode=require", "postgres://user@host/db?password=***&sslmode=require"),
        ("postgres://host/db?sslmode=require&PASSWORD=secret", "postgres://host/db?sslmode=require&PASSWORD=***"),
        ("POSTGRES://u:secret@host", "POSTGRES://u:***@host"),
        ("http://admin:hunter2@ollama:11434", "http://admin:***@ollama:11434"),
        ("postgres://user@host/db", "postgres://user@host/db"),
        ("postgres://host:5432/db", "postgres://host:5432/db"),
        ("postgres:///db?host=/var/run/postgresql", "postgres:///db?host=/var/run/postgresql"),
    ])
    func urls(input: String, expected: String) {
        #expect(SecretRedaction.redact(input) == expected)
    }

    @Test("passwords in key=value conninfo are hidden", arguments: [
        ("host=db password=secret dbname=x", "host=db password=*** dbname=x"),
        ("password=secret", "password=***"),
        ("host=db password = 'sec ret' dbname=x", "host=db password = '***' dbname=x"),
        (#"host=db password='it\'s a \\ secret' user=u"#, "host=db password='***' user=u"),
        ("host=db\tpassword=\tsecret", "host=db\tpassword=\t***"),
        ("host=db sslpassword=keypass", "host=db sslpassword=***"),
        ("PGPASSWORD=secret psql", "PGPASSWORD=*** psql"),
        ("host=db mypassword=notakeyword", "host=db mypassword=notakeyword"),
        ("host=db user=password", "host=db user=password"),
    ])
    func conninfo(input: String, expected: String) {
        #expect(SecretRedaction.redact(input) == expected)
    }

    @Test("passwords inside longer messages are hidden too")
    func inMessages() {
        let message = #"connection to "postgres://app:topsecret@db:5432/turing" failed; tried 'host=db password=other' and host=x password="third""#
        let redacted = SecretRedaction.redact(message)
        #expect(!redacted.contains("topsecret") && !redacted.contains("other") && !redacted.contains("third"))
        #expect(redacted.contains("postgres://app:***@db:5432/turing"))
    }

    @Test("redaction is idempotent and leaves text without secrets untouched")
    func idempotent() {
        let text = "worker host:12 finished 50 tasks; émoji 😀 kept"
        #expect(SecretRedaction.redact(text) == text)
        let once = SecretRedaction.redact("postgres://u:pw@h/db password=x")
        #expect(SecretRedaction.redact(once) == once)
    }

    @Test("secrets(in:) finds the password as written and as libpq decodes it")
    func extractsSecrets() {
        #expect(SecretRedaction.secrets(in: "postgres://u:s%40cret@h/db") == ["s%40cret", "s@cret"])
        #expect(SecretRedaction.secrets(in: #"host=h password='a\'b'"#) == [#"a\'b"#, "a'b"])
        #expect(SecretRedaction.secrets(in: "host=h user=u").isEmpty)
    }

    @Test("redactAll scrubs given secrets wherever they appear, also percent-encoded")
    func redactAll() {
        let text = "server said: password authentication failed (tried hunter2 and p%40ss) at postgres://u:x@h"
        let scrubbed = SecretRedaction.redactAll(in: text, secrets: ["hunter2", "p@ss", ""])
        #expect(scrubbed == "server said: password authentication failed (tried *** and ***) at postgres://u:***@h")
    }

    @Test("a password embedded in random surroundings never survives redaction")
    func randomSurroundings() {
        var rng = SplitMix64(seed: 11)
        let noise = [" ", "host=db", "'", "\"", "?", "&", "@", ":", "/", "x", "password", "=", "\\", "://", "é", "\n"]
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        for _ in 0..<2000 {
            let secret = "S" + String((0..<Int.random(in: 8...16, using: &rng)).map { _ in letters.randomElement(using: &rng)! })
            let shapes = [
                "postgres://u:\(secret)@h/db", "postgresql://u:\(secret)@h1,h2/db?x=1", "password=\(secret)", "password = '\(secret)'",
                "postgres://h/db?sslmode=require&password=\(secret)", "PGPASSWORD=\(secret)",
            ]
            let before = (0..<Int.random(in: 0...4, using: &rng)).map { _ in noise.randomElement(using: &rng)! }.joined()
            let after = (0..<Int.random(in: 0...4, using: &rng)).map { _ in noise.randomElement(using: &rng)! }.joined()
            let message = before + " " + shapes.randomElement(using: &rng)! + after
            #expect(!SecretRedaction.redact(message).contains(secret), "leaked from \(String(reflecting: message))")
        }
    }
}
