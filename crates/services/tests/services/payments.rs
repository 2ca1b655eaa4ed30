//! Payments in the books, on SQLite and PostgreSQL: oldest-first and named
//! allocation, partial payments, overpayment kept as credit and applied to
//! the next invoice a run issues, a gateway's repeated delivery recorded
//! once (also two at the same time), refunds and reversals opening
//! invoices again, permissions, the statement's running balance, aging
//! and the receipt PDF.

use domain::payments::{InvoiceStatus, Method};
use domain::{Money, Permission, PermissionSet};
use jiff::civil::date;
use services::billing::{Policy, documents, reports, run, statement};
use services::payments::{self, Filter, NewPayment, RefundVia};
use services::{Caller, Error, Services};
use store::testing::each_engine;

use crate::billing_docs::{billed_customer, invoice_ids, pdftotext};
use crate::{admin_caller, staff_with, svc};

fn console() -> Caller {
    Caller::Cli {
        name: "test".into(),
    }
}

fn cash(customer_id: i64, amount: i64) -> NewPayment {
    NewPayment {
        customer_id,
        method: Method::Cash,
        amount: Money(amount),
        received_on: "2026-05-02".into(),
        invoice_id: None,
        gateway: None,
        reference: None,
        fee: Money(0),
        notes: String::new(),
    }
}

fn pix(customer_id: i64, amount: i64, reference: &str) -> NewPayment {
    NewPayment {
        method: Method::Pix,
        gateway: Some("efi".into()),
        reference: Some(reference.into()),
        fee: Money(99),
        ..cash(customer_id, amount)
    }
}

/// Runs February to `months` (billing day 10): one 99.90 invoice each.
async fn bill_months(s: &Services, last: i8) {
    for m in 2..=last {
        run::run(s, &console(), date(2026, m, 10), &Policy::default())
            .await
            .unwrap();
    }
}

