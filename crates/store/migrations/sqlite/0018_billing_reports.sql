-- Billing reports. The aging report sums every invoice ever issued by due
-- date; this index holds all it reads (kind first, so credit notes, the
-- other thing it reads, are a range of their own), so neither engine
-- touches the table itself.
CREATE INDEX invoices_aging ON invoices(kind, due_date, status, issue_date, total, customer_id);

-- The billing run counts each contract's installation installments
-- already billed; without this it read every invoice line per contract,
-- so each run was slower than the last (a year of demo history took
-- minutes for 2,000 customers).
CREATE INDEX invoice_lines_contract ON invoice_lines(contract_id, source);

-- Aging per customer: the same sums in customer order.
CREATE INDEX invoices_aging_customer ON invoices(kind, customer_id, due_date, status, issue_date, total);
