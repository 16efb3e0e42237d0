-- 091_gpu_samples: GPU utilisation and memory, sampled by the workers, next to the tasks' busy share.
--
-- What: the table turing.gpu_samples, the function turing.record_gpu_samples that workers call every few
-- seconds with what nvidia-smi reports (or once, with why they cannot), a column turing.workers.gpu_sampling
-- that keeps that reason, and the view turing.gpu_utilization.
--
-- Why this shape:
-- * turing.utilization says how much of the time tasks were running; only the GPU can say how busy it
--   was. Workers already run next to it and talk to the database, so each samples
--   `nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.total` when it is on its PATH.
-- * Without nvidia-smi nothing breaks: the worker records why once, and the view, instead of being
--   silently empty, returns one row whose note says why there are no samples.
-- * Samples are kept for a day: record_gpu_samples deletes older ones as it goes (a bounded batch per
--   call through gpu_samples_sampled_at_idx, SKIP LOCKED so concurrent workers never wait on each other).
--   Several workers on one host sample the same GPUs; the view aggregates per host and GPU.
-- * Safe on a live database: a new table, a nullable column on turing.workers (no rewrite), new
--   functions and views. Errors: TU001 invalid argument.

-- ---------------------------------------------------------------------------------------------
-- Samples (a new table: constraints are validated at once, it is empty).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE turing.gpu_samples (
    id                  bigint      GENERATED ALWAYS AS IDENTITY
                                    CONSTRAINT gpu_samples_pkey PRIMARY KEY,
    sampled_at          timestamptz NOT NULL DEFAULT now(),
    worker_id           text        NOT NULL
                                    CONSTRAINT gpu_samples_worker_id_check CHECK (worker_id <> ''),
    host                text        NOT NULL,
    gpu                 integer     NOT NULL
                                    CONSTRAINT gpu_samples_gpu_check CHECK (gpu >= 0),
    utilization_percent real        CONSTRAINT gpu_samples_utilization_check CHECK (utilization_percent BETWEEN 0 AND 100),
    memory_used_mib     bigint      CONSTRAINT gpu_samples_memory_used_check CHECK (memory_used_mib >= 0),
    memory_total_mib    bigint      CONSTRAINT gpu_samples_memory_total_check CHECK (memory_total_mib >= 0)
);

CREATE INDEX gpu_samples_sampled_at_idx ON turing.gpu_samples (sampled_at);

COMMENT ON TABLE turing.gpu_samples IS
    'What nvidia-smi reported, one row per GPU per sample, recorded by the workers every few seconds (turing.record_gpu_samples); kept for a day. See turing.gpu_utilization.';
COMMENT ON COLUMN turing.gpu_samples.id IS 'Row id, in recording order.';
COMMENT ON COLUMN turing.gpu_samples.sampled_at IS 'When the sample was recorded.';
COMMENT ON COLUMN turing.gpu_samples.worker_id IS 'The worker that sampled (turing.workers.id).';
COMMENT ON COLUMN turing.gpu_samples.host IS 'The host the GPU is on: the worker''s host from turing.workers (its id when unregistered).';
COMMENT ON COLUMN turing.gpu_samples.gpu IS 'nvidia-smi''s GPU index on that host.';
COMMENT ON COLUMN turing.gpu_samples.utilization_percent IS 'utilization.gpu: percent of the sample period in which a kernel ran; NULL when nvidia-smi reports [N/A].';
COMMENT ON COLUMN turing.gpu_samples.memory_used_mib IS 'memory.used in MiB; NULL when not reported.';
COMMENT ON COLUMN turing.gpu_samples.memory_total_mib IS 'memory.total in MiB; NULL when not reported.';
COMMENT ON CONSTRAINT gpu_samples_worker_id_check ON turing.gpu_samples IS 'A worker id is not empty.';
COMMENT ON CONSTRAINT gpu_samples_gpu_check ON turing.gpu_samples IS 'GPU indexes start at 0.';
COMMENT ON CONSTRAINT gpu_samples_utilization_check ON turing.gpu_samples IS 'Utilisation is a percentage.';
COMMENT ON CONSTRAINT gpu_samples_memory_used_check ON turing.gpu_samples IS 'Memory figures are not negative.';
COMMENT ON CONSTRAINT gpu_samples_memory_total_check ON turing.gpu_samples IS 'Memory figures are not negative.';
COMMENT ON INDEX turing.gpu_samples_sampled_at_idx IS
    'gpu_utilization (recent samples) and record_gpu_samples (deleting samples older than a day).';

