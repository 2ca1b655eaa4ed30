//! CSV import, demo data and the daily plan-change job, on SQLite and
//! PostgreSQL.

use domain::Money;
use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
use services::contracts::{self, ContractInput, PlanChange};
use services::crm::import::{self, Kind, Report};
use services::crm::{self, Created, CustomerInput};
use services::{Services, catalog, demo, system::jobs};
use store::testing::each_engine;

use crate::{admin_caller, audited, svc};

async fn customers(s: &Services) -> i64 {
    let mut c = s.db.conn().await.unwrap();
    store::crm::customers::count(&mut c).await.unwrap()
}

/// `(line, field, code)` of every problem.
fn problems(r: &Report) -> Vec<(u64, String, String)> {
    r.problems
        .iter()
        .map(|p| (p.line, p.field.clone(), p.code.clone()))
        .collect()
}

const BAD: &str = "name,document,email,phone,street,city,state,cep
Ana Souza,529.982.247-25,ana@example.com,(19) 99123-4567,Rua Açaí,Campinas,SP,13010-100
Bruno Lima,529.982.247-24,bruno@example.com,(19) 99123-4568,,,,
,390.533.447-05,sem-nome@example.com,,,,,
Carla Dias,111.444.777-35,carla@,,,,,
Davi Reis,418.594.616-38,davi@example.com,12,,,,
Eva Prado,123.456.789-09,eva@example.com,(19) 99123-4569,Rua B,Campinas,XX,13010-100
Fábio Melo,529.982.247-25,fabio@example.com,,,,,
Gil Dutra,765.019.588-06,ana@example.com,,,,,
";

