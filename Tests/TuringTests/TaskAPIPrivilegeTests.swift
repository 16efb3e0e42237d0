import Foundation
import TestSupport
import Testing
import TuringCore
import TuringPostgres
@testable import Turing

/// Least privilege (sql/roles.sql and 088's grants) and 088's down migration.
///
/// Roles are cluster-wide and suites run in parallel against the same cluster: every login role a test creates
/// has a unique name, and `turing_worker` itself is shared (roles.sql creates it only when missing).
@Suite("088 SQL API: least privilege")
struct TaskAPIPrivilegeTests {
    typealias F = TaskAPIFixture

    /// sql/roles.sql as the wrapper can run it: psql meta-commands (`\set ON_ERROR_STOP on`) dropped.
    static func rolesScript() throws -> String {
        let text = try String(contentsOfFile: F.sqlDirectory + "/roles.sql", encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("\\") }
            .joined(separator: "\n")
    }

    static func uniqueRoleName(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Connects to `database` as `role` (the test cluster trusts local connections).
    static func connect(_ database: TestDatabase, as role: String) async throws -> PostgresConnection {
        let url = "postgresql://\(role)@\(database.server.host):\(database.server.port)/\(database.name)"
        return try await PostgresConnection.connect(.init(connectionString: url, applicationName: "turing-tests"))
    }

    /// What turing_worker may do in this database, one line per object.
    static func privileges(_ db: PostgresConnection) async throws -> [String] {
        let rows = try await db.query(
            """
            SELECT 'function ' || p.oid::regprocedure::text || ' execute=' || has_function_privilege('turing_worker', p.oid, 'EXECUTE')
            FROM pg_proc AS p WHERE p.pronamespace = 'turing'::regnamespace
            UNION ALL
            SELECT 'relation ' || c.relname || ' ' || m.mode || '=' || has_table_privilege('turing_worker', c.oid, m.mode)
            FROM pg_class AS c CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS m (mode)
            WHERE c.relnamespace = 'turing'::regnamespace AND c.relkind IN ('r', 'v', 'p')
            UNION ALL
            SELECT 'sequence ' || c.relname || '=' || has_sequence_privilege('turing_worker', c.oid, 'USAGE')
            FROM pg_class AS c WHERE c.relnamespace = 'turing'::regnamespace AND c.relkind = 'S'
            UNION ALL
            SELECT 'schema turing usage=' || has_schema_privilege('turing_worker', 'turing', 'USAGE')
                || ' create=' || has_schema_privilege('turing_worker', 'turing', 'CREATE')
            ORDER BY 1
            """)
        return try rows.map { try $0.decode(0, as: String.self) }
    }

    @Test("a login role in turing_worker can work through the API and read the views, and nothing else")
    func workerRoleIsLeastPrivileged() async throws {
        let (database, admin) = try await F.database()
        try await admin.execute(try Self.rolesScript())
        try await admin.execute(try Self.rolesScript())  // idempotent
        let role = Self.uniqueRoleName("turing_test_worker")
        try await admin.execute("CREATE ROLE \(role) LOGIN IN ROLE turing_worker")
        let workflow = try await F.workflow(admin)
        try await F.insertTasks(admin, workflow: workflow, count: 5)
        try await admin.execute(
            """
            CREATE SCHEMA app_private;
            CREATE TABLE app_private.secrets (id int, secret text);
            INSERT INTO app_private.secrets VALUES (1, 'top');
            CREATE TABLE public.customers (id int, name text);
            """)

        let worker = try await Self.connect(database, as: role)
        #expect(try await F.value(worker, "SELECT current_user", as: String.self) == role)
        #expect(try await F.value(worker, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user", as: Bool.self) == false)

        // The worker's whole cycle through TaskStore (what turing-worker runs), as the unprivileged role.
        let store = TaskStore(connection: worker)
        try await store.registerWorker(id: role, host: "test-host", pid: 4242, slots: 2)
        try await store.heartbeat(workerID: role)
        let claims = try await store.claim(workerID: role, maxTasks: 4, lease: .seconds(60), workflowID: workflow)
        #expect(claims.count == 4)
        #expect(try await store.renew(workerID: role, tasks: claims, lease: .seconds(60)) == Set(claims.map(\.taskID)))
        #expect(try await store.checkpoint(claims[0], state: #"{"half": true}"#))
        let done = try await store.complete([
            TaskStore.Completion(taskID: claims[0].taskID, leaseToken: claims[0].leaseToken, result: #"{"ok": 1}"#)
        ])
        #expect(done == [claims[0].taskID])
        #expect(try await store.fail(claims[1], error: "retry me", retryDelay: .zero) == .retrying)
        #expect(try await store.release(workerID: role, taskIDs: [claims[2].taskID]) == 1)
        let single = try await F.completeTask(
            worker, F.Claim(taskID: claims[3].taskID, workflowID: workflow, token: claims[3].leaseToken, attempt: 1, payload: "{}", checkpoint: nil),
            result: #"{"ok": 2}"#)
        #expect(single)
        let progress = try await store.progress(workflowID: workflow)
        #expect(progress.total == 5 && progress.completed == 2 && progress.pending == 3)
        #expect(try await worker.query("SELECT turing.enqueue_tasks($1, ARRAY['{}'::jsonb])", [workflow]).count == 1)
        #expect(try await F.value(worker, "SELECT turing.requeue_failed($1)", [workflow], as: Int.self) == 0)
        for view in ["workflow_progress", "worker_status", "utilization", "expired_leases"] {
            _ = try await worker.query("SELECT * FROM turing.\(view)")
        }
        #expect(try await F.value(
            worker, "SELECT running FROM turing.worker_status WHERE worker_id = $1", [role], as: Int.self) == 0)
        #expect(try await worker.query(
            "SELECT * FROM turing.utilization_between(now() - interval '1 hour', now())").count == 1)
        try await store.stopWorker(id: role)

