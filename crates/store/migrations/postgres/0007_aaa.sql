-- RADIUS runtime: the stale-session sweep scans open sessions by their last
-- accounting time without walking a year of closed connection records.
CREATE INDEX radius_sessions_open_updated ON radius_sessions(updated_at)
    WHERE stopped_at IS NULL;

-- Radius nodes LISTEN for these so a committed change reaches them at once
-- (they also poll, which is all SQLite has). NOTIFY is delivered at commit
-- and only then; the payload is the new row's id.
CREATE FUNCTION lastmile_notify_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], NEW.id::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER domain_events_notify AFTER INSERT ON domain_events
    FOR EACH ROW EXECUTE FUNCTION lastmile_notify_insert('lastmile_events');
CREATE TRIGGER radius_coa_notify AFTER INSERT ON radius_coa
    FOR EACH ROW EXECUTE FUNCTION lastmile_notify_insert('lastmile_coa');
