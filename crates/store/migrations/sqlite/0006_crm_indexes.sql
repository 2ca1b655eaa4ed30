-- The customer list filtered by contract status runs
-- EXISTS (SELECT 1 FROM contracts WHERE customer_id = c.id AND status = $1)
-- per customer; with only contracts_status to choose, SQLite walked every
-- contract of that status for each customer (quadratic: 380 ms at 2,000
-- customers). This index answers the probe with one seek.
CREATE INDEX contracts_customer_status ON contracts(customer_id, status);