        // Everything else is refused with 42501 (insufficient_privilege).
        let before = try await F.state(admin)
        let refused = [
            "UPDATE turing.tasks SET status = 'pending'",
            "UPDATE turing.tasks SET result = '{}' WHERE id = 1",
            "DELETE FROM turing.tasks",
            "INSERT INTO turing.tasks (workflow_id) VALUES (\(workflow))",
            "TRUNCATE turing.tasks",
            "SELECT * FROM turing.tasks",
            "SELECT * FROM turing.workers",
            "UPDATE turing.workers SET stopped_at = NULL",
            "INSERT INTO turing.workflows (name) VALUES ('mine')",
            "SELECT * FROM turing.workflows",
            "SELECT * FROM turing._claim_tasks('x', 1, interval '1 minute', NULL)",
            "CREATE TABLE turing.mine (x int)",
            "DROP VIEW turing.workflow_progress",
            "CREATE OR REPLACE FUNCTION turing.heartbeat(worker_id text) RETURNS void LANGUAGE sql AS 'SELECT'",
            "SELECT * FROM app_private.secrets",
            "SELECT * FROM public.customers",
            "SELECT * FROM turing_migrate.history",
            "DELETE FROM turing_migrate.history",
        ]
        for sql in refused { await F.expectSQLState("42501", worker, sql) }
        #expect(try await F.state(admin) == before, "a refused statement changed something")
        // The worker connection is still usable after the refusals.
        #expect(try await F.value(worker, "SELECT count(*) FROM turing.workflow_progress", as: Int.self) == 1)

        // A login role outside turing_worker cannot even call the API.
        let outsiderRole = Self.uniqueRoleName("turing_test_outsider")
        try await admin.execute("CREATE ROLE \(outsiderRole) LOGIN")
        let outsider = try await Self.connect(database, as: outsiderRole)
        await F.expectSQLState("42501", outsider, "SELECT * FROM turing.claim_tasks('x', 1, interval '1 minute')")
        await F.expectSQLState("42501", outsider, "SELECT * FROM turing.workflow_progress")

