import Foundation
import TestSupport
import Testing
import TuringPostgres

/// The real `turing-migrate` binary against a real PostgreSQL server (TestPostgres starts a throwaway cluster).
/// Every test gets its own database; migration folders are temporary copies of `migrations/`.
@Suite("turing-migrate CLI")
struct MigrateCLITests {
    // MARK: Applying, reverting, comparing schemas

    @Test("up twice: the second run says nothing is pending and exits 0")
    func upTwice() async throws {
        let database = try await TestPostgres.database()
        let first = try await MigrateCLI.run(["up"], database: database)
        #expect(first.status == 0, "\(first)")
        #expect(first.stdout.contains("applied 087"), "\(first)")
        #expect(first.stdout.contains("applied 088"), "\(first)")
        let second = try await MigrateCLI.run(["up"], database: database)
        #expect(second.status == 0, "\(second)")
        #expect(second.stdout.contains("nothing to apply"), "\(second)")
        #expect(!second.stdout.contains("applying"), "\(second)")
        #expect(second.stderr.isEmpty, "\(second)")
        let versions = try await MigrateDB.versions(database)
        #expect(versions == MigrateCLI.repositoryVersions)
    }

    @Test("up 087 then up 088 gives the schema of up 088; down 087 then up 088 restores it exactly")
    func stepwiseEqualsDirect() async throws {
        let stepwise = try await TestPostgres.database()
        let direct = try await TestPostgres.database()

        for version in ["087", "088"] {
            let result = try await MigrateCLI.run(["up", version], database: stepwise)
            #expect(result.status == 0, "\(result)")
        }
        let direct088 = try await MigrateCLI.run(["up", "88"], database: direct)  // 88 and 088 are the same version
        #expect(direct088.status == 0, "\(direct088)")
        #expect(try await MigrateDB.versions(stepwise) == [87, 88])
        #expect(try await MigrateDB.versions(direct) == [87, 88])

        let stepwiseSchema = try await MigrateDB.schemaDump(stepwise)
        let directSchema = try await MigrateDB.schemaDump(direct)
        #expect(stepwiseSchema.contains("CREATE FUNCTION turing.claim_tasks"), "the dump looks empty: \(stepwiseSchema.prefix(500))")
        #expect(stepwiseSchema == directSchema, "up 087 + up 088 differs from up 088:\n\(MigrateDB.difference(stepwiseSchema, directSchema))")

        // Only 087 again: the dump equals a database that never saw 088.
        let only087 = try await TestPostgres.database()
        #expect(try await MigrateCLI.run(["up", "087"], database: only087).status == 0)
        let down = try await MigrateCLI.run(["down", "087"], database: stepwise)
        #expect(down.status == 0, "\(down)")
        #expect(down.stdout.contains("reverted 088"), "\(down)")
        #expect(try await MigrateDB.versions(stepwise) == [87])
        let afterDown = try await MigrateDB.schemaDump(stepwise)
        let expected087 = try await MigrateDB.schemaDump(only087)
        #expect(afterDown == expected087, "down 087 did not restore the 087 schema:\n\(MigrateDB.difference(afterDown, expected087))")

        let again = try await MigrateCLI.run(["up", "088"], database: stepwise)
        #expect(again.status == 0, "\(again)")
        let restored = try await MigrateDB.schemaDump(stepwise)
        #expect(restored == directSchema, "down 087 + up 088 differs from up 088:\n\(MigrateDB.difference(restored, directSchema))")
    }

    // MARK: A failing migration

