//! Demo data: a provider in Campinas (SP) with realistic customers (people
//! and companies, valid CPF/CNPJ, e-mails, mobile phones, addresses with CEP
//! and coordinates), a handful of plans, and contracts in every status with
//! PPPoE credentials, notes and timelines. Deterministic for a given seed.
//!
//! Every customer still goes through the CRM's own validation
//! ([`crate::crm::prepare`]), so search keys and folded text are exactly
//! what the customer form would have stored; only the writing is different:
//! ids are reserved in blocks and rows written with multi-row inserts, one
//! transaction per [`CHUNK`] customers (each chunk audited in its own
//! transaction as one `demo.generate` entry, through [`crate::Change`]).
//! The timeline lines are history made up with the data (a customer who
//! joined a year ago, a suspension last month), so they keep their own
//! instants and go in with `store::bulk` rather than as changes made now.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use domain::catalog::{
    BillingMode, Cycle, Plan, Quota, QuotaAction, SuspendedBehavior, Technology,
};
use domain::contracts::{self as rules, Status, SuspendReason};
use domain::crm::timeline::EventKind;
use domain::{Money, crm::document, crm::search};
use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng};
use serde_json::json;
use store::bulk::{self, NewAddress, NewCustomer, NewEvent, NewTransition};
use store::contracts::Contract;

use crate::crm::{self, AddressInput, CustomerInput};
use crate::{Caller, Change, Error, Result, Services};

/// Customers written per transaction.
pub const CHUNK: usize = 5_000;

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub customers: usize,
    pub seed: u64,
}

/// A staff account created because setup had not been done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAdmin {
    pub username: String,
    pub password: String,
}

/// A subscriber's service credentials.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DemoLogin {
    pub login: String,
    pub password: String,
    /// `active`, `suspended`, …
    pub status: String,
    /// Why, when suspended.
    pub suspend_reason: Option<String>,
}

/// What [`run`] created.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    /// Set when this run did the setup.
    pub admin: Option<DemoAdmin>,
    pub plans: Vec<String>,
    pub customers: usize,
    pub companies: usize,
    pub contracts: usize,
    /// Contracts per status (`suspended:non_payment` per reason).
    pub by_status: BTreeMap<String, usize>,
    pub notes: usize,
    pub events: usize,
    /// One login per status and suspension reason, for trying RADIUS.
    pub examples: Vec<DemoLogin>,
    pub elapsed: Duration,
}

