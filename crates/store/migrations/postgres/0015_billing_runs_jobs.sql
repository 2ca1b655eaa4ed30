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

-- Days already billed that were then spent suspended for a reason not
-- charged (a prepaid period paid ahead, then suspended for non-payment):
-- credited once, on the contract's next invoice. The key makes a range
-- credited at most once whatever runs concurrently.
CREATE TABLE billing_day_credits (
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    invoice_id BIGINT REFERENCES invoices(id),
    credited_at BIGINT NOT NULL,
    PRIMARY KEY (contract_id, period_start)
);
