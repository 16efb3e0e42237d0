extension WorkerSettings {
    /// Combines flags, environment and defaults (flag > environment variable > default) and checks every value.
    ///
    /// Empty environment variables count as unset. `--exec` without `--handler` selects the exec handler.
    /// The shutdown grace defaults to the lease.
    public static func resolve(flags: WorkerFlags, environment: [String: String]) throws(ConfigurationError) -> WorkerSettings {
        let reader = SettingReader(environment: environment)
        var settings = WorkerSettings()
        settings.autoWorkers = flags.autoWorkers || (flags.workers == nil && reader.saysAuto(.workers))
        if !settings.autoWorkers {
            settings.workers = try reader.integer(.workers, flag: flags.workers, range: 1...1024) ?? defaultWorkers
        }
        settings.maxWorkers = try reader.integer(.maxWorkers, flag: flags.maxWorkers, range: 1...1024) ?? defaultMaxWorkers
        if flags.maxWorkers != nil && !settings.autoWorkers {
            throw ConfigurationError(message: "--max-workers only applies to --workers auto (the workers are fixed at \(settings.workers)); drop one of them")
        }
        settings.batchSize = try reader.integer(.batchSize, flag: flags.batchSize, range: 1...10_000) ?? defaultBatchSize
        settings.maxTasks = try reader.integer(.maxTasks, flag: flags.maxTasks, range: 1...Int.max)
        settings.workflowID = try reader.integer(.workflow, flag: flags.workflowID.map(Int.init), range: 1...Int.max).map(Int64.init)
        settings.leaseSeconds = try reader.seconds(.lease, flag: flags.leaseSeconds, range: 1...86_400) ?? defaultLeaseSeconds
        settings.workerID = try reader.workerID(flag: flags.workerID)
        settings.exitWhenIdle = flags.exitWhenIdle
        settings.sequential = flags.sequential
        settings.simulateMilliseconds = try reader.integer(.simulateMilliseconds, flag: flags.simulateMilliseconds, range: 0...86_400_000)
        settings.ollamaURL = try reader.ollamaURL(flag: flags.ollamaURL)
        settings.progressIntervalSeconds = try reader.seconds(.progressInterval, flag: flags.progressIntervalSeconds, range: 0...86_400)  // 0 turns progress lines off
            ?? defaultProgressIntervalSeconds
        settings.shutdownGraceSeconds = try reader.seconds(.shutdownGrace, flag: flags.shutdownGraceSeconds, range: 0...86_400)
            ?? settings.leaseSeconds
        settings.taskTimeoutSeconds = try reader.seconds(.taskTimeout, flag: flags.taskTimeoutSeconds, range: 0.001...604_800)
            ?? defaultTaskTimeoutSeconds
        settings.resource = try reader.resource(flag: flags.resource)

        let command = try reader.execCommand(arguments: flags.execCommand, line: flags.execCommandLine)
        settings.handler = try reader.handler(flag: flags.handler, execGiven: command != nil)
        switch (settings.handler, command) {
        case (.exec, nil):
            throw ConfigurationError(message: "--handler exec needs a command: add --exec 'CMD ARG…' (it gets each task as JSON on stdin)")
        case (.exec, let command?):
            settings.execCommand = command
        case (let other, _?):
            throw ConfigurationError(message: "--exec only works with --handler exec (the handler is \(other.rawValue)); drop one of them")
        case (_, nil):
            settings.execCommand = nil
        }
        return settings
    }
}

/// Reads one option at a time from its flag or environment variable, with uniform error messages.
private struct SettingReader {
    let environment: [String: String]

    private func variable(_ option: WorkerOption) -> (name: String, value: String)? {
        guard let name = option.environmentVariable, let value = environment[name],
              !Substring(value).trimmingASCIIWhitespace().isEmpty else { return nil }
        return (name, String(Substring(value).trimmingASCIIWhitespace()))
    }

    private func outOfRange(_ option: WorkerOption, _ requirement: String, got: String, fromVariable: String?) -> ConfigurationError {
        let origin = fromVariable.map { " from \($0)" } ?? option.alsoSettable
        return ConfigurationError(message: "\(option.flag) must be \(requirement) (got \(got)\(origin))")
    }