const MALE: &[&str] = &[
    "João",
    "José",
    "Antônio",
    "Francisco",
    "Carlos",
    "Paulo",
    "Pedro",
    "Lucas",
    "Luiz",
    "Marcos",
    "Luís",
    "Gabriel",
    "Rafael",
    "Daniel",
    "Marcelo",
    "Bruno",
    "Eduardo",
    "Felipe",
    "Raimundo",
    "Rodrigo",
    "Sebastião",
    "Vinícius",
    "Matheus",
    "Gustavo",
    "André",
    "Fábio",
    "Márcio",
    "Otávio",
    "Caio",
    "Thiago",
];
const FEMALE: &[&str] = &[
    "Maria",
    "Ana",
    "Francisca",
    "Antônia",
    "Adriana",
    "Juliana",
    "Márcia",
    "Fernanda",
    "Patrícia",
    "Aline",
    "Sandra",
    "Camila",
    "Amanda",
    "Bruna",
    "Jéssica",
    "Letícia",
    "Júlia",
    "Luciana",
    "Vanessa",
    "Mariana",
    "Gabriela",
    "Conceição",
    "Beatriz",
    "Larissa",
    "Débora",
    "Cecília",
    "Lúcia",
    "Helena",
    "Luíza",
    "Tânia",
];
const SURNAMES: &[&str] = &[
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Almeida",
    "Lopes",
    "Soares",
    "Fernandes",
    "Vieira",
    "Barbosa",
    "Rocha",
    "Dias",
    "Nascimento",
    "Andrade",
    "Moreira",
    "Nunes",
    "Marques",
    "Machado",
    "Mendes",
    "Freitas",
    "Cardoso",
    "Ramos",
    "Gonçalves",
    "Santana",
    "Teixeira",
    "Araújo",
    "Conceição",
    "Magalhães",
    "Brandão",
    "Assunção",
];
const CONNECTORS: &[&str] = &["da", "dos", "de", ""];
const BUSINESSES: &[&str] = &[
    "Padaria",
    "Mercado",
    "Auto Peças",
    "Farmácia",
    "Oficina Mecânica",
    "Construtora",
    "Clínica Odontológica",
    "Restaurante",
    "Papelaria",
    "Pet Shop",
    "Academia",
    "Escritório Contábil",
    "Salão de Beleza",
    "Distribuidora",
    "Lanchonete",
    "Imobiliária",
];
const BUSINESS_NAMES: &[&str] = &[
    "São Jorge",
    "Bela Vista",
    "Estrela",
    "Boa Esperança",
    "Santa Luzia",
    "Progresso",
    "Primavera",
    "Bom Jesus",
    "Nova Era",
    "Cambuí",
    "Taquaral",
    "Ipê",
    "Jequitibá",
    "Aliança",
    "União",
];
const COMPANY_SUFFIXES: &[&str] = &["Ltda", "ME", "EIRELI", "S.A.", "Ltda - EPP"];
const STREETS: &[&str] = &[
    "Rua Barão de Jaguara",
    "Avenida Francisco Glicério",
    "Rua José Paulino",
    "Avenida Orosimbo Maia",
    "Rua Conceição",
    "Rua Coronel Quirino",
    "Avenida Brasil",
    "Avenida Júlio de Mesquita",
    "Rua Maria Monteiro",
    "Avenida Norte-Sul",
    "Rua Dr. Quirino",
    "Avenida Moraes Salles",
    "Rua Sacramento",
    "Rua Irmã Serafina",
    "Avenida Aquidabã",
    "Rua Padre Vieira",
    "Avenida Princesa D'Oeste",
    "Rua Barreto Leme",
    "Avenida Andrade Neves",
    "Rua Regente Feijó",
    "Rua Luzitana",
    "Avenida Heitor Penteado",
    "Rua Buarque de Macedo",
    "Avenida Dr. Jesuíno Marcondes Machado",
    "Rua Olavo Bilac",
    "Avenida José de Souza Campos",
    "Rua Emílio Ribas",
    "Rua Santos Dumont",
    "Avenida Amoreiras",
    "Rua Açaí",
];
const DISTRICTS: &[&str] = &[
    "Centro",
    "Cambuí",
    "Taquaral",
    "Barão Geraldo",
    "Guanabara",
    "Castelo",
    "Jardim Proença",
    "Bosque",
    "Botafogo",
    "Vila Industrial",
    "Jardim Chapadão",
    "Nova Campinas",
    "Swift",
    "Ponte Preta",
    "Jardim Flamboyant",
    "Parque Itália",
    "Vila Itapura",
    "São Bernardo",
];
const COMPLEMENTS: &[&str] = &[
    "", "", "", "", "Apto 12", "Apto 304", "Casa 2", "Fundos", "Sala 5",
];
const MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "hotmail.com",
    "outlook.com",
    "yahoo.com.br",
    "uol.com.br",
    "bol.com.br",
    "terra.com.br",
];
const NOTES: &[&str] = &[
    "Cliente pediu visita técnica à tarde, depois das 14h.",
    "Roteador trocado por modelo dual band.",
    "Prefere contato por WhatsApp.",
    "Portão azul, interfone com defeito: ligar ao chegar.",
    "Reclamou de lentidão à noite; sinal da ONU normal.",
    "Negociou o vencimento para o dia 10.",
    "Indicou um vizinho, conceder desconto na próxima fatura.",
];
const TAGS: &[&str] = &["vip", "condominio", "indicacao", "gamer", "home-office"];

/// Campinas' centre (Largo do Rosário).
const CENTRE: (f64, f64) = (-22.9056, -47.0608);
const CITY: &str = "Campinas";
const UF: &str = "SP";

/// The plans demo contracts use: name, technology, down/up kbps, price in
/// cents, quota (MB, throttle kbps), weight in the mix.
struct PlanSpec {
    name: &'static str,
    technology: Technology,
    down: i64,
    up: i64,
    price: i64,
    quota: Option<(i64, i64)>,
    loyalty: i64,
    weight: u32,
}

const PLANS: &[PlanSpec] = &[
    PlanSpec {
        name: "Fibra 300 Mega",
        technology: Technology::Fiber,
        down: 300_000,
        up: 150_000,
        price: 9990,
        quota: None,
        loyalty: 12,
        weight: 35,
    },
    PlanSpec {
        name: "Fibra 600 Mega",
        technology: Technology::Fiber,
        down: 600_000,
        up: 300_000,
        price: 12990,
        quota: None,
        loyalty: 12,
        weight: 30,
    },
    PlanSpec {
        name: "Fibra 1 Giga",
        technology: Technology::Fiber,
        down: 1_000_000,
        up: 500_000,
        price: 19990,
        quota: None,
        loyalty: 12,
        weight: 12,
    },
    PlanSpec {
        name: "Rádio 20 Mega",
        technology: Technology::Wireless,
        down: 20_000,
        up: 5_000,
        price: 7990,
        quota: None,
        loyalty: 0,
        weight: 10,
    },
    PlanSpec {
        name: "Rádio 50 Mega com franquia",
        technology: Technology::Wireless,
        down: 50_000,
        up: 10_000,
        price: 8990,
        quota: Some((200_000, 2_000)),
        loyalty: 0,
        weight: 8,
    },
    PlanSpec {
        name: "Empresarial Fibra 800 Mega",
        technology: Technology::Fiber,
        down: 800_000,
        up: 800_000,
        price: 34990,
        quota: None,
        loyalty: 24,
        weight: 5,
    },
];

