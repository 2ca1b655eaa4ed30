//! Boleto by CNAB files and reconciliation, on SQLite and PostgreSQL: a
//! remittance registers boletos and the bank's return settles their
//! invoices; the same return uploaded twice is processed once; money that
//! matches no boleto waits in the queue until assigned; a divergent amount
//! is recorded and flagged; a malformed file is refused naming line and
//! column with nothing written.

use std::collections::BTreeMap;
use std::io::Cursor;

use brpay::boleto::banks::Bank;
use domain::payments::InvoiceStatus;
use domain::{Permission, PermissionSet};
use jiff::civil::date;
use services::billing::{Policy, documents, run};
use services::payments::recon::{self, remittance, returns, simulate, unmatched};
use services::payments::{self, Filter};
use services::{Caller, Error, Services};
use store::testing::each_engine;

use crate::billing_docs::{billed_customer, invoice_ids};
use crate::{admin_caller, staff_with, svc};

fn console() -> Caller {
    Caller::Cli {
        name: "test".into(),
    }
}

async fn bill_months(s: &Services, last: i8) {
    for m in 2..=last {
        run::run(s, &console(), date(2026, m, 10), &Policy::default())
            .await
            .unwrap();
    }
}

async fn cnab_settings(s: &Services) {
    let mut c = s.db.conn().await.unwrap();
    if store::system::company::get(&mut c).await.unwrap().is_none() {
        let company = store::system::company::Company {
            name: "Provedor São João".into(),
            legal_document: "11.222.333/0001-81".into(),
            country: "BR".into(),
            currency: "BRL".into(),
            locale: "pt-BR".into(),
            timezone: "America/Sao_Paulo".into(),
        };
        store::system::company::create(&mut c, &company, 0)
            .await
            .unwrap();
    }
    drop(c);
    let values: BTreeMap<String, String> = [
        ("boleto.mode", "cnab"),
        ("boleto.bank", "001"),
        ("boleto.agency", "1234-5"),
        ("boleto.account", "12345-6"),
        ("boleto.wallet", "17"),
        ("boleto.agreement", "1234567"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    services::system::settings::update(s, &admin_caller(), &values)
        .await
        .unwrap();
}

/// The (nosso número, amount) of each title of a remittance, read back
/// with brpay as the bank would.
fn remittance_titles(content: &str) -> Vec<(String, i64)> {
    cnab::parse(Cursor::new(content.as_bytes()))
        .unwrap()
        .map(|r| r.unwrap())
        .filter(|r| r.kind() == "segmento_p")
        .map(|r| {
            (
                r.text("nosso_numero").unwrap().trim().to_owned(),
                r.money("valor").unwrap(),
            )
        })
        .collect()
}

use brpay::cnab;

fn liquidation(nn: &str, amount: i64, paid: i64) -> simulate::Title {
    simulate::Title {
        nosso_numero: nn.into(),
        occurrence: "06".into(),
        amount,
        paid,
        fee: 250,
        credit_date: Some(date(2026, 5, 5)),
        payer_name: "Pagador".into(),
        reason: String::new(),
    }
}

async fn statuses(s: &Services, customer_id: i64) -> Vec<(InvoiceStatus, i64)> {
    let mut ids = invoice_ids(s, customer_id, "invoice").await;
    ids.sort();
    let mut docs = Vec::new();
    for id in ids {
        docs.push(documents::get(s, &console(), id).await.unwrap().document);
    }
    let map = payments::standings(s, &console(), &docs).await.unwrap();
    docs.iter()
        .map(|d| (map[&d.id].status, map[&d.id].paid))
        .collect()
}

async fn cnab_payments(s: &Services) -> Vec<payments::Payment> {
    payments::list(
        s,
        &admin_caller(),
        &Filter {
            limit: 500,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .0
    .into_iter()
    .filter(|p| p.gateway.as_deref() == Some("cnab"))
    .collect()
}

async fn audit_actions(db: &store::Db) -> Vec<String> {
    let mut c = db.conn().await.unwrap();
    sqlx::query_scalar::<_, String>("SELECT action FROM audit_log ORDER BY id")
        .fetch_all(&mut *c)
        .await
        .unwrap()
}

#[tokio::test]
async fn recon_remittance_then_its_return_settles_invoices_once() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (ana, _) = billed_customer(&s, "Ana", "529.982.247-25", "ana@example.net").await;
        let (bia, _) = billed_customer(&s, "Beatriz", "111.444.777-35", "").await;
        bill_months(&s, 3).await;

        // Not in cnab mode: refused, naming the setting.
        let e = remittance::generate(&s, &admin_caller(), cnab::Format::Cnab240)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("boleto.mode"), "{e}");
        cnab_settings(&s).await;

        // Someone who may only read cannot generate.
        let viewer = staff_with(PermissionSet::from_iter([Permission::PaymentsView]));
        assert!(matches!(
            remittance::generate(&s, &viewer, cnab::Format::Cnab240).await,
            Err(Error::Forbidden(_))
        ));

        let file = remittance::generate(&s, &admin_caller(), cnab::Format::Cnab240)
            .await
            .unwrap();
        assert_eq!((file.kind.as_str(), file.titles), ("remessa", 4));
        assert_eq!(file.total, 4 * 9_990);
        assert_eq!(file.name, "remessa-001-000001.rem");
        let (name, content) = recon::remittance_content(&s, &viewer, file.id)
            .await
            .unwrap();
        assert_eq!(name, file.name);
        let titles = remittance_titles(&content);
        assert_eq!(titles.len(), 4);
        for (nn, amount) in &titles {
            assert!(nn.starts_with("1234567") && nn.len() == 17, "{nn}");
            assert_eq!(*amount, 9_990);
        }
        // Every invoice has its boleto now: nothing left to send.
        let e = remittance::generate(&s, &admin_caller(), cnab::Format::Cnab240)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("invoices"), "{e}");

        // The bank pays them all.
        let ret = simulate::return_240(
            Bank::BancoDoBrasil,
            7,
            date(2026, 5, 6),
            &titles
                .iter()
                .map(|(nn, a)| liquidation(nn, *a, *a))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        let done = returns::process(&s, &admin_caller(), "ret-7.ret", ret.as_bytes())
            .await
            .unwrap();
        assert!(!done.duplicate);
        let f = &done.file;
        assert_eq!(f.status, "processed");
        assert_eq!(
            (f.settled, f.settled_amount, f.fees),
            (4, 4 * 9_990, 4 * 250)
        );
        assert_eq!(
            (f.unmatched, f.divergent, f.rejected, f.already_settled),
            (0, 0, 0, 0)
        );
        assert_eq!(f.sequence, 7);
        use InvoiceStatus::Paid;
        assert_eq!(statuses(&s, ana).await, vec![(Paid, 9_990), (Paid, 9_990)]);
        assert_eq!(statuses(&s, bia).await, vec![(Paid, 9_990), (Paid, 9_990)]);
        let paid = cnab_payments(&s).await;
        assert_eq!(paid.len(), 4);
        for p in &paid {
            assert_eq!((p.method.as_str(), p.fee), ("boleto", 250));
            assert_eq!(p.received_on, "2026-05-05");
            assert!(
                titles
                    .iter()
                    .any(|(nn, _)| Some(nn) == p.reference.as_ref())
            );
        }

        // The same file again: processed once, nothing new.
        let again = returns::process(&s, &admin_caller(), "copy.ret", ret.as_bytes())
            .await
            .unwrap();
        assert!(again.duplicate);
        assert_eq!(again.file.id, done.file.id);
        assert_eq!(cnab_payments(&s).await.len(), 4);
        // A different file reporting the same liquidations settles nothing twice.
        let resent = simulate::return_240(
            Bank::BancoDoBrasil,
            8,
            date(2026, 5, 7),
            &titles
                .iter()
                .map(|(nn, a)| liquidation(nn, *a, *a))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        let r2 = returns::process(&s, &admin_caller(), "ret-8.ret", resent.as_bytes())
            .await
            .unwrap();
        assert_eq!((r2.file.settled, r2.file.already_settled), (0, 4));
        assert_eq!(cnab_payments(&s).await.len(), 4);

        // The report and its CSV.
        let report = recon::report(&s, &viewer, done.file.id, None)
            .await
            .unwrap();
        assert_eq!(report.entries.len(), 4);
        assert!(report.entries.iter().all(|e| e.outcome == "settled"));
        let csv = recon::report_csv(&report).unwrap();
        assert_eq!(csv.lines().count(), 5);
        assert!(csv.starts_with("line,nosso_numero,occurrence,outcome"));
        let (files, more) = recon::list_files(&s, &viewer, None, None, 50)
            .await
            .unwrap();
        assert_eq!((files.len(), more), (3, false));

        // Every settlement and the files in the audit log.
        let actions = audit_actions(&db).await;
        let count = |a: &str| actions.iter().filter(|x| *x == a).count();
        assert_eq!(count("cnab.remittance.generate"), 1);
        assert_eq!(count("cnab.return.process"), 2);
        assert!(count("payment.record") >= 4);
    })
    .await;
}

#[tokio::test]
async fn recon_unmatched_money_is_queued_then_assigned_and_divergence_is_flagged() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (ana, _) = billed_customer(&s, "Ana", "529.982.247-25", "ana@example.net").await;
        bill_months(&s, 3).await;
        cnab_settings(&s).await;
        let file = remittance::generate(&s, &admin_caller(), cnab::Format::Cnab240)
            .await
            .unwrap();
        let (_, content) = recon::remittance_content(&s, &admin_caller(), file.id)
            .await
            .unwrap();
        let titles = remittance_titles(&content);
        assert_eq!(titles.len(), 2);
        let mut rejected = liquidation(&titles[1].0, 9_990, 0);
        rejected.occurrence = "03".into();
        rejected.reason = "0000000008".into();
        let ret = simulate::return_240(
            Bank::BancoDoBrasil,
            1,
            date(2026, 5, 6),
            &[
                // 90.00 for a boleto of 99.90: settled, flagged.
                liquidation(&titles[0].0, 9_990, 9_000),
                // A boleto nobody here issued.
                liquidation("99999990000000042", 5_000, 5_000),
                rejected,
            ],
        )
        .unwrap();
        let done = returns::process(&s, &admin_caller(), "ret.ret", ret.as_bytes())
            .await
            .unwrap();
        let f = &done.file;
        assert_eq!(
            (
                f.settled,
                f.divergent,
                f.unmatched,
                f.unmatched_amount,
                f.rejected
            ),
            (1, 1, 1, 5_000, 1)
        );
        let report = recon::report(&s, &admin_caller(), f.id, None)
            .await
            .unwrap();
        let outcomes: Vec<&str> = report.entries.iter().map(|e| e.outcome.as_str()).collect();
        assert_eq!(outcomes, vec!["divergent", "unmatched", "rejected"]);
        assert!(report.entries[0].message.contains("9000"));
        use InvoiceStatus::*;
        assert_eq!(
            statuses(&s, ana).await,
            vec![(Overdue, 9_000), (Overdue, 0)]
        );

        // The queue: one open entry, assigned by hand to Ana's first invoice.
        let (queue, _) = unmatched::list(&s, &admin_caller(), Some("open"), None, 50)
            .await
            .unwrap();
        assert_eq!(queue.len(), 1);
        let u = &queue[0];
        assert_eq!(
            (u.amount, u.reference.as_str()),
            (5_000, "99999990000000042")
        );
        assert_eq!(u.payer_name, "Pagador");
        assert_eq!(u.paid_on, "2026-05-05");
        let viewer = staff_with(PermissionSet::from_iter([Permission::PaymentsView]));
        assert!(matches!(
            unmatched::assign(&s, &viewer, u.id, ana, None, "").await,
            Err(Error::Forbidden(_))
        ));
        let mut ids = invoice_ids(&s, ana, "invoice").await;
        ids.sort();
        let (after, recorded) = unmatched::assign(
            &s,
            &admin_caller(),
            u.id,
            ana,
            Some(ids[0]),
            "Ana's transfer",
        )
        .await
        .unwrap();
        assert_eq!(after.status, "assigned");
        assert_eq!(after.payment_id, Some(recorded.payment.id));
        // 9.90 closes the first invoice, the rest goes to the second.
        assert_eq!(
            statuses(&s, ana).await,
            vec![(Paid, 9_990), (Overdue, 4_010)]
        );
        // Only once.
        assert!(
            unmatched::assign(&s, &admin_caller(), u.id, ana, None, "")
                .await
                .is_err()
        );
        assert!(
            unmatched::dismiss(&s, &admin_caller(), u.id, "no")
                .await
                .is_err()
        );
        let actions = audit_actions(&db).await;
        assert!(actions.iter().any(|a| a == "unmatched_payment.assign"));

        // Another unknown line, dismissed with a reason.
        let ret2 = simulate::return_240(
            Bank::BancoDoBrasil,
            2,
            date(2026, 5, 6),
            &[liquidation("99999990000000043", 100, 100)],
        )
        .unwrap();
        returns::process(&s, &admin_caller(), "ret2.ret", ret2.as_bytes())
            .await
            .unwrap();
        let (queue, _) = unmatched::list(&s, &admin_caller(), Some("open"), None, 50)
            .await
            .unwrap();
        assert_eq!(queue.len(), 1);
        assert!(
            unmatched::dismiss(&s, &admin_caller(), queue[0].id, " ")
                .await
                .is_err()
        );
        let d = unmatched::dismiss(&s, &admin_caller(), queue[0].id, "test line from the bank")
            .await
            .unwrap();
        assert_eq!(d.status, "dismissed");
    })
    .await;
}

