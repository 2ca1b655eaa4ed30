//! Discounts and promo codes on SQLite and PostgreSQL: every reason a code
//! is refused, concurrent redemption of a last use, cycles counted once per
//! invoice, capped fixed amounts, taxes on the discounted base, and codes
//! given when a contract is created.

use domain::Money;
use domain::billing::discount::PromoRefusal;
use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
use jiff::ToSpan;
use jiff::civil::{Date, date};
use services::billing::Policy;
use services::billing::discounts::{self, DiscountInput};
use services::billing::documents;
use services::billing::promos::{self, Filter, PromoInput};
use services::billing::run;
use services::billing::taxes::{self, TaxInput};
use services::contracts::{self, ContractInput};
use services::crm::{self, Created, CustomerInput};
use services::{Caller, Error, Services, catalog};
use store::billing::documents::Filter as DocFilter;
use store::testing::each_engine;

use crate::{admin_caller, svc};

fn console() -> Caller {
    Caller::Cli {
        name: "test".into(),
    }
}

fn plan(name: &str, price: i64) -> Plan {
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

async fn plan_id(s: &Services, name: &str, price: i64) -> i64 {
    catalog::create_plan(s, &admin_caller(), &plan(name, price))
        .await
        .unwrap()
        .id
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
    activate(s, id).await;
    id
}

async fn activate(s: &Services, id: i64) {
    let mut tx = s.db.begin().await.unwrap();
    sqlx::query("UPDATE contracts SET status = 'active' WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn today() -> Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

fn days(n: i64) -> String {
    today().checked_add(n.days()).unwrap().to_string()
}

fn promo(code: &str, kind: &str, value: i64) -> PromoInput {
    PromoInput {
        code: code.into(),
        kind: kind.into(),
        value,
        active: true,
        ..Default::default()
    }
}

/// The invoices, oldest first, with their lines and taxes.
async fn invoices(s: &Services) -> Vec<documents::Full> {
    let (docs, _) = documents::list(
        s,
        &console(),
        &DocFilter {
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

fn refusal(r: Result<impl std::fmt::Debug, Error>, field: &str) -> PromoRefusal {
    match r {
        Err(e @ Error::Invalid { field: f, .. }) if f == field => {
            promos::refusal(&e).unwrap_or_else(|| panic!("not a promo refusal: {e:?}"))
        }
        other => panic!("expected a refusal naming {field}: {other:?}"),
    }
}

#[tokio::test]
async fn every_reason_a_code_is_refused_is_named() {
    each_engine(|db| async move {
        let s = svc(&db);
        let fibra = plan_id(&s, "Fibra 300", 9_990).await;
        let radio = plan_id(&s, "Rádio 10", 5_000).await;
        let ana = customer(&s, "Ana", "529.982.247-25").await;
        let k = contract(&s, ana, fibra, "ana").await;
        let codes = [
            ("LATER", days(5), days(30), None, None, vec![], true),
            ("OLD", days(-30), days(-1), None, None, vec![], true),
            (
                "ONCE",
                String::new(),
                String::new(),
                Some(1),
                None,
                vec![],
                true,
            ),
            (
                "MINE",
                String::new(),
                String::new(),
                None,
                Some(1),
                vec![],
                true,
            ),
            (
                "RADIO",
                String::new(),
                String::new(),
                None,
                None,
                vec![radio],
                true,
            ),
            (
                "OFF",
                String::new(),
                String::new(),
                None,
                None,
                vec![],
                false,
            ),
        ];
        for (code, from, until, max, per, plans, active) in codes {
            promos::create(
                &s,
                &console(),
                &PromoInput {
                    valid_from: from,
                    valid_until: until,
                    max_uses: max,
                    max_uses_per_customer: per,
                    plan_ids: plans,
                    active,
                    ..promo(code, "percent", 100_000)
                },
            )
            .await
            .unwrap();
        }
        // A second customer spends ONCE's only use.
        let bruno = customer(&s, "Bruno", "111.444.777-35").await;
        let kb = contract(&s, bruno, fibra, "bruno").await;
        promos::redeem(&s, &console(), kb, "once").await.unwrap();
        // Ana spends MINE's one use for her, then tries again.
        promos::redeem(&s, &console(), k, " mine ").await.unwrap();
        for (code, why) in [
            ("NOPE", PromoRefusal::Unknown),
            ("off", PromoRefusal::Inactive),
            ("later", PromoRefusal::NotYetValid),
            ("Old", PromoRefusal::Expired),
            ("ONCE", PromoRefusal::UsedUp),
            ("MINE", PromoRefusal::UsedUpByCustomer),
            ("RADIO", PromoRefusal::NotForPlan),
        ] {
            let r = promos::redeem(&s, &console(), k, code).await;
            assert_eq!(refusal(r, "code"), why, "{code}");
        }
        // Each refusal left nothing behind: Ana has only MINE's discount.
        let list = discounts::list(&s, &console(), k).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].promo_code.as_deref(), Some("MINE"));
        // A deactivated code stays listed as inactive, and refuses.
        let (inactive, _) = promos::list(
            &s,
            &console(),
            &Filter {
                state: Some("inactive".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            inactive.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(),
            ["OFF"]
        );
        let (expired, _) = promos::list(
            &s,
            &console(),
            &Filter {
                state: Some("expired".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].code, "OLD");
        let (found, _) = promos::list(
            &s,
            &console(),
            &Filter {
                q: Some("min".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].uses, 1);
        // Codes are unique whatever the case.
        assert!(matches!(
            promos::create(&s, &console(), &promo("once", "fixed", 100)).await,
            Err(Error::Conflict("code"))
        ));
    })
    .await;
}

#[tokio::test]
async fn promo_codes_are_validated_naming_the_field() {
    each_engine(|db| async move {
        let s = svc(&db);
        for (input, field) in [
            (promo("", "fixed", 100), "code"),
            (promo("WITH SPACE", "fixed", 100), "code"),
            (promo("OK", "sideways", 100), "kind"),
            (promo("OK", "fixed", 0), "value"),
            (promo("OK", "percent", 1_000_001), "value"),
            (
                PromoInput {
                    valid_from: days(5),
                    valid_until: days(1),
                    ..promo("OK", "fixed", 100)
                },
                "valid_until",
            ),
            (
                PromoInput {
                    valid_from: "2026-02-30".into(),
                    ..promo("OK", "fixed", 100)
                },
                "valid_from",
            ),
            (
                PromoInput {
                    cycles: Some(0),
                    ..promo("OK", "fixed", 100)
                },
                "cycles",
            ),
            (
                PromoInput {
                    max_uses: Some(0),
                    ..promo("OK", "fixed", 100)
                },
                "max_uses",
            ),
            (
                PromoInput {
                    plan_ids: vec![999],
                    ..promo("OK", "fixed", 100)
                },
                "plan_ids",
            ),
        ] {
            match promos::create(&s, &console(), &input).await {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let created = promos::create(&s, &console(), &promo("ok", "fixed", 100))
            .await
            .unwrap();
        assert_eq!(created.promo.code, "OK");
        let changed = promos::update(
            &s,
            &console(),
            created.promo.id,
            &PromoInput {
                description: "Welcome".into(),
                ..promo("OK2", "percent", 50_000)
            },
        )
        .await
        .unwrap();
        assert_eq!(
            (changed.promo.code.as_str(), changed.promo.value),
            ("OK2", 50_000)
        );
        let off = promos::deactivate(&s, &console(), created.promo.id)
            .await
            .unwrap();
        assert!(!off.promo.active);
        // Reading needs billing.view; changing needs billing.manage.
        let viewer = crate::staff_with([domain::Permission::BillingView].into_iter().collect());
        promos::get(&s, &viewer, created.promo.id).await.unwrap();
        assert!(matches!(
            promos::create(&s, &viewer, &promo("X1", "fixed", 1)).await,
            Err(Error::Forbidden(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn two_concurrent_redemptions_of_a_last_use_one_succeeds() {
    each_engine(|db| async move {
        let s = svc(&db);
        let fibra = plan_id(&s, "Fibra 300", 9_990).await;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        let b = customer(&s, "Bruno", "111.444.777-35").await;
        let ka = contract(&s, a, fibra, "ana").await;
        let kb = contract(&s, b, fibra, "bruno").await;
        promos::create(
            &s,
            &console(),
            &PromoInput {
                max_uses: Some(1),
                ..promo("LAST", "fixed", 1_000)
            },
        )
        .await
        .unwrap();
        let who = console();
        let (x, y) = tokio::join!(
            promos::redeem(&s, &who, ka, "LAST"),
            promos::redeem(&s, &who, kb, "LAST"),
        );
        let ok = [x.is_ok(), y.is_ok()];
        assert_eq!(ok.iter().filter(|o| **o).count(), 1, "{x:?} {y:?}");
        let lost = if x.is_ok() { y } else { x };
        assert_eq!(refusal(lost, "code"), PromoRefusal::UsedUp);
        let mut c = s.db.conn().await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM promo_redemptions")
            .fetch_one(&mut *c)
            .await
            .unwrap();
        assert_eq!(n, 1);
    })
    .await;
}

#[tokio::test]
async fn a_three_cycle_discount_is_on_exactly_three_invoices() {
    each_engine(|db| async move {
        let s = svc(&db);
        let fibra = plan_id(&s, "Fibra 300", 10_000).await;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        let k = contract(&s, a, fibra, "ana").await;
        let d = discounts::create(
            &s,
            &console(),
            &DiscountInput {
                contract_id: k,
                kind: "fixed".into(),
                value: 2_000,
                description: "Loyalty".into(),
                cycles: Some(3),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let policy = Policy::default();
        // The preview counts the cycles over the periods it shows.
        let p = run::preview(&s, &console(), date(2026, 6, 10), &policy)
            .await
            .unwrap();
        assert_eq!(p.invoices, 5);
        assert_eq!(p.total, Money(5 * 10_000 - 3 * 2_000));
        // So does one contract's preview, line by line.
        let docs = run::preview_contract(&s, &console(), date(2026, 6, 10), k)
            .await
            .unwrap();
        let shown: Vec<bool> = docs
            .iter()
            .map(|d| d.lines.iter().any(|(source, _)| *source == "discount"))
            .collect();
        assert_eq!(shown, [true, true, true, false, false]);
        // Two runs: two periods, then three more.
        run::run(&s, &console(), date(2026, 3, 10), &policy)
            .await
            .unwrap();
        run::run(&s, &console(), date(2026, 6, 10), &policy)
            .await
            .unwrap();
        let docs = invoices(&s).await;
        assert_eq!(docs.len(), 5);
        let discounted: Vec<bool> = docs
            .iter()
            .map(|d| d.lines.iter().any(|l| l.source == "discount"))
            .collect();
        assert_eq!(discounted, [true, true, true, false, false]);
        let line = docs[0]
            .lines
            .iter()
            .find(|l| l.source == "discount")
            .unwrap();
        assert_eq!(
            (line.description.as_str(), line.amount),
            ("Loyalty", -2_000)
        );
        assert_eq!(docs[0].lines[1].id, line.id, "right under the plan line");
        assert_eq!(docs[0].document.total, 8_000);
        let after = discounts::get(&s, &console(), d.id).await.unwrap();
        assert_eq!(after.cycles_used, 3);
        assert!(after.ended_at.is_some(), "used up, so ended");
        // Ending it again is refused.
        assert!(matches!(
            discounts::end(&s, &console(), d.id).await,
            Err(Error::Refused("discount-ended"))
        ));
    })
    .await;
}

#[tokio::test]
async fn fixed_discounts_are_capped_and_taxes_use_the_discounted_base() {
    each_engine(|db| async move {
        let s = svc(&db);
        taxes::create(
            &s,
            &console(),
            &TaxInput {
                name: "VAT".into(),
                percent: "20".into(),
                mode: "on_top".into(),
                category: "scm".into(),
                position: 0,
                active: true,
            },
        )
        .await
        .unwrap();
        let fibra = plan_id(&s, "Fibra 300", 9_990).await;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        let b = customer(&s, "Bruno", "111.444.777-35").await;
        let ka = contract(&s, a, fibra, "ana").await;
        let kb = contract(&s, b, fibra, "bruno").await;
        // Staff cannot add a fixed discount larger than the price…
        let too_big = DiscountInput {
            contract_id: ka,
            kind: "fixed".into(),
            value: 10_000,
            description: "Too much".into(),
            ..Default::default()
        };
        match discounts::create(&s, &console(), &too_big).await {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "value"),
            other => panic!("{other:?}"),
        }
        // …but a code's fixed amount is capped at the line when billed.
        promos::create(&s, &console(), &promo("FREE", "fixed", 50_000))
            .await
            .unwrap();
        promos::redeem(&s, &console(), ka, "FREE").await.unwrap();
        // 15 % off: 9.990 → 8.491,50 → 8.492 (half up); VAT 20 % of it.
        promos::create(&s, &console(), &promo("SAVE15", "percent", 150_000))
            .await
            .unwrap();
        promos::redeem(&s, &console(), kb, "save15").await.unwrap();
        run::run(&s, &console(), date(2026, 2, 10), &Policy::default())
            .await
            .unwrap();
        let docs = invoices(&s).await;
        let of = |k: i64| {
            docs.iter()
                .find(|d| d.document.contract_id == Some(k))
                .unwrap()
        };
        let free = of(ka);
        let promo_line = free.lines.iter().find(|l| l.source == "promo").unwrap();
        assert_eq!(promo_line.amount, -9_990, "capped at the plan line");
        assert_eq!(promo_line.description, "FREE");
        assert_eq!((free.document.tax, free.document.total), (0, 0));
        let save = of(kb);
        let line = save.lines.iter().find(|l| l.source == "promo").unwrap();
        assert_eq!(line.amount, -1_499);
        let base = 9_990 - 1_499;
        assert_eq!(
            save.document.tax,
            (base * 2 + 5) / 10,
            "20 % of the discounted base"
        );
        assert_eq!(save.document.total, base + save.document.tax);
        let line_taxes: i64 = save.taxes.iter().map(|t| t.amount).sum();
        assert_eq!(line_taxes, save.document.tax);
        // Voiding takes back what was charged: the discount line is
        // reversed with the plan line.
        let note = documents::void(
            &s,
            &console(),
            save.document.id,
            "Wrong plan",
            &Policy::default(),
        )
        .await
        .unwrap();
        let note = documents::get(&s, &console(), note).await.unwrap();
        assert_eq!(note.document.total, -save.document.total);
        assert_eq!(note.document.tax, -save.document.tax);
        assert_eq!(note.lines.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_code_given_with_a_new_contract_is_checked_before_anything_is_written() {
    each_engine(|db| async move {
        let s = svc(&db);
        let fibra = plan_id(&s, "Fibra 300", 9_990).await;
        let radio = plan_id(&s, "Rádio 10", 5_000).await;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        promos::create(
            &s,
            &console(),
            &PromoInput {
                plan_ids: vec![fibra],
                cycles: Some(2),
                ..promo("FIBRA", "percent", 500_000)
            },
        )
        .await
        .unwrap();
        let input = |plan_id: i64, code: &str| ContractInput {
            customer_id: a,
            plan_id,
            billing_day: 10,
            start_date: "2026-01-10".into(),
            login: "ana".into(),
            password: "first-pw".into(),
            promo_code: code.into(),
            ..Default::default()
        };
        let r = contracts::create(&s, &admin_caller(), &input(radio, "FIBRA")).await;
        assert_eq!(refusal(r, "promo_code"), PromoRefusal::NotForPlan);
        let r = contracts::create(&s, &admin_caller(), &input(fibra, "WHAT")).await;
        assert_eq!(refusal(r, "promo_code"), PromoRefusal::Unknown);
        let mut c = s.db.conn().await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contracts")
            .fetch_one(&mut *c)
            .await
            .unwrap();
        assert_eq!(n, 0, "a refused code creates no contract");
        drop(c);
        let k = contracts::create(&s, &admin_caller(), &input(fibra, "fibra"))
            .await
            .unwrap();
        let list = discounts::list(&s, &console(), k.id).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (list[0].kind.as_str(), list[0].value, list[0].cycles),
            ("percent", 500_000, Some(2))
        );
        let full = promos::get(&s, &console(), list[0].promo_code_id.unwrap())
            .await
            .unwrap();
        assert_eq!(full.promo.uses, 1);
        assert_eq!(full.plan_ids, [fibra]);
        // Ended by staff: the next invoice has no discount.
        discounts::end(&s, &console(), list[0].id).await.unwrap();
        activate(&s, k.id).await;
        run::run(&s, &console(), date(2026, 2, 10), &Policy::default())
            .await
            .unwrap();
        let docs = invoices(&s).await;
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].document.total, 9_990);
    })
    .await;
}

#[tokio::test]
async fn a_per_customer_invoice_discounts_only_the_contract_that_has_it() {
    each_engine(|db| async move {
        let s = svc(&db);
        let fibra = plan_id(&s, "Fibra 300", 10_000).await;
        let a = customer(&s, "Ana", "529.982.247-25").await;
        let home = contract(&s, a, fibra, "ana.casa").await;
        let shop = contract(&s, a, fibra, "ana.loja").await;
        discounts::create(
            &s,
            &console(),
            &DiscountInput {
                contract_id: shop,
                kind: "percent".into(),
                value: 250_000,
                description: "Second connection".into(),
                cycles: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let policy = Policy {
            per_customer: true,
            ..Policy::default()
        };
        // Two periods of each contract are due the same day: one document
        // holding four periods, the one-cycle discount on the first only.
        run::run(&s, &console(), date(2026, 3, 10), &policy)
            .await
            .unwrap();
        let docs = invoices(&s).await;
        assert_eq!(docs.len(), 1);
        let lines: Vec<(Option<i64>, &str, i64)> = docs
            .iter()
            .flat_map(|d| &d.lines)
            .map(|l| (l.contract_id, l.source.as_str(), l.amount))
            .collect();
        let discount_lines: Vec<_> = lines.iter().filter(|l| l.1 == "discount").collect();
        assert_eq!(
            discount_lines,
            [&(Some(shop), "discount", -2_500)],
            "{lines:?}"
        );
        assert!(lines.iter().any(|l| l.0 == Some(home)));
        let total: i64 = docs.iter().map(|d| d.document.total).sum();
        assert_eq!(total, 4 * 10_000 - 2_500);
    })
    .await;
}