        await worker.close()
        await outsider.close()
        try await admin.execute("DROP ROLE \(role)")
        try await admin.execute("DROP ROLE \(outsiderRole)")
    }

    @Test("roles.sql grants exactly: EXECUTE on the API, SELECT on the views, no table or sequence right; 088-091 grant the same")
    func grantsAreExact() async throws {
        let (_, admin) = try await F.database()
        try await admin.execute(try Self.rolesScript())
        let granted = try await Self.privileges(admin)
        let allowed = granted.filter { $0.hasSuffix("=true") || $0.contains("=true ") }
        #expect(allowed.sorted() == [
            "function turing.checkpoint_task(bigint,uuid,jsonb) execute=true",
            "function turing.claim_tasks(text,integer,interval,bigint) execute=true",
            "function turing.claim_tasks(text,integer,interval,bigint,text) execute=true",
            "function turing.complete_task(bigint,uuid,jsonb) execute=true",
            "function turing.complete_tasks(bigint[],uuid[],jsonb[]) execute=true",
            "function turing.enqueue_tasks(bigint,jsonb[],integer) execute=true",
            "function turing.fail_task(bigint,uuid,text,interval) execute=true",
            "function turing.heartbeat(text) execute=true",
            "function turing.record_gpu_samples(text,jsonb,text) execute=true",
            "function turing.register_worker(text,text,integer,integer) execute=true",
            "function turing.release_tasks(text,bigint[]) execute=true",
            "function turing.renew_leases(text,bigint[],uuid[],interval) execute=true",
            "function turing.requeue_failed(bigint) execute=true",
            "function turing.stop_worker(text) execute=true",
            "function turing.utilization_between(timestamp with time zone,timestamp with time zone,bigint) execute=true",
            "relation expired_leases SELECT=true",
            "relation gpu_utilization SELECT=true",
            "relation resource_usage SELECT=true",
            "relation utilization SELECT=true",
            "relation worker_status SELECT=true",
            "relation workflow_progress SELECT=true",
            "schema turing usage=true create=false",
        ])

        // A database migrated after the role exists gets the same privileges from 088 alone.
        let (_, second) = try await F.database()
        #expect(try await Self.privileges(second) == granted)
    }

    @Test("every API function runs as its owner with a pinned search_path and has a COMMENT; PUBLIC has no EXECUTE")
    func functionsAreDefinerWithPinnedPath() async throws {
        let (_, db) = try await F.database()
        let rows = try await db.query(
            """
            SELECT p.oid::regprocedure::text, p.prosecdef, coalesce(array_to_string(p.proconfig, ';'), ''),
                   obj_description(p.oid, 'pg_proc') IS NOT NULL,
                   EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) AS a
                           WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
            FROM pg_proc AS p WHERE p.pronamespace = 'turing'::regnamespace
            """)
        #expect(rows.count == 19)  // 088: 15; 090: set_capacity, claim_tasks and its body; 091: record_gpu_samples
        for row in rows {
            let name: String = try row.decode(0)
            #expect(try row.decode(1, as: Bool.self), "\(name) is not SECURITY DEFINER")
            #expect(try row.decode(2, as: String.self).contains("search_path=pg_catalog, turing, pg_temp"), "\(name): search_path not pinned")
            #expect(try row.decode(3, as: Bool.self), "\(name) has no COMMENT")
            #expect(try row.decode(4, as: Bool.self) == false, "PUBLIC may execute \(name)")
        }
    }
}

@Suite("088 SQL API: down migration")
struct TaskAPIDownTests {
    typealias F = TaskAPIFixture

    static let baselineColumns =
        "id, workflow_id, status, payload::text, result::text, error, created_at::text, started_at::text, completed_at::text"

    static func rows(_ db: PostgresConnection) async throws -> [Int64: [String?]] {
        var result: [Int64: [String?]] = [:]
        for row in try await db.query("SELECT \(baselineColumns) FROM turing.tasks") {
            result[try row.decode(0)] = row.cells
        }
        return result
    }

    @Test("088 down: running tasks go back to pending; every row, result and error is kept; the old path works")
    func downKeepsEveryRow() async throws {
        let (database, db) = try await F.database()
        let workflow = try await F.workflow(db)
        let ids = try await F.insertTasks(db, workflow: workflow, count: 10)
        let claims = try await F.claim(db, worker: "w", max: 6)
        #expect(try await F.completeTask(db, claims[0], result: #"{"answer": 42}"#))
        #expect(try await F.completeTask(db, claims[1], result: #"{"answer": "x"}"#))
        try await db.query("UPDATE turing.tasks SET max_attempts = 1 WHERE id = $1", [claims[2].taskID])
        #expect(try await F.failTask(db, claims[2], error: "broken") == "failed")
        // The old sequential processor runs one task (no lease); one pending task waits out a backoff.
        try await db.query("UPDATE turing.tasks SET status = 'running', started_at = now() WHERE id = $1", [ids[6]])
        let backoff = try #require(try await F.claim(db, worker: "w2").first)
        #expect(backoff.taskID == ids[7])
        #expect(try await F.failTask(db, backoff, error: "soon", retryDelaySeconds: 3600) == "pending")
        // claims[3...5] stay running under leases; one of them has an expired lease.
        try await F.expireLease(db, claims[5].taskID)
        let before = try await Self.rows(db)
        let leasedRunning = Set(claims[3...5].map(\.taskID))

        try await F.runner(database).down(to: try #require(MigrationVersion(number: 87)))

        let after = try await Self.rows(db)
        #expect(after.count == 10 && Set(after.keys) == Set(ids), "a task row was lost")
        for id in ids {
            let old = try #require(before[id]), new = try #require(after[id])
            if leasedRunning.contains(id) {
                #expect(old[2] == "running")
                #expect(new[2] == "pending" && new[7] == nil, "task \(id): \(new)")
                #expect(Array(new[0...1]) + Array(new[3...6]) + [new[8]] == Array(old[0...1]) + Array(old[3...6]) + [old[8]])
            } else {
                #expect(new == old, "task \(id) changed: \(old) -> \(new)")
            }
        }
        #expect(after[ids[6]]?[2] == "running", "the old processor's running task is left to it")
        #expect(after[claims[0].taskID]?[4] == #"{"answer": 42}"#)
        #expect(after[claims[2].taskID]?[5] == "broken")
        #expect(try await F.value(
            db, "SELECT count(*) FROM turing.tasks WHERE status = 'pending'", as: Int.self) == 3 + 3)

