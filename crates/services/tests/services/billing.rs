//! Billing on SQLite and PostgreSQL: tax rates, a run that issues each
//! contract's periods once however often it runs (and concurrently), gap-free
//! numbers, credit notes and voiding, and a customer that reaches only its
//! own documents.

use domain::Money;
use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
use jiff::civil::date;
use services::billing::documents::{self, CreditLine};
use services::billing::run;
use services::billing::taxes::{self, TaxInput};
use services::billing::{Policy, documents::Full};
use services::contracts::{self, ContractInput};
use services::crm::{self, Created, CustomerInput};
use services::{Caller, Error, Services, catalog};
use store::billing::documents::Filter;
use store::testing::each_engine;

use crate::{admin_caller, svc};

fn console() -> Caller {
    Caller::Cli {
        name: "test".into(),
    }
}

fn plan(name: &str, price: i64, mode: BillingMode) -> Plan {
    Plan {
        name: name.into(),
        description: String::new(),
        download_kbps: 300_000,
        upload_kbps: 150_000,
        burst_down: None,
        burst_up: None,
        quota: None,
        price: Money(price),
        billing_mode: mode,
        cycle: Cycle::Monthly,
        installation_fee: Money(0),
        loyalty_months: 0,
        early_termination_fee: Money(0),
        tax_category: "scm".into(),
        technology: Technology::Fiber,
        suspended_behavior: SuspendedBehavior::Reject,
        active: true,
        public: true,
    }
}

async fn customer(s: &Services, name: &str, doc: &str) -> i64 {
    let input = CustomerInput {
        kind: "person".into(),
        name: name.into(),
        document: doc.into(),
        ..Default::default()
    };
    match crm::create_customer(s, &admin_caller(), &input)
        .await
        .unwrap()
    {
        Created::Customer(c) => c.id,
        Created::Duplicates(d) => panic!("unexpected duplicates {d:?}"),
    }
}

