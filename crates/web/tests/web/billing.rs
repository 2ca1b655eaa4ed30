//! The billing pages as staff use them, on SQLite and PostgreSQL: the
//! invoice list's filters and CSV export, an invoice's page, credit notes
//! and voiding (refused without `billing.void`), a run from preview to
//! confirmation, tax rate validation naming the field, one-off charges on
//! the contract page, and CSRF on every form.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use domain::Money;
use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
use services::billing::Policy;
use services::billing::taxes::TaxInput;
use services::contracts::ContractInput;
use services::crm::{Created, CustomerInput};
use services::system::jobs::{self, Registry, RunnerConfig};

use crate::common::{App, Browser, app, assert_redirect, cli_caller, send};
use store::testing::each_engine;

/// Two customers with one postpaid contract each (R$ 99,90 a month from
/// 2026-01-10, billing day 10) and three SCM taxes included in the price.
pub(crate) struct Fixture {
    pub(crate) ana: i64,
    ana_contract: i64,
}

pub(crate) async fn fixture(a: &App) -> Fixture {
    let s = &a.svc;
    for (name, pct) in [("ICMS", "18"), ("PIS", "0,65"), ("COFINS", "3")] {
        services::billing::taxes::create(
            s,
            &cli_caller(),
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
    let plan = Plan {
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
    };
    let plan_id = services::catalog::create_plan(s, &cli_caller(), &plan)
        .await
        .unwrap()
        .id;
    let mut ids = Vec::new();
    for (name, doc, login) in [
        ("Ana Souza", "529.982.247-25", "ana"),
        ("Bruno Lima", "111.444.777-35", "bruno"),
    ] {
        let input = CustomerInput {
            kind: "person".into(),
            name: name.into(),
            document: doc.into(),
            ..Default::default()
        };
        let Created::Customer(c) = services::crm::create_customer(s, &cli_caller(), &input)
            .await
            .unwrap()
        else {
            panic!("duplicate")
        };
        let k = services::contracts::create(
            s,
            &cli_caller(),
            &ContractInput {
                customer_id: c.id,
                plan_id,
                billing_day: 10,
                start_date: "2026-01-10".into(),
                login: login.into(),
                password: "first-pw-123".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
        // Active since its start date, so billing starts there.
        let mut tx = a.db.begin().await.unwrap();
        sqlx::query("UPDATE contracts SET status = 'active' WHERE id = $1")
            .bind(k)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        ids.push((c.id, k));
    }
    Fixture {
        ana: ids[0].0,
        ana_contract: ids[0].1,
    }
}

/// Bills both contracts up to 2026-03-10: four invoices (two periods each).
pub(crate) async fn bill(a: &App) {
    services::billing::run::run(
        &a.svc,
        &cli_caller(),
        "2026-03-10".parse().unwrap(),
        &Policy::default(),
    )
    .await
    .unwrap();
}

/// The invoice numbers shown on a page (link and heading texts), in page
/// order; credit notes (`NC2026-…`) are not among them.
fn numbers(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, _) in body.match_indices(">20") {
        let n = &body[i + 1..(i + 12).min(body.len())];
        let shaped = n.len() == 11
            && n.char_indices()
                .all(|(j, c)| if j == 4 { c == '-' } else { c.is_ascii_digit() });
        if shaped && !out.iter().any(|x| x == n) {
            out.push(n.to_owned());
        }
    }
    out
}

/// The id of the document with `number`, from the list's links.
async fn id_of(b: &Browser, number: &str) -> i64 {
    let page = b.get(&format!("/billing/invoices?number={number}")).await;
    page.body
        .split("href=\"/billing/invoices/")
        .skip(1)
        .find_map(|rest| rest[..rest.find('"')?].parse().ok())
        .unwrap_or_else(|| panic!("no link to {number}: {}", page.body))
}

#[tokio::test]
async fn the_invoice_list_filters_and_exports() {
    each_engine(|db| async move {
        let a = app(db).await;
        let f = fixture(&a).await;
        bill(&a).await;
        let b = a.browser("admin").await;

        let all = b.get("/billing/invoices").await;
        assert_eq!(all.status, StatusCode::OK, "{}", all.body);
        assert_eq!(numbers(&all.body).len(), 4, "{}", all.body);
        assert!(all.body.contains("Ana Souza") && all.body.contains("Bruno Lima"));
        // R$ 99,90 in the company's currency, in English separators.
        assert!(all.body.contains("99.90"), "{}", all.body);

        // By customer, by any key the customer search knows.
        let ana = b.get("/billing/invoices?customer=Ana").await;
        assert_eq!(numbers(&ana.body).len(), 2);
        assert!(!ana.body.contains("Bruno Lima"));
        let by_id = b
            .get(&format!("/billing/invoices?customer_id={}", f.ana))
            .await;
        assert_eq!(numbers(&by_id.body), numbers(&ana.body));
        let nobody = b.get("/billing/invoices?customer=Zacarias").await;
        assert!(numbers(&nobody.body).is_empty());
        assert!(nobody.body.contains("Nothing matches these filters."));

        // By number, kind, status, dates and overdue.
        let first = numbers(&all.body).pop().unwrap();
        let one = b.get(&format!("/billing/invoices?number={first}")).await;
        assert_eq!(numbers(&one.body), vec![first.clone()]);
        let notes = b.get("/billing/invoices?kind=credit_note").await;
        assert!(numbers(&notes.body).is_empty());
        let voided = b.get("/billing/invoices?status=voided").await;
        assert!(numbers(&voided.body).is_empty());
        let issued = b.get("/billing/invoices?status=issued&kind=invoice").await;
        assert_eq!(numbers(&issued.body).len(), 4);
        let later = b.get("/billing/invoices?from=2026-03-11").await;
        assert!(numbers(&later.body).is_empty());
        let range = b
            .get("/billing/invoices?from=2026-03-10&to=2026-03-10")
            .await;
        assert_eq!(numbers(&range.body).len(), 4);
        // Due 2026-03-20, unpaid (no payments yet): overdue today.
        let overdue = b.get("/billing/invoices?overdue=1").await;
        assert_eq!(numbers(&overdue.body).len(), 4);
        assert!(overdue.body.contains("badge-danger"));
        // A date that is not one is named, not a 500.
        let bad = b.get("/billing/invoices?from=2026-13-40").await;
        assert_eq!(bad.status, StatusCode::OK);
        assert!(
            bad.body
                .contains("Issued from: Enter a date as YYYY-MM-DD."),
            "{}",
            bad.body
        );

        // The CSV holds every matching row, whatever the page size.
        let csv = b.get("/billing/invoices/export.csv?customer=Ana").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.bytes.starts_with(b"\xEF\xBB\xBF"));
        assert!(
            csv.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let text = csv.body.trim_start_matches('\u{feff}');
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(rows.len(), 3, "{text}");
        assert!(rows[0].starts_with("id,kind,number,status,customer_id,customer"));
        assert!(rows[1].contains(",invoice,2026-0000") && rows[1].contains("Ana Souza"));
        assert!(rows[1].contains(",99.90,"), "{}", rows[1]);
        assert!(rows[1].ends_with(",yes"), "{}", rows[1]);

        // Pages of 25: 30 more invoices make a second page.
        let k = f.ana_contract;
        services::billing::run::run(
            &a.svc,
            &cli_caller(),
            "2028-09-10".parse().unwrap(),
            &Policy::default(),
        )
        .await
        .unwrap();
        let first_page = b.get("/billing/invoices").await;
        assert!(first_page.body.contains("Next page"));
        let next = first_page
            .body
            .split("href=\"")
            .find(|s| s.contains("before="))
            .map(|s| s[..s.find('"').unwrap()].replace("&amp;", "&"))
            .unwrap();
        let second = b.get(&next).await;
        assert!(!numbers(&second.body).is_empty(), "{next}: {}", second.body);
        assert!(second.body.contains("First page"));
        let all_csv = b.get("/billing/invoices/export.csv").await;
        let total = services::billing::documents::list(
            &a.svc,
            &cli_caller(),
            &services::billing::documents::Filter {
                limit: 500,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .0
        .len();
        assert!(total > 25, "contract {k}: {total}");
        assert_eq!(all_csv.body.lines().count(), total + 1);
    })
    .await;
}

#[tokio::test]
async fn an_invoice_page_credit_note_and_void() {
    each_engine(|db| async move {
        let a = app(db).await;
        let f = fixture(&a).await;
        bill(&a).await;
        a.user("sam", "support", None).await;
        let admin = a.browser("admin").await;
        let support = a.browser("sam").await;
        let list = admin
            .get(&format!("/billing/invoices?customer_id={}", f.ana))
            .await;
        let number = numbers(&list.body).pop().unwrap();
        let id = id_of(&admin, &number).await;

        let page = admin.get(&format!("/billing/invoices/{id}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for want in [
            number.as_str(),
            "Ana Souza",
            "Fibra 300",
            "2026-01-10 → 2026-02-09",
            "Taxes by rate",
            "ICMS",
            "18 %",
            "0.65 %",
            "Included as a share of the price",
            &format!("/billing/invoices/{id}/pdf"),
            &format!("/contracts/{}", f.ana_contract),
            &format!("/audit?entity_kind=invoice&amp;entity_id={id}"),
            &format!("/billing/invoices/{id}/credit"),
            &format!("/billing/invoices/{id}/void"),
        ] {
            assert!(page.body.contains(want), "{want} in\n{}", page.body);
        }

        // Support sees invoices but may neither credit nor void.
        let seen = support.get(&format!("/billing/invoices/{id}")).await;
        assert_eq!(seen.status, StatusCode::OK);
        assert!(!seen.body.contains(&format!("/billing/invoices/{id}/void")));
        for path in ["void", "credit"] {
            let uri = format!("/billing/invoices/{id}/{path}");
            assert_eq!(support.get(&uri).await.status, StatusCode::FORBIDDEN);
            let r = support
                .post(&uri, &[("reason", "no"), ("scope", "all")])
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        }

        // A credit note for R$ 10,00 of the first line, with its reason.
        let full = services::billing::documents::get(&a.svc, &cli_caller(), id)
            .await
            .unwrap();
        let line = full.lines[0].id.to_string();
        let form = admin.get(&format!("/billing/invoices/{id}/credit")).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains(&format!("name=\"amount_{line}\"")));
        let amount_field = format!("amount_{line}");
        // Without a reason the field is named; over what is left too.
        let r = admin
            .post(
                &format!("/billing/invoices/{id}/credit"),
                &[
                    ("scope", "lines"),
                    ("line", &line),
                    (&amount_field, "10.00"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body
                .contains("id=\"f-reason\" name=\"reason\" rows=\"3\" aria-invalid=\"true\""),
            "{}",
            r.body
        );
        let r = admin
            .post(
                &format!("/billing/invoices/{id}/credit"),
                &[
                    ("scope", "lines"),
                    ("line", &line),
                    (&amount_field, "500.00"),
                    ("reason", "Two days without service"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("Fibra 300 has only 99.90 left to credit."),
            "{}",
            r.body
        );
        let r = admin
            .post(
                &format!("/billing/invoices/{id}/credit"),
                &[
                    ("scope", "lines"),
                    ("line", &line),
                    (&amount_field, "10.00"),
                    ("reason", "Two days without service"),
                ],
            )
            .await;
        assert_redirect(&r, "/billing/invoices/");
        let note_id = r.id();
        let note = admin.get(r.location()).await;
        assert!(note.body.contains("Credit note issued."));
        assert!(note.body.contains("Credits invoice"));
        assert!(note.body.contains(&number));
        assert!(note.body.contains("-10.00"), "{}", note.body);
        assert!(note.body.contains("Two days without service"));
        let page = admin.get(&format!("/billing/invoices/{id}")).await;
        assert!(page.body.contains(&format!("/billing/invoices/{note_id}")));
        let notes = admin.get("/billing/invoices?kind=credit_note").await;
        assert_eq!(
            numbers(&notes.body).len(),
            0,
            "credit notes have their own series"
        );
        assert!(notes.body.contains("NC2026-000001"));

        // Voiding: the confirmation names what happens; a reason is needed.
        let confirm = admin.get(&format!("/billing/invoices/{id}/void")).await;
        assert_eq!(confirm.status, StatusCode::OK);
        assert!(confirm.body.contains("This cannot be undone."));
        assert!(confirm.body.contains("numbers are never given again"));
        let r = admin
            .post(&format!("/billing/invoices/{id}/void"), &[("reason", " ")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("This field is required."));
        let r = admin
            .post(
                &format!("/billing/invoices/{id}/void"),
                &[("reason", "Billed twice by mistake")],
            )
            .await;
        assert_redirect(&r, &format!("/billing/invoices/{id}?ok=invoice-voided"));
        let page = admin.get(r.location()).await;
        assert!(page.body.contains("Invoice voided"));
        assert!(page.body.contains("Voided: Billed twice by mistake"));
        assert!(
            !page
                .body
                .contains(&format!("/billing/invoices/{id}/void\""))
        );
        assert!(page.body.contains("NC2026-000002"));
        // A second void is refused with the rule, not a 500.
        let r = admin
            .post(
                &format!("/billing/invoices/{id}/void"),
                &[("reason", "again")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body
                .contains("Only an issued invoice can be credited or voided.")
        );

        // Both corrections are in the audit log.
        let audit = admin.get("/audit?entity_kind=invoice").await;
        assert!(audit.body.contains("invoice.void") && audit.body.contains("credit_note.issue"));
    })
    .await;
}

#[tokio::test]
async fn a_run_goes_from_preview_to_confirmation() {
    each_engine(|db| async move {
        let a = app(db).await;
        fixture(&a).await;
        let admin = a.browser("admin").await;

        let runs = admin.get("/billing/runs").await;
        assert_eq!(runs.status, StatusCode::OK);
        assert!(runs.body.contains("No billing run yet."));
        let new = admin.get("/billing/runs/new").await;
        assert!(new.body.contains("name=\"as_of\" type=\"date\""));

        let bad = admin.get("/billing/runs/preview?as_of=someday").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("id=\"e-as_of\""));

        let p = admin.get("/billing/runs/preview?as_of=2026-03-10").await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains("id=\"preview-contracts\">2<"));
        assert!(p.body.contains("id=\"preview-invoices\">4<"));
        assert!(p.body.contains("399.60"), "{}", p.body);
        assert!(p.body.contains("Fibra 300") && p.body.contains("ICMS"));
        // One contract's every line.
        let one = admin
            .get("/billing/runs/preview?as_of=2026-03-10&contract=ana")
            .await;
        assert!(one.body.contains("id=\"preview-lines\""), "{}", one.body);
        assert!(one.body.contains("Period 2026-01-10 → 2026-02-09"));
        assert!(one.body.contains("Period 2026-02-10 → 2026-03-09"));
        let none = admin
            .get("/billing/runs/preview?as_of=2026-03-10&contract=nobody")
            .await;
        assert!(
            none.body
                .contains("No contract has the number or login “nobody”.")
        );
        // Nothing is written by a preview.
        assert!(
            admin
                .get("/billing/invoices")
                .await
                .body
                .contains("Nothing matches")
        );

        // Confirming needs the form's CSRF field.
        let req = Request::post("/billing/runs")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &admin.cookie)
            .body(Body::from("as_of=2026-03-10"))
            .unwrap();
        assert_eq!(send(&a.router, req).await.status, StatusCode::FORBIDDEN);
        // And billing.manage: support may preview, not run.
        a.user("sam", "support", None).await;
        let support = a.browser("sam").await;
        let sp = support.get("/billing/runs/preview?as_of=2026-03-10").await;
        assert_eq!(sp.status, StatusCode::OK);
        assert!(!sp.body.contains("id=\"confirm-run\""));
        let r = support
            .post("/billing/runs", &[("as_of", "2026-03-10")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let r = admin
            .post("/billing/runs", &[("as_of", "2026-03-10")])
            .await;
        assert_redirect(&r, "/billing/runs/");
        // Queued as a job: the page shows its progress and refreshes itself
        // (app.js) while it runs, and links the job.
        let queued = admin.get(r.location()).await;
        assert_eq!(queued.status, StatusCode::OK, "{}", queued.body);
        assert!(queued.body.contains("Billing run started."));
        assert!(queued.body.contains("Running"));
        assert!(queued.body.contains("0 of 2 contracts"));
        assert!(queued.body.contains("data-refresh=\"3\""));
        let run_id = r.id();
        let job_id = services::billing::run::get_run(&a.svc, &cli_caller(), run_id)
            .await
            .unwrap()
            .job_id
            .unwrap();
        assert!(queued.body.contains(&format!("href=\"/jobs/{job_id}\"")));
        let cfg = RunnerConfig::new("w1");
        let job = jobs::runner::claim(&a.svc, &cfg).await.unwrap().unwrap();
        let status =
            jobs::runner::execute_claimed(&a.svc, &Registry::with_builtins(), &cfg, job).await;
        assert_eq!(status, Some(store::system::jobs::Status::Succeeded));
        let run = admin.get(&format!("/billing/runs/{run_id}")).await;
        assert!(run.body.contains("2 of 2 contracts"), "{}", run.body);
        assert!(run.body.contains("id=\"run-invoices\">4<"));
        assert!(run.body.contains("Done"));
        assert!(!run.body.contains("data-refresh"));
        assert_eq!(numbers(&run.body).len(), 4);
        let runs = admin.get("/billing/runs").await;
        assert!(runs.body.contains("2026-03-10") && runs.body.contains("399.60"));

        // Run again: nothing is billed twice.
        let again = admin.get("/billing/runs/preview?as_of=2026-03-10").await;
        assert!(again.body.contains("id=\"preview-invoices\">0<"));
        assert!(again.body.contains("Nothing is due as of this date"));
    })
    .await;
}

#[tokio::test]
async fn tax_rates_are_validated_naming_the_field() {
    each_engine(|db| async move {
        let a = app(db).await;
        let admin = a.browser("admin").await;
        let form = admin.get("/billing/taxes/new").await;
        assert_eq!(form.status, StatusCode::OK);
        let post = |name: &'static str, percent: &'static str, mode: &'static str| {
            let admin = &admin;
            async move {
                admin
                    .post(
                        "/billing/taxes/new",
                        &[
                            ("name", name),
                            ("percent", percent),
                            ("mode", mode),
                            ("category", "scm"),
                            ("position", "1"),
                            ("active", "1"),
                        ],
                    )
                    .await
            }
        };
        for (r, id, message) in [
            (
                post("ICMS", "101", "included_share").await,
                "e-percent",
                "A rate cannot be over 100 %.",
            ),
            (
                post("ICMS", "1,23456", "included_share").await,
                "e-percent",
                "Use at most four decimals.",
            ),
            (
                post("ICMS", "abc", "included_share").await,
                "e-percent",
                "Enter the rate as a percentage",
            ),
            (
                post("", "18", "included_share").await,
                "e-name",
                "This field is required.",
            ),
        ] {
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
            let at = r
                .body
                .find(&format!("id=\"{id}\""))
                .unwrap_or_else(|| panic!("{id}: {}", r.body));
            assert!(r.body[at..].contains(message), "{message}: {}", r.body);
        }
        let r = post("ICMS", "18", "sideways").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Choose one of the options."));
        let r = post("ICMS", "18", "included_share").await;
        assert_redirect(&r, "/billing/taxes?ok=tax-created");
        let dup = post("ICMS", "12", "on_top").await;
        assert!(dup.body.contains("Another tax rate already has this name."));
        let list = admin.get(r.location()).await;
        assert!(list.body.contains("ICMS") && list.body.contains("18 %"));
        assert!(list.body.contains("Tax rate created."));

        // Editing keeps the form as it was typed, in Portuguese as well.
        let id = services::billing::taxes::list(&a.svc, &cli_caller())
            .await
            .unwrap()[0]
            .id;
        let edit = admin.get(&format!("/billing/taxes/{id}")).await;
        assert!(edit.body.contains("value=\"18\""));
        let r = admin
            .post(
                &format!("/billing/taxes/{id}"),
                &[
                    ("name", "ICMS"),
                    ("percent", "0,65"),
                    ("mode", "included_share"),
                    ("category", "scm"),
                ],
            )
            .await;
        assert_redirect(&r, "/billing/taxes?ok=tax-saved");
        let list = admin.get("/billing/taxes").await;
        assert!(list.body.contains("0.65 %") && list.body.contains("Inactive"));
        // Without billing.manage the form is refused.
        a.user("sam", "support", None).await;
        let support = a.browser("sam").await;
        assert_eq!(
            support.get("/billing/taxes/new").await.status,
            StatusCode::FORBIDDEN
        );
        let r = support
            .post(
                "/billing/taxes/new",
                &[("name", "X"), ("percent", "1"), ("mode", "on_top")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn one_off_charges_wait_on_the_contract_page_for_the_next_invoice() {
    each_engine(|db| async move {
        let a = app(db).await;
        let f = fixture(&a).await;
        let admin = a.browser("admin").await;
        let k = f.ana_contract;
        let page = admin.get(&format!("/contracts/{k}")).await;
        assert!(page.body.contains("Next invoice"));
        assert!(page.body.contains("No one-off charges waiting."));

        let uri = format!("/contracts/{k}/charges");
        let r = admin
            .post(
                &uri,
                &[
                    ("description", "Technician visit"),
                    ("quantity", "0"),
                    ("unit_price", "80.00"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"e-quantity\""), "{}", r.body);
        let r = admin
            .post(
                &uri,
                &[
                    ("description", ""),
                    ("quantity", "1"),
                    ("unit_price", "80.00"),
                ],
            )
            .await;
        assert!(r.body.contains("id=\"e-description\""));
        let r = admin
            .post(
                &uri,
                &[
                    ("description", "Cable"),
                    ("quantity", "1"),
                    ("unit_price", "lots"),
                ],
            )
            .await;
        assert!(r.body.contains("id=\"e-unit_price\""));
        // The typed values stay in the form.
        assert!(r.body.contains("value=\"Cable\""));

        for (what, qty, price) in [
            ("Technician visit", "1", "80.00"),
            ("Patch cable", "2", "15.50"),
        ] {
            let r = admin
                .post(
                    &uri,
                    &[
                        ("description", what),
                        ("quantity", qty),
                        ("unit_price", price),
                    ],
                )
                .await;
            assert_redirect(&r, &format!("/contracts/{k}?ok=charge-added"));
        }
        let page = admin.get(&format!("/contracts/{k}")).await;
        assert!(page.body.contains("Technician visit") && page.body.contains("Patch cable"));
        assert!(page.body.contains("15.50"));
        let charges = services::billing::charges::list(&a.svc, &cli_caller(), k)
            .await
            .unwrap();
        assert_eq!(charges.len(), 2);
        let visit = charges[0].id;
        // Removing asks first (in the browser) and is a CSRF-protected POST.
        assert!(
            page.body
                .contains("Remove “Technician visit” from the next invoice?")
        );
        let req = Request::post(format!("/contracts/{k}/charges/{visit}/remove"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &admin.cookie)
            .body(Body::empty())
            .unwrap();
        assert_eq!(send(&a.router, req).await.status, StatusCode::FORBIDDEN);
        let r = admin
            .post(&format!("/contracts/{k}/charges/{visit}/remove"), &[])
            .await;
        assert_redirect(&r, &format!("/contracts/{k}?ok=charge-removed"));
        // Another contract's charge id is not found there.
        let r = admin
            .post(
                &format!("/contracts/{}/charges/{}/remove", k + 1, charges[1].id),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // The run puts the charge on the next invoice, and it leaves the page.
        bill(&a).await;
        let page = admin.get(&format!("/contracts/{k}")).await;
        assert!(page.body.contains("No one-off charges waiting."));
        let list = admin
            .get(&format!("/billing/invoices?customer_id={}", f.ana))
            .await;
        let mut found = false;
        for n in numbers(&list.body) {
            let id = id_of(&admin, &n).await;
            let inv = admin.get(&format!("/billing/invoices/{id}")).await;
            if inv.body.contains("Patch cable") {
                assert!(inv.body.contains("One-off charge"));
                found = true;
            }
        }
        assert!(found, "the charge is on an invoice");
        let audit = admin.get("/audit?entity_kind=contract").await;
        assert!(audit.body.contains("charge.add") && audit.body.contains("charge.remove"));

        // Support sees the section but cannot add.
        a.user("sam", "support", None).await;
        let support = a.browser("sam").await;
        let page = support.get(&format!("/contracts/{k}")).await;
        assert!(page.body.contains("Next invoice"));
        assert!(
            !page
                .body
                .contains(&format!("action=\"/contracts/{k}/charges\""))
        );
        let r = support
            .post(
                &uri,
                &[
                    ("description", "X"),
                    ("quantity", "1"),
                    ("unit_price", "1.00"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    })
    .await;
}
