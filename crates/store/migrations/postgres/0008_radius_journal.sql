-- The accounting journal: how far each RADIUS node has applied its local
-- journal, written in the same transaction as the records it applied.
CREATE TABLE radius_journal (
    node TEXT PRIMARY KEY,
    segment BIGINT NOT NULL,
    position BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Interim-Updates rewrite the counters of open sessions all day long. With
-- no index on a column they change, and room left on each page, PostgreSQL
-- updates the row in place (a HOT update) instead of adding an entry to
-- every index of the table. The stale sweep finds open sessions through
-- radius_sessions_open (partial on stopped_at IS NULL) instead.
DROP INDEX radius_sessions_open_updated;
ALTER TABLE radius_sessions SET (fillfactor = 80);
