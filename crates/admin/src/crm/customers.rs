//! Customers: the list (search by any key, filters, keyset pages, CSV
//! export), the registration form with duplicate warnings, and the detail
//! tabs (overview with addresses, notes and custom field values,
//! contracts, timeline). The form shows one input per custom field.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::Permission;
use domain::contracts::Status;
use services::crm::custom_fields::{self, Definition};
use services::crm::{self, AddressInput, Created, CustomerInput, Duplicate};
use services::crm::{Address, After, Customer, Note, Sort};

use crate::error::PageResult;
use crate::shared::{CustomerHeader, PlanOption, id_param, plan_names, plan_options};
use crate::views::{FormErrors, Page, html};
use crate::{done, field, form_pairs};
use webkit::auth::Staff;
use webkit::state::AppState;
use webkit::timeline;

const PAGE_SIZE: i64 = 25;
const SEARCH_LIMIT: i64 = 50;
const EXPORT_BATCH: i64 = 500;

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    plan: Option<String>,
    tag: Option<String>,
    city: Option<String>,
    sort: Option<String>,
    after: Option<String>,
    ok: Option<String>,
}

impl ListQuery {
    fn q(&self) -> String {
        self.q.as_deref().unwrap_or("").trim().to_owned()
    }
    fn text(v: &Option<String>) -> String {
        v.as_deref().unwrap_or("").trim().to_owned()
    }
    fn sort(&self) -> Sort {
        match self.sort.as_deref() {
            Some("name") => Sort::Name,
            _ => Sort::Newest,
        }
    }
    /// `after` is `<id>:<folded name>` (the name only matters by name).
    fn after(&self) -> Option<After> {
        let a = self.after.as_deref()?;
        let (id, key) = a.split_once(':').unwrap_or((a, ""));
        Some(After {
            id: id.parse().ok()?,
            key: key.to_owned(),
        })
    }
    fn to_service(&self, limit: i64) -> crm::ListQuery {
        crm::ListQuery {
            q: String::new(),
            status: self.status.as_deref().and_then(Status::parse),
            plan_id: id_param(&self.plan),
            tag: Some(Self::text(&self.tag)).filter(|t| !t.is_empty()),
            city: Some(Self::text(&self.city)).filter(|t| !t.is_empty()),
            sort: self.sort(),
            after: self.after(),
            limit,
        }
    }
    /// The filters as a query string (without the cursor).
    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.q()),
            ("status", Self::text(&self.status)),
            ("plan", Self::text(&self.plan)),
            ("tag", Self::text(&self.tag)),
            ("city", Self::text(&self.city)),
            ("sort", Self::text(&self.sort)),
        ]
    }
}

