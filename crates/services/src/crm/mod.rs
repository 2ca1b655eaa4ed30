//! Customers: registration with validation and duplicate detection,
//! addresses, staff notes, the timeline every area writes to, and search by
//! any key (name, document, e-mail, phone, PPPoE login, IP, contract number,
//! address).

pub mod custom_fields;
pub mod documents;
pub mod import;

use std::collections::{BTreeMap, HashSet};

use domain::Permission;
use domain::crm::search;
use domain::crm::timeline::EventKind;
use domain::validate::{self, FieldError};
use domain::{crm::cep, crm::document, crm::phone};
use serde_json::json;
use store::AnyConnection;
/// The customer rows this area returns, for interfaces to name.
pub use store::crm::customers::{Address, After, Customer, Note, Sort};
use store::crm::customers::{AddressData, CustomerData};
/// A customer's timeline as stored, and the cursor of its pages.
pub use store::crm::timeline::{Before as TimelineBefore, Event as TimelineEntry};

use crate::{Actor, Caller, Change, Error, Result, Services, check};

/// Who may do what with customers, named once. Every entry point of the
/// customer area checks its caller with these before anything else; an
/// interface that judges a request before calling one (a form, a JSON
/// body) asks first, so a caller without the permission is refused before
/// its input is judged, and never by a rule of its own.
pub mod access {
    use domain::Permission;

    use crate::{Caller, Result};

    /// Reading customers and what belongs to them: staff with
    /// `customers.view`; a customer passes here and is held to its own
    /// records when one is read.
    pub fn view(caller: &Caller) -> Result<()> {
        own_or(caller, Permission::CustomersView)
    }

    /// Registering and changing customers, their addresses and notes:
    /// `customers.manage`.
    pub fn manage(caller: &Caller) -> Result<()> {
        caller.require(Permission::CustomersManage)
    }

    /// KYC documents: `customers.documents`; a customer passes here and
    /// reads only its own.
    pub fn documents(caller: &Caller) -> Result<()> {
        own_or(caller, Permission::CustomersDocuments)
    }

    /// Importing and exporting whole lists: `customers.import`.
    pub fn import(caller: &Caller) -> Result<()> {
        caller.require(Permission::CustomersImport)
    }

    /// Defining custom customer fields: `settings.manage`.
    pub fn settings(caller: &Caller) -> Result<()> {
        caller.require(Permission::SettingsManage)
    }

    /// Staff, jobs and the console need `p`; a customer passes (each
    /// record read is then checked with `Caller::require_for_customer`).
    pub(crate) fn own_or(caller: &Caller, p: Permission) -> Result<()> {
        match caller {
            Caller::Customer { .. } => Ok(()),
            _ => caller.require(p),
        }
    }
}

/// Contact channels a customer may prefer.
pub const CHANNELS: &[&str] = &["email", "phone", "sms", "whatsapp", "mail"];

/// A customer's fields as a form, the API or an import gives them.
#[derive(Debug, Clone, Default)]
pub struct CustomerInput {
    /// `person` or `company`.
    pub kind: String,
    pub name: String,
    pub trade_name: String,
    pub document: String,
    /// Whose rules the document follows (ISO 3166 alpha-2); empty means the
    /// installation's country.
    pub document_country: String,
    pub state_registration: String,
    /// `YYYY-MM-DD`, or empty.
    pub birth_date: String,
    pub emails: Vec<String>,
    /// Any format; numbers without a country code are read in the
    /// installation's country.
    pub phones: Vec<String>,
    /// One of [`CHANNELS`]; empty means `email`.
    pub preferred_channel: String,
    /// The language sent documents and messages use (`en`, `pt-BR`);
    /// empty follows the company's language.
    pub locale: String,
    pub tags: Vec<String>,
    pub custom_fields: BTreeMap<String, String>,
    /// Create even when another customer has the same document, e-mail or
    /// phone (after the user saw the duplicates).
    pub allow_duplicate: bool,
}

/// Another customer with the same document, e-mail or phone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Duplicate {
    pub customer_id: i64,
    pub name: String,
    /// `document`, `email` or `phone`.
    pub matched: String,
}

/// What creating a customer did.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// The customer as stored.
    Customer(Box<Customer>),
    /// Nothing was written: these customers share a key with the input.
    Duplicates(Vec<Duplicate>),
}

