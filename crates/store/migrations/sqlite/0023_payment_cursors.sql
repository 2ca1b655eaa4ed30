-- Where each gateway's periodic sweep stopped (the Pix sweep's `GET /pix`
-- window, the bank's paid-boleto list), so the next sweep starts there and
-- nothing received in between is missed.
CREATE TABLE gateway_cursors (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