fn encode(params: &[(&'static str, String)]) -> String {
    let kept: Vec<_> = params.iter().filter(|(_, v)| !v.is_empty()).collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

/// A customer list row.
struct Row {
    c: Customer,
    city: String,
    statuses: Vec<(String, i64)>,
    /// Which key found it (search only).
    matched: Option<String>,
}

#[derive(Template)]
#[template(path = "customers.html")]
struct ListView {
    page: Page,
    rows: Vec<Row>,
    f: ListQuery,
    q: String,
    plans: Vec<PlanOption>,
    statuses: &'static [Status],
    searching: bool,
    next: Option<String>,
    first_page: bool,
    first_href: String,
    export_href: String,
}

async fn rows_for(
    state: &AppState,
    caller: &services::Caller,
    found: Vec<(Customer, Option<String>)>,
) -> PageResultOf<Vec<Row>> {
    let ids: Vec<i64> = found.iter().map(|(c, _)| c.id).collect();
    let mut sums = crm::status_summaries(&state.svc, caller, &ids).await?;
    let mut cities = crm::cities(&state.svc, caller, &ids).await?;
    Ok(found
        .into_iter()
        .map(|(c, matched)| Row {
            city: cities.remove(&c.id).unwrap_or_default(),
            statuses: sums.remove(&c.id).unwrap_or_default(),
            matched,
            c,
        })
        .collect())
}

type PageResultOf<T> = Result<T, crate::error::Fail>;

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<ListQuery>,
) -> PageResult {
    let caller = staff.caller();
    let q = f.q();
    let searching = !q.is_empty();
    let (found, next) = if searching {
        let hits = crm::search(&state.svc, &caller, &q, SEARCH_LIMIT).await?;
        let found = hits
            .into_iter()
            .map(|h| (h.customer, Some(h.matched)))
            .collect();
        (found, None)
    } else {
        let (listed, more) = crm::list(&state.svc, &caller, &f.to_service(PAGE_SIZE)).await?;
        let next = more.then(|| listed.last()).flatten().map(|last| {
            let mut p = f.params();
            p.push(("after", format!("{}:{}", last.customer.id, last.name_key)));
            format!("/customers?{}", encode(&p))
        });
        (
            listed.into_iter().map(|l| (l.customer, None)).collect(),
            next,
        )
    };
    let rows = rows_for(&state, &caller, found).await?;
    let plans = plan_options(&state, &staff).await?;
    let qs = encode(&f.params());
    let page = Page::new(&staff, "customers", "nav-customers").with_flash(f.ok.as_deref());
    Ok(html(&ListView {
        page,
        rows,
        first_page: f.after.is_none(),
        first_href: format!("/customers?{qs}"),
        export_href: format!("/customers/export.csv?{qs}"),
        q,
        f,
        plans,
        statuses: Status::ALL,
        searching,
        next,
    }))
}

fn status_summary(s: &[(String, i64)]) -> String {
    s.iter()
        .map(|(st, n)| format!("{st}: {n}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn csv_row(r: &Row, tz: &jiff::tz::TimeZone) -> [String; 11] {
    let c = &r.c;
    [
        c.id.to_string(),
        c.kind.clone(),
        c.name.clone(),
        c.trade_name.clone(),
        c.document.clone(),
        c.emails.join("; "),
        c.phones.join("; "),
        c.tags.join("; "),
        r.city.clone(),
        status_summary(&r.statuses),
        crate::views::format_time(c.created_at, tz),
    ]
}

/// Every customer matching the list's filters as CSV, fetched and sent in
/// batches so a large base never sits in memory at once.
pub async fn export(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<ListQuery>,
) -> PageResult {
    // The download streams after its first bytes: refused now, not cut
    // short later. An export reads the customers it writes out.
    let caller = staff.caller();
    crm::access::import(&caller)?;
    crm::access::view(&caller)?;
    let delimiter = crate::shared::csv_delimiter(&staff);
    let mut head = crate::shared::BOM.to_vec();
    head.extend(crate::shared::csv_chunk(
        delimiter,
        [[
            "id",
            "kind",
            "name",
            "trade_name",
            "document",
            "emails",
            "phones",
            "tags",
            "city",
            "status",
            "created",
        ]],
    )?);
    let tz = staff.tz.clone();

    struct Cursor {
        state: AppState,
        caller: services::Caller,
        f: ListQuery,
        delimiter: u8,
        tz: jiff::tz::TimeZone,
        head: Option<Vec<u8>>,
    }
    async fn next_chunk(cur: &mut Cursor) -> Result<(Vec<u8>, bool), services::Error> {
        let q = cur.f.q();
        let (found, more) = if !q.is_empty() {
            // A search is one bounded batch.
            let hits = crm::search(&cur.state.svc, &cur.caller, &q, 1000).await?;
            let found = hits
                .into_iter()
                .map(|h| (h.customer, Some(h.matched)))
                .collect::<Vec<_>>();
            (found, false)
        } else {
            let (listed, more) =
                crm::list(&cur.state.svc, &cur.caller, &cur.f.to_service(EXPORT_BATCH)).await?;
            if let Some(last) = listed.last() {
                cur.f.after = Some(format!("{}:{}", last.customer.id, last.name_key));
            }
            (
                listed.into_iter().map(|l| (l.customer, None)).collect(),
                more,
            )
        };
        let rows = rows_for(&cur.state, &cur.caller, found)
            .await
            .map_err(|e| e.0)?;
        let mut out = cur.head.take().unwrap_or_default();
        out.extend(crate::shared::csv_chunk(
            cur.delimiter,
            rows.iter().map(|r| csv_row(r, &cur.tz)),
        )?);
        Ok((out, more))
    }
    let mut start = f.clone();
    start.after = None;
    let cur = Cursor {
        state: state.clone(),
        caller,
        f: start,
        delimiter,
        tz,
        head: Some(head),
    };
    let stream = futures_util::stream::unfold(Some(cur), |cur| async move {
        let mut cur = cur?;
        match next_chunk(&mut cur).await {
            Ok((bytes, true)) => Some((Ok::<_, std::io::Error>(Bytes::from(bytes)), Some(cur))),
            Ok((bytes, false)) => Some((Ok(Bytes::from(bytes)), None)),
            Err(e) => {
                tracing::error!(error = %e, "customer export failed");
                Some((Err(std::io::Error::other(e.to_string())), None))
            }
        }
    });
    Ok(crate::shared::csv_response(
        "customers.csv",
        Body::from_stream(stream),
    ))
}

/// The customer form's values as typed (kept on errors).
#[derive(Debug, Default, Clone)]
struct CustomerForm {
    kind: String,
    name: String,
    trade_name: String,
    document: String,
    document_country: String,
    state_registration: String,
    birth_date: String,
    emails: String,
    phones: String,
    preferred_channel: String,
    /// `en`, `pt-BR`, or empty for the company's language.
    locale: String,
    tags: String,
    allow_duplicates: bool,
    billing_street: String,
    billing_number: String,
    billing_complement: String,
    billing_district: String,
    billing_city: String,
    billing_state: String,
    billing_postal_code: String,
    billing_country: String,
    /// Custom field values by key, as typed (inputs `custom_<key>`).
    custom: BTreeMap<String, String>,
}

fn lines(s: &str) -> Vec<String> {
    s.split(['\n', ','])
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

impl CustomerForm {
    fn from_pairs(p: &[(String, String)]) -> CustomerForm {
        CustomerForm {
            kind: field(p, "kind"),
            name: field(p, "name"),
            trade_name: field(p, "trade_name"),
            document: field(p, "document"),
            document_country: field(p, "document_country"),
            state_registration: field(p, "state_registration"),
            birth_date: field(p, "birth_date"),
            emails: field(p, "emails"),
            phones: field(p, "phones"),
            preferred_channel: field(p, "preferred_channel"),
            locale: field(p, "locale"),
            tags: field(p, "tags"),
            allow_duplicates: field(p, "allow_duplicates") == "1",
            billing_street: field(p, "billing_street"),
            billing_number: field(p, "billing_number"),
            billing_complement: field(p, "billing_complement"),
            billing_district: field(p, "billing_district"),
            billing_city: field(p, "billing_city"),
            billing_state: field(p, "billing_state"),
            billing_postal_code: field(p, "billing_postal_code"),
            billing_country: field(p, "billing_country"),
            custom: p
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix("custom_")?.to_owned(), v.clone())))
                .collect(),
        }
    }

    fn of(c: &Customer, billing: Option<&Address>) -> CustomerForm {
        let b = |f: fn(&Address) -> &String| billing.map(|a| f(a).clone()).unwrap_or_default();
        CustomerForm {
            kind: c.kind.clone(),
            name: c.name.clone(),
            trade_name: c.trade_name.clone(),
            document: c.document.clone(),
            document_country: String::new(),
            state_registration: c.state_registration.clone(),
            birth_date: c.birth_date.clone().unwrap_or_default(),
            emails: c.emails.join("\n"),
            phones: c.phones.join("\n"),
            preferred_channel: c.preferred_channel.clone(),
            locale: c.locale.clone(),
            tags: c.tags.join(", "),
            allow_duplicates: false,
            billing_street: b(|a| &a.street),
            billing_number: b(|a| &a.number),
            billing_complement: b(|a| &a.complement),
            billing_district: b(|a| &a.district),
            billing_city: b(|a| &a.city),
            billing_state: b(|a| &a.state),
            billing_postal_code: b(|a| &a.postal_code),
            billing_country: billing.map(|a| a.country.clone()).unwrap_or_default(),
            custom: custom_of(c),
        }
    }

    /// The service's input. `stored` are the customer's saved values: the
    /// form's value replaces each defined field's (empty clears it), and
    /// anything the form does not show is kept as it was.
    fn input(&self, defs: &[Definition], stored: BTreeMap<String, String>) -> CustomerInput {
        let mut custom = stored;
        for d in defs {
            custom.insert(
                d.key.clone(),
                self.custom.get(&d.key).cloned().unwrap_or_default(),
            );
        }
        CustomerInput {
            kind: self.kind.clone(),
            name: self.name.clone(),
            trade_name: self.trade_name.clone(),
            document: self.document.clone(),
            document_country: self.document_country.clone(),
            state_registration: self.state_registration.clone(),
            birth_date: self.birth_date.clone(),
            emails: lines(&self.emails),
            phones: self
                .phones
                .lines()
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect(),
            preferred_channel: self.preferred_channel.clone(),
            locale: self.locale.clone(),
            tags: lines(&self.tags),
            custom_fields: custom,
            allow_duplicate: self.allow_duplicates,
        }
    }

    /// The billing address, unless every field of it is empty.
    fn billing(&self) -> Option<AddressInput> {
        let a = AddressInput {
            kind: "billing".into(),
            label: String::new(),
            street: self.billing_street.clone(),
            number: self.billing_number.clone(),
            complement: self.billing_complement.clone(),
            district: self.billing_district.clone(),
            city: self.billing_city.clone(),
            state: self.billing_state.clone(),
            postal_code: self.billing_postal_code.clone(),
            country: self.billing_country.clone(),
            lat: None,
            lng: None,
        };
        let all_empty = [
            &a.street,
            &a.number,
            &a.complement,
            &a.district,
            &a.city,
            &a.state,
            &a.postal_code,
        ]
        .iter()
        .all(|s| s.trim().is_empty());
        (!all_empty).then_some(a)
    }
}

/// One custom field's input on the customer form.
pub struct CustomInput {
    pub def: Definition,
    /// The form field's name, `custom_<key>`.
    pub name: String,
    /// The name its errors carry, `custom_fields.<key>`.
    pub error_key: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "customer_form.html")]
struct FormView {
    page: Page,
    id: Option<i64>,
    v: CustomerForm,
    errors: FormErrors,
    duplicates: Vec<Duplicate>,
    channels: &'static [&'static str],
    /// `(tag, native name)` of each language a customer may prefer.
    languages: Vec<(&'static str, &'static str)>,
    custom: Vec<CustomInput>,
    /// Whether to explain the required marker.
    any_required: bool,
}

