//! The service calls the admin pages add on top of the CRM: a customer and
//! their billing address in one transaction, status summaries, contract
//! lookup by number or login, and the audited password reveal.

use domain::Money;
use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
use services::contracts::{self, ContractInput};
use services::crm::{self, AddressInput, Created, CustomerInput};
use services::{Error, catalog};
use store::testing::each_engine;

use crate::{admin_caller, audited, svc};

fn maria() -> CustomerInput {
    CustomerInput {
        kind: "person".into(),
        name: "Maria Souza".into(),
        document: "529.982.247-25".into(),
        emails: vec!["maria@example.com".into()],
        ..Default::default()
    }
}

fn billing(cep: &str) -> AddressInput {
    AddressInput {
        street: "Rua das Flores".into(),
        number: "10".into(),
        city: "Florianópolis".into(),
        state: "SC".into(),
        postal_code: cep.into(),
        ..Default::default()
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
        price: Money(9990),
        billing_mode: BillingMode::Postpaid,
        cycle: Cycle::Monthly,
        installation_fee: Money::ZERO,
        loyalty_months: 0,
        early_termination_fee: Money::ZERO,
        tax_category: String::new(),
        technology: Technology::Fiber,
        suspended_behavior: SuspendedBehavior::Reject,
        active: true,
        public: true,
    }
}

#[tokio::test]
async fn customer_and_billing_address_are_saved_together() {
    each_engine(|db| async move {
        let s = svc(&db);
        // A bad CEP names the billing field and writes nothing at all.
        let err =
            crm::create_customer_with_billing(&s, &admin_caller(), &maria(), Some(&billing("123")))
                .await
                .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Invalid {
                    field: "billing_postal_code",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            crm::search(&s, &admin_caller(), "529.982.247-25", 5)
                .await
                .unwrap()
                .is_empty()
        );

        let Created::Customer(created) = crm::create_customer_with_billing(
            &s,
            &admin_caller(),
            &maria(),
            Some(&billing("88010-000")),
        )
        .await
        .unwrap() else {
            panic!("no duplicates expected");
        };
        let id = created.id;
        let addrs = crm::addresses(&s, &admin_caller(), id).await.unwrap();
        assert_eq!(addrs.len(), 1);
        assert_eq!(addrs[0].kind, "billing");
        assert_eq!(addrs[0].postal_code, "88010000");

        // Editing replaces the billing address rather than adding another.
        let mut changed = maria();
        changed.name = "Maria Souza Lima".into();
        crm::update_customer_with_billing(
            &s,
            &admin_caller(),
            id,
            &changed,
            Some(&billing("88015-100")),
        )
        .await
        .unwrap();
        let addrs = crm::addresses(&s, &admin_caller(), id).await.unwrap();
        assert_eq!(addrs.len(), 1);
        assert_eq!(addrs[0].postal_code, "88015100");
        assert_eq!(
            crm::get_customer(&s, &admin_caller(), id)
                .await
                .unwrap()
                .name,
            "Maria Souza Lima"
        );
        assert_eq!(audited(&s, "customer.address.update").await.len(), 1);
        // A failed edit changes neither the customer nor the address.
        let mut bad = changed.clone();
        bad.name = "Someone Else".into();
        let err =
            crm::update_customer_with_billing(&s, &admin_caller(), id, &bad, Some(&billing("x")))
                .await
                .unwrap_err();
        assert!(matches!(
            err,
            Error::Invalid {
                field: "billing_postal_code",
                ..
            }
        ));
        assert_eq!(
            crm::get_customer(&s, &admin_caller(), id)
                .await
                .unwrap()
                .name,
            "Maria Souza Lima"
        );
    })
    .await;
}

#[tokio::test]
async fn summaries_lookup_and_password_reveal() {
    each_engine(|db| async move {
        let s = svc(&db);
        let Created::Customer(created) = crm::create_customer(&s, &admin_caller(), &maria())
            .await
            .unwrap()
        else {
            panic!("no duplicates expected");
        };
        let c = created.id;
        let p = catalog::create_plan(&s, &admin_caller(), &plan())
            .await
            .unwrap()
            .id;
        let input = ContractInput {
            customer_id: c,
            plan_id: p,
            billing_day: 10,
            login: "maria.souza".into(),
            password: "pw-secret-1".into(),
            ..Default::default()
        };
        let k1 = contracts::create(&s, &admin_caller(), &input)
            .await
            .unwrap()
            .id;
        let k2 = contracts::create(
            &s,
            &admin_caller(),
            &ContractInput {
                login: "maria.souza2".into(),
                ..input.clone()
            },
        )
        .await
        .unwrap()
        .id;
        contracts::transition(
            &s,
            &admin_caller(),
            k2,
            domain::contracts::Status::Canceled,
            None,
            "",
        )
        .await
        .unwrap();

        let sums = crm::status_summaries(&s, &admin_caller(), &[c, c + 1000])
            .await
            .unwrap();
        assert_eq!(
            sums.get(&c).unwrap(),
            &vec![
                ("canceled".to_owned(), 1),
                ("pending_installation".to_owned(), 1)
            ]
        );
        assert!(!sums.contains_key(&(c + 1000)));

        let number = contracts::get(&s, &admin_caller(), k1)
            .await
            .unwrap()
            .number;
        let short = number.trim_start_matches('0');
        assert_eq!(
            contracts::search(&s, &admin_caller(), short).await.unwrap()[0].id,
            k1
        );
        assert_eq!(
            contracts::search(&s, &admin_caller(), "MARIA.SOUZA2")
                .await
                .unwrap()[0]
                .id,
            k2
        );
        assert!(
            contracts::search(&s, &admin_caller(), "nobody")
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            contracts::search(&s, &admin_caller(), "  ")
                .await
                .unwrap()
                .is_empty()
        );

        assert_eq!(
            contracts::reveal_credentials(&s, &admin_caller(), k1)
                .await
                .unwrap()
                .1,
            "pw-secret-1"
        );
        let views = audited(&s, "contract.credentials.view").await;
        assert_eq!(views.len(), 1);
        assert_eq!(views[0].entity_id, k1.to_string());
        assert_eq!(
            contracts::items(&s, &admin_caller(), k1).await.unwrap(),
            vec![]
        );
    })
    .await;
}