    @Test("a syntax error in the third statement: exit 1, file, line, SQLSTATE and message named, nothing left behind")
    func syntaxErrorInThirdStatement() async throws {
        let database = try await TestPostgres.database()
        let folder = try MigrateFolder.withMigrations(["087"])
        defer { folder.remove() }
        // Line numbers matter: the broken token `)` of statement 3 sits on line 17 of the file.
        let bad = """
            -- 088_broken: three statements, the third one broken.
            -- A semicolon inside a comment; does not end a statement.

            CREATE TABLE turing.broken_one (id int);

            CREATE FUNCTION turing.broken_two() RETURNS text
            LANGUAGE sql AS $body$
                SELECT 'a; b'::text
            $body$;

            /* a block comment; with a semicolon */
            CREATE TABLE turing.broken_three (
                id   int,
                name text,
                note text,
                size int NOT NULL DEFAULT
            );

            """
        #expect(bad.split(separator: "\n", omittingEmptySubsequences: false)[16] == ");")
        try folder.write("088_broken.up.sql", bad)
        try folder.write("088_broken.down.sql", "DROP TABLE turing.broken_one;\n")

        let result = try await MigrateCLI.run(["up", "--dir", folder.path], database: database)
        #expect(result.status == 1, "\(result)")
        let lines = MigrateCLI.lines(result.stderr)
        #expect(lines.count == 1, "expected one line on stderr: \(result.stderr)")
        let message = result.stderr
        #expect(message.contains("088_broken.up.sql"), "\(message)")
        #expect(message.contains("statement 3 of 3"), "\(message)")
        #expect(message.contains("line 17"), "\(message)")
        #expect(message.contains("42601"), "\(message)")
        #expect(message.contains("syntax error at or near \")\""), "\(message)")
        #expect(!message.contains("087_baseline"), "\(message)")

        // 087 went in (its own transaction); nothing of 088: no table, no function, no history row.
        #expect(try await MigrateDB.versions(database) == [87])
        let leftovers = try await MigrateDB.int(
            database,
            """
            SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'turing'::regnamespace AND relname LIKE 'broken%')
                 + (SELECT count(*) FROM pg_proc WHERE pronamespace = 'turing'::regnamespace AND proname LIKE 'broken%')
            """)
        #expect(leftovers == 0)
        #expect(try await MigrateDB.int(database, "SELECT count(*) FROM turing_migrate.history WHERE version = 88") == 0)
        #expect(try await MigrateDB.int(database, "SELECT count(*) FROM turing_migrate.partial_runs") == 0)
    }

    // MARK: One runner at a time

    @Test("two up processes started together: each migration applied once, both exit 0, one waited for the lock")
    func concurrentRunners() async throws {
        let database = try await TestPostgres.database()
        let folder = try MigrateFolder.withMigrations(["087", "088", "089"])
        defer { folder.remove() }
        // A slow migration keeps the first runner inside the lock long enough for the second to see it held.
        try folder.write("090_slow.up.sql", "SELECT pg_sleep(3);\nCREATE TABLE turing.slow_marker (id int);\n")
        try folder.write("090_slow.down.sql", "DROP TABLE turing.slow_marker;\n")

        let arguments = [MigrateCLI.binary, "up", "--dir", folder.path, "--database-url", database.url]
        let runners = try [ChildProcess(arguments), ChildProcess(arguments)]
        defer { for runner in runners { runner.send(SIGKILL); try? FileManager.default.removeItem(atPath: runner.outputPath); try? FileManager.default.removeItem(atPath: runner.errorPath) } }
        var statuses: [Int32] = []
        for runner in runners { statuses.append(await runner.exit()) }
        let outputs = runners.map { "stdout: \($0.standardOutput)\nstderr: \($0.standardError)" }
        #expect(statuses == [0, 0], "\(outputs)")

        let waited = runners.filter { $0.standardOutput.contains("waiting for the migration lock") }
        #expect(waited.count == 1, "exactly one runner should have waited: \(outputs)")
        if let waiter = waited.first {
            #expect(waiter.standardOutput.contains("held by backend pid"), "the waiter should say who holds the lock: \(outputs)")
            #expect(waiter.standardOutput.contains("nothing to apply"), "\(outputs)")
            #expect(!waiter.standardOutput.contains("applying"), "\(outputs)")
        }
        let appliers = runners.filter { $0.standardOutput.contains("applied 090") }
        #expect(appliers.count == 1, "\(outputs)")

        #expect(try await MigrateDB.versions(database) == [87, 88, 89, 90])
        #expect(try await MigrateDB.int(database, "SELECT count(*) FROM turing_migrate.history") == 4)
        #expect(try await MigrateDB.int(database, "SELECT count(*) FROM pg_class WHERE oid = to_regclass('turing.slow_marker')") == 1)
    }

