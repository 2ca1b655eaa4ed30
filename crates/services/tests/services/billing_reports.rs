//! Billing reports on SQLite and PostgreSQL, over small fixtures whose
//! figures are worked out by hand in the comments: aging at every bucket
//! boundary with credit notes and a void, MRR movements of a new, an
//! upgraded, a downgraded and a canceled contract, revenue net of credit
//! notes by month, plan and city, and tax totals.

use domain::Money;
use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
use services::billing::reports::{self, RevenueBy, RevenueQuery};
use services::billing::taxes::{self, TaxInput};
use services::contracts::{self, ContractInput};
use services::crm::{self, AddressInput, Created, CustomerInput};
use services::{Caller, Error, Services, catalog};
use store::billing::documents::{NewDocument, NewLine, NewLineTax, Totals};
use store::testing::each_engine;

use crate::{admin_caller, staff_with, svc};

fn plan(name: &str, price: i64, cycle: Cycle) -> Plan {
    Plan {
        name: name.into(),
        description: String::new(),
        download_kbps: 300_000,
        upload_kbps: 150_000,
        burst_down: None,
        burst_up: None,
        quota: None,
        price: Money(price),
        billing_mode: BillingMode::Postpaid,
        cycle,
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

async fn customer(s: &Services, name: &str, doc: &str, city: &str) -> i64 {
    let input = CustomerInput {
        kind: "person".into(),
        name: name.into(),
        document: doc.into(),
        ..Default::default()
    };
    let billing = AddressInput {
        kind: "billing".into(),
        street: "Rua Bocaiúva".into(),
        number: "10".into(),
        city: city.into(),
        state: "SC".into(),
        postal_code: "88015-530".into(),
        ..Default::default()
    };
    match crm::create_customer_with_billing(s, &admin_caller(), &input, Some(&billing))
        .await
        .unwrap()
    {
        Created::Customer(c) => c.id,
        Created::Duplicates(d) => panic!("unexpected duplicates {d:?}"),
    }
}

async fn create_plan(s: &Services, p: Plan) -> i64 {
    catalog::create_plan(s, &admin_caller(), &p)
        .await
        .unwrap()
        .id
}

async fn contract(s: &Services, customer_id: i64, plan_id: i64, login: &str) -> i64 {
    contracts::create(
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
    .id
}

/// A document written as the run or a credit note would leave it.
struct Doc<'a> {
    kind: &'a str,
    status: &'a str,
    customer_id: i64,
    contract_id: Option<i64>,
    issue: &'a str,
    due: &'a str,
    net: i64,
    tax: i64,
    credits: Option<i64>,
    /// Line taxes: (tax rate id, amount).
    taxes: Vec<(i64, i64)>,
}

impl<'a> Doc<'a> {
    fn invoice(customer_id: i64, issue: &'a str, due: &'a str, total: i64) -> Doc<'a> {
        Doc {
            kind: "invoice",
            status: "issued",
            customer_id,
            contract_id: None,
            issue,
            due,
            net: total,
            tax: 0,
            credits: None,
            taxes: vec![],
        }
    }
}

async fn write(s: &Services, d: Doc<'_>) -> i64 {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let number = format!("{}-{n}", d.kind);
    let public_id = format!("p{n}-{}", store::now());
    let total = d.net + d.tax;
    let mut tx = s.db.begin().await.unwrap();
    let id = store::billing::documents::insert(
        &mut tx,
        &NewDocument {
            kind: d.kind,
            status: d.status,
            number: (d.status != "draft").then_some(number.as_str()),
            public_id: &public_id,
            customer_id: d.customer_id,
            contract_id: d.contract_id,
            issue_date: Some(d.issue),
            due_date: d.due,
            totals: Totals {
                net: d.net,
                discount: 0,
                tax: d.tax,
                total,
            },
            credits_invoice_id: d.credits,
            billing_run_id: None,
            notes: "",
        },
        store::now(),
    )
    .await
    .unwrap();
    let names: Vec<String> = d.taxes.iter().map(|(t, _)| format!("tax {t}")).collect();
    store::billing::documents::insert_line(
        &mut tx,
        id,
        &NewLine {
            position: 0,
            source: if d.kind == "invoice" {
                "plan"
            } else {
                "credit"
            },
            contract_id: d.contract_id,
            description: "Fibra",
            period: None,
            quantity: 1,
            unit_price: total,
            discount: 0,
            amount: total,
            net: d.net,
            total,
            credits_line_id: None,
            taxes: d
                .taxes
                .iter()
                .zip(&names)
                .map(|((t, amount), name)| NewLineTax {
                    tax_rate_id: *t,
                    name,
                    rate_ppm: 0,
                    mode: "included_share",
                    amount: *amount,
                })
                .collect(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn credit(s: &Services, invoice: i64, customer_id: i64, issue: &str, total: i64) -> i64 {
    write(
        s,
        Doc {
            kind: "credit_note",
            credits: Some(invoice),
            ..Doc::invoice(customer_id, issue, issue, total)
        },
    )
    .await
}

#[tokio::test]
async fn aging_buckets_turn_at_each_boundary_and_credit_notes_settle() {
    each_engine(|db| async move {
        let s = svc(&db);
        let a = customer(&s, "Ana", "529.982.247-25", "Florianópolis").await;
        let b = customer(&s, "Bruno", "111.444.777-35", "São José").await;
        // As of 2026-06-30, due dates 0, 1, 30, 31, 60, 61, 90 and 91 days
        // back, for 1,000 … 8,000.
        let dues = [
            (b, "2026-06-30"),
            (a, "2026-06-29"),
            (a, "2026-05-31"),
            (a, "2026-05-30"),
            (a, "2026-05-01"),
            (a, "2026-04-30"),
            (a, "2026-04-01"),
            (b, "2026-03-31"),
        ];
        let mut ids = Vec::new();
        for (i, (who, due)) in dues.iter().enumerate() {
            let total = (i as i64 + 1) * 1_000;
            ids.push(write(&s, Doc::invoice(*who, "2026-03-01", due, total)).await);
        }
        // 1,500 of the 4,000 (31 days late) credited before the date; 100
        // of the 2,000 credited after it.
        credit(&s, ids[3], a, "2026-06-15", -1_500).await;
        credit(&s, ids[1], a, "2026-07-05", -100).await;
        // Voided on 2026-06-20: open before that day only.
        let voided = write(
            &s,
            Doc {
                status: "voided",
                ..Doc::invoice(a, "2026-06-01", "2026-06-10", 9_000)
            },
        )
        .await;
        credit(&s, voided, a, "2026-06-20", -9_000).await;
        // Neither a draft nor an invoice issued after the date counts.
        write(
            &s,
            Doc {
                status: "draft",
                ..Doc::invoice(a, "2026-06-01", "2026-06-01", 50_000)
            },
        )
        .await;
        write(&s, Doc::invoice(a, "2026-07-01", "2026-07-01", 70_000)).await;

        let staff = admin_caller();
        let aging = reports::aging(&s, &staff, "2026-06-30").await.unwrap();
        let m = |x: i64| Money(x);
        assert_eq!(
            aging.buckets,
            [
                (m(1_000), 1),
                (m(2_000 + 3_000), 2),
                (m(4_000 - 1_500 + 5_000), 2),
                (m(6_000 + 7_000), 2),
                (m(8_000), 1),
            ]
        );
        assert_eq!((aging.total, aging.invoices), (m(34_500), 8));
        assert_eq!(aging.overdue(), m(33_500));

        // Before the void, the voided invoice was 9 days late.
        let before = reports::aging(&s, &staff, "2026-06-19").await.unwrap();
        assert_eq!((before.total, before.invoices), (m(34_500 + 9_000), 9));

        let (rows, more) = reports::aging_by_customer(&s, &staff, "2026-06-30", 0, 10)
            .await
            .unwrap();
        assert!(!more);
        let got: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.customer_id,
                    [r.current, r.d1_30, r.d31_60, r.d61_90, r.over_90],
                    r.total,
                    r.invoices,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (a, [0, 5_000, 7_500, 13_000, 0], 25_500, 6),
                (b, [1_000, 0, 0, 0, 8_000], 9_000, 2)
            ]
        );
        let (page2, more) = reports::aging_by_customer(&s, &staff, "2026-06-30", 1, 1)
            .await
            .unwrap();
        assert_eq!((page2.len(), page2[0].customer_id, more), (1, b, false));

        let open = reports::open_invoices(&s, &staff, b, "2026-06-30")
            .await
            .unwrap();
        let got: Vec<_> = open
            .invoices
            .iter()
            .map(|o| (o.due_date.as_str(), o.open))
            .collect();
        assert_eq!(got, [("2026-03-31", 8_000), ("2026-06-30", 1_000)]);
        assert_eq!(
            (open.customer_name.as_str(), open.total),
            ("Bruno", Money(9_000))
        );
        let open = reports::open_invoices(&s, &staff, a, "2026-06-30")
            .await
            .unwrap();
        let partly = open.invoices.iter().find(|o| o.id == ids[3]).unwrap();
        assert_eq!((partly.total, partly.open), (4_000, 2_500));

        // A date that is not one is refused naming the field; staff
        // without BillingView are refused.
        assert!(matches!(
            reports::aging(&s, &staff, "2026-13-01").await,
            Err(Error::Invalid { field: "as_of", .. })
        ));
        let nobody = staff_with(domain::PermissionSet::default());
        assert!(matches!(
            reports::aging(&s, &nobody, "").await,
            Err(Error::Forbidden(_))
        ));
        // A customer reaches its own open invoices only.
        let ana = Caller::Customer {
            customer_id: a,
            name: "Ana".into(),
            source_ip: None,
        };
        assert!(
            reports::open_invoices(&s, &ana, a, "2026-06-30")
                .await
                .is_ok()
        );
        assert!(
            reports::open_invoices(&s, &ana, b, "2026-06-30")
                .await
                .is_err()
        );
    })
    .await;
}

/// What `receivables_by_date` and `receivables_by_customer` hold, next to
/// the same sums taken from the invoices themselves.
async fn receivable_sums(
    s: &Services,
) -> [(Vec<(String, String, i64, i64)>, Vec<(i64, i64, i64)>); 2] {
    let mut c = s.db.conn().await.unwrap();
    let kept_dates = sqlx::query_as(
        "SELECT due_date, issue_date, total, invoices FROM receivables_by_date
         WHERE invoices <> 0 ORDER BY due_date, issue_date",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    let kept_customers = sqlx::query_as(
        "SELECT customer_id, total, invoices FROM receivables_by_customer
         WHERE invoices <> 0 ORDER BY customer_id",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    let counted = "kind = 'invoice' AND status IN ('issued', 'voided') AND issue_date IS NOT NULL";
    let dates = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT due_date, issue_date, CAST(SUM(total) AS BIGINT), COUNT(*) FROM invoices
         WHERE {counted} GROUP BY due_date, issue_date ORDER BY due_date, issue_date"
    )))
    .fetch_all(&mut *c)
    .await
    .unwrap();
    let customers = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT customer_id, CAST(SUM(total) AS BIGINT), COUNT(*) FROM invoices
         WHERE {counted} GROUP BY customer_id ORDER BY customer_id"
    )))
    .fetch_all(&mut *c)
    .await
    .unwrap();
    [(kept_dates, kept_customers), (dates, customers)]
}