/// The installation's country (from setup), `BR` before setup.
pub async fn installation_country(conn: &mut AnyConnection) -> Result<String> {
    Ok(store::system::company::get(conn)
        .await?
        .map(|c| c.country)
        .unwrap_or_else(|| "BR".into()))
}

/// The installation's currency (from setup), `BRL` before setup; its
/// minor unit is `domain::money::minor_units`.
pub async fn installation_currency(conn: &mut AnyConnection) -> Result<String> {
    Ok(store::system::company::get(conn)
        .await?
        .map(|c| c.currency)
        .unwrap_or_else(|| "BRL".into()))
}

/// Today in the installation's time zone.
pub async fn today(conn: &mut AnyConnection) -> Result<jiff::civil::Date> {
    let tz = store::system::company::get(conn)
        .await?
        .and_then(|c| jiff::tz::TimeZone::get(&c.timezone).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    Ok(jiff::Timestamp::now().to_zoned(tz).date())
}

/// The language of what is sent to customer `customer_id` (invoice PDFs
/// and e-mails, receipts, reminders, notices): the one the customer
/// prefers, else the company's; `en` or `pt-BR`.
pub async fn customer_locale(conn: &mut AnyConnection, customer_id: i64) -> Result<&'static str> {
    let preferred = store::crm::customers::get(conn, customer_id).await?.locale;
    let company = store::system::company::get(conn)
        .await?
        .map(|c| c.locale)
        .unwrap_or_default();
    Ok(domain::system::locale::customer_locale(&preferred, &company).tag())
}

