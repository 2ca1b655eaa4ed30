//! Collections on SQLite and PostgreSQL: reminders sent once however often
//! the pass runs, the notice then the suspension no earlier than 15 days
//! after it, the minimum amount, a credit note settling the debt and
//! `reconsider` reactivating, trust unlock once per suspension and the
//! suspension again when its days end unpaid, the cancellation list, late
//! charges when paid late, the policy's Brazilian limits and permissions,
//! and the optional speed-reduction step (reduced by the pass, lifted by
//! payment, by a trust unlock and by the suspension).

use domain::Money;
use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
use domain::collections::{Policy, ReducedRate, SpeedReduction};
use domain::contracts::{Status, SuspendReason};
use domain::{Permission, PermissionSet};
use jiff::ToSpan;
use jiff::civil::Date;
use services::collections::{self, Outlook};
use services::contracts::{self, ContractInput};
use services::crm::{self, Created, CustomerInput};
use services::{Error, Services, catalog};
use store::billing::documents::{NewDocument, NewLine, Totals};
use store::testing::each_engine;

use crate::{admin_caller, staff_with, svc};

async fn company(s: &Services, country: &str) {
    let mut c = s.db.conn().await.unwrap();
    store::system::company::create(
        &mut c,
        &store::system::company::Company {
            name: "Fibra Sul".into(),
            legal_document: String::new(),
            country: country.into(),
            currency: "BRL".into(),
            locale: "pt-BR".into(),
            timezone: "UTC".into(),
        },
        store::now(),
    )
    .await
    .unwrap();
}

async fn today(s: &Services) -> Date {
    let mut c = s.db.conn().await.unwrap();
    crm::today(&mut c).await.unwrap()
}

fn day(d: Date, n: i64) -> Date {
    d.checked_add(n.days()).unwrap()
}