fn form_view(
    page: Page,
    id: Option<i64>,
    v: CustomerForm,
    errors: FormErrors,
    defs: Vec<Definition>,
) -> FormView {
    let any_required = defs.iter().any(|d| d.required);
    let custom = defs
        .into_iter()
        .map(|def| CustomInput {
            name: format!("custom_{}", def.key),
            error_key: format!("custom_fields.{}", def.key),
            value: {
                let value = v.custom.get(&def.key).cloned().unwrap_or_default();
                // Numbers are stored with a point; Portuguese forms show the
                // decimal comma people type (the service accepts both).
                if def.kind == "number" && page.tr.locale == domain::Locale::PtBr {
                    value.replace('.', ",")
                } else {
                    value
                }
            },
            def,
        })
        .collect();
    FormView {
        page,
        id,
        v,
        errors,
        duplicates: Vec::new(),
        channels: crm::CHANNELS,
        languages: domain::Locale::ALL
            .iter()
            .map(|l| (l.tag(), l.native_name()))
            .collect(),
        custom,
        any_required,
    }
}

pub async fn new_form(State(state): State<AppState>, staff: Staff) -> PageResult {
    let caller = staff.caller();
    crm::access::manage(&caller)?;
    let v = CustomerForm {
        kind: "person".into(),
        preferred_channel: "whatsapp".into(),
        ..Default::default()
    };
    let page = Page::new(&staff, "customers", "customers-new");
    let defs = custom_fields::definitions(&state.svc, &caller).await?;
    Ok(html(&form_view(page, None, v, FormErrors::default(), defs)))
}

