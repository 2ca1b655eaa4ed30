//! The staff view of charges and refunds through gateways, on SQLite and
//! PostgreSQL against the fakes: the list filtered and paged, a Pix charge
//! canceled at the PSP (and left alone by the charge job until staff make
//! a new one, with its own txid), a Stripe session expired, the webhook
//! history of a charge, and refunds sent the way the payment came (PSP,
//! Stripe, PayPal) or recorded for money received by hand.

use ::gateways::fake::paypal::FakePaypal;
use ::gateways::fake::pix::FakePix;
use ::gateways::fake::stripe::FakeStripe;
use domain::Money;
use services::Error;
use services::payments::gateways::{self, charges, paypal, pix, stripe};
use store::payments::charges::Filter;
use store::testing::each_engine;

use crate::admin_caller;
use crate::cards::{self, BASE};
use crate::payment_gateways::{self as pg, pix_api};

fn filter() -> Filter {
    Filter {
        limit: 50,
        ..Filter::default()
    }
}

#[tokio::test]
async fn staff_list_cancel_and_recreate_a_pix_charge() {
    each_engine(|db| async move {
        let fake = FakePix::start().await;
        let s = crate::svc(&db);
        let (_, inv) = pg::one_invoice(&s).await;
        pix_api(&s, &fake).await;
        pix::charges_job(&s).await.unwrap();
        let c = pg::charges(&s, inv).await.remove(0);

        // The list: filtered by gateway, status and the txid; bad values named.
        let (rows, more) = charges::list(&s, &admin_caller(), &filter()).await.unwrap();
        assert_eq!((rows.len(), more), (1, false));
        assert_eq!(rows[0].charge.id, c.id);
        assert_eq!(rows[0].customer_name, "Ana");
        let by = |f: Filter| {
            let s = s.clone();
            async move {
                charges::list(&s, &admin_caller(), &f)
                    .await
                    .unwrap()
                    .0
                    .len()
            }
        };
        assert_eq!(
            by(Filter {
                gateway: Some("stripe".into()),
                ..filter()
            })
            .await,
            0
        );
        assert_eq!(
            by(Filter {
                status: Some("open".into()),
                search: Some(c.external_id.clone()),
                ..filter()
            })
            .await,
            1
        );
        assert!(matches!(
            charges::list(
                &s,
                &admin_caller(),
                &Filter {
                    status: Some("lost".into()),
                    ..filter()
                }
            )
            .await,
            Err(Error::Invalid {
                field: "status",
                ..
            })
        ));
        let d = charges::get(&s, &admin_caller(), c.id).await.unwrap();
        assert!(d.cancelable && !d.recreatable);

        // A viewer cannot cancel; a reason is required.
        let clerk = crate::staff_with(domain::PermissionSet::from_iter([
            domain::Permission::PaymentsView,
        ]));
        assert!(matches!(
            charges::cancel(&s, &clerk, c.id, "wrong amount").await,
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            charges::cancel(&s, &admin_caller(), c.id, " ").await,
            Err(Error::Invalid {
                field: "reason",
                ..
            })
        ));
        let d = charges::cancel(&s, &admin_caller(), c.id, "wrong amount")
            .await
            .unwrap();
        assert_eq!(d.charge.charge.status, "canceled");
        assert!(d.charge.charge.closed_by.is_some());
        assert!(d.recreatable);
        let client = pix::client(&s).await.unwrap();
        let at_psp = client
            .get_cobv(&::gateways::pix::Txid::new(&c.external_id).unwrap())
            .await
            .unwrap();
        assert_eq!(
            at_psp.status,
            ::gateways::pix::CobStatus::RemovidaPeloUsuarioRecebedor
        );
        assert_eq!(crate::audited(&s, "charge.cancel").await.len(), 1);
        assert!(matches!(
            charges::cancel(&s, &admin_caller(), c.id, "again").await,
            Err(Error::Refused("charge-not-open"))
        ));

        // The job leaves the invoice alone after a staff cancel.
        let note = pix::charges_job(&s).await.unwrap();
        assert!(note.starts_with("0 Pix charges created"), "{note}");

        // Staff make a new one: a txid of its own.
        let n = charges::recreate(&s, &admin_caller(), c.id, BASE)
            .await
            .unwrap();
        assert_eq!(n.charge.charge.status, "open");
        assert_ne!(n.charge.charge.external_id, c.external_id);
        assert_eq!(crate::audited(&s, "charge.recreate").await.len(), 1);
        assert!(matches!(
            charges::recreate(&s, &admin_caller(), c.id, BASE).await,
            Err(Error::Refused("charge-recreate-unsupported"))
        ));

        // Paid: the webhook is the new charge's history.
        let paid = fake.pay(&n.charge.charge.external_id, 9_990).await.unwrap();
        let body = serde_json::json!({ "pix": [paid] }).to_string();
        pix::handle_webhook(&s, body.as_bytes()).await.unwrap();
        let d = charges::get(&s, &admin_caller(), n.charge.charge.id)
            .await
            .unwrap();
        assert_eq!(d.charge.charge.status, "paid");
        assert_eq!(d.events.len(), 1);
        assert_eq!(d.events[0].event_id, paid.end_to_end_id);
        assert!(!d.cancelable && !d.recreatable);

        // Refunded through the services' one entry: the PSP gives it back.
        let p = d.charge.charge.payment_id.unwrap();
        assert_eq!(gateways::refund_gateway(&s, p).await.unwrap(), Some("psp"));
        let back = gateways::refund(&s, &admin_caller(), p, Money(990), "Desconto")
            .await
            .unwrap();
        assert_eq!(back.row.gateway.as_deref(), Some("psp"));
        assert!(matches!(
            gateways::refund(&s, &admin_caller(), p, Money(9_001), "Demais").await,
            Err(Error::Invalid {
                field: "amount",
                ..
            })
        ));
    })
    .await;
}

