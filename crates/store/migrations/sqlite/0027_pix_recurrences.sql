-- Pix Automático: a contract's recurrence at the PSP (`/rec`, sent to
-- the payer's bank with `/solicrec`). Once the payer approves it, the
-- contract's invoices are charged with `/cobr` instead of a cob/cobv.
CREATE TABLE pix_recurrences (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    -- The PSP's idRec (RR… / RN…) and the authorisation request's idSolicRec.
    rec_id TEXT NOT NULL UNIQUE,
    solicrec_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('created', 'approved', 'rejected', 'expired', 'canceled')),
    -- fixed (every charge is amount), minimum (the payer's ceiling may not
    -- go below amount) or variable (no amount agreed).
    amount_policy TEXT NOT NULL CHECK (amount_policy IN ('fixed', 'minimum', 'variable')),
    amount BIGINT,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    -- The payer's account the authorisation request went to.
    payer_ispb TEXT NOT NULL,
    payer_agency TEXT,
    payer_account TEXT NOT NULL,
    -- Why it ended, as the PSP said.
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX pix_recurrences_contract ON pix_recurrences(contract_id, id);
CREATE INDEX pix_recurrences_status ON pix_recurrences(status, id);

-- A charge's history: the webhook events that acted on it.
ALTER TABLE webhook_events ADD COLUMN charge_id BIGINT;
CREATE INDEX webhook_events_charge ON webhook_events(charge_id);

-- Who closed a charge by hand (staff cancel): the charge jobs leave such
-- an invoice alone until staff re-create its charge.
ALTER TABLE payment_charges ADD COLUMN closed_by TEXT;
-- The staff list: newest first, filtered by gateway and status.
CREATE INDEX payment_charges_gateway ON payment_charges(gateway, status, id);
