-- The accounting journal: how far each RADIUS node has applied its local
-- journal, written in the same transaction as the records it applied.
CREATE TABLE radius_journal (
    node TEXT PRIMARY KEY,
    segment BIGINT NOT NULL,
    position BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
