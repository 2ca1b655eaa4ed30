-- Receivables kept summed as invoices are written, so the aging report
-- reads a few thousand rows instead of every invoice ever issued (1.2
-- million a year at 100,000 customers). An invoice counts from its issue:
-- kind 'invoice', status issued or voided (a voided one stays until the
-- credit note that voided it settles it), with an issue date. Triggers
-- keep the sums, so every writer (the billing run, drafts issued, imports,
-- SQL written by hand) keeps them right; only changes to the counted
-- columns fire them (a payment's `paid` does not).

-- Per due date and issue date: the buckets as of any date.
CREATE TABLE receivables_by_date (
    due_date TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    total INTEGER NOT NULL,
    invoices INTEGER NOT NULL,
    PRIMARY KEY (due_date, issue_date)
);

-- Per customer: the order of the by-customer page as of a date on or
-- after the last issue date (older dates read the invoices).
CREATE TABLE receivables_by_customer (
    customer_id INTEGER PRIMARY KEY,
    total INTEGER NOT NULL,
    invoices INTEGER NOT NULL
);

INSERT INTO receivables_by_date (due_date, issue_date, total, invoices)
SELECT due_date, issue_date, SUM(total), COUNT(*) FROM invoices
WHERE kind = 'invoice' AND status IN ('issued', 'voided') AND issue_date IS NOT NULL
GROUP BY due_date, issue_date;

INSERT INTO receivables_by_customer (customer_id, total, invoices)
SELECT customer_id, SUM(total), COUNT(*) FROM invoices
WHERE kind = 'invoice' AND status IN ('issued', 'voided') AND issue_date IS NOT NULL
GROUP BY customer_id;

CREATE TRIGGER invoices_receivable_added AFTER INSERT ON invoices
WHEN NEW.kind = 'invoice' AND NEW.status IN ('issued', 'voided') AND NEW.issue_date IS NOT NULL
BEGIN
    INSERT INTO receivables_by_date (due_date, issue_date, total, invoices)
    VALUES (NEW.due_date, NEW.issue_date, NEW.total, 1)
    ON CONFLICT (due_date, issue_date) DO UPDATE
    SET total = total + excluded.total, invoices = invoices + 1;
    INSERT INTO receivables_by_customer (customer_id, total, invoices)
    VALUES (NEW.customer_id, NEW.total, 1)
    ON CONFLICT (customer_id) DO UPDATE
    SET total = total + excluded.total, invoices = invoices + 1;
END;

CREATE TRIGGER invoices_receivable_left
AFTER UPDATE OF kind, status, customer_id, issue_date, due_date, total ON invoices
WHEN OLD.kind = 'invoice' AND OLD.status IN ('issued', 'voided') AND OLD.issue_date IS NOT NULL
BEGIN
    UPDATE receivables_by_date SET total = total - OLD.total, invoices = invoices - 1
    WHERE due_date = OLD.due_date AND issue_date = OLD.issue_date;
    UPDATE receivables_by_customer SET total = total - OLD.total, invoices = invoices - 1
    WHERE customer_id = OLD.customer_id;
END;

CREATE TRIGGER invoices_receivable_entered
AFTER UPDATE OF kind, status, customer_id, issue_date, due_date, total ON invoices
WHEN NEW.kind = 'invoice' AND NEW.status IN ('issued', 'voided') AND NEW.issue_date IS NOT NULL
BEGIN
    INSERT INTO receivables_by_date (due_date, issue_date, total, invoices)
    VALUES (NEW.due_date, NEW.issue_date, NEW.total, 1)
    ON CONFLICT (due_date, issue_date) DO UPDATE
    SET total = total + excluded.total, invoices = invoices + 1;
    INSERT INTO receivables_by_customer (customer_id, total, invoices)
    VALUES (NEW.customer_id, NEW.total, 1)
    ON CONFLICT (customer_id) DO UPDATE
    SET total = total + excluded.total, invoices = invoices + 1;
END;

CREATE TRIGGER invoices_receivable_deleted AFTER DELETE ON invoices
WHEN OLD.kind = 'invoice' AND OLD.status IN ('issued', 'voided') AND OLD.issue_date IS NOT NULL
BEGIN
    UPDATE receivables_by_date SET total = total - OLD.total, invoices = invoices - 1
    WHERE due_date = OLD.due_date AND issue_date = OLD.issue_date;
    UPDATE receivables_by_customer SET total = total - OLD.total, invoices = invoices - 1
    WHERE customer_id = OLD.customer_id;
END;

-- The buckets read receivables_by_date now; the by-customer page keeps
-- invoices_aging_customer (its page's buckets, older dates).
DROP INDEX invoices_aging;