#[tokio::test]
async fn receivable_sums_follow_every_write_and_the_page_reads_them_as_of_today() {
    each_engine(|db| async move {
        let s = svc(&db);
        let a = customer(&s, "Ana", "529.982.247-25", "Florianópolis").await;
        let b = customer(&s, "Bruno", "111.444.777-35", "São José").await;
        let first = write(&s, Doc::invoice(a, "2026-05-01", "2026-05-10", 4_000)).await;
        write(&s, Doc::invoice(b, "2026-05-01", "2026-05-10", 1_000)).await;
        write(&s, Doc::invoice(b, "2026-06-01", "2026-06-10", 2_500)).await;
        credit(&s, first, a, "2026-06-15", -1_500).await;
        let voided = write(&s, Doc::invoice(a, "2026-06-01", "2026-06-10", 9_000)).await;
        credit(&s, voided, a, "2026-06-20", -9_000).await;
        let draft = |total| Doc {
            status: "draft",
            ..Doc::invoice(a, "2026-06-01", "2026-06-01", total)
        };
        let issued = write(&s, draft(3_000)).await;
        let deleted = write(&s, draft(50_000)).await;
        let [kept, read] = receivable_sums(&s).await;
        assert_eq!(kept, read);
        assert_eq!(kept.1, [(a, 13_000, 2), (b, 3_500, 2)]);

        // Voided, issued from a draft, a draft deleted, a payment's `paid`
        // written: the sums move with what counts only.
        let mut tx = s.db.begin().await.unwrap();
        assert!(
            store::billing::documents::void(&mut tx, voided, "wrong", 1)
                .await
                .unwrap()
        );
        assert!(
            store::billing::documents::issue(&mut tx, issued, "X-1", "2026-06-05", "2026-06-25", 1)
                .await
                .unwrap()
        );
        assert!(
            store::billing::documents::delete_draft(&mut tx, deleted)
                .await
                .unwrap()
        );
        sqlx::query("UPDATE invoices SET paid = total WHERE customer_id = $1")
            .bind(b)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let [kept, read] = receivable_sums(&s).await;
        assert_eq!(kept, read);
        assert_eq!(kept.1, [(a, 16_000, 3), (b, 3_500, 2)]);

        // As of the last issue date or later the page's order comes from
        // the sums; before it, from the invoices.
        let staff = admin_caller();
        let page = |as_of: &'static str| {
            let (s, staff) = (s.clone(), staff.clone());
            async move {
                let (rows, _) = reports::aging_by_customer(&s, &staff, as_of, 0, 10)
                    .await
                    .unwrap();
                rows.iter()
                    .map(|r| (r.customer_id, r.total, r.invoices))
                    .collect::<Vec<_>>()
            }
        };
        // a: 4,000 - 1,500 + 9,000 - 9,000 (the voided one, settled, leaves
        // the count) + 3,000; b: 1,000 + 2,500.
        assert_eq!(page("2026-07-01").await, [(a, 5_500, 2), (b, 3_500, 2)]);
        // The day the draft was issued, before the credit notes.
        assert_eq!(page("2026-06-05").await, [(a, 16_000, 3), (b, 3_500, 2)]);
        // The day before: without it.
        assert_eq!(page("2026-06-04").await, [(a, 13_000, 2), (b, 3_500, 2)]);
        let aging = reports::aging(&s, &staff, "2026-07-01").await.unwrap();
        assert_eq!((aging.total, aging.invoices), (Money(9_000), 4));
        let aging = reports::aging(&s, &staff, "2026-06-04").await.unwrap();
        assert_eq!((aging.total, aging.invoices), (Money(16_500), 4));
    })
    .await;
}