/// Each invoice's (status, paid) of the customer, oldest first.
async fn standings(s: &Services, customer_id: i64) -> Vec<(InvoiceStatus, i64)> {
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

#[tokio::test]
async fn payments_pay_oldest_first_then_keep_credit_for_the_next_invoice() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (ana, _) = billed_customer(&s, "Ana", "529.982.247-25", "ana@example.net").await;
        bill_months(&s, 4).await;
        let mut ids = invoice_ids(&s, ana, "invoice").await;
        ids.sort();
        assert_eq!(ids.len(), 3);
        use InvoiceStatus::*;
        assert_eq!(
            standings(&s, ana).await,
            vec![(Overdue, 0), (Overdue, 0), (Overdue, 0)]
        );

        // 150.00 in cash: February's paid, March's in part.
        let r = payments::record(&s, &admin_caller(), &cash(ana, 15_000))
            .await
            .unwrap();
        assert!(!r.duplicate);
        assert_eq!(r.credit_left, 0);
        let got: Vec<(i64, i64)> = r
            .allocations
            .iter()
            .map(|a| (a.invoice_id, a.amount))
            .collect();
        assert_eq!(got, vec![(ids[0], 9_990), (ids[1], 5_010)]);
        assert!(
            r.payment
                .receipt_number
                .as_deref()
                .unwrap()
                .starts_with("REC2026-")
        );
        assert_eq!(
            standings(&s, ana).await,
            vec![(Paid, 9_990), (Overdue, 5_010), (Overdue, 0)]
        );
        let inv = documents::get(&s, &console(), ids[0])
            .await
            .unwrap()
            .document;
        assert_eq!(inv.paid_on.as_deref(), Some("2026-05-02"));

        // Naming April's invoice pays it before March's rest.
        let named = NewPayment {
            invoice_id: Some(ids[2]),
            ..cash(ana, 9_990)
        };
        let r = payments::record(&s, &admin_caller(), &named).await.unwrap();
        let got: Vec<(i64, i64)> = r
            .allocations
            .iter()
            .map(|a| (a.invoice_id, a.amount))
            .collect();
        assert_eq!(got, vec![(ids[2], 9_990)]);

        // Too much: March's rest, then 150.40 of credit.
        let r = payments::record(&s, &admin_caller(), &cash(ana, 20_000))
            .await
            .unwrap();
        assert_eq!(r.allocations.len(), 1);
        assert_eq!(r.credit_left, 20_000 - 4_980);
        assert_eq!(
            payments::customer_credit(&s, &admin_caller(), ana)
                .await
                .unwrap(),
            15_020
        );
        assert_eq!(
            standings(&s, ana)
                .await
                .iter()
                .filter(|x| x.0 == Paid)
                .count(),
            3
        );

        // May's invoice is paid from the credit as the run issues it.
        bill_months(&s, 5).await;
        let st = standings(&s, ana).await;
        assert_eq!(st.len(), 4);
        assert_eq!(st[3], (Paid, 9_990));
        assert_eq!(
            payments::customer_credit(&s, &admin_caller(), ana)
                .await
                .unwrap(),
            15_020 - 9_990
        );
        // The balance is what is owed less the credit.
        let b = statement::balance(&s, &admin_caller(), ana).await.unwrap();
        assert_eq!(b.balance, -(15_020 - 9_990));
        assert_eq!(b.credit, 15_020 - 9_990);
        assert!(b.open_invoices.is_empty());

        // Refused input names its field; another customer's invoice too.
        let (bruno, _) = billed_customer(&s, "Bruno", "111.444.777-35", "").await;
        for (p, field) in [
            (cash(ana, 0), "amount"),
            (
                NewPayment {
                    received_on: "2026-13-01".into(),
                    ..cash(ana, 10)
                },
                "received_on",
            ),
            (
                NewPayment {
                    invoice_id: Some(ids[0]),
                    ..cash(bruno, 10)
                },
                "invoice_id",
            ),
            (
                NewPayment {
                    fee: Money(11),
                    ..cash(ana, 10)
                },
                "fee",
            ),
            (pix(ana, 10, "E1"), "method"),
        ] {
            match payments::record(&s, &admin_caller(), &p).await {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_gateway_delivery_is_recorded_once_even_at_the_same_time() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (ana, _) = billed_customer(&s, "Ana", "529.982.247-25", "").await;
        bill_months(&s, 2).await;
        let system = Caller::system("pix-webhook");
        let first = payments::record(&s, &system, &pix(ana, 9_990, "E0001"))
            .await
            .unwrap();
        let again = payments::record(&s, &system, &pix(ana, 9_990, "E0001"))
            .await
            .unwrap();
        assert!(again.duplicate && !first.duplicate);
        assert_eq!(again.payment.id, first.payment.id);

        // Two deliveries of a new reference at once: one row.
        let (p1, p2) = (pix(ana, 500, "E0002"), pix(ana, 500, "E0002"));
        let (a, b) = tokio::join!(
            payments::record(&s, &system, &p1),
            payments::record(&s, &system, &p2),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.payment.id, b.payment.id);
        assert!(a.duplicate != b.duplicate);
        let (rows, more) = payments::list(
            &s,
            &admin_caller(),
            &Filter {
                customer_id: Some(ana),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!((rows.len(), more), (2, false));
        // Receipts are numbered without gaps.
        let mut numbers: Vec<String> = rows
            .iter()
            .map(|r| r.receipt_number.clone().unwrap())
            .collect();
        numbers.sort();
        assert_eq!(numbers, vec!["REC2026-000001", "REC2026-000002"]);
        // Search by reference, filter by method.
        let (found, _) = payments::list(
            &s,
            &admin_caller(),
            &Filter {
                search: Some("E0002".into()),
                method: Some("pix".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(found.len(), 1);
        assert!(matches!(
            payments::list(
                &s,
                &admin_caller(),
                &Filter {
                    method: Some("barter".into()),
                    limit: 5,
                    ..Default::default()
                }
            )
            .await,
            Err(Error::Invalid {
                field: "method",
                ..
            })
        ));
    })
    .await;
}

#[tokio::test]
async fn refunds_and_reversals_open_invoices_again() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (ana, _) = billed_customer(&s, "Ana", "529.982.247-25", "").await;
        bill_months(&s, 3).await;
        let mut ids = invoice_ids(&s, ana, "invoice").await;
        ids.sort();
        // Both invoices paid and 10.00 of credit.
        let paid = payments::record(&s, &admin_caller(), &cash(ana, 2 * 9_990 + 1_000))
            .await
            .unwrap();
        let id = paid.payment.id;
        // 30.00 back: the credit first, then the newest invoice.
        let r = payments::refund(
            &s,
            &admin_caller(),
            id,
            Money(3_000),
            "charged twice",
            &RefundVia::Recorded,
        )
        .await
        .unwrap();
        assert_eq!(r.reopened, vec![(ids[1], 2_000)]);
        assert_eq!(r.row.kind, "refund");
        use InvoiceStatus::*;
        assert_eq!(
            standings(&s, ana).await,
            vec![(Paid, 9_990), (Overdue, 7_990)]
        );
        assert_eq!(
            payments::customer_credit(&s, &admin_caller(), ana)
                .await
                .unwrap(),
            0
        );
        // More than is left is refused, naming the amount.
        assert!(matches!(
            payments::refund(
                &s,
                &admin_caller(),
                id,
                Money(20_000),
                "x",
                &RefundVia::Recorded
            )
            .await,
            Err(Error::Invalid {
                field: "amount",
                ..
            })
        ));
        // A refund through a gateway is recorded once.
        let via = RefundVia::Gateway {
            gateway: "efi".into(),
            reference: "D0001".into(),
        };
        let g1 = payments::refund(&s, &admin_caller(), id, Money(100), "partial", &via)
            .await
            .unwrap();
        let g2 = payments::refund(&s, &admin_caller(), id, Money(100), "partial", &via)
            .await
            .unwrap();
        assert!(!g1.duplicate && g2.duplicate);
        assert_eq!(g1.row.id, g2.row.id);

        // The transfer bounced: everything left is taken back.
        let rev = payments::reverse(&s, &admin_caller(), id, "bounced")
            .await
            .unwrap();
        assert_eq!(rev.row.amount, 2 * 9_990 + 1_000 - 3_000 - 100);
        assert_eq!(standings(&s, ana).await, vec![(Overdue, 0), (Overdue, 0)]);
        assert!(matches!(
            payments::reverse(&s, &admin_caller(), id, "again").await,
            Err(Error::Refused("nothing-to-reverse"))
        ));
        // A refund is not a payment to refund.
        assert!(matches!(
            payments::refund(
                &s,
                &admin_caller(),
                rev.row.id,
                Money(1),
                "x",
                &RefundVia::Recorded
            )
            .await,
            Err(Error::Refused("not-a-payment"))
        ));
        let full = payments::get(&s, &admin_caller(), id).await.unwrap();
        assert_eq!(full.refundable, 0);
        assert_eq!(full.taken_back.len(), 3);

        // The statement: two invoices, the payment, the refunds, the
        // reversal, with the running balance.
        let st = statement::statement(&s, &admin_caller(), ana, date(2026, 1, 1), date(2030, 1, 1))
            .await
            .unwrap();
        let kinds: Vec<&str> = st.rows.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "invoice", "invoice", "payment", "refund", "refund", "reversal"
            ]
        );
        let last = st.rows.last().unwrap();
        assert_eq!(st.closing, 2 * 9_990);
        assert_eq!(last.balance, st.closing);
        let pay = st
            .rows
            .iter()
            .find(|r| r.kind == statement::RowKind::Payment)
            .unwrap();
        assert_eq!(pay.amount, -(2 * 9_990 + 1_000));
        assert_eq!(pay.method.as_deref(), Some("cash"));
    })
    .await;
}

