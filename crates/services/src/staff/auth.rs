//! Staff authentication: password login throttled per (account, address)
//! with growing delays and per address with bans, known devices, attack
//! notices, IP allowlists, TOTP second factor, server-side sessions with
//! idle and absolute timeouts, password change and reset.

use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use domain::net::Allowlist;
use domain::system::settings as keys;
use domain::{Permission, PermissionSet, validate};
use rand::Rng as _;
use serde_json::json;
use sha2::{Digest, Sha256};
/// Sign-in sessions, address bans and refused sign-ins as stored.
pub use store::staff::security::{Ban, Failure};
pub use store::staff::sessions::Session;
use store::staff::users::User;

use crate::staff::{own_user, require_self_or};
use crate::{Actor, Caller, Change, Error, Result, Services, check};

/// Who is making a request, and what they may do.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub permissions: PermissionSet,
    /// Set when the request came with an API token.
    pub token_id: Option<i64>,
}

impl Principal {
    pub fn can(&self, p: Permission) -> bool {
        self.permissions.contains(p)
    }

    /// `Err(Forbidden)` naming the missing permission.
    pub fn require(&self, p: Permission) -> Result<()> {
        if self.can(p) {
            Ok(())
        } else {
            Err(Error::Forbidden(p.code()))
        }
    }

    pub fn actor(&self, source_ip: Option<IpAddr>) -> Actor {
        Actor {
            kind: if self.token_id.is_some() {
                "token"
            } else {
                "user"
            },
            id: Some(self.user.id),
            name: self.user.username.clone(),
            source_ip: source_ip.map(|i| i.to_string()),
        }
    }
}

/// A random token for cookies and links, and the hash stored for it.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = B64URL.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub struct LoginRequest<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub ip: IpAddr,
    pub user_agent: &'a str,
    /// The known-device token the browser sent (the `lm_device` cookie).
    pub device: Option<&'a str>,
}

/// What a successful password check leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Fully signed in. `device_token`, when set, is a new known-device
    /// token for the browser to keep.
    Done {
        session_token: String,
        device_token: Option<String>,
    },
    /// Password accepted; a TOTP or recovery code must follow.
    NeedsSecondFactor { session_token: String },
    /// Signed in, but the role requires 2FA and the user has none yet: only
    /// the enrolment pages are open until it is set up.
    MustEnroll {
        session_token: String,
        device_token: Option<String>,
    },
}

/// A known device is forgotten after this long unused.
pub const KNOWN_DEVICE_DAYS: i64 = 180;
/// Devices remembered per user; the least recently used go first.
const KNOWN_DEVICES_PER_USER: i64 = 20;

fn allowed(user: &User, ip: IpAddr) -> bool {
    let role = Allowlist::parse(&user.role_ip_allowlist).unwrap_or_default();
    let own = Allowlist::parse(&user.ip_allowlist).unwrap_or_default();
    role.allows(ip) && own.allows(ip)
}

/// Whether `user` must enrol 2FA before using anything else.
pub fn must_enroll(settings: &crate::system::settings::Settings, user: &User) -> bool {
    !user.totp_enabled
        && settings
            .list(keys::REQUIRE_2FA_ROLES)
            .contains(&user.role_name)
}

fn anonymous(ip: IpAddr, username: &str) -> Actor {
    Actor {
        kind: "anonymous",
        id: None,
        name: username.to_owned(),
        source_ip: Some(ip.to_string()),
    }
}

/// Whether `token` is a known device of `user_id` (used within
/// [`KNOWN_DEVICE_DAYS`]).
async fn known_device(
    conn: &mut store::AnyConnection,
    token: Option<&str>,
    user_id: i64,
    now: i64,
) -> Result<bool> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(false);
    };
    Ok(store::staff::security::device_of(
        conn,
        &token_hash(token),
        user_id,
        now - KNOWN_DEVICE_DAYS * 86_400,
    )
    .await?
    .is_some())
}