#[tokio::test]
async fn recon_a_malformed_return_is_refused_naming_line_and_column() {
    each_engine(|db| async move {
        let s = svc(&db);
        let ret = simulate::return_240(
            Bank::BancoDoBrasil,
            1,
            date(2026, 5, 6),
            &[
                liquidation("99999990000000042", 5_000, 5_000),
                liquidation("99999990000000043", 5_000, 5_000),
            ],
        )
        .unwrap();
        // Line 5 is the second title's segment T: letters in its amount.
        let mut lines: Vec<String> = ret.split("\r\n").map(str::to_owned).collect();
        lines[4].replace_range(85..88, "ABC");
        let bad = lines.join("\r\n");
        let e = returns::process(&s, &admin_caller(), "bad.ret", bad.as_bytes())
            .await
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("line 5") && msg.contains("columns 82-96"),
            "{msg}"
        );
        // Nothing written: no file, no queue entry.
        let (files, _) = recon::list_files(&s, &admin_caller(), None, None, 50)
            .await
            .unwrap();
        assert!(files.is_empty());
        let (queue, _) = unmatched::list(&s, &admin_caller(), None, None, 50)
            .await
            .unwrap();
        assert!(queue.is_empty());
        // A remittance is not a return.
        let e = returns::process(&s, &admin_caller(), "x", b"")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
    })
    .await;
}