    @Test("a lock held by another transaction: lock_timeout retried, then exit 1; the table's traffic never queued for long")
    func lockTimeout() async throws {
        let database = try await TestPostgres.database()
        #expect(try await MigrateCLI.run(["up", "087"], database: database).status == 0)

        // The application: a transaction holding a row lock on turing.tasks (so ALTER TABLE must wait for it).
        let holder = try await database.connect(applicationName: "holder")
        let bystander = try await database.connect(applicationName: "bystander")
        defer { Task { await holder.close(); await bystander.close() } }
        try await holder.execute("INSERT INTO turing.workflows (id, name) VALUES (1, 'w')")
        try await holder.execute("INSERT INTO turing.tasks (workflow_id) VALUES (1)")
        // Any statement of the application blocked longer than this fails, and the test with it.
        try await holder.execute("SET statement_timeout = '2500ms'")
        try await bystander.execute("SET statement_timeout = '2500ms'")
        try await holder.execute("BEGIN")
        try await holder.query("SELECT id FROM turing.tasks FOR UPDATE")

        let runner = try ChildProcess(
            [MigrateCLI.binary, "up", "088", "--lock-timeout", "1s", "--database-url", database.url])
        defer { runner.send(SIGKILL); try? FileManager.default.removeItem(atPath: runner.outputPath); try? FileManager.default.removeItem(atPath: runner.errorPath) }

        // While the runner tries and retries, the application keeps reading and writing the table.
        var bystanderStatements = 0
        var holderStatements = 0
        var failures: [String] = []
        let giveUp = ContinuousClock.now + .seconds(90)  // a guard against a runner that waits forever, not a timing check
        while runner.isRunning {
            if ContinuousClock.now > giveUp {
                Issue.record("turing-migrate still waits for the lock after 90 s: lock_timeout is not in effect")
                runner.send(SIGKILL)
                break
            }
            do {
                try await bystander.query("SELECT count(*) FROM turing.tasks")
                try await bystander.query("INSERT INTO turing.tasks (workflow_id) VALUES (1)")
                bystanderStatements += 2
            } catch {
                failures.append("bystander: \(error)")
            }
            do {
                try await holder.query("UPDATE turing.tasks SET error = 'still here' WHERE id = 1")
                holderStatements += 1
            } catch {
                failures.append("holder: \(error)")
                break  // the holder's transaction is gone; nothing more to learn from it
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let status = await runner.exit()
        let output = "stdout: \(runner.standardOutput)\nstderr: \(runner.standardError)"
        #expect(failures.isEmpty, "the application was blocked by the migration: \(failures)\n\(output)")
        #expect(bystanderStatements > 0 && holderStatements > 0)

        #expect(status == 1, "\(output)")
        #expect(runner.standardOutput.contains("lock_timeout") && runner.standardOutput.contains("the table is busy"), "\(output)")
        #expect(runner.standardOutput.components(separatedBy: "retrying in").count - 1 == 3, "expected 3 retries: \(output)")
        let stderrLines = MigrateCLI.lines(runner.standardError)
        #expect(stderrLines.count == 1, "\(output)")
        #expect(runner.standardError.contains("088_parallel_batch_processing.up.sql"), "\(output)")
        #expect(runner.standardError.contains("lock_timeout"), "\(output)")
        #expect(runner.standardError.contains("55P03"), "\(output)")

        // The holder's transaction survived and commits; 088 left nothing behind.
        try await holder.execute("COMMIT")
        #expect(try await MigrateDB.int(database, "SELECT count(*) FROM turing.tasks WHERE error = 'still here'") == 1)
        #expect(try await MigrateDB.versions(database) == [87])
        #expect(try await MigrateDB.int(database, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'turing.tasks'::regclass AND attname = 'lease_token'") == 0)

        // Once the lock is gone the same command goes through.
        let retry = try await MigrateCLI.run(["up", "088", "--lock-timeout", "1s"], database: database)
        #expect(retry.status == 0, "\(retry)")
        #expect(try await MigrateDB.versions(database) == [87, 88])
    }

    // MARK: Checksums: modified and missing files

    @Test("an applied file edited afterwards: validate exits 1 naming it, up refuses, status --json says modified")
    func modifiedAppliedFile() async throws {
        let database = try await TestPostgres.database()
        let folder = try MigrateFolder.withMigrations(["087", "088", "089"])
        defer { folder.remove() }
        let applied = try await MigrateCLI.run(["up", "--dir", folder.path], database: database)
        #expect(applied.status == 0, "\(applied)")

        let clean = try await MigrateCLI.run(["validate", "--dir", folder.path], database: database)
        #expect(clean.status == 0, "\(clean)")

        // Line endings alone do not count as a change.
        let original = try folder.read("088_parallel_batch_processing.up.sql")
        try folder.write("088_parallel_batch_processing.up.sql", original.replacingOccurrences(of: "\n", with: "\r\n"))
        let crlf = try await MigrateCLI.run(["validate", "--dir", folder.path], database: database)
        #expect(crlf.status == 0, "CRLF line endings should not count as a modification: \(crlf)")

        try folder.write("088_parallel_batch_processing.up.sql", original + "\nCREATE TABLE turing.sneaky (id int);\n")
        let validate = try await MigrateCLI.run(["validate", "--dir", folder.path], database: database)
        #expect(validate.status == 1, "\(validate)")
        #expect(validate.stderr.contains("088_parallel_batch_processing.up.sql"), "\(validate)")
        #expect(!validate.stderr.contains("087_baseline"), "\(validate)")

        let up = try await MigrateCLI.run(["up", "--dir", folder.path], database: database)
        #expect(up.status == 1, "\(up)")
        #expect(up.stderr.contains("088_parallel_batch_processing.up.sql"), "\(up)")
        #expect(up.stderr.contains("refusing"), "\(up)")
        #expect(try await MigrateDB.int(database, "SELECT count(*) FROM pg_class WHERE relname = 'sneaky'") == 0)

        let status = try await MigrateCLI.statusJSON(folder: folder, database: database)
        #expect(status.map(\.version) == ["087", "088", "089"])
        #expect(status.map(\.state) == ["applied", "modified", "applied"])
        #expect(status.map(\.name) == ["baseline", "parallel_batch_processing", "claim_indexes"])
        #expect(status.allSatisfy { $0.appliedAt != nil })
    }

    @Test("an applied file gone: status --json says missing, validate exits 1")
    func missingAppliedFile() async throws {
        let database = try await TestPostgres.database()
        let folder = try MigrateFolder.withMigrations(["087", "088", "089"])
        defer { folder.remove() }
        #expect(try await MigrateCLI.run(["up", "--dir", folder.path], database: database).status == 0)

        try folder.delete("089_claim_indexes.up.sql")
        try folder.delete("089_claim_indexes.down.sql")
        let status = try await MigrateCLI.statusJSON(folder: folder, database: database)
        #expect(status.map(\.version) == ["087", "088", "089"])
        #expect(status.map(\.state) == ["applied", "applied", "missing"])
        #expect(status.last?.appliedAt != nil)

        let validate = try await MigrateCLI.run(["validate", "--dir", folder.path], database: database)
        #expect(validate.status == 1, "\(validate)")
        #expect(validate.stderr.contains("089"), "\(validate)")
        #expect(validate.stderr.contains("missing"), "\(validate)")
    }

    @Test("status --json on a fresh database: every version pending, applied_at null")
    func statusPending() async throws {
        let database = try await TestPostgres.database()
        let status = try await MigrateCLI.statusJSON(folder: nil, database: database)
        #expect(status.map(\.version).compactMap { Int($0) } == MigrateCLI.repositoryVersions)
        #expect(status.allSatisfy { $0.state == "pending" && $0.appliedAt == nil })
    }

    // MARK: Baseline

    @Test("baseline 087 over a database that already has the 087 schema, then up 088")
    func baselineThenUp() async throws {
        let database = try await TestPostgres.database()
        let psql = try await MigrateCLI.runTool(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database.url, "-f", MigrateCLI.repositoryRoot + "/migrations/087_baseline.up.sql"])
        #expect(psql.status == 0, "\(psql)")
        #expect(try await MigrateDB.int(database, "SELECT count(*) FROM pg_class WHERE oid = to_regclass('turing.tasks')") == 1)

        let baseline = try await MigrateCLI.run(["baseline", "087"], database: database)
        #expect(baseline.status == 0, "\(baseline)")
        #expect(baseline.stdout.contains("baselined 087"), "\(baseline)")
        #expect(try await MigrateDB.versions(database) == [87])
        #expect(try await MigrateDB.int(database, "SELECT count(*) FROM turing_migrate.history WHERE version = 87 AND baseline") == 1)

        let up = try await MigrateCLI.run(["up", "088"], database: database)
        #expect(up.status == 0, "\(up)")
        #expect(!up.stdout.contains("087_baseline"), "087 must not run again: \(up)")
        #expect(try await MigrateDB.versions(database) == [87, 88])
        let functions = try await MigrateDB.int(
            database,
            """
            SELECT count(DISTINCT proname) FROM pg_proc WHERE pronamespace = 'turing'::regnamespace
              AND proname IN ('claim_tasks', 'renew_leases', 'complete_task', 'complete_tasks', 'fail_task',
                              'release_tasks', 'enqueue_tasks', 'requeue_failed')
            """)
        #expect(functions == 8)
        let status = try await MigrateCLI.statusJSON(folder: nil, database: database)
        #expect(status.first { $0.version == "087" }?.state == "applied")
    }

    // MARK: Dry run

    @Test("up --dry-run prints the plan and the SQL and changes nothing")
    func dryRun() async throws {
        let database = try await TestPostgres.database()
        let result = try await MigrateCLI.run(["up", "--dry-run"], database: database)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("087_baseline.up.sql"), "\(result.stdout.prefix(2000))")
        #expect(result.stdout.contains("088_parallel_batch_processing.up.sql"))
        #expect(result.stdout.contains("CREATE SCHEMA turing"))
        #expect(result.stdout.contains("CREATE FUNCTION turing.claim_tasks("))
        #expect(result.stdout.contains("CREATE INDEX CONCURRENTLY"))
        #expect(try await MigrateDB.int(database, "SELECT count(*) FROM pg_namespace WHERE nspname IN ('turing', 'turing_migrate')") == 0)

        // On a database at 087, a dry run of 088 leaves the history and the schema as they were.
        #expect(try await MigrateCLI.run(["up", "087"], database: database).status == 0)
        let before = try await MigrateDB.schemaDump(database)
        let dry088 = try await MigrateCLI.run(["up", "088", "--dry-run"], database: database)
        #expect(dry088.status == 0, "\(dry088)")
        #expect(!dry088.stdout.contains("087_baseline.up.sql"), "087 is applied already: \(dry088.stdout.prefix(1000))")
        #expect(dry088.stdout.contains("CREATE FUNCTION turing.claim_tasks("))
        #expect(try await MigrateDB.versions(database) == [87])
        #expect(try await MigrateDB.schemaDump(database) == before)
    }