#[tokio::test]
async fn a_stripe_session_canceled_by_staff_is_expired_at_stripe() {
    each_engine(|db| async move {
        let s = crate::svc(&db);
        let fake = FakeStripe::start().await;
        cards::with_stripe(&s, &fake).await;
        let (ana, inv, pid) = cards::one_invoice(&s, "Bia Lima", "529.982.247-25").await;
        stripe::checkout(&s, &pid, BASE).await.unwrap();
        let c = pg::charges(&s, inv).await.remove(0);
        let d = charges::cancel(&s, &admin_caller(), c.id, "sent by mistake")
            .await
            .unwrap();
        assert_eq!(d.charge.charge.status, "canceled");
        assert_eq!(fake.object(&c.external_id).unwrap()["status"], "expired");

        // A new checkout; paid; the webhooks are its history; refunded
        // through Stripe by the one refund entry.
        let n = charges::recreate(&s, &admin_caller(), c.id, BASE)
            .await
            .unwrap();
        assert_ne!(n.charge.charge.external_id, c.external_id);
        fake.complete_checkout(&n.charge.charge.external_id)
            .await
            .unwrap();
        cards::deliver_stripe(&s, &fake, 0).await;
        let d = charges::get(&s, &admin_caller(), n.charge.charge.id)
            .await
            .unwrap();
        assert_eq!(d.charge.charge.status, "paid");
        assert!(!d.events.is_empty());
        let p = cards::payments_of(&s, ana).await.remove(0);
        let back = gateways::refund(&s, &admin_caller(), p.id, Money(1_000), "goodwill")
            .await
            .unwrap();
        assert!(back.row.reference.as_deref().unwrap().starts_with("re_"));
    })
    .await;
}

#[tokio::test]
async fn paypal_refunds_go_through_paypal_and_cash_ones_are_recorded() {
    each_engine(|db| async move {
        let s = crate::svc(&db);
        let fake = FakePaypal::start().await;
        cards::with_paypal(&s, &fake).await;
        let (ana, inv, pid) = cards::one_invoice(&s, "Caio Reis", "529.982.247-25").await;
        paypal::checkout(&s, &pid, BASE).await.unwrap();
        let order = pg::charges(&s, inv).await.remove(0);
        fake.approve(&order.external_id).await.unwrap();
        cards::deliver_paypal(&s, &fake, 0).await;
        let p = cards::payments_of(&s, ana).await.remove(0);
        assert_eq!(
            gateways::refund_gateway(&s, p.id).await.unwrap(),
            Some("paypal")
        );
        let back = gateways::refund(&s, &admin_caller(), p.id, Money(500), "partial")
            .await
            .unwrap();
        assert_eq!(back.row.gateway.as_deref(), Some("paypal"));
        let d = charges::get(&s, &admin_caller(), order.id).await.unwrap();
        assert!(!d.events.is_empty(), "the approval is the order's history");

        // Money received by hand is refunded by recording it.
        let cash = services::payments::record(
            &s,
            &admin_caller(),
            &services::payments::NewPayment {
                customer_id: ana,
                method: domain::payments::Method::Cash,
                amount: Money(2_000),
                received_on: "2026-02-11".into(),
                invoice_id: None,
                gateway: None,
                reference: None,
                fee: Money(0),
                notes: String::new(),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            gateways::refund_gateway(&s, cash.payment.id).await.unwrap(),
            None
        );
        let back = gateways::refund(&s, &admin_caller(), cash.payment.id, Money(2_000), "troco")
            .await
            .unwrap();
        assert_eq!(back.row.gateway, None);
    })
    .await;
}
