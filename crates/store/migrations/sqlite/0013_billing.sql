-- Billing: tax rates, invoices and credit notes with their lines and the
-- taxes of each line, gap-free number series, billing runs, the billed
-- periods that make a run exactly-once, and one-off charges waiting for a
-- contract's next invoice. Money is BIGINT minor units; rates are parts per
-- million (18 % = 180000); calendar dates are 'YYYY-MM-DD' text.

CREATE TABLE tax_rates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    rate_ppm BIGINT NOT NULL CHECK (rate_ppm BETWEEN 0 AND 1000000),
    mode TEXT NOT NULL CHECK (mode IN ('on_top', 'included_vat', 'included_share')),
    -- The plans' tax_category it applies to; '' applies to every plan.
    category TEXT NOT NULL DEFAULT '',
    -- Order on documents and reports.
    position BIGINT NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Customers exempt from every tax (public bodies, exporters…).
ALTER TABLE customers ADD COLUMN tax_exempt INTEGER NOT NULL DEFAULT 0;
-- The installation fee is billed in this many equal parts.
ALTER TABLE contracts ADD COLUMN installation_installments BIGINT NOT NULL DEFAULT 1;

-- The last number used per series ('invoice', 'credit_note') and year
-- (0 for series without a year). Taken in the issuing transaction: a number
-- is used once, and a rolled-back issue gives its number back.
CREATE TABLE number_series (
    series TEXT NOT NULL,
    year BIGINT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (series, year)
);

CREATE TABLE billing_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Bill what is due on this date.
    as_of TEXT NOT NULL,
    -- running, done or failed
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    contracts_total BIGINT NOT NULL DEFAULT 0,
    contracts_done BIGINT NOT NULL DEFAULT 0,
    invoices BIGINT NOT NULL DEFAULT 0,
    total BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    actor_kind TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX billing_runs_started ON billing_runs(started_at);

CREATE TABLE invoices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    -- Null while a draft.
    number TEXT UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('draft', 'issued', 'voided')),
    -- Random and unguessable: the id in links customers open.
    public_id TEXT NOT NULL UNIQUE,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    -- Set when the document is for one contract.
    contract_id BIGINT REFERENCES contracts(id),
    issue_date TEXT,
    due_date TEXT NOT NULL,
    net BIGINT NOT NULL DEFAULT 0,
    discount BIGINT NOT NULL DEFAULT 0,
    tax BIGINT NOT NULL DEFAULT 0,
    total BIGINT NOT NULL DEFAULT 0,
    -- A credit note: the invoice it corrects.
    credits_invoice_id BIGINT REFERENCES invoices(id),
    billing_run_id BIGINT REFERENCES billing_runs(id),
    notes TEXT NOT NULL DEFAULT '',
    void_reason TEXT,
    created_at BIGINT NOT NULL,
    issued_at BIGINT,
    voided_at BIGINT
);
CREATE INDEX invoices_customer ON invoices(customer_id, id);
CREATE INDEX invoices_status_due ON invoices(status, due_date, id);
CREATE INDEX invoices_issue_date ON invoices(issue_date, id);
CREATE INDEX invoices_credits ON invoices(credits_invoice_id);
CREATE INDEX invoices_run ON invoices(billing_run_id);

CREATE TABLE invoice_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id BIGINT NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    -- plan, item, installation, one_off, proration, credit
    source TEXT NOT NULL,
    contract_id BIGINT REFERENCES contracts(id),
    description TEXT NOT NULL,
    period_start TEXT,
    period_end TEXT,
    quantity BIGINT NOT NULL,
    unit_price BIGINT NOT NULL,
    discount BIGINT NOT NULL DEFAULT 0,
    amount BIGINT NOT NULL,
    net BIGINT NOT NULL,
    total BIGINT NOT NULL,
    -- A credit-note line: the invoice line it credits.
    credits_line_id BIGINT REFERENCES invoice_lines(id)
);
CREATE INDEX invoice_lines_invoice ON invoice_lines(invoice_id, position);
CREATE INDEX invoice_lines_credits ON invoice_lines(credits_line_id);

-- Each tax of a line, with the rate as it was applied.
CREATE TABLE invoice_line_taxes (
    line_id BIGINT NOT NULL REFERENCES invoice_lines(id) ON DELETE CASCADE,
    tax_rate_id BIGINT NOT NULL REFERENCES tax_rates(id),
    name TEXT NOT NULL,
    rate_ppm BIGINT NOT NULL,
    mode TEXT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (line_id, tax_rate_id)
);

-- A contract's period is billed once: the row is written in the billing
-- transaction, and a second writer hits the primary key. `invoice_id` is
-- null for a period with nothing to charge (suspended throughout).
CREATE TABLE billed_periods (
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    invoice_id BIGINT REFERENCES invoices(id),
    billed_at BIGINT NOT NULL,
    PRIMARY KEY (contract_id, period_start)
);

-- One-off charges staff add to a contract's next invoice.
CREATE TABLE pending_charges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    description TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit_price BIGINT NOT NULL,
    actor_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Set once billed.
    invoice_line_id BIGINT REFERENCES invoice_lines(id)
);
CREATE INDEX pending_charges_contract ON pending_charges(contract_id, id);
