//! KYC documents, custom customer fields and the contract PDF through the
//! services, on SQLite and PostgreSQL.

use std::collections::BTreeMap;

use domain::Money;
use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
use services::contracts::{self, ContractInput};
use services::crm::custom_fields::{self, DefInput};
use services::crm::documents::{self, Upload};
use services::crm::{self, Created, CustomerInput};
use services::{Error, Services, catalog, contracts::document as contract_document};
use store::testing::each_engine;

use crate::{admin_caller, audited, svc};

fn person(name: &str, doc: &str) -> CustomerInput {
    CustomerInput {
        kind: "person".into(),
        name: name.into(),
        document: doc.into(),
        ..Default::default()
    }
}

async fn customer(s: &Services, input: &CustomerInput) -> Result<i64, Error> {
    match crm::create_customer(s, &admin_caller(), input).await? {
        Created::Customer(c) => Ok(c.id),
        Created::Duplicates(d) => panic!("unexpected duplicates {d:?}"),
    }
}

fn field_of<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
    match r {
        Err(Error::Invalid { field, .. }) => field.to_owned(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-rest-of-image";

#[tokio::test]
async fn documents_upload_review_download_delete() {
    each_engine(|db| async move {
        let s = svc(&db);
        let c = customer(&s, &person("João da Silva", "529.982.247-25"))
            .await
            .unwrap();
        let up = |kind: &'static str, filename: &'static str, data: &'static [u8]| Upload {
            customer_id: c,
            kind,
            filename,
            data,
        };
        let id = documents::upload(&s, &admin_caller(), &up("identity", "rg.png", PNG))
            .await
            .unwrap()
            .id;
        let pdf = documents::upload(
            &s,
            &admin_caller(),
            &up("proof_of_address", "conta", b"%PDF-1.4 x"),
        )
        .await
        .unwrap()
        .id;

        // Refusals name the field.
        assert_eq!(
            field_of(
                documents::upload(&s, &admin_caller(), &up("identity", "a.exe", b"MZ\x90\0")).await
            ),
            "file"
        );
        assert_eq!(
            field_of(documents::upload(&s, &admin_caller(), &up("identity", "rg.pdf", PNG)).await),
            "file"
        );
        assert_eq!(
            field_of(documents::upload(&s, &admin_caller(), &up("selfie", "rg.png", PNG)).await),
            "kind"
        );
        let big = vec![b'%'; documents::MAX_SIZE + 1];
        let e = documents::upload(
            &s,
            &admin_caller(),
            &Upload {
                customer_id: c,
                kind: "other",
                filename: "x.pdf",
                data: &big,
            },
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("10 MiB"), "{e}");
        assert!(matches!(
            documents::upload(
                &s,
                &admin_caller(),
                &Upload {
                    customer_id: 999_999,
                    ..up("identity", "rg.png", PNG)
                }
            )
            .await,
            Err(Error::NotFound)
        ));

        let list = documents::list(&s, &admin_caller(), c).await.unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].filename, "conta.pdf");
        assert_eq!(list[0].content_type, "application/pdf");
        assert_eq!(list[1].status, "pending");
        assert_eq!(list[1].uploaded_by_name, "admin");

        // Encrypted at rest: the stored bytes are not the file.
        let mut conn = db.conn().await.unwrap();
        let stored = store::crm::documents::data(&mut conn, c, id).await.unwrap();
        assert!(!stored.windows(4).any(|w| w == b"IHDR"));
        drop(conn);
        let (doc, bytes) = documents::download(&s, &admin_caller(), c, id)
            .await
            .unwrap();
        assert_eq!(bytes, PNG);
        assert_eq!(doc.content_type, "image/png");
        // A document is only reachable under its own customer.
        let other = customer(&s, &person("Ana Lima", "111.444.777-35"))
            .await
            .unwrap();
        assert!(matches!(
            documents::download(&s, &admin_caller(), other, id).await,
            Err(Error::NotFound)
        ));

        documents::verify(&s, &admin_caller(), c, id).await.unwrap();
        let d = documents::get(&s, &admin_caller(), c, id).await.unwrap();
        assert_eq!(d.status, "verified");
        assert_eq!(d.verified_by, Some(1));
        assert!(d.verified_at.is_some());
        assert_eq!(
            field_of(documents::reject(&s, &admin_caller(), c, pdf, " ").await),
            "reason"
        );
        documents::reject(&s, &admin_caller(), c, pdf, "Ilegível")
            .await
            .unwrap();
        let d = documents::get(&s, &admin_caller(), c, pdf).await.unwrap();
        assert_eq!(
            (d.status.as_str(), d.rejection_reason.as_str()),
            ("rejected", "Ilegível")
        );

        documents::delete(&s, &admin_caller(), c, pdf)
            .await
            .unwrap();
        assert_eq!(
            documents::list(&s, &admin_caller(), c).await.unwrap().len(),
            1
        );
        assert!(matches!(
            documents::delete(&s, &admin_caller(), c, pdf).await,
            Err(Error::NotFound)
        ));

        for action in [
            "customer_document.upload",
            "customer_document.verify",
            "customer_document.reject",
            "customer_document.delete",
        ] {
            assert!(!audited(&s, action).await.is_empty(), "{action}");
        }
        let (events, _) = crm::timeline(&s, &admin_caller(), c, Some("document."), None, 50)
            .await
            .unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        for k in [
            "document.uploaded",
            "document.verified",
            "document.rejected",
            "document.deleted",
        ] {
            assert!(kinds.contains(&k), "{k} in {kinds:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn custom_fields_are_defined_and_enforced() {
    each_engine(|db| async move {
        let s = svc(&db);
        let def = |key: &str, kind: &str, required: bool, choices: &[&str]| DefInput {
            key: key.into(),
            label: key.to_uppercase(),
            kind: kind.into(),
            choices: choices.iter().map(|c| c.to_string()).collect(),
            required,
            position: 0,
        };
        custom_fields::create(&s, &admin_caller(), &def("rg", "text", true, &[]))
            .await
            .unwrap();
        custom_fields::create(&s, &admin_caller(), &def("renda", "number", false, &[]))
            .await
            .unwrap();
        custom_fields::create(
            &s,
            &admin_caller(),
            &def("origem", "choice", false, &["site", "indicação"]),
        )
        .await
        .unwrap();
        assert!(matches!(
            custom_fields::create(&s, &admin_caller(), &def("rg", "text", false, &[])).await,
            Err(Error::Conflict(_))
        ));
        assert_eq!(
            field_of(
                custom_fields::create(&s, &admin_caller(), &def("x", "choice", false, &[])).await
            ),
            "choices"
        );
        let defs = custom_fields::definitions(&s, &admin_caller())
            .await
            .unwrap();
        assert_eq!(defs.len(), 3);
        assert!(
            defs.iter()
                .any(|d| d.key == "origem" && d.choices == ["site", "indicação"])
        );

        let mut input = person("João da Silva", "529.982.247-25");
        assert_eq!(field_of(customer(&s, &input).await), "custom_fields.rg");
        input.custom_fields = BTreeMap::from([
            ("rg".to_string(), "12.345.678-9".to_string()),
            ("origem".to_string(), "rádio".to_string()),
        ]);
        assert_eq!(field_of(customer(&s, &input).await), "custom_fields.origem");
        input
            .custom_fields
            .insert("origem".into(), "indicação".into());
        input.custom_fields.insert("cor".into(), "azul".into());
        assert_eq!(field_of(customer(&s, &input).await), "custom_fields.cor");
        input.custom_fields.remove("cor");
        input.custom_fields.insert("renda".into(), "abc".into());
        assert_eq!(field_of(customer(&s, &input).await), "custom_fields.renda");
        input.custom_fields.insert("renda".into(), "2500,75".into());
        let id = customer(&s, &input).await.unwrap();
        let c = crm::get_customer(&s, &admin_caller(), id).await.unwrap();
        assert_eq!(c.custom_fields["renda"], "2500.75");

        input.custom_fields.insert("rg".into(), "".into());
        assert_eq!(
            field_of(crm::update_customer(&s, &admin_caller(), id, &input).await),
            "custom_fields.rg"
        );

        // A field in use cannot be deleted; an unused one can.
        assert!(matches!(
            custom_fields::delete(&s, &admin_caller(), "renda").await,
            Err(Error::Refused("custom-field-in-use"))
        ));
        custom_fields::update(
            &s,
            &admin_caller(),
            "origem",
            &def("ignored", "choice", false, &["site", "indicação", "rádio"]),
        )
        .await
        .unwrap();
        custom_fields::create(&s, &admin_caller(), &def("vazio", "date", false, &[]))
            .await
            .unwrap();
        custom_fields::delete(&s, &admin_caller(), "vazio")
            .await
            .unwrap();
        assert_eq!(
            custom_fields::definitions(&s, &admin_caller())
                .await
                .unwrap()
                .len(),
            3
        );
        for action in [
            "custom_field.create",
            "custom_field.update",
            "custom_field.delete",
        ] {
            assert!(!audited(&s, action).await.is_empty(), "{action}");
        }
    })
    .await;
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
        installation_fee: Money(5000),
        loyalty_months: 12,
        early_termination_fee: Money(30000),
        tax_category: "scm".into(),
        technology: Technology::Fiber,
        suspended_behavior: SuspendedBehavior::Restricted,
        active: true,
        public: true,
    }
}

fn pdftotext(pdf: &[u8]) -> String {
    let path = crate::data_dir().join("contract.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args([path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils, installed by scripts/test)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn contract_pdf_from_the_edited_template() {
    each_engine(|db| async move {
        let s = svc(&db);
        let c = customer(&s, &person("Conceição Araújo", "529.982.247-25")).await.unwrap();
        let p = catalog::create_plan(&s, &admin_caller(), &plan()).await.unwrap().id;
        let k = contracts::create(
            &s, &admin_caller(),
            &ContractInput {
                customer_id: c,
                plan_id: p,
                billing_day: 10,
                start_date: "2026-03-01".into(),
                ..Default::default()
            })
        .await
        .unwrap().id;

        // The default Portuguese template.
        let text = pdftotext(&contract_document::render_in(&s, &admin_caller(), k, "pt-BR").await.unwrap());
        for want in ["Conceição Araújo", "R$ 99,90", "300 Mbps", "fidelidade", "01/03/2026", "Página 1 de"] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }

        // An edited template; unknown placeholders are refused by name.
        let e = contract_document::save_template(&s, &admin_caller(), "pt-BR", "# T\n{{cliente.nome}}")
            .await
            .unwrap_err();
        assert!(matches!(&e, Error::Invalid { field: "body", .. }) && e.to_string().contains("cliente.nome"), "{e}");
        contract_document::save_template(
            &s, &admin_caller(),
            "pt-BR",
            "# Contrato {{contract.number}}\n\nCliente: **{{customer.name}}**, plano {{plan.name}} por {{contract.price}}.")
        .await
        .unwrap();
        let t = contract_document::template(&s, &admin_caller(), "pt-BR").await.unwrap();
        assert!(!t.is_default);
        let text = pdftotext(&contract_document::render_in(&s, &admin_caller(), k, "pt-BR").await.unwrap());
        assert!(text.contains("Cliente: Conceição Araújo, plano Fibra 300 por R$ 99,90."), "{text}");
        contract_document::reset_template(&s, &admin_caller(), "pt-BR").await.unwrap();
        assert!(contract_document::template(&s, &admin_caller(), "pt-BR").await.unwrap().is_default);
        assert!(!audited(&s, "contract_template.update").await.is_empty());
        assert!(!audited(&s, "contract_template.reset").await.is_empty());

        let text = pdftotext(&contract_document::render_in(&s, &admin_caller(), k, "en").await.unwrap());
        assert!(text.contains("Internet Service Agreement") && text.contains("March 1, 2026"), "{text}");
        assert!(matches!(contract_document::render(&s, &admin_caller(), 999_999).await, Err(Error::NotFound)));
    })
    .await;
}