    // MARK: Bad input

    @Test("bad input: one line on stderr, exit 2 (usage) or 3 (unreachable), never the password", arguments: BadInput.cases)
    func badInput(input: BadInput) async throws {
        let arguments = input.arguments
        let expected = input.expected
        let result = try await MigrateCLI.run(arguments, database: nil)
        #expect(result.status == expected, "\(arguments): \(result)")
        #expect(MigrateCLI.lines(result.stderr).count == 1, "\(arguments): one line expected on stderr: \(result.stderr)")
        #expect(result.stderr.hasPrefix("turing-migrate: "), "\(arguments): \(result.stderr)")
        #expect(!(result.stdout + result.stderr).contains("secretpw"), "\(arguments): the password was printed")
        #expect(!result.stderr.contains("Fatal error"), "\(arguments): \(result.stderr)")
    }

    @Test("an unreachable DATABASE_URL: exit 3, one line, no password")
    func unreachableEnvironment() async throws {
        let result = try await MigrateCLI.run(
            ["status"], database: nil, environment: ["DATABASE_URL": "postgres://u:secretpw@127.0.0.1:1/x"])
        #expect(result.status == 3, "\(result)")
        #expect(MigrateCLI.lines(result.stderr).count == 1, "\(result)")
        #expect(result.stderr.contains("cannot connect"), "\(result)")
        #expect(!(result.stdout + result.stderr).contains("secretpw"))
    }

