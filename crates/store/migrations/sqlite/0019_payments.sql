-- Payments in the books: money received (or given back) per customer,
-- applied to invoices through allocations. Nothing here is edited after
-- it is written: a refund or a reversal is its own row pointing at the
-- payment it takes back, and its allocations give back what the
-- payment's had settled.

CREATE TABLE payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Random and unguessable: the id in links customers open.
    public_id TEXT NOT NULL UNIQUE,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    kind TEXT NOT NULL CHECK (kind IN ('payment', 'refund', 'reversal')),
    method TEXT NOT NULL CHECK (method IN ('pix', 'pix_automatico', 'boleto', 'stripe',
        'paypal', 'cash', 'bank_transfer', 'other')),
    -- Always positive; the kind decides the sign.
    amount BIGINT NOT NULL CHECK (amount > 0),
    received_on TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    -- Who delivered it and its id there (Pix end-to-end id, nosso número,
    -- PaymentIntent, capture): the same money is recorded once however
    -- often it is delivered.
    gateway TEXT,
    reference TEXT,
    -- The invoice the payer named.
    invoice_id BIGINT REFERENCES invoices(id),
    -- A refund or reversal: the payment it takes back.
    reverses_payment_id BIGINT REFERENCES payments(id),
    -- The gateway's or bank's fee (informational; the amount is gross).
    fee BIGINT NOT NULL DEFAULT 0 CHECK (fee >= 0),
    receipt_number TEXT UNIQUE,
    notes TEXT NOT NULL DEFAULT '',
    actor_kind TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (gateway, reference),
    CHECK ((kind = 'payment') = (reverses_payment_id IS NULL))
);
CREATE INDEX payments_customer ON payments(customer_id, id);
CREATE INDEX payments_received_on ON payments(received_on, id);
CREATE INDEX payments_reverses ON payments(reverses_payment_id) WHERE reverses_payment_id IS NOT NULL;

-- What a row of payments moved on an invoice: a payment's allocations
-- settle it, a refund's or reversal's open it again. `allocated_on` is
-- the day it counts from (the payment's day, or the issue day of an
-- invoice a customer's credit paid later), which aging as of a past day
-- reads.
CREATE TABLE payment_allocations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_id BIGINT NOT NULL REFERENCES payments(id),
    invoice_id BIGINT NOT NULL REFERENCES invoices(id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    allocated_on TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX payment_allocations_invoice ON payment_allocations(invoice_id);
CREATE INDEX payment_allocations_payment ON payment_allocations(payment_id);

-- What payments settled, kept with the invoice (in the allocations'
-- transaction) so lists and collections read an invoice's status from
-- its row; `paid_on` is set when nothing is left open.
ALTER TABLE invoices ADD COLUMN paid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN paid_on TEXT;
