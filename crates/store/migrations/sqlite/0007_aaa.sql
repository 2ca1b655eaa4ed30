-- RADIUS runtime: the stale-session sweep scans open sessions by their last
-- accounting time without walking a year of closed connection records.
CREATE INDEX radius_sessions_open_updated ON radius_sessions(updated_at)
    WHERE stopped_at IS NULL;