    @Test("the specific bad inputs say what is wrong")
    func badInputMessages() async throws {
        let missingDir = try await MigrateCLI.run(["up", "--dir", "/nonexistent/turing-migrations"], database: nil)
        #expect(missingDir.stderr.contains("/nonexistent/turing-migrations"), "\(missingDir)")
        let banana = try await MigrateCLI.run(["up", "--lock-timeout", "banana"], database: nil)
        #expect(banana.stderr.contains("--lock-timeout"), "\(banana)")
        #expect(banana.stderr.contains("banana"), "\(banana)")
        let abc = try await MigrateCLI.run(["up", "abc"], database: nil)
        #expect(abc.stderr.contains("abc"), "\(abc)")
        let unknown = try await MigrateCLI.run(["frobnicate"], database: nil)
        #expect(unknown.stderr.contains("frobnicate"), "\(unknown)")
        let down = try await MigrateCLI.run(["down"], database: nil)
        #expect(down.stderr.lowercased().contains("version"), "\(down)")
    }

    // MARK: new, --help

    @Test("new add_things --dir writes the next numbered pair")
    func newPair() async throws {
        let folder = try MigrateFolder.withMigrations(["087", "088", "089"])
        defer { folder.remove() }
        let result = try await MigrateCLI.run(["new", "add_things", "--dir", folder.path], database: nil)
        #expect(result.status == 0, "\(result)")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names.contains("090_add_things.up.sql"), "\(names)")
        #expect(names.contains("090_add_things.down.sql"), "\(names)")
        #expect(names.count == 8, "\(names)")
        #expect(result.stdout.contains("090_add_things.up.sql"), "\(result)")

        // The next one follows it, and an empty folder starts at 001.
        let next = try await MigrateCLI.run(["new", "more_things", "--dir", folder.path], database: nil)
        #expect(next.status == 0, "\(next)")
        #expect(FileManager.default.fileExists(atPath: folder.path + "/091_more_things.up.sql"))
        let empty = try MigrateFolder.withMigrations([])
        defer { empty.remove() }
        let first = try await MigrateCLI.run(["new", "first_one", "--dir", empty.path], database: nil)
        #expect(first.status == 0, "\(first)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty.path).sorted() == ["001_first_one.down.sql", "001_first_one.up.sql"])

        // A name that is not snake_case: one line, exit 2, nothing written.
        let bad = try await MigrateCLI.run(["new", "Bad-Name", "--dir", empty.path], database: nil)
        #expect(bad.status == 2, "\(bad)")
        #expect(MigrateCLI.lines(bad.stderr).count == 1, "\(bad)")
        #expect(bad.stderr.contains("snake_case"), "\(bad)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty.path).count == 2)
    }

