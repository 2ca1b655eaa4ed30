//! Who may call the staff, system and RADIUS services: one table of
//! (service call × caller kind) → allowed / refused, run on SQLite and
//! PostgreSQL; and the audit list's period read in the company's zone.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use domain::{Permission, PermissionSet};
use services::staff::auth::Principal;
use services::system::setup::SetupInput;
use services::{Caller, Error, Services};
use store::testing::each_engine;

use crate::radius::{Row, contract, insert_session, nas};
use crate::{staff_with, svc};

/// What a call came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The call did what it was asked.
    Ok,
    /// `Error::Forbidden`.
    Denied,
    /// `Error::NotFound`: another customer's record, as if it did not exist.
    Hidden,
}
use Outcome::{Denied, Hidden, Ok};

/// The caller kinds every row is tried with, in this order.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Staff holding the row's permission (the first of `perms`).
    StaffWith,
    /// Staff holding every permission but the row's.
    StaffWithout,
    /// An API token whose scopes are `audit.view`, `radius.view` and
    /// `jobs.view` (its user's role holds everything).
    Token,
    /// The customer whose contract the RADIUS records belong to.
    Owner,
    /// Another customer.
    Stranger,
    /// A background job.
    System,
}
const KINDS: [Kind; 6] = [
    Kind::StaffWith,
    Kind::StaffWithout,
    Kind::Token,
    Kind::Owner,
    Kind::Stranger,
    Kind::System,
];

/// The token's scopes.
const SCOPES: [Permission; 3] = [
    Permission::AuditView,
    Permission::RadiusView,
    Permission::JobsView,
];

/// A service call under test.
#[derive(Debug, Clone, Copy)]
enum Call {
    ListUsers,
    GetOtherUser,
    CreateUser,
    ChangeOtherUser,
    Reset2faOfOther,
    LogoutOtherEverywhere,
    OwnLocale,
    OwnRecoveryCodes,
    ListRoles,
    RoleChoices,
    CreateRole,
    DeleteRole,
    ActiveBans,
    TokenForOther,
    OwnTokenUsersView,
    ListTokens,
    FirewallExport,
    ReadSettings,
    UpdateSettings,
    CompanyProfile,
    UpdateCompany,
    AuditList,
    AuditGet,
    AuditVerify,
    ListBackups,
    RecentEmail,
    Dashboard,
    ListJobs,
    EnqueueJob,
    RetryJob,
    SessionsOfContract,
    Session,
    Usage,
    AuthLogOfContract,
    CoaRequests,
    Who,
    Disconnect,
    Purge,
    ListNas,
    CreateNas,
    RevealNasSecret,
}

/// The records the calls act on.
struct Cx {
    svc: Services,
    /// Another staff user than the callers' own (user 1).
    other_user: i64,
    /// The token the `Token` kind calls with.
    token_id: i64,
    owner: i64,
    stranger: i64,
    contract: i64,
    session: i64,
    nas: i64,
    n: AtomicUsize,
}

impl Cx {
    fn next(&self) -> usize {
        self.n.fetch_add(1, Ordering::Relaxed)
    }

    fn caller(&self, kind: Kind, perms: &[Permission]) -> Caller {
        match kind {
            Kind::StaffWith => staff_with(perms.first().copied().into_iter().collect()),
            Kind::StaffWithout => staff_with(
                Permission::ALL
                    .into_iter()
                    .filter(|p| !perms.contains(p))
                    .collect(),
            ),
            Kind::Token => {
                let Caller::Staff {
                    principal,
                    source_ip,
                } = staff_with(SCOPES.into_iter().collect())
                else {
                    unreachable!()
                };
                Caller::staff(
                    Principal {
                        token_id: Some(self.token_id),
                        ..principal
                    },
                    source_ip,
                )
            }
            Kind::Owner => customer(self.owner),
            Kind::Stranger => customer(self.stranger),
            Kind::System => Caller::system("test"),
        }
    }

