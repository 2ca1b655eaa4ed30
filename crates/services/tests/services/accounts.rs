//! Accounts and security, end to end through the services, on SQLite and
//! PostgreSQL.

use std::collections::BTreeMap;
use std::net::IpAddr;

use services::secrets::SecretBox;
use services::staff::auth::Principal;
use services::staff::auth::{LoginOutcome, LoginRequest};
use services::staff::{RoleInput, UserInput};
use services::system::setup::SetupInput;
use services::{Caller, Error, Services};
use store::testing::each_engine;

const PASSWORD: &str = "correct horse battery";

fn svc(db: store::Db) -> Services {
    Services::new(db, SecretBox::from_key(&[42; 32]), std::env::temp_dir())
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn setup_input() -> SetupInput {
    SetupInput {
        company: "Fibra Sul".into(),
        legal_document: "12.345.678/0001-95".into(),
        country: "BR".into(),
        currency: "BRL".into(),
        locale: "pt-BR".into(),
        timezone: "America/Sao_Paulo".into(),
        admin_username: "ana".into(),
        admin_email: "ana@fibrasul.com.br".into(),
        admin_name: "Ana Souza".into(),
        admin_password: PASSWORD.into(),
        logo: None,
    }
}

fn cli() -> Caller {
    Caller::Cli {
        name: "test".into(),
    }
}

/// User `id` signed in from 192.0.2.1, with its role's permissions.
async fn signed_in(s: &Services, id: i64) -> Caller {
    let user = services::staff::get_user(s, &cli(), id).await.unwrap();
    let permissions = domain::PermissionSet::parse(&user.role_permissions).unwrap();
    Caller::staff(
        Principal {
            user,
            permissions,
            token_id: None,
        },
        Some(ip("192.0.2.1")),
    )
}

async fn login(
    s: &Services,
    user: &str,
    password: &str,
    from: &str,
) -> Result<LoginOutcome, Error> {
    login_on(s, user, password, from, None).await
}

/// A sign-in from a browser that sends a known-device cookie.
async fn login_on(
    s: &Services,
    user: &str,
    password: &str,
    from: &str,
    device: Option<&str>,
) -> Result<LoginOutcome, Error> {
    services::staff::auth::login(
        s,
        &LoginRequest {
            username: user,
            password,
            ip: ip(from),
            user_agent: "test",
            device,
        },
    )
    .await
}

fn token_of(o: LoginOutcome) -> String {
    match o {
        LoginOutcome::Done { session_token, .. }
        | LoginOutcome::NeedsSecondFactor { session_token }
        | LoginOutcome::MustEnroll { session_token, .. } => session_token,
    }
}

async fn audited(s: &Services, action: &str) -> Vec<store::system::audit::Entry> {
    services::system::audit::list(
        s,
        &cli(),
        &services::system::audit::Query {
            action: Some(action.into()),
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .0
}

#[tokio::test]
async fn setup_runs_once_and_validates() {
    each_engine(|db| async move {
        let s = svc(db);
        let mut bad = setup_input();
        bad.timezone = "Mars/Base".into();
        assert!(matches!(
            services::system::setup::run(&s, &bad, None).await,
            Err(Error::Invalid {
                field: "timezone",
                ..
            })
        ));
        assert!(!services::system::setup::is_done(&s).await.unwrap());
        services::system::setup::run(&s, &setup_input(), None)
            .await
            .unwrap();
        // A second attempt is refused before anything else, even with bad data.
        assert!(matches!(
            services::system::setup::run(&s, &bad, None).await,
            Err(Error::Refused("setup-done"))
        ));
        assert!(matches!(
            services::system::setup::run(&s, &setup_input(), None).await,
            Err(Error::Refused("setup-done"))
        ));
        let roles: Vec<String> = services::staff::list_roles(&s, &cli())
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(roles.len(), 4);
        for r in ["admin", "finance", "technician", "support"] {
            assert!(roles.contains(&r.to_string()), "{r}");
        }
    })
    .await;
}

/// Regression (issue 15): five wrong passwords for a username banned the
/// account from every address, so anyone who knew a staff login could lock
/// it out.
#[tokio::test]
async fn an_attackers_failures_do_not_lock_the_owner_out() {
    each_engine(|db| async move {
        let s = svc(db);
        services::system::setup::run(&s, &setup_input(), None)
            .await
            .unwrap();
        let attacker = "203.0.113.66";
        for _ in 0..5 {
            assert!(matches!(
                login(&s, "ana", "wrong password", attacker).await,
                Err(Error::Refused("bad-credentials"))
            ));
        }
        // The attacker's next try waits, even with the right password; an
        // unknown username answers the same way once it has failed as often.
        match login(&s, "ana", PASSWORD, attacker).await {
            Err(Error::Throttled { retry_after }) => assert!(
                (1..=domain::staff::throttle::FIRST_DELAY_SECS).contains(&retry_after),
                "{retry_after}"
            ),
            other => panic!("{other:?}"),
        }
        for _ in 0..5 {
            let _ = login(&s, "nobody", "wrong password", "198.51.100.77").await;
        }
        assert!(matches!(
            login(&s, "nobody", "wrong password", "198.51.100.77").await,
            Err(Error::Throttled { .. })
        ));
        // The owner, from her own address, signs in at once.
        assert!(matches!(
            login(&s, "ana", PASSWORD, "192.0.2.10").await,
            Ok(LoginOutcome::Done { .. })
        ));
        // No account ban exists; the attacker who keeps trying is banned by
        // address (5 wrong passwords + 5 throttled tries = the address limit).
        for _ in 0..4 {
            assert!(matches!(
                login(&s, "ana", "wrong password", attacker).await,
                Err(Error::Throttled { .. })
            ));
        }
        assert!(matches!(
            login(&s, "ana", PASSWORD, attacker).await,
            Err(Error::Refused("banned"))
        ));
        let bans = services::staff::auth::active_bans(&s, &cli())
            .await
            .unwrap();
        assert!(bans.iter().all(|b| b.kind == "ip"), "{bans:?}");
        let ban = bans
            .iter()
            .find(|b| b.subject == attacker)
            .expect("the attacker's address is banned");
        assert!(login(&s, "ana", PASSWORD, "192.0.2.10").await.is_ok());
        // Lifting the ban forgets the address's failures: no delay either.
        services::staff::auth::lift_ban(&s, &cli(), ban.id)
            .await
            .unwrap();
        assert!(login(&s, "ana", PASSWORD, attacker).await.is_ok());
        let failures = services::staff::auth::recent_failures(&s, &cli(), 100)
            .await
            .unwrap();
        assert!(failures.iter().all(|f| f.ip != attacker));
    })
    .await;
}

#[tokio::test]
async fn a_known_device_is_not_delayed_by_failures_from_its_address() {
    each_engine(|db| async move {
        let s = svc(db);
        services::system::setup::run(&s, &setup_input(), None)
            .await
            .unwrap();
        // Ana's browser signs in behind the provider's CGNAT address and is
        // given a known-device token; signing in with it keeps the token.
        let shared = "100.64.0.1";
        let device = match login(&s, "ana", PASSWORD, shared).await.unwrap() {
            LoginOutcome::Done {
                device_token: Some(t),
                ..
            } => t,
            other => panic!("{other:?}"),
        };
        assert!(matches!(
            login_on(&s, "ana", PASSWORD, shared, Some(&device)).await,
            Ok(LoginOutcome::Done {
                device_token: None,
                ..
            })
        ));
        // Someone else behind the same address guesses her password.
        for _ in 0..5 {
            let _ = login(&s, "ana", "wrong password", shared).await;
        }
        assert!(matches!(
            login(&s, "ana", PASSWORD, shared).await,
            Err(Error::Throttled { .. })
        ));
        assert!(matches!(
            login_on(&s, "ana", PASSWORD, shared, Some("forged-token")).await,
            Err(Error::Throttled { .. })
        ));
        // Her browser is not delayed.
        assert!(matches!(
            login_on(&s, "ana", PASSWORD, shared, Some(&device)).await,
            Ok(LoginOutcome::Done { .. })
        ));
        // Another user's device token does not vouch for Ana.
        services::staff::create_user(
            &s,
            &cli(),
            &UserInput {
                username: "bruno".into(),
                email: "bruno@fibrasul.com.br".into(),
                display_name: "Bruno".into(),
                role: "support".into(),
                ..Default::default()
            },
            PASSWORD,
        )
        .await
        .unwrap();
        let bruno_device = match login(&s, "bruno", PASSWORD, "192.0.2.30").await.unwrap() {
            LoginOutcome::Done {
                device_token: Some(t),
                ..
            } => t,
            other => panic!("{other:?}"),
        };
        assert!(matches!(
            login_on(&s, "ana", PASSWORD, shared, Some(&bruno_device)).await,
            Err(Error::Throttled { .. })
        ));
        // A password reset forgets the account's devices.
        services::staff::auth::request_password_reset(
            &s,
            "ana@fibrasul.com.br",
            "http://x",
            ip(shared),
        )
        .await
        .unwrap();
        let mail = services::system::email::recent(&s, &cli(), 10)
            .await
            .unwrap();
        let link = mail
            .iter()
            .find(|m| m.subject.contains("reset"))
            .and_then(|m| m.body_text.split("/password-reset/").nth(1))
            .and_then(|t| t.split_whitespace().next())
            .expect("a reset link")
            .to_owned();
        services::staff::auth::reset_password(&s, &link, "another long password", ip(shared))
            .await
            .unwrap();
        assert!(matches!(
            login_on(&s, "ana", "another long password", shared, Some(&device)).await,
            Err(Error::Throttled { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn the_owner_and_admins_are_told_once_per_window() {
    each_engine(|db| async move {
        let s = svc(db.clone());
        services::system::setup::run(&s, &setup_input(), None)
            .await
            .unwrap();
        for (name, role) in [("bruno", "admin"), ("carla", "support")] {
            services::staff::create_user(
                &s,
                &cli(),
                &UserInput {
                    username: name.into(),
                    email: format!("{name}@fibrasul.com.br"),
                    display_name: name.into(),
                    role: role.into(),
                    ..Default::default()
                },
                PASSWORD,
            )
            .await
            .unwrap();
        }
        // Four failures: not yet an attack.
        for i in 0..4 {
            let _ = login(&s, "carla", "wrong", &format!("198.51.100.{i}")).await;
        }
        assert!(audited(&s, "security.login_attack").await.is_empty());
        // The fifth (from yet another address: a spread-out guesser counts
        // too) tells Carla and the admins, Ana and Bruno.
        let _ = login(&s, "carla", "wrong", "198.51.100.200").await;
        // More failures in the same window, from anywhere, tell nobody again.
        for i in 0..6 {
            let _ = login(&s, "carla", "wrong", &format!("203.0.113.{i}")).await;
        }
        let entries = audited(&s, "security.login_attack").await;
        assert_eq!(entries.len(), 1, "{entries:?}");
        let after = entries[0].after_json.as_deref().unwrap();
        assert!(
            after.contains("\"addresses\":5") && after.contains("carla"),
            "{after}"
        );
        let mut to: Vec<String> = services::system::email::recent(&s, &cli(), 50)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.subject.contains("failed sign-ins"))
            .map(|m| m.to_addr)
            .collect();
        to.sort();
        assert_eq!(
            to,
            [
                "ana@fibrasul.com.br",
                "bruno@fibrasul.com.br",
                "carla@fibrasul.com.br"
            ]
        );
        // Unknown usernames draw no notice.
        for _ in 0..6 {
            let _ = login(&s, "nobody", "wrong", "192.0.2.99").await;
        }
        assert_eq!(audited(&s, "security.login_attack").await.len(), 1);
        // Once the window has passed, a new attack is told again.
        sqlx::query("UPDATE login_alerts SET notified_at = notified_at - 3600")
            .execute(db.pool())
            .await
            .unwrap();
        sqlx::query("UPDATE login_failures SET at = at - 3600")
            .execute(db.pool())
            .await
            .unwrap();
        for i in 0..5 {
            let _ = login(&s, "carla", "wrong", &format!("192.0.2.{i}")).await;
        }
        assert_eq!(audited(&s, "security.login_attack").await.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn many_failures_from_one_address_ban_the_address() {
    each_engine(|db| async move {
        let s = svc(db);
        services::system::setup::run(&s, &setup_input(), None)
            .await
            .unwrap();
        for i in 0..10 {
            let _ = login(&s, &format!("nobody{i}"), "x", "203.0.113.5").await;
        }
        assert!(matches!(
            login(&s, "ana", PASSWORD, "203.0.113.5").await,
            Err(Error::Refused("banned"))
        ));
        assert!(login(&s, "ana", PASSWORD, "203.0.113.6").await.is_ok());
    })
    .await;
}

#[tokio::test]
async fn allowlists_refuse_other_addresses_and_are_logged() {
    each_engine(|db| async move {
        let s = svc(db);
        services::system::setup::run(&s, &setup_input(), None)
            .await
            .unwrap();
        let admin = services::staff::list_roles(&s, &cli())
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.name == "admin")
            .unwrap();
        let input = RoleInput {
            name: "admin".into(),
            permissions: vec![],
            ip_allowlist: "10.0.0.0/8\n2001:db8::/32".into(),
        };
        services::staff::update_role(&s, &cli(), admin.id, &input)
            .await
            .unwrap();
        assert!(matches!(
            login(&s, "ana", PASSWORD, "192.0.2.1").await,
            Err(Error::Refused("ip-not-allowed"))
        ));
        assert!(login(&s, "ana", PASSWORD, "10.1.2.3").await.is_ok());
        assert!(login(&s, "ana", PASSWORD, "2001:db8::7").await.is_ok());
        let failures = services::staff::auth::recent_failures(&s, &cli(), 10)
            .await
            .unwrap();
        assert_eq!(failures[0].reason, "ip_not_allowed");
        // A session opened inside the network is not valid from outside it.
        let token = token_of(login(&s, "ana", PASSWORD, "10.1.2.3").await.unwrap());
        assert!(
            services::staff::auth::session(&s, &token, ip("10.9.9.9"))
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            services::staff::auth::session(&s, &token, ip("192.0.2.1"))
                .await
                .unwrap()
                .is_none()
        );
        // A bad network is refused naming the field.
        let bad = RoleInput {
            ip_allowlist: "10.0.0.0/40".into(),
            ..input
        };
        assert!(matches!(
            services::staff::update_role(&s, &cli(), admin.id, &bad).await,
            Err(Error::Invalid {
                field: "ip_allowlist",
                ..
            })
        ));
    })
    .await;
}

#[tokio::test]
async fn totp_enrolment_login_replay_and_recovery_codes() {
    each_engine(|db| async move {
        let s = svc(db.clone());
        let admin_id = services::system::setup::run(&s, &setup_input(), None)
            .await
            .unwrap();
        let ana = signed_in(&s, admin_id).await;
        let secret = services::staff::auth::begin_2fa(&s, &ana).await.unwrap();
        let now = store::now() as u64;
        assert!(matches!(
            services::staff::auth::confirm_2fa(&s, &ana, "000000").await,
            Err(Error::Invalid { field: "code", .. })
        ));
        let codes = services::staff::auth::confirm_2fa(
            &s,
            &ana,
            &services::staff::totp::current(&secret, now),
        )
        .await
        .unwrap();
        assert_eq!(codes.len(), 10);

        // The seed is encrypted at rest.
        let stored: String = sqlx::query_scalar("SELECT totp_secret FROM users WHERE id = $1")
            .bind(admin_id)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert!(!stored.contains(&secret) && SecretBox::is_encrypted(&stored));

        let token = token_of(login(&s, "ana", PASSWORD, "192.0.2.1").await.unwrap());
        assert!(
            services::staff::auth::session(&s, &token, ip("192.0.2.1"))
                .await
                .unwrap()
                .unwrap()
                .1
                .mfa_pending
        );
        // The code used at enrolment cannot be replayed.
        let used = services::staff::totp::current(&secret, now);
        assert!(matches!(
            services::staff::auth::second_factor(&s, &token, &used, ip("192.0.2.1"), None).await,
            Err(Error::Refused("bad-code"))
        ));
        // A recovery code works once.
        services::staff::auth::second_factor(&s, &token, &codes[0], ip("192.0.2.1"), None)
            .await
            .unwrap();
        assert!(
            !services::staff::auth::session(&s, &token, ip("192.0.2.1"))
                .await
                .unwrap()
                .unwrap()
                .1
                .mfa_pending
        );
        let token2 = token_of(login(&s, "ana", PASSWORD, "192.0.2.1").await.unwrap());
        assert!(matches!(
            services::staff::auth::second_factor(&s, &token2, &codes[0], ip("192.0.2.1"), None)
                .await,
            Err(Error::Refused("bad-code"))
        ));
        assert_eq!(
            services::staff::auth::unused_recovery_codes(&s, &ana)
                .await
                .unwrap(),
            9
        );
    })
    .await;
}

#[tokio::test]
async fn mandatory_2fa_for_a_role() {
    each_engine(|db| async move {
        let s = svc(db);
        services::system::setup::run(&s, &setup_input(), None)
            .await
            .unwrap();
        let mut values = BTreeMap::new();
        values.insert(
            "security.require_2fa_roles".to_owned(),
            "admin, nosuchrole".to_owned(),
        );
        assert!(matches!(
            services::system::settings::update(&s, &cli(), &values).await,
            Err(Error::Invalid {
                field: "security.require_2fa_roles",
                ..
            })
        ));
        values.insert("security.require_2fa_roles".to_owned(), "admin".to_owned());
        services::system::settings::update(&s, &cli(), &values)
            .await
            .unwrap();
        assert!(matches!(
            login(&s, "ana", PASSWORD, "192.0.2.1").await,
            Ok(LoginOutcome::MustEnroll { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn idle_sessions_expire_and_logout_everywhere_ends_all() {
    each_engine(|db| async move {
        let s = svc(db.clone());
        let id = services::system::setup::run(&s, &setup_input(), None)
            .await
            .unwrap();
        let a = token_of(login(&s, "ana", PASSWORD, "192.0.2.1").await.unwrap());
        let b = token_of(login(&s, "ana", PASSWORD, "192.0.2.1").await.unwrap());
        assert!(
            services::staff::auth::session(&s, &a, ip("192.0.2.1"))
                .await
                .unwrap()
                .is_some()
        );
        // Idle for longer than the 30-minute default.
        sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 1801 WHERE token_hash = $1")
            .bind(services::staff::auth::token_hash(&a))
            .execute(db.pool())
            .await
            .unwrap();
        assert!(
            services::staff::auth::session(&s, &a, ip("192.0.2.1"))
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            services::staff::auth::logout_everywhere(&s, &cli(), id)
                .await
                .unwrap(),
            1
        );
        assert!(
            services::staff::auth::session(&s, &b, ip("192.0.2.1"))
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn users_roles_tokens_and_the_rules_that_guard_them() {
    each_engine(|db| async move {
        let s = svc(db.clone());
        let admin_id = services::system::setup::run(&s, &setup_input(), None)
            .await
            .unwrap();
        let role = RoleInput {
            name: "billing".into(),
            permissions: vec!["dashboard.view".into(), "audit.view".into()],
            ip_allowlist: String::new(),
        };
        let role_id = services::staff::create_role(&s, &cli(), &role)
            .await
            .unwrap();
        assert!(matches!(
            services::staff::create_role(&s, &cli(), &role).await,
            Err(Error::Conflict(_))
        ));
        let bad = RoleInput {
            permissions: vec!["nope.view".into()],
            name: "x2".into(),
            ..Default::default()
        };
        assert!(matches!(
            services::staff::create_role(&s, &cli(), &bad).await,
            Err(Error::Invalid {
                field: "permissions",
                ..
            })
        ));

        let user = UserInput {
            username: "bia".into(),
            email: "bia@fibrasul.com.br".into(),
            display_name: "Bia".into(),
            role: "billing".into(),
            ..Default::default()
        };
        assert!(matches!(
            services::staff::create_user(&s, &cli(), &user, "short").await,
            Err(Error::Invalid {
                field: "password",
                ..
            })
        ));
        let bia = services::staff::create_user(&s, &cli(), &user, PASSWORD)
            .await
            .unwrap();
        assert!(matches!(
            services::staff::delete_role(&s, &cli(), role_id).await,
            Err(Error::Refused("role-in-use"))
        ));

        // The last admin cannot be demoted or disabled.
        let admin = services::staff::get_user(&s, &cli(), admin_id)
            .await
            .unwrap();
        let demote = UserInput {
            username: admin.username.clone(),
            email: admin.email.clone(),
            display_name: admin.display_name.clone(),
            role: "support".into(),
            ..Default::default()
        };
        assert!(matches!(
            services::staff::update_user(&s, &cli(), admin_id, &demote).await,
            Err(Error::Refused("last-admin"))
        ));

        // Tokens: scopes narrow the role; revoked tokens stop working.
        let (tid, token) =
            services::staff::tokens::create(&s, &cli(), bia, "ci", "audit.view,users.manage")
                .await
                .unwrap();
        let p = services::staff::tokens::authenticate(&s, &token)
            .await
            .unwrap()
            .unwrap();
        assert!(p.can(domain::Permission::AuditView));
        assert!(!p.can(domain::Permission::UsersManage), "not in the role");
        assert!(
            !p.can(domain::Permission::DashboardView),
            "not in the scopes"
        );
        let stored: String = sqlx::query_scalar("SELECT token_hash FROM api_tokens WHERE id = $1")
            .bind(tid)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_ne!(stored, token);
        services::staff::tokens::revoke(&s, &Caller::staff(p, None), tid)
            .await
            .unwrap();
        assert!(
            services::staff::tokens::authenticate(&s, &token)
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            services::staff::tokens::create(&s, &cli(), bia, "x", "").await,
            Err(Error::Invalid {
                field: "scopes",
                ..
            })
        ));

        // Every change above is in the audit log, and the chain is whole.
        let (entries, _) = services::system::audit::list(
            &s,
            &cli(),
            &services::system::audit::Query {
                limit: 200,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        for action in [
            "setup.complete",
            "role.create",
            "user.create",
            "token.create",
            "token.revoke",
        ] {
            assert!(
                entries.iter().any(|e| e.action == action),
                "{action} audited"
            );
        }
        let created = entries
            .iter()
            .find(|e| e.action == "user.create" && e.entity_id == bia.to_string())
            .unwrap();
        assert!(
            created
                .after_json
                .as_deref()
                .unwrap()
                .contains("bia@fibrasul.com.br")
        );
        assert!(matches!(
            services::system::audit::verify(&s, &cli()).await.unwrap(),
            store::system::audit::Verdict::Intact { .. }
        ));
    })
    .await;
}

/// Secrets are never stored in clear: search every text column of every
/// table for them.
#[tokio::test]
async fn database_never_holds_secrets_in_clear() {
    each_engine(|db| async move {
        let s = svc(db.clone());
        services::system::setup::run(&s, &setup_input(), None).await.unwrap();
        let smtp_password = "smtp-Pa55word-visible-if-leaked";
        let mut values = BTreeMap::new();
        values.insert("email.smtp_password".to_owned(), smtp_password.to_owned());
        services::system::settings::update(&s, &cli(), &values).await.unwrap();
        let settings = services::system::settings::current(&s).await.unwrap();
        assert_eq!(settings.secret(&s, "email.smtp_password").unwrap(), smtp_password);
        assert_eq!(settings.display("email.smtp_password"), "********");

        let tables_sql = match db.engine() {
            store::Engine::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
            store::Engine::Postgres => "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '_sqlx%'",
        };
        let tables: Vec<String> = sqlx::query_scalar(tables_sql).fetch_all(db.pool()).await.unwrap();
        assert!(tables.len() >= 10);
        for table in tables {
            let cast = format!("SELECT COUNT(*) FROM {table} AS t WHERE t::text LIKE $1");
            // SQLite has no row-to-text cast: compare each column instead.
            let hits: i64 = if db.engine() == store::Engine::Sqlite {
                let cols: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT name FROM pragma_table_info('{table}')")))
                    .fetch_all(db.pool())
                    .await
                    .unwrap();
                let cond = cols.iter().map(|c| format!("CAST({c} AS TEXT) LIKE $1")).collect::<Vec<_>>().join(" OR ");
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table} WHERE {cond}")))
                    .bind(format!("%{smtp_password}%"))
                    .fetch_one(db.pool())
                    .await
                    .unwrap()
            } else {
                sqlx::query_scalar(sqlx::AssertSqlSafe(cast)).bind(format!("%{smtp_password}%")).fetch_one(db.pool()).await.unwrap()
            };
            assert_eq!(hits, 0, "secret found in clear in table {table}");
        }
    })
    .await;
}

#[tokio::test]
async fn banned_addresses_export_to_nftables_when_enabled() {
    each_engine(|db| async move {
        let dir = crate::data_dir();
        let s = Services::new(db, SecretBox::from_key(&[42; 32]), dir.clone());
        services::system::setup::run(&s, &setup_input(), None)
            .await
            .unwrap();
        for i in 0..10 {
            let _ = login(&s, &format!("nobody{i}"), "x", "203.0.113.5").await;
        }
        // Off by default: nothing is written.
        assert_eq!(
            services::staff::firewall::export(&s, &cli()).await.unwrap(),
            None
        );
        let mut values = BTreeMap::new();
        values.insert("security.nftables_export".to_owned(), "true".to_owned());
        services::system::settings::update(&s, &cli(), &values)
            .await
            .unwrap();
        let path = services::staff::firewall::export(&s, &cli())
            .await
            .unwrap()
            .expect("exported");
        assert_eq!(path, services::staff::firewall::path(&dir));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("add element inet lastmile banned_ipv4 { 203.0.113.5 timeout"),
            "{text}"
        );
    })
    .await;
}

#[tokio::test]
async fn password_reset_by_emailed_link() {
    each_engine(|db| async move {
        let s = svc(db.clone());
        services::system::setup::run(&s, &setup_input(), None)
            .await
            .unwrap();
        let old = token_of(login(&s, "ana", PASSWORD, "192.0.2.1").await.unwrap());
        // Unknown addresses get the same answer and no e-mail.
        services::staff::auth::request_password_reset(
            &s,
            "nobody@example.net",
            "https://panel.example.net",
            ip("192.0.2.1"),
        )
        .await
        .unwrap();
        services::staff::auth::request_password_reset(
            &s,
            "ANA@fibrasul.com.br",
            "https://panel.example.net/",
            ip("192.0.2.1"),
        )
        .await
        .unwrap();
        let bodies: Vec<(String, String)> =
            sqlx::query_as("SELECT to_addr, body_text FROM email_outbox")
                .fetch_all(db.pool())
                .await
                .unwrap();
        assert_eq!(bodies.len(), 1);
        assert_eq!(bodies[0].0, "ana@fibrasul.com.br");
        let link = bodies[0]
            .1
            .lines()
            .find(|l| l.starts_with("https://panel.example.net/password-reset/"))
            .unwrap();
        let token = link.rsplit('/').next().unwrap();
        assert!(
            services::staff::auth::reset_token_valid(&s, token)
                .await
                .unwrap()
        );
        assert!(matches!(
            services::staff::auth::reset_password(&s, token, "short", ip("192.0.2.1")).await,
            Err(Error::Invalid {
                field: "new_password",
                ..
            })
        ));
        services::staff::auth::reset_password(&s, token, "a brand new passphrase", ip("192.0.2.1"))
            .await
            .unwrap();
        // Single use; old sessions and the old password are gone.
        assert!(matches!(
            services::staff::auth::reset_password(
                &s,
                token,
                "another new passphrase",
                ip("192.0.2.1")
            )
            .await,
            Err(Error::Refused("reset-invalid"))
        ));
        assert!(
            services::staff::auth::session(&s, &old, ip("192.0.2.1"))
                .await
                .unwrap()
                .is_none()
        );
        assert!(login(&s, "ana", PASSWORD, "192.0.2.1").await.is_err());
        assert!(
            login(&s, "ana", "a brand new passphrase", "192.0.2.1")
                .await
                .is_ok()
        );
    })
    .await;
}

#[tokio::test]
async fn builtin_roles_gain_permissions_a_release_adds() {
    each_engine(|db| async move {
        let s = svc(db);
        services::system::setup::run(&s, &setup_input(), None)
            .await
            .unwrap();
        // As an installation from an older release would have it.
        let mut c = s.db.conn().await.unwrap();
        sqlx::query("UPDATE roles SET permissions = 'dashboard.view' WHERE builtin = TRUE")
            .execute(&mut *c)
            .await
            .unwrap();
        drop(c);
        services::system::setup::sync_builtin_roles(&s)
            .await
            .unwrap();
        let mut c = s.db.conn().await.unwrap();
        let admin = store::staff::roles::by_name(&mut c, "admin")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            admin.permissions,
            domain::PermissionSet::all().to_codes(),
            "admin holds every permission again"
        );
        let support = store::staff::roles::by_name(&mut c, "support")
            .await
            .unwrap()
            .unwrap();
        assert!(support.permissions.contains("customers.view"));
    })
    .await;
}