#[tokio::test]
async fn import_dry_run_reports_each_bad_row() {
    each_engine(|db| async move {
        let s = svc(&db);
        let r = import::check(&s, &admin_caller(), Kind::Customers, BAD.as_bytes())
            .await
            .unwrap();
        assert_eq!(r.rows, 8);
        assert_eq!(r.good, 1, "{:?}", r.problems);
        let want: Vec<(u64, String, String)> = [
            (3, "document", "cpf"),
            (4, "name", "required"),
            (5, "emails", "email"),
            (6, "phones", "phone"),
            (7, "state", "choice"),
            (8, "document", "duplicate-in-file"),
            (9, "emails", "duplicate-in-file"),
        ]
        .iter()
        .map(|(l, f, c)| (*l, f.to_string(), c.to_string()))
        .collect();
        assert_eq!(problems(&r), want);
        assert!(r.problems[5].message.contains("line 2"));
        assert!(!r.is_clean());
        assert_eq!(r.sha256, import::sha256(BAD.as_bytes()));

        // Importing the same file writes nothing at all.
        let r = import::import(&s, &admin_caller(), Kind::Customers, BAD.as_bytes())
            .await
            .unwrap();
        assert_eq!(r.imported, 0);
        assert_eq!(customers(&s).await, 0);
        assert!(audited(&s, "customer.import").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn import_semicolons_bom_and_portuguese_headers() {
    each_engine(|db| async move {
        let s = svc(&db);
        let csv = "\u{feff}Nome;CPF/CNPJ;E-mail;Telefone;Celular;Logradouro;Número;Bairro;Cidade;UF;CEP;Data de nascimento;Observações\r\n\
            João da Conceição;529.982.247-25;joao@example.com;(19) 3232-1111;(19) 99876-5432;Rua Açaí;10;Cambuí;Campinas;sp;13010100;31/12/1980;Portão azul\r\n\
            \"Padaria Pão Quente; Ltda\";11.444.777/0001-61;pao@example.com;;;;;;;;;;\r\n\
            \r\n";
        let r = import::check(&s, &admin_caller(), Kind::Customers, csv.as_bytes())
            .await
            .unwrap();
        assert!(r.is_clean(), "{:?}", r.problems);
        assert_eq!((r.rows, r.good), (2, 2));
        let r = import::import(&s, &admin_caller(), Kind::Customers, csv.as_bytes())
            .await
            .unwrap();
        assert_eq!(r.imported, 2);
        assert_eq!(customers(&s).await, 2);

        // Stored like the form would have: kind from the document, keys,
        // folded search, address, note, timeline, audit.
        let hits = crm::search(&s, &admin_caller(), "52998224725", 10).await.unwrap();
        assert_eq!(hits.len(), 1);
        let joao = &hits[0].customer;
        assert_eq!(joao.name, "João da Conceição");
        assert_eq!(joao.kind, "person");
        assert_eq!(joao.birth_date.as_deref(), Some("1980-12-31"));
        assert_eq!(joao.phones.len(), 2);
        assert_eq!(
            crm::search(&s, &admin_caller(), "19 99876 5432", 10).await.unwrap()[0].customer.id,
            joao.id
        );
        assert_eq!(crm::search(&s, &admin_caller(), "conceicao", 10).await.unwrap().len(), 1);
        let addr = crm::addresses(&s, &admin_caller(), joao.id).await.unwrap();
        assert_eq!(addr.len(), 1);
        assert_eq!((addr[0].state.as_str(), addr[0].postal_code.as_str()), ("SP", "13010100"));
        assert_eq!(crm::notes(&s, &admin_caller(), joao.id, 10).await.unwrap().len(), 1);
        let company = &crm::search(&s, &admin_caller(), "pao quente", 10).await.unwrap()[0].customer;
        assert_eq!(company.kind, "company");
        assert_eq!(company.name, "Padaria Pão Quente; Ltda");
        let (events, _) = crm::timeline(&s, &admin_caller(), joao.id, None, None, 10).await.unwrap();
        assert!(events.iter().any(|e| e.kind == "customer.created"));
        assert_eq!(audited(&s, "customer.import").await.len(), 2);
        assert!(matches!(
            services::system::audit::verify(&s, &services::Caller::cli()).await.unwrap(),
            store::system::audit::Verdict::Intact { .. }
        ));

        // The same file again: every row is now a duplicate in the database.
        let again = import::check(&s, &admin_caller(), Kind::Customers, csv.as_bytes())
            .await
            .unwrap();
        let codes: Vec<(u64, String, String)> = problems(&again);
        assert!(codes.contains(&(2, "document".into(), "duplicate-in-database".into())));
        assert!(
            codes.contains(&(3, "emails".into(), "duplicate-in-database".into())),
            "{codes:?}"
        );
        assert_eq!(again.good, 0);
    })
    .await;
}

#[tokio::test]
async fn import_header_problems() {
    each_engine(|db| async move {
        let s = svc(&db);
        let r = import::check(
            &s,
            &admin_caller(),
            Kind::Customers,
            b"nome;cor_favorita\nAna;azul\n",
        )
        .await
        .unwrap();
        let got = problems(&r);
        assert!(got.contains(&(1, "cor_favorita".into(), "unknown-column".into())));
        assert!(got.contains(&(1, "document".into(), "missing-column".into())));
        let r = import::check(&s, &admin_caller(), Kind::Customers, b"")
            .await
            .unwrap();
        assert!(!r.is_clean());
        let r = import::check(
            &s,
            &admin_caller(),
            Kind::Customers,
            b"nome,cpf\n\"Ana,529.982.247-25\n",
        )
        .await
        .unwrap();
        assert!(!r.is_clean());
    })
    .await;
}

/// The provider's custom fields: a required choice, an optional number
/// and an optional date.
async fn define_fields(s: &Services) {
    use services::crm::custom_fields::{self, DefInput};
    let defs = [
        DefInput {
            key: "vencimento_pref".into(),
            label: "Período preferido".into(),
            kind: "choice".into(),
            choices: vec!["manhã".into(), "tarde".into()],
            required: true,
            position: 0,
        },
        DefInput {
            key: "renda".into(),
            label: "Renda mensal".into(),
            kind: "number".into(),
            choices: vec![],
            required: false,
            position: 1,
        },
        DefInput {
            key: "cliente_desde".into(),
            label: "Cliente desde".into(),
            kind: "date".into(),
            choices: vec![],
            required: false,
            position: 2,
        },
    ];
    for d in &defs {
        custom_fields::create(s, &admin_caller(), d).await.unwrap();
    }
}

#[tokio::test]
async fn import_custom_fields_by_key_or_label() {
    each_engine(|db| async move {
        let s = svc(&db);
        define_fields(&s).await;

        // Columns named by key or by label; values checked like the form.
        let bad = "nome;cpf;vencimento_pref;Renda Mensal;cliente_desde
Ana;529.982.247-25;manhã;2500,50;31/01/2020
Bia;390.533.447-05;noite;;
Caio;111.444.777-35;tarde;muito;
Dora;418.594.616-38;;;
Enzo;765.019.588-06;tarde;;31/02/2020
";
        let r = import::check(&s, &admin_caller(), Kind::Customers, bad.as_bytes())
            .await
            .unwrap();
        let want: Vec<(u64, String, String)> = [
            (3, "custom_fields.vencimento_pref", "choice"),
            (4, "custom_fields.renda", "invalid"),
            (5, "custom_fields.vencimento_pref", "required"),
            (6, "custom_fields.cliente_desde", "date"),
        ]
        .iter()
        .map(|(l, f, c)| (*l, f.to_string(), c.to_string()))
        .collect();
        assert_eq!(problems(&r), want);
        assert_eq!((r.rows, r.good), (5, 1));
        assert!(
            r.problems[1].message.contains("number"),
            "{:?}",
            r.problems[1]
        );

        // A required custom field without its column is one header problem,
        // not one per row.
        let r = import::check(
            &s,
            &admin_caller(),
            Kind::Customers,
            b"nome;cpf
Ana;529.982.247-25
Bia;390.533.447-05
",
        )
        .await
        .unwrap();
        assert_eq!(
            problems(&r),
            vec![(
                1,
                "custom_fields.vencimento_pref".into(),
                "missing-column".into()
            )]
        );
        assert!(r.problems[0].message.contains("Período preferido"));
        assert!(!r.is_clean());

        // A clean file stores the values as the form would.
        let good = "nome;cpf;Período preferido;renda;cliente desde
Ana;529.982.247-25;manhã;2500,50;31/01/2020
Bia;390.533.447-05;tarde;;
";
        let r = import::import(&s, &admin_caller(), Kind::Customers, good.as_bytes())
            .await
            .unwrap();
        assert_eq!(r.imported, 2, "{:?}", r.problems);
        let ana = crm::search(&s, &admin_caller(), "52998224725", 1)
            .await
            .unwrap()[0]
            .customer
            .clone();
        assert_eq!(ana.custom_fields["vencimento_pref"], "manhã");
        assert_eq!(ana.custom_fields["renda"], "2500.50");
        assert_eq!(ana.custom_fields["cliente_desde"], "2020-01-31");
        let bia = crm::search(&s, &admin_caller(), "39053344705", 1)
            .await
            .unwrap()[0]
            .customer
            .clone();
        assert_eq!(bia.custom_fields.get("renda"), None);
        let entries = audited(&s, "customer.import").await;
        assert!(entries.iter().any(|e| {
            e.after_json
                .as_deref()
                .unwrap()
                .contains("\"renda\":\"2500.50\"")
        }));
    })
    .await;
}

fn plan(name: &str) -> Plan {
    Plan {
        name: name.into(),
        description: String::new(),
        download_kbps: 300_000,
        upload_kbps: 150_000,
        burst_down: None,
        burst_up: None,
        quota: None,
        price: Money(9990),
        billing_mode: BillingMode::Postpaid,
        cycle: Cycle::Monthly,
        installation_fee: Money(0),
        loyalty_months: 0,
        early_termination_fee: Money(0),
        tax_category: String::new(),
        technology: Technology::Fiber,
        suspended_behavior: SuspendedBehavior::Restricted,
        active: true,
        public: true,
    }
}

#[tokio::test]
async fn import_contracts() {
    each_engine(|db| async move {
        let s = svc(&db);
        catalog::create_plan(&s, &admin_caller(), &plan("Fibra 300 Mega"))
            .await
            .unwrap();
        let people = "nome,cpf\nAna Souza,529.982.247-25\nBruno Lima,390.533.447-05\n";
        let r = import::import(&s, &admin_caller(), Kind::Customers, people.as_bytes())
            .await
            .unwrap();
        assert_eq!(r.imported, 2);

        let bad = "cpf_cnpj;plano;login;senha;vencimento;valor;situação;motivo;ip
529.982.247-25;Fibra 300 Mega;ana;segredo12;10;89,90;ativo;;100.64.0.1
390.533.447-05;Fibra 900;bruno;;10;;;;
000.000.001-91;Fibra 300 Mega;zeca;;10;;;;
39053344705;fibra 300 mega;ANA;;10;;;;
39053344705;fibra 300 mega;bruno2;;31;;;;
39053344705;fibra 300 mega;bruno3;;10;;suspenso;;
39053344705;fibra 300 mega;bruno4;;10;;;;100.64.0.1
";
        let r = import::check(&s, &admin_caller(), Kind::Contracts, bad.as_bytes())
            .await
            .unwrap();
        assert_eq!(
            problems(&r),
            vec![
                (3, "plan".into(), "no-plan".into()),
                (4, "customer_document".into(), "no-customer".into()),
                (5, "login".into(), "duplicate-in-file".into()),
                (6, "billing_day".into(), "range".into()),
                (7, "suspend_reason".into(), "required".into()),
                (8, "ipv4".into(), "duplicate-in-file".into()),
            ]
        );
        let r = import::import(&s, &admin_caller(), Kind::Contracts, bad.as_bytes())
            .await
            .unwrap();
        assert_eq!(r.imported, 0);
        let (list, _) = contracts::list(&s, &admin_caller(), &Default::default())
            .await
            .unwrap();
        assert!(list.is_empty());

        let good = "cpf_cnpj;plano;login;senha;vencimento;valor;situação;motivo
529.982.247-25;Fibra 300 Mega;ana;segredo12;10;89,90;ativo;
390.533.447-05;fibra 300 mega;;;15;;suspenso;inadimplência
";
        let r = import::import(&s, &admin_caller(), Kind::Contracts, good.as_bytes())
            .await
            .unwrap();
        assert_eq!(r.imported, 2, "{:?}", r.problems);
        let hit = &crm::search(&s, &admin_caller(), "ana", 10).await.unwrap()[0];
        assert_eq!(hit.matched, "login");
        let k = contracts::get(&s, &admin_caller(), hit.contract_id.unwrap())
            .await
            .unwrap();
        assert_eq!((k.status.as_str(), k.price), ("active", 8990));
        assert_eq!(
            contracts::credentials(&s, &admin_caller(), k.id)
                .await
                .unwrap()
                .1,
            "segredo12"
        );
        let (list, _) = contracts::list(&s, &admin_caller(), &Default::default())
            .await
            .unwrap();
        let bruno = list.iter().find(|k| k.pppoe_login != "ana").unwrap();
        assert_eq!(bruno.pppoe_login, "bruno.lima");
        assert_eq!(bruno.suspend_reason.as_deref(), Some("non_payment"));
        assert_eq!(
            contracts::transitions(&s, &admin_caller(), bruno.id)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(audited(&s, "contract.import").await.len(), 2);

        // A login now taken in the database.
        let again = "cpf;plano;login;vencimento\n52998224725;Fibra 300 Mega;ana;10\n";
        let r = import::check(&s, &admin_caller(), Kind::Contracts, again.as_bytes())
            .await
            .unwrap();
        assert_eq!(problems(&r), vec![(2, "login".into(), "taken".into())]);
    })
    .await;
}

#[tokio::test]
async fn demo_makes_every_status_searchable() {
    each_engine(|db| async move {
        let s = svc(&db);
        let mut creds: Vec<u8> = Vec::new();
        let opts = demo::DemoOptions {
            customers: 300,
            seed: 7,
        };
        let summary = demo::run(&s, &admin_caller(), &opts, &|_, _| {}, Some(&mut creds))
            .await
            .unwrap();
        assert!(summary.admin.is_some());
        assert_eq!(summary.customers, 300);
        assert_eq!(customers(&s).await, 300);
        for status in [
            "pending_installation",
            "active",
            "suspended:non_payment",
            "suspended:customer_request",
            "suspended:administrative",
            "canceled",
        ] {
            assert!(
                summary.by_status.get(status).is_some_and(|n| *n > 0),
                "{status} in {:?}",
                summary.by_status
            );
        }
        assert_eq!(summary.examples.len(), 6);
        let csv = String::from_utf8(creds).unwrap();
        assert_eq!(csv.lines().count(), summary.contracts + 1);
        assert!(csv.starts_with("login,password,contract_status\n"));

        // Searchable by login (and the stored password decrypts), by name,
        // by document with and without punctuation, by e-mail and phone.
        let ex = &summary.examples[0];
        let hit = &crm::search(&s, &admin_caller(), &ex.login, 5)
            .await
            .unwrap()[0];
        assert_eq!(hit.matched, "login");
        let (_, pw) = contracts::credentials(&s, &admin_caller(), hit.contract_id.unwrap())
            .await
            .unwrap();
        assert_eq!(pw, ex.password);
        // Examples work with `radtest`, which sends no Calling-Station-Id.
        for e in &summary.examples {
            let hit = &crm::search(&s, &admin_caller(), &e.login, 5).await.unwrap()[0];
            let c = contracts::get(&s, &admin_caller(), hit.contract_id.unwrap())
                .await
                .unwrap();
            assert_eq!(c.mac, None, "{}", e.login);
        }
        let c = &hit.customer;
        let first_word = domain::crm::search::words(&c.name)[0].clone();
        assert!(
            !crm::search(&s, &admin_caller(), &first_word, 5)
                .await
                .unwrap()
                .is_empty()
        );
        for q in [
            c.document.clone(),
            c.document_norm.clone(),
            c.emails[0].clone(),
            c.phones[0].clone(),
        ] {
            let hits = crm::search(&s, &admin_caller(), &q, 5).await.unwrap();
            assert!(hits.iter().any(|h| h.customer.id == c.id), "{q}");
        }
        let (events, _) = crm::timeline(&s, &admin_caller(), c.id, None, None, 20)
            .await
            .unwrap();
        assert!(events.iter().any(|e| e.kind == "contract.created"));
        assert!(matches!(
            services::system::audit::verify(&s, &services::Caller::cli())
                .await
                .unwrap(),
            store::system::audit::Verdict::Intact { .. }
        ));

        // Same seed, same data; a second run is refused.
        assert!(matches!(
            demo::run(&s, &admin_caller(), &opts, &|_, _| {}, None).await,
            Err(services::Error::Refused("demo-not-empty"))
        ));
        let other = svc(&db);
        let _ = other;
    })
    .await;
}

#[tokio::test]
async fn plan_change_job_applies_due_changes() {
    each_engine(|db| async move {
        let s = svc(&db);
        assert!(
            jobs::Registry::with_builtins()
                .kinds()
                .any(|k| k == jobs::PLAN_CHANGES)
        );
        assert!(
            jobs::schedule::builtin()
                .iter()
                .any(|spec| spec.job_kind == jobs::PLAN_CHANGES)
        );
        let p1 = catalog::create_plan(&s, &admin_caller(), &plan("Fibra 300"))
            .await
            .unwrap()
            .id;
        let p2 = catalog::create_plan(&s, &admin_caller(), &plan("Fibra 600"))
            .await
            .unwrap()
            .id;
        let input = CustomerInput {
            kind: "person".into(),
            name: "Ana Souza".into(),
            document: "529.982.247-25".into(),
            ..Default::default()
        };
        let Created::Customer(customer) = crm::create_customer(&s, &admin_caller(), &input)
            .await
            .unwrap()
        else {
            panic!("duplicate");
        };
        let k = contracts::create(
            &s,
            &admin_caller(),
            &ContractInput {
                customer_id: customer.id,
                plan_id: p1,
                billing_day: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
        let PlanChange::Scheduled(change) =
            contracts::change_plan(&s, &admin_caller(), k, p2, Some(Money(14990)), "2999-01-01")
                .await
                .unwrap()
        else {
            panic!("applied at once");
        };
        // Not due yet: the job changes nothing.
        assert!(
            jobs::apply_plan_changes(&s)
                .await
                .unwrap()
                .starts_with("0 ")
        );
        assert_eq!(
            contracts::get(&s, &admin_caller(), k)
                .await
                .unwrap()
                .plan_id,
            p1
        );
        // Its date came (yesterday, as if the job had not run that night).
        let yesterday = {
            let mut c = s.db.conn().await.unwrap();
            crm::today(&mut c).await.unwrap().yesterday().unwrap()
        };
        sqlx::query("UPDATE contract_plan_changes SET effective_date = $1 WHERE id = $2")
            .bind(yesterday.to_string())
            .bind(change.id)
            .execute(s.db.pool())
            .await
            .unwrap();
        let note = jobs::apply_plan_changes(&s).await.unwrap();
        assert!(note.starts_with("1 "), "{note}");
        let after = contracts::get(&s, &admin_caller(), k).await.unwrap();
        assert_eq!((after.plan_id, after.price), (p2, 14990));
        let applied: Vec<_> = audited(&s, "contract.plan_change")
            .await
            .into_iter()
            .filter(|e| e.action == "contract.plan_change")
            .collect();
        assert_eq!(applied.len(), 1);
        assert_eq!(applied[0].actor_name, "system:plan-changes");
        assert!(
            jobs::apply_plan_changes(&s)
                .await
                .unwrap()
                .starts_with("0 ")
        );
    })
    .await;
}