#[test]
fn recon_a_large_return_is_written_in_batches_and_read_whole() {
    let n = simulate::BATCH_TITLES + 1;
    let lines: Vec<simulate::Title> = (0..n)
        .map(|i| liquidation(&format!("12345670{i:09}"), 100, 100))
        .collect();
    let ret = simulate::return_240(Bank::BancoDoBrasil, 1, date(2026, 5, 6), &lines).unwrap();
    let parsed = returns::parse(ret.as_bytes()).unwrap();
    assert_eq!(parsed.titles.len(), n);
    // Header, two batches (header, records, trailer), trailer.
    assert_eq!(parsed.lines as usize, n * 2 + 6);
    assert_eq!(
        parsed.titles[n - 1].nosso_numero,
        format!("12345670{:09}", n - 1)
    );
    assert_eq!(parsed.titles[n - 1].paid, 100);
}

/// Everything a settlement writes, read back without ids or instants that
/// differ between two databases given the same history.
async fn books(s: &Services, customers: &[i64], since: (i64, i64, i64)) -> Vec<String> {
    let mut c = s.db.conn().await.unwrap();
    let mut out = Vec::new();
    macro_rules! rows {
        ($label:expr, $t:ty, $sql:expr) => {
            for r in sqlx::query_as::<_, $t>($sql)
                .fetch_all(&mut *c)
                .await
                .unwrap()
            {
                out.push(format!("{} {:?}", $label, r));
            }
        };
    }
    type Pay = (
        i64,
        String,
        String,
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
        i64,
        Option<String>,
        String,
    );
    rows!(
        "payment",
        Pay,
        "SELECT customer_id, kind, method, amount, received_on, gateway, reference, invoice_id,
            fee, receipt_number, notes FROM payments ORDER BY receipt_number, id"
    );
    rows!(
        "allocation",
        (Option<String>, i64, i64, String, i64),
        "SELECT p.receipt_number, a.invoice_id, a.amount, a.allocated_on, a.released
         FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
         ORDER BY p.receipt_number, a.id"
    );
    rows!(
        "invoice",
        (i64, String, String, i64, i64, Option<String>),
        "SELECT id, kind, status, total, paid, paid_on FROM invoices ORDER BY id"
    );
    rows!(
        "receipt mail",
        (String, String, Option<String>, String),
        "SELECT e.to_addr, e.subject, e.attachment_kind, p.receipt_number
         FROM email_outbox e JOIN payments p ON p.id = e.attachment_id
         WHERE e.attachment_kind = 'receipt' ORDER BY p.receipt_number"
    );
    rows!(
        "contract",
        (i64, String, Option<String>),
        "SELECT id, status, suspend_reason FROM contracts ORDER BY id"
    );
    rows!(
        "late charge",
        (i64, String, i64, i64),
        "SELECT contract_id, description, quantity, unit_price FROM pending_charges ORDER BY id"
    );
    rows!(
        "dunning step",
        (i64, String, String, i64, i64, Option<String>),
        "SELECT invoice_id, step, sent_on, amount, owed, closed_on FROM dunning_notices
         ORDER BY invoice_id, step"
    );
    rows!(
        "entry",
        (i64, String, String, i64, Option<String>, String),
        "SELECT e.line, e.nosso_numero, e.outcome, e.paid, p.receipt_number, e.message
         FROM cnab_file_entries e LEFT JOIN payments p ON p.id = e.payment_id
         ORDER BY e.file_id, e.line"
    );
    rows!(
        "charge",
        (String, String, Option<String>),
        "SELECT pc.external_id, pc.status, p.receipt_number FROM payment_charges pc
         LEFT JOIN payments p ON p.id = pc.payment_id ORDER BY pc.external_id"
    );
    // The change records, as multisets: the batch writes a chunk's in
    // another order than payment after payment.
    let mut changes: Vec<String> = Vec::new();
    for r in sqlx::query_as::<_, (String, String, String, Option<String>)>(
        "SELECT action, entity_kind, entity_id, after_json FROM audit_log WHERE id > $1",
    )
    .bind(since.0)
    .fetch_all(&mut *c)
    .await
    .unwrap()
    {
        changes.push(format!("audit {r:?}"));
    }
    for r in sqlx::query_as::<_, (String, String, String, String)>(
        "SELECT kind, entity_kind, entity_id, payload FROM domain_events WHERE id > $1",
    )
    .bind(since.1)
    .fetch_all(&mut *c)
    .await
    .unwrap()
    {
        changes.push(format!("event {r:?}"));
    }
    for r in sqlx::query_as::<_, (i64, String, String, Option<String>, String)>(
        "SELECT customer_id, kind, summary, entity_id, data FROM customer_events WHERE id > $1",
    )
    .bind(since.2)
    .fetch_all(&mut *c)
    .await
    .unwrap()
    {
        changes.push(format!("timeline {r:?}"));
    }
    changes.sort();
    out.extend(changes);
    drop(c);
    for id in customers {
        let credit = payments::customer_credit(s, &admin_caller(), *id)
            .await
            .unwrap();
        out.push(format!("credit {id} {credit}"));
    }
    out
}

