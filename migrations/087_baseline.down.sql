-- 087_baseline (down): removes the turing schema and ALL of its data.
--
-- Why no CASCADE: if objects outside this migration set depend on turing (a view in another
-- schema, a foreign key from an application table), the drop fails and names them, instead of
-- silently destroying them. Later migrations (088 and up) are reverted before this one runs.

DROP TABLE turing.tasks;
DROP TABLE turing.workflows;
DROP SCHEMA turing;
