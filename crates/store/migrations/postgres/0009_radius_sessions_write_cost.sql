-- Every accounting record is a row written into radius_sessions, tens of
-- thousands a second at peak: what each insert costs counts.
--
-- Foreign keys: PostgreSQL checks one per inserted row with a query that
-- locks the parent row (FOR KEY SHARE), a quarter of the database's time
-- in an accounting burst. The referenced rows never go away: contracts are
-- canceled, not deleted, and a NAS with connection records can only be
-- disabled (store::nas::in_use). The connection records are a legal log
-- that must outlive what they name in any case. (SQLite's check is a
-- primary-key lookup without a lock; it keeps its constraints.)
ALTER TABLE radius_sessions DROP CONSTRAINT IF EXISTS radius_sessions_contract_id_fkey;
ALTER TABLE radius_sessions DROP CONSTRAINT IF EXISTS radius_sessions_nas_id_fkey;

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
