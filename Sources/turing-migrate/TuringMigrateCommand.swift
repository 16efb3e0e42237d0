import ArgumentParser
import Foundation
import Turing
import TuringCLI
import TuringCore
import TuringPostgres

@main
struct TuringMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "turing-migrate",
        abstract: "Applies turing's PostgreSQL migrations, safely, one runner at a time.",
        discussion: """
            Migrations are built into the binary (use --dir for another folder). History lives in schema
            turing_migrate. Each migration and its history row commit together, or not at all.

              turing-migrate up 088          apply everything up to and including 088
              turing-migrate status          see what is applied, pending, modified or missing

            Connection: --database-url, else DATABASE_URL, else libpq's PG* variables.
            Exit codes: 0 done, 1 failed, 2 usage or configuration, 3 database unreachable.
            """,
        version: TuringVersion.current,
        subcommands: [Up.self, Down.self, Status.self, Validate.self, Baseline.self, New.self])

    /// Parses, maps every error to the documented exit code with one line, and runs.
    static func main() async {
        await CommandLineTool.main(Self.self, name: "turing-migrate")
    }
}

/// Options every database command takes.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL or key=value conninfo. (env: DATABASE_URL; default: libpq's PG* variables)")
    var databaseURL: String?

    @Option(help: "Read migrations from this folder instead of the ones built into the binary.")
    var dir: String?

    @Option(help: "lock_timeout inside each migration, e.g. 5s or 500ms; a timeout is retried 3 times. (default: 5s)")
    var lockTimeout: String = "5s"

    @Option(help: "How long to wait for another turing-migrate holding the migration lock. (default: 60s)")
    var lockWait: String = "60s"

    func runner(dryRun: Bool = false) throws -> MigrationRunner {
        guard let lockTimeoutSeconds = DurationText.seconds(lockTimeout), lockTimeoutSeconds > 0 else {
            throw ConfigurationError(message: "--lock-timeout must be a positive duration such as 5s or 500ms (got \"\(lockTimeout)\")")
        }
        guard let lockWaitSeconds = DurationText.seconds(lockWait), lockWaitSeconds >= 0 else {
            throw ConfigurationError(message: "--lock-wait must be a duration such as 60s (got \"\(lockWait)\")")
        }
        var options = MigrationRunner.Options()
        options.lockTimeout = .milliseconds(Int(lockTimeoutSeconds * 1000))
        options.lockWait = .milliseconds(Int(lockWaitSeconds * 1000))
        options.dryRun = dryRun
        let source = ConnectionSource.resolve(argument: databaseURL, environment: ProcessInfo.processInfo.environment)
        return MigrationRunner(
            database: .init(connectionString: source.connectionString ?? "", applicationName: "turing-migrate"),
            migrations: try MigrationSource.load(directory: dir), options: options)
    }
}

/// A version argument: `088`, `88`.
struct VersionArgument: ExpressibleByArgument {
    let version: MigrationVersion

    init?(argument: String) {
        guard let version = MigrationVersion(argument) else { return nil }
        self.version = version
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// `down`'s target: a version, or `0` to revert everything.
struct DownTargetArgument: ExpressibleByArgument {
    let version: MigrationVersion

    init?(argument: String) {
        guard let version = MigrationVersion(argument, allowingZero: true) else { return nil }
        self.version = version
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

extension TuringMigrateCommand {
    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply pending migrations in order, up to and including VERSION (all when omitted).",
            discussion: "Example: turing-migrate up 088   (088 and 88 are the same). Nothing pending: says so and exits 0.")

        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Print the plan and the exact SQL; change nothing.") var dryRun = false
        @Argument(help: "The last version to apply, e.g. 088.") var version: VersionArgument?

        func run() async throws {
            try await connection.runner(dryRun: dryRun).up(to: version?.version)
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revert applied migrations above VERSION, newest first, each with its .down.sql.",
            discussion: "Example: turing-migrate down 087   (reverts 088 and anything after it; 0 reverts everything).")

        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Print the plan and the exact SQL; change nothing.") var dryRun = false
        @Argument(help: "The version to go back to, e.g. 087; 0 reverts everything.") var version: DownTargetArgument

        func run() async throws {
            try await connection.runner(dryRun: dryRun).down(to: version.version)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each version: applied, pending, modified (file changed since applied) or missing (file gone).",
            discussion: "Example: turing-migrate status --json")

        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Print a JSON array of {version, name, state, applied_at, duration_seconds}.") var json = false

        func run() async throws {
            let statuses = try await connection.runner().status()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(statuses), as: UTF8.self))
                return
            }
            print("version  state     applied at                 took      name")
            for status in statuses {
                let applied = status.appliedAt.map { ISO8601DateFormatter().string(from: $0) } ?? "-"
                let took = status.durationSeconds.map { String(format: "%.3fs", $0) } ?? "-"
                print(
                    "\(status.version.description.padding(toLength: 8, withPad: " ", startingAt: 0)) "
                        + "\(status.state.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) "
                        + "\(applied.padding(toLength: 26, withPad: " ", startingAt: 0)) "
                        + "\(took.padding(toLength: 9, withPad: " ", startingAt: 0)) \(status.name)")
            }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exit 1 when an applied file was modified or is missing, or a pending version sits below an applied one.",
            discussion: "Example: turing-migrate validate && turing-migrate up")

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let problems = try await connection.runner().problems()
            guard problems.isEmpty else {
                for problem in problems { FileHandle.standardError.write(Data("turing-migrate: \(problem)\n".utf8)) }
                throw ExitCode(1)
            }
            print("ok: every applied migration matches its file")
        }
    }

    struct Baseline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record VERSION and every version below it as applied, without running them.",
            discussion: "Example: turing-migrate baseline 087   (for a database that already has the 087 schema).")

        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Print what would be recorded; change nothing.") var dryRun = false
        @Argument(help: "The version the database already has, e.g. 087.") var version: VersionArgument

        func run() async throws {
            try await connection.runner(dryRun: dryRun).baseline(version.version)
        }
    }

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the next numbered pair of migration files.",
            discussion: "Example: turing-migrate new add_task_tags --dir migrations   (writes 090_add_task_tags.up.sql and .down.sql)")

        @Option(help: "The folder to write into. (default: ./migrations)") var dir = "migrations"
        @Argument(help: "snake_case name, e.g. add_task_tags.") var name: String

        func run() throws {
            let existing = try MigrationSource.load(directory: dir)
            let files = try NewMigration.files(name: name, after: existing.map(\.version).max())
            for file in files {
                let path = (dir as NSString).appendingPathComponent(file.fileName)
                guard FileManager.default.createFile(atPath: path, contents: Data(file.contents.utf8)) else {
                    throw ConfigurationError(message: "\(path): cannot be written")
                }
                print("wrote \(path)")
            }
        }
    }
}
