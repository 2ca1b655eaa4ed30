# RADIUS server settings (the RADIUS runtime reads them on every node).
settings-radius = RADIUS
setting-radius-session-timeout = Session timeout (seconds)
setting-radius-session-timeout-hint = Sent as Session-Timeout in every Access-Accept; 0 sends none.
setting-radius-interim-interval = Accounting interval (seconds)
setting-radius-interim-interval-hint = Sent as Acct-Interim-Interval: how often routers report usage; 0 sends none.
setting-radius-stale-after-missed-interims = Close sessions after missed updates
setting-radius-stale-after-missed-interims-hint = A session with no accounting for this many intervals is closed as stale; 0 never closes them.
setting-radius-simultaneous-use = Simultaneous sessions per contract
setting-radius-simultaneous-use-hint = A login with this many open sessions is rejected; 0 is unlimited.
setting-radius-restricted-address-list = Restricted address list
setting-radius-restricted-address-list-hint = MikroTik address list for suspended subscribers on plans that restrict instead of rejecting (your router redirects it to a payment page).
setting-radius-restricted-pool = Restricted address pool
setting-radius-restricted-pool-hint = Pool suspended subscribers get their address from (Framed-Pool); empty keeps their usual address.
setting-radius-restricted-kbps = Restricted speed (kbit/s)
setting-radius-restricted-kbps-hint = Speed of the restricted profile, both directions; 0 sends none.
setting-radius-log-accepts = Log accepted logins
setting-radius-log-accepts-hint = Rejections are always logged with their reason; logging every accept adds a database write per login.
