-- Every accounting record is a row written into radius_sessions, tens of
-- thousands a second at peak: what each insert costs counts. (PostgreSQL's
-- migration also drops the foreign keys, whose checks lock the parent row
-- there; SQLite's check is a primary-key lookup and stays.)

-- No query orders or filters sessions by started_at alone (lists page by id).
DROP INDEX radius_sessions_started;

-- "Who had this IPv6 prefix?" asks the framed prefix or the delegated one.
-- The delegated prefix had no index (the court-order query scanned the
-- table); both are partial, since an IPv4-only session has neither.
DROP INDEX radius_sessions_ipv6;
CREATE INDEX radius_sessions_ipv6 ON radius_sessions(framed_ipv6_prefix, started_at)
    WHERE framed_ipv6_prefix IS NOT NULL;
CREATE INDEX radius_sessions_delegated ON radius_sessions(delegated_ipv6_prefix, started_at)
    WHERE delegated_ipv6_prefix IS NOT NULL;
