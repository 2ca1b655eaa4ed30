-- A billing run started from the pages or the API runs as a job: the run
-- names it, so its progress is also in the jobs list.
ALTER TABLE billing_runs ADD COLUMN job_id BIGINT;

-- When billing accounted for a plan change, and on which invoice: the one
-- whose period was split at the change, or the next one after an already
-- billed period, carrying the credit for the old plan's unused days and the
-- charge for the new plan's (no invoice when both came to nothing).
ALTER TABLE contract_plan_changes ADD COLUMN billed_at BIGINT;
ALTER TABLE contract_plan_changes ADD COLUMN billed_invoice_id BIGINT;
CREATE INDEX contract_plan_changes_unbilled ON contract_plan_changes(contract_id)
    WHERE applied_at IS NOT NULL AND billed_at IS NULL;
