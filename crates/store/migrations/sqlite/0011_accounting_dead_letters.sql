-- Accounting records refused for their content wait in each node's dead
-- letters beside its journal; the count is kept here so every node's panel
-- can show it.
ALTER TABLE radius_journal ADD COLUMN dead_letters INTEGER NOT NULL DEFAULT 0;

-- Before counters were checked, an Acct-*-Gigawords of 0xFFFFFFFF was
-- stored as a negative octet count, and summing such values overflowed
-- into REAL. Negative counts become 0 (unknown) and REAL sums integers
-- again (CAST saturates at the largest integer).
UPDATE contract_usage SET
    input_octets = MAX(0, CAST(input_octets AS INTEGER)),
    output_octets = MAX(0, CAST(output_octets AS INTEGER)),
    session_time = MAX(0, CAST(session_time AS INTEGER))
WHERE typeof(input_octets) <> 'integer' OR typeof(output_octets) <> 'integer'
   OR typeof(session_time) <> 'integer'
   OR input_octets < 0 OR output_octets < 0 OR session_time < 0;

UPDATE radius_sessions SET
    input_octets = MAX(0, CAST(input_octets AS INTEGER)),
    output_octets = MAX(0, CAST(output_octets AS INTEGER)),
    session_time = MAX(0, CAST(session_time AS INTEGER))
WHERE typeof(input_octets) <> 'integer' OR typeof(output_octets) <> 'integer'
   OR typeof(session_time) <> 'integer'
   OR input_octets < 0 OR output_octets < 0 OR session_time < 0;