    async fn run(&self, call: Call, caller: &Caller) -> Result<(), Error> {
        use services::staff::{self, auth, tokens};
        use services::system::{audit, backup, email, health, jobs, settings, setup};
        use services::{nas, radius};
        let s = &self.svc;
        let n = self.next();
        let cli = Caller::cli();
        match call {
            Call::ListUsers => {
                let _ = staff::list_users(s, caller, &limit()).await?;
            }
            Call::GetOtherUser => {
                let _ = staff::get_user(s, caller, self.other_user).await?;
            }
            Call::CreateUser => {
                let input = staff::UserInput {
                    username: format!("new{n}"),
                    email: format!("new{n}@example.net"),
                    role: "support".into(),
                    ..Default::default()
                };
                let _ = staff::create_user(s, caller, &input, "a long enough password").await?;
            }
            Call::ChangeOtherUser => {
                let changes = staff::UserChanges {
                    display_name: Some(format!("Other {n}")),
                    ..Default::default()
                };
                let _ = staff::change_user(s, caller, self.other_user, &changes).await?;
            }
            Call::Reset2faOfOther => staff::reset_2fa(s, caller, self.other_user).await?,
            Call::LogoutOtherEverywhere => {
                let _ = auth::logout_everywhere(s, caller, self.other_user).await?;
            }
            Call::OwnLocale => staff::set_locale(s, caller, domain::Locale::En).await?,
            Call::OwnRecoveryCodes => {
                let _ = auth::unused_recovery_codes(s, caller).await?;
            }
            Call::ListRoles => {
                let _ = staff::list_roles(s, caller).await?;
            }
            Call::RoleChoices => {
                let _ = staff::role_choices(s, caller).await?;
            }
            Call::CreateRole => {
                let _ = staff::create_role(s, caller, &role(n)).await?;
            }
            Call::DeleteRole => {
                let id = staff::create_role(s, &cli, &role(n)).await.unwrap();
                staff::delete_role(s, caller, id).await?
            }
            Call::ActiveBans => {
                let _ = auth::active_bans(s, caller).await?;
            }
            Call::TokenForOther => {
                let _ = tokens::create(s, caller, self.other_user, "t", "audit.view").await?;
            }
            Call::OwnTokenUsersView => {
                let _ = tokens::create(s, caller, 1, "t", "users.view").await?;
            }
            Call::ListTokens => {
                let _ = tokens::list(s, caller, None, None, 50).await?;
            }
            Call::FirewallExport => {
                let _ = staff::firewall::export(s, caller).await?;
            }
            Call::ReadSettings => {
                let _ = settings::read(s, caller).await?;
            }
            Call::UpdateSettings => {
                let values = BTreeMap::from([(
                    domain::system::settings::SESSION_IDLE_MINUTES.to_owned(),
                    (30 + n % 2).to_string(),
                )]);
                let _ = settings::update(s, caller, &values).await?;
            }
            Call::CompanyProfile => {
                let _ = setup::profile(s, caller).await?;
            }
            Call::UpdateCompany => {
                let c = setup::company(s).await.unwrap().unwrap();
                setup::update_company(s, caller, &c).await?
            }
            Call::AuditList => {
                let _ = audit::list(s, caller, &audit_query()).await?;
            }
            Call::AuditGet => {
                let _ = audit::get(s, caller, 1).await?;
            }
            Call::AuditVerify => {
                let _ = audit::verify(s, caller).await?;
            }
            Call::ListBackups => {
                let _ = backup::list_in(s, caller)?;
            }
            Call::RecentEmail => {
                let _ = email::recent(s, caller, 10).await?;
            }
            Call::Dashboard => {
                let _ = health::dashboard(s, caller).await?;
            }
            Call::ListJobs => {
                let _ = jobs::list(s, caller, &job_filter()).await?;
            }
            Call::EnqueueJob => {
                // Far in the future, so nothing runs it.
                let later = Some(store::now() + 86_400 * 365);
                let _ = jobs::enqueue(s, caller, "test", &serde_json::json!({}), later, 1).await?;
            }
            Call::RetryJob => {
                let id = dead_job(s).await;
                jobs::retry_now(s, caller, id).await?
            }
            Call::SessionsOfContract => {
                let f = store::radius::SessionFilter {
                    contract_id: Some(self.contract),
                    limit: 10,
                    ..Default::default()
                };
                let _ = radius::sessions(s, caller, &f).await?;
            }
            Call::Session => {
                let _ = radius::session(s, caller, self.session).await?;
            }
            Call::Usage => {
                let _ = radius::usage(s, caller, self.contract, 12).await?;
            }
            Call::AuthLogOfContract => {
                let f = store::radius::AuthFilter {
                    contract_id: Some(self.contract),
                    limit: 10,
                    ..Default::default()
                };
                let _ = radius::auth_log(s, caller, &f).await?;
            }
            Call::CoaRequests => {
                let _ = radius::coa_requests(s, caller, None, None, 10).await?;
            }
            Call::Who => {
                let _ = radius::who(s, caller, "100.64.9.9", "2026-03-01 12:00").await?;
            }
            Call::Disconnect => {
                let _ = radius::disconnect(s, caller, self.session).await?;
            }
            Call::Purge => {
                let _ = radius::purge_older_than(s, caller, 400, 90).await?;
            }
            Call::ListNas => {
                let _ = nas::list(s, caller).await?;
            }
            Call::CreateNas => {
                let input = nas(
                    &format!("bng-{n}"),
                    &format!("10.9.{}.{}", n / 200, n % 200 + 1),
                );
                let _ = nas::create(s, caller, &input).await?;
            }
            Call::RevealNasSecret => {
                let _ = nas::reveal_secret(s, caller, self.nas).await?;
            }
        }
        Result::Ok(())
    }
}

