-- Domain events are typed (domain::event): each row says which version of
-- its kind's payload shape it holds, so a release that changes a payload
-- still reads the rows written before it (through an upcaster). Every row
-- written until now holds version 1, the untyped JSON; writers always give
-- the version, the default only dates the existing rows.
ALTER TABLE domain_events ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