/// Three customers with three invoices each and their boletos registered;
/// Caio's contract suspended for non-payment. Returns the customers and
/// each one's boletos (nosso número), oldest first.
async fn settle_scene(s: &Services) -> Vec<(i64, Vec<String>)> {
    let mut people = Vec::new();
    for (name, doc, email) in [
        ("Ana", "529.982.247-25", "ana@example.net"),
        ("Beatriz", "111.444.777-35", ""),
        ("Caio", "123.456.789-09", "caio@example.net"),
    ] {
        people.push(billed_customer(s, name, doc, email).await);
    }
    bill_months(s, 4).await;
    cnab_settings(s).await;
    remittance::generate(s, &admin_caller(), cnab::Format::Cnab240)
        .await
        .unwrap();
    contracts_suspend(s, people[2].1).await;
    let mut c = s.db.conn().await.unwrap();
    let mut out = Vec::new();
    for (customer, _) in &people {
        let nns: Vec<String> = sqlx::query_scalar(
            "SELECT pc.external_id FROM payment_charges pc JOIN invoices i ON i.id = pc.invoice_id
             WHERE i.customer_id = $1 AND pc.gateway = 'cnab' ORDER BY i.due_date, i.id",
        )
        .bind(*customer)
        .fetch_all(&mut *c)
        .await
        .unwrap();
        assert_eq!(nns.len(), 3);
        out.push((*customer, nns));
    }
    out
}