-- One ALTER TABLE: a nullable column without default is metadata only.
ALTER TABLE turing.workers
    ADD COLUMN gpu_sampling text;

COMMENT ON COLUMN turing.workers.gpu_sampling IS
    'How the worker samples GPUs: ''nvidia-smi'' while it records samples, else why it cannot (''nvidia-smi not found on PATH'', ''nvidia-smi failed: ...''); NULL when it never said (a worker older than migration 091).';

-- ---------------------------------------------------------------------------------------------
-- record_gpu_samples
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION turing.record_gpu_samples(worker_id text, samples jsonb, unavailable text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, turing, pg_temp
AS $fn$
DECLARE
    v_host text;
    v_count integer;
BEGIN
    IF record_gpu_samples.worker_id IS NULL OR btrim(record_gpu_samples.worker_id) = '' THEN
        RAISE EXCEPTION 'turing.record_gpu_samples: worker_id must not be NULL or empty'
            USING ERRCODE = 'TU001', HINT = 'Pass the id the worker registered with.';
    END IF;
    IF record_gpu_samples.samples IS NULL OR jsonb_typeof(record_gpu_samples.samples) <> 'array' THEN
        RAISE EXCEPTION 'turing.record_gpu_samples: samples must be a JSON array, got %',
                coalesce(jsonb_typeof(record_gpu_samples.samples), 'NULL')
            USING ERRCODE = 'TU001',
                  HINT = 'For example ''[{"gpu": 0, "utilization_percent": 87, "memory_used_mib": 9000, "memory_total_mib": 24576}]'', or ''[]'' with unavailable.';
    END IF;
    IF record_gpu_samples.unavailable IS NOT NULL AND jsonb_array_length(record_gpu_samples.samples) > 0 THEN
        RAISE EXCEPTION 'turing.record_gpu_samples: samples given together with unavailable = %', record_gpu_samples.unavailable
            USING ERRCODE = 'TU001', HINT = 'Pass either samples, or ''[]'' and the reason there are none.';
    END IF;

    SELECT coalesce(w.host, w.id) INTO v_host
    FROM turing.workers AS w
    WHERE w.id = record_gpu_samples.worker_id;
    v_host := coalesce(v_host, record_gpu_samples.worker_id);

    BEGIN
        INSERT INTO turing.gpu_samples AS g (worker_id, host, gpu, utilization_percent, memory_used_mib, memory_total_mib)
        SELECT record_gpu_samples.worker_id, v_host, s.gpu, s.utilization_percent, s.memory_used_mib, s.memory_total_mib
        FROM jsonb_to_recordset(record_gpu_samples.samples)
             AS s (gpu integer, utilization_percent real, memory_used_mib bigint, memory_total_mib bigint);
        GET DIAGNOSTICS v_count = ROW_COUNT;
    EXCEPTION
        WHEN invalid_text_representation OR numeric_value_out_of_range OR check_violation OR not_null_violation
             OR invalid_parameter_value OR datatype_mismatch THEN
            RAISE EXCEPTION 'turing.record_gpu_samples: a sample is not valid: %', SQLERRM
                USING ERRCODE = 'TU001',
                      HINT = 'Each sample is an object with gpu (an integer >= 0) and optionally utilization_percent (0-100), memory_used_mib and memory_total_mib (>= 0), numbers or null.';
    END;

    -- Keep a day of samples: a bounded batch per call, skipping rows another call is deleting.
    DELETE FROM turing.gpu_samples AS g
    WHERE g.id IN (
        SELECT o.id
        FROM turing.gpu_samples AS o
        WHERE o.sampled_at < now() - interval '1 day'
        LIMIT 1000
        FOR UPDATE SKIP LOCKED
    );

    UPDATE turing.workers AS w
    SET gpu_sampling = coalesce(record_gpu_samples.unavailable, 'nvidia-smi')
    WHERE w.id = record_gpu_samples.worker_id
      AND w.gpu_sampling IS DISTINCT FROM coalesce(record_gpu_samples.unavailable, 'nvidia-smi');

    RETURN v_count;
END
$fn$;

COMMENT ON FUNCTION turing.record_gpu_samples(text, jsonb, text) IS
$$Records one round of GPU samples for worker_id: samples is a JSON array with one object per GPU, {"gpu": 0, "utilization_percent": 87, "memory_used_mib": 9000, "memory_total_mib": 24576} (figures may be null), stored with now() and the worker's host. Returns how many were stored.
With samples = '[]' and unavailable = a reason ('nvidia-smi not found on PATH', 'nvidia-smi failed: ...'), records why the worker cannot sample; turing.gpu_utilization shows it when there are no samples. Either way turing.workers.gpu_sampling keeps the last state ('nvidia-smi' while sampling).
Also deletes samples older than a day (up to 1000 per call).
Errors: TU001 worker_id NULL or empty, samples not a JSON array, a sample not valid, samples given with a reason.$$;

-- ---------------------------------------------------------------------------------------------
-- gpu_utilization
-- ---------------------------------------------------------------------------------------------
CREATE VIEW turing.gpu_utilization AS
WITH recent AS (
    -- gpu_samples_sampled_at_idx.
    SELECT s.host, s.gpu, s.sampled_at, s.utilization_percent, s.memory_used_mib, s.memory_total_mib,
           row_number() OVER (PARTITION BY s.host, s.gpu ORDER BY s.sampled_at DESC, s.id DESC) AS newest
    FROM turing.gpu_samples AS s
    WHERE s.sampled_at > now() - interval '5 minutes'
), per_gpu AS (
    SELECT r.host,
           r.gpu,
           count(*) AS samples,
           round(avg(r.utilization_percent)::numeric, 1) AS utilization_avg,
           max(r.utilization_percent) AS utilization_max,
           max(r.utilization_percent) FILTER (WHERE r.newest = 1) AS utilization_now,
           max(r.memory_used_mib) FILTER (WHERE r.newest = 1) AS memory_used_mib,
           max(r.memory_total_mib) FILTER (WHERE r.newest = 1) AS memory_total_mib,
           max(r.sampled_at) AS last_sample_at
    FROM recent AS r
    GROUP BY r.host, r.gpu
), busy AS (
    -- turing.utilization's figures for its 5-minute window.
    SELECT u.busy_fraction, u.avg_concurrency
    FROM turing.utilization_between(now() - interval '5 minutes', now()) AS u
), seen AS (
    -- The workers seen in the same 5 minutes, and what they said about sampling.
    SELECT CASE WHEN w.gpu_sampling = 'nvidia-smi' THEN 'nvidia-smi found, no sample yet' ELSE w.gpu_sampling END AS state
    FROM turing.workers AS w
    WHERE w.last_heartbeat > now() - interval '5 minutes'
), why AS (
    SELECT 'no GPU samples in the last 5 minutes: '
           || CASE
                  WHEN count(*) = 0 THEN 'no worker has been running (none sent a heartbeat in that time)'
                  WHEN count(s.state) = 0 THEN 'no running worker samples GPUs (turing-worker from before migration 091?)'
                  WHEN bool_and(s.state = 'nvidia-smi not found on PATH') THEN 'nvidia-smi was not found on any worker''s PATH'
                  ELSE 'workers report: ' || string_agg(DISTINCT s.state, '; ')
              END AS note
    FROM seen AS s
)
SELECT g.host, g.gpu, g.samples, g.utilization_avg, g.utilization_max, g.utilization_now,
       g.memory_used_mib, g.memory_total_mib, g.last_sample_at,
       b.busy_fraction, b.avg_concurrency,
       NULL::text AS note
FROM per_gpu AS g
CROSS JOIN busy AS b
UNION ALL
SELECT NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL,
       b.busy_fraction, b.avg_concurrency,
       y.note
FROM busy AS b
CROSS JOIN why AS y
WHERE NOT EXISTS (SELECT 1 FROM per_gpu)
ORDER BY 1, 2;

COMMENT ON VIEW turing.gpu_utilization IS
$$GPU samples of the last 5 minutes, one row per host and GPU: samples, utilization_avg / utilization_max / utilization_now (percent; now = the newest sample), memory_used_mib and memory_total_mib (newest sample), last_sample_at; next to busy_fraction and avg_concurrency, turing.utilization's figures for the same 5 minutes (share of the time a task was running, and tasks running on average).
busy_fraction high with utilization low: the GPU waits on something else (prompt building, the network); both high: the GPU is the limit.
With no samples, one row with host NULL, samples 0 and a note saying why (for example "no GPU samples in the last 5 minutes: nvidia-smi was not found on any worker's PATH").$$;

-- ---------------------------------------------------------------------------------------------
-- Privileges: nothing for PUBLIC; recording and the view for turing_worker when that role exists.
-- ---------------------------------------------------------------------------------------------
REVOKE ALL ON FUNCTION turing.record_gpu_samples(text, jsonb, text) FROM PUBLIC;

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'turing_worker') THEN
        GRANT EXECUTE ON FUNCTION turing.record_gpu_samples(text, jsonb, text) TO turing_worker;
        GRANT SELECT ON turing.gpu_utilization TO turing_worker;
    END IF;
END
$grants$;