/// Instants at noon UTC (the fixture has no company, so the zone is UTC).
fn noon(d: &str) -> i64 {
    let d: jiff::civil::Date = d.parse().unwrap();
    d.at(12, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_second()
}

async fn set_status(s: &Services, id: i64, from: &str, to: &str, day: &str) {
    let mut tx = s.db.begin().await.unwrap();
    sqlx::query("UPDATE contracts SET status = $1 WHERE id = $2")
        .bind(to)
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO contract_transitions (contract_id, from_status, to_status, actor_kind,
            actor_name, at) VALUES ($1, $2, $3, 'user', 'admin', $4)",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(noon(day))
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// A plan change applied on `day`, as `apply_due_plan_changes` leaves it.
async fn changed_plan(s: &Services, id: i64, from: (i64, i64), to: (i64, i64), day: &str) {
    let mut tx = s.db.begin().await.unwrap();
    sqlx::query("UPDATE contracts SET plan_id = $1, price = $2 WHERE id = $3")
        .bind(to.0)
        .bind(to.1)
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO contract_plan_changes (contract_id, from_plan_id, to_plan_id, from_price,
            to_price, effective_date, actor_kind, actor_name, created_at, applied_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'user', 'admin', $7, $7)",
    )
    .bind(id)
    .bind(from.0)
    .bind(to.0)
    .bind(from.1)
    .bind(to.1)
    .bind(day)
    .bind(noon(day))
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn mrr_and_its_movements_follow_contract_history() {
    each_engine(|db| async move {
        let s = svc(&db);
        let staff = admin_caller();
        let basic = create_plan(&s, plan("Fibra 100", 10_000, Cycle::Monthly)).await;
        let fast = create_plan(&s, plan("Fibra 500", 15_000, Cycle::Monthly)).await;
        // 360,000 a year: 30,000 a month.
        let yearly = create_plan(&s, plan("Fibra 1G anual", 360_000, Cycle::Yearly)).await;
        let a = customer(&s, "Ana", "529.982.247-25", "Florianópolis").await;

        // Old: active since 2025-12, upgraded 100 → 500 in March.
        let up = contract(&s, a, basic, "ana-up").await;
        set_status(&s, up, "pending_installation", "active", "2025-12-05").await;
        changed_plan(&s, up, (basic, 10_000), (fast, 15_000), "2026-03-10").await;
        // New in January at 500, downgraded to 100 in March.
        let down = contract(&s, a, fast, "ana-down").await;
        set_status(&s, down, "pending_installation", "active", "2026-01-20").await;
        changed_plan(&s, down, (fast, 15_000), (basic, 10_000), "2026-03-15").await;
        // New in February on the yearly plan, canceled in April.
        let gone = contract(&s, a, yearly, "ana-gone").await;
        set_status(&s, gone, "pending_installation", "active", "2026-02-02").await;
        set_status(&s, gone, "active", "suspended", "2026-03-01").await;
        set_status(&s, gone, "suspended", "canceled", "2026-04-03").await;
        // Canceled before installation: never recurring revenue.
        let never = contract(&s, a, basic, "ana-never").await;
        set_status(&s, never, "pending_installation", "canceled", "2026-02-10").await;

        let mrr = reports::mrr(&s, &staff).await.unwrap();
        assert_eq!((mrr.contracts, mrr.total), (2, Money(15_000 + 10_000)));

        let moves = reports::mrr_movements(&s, &staff, "2026-04-30", 4)
            .await
            .unwrap();
        let got: Vec<_> = moves
            .iter()
            .map(|m| {
                (
                    m.month.as_str(),
                    m.new_contracts,
                    m.new.0,
                    m.expansion.0,
                    m.contraction.0,
                    m.churned_contracts,
                    m.churn.0,
                    m.net.0,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                // At what it cost when new: 15,000, before its downgrade.
                ("2026-01", 1, 15_000, 0, 0, 0, 0, 15_000),
                ("2026-02", 1, 30_000, 0, 0, 0, 0, 30_000),
                ("2026-03", 0, 0, 5_000, -5_000, 0, 0, 0),
                ("2026-04", 0, 0, 0, 0, 1, -30_000, -30_000),
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn revenue_is_invoices_minus_credit_notes_and_taxes_add_up() {
    each_engine(|db| async move {
        let s = svc(&db);
        let staff = admin_caller();
        for (name, pct) in [("ICMS", "20"), ("FUST", "1")] {
            taxes::create(
                &s,
                &staff,
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
        let mut c = s.db.conn().await.unwrap();
        let id_of = |rows: &[(i64, String)], n: &str| rows.iter().find(|r| r.1 == n).unwrap().0;
        let rates: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM tax_rates")
            .fetch_all(&mut *c)
            .await
            .unwrap();
        drop(c);
        let (icms, fust) = (id_of(&rates, "ICMS"), id_of(&rates, "FUST"));
        let p1 = catalog::create_plan(&s, &staff, &plan("Fibra 100", 10_000, Cycle::Monthly))
            .await
            .unwrap()
            .id;
        let p2 = catalog::create_plan(&s, &staff, &plan("Fibra 500", 20_000, Cycle::Monthly))
            .await
            .unwrap()
            .id;
        let a = customer(&s, "Ana", "529.982.247-25", "Florianópolis").await;
        let b = customer(&s, "Bruno", "111.444.777-35", "São José").await;
        let ka = contract(&s, a, p1, "ana").await;
        let kb = contract(&s, b, p2, "bruno").await;
        let doc = |who, k, issue, net, tax, taxes| Doc {
            contract_id: Some(k),
            net,
            tax,
            taxes,
            ..Doc::invoice(who, issue, issue, 0)
        };
        write(
            &s,
            doc(a, ka, "2026-01-15", 8_000, 2_000, vec![(icms, 2_000)]),
        )
        .await;
        write(
            &s,
            doc(a, ka, "2026-02-15", 8_000, 2_000, vec![(icms, 2_000)]),
        )
        .await;
        let big = write(
            &s,
            doc(
                b,
                kb,
                "2026-02-20",
                15_800,
                4_200,
                vec![(icms, 4_000), (fust, 200)],
            ),
        )
        .await;
        // A quarter of Bruno's invoice credited in March.
        write(
            &s,
            Doc {
                kind: "credit_note",
                credits: Some(big),
                ..doc(
                    b,
                    kb,
                    "2026-03-05",
                    -3_950,
                    -1_050,
                    vec![(icms, -1_000), (fust, -50)],
                )
            },
        )
        .await;
        // Outside the span, and a draft: not revenue.
        write(
            &s,
            doc(a, ka, "2026-04-01", 8_000, 2_000, vec![(icms, 2_000)]),
        )
        .await;
        write(
            &s,
            Doc {
                status: "draft",
                ..doc(a, ka, "2026-02-01", 8_000, 2_000, vec![])
            },
        )
        .await;

        let q = RevenueQuery {
            from: "2026-01-01".into(),
            to: "2026-03-31".into(),
            ..RevenueQuery::default()
        };
        let rows = |r: reports::Revenue| -> Vec<(String, i64, i64, i64)> {
            r.rows
                .into_iter()
                .map(|x| (x.key, x.net, x.tax, x.total))
                .collect()
        };
        let by_month = reports::revenue(&s, &staff, RevenueBy::Month, &q)
            .await
            .unwrap();
        assert_eq!(
            (by_month.total.net, by_month.total.tax, by_month.total.total),
            (27_850, 7_150, 35_000)
        );
        assert_eq!(
            (by_month.total.invoices, by_month.total.credit_notes),
            (3, 1)
        );
        assert_eq!(
            rows(by_month),
            [
                ("2026-01".to_owned(), 8_000, 2_000, 10_000),
                ("2026-02".to_owned(), 23_800, 6_200, 30_000),
                ("2026-03".to_owned(), -3_950, -1_050, -5_000),
            ]
        );
        let by_plan = reports::revenue(&s, &staff, RevenueBy::Plan, &q)
            .await
            .unwrap();
        assert_eq!(
            rows(by_plan),
            [
                ("Fibra 100".to_owned(), 16_000, 4_000, 20_000),
                ("Fibra 500".to_owned(), 11_850, 3_150, 15_000),
            ]
        );
        let by_city = reports::revenue(&s, &staff, RevenueBy::City, &q)
            .await
            .unwrap();
        assert_eq!(
            rows(by_city),
            [
                ("Florianópolis".to_owned(), 16_000, 4_000, 20_000),
                ("São José".to_owned(), 11_850, 3_150, 15_000),
            ]
        );
        let only = |plan_id, city: &str| RevenueQuery {
            plan_id,
            city: city.into(),
            ..q.clone()
        };
        let r = reports::revenue(&s, &staff, RevenueBy::Month, &only(Some(p2), ""))
            .await
            .unwrap();
        assert_eq!(r.total.total, 15_000);
        let r = reports::revenue(&s, &staff, RevenueBy::Plan, &only(None, "sao jose"))
            .await
            .unwrap();
        assert_eq!(r.total.total, 15_000);
        assert!(matches!(
            reports::revenue(
                &s,
                &staff,
                RevenueBy::Month,
                &RevenueQuery {
                    from: "2026-04-01".into(),
                    to: "2026-03-01".into(),
                    ..RevenueQuery::default()
                }
            )
            .await,
            Err(Error::Invalid { field: "from", .. })
        ));

        let t = reports::taxes(&s, &staff, "2026-01-01", "2026-03-31")
            .await
            .unwrap();
        let got: Vec<_> = t
            .rows
            .iter()
            .map(|r| (r.month.as_str(), r.name.as_str(), r.amount))
            .collect();
        let (i, f) = (format!("tax {icms}"), format!("tax {fust}"));
        let mut want = vec![
            ("2026-01", i.as_str(), 2_000),
            ("2026-02", i.as_str(), 6_000),
            ("2026-02", f.as_str(), 200),
            ("2026-03", i.as_str(), -1_000),
            ("2026-03", f.as_str(), -50),
        ];
        want.sort();
        let mut got = got;
        got.sort();
        assert_eq!(got, want);
        let per_tax: Vec<_> = t
            .by_tax
            .iter()
            .map(|r| (r.name.clone(), r.amount))
            .collect();
        let mut want = vec![(i.clone(), 7_000), (f.clone(), 150)];
        want.sort();
        assert_eq!(per_tax, want);
        assert_eq!(t.total, Money(7_150));
    })
    .await;
}
