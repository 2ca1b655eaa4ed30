-- Boleto by CNAB files and reconciliation: the remittance files generated
-- for the bank and the return files uploaded from it (a return file is
-- processed once: its SHA-256 is unique), what each return line did, and
-- the queue of money received that matched no boleto, which finance
-- assigns to a customer by hand.

CREATE TABLE cnab_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('remessa', 'retorno')),
    -- cnab240 or cnab400
    format TEXT NOT NULL,
    -- The bank's code (001, 237, 341…).
    bank TEXT NOT NULL,
    -- Remittances: the file number (NSA) per agreement; returns: the
    -- number the bank wrote in the header.
    sequence BIGINT NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    -- The remittance as generated (ASCII), to download again; returns keep
    -- their outcome per line in cnab_file_entries instead.
    content TEXT,
    -- generated (remessa); processing, processed, failed (retorno)
    status TEXT NOT NULL CHECK (status IN ('generated', 'processing', 'processed', 'failed')),
    lines BIGINT NOT NULL DEFAULT 0,
    titles BIGINT NOT NULL DEFAULT 0,
    total BIGINT NOT NULL DEFAULT 0,
    settled BIGINT NOT NULL DEFAULT 0,
    settled_amount BIGINT NOT NULL DEFAULT 0,
    already_settled BIGINT NOT NULL DEFAULT 0,
    unmatched BIGINT NOT NULL DEFAULT 0,
    unmatched_amount BIGINT NOT NULL DEFAULT 0,
    divergent BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    other BIGINT NOT NULL DEFAULT 0,
    fees BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    processed_at BIGINT
);
CREATE INDEX cnab_files_kind ON cnab_files(kind, id);

CREATE TABLE cnab_file_entries (
    file_id BIGINT NOT NULL REFERENCES cnab_files(id),
    line BIGINT NOT NULL,
    nosso_numero TEXT NOT NULL,
    -- The bank's occurrence code (06 liquidação, 03 rejeitada…).
    occurrence TEXT NOT NULL,
    -- settled, already_settled, unmatched, divergent, rejected, other
    outcome TEXT NOT NULL,
    -- The title's amount as the bank has it, what was paid, the bank's fee.
    amount BIGINT NOT NULL,
    paid BIGINT NOT NULL,
    fee BIGINT NOT NULL,
    credit_date TEXT,
    invoice_id BIGINT,
    payment_id BIGINT,
    message TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (file_id, line)
);

CREATE TABLE unmatched_payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Where the money was reported: cnab (a return file line).
    source TEXT NOT NULL,
    -- The reference it carried (the nosso número).
    reference TEXT NOT NULL,
    file_id BIGINT REFERENCES cnab_files(id),
    amount BIGINT NOT NULL,
    fee BIGINT NOT NULL DEFAULT 0,
    paid_on TEXT NOT NULL,
    payer_name TEXT NOT NULL DEFAULT '',
    payer_document TEXT NOT NULL DEFAULT '',
    raw TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('open', 'assigned', 'dismissed')),
    customer_id BIGINT REFERENCES customers(id),
    invoice_id BIGINT REFERENCES invoices(id),
    payment_id BIGINT,
    note TEXT NOT NULL DEFAULT '',
    resolved_by TEXT,
    resolved_at BIGINT,
    created_at BIGINT NOT NULL,
    -- The same money reported again (a bank resending a line) is queued once.
    UNIQUE (source, reference)
);
CREATE INDEX unmatched_payments_status ON unmatched_payments(status, id);