fn pick<T: Copy>(r: &mut StdRng, xs: &[T]) -> T {
    xs[r.random_range(0..xs.len())]
}

/// Sets the installation up with a demo company and admin unless that was
/// done; returns the admin's credentials when it did.
pub async fn ensure_setup(svc: &Services) -> Result<Option<DemoAdmin>> {
    if crate::system::setup::is_done(svc).await? {
        return Ok(None);
    }
    let password = format!("demo-{}", crate::contracts::generate_password());
    let cnpj = document::cnpj_with_check_digits("112223330001")
        .ok_or_else(|| Error::Internal("demo CNPJ".into()))?;
    let input = crate::system::setup::SetupInput {
        company: "Fibra Campinas Telecom (demo)".into(),
        legal_document: document::cnpj(&cnpj).map(|d| d.display).unwrap_or(cnpj),
        country: "BR".into(),
        currency: "BRL".into(),
        locale: "pt-BR".into(),
        timezone: "America/Sao_Paulo".into(),
        admin_username: "admin".into(),
        admin_email: "admin@demo.lastmile.invalid".into(),
        admin_name: "Administrador (demo)".into(),
        admin_password: password.clone(),
        logo: None,
    };
    crate::system::setup::run(svc, &input, None).await?;
    Ok(Some(DemoAdmin {
        username: "admin".into(),
        password,
    }))
}

/// Finds or creates the demo plans; returns `(id, price, loyalty, name)`
/// per [`PLANS`] entry.
async fn ensure_plans(svc: &Services, caller: &Caller) -> Result<Vec<store::catalog::Plan>> {
    let existing = crate::catalog::list_plans(svc, caller, true, false).await?;
    let mut out = Vec::new();
    for p in PLANS {
        if let Some(found) = existing.iter().find(|e| e.name == p.name) {
            out.push(found.clone());
            continue;
        }
        let plan = Plan {
            name: p.name.into(),
            description: format!("{} (demo)", p.name),
            download_kbps: p.down,
            upload_kbps: p.up,
            burst_down: None,
            burst_up: None,
            quota: p.quota.map(|(mb, throttle)| Quota {
                megabytes: mb,
                action: QuotaAction::Throttle,
                throttle_kbps: Some(throttle),
            }),
            price: Money(p.price),
            billing_mode: BillingMode::Postpaid,
            cycle: Cycle::Monthly,
            installation_fee: Money(if p.loyalty > 0 { 0 } else { 15000 }),
            loyalty_months: p.loyalty,
            early_termination_fee: Money(if p.loyalty > 0 { 30000 } else { 0 }),
            tax_category: "scm".into(),
            technology: p.technology,
            suspended_behavior: SuspendedBehavior::Restricted,
            active: true,
            public: true,
        };
        out.push(crate::catalog::create_plan(svc, caller, &plan).await?);
    }
    Ok(out)
}

/// A generated customer before validation.
struct Generated {
    input: CustomerInput,
    address: AddressInput,
}

fn strip(s: &str) -> String {
    search::fold(s).replace(' ', "")
}