        // The API is gone; the old processor's queries work on the 087 schema.
        await F.expectSQLState("42883", db, "SELECT * FROM turing.claim_tasks('w', 1, interval '1 minute')")
        let next = try await F.value(
            db, "SELECT id FROM turing.tasks WHERE status = 'pending' ORDER BY id LIMIT 1", as: Int64.self)
        #expect(next == claims[3].taskID)
        let taken = try await db.query(
            "UPDATE turing.tasks SET status = 'running', started_at = now() WHERE id = $1 AND status = 'pending'", [next])
        #expect(taken.affectedRows == 1)
        try await db.query(
            "UPDATE turing.tasks SET status = 'completed', result = '{}', completed_at = now() WHERE id = $1", [next])

        // And up again: the pending tasks are claimable through the API.
        try await F.runner(database).up(to: nil)
        let reclaimed = try await F.claim(db, worker: "w3", max: 100)
        #expect(Set(reclaimed.map(\.taskID)) == [ids[4], ids[5], ids[7], ids[8], ids[9]])
        #expect(reclaimed.allSatisfy { $0.attempt == 1 })
    }

    @Test("088 down restores the 087 schema exactly (columns, constraints, indexes, comments; no functions, views, triggers)")
    func downRestoresBaselineSchema() async throws {
        let (_, baseline) = try await F.database(upTo: 87)
        let (database, reverted) = try await F.database()
        let workflow = try await F.workflow(reverted)
        try await F.insertTasks(reverted, workflow: workflow, count: 20)
        _ = try await F.claim(reverted, worker: "w", max: 5)
        try await F.runner(database).down(to: try #require(MigrationVersion(number: 87)))

        let catalog = [
            """
            SELECT 'column ' || table_name || '.' || column_name || ' #' || ordinal_position || ' ' || data_type
                || ' null=' || is_nullable || ' default=' || coalesce(column_default, '-')
                || ' identity=' || is_identity || coalesce(' ' || identity_generation, '')
                || ' comment=' || coalesce(col_description(('turing.' || table_name)::regclass, ordinal_position::int), '-')
            FROM information_schema.columns WHERE table_schema = 'turing'
            """,
            """
            SELECT 'table ' || table_name || ' ' || table_type || ' comment=' || coalesce(obj_description(('turing.' || table_name)::regclass, 'pg_class'), '-')
            FROM information_schema.tables WHERE table_schema = 'turing'
            """,
            """
            SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
                || ' valid=' || convalidated || ' comment=' || coalesce(obj_description(oid, 'pg_constraint'), '-')
            FROM pg_constraint WHERE connamespace = 'turing'::regnamespace
            """,
            """
            SELECT 'index ' || indexname || ' ' || indexdef || ' comment=' || coalesce(obj_description(('turing.' || indexname)::regclass, 'pg_class'), '-')
            FROM pg_indexes WHERE schemaname = 'turing'
            """,
            "SELECT 'routine ' || routine_name FROM information_schema.routines WHERE routine_schema = 'turing'",
            "SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgrelid IN ('turing.tasks'::regclass, 'turing.workflows'::regclass) AND NOT tgisinternal",
            "SELECT 'relation ' || relname || ' ' || relkind::text FROM pg_class WHERE relnamespace = 'turing'::regnamespace",
            """
            SELECT 'schema comment=' || coalesce(obj_description('turing'::regnamespace, 'pg_namespace'), '-')
                || ' worker usage=' || coalesce((SELECT has_schema_privilege(r.oid, 'turing', 'USAGE')::text FROM pg_roles AS r WHERE r.rolname = 'turing_worker'), 'no role')
            """,
        ].joined(separator: "\nUNION ALL\n") + "\nORDER BY 1"

        let expected = try await baseline.query(catalog).map { try $0.decode(0, as: String.self) }
        let actual = try await reverted.query(catalog).map { try $0.decode(0, as: String.self) }
        #expect(expected.contains { $0.hasPrefix("column tasks.completed_at #9 ") })
        #expect(!actual.contains { $0.hasPrefix("routine ") || $0.hasPrefix("trigger ") })
        #expect(actual == expected, "differences: \(Set(actual).symmetricDifference(expected).sorted())")
        #expect(try await F.value(reverted, "SELECT count(*) FROM turing.tasks", as: Int.self) == 20)
    }
}