async fn contracts_suspend(s: &Services, contract: i64) {
    use domain::contracts::{Status, SuspendReason};
    services::contracts::transition(
        s,
        &admin_caller(),
        contract,
        Status::Suspended,
        Some(SuspendReason::NonPayment),
        "",
    )
    .await
    .unwrap();
}

/// Settles the scene's return files the `ledger` way: Caio's last boleto
/// alone first (so the big file finds it settled before), then a file with
/// on-time and late payments, an overpayment that closes the next invoice
/// and leaves credit, a payment whose boleto's invoice is paid already
/// (credit), a partial payment, two payments of one customer, a line
/// repeated, an unknown boleto and a rejection.
async fn settle_files(s: &Services, scene: &[(i64, Vec<String>)], ledger: returns::Ledger) {
    let (ana, bia, caio) = (&scene[0].1, &scene[1].1, &scene[2].1);
    let at = |mut t: simulate::Title, d: jiff::civil::Date| {
        t.credit_date = Some(d);
        t
    };
    let first = simulate::return_240(
        Bank::BancoDoBrasil,
        1,
        date(2026, 5, 6),
        &[liquidation(&caio[2], 9_990, 9_990)],
    )
    .unwrap();
    returns::process_with(s, &admin_caller(), "r1.ret", first.as_bytes(), ledger)
        .await
        .unwrap();
    let mut rejected = liquidation(&bia[2], 9_990, 0);
    rejected.occurrence = "03".into();
    rejected.reason = "0000000008".into();
    let lines = [
        at(liquidation(&ana[0], 9_990, 9_990), date(2026, 2, 12)),
        liquidation(&ana[1], 9_990, 24_990),
        liquidation(&ana[2], 9_990, 9_990),
        liquidation(&bia[0], 9_990, 5_000),
        liquidation(&bia[1], 9_990, 9_990),
        liquidation(&bia[0], 9_990, 5_000),
        liquidation(&caio[0], 9_990, 9_990),
        at(liquidation(&caio[1], 9_990, 9_990), date(2026, 4, 30)),
        liquidation(&caio[2], 9_990, 9_990),
        liquidation("99999990000000042", 5_000, 5_000),
        rejected,
    ];
    let second = simulate::return_240(Bank::BancoDoBrasil, 2, date(2026, 5, 6), &lines).unwrap();
    let done = returns::process_with(s, &admin_caller(), "r2.ret", second.as_bytes(), ledger)
        .await
        .unwrap();
    let f = &done.file;
    assert_eq!(
        (
            f.settled,
            f.divergent,
            f.already_settled,
            f.unmatched,
            f.rejected
        ),
        (7, 2, 2, 1, 1),
        "{ledger:?}"
    );
}

