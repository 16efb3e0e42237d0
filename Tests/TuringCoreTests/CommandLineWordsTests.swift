import Testing
@testable import TuringCore

@Suite("CommandLineWords")
struct CommandLineWordsTests {
    @Test("splits like a shell without expansions", arguments: [
        ("python3 job.py", ["python3", "job.py"]),
        ("  a   b\tc ", ["a", "b", "c"]),
        (#"run 'a b' "c \"d\" \q" e\ f"#, ["run", "a b", #"c "d" \q"#, "e f"]),
        ("x '' y", ["x", "", "y"]),
        (#"'it'\''s'"#, ["it's"]),
        ("", []),
    ])
    func splits(line: String, expected: [String]) {
        #expect(CommandLineWords.split(line) == expected)
    }

    @Test("unterminated quotes and a trailing backslash are refused", arguments: ["'a", #""a"#, #"a\"#, #""a\"#])
    func refuses(line: String) {
        #expect(CommandLineWords.split(line) == nil)
    }
}