    @Test("--help of each subcommand has an Example: line", arguments: ["up", "down", "status", "validate", "baseline", "new"])
    func helpHasExample(subcommand: String) async throws {
        let result = try await MigrateCLI.run([subcommand, "--help"], database: nil)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.split(separator: "\n").contains { $0.contains("Example:") && $0.contains("turing-migrate \(subcommand)") }, "\(result.stdout)")
    }

    @Test("turing-migrate --help and help NAME print the help and exit 0")
    func rootHelp() async throws {
        let root = try await MigrateCLI.run(["--help"], database: nil)
        #expect(root.status == 0, "\(root)")
        for subcommand in ["up", "down", "status", "validate", "baseline", "new"] {
            #expect(root.stdout.contains(subcommand), "\(subcommand) not in \(root.stdout)")
        }
        let helpDown = try await MigrateCLI.run(["help", "down"], database: nil)
        #expect(helpDown.status == 0, "\(helpDown)")
        #expect(helpDown.stdout.contains("Example: turing-migrate down"), "\(helpDown)")
    }

    @Test("down 0 reverts everything, as down --help says")
    func downToZero() async throws {
        let database = try await TestPostgres.database()
        #expect(try await MigrateCLI.run(["up"], database: database).status == 0)
        let down = try await MigrateCLI.run(["down", "0"], database: database)
        #expect(down.status == 0, "\(down)")
        #expect(try await MigrateDB.versions(database) == [])
        #expect(try await MigrateDB.int(database, "SELECT count(*) FROM pg_namespace WHERE nspname = 'turing'") == 0)
        // The history schema stays, and up works again.
        #expect(try await MigrateCLI.run(["up"], database: database).status == 0)
        #expect(try await MigrateDB.versions(database) == MigrateCLI.repositoryVersions)
    }

    @Test("the binary is the one next to the test bundle")
    func binaryFound() {
        #expect(FileManager.default.isExecutableFile(atPath: MigrateCLI.binary), "\(MigrateCLI.binary)")
    }
}

