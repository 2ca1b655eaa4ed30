//! Pix Automático against the Pix fake, on SQLite and PostgreSQL: a
//! contract enrolled (`/rec` + `/solicrec`), approved by the payer (the
//! recurrence webhook, or the sweep's poll when it is lost), its invoice
//! charged by `/cobr` instead of a cob/cobv, paid, and the payment
//! recorded once however often it is notified; bad input named; a
//! canceled enrolment stops the recurring charges.

use ::gateways::fake::pix::FakePix;
use domain::payments::InvoiceStatus;
use services::Error;
use services::payments::gateways::pix_automatico::{self, Enrolment};
use services::payments::gateways::{self, pix};
use store::testing::each_engine;

use crate::admin_caller;
use crate::payment_gateways::{charges, one_invoice, payments_of, pix_api, status};

async fn today(s: &services::Services) -> String {
    let mut c = s.db.conn().await.unwrap();
    services::crm::today(&mut c).await.unwrap().to_string()
}

async fn contract_of(s: &services::Services, invoice_id: i64) -> i64 {
    let mut c = s.db.conn().await.unwrap();
    store::billing::documents::get(&mut c, invoice_id)
        .await
        .unwrap()
        .contract_id
        .unwrap()
}

fn enrolment(valid_from: &str) -> Enrolment {
    Enrolment {
        amount_policy: "variable".into(),
        amount: None,
        valid_from: valid_from.into(),
        valid_to: None,
        payer_ispb: "60746948".into(),
        payer_agency: Some("0001".into()),
        payer_account: "123456".into(),
    }
}

