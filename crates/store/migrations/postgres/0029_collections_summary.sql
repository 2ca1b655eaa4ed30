-- What each invoice still has open: its total plus every settlement (issued
-- credit notes against it; payments' allocations, less what refunds,
-- reversals and releases gave back), whatever the settlement's date. Kept
-- by the triggers below in the writing transaction, so the overdue list
-- reads only the open invoices through `invoices_open` instead of summing
-- the whole book's settlements on every page view.
ALTER TABLE invoices ADD COLUMN open_amount BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION lastmile_invoice_open_refresh(target BIGINT) RETURNS void AS $$
    UPDATE invoices SET open_amount = total
        + COALESCE((SELECT SUM(c.total) FROM invoices c
            WHERE c.credits_invoice_id = invoices.id AND c.kind = 'credit_note'
              AND c.status = 'issued'), 0)
        + COALESCE((SELECT SUM(CASE WHEN p.kind = 'payment' AND a.released = 0
                THEN -a.amount ELSE a.amount END)
            FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
            WHERE a.invoice_id = invoices.id), 0)
    WHERE id = target AND kind = 'invoice';
$$ LANGUAGE sql;

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

-- A document written, changed or deleted: the invoice itself and the one a
-- credit note credits are counted again.
CREATE FUNCTION lastmile_invoices_open() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM lastmile_invoice_open_refresh(NEW.id);
        IF NEW.credits_invoice_id IS NOT NULL THEN
            PERFORM lastmile_invoice_open_refresh(NEW.credits_invoice_id);
        END IF;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.credits_invoice_id IS NOT NULL THEN
        PERFORM lastmile_invoice_open_refresh(OLD.credits_invoice_id);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER invoices_open_insert AFTER INSERT ON invoices
FOR EACH ROW EXECUTE FUNCTION lastmile_invoices_open();
CREATE TRIGGER invoices_open_update
    AFTER UPDATE OF total, status, kind, credits_invoice_id ON invoices
FOR EACH ROW EXECUTE FUNCTION lastmile_invoices_open();
CREATE TRIGGER invoices_open_delete AFTER DELETE ON invoices
FOR EACH ROW EXECUTE FUNCTION lastmile_invoices_open();

-- Allocations are only added: each moves its invoice by its own amount.
CREATE FUNCTION lastmile_allocations_open() RETURNS trigger AS $$
BEGIN
    UPDATE invoices SET open_amount = open_amount
        + (SELECT CASE WHEN p.kind = 'payment' AND NEW.released = 0
                THEN -NEW.amount ELSE NEW.amount END
           FROM payments p WHERE p.id = NEW.payment_id)
    WHERE id = NEW.invoice_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER payment_allocations_open AFTER INSERT ON payment_allocations
FOR EACH ROW EXECUTE FUNCTION lastmile_allocations_open();