// MARK: - Helpers

/// A command line that must be refused with one line and `expected` as exit status.
struct BadInput: Sendable, CustomTestStringConvertible {
    let arguments: [String]
    let expected: Int32

    var testDescription: String { arguments.joined(separator: " ") + " -> \(expected)" }

    static let unreachable = "postgres://u:secretpw@127.0.0.1:1/x"

    static let cases: [BadInput] = [
        BadInput(arguments: ["frobnicate"], expected: 2),
        BadInput(arguments: ["up", "abc"], expected: 2),
        BadInput(arguments: ["down"], expected: 2),
        BadInput(arguments: ["down", "abc", "--database-url", unreachable], expected: 2),
        BadInput(arguments: ["up", "--database-url", unreachable], expected: 3),
        BadInput(arguments: ["status", "--database-url", "postgresql://u:secretpw@127.0.0.1:1/x?connect_timeout=5"], expected: 3),
        BadInput(arguments: ["validate", "--database-url", "host=127.0.0.1 port=1 user=u password=secretpw dbname=x"], expected: 3),
        BadInput(arguments: ["up", "--dir", "/nonexistent/turing-migrations", "--database-url", unreachable], expected: 2),
        BadInput(arguments: ["up", "--lock-timeout", "banana", "--database-url", unreachable], expected: 2),
        BadInput(arguments: ["up", "--lock-timeout", "-1s"], expected: 2),
        BadInput(arguments: ["up", "--lock-wait", "soon"], expected: 2),
        BadInput(arguments: ["status", "--frobnicate"], expected: 2),
    ]
}

/// Runs the binary and other tools, off Swift's cooperative threads (`waitpid` blocks).
enum MigrateCLI {
    /// `turing-migrate`, built next to the test bundle (`.build/<triple>/debug/`).
    static let binary: String = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // On macOS the test bundle is `turingPackageTests.xctest/Contents/MacOS/…`.
        while folder.path != "/" && folder.pathComponents.contains(where: { $0.hasSuffix(".xctest") }) {
            folder.deleteLastPathComponent()
        }
        return folder.appendingPathComponent("turing-migrate").path
    }()

    /// The repository root, from this file's path (Tests/TuringTests/MigrateCLITests.swift).
    static let repositoryRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The versions in `migrations/`.
    static var repositoryVersions: [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/migrations")) ?? []
        return Set(names.filter { $0.hasSuffix(".up.sql") }.compactMap { Int($0.prefix { $0.isNumber }) }).sorted()
    }

    /// Runs `turing-migrate ARGUMENTS` with `--database-url` for `database` (when given).
    static func run(
        _ arguments: [String], database: TestDatabase?, environment: [String: String] = [:]
    ) async throws -> Shell.Output {
        let connection = database.map { ["--database-url", $0.url] } ?? []
        // An empty DATABASE_URL counts as not given: the tests never depend on the caller's environment.
        var environment = environment
        if environment["DATABASE_URL"] == nil { environment["DATABASE_URL"] = "" }
        return try await runTool([binary] + arguments + connection, environment: environment)
    }

    /// Runs any program (looked up on PATH) on a thread of its own.
    static func runTool(_ arguments: [String], environment: [String: String] = [:]) async throws -> Shell.Output {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try Shell.run(arguments, environment: environment) })
            }
        }
    }

    /// The non-empty lines of `text`.
    static func lines(_ text: String) -> [Substring] {
        text.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }
    }

    struct Status {
        let version: String
        let name: String
        let state: String
        let appliedAt: String?
    }

    /// `status --json`, parsed; records an issue when it is not an array of objects with the documented keys.
    static func statusJSON(folder: MigrateFolder?, database: TestDatabase) async throws -> [Status] {
        let arguments = ["status", "--json"] + (folder.map { ["--dir", $0.path] } ?? [])
        let result = try await run(arguments, database: database)
        #expect(result.status == 0, "\(result)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let objects = try #require(parsed as? [[String: Any]], "not a JSON array of objects: \(result.stdout)")
        return try objects.map { object in
            for key in ["version", "name", "state", "applied_at"] {
                #expect(object.keys.contains(key), "\(key) missing in \(object)")
            }
            return Status(
                version: try #require(object["version"] as? String), name: try #require(object["name"] as? String),
                state: try #require(object["state"] as? String), appliedAt: object["applied_at"] as? String)
        }
    }
}

