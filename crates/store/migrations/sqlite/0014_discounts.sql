-- Discounts on contracts and the promo codes that create them. Amounts are
-- BIGINT minor units (kind 'fixed') or parts per million (kind 'percent');
-- calendar dates are 'YYYY-MM-DD' text.

-- Codes are stored normalised (trimmed, upper case), so the unique
-- constraint makes them unique without regard to case.
CREATE TABLE promo_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('fixed', 'percent')),
    value BIGINT NOT NULL CHECK (value > 0),
    description TEXT NOT NULL DEFAULT '',
    -- First and last day it may be redeemed (inclusive); null: open.
    valid_from TEXT,
    valid_until TEXT,
    max_uses BIGINT CHECK (max_uses IS NULL OR max_uses > 0),
    max_uses_per_customer BIGINT CHECK (max_uses_per_customer IS NULL OR max_uses_per_customer > 0),
    -- Cycles the discount it creates lasts; null: no limit.
    cycles BIGINT CHECK (cycles IS NULL OR cycles > 0),
    -- Redemptions so far: raised by a conditional UPDATE that also checks
    -- max_uses, so concurrent redemptions cannot overshoot it.
    uses BIGINT NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The plans a code is limited to; none: every plan.
CREATE TABLE promo_code_plans (
    promo_code_id BIGINT NOT NULL REFERENCES promo_codes(id) ON DELETE CASCADE,
    plan_id BIGINT NOT NULL REFERENCES plans(id),
    PRIMARY KEY (promo_code_id, plan_id)
);

CREATE TABLE contract_discounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    kind TEXT NOT NULL CHECK (kind IN ('fixed', 'percent')),
    value BIGINT NOT NULL CHECK (value > 0),
    description TEXT NOT NULL,
    -- Billed cycles it lasts (null: no limit) and how many it discounted.
    cycles BIGINT CHECK (cycles IS NULL OR cycles > 0),
    cycles_used BIGINT NOT NULL DEFAULT 0,
    -- Periods starting on or after this day are not discounted.
    until TEXT,
    promo_code_id BIGINT REFERENCES promo_codes(id),
    actor_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Set when staff end it, or when its cycles or dates run out.
    ended_at BIGINT
);
CREATE INDEX contract_discounts_contract ON contract_discounts(contract_id, id);
CREATE INDEX contract_discounts_promo ON contract_discounts(promo_code_id);

CREATE TABLE promo_redemptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    promo_code_id BIGINT NOT NULL REFERENCES promo_codes(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    discount_id BIGINT NOT NULL REFERENCES contract_discounts(id),
    redeemed_at BIGINT NOT NULL
);
CREATE INDEX promo_redemptions_code_customer ON promo_redemptions(promo_code_id, customer_id);
CREATE INDEX promo_redemptions_contract ON promo_redemptions(contract_id);
