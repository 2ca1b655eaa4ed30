-- Cards saved for automatic payments: a customer's Stripe customer id and
-- the payment method Stripe keeps for off-session charges (set when the
-- customer finishes Checkout in setup mode). One per customer and gateway.
CREATE TABLE saved_payment_methods (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    gateway TEXT NOT NULL,
    -- Stripe's cus_… id.
    provider_customer TEXT NOT NULL,
    -- Stripe's pm_… id; NULL until the customer finished saving a card.
    payment_method TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (customer_id, gateway)
);

-- Automatic charges of a saved card (the card-charges job) are charge rows
-- too; this tells them from the checkouts customers open themselves, so an
-- invoice is charged automatically once.
ALTER TABLE payment_charges ADD COLUMN automatic INTEGER NOT NULL DEFAULT 0;
