-- CRM and service catalog: customers (addresses, notes, timeline, search
-- keys), plans and service items, contracts (items, transitions, plan
-- changes), and the domain-event outbox later areas subscribe to.
-- Instants are Unix seconds (BIGINT) in UTC; calendar dates are 'YYYY-MM-DD'
-- text; money is BIGINT minor units.

CREATE TABLE customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'company')),
    name TEXT NOT NULL,
    trade_name TEXT NOT NULL DEFAULT '',
    -- cpf, cnpj or foreign; `document` as shown, `document_norm` without
    -- punctuation (upper-case letters and digits).
    document_kind TEXT NOT NULL,
    document TEXT NOT NULL,
    document_norm TEXT NOT NULL,
    state_registration TEXT NOT NULL DEFAULT '',
    birth_date TEXT,
    -- JSON arrays of strings: e-mails as typed (trimmed), phones in E.164.
    emails TEXT NOT NULL DEFAULT '[]',
    phones TEXT NOT NULL DEFAULT '[]',
    preferred_channel TEXT NOT NULL DEFAULT 'email',
    -- JSON array of tags (also in customer_tags, for filtering).
    tags TEXT NOT NULL DEFAULT '[]',
    -- JSON object: custom field key -> value (text).
    custom_fields TEXT NOT NULL DEFAULT '{}',
    -- Folded (lower-case, no accents) name + trade name: partial search.
    search_text TEXT NOT NULL,
    -- Folded name: sorting.
    name_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX customers_document_norm ON customers(document_norm);
CREATE INDEX customers_name_key ON customers(name_key, id);

-- Exact / prefix lookup keys of a customer: document (normalised), e-mails
-- (lower-case), phones (E.164 digits and national digits). Rewritten with
-- the customer; used by search and duplicate detection.
CREATE TABLE customer_keys (
    customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('document', 'email', 'phone')),
    key TEXT NOT NULL,
    PRIMARY KEY (customer_id, kind, key)
);
CREATE INDEX customer_keys_key ON customer_keys(key, customer_id);

CREATE TABLE customer_tags (
    customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (customer_id, tag)
);
CREATE INDEX customer_tags_tag ON customer_tags(tag, customer_id);

-- Custom customer fields the provider defines.
CREATE TABLE customer_field_defs (
    key TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    -- text, number, date, choice
    kind TEXT NOT NULL,
    -- JSON array of allowed values for `choice`.
    choices TEXT NOT NULL DEFAULT '[]',
    required INTEGER NOT NULL DEFAULT 0,
    position BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE customer_addresses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('billing', 'service')),
    label TEXT NOT NULL DEFAULT '',
    street TEXT NOT NULL,
    number TEXT NOT NULL DEFAULT '',
    complement TEXT NOT NULL DEFAULT '',
    district TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT '',
    -- Eight digits for Brazil (shown 01310-100); free text elsewhere.
    postal_code TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL,
    lat REAL,
    lng REAL,
    -- Folded street, number, district and city: address search.
    search_text TEXT NOT NULL,
    -- Folded city: the city filter.
    city_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX customer_addresses_customer ON customer_addresses(customer_id, id);
CREATE INDEX customer_addresses_city ON customer_addresses(city_key, customer_id);
-- One billing address per customer.
CREATE UNIQUE INDEX customer_addresses_billing ON customer_addresses(customer_id) WHERE kind = 'billing';

CREATE TABLE customer_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    author_kind TEXT NOT NULL,
    author_id BIGINT,
    author_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX customer_notes_customer ON customer_notes(customer_id, id);

-- Everything that happened to a customer, in time order; later areas
-- (billing, tickets, sessions) add their events through the CRM service.
CREATE TABLE customer_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id BIGINT,
    actor_name TEXT NOT NULL,
    -- Dotted, e.g. customer.created, contract.suspended, invoice.paid.
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    -- What the event is about, e.g. ('contract', '12').
    entity_kind TEXT,
    entity_id TEXT,
    -- JSON object with details.
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX customer_events_customer ON customer_events(customer_id, at, id);

