//! Who may call the customer, catalog and contract services: every row is
//! one service call tried by six callers (staff holding exactly the
//! permission it needs, staff holding every other one, an API token
//! scoped to `customers.view` and `contracts.status`, the customer who
//! owns the records, another customer, a system job), each answer allowed
//! or refused (`Forbidden`, or `NotFound` for another customer's records);
//! then the item-8 rules that moved into these services.

use std::sync::atomic::{AtomicU64, Ordering};

use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
use domain::contracts::{Status, SuspendReason};
use domain::{Money, Permission, PermissionSet};
use services::contracts::{self, ContractInput, TermsInput};
use services::crm::documents::{self, Upload};
use services::crm::import::{self, Kind};
use services::crm::{self, AddressInput, Created, CustomerInput};
use services::{Caller, Error, Result, Services, catalog, contracts::document};
use store::testing::each_engine;

use crate::{admin_caller, audited, staff_with, svc};

/// The records the calls act on.
struct Fixture {
    owner: i64,
    other: i64,
    plan: i64,
    contract: i64,
    document: i64,
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

async fn customer(s: &Services, name: &str, doc: &str) -> i64 {
    let input = CustomerInput {
        kind: "person".into(),
        name: name.into(),
        document: doc.into(),
        ..Default::default()
    };
    match crm::create_customer(s, &Caller::cli(), &input)
        .await
        .unwrap()
    {
        Created::Customer(c) => c.id,
        Created::Duplicates(d) => panic!("duplicates {d:?}"),
    }
}

async fn fixture(s: &Services) -> Fixture {
    let cli = Caller::cli();
    let owner = customer(s, "Ana Lima", "52998224725").await;
    let other = customer(s, "Bia Souza", "11144477735").await;
    let plan = catalog::create_plan(s, &cli, &plan("Fibra 300"))
        .await
        .unwrap()
        .id;
    let contract = contracts::create(
        s,
        &cli,
        &ContractInput {
            customer_id: owner,
            plan_id: plan,
            billing_day: 10,
            login: "ana.lima".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    contracts::transition(s, &cli, contract, Status::Active, None, "")
        .await
        .unwrap();
    let document = documents::upload(
        s,
        &cli,
        &Upload {
            customer_id: owner,
            kind: "identity",
            filename: "rg.pdf",
            data: b"%PDF-1.4 rg",
        },
    )
    .await
    .unwrap()
    .id;
    Fixture {
        owner,
        other,
        plan,
        contract,
        document,
    }
}

/// One service call.
#[derive(Debug, Clone, Copy)]
enum Op {
    GetCustomer,
    ListCustomers,
    SearchCustomers,
    Addresses,
    Timeline,
    Notes,
    UpdateCustomer,
    AddNote,
    AddAddress,
    CustomFields,
    Documents,
    DownloadDocument,
    VerifyDocument,
    GetContract,
    ListContracts,
    ContractHistory,
    ContractPdf,
    Subscriber,
    Transition,
    UpdateTerms,
    RevealCredentials,
    ListPlans,
    PublicPlans,
    PlanNames,
    CreatePlan,
    PreviewRepricing,
    ImportCheck,
    SaveTemplate,
}

static PLAN_NAMES: AtomicU64 = AtomicU64::new(0);

/// Makes the call; writes leave the records as they found them where a
/// second call would otherwise fail for another reason.
async fn call(op: Op, s: &Services, c: &Caller, f: &Fixture) -> Result<()> {
    match op {
        Op::GetCustomer => crm::get_customer(s, c, f.owner).await.map(drop),
        Op::ListCustomers => crm::list(
            s,
            c,
            &crm::ListQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .map(drop),
        Op::SearchCustomers => crm::search(s, c, "Ana", 10).await.map(drop),
        Op::Addresses => crm::addresses(s, c, f.owner).await.map(drop),
        Op::Timeline => crm::timeline(s, c, f.owner, None, None, 10).await.map(drop),
        Op::Notes => crm::notes(s, c, f.owner, 10).await.map(drop),
        Op::UpdateCustomer => crm::update_customer(
            s,
            c,
            f.owner,
            &CustomerInput {
                kind: "person".into(),
                name: "Ana Lima".into(),
                document: "52998224725".into(),
                ..Default::default()
            },
        )
        .await
        .map(drop),
        Op::AddNote => crm::add_note(s, c, f.owner, "called back").await.map(drop),
        Op::AddAddress => crm::add_address(
            s,
            c,
            f.owner,
            &AddressInput {
                kind: "service".into(),
                street: "Rua das Flores".into(),
                number: "10".into(),
                city: "Campinas".into(),
                state: "SP".into(),
                postal_code: "13010-000".into(),
                ..Default::default()
            },
        )
        .await
        .map(drop),
        Op::CustomFields => crm::custom_fields::definitions(s, c).await.map(drop),
        Op::Documents => documents::list(s, c, f.owner).await.map(drop),
        Op::DownloadDocument => documents::download(s, c, f.owner, f.document)
            .await
            .map(drop),
        Op::VerifyDocument => documents::verify(s, c, f.owner, f.document).await.map(drop),
        Op::GetContract => contracts::get(s, c, f.contract).await.map(drop),
        Op::ListContracts => contracts::list(
            s,
            c,
            &store::contracts::Filter {
                customer_id: Some(f.owner),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .map(drop),
        Op::ContractHistory => contracts::transitions(s, c, f.contract).await.map(drop),
        Op::ContractPdf => document::render(s, c, f.contract).await.map(drop),
        Op::Subscriber => contracts::subscriber(s, c, f.contract).await.map(drop),
        Op::Transition => {
            let r = contracts::transition(
                s,
                c,
                f.contract,
                Status::Suspended,
                Some(SuspendReason::Administrative),
                "",
            )
            .await;
            if r.is_ok() {
                contracts::transition(s, &Caller::cli(), f.contract, Status::Active, None, "")
                    .await
                    .unwrap();
            }
            r.map(drop)
        }
        Op::UpdateTerms => contracts::update_terms(
            s,
            c,
            f.contract,
            &TermsInput {
                notes: Some("gate code 1234".into()),
                ..Default::default()
            },
        )
        .await
        .map(drop),
        Op::RevealCredentials => contracts::reveal_credentials(s, c, f.contract)
            .await
            .map(drop),
        Op::ListPlans => catalog::list_plans(s, c, true, false).await.map(drop),
        Op::PublicPlans => catalog::list_plans(s, c, false, true).await.map(drop),
        Op::PlanNames => catalog::plan_names(s, c).await.map(drop),
        Op::CreatePlan => {
            let n = PLAN_NAMES.fetch_add(1, Ordering::Relaxed);
            catalog::create_plan(s, c, &plan(&format!("Plano {n}")))
                .await
                .map(drop)
        }
        Op::PreviewRepricing => catalog::preview_repricing(s, c, f.plan, Money(10990), 5)
            .await
            .map(drop),
        Op::ImportCheck => import::check(s, c, Kind::Customers, b"nome;cpf\nCaio;935.411.347-80\n")
            .await
            .map(drop),
        Op::SaveTemplate => document::save_template(s, c, "en", "# Contract\n{{customer.name}}")
            .await
            .map(drop),
    }
}

/// What a caller gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Allowed,
    Forbidden,
    NotFound,
}
use Want::{Allowed as A, Forbidden as F, NotFound as N};

fn outcome(r: &Result<()>) -> Want {
    match r {
        Ok(()) => A,
        Err(Error::Forbidden(_)) => F,
        Err(Error::NotFound) => N,
        Err(e) => panic!("neither done nor refused: {e:?}"),
    }
}

/// The callers, in the order of each row's answers.
fn callers(p: Permission, f: &Fixture) -> [(&'static str, Caller); 6] {
    let others: PermissionSet = Permission::ALL.into_iter().filter(|x| *x != p).collect();
    let token = {
        let scopes: PermissionSet = [Permission::CustomersView, Permission::ContractsStatus]
            .into_iter()
            .collect();
        match staff_with(scopes) {
            Caller::Staff {
                mut principal,
                source_ip,
            } => {
                principal.token_id = Some(1);
                Caller::staff(principal, source_ip)
            }
            other => other,
        }
    };
    let customer = |id: i64| Caller::Customer {
        customer_id: id,
        name: "portal".into(),
        source_ip: None,
    };
    [
        ("staff with it", staff_with(std::iter::once(p).collect())),
        ("staff with all but it", staff_with(others)),
        ("token: customers.view, contracts.status", token),
        ("the owning customer", customer(f.owner)),
        ("another customer", customer(f.other)),
        ("a system job", Caller::system("test-job")),
    ]
}

#[tokio::test]
async fn each_call_decides_who_may_make_it() {
    use Permission::*;
    let table: &[(Op, Permission, [Want; 6])] = &[
        // Reads of one customer's records: its customer too, no other.
        (Op::GetCustomer, CustomersView, [A, F, A, A, N, A]),
        (Op::Addresses, CustomersView, [A, F, A, A, N, A]),
        (Op::Timeline, CustomersView, [A, F, A, A, N, A]),
        (Op::GetContract, CustomersView, [A, F, A, A, N, A]),
        (Op::ListContracts, CustomersView, [A, F, A, A, N, A]),
        (Op::ContractHistory, CustomersView, [A, F, A, A, N, A]),
        (Op::ContractPdf, CustomersView, [A, F, A, A, N, A]),
        (Op::Documents, CustomersDocuments, [A, F, F, A, N, A]),
        (Op::DownloadDocument, CustomersDocuments, [A, F, F, A, N, A]),
        // Network pages head a subscriber's history with radius.view.
        (Op::Subscriber, RadiusView, [A, A, A, A, N, A]),
        // Staff-only reads: lists, search, internal notes.
        (Op::ListCustomers, CustomersView, [A, F, A, F, F, A]),
        (Op::SearchCustomers, CustomersView, [A, F, A, F, F, A]),
        (Op::Notes, CustomersView, [A, F, A, F, F, A]),
        // Custom field definitions: who views or edits customers, or the
        // settings; "all but customers.view" still holds the others.
        (Op::CustomFields, CustomersView, [A, A, A, F, F, A]),
        // Changes: staff with the permission, and jobs.
        (Op::UpdateCustomer, CustomersManage, [A, F, F, F, F, A]),
        (Op::AddNote, CustomersManage, [A, F, F, F, F, A]),
        (Op::AddAddress, CustomersManage, [A, F, F, F, F, A]),
        (Op::VerifyDocument, CustomersDocuments, [A, F, F, F, F, A]),
        (Op::Transition, ContractsStatus, [A, F, A, F, F, A]),
        (Op::UpdateTerms, ContractsManage, [A, F, F, F, F, A]),
        (Op::RevealCredentials, ContractsManage, [A, F, F, F, F, A]),
        (Op::ImportCheck, CustomersImport, [A, F, F, F, F, A]),
        (Op::SaveTemplate, SettingsManage, [A, F, F, F, F, A]),
        // The catalog: public plans to anyone, names to any staff.
        (Op::ListPlans, PlansView, [A, F, F, F, F, A]),
        (Op::PublicPlans, PlansView, [A, A, A, A, A, A]),
        (Op::PlanNames, PlansView, [A, A, A, F, F, A]),
        (Op::CreatePlan, PlansManage, [A, F, F, F, F, A]),
        (Op::PreviewRepricing, PlansManage, [A, F, F, F, F, A]),
    ];
    each_engine(|db| async move {
        let s = svc(&db);
        let f = fixture(&s).await;
        for (op, p, wants) in table {
            for ((who, caller), want) in callers(*p, &f).iter().zip(wants) {
                let got = outcome(&call(*op, &s, caller, &f).await);
                assert_eq!(got, *want, "{op:?} by {who}");
            }
        }
        // A refused change wrote nothing: only the allowed callers' notes.
        let notes = crm::notes(&s, &admin_caller(), f.owner, 100).await.unwrap();
        assert_eq!(notes.len(), 2);
        assert_eq!(audited(&s, "customer.note.create").await.len(), 2);
        // A customer lists its own contracts, whatever filter it sends.
        let own = Caller::Customer {
            customer_id: f.other,
            name: "portal".into(),
            source_ip: None,
        };
        let (mine, _) = contracts::list(
            &s,
            &own,
            &store::contracts::Filter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(mine.is_empty());
    })
    .await;
}

/// Two moves of one contract at the same time: the status machine judges
/// each on the status inside its own transaction, so exactly one passes
/// and the other is refused naming the status it found, with nothing of it
/// recorded.
#[tokio::test]
async fn concurrent_transitions_are_decided_inside_the_transaction() {
    each_engine(|db| async move {
        let s = svc(&db);
        let f = fixture(&s).await;
        let caller = admin_caller();
        for round in 0..5 {
            let suspend = || {
                contracts::transition(
                    &s,
                    &caller,
                    f.contract,
                    Status::Suspended,
                    Some(SuspendReason::NonPayment),
                    "",
                )
            };
            let (a, b) = tokio::join!(suspend(), suspend());
            let (done, refused) = match (a, b) {
                (Ok(k), Err(e)) | (Err(e), Ok(k)) => (k, e),
                (a, b) => panic!("round {round}: {a:?} / {b:?}"),
            };
            assert_eq!(done.status, "suspended");
            assert!(
                matches!(
                    refused,
                    Error::IllegalTransition {
                        current: Status::Suspended,
                        requested: Status::Suspended
                    }
                ),
                "round {round}: {refused:?}"
            );
            contracts::transition(&s, &caller, f.contract, Status::Active, None, "")
                .await
                .unwrap();
        }
        // Five suspensions and five reactivations after the installation.
        let history = contracts::transitions(&s, &caller, f.contract)
            .await
            .unwrap();
        assert_eq!(history.len(), 11);
        assert_eq!(audited(&s, "contract.transition").await.len(), 11);

        // An illegal move names both statuses.
        contracts::transition(&s, &caller, f.contract, Status::Canceled, None, "")
            .await
            .unwrap();
        let e = contracts::transition(&s, &caller, f.contract, Status::Active, None, "")
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::IllegalTransition {
                    current: Status::Canceled,
                    requested: Status::Active
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "a contract cannot go from canceled to active"
        );
    })
    .await;
}

/// Re-pricing needs the preview's fingerprint from every caller: without
/// it, or with a stale one, nothing changes.
#[tokio::test]
async fn repricing_requires_the_previews_confirmation() {
    each_engine(|db| async move {
        let s = svc(&db);
        let f = fixture(&s).await;
        let caller = admin_caller();
        let preview = catalog::preview_repricing(&s, &caller, f.plan, Money(10990), 10)
            .await
            .unwrap();
        assert_eq!(preview.count, 1);
        assert_eq!(preview.sample[0].customer_name, "Ana Lima");
        for missing in ["", "  "] {
            match catalog::apply_repricing(&s, &caller, f.plan, Money(10990), missing).await {
                Err(Error::Invalid { field, .. }) => assert_eq!(field, "fingerprint"),
                other => panic!("{other:?}"),
            }
        }
        let stale = catalog::preview_repricing(&s, &caller, f.plan, Money(11990), 0)
            .await
            .unwrap();
        assert!(matches!(
            catalog::apply_repricing(&s, &caller, f.plan, Money(10990), &stale.fingerprint).await,
            Err(Error::Refused("repricing-changed"))
        ));
        let k = contracts::get(&s, &caller, f.contract).await.unwrap();
        assert_eq!(k.price, 9990);
        assert_eq!(
            catalog::apply_repricing(&s, &caller, f.plan, Money(10990), &preview.fingerprint)
                .await
                .unwrap(),
            1
        );
        let k = contracts::get(&s, &caller, f.contract).await.unwrap();
        assert_eq!(k.price, 10990);
    })
    .await;
}

/// A new note comes back as stored, with its author, without a second
/// read.
#[tokio::test]
async fn a_new_note_is_returned() {
    each_engine(|db| async move {
        let s = svc(&db);
        let f = fixture(&s).await;
        let note = crm::add_note(&s, &admin_caller(), f.owner, "  Prefere contato à tarde \n")
            .await
            .unwrap();
        assert_eq!(note.customer_id, f.owner);
        assert_eq!(note.body, "Prefere contato à tarde");
        assert_eq!(note.author_kind, "user");
        assert_eq!(note.author_name, "admin");
        let listed = crm::notes(&s, &admin_caller(), f.owner, 1).await.unwrap();
        assert_eq!(listed, vec![note]);
    })
    .await;
}

/// Amounts in an import follow the installation's currency: two decimals
/// for reais, none for yen.
#[tokio::test]
async fn imported_prices_use_the_currencys_minor_unit() {
    each_engine(|db| async move {
        let s = svc(&db);
        let f = fixture(&s).await;
        let cli = Caller::cli();
        let csv = "customer_document;plan;billing_day;price;login\n\
                   111.444.777-35;Fibra 300;5;1.500;bia.souza\n";
        // Reais (before setup too): `1.500` is one thousand five hundred
        // (thousands grouped), in centavos.
        let r = import::import(&s, &cli, Kind::Contracts, csv.as_bytes())
            .await
            .unwrap();
        assert_eq!(r.imported, 1, "{:?}", r.problems);
        let (bia, _) = contracts::list(
            &s,
            &cli,
            &store::contracts::Filter {
                customer_id: Some(f.other),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(bia[0].price, 150_000);
        // Yen have no minor unit: the same text is 1500 yen.
        sqlx::query(
            "INSERT INTO company (id, name, legal_document, country, currency, locale, timezone,
                created_at) VALUES (1, 'Provedor', '', 'BR', 'JPY', 'pt-BR', 'America/Sao_Paulo', 0)",
        )
        .execute(s.db.pool())
        .await
        .unwrap();
        let csv = "customer_document;plan;billing_day;price;login\n\
                   111.444.777-35;Fibra 300;5;1.500;bia.souza2\n";
        let r = import::import(&s, &cli, Kind::Contracts, csv.as_bytes())
            .await
            .unwrap();
        assert_eq!(r.imported, 1, "{:?}", r.problems);
        let (bia, _) = contracts::list(
            &s,
            &cli,
            &store::contracts::Filter {
                customer_id: Some(f.other),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(bia[0].price, 1500);
    })
    .await;
}
