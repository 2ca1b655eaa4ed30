-- RADIUS AAA: routers (NAS), connection records (sessions, kept >= 1 year
-- for Marco Civil art. 13), the authentication log, usage per contract per
-- billing cycle, and CoA / Disconnect requests.
-- Instants are Unix seconds (BIGINT) in UTC; byte counters include
-- Gigawords (full 64-bit values).

CREATE TABLE nas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    -- The source IP address the NAS sends from (canonical text form).
    address TEXT NOT NULL UNIQUE,
    -- Shared secret, encrypted at rest (services' secret box).
    secret TEXT NOT NULL,
    -- Vendor profile: mikrotik, accel-ppp, cisco, huawei, juniper, generic.
    kind TEXT NOT NULL,
    -- Where CoA-Request / Disconnect-Request go (RFC 5176, default 3799).
    coa_port BIGINT NOT NULL DEFAULT 3799,
    -- BlastRADIUS: always require Message-Authenticator in Access-Request;
    -- `seen_message_authenticator` is set once the NAS has sent one, after
    -- which it is required too.
    require_message_authenticator INTEGER NOT NULL DEFAULT FALSE,
    seen_message_authenticator INTEGER NOT NULL DEFAULT FALSE,
    disabled INTEGER NOT NULL DEFAULT FALSE,
    notes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE radius_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    nas_id BIGINT NOT NULL REFERENCES nas(id),
    acct_session_id TEXT NOT NULL,
    login TEXT NOT NULL,
    contract_id BIGINT REFERENCES contracts(id),
    framed_ip TEXT,
    framed_ipv6_prefix TEXT,
    delegated_ipv6_prefix TEXT,
    calling_station_id TEXT NOT NULL DEFAULT '',
    nas_port_id TEXT NOT NULL DEFAULT '',
    started_at BIGINT NOT NULL,
    -- Last Start / Interim-Update / Stop seen: stale detection.
    updated_at BIGINT NOT NULL,
    stopped_at BIGINT,
    input_octets BIGINT NOT NULL DEFAULT 0,
    output_octets BIGINT NOT NULL DEFAULT 0,
    session_time BIGINT NOT NULL DEFAULT 0,
    -- RFC 2866 Acct-Terminate-Cause name, or 'nas-reboot' / 'stale'.
    terminate_cause TEXT NOT NULL DEFAULT ''
);
-- One open session per NAS and Acct-Session-Id; closed ones may repeat ids.
CREATE UNIQUE INDEX radius_sessions_open ON radius_sessions(nas_id, acct_session_id)
    WHERE stopped_at IS NULL;
CREATE INDEX radius_sessions_login ON radius_sessions(login, started_at);
CREATE INDEX radius_sessions_contract ON radius_sessions(contract_id, started_at);
-- "Who had address X at time T?"
CREATE INDEX radius_sessions_ip ON radius_sessions(framed_ip, started_at);
CREATE INDEX radius_sessions_ipv6 ON radius_sessions(framed_ipv6_prefix, started_at);
CREATE INDEX radius_sessions_started ON radius_sessions(started_at);

CREATE TABLE radius_auth_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    nas_id BIGINT REFERENCES nas(id),
    login TEXT NOT NULL,
    contract_id BIGINT,
    -- pap, chap, mschap, mschapv2 or '' when unknown.
    method TEXT NOT NULL DEFAULT '',
    -- accept, restricted (accepted with the restricted profile) or reject.
    result TEXT NOT NULL,
    -- Why, as a stable code: wrong-password, contract-suspended,
    -- contract-canceled, mac-mismatch, unknown-user, simultaneous-use,
    -- quota-blocked, missing-message-authenticator, ...
    reason TEXT NOT NULL DEFAULT '',
    calling_station_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX radius_auth_log_login ON radius_auth_log(login, at);
CREATE INDEX radius_auth_log_at ON radius_auth_log(at);

-- Usage per contract per billing cycle (cycle_start is a 'YYYY-MM-DD' date).
CREATE TABLE contract_usage (
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    cycle_start TEXT NOT NULL,
    input_octets BIGINT NOT NULL DEFAULT 0,
    output_octets BIGINT NOT NULL DEFAULT 0,
    session_time BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (contract_id, cycle_start)
);

-- CoA-Request / Disconnect-Request work for the radius node(s): written by
-- whoever wants a session changed (a contract transition, a staff member's
-- "disconnect"), sent with retries, and kept with the NAS's answer.
CREATE TABLE radius_coa (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- disconnect or coa
    kind TEXT NOT NULL,
    session_id BIGINT REFERENCES radius_sessions(id),
    contract_id BIGINT REFERENCES contracts(id),
    nas_id BIGINT NOT NULL REFERENCES nas(id),
    -- Why it was asked for (e.g. 'contract suspended', 'staff').
    reason TEXT NOT NULL DEFAULT '',
    -- pending, ack, nak or failed (no answer after every retry).
    status TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    -- RFC 5176 Error-Cause of a NAK.
    error_cause BIGINT,
    requested_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX radius_coa_status ON radius_coa(status, id);
CREATE INDEX radius_coa_contract ON radius_coa(contract_id, id);
