-- Sign-in throttling by (account, address) and by address instead of a
-- global account ban: anyone who knew a staff login could lock it out for
-- everyone with five wrong passwords.

-- Browsers that completed a sign-in ("known devices"): the `lm_device`
-- cookie holds a random token, the table its SHA-256. Such a browser is
-- exempt from the per-account throttling caused by failures from its
-- address (another subscriber behind the same CGNAT, a colleague's typos).
CREATE TABLE known_devices (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL
);
CREATE INDEX known_devices_user ON known_devices(user_id, last_used_at);

-- When the owner and admins were last told that an account is under
-- attack: one notice per account per counting window, whichever node saw it.
CREATE TABLE login_alerts (
    username TEXT PRIMARY KEY,
    notified_at BIGINT NOT NULL
);

-- The throttle asks for one account's failures from one address.
CREATE INDEX login_failures_pair ON login_failures(username, ip, at);

-- Account bans are no longer made or enforced; drop the ones still listed.
DELETE FROM bans WHERE kind = 'account';
