-- Receivables kept summed as invoices are written, so the aging report
-- reads a few thousand rows instead of every invoice ever issued (1.2
-- million a year at 100,000 customers). An invoice counts from its issue:
-- kind 'invoice', status issued or voided (a voided one stays until the
-- credit note that voided it settles it), with an issue date. Triggers
-- keep the sums, so every writer (the billing run, drafts issued, imports,
-- SQL written by hand) keeps them right. They run once per statement over
-- its transition tables (a billing run's multi-row insert is one upsert
-- per table), and an update touches the sums only for rows whose counted
-- columns changed (a payment's `paid` leaves them, and their rows
-- unlocked, alone).

-- Per due date and issue date: the buckets as of any date.
CREATE TABLE receivables_by_date (
    due_date TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    total BIGINT NOT NULL,
    invoices BIGINT NOT NULL,
    PRIMARY KEY (due_date, issue_date)
);

-- Per customer: the order of the by-customer page as of a date on or
-- after the last issue date (older dates read the invoices).
CREATE TABLE receivables_by_customer (
    customer_id BIGINT PRIMARY KEY,
    total BIGINT NOT NULL,
    invoices BIGINT NOT NULL
);

INSERT INTO receivables_by_date (due_date, issue_date, total, invoices)
SELECT due_date, issue_date, SUM(total), COUNT(*) FROM invoices
WHERE kind = 'invoice' AND status IN ('issued', 'voided') AND issue_date IS NOT NULL
GROUP BY due_date, issue_date;

INSERT INTO receivables_by_customer (customer_id, total, invoices)
SELECT customer_id, SUM(total), COUNT(*) FROM invoices
WHERE kind = 'invoice' AND status IN ('issued', 'voided') AND issue_date IS NOT NULL
GROUP BY customer_id;

-- Applies what a statement changed to the sums: counted rows that
-- appeared (+) and disappeared (-); an updated row only if a counted
-- column moved. One statement per branch (the transition tables exist
-- only for the operation that fired it).
CREATE FUNCTION receivables_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
    WITH d AS (
        SELECT n.customer_id, n.due_date, n.issue_date, n.total, 1 AS n FROM new_rows n
        WHERE n.kind = 'invoice' AND n.status IN ('issued', 'voided') AND n.issue_date IS NOT NULL),
    c AS (INSERT INTO receivables_by_customer AS r (customer_id, total, invoices)
    SELECT customer_id, SUM(total), SUM(n) FROM d GROUP BY customer_id
    ON CONFLICT (customer_id) DO UPDATE
        SET total = r.total + excluded.total, invoices = r.invoices + excluded.invoices)
    INSERT INTO receivables_by_date AS r (due_date, issue_date, total, invoices)
    SELECT due_date, issue_date, SUM(total), SUM(n) FROM d GROUP BY due_date, issue_date
    ON CONFLICT (due_date, issue_date) DO UPDATE
        SET total = r.total + excluded.total, invoices = r.invoices + excluded.invoices;
    ELSIF TG_OP = 'DELETE' THEN
    WITH d AS (
        SELECT o.customer_id, o.due_date, o.issue_date, -o.total AS total, -1 AS n FROM old_rows o
        WHERE o.kind = 'invoice' AND o.status IN ('issued', 'voided') AND o.issue_date IS NOT NULL),
    c AS (INSERT INTO receivables_by_customer AS r (customer_id, total, invoices)
    SELECT customer_id, SUM(total), SUM(n) FROM d GROUP BY customer_id
    ON CONFLICT (customer_id) DO UPDATE
        SET total = r.total + excluded.total, invoices = r.invoices + excluded.invoices)
    INSERT INTO receivables_by_date AS r (due_date, issue_date, total, invoices)
    SELECT due_date, issue_date, SUM(total), SUM(n) FROM d GROUP BY due_date, issue_date
    ON CONFLICT (due_date, issue_date) DO UPDATE
        SET total = r.total + excluded.total, invoices = r.invoices + excluded.invoices;
    ELSE
    WITH moved AS (
        SELECT o.customer_id AS o_customer, o.due_date AS o_due, o.issue_date AS o_issue,
            o.total AS o_total, o.kind = 'invoice' AND o.status IN ('issued', 'voided') AND o.issue_date IS NOT NULL AS o_counted,
            n.customer_id AS n_customer, n.due_date AS n_due, n.issue_date AS n_issue,
            n.total AS n_total, n.kind = 'invoice' AND n.status IN ('issued', 'voided') AND n.issue_date IS NOT NULL AS n_counted
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE (o.kind, o.status, o.customer_id, o.issue_date, o.due_date, o.total)
            IS DISTINCT FROM (n.kind, n.status, n.customer_id, n.issue_date, n.due_date, n.total)),
    d AS (
        SELECT o_customer AS customer_id, o_due AS due_date, o_issue AS issue_date,
            -o_total AS total, -1 AS n FROM moved WHERE o_counted
        UNION ALL
        SELECT n_customer, n_due, n_issue, n_total, 1 FROM moved WHERE n_counted),
    c AS (INSERT INTO receivables_by_customer AS r (customer_id, total, invoices)
    SELECT customer_id, SUM(total), SUM(n) FROM d GROUP BY customer_id
    ON CONFLICT (customer_id) DO UPDATE
        SET total = r.total + excluded.total, invoices = r.invoices + excluded.invoices)
    INSERT INTO receivables_by_date AS r (due_date, issue_date, total, invoices)
    SELECT due_date, issue_date, SUM(total), SUM(n) FROM d GROUP BY due_date, issue_date
    ON CONFLICT (due_date, issue_date) DO UPDATE
        SET total = r.total + excluded.total, invoices = r.invoices + excluded.invoices;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER invoices_receivables_insert AFTER INSERT ON invoices
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION receivables_track();

CREATE TRIGGER invoices_receivables_update AFTER UPDATE ON invoices
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION receivables_track();

CREATE TRIGGER invoices_receivables_delete AFTER DELETE ON invoices
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION receivables_track();

-- The buckets read receivables_by_date now; the by-customer page keeps
-- invoices_aging_customer (its page's buckets, older dates).
DROP INDEX invoices_aging;