pub async fn create(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    crm::access::manage(&caller)?;
    let v = CustomerForm::from_pairs(&form_pairs(&body));
    let defs = custom_fields::definitions(&state.svc, &caller).await?;
    let input = v.input(&defs, BTreeMap::new());
    let billing = v.billing();
    let result =
        crm::create_customer_with_billing(&state.svc, &caller, &input, billing.as_ref()).await;
    let page = Page::new(&staff, "customers", "customers-new");
    match result {
        Ok(Created::Customer(c)) => Ok(done(&format!("/customers/{}", c.id), "customer-created")),
        Ok(Created::Duplicates(duplicates)) => {
            let mut view = form_view(page, None, v, FormErrors::default(), defs);
            view.duplicates = duplicates;
            Ok((StatusCode::CONFLICT, html(&view)).into_response())
        }
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                html(&form_view(page, None, v, errors, defs)),
            )
                .into_response())
        }
    }
}

fn billing_of(addrs: &[Address]) -> Option<&Address> {
    addrs.iter().find(|a| a.kind == "billing")
}

fn custom_of(c: &Customer) -> BTreeMap<String, String> {
    c.custom_fields
        .iter()
        .map(|(k, v)| {
            let text = v
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_string());
            (k.clone(), text)
        })
        .collect()
}