fn generate_customer(r: &mut StdRng, i: usize, seed: u64) -> Generated {
    let company = r.random_bool(0.08);
    // Bijections of the index (odd multipliers coprime to 10^k) keep
    // documents and phones unique across the whole run.
    let n = i as u64 + seed.wrapping_mul(7_919);
    let (kind, name, trade, doc) = if company {
        let biz = pick(r, BUSINESSES);
        let nm = pick(r, BUSINESS_NAMES);
        let suffix = pick(r, COMPANY_SUFFIXES);
        let base = (n.wrapping_mul(48_271) % 100_000_000) as u32;
        let branch = 1 + (n % 3) as u32;
        let cnpj =
            document::cnpj_with_check_digits(&format!("{base:08}{branch:04}")).unwrap_or_default();
        (
            "company",
            format!("{biz} {nm} {suffix}"),
            format!("{biz} {nm}"),
            cnpj,
        )
    } else {
        let first = if r.random_bool(0.5) {
            pick(r, MALE)
        } else {
            pick(r, FEMALE)
        };
        let mut name = (*first).to_owned();
        if r.random_bool(0.3) {
            name.push(' ');
            let list = if r.random_bool(0.5) { MALE } else { FEMALE };
            name.push_str(pick(r, list));
        }
        let conn = pick(r, CONNECTORS);
        if !conn.is_empty() {
            name.push(' ');
            name.push_str(conn);
        }
        name.push(' ');
        name.push_str(pick(r, SURNAMES));
        name.push(' ');
        name.push_str(pick(r, SURNAMES));
        let base = n.wrapping_mul(48_271) % 1_000_000_000;
        let cpf = document::cpf_with_check_digits(&format!("{base:09}")).unwrap_or_default();
        ("person", name, String::new(), cpf)
    };
    let words: Vec<String> = search::words(&name);
    let local = match (words.first(), words.last()) {
        (Some(_), Some(b)) if company => format!("contato.{}{}", strip(b), i),
        (Some(a), Some(b)) => format!("{}.{}{}", strip(a), strip(b), i),
        _ => format!("cliente{i}"),
    };
    let email = format!("{local}@{}", pick(r, MAIL_DOMAINS));
    let mobile = (n.wrapping_mul(7_654_321)) % 10_000_000;
    let mut phones = vec![format!(
        "(19) 99{:03}-{:04}",
        mobile / 10_000,
        mobile % 10_000
    )];
    if r.random_bool(0.2) {
        let land = (n.wrapping_mul(3_333_331)) % 1_000_000;
        phones.push(format!("(19) 32{:02}-{:04}", land / 10_000, land % 10_000));
    }
    let mut tags = Vec::new();
    if r.random_bool(0.1) {
        tags.push((pick(r, TAGS)).to_owned());
    }
    if company {
        tags.push("empresa".to_owned());
    }
    let birth = if company {
        String::new()
    } else {
        format!(
            "{}-{:02}-{:02}",
            r.random_range(1945..2006),
            r.random_range(1..13),
            r.random_range(1..29)
        )
    };
    // Scattered around the centre, denser near it (about 8 km at most).
    let angle = r.random_range(0.0..std::f64::consts::TAU);
    let dist = r.random_range(0.0f64..1.0).powf(1.5) * 0.075;
    let lat = CENTRE.0 + dist * angle.sin();
    let lng = CENTRE.1 + dist * angle.cos() / CENTRE.0.to_radians().cos();
    let address = AddressInput {
        kind: "billing".into(),
        label: String::new(),
        street: (pick(r, STREETS)).to_owned(),
        number: r.random_range(1..3000).to_string(),
        complement: (pick(r, COMPLEMENTS)).to_owned(),
        district: (pick(r, DISTRICTS)).to_owned(),
        city: CITY.into(),
        state: UF.into(),
        postal_code: format!(
            "{:05}-{:03}",
            r.random_range(13010..13100),
            r.random_range(0..1000)
        ),
        country: "BR".into(),
        lat: Some((lat * 1e6).round() / 1e6),
        lng: Some((lng * 1e6).round() / 1e6),
    };
    Generated {
        input: CustomerInput {
            kind: kind.into(),
            name,
            trade_name: trade,
            document: doc,
            document_country: String::new(),
            state_registration: String::new(),
            birth_date: birth,
            emails: vec![email],
            phones,
            preferred_channel: (pick(r, &["email", "whatsapp", "whatsapp", "sms", "phone"]))
                .to_owned(),
            locale: String::new(),
            tags,
            custom_fields: BTreeMap::new(),
            allow_duplicate: true,
        },
        address,
    }
}

fn date_of(ts: i64) -> String {
    jiff::Timestamp::from_second(ts)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
        .unwrap_or_default()
}

/// A random password in the contracts service's alphabet, from the seeded
/// generator (so a seed reproduces the same credentials).
fn password(r: &mut StdRng) -> String {
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..12)
        .map(|_| CHARS[r.random_range(0..CHARS.len())] as char)
        .collect()
}

/// Where the status mix lands a contract.
fn pick_status(r: &mut StdRng) -> (Status, Option<SuspendReason>) {
    match r.random_range(0..100) {
        0..5 => (Status::PendingInstallation, None),
        5..82 => (Status::Active, None),
        82..87 => (Status::Suspended, Some(SuspendReason::NonPayment)),
        87..90 => (Status::Suspended, Some(SuspendReason::CustomerRequest)),
        90..92 => (Status::Suspended, Some(SuspendReason::Administrative)),
        _ => (Status::Canceled, None),
    }
}