#[tokio::test]
async fn an_approved_recurrence_pays_the_invoice_by_cobr_once() {
    each_engine(|db| async move {
        let fake = FakePix::start().await;
        let s = crate::svc(&db);
        let (customer, inv) = one_invoice(&s).await;
        pix_api(&s, &fake).await;
        let contract = contract_of(&s, inv).await;
        let today = today(&s).await;

        // Bad input is named, and nothing reaches the PSP.
        let before = fake.requests().len();
        for (bad, field) in [
            (
                Enrolment {
                    payer_ispb: "1234".into(),
                    ..enrolment(&today)
                },
                "payer_ispb",
            ),
            (
                Enrolment {
                    amount_policy: "fixed".into(),
                    ..enrolment(&today)
                },
                "amount",
            ),
            (enrolment("2020-01-01"), "valid_from"),
            (
                Enrolment {
                    amount_policy: "sometimes".into(),
                    ..enrolment(&today)
                },
                "amount_policy",
            ),
        ] {
            match pix_automatico::enrol(&s, &admin_caller(), contract, &bad).await {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        assert_eq!(fake.requests().len(), before);

        let r = pix_automatico::enrol(&s, &admin_caller(), contract, &enrolment(&today))
            .await
            .unwrap();
        assert_eq!(r.status, "created");
        assert!(r.solicrec_id.is_some());
        assert!(
            fake.requests()
                .iter()
                .any(|q| q.method == "POST" && q.uri.ends_with("/solicrec"))
        );
        assert!(matches!(
            pix_automatico::enrol(&s, &admin_caller(), contract, &enrolment(&today)).await,
            Err(Error::Refused("pix-recurrence-exists"))
        ));
        assert_eq!(crate::audited(&s, "pix_recurrence.enrol").await.len(), 1);

        // The payer approves in their bank's app; the PSP notifies.
        let rec = fake.approve_rec(&r.rec_id).await.unwrap();
        let body = serde_json::json!({ "recs": [rec] }).to_string();
        assert_eq!(
            pix_automatico::handle_rec_webhook(&s, body.as_bytes())
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            pix_automatico::handle_rec_webhook(&s, body.as_bytes())
                .await
                .unwrap(),
            0
        );
        let recs = pix_automatico::of_contract(&s, &admin_caller(), contract)
            .await
            .unwrap();
        assert_eq!(recs[0].status, "approved");

        // The charge job schedules a cobr, not a cob/cobv.
        let note = pix::charges_job(&s).await.unwrap();
        assert!(note.starts_with("1 Pix charges created"), "{note}");
        let c = charges(&s, inv).await.remove(0);
        assert_eq!(
            (c.method.as_str(), c.gateway.as_str(), c.status.as_str()),
            ("pix_automatico", "psp", "open")
        );
        assert!(
            fake.requests()
                .iter()
                .any(|q| q.method == "PUT" && q.uri.contains("/cobr/"))
        );
        assert!(
            !fake
                .requests()
                .iter()
                .any(|q| q.method == "PUT" && (q.uri.contains("/cob/") || q.uri.contains("/cobv/")))
        );

        // Paid on its day; the PSP notifies twice.
        fake.pay(&c.external_id, 9_990).await.unwrap();
        let client = pix::client(&s).await.unwrap();
        let cobr = client
            .get_cobr(&::gateways::pix::Txid::new(&c.external_id).unwrap())
            .await
            .unwrap();
        let body = serde_json::json!({ "cobsr": [cobr] }).to_string();
        let r1 = pix_automatico::handle_cobr_webhook(&s, body.as_bytes())
            .await
            .unwrap();
        assert_eq!((r1.recorded, r1.repeated), (1, 0));
        let r2 = pix_automatico::handle_cobr_webhook(&s, body.as_bytes())
            .await
            .unwrap();
        assert_eq!((r2.recorded, r2.repeated), (0, 1));
        assert_eq!(status(&s, inv).await, (InvoiceStatus::Paid, 9_990));
        // The sweep lists it too and records nothing more.
        let note = pix::sweep(&s).await.unwrap();
        assert!(note.contains("0 recorded"), "{note}");
        let ps = payments_of(&s, customer).await;
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].method, "pix_automatico");
        let c = charges(&s, inv).await.remove(0);
        assert_eq!(c.status, "paid");
        // The notification is the charge's history.
        let detail = gateways::charges::get(&s, &admin_caller(), c.id)
            .await
            .unwrap();
        assert_eq!(detail.events.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_lost_approval_is_found_by_the_sweep_and_a_canceled_enrolment_stops_cobr() {
    each_engine(|db| async move {
        let fake = FakePix::start().await;
        let s = crate::svc(&db);
        let (_, inv) = one_invoice(&s).await;
        pix_api(&s, &fake).await;
        let contract = contract_of(&s, inv).await;
        let today = today(&s).await;
        let r = pix_automatico::enrol(&s, &admin_caller(), contract, &enrolment(&today))
            .await
            .unwrap();
        fake.approve_rec(&r.rec_id).await.unwrap();
        let note = pix::sweep(&s).await.unwrap();
        assert!(note.contains("1 recurrences changed"), "{note}");
        let recs = pix_automatico::of_contract(&s, &admin_caller(), contract)
            .await
            .unwrap();
        assert_eq!(recs[0].status, "approved");

        // A clerk who may only look cannot cancel it.
        let clerk = crate::staff_with(domain::PermissionSet::from_iter([
            domain::Permission::PaymentsView,
        ]));
        assert!(matches!(
            pix_automatico::cancel(&s, &clerk, r.id, "customer asked").await,
            Err(Error::Forbidden(_))
        ));
        let after = pix_automatico::cancel(&s, &admin_caller(), r.id, "customer asked")
            .await
            .unwrap();
        assert_eq!(after.status, "canceled");
        assert!(
            fake.requests()
                .iter()
                .any(|q| q.method == "PATCH" && q.uri.contains("/rec/"))
        );
        assert_eq!(crate::audited(&s, "pix_recurrence.cancel").await.len(), 1);

        // Without a live recurrence the invoice gets an ordinary charge.
        pix::charges_job(&s).await.unwrap();
        let c = charges(&s, inv).await.remove(0);
        assert_eq!(c.method, "pix");
    })
    .await;
}
