//! What a customer receives, in the customer's language, with the way to
//! pay, on SQLite and PostgreSQL: the invoice e-mail and PDF follow the
//! language the customer prefers (else the company's), carry the link to
//! the public payment page once the public address is set, and the PDF
//! draws the Pix QR code and the boleto's bars.

use jiff::civil::date;
use services::billing::{Policy, mail, pdf, run};
use services::crm::{self, CustomerInput};
use services::{Caller, Error, Services};
use store::testing::each_engine;

use crate::billing_docs::{billed_customer, invoice_ids, pdftotext};
use crate::{admin_caller, audited, svc};

fn console() -> Caller {
    Caller::Cli {
        name: "test".into(),
    }
}

async fn company(s: &Services, locale: &str) {
    let mut c = s.db.conn().await.unwrap();
    let co = store::system::company::Company {
        name: "Fibra Sul".into(),
        legal_document: String::new(),
        country: "BR".into(),
        currency: "BRL".into(),
        locale: locale.into(),
        timezone: "UTC".into(),
    };
    match store::system::company::get(&mut c).await.unwrap() {
        Some(_) => store::system::company::update(&mut c, &co).await.unwrap(),
        None => store::system::company::create(&mut c, &co, store::now())
            .await
            .unwrap(),
    }
}

async fn set(s: &Services, key: &str, value: &str) -> Result<(), Error> {
    let mut v = std::collections::BTreeMap::new();
    v.insert(key.to_owned(), value.to_owned());
    services::system::settings::update(s, &admin_caller(), &v)
        .await
        .map(|_| ())
}

/// Sets customer `id`'s language through the customer form's service.
async fn prefer(s: &Services, id: i64, locale: &str) -> Result<(), Error> {
    let c = crm::get_customer(s, &admin_caller(), id).await.unwrap();
    let input = CustomerInput {
        kind: c.kind,
        name: c.name,
        document: c.document,
        emails: c.emails,
        locale: locale.into(),
        ..Default::default()
    };
    crm::update_customer(s, &admin_caller(), id, &input)
        .await
        .map(|_| ())
}