pub(crate) async fn field_defs(
    conn: &mut AnyConnection,
) -> Result<Vec<crate::crm::custom_fields::Definition>> {
    Ok(store::crm::documents::field_defs(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The validated row and lookup keys of a customer.
pub(crate) struct Prepared {
    pub(crate) data: CustomerData,
    pub(crate) keys: Vec<(&'static str, String)>,
}

/// Validates and normalises a customer (every interface, imports and demo
/// data go through here) and computes its search columns and lookup keys.
pub(crate) fn prepare(
    input: &CustomerInput,
    country: &str,
    today: jiff::civil::Date,
    defs: &[crate::crm::custom_fields::Definition],
) -> Result<Prepared> {
    let kind = input.kind.trim();
    if kind != "person" && kind != "company" {
        return Err(Error::invalid("kind", FieldError::Choice));
    }
    check("name", validate::required(&input.name, 200))?;
    check("trade_name", validate::optional(&input.trade_name, 200))?;
    let doc_country = match input.document_country.trim() {
        "" => country.to_owned(),
        c => {
            let c = c.to_ascii_uppercase();
            check("document_country", validate::country(&c))?;
            c
        }
    };
    let doc = document::parse(&doc_country, &input.document)
        .map_err(|e| Error::invalid("document", e))?;
    match (kind, doc.kind) {
        ("person", document::DocKind::Cnpj) => {
            return Err(Error::invalid("document", FieldError::Cpf));
        }
        ("company", document::DocKind::Cpf) => {
            return Err(Error::invalid("document", FieldError::Cnpj));
        }
        _ => {}
    }
    check(
        "state_registration",
        validate::optional(&input.state_registration, 30),
    )?;
    let birth_date = match input.birth_date.trim() {
        "" => None,
        s => {
            let d = validate::date(s).map_err(|e| Error::invalid("birth_date", e))?;
            if d > today || d.year() < 1900 {
                return Err(Error::invalid("birth_date", FieldError::Range));
            }
            Some(d.to_string())
        }
    };
    let mut emails = Vec::new();
    let mut seen = HashSet::new();
    for e in &input.emails {
        let e = e.trim();
        if e.is_empty() {
            continue;
        }
        check("emails", validate::email(e))?;
        if seen.insert(e.to_lowercase()) {
            emails.push(e.to_owned());
        }
    }
    if emails.len() > 10 {
        return Err(Error::invalid("emails", FieldError::TooLong));
    }
    let mut phones = Vec::new();
    let mut phone_keys = Vec::new();
    for p in &input.phones {
        if p.trim().is_empty() {
            continue;
        }
        let n = phone::parse(p, country).map_err(|e| Error::invalid("phones", e))?;
        if !phones.contains(&n.e164) {
            phone_keys.push(n.national.clone());
            phones.push(n.e164);
        }
    }
    if phones.len() > 10 {
        return Err(Error::invalid("phones", FieldError::TooLong));
    }
    let channel = match input.preferred_channel.trim() {
        "" => "email",
        c => CHANNELS
            .iter()
            .copied()
            .find(|x| *x == c)
            .ok_or_else(|| Error::invalid("preferred_channel", FieldError::Choice))?,
    };
    let locale = match input.locale.trim() {
        "" => "",
        l => l
            .parse::<domain::system::locale::Locale>()
            .map_err(|_| Error::invalid("locale", FieldError::Choice))?
            .tag(),
    };
    let mut tags: Vec<String> = Vec::new();
    for t in &input.tags {
        let t = t.trim().to_lowercase();
        if t.is_empty() {
            continue;
        }
        check("tags", validate::optional(&t, 40))?;
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    // Checked against the provider's definitions (unknown keys, required
    // fields, number/date/choice), naming `custom_fields.<key>`.
    let custom = crate::crm::custom_fields::check_values(defs, &input.custom_fields)?;
    let name = input.name.trim().to_owned();
    let trade_name = input.trade_name.trim().to_owned();
    let mut keys: Vec<(&'static str, String)> = vec![("document", doc.normalized.clone())];
    keys.extend(emails.iter().map(|e| ("email", e.to_lowercase())));
    keys.extend(
        phones
            .iter()
            .map(|p| ("phone", p.trim_start_matches('+').to_owned())),
    );
    keys.extend(phone_keys.into_iter().map(|n| ("phone", n)));
    Ok(Prepared {
        data: CustomerData {
            kind: kind.to_owned(),
            search_text: search::fold(&format!("{name} {trade_name}")),
            name_key: search::fold(&name),
            name,
            trade_name,
            document_kind: doc.kind.as_str().to_owned(),
            document: doc.display,
            document_norm: doc.normalized,
            state_registration: input.state_registration.trim().to_owned(),
            birth_date,
            emails,
            phones,
            preferred_channel: channel.to_owned(),
            locale: locale.to_owned(),
            tags,
            custom_fields: custom,
        },
        keys,
    })
}

pub(crate) fn customer_json(c: &Customer) -> serde_json::Value {
    serde_json::to_value(c).unwrap_or_default()
}

/// Other customers with the same document, e-mail or phone (E.164) as `keys`.
pub(crate) async fn duplicates(
    conn: &mut AnyConnection,
    keys: &[(&'static str, String)],
    except: Option<i64>,
) -> Result<Vec<Duplicate>> {
    // Only full E.164 phones count: national digits may collide abroad.
    let strong: Vec<(&str, String)> = keys
        .iter()
        .filter(|(k, v)| *k != "phone" || v.len() > 11)
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    let hits = store::crm::customers::with_keys(conn, &strong, except).await?;
    let mut out: Vec<Duplicate> = Vec::new();
    for h in hits {
        if out
            .iter()
            .any(|d| d.customer_id == h.customer_id && d.matched == h.kind)
        {
            continue;
        }
        let c = store::crm::customers::get(conn, h.customer_id).await?;
        out.push(Duplicate {
            customer_id: h.customer_id,
            name: c.name,
            matched: h.kind,
        });
    }
    Ok(out)
}

/// Customers sharing a document, e-mail or phone with `input` (for a form's
/// warning before saving).
pub async fn find_duplicates(
    svc: &Services,
    caller: &Caller,
    input: &CustomerInput,
) -> Result<Vec<Duplicate>> {
    access::manage(caller)?;
    let mut c = svc.db.conn().await?;
    let country = installation_country(&mut c).await?;
    let defs = field_defs(&mut c).await?;
    let p = prepare(input, &country, today(&mut c).await?, &defs)?;
    duplicates(&mut c, &p.keys, None).await
}

/// Creates a customer, unless another one has the same document, e-mail or
/// phone and `input.allow_duplicate` is false.
pub async fn create_customer(
    svc: &Services,
    caller: &Caller,
    input: &CustomerInput,
) -> Result<Created> {
    create_customer_with_billing(svc, caller, input, None).await
}

/// Like [`create_customer`], and adds `billing` as the customer's billing
/// address in the same transaction (a form that registers both never leaves
/// a customer without the address it showed as saved). Address errors name
/// the field with a `billing_` prefix (`billing_street`).
pub async fn create_customer_with_billing(
    svc: &Services,
    caller: &Caller,
    input: &CustomerInput,
    billing: Option<&AddressInput>,
) -> Result<Created> {
    access::manage(caller)?;
    let actor = &caller.actor();
    let mut tx = svc.db.begin().await?;
    let country = installation_country(&mut tx).await?;
    let defs = field_defs(&mut tx).await?;
    let p = prepare(input, &country, today(&mut tx).await?, &defs)?;
    let billing = billing.map(|a| prepare_billing(a, &country)).transpose()?;
    if !input.allow_duplicate {
        let dups = duplicates(&mut tx, &p.keys, None).await?;
        if !dups.is_empty() {
            return Ok(Created::Duplicates(dups));
        }
    }
    let engine = svc.db.engine();
    let now = store::now();
    let id = store::crm::customers::insert(&mut tx, &p.data, now).await?;
    store::crm::customers::replace_keys(&mut tx, id, &p.keys).await?;
    let created = store::crm::customers::get(&mut tx, id).await?;
    Change::new("customer.create", "customer", id)
        .after(customer_json(&created))
        .timeline(
            id,
            EventKind::CustomerCreated,
            format!("Customer {} registered", created.name),
        )
        .timeline_data(json!({ "name": created.name }))
        .record(&mut tx, engine, actor)
        .await?;
    if let Some(data) = &billing {
        insert_address(&mut tx, engine, actor, id, data).await?;
    }
    tx.commit().await?;
    Ok(Created::Customer(Box::new(created)))
}

/// Updates a customer (duplicates are not refused on edit); returns it as
/// stored.
pub async fn update_customer(
    svc: &Services,
    caller: &Caller,
    id: i64,
    input: &CustomerInput,
) -> Result<Customer> {
    update_customer_with_billing(svc, caller, id, input, None).await
}

/// Like [`update_customer`], and sets `billing` as the billing address
/// (updating the current one, or adding it) in the same transaction.
pub async fn update_customer_with_billing(
    svc: &Services,
    caller: &Caller,
    id: i64,
    input: &CustomerInput,
    billing: Option<&AddressInput>,
) -> Result<Customer> {
    access::manage(caller)?;
    let actor = &caller.actor();
    let mut tx = svc.db.begin().await?;
    let before = store::crm::customers::get(&mut tx, id).await?;
    let country = installation_country(&mut tx).await?;
    let defs = field_defs(&mut tx).await?;
    let p = prepare(input, &country, today(&mut tx).await?, &defs)?;
    let billing = billing.map(|a| prepare_billing(a, &country)).transpose()?;
    let engine = svc.db.engine();
    let now = store::now();
    store::crm::customers::update(&mut tx, id, &p.data, now).await?;
    store::crm::customers::replace_keys(&mut tx, id, &p.keys).await?;
    let after = store::crm::customers::get(&mut tx, id).await?;
    Change::new("customer.update", "customer", id)
        .before(customer_json(&before))
        .after(customer_json(&after))
        .timeline(id, EventKind::CustomerUpdated, "Customer details changed")
        .timeline_data(json!({}))
        .record(&mut tx, engine, actor)
        .await?;
    if let Some(data) = &billing {
        let current = store::crm::customers::addresses(&mut tx, id)
            .await?
            .into_iter()
            .find(|a| a.kind == "billing");
        match current {
            Some(a) => {
                change_address(&mut tx, engine, actor, &a, data).await?;
            }
            None => {
                insert_address(&mut tx, engine, actor, id, data).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(after)
}

/// Customers by id, in the order given (missing ones left out).
pub async fn get_customers(svc: &Services, caller: &Caller, ids: &[i64]) -> Result<Vec<Customer>> {
    caller.require(Permission::CustomersView)?;
    let mut c = svc.db.conn().await?;
    Ok(store::crm::customers::get_many(&mut c, ids).await?)
}

/// The city of each of the customers `ids` (billing address first).
pub async fn cities(svc: &Services, caller: &Caller, ids: &[i64]) -> Result<BTreeMap<i64, String>> {
    caller.require(Permission::CustomersView)?;
    let mut c = svc.db.conn().await?;
    Ok(store::crm::customers::cities(&mut c, ids)
        .await?
        .into_iter()
        .collect())
}

/// How many contracts each of the customers `ids` has in each status
/// (`customer_id → [(status, count)]`), for list pages and exports.
pub async fn status_summaries(
    svc: &Services,
    caller: &Caller,
    ids: &[i64],
) -> Result<BTreeMap<i64, Vec<(String, i64)>>> {
    caller.require(Permission::CustomersView)?;
    let mut c = svc.db.conn().await?;
    let mut out: BTreeMap<i64, Vec<(String, i64)>> = BTreeMap::new();
    for (id, status, n) in store::contracts::status_counts_by_customer(&mut c, ids).await? {
        out.entry(id).or_default().push((status, n));
    }
    Ok(out)
}

/// One customer: staff with `customers.view`, or the customer itself.
pub async fn get_customer(svc: &Services, caller: &Caller, id: i64) -> Result<Customer> {
    access::view(caller)?;
    caller.require_for_customer(Permission::CustomersView, id)?;
    let mut c = svc.db.conn().await?;
    Ok(store::crm::customers::get(&mut c, id).await?)
}

/// An address as a form gives it.
#[derive(Debug, Clone, Default)]
pub struct AddressInput {
    /// `billing` or `service`.
    pub kind: String,
    pub label: String,
    pub street: String,
    pub number: String,
    pub complement: String,
    pub district: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    /// Empty means the installation's country.
    pub country: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
}

/// Brazil's federative units.
pub(crate) const UF: &[&str] = &[
    "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA", "PB", "PR",
    "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
];

/// Validates and normalises an address and computes its search columns.
pub(crate) fn prepare_address(a: &AddressInput, installation: &str) -> Result<AddressData> {
    let kind = a.kind.trim();
    if kind != "billing" && kind != "service" {
        return Err(Error::invalid("kind", FieldError::Choice));
    }
    let country = match a.country.trim() {
        "" => installation.to_owned(),
        c => c.to_ascii_uppercase(),
    };
    check("country", validate::country(&country))?;
    check("label", validate::optional(&a.label, 80))?;
    check("street", validate::required(&a.street, 200))?;
    check("number", validate::optional(&a.number, 20))?;
    check("complement", validate::optional(&a.complement, 100))?;
    check("district", validate::optional(&a.district, 100))?;
    check("city", validate::required(&a.city, 100))?;
    let (state, postal_code) = if country == "BR" {
        let uf = a.state.trim().to_ascii_uppercase();
        if !UF.contains(&uf.as_str()) {
            return Err(Error::invalid("state", FieldError::Choice));
        }
        let cep = cep::parse(&a.postal_code).map_err(|e| Error::invalid("postal_code", e))?;
        (uf, cep)
    } else {
        check("state", validate::optional(&a.state, 60))?;
        check("postal_code", validate::optional(&a.postal_code, 20))?;
        (a.state.trim().to_owned(), a.postal_code.trim().to_owned())
    };
    match (a.lat, a.lng) {
        (None, None) => {}
        (Some(lat), Some(lng))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng) => {}
        _ => return Err(Error::invalid("lat", FieldError::Coordinates)),
    }
    let t = |s: &str| s.trim().to_owned();
    Ok(AddressData {
        kind: kind.to_owned(),
        label: t(&a.label),
        search_text: search::fold(&format!(
            "{} {} {} {}",
            a.street, a.number, a.district, a.city
        )),
        city_key: search::fold(&a.city),
        street: t(&a.street),
        number: t(&a.number),
        complement: t(&a.complement),
        district: t(&a.district),
        city: t(&a.city),
        state,
        postal_code,
        country,
        lat: a.lat,
        lng: a.lng,
    })
}

fn address_json(a: &Address) -> serde_json::Value {
    serde_json::to_value(a).unwrap_or_default()
}

/// A billing address from a customer form, its errors named `billing_*`.
fn prepare_billing(a: &AddressInput, country: &str) -> Result<AddressData> {
    let a = AddressInput {
        kind: "billing".into(),
        ..a.clone()
    };
    prepare_address(&a, country).map_err(|e| match e {
        Error::Invalid { field, reason } => Error::Invalid {
            field: match field {
                "label" => "billing_label",
                "street" => "billing_street",
                "number" => "billing_number",
                "complement" => "billing_complement",
                "district" => "billing_district",
                "city" => "billing_city",
                "state" => "billing_state",
                "postal_code" => "billing_postal_code",
                "country" => "billing_country",
                "lat" => "billing_lat",
                other => other,
            },
            reason,
        },
        e => e,
    })
}

async fn insert_address(
    conn: &mut AnyConnection,
    engine: store::Engine,
    actor: &Actor,
    customer_id: i64,
    data: &AddressData,
) -> Result<Address> {
    let id = store::crm::customers::insert_address(conn, customer_id, data, store::now()).await?;
    let a = store::crm::customers::get_address(conn, id).await?;
    Change::new("customer.address.create", "customer", customer_id)
        .after(address_json(&a))
        .record(conn, engine, actor)
        .await?;
    Ok(a)
}

async fn change_address(
    conn: &mut AnyConnection,
    engine: store::Engine,
    actor: &Actor,
    before: &Address,
    data: &AddressData,
) -> Result<Address> {
    store::crm::customers::update_address(conn, before.id, data, store::now()).await?;
    let after = store::crm::customers::get_address(conn, before.id).await?;
    Change::new("customer.address.update", "customer", before.customer_id)
        .before(address_json(before))
        .after(address_json(&after))
        .record(conn, engine, actor)
        .await?;
    Ok(after)
}

/// Customer `customer_id`'s address `address_id`; another customer's
/// address is not found.
async fn address_of(
    conn: &mut AnyConnection,
    customer_id: i64,
    address_id: i64,
) -> Result<Address> {
    match store::crm::customers::get_address(conn, address_id).await {
        Ok(a) if a.customer_id == customer_id => Ok(a),
        Ok(_) => Err(Error::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Adds an address; a customer has at most one billing address. Returns
/// it as stored.
pub async fn add_address(
    svc: &Services,
    caller: &Caller,
    customer_id: i64,
    input: &AddressInput,
) -> Result<Address> {
    access::manage(caller)?;
    let mut tx = svc.db.begin().await?;
    store::crm::customers::get(&mut tx, customer_id).await?;
    let country = installation_country(&mut tx).await?;
    let data = prepare_address(input, &country)?;
    let a = insert_address(
        &mut tx,
        svc.db.engine(),
        &caller.actor(),
        customer_id,
        &data,
    )
    .await?;
    tx.commit().await?;
    Ok(a)
}

/// Changes customer `customer_id`'s address `address_id`; returns it as
/// stored.
pub async fn update_address(
    svc: &Services,
    caller: &Caller,
    customer_id: i64,
    address_id: i64,
    input: &AddressInput,
) -> Result<Address> {
    access::manage(caller)?;
    let mut tx = svc.db.begin().await?;
    let before = address_of(&mut tx, customer_id, address_id).await?;
    let country = installation_country(&mut tx).await?;
    let data = prepare_address(input, &country)?;
    let a = change_address(&mut tx, svc.db.engine(), &caller.actor(), &before, &data).await?;
    tx.commit().await?;
    Ok(a)
}

/// Deletes customer `customer_id`'s address `address_id`, when no
/// contract uses it.
pub async fn delete_address(
    svc: &Services,
    caller: &Caller,
    customer_id: i64,
    address_id: i64,
) -> Result<()> {
    access::manage(caller)?;
    let mut tx = svc.db.begin().await?;
    let before = address_of(&mut tx, customer_id, address_id).await?;
    store::crm::customers::delete_address(&mut tx, address_id).await?;
    Change::new("customer.address.delete", "customer", before.customer_id)
        .before(address_json(&before))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A customer's addresses: staff with `customers.view`, or the customer
/// itself.
pub async fn addresses(svc: &Services, caller: &Caller, customer_id: i64) -> Result<Vec<Address>> {
    access::view(caller)?;
    caller.require_for_customer(Permission::CustomersView, customer_id)?;
    let mut c = svc.db.conn().await?;
    Ok(store::crm::customers::addresses(&mut c, customer_id).await?)
}

/// Adds a staff note (and a timeline entry); returns it as stored.
pub async fn add_note(
    svc: &Services,
    caller: &Caller,
    customer_id: i64,
    body: &str,
) -> Result<Note> {
    access::manage(caller)?;
    check("body", validate::required_multiline(body, 10_000))?;
    let actor = caller.actor();
    let mut tx = svc.db.begin().await?;
    store::crm::customers::get(&mut tx, customer_id).await?;
    let note =
        store::crm::customers::insert_note(&mut tx, customer_id, body.trim(), &actor, store::now())
            .await?;
    let summary: String = note.body.chars().take(140).collect();
    Change::new("customer.note.create", "customer", customer_id)
        .after(json!({ "note_id": note.id, "body": note.body }))
        .timeline(customer_id, EventKind::NoteAdded, summary)
        .timeline_data(json!({}))
        .timeline_entity(Some(("note", note.id.to_string())))
        .record(&mut tx, svc.db.engine(), &actor)
        .await?;
    tx.commit().await?;
    Ok(note)
}

/// A customer's newest staff notes (staff only: notes are internal).
pub async fn notes(
    svc: &Services,
    caller: &Caller,
    customer_id: i64,
    limit: i64,
) -> Result<Vec<Note>> {
    caller.require(Permission::CustomersView)?;
    let mut c = svc.db.conn().await?;
    Ok(store::crm::customers::notes(&mut c, customer_id, limit).await?)
}

/// A timeline entry to record.
#[derive(Debug, Clone)]
pub struct Event {
    pub customer_id: i64,
    pub kind: EventKind,
    /// One line for people, in English: what interfaces show when they
    /// cannot write the line in the reader's language from `kind` and
    /// `data`.
    pub summary: String,
    /// What it is about, e.g. `("invoice", "123")`.
    pub entity: Option<(&'static str, String)>,
    /// Details as a JSON object, with the values `kind` lists.
    pub data: serde_json::Value,
}

/// Adds an event to a customer's timeline inside the caller's transaction
/// (the change it describes is audited by the caller). The customer area
/// records through [`crate::Change`] instead; this stays for areas not yet
/// on it.
pub async fn record_event(conn: &mut AnyConnection, actor: &Actor, e: &Event) -> Result<i64> {
    Ok(store::crm::timeline::insert(
        conn,
        actor,
        &store::crm::timeline::NewEvent {
            customer_id: e.customer_id,
            kind: e.kind.as_str(),
            summary: &e.summary,
            entity: e.entity.clone(),
            data: e.data.clone(),
        },
        store::now(),
    )
    .await?)
}

/// A page of a customer's timeline, newest first.
pub async fn timeline(
    svc: &Services,
    caller: &Caller,
    customer_id: i64,
    kind_prefix: Option<&str>,
    before: Option<store::crm::timeline::Before>,
    limit: i64,
) -> Result<(Vec<store::crm::timeline::Event>, bool)> {
    access::view(caller)?;
    caller.require_for_customer(Permission::CustomersView, customer_id)?;
    let mut c = svc.db.conn().await?;
    Ok(store::crm::timeline::list(&mut c, customer_id, kind_prefix, before, limit).await?)
}

/// A search result: the customer and which key found it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    pub customer: Customer,
    /// `name`, `document`, `email`, `phone`, `login`, `ip`, `contract` or
    /// `address`.
    pub matched: String,
    /// The contract that matched (login, IP, contract number).
    pub contract_id: Option<i64>,
}

/// Finds customers by any key: exact keys first (contract number, login,
/// IP, document, e-mail, phone; documents, e-mails and phones also by
/// prefix), then names containing every word, then addresses.
pub async fn search(svc: &Services, caller: &Caller, q: &str, limit: i64) -> Result<Vec<Hit>> {
    caller.require(Permission::CustomersView)?;
    let q = q.trim();
    if q.is_empty() || limit <= 0 {
        return Ok(Vec::new());
    }
    let mut c = svc.db.conn().await?;
    let engine = svc.db.engine();
    let mut found: Vec<(i64, String, Option<i64>)> = Vec::new();
    let push = |found: &mut Vec<(i64, String, Option<i64>)>, id: i64, m: &str, k: Option<i64>| {
        if !found.iter().any(|(x, _, _)| *x == id) {
            found.push((id, m.to_owned(), k));
        }
    };

    // Contracts: number, login, IP.
    let lower = q.to_lowercase();
    let mut numbers = vec![q.to_owned()];
    if q.len() < 6 && q.chars().all(|ch| ch.is_ascii_digit()) {
        numbers.push(format!("{:0>6}", q));
    }
    for n in &numbers {
        if let Some(k) = store::contracts::by_number(&mut c, n).await? {
            push(&mut found, k.customer_id, "contract", Some(k.id));
        }
    }
    if let Some(k) = store::contracts::by_login(&mut c, &lower).await? {
        push(&mut found, k.customer_id, "login", Some(k.id));
    }
    if let Some(ip) = domain::contracts::as_ip(q) {
        let k = match ip {
            std::net::IpAddr::V4(v4) => store::contracts::by_ipv4(&mut c, &v4.to_string()).await?,
            std::net::IpAddr::V6(_) => None,
        };
        if let Some(k) = k {
            push(&mut found, k.customer_id, "ip", Some(k.id));
        }
    } else if let Ok(prefix) = domain::contracts::ipv6_prefix(q)
        && let Some(k) = store::contracts::by_ipv6_prefix(&mut c, &prefix).await?
    {
        push(&mut found, k.customer_id, "ip", Some(k.id));
    }

    // Customer keys, by prefix.
    let country = installation_country(&mut c).await?;
    let mut prefixes: Vec<String> = Vec::new();
    if let Ok(p) = phone::parse(q, &country) {
        prefixes.push(p.e164.trim_start_matches('+').to_owned());
    }
    let digits = search::digits(q);
    let alnum = search::alnum_upper(q);
    let looks_numeric = digits.len() >= 4 && q.chars().all(|ch| !ch.is_alphabetic());
    if looks_numeric {
        prefixes.push(digits.clone());
    }
    if alnum.len() >= 4 && alnum.chars().any(|ch| ch.is_ascii_digit()) {
        prefixes.push(alnum);
    }
    if q.len() >= 3 && !q.contains(char::is_whitespace) && !looks_numeric {
        prefixes.push(lower.clone());
    }
    for p in prefixes {
        for (id, kind) in store::crm::customers::ids_by_key_prefix(&mut c, &p, limit).await? {
            push(&mut found, id, &kind, None);
        }
    }

    // Names, then addresses. Not for e-mail addresses: their words
    // (`gmail`, `com`) match most names and addresses and cost a scan of
    // the trigram index (16 ms at 100,000 customers on PostgreSQL) for
    // nothing; the e-mail key lookup above already answered.
    // Nor for one-word identifiers that already matched exactly (a login
    // such as `joao.silva` found its contract; its words would cost the
    // same scan on PostgreSQL, 16 ms at 100,000 customers).
    let words = search::words(q);
    let one_word = !q.contains(char::is_whitespace);
    let email_like = one_word && q.contains('@');
    let identified = one_word && !found.is_empty();
    if !looks_numeric && !email_like && !identified && !words.is_empty() {
        for id in store::crm::customers::ids_by_name(&mut c, engine, &words, limit).await? {
            push(&mut found, id, "name", None);
        }
        if (found.len() as i64) < limit {
            for id in store::crm::customers::ids_by_address(&mut c, engine, &words, limit).await? {
                push(&mut found, id, "address", None);
            }
        }
    }

    found.truncate(limit as usize);
    let ids: Vec<i64> = found.iter().map(|(id, _, _)| *id).collect();
    let customers = store::crm::customers::get_many(&mut c, &ids).await?;
    Ok(customers
        .into_iter()
        .filter_map(|cust| {
            let (_, matched, contract_id) = found.iter().find(|(id, _, _)| *id == cust.id)?;
            Some(Hit {
                matched: matched.clone(),
                contract_id: *contract_id,
                customer: cust,
            })
        })
        .collect())
}

/// Filters for the customer list, as a list page or the API gives them.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Name words (accent- and case-insensitive, partial).
    pub q: String,
    pub status: Option<domain::contracts::Status>,
    pub plan_id: Option<i64>,
    pub tag: Option<String>,
    pub city: Option<String>,
    pub sort: store::crm::customers::Sort,
    pub after: Option<store::crm::customers::After>,
    pub limit: i64,
}

/// One page of customers plus whether more follow.
pub async fn list(
    svc: &Services,
    caller: &Caller,
    q: &ListQuery,
) -> Result<(Vec<store::crm::customers::Listed>, bool)> {
    caller.require(Permission::CustomersView)?;
    let mut c = svc.db.conn().await?;
    let f = store::crm::customers::Filter {
        words: search::words(&q.q),
        status: q.status.map(|s| s.as_str().to_owned()),
        plan_id: q.plan_id,
        tag: q
            .tag
            .as_deref()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty()),
        city: q
            .city
            .as_deref()
            .map(search::fold)
            .filter(|t| !t.is_empty()),
        sort: q.sort,
        after: q.after.clone(),
        limit: q.limit.clamp(1, 500),
    };
    Ok(store::crm::customers::list(&mut c, svc.db.engine(), &f).await?)
}
