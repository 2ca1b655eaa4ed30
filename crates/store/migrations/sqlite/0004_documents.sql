-- KYC documents attached to customers and the provider's contract templates.
-- Instants are Unix seconds (BIGINT) in UTC.

-- Uploaded files live in the database (not on a node's disk) so several web
-- nodes sharing one database see them and backups include them. `data` is
-- encrypted with the installation's secret box (personal data); `sha256`
-- and `size` describe the plain file.
CREATE TABLE customer_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    -- identity, proof_of_address, contract_signed, other
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    -- From the content's magic bytes, never from the name or the browser.
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    -- pending, verified, rejected
    status TEXT NOT NULL DEFAULT 'pending',
    -- Who verified or rejected it, and when.
    verified_by BIGINT,
    verified_by_name TEXT NOT NULL DEFAULT '',
    verified_at BIGINT,
    rejection_reason TEXT NOT NULL DEFAULT '',
    uploaded_by BIGINT,
    uploaded_by_name TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX customer_documents_customer ON customer_documents (customer_id, id);

-- The contract document's template, one per locale (`en`, `pt-BR`); absent
-- rows mean the built-in default.
CREATE TABLE contract_templates (
    locale TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