#[tokio::test]
async fn recon_batch_ledger_writes_the_books_one_payment_at_a_time_would() {
    each_engine(|db| async move {
        let other = match db.engine() {
            store::Engine::Sqlite => store::testing::sqlite().await,
            store::Engine::Postgres => store::testing::postgres().await,
        };
        let mut books_of = Vec::new();
        for (d, ledger) in [
            (&db, returns::Ledger::OneByOne),
            (&other, returns::Ledger::Batch),
        ] {
            let s = svc(d);
            let scene = settle_scene(&s).await;
            let since = {
                let mut c = d.conn().await.unwrap();
                let mut last = Vec::new();
                for t in ["audit_log", "domain_events", "customer_events"] {
                    last.push(
                        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                            "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM {t}"
                        )))
                        .fetch_one(&mut *c)
                        .await
                        .unwrap(),
                    );
                }
                (last[0], last[1], last[2])
            };
            settle_files(&s, &scene, ledger).await;
            let customers: Vec<i64> = scene.iter().map(|(c, _)| *c).collect();
            let b = books(&s, &customers, since).await;
            // What the scene must come to, whichever way it was written.
            let (ana, bia, caio) = (customers[0], customers[1], customers[2]);
            use InvoiceStatus::*;
            assert_eq!(
                statuses(&s, ana).await,
                vec![(Paid, 9_990), (Paid, 9_990), (Paid, 9_990)],
                "{ledger:?}"
            );
            assert_eq!(
                statuses(&s, bia).await,
                vec![(Overdue, 5_000), (Paid, 9_990), (Overdue, 0)],
                "{ledger:?}"
            );
            assert_eq!(
                statuses(&s, caio).await,
                vec![(Paid, 9_990), (Paid, 9_990), (Paid, 9_990)],
                "{ledger:?}"
            );
            assert!(b.contains(&format!("credit {ana} 15000")), "{b:#?}");
            assert!(b.contains(&format!("credit {caio} 0")), "{b:#?}");
            let contracts: Vec<&String> = b.iter().filter(|l| l.starts_with("contract ")).collect();
            assert_eq!(contracts.len(), 3, "{b:#?}");
            assert!(
                contracts.iter().all(|l| l.contains("\"active\"")),
                "Caio is reactivated: {b:#?}"
            );
            assert!(b.iter().any(|l| l.starts_with("late charge")), "{b:#?}");
            assert_eq!(
                b.iter().filter(|l| l.starts_with("receipt mail")).count(),
                6,
                "Ana's three and Caio's three: {b:#?}"
            );
            books_of.push(b);
        }
        let (one, batch) = (&books_of[0], &books_of[1]);
        for (a, b) in one.iter().zip(batch) {
            assert_eq!(a, b);
        }
        assert_eq!(one.len(), batch.len());
        other.close().await;
    })
    .await;
}
