-- Payment gateways: the charges created at providers for invoices (a Pix
-- charge, a registered boleto, a checkout session, an order) and the
-- webhook deliveries already handled, so a delivery repeated by the
-- provider is processed once. Gateway settings live in the settings table
-- (groups pix, boleto, stripe, paypal; secrets encrypted).

CREATE TABLE payment_charges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id BIGINT NOT NULL REFERENCES invoices(id),
    -- pix, pix_automatico, boleto, stripe, paypal
    method TEXT NOT NULL,
    -- Who holds it: psp (API Pix), pix_static, bb (Banco do Brasil API),
    -- cnab (remittance file), stripe, paypal.
    gateway TEXT NOT NULL,
    -- The provider's id: txid, nosso número, Checkout Session or
    -- PaymentIntent id, PayPal order id.
    external_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'paid', 'canceled', 'expired', 'failed')),
    amount BIGINT NOT NULL,
    -- What the payer uses: the Pix copy-and-paste code, the boleto's
    -- digitable line and barcode, the checkout or approval URL.
    pay_code TEXT,
    barcode TEXT,
    url TEXT,
    expires_at BIGINT,
    -- The payment that settled it (payments.id).
    payment_id BIGINT,
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (gateway, external_id)
);
CREATE INDEX payment_charges_invoice ON payment_charges(invoice_id, method, status);

CREATE TABLE webhook_events (
    gateway TEXT NOT NULL,
    -- The provider's event id (Stripe evt_…, PayPal WH-…), or for Pix the
    -- end-to-end id of the received payment.
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    -- processed, ignored or failed (with the error), for the gateway page.
    outcome TEXT NOT NULL,
    error TEXT,
    PRIMARY KEY (gateway, event_id)
);
CREATE INDEX webhook_events_received ON webhook_events(received_at);