pub async fn edit_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    let caller = staff.caller();
    crm::access::manage(&caller)?;
    let c = crm::get_customer(&state.svc, &caller, id).await?;
    let addrs = crm::addresses(&state.svc, &caller, id).await?;
    let mut page = Page::new(&staff, "customers", "customers-edit");
    page.title = c.name.clone();
    let v = CustomerForm::of(&c, billing_of(&addrs));
    let defs = custom_fields::definitions(&state.svc, &caller).await?;
    Ok(html(&form_view(
        page,
        Some(id),
        v,
        FormErrors::default(),
        defs,
    )))
}

pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    crm::access::manage(&caller)?;
    let c = crm::get_customer(&state.svc, &caller, id).await?;
    let v = CustomerForm::from_pairs(&form_pairs(&body));
    let defs = custom_fields::definitions(&state.svc, &caller).await?;
    let input = v.input(&defs, custom_of(&c));
    let billing = v.billing();
    match crm::update_customer_with_billing(&state.svc, &caller, id, &input, billing.as_ref()).await
    {
        Ok(_) => Ok(done(&format!("/customers/{id}"), "saved")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let mut page = Page::new(&staff, "customers", "customers-edit");
            page.title = c.name.clone();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                html(&form_view(page, Some(id), v, errors, defs)),
            )
                .into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "customer_show.html")]
struct ShowView {
    page: Page,
    head: CustomerHeader,
    c: Customer,
    addresses: Vec<Address>,
    notes: Vec<Note>,
    errors: FormErrors,
    note: String,
    /// Custom field values with their labels, in definition order.
    custom: Vec<(String, String)>,
    /// Collections notices of its contracts (number, notice).
    collections: Vec<(String, crate::collections::Notice)>,
    /// The language it prefers, by name (or "the company's").
    language: String,
}

async fn show_view(
    state: &AppState,
    staff: &Staff,
    id: i64,
    ok: Option<&str>,
) -> Result<ShowView, crate::error::Fail> {
    let caller = staff.caller();
    let c = crm::get_customer(&state.svc, &caller, id).await?;
    let addresses = crm::addresses(&state.svc, &caller, id).await?;
    let notes = crm::notes(&state.svc, &caller, id, 50).await?;
    let values = custom_of(&c);
    let custom = custom_fields::definitions(&state.svc, &caller)
        .await?
        .into_iter()
        .filter_map(|d| Some((d.label, values.get(&d.key)?.clone())))
        .collect();
    let mut page = Page::new(staff, "customers", "customers-overview").with_flash(ok);
    page.title = c.name.clone();
    let language = match c.locale.parse::<domain::Locale>() {
        Ok(l) => l.native_name().to_owned(),
        Err(_) => page.tr.t("customer-language-company"),
    };
    Ok(ShowView {
        language,
        page,
        head: CustomerHeader::of(&c, "overview"),
        c,
        addresses,
        notes,
        errors: FormErrors::default(),
        note: String::new(),
        custom,
        collections: crate::collections::customer_notices(state, staff, id).await?,
    })
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    Ok(html(&show_view(&state, &staff, id, f.ok.as_deref()).await?))
}