    func integer(_ option: WorkerOption, flag: Int?, range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        let value: Int
        var fromVariable: String?
        if let flag {
            value = flag
        } else if let (name, text) = variable(option) {
            guard let parsed = Int(text) else {
                let requirement = option == .workers ? "a whole number or \(WorkerSettings.autoWorkersText)" : "a whole number"
                throw ConfigurationError(message: "\(name) must be \(requirement) for \(option.flag) (got \(quoted(text))); fix or unset it")
            }
            value = parsed
            fromVariable = name
        } else {
            return nil
        }
        guard range.contains(value) else {
            let requirement = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
            throw outOfRange(option, requirement, got: "\(value)", fromVariable: fromVariable)
        }
        return value
    }

    /// True when the option's environment variable says `auto` (any case).
    func saysAuto(_ option: WorkerOption) -> Bool {
        variable(option)?.value.lowercased() == WorkerSettings.autoWorkersText
    }

    func seconds(_ option: WorkerOption, flag: Double?, range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        let value: Double
        var fromVariable: String?
        if let flag {
            value = flag
        } else if let (name, text) = variable(option) {
            guard let parsed = DurationText.seconds(text) else {
                throw ConfigurationError(message: "\(name) must be a number of seconds for \(option.flag), such as 30 or 30s (got \(quoted(text))); fix or unset it")
            }
            value = parsed
            fromVariable = name
        } else {
            return nil
        }
        guard value.isFinite, range.contains(value) else {
            let requirement = "between \(Self.number(range.lowerBound)) and \(Self.number(range.upperBound)) seconds"
            throw outOfRange(option, requirement, got: Self.number(value), fromVariable: fromVariable)
        }
        return value
    }

    func workerID(flag: String?) throws(ConfigurationError) -> String? {
        if let flag {
            guard !Substring(flag).trimmingASCIIWhitespace().isEmpty else {
                throw ConfigurationError(message: "--worker-id must not be empty; omit it to use host:pid (also settable as TURING_WORKER_ID)")
            }
            return flag
        }
        return variable(.workerID)?.value
    }

    func handler(flag: String?, execGiven: Bool) throws(ConfigurationError) -> HandlerKind {
        let text: String
        var fromVariable: String?
        if let flag {
            text = flag
        } else if execGiven {
            return .exec
        } else if let (name, value) = variable(.handler) {
            text = value
            fromVariable = name
        } else {
            return WorkerSettings.defaultHandler
        }
        if let kind = HandlerKind(rawValue: String(Substring(text).trimmingASCIIWhitespace()).lowercased()) { return kind }
        let names = HandlerKind.allCases.map(\.rawValue)
        let requirement = "one of " + names.dropLast().joined(separator: ", ") + " or " + names.last!
        throw outOfRange(.handler, requirement, got: quoted(text), fromVariable: fromVariable)
    }

    func execCommand(arguments: [String]?, line: String?) throws(ConfigurationError) -> [String]? {
        let command: [String]
        if let arguments {
            command = arguments
        } else if let line {
            guard let words = CommandLineWords.split(line) else {
                throw ConfigurationError(message: "--exec has an unterminated quote or trailing backslash (got \(quoted(line))); close the quote")
            }
            command = words
        } else {
            return nil
        }
        guard let program = command.first, !Substring(program).trimmingASCIIWhitespace().isEmpty else {
            throw ConfigurationError(message: "--exec needs a command, e.g. --exec 'python3 job.py'")
        }
        return command
    }

    func resource(flag: String?) throws(ConfigurationError) -> String? {
        if let flag {
            guard !Substring(flag).trimmingASCIIWhitespace().isEmpty else {
                throw ConfigurationError(message: "--resource must not be empty; omit it to claim without a capacity limit (also settable as TURING_RESOURCE)")
            }
            return flag
        }
        return variable(.resource)?.value
    }

    func ollamaURL(flag: String?) throws(ConfigurationError) -> String {
        let text: String
        var fromVariable: String?
        if let flag {
            text = flag
        } else if let (name, value) = variable(.ollamaURL) {
            text = value
            fromVariable = name
        } else {
            return WorkerSettings.defaultOllamaURL
        }
        guard let url = OllamaHost.baseURL(text) else {
            throw outOfRange(.ollamaURL, "an http:// or https:// URL or a host:port", got: quoted(text), fromVariable: fromVariable)
        }
        return url
    }

    /// 30 → "30", 0.5 → "0.5".
    static func number(_ value: Double) -> String {
        value.isFinite && value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