/// Queries against a test database.
enum MigrateDB {
    static func int(_ database: TestDatabase, _ sql: String) async throws -> Int {
        let connection = try await database.connect()
        defer { Task { await connection.close() } }
        return try #require(try await connection.query(sql).first).decode(0, as: Int.self)
    }

    /// The versions in `turing_migrate.history`, in order.
    static func versions(_ database: TestDatabase) async throws -> [Int] {
        let connection = try await database.connect()
        defer { Task { await connection.close() } }
        let rows = try await connection.query("SELECT version FROM turing_migrate.history ORDER BY version")
        return try rows.map { try $0.decode(0, as: Int.self) }
    }

    /// `pg_dump --schema-only --no-owner --no-privileges -n turing`, without comment lines (they name the database
    /// and the server) and without `\restrict` lines (they carry a random key). Without privileges: the role
    /// turing_worker is cluster-wide and suites running in parallel create it (sql/roles.sql) at any moment, so two
    /// databases migrated a second apart can differ in GRANTs alone (TaskAPIPrivilegeTests checks those).
    static func schemaDump(_ database: TestDatabase) async throws -> String {
        let pgDump = database.server.binDirectory.map { "\($0)/pg_dump" } ?? "pg_dump"
        let result = try await MigrateCLI.runTool([pgDump, "--schema-only", "--no-owner", "--no-privileges", "-n", "turing", "-d", database.url])
        guard result.status == 0 else { throw TestSetupError("pg_dump failed: \(result.stderr)") }
        return result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("--") && !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
            .joined(separator: "\n")
    }

    /// The first lines where two dumps differ, for failure messages.
    static func difference(_ left: String, _ right: String) -> String {
        let a = left.split(separator: "\n", omittingEmptySubsequences: false)
        let b = right.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(a.count, b.count) where (index < a.count ? a[index] : nil) != (index < b.count ? b[index] : nil) {
            let lo = max(0, index - 2)
            return "line \(index + 1):\n< \(a[lo..<min(a.count, index + 3)].joined(separator: "\n< "))\n> \(b[lo..<min(b.count, index + 3)].joined(separator: "\n> "))"
        }
        return "(no difference)"
    }
}

/// A temporary migration folder.
struct MigrateFolder {
    let path: String

    /// A new folder holding copies of the repository's migrations with these version prefixes.
    static func withMigrations(_ versions: [String]) throws -> MigrateFolder {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("turing-migrations-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let source = MigrateCLI.repositoryRoot + "/migrations"
        for name in try FileManager.default.contentsOfDirectory(atPath: source) where versions.contains(where: { name.hasPrefix($0 + "_") }) {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: path + "/" + name)
        }
        return MigrateFolder(path: path)
    }

    func write(_ name: String, _ contents: String) throws {
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path + "/" + name))
    }

    func read(_ name: String) throws -> String {
        try String(contentsOfFile: path + "/" + name, encoding: .utf8)
    }

    func delete(_ name: String) throws {
        try FileManager.default.removeItem(atPath: path + "/" + name)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