fn customer(id: i64) -> Caller {
    Caller::Customer {
        customer_id: id,
        name: format!("customer {id}"),
        source_ip: None,
    }
}

fn limit() -> store::staff::users::Filter {
    store::staff::users::Filter {
        limit: 10,
        ..Default::default()
    }
}

fn job_filter() -> store::system::jobs::Filter {
    store::system::jobs::Filter {
        limit: 10,
        ..Default::default()
    }
}

fn audit_query() -> services::system::audit::Query {
    services::system::audit::Query {
        limit: 10,
        ..Default::default()
    }
}

fn role(n: usize) -> services::staff::RoleInput {
    services::staff::RoleInput {
        name: format!("role-{n}"),
        permissions: vec!["audit.view".into()],
        ip_allowlist: String::new(),
    }
}

/// A job that ran out of attempts.
async fn dead_job(s: &Services) -> i64 {
    let mut tx = s.db.begin().await.unwrap();
    let id = store::system::jobs::enqueue(
        &mut tx,
        "test",
        &serde_json::json!({}),
        store::now() + 86_400 * 365,
        1,
        store::now(),
    )
    .await
    .unwrap();
    sqlx::query("UPDATE jobs SET status = 'dead' WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

fn setup_input(timezone: &str) -> SetupInput {
    SetupInput {
        company: "Fibra Sul".into(),
        legal_document: "12.345.678/0001-95".into(),
        country: "BR".into(),
        currency: "BRL".into(),
        locale: "pt-BR".into(),
        timezone: timezone.into(),
        admin_username: "admin".into(),
        admin_email: "admin@fibrasul.com.br".into(),
        admin_name: "Admin".into(),
        admin_password: "correct horse battery".into(),
        logo: None,
    }
}

/// The installation every row runs against.
async fn cx(db: &store::Db) -> Cx {
    let s = svc(db);
    let cli = Caller::cli();
    let admin = services::system::setup::run(&s, &setup_input("America/Sao_Paulo"), None)
        .await
        .unwrap();
    assert_eq!(admin, 1, "the callers' user is the first admin");
    let other_user = services::staff::create_user(
        &s,
        &cli,
        &services::staff::UserInput {
            username: "other".into(),
            email: "other@example.net".into(),
            role: "support".into(),
            ..Default::default()
        },
        "a long enough password",
    )
    .await
    .unwrap();
    let scopes = SCOPES.map(|p| p.code()).join(" ");
    let (token_id, _) = services::staff::tokens::create(&s, &cli, admin, "scoped", &scopes)
        .await
        .unwrap();
    let (contract_id, _) = contract(&s, "Maria Souza", "maria.souza", "52998224725").await;
    let (stranger_contract, _) = contract(&s, "João Lima", "joao.lima", "11144477735").await;
    let owner_of = |k: i64| {
        let db = db.clone();
        async move {
            let mut c = db.conn().await.unwrap();
            store::contracts::get(&mut c, k).await.unwrap().customer_id
        }
    };
    let owner = owner_of(contract_id).await;
    let stranger = owner_of(stranger_contract).await;
    let nas_id = services::nas::create(&s, &cli, &nas("bng-1", "10.0.0.1"))
        .await
        .unwrap();
    let mut c = db.conn().await.unwrap();
    let session = insert_session(
        &mut c,
        &Row {
            nas_id,
            login: "maria.souza",
            contract_id: Some(contract_id),
            ip: Some("100.64.9.9"),
            v6: None,
            mac: "AA:BB:CC:00:11:22",
            start: store::now() - 3600,
            stop: None,
        },
    )
    .await;
    drop(c);
    Cx {
        svc: s,
        other_user,
        token_id,
        owner,
        stranger,
        contract: contract_id,
        session,
        nas: nas_id,
        n: AtomicUsize::new(0),
    }
}

/// One row: the call, the permissions that open it (any of them; the
/// first is the one `StaffWith` holds), and the outcome for each of
/// [`KINDS`]: staff with, staff without, token, owner, stranger, system.
struct Rule {
    call: Call,
    perms: &'static [Permission],
    expect: [Outcome; 6],
}

const fn rule(call: Call, perms: &'static [Permission], expect: [Outcome; 6]) -> Rule {
    Rule {
        call,
        perms,
        expect,
    }
}

use Permission as P;

/// Staff-only calls the token's scopes do not cover.
const STAFF: [Outcome; 6] = [Ok, Denied, Denied, Denied, Denied, Ok];
/// Staff-only calls within the token's scopes.
const STAFF_SCOPED: [Outcome; 6] = [Ok, Denied, Ok, Denied, Denied, Ok];
/// A staff user's own account: any staff user or token, nobody else.
const OWN: [Outcome; 6] = [Ok, Ok, Ok, Denied, Denied, Denied];
/// A customer's own RADIUS records: staff with the permission, the token
/// (`radius.view`), the owner; another customer finds nothing.
const CUSTOMER_RECORD: [Outcome; 6] = [Ok, Denied, Ok, Ok, Hidden, Ok];

const RULES: &[Rule] = &[
    rule(Call::ListUsers, &[P::UsersView, P::UsersManage], STAFF),
    rule(Call::GetOtherUser, &[P::UsersView, P::UsersManage], STAFF),
    rule(Call::CreateUser, &[P::UsersManage], STAFF),
    rule(Call::ChangeOtherUser, &[P::UsersManage], STAFF),
    rule(Call::Reset2faOfOther, &[P::UsersManage], STAFF),
    rule(Call::LogoutOtherEverywhere, &[P::UsersManage], STAFF),
    rule(Call::OwnLocale, &[], OWN),
    rule(Call::OwnRecoveryCodes, &[], OWN),
    rule(Call::ListRoles, &[P::RolesManage], STAFF),
    rule(
        Call::RoleChoices,
        &[P::UsersView, P::UsersManage, P::RolesManage],
        STAFF,
    ),
    rule(Call::CreateRole, &[P::RolesManage], STAFF),
    rule(Call::DeleteRole, &[P::RolesManage], STAFF),
    rule(Call::ActiveBans, &[P::SecurityManage], STAFF),
    rule(Call::TokenForOther, &[P::UsersManage], STAFF),
    // One's own token: any staff user, but a token hands out only scopes
    // it holds.
    rule(
        Call::OwnTokenUsersView,
        &[],
        [Ok, Ok, Denied, Denied, Denied, Ok],
    ),
    // Without `users.manage`, one's own tokens; customers have none.
    rule(
        Call::ListTokens,
        &[P::UsersManage],
        [Ok, Ok, Ok, Denied, Denied, Ok],
    ),
    rule(Call::FirewallExport, &[P::SecurityManage], STAFF),
    rule(
        Call::ReadSettings,
        &[P::SettingsView, P::SettingsManage],
        STAFF,
    ),
    rule(Call::UpdateSettings, &[P::SettingsManage], STAFF),
    rule(
        Call::CompanyProfile,
        &[P::SettingsView, P::SettingsManage],
        STAFF,
    ),
    rule(Call::UpdateCompany, &[P::SettingsManage], STAFF),
    rule(Call::AuditList, &[P::AuditView], STAFF_SCOPED),
    rule(Call::AuditGet, &[P::AuditView], STAFF_SCOPED),
    rule(Call::AuditVerify, &[P::AuditView], STAFF_SCOPED),
    rule(
        Call::ListBackups,
        &[P::SettingsView, P::SettingsManage],
        STAFF,
    ),
    rule(
        Call::RecentEmail,
        &[P::SettingsView, P::SettingsManage],
        STAFF,
    ),
    rule(Call::Dashboard, &[P::DashboardView], STAFF),
    rule(Call::ListJobs, &[P::JobsView, P::JobsManage], STAFF_SCOPED),
    rule(Call::EnqueueJob, &[P::JobsManage], STAFF),
    rule(Call::RetryJob, &[P::JobsManage], STAFF),
    rule(
        Call::SessionsOfContract,
        &[P::RadiusView, P::RadiusManage],
        CUSTOMER_RECORD,
    ),
    rule(
        Call::Session,
        &[P::RadiusView, P::RadiusManage],
        CUSTOMER_RECORD,
    ),
    rule(
        Call::Usage,
        &[P::RadiusView, P::RadiusManage],
        CUSTOMER_RECORD,
    ),
    rule(
        Call::AuthLogOfContract,
        &[P::RadiusView, P::RadiusManage],
        CUSTOMER_RECORD,
    ),
    rule(
        Call::CoaRequests,
        &[P::RadiusView, P::RadiusManage],
        STAFF_SCOPED,
    ),
    rule(Call::Who, &[P::RadiusLookup], STAFF),
    rule(Call::Disconnect, &[P::RadiusManage], STAFF),
    rule(Call::Purge, &[P::RadiusManage], STAFF),
    rule(
        Call::ListNas,
        &[P::RadiusView, P::RadiusManage],
        STAFF_SCOPED,
    ),
    rule(Call::CreateNas, &[P::RadiusManage], STAFF),
    rule(Call::RevealNasSecret, &[P::RadiusManage], STAFF),
];

#[tokio::test]
async fn each_call_allows_exactly_its_callers() {
    each_engine(|db| async move {
        let cx = cx(&db).await;
        let mut wrong = Vec::new();
        for r in RULES {
            for (kind, want) in KINDS.into_iter().zip(r.expect) {
                let got = match cx.run(r.call, &cx.caller(kind, r.perms)).await {
                    Result::Ok(()) => Ok,
                    Err(Error::Forbidden(_)) => Denied,
                    Err(Error::NotFound) => Hidden,
                    Err(e) => panic!("{:?} by {kind:?}: {e:?}", r.call),
                };
                if got != want {
                    wrong.push(format!("{:?} by {kind:?}: {got:?}, want {want:?}", r.call));
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    })
    .await;
}

#[tokio::test]
async fn a_customer_sees_only_its_own_connection_records() {
    each_engine(|db| async move {
        let cx = cx(&db).await;
        let all = store::radius::SessionFilter {
            limit: 50,
            ..Default::default()
        };
        let seen = |caller: Caller| {
            let (s, all) = (cx.svc.clone(), all.clone());
            async move {
                let (rows, _) = services::radius::sessions(&s, &caller, &all).await.unwrap();
                rows.iter().map(|r| r.id).collect::<Vec<_>>()
            }
        };
        assert_eq!(seen(customer(cx.owner)).await, [cx.session]);
        assert!(seen(customer(cx.stranger)).await.is_empty());
        // Asking for the owner's records by customer id finds nothing.
        let theirs = store::radius::SessionFilter {
            customer_id: Some(cx.owner),
            ..all.clone()
        };
        assert!(matches!(
            services::radius::sessions(&cx.svc, &customer(cx.stranger), &theirs).await,
            Err(Error::NotFound)
        ));
        // Staff see every record.
        let staff = staff_with(PermissionSet::parse("radius.view").unwrap());
        assert_eq!(seen(staff).await, [cx.session]);
    })
    .await;
}

/// The audit list's `from`/`to` are days in the company's time zone,
/// whichever interface asks; a bad date is refused naming its field.
#[tokio::test]
async fn audit_period_is_read_in_the_company_zone() {
    each_engine(|db| async move {
        let s = svc(&db);
        // São Paulo is UTC−3: its 2026-03-01 runs from 03:00 UTC that day
        // to 03:00 UTC the next.
        services::system::setup::run(&s, &setup_input("America/Sao_Paulo"), None)
            .await
            .unwrap();
        let mar1 = 1_772_323_200; // 2026-03-01T00:00:00Z
        let entries = [
            ("test.before", mar1 + 2 * 3600 + 1800), // Feb 28, 23:30 local
            ("test.first", mar1 + 3 * 3600 + 1800),  // Mar 1, 00:30 local
            ("test.last", mar1 + 26 * 3600 + 1800),  // Mar 1, 23:30 local
            ("test.after", mar1 + 27 * 3600 + 1800), // Mar 2, 00:30 local
        ];
        let actor = Caller::cli().actor();
        for (action, at) in entries {
            let mut tx = db.begin().await.unwrap();
            let change = store::system::audit::Change {
                action,
                entity_kind: "test",
                entity_id: "1",
                before: None,
                after: None,
            };
            store::system::audit::append(&mut tx, db.engine(), &actor, &change, at)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let auditor = staff_with(PermissionSet::parse("audit.view").unwrap());
        let list = |from: &'static str, to: &'static str| {
            let (s, auditor) = (s.clone(), auditor.clone());
            async move {
                let q = services::system::audit::Query {
                    action: Some("test.".into()),
                    from: Some(from.into()),
                    to: Some(to.into()),
                    limit: 50,
                    ..Default::default()
                };
                services::system::audit::list(&s, &auditor, &q)
                    .await
                    .map(|(rows, _)| {
                        let mut a: Vec<String> = rows.into_iter().map(|e| e.action).collect();
                        a.sort();
                        a
                    })
            }
        };
        let march_first = ["test.first", "test.last"];
        // A whole local day, `to` included (a UTC cut would list
        // test.before and test.first).
        assert_eq!(list("2026-03-01", "2026-03-01").await.unwrap(), march_first);
        // The same period as wall-clock times, RFC 3339 and Unix seconds.
        assert_eq!(
            list("2026-03-01 00:00", "2026-03-02T00:00").await.unwrap(),
            march_first
        );
        assert_eq!(
            list("2026-03-01T00:00:00-03:00", "1772420400")
                .await
                .unwrap(),
            march_first
        );
        // Open ends.
        assert_eq!(list("2026-03-02", "").await.unwrap(), ["test.after"]);
        assert_eq!(list("", "2026-02-28").await.unwrap(), ["test.before"]);
        // A bad date is named, never read as "no bound".
        for (from, to, field) in [
            ("2026-02-30", "", "from"),
            ("", "yesterday", "to"),
            ("01/03/2026", "2026-03-01", "from"),
        ] {
            match list(from, to).await {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field, "{from} {to}"),
                other => panic!("{from} {to}: {other:?}"),
            }
        }
        // Only auditors get that far.
        let q = services::system::audit::Query {
            from: Some("yesterday".into()),
            limit: 10,
            ..Default::default()
        };
        assert!(matches!(
            services::system::audit::list(&s, &staff_with(PermissionSet::default()), &q).await,
            Err(Error::Forbidden("audit.view"))
        ));
    })
    .await;
}
