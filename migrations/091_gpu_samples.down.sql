-- 091_gpu_samples (down): back to exactly the 090 schema. The samples are dropped with their table;
-- turing.workers loses its gpu_sampling column (DROP COLUMN only marks it dropped, no rewrite).

DROP VIEW turing.gpu_utilization;

DROP FUNCTION turing.record_gpu_samples(text, jsonb, text);

DROP TABLE turing.gpu_samples;

ALTER TABLE turing.workers
    DROP COLUMN gpu_sampling;