#[tokio::test]
async fn permissions_are_checked_in_the_service() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (ana, _) = billed_customer(&s, "Ana", "529.982.247-25", "").await;
        bill_months(&s, 2).await;
        let viewer = staff_with([Permission::PaymentsView].into_iter().collect());
        assert!(matches!(
            payments::record(&s, &viewer, &cash(ana, 100)).await,
            Err(Error::Forbidden("payments.record"))
        ));
        let recorder = staff_with(
            [Permission::PaymentsView, Permission::PaymentsRecord]
                .into_iter()
                .collect(),
        );
        let p = payments::record(&s, &recorder, &cash(ana, 100)).await.unwrap();
        assert!(matches!(
            payments::refund(&s, &recorder, p.payment.id, Money(10), "x", &RefundVia::Recorded)
                .await,
            Err(Error::Forbidden("payments.refund"))
        ));
        assert!(matches!(
            payments::reverse(&s, &recorder, p.payment.id, "x").await,
            Err(Error::Forbidden("payments.refund"))
        ));
        let nobody = staff_with(PermissionSet::default());
        assert!(matches!(
            payments::list(&s, &nobody, &Filter { limit: 5, ..Default::default() }).await,
            Err(Error::Forbidden("payments.view"))
        ));
        assert!(matches!(
            payments::get(&s, &nobody, p.payment.id).await,
            Err(Error::Forbidden("payments.view"))
        ));
        // A customer reads its own payments only, and records none.
        let (bruno, _) = billed_customer(&s, "Bruno", "111.444.777-35", "").await;
        let bruno_caller = Caller::Customer {
            customer_id: bruno,
            name: "Bruno".into(),
            source_ip: None,
        };
        assert!(matches!(
            payments::get(&s, &bruno_caller, p.payment.id).await,
            Err(Error::NotFound)
        ));
        let (own, _) = payments::list(&s, &bruno_caller, &Filter { limit: 5, ..Default::default() })
            .await
            .unwrap();
        assert!(own.is_empty());
        assert!(matches!(
            payments::record(&s, &bruno_caller, &cash(bruno, 100)).await,
            Err(Error::Forbidden(_))
        ));
        // The change is audited with the payment.
        let mut c = s.db.conn().await.unwrap();
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'payment.record' AND entity_kind = 'payment'",
        )
        .fetch_one(&mut *c)
        .await
        .unwrap();
        assert_eq!(n, 1);
        let t: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM customer_events WHERE customer_id = $1 AND kind = 'payment.received'",
        )
        .bind(ana)
        .fetch_one(&mut *c)
        .await
        .unwrap();
        assert_eq!(t, 1);
    })
    .await;
}

