//! The report pages and their CSV files over HTTP, on SQLite and
//! PostgreSQL, after a real billing run and a void: figures in the page,
//! totals rows, filters refused by field, every list exported, the
//! dashboard's cards, and staff without `BillingView` kept out.

use crate::common::{App, PASSWORD, app, app_in, assert_redirect, cli_caller};
use axum::http::StatusCode;
use domain::Money;
use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
use services::billing::Policy;
use services::billing::taxes::TaxInput;
use services::contracts::ContractInput;
use services::crm::{AddressInput, Created, CustomerInput};
use services::{Services, catalog};
use store::testing::each_engine;

use crate::common::Browser;

/// Ana and Bruno on "Fibra 300" (99.90 a month, ICMS 18 % inside the
/// price), billed for January 10 – March 10 (two invoices each, due March
/// 20), and one of Bruno's voided.
async fn billed(svc: &Services) {
    let caller = cli_caller();
    services::billing::taxes::create(
        svc,
        &caller,
        &TaxInput {
            name: "ICMS".into(),
            percent: "18".into(),
            mode: "included_share".into(),
            category: "scm".into(),
            position: 0,
            active: true,
        },
    )
    .await
    .unwrap();
    let plan = catalog::create_plan(
        svc,
        &caller,
        &Plan {
            name: "Fibra 300".into(),
            description: String::new(),
            download_kbps: 300_000,
            upload_kbps: 150_000,
            burst_down: None,
            burst_up: None,
            quota: None,
            price: Money(9_990),
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
    for (name, doc, city, login) in [
        ("Ana Souza", "529.982.247-25", "Florianópolis", "ana.souza"),
        ("Bruno Lima", "111.444.777-35", "São José", "bruno.lima"),
    ] {
        let input = CustomerInput {
            kind: "person".into(),
            name: name.into(),
            document: doc.into(),
            ..Default::default()
        };
        let address = AddressInput {
            kind: "billing".into(),
            street: "Rua Bocaiúva".into(),
            number: "10".into(),
            city: city.into(),
            state: "SC".into(),
            postal_code: "88015-530".into(),
            ..Default::default()
        };
        let Created::Customer(c) =
            services::crm::create_customer_with_billing(svc, &caller, &input, Some(&address))
                .await
                .unwrap()
        else {
            panic!("duplicate customer");
        };
        let k = services::contracts::create(
            svc,
            &caller,
            &ContractInput {
                customer_id: c.id,
                plan_id: plan,
                billing_day: 10,
                start_date: "2026-01-10".into(),
                login: login.into(),
                password: "first-pw".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        // Active since its start date, so billing starts there.
        let mut tx = svc.db.begin().await.unwrap();
        sqlx::query("UPDATE contracts SET status = 'active' WHERE id = $1")
            .bind(k.id)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let policy = Policy::default();
    services::billing::run::run(svc, &caller, jiff::civil::date(2026, 3, 10), &policy)
        .await
        .unwrap();
    let (docs, _) = services::billing::documents::list(
        svc,
        &caller,
        &store::billing::documents::Filter {
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(docs.len(), 4);
    let bruno = docs
        .iter()
        .find(|d| d.customer_name == "Bruno Lima")
        .unwrap();
    services::billing::documents::void(svc, &caller, bruno.id, "billed twice", &policy)
        .await
        .unwrap();
}

fn csv_lines(body: &str) -> Vec<&str> {
    body.trim_start_matches('\u{feff}').lines().collect()
}

#[tokio::test]
async fn report_pages_show_the_figures_and_export_every_list() {
    each_engine(|db| async move {
        let App { router, svc, .. } = app(db).await;
        billed(&svc).await;
        let b = Browser::login(&router, "admin", PASSWORD).await;

        assert_redirect(&b.get("/reports").await, "/reports/aging");
        // As of April 30 the three open invoices (299.70) are 41 days late:
        // all in 31–60. The voided one's credit note is dated today, after
        // April 30, so use a date after it for the settled view.
        let page = b.get("/reports/aging?as_of=2026-04-30").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Ana Souza") && page.body.contains("Bruno Lima"));
        assert!(page.body.contains("31–60 days"));
        assert!(page.body.contains("<tfoot>"));
        assert!(page.body.contains("399.60"), "four open as of April");
        let later = b.get("/reports/aging").await;
        assert!(later.body.contains("299.70"), "{}", later.body);

        let csv = b.get("/reports/aging.csv").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert_eq!(
            csv.headers["content-type"].to_str().unwrap(),
            "text/csv; charset=utf-8"
        );
        let lines = csv_lines(&csv.body);
        assert_eq!(
            lines[0],
            "customer_id,customer,current,days_1_30,days_31_60,days_61_90,days_over_90,total,invoices"
        );
        assert!(lines[1].contains("Ana Souza") && lines[1].ends_with(",199.80,2"));
        assert!(lines[2].contains("Bruno Lima") && lines[2].ends_with(",99.90,1"));
        assert!(lines[3].starts_with(",Total,") && lines[3].ends_with(",299.70,3"));

        // One customer's open invoices, and their CSV.
        let ana: i64 = lines[1].split(',').next().unwrap().parse().unwrap();
        let one = b.get(&format!("/reports/aging/{ana}?as_of=2026-04-30")).await;
        assert_eq!(one.status, StatusCode::OK);
        assert!(one.body.contains("2026-03-20") && one.body.contains("199.80"));
        let one = b
            .get(&format!("/reports/aging/{ana}/export.csv?as_of=2026-04-30"))
            .await;
        let lines = csv_lines(&one.body);
        assert_eq!(lines.len(), 4, "{}", one.body);
        assert!(lines[1].contains(",2026-03-20,41,"));
        assert!(lines[3].starts_with("Total,") && lines[3].ends_with(",199.80"));

        // A date that is not one: shown by its field.
        let bad = b.get("/reports/aging?as_of=2026-02-30").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("field-error"));

        // MRR: two active contracts at 99.90.
        let mrr = b.get("/reports/mrr").await;
        assert_eq!(mrr.status, StatusCode::OK, "{}", mrr.body);
        assert!(mrr.body.contains("Fibra 300") && mrr.body.contains("199.80"));
        let plans = b.get("/reports/mrr-plans.csv").await;
        let lines = csv_lines(&plans.body);
        assert_eq!(lines[1], "Fibra 300,2,199.80,0.00,199.80");
        let moves = b.get("/reports/mrr-movements.csv?months=3").await;
        let lines = csv_lines(&moves.body);
        assert_eq!(lines.len(), 5, "header, three months, total");

        // Revenue: 399.60 issued in March, 99.90 credited today.
        let by_month = b
            .get("/reports/revenue.csv?by=month&from=2026-01-01&to=2026-03-31")
            .await;
        let lines = csv_lines(&by_month.body);
        assert_eq!(lines[0], "month,invoices,credit_notes,net,tax,total");
        // ICMS 18 % of 99.90 is 17.98 per invoice, inside the price.
        assert_eq!(lines[1], "2026-03,4,0,327.68,71.92,399.60");
        let by_city = b
            .get("/reports/revenue?by=city&from=2026-01-01&to=2026-03-31")
            .await;
        assert!(by_city.body.contains("Florianópolis") && by_city.body.contains("São José"));
        let one_city = b
            .get("/reports/revenue.csv?by=plan&from=2026-01-01&to=2026-03-31&city=S%C3%A3o+Jos%C3%A9")
            .await;
        assert_eq!(csv_lines(&one_city.body)[1], "Fibra 300,2,0,163.84,35.96,199.80");
        let bad = b.get("/reports/revenue?from=2026-04-01&to=2026-03-01").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Tax totals.
        let taxes = b.get("/reports/taxes?from=2026-01-01&to=2026-03-31").await;
        assert!(taxes.body.contains("ICMS") && taxes.body.contains("18 %"));
        assert!(taxes.body.contains("71.92"));
        let csv = b.get("/reports/taxes.csv?from=2026-01-01&to=2026-03-31").await;
        let lines = csv_lines(&csv.body);
        assert_eq!(lines[0], "month,tax,rate,mode,base,amount");
        assert_eq!(lines[1], "2026-03,ICMS,18 %,included_share,399.60,71.92");

        // The dashboard's cards link their reports.
        let home = b.get("/").await;
        assert!(home.body.contains("href=\"/reports/aging\""));
        assert!(home.body.contains("Amount overdue") && home.body.contains("299.70"));
    })
    .await;
}

#[tokio::test]
async fn reports_are_for_billing_staff_and_speak_portuguese() {
    each_engine(|db| async move {
        let app = app_in(db, "pt-BR").await;
        billed(&app.svc).await;
        app.user("tecnico", "technician", None).await;
        let tech = app.browser("tecnico").await;
        let r = tech.get("/reports/aging").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(
            tech.get("/reports/aging.csv").await.status,
            StatusCode::FORBIDDEN
        );
        let home = tech.get("/").await;
        assert!(!home.body.contains("/reports/aging"), "no billing cards");
        assert!(!home.body.contains("href=\"/reports\""), "no Reports entry");

        let admin = app.browser("admin").await;
        let page = admin.get("/reports/aging?as_of=2026-04-30").await;
        assert!(page.body.contains("31–60 dias") && page.body.contains("399,60"));
        let csv = admin.get("/reports/aging.csv?as_of=2026-04-30").await;
        let lines = csv_lines(&csv.body);
        assert!(
            lines[0].starts_with("customer_id;customer;"),
            "{}",
            lines[0]
        );
        assert!(lines[3].ends_with(";399,60;4") || lines[3].ends_with(";399.60;4"));
    })
    .await;
}
