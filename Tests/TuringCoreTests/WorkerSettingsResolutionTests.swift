import Testing
@testable import TuringCore

@Suite("WorkerSettings.resolve: flags, environment and defaults")
struct WorkerSettingsResolutionTests {
    private func resolve(_ flags: WorkerFlags = WorkerFlags(), _ environment: [String: String] = [:]) throws(ConfigurationError) -> WorkerSettings {
        try WorkerSettings.resolve(flags: flags, environment: environment)
    }

    private func message(_ flags: WorkerFlags = WorkerFlags(), _ environment: [String: String] = [:]) -> String? {
        do {
            _ = try resolve(flags, environment)
            return nil
        } catch {
            return error.message
        }
    }

    @Test("with nothing given the defaults of the design apply")
    func defaults() throws {
        let settings = try resolve()
        #expect(settings == WorkerSettings(
            workers: 4, batchSize: 50, maxTasks: nil, workflowID: nil, leaseSeconds: 30, handler: .ollama, workerID: nil,
            exitWhenIdle: false, sequential: false, simulateMilliseconds: nil, execCommand: nil,
            ollamaURL: "http://127.0.0.1:11434", progressIntervalSeconds: 10, shutdownGraceSeconds: 30
        ))
        #expect(settings.leaseRenewalIntervalSeconds == 10)
    }

    @Test("environment variables apply when flags are absent")
    func environment() throws {
        let settings = try resolve(WorkerFlags(), [
            "TURING_PARALLEL_WORKERS": "8", "TURING_BATCH_SIZE": " 20 ", "TURING_WORKFLOW": "1124", "TURING_LEASE_SECONDS": "45",
            "TURING_HANDLER": "Simulate", "TURING_WORKER_ID": "gpu-1", "OLLAMA_HOST": "10.0.0.5:11434",
        ])
        #expect(settings.workers == 8 && settings.batchSize == 20 && settings.workflowID == 1124)
        #expect(settings.leaseSeconds == 45 && settings.shutdownGraceSeconds == 45)
        #expect(settings.handler == .simulate && settings.workerID == "gpu-1")
        #expect(settings.ollamaURL == "http://10.0.0.5:11434")
    }

    @Test("flags win over environment variables; empty variables count as unset")
    func flagsWin() throws {
        let flags = WorkerFlags(workers: 2, batchSize: 5, workflowID: 7, leaseSeconds: 12, handler: "ollama", workerID: "me", ollamaURL: "https://llm.example.com/")
        let environment = [
            "TURING_PARALLEL_WORKERS": "abc", "TURING_BATCH_SIZE": "0", "TURING_WORKFLOW": "x", "TURING_LEASE_SECONDS": "-1",
            "TURING_HANDLER": "nope", "TURING_WORKER_ID": "other", "OLLAMA_HOST": "ftp://x",
        ]
        let settings = try resolve(flags, environment)
        #expect(settings.workers == 2 && settings.batchSize == 5 && settings.workflowID == 7 && settings.leaseSeconds == 12)
        #expect(settings.handler == .ollama && settings.workerID == "me" && settings.ollamaURL == "https://llm.example.com")
        #expect(try resolve(WorkerFlags(), ["TURING_PARALLEL_WORKERS": "", "TURING_HANDLER": "  "]).workers == 4)
    }

    @Test("other flags pass through")
    func passThrough() throws {
        let flags = WorkerFlags(maxTasks: 7, handler: "simulate", exitWhenIdle: true, sequential: true, simulateMilliseconds: 20, progressIntervalSeconds: 2, shutdownGraceSeconds: 0)
        let settings = try resolve(flags)
        #expect(settings.maxTasks == 7 && settings.exitWhenIdle && settings.sequential)
        #expect(settings.simulateMilliseconds == 20 && settings.progressIntervalSeconds == 2 && settings.shutdownGraceSeconds == 0)
    }

    @Test("out-of-range flags name the flag and its environment variable", arguments: [
        (WorkerFlags(workers: 0), "--workers must be between 1 and 1024 (got 0; also settable as TURING_PARALLEL_WORKERS)"),
        (WorkerFlags(workers: 5000), "--workers must be between 1 and 1024 (got 5000; also settable as TURING_PARALLEL_WORKERS)"),
        (WorkerFlags(batchSize: -1), "--batch-size must be between 1 and 10000 (got -1; also settable as TURING_BATCH_SIZE)"),
        (WorkerFlags(maxTasks: 0), "--max-tasks must be at least 1 (got 0)"),
        (WorkerFlags(workflowID: 0), "--workflow must be at least 1 (got 0; also settable as TURING_WORKFLOW)"),
        (WorkerFlags(leaseSeconds: 0.5), "--lease must be between 1 and 86400 seconds (got 0.5; also settable as TURING_LEASE_SECONDS)"),
        (WorkerFlags(handler: "gpt"), #"--handler must be one of simulate, exec or ollama (got "gpt"; also settable as TURING_HANDLER)"#),
        (WorkerFlags(simulateMilliseconds: -1), "--simulate-ms must be between 0 and 86400000 (got -1)"),
        (WorkerFlags(progressIntervalSeconds: -1), "--progress-interval must be between 0 and 86400 seconds (got -1)"),
        (WorkerFlags(shutdownGraceSeconds: .infinity), "--shutdown-grace must be between 0 and 86400 seconds (got inf)"),
        (WorkerFlags(workerID: " "), "--worker-id must not be empty; omit it to use host:pid (also settable as TURING_WORKER_ID)"),
        (WorkerFlags(ollamaURL: "ftp://x"), #"--ollama-url must be an http:// or https:// URL or a host:port (got "ftp://x"; also settable as OLLAMA_HOST)"#),
    ])
    func flagErrors(flags: WorkerFlags, expected: String) {
        #expect(message(flags) == expected)
    }

    @Test("bad environment values name the variable and the flag", arguments: [
        (["TURING_PARALLEL_WORKERS": "0"], "--workers must be between 1 and 1024 (got 0 from TURING_PARALLEL_WORKERS)"),
        (["TURING_PARALLEL_WORKERS": "four"], #"TURING_PARALLEL_WORKERS must be a whole number or auto for --workers (got "four"); fix or unset it"#),
        (["TURING_BATCH_SIZE": "1e3"], #"TURING_BATCH_SIZE must be a whole number for --batch-size (got "1e3"); fix or unset it"#),
        (["TURING_WORKFLOW": "-3"], "--workflow must be at least 1 (got -3 from TURING_WORKFLOW)"),
        (["TURING_LEASE_SECONDS": "soon"], #"TURING_LEASE_SECONDS must be a number of seconds for --lease, such as 30 or 30s (got "soon"); fix or unset it"#),
        (["TURING_HANDLER": "exce"], #"--handler must be one of simulate, exec or ollama (got "exce" from TURING_HANDLER)"#),
        (["OLLAMA_HOST": "gopher://x"], #"--ollama-url must be an http:// or https:// URL or a host:port (got "gopher://x" from OLLAMA_HOST)"#),
    ])
    func environmentErrors(environment: [String: String], expected: String) {
        #expect(message(WorkerFlags(), environment) == expected)
    }

    @Test("durations in TURING_LEASE_SECONDS may carry a unit")
    func leaseWithUnit() throws {
        #expect(try resolve(WorkerFlags(), ["TURING_LEASE_SECONDS": "2m"]).leaseSeconds == 120)
    }

    @Test("the exec handler needs a command; --exec alone selects it")
    func execHandler() throws {
        #expect(message(WorkerFlags(handler: "exec")) == "--handler exec needs a command: add --exec 'CMD ARG…' (it gets each task as JSON on stdin)")
        #expect(message(WorkerFlags(execCommandLine: "")) == "--exec needs a command, e.g. --exec 'python3 job.py'")
        #expect(message(WorkerFlags(execCommand: [])) == "--exec needs a command, e.g. --exec 'python3 job.py'")
        #expect(message(WorkerFlags(execCommandLine: "python3 'job.py")) == #"--exec has an unterminated quote or trailing backslash (got "python3 'job.py"); close the quote"#)
        #expect(message(WorkerFlags(handler: "simulate", execCommand: ["cat"])) == "--exec only works with --handler exec (the handler is simulate); drop one of them")

        let implied = try resolve(WorkerFlags(execCommandLine: #"python3 job.py --model "llama 3""#), ["TURING_HANDLER": "ollama"])
        #expect(implied.handler == .exec)
        #expect(implied.execCommand == ["python3", "job.py", "--model", "llama 3"])
        #expect(try resolve(WorkerFlags(handler: "EXEC", execCommand: ["cat", "-"])).execCommand == ["cat", "-"])
    }

    @Test("WorkerFlags.resolve is the same as WorkerSettings.resolve")
    func flagsResolve() throws {
        let flags = WorkerFlags(workers: 3)
        #expect(try WorkerFlags.resolve(flags: flags, environment: [:]) == (try resolve(flags)))
    }

    @Test("every error is one line")
    func oneLine() {
        let messages = [message(WorkerFlags(workers: 0)), message(WorkerFlags(), ["TURING_BATCH_SIZE": "a\nb"]), message(WorkerFlags(handler: "x\ny"))]
        #expect(messages.allSatisfy { $0 != nil && !$0!.contains("\n") })
    }
}
