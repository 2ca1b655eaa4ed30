-- Accounting records refused for their content wait in each node's dead
-- letters beside its journal; the count is kept here so every node's panel
-- can show it.
ALTER TABLE radius_journal ADD COLUMN dead_letters BIGINT NOT NULL DEFAULT 0;

-- Before counters were checked, an Acct-*-Gigawords of 0xFFFFFFFF was
-- stored as a negative octet count. Negative counts become 0 (unknown).
UPDATE contract_usage SET
    input_octets = GREATEST(input_octets, 0),
    output_octets = GREATEST(output_octets, 0),
    session_time = GREATEST(session_time, 0)
WHERE input_octets < 0 OR output_octets < 0 OR session_time < 0;

UPDATE radius_sessions SET
    input_octets = GREATEST(input_octets, 0),
    output_octets = GREATEST(output_octets, 0),
    session_time = GREATEST(session_time, 0)
WHERE input_octets < 0 OR output_octets < 0 OR session_time < 0;