#[tokio::test]
async fn aging_reads_payments_and_the_receipt_prints() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (ana, _) = billed_customer(&s, "Ana Conceição", "529.982.247-25", "ana@example.net").await;
        bill_months(&s, 3).await;
        let before = reports::aging(&s, &admin_caller(), "2026-06-01").await.unwrap();
        assert_eq!(before.total, Money(2 * 9_990));
        assert_eq!(before.invoices, 2);
        let p = payments::record(&s, &admin_caller(), &cash(ana, 12_000))
            .await
            .unwrap();
        let after = reports::aging(&s, &admin_caller(), "2026-06-01").await.unwrap();
        assert_eq!(after.total, Money(2 * 9_990 - 12_000));
        assert_eq!(after.invoices, 1);
        // As of a day before the payment, it was all open.
        let earlier = reports::aging(&s, &admin_caller(), "2026-05-01").await.unwrap();
        assert_eq!(earlier.total, Money(2 * 9_990));

        let (name, pdf) = payments::receipt::pdf(&s, &admin_caller(), p.payment.id)
            .await
            .unwrap();
        assert!(name.starts_with("recibo-REC2026-"), "{name}");
        let text = pdftotext(&pdf);
        for want in ["Recibo", "Ana Conceição", "120,00", "Dinheiro", "02/05/2026", "2026-000001"] {
            assert!(text.contains(want), "{want} in {text}");
        }
        // Queued by e-mail once, as a receipt.
        let mut c = s.db.conn().await.unwrap();
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM email_outbox WHERE attachment_kind = 'receipt' AND attachment_id = $1",
        )
        .bind(p.payment.id)
        .fetch_one(&mut *c)
        .await
        .unwrap();
        assert_eq!(n, 1);
        let composed = payments::receipt::compose(&s, p.payment.id).await.unwrap();
        assert!(composed.subject.contains("recibo"), "{}", composed.subject);
    })
    .await;
}

