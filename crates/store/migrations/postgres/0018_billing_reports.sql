-- Billing reports. The aging report sums every invoice ever issued by due
-- date; this index holds all it reads (kind first, so credit notes, the
-- other thing it reads, are a range of their own), so neither engine
-- touches the table itself.
CREATE INDEX invoices_aging ON invoices(kind, due_date, status, issue_date, total, customer_id);

-- Aging per customer: the same sums in customer order.
CREATE INDEX invoices_aging_customer ON invoices(kind, customer_id, due_date, status, issue_date, total);