/// Marks the browser as a known device of `user_id` after a completed
/// sign-in: refreshes the token it sent if that one is valid, otherwise
/// issues a new one (returned, for the browser to keep).
async fn remember_device(
    conn: &mut store::AnyConnection,
    presented: Option<&str>,
    user_id: i64,
    ip: &str,
    user_agent: &str,
    now: i64,
) -> Result<Option<String>> {
    if known_device(conn, presented, user_id, now).await? {
        let hash = token_hash(presented.unwrap_or_default());
        store::staff::security::touch_device(conn, &hash, now, ip).await?;
        return Ok(None);
    }
    let (token, hash) = new_token();
    store::staff::security::insert_device(
        conn,
        &store::staff::security::KnownDevice {
            token_hash: hash,
            user_id,
            created_at: now,
            last_used_at: now,
            ip: ip.to_owned(),
            user_agent: user_agent.chars().take(300).collect(),
        },
    )
    .await?;
    store::staff::security::prune_devices(conn, user_id, KNOWN_DEVICES_PER_USER).await?;
    Ok(Some(token))
}

/// Seconds the (account, address) pair must still wait before its next
/// attempt (0: go ahead).
async fn pair_wait(
    conn: &mut store::AnyConnection,
    s: &crate::system::settings::Settings,
    username: &str,
    ip: &str,
    now: i64,
) -> Result<i64> {
    let since = now - s.int(keys::LOGIN_WINDOW_MINUTES) * 60;
    let (failures, last) =
        store::staff::security::failures_for_pair(conn, username, ip, since).await?;
    Ok(domain::staff::throttle::retry_after(
        failures,
        s.int(keys::LOGIN_MAX_FAILURES_ACCOUNT),
        s.int(keys::BAN_MINUTES) * 60,
        last,
        now,
    ))
}

/// Checks the address ban, the (account, address) throttle, the password,
/// account state and allowlists, then opens a session. Every refusal is
/// recorded; too many from one address ban the address, too many for one
/// account from one address delay that pair's next attempts, and a known
/// device of the account is not delayed by failures from its address.
/// Nothing here locks an account for everyone.
pub async fn login(svc: &Services, req: &LoginRequest<'_>) -> Result<LoginOutcome> {
    let s = crate::system::settings::current(svc).await?;
    let now = store::now();
    let ip = req.ip.to_string();
    let username = req.username.trim().to_lowercase();
    let (user, wait) = {
        let mut c = svc.db.conn().await?;
        if store::staff::security::active_ban(&mut c, "ip", &ip, now)
            .await?
            .is_some()
        {
            return Err(Error::Refused("banned"));
        }
        let user = store::staff::users::by_username(&mut c, &username).await?;
        // The throttle is the same for unknown usernames, so its answer does
        // not reveal which exist.
        let known = match &user {
            Some(u) => known_device(&mut c, req.device, u.id, now).await?,
            None => false,
        };
        let wait = if known {
            0
        } else {
            pair_wait(&mut c, &s, &username, &ip, now).await?
        };
        (user, wait)
    };
    if wait > 0 {
        refuse(svc, &s, req.ip, &username, "throttled", None).await?;
        return Err(Error::Throttled { retry_after: wait });
    }
    // Verify even for unknown users so timing does not reveal which exist.
    let password_ok = crate::staff::passwords::verify(
        req.password,
        user.as_ref()
            .map(|u| u.password_hash.as_str())
            .unwrap_or(crate::staff::passwords::dummy_hash()),
    );
    let user = match user {
        Some(u) if password_ok && !u.disabled => u,
        other => {
            let reason = if other.as_ref().is_some_and(|u| u.disabled && password_ok) {
                "disabled"
            } else {
                "bad_password"
            };
            refuse(svc, &s, req.ip, &username, reason, other.as_ref()).await?;
            return Err(Error::Refused("bad-credentials"));
        }
    };
    if !allowed(&user, req.ip) {
        let mut tx = svc.db.begin().await?;
        store::staff::security::record_failure(&mut tx, now, &ip, &username, "ip_not_allowed")
            .await?;
        Change::new("auth.login_refused", "user", user.id)
            .after(json!({"reason": "ip_not_allowed"}))
            .record(&mut tx, svc.db.engine(), &anonymous(req.ip, &username))
            .await?;
        tx.commit().await?;
        return Err(Error::Refused("ip-not-allowed"));
    }
    let (token, hash) = new_token();
    let mut tx = svc.db.begin().await?;
    store::staff::sessions::insert(
        &mut tx,
        &Session {
            token_hash: hash,
            user_id: user.id,
            mfa_pending: user.totp_enabled,
            created_at: now,
            last_seen_at: now,
            expires_at: now + s.int(keys::SESSION_ABSOLUTE_HOURS) * 3600,
            ip: ip.clone(),
            user_agent: req.user_agent.chars().take(300).collect(),
        },
    )
    .await?;
    let mut device_token = None;
    if !user.totp_enabled {
        store::staff::users::touch_login(&mut tx, user.id, now).await?;
        device_token =
            remember_device(&mut tx, req.device, user.id, &ip, req.user_agent, now).await?;
        let actor = Actor {
            kind: "user",
            id: Some(user.id),
            name: user.username.clone(),
            source_ip: Some(ip),
        };
        Change::new("auth.login", "user", user.id)
            .record(&mut tx, svc.db.engine(), &actor)
            .await?;
    }
    tx.commit().await?;
    Ok(if user.totp_enabled {
        LoginOutcome::NeedsSecondFactor {
            session_token: token,
        }
    } else if must_enroll(&s, &user) {
        LoginOutcome::MustEnroll {
            session_token: token,
            device_token,
        }
    } else {
        LoginOutcome::Done {
            session_token: token,
            device_token,
        }
    })
}