CREATE TABLE plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    download_kbps BIGINT NOT NULL,
    upload_kbps BIGINT NOT NULL,
    burst_down_rate_kbps BIGINT,
    burst_down_threshold_kbps BIGINT,
    burst_down_time_secs BIGINT,
    burst_up_rate_kbps BIGINT,
    burst_up_threshold_kbps BIGINT,
    burst_up_time_secs BIGINT,
    quota_mb BIGINT,
    -- throttle or block
    quota_action TEXT,
    quota_throttle_kbps BIGINT,
    price BIGINT NOT NULL,
    -- prepaid or postpaid
    billing_mode TEXT NOT NULL,
    -- monthly, quarterly or yearly
    cycle TEXT NOT NULL,
    installation_fee BIGINT NOT NULL DEFAULT 0,
    loyalty_months BIGINT NOT NULL DEFAULT 0,
    early_termination_fee BIGINT NOT NULL DEFAULT 0,
    tax_category TEXT NOT NULL DEFAULT '',
    -- fiber, wireless, cable or dsl
    technology TEXT NOT NULL,
    -- reject or restricted
    suspended_behavior TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    public INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE service_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    price BIGINT NOT NULL,
    cycle TEXT NOT NULL,
    tax_category TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Named counters (contract numbers).
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('contract_number', 0);

CREATE TABLE contracts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    plan_id BIGINT NOT NULL REFERENCES plans(id),
    -- The contract's own price: a plan's price change never rewrites it.
    price BIGINT NOT NULL,
    installation_fee BIGINT NOT NULL DEFAULT 0,
    billing_day BIGINT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    loyalty_end_date TEXT,
    early_termination_fee BIGINT NOT NULL DEFAULT 0,
    -- pending_installation, active, suspended or canceled
    status TEXT NOT NULL,
    -- non_payment, customer_request or administrative, while suspended.
    suspend_reason TEXT,
    status_changed_at BIGINT NOT NULL,
    service_address_id BIGINT REFERENCES customer_addresses(id),
    pppoe_login TEXT NOT NULL UNIQUE,
    -- Encrypted at rest (services' secret box), not hashed: CHAP and
    -- MS-CHAPv2 need the clear text.
    pppoe_password TEXT NOT NULL,
    mac TEXT,
    ipv4 TEXT UNIQUE,
    ipv6_prefix TEXT UNIQUE,
    notes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX contracts_customer ON contracts(customer_id, id);
CREATE INDEX contracts_plan ON contracts(plan_id, status, id);
CREATE INDEX contracts_status ON contracts(status, id);

CREATE TABLE contract_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL REFERENCES service_items(id),
    -- Price snapshot per unit.
    price BIGINT NOT NULL,
    quantity BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE INDEX contract_items_contract ON contract_items(contract_id);

CREATE TABLE contract_transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    reason TEXT,
    note TEXT NOT NULL DEFAULT '',
    actor_kind TEXT NOT NULL,
    actor_id BIGINT,
    actor_name TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX contract_transitions_contract ON contract_transitions(contract_id, id);

-- Plan changes (upgrade / downgrade), applied now or on their effective date.
CREATE TABLE contract_plan_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
    from_plan_id BIGINT NOT NULL REFERENCES plans(id),
    to_plan_id BIGINT NOT NULL REFERENCES plans(id),
    from_price BIGINT NOT NULL,
    to_price BIGINT NOT NULL,
    effective_date TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id BIGINT,
    actor_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    applied_at BIGINT,
    canceled_at BIGINT
);
CREATE INDEX contract_plan_changes_contract ON contract_plan_changes(contract_id, id);
CREATE INDEX contract_plan_changes_due ON contract_plan_changes(effective_date) WHERE applied_at IS NULL AND canceled_at IS NULL;

-- The domain-event outbox: written in the same transaction as the change;
-- consumers read in id order from their cursor.
CREATE TABLE domain_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    -- Dotted, e.g. contract.status_changed, contract.plan_changed.
    kind TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    -- JSON object.
    payload TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_name TEXT NOT NULL
);
CREATE INDEX domain_events_kind ON domain_events(kind, id);

CREATE TABLE domain_event_cursors (
    consumer TEXT PRIMARY KEY,
    last_id BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Partial name and address search: FTS5 trigram indexes over the folded
-- text (LIKE '%word%' uses them for words of three or more characters).
CREATE VIRTUAL TABLE customers_fts USING fts5(
    search_text, content='customers', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customers_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER customers_fts_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customers_fts(customers_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER customers_fts_update AFTER UPDATE OF search_text ON customers BEGIN
    INSERT INTO customers_fts(customers_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    INSERT INTO customers_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE VIRTUAL TABLE customer_addresses_fts USING fts5(
    search_text, content='customer_addresses', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER customer_addresses_fts_insert AFTER INSERT ON customer_addresses BEGIN
    INSERT INTO customer_addresses_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER customer_addresses_fts_delete AFTER DELETE ON customer_addresses BEGIN
    INSERT INTO customer_addresses_fts(customer_addresses_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER customer_addresses_fts_update AFTER UPDATE OF search_text ON customer_addresses BEGIN
    INSERT INTO customer_addresses_fts(customer_addresses_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    INSERT INTO customer_addresses_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;
