//! The documents a customer receives, on SQLite and PostgreSQL: the
//! invoice and credit note PDF (its text read back with poppler), the
//! statement with its running balance, and the e-mail queued once per
//! document and sent with the PDF attached.

use base64::Engine as _;
use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
use domain::{Money, PermissionSet};
use jiff::civil::date;
use services::billing::documents::{self, CreditLine};
use services::billing::taxes::{self, TaxInput};
use services::billing::{Policy, mail, pdf, run, statement};
use services::contracts::{self, ContractInput};
use services::crm::{self, Created, CustomerInput};
use services::{Caller, Error, Services, catalog};
use store::billing::documents::Filter;
use store::testing::each_engine;

use crate::email::{configure_smtp, smtp_sink};
use crate::{admin_caller, audited, staff_with, svc};

fn console() -> Caller {
    Caller::Cli {
        name: "test".into(),
    }
}

fn plan() -> Plan {
    Plan {
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
    }
}

/// A customer with a contract (billing day 10, from 2026-01-10) under
/// ICMS, PIS and COFINS; returns (customer, contract).
pub(crate) async fn billed_customer(
    s: &Services,
    name: &str,
    doc: &str,
    email: &str,
) -> (i64, i64) {
    let input = CustomerInput {
        kind: "person".into(),
        name: name.into(),
        document: doc.into(),
        emails: if email.is_empty() {
            Vec::new()
        } else {
            vec![email.into()]
        },
        ..Default::default()
    };
    let customer = match crm::create_customer(s, &admin_caller(), &input)
        .await
        .unwrap()
    {
        Created::Customer(c) => c.id,
        Created::Duplicates(d) => panic!("unexpected duplicates {d:?}"),
    };
    if taxes::list(s, &console()).await.unwrap().is_empty() {
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
    let plan_id = match catalog::create_plan(s, &admin_caller(), &plan()).await {
        Ok(p) => p.id,
        Err(_) => {
            catalog::plan_names(s, &admin_caller())
                .await
                .unwrap()
                .into_iter()
                .next()
                .unwrap()
                .0
        }
    };
    let contract = contracts::create(
        s,
        &admin_caller(),
        &ContractInput {
            customer_id: customer,
            plan_id,
            billing_day: 10,
            start_date: "2026-01-10".into(),
            login: format!("login{customer}"),
            password: "first-pw".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    let mut tx = s.db.begin().await.unwrap();
    sqlx::query("UPDATE contracts SET status = 'active' WHERE id = $1")
        .bind(contract)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (customer, contract)
}

pub(crate) async fn invoice_ids(s: &Services, customer_id: i64, kind: &str) -> Vec<i64> {
    let (docs, _) = documents::list(
        s,
        &console(),
        &Filter {
            kind: Some(kind.into()),
            customer_id: Some(customer_id),
            limit: 500,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    docs.iter().rev().map(|d| d.id).collect()
}

pub(crate) fn pdftotext(pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF-"));
    let path = crate::data_dir().join("document.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils, installed by scripts/test)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn invoice_and_credit_note_pdfs_show_lines_taxes_and_totals() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (ana, _) = billed_customer(&s, "Ana Conceição", "529.982.247-25", "").await;
        let (bruno, _) = billed_customer(&s, "Bruno", "111.444.777-35", "").await;
        run::run(&s, &console(), date(2026, 2, 10), &Policy::default())
            .await
            .unwrap();
        let id = invoice_ids(&s, ana, "invoice").await[0];

        let (name, bytes) = pdf::invoice(&s, &admin_caller(), id).await.unwrap();
        assert_eq!(name, "fatura-2026-000001.pdf");
        let text = pdftotext(&bytes);
        for want in [
            "Fatura 2026-000001",
            "Ana Conceição",
            "10/01/2026",
            "09/02/2026",
            "ICMS",
            "PIS",
            "COFINS",
            "18 %",
            "0,65 %",
            "R$ 17,98",
            "R$ 99,90",
            "Total a pagar",
            "20/02/2026",
            "arredondado à menor unidade da moeda (R$ 0,01)",
            "Pagamento",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }

        // A credit note: its own title, the invoice it credits, no payment.
        let note = documents::credit(
            &s,
            &console(),
            id,
            &[CreditLine {
                line_id: services::billing::documents::get(&s, &console(), id)
                    .await
                    .unwrap()
                    .lines[0]
                    .id,
                amount: Some(Money(2_000)),
            }],
            "Dois dias sem serviço",
            &Policy::default(),
        )
        .await
        .unwrap();
        let (name, bytes) = pdf::invoice(&s, &admin_caller(), note).await.unwrap();
        assert_eq!(name, "nota-de-credito-NC2026-000001.pdf");
        let text = pdftotext(&bytes);
        for want in [
            "Nota de crédito NC2026-000001",
            "Referente à fatura 2026-000001",
            "Dois dias sem serviço",
            "20,00",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
        assert!(!text.contains("Pagamento"), "{text}");

        // The edited English template, with a section placeholder.
        pdf::save_template(
            &s,
            &admin_caller(),
            "en",
            "# {{document.title}} {{document.number}}\n\nFor {{customer.name}}.\n\n{{totals}}",
        )
        .await
        .unwrap();
        assert!(
            !pdf::template(&s, &admin_caller(), "en")
                .await
                .unwrap()
                .is_default
        );
        assert_eq!(audited(&s, "invoice_template.update").await.len(), 1);
        let e = pdf::save_template(&s, &admin_caller(), "en", "{{invoice.numero}}")
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::Invalid { field: "body", .. })
                && e.to_string().contains("invoice.numero"),
            "{e}"
        );
        let preview = pdftotext(
            &pdf::preview(
                &s,
                &admin_caller(),
                "en",
                "# {{document.title}}\n\n{{taxes}}",
            )
            .await
            .unwrap(),
        );
        assert!(
            preview.contains("Invoice") && preview.contains("COFINS"),
            "{preview}"
        );

        // Who may read it: billing.view, or the customer itself.
        assert!(matches!(
            pdf::invoice(&s, &staff_with(PermissionSet::default()), id).await,
            Err(Error::Forbidden(_))
        ));
        let own = Caller::Customer {
            customer_id: ana,
            name: "Ana".into(),
            source_ip: None,
        };
        assert!(pdf::invoice(&s, &own, id).await.is_ok());
        let other = Caller::Customer {
            customer_id: bruno,
            name: "Bruno".into(),
            source_ip: None,
        };
        assert!(matches!(
            pdf::invoice(&s, &other, id).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            pdf::invoice(&s, &admin_caller(), id + 1000).await,
            Err(Error::NotFound)
        ));
    })
    .await;
}

#[tokio::test]
async fn a_statement_carries_the_balance_forward() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (ana, _) = billed_customer(&s, "Ana", "529.982.247-25", "").await;
        let (bruno, _) = billed_customer(&s, "Bruno", "111.444.777-35", "").await;
        for m in [2, 3, 4] {
            run::run(&s, &console(), date(2026, m, 10), &Policy::default())
                .await
                .unwrap();
        }
        let ids = invoice_ids(&s, ana, "invoice").await;
        assert_eq!(ids.len(), 3);
        // The March invoice voided: its credit note takes it all back.
        let note = documents::void(&s, &console(), ids[1], "Wrong plan", &Policy::default())
            .await
            .unwrap();

        let b = statement::balance(&s, &console(), ana).await.unwrap();
        assert_eq!(b.balance, 2 * 9_990);
        let open: Vec<i64> = b.open_invoices.iter().map(|o| o.id).collect();
        assert_eq!(open, vec![ids[0], ids[2]], "the voided one is not open");
        assert!(b.open_invoices.iter().all(|o| o.open == 9_990));

        let st = statement::statement(&s, &console(), ana, date(2026, 3, 1), date(2030, 12, 31))
            .await
            .unwrap();
        assert_eq!(st.opening, 9_990, "February's invoice is before the period");
        let rows: Vec<(i64, i64, i64)> = st
            .rows
            .iter()
            .map(|r| (r.id, r.amount, r.balance))
            .collect();
        assert_eq!(
            rows,
            vec![
                (ids[1], 9_990, 19_980),
                (ids[2], 9_990, 29_970),
                (note, -9_990, 19_980),
            ]
        );
        assert_eq!(st.rows[0].status, "voided");
        assert_eq!(st.rows[2].kind, statement::RowKind::CreditNote);
        let march = documents::get(&s, &console(), ids[1]).await.unwrap();
        assert_eq!(st.rows[2].reference, march.document.number);
        assert_eq!(st.closing, b.balance);

        // Only Ana's own documents, and only for who may see them.
        let other =
            statement::statement(&s, &console(), bruno, date(2026, 1, 1), date(2030, 12, 31))
                .await
                .unwrap();
        assert_eq!(other.rows.len(), 3);
        assert_eq!(other.closing, 3 * 9_990);
        assert!(matches!(
            statement::statement(&s, &console(), ana, date(2026, 5, 1), date(2026, 4, 1)).await,
            Err(Error::Invalid { field: "to", .. })
        ));
        let bruno_caller = Caller::Customer {
            customer_id: bruno,
            name: "Bruno".into(),
            source_ip: None,
        };
        assert!(matches!(
            statement::balance(&s, &bruno_caller, ana).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            statement::balance(&s, &staff_with(PermissionSet::default()), ana).await,
            Err(Error::Forbidden(_))
        ));

        let (name, bytes) =
            statement::statement_pdf(&s, &console(), ana, date(2026, 3, 1), date(2030, 12, 31))
                .await
                .unwrap();
        assert!(name.starts_with("extrato-"), "{name}");
        let text = pdftotext(&bytes);
        for want in [
            "Extrato da conta",
            "Saldo anterior",
            "R$ 99,90",
            "R$ 199,80",
            "R$ 299,70",
            "Saldo final",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
    })
    .await;
}

/// The parts of a MIME message the sink received: the PDF attachment's
/// bytes.
fn attached_pdf(data: &str) -> Vec<u8> {
    let start = data
        .find("Content-Type: application/pdf")
        .unwrap_or_else(|| panic!("no PDF part in\n{data}"));
    let part = &data[start..];
    let body_at = part.find("\n\n").unwrap() + 2;
    let b64: String = part[body_at..]
        .lines()
        .take_while(|l| !l.starts_with("--"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_mailed_once_with_their_pdf() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (ana, _) = billed_customer(&s, "Ana", "529.982.247-25", "ana@example.com").await;
        // No e-mail address: nothing to queue.
        let (bruno, _) = billed_customer(&s, "Bruno", "111.444.777-35", "").await;
        run::run(&s, &console(), date(2026, 2, 10), &Policy::default())
            .await
            .unwrap();
        let id = invoice_ids(&s, ana, "invoice").await[0];
        let mut c = s.db.conn().await.unwrap();
        let queued = store::system::outbox::for_document(&mut c, id)
            .await
            .unwrap();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].to_addr, "ana@example.com");
        let bruno_invoice = invoice_ids(&s, bruno, "invoice").await[0];
        assert!(
            store::system::outbox::for_document(&mut c, bruno_invoice)
                .await
                .unwrap()
                .is_empty()
        );
        drop(c);

        // Asking again (a retried run) queues nothing more.
        let mut tx = s.db.begin().await.unwrap();
        mail::queue_in(&mut tx, id).await.unwrap();
        tx.commit().await.unwrap();
        let mut c = s.db.conn().await.unwrap();
        assert_eq!(
            store::system::outbox::for_document(&mut c, id)
                .await
                .unwrap()
                .len(),
            1
        );
        drop(c);

        // Sent with the PDF attached, composed at send time.
        let (port, inbox) = smtp_sink(false).await;
        configure_smtp(&s, port).await;
        let r = services::system::email::drain(&s, &admin_caller(), None)
            .await
            .unwrap();
        assert_eq!(r.failed, 0, "{r:?}");
        let got = inbox.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].to, vec!["<ana@example.com>".to_owned()]);
        assert!(
            got[0].data.contains("fatura 2026-000001"),
            "{}",
            got[0].data
        );
        let text = pdftotext(&attached_pdf(&got[0].data));
        assert!(
            text.contains("Fatura 2026-000001") && text.contains("R$ 99,90"),
            "{text}"
        );
        let mut c = s.db.conn().await.unwrap();
        let sent = store::system::outbox::for_document(&mut c, id)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(sent.status, "sent");
        assert!(
            sent.subject.contains("fatura 2026-000001"),
            "{}",
            sent.subject
        );
        drop(c);

        // A credit note is mailed too, unless the setting is off.
        let line = documents::get(&s, &console(), id).await.unwrap().lines[0].id;
        let credit = |amount| CreditLine {
            line_id: line,
            amount: Some(Money(amount)),
        };
        let note = documents::credit(
            &s,
            &console(),
            id,
            &[credit(1_000)],
            "Outage",
            &Policy::default(),
        )
        .await
        .unwrap();
        let mut v = std::collections::BTreeMap::new();
        v.insert("email.send_invoices".to_owned(), "false".to_owned());
        services::system::settings::update(&s, &admin_caller(), &v)
            .await
            .unwrap();
        let quiet = documents::credit(
            &s,
            &console(),
            id,
            &[credit(500)],
            "Outage",
            &Policy::default(),
        )
        .await
        .unwrap();
        let mut c = s.db.conn().await.unwrap();
        assert_eq!(
            store::system::outbox::for_document(&mut c, note)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            store::system::outbox::for_document(&mut c, quiet)
                .await
                .unwrap()
                .is_empty()
        );
        drop(c);
        services::system::email::drain(&s, &admin_caller(), None)
            .await
            .unwrap();
        let got = inbox.lock().unwrap().clone();
        assert_eq!(got.len(), 2);
        let text = pdftotext(&attached_pdf(&got[1].data));
        assert!(text.contains("Referente à fatura 2026-000001"), "{text}");
    })
    .await;
}
