-- Collections (dunning). The policy in force (one row, JSON of
-- domain::collections::Policy; absent: the country's defaults).
CREATE TABLE dunning_policy (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    policy TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);

-- Every step the daily pass took for an invoice: each reminder
-- (`reminder-3`, `reminder+0`, …), the suspension notice (`notice`) and the
-- late charges put on a later invoice (`late_charges`). The unique key makes
-- each step happen once whatever runs again or concurrently.
CREATE TABLE dunning_notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id BIGINT NOT NULL REFERENCES invoices(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    step TEXT NOT NULL,
    sent_on TEXT NOT NULL,
    -- What the invoice had open, and the customer's overdue total.
    amount BIGINT NOT NULL,
    owed BIGINT NOT NULL,
    -- The notice: the first day suspension may happen.
    suspend_from TEXT,
    -- The notice: when the pass acted on it (suspended, or the debt went).
    closed_on TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (invoice_id, step)
);
CREATE INDEX dunning_notices_customer ON dunning_notices(customer_id, invoice_id);
CREATE INDEX dunning_notices_open ON dunning_notices(suspend_from, id) WHERE closed_on IS NULL;

-- A suspension for non-payment the pass made, once per contract and notice.
CREATE TABLE dunning_suspensions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    -- The notice that allowed it; null for a suspension staff made by hand
    -- (recorded when it is unlocked on trust).
    notice_id BIGINT REFERENCES dunning_notices(id),
    suspended_on TEXT NOT NULL,
    -- Set when the debt is settled (or the contract canceled).
    ended_on TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (contract_id, notice_id)
);
CREATE INDEX dunning_suspensions_open ON dunning_suspensions(customer_id, contract_id) WHERE ended_on IS NULL;
CREATE INDEX dunning_suspensions_contract ON dunning_suspensions(contract_id, id);

-- Trust unlocks: a suspension lifted for some days, once per suspension.
CREATE TABLE dunning_unlocks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    suspension_id BIGINT NOT NULL UNIQUE REFERENCES dunning_suspensions(id),
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    unlocked_on TEXT NOT NULL,
    -- The pass suspends again on this day if still owing.
    until_date TEXT NOT NULL,
    days BIGINT NOT NULL,
    actor_name TEXT NOT NULL,
    -- When the pass dealt with its end (suspended again, or nothing owed).
    expired_on TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX dunning_unlocks_open ON dunning_unlocks(until_date, id) WHERE expired_on IS NULL;