/// Fills a set-up database (setting it up first if needed) with demo data.
/// Refused with `Refused("demo-not-empty")` when customers exist, so a seed
/// always means the same data. `progress` hears `(done, total)` after each
/// chunk; `credentials`, when given, receives `login,password,contract_status`
/// CSV for every contract.
pub async fn run(
    svc: &Services,
    caller: &Caller,
    opts: &DemoOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
    credentials: Option<&mut (dyn std::io::Write + Send)>,
) -> Result<DemoSummary> {
    // It registers customers, plans and contracts in bulk: who may do all
    // three (the console and jobs may).
    caller.require(domain::Permission::CustomersImport)?;
    caller.require(domain::Permission::PlansManage)?;
    caller.require(domain::Permission::ContractsManage)?;
    let actor = &caller.actor();
    let started = Instant::now();
    let admin = ensure_setup(svc).await?;
    {
        let mut c = svc.db.conn().await?;
        if store::crm::customers::count(&mut c).await? > 0 {
            return Err(Error::Refused("demo-not-empty"));
        }
    }
    let plans = ensure_plans(svc, caller).await?;
    let weights: Vec<u32> = PLANS.iter().map(|p| p.weight).collect();
    let total_weight: u32 = weights.iter().sum();
    let (country, today) = {
        let mut c = svc.db.conn().await?;
        (
            crm::installation_country(&mut c).await?,
            crm::today(&mut c).await?,
        )
    };
    let mut csv = credentials.map(csv::Writer::from_writer);
    if let Some(w) = csv.as_mut() {
        w.write_record(["login", "password", "contract_status"])
            .map_err(|e| Error::Internal(format!("credentials file: {e}")))?;
    }

    let mut r = StdRng::seed_from_u64(opts.seed);
    let engine = svc.db.engine();
    let now = store::now();
    let mut logins: HashMap<String, u32> = HashMap::new();
    let mut summary = DemoSummary {
        admin,
        plans: plans.iter().map(|p| p.name.clone()).collect(),
        customers: 0,
        companies: 0,
        contracts: 0,
        by_status: BTreeMap::new(),
        notes: 0,
        events: 0,
        examples: Vec::new(),
        elapsed: Duration::ZERO,
    };
    let mut ip_seq: u32 = 0;
    let mut done = 0;
    while done < opts.customers {
        let n = CHUNK.min(opts.customers - done);
        let mut customers = Vec::with_capacity(n);
        let mut addresses = Vec::with_capacity(n);
        let mut contracts: Vec<Contract> = Vec::with_capacity(n + n / 8);
        let mut transitions = Vec::new();
        let mut events = Vec::with_capacity(n * 3);
        let mut notes = Vec::new();

        // Generate and validate first, so the transaction only writes.
        let mut generated = Vec::with_capacity(n);
        for k in 0..n {
            let i = done + k;
            let mut g = generate_customer(&mut r, i, opts.seed);
            let p = loop {
                match crm::prepare(&g.input, &country, today, &[]) {
                    Ok(p) => break p,
                    // A generated document can be one of the reserved
                    // sequences (all digits equal): draw another.
                    Err(Error::Invalid {
                        field: "document", ..
                    }) => {
                        g = generate_customer(&mut r, i + opts.customers + 1, opts.seed);
                    }
                    Err(e) => return Err(e),
                }
            };
            let a = crm::prepare_address(&g.address, &country)?;
            let contract_count = if r.random_bool(0.1) { 2 } else { 1 };
            generated.push((p, a, contract_count));
        }
        let contract_total: i64 = generated.iter().map(|g| g.2 as i64).sum();

        let mut tx = svc.db.begin().await?;
        let first_customer = bulk::reserve_ids(&mut tx, engine, "customers", n as i64).await?;
        let first_address =
            bulk::reserve_ids(&mut tx, engine, "customer_addresses", n as i64).await?;
        let first_contract =
            bulk::reserve_ids(&mut tx, engine, "contracts", contract_total).await?;
        let first_number =
            bulk::reserve_counter(&mut tx, "contract_number", contract_total).await?;
        let mut contract_seq = 0i64;
        for (k, (p, a, contract_count)) in generated.into_iter().enumerate() {
            let customer_id = first_customer + k as i64;
            let address_id = first_address + k as i64;
            // Customers joined over the last thirteen months: a year of
            // billing history (`billing_history`) covers nearly all of it.
            let joined = now - r.random_range(3_600..(395 * 86_400));
            let name = p.data.name.clone();
            if p.data.kind == "company" {
                summary.companies += 1;
            }
            let base_login = rules::login_from_name(&name);
            customers.push(NewCustomer {
                id: customer_id,
                data: p.data,
                keys: p.keys,
                created_at: joined,
            });
            addresses.push(NewAddress {
                id: address_id,
                customer_id,
                data: a,
                created_at: joined,
            });
            events.push(NewEvent {
                customer_id,
                at: joined,
                kind: EventKind::CustomerCreated.as_str(),
                summary: format!("Customer {name} registered"),
                entity: Some(("customer", customer_id.to_string())),
                data: json!({ "name": name }),
            });
            if r.random_bool(0.05) {
                let at = r.random_range(joined..=now);
                let body = (pick(&mut r, NOTES)).to_owned();
                events.push(NewEvent {
                    customer_id,
                    at,
                    kind: EventKind::NoteAdded.as_str(),
                    summary: body.clone(),
                    entity: None,
                    data: json!({}),
                });
                notes.push((customer_id, body, at));
            }
            for _ in 0..contract_count {
                let id = first_contract + contract_seq;
                let number = format!("{:06}", first_number + contract_seq);
                contract_seq += 1;
                let mut pick_w = r.random_range(0..total_weight);
                let mut pi = 0;
                while pick_w >= weights[pi] {
                    pick_w -= weights[pi];
                    pi += 1;
                }
                let plan = &plans[pi];
                let (status, reason) = pick_status(&mut r);
                let created = joined;
                let start = if status == Status::PendingInstallation {
                    now - r.random_range(0..(10 * 86_400))
                } else {
                    created
                };
                let login = {
                    let c = logins.entry(base_login.clone()).or_insert(0);
                    *c += 1;
                    if *c == 1 {
                        base_login.clone()
                    } else {
                        format!("{base_login}{c}")
                    }
                };
                let pw = password(&mut r);
                // History: installed within days, then suspended or canceled.
                let mut t = start;
                let mut history: Vec<(Status, Status, Option<SuspendReason>, i64)> = Vec::new();
                if status != Status::PendingInstallation {
                    t = (t + r.random_range(86_400..(7 * 86_400))).min(now);
                    history.push((Status::PendingInstallation, Status::Active, None, t));
                    match status {
                        Status::Suspended => {
                            t = r.random_range(t..=now);
                            history.push((Status::Active, Status::Suspended, reason, t));
                        }
                        Status::Canceled => {
                            let from = if r.random_bool(0.5) {
                                t = r.random_range(t..=now);
                                history.push((
                                    Status::Active,
                                    Status::Suspended,
                                    Some(SuspendReason::NonPayment),
                                    t,
                                ));
                                Status::Suspended
                            } else {
                                Status::Active
                            };
                            t = r.random_range(t..=now);
                            history.push((from, Status::Canceled, None, t));
                        }
                        _ => {}
                    }
                }
                let start_date = date_of(start);
                let loyalty_end = (plan.loyalty_months > 0)
                    .then(|| {
                        jiff::civil::Date::strptime("%Y-%m-%d", &start_date)
                            .ok()
                            .and_then(|d| {
                                d.checked_add(jiff::Span::new().months(plan.loyalty_months))
                                    .ok()
                            })
                            .map(|d| d.to_string())
                    })
                    .flatten();
                let in_service = matches!(status, Status::Active | Status::Suspended);
                let (ipv4, ipv6, mac) = if in_service && r.random_bool(0.2) {
                    ip_seq += 1;
                    let ip = std::net::Ipv4Addr::from(
                        u32::from(std::net::Ipv4Addr::new(100, 64, 0, 0)) + ip_seq,
                    );
                    let v6 = rules::ipv6_prefix(&format!(
                        "2804:7f0:{:x}:{:x}00::/56",
                        ip_seq >> 8,
                        ip_seq & 0xff
                    ))
                    .ok();
                    let mac = rules::mac(&format!(
                        "02:4c:{:02x}:{:02x}:{:02x}:{:02x}",
                        (ip_seq >> 24) & 0xff,
                        (ip_seq >> 16) & 0xff,
                        (ip_seq >> 8) & 0xff,
                        ip_seq & 0xff
                    ))
                    .ok();
                    (Some(ip.to_string()), v6, mac)
                } else {
                    (None, None, None)
                };
                let status_key = match reason {
                    Some(r) => format!("{}:{}", status.as_str(), r.as_str()),
                    None => status.as_str().to_owned(),
                };
                // Examples are for `radtest`, which sends no
                // Calling-Station-Id: a MAC-bound login would be rejected.
                if mac.is_none()
                    && !summary.examples.iter().any(|e| {
                        e.status == status.as_str()
                            && e.suspend_reason.as_deref() == reason.map(|r| r.as_str())
                    })
                {
                    summary.examples.push(DemoLogin {
                        login: login.clone(),
                        password: pw.clone(),
                        status: status.as_str().to_owned(),
                        suspend_reason: reason.map(|r| r.as_str().to_owned()),
                    });
                }
                *summary.by_status.entry(status_key).or_default() += 1;
                if let Some(w) = csv.as_mut() {
                    w.write_record([login.as_str(), pw.as_str(), status.as_str()])
                        .map_err(|e| Error::Internal(format!("credentials file: {e}")))?;
                }
                let payload = json!({
                    "contract_id": id, "customer_id": customer_id, "plan_id": plan.id,
                    "status": "pending_installation", "login": login,
                    "number": number, "plan": plan.name,
                });
                events.push(NewEvent {
                    customer_id,
                    at: start,
                    kind: EventKind::ContractCreated.as_str(),
                    summary: format!("Contract {number} created on plan {}", plan.name),
                    entity: Some(("contract", id.to_string())),
                    data: payload,
                });
                for (from, to, why, at) in &history {
                    transitions.push(NewTransition {
                        contract_id: id,
                        from: from.as_str(),
                        to: to.as_str(),
                        reason: why.map(|w| w.as_str()),
                        note: String::new(),
                        at: *at,
                    });
                    let kind = EventKind::of_transition(*from, *to).as_str();
                    let mut summary_line = format!("Contract {number}: {from} → {to}");
                    if let Some(w) = why {
                        summary_line.push_str(&format!(" ({})", w.as_str()));
                    }
                    events.push(NewEvent {
                        customer_id,
                        at: *at,
                        kind,
                        summary: summary_line,
                        entity: Some(("contract", id.to_string())),
                        data: json!({
                            "contract_id": id, "customer_id": customer_id, "login": login,
                            "from": from.as_str(), "to": to.as_str(),
                            "reason": why.map(|w| w.as_str()), "at": at,
                            "number": number,
                        }),
                    });
                }
                contracts.push(Contract {
                    id,
                    number,
                    customer_id,
                    plan_id: plan.id,
                    price: plan.price,
                    installation_fee: plan.installation_fee,
                    billing_day: pick(&mut r, &[5, 10, 15, 20, 25]),
                    start_date,
                    end_date: (status == Status::Canceled).then(|| date_of(t)),
                    loyalty_end_date: loyalty_end,
                    early_termination_fee: plan.early_termination_fee,
                    status: status.as_str().to_owned(),
                    suspend_reason: reason.map(|r| r.as_str().to_owned()),
                    status_changed_at: t,
                    service_address_id: Some(address_id),
                    pppoe_login: login,
                    pppoe_password: svc.secrets.encrypt(&pw),
                    mac,
                    ipv4,
                    ipv6_prefix: ipv6,
                    notes: String::new(),
                    created_at: start.min(created),
                    updated_at: t,
                });
            }
        }
        bulk::insert_customers(&mut tx, &customers).await?;
        bulk::insert_addresses(&mut tx, &addresses).await?;
        bulk::insert_contracts(&mut tx, &contracts).await?;
        bulk::insert_transitions(&mut tx, actor, &transitions).await?;
        bulk::insert_notes(&mut tx, actor, &notes).await?;
        bulk::insert_events(&mut tx, actor, &events).await?;
        Change::new("demo.generate", "customer", first_customer)
            .after(json!({
                "seed": opts.seed,
                "customers": [first_customer, first_customer + n as i64 - 1],
                "contracts": [first_contract, first_contract + contract_total - 1],
                "notes": notes.len(),
                "events": events.len(),
            }))
            .record(&mut tx, engine, actor)
            .await?;
        tx.commit().await?;
        summary.customers += n;
        summary.contracts += contracts.len();
        summary.notes += notes.len();
        summary.events += events.len();
        done += n;
        progress(done, opts.customers);
    }
    {
        let mut c = svc.db.conn().await?;
        bulk::analyze(&mut c, engine).await?;
    }
    if let Some(mut w) = csv {
        w.flush()
            .map_err(|e| Error::Internal(format!("credentials file: {e}")))?;
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Brazil's taxes on SCM (internet access) services, included in the price
/// as a share of it: ICMS at São Paulo's 18 % (telecom is an essential
/// service since LC 194/2022), PIS 0.65 % and COFINS 3 % (cumulative
/// regime), FUST 1 % and FUNTTEL 0.5 %.
pub const SCM_TAXES: &[(&str, &str)] = &[
    ("ICMS", "18"),
    ("PIS", "0,65"),
    ("COFINS", "3"),
    ("FUST", "1"),
    ("FUNTTEL", "0,5"),
];

/// What [`billing_history`] wrote.
#[derive(Debug, Clone, Default)]
pub struct BillingHistory {
    pub runs: usize,
    pub invoices: i64,
    pub total: Money,
    pub credit_notes: usize,
    pub voided: usize,
    /// Payments recorded (on time, late, in part) and refunds.
    pub payments: usize,
    pub refunds: usize,
    pub elapsed: Duration,
}

/// A year (`months`) of billing on the demo data, through the real billing
/// run: the SCM tax rates (those missing), then one run as of the 25th of
/// each past month (every demo billing day is on or before it) and one as
/// of today, then a few corrections (credit notes and voids) on recent
/// invoices, then payments ([`pay_invoices`]). `progress` hears `(runs
/// done, runs)`.
///
/// Each run is the production `billing::run::run`, one transaction per
/// invoice; at 100,000 customers a year of it takes minutes (twelve runs
/// over every contract), which is why the CLI lets `--billing-months`
/// shorten or skip it.
pub async fn billing_history(
    svc: &Services,
    caller: &Caller,
    months: u32,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<BillingHistory> {
    use crate::billing::{documents, run, taxes};
    use jiff::ToSpan;
    let started = Instant::now();
    let existing: Vec<String> = taxes::list(svc, caller)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    for (name, percent) in SCM_TAXES {
        if existing.iter().any(|e| e == name) {
            continue;
        }
        taxes::create(
            svc,
            caller,
            &taxes::TaxInput {
                name: (*name).into(),
                percent: (*percent).into(),
                mode: "included_share".into(),
                category: "scm".into(),
                position: SCM_TAXES.iter().position(|(n, _)| n == name).unwrap_or(0) as i64,
                active: true,
            },
        )
        .await?;
    }
    let policy = crate::billing::settings::policy(svc).await?;
    let today = {
        let mut c = svc.db.conn().await?;
        crm::today(&mut c).await?
    };
    let mut dates: Vec<jiff::civil::Date> = (1..=i64::from(months))
        .rev()
        .filter_map(|m| today.checked_sub(m.months()).ok())
        .filter_map(|d| d.with().day(25).build().ok())
        .collect();
    dates.push(today);
    let mut out = BillingHistory::default();
    for (i, as_of) in dates.iter().enumerate() {
        let id = run::run(svc, caller, *as_of, &policy).await?;
        // The run's row says what it issued (`run::get_run` once it is
        // on main; the store read meanwhile).
        let r = {
            let mut c = svc.db.conn().await?;
            store::billing::runs::get(&mut c, id).await?
        };
        out.runs += 1;
        out.invoices += r.invoices;
        out.total = Money(out.total.0.saturating_add(r.total));
        progress(i + 1, dates.len());
    }
    // Corrections on the newest invoices: every 50th voided, every 50th
    // (25 apart) half of its first line credited.
    let (recent, _) = documents::list(
        svc,
        caller,
        &store::billing::documents::Filter {
            kind: Some("invoice".into()),
            status: Some("issued".into()),
            limit: 500,
            ..Default::default()
        },
    )
    .await?;
    for (i, d) in recent.iter().enumerate() {
        if i % 50 == 0 {
            documents::void(svc, caller, d.id, "Billed in error (demo)", &policy).await?;
            out.voided += 1;
            out.credit_notes += 1;
        } else if i % 50 == 25 {
            let full = documents::get(svc, caller, d.id).await?;
            let Some(line) = full.lines.first() else {
                continue;
            };
            documents::credit(
                svc,
                caller,
                d.id,
                &[documents::CreditLine {
                    line_id: line.id,
                    amount: Some(Money(line.total / 2)),
                }],
                "Service outage credit (demo)",
                &policy,
            )
            .await?;
            out.credit_notes += 1;
        }
    }
    let (payments, refunds) = pay_invoices(svc, caller).await?;
    out.payments = payments;
    out.refunds = refunds;
    out.elapsed = started.elapsed();
    Ok(out)
}

/// Invoices paid per transaction by [`pay_invoices`].
const PAY_GROUP: usize = 250;

/// Pays the demo's issued invoices through the payments service, so
/// dashboards and aging look like a real book: by the invoice's id, 85 in
/// 100 on time (Pix, boleto or card, a few days before the due date), 8
/// late (3 to 20 days after it, when that day has come), the rest left
/// open (overdue once due); every 50th payment is half the invoice, and
/// the first payment is partly refunded. Each payment is the production
/// `payments::record_in`, many per transaction. Returns (payments,
/// refunds).
pub async fn pay_invoices(svc: &Services, caller: &Caller) -> Result<(usize, usize)> {
    use crate::payments::{self, NewPayment, RefundVia};
    use domain::payments::Method;
    use jiff::ToSpan;
    let today = {
        let mut c = svc.db.conn().await?;
        crm::today(&mut c).await?
    };
    let mut filter = store::billing::documents::Filter {
        kind: Some("invoice".into()),
        status: Some("issued".into()),
        limit: 500,
        ..Default::default()
    };
    let mut done = 0;
    let mut first = None;
    loop {
        let (docs, more) = {
            let mut c = svc.db.conn().await?;
            store::billing::documents::list(&mut c, &filter).await?
        };
        filter.before_id = docs.last().map(|d| d.id);
        for group in docs.chunks(PAY_GROUP) {
            let mut tx = svc.db.begin().await?;
            for d in group {
                let (Ok(due), Some(Ok(issued))) = (
                    d.due_date.parse::<jiff::civil::Date>(),
                    d.issue_date.as_deref().map(str::parse::<jiff::civil::Date>),
                ) else {
                    continue;
                };
                let slot = d.id.rem_euclid(100);
                let day = if slot < 85 {
                    due.checked_sub((d.id % 6).days()).unwrap_or(due)
                } else if slot < 93 {
                    due.checked_add((3 + d.id % 18).days()).unwrap_or(due)
                } else {
                    continue;
                };
                let day = day.max(issued);
                if day > today {
                    continue;
                }
                let open = store::payments::invoice_amounts(&mut tx, d.id)
                    .await?
                    .open();
                if open <= 0 {
                    continue;
                }
                let amount = if done % 50 == 49 { open / 2 } else { open };
                if amount <= 0 {
                    continue;
                }
                let method = match d.id % 3 {
                    0 => Method::Pix,
                    1 => Method::Boleto,
                    _ => Method::Stripe,
                };
                let r = payments::record_in(
                    &mut tx,
                    caller,
                    &NewPayment {
                        customer_id: d.customer_id,
                        method,
                        amount: Money(amount),
                        received_on: day.to_string(),
                        invoice_id: Some(d.id),
                        gateway: Some("demo".into()),
                        reference: Some(format!("demo-{}", d.id)),
                        fee: Money(if method == Method::Pix {
                            0
                        } else {
                            amount / 50
                        }),
                        notes: String::new(),
                    },
                )
                .await?;
                if !r.duplicate {
                    first.get_or_insert(r.payment.id);
                    done += 1;
                }
            }
            tx.commit().await?;
        }
        if !more {
            break;
        }
    }
    let mut refunds = 0;
    if let Some(id) = first {
        payments::refund(
            svc,
            caller,
            id,
            Money(1_000),
            "Charged twice (demo)",
            &RefundVia::Recorded,
        )
        .await?;
        refunds += 1;
    }
    Ok((done, refunds))
}
