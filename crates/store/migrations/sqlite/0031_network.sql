-- The network area: sites (PoPs), devices, links, and IP address
-- management (prefixes, pools, taken slots). Addresses are kept as
-- integers: a pool's slot n is its n-th address (or delegated prefix), so
-- the next free one is the first gap in the (pool_id, slot) index.

CREATE TABLE network_sites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    -- tower, data_center, cabinet, street_box, customer_premises
    kind TEXT NOT NULL,
    -- active, planned, retired
    status TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    latitude REAL,
    longitude REAL,
    notes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX network_sites_kind ON network_sites(kind, name);

CREATE TABLE network_devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    -- router, olt, switch, radio_ap, radio_station, server
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    vendor TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    serial TEXT NOT NULL DEFAULT '',
    mac TEXT NOT NULL DEFAULT '',
    firmware TEXT NOT NULL DEFAULT '',
    mgmt_address TEXT NOT NULL DEFAULT '',
    username TEXT NOT NULL DEFAULT '',
    -- The management password, encrypted at rest (services' secret box);
    -- empty when none is kept.
    secret TEXT NOT NULL DEFAULT '',
    site_id BIGINT REFERENCES network_sites(id),
    uplink_id BIGINT REFERENCES network_devices(id),
    -- The RADIUS client this router is, when it is one: the NAS table
    -- stays the AAA runtime's, a device points at its row.
    nas_id BIGINT UNIQUE REFERENCES nas(id) ON DELETE SET NULL,
    notes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX network_devices_site ON network_devices(site_id, name);
CREATE INDEX network_devices_uplink ON network_devices(uplink_id);
CREATE INDEX network_devices_role ON network_devices(role, name);

-- Every NAS known before this release becomes a router device.
INSERT INTO network_devices (name, role, status, mgmt_address, nas_id, notes, created_at, updated_at)
SELECT name, 'router', 'active', address, id, '', created_at, updated_at FROM nas;

CREATE TABLE network_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    -- fibre, wireless_ptp, wireless_ptmp
    kind TEXT NOT NULL,
    -- active, down, planned
    status TEXT NOT NULL,
    a_site_id BIGINT REFERENCES network_sites(id),
    a_device_id BIGINT REFERENCES network_devices(id),
    b_site_id BIGINT REFERENCES network_sites(id),
    b_device_id BIGINT REFERENCES network_devices(id),
    capacity_mbps BIGINT NOT NULL DEFAULT 0,
    -- The route as `lat,lon; lat,lon; …`.
    path TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX network_links_a_site ON network_links(a_site_id);
CREATE INDEX network_links_b_site ON network_links(b_site_id);
CREATE INDEX network_links_a_device ON network_links(a_device_id);
CREATE INDEX network_links_b_device ON network_links(b_device_id);

CREATE TABLE ip_prefixes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Canonical text (`10.0.0.0/16`); 4 or 6.
    cidr TEXT NOT NULL,
    family BIGINT NOT NULL,
    -- Empty: the global table.
    vrf TEXT NOT NULL DEFAULT '',
    parent_id BIGINT REFERENCES ip_prefixes(id),
    site_id BIGINT REFERENCES network_sites(id),
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ip_prefixes_vrf_cidr ON ip_prefixes(vrf, cidr);
CREATE INDEX ip_prefixes_parent ON ip_prefixes(parent_id);

CREATE TABLE ip_pools (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    prefix_id BIGINT NOT NULL REFERENCES ip_prefixes(id),
    -- The RADIUS pool name (Framed-Pool) for dynamic pools.
    name TEXT NOT NULL UNIQUE,
    cidr TEXT NOT NULL,
    family BIGINT NOT NULL,
    -- dynamic, static
    kind TEXT NOT NULL,
    -- customers, suspended, unknown
    purpose TEXT NOT NULL,
    -- The length of each assignment (32 for IPv4; 128 or 48–64 for IPv6).
    assign_len BIGINT NOT NULL,
    first_slot BIGINT NOT NULL,
    last_slot BIGINT NOT NULL,
    -- Every slot from first_slot below this one is taken: the gap search
    -- starts here (lowered again when a slot is released).
    next_hint BIGINT NOT NULL,
    used BIGINT NOT NULL DEFAULT 0,
    warn_percent BIGINT NOT NULL DEFAULT 80,
    notes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ip_pools_prefix ON ip_pools(prefix_id, cidr);

-- A taken slot of a static pool: given to a contract, or reserved.
CREATE TABLE ip_assignments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pool_id BIGINT NOT NULL REFERENCES ip_pools(id),
    slot BIGINT NOT NULL,
    -- The address or delegated prefix as canonical text.
    address TEXT NOT NULL,
    -- contract, reserved
    kind TEXT NOT NULL,
    contract_id BIGINT REFERENCES contracts(id) ON DELETE CASCADE,
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ip_assignments_slot ON ip_assignments(pool_id, slot);
CREATE UNIQUE INDEX ip_assignments_contract ON ip_assignments(contract_id, pool_id);
CREATE INDEX ip_assignments_address ON ip_assignments(address);
