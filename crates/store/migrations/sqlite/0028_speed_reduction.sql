-- Collections' speed-reduction step: a contract whose notice allows it
-- gets a reduced rate until the debt is paid, it is unlocked on trust or
-- suspended. Once per contract and notice. The rate is kept as the policy
-- gave it (a percentage of the plan's speeds, or a fixed pair), so RADIUS
-- follows a plan change while reduced.
CREATE TABLE dunning_reductions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    notice_id BIGINT NOT NULL REFERENCES dunning_notices(id),
    reduced_on TEXT NOT NULL,
    -- Either a percentage, or both kbit/s.
    percent BIGINT,
    up_kbps BIGINT,
    down_kbps BIGINT,
    -- Set when the plan's speed came back, and why (paid, unlocked,
    -- suspended, canceled).
    ended_on TEXT,
    ended_why TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (contract_id, notice_id)
);
-- At most one open reduction per contract: the RADIUS view joins it to
-- each contract.
CREATE UNIQUE INDEX dunning_reductions_open ON dunning_reductions(contract_id) WHERE ended_on IS NULL;
CREATE INDEX dunning_reductions_customer ON dunning_reductions(customer_id, contract_id) WHERE ended_on IS NULL;
