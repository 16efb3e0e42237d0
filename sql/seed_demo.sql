-- seed_demo.sql: creates a demo workflow of simulated tasks, for trying turing-worker.
--
-- Why: a realistic queue in one command; each task's payload is {"simulate_ms": N}, which the
-- `simulate` handler sleeps for. The tasks are inserted with one plain INSERT (the way other tools
-- add tasks), which wakes idle workers with a single NOTIFY.
--
--   psql -v tasks=1000 -v simulate_ms=200 -f sql/seed_demo.sql                 # new workflow
--   psql -v workflow=1124 -v tasks=1000 -v simulate_ms=200 -f sql/seed_demo.sql
--   turing-worker --workflow <id> --handler simulate --workers 4
--
-- Variables: workflow (an id; created as 'demo <id>' if missing, else tasks are added to it;
-- default: a new workflow), tasks (default 1000), simulate_ms (default 200).

\set ON_ERROR_STOP on
\if :{?tasks}
\else
\set tasks 1000
\endif
\if :{?simulate_ms}
\else
\set simulate_ms 200
\endif

BEGIN;

\if :{?workflow}
INSERT INTO turing.workflows (id, name)
VALUES (:'workflow'::bigint, 'demo ' || :'workflow')
ON CONFLICT ON CONSTRAINT workflows_pkey DO NOTHING;
-- An explicit id bypasses the identity sequence: move the sequence past it so later generated
-- ids do not collide.
SELECT setval(pg_get_serial_sequence('turing.workflows', 'id'), max(w.id))
FROM turing.workflows AS w
HAVING max(w.id) > (SELECT s.last_value FROM turing.workflows_id_seq AS s) \g /dev/null
SELECT :'workflow'::bigint AS workflow_id \gset
\else
INSERT INTO turing.workflows (name)
VALUES ('demo ' || to_char(now(), 'YYYY-MM-DD HH24:MI:SS'))
RETURNING id AS workflow_id \gset
\endif

INSERT INTO turing.tasks (workflow_id, payload)
SELECT :workflow_id, jsonb_build_object('simulate_ms', :'simulate_ms'::int)
FROM generate_series(1, :'tasks'::int);

COMMIT;

\echo 'seeded' :tasks 'tasks of' :simulate_ms 'ms into workflow' :workflow_id
\echo 'run:   turing-worker --workflow' :workflow_id '--handler simulate --workers 4'
\echo 'watch: psql -v workflow=':workflow_id '-v interval=2 -f sql/progress.sql'