async fn public_id(s: &Services, id: i64) -> String {
    let mut c = s.db.conn().await.unwrap();
    store::billing::documents::get(&mut c, id)
        .await
        .unwrap()
        .public_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_speak_the_customers_language_and_link_the_payment_page() {
    each_engine(|db| async move {
        let s = svc(&db);
        company(&s, "en").await;
        let (ana, _) = billed_customer(&s, "Ana", "529.982.247-25", "ana@example.com").await;
        let (bruno, _) = billed_customer(&s, "Bruno", "111.444.777-35", "bruno@example.com").await;
        // A language outside the list is refused, naming the field.
        match prefer(&s, bruno, "fr").await {
            Err(Error::Invalid {
                field: "locale", ..
            }) => {}
            other => panic!("{other:?}"),
        }
        prefer(&s, bruno, "pt-BR").await.unwrap();
        let stored = crm::get_customer(&s, &admin_caller(), bruno).await.unwrap();
        assert_eq!(stored.locale, "pt-BR");
        let audit = audited(&s, "customer.update").await;
        assert!(
            audit.iter().any(|e| e
                .after_json
                .as_deref()
                .is_some_and(|a| a.contains("\"locale\":\"pt-BR\""))),
            "{audit:?}"
        );
        run::run(&s, &console(), date(2026, 2, 10), &Policy::default())
            .await
            .unwrap();
        let ana_inv = invoice_ids(&s, ana, "invoice").await[0];
        let bruno_inv = invoice_ids(&s, bruno, "invoice").await[0];

        // Without a public address the messages carry no link.
        let m = mail::compose(&s, ana_inv).await.unwrap();
        assert!(!m.body.contains("/pay/"), "{}", m.body);

        // An English company: Ana follows it, Bruno prefers Portuguese.
        match set(&s, "email.public_url", "pay.example.net").await {
            Err(e @ Error::Invalid { .. }) => {
                assert!(e.to_string().contains("public_url"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        set(&s, "email.public_url", "https://pay.example.net/")
            .await
            .unwrap();
        let m = mail::compose(&s, ana_inv).await.unwrap();
        let link = format!(
            "https://pay.example.net/pay/{}",
            public_id(&s, ana_inv).await
        );
        assert!(m.subject.contains("invoice"), "{}", m.subject);
        assert!(m.body.starts_with("Hello Ana"), "{}", m.body);
        assert!(m.body.contains(&link), "{}", m.body);
        assert_eq!(m.filename, "invoice-2026-000001.pdf");
        let text = pdftotext(&m.pdf);
        assert!(
            text.contains("Invoice") && text.contains("Pay online"),
            "{text}"
        );
        assert!(text.contains(&link), "{text}");
        let m = mail::compose(&s, bruno_inv).await.unwrap();
        assert!(m.subject.contains("fatura"), "{}", m.subject);
        assert!(m.body.starts_with("Olá Bruno"), "{}", m.body);
        assert!(m.body.contains("Pague on-line"), "{}", m.body);
        let text = pdftotext(&m.pdf);
        assert!(
            text.contains("Fatura") && text.contains("Pague on-line"),
            "{text}"
        );
        // Staff downloading the PDF get it as the customer does.
        let (name, _) = pdf::invoice(&s, &admin_caller(), bruno_inv).await.unwrap();
        assert!(name.starts_with("fatura-"), "{name}");

        // And the other way round: a Portuguese company, Bruno in English.
        company(&s, "pt-BR").await;
        prefer(&s, bruno, "en").await.unwrap();
        let m = mail::compose(&s, ana_inv).await.unwrap();
        assert!(m.subject.contains("fatura"), "{}", m.subject);
        let m = mail::compose(&s, bruno_inv).await.unwrap();
        assert!(m.subject.contains("invoice"), "{}", m.subject);
        assert!(m.body.starts_with("Hello Bruno"), "{}", m.body);
        // Back to the company's language.
        prefer(&s, bruno, "").await.unwrap();
        let m = mail::compose(&s, bruno_inv).await.unwrap();
        assert!(m.subject.contains("fatura"), "{}", m.subject);
    })
    .await;
}

#[test]
fn the_invoice_pdf_draws_the_pix_qr_code_and_the_boleto_bars() {
    let p = pdf::sample_payment("pt-BR");
    let body = pdf::default_template("pt-BR");
    let with = pdf::render(&pdf::sample("pt-BR"), body, "pt-BR", None, Some(&p)).unwrap();
    let without = pdf::render(&pdf::sample("pt-BR"), body, "pt-BR", None, None).unwrap();
    if let Ok(path) = std::env::var("PAYDOC_SAMPLE") {
        std::fs::write(path, &with).unwrap();
    }
    let text = pdftotext(&with);
    for want in [
        "Pix copia e cola",
        "Leia o QR code",
        "00190.50095 40144.816069",
        "Pague on-line",
        "https://pay.example.net/pay/sample",
    ] {
        assert!(text.contains(want), "missing {want:?}: {text}");
    }
    // The barcode is drawn, not printed as digits.
    assert!(!text.contains("Código de barras"), "{text}");
    // The drawings add vector paths, not images.
    assert!(!String::from_utf8_lossy(&with).contains("/Image"));
    assert!(with.len() > without.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_speak_the_customers_language() {
    each_engine(|db| async move {
        let s = svc(&db);
        company(&s, "pt-BR").await;
        let (ana, _) = billed_customer(&s, "Ana", "529.982.247-25", "ana@example.com").await;
        prefer(&s, ana, "en").await.unwrap();
        let today = {
            let mut c = s.db.conn().await.unwrap();
            crm::today(&mut c).await.unwrap()
        };
        let r = services::payments::record(
            &s,
            &admin_caller(),
            &services::payments::NewPayment {
                customer_id: ana,
                method: domain::payments::Method::Cash,
                amount: domain::Money(5_000),
                received_on: today.to_string(),
                invoice_id: None,
                gateway: None,
                reference: None,
                fee: domain::Money(0),
                notes: String::new(),
            },
        )
        .await
        .unwrap();
        let id = r.payment.id;
        let m = services::payments::receipt::compose(&s, id).await.unwrap();
        assert!(m.subject.contains("receipt"), "{}", m.subject);
        assert!(m.body.starts_with("Hello Ana"), "{}", m.body);
        let text = pdftotext(&m.pdf);
        assert!(text.contains("Receipt") && text.contains("Cash"), "{text}");
        let (name, _) = services::payments::receipt::pdf(&s, &admin_caller(), id)
            .await
            .unwrap();
        assert!(name.starts_with("receipt-"), "{name}");
        prefer(&s, ana, "").await.unwrap();
        let m = services::payments::receipt::compose(&s, id).await.unwrap();
        assert!(m.subject.contains("recibo"), "{}", m.subject);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_read_a_language_column() {
    use services::crm::import::{self, Kind};
    each_engine(|db| async move {
        let s = svc(&db);
        let csv = "Nome;CPF;E-mail;Idioma\n\
                   Ana Souza;529.982.247-25;ana@example.com;English\n\
                   Bia Lima;111.444.777-35;bia@example.com;Português\n\
                   Caio Reis;390.533.447-05;caio@example.com;\n";
        let r = import::import(&s, &admin_caller(), Kind::Customers, csv.as_bytes())
            .await
            .unwrap();
        assert_eq!(r.imported, 3, "{:?}", r.problems);
        let mut langs = Vec::new();
        for doc in ["52998224725", "11144477735", "39053344705"] {
            let hit = &crm::search(&s, &admin_caller(), doc, 1).await.unwrap()[0];
            langs.push(hit.customer.locale.clone());
        }
        assert_eq!(langs, ["en", "pt-BR", ""]);
        let bad = "Nome;CPF;Idioma\nDora Melo;153.509.460-56;klingon\n";
        let r = import::check(&s, &admin_caller(), Kind::Customers, bad.as_bytes())
            .await
            .unwrap();
        let got: Vec<(u64, &str)> = r
            .problems
            .iter()
            .map(|p| (p.line, p.field.as_str()))
            .collect();
        assert_eq!(got, [(2, "locale")], "{:?}", r.problems);
    })
    .await;
}