/// An active postpaid contract started on 2026-01-10 with billing day 10.
async fn contract(s: &Services, customer_id: i64, plan_id: i64, login: &str) -> i64 {
    let id = contracts::create(
        s,
        &admin_caller(),
        &ContractInput {
            customer_id,
            plan_id,
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
    // Activation recorded as of the start date, so billing starts there.
    let mut tx = s.db.begin().await.unwrap();
    sqlx::query("UPDATE contracts SET status = 'active' WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn scm_taxes(s: &Services) {
    for (name, pct) in [("ICMS", "18"), ("PIS", "0,65"), ("COFINS", "3")] {
        taxes::create(
            s,
            &console(),
            &TaxInput {
                name: name.into(),
                percent: pct.into(),
                mode: "included_share".into(),
                category: "scm".into(),
                position: 0,
                active: true,
            },
        )
        .await
        .unwrap();
    }
}

async fn invoices(s: &Services) -> Vec<Full> {
    let (docs, _) = documents::list(
        s,
        &console(),
        &Filter {
            kind: Some("invoice".into()),
            limit: 500,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    for d in docs.iter().rev() {
        out.push(documents::get(s, &console(), d.id).await.unwrap());
    }
    out
}

#[tokio::test]
async fn tax_rates_are_validated_naming_the_field() {
    each_engine(|db| async move {
        let s = svc(&db);
        let bad = |percent: &str, mode: &str, name: &str| TaxInput {
            name: name.into(),
            percent: percent.into(),
            mode: mode.into(),
            active: true,
            ..Default::default()
        };
        for (input, field) in [
            (bad("101", "on_top", "VAT"), "percent"),
            (bad("1,23456", "on_top", "VAT"), "percent"),
            (bad("10", "sideways", "VAT"), "mode"),
            (bad("10", "on_top", ""), "name"),
        ] {
            match taxes::create(&s, &console(), &input).await {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        taxes::create(&s, &console(), &bad("20", "on_top", "VAT"))
            .await
            .unwrap();
        assert!(matches!(
            taxes::create(&s, &console(), &bad("5", "on_top", "VAT")).await,
            Err(Error::Conflict("name"))
        ));
        let list = taxes::list(&s, &console()).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].rate_ppm, 200_000);
    })
    .await;
}

#[tokio::test]
async fn a_run_bills_each_period_once_with_gap_free_numbers() {
    each_engine(|db| async move {
        let s = svc(&db);
        scm_taxes(&s).await;
        let plan_id = catalog::create_plan(
            &s,
            &admin_caller(),
            &plan("Fibra 300", 9_990, BillingMode::Postpaid),
        )
        .await
        .unwrap()
        .id;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        let b = customer(&s, "Bruno", "111.444.777-35").await;
        let ka = contract(&s, a, plan_id, "ana").await;
        contract(&s, b, plan_id, "bruno").await;
        let policy = Policy::default();

        let preview = run::preview(&s, &console(), date(2026, 3, 10), &policy)
            .await
            .unwrap();
        assert_eq!((preview.contracts, preview.invoices), (2, 4));
        assert_eq!(preview.total, Money(4 * 9_990));
        assert!(invoices(&s).await.is_empty(), "a preview writes nothing");

        let first = run::run(&s, &console(), date(2026, 3, 10), &policy)
            .await
            .unwrap();
        let docs = invoices(&s).await;
        assert_eq!(docs.len(), 4);
        let numbers: Vec<_> = docs
            .iter()
            .map(|d| d.document.number.clone().unwrap())
            .collect();
        assert_eq!(
            numbers,
            ["2026-000001", "2026-000002", "2026-000003", "2026-000004"]
        );
        let d = &docs[0];
        assert_eq!(d.document.total, 9_990);
        assert_eq!(d.lines[0].period_start.as_deref(), Some("2026-01-10"));
        assert_eq!(d.lines[0].period_end.as_deref(), Some("2026-02-10"));
        // ICMS 17.98 + PIS 0.65 + COFINS 3.00, inside the price.
        let tax: Vec<i64> = d.taxes.iter().map(|t| t.amount).collect();
        assert_eq!(tax.iter().sum::<i64>(), 1_798 + 65 + 300);
        assert_eq!(d.document.tax, 2_163);

        // Running again, or concurrently, bills nothing twice.
        run::run(&s, &console(), date(2026, 3, 10), &policy)
            .await
            .unwrap();
        let who = console();
        let (x, y) = tokio::join!(
            run::run(&s, &who, date(2026, 4, 10), &policy),
            run::run(&s, &who, date(2026, 4, 10), &policy),
        );
        x.unwrap();
        y.unwrap();
        let docs = invoices(&s).await;
        assert_eq!(docs.len(), 6, "one more period each, once");
        let mut periods: Vec<_> = docs
            .iter()
            .map(|d| (d.document.contract_id, d.lines[0].period_start.clone()))
            .collect();
        periods.sort();
        periods.dedup();
        assert_eq!(periods.len(), 6);
        let mut numbers: Vec<_> = docs
            .iter()
            .map(|d| d.document.number.clone().unwrap())
            .collect();
        numbers.sort();
        assert_eq!(
            numbers.last().map(String::as_str),
            Some("2026-000006"),
            "no gaps"
        );

        let mut c = s.db.conn().await.unwrap();
        let r = store::billing::runs::get(&mut c, first).await.unwrap();
        assert_eq!(
            (r.status.as_str(), r.invoices, r.contracts_done),
            ("done", 4, 2)
        );
        drop(c);

        // The customer sees its own documents only.
        let ana = Caller::Customer {
            customer_id: a,
            name: "Ana".into(),
            source_ip: None,
        };
        let (own, _) = documents::list(
            &s,
            &ana,
            &Filter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(!own.is_empty() && own.iter().all(|d| d.customer_id == a));
        let other = docs
            .iter()
            .find(|d| d.document.contract_id != Some(ka))
            .unwrap();
        assert!(matches!(
            documents::get(&s, &ana, other.document.id).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            run::run(&s, &ana, date(2026, 5, 10), &policy).await,
            Err(Error::Forbidden(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn corrections_are_credit_notes_and_voiding_credits_the_rest() {
    each_engine(|db| async move {
        let s = svc(&db);
        scm_taxes(&s).await;
        let plan_id = catalog::create_plan(
            &s,
            &admin_caller(),
            &plan("Fibra 500", 12_000, BillingMode::Postpaid),
        )
        .await
        .unwrap()
        .id;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        contract(&s, a, plan_id, "ana").await;
        let policy = Policy::default();
        run::run(&s, &console(), date(2026, 2, 10), &policy)
            .await
            .unwrap();
        let inv = invoices(&s).await.remove(0);
        let line = inv.lines[0].id;

        // Part of a line: 20.00 back.
        let partial = documents::credit(
            &s,
            &console(),
            inv.document.id,
            &[CreditLine {
                line_id: line,
                amount: Some(Money(2_000)),
            }],
            "Two days without service",
            &policy,
        )
        .await
        .unwrap();
        let note = documents::get(&s, &console(), partial).await.unwrap();
        assert_eq!(note.document.kind, "credit_note");
        assert_eq!(note.document.number.as_deref(), Some("NC2026-000001"));
        assert_eq!(note.document.total, -2_000);
        assert_eq!(note.lines[0].credits_line_id, Some(line));

        // More than is left is refused naming the field.
        match documents::credit(
            &s,
            &console(),
            inv.document.id,
            &[CreditLine {
                line_id: line,
                amount: Some(Money(10_001)),
            }],
            "too much",
            &policy,
        )
        .await
        {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "amount"),
            other => panic!("{other:?}"),
        }

        // Voiding credits what is left: 100.00.
        let rest = documents::void(
            &s,
            &console(),
            inv.document.id,
            "Billed by mistake",
            &policy,
        )
        .await
        .unwrap();
        let rest = documents::get(&s, &console(), rest).await.unwrap();
        assert_eq!(rest.document.total, -10_000);
        assert_eq!(rest.document.number.as_deref(), Some("NC2026-000002"));
        let voided = documents::get(&s, &console(), inv.document.id)
            .await
            .unwrap();
        assert_eq!(voided.document.status, "voided");
        // A voided invoice takes no more corrections.
        assert!(matches!(
            documents::void(&s, &console(), inv.document.id, "again", &policy).await,
            Err(Error::Refused("invoice-not-issued"))
        ));
        // Taxes were taken back in proportion: the credits' taxes and the
        // invoice's add up to zero.
        let tax_back = note.document.tax + rest.document.tax;
        assert_eq!(tax_back, -inv.document.tax);
    })
    .await;
}

/// A line as (source, description, period start and end, amount).
type Shown = (String, String, Option<String>, Option<String>, i64);

/// The lines of an invoice.
fn lines_of(d: &Full) -> Vec<Shown> {
    d.lines
        .iter()
        .map(|l| {
            (
                l.source.clone(),
                l.description.clone(),
                l.period_start.clone(),
                l.period_end.clone(),
                l.amount,
            )
        })
        .collect()
}

fn line(source: &str, description: &str, start: &str, end: &str, amount: i64) -> Shown {
    (
        source.into(),
        description.into(),
        Some(start.into()),
        Some(end.into()),
        amount,
    )
}

#[tokio::test]
async fn a_plan_change_within_billed_days_is_a_credit_and_a_charge_on_the_next_invoice() {
    each_engine(|db| async move {
        let s = svc(&db);
        let small = catalog::create_plan(
            &s,
            &admin_caller(),
            &plan("Fibra 100", 10_000, BillingMode::Prepaid),
        )
        .await
        .unwrap()
        .id;
        let big = catalog::create_plan(
            &s,
            &admin_caller(),
            &plan("Fibra 500", 20_000, BillingMode::Prepaid),
        )
        .await
        .unwrap()
        .id;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        let k = contract(&s, a, small, "ana").await;
        let policy = Policy::default();
        run::run(&s, &console(), date(2026, 1, 10), &policy)
            .await
            .unwrap();
        assert_eq!(
            lines_of(&invoices(&s).await[0]),
            [line(
                "plan",
                "Fibra 100",
                "2026-01-10",
                "2026-02-10",
                10_000
            )]
        );
        // Upgraded on January 25th, inside the period already billed.
        contracts::change_plan(&s, &admin_caller(), k, big, None, "2026-01-25")
            .await
            .unwrap();
        run::run(&s, &console(), date(2026, 1, 31), &policy)
            .await
            .unwrap();
        let docs = invoices(&s).await;
        assert_eq!(docs.len(), 2);
        // 16 of January's 31 days back at the old price, charged at the
        // new one, then the next period at the new price.
        assert_eq!(
            lines_of(&docs[1]),
            [
                line(
                    "plan_credit",
                    "Fibra 100",
                    "2026-01-25",
                    "2026-02-10",
                    -5_161
                ),
                line(
                    "plan_charge",
                    "Fibra 500",
                    "2026-01-25",
                    "2026-02-10",
                    10_323
                ),
                line("plan", "Fibra 500", "2026-02-10", "2026-03-10", 20_000),
            ]
        );
        assert_eq!(docs[1].document.total, 25_162);
        // Settled once: the period after has the plan line only.
        run::run(&s, &console(), date(2026, 2, 28), &policy)
            .await
            .unwrap();
        let docs = invoices(&s).await;
        assert_eq!(
            lines_of(&docs[2]),
            [line(
                "plan",
                "Fibra 500",
                "2026-03-10",
                "2026-04-10",
                20_000
            )]
        );
    })
    .await;
}

#[tokio::test]
async fn a_plan_change_in_a_period_not_billed_yet_splits_its_plan_line() {
    each_engine(|db| async move {
        let s = svc(&db);
        let small = catalog::create_plan(
            &s,
            &admin_caller(),
            &plan("Fibra 100", 10_000, BillingMode::Postpaid),
        )
        .await
        .unwrap()
        .id;
        let big = catalog::create_plan(
            &s,
            &admin_caller(),
            &plan("Fibra 500", 20_000, BillingMode::Postpaid),
        )
        .await
        .unwrap()
        .id;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        let k = contract(&s, a, small, "ana").await;
        contracts::change_plan(&s, &admin_caller(), k, big, None, "2026-02-20")
            .await
            .unwrap();
        let policy = Policy::default();
        // The preview shows the same lines the run issues.
        let preview = run::preview_contract(&s, &console(), date(2026, 3, 10), k)
            .await
            .unwrap();
        assert_eq!(preview.len(), 2);
        run::run(&s, &console(), date(2026, 3, 10), &policy)
            .await
            .unwrap();
        let docs = invoices(&s).await;
        assert_eq!(
            lines_of(&docs[0]),
            [line(
                "plan",
                "Fibra 100",
                "2026-01-10",
                "2026-02-10",
                10_000
            )]
        );
        // 10 of February's 28 days on the old plan, 18 on the new.
        assert_eq!(
            lines_of(&docs[1]),
            [
                line("plan", "Fibra 100", "2026-02-10", "2026-02-20", 3_571),
                line("plan", "Fibra 500", "2026-02-20", "2026-03-10", 12_857),
            ]
        );
        let previewed: Vec<i64> = preview[1].lines.iter().map(|(_, l)| l.amount.0).collect();
        assert_eq!(previewed, [3_571, 12_857]);
        run::run(&s, &console(), date(2026, 4, 10), &policy)
            .await
            .unwrap();
        let docs = invoices(&s).await;
        assert_eq!(
            lines_of(&docs[2]),
            [line(
                "plan",
                "Fibra 500",
                "2026-03-10",
                "2026-04-10",
                20_000
            )]
        );
    })
    .await;
}

#[tokio::test]
async fn a_run_started_from_a_page_runs_as_a_job_and_follows_the_settings() {
    use services::system::jobs::{self, Registry, RunnerConfig};
    each_engine(|db| async move {
        let s = svc(&db);
        let plan_id = catalog::create_plan(
            &s,
            &admin_caller(),
            &plan("Fibra 300", 9_990, BillingMode::Postpaid),
        )
        .await
        .unwrap()
        .id;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        contract(&s, a, plan_id, "ana").await;
        // Numbers follow the settings.
        services::system::settings::update(
            &s,
            &admin_caller(),
            &[
                ("billing.invoice_prefix".to_owned(), "FAT{year}/".to_owned()),
                ("billing.number_digits".to_owned(), "4".to_owned()),
            ]
            .into_iter()
            .collect(),
        )
        .await
        .unwrap();
        let started = run::start(&s, &admin_caller(), date(2026, 3, 10))
            .await
            .unwrap();
        let queued = run::get_run(&s, &admin_caller(), started.run_id)
            .await
            .unwrap();
        assert_eq!(queued.job_id, Some(started.job_id));
        assert_eq!(queued.invoices, 0, "nothing is issued before the job runs");
        let cfg = RunnerConfig::new("w1");
        let job = jobs::runner::claim(&s, &cfg).await.unwrap().unwrap();
        assert_eq!(job.kind, run::JOB);
        let status = jobs::runner::execute_claimed(&s, &Registry::with_builtins(), &cfg, job).await;
        assert_eq!(status, Some(store::system::jobs::Status::Succeeded));
        let done = run::get_run(&s, &admin_caller(), started.run_id)
            .await
            .unwrap();
        assert_eq!(
            (done.status.as_str(), done.contracts_done, done.invoices),
            ("done", 1, 2)
        );
        let job = jobs::get(&s, &admin_caller(), started.job_id)
            .await
            .unwrap();
        assert_eq!((job.progress_done, job.progress_total), (1, 1));
        let docs = invoices(&s).await;
        assert_eq!(docs[0].document.number.as_deref(), Some("FAT2026/0001"));
        // The customer's timeline tells of each invoice.
        let (events, _) = crm::timeline(&s, &admin_caller(), a, None, None, 50)
            .await
            .unwrap();
        let issued = events.iter().filter(|e| e.kind == "invoice.issued").count();
        assert_eq!(issued, 2);
        assert_eq!(
            run::list_runs(&s, &admin_caller(), 10).await.unwrap().len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn per_customer_invoices_cover_all_contracts_due_the_same_day() {
    each_engine(|db| async move {
        let s = svc(&db);
        let plan_id = catalog::create_plan(
            &s,
            &admin_caller(),
            &plan("Fibra 300", 9_990, BillingMode::Postpaid),
        )
        .await
        .unwrap()
        .id;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        let b = customer(&s, "Bruno", "111.444.777-35").await;
        let home = contract(&s, a, plan_id, "ana.casa").await;
        let shop = contract(&s, a, plan_id, "ana.loja").await;
        contract(&s, b, plan_id, "bruno").await;
        let policy = Policy {
            per_customer: true,
            ..Policy::default()
        };
        let preview = run::preview(&s, &console(), date(2026, 2, 10), &policy)
            .await
            .unwrap();
        assert_eq!((preview.contracts, preview.invoices), (3, 2));
        run::run(&s, &console(), date(2026, 2, 10), &policy)
            .await
            .unwrap();
        let docs = invoices(&s).await;
        assert_eq!(docs.len(), 2);
        let ana = docs.iter().find(|d| d.document.customer_id == a).unwrap();
        assert_eq!(ana.document.contract_id, None, "it covers two contracts");
        let contracts: Vec<Option<i64>> = ana.lines.iter().map(|l| l.contract_id).collect();
        assert_eq!(contracts, [Some(home), Some(shop)]);
        assert_eq!(ana.document.total, 2 * 9_990);
        // Each contract's period is billed, once.
        run::run(&s, &console(), date(2026, 2, 10), &policy)
            .await
            .unwrap();
        assert_eq!(invoices(&s).await.len(), 2);
    })
    .await;
}

/// Noon of `d` in UTC (the test installation has no company time zone).
fn noon(d: jiff::civil::Date) -> i64 {
    d.at(12, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_second()
}

#[tokio::test]
async fn prepaid_days_later_suspended_for_non_payment_are_credited_once() {
    each_engine(|db| async move {
        let s = svc(&db);
        let plan_id = catalog::create_plan(
            &s,
            &admin_caller(),
            &plan("Fibra 100", 10_000, BillingMode::Prepaid),
        )
        .await
        .unwrap()
        .id;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        let k = contract(&s, a, plan_id, "ana").await;
        let policy = Policy::default();
        run::run(&s, &console(), date(2026, 1, 10), &policy)
            .await
            .unwrap();
        // Billed on January 1st; suspended for non-payment from January 25
        // to February 5.
        let mut tx = s.db.begin().await.unwrap();
        sqlx::query("UPDATE billed_periods SET billed_at = $1 WHERE contract_id = $2")
            .bind(noon(date(2026, 1, 1)))
            .bind(k)
            .execute(&mut *tx)
            .await
            .unwrap();
        for (from, to, reason, day) in [
            (
                "active",
                "suspended",
                Some("non_payment"),
                date(2026, 1, 25),
            ),
            ("suspended", "active", None, date(2026, 2, 5)),
        ] {
            sqlx::query(
                "INSERT INTO contract_transitions (contract_id, from_status, to_status, reason,
                    actor_kind, actor_name, at) VALUES ($1, $2, $3, $4, 'system', 'test', $5)",
            )
            .bind(k)
            .bind(from)
            .bind(to)
            .bind(reason)
            .bind(noon(day))
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();

        run::run(&s, &console(), date(2026, 1, 31), &policy)
            .await
            .unwrap();
        let docs = invoices(&s).await;
        assert_eq!(docs.len(), 2);
        // The 11 billed days suspended back (of the period's 31).
        assert_eq!(
            lines_of(&docs[1]),
            [
                line(
                    "suspension_credit",
                    "Fibra 100",
                    "2026-01-25",
                    "2026-02-05",
                    -3_548
                ),
                line("plan", "Fibra 100", "2026-02-10", "2026-03-10", 10_000),
            ]
        );
        // Credited once: the period after has no credit.
        run::run(&s, &console(), date(2026, 2, 28), &policy)
            .await
            .unwrap();
        let docs = invoices(&s).await;
        assert_eq!(
            lines_of(&docs[2]),
            [line(
                "plan",
                "Fibra 100",
                "2026-03-10",
                "2026-04-10",
                10_000
            )]
        );
    })
    .await;
}

#[tokio::test]
async fn a_prepaid_contract_canceled_early_closes_with_a_credit_note() {
    each_engine(|db| async move {
        let s = svc(&db);
        let plan_id = catalog::create_plan(
            &s,
            &admin_caller(),
            &plan("Fibra 100", 10_000, BillingMode::Prepaid),
        )
        .await
        .unwrap()
        .id;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        let k = contract(&s, a, plan_id, "ana").await;
        let policy = Policy::default();
        run::run(&s, &console(), date(2026, 1, 10), &policy)
            .await
            .unwrap();
        let mut tx = s.db.begin().await.unwrap();
        sqlx::query(
            "UPDATE contracts SET status = 'canceled', end_date = '2026-01-25' WHERE id = $1",
        )
        .bind(k)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        run::run(&s, &console(), date(2026, 1, 26), &policy)
            .await
            .unwrap();
        let invoice = invoices(&s).await.remove(0);
        let (notes, _) = documents::list(
            &s,
            &console(),
            &Filter {
                kind: Some("credit_note".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(notes.len(), 1);
        let note = documents::get(&s, &console(), notes[0].id).await.unwrap();
        assert_eq!(note.document.number.as_deref(), Some("NC2026-000001"));
        assert_eq!(note.document.credits_invoice_id, Some(invoice.document.id));
        // 16 of the 31 days billed ahead come back.
        assert_eq!(
            lines_of(&note),
            [line(
                "cancellation_credit",
                "Fibra 100",
                "2026-01-25",
                "2026-02-10",
                -5_161
            )]
        );
        // Once.
        run::run(&s, &console(), date(2026, 2, 26), &policy)
            .await
            .unwrap();
        let (notes, _) = documents::list(
            &s,
            &console(),
            &Filter {
                kind: Some("credit_note".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(invoices(&s).await.len(), 1, "nothing more is billed");
    })
    .await;
}

#[tokio::test]
async fn the_daily_schedule_bills_what_is_due_today() {
    use services::system::jobs::{self, Registry, RunnerConfig};
    each_engine(|db| async move {
        let s = svc(&db);
        let plan_id = catalog::create_plan(
            &s,
            &admin_caller(),
            &plan("Fibra 300", 9_990, BillingMode::Postpaid),
        )
        .await
        .unwrap()
        .id;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        contract(&s, a, plan_id, "ana").await;
        // What the schedule queues: no run named, so one as of today.
        jobs::enqueue(
            &s,
            &admin_caller(),
            run::JOB,
            &serde_json::json!({ "schedule": "billing-daily" }),
            None,
            1,
        )
        .await
        .unwrap();
        let cfg = RunnerConfig::new("w1");
        let job = jobs::runner::claim(&s, &cfg).await.unwrap().unwrap();
        let status = jobs::runner::execute_claimed(&s, &Registry::with_builtins(), &cfg, job).await;
        assert_eq!(status, Some(store::system::jobs::Status::Succeeded));
        let runs = run::list_runs(&s, &admin_caller(), 10).await.unwrap();
        assert_eq!(runs.len(), 1);
        let today = services::billing::today(&s).await.unwrap();
        assert_eq!(runs[0].as_of, today.to_string());
        assert_eq!(runs[0].actor_name, "system:billing-run");
        assert_eq!(runs[0].status, "done");
        // The contract started in January: every month since is billed.
        assert!(runs[0].invoices >= 10, "{:?}", runs[0]);
    })
    .await;
}

#[tokio::test]
async fn one_off_charges_are_checked_audited_and_billed_once() {
    use services::billing::charges::{self, ChargeInput};
    each_engine(|db| async move {
        let s = svc(&db);
        let plan_id = catalog::create_plan(
            &s,
            &admin_caller(),
            &plan("Fibra 300", 9_990, BillingMode::Postpaid),
        )
        .await
        .unwrap()
        .id;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        let k = contract(&s, a, plan_id, "ana").await;
        let charge = |description: &str, quantity: i64, price: i64| ChargeInput {
            description: description.into(),
            quantity,
            unit_price: Money(price),
        };
        for (input, field) in [
            (charge("", 1, 8_000), "description"),
            (charge("Visit\u{7}", 1, 8_000), "description"),
            (charge("Visit", 0, 8_000), "quantity"),
            (charge("Visit", 1, 0), "unit_price"),
            (charge("Visit", 1, -500), "unit_price"),
        ] {
            match charges::add(&s, &admin_caller(), k, &input).await {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        // Viewing needs billing.view, adding and removing billing.manage.
        let support = crate::staff_with(domain::staff::role::BuiltinRole::Support.permissions());
        assert!(matches!(
            charges::add(&s, &support, k, &charge("Visit", 1, 8_000)).await,
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            charges::add(&s, &admin_caller(), k + 100, &charge("Visit", 1, 8_000)).await,
            Err(Error::NotFound)
        ));
        let visit = charges::add(&s, &admin_caller(), k, &charge(" Visit ", 1, 8_000))
            .await
            .unwrap();
        let cable = charges::add(&s, &admin_caller(), k, &charge("Cable", 2, 1_550))
            .await
            .unwrap();
        let open = charges::list(&s, &support, k).await.unwrap();
        assert_eq!(
            open.iter()
                .map(|c| (c.description.as_str(), c.quantity, c.unit_price))
                .collect::<Vec<_>>(),
            [("Visit", 1, 8_000), ("Cable", 2, 1_550)]
        );
        assert!(matches!(
            charges::remove(&s, &support, k, visit).await,
            Err(Error::Forbidden(_))
        ));
        charges::remove(&s, &admin_caller(), k, visit).await.unwrap();
        assert!(matches!(
            charges::remove(&s, &admin_caller(), k, visit).await,
            Err(Error::NotFound)
        ));
        let mut c = s.db.conn().await.unwrap();
        let actions: Vec<String> = sqlx::query_scalar(
            "SELECT action FROM audit_log WHERE entity_kind = 'contract' AND action LIKE 'charge.%' ORDER BY id",
        )
        .fetch_all(&mut *c)
        .await
        .unwrap();
        drop(c);
        assert_eq!(actions, ["charge.add", "charge.add", "charge.remove"]);

        // The run bills it once, on the first document, and it can no
        // longer be removed.
        run::run(&s, &console(), date(2026, 3, 10), &Policy::default())
            .await
            .unwrap();
        let docs = invoices(&s).await;
        let billed: Vec<_> = docs
            .iter()
            .flat_map(|d| &d.lines)
            .filter(|l| l.source == "one_off")
            .map(|l| (l.description.as_str(), l.quantity, l.unit_price, l.total))
            .collect();
        assert_eq!(billed, [("Cable", 2, 1_550, 3_100)]);
        assert!(charges::list(&s, &admin_caller(), k).await.unwrap().is_empty());
        assert!(matches!(
            charges::remove(&s, &admin_caller(), k, cable).await,
            Err(Error::NotFound)
        ));
        // A canceled contract takes no new charges.
        contracts::transition(
            &s,
            &admin_caller(),
            k,
            domain::contracts::Status::Canceled,
            None,
            "",
        )
        .await
        .unwrap();
        assert!(matches!(
            charges::add(&s, &admin_caller(), k, &charge("Visit", 1, 8_000)).await,
            Err(Error::Refused("contract-canceled"))
        ));
    })
    .await;
}

#[tokio::test]
async fn an_installation_fee_in_installments_goes_one_part_per_invoice() {
    each_engine(|db| async move {
        let s = svc(&db);
        let mut p = plan("Fibra 300", 9_990, BillingMode::Postpaid);
        p.installation_fee = Money(12_000);
        let plan_id = catalog::create_plan(&s, &admin_caller(), &p)
            .await
            .unwrap()
            .id;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        let input = |n: i64| ContractInput {
            customer_id: a,
            plan_id,
            billing_day: 10,
            start_date: "2026-01-10".into(),
            login: format!("ana{n}"),
            password: "first-pw".into(),
            installation_installments: n,
            ..Default::default()
        };
        match contracts::create(&s, &admin_caller(), &input(37)).await {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "installation_installments"),
            other => panic!("{other:?}"),
        }
        let k = contracts::create(&s, &admin_caller(), &input(12))
            .await
            .unwrap()
            .id;
        let mut tx = s.db.begin().await.unwrap();
        sqlx::query("UPDATE contracts SET status = 'active' WHERE id = $1")
            .bind(k)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        run::run(&s, &console(), date(2026, 4, 10), &Policy::default())
            .await
            .unwrap();
        let docs = invoices(&s).await;
        assert_eq!(docs.len(), 3);
        for (i, d) in docs.iter().enumerate() {
            let inst = d.lines.iter().find(|l| l.source == "installation").unwrap();
            assert_eq!(inst.description, format!("{}/12", i + 1));
            assert_eq!(inst.amount, 1_000);
        }
    })
    .await;
}

#[tokio::test]
async fn a_group_that_cannot_be_written_at_once_keeps_the_documents_before_the_bad_one() {
    each_engine(|db| async move {
        let s = svc(&db);
        let plan_id = catalog::create_plan(
            &s,
            &admin_caller(),
            &plan("Fibra 300", 9_990, BillingMode::Postpaid),
        )
        .await
        .unwrap()
        .id;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        let b = customer(&s, "Bruno", "111.444.777-35").await;
        let c = customer(&s, "Carla", "390.533.447-05").await;
        for (k, login) in [(a, "ana"), (b, "bruno"), (c, "carla")] {
            contract(&s, k, plan_id, login).await;
        }
        // A document written outside the series holds the number the
        // second invoice would take: the group's multi-row insert fails,
        // and one document at a time the first is issued, the second
        // refused whole (its number given back) and the run stops.
        let mut tx = s.db.begin().await.unwrap();
        store::billing::documents::insert(
            &mut tx,
            &store::billing::documents::NewDocument {
                kind: "invoice",
                status: "issued",
                number: Some("2026-000002"),
                public_id: "stray",
                customer_id: c,
                contract_id: None,
                issue_date: Some("2026-01-01"),
                due_date: "2026-01-01",
                totals: Default::default(),
                credits_invoice_id: None,
                billing_run_id: None,
                notes: "",
            },
            0,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let policy = Policy::default();
        assert!(
            run::run(&s, &console(), date(2026, 2, 10), &policy)
                .await
                .is_err()
        );
        let issued: Vec<_> = invoices(&s)
            .await
            .into_iter()
            .filter(|d| d.document.billing_run_id.is_some())
            .collect();
        assert_eq!(issued.len(), 1);
        assert_eq!(issued[0].document.number.as_deref(), Some("2026-000001"));
        assert_eq!(issued[0].document.customer_id, a);
        assert_eq!(issued[0].lines.len(), 1);
        let mut conn = s.db.conn().await.unwrap();
        let (last, billed): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT MAX(last) FROM number_series WHERE series = 'invoice'),
                (SELECT COUNT(*) FROM billed_periods)",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!((last, billed), (1, 1), "nothing of the refused document");

        // With the series moved past the stray number, the next run
        // finishes what is missing, each period once.
        sqlx::query("UPDATE number_series SET last = 2 WHERE series = 'invoice'")
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        run::run(&s, &console(), date(2026, 2, 10), &policy)
            .await
            .unwrap();
        let mut numbers: Vec<_> = invoices(&s)
            .await
            .into_iter()
            .filter(|d| d.document.billing_run_id.is_some())
            .map(|d| d.document.number.unwrap())
            .collect();
        numbers.sort();
        assert_eq!(numbers, ["2026-000001", "2026-000003", "2026-000004"]);
    })
    .await;
}
