-- Billing documents: the invoice template per locale (edited on the
-- settings page like the contract template), invoice PDFs attached to
-- outbox e-mails by reference (rendered when sent, so issuing stays a
-- small insert), and the index a customer's statement reads.

CREATE TABLE invoice_templates (
    locale TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- `attachment_kind` names what to render at send time ('invoice': the
-- document `attachment_id`'s PDF); NULL for plain messages.
ALTER TABLE email_outbox ADD COLUMN attachment_kind TEXT;
ALTER TABLE email_outbox ADD COLUMN attachment_id BIGINT;
-- One message per document, however often issuing code asks.
CREATE UNIQUE INDEX email_outbox_attachment ON email_outbox(attachment_kind, attachment_id)
    WHERE attachment_kind IS NOT NULL;

-- A statement: one customer's documents by issue date (opening balance
-- before `from`, rows from `from` to `to`) without touching other rows.
CREATE INDEX invoices_customer_issue ON invoices(customer_id, issue_date, id);