/// Records a refused login, bans the address past its limit, and tells the
/// owner of an existing account (`user`) and the admins once per counting
/// window when the account draws too many wrong passwords or codes.
async fn refuse(
    svc: &Services,
    s: &crate::system::settings::Settings,
    ip: IpAddr,
    username: &str,
    reason: &str,
    user: Option<&User>,
) -> Result<()> {
    let now = store::now();
    let window = s.int(keys::LOGIN_WINDOW_MINUTES) * 60;
    let since = now - window;
    let until = now + s.int(keys::BAN_MINUTES) * 60;
    let ip_s = ip.to_string();
    let mut tx = svc.db.begin().await?;
    store::staff::security::record_failure(&mut tx, now, &ip_s, username, reason).await?;
    let system = Actor {
        kind: "system",
        id: None,
        name: "throttle".into(),
        source_ip: Some(ip_s.clone()),
    };
    if store::staff::security::failures_from_ip(&mut tx, &ip_s, since).await?
        >= s.int(keys::LOGIN_MAX_FAILURES_IP)
        && store::staff::security::active_ban(&mut tx, "ip", &ip_s, now)
            .await?
            .is_none()
    {
        let id = store::staff::security::insert_ban(
            &mut tx,
            "ip",
            &ip_s,
            "too many failed logins",
            now,
            until,
        )
        .await?;
        Change::new("security.ban", "ban", id)
            .after(json!({"kind": "ip", "subject": ip_s, "expires_at": until}))
            .record(&mut tx, svc.db.engine(), &system)
            .await?;
    }
    if let Some(user) = user.filter(|_| matches!(reason, "bad_password" | "bad_totp")) {
        let failures =
            store::staff::security::failures_for_account(&mut tx, username, since).await?;
        if failures >= s.int(keys::LOGIN_MAX_FAILURES_ACCOUNT)
            && store::staff::security::claim_alert(&mut tx, username, now, since).await?
        {
            let addresses =
                store::staff::security::addresses_for_account(&mut tx, username, since).await?;
            alert_attack(
                svc,
                &mut tx,
                &system,
                user,
                failures,
                addresses,
                window / 60,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The audit entry and e-mails (to the account's owner and to every user
/// who may manage security) saying an account draws failed sign-ins.
async fn alert_attack(
    svc: &Services,
    tx: &mut store::AnyConnection,
    system: &Actor,
    user: &User,
    failures: i64,
    addresses: i64,
    window_minutes: i64,
) -> Result<()> {
    let now = store::now();
    let last_ip = system.source_ip.clone().unwrap_or_default();
    Change::new("security.login_attack", "user", user.id)
        .after(json!({
            "username": user.username,
            "failures": failures,
            "addresses": addresses,
            "last_ip": last_ip,
            "window_minutes": window_minutes,
        }))
        .record(tx, svc.db.engine(), system)
        .await?;
    let body = format!(
        "Lastmile noticed {failures} failed sign-ins for the staff account \"{u}\" in the last \
         {window_minutes} minutes, from {addresses} address(es), the latest from {last_ip}.\n\
         The account is not locked: attempts from those addresses are slowed down and \
         addresses that keep failing are banned. Browsers that signed in before keep working.\n\
         If this was not the account's owner, consider changing its password and turning on \
         two-factor authentication. The security page lists the attempts and bans.\n\n---\n\n\
         O Lastmile notou {failures} tentativas de acesso sem sucesso à conta \"{u}\" nos últimos \
         {window_minutes} minutos, de {addresses} endereço(s), a última de {last_ip}.\n\
         A conta não foi bloqueada: as tentativas desses endereços ficam mais lentas e endereços \
         que insistem são banidos. Navegadores que já entraram antes continuam funcionando.\n\
         Se não foi o dono da conta, considere trocar a senha e ativar a verificação em duas \
         etapas. A página de segurança lista as tentativas e os bloqueios.\n",
        u = user.username,
    );
    let subject = "Lastmile: failed sign-ins / tentativas de acesso sem sucesso";
    let mut to: Vec<String> = Vec::new();
    if !user.email.trim().is_empty() {
        to.push(user.email.trim().to_lowercase());
    }
    for admin in store::staff::users::enabled(tx).await? {
        let perms = PermissionSet::parse(&admin.role_permissions).unwrap_or_default();
        let email = admin.email.trim().to_lowercase();
        if perms.contains(Permission::SecurityManage) && !email.is_empty() && !to.contains(&email) {
            to.push(email);
        }
    }
    for address in &to {
        store::system::outbox::enqueue(tx, address, subject, &body, now).await?;
    }
    Ok(())
}

/// Completes a login that awaits its second factor, with a TOTP code or a
/// recovery code. Wrong codes count like wrong passwords for the
/// (account, address) throttle. Returns a new known-device token for the
/// browser to keep, when it did not send a valid one (`device`).
pub async fn second_factor(
    svc: &Services,
    session_token: &str,
    code: &str,
    ip: IpAddr,
    device: Option<&str>,
) -> Result<Option<String>> {
    let s = crate::system::settings::current(svc).await?;
    let now = store::now();
    let hash = token_hash(session_token);
    let ip_s = ip.to_string();
    let mut tx = svc.db.begin().await?;
    let session = store::staff::sessions::get(&mut tx, &hash)
        .await?
        .ok_or(Error::Refused("session-expired"))?;
    if !session.mfa_pending || session.expires_at <= now {
        return Err(Error::Refused("session-expired"));
    }
    let user = store::staff::users::get(&mut tx, session.user_id).await?;
    if !known_device(&mut tx, device, user.id, now).await? {
        let wait = pair_wait(&mut tx, &s, &user.username, &ip_s, now).await?;
        if wait > 0 {
            drop(tx);
            refuse(svc, &s, ip, &user.username, "throttled", None).await?;
            return Err(Error::Throttled { retry_after: wait });
        }
    }
    let secret = user
        .totp_secret
        .as_deref()
        .map(|s| svc.secrets.decrypt(s))
        .transpose()
        .map_err(|e| Error::Internal(e.to_string()))?
        .unwrap_or_default();
    let ok = match crate::staff::totp::verify(&secret, code, now as u64) {
        Some(step) => store::staff::users::advance_totp_step(&mut tx, user.id, step).await?,
        None => {
            store::staff::users::use_recovery_code(
                &mut tx,
                user.id,
                &crate::staff::totp::hash_recovery_code(code),
                now,
            )
            .await?
        }
    };
    if !ok {
        drop(tx);
        refuse(svc, &s, ip, &user.username, "bad_totp", Some(&user)).await?;
        return Err(Error::Refused("bad-code"));
    }
    store::staff::sessions::complete_mfa(&mut tx, &hash).await?;
    store::staff::users::touch_login(&mut tx, user.id, now).await?;
    let device_token =
        remember_device(&mut tx, device, user.id, &ip_s, &session.user_agent, now).await?;
    let actor = Actor {
        kind: "user",
        id: Some(user.id),
        name: user.username.clone(),
        source_ip: Some(ip_s),
    };
    Change::new("auth.login", "user", user.id)
        .after(json!({"second_factor": true}))
        .record(&mut tx, svc.db.engine(), &actor)
        .await?;
    tx.commit().await?;
    Ok(device_token)
}

/// A request's session, if its token is valid, not idle or expired, and its
/// address is still allowed. Refreshes the idle clock at most once a minute
/// so that reads do not become writes.
pub async fn session(
    svc: &Services,
    session_token: &str,
    ip: IpAddr,
) -> Result<Option<(Principal, Session)>> {
    let s = crate::system::settings::current(svc).await?;
    let now = store::now();
    let hash = token_hash(session_token);
    let mut c = svc.db.conn().await?;
    let Some(session) = store::staff::sessions::get(&mut c, &hash).await? else {
        return Ok(None);
    };
    let idle = s.int(keys::SESSION_IDLE_MINUTES) * 60;
    if session.expires_at <= now || session.last_seen_at + idle <= now {
        drop(c);
        let mut tx = svc.db.begin().await?;
        store::staff::sessions::delete(&mut tx, &hash).await?;
        tx.commit().await?;
        return Ok(None);
    }
    let user = store::staff::users::get(&mut c, session.user_id).await?;
    if user.disabled || !allowed(&user, ip) {
        return Ok(None);
    }
    if now - session.last_seen_at >= 60 {
        store::staff::sessions::touch(&mut c, &hash, now).await?;
    }
    let permissions = PermissionSet::parse(&user.role_permissions).unwrap_or_default();
    Ok(Some((
        Principal {
            user,
            permissions,
            token_id: None,
        },
        session,
    )))
}

/// Ends the session `session_token` names: whoever holds the token may end
/// it (like signing in, the token is the credential). Recorded as the
/// session's user when it was still valid.
pub async fn logout(svc: &Services, session_token: &str, ip: IpAddr) -> Result<()> {
    let actor = session(svc, session_token, ip)
        .await?
        .map(|(p, _)| p.actor(Some(ip)));
    let mut tx = svc.db.begin().await?;
    store::staff::sessions::delete(&mut tx, &token_hash(session_token)).await?;
    if let Some(actor) = actor
        && let Some(id) = actor.id
    {
        Change::new("auth.logout", "user", id)
            .record(&mut tx, svc.db.engine(), &actor)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Ends every session of the user (all browsers, all nodes): one's own, or
/// anyone's with `users.manage`.
pub async fn logout_everywhere(svc: &Services, caller: &Caller, user_id: i64) -> Result<u64> {
    require_self_or(caller, user_id, Permission::UsersManage)?;
    let mut tx = svc.db.begin().await?;
    let n = store::staff::sessions::delete_for_user(&mut tx, user_id).await?;
    Change::new("auth.logout_everywhere", "user", user_id)
        .after(json!({"sessions": n}))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(n)
}

/// The calling user changes their own password; their other sessions end
/// (all but `keep_session`).
pub async fn change_password(
    svc: &Services,
    caller: &Caller,
    current: &str,
    new: &str,
    keep_session: Option<&str>,
) -> Result<()> {
    let user_id = own_user(caller)?;
    check("new_password", validate::password(new))?;
    let user = crate::staff::get_user(svc, caller, user_id).await?;
    if !crate::staff::passwords::verify(current, &user.password_hash) {
        return Err(Error::invalid_msg(
            "current_password",
            "is not your current password",
        ));
    }
    let hash = crate::staff::passwords::hash(new)?;
    let mut tx = svc.db.begin().await?;
    store::staff::users::set_password_hash(&mut tx, user_id, &hash, store::now()).await?;
    let keep = keep_session.map(token_hash);
    for s in store::staff::sessions::list_for_user(&mut tx, user_id).await? {
        if Some(&s.token_hash) != keep.as_ref() {
            store::staff::sessions::delete(&mut tx, &s.token_hash).await?;
        }
    }
    Change::new("user.password_change", "user", user_id)
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends a reset link if `email` belongs to an enabled user. Answers the
/// same either way so the form does not reveal who has an account.
pub async fn request_password_reset(
    svc: &Services,
    email: &str,
    base_url: &str,
    ip: IpAddr,
) -> Result<()> {
    let user = {
        let mut c = svc.db.conn().await?;
        store::staff::users::by_email(&mut c, email.trim()).await?
    };
    let Some(user) = user.filter(|u| !u.disabled) else {
        return Ok(());
    };
    let (token, hash) = new_token();
    let now = store::now();
    let mut tx = svc.db.begin().await?;
    store::staff::sessions::resets::insert(&mut tx, &hash, user.id, now, now + 3600).await?;
    let link = format!("{}/password-reset/{token}", base_url.trim_end_matches('/'));
    let body = format!(
        "Hello {},\n\nA password reset was requested for your Lastmile account ({}).\n\
         Open this link within one hour to choose a new password:\n\n{link}\n\n\
         If you did not ask for this, ignore this message.\n\n---\n\n\
         Olá {},\n\nFoi solicitada a redefinição da senha da sua conta Lastmile ({}).\n\
         Abra este link em até uma hora para escolher uma nova senha:\n\n{link}\n\n\
         Se você não pediu isso, ignore esta mensagem.\n",
        user.display_name, user.username, user.display_name, user.username
    );
    store::system::outbox::enqueue(
        &mut tx,
        &user.email,
        "Lastmile password reset / Redefinição de senha",
        &body,
        now,
    )
    .await?;
    let actor = anonymous(ip, &user.username);
    Change::new("user.password_reset_requested", "user", user.id)
        .record(&mut tx, svc.db.engine(), &actor)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn reset_token_valid(svc: &Services, token: &str) -> Result<bool> {
    let mut c = svc.db.conn().await?;
    Ok(store::staff::sessions::resets::is_valid(&mut c, &token_hash(token), store::now()).await?)
}

/// Sets a new password with a reset link's token; all sessions end.
pub async fn reset_password(svc: &Services, token: &str, new: &str, ip: IpAddr) -> Result<()> {
    check("new_password", validate::password(new))?;
    let hash = crate::staff::passwords::hash(new)?;
    let mut tx = svc.db.begin().await?;
    let user_id =
        store::staff::sessions::resets::consume(&mut tx, &token_hash(token), store::now())
            .await?
            .ok_or(Error::Refused("reset-invalid"))?;
    store::staff::users::set_password_hash(&mut tx, user_id, &hash, store::now()).await?;
    store::staff::sessions::delete_for_user(&mut tx, user_id).await?;
    // Whoever reset the password may be cleaning up after a break-in.
    store::staff::security::forget_devices(&mut tx, user_id).await?;
    let user = store::staff::users::get(&mut tx, user_id).await?;
    Change::new("user.password_reset", "user", user_id)
        .record(&mut tx, svc.db.engine(), &anonymous(ip, &user.username))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Starts the calling user's 2FA enrolment: stores a new (not yet
/// active) secret and returns it.
pub async fn begin_2fa(svc: &Services, caller: &Caller) -> Result<String> {
    let user_id = own_user(caller)?;
    let secret = crate::staff::totp::new_secret();
    let mut tx = svc.db.begin().await?;
    let user = store::staff::users::get(&mut tx, user_id).await?;
    if user.totp_enabled {
        return Err(Error::Refused("2fa-already-enabled"));
    }
    store::staff::users::set_totp(
        &mut tx,
        user_id,
        Some(&svc.secrets.encrypt(&secret)),
        false,
        store::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}

/// The calling user's pending enrolment secret, decrypted, if any.
pub async fn pending_2fa_secret(svc: &Services, caller: &Caller) -> Result<Option<String>> {
    let user_id = own_user(caller)?;
    let user = crate::staff::get_user(svc, caller, user_id).await?;
    match (user.totp_enabled, user.totp_secret) {
        (false, Some(s)) => Ok(Some(
            svc.secrets
                .decrypt(&s)
                .map_err(|e| Error::Internal(e.to_string()))?,
        )),
        _ => Ok(None),
    }
}

/// Confirms the calling user's enrolment with a first code; returns the
/// recovery codes (shown once).
pub async fn confirm_2fa(svc: &Services, caller: &Caller, code: &str) -> Result<Vec<String>> {
    let user_id = own_user(caller)?;
    let secret = pending_2fa_secret(svc, caller)
        .await?
        .ok_or(Error::Refused("2fa-not-started"))?;
    let now = store::now();
    let step = crate::staff::totp::verify(&secret, code, now as u64)
        .ok_or_else(|| Error::invalid_msg("code", "is not the current code"))?;
    let codes = crate::staff::totp::new_recovery_codes();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| crate::staff::totp::hash_recovery_code(c))
        .collect();
    let mut tx = svc.db.begin().await?;
    store::staff::users::set_totp(
        &mut tx,
        user_id,
        Some(&svc.secrets.encrypt(&secret)),
        true,
        now,
    )
    .await?;
    store::staff::users::advance_totp_step(&mut tx, user_id, step).await?;
    store::staff::users::replace_recovery_codes(&mut tx, user_id, &hashes).await?;
    Change::new("user.2fa_enable", "user", user_id)
        .before(json!({"totp_enabled": false}))
        .after(json!({"totp_enabled": true}))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(codes)
}

/// Turns the calling user's 2FA off after checking the password (refused
/// when the role requires it).
pub async fn disable_2fa(svc: &Services, caller: &Caller, password: &str) -> Result<()> {
    let user_id = own_user(caller)?;
    let user = crate::staff::get_user(svc, caller, user_id).await?;
    if !crate::staff::passwords::verify(password, &user.password_hash) {
        return Err(Error::invalid_msg(
            "password",
            "is not your current password",
        ));
    }
    let s = crate::system::settings::current(svc).await?;
    if s.list(keys::REQUIRE_2FA_ROLES).contains(&user.role_name) {
        return Err(Error::Refused("2fa-required"));
    }
    crate::staff::clear_2fa(svc, &caller.actor(), user_id).await
}

/// How many of the calling user's recovery codes are still unused.
pub async fn unused_recovery_codes(svc: &Services, caller: &Caller) -> Result<i64> {
    let user_id = own_user(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::staff::users::unused_recovery_codes(&mut c, user_id).await?)
}

/// A user's open sessions: one's own, or anyone's with `users.manage`.
pub async fn sessions_of(svc: &Services, caller: &Caller, user_id: i64) -> Result<Vec<Session>> {
    require_self_or(caller, user_id, Permission::UsersManage)?;
    let mut c = svc.db.conn().await?;
    Ok(store::staff::sessions::list_for_user(&mut c, user_id).await?)
}

/// Address bans in force (`security.manage`).
pub async fn active_bans(
    svc: &Services,
    caller: &Caller,
) -> Result<Vec<store::staff::security::Ban>> {
    caller.require(Permission::SecurityManage)?;
    let mut c = svc.db.conn().await?;
    Ok(store::staff::security::active_bans(&mut c, store::now()).await?)
}

/// The latest refused sign-ins (`security.manage`).
pub async fn recent_failures(
    svc: &Services,
    caller: &Caller,
    limit: i64,
) -> Result<Vec<store::staff::security::Failure>> {
    caller.require(Permission::SecurityManage)?;
    let mut c = svc.db.conn().await?;
    Ok(store::staff::security::recent_failures(&mut c, limit).await?)
}

/// Lifts a ban early and forgets the failures that led to it
/// (`security.manage`).
pub async fn lift_ban(svc: &Services, caller: &Caller, id: i64) -> Result<()> {
    caller.require(Permission::SecurityManage)?;
    let actor = caller.actor();
    let mut tx = svc.db.begin().await?;
    let ban = store::staff::security::get_ban(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    if !store::staff::security::lift_ban(&mut tx, id, &actor.name, store::now()).await? {
        return Err(Error::Refused("ban-not-active"));
    }
    store::staff::security::clear_failures(&mut tx, &ban.kind, &ban.subject).await?;
    Change::new("security.unban", "ban", id)
        .before(json!({"kind": ban.kind, "subject": ban.subject}))
        .record(&mut tx, svc.db.engine(), &actor)
        .await?;
    tx.commit().await?;
    Ok(())
}