#[tokio::test]
async fn demo_data_pays_most_invoices_through_the_service() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (ana, _) = billed_customer(&s, "Ana", "529.982.247-25", "").await;
        bill_months(&s, 4).await;
        let (paid, refunds) = services::demo::pay_invoices(&s, &console()).await.unwrap();
        // Invoice ids 1–3 fall in the on-time slots.
        assert_eq!((paid, refunds), (3, 1));
        let st = standings(&s, ana).await;
        assert_eq!(st.len(), 3);
        let (rows, _) = payments::list(
            &s,
            &admin_caller(),
            &Filter {
                kind: Some("payment".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.gateway.as_deref() == Some("demo")));
        // Run again, nothing more is paid (each invoice is settled, each
        // reference recorded).
        let again = services::demo::pay_invoices(&s, &console()).await.unwrap();
        assert_eq!(again, (0, 0));
    })
    .await;
}

#[tokio::test]
async fn voiding_a_paid_invoice_gives_its_money_back_as_credit() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (ana, _) = billed_customer(&s, "Ana", "529.982.247-25", "").await;
        bill_months(&s, 3).await;
        let mut ids = invoice_ids(&s, ana, "invoice").await;
        ids.sort();
        let paid = payments::record(&s, &admin_caller(), &cash(ana, 9_990))
            .await
            .unwrap();
        assert_eq!(paid.allocations[0].invoice_id, ids[0]);
        documents::void(
            &s,
            &admin_caller(),
            ids[0],
            "billed in error",
            &Policy::default(),
        )
        .await
        .unwrap();
        assert_eq!(
            payments::customer_credit(&s, &admin_caller(), ana)
                .await
                .unwrap(),
            9_990
        );
        let full = payments::get(&s, &admin_caller(), paid.payment.id)
            .await
            .unwrap();
        assert_eq!(full.unapplied, 9_990);
        assert!(full.allocations.iter().any(|a| a.released == 1));
        // Aging and the balance agree: the voided invoice is settled, the
        // open one is owed less the credit.
        let b = statement::balance(&s, &admin_caller(), ana).await.unwrap();
        assert_eq!(b.balance, 0);
        let aging = reports::aging(&s, &admin_caller(), "2026-06-01")
            .await
            .unwrap();
        assert_eq!(aging.total, Money(9_990));
        // The next invoice is paid from it.
        bill_months(&s, 4).await;
        assert_eq!(
            payments::customer_credit(&s, &admin_caller(), ana)
                .await
                .unwrap(),
            0
        );
        // Refunding the payment now takes its money back from April's.
        let r = payments::refund(
            &s,
            &admin_caller(),
            paid.payment.id,
            Money(9_990),
            "gave it back",
            &RefundVia::Recorded,
        )
        .await
        .unwrap();
        let mut newest = invoice_ids(&s, ana, "invoice").await;
        newest.sort();
        assert_eq!(r.reopened, vec![(*newest.last().unwrap(), 9_990)]);
    })
    .await;
}