pub async fn add_note(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let note = field(&form_pairs(&body), "body");
    match crm::add_note(&state.svc, &staff.caller(), id, &note).await {
        Ok(_) => Ok(done(&format!("/customers/{id}"), "note-added")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let mut view = show_view(&state, &staff, id, None).await?;
            view.errors = errors;
            view.note = note;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}

/// The address form's values as typed.
#[derive(Debug, Default, Clone)]
struct AddressForm {
    kind: String,
    label: String,
    street: String,
    number: String,
    complement: String,
    district: String,
    city: String,
    state: String,
    postal_code: String,
    country: String,
    lat: String,
    lng: String,
}

impl AddressForm {
    fn from_pairs(p: &[(String, String)]) -> AddressForm {
        AddressForm {
            kind: field(p, "kind"),
            label: field(p, "label"),
            street: field(p, "street"),
            number: field(p, "number"),
            complement: field(p, "complement"),
            district: field(p, "district"),
            city: field(p, "city"),
            state: field(p, "state"),
            postal_code: field(p, "postal_code"),
            country: field(p, "country"),
            lat: field(p, "lat"),
            lng: field(p, "lng"),
        }
    }
    fn of(a: &Address) -> AddressForm {
        AddressForm {
            kind: a.kind.clone(),
            label: a.label.clone(),
            street: a.street.clone(),
            number: a.number.clone(),
            complement: a.complement.clone(),
            district: a.district.clone(),
            city: a.city.clone(),
            state: a.state.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.clone(),
            lat: a.lat.map(|v| v.to_string()).unwrap_or_default(),
            lng: a.lng.map(|v| v.to_string()).unwrap_or_default(),
        }
    }
    fn input(&self) -> Result<AddressInput, services::Error> {
        let coord = |s: &str| -> Result<Option<f64>, services::Error> {
            match s.trim() {
                "" => Ok(None),
                t => t.replace(',', ".").parse().map(Some).map_err(|_| {
                    services::Error::invalid("lat", domain::validate::FieldError::Coordinates)
                }),
            }
        };
        Ok(AddressInput {
            kind: self.kind.clone(),
            label: self.label.clone(),
            street: self.street.clone(),
            number: self.number.clone(),
            complement: self.complement.clone(),
            district: self.district.clone(),
            city: self.city.clone(),
            state: self.state.clone(),
            postal_code: self.postal_code.clone(),
            country: self.country.clone(),
            lat: coord(&self.lat)?,
            lng: coord(&self.lng)?,
        })
    }
}

#[derive(Template)]
#[template(path = "address_form.html")]
struct AddressView {
    page: Page,
    head: CustomerHeader,
    address_id: Option<i64>,
    v: AddressForm,
    errors: FormErrors,
}

async fn address_view(
    state: &AppState,
    staff: &Staff,
    customer_id: i64,
    address_id: Option<i64>,
    v: AddressForm,
    errors: FormErrors,
) -> Result<AddressView, crate::error::Fail> {
    let c = crm::get_customer(&state.svc, &staff.caller(), customer_id).await?;
    let key = if address_id.is_some() {
        "addresses-edit"
    } else {
        "addresses-new"
    };
    Ok(AddressView {
        page: Page::new(staff, "customers", key),
        head: CustomerHeader::of(&c, "overview"),
        address_id,
        v,
        errors,
    })
}

/// The address `aid`, refused unless it belongs to customer `id` (URLs are
/// typed by people).
async fn address_of(
    state: &AppState,
    staff: &Staff,
    id: i64,
    aid: i64,
) -> Result<Address, crate::error::Fail> {
    crm::addresses(&state.svc, &staff.caller(), id)
        .await?
        .into_iter()
        .find(|a| a.id == aid)
        .ok_or(crate::error::Fail(services::Error::NotFound))
}

pub async fn new_address(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    crm::access::manage(&staff.caller())?;
    let v = AddressForm {
        kind: "service".into(),
        ..Default::default()
    };
    Ok(html(
        &address_view(&state, &staff, id, None, v, FormErrors::default()).await?,
    ))
}

pub async fn create_address(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    crm::access::manage(&caller)?;
    let v = AddressForm::from_pairs(&form_pairs(&body));
    let result = match v.input() {
        Ok(input) => crm::add_address(&state.svc, &caller, id, &input)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(done(&format!("/customers/{id}"), "address-saved")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let view = address_view(&state, &staff, id, None, v, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}

pub async fn edit_address(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, aid)): Path<(i64, i64)>,
) -> PageResult {
    crm::access::manage(&staff.caller())?;
    let a = address_of(&state, &staff, id, aid).await?;
    let view = address_view(
        &state,
        &staff,
        id,
        Some(aid),
        AddressForm::of(&a),
        FormErrors::default(),
    )
    .await?;
    Ok(html(&view))
}

pub async fn update_address(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, aid)): Path<(i64, i64)>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    crm::access::manage(&caller)?;
    address_of(&state, &staff, id, aid).await?;
    let v = AddressForm::from_pairs(&form_pairs(&body));
    let result = match v.input() {
        Ok(input) => crm::update_address(&state.svc, &caller, id, aid, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(&format!("/customers/{id}"), "address-saved")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let view = address_view(&state, &staff, id, Some(aid), v, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}

pub async fn delete_address(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, aid)): Path<(i64, i64)>,
) -> PageResult {
    match crm::delete_address(&state.svc, &staff.caller(), id, aid).await {
        Ok(()) => Ok(done(&format!("/customers/{id}"), "address-deleted")),
        // A contract still uses it: say so on the customer page.
        Err(services::Error::Conflict(_)) | Err(services::Error::Refused(_)) => {
            Ok(done(&format!("/customers/{id}"), "address-in-use"))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "customer_contracts.html")]
struct ContractsView {
    page: Page,
    head: CustomerHeader,
    contracts: Vec<services::contracts::Contract>,
    plans: BTreeMap<i64, String>,
}

pub async fn contracts(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    let caller = staff.caller();
    let c = crm::get_customer(&state.svc, &caller, id).await?;
    let filter = services::contracts::Filter {
        customer_id: Some(id),
        limit: 200,
        ..Default::default()
    };
    let (contracts, _) = services::contracts::list(&state.svc, &caller, &filter).await?;
    let mut page = Page::new(&staff, "customers", "customers-contracts");
    page.title = c.name.clone();
    Ok(html(&ContractsView {
        page,
        head: CustomerHeader::of(&c, "contracts"),
        contracts,
        plans: plan_names(&state, &staff).await?,
    }))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct TimelineQuery {
    /// `<at>.<id>` of the last event shown.
    before: Option<String>,
}

#[derive(Template)]
#[template(path = "customer_timeline.html")]
struct TimelineView {
    page: Page,
    head: CustomerHeader,
    events: Vec<services::crm::TimelineEntry>,
    next: Option<String>,
    first_page: bool,
}

/// The icon of a timeline entry by the area of its kind.
pub fn kind_icon(kind: &str) -> &'static str {
    match kind.split('.').next().unwrap_or("") {
        "customer" => {
            "M12 12a4 4 0 1 0-4-4 4 4 0 0 0 4 4zm0 2c-2.7 0-8 1.3-8 4v2h16v-2c0-2.7-5.3-4-8-4z"
        }
        "contract" => "M6 2h9l5 5v15H6zm8 1.5V8h4.5zM8 12h8v2H8zm0 4h8v2H8z",
        "note" => "M4 4h16v12H8l-4 4zm3 4v2h10V8zm0 4h7v-2H7z",
        "invoice" | "credit_note" | "payment" => {
            "M20 4H4a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V6a2 2 0 0 0-2-2zm0 14H4v-6h16zm0-10H4V6h16z"
        }
        _ => "M12 2a10 10 0 1 0 10 10A10 10 0 0 0 12 2zm1 15h-2v-6h2zm0-8h-2V7h2z",
    }
}

pub async fn timeline(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<TimelineQuery>,
) -> PageResult {
    let caller = staff.caller();
    let c = crm::get_customer(&state.svc, &caller, id).await?;
    let before = q.before.as_deref().and_then(|b| {
        let (at, eid) = b.split_once('.')?;
        Some(services::crm::TimelineBefore {
            at: at.parse().ok()?,
            id: eid.parse().ok()?,
        })
    });
    let (mut events, more) =
        crm::timeline(&state.svc, &caller, id, None, before, PAGE_SIZE).await?;
    for e in &mut events {
        e.summary = timeline::summary_of(&staff.tr, e);
    }
    let next = more
        .then(|| events.last())
        .flatten()
        .map(|e| format!("/customers/{id}/timeline?before={}.{}", e.at, e.id));
    let mut page = Page::new(&staff, "customers", "customers-timeline");
    page.title = c.name.clone();
    Ok(html(&TimelineView {
        page,
        head: CustomerHeader::of(&c, "timeline"),
        events,
        next,
        first_page: before.is_none(),
    }))
}