/// A customer with an e-mail and one active contract: (customer, contract).
async fn subscriber(s: &Services, name: &str, doc: &str, login: &str) -> (i64, i64) {
    let staff = admin_caller();
    let plan = catalog::create_plan(
        s,
        &staff,
        &Plan {
            name: format!("Fibra {login}"),
            description: String::new(),
            download_kbps: 300_000,
            upload_kbps: 150_000,
            burst_down: None,
            burst_up: None,
            quota: None,
            price: Money(10_000),
            billing_mode: BillingMode::Postpaid,
            cycle: Cycle::Monthly,
            installation_fee: Money(0),
            loyalty_months: 0,
            early_termination_fee: Money(0),
            tax_category: "scm".into(),
            technology: Technology::Fiber,
            suspended_behavior: SuspendedBehavior::Reject,
            active: true,
            public: true,
        },
    )
    .await
    .unwrap()
    .id;
    let input = CustomerInput {
        kind: "person".into(),
        name: name.into(),
        document: doc.into(),
        emails: vec![format!("{login}@example.net")],
        ..Default::default()
    };
    let customer = match crm::create_customer(s, &staff, &input).await.unwrap() {
        Created::Customer(c) => c.id,
        Created::Duplicates(d) => panic!("duplicates {d:?}"),
    };
    let k = contracts::create(
        s,
        &staff,
        &ContractInput {
            customer_id: customer,
            plan_id: plan,
            billing_day: 10,
            start_date: "2026-01-10".into(),
            login: login.into(),
            password: "first-pw".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    contracts::transition(s, &staff, k, Status::Active, None, "")
        .await
        .unwrap();
    (customer, k)
}

/// An issued document (invoice, or credit note against `credits`).
async fn document(
    s: &Services,
    customer: i64,
    contract: i64,
    due: Date,
    total: i64,
    credits: Option<i64>,
) -> i64 {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let kind = if credits.is_some() {
        "credit_note"
    } else {
        "invoice"
    };
    let number = format!("{kind}-{n}");
    let public_id = format!("c{n}-{}", store::now());
    let due_s = due.to_string();
    let issue = "2026-01-01".to_string();
    let mut tx = s.db.begin().await.unwrap();
    let id = store::billing::documents::insert(
        &mut tx,
        &NewDocument {
            kind,
            status: "issued",
            number: Some(&number),
            public_id: &public_id,
            customer_id: customer,
            contract_id: Some(contract),
            issue_date: Some(if credits.is_some() { &due_s } else { &issue }),
            due_date: &due_s,
            totals: Totals {
                net: total,
                discount: 0,
                tax: 0,
                total,
            },
            credits_invoice_id: credits,
            billing_run_id: None,
            notes: "",
        },
        store::now(),
    )
    .await
    .unwrap();
    store::billing::documents::insert_line(
        &mut tx,
        id,
        &NewLine {
            position: 0,
            source: if credits.is_some() { "credit" } else { "plan" },
            contract_id: Some(contract),
            description: "Fibra",
            period: None,
            quantity: 1,
            unit_price: total,
            discount: 0,
            amount: total,
            net: total,
            total,
            credits_line_id: None,
            taxes: vec![],
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn status(s: &Services, k: i64) -> (String, Option<String>) {
    let c = contracts::get(s, &admin_caller(), k).await.unwrap();
    (c.status, c.suspend_reason)
}

async fn outbox(s: &Services, to: &str) -> Vec<store::system::outbox::Message> {
    let mut c = s.db.conn().await.unwrap();
    store::system::outbox::recent(&mut c, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.to_addr == to)
        .collect()
}

fn suspended() -> (String, Option<String>) {
    ("suspended".into(), Some("non_payment".into()))
}

fn active() -> (String, Option<String>) {
    ("active".into(), None)
}

#[tokio::test]
async fn reminders_once_notice_then_suspension_unlock_and_reactivation() {
    each_engine(|db| async move {
        let s = svc(&db);
        company(&s, "BR").await;
        let staff = admin_caller();
        let (a, k) = subscriber(&s, "Ana Lima", "529.982.247-25", "ana").await;
        let t = today(&s).await;
        let due = day(t, -40);
        let inv = document(&s, a, k, due, 12_000, None).await;

        // −3, 0 and +3 days: one reminder each, never twice.
        for (offset, sent) in [(-4, 0), (-3, 1), (-3, 1), (-1, 1), (0, 2), (3, 3), (4, 3)] {
            let r = collections::pass(&s, &staff, day(due, offset))
                .await
                .unwrap();
            assert_eq!(r.notices, 0, "day {offset}");
            assert_eq!(
                outbox(&s, "ana@example.net").await.len(),
                sent,
                "day {offset}"
            );
        }
        let mails = outbox(&s, "ana@example.net").await;
        assert!(
            mails.iter().any(|m| m.subject.contains("vence hoje")),
            "{mails:?}"
        );

        // +5: the notice, with what the RGC asks for; suspension from +20.
        let r = collections::pass(&s, &staff, day(due, 5)).await.unwrap();
        assert_eq!((r.notices, r.suspended), (1, 0));
        let again = collections::pass(&s, &staff, day(due, 5)).await.unwrap();
        assert_eq!(again.notices, 0);
        let mails = outbox(&s, "ana@example.net").await;
        assert_eq!(mails.len(), 4);
        let notice = mails
            .iter()
            .find(|m| m.subject.contains("suspensão"))
            .unwrap();
        let from = day(due, 20).strftime("%d/%m/%Y").to_string();
        for needle in [
            "R$ 120,00",
            from.as_str(),
            "proteção ao crédito",
            "24 horas",
        ] {
            assert!(
                notice.body_text.contains(needle),
                "{needle}: {}",
                notice.body_text
            );
        }
        // Not before notice + 15 days.
        for offset in [6, 19] {
            let r = collections::pass(&s, &staff, day(due, offset))
                .await
                .unwrap();
            assert_eq!(r.suspended, 0);
            assert_eq!(status(&s, k).await, active());
        }
        let r = collections::pass(&s, &staff, day(due, 20)).await.unwrap();
        assert_eq!(r.suspended, 1);
        assert_eq!(status(&s, k).await, suspended());
        let r = collections::pass(&s, &staff, day(due, 21)).await.unwrap();
        assert_eq!(r.suspended, 0);
        assert!(matches!(
            collections::outlook(&s, &staff, k).await.unwrap(),
            Outlook::Suspended {
                unlockable: true,
                ..
            }
        ));

        // Trust unlock: the permission, at most the policy's days, once.
        let support = staff_with([Permission::CustomersView].into_iter().collect());
        assert!(matches!(
            collections::trust_unlock(&s, &support, k, 2).await,
            Err(Error::Forbidden("collections.unlock"))
        ));
        assert!(matches!(
            collections::trust_unlock(&s, &staff, k, 6).await,
            Err(Error::Invalid { field: "days", .. })
        ));
        let u = collections::trust_unlock(&s, &staff, k, 3).await.unwrap();
        assert_eq!(u.until, day(t, 3).to_string());
        assert_eq!(status(&s, k).await, active());
        assert_eq!(
            collections::outlook(&s, &staff, k).await.unwrap(),
            Outlook::Unlocked {
                until: u.until.clone()
            }
        );
        // Still owing when the days end: suspended again, and no second unlock.
        let r = collections::pass(&s, &staff, day(t, 2)).await.unwrap();
        assert_eq!(r.resuspended, 0);
        let r = collections::pass(&s, &staff, day(t, 3)).await.unwrap();
        assert_eq!(r.resuspended, 1);
        assert_eq!(status(&s, k).await, suspended());
        assert!(matches!(
            collections::trust_unlock(&s, &staff, k, 2).await,
            Err(Error::Refused("already-unlocked"))
        ));

        // A credit note for all of it settles the debt: reactivated.
        document(&s, a, k, t, -12_000, Some(inv)).await;
        let r = collections::reconsider_now(&s, &staff, a).await.unwrap();
        assert_eq!((r.owed, r.reactivated.clone()), (0, vec![k]));
        assert_eq!(status(&s, k).await, active());
        assert_eq!(
            collections::outlook(&s, &staff, k).await.unwrap(),
            Outlook::Clear
        );
        // On the timeline: reminders, the notice, the unlock, the moves.
        let (events, _) = crm::timeline(&s, &staff, a, None, None, 100).await.unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        for kind in [
            "collections.reminder_sent",
            "collections.notice_sent",
            "collections.unlocked",
            "contract.suspended",
            "contract.reactivated",
        ] {
            assert!(kinds.contains(&kind), "{kind}: {kinds:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn minimum_amount_and_partial_credit() {
    each_engine(|db| async move {
        let s = svc(&db);
        company(&s, "BR").await;
        let staff = admin_caller();
        // BR default minimum: 10.00. 9.99 owed: reminders, no notice, no suspension.
        let (a, k) = subscriber(&s, "Bia Souza", "111.444.777-35", "bia").await;
        let t = today(&s).await;
        let due = day(t, -40);
        let inv = document(&s, a, k, due, 999, None).await;
        for offset in [0, 5, 20, 30] {
            let r = collections::pass(&s, &staff, day(due, offset))
                .await
                .unwrap();
            assert_eq!((r.notices, r.suspended), (0, 0), "day {offset}");
        }
        assert_eq!(status(&s, k).await, active());
        // 40.00 owed, 35.00 credited before suspension: below the minimum then.
        let (b, k2) = subscriber(&s, "Caio Reis", "390.533.447-05", "caio").await;
        let inv2 = document(&s, b, k2, due, 4_000, None).await;
        let r = collections::pass(&s, &staff, day(due, 5)).await.unwrap();
        assert_eq!(r.notices, 1);
        document(&s, b, k2, day(due, 6), -3_500, Some(inv2)).await;
        let r = collections::pass(&s, &staff, day(due, 20)).await.unwrap();
        assert_eq!(r.suspended, 0);
        assert_eq!(status(&s, k2).await, active());
        let _ = inv;
        // The overdue list: what is open after the credit note, most first.
        let f = collections::OverdueFilter {
            min_days: 30,
            q: String::new(),
            offset: 0,
            limit: 10,
        };
        let rows = collections::overdue(&s, &staff, &f).await.unwrap();
        let owed: Vec<(i64, i64, i64)> = rows
            .iter()
            .map(|r| (r.row.customer_id, r.row.owed, r.days_late))
            .collect();
        assert_eq!(owed, vec![(a, 999, 40), (b, 500, 40)]);
        assert_eq!(rows[0].row.customer_name, "Bia Souza");
        let by_name = collections::OverdueFilter {
            q: "caio".into(),
            ..f.clone()
        };
        let rows = collections::overdue(&s, &staff, &by_name).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].row.customer_id, b);
        let later = collections::OverdueFilter { min_days: 41, ..f };
        assert!(
            collections::overdue(&s, &staff, &later)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn cancellation_list_at_sixty_days() {
    each_engine(|db| async move {
        let s = svc(&db);
        company(&s, "BR").await;
        let staff = admin_caller();
        let (a, k) = subscriber(&s, "Davi Melo", "529.982.247-25", "davi").await;
        let (_, other) = subscriber(&s, "Eva Cruz", "111.444.777-35", "eva").await;
        let t = today(&s).await;
        let due = day(t, -85);
        document(&s, a, k, due, 12_000, None).await;
        collections::pass(&s, &staff, day(due, 5)).await.unwrap();
        // Suspended on due + 20 = 65 days ago.
        collections::pass(&s, &staff, day(due, 20)).await.unwrap();
        assert_eq!(status(&s, k).await, suspended());
        // Suspended by hand today: not listed.
        contracts::transition(
            &s,
            &staff,
            other,
            Status::Suspended,
            Some(SuspendReason::NonPayment),
            "",
        )
        .await
        .unwrap();
        let list = collections::to_cancel(&s, &staff, 0, 50).await.unwrap();
        let ids: Vec<i64> = list.iter().map(|r| r.contract_id).collect();
        assert_eq!(ids, vec![k]);
        assert_eq!(list[0].suspended_on, Some(day(due, 20).to_string()));
        // 70 days: not yet.
        let mut p = collections::policy(&s, &staff).await.unwrap().policy;
        p.cancel_after_days = 70;
        collections::update_policy(&s, &staff, p).await.unwrap();
        assert!(
            collections::to_cancel(&s, &staff, 0, 50)
                .await
                .unwrap()
                .is_empty()
        );
        // The list needs collections.view.
        let nobody = staff_with(PermissionSet::default());
        assert!(matches!(
            collections::to_cancel(&s, &nobody, 0, 50).await,
            Err(Error::Forbidden(_))
        ));
        // A manually suspended contract is unlocked once too.
        collections::trust_unlock(&s, &staff, other, 1)
            .await
            .unwrap();
        assert_eq!(status(&s, other).await, active());
    })
    .await;
}

#[tokio::test]
async fn late_charges_go_on_the_next_invoice_once() {
    each_engine(|db| async move {
        let s = svc(&db);
        company(&s, "BR").await;
        let (a, k) = subscriber(&s, "Fabi Luz", "529.982.247-25", "fabi").await;
        let t = today(&s).await;
        let inv = document(&s, a, k, day(t, -10), 10_000, None).await;
        let on_time = document(&s, a, k, day(t, 1), 10_000, None).await;
        for _ in 0..2 {
            let mut tx = s.db.begin().await.unwrap();
            collections::on_payment(&mut tx, a, &[inv, on_time], t)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let charges = services::billing::charges::list(&s, &admin_caller(), k)
            .await
            .unwrap();
        let amounts: Vec<(i64, i64)> = charges.iter().map(|c| (c.quantity, c.unit_price)).collect();
        // 2 % of 100.00, and 1 % a month for 10 days: 0.333… → 0.33.
        assert_eq!(amounts, vec![(1, 200), (1, 33)]);
        assert!(charges[0].description.contains("Multa"), "{charges:?}");
        // Another customer's invoice is not found.
        let (b, _) = subscriber(&s, "Gil Rosa", "111.444.777-35", "gil").await;
        let mut tx = s.db.begin().await.unwrap();
        assert!(matches!(
            collections::on_payment(&mut tx, b, &[inv], t).await,
            Err(Error::NotFound)
        ));
    })
    .await;
}

#[tokio::test]
async fn policy_limits_and_permissions() {
    each_engine(|db| async move {
        let s = svc(&db);
        company(&s, "BR").await;
        let staff = admin_caller();
        // The daily job is registered and scheduled.
        use services::system::jobs;
        assert!(
            jobs::Registry::with_builtins()
                .kinds()
                .any(|k| k == collections::JOB)
        );
        assert!(
            jobs::schedule::builtin()
                .iter()
                .any(|spec| spec.job_kind == collections::JOB)
        );
        let stored = collections::policy(&s, &staff).await.unwrap();
        assert_eq!(stored.policy, Policy::default_for("BR").sorted());
        assert_eq!(stored.updated_at, None);
        let mut p = stored.policy.clone();
        p.fine = domain::billing::rate::Rate::parse_percent("3").unwrap();
        assert!(matches!(
            collections::update_policy(&s, &staff, p).await,
            Err(Error::Invalid { field: "fine", .. })
        ));
        let mut p = stored.policy.clone();
        p.reminders[2].template.body_en = "Hi {nome}".into();
        assert!(matches!(
            collections::update_policy(&s, &staff, p).await,
            Err(Error::Invalid {
                field: "reminders.2.body_en",
                ..
            })
        ));
        let mut p = stored.policy.clone();
        p.suspend_after_notice_days = 20;
        let viewer = staff_with([Permission::CollectionsView].into_iter().collect());
        assert!(matches!(
            collections::update_policy(&s, &viewer, p.clone()).await,
            Err(Error::Forbidden("collections.manage"))
        ));
        assert!(matches!(
            collections::pass(&s, &viewer, today(&s).await).await,
            Err(Error::Forbidden("collections.manage"))
        ));
        collections::policy(&s, &viewer).await.unwrap();
        let saved = collections::update_policy(&s, &staff, p).await.unwrap();
        assert_eq!(saved.policy.suspend_after_notice_days, 20);
        assert_eq!(saved.updated_by.as_deref(), Some("admin"));
    })
    .await;
}

#[tokio::test]
async fn a_payment_reactivates_and_puts_late_charges_on_the_next_invoice() {
    each_engine(|db| async move {
        let s = svc(&db);
        company(&s, "BR").await;
        let staff = admin_caller();
        let (a, k) = subscriber(&s, "Bia Reis", "111.444.777-35", "bia").await;
        let t = today(&s).await;
        let due = day(t, -40);
        let inv = document(&s, a, k, due, 12_000, None).await;
        collections::pass(&s, &staff, day(due, 5)).await.unwrap();
        let r = collections::pass(&s, &staff, day(due, 20)).await.unwrap();
        assert_eq!(r.suspended, 1);
        assert_eq!(status(&s, k).await, suspended());

        // Paid in full today, 40 days late: back in service at once, and
        // the 2 % fine plus 1 % a month pro rata die wait for the next invoice.
        let paid = services::payments::record(
            &s,
            &staff,
            &services::payments::NewPayment {
                customer_id: a,
                method: domain::payments::Method::BankTransfer,
                amount: Money(12_000),
                received_on: t.to_string(),
                invoice_id: Some(inv),
                gateway: None,
                reference: None,
                fee: Money(0),
                notes: String::new(),
            },
        )
        .await
        .unwrap();
        assert!(!paid.duplicate);
        assert_eq!(status(&s, k).await, active());
        let mut c = s.db.conn().await.unwrap();
        let late: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(quantity * unit_price), 0) AS BIGINT)
             FROM pending_charges WHERE contract_id = $1",
        )
        .bind(k)
        .fetch_one(&mut *c)
        .await
        .unwrap();
        assert_eq!(late, 240 + 160, "fine 2.40 + 40 days of interest 1.60");
    })
    .await;
}

#[tokio::test]
async fn reminders_and_notices_speak_the_customers_language_with_the_pay_link() {
    each_engine(|db| async move {
        let s = svc(&db);
        company(&s, "BR").await;
        let staff = admin_caller();
        let (ana, ka) = subscriber(&s, "Ana Lima", "529.982.247-25", "ana").await;
        let (bob, kb) = subscriber(&s, "Bob Hill", "111.444.777-35", "bob").await;
        // Bob prefers English; Ana keeps the company's Portuguese.
        let c = crm::get_customer(&s, &staff, bob).await.unwrap();
        let input = CustomerInput {
            kind: c.kind,
            name: c.name,
            document: c.document,
            emails: c.emails,
            locale: "en".into(),
            ..Default::default()
        };
        crm::update_customer(&s, &staff, bob, &input).await.unwrap();
        let due = day(today(&s).await, -40);
        document(&s, ana, ka, due, 12_000, None).await;
        let bob_inv = document(&s, bob, kb, due, 12_000, None).await;

        // No public address yet: the reminder goes without the link line.
        collections::pass(&s, &staff, day(due, -3)).await.unwrap();
        let mails = outbox(&s, "bob@example.net").await;
        assert_eq!(mails.len(), 1);
        assert!(mails[0].subject.contains("is due on"), "{mails:?}");
        assert!(!mails[0].body_text.contains("Pay online"), "{mails:?}");
        let mails = outbox(&s, "ana@example.net").await;
        assert!(mails[0].subject.contains("vence em"), "{mails:?}");

        let mut v = std::collections::BTreeMap::new();
        v.insert(
            "email.public_url".to_owned(),
            "https://pay.example.net".to_owned(),
        );
        services::system::settings::update(&s, &staff, &v)
            .await
            .unwrap();
        let public_id = {
            let mut c = s.db.conn().await.unwrap();
            store::billing::documents::get(&mut c, bob_inv)
                .await
                .unwrap()
                .public_id
        };
        collections::pass(&s, &staff, day(due, 5)).await.unwrap();
        let bob_mails = outbox(&s, "bob@example.net").await;
        let notice = bob_mails
            .iter()
            .find(|m| m.subject.contains("suspension"))
            .unwrap_or_else(|| panic!("{bob_mails:?}"));
        let link = format!("https://pay.example.net/pay/{public_id}");
        // Dates and amounts written the English way too.
        let from = day(due, 20).strftime("%B %-d, %Y").to_string();
        for needle in [
            "Hello Bob",
            "Pay online: ",
            link.as_str(),
            "credit protection",
            from.as_str(),
        ] {
            assert!(
                notice.body_text.contains(needle),
                "{needle}: {}",
                notice.body_text
            );
        }
        let ana_mails = outbox(&s, "ana@example.net").await;
        let aviso = ana_mails
            .iter()
            .find(|m| m.subject.contains("suspensão"))
            .unwrap_or_else(|| panic!("{ana_mails:?}"));
        assert!(
            aviso
                .body_text
                .contains("Pague on-line: https://pay.example.net/pay/")
        );
    })
    .await;
}

/// The speed-reduction rows of contract `k`: (up, down, percent, ended_why).
async fn reductions(
    s: &Services,
    k: i64,
) -> Vec<(Option<i64>, Option<i64>, Option<i64>, Option<String>)> {
    let mut c = s.db.conn().await.unwrap();
    sqlx::query_as(
        "SELECT up_kbps, down_kbps, percent, ended_why FROM dunning_reductions
         WHERE contract_id = $1 ORDER BY id",
    )
    .bind(k)
    .fetch_all(&mut *c)
    .await
    .unwrap()
}

/// The `contract.speed_changed` events of contract `k`, oldest first
/// (`reduced` of each).
async fn speed_events(s: &Services, k: i64) -> Vec<bool> {
    let mut c = s.db.conn().await.unwrap();
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT payload FROM domain_events WHERE kind = 'contract.speed_changed'
         AND entity_kind = 'contract' AND entity_id = $1 ORDER BY id",
    )
    .bind(k.to_string())
    .fetch_all(&mut *c)
    .await
    .unwrap();
    rows.iter()
        .map(|p| {
            serde_json::from_str::<serde_json::Value>(p).unwrap()["reduced"]
                .as_bool()
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn speed_reduction_before_suspension_lifted_by_payment_unlock_and_suspension() {
    each_engine(|db| async move {
        let s = svc(&db);
        company(&s, "BR").await;
        let staff = admin_caller();
        // Off by default: the pass never reduces.
        let (a, k) = subscriber(&s, "Ana Lima", "529.982.247-25", "ana").await;
        let t = today(&s).await;
        let due = day(t, -40);
        let inv = document(&s, a, k, due, 12_000, None).await;
        collections::pass(&s, &staff, day(due, 5)).await.unwrap();
        let r = collections::pass(&s, &staff, day(due, 15)).await.unwrap();
        assert_eq!(r.reduced, 0);
        assert!(reductions(&s, k).await.is_empty());

        // On: 5 days after the notice, half the plan's speeds. A step that
        // would come on or after the suspension day is refused.
        let mut p = collections::policy(&s, &staff).await.unwrap().policy;
        p.speed_reduction = Some(SpeedReduction {
            after_notice_days: 15,
            rate: ReducedRate::Percent { percent: 50 },
        });
        assert!(matches!(
            collections::update_policy(&s, &staff, p.clone()).await,
            Err(Error::Invalid {
                field: "speed_reduction.after_notice_days",
                ..
            })
        ));
        p.speed_reduction = Some(SpeedReduction {
            after_notice_days: 5,
            rate: ReducedRate::Percent { percent: 50 },
        });
        collections::update_policy(&s, &staff, p).await.unwrap();

        // A second subscriber whose notice goes out now (due + 5).
        let (b, k2) = subscriber(&s, "Bia Souza", "111.444.777-35", "bia").await;
        let due2 = day(t, -20);
        let inv2 = document(&s, b, k2, due2, 9_000, None).await;
        let r = collections::pass(&s, &staff, day(due2, 5)).await.unwrap();
        assert_eq!((r.notices, r.reduced), (1, 0));
        // Not before notice + 5 days.
        let r = collections::pass(&s, &staff, day(due2, 9)).await.unwrap();
        assert_eq!(r.reduced, 0);
        // Ana's suspension day came at that pass (before the step was due
        // for her): suspended, never reduced.
        assert_eq!(status(&s, k).await, suspended());
        let r = collections::pass(&s, &staff, day(due2, 10)).await.unwrap();
        assert_eq!((r.reduced, r.suspended), (1, 0));
        assert_eq!(reductions(&s, k2).await, vec![(None, None, Some(50), None)]);
        assert!(reductions(&s, k).await.is_empty());
        assert_eq!(status(&s, k2).await, active());
        assert_eq!(speed_events(&s, k2).await, vec![true]);
        // Once per contract and notice, however often the pass runs.
        let r = collections::pass(&s, &staff, day(due2, 11)).await.unwrap();
        assert_eq!(r.reduced, 0);
        let suspend_on = day(due2, 20).to_string();
        match collections::outlook(&s, &staff, k2).await.unwrap() {
            Outlook::Reduced {
                suspend_on: on,
                owed,
                ..
            } => assert_eq!((on, owed), (suspend_on.clone(), 9_000)),
            o => panic!("{o:?}"),
        }
        let f = collections::OverdueFilter {
            min_days: 0,
            q: "bia".into(),
            offset: 0,
            limit: 10,
        };
        let rows = collections::overdue(&s, &staff, &f).await.unwrap();
        assert_eq!(rows[0].row.reduced, 1);
        assert_eq!(
            (rows[0].next_step.as_str(), rows[0].next_date.as_deref()),
            ("suspension", Some(suspend_on.as_str()))
        );

        // Payment lifts it (the reactivation path): full speed, the event
        // the RADIUS nodes turn into a CoA, on the timeline.
        services::payments::record(
            &s,
            &staff,
            &services::payments::NewPayment {
                customer_id: b,
                method: domain::payments::Method::BankTransfer,
                amount: Money(9_000),
                received_on: t.to_string(),
                invoice_id: Some(inv2),
                gateway: None,
                reference: None,
                fee: Money(0),
                notes: String::new(),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            reductions(&s, k2).await,
            vec![(None, None, Some(50), Some("paid".into()))]
        );
        assert_eq!(speed_events(&s, k2).await, vec![true, false]);
        assert_eq!(
            collections::outlook(&s, &staff, k2).await.unwrap(),
            Outlook::Clear
        );
        let (events, _) = crm::timeline(&s, &staff, b, None, None, 100).await.unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        for kind in ["collections.speed_reduced", "collections.speed_restored"] {
            assert!(kinds.contains(&kind), "{kind}: {kinds:?}");
        }

        // A fixed rate; a trust unlock lifts it for good, the suspension
        // still comes on its day.
        let mut p = collections::policy(&s, &staff).await.unwrap().policy;
        p.speed_reduction = Some(SpeedReduction {
            after_notice_days: 0,
            rate: ReducedRate::Fixed {
                up_kbps: 1_000,
                down_kbps: 2_000,
            },
        });
        collections::update_policy(&s, &staff, p).await.unwrap();
        let (c3, k3) = subscriber(&s, "Caio Reis", "390.533.447-05", "caio").await;
        let (d4, k4) = subscriber(&s, "Davi Melo", "714.602.380-01", "davi").await;
        let due3 = day(t, -10);
        document(&s, c3, k3, due3, 7_000, None).await;
        document(&s, d4, k4, due3, 5_000, None).await;
        let r = collections::pass(&s, &staff, day(due3, 5)).await.unwrap();
        assert_eq!((r.notices, r.reduced), (2, 2));
        assert_eq!(
            reductions(&s, k3).await,
            vec![(Some(1_000), Some(2_000), None, None)]
        );
        let support = staff_with([Permission::CustomersView].into_iter().collect());
        assert!(matches!(
            collections::trust_unlock(&s, &support, k3, 2).await,
            Err(Error::Forbidden("collections.unlock"))
        ));
        let u = collections::trust_unlock(&s, &staff, k3, 2).await.unwrap();
        assert_eq!(u.until, day(due3, 20).to_string());
        assert_eq!(reductions(&s, k3).await[0].3.as_deref(), Some("unlocked"));
        assert_eq!(speed_events(&s, k3).await, vec![true, false]);
        assert_eq!(status(&s, k3).await, active());
        // Not reduced again for the same notice.
        let r = collections::pass(&s, &staff, day(due3, 6)).await.unwrap();
        assert_eq!(r.reduced, 0);
        assert_eq!(speed_events(&s, k3).await, vec![true, false]);
        // Both suspended on the notice's day. The suspension ends Davi's
        // reduction without a speed event: its status change disconnects.
        let r = collections::pass(&s, &staff, day(due3, 20)).await.unwrap();
        assert_eq!(r.suspended, 2);
        assert_eq!(status(&s, k3).await, suspended());
        assert_eq!(status(&s, k4).await, suspended());
        assert_eq!(reductions(&s, k4).await[0].3.as_deref(), Some("suspended"));
        assert_eq!(speed_events(&s, k4).await, vec![true]);
        let _ = inv;
    })
    .await;
}
