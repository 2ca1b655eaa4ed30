-- What each invoice still has open: its total plus every settlement (issued
-- credit notes against it; payments' allocations, less what refunds,
-- reversals and releases gave back), whatever the settlement's date. Kept
-- by the triggers below in the writing transaction, so the overdue list
-- reads only the open invoices through `invoices_open` instead of summing
-- the whole book's settlements on every page view.
ALTER TABLE invoices ADD COLUMN open_amount BIGINT NOT NULL DEFAULT 0;

UPDATE invoices SET open_amount = total
    + COALESCE((SELECT SUM(c.total) FROM invoices c
        WHERE c.credits_invoice_id = invoices.id AND c.kind = 'credit_note'
          AND c.status = 'issued'), 0)
    + COALESCE((SELECT SUM(CASE WHEN p.kind = 'payment' AND a.released = 0
            THEN -a.amount ELSE a.amount END)
        FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
        WHERE a.invoice_id = invoices.id), 0)
WHERE kind = 'invoice';

CREATE INDEX invoices_open ON invoices(due_date, customer_id)
    WHERE kind = 'invoice' AND status IN ('issued', 'voided') AND open_amount > 0;

-- A document written or changed: the invoice itself and the one a credit
-- note credits are counted again.
CREATE TRIGGER invoices_open_insert AFTER INSERT ON invoices BEGIN
    UPDATE invoices SET open_amount = total
        + COALESCE((SELECT SUM(c.total) FROM invoices c
            WHERE c.credits_invoice_id = invoices.id AND c.kind = 'credit_note'
              AND c.status = 'issued'), 0)
        + COALESCE((SELECT SUM(CASE WHEN p.kind = 'payment' AND a.released = 0
                THEN -a.amount ELSE a.amount END)
            FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
            WHERE a.invoice_id = invoices.id), 0)
    WHERE id IN (new.id, new.credits_invoice_id) AND kind = 'invoice';
END;
CREATE TRIGGER invoices_open_update
    AFTER UPDATE OF total, status, kind, credits_invoice_id ON invoices BEGIN
    UPDATE invoices SET open_amount = total
        + COALESCE((SELECT SUM(c.total) FROM invoices c
            WHERE c.credits_invoice_id = invoices.id AND c.kind = 'credit_note'
              AND c.status = 'issued'), 0)
        + COALESCE((SELECT SUM(CASE WHEN p.kind = 'payment' AND a.released = 0
                THEN -a.amount ELSE a.amount END)
            FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
            WHERE a.invoice_id = invoices.id), 0)
    WHERE id IN (new.id, new.credits_invoice_id, old.credits_invoice_id) AND kind = 'invoice';
END;
CREATE TRIGGER invoices_open_delete AFTER DELETE ON invoices
    WHEN old.credits_invoice_id IS NOT NULL BEGIN
    UPDATE invoices SET open_amount = total
        + COALESCE((SELECT SUM(c.total) FROM invoices c
            WHERE c.credits_invoice_id = invoices.id AND c.kind = 'credit_note'
              AND c.status = 'issued'), 0)
        + COALESCE((SELECT SUM(CASE WHEN p.kind = 'payment' AND a.released = 0
                THEN -a.amount ELSE a.amount END)
            FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
            WHERE a.invoice_id = invoices.id), 0)
    WHERE id = old.credits_invoice_id AND kind = 'invoice';
END;
-- Allocations are only added: each moves its invoice by its own amount.
CREATE TRIGGER payment_allocations_open AFTER INSERT ON payment_allocations BEGIN
    UPDATE invoices SET open_amount = open_amount
        + (SELECT CASE WHEN p.kind = 'payment' AND new.released = 0
                THEN -new.amount ELSE new.amount END
           FROM payments p WHERE p.id = new.payment_id)
    WHERE id = new.invoice_id;
END;
