//! `/api/v1/customers`: customers, their addresses, notes and timeline, and
//! search by any key.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use services::crm::{self, AddressInput, Created, CustomerInput};
use services::crm::{Address, Customer, Sort};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::choices;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, merge_patch};
use crate::pagination::{self, Paged};
use crate::problem::{ApiResult, DuplicateRef, Problem};
use crate::{IdPath, List, time};
use webkit::i18n::Tr;
use webkit::state::AppState;
use webkit::timeline;

/// Customers, their addresses, notes and timeline.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update))
        .routes(routes!(addresses, add_address))
        .routes(routes!(update_address, delete_address))
        .routes(routes!(notes, add_note))
        .routes(routes!(timeline))
}

/// A customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    pub id: i64,
    /// `person` or `company`.
    #[schema(value_type = choices::CustomerKind)]
    pub kind: String,
    pub name: String,
    pub trade_name: String,
    /// `cpf`, `cnpj` or `foreign`.
    #[schema(value_type = choices::TaxDocumentKind)]
    pub document_kind: String,
    /// As shown (`529.982.247-25`).
    pub document: String,
    pub state_registration: String,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub birth_date: Option<String>,
    pub emails: Vec<String>,
    /// E.164 (`+5511987654321`).
    pub phones: Vec<String>,
    #[schema(value_type = choices::Channel)]
    pub preferred_channel: String,
    /// The language invoices, receipts and reminders are sent in: `en`,
    /// `pt-BR`, or empty for the company's.
    #[schema(value_type = choices::CustomerLanguage)]
    pub locale: String,
    pub tags: Vec<String>,
    pub custom_fields: BTreeMap<String, String>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Search results only: the key that found the customer (`name`,
    /// `document`, `email`, `phone`, `login`, `ip`, `contract`, `address`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
    /// Search results only: the contract whose login, IP or number matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_contract_id: Option<i64>,
}

impl From<Customer> for CustomerView {
    fn from(c: Customer) -> CustomerView {
        CustomerView {
            id: c.id,
            kind: c.kind,
            name: c.name,
            trade_name: c.trade_name,
            document_kind: c.document_kind,
            document: c.document,
            state_registration: c.state_registration,
            birth_date: c.birth_date,
            emails: c.emails,
            phones: c.phones,
            preferred_channel: c.preferred_channel,
            locale: c.locale,
            tags: c.tags,
            custom_fields: custom_strings(c.custom_fields),
            created_at: time(c.created_at),
            updated_at: time(c.updated_at),
            matched: None,
            matched_contract_id: None,
        }
    }
}

/// Custom fields as text (the services store them as JSON strings).
fn custom_strings(m: serde_json::Map<String, serde_json::Value>) -> BTreeMap<String, String> {
    m.into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => (k, s),
            other => (k, other.to_string()),
        })
        .collect()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerListQuery {
    /// Search by any key: name (partial, accents and case ignored),
    /// document with or without punctuation, e-mail, phone in any format,
    /// PPPoE login, IP address, contract number. Results say which key
    /// matched; a search returns one page (up to `limit`) and cannot be
    /// combined with the other filters.
    q: Option<String>,
    /// Customers with a contract in this status (`pending_installation`,
    /// `active`, `suspended`, `canceled`).
    #[param(value_type = Option<choices::ContractStatus>)]
    status: Option<String>,
    /// Customers with a contract on this plan.
    plan_id: Option<i64>,
    /// Customers with this tag.
    tag: Option<String>,
    /// Customers with an address in this city (accents and case ignored).
    city: Option<String>,
    /// `newest` (default) or `name`.
    #[param(value_type = Option<choices::CustomerSort>)]
    sort: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page (with the same `sort`).
    cursor: Option<String>,
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn parse_status(field: &str, s: &str) -> Result<domain::contracts::Status, Problem> {
    domain::contracts::Status::parse(s).ok_or_else(|| {
        Problem::invalid(
            field,
            "choice",
            "must be `pending_installation`, `active`, `suspended` or `canceled`",
        )
    })
}

/// Lists customers, newest first or by name, with filters; or searches them
/// by any key with `q`.
#[utoipa::path(
    get, path = "/api/v1/customers", operation_id = "customers.list", tag = "customers",
    params(CustomerListQuery),
    responses(
        (status = 200, description = "A page of customers", body = Paged<CustomerView>),
    ),
    security(("bearer" = ["customers.view"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CustomerListQuery>,
) -> ApiResult<Json<Paged<CustomerView>>> {
    let caller = caller.caller();
    crm::access::view(&caller)?;
    let limit = pagination::limit(q.limit)?;
    let sort = match q.sort.as_deref().map(str::trim).unwrap_or("") {
        "" | "newest" => Sort::Newest,
        "name" => Sort::Name,
        _ => {
            return Err(Problem::invalid(
                "sort",
                "choice",
                "must be `newest` or `name`",
            ));
        }
    };
    let status = match nonempty(q.status) {
        Some(s) => Some(parse_status("status", &s)?),
        None => None,
    };
    let (tag, city) = (nonempty(q.tag), nonempty(q.city));
    if let Some(text) = nonempty(q.q) {
        let other = [
            ("status", status.is_some()),
            ("plan_id", q.plan_id.is_some()),
            ("tag", tag.is_some()),
            ("city", city.is_some()),
            ("cursor", q.cursor.as_deref().is_some_and(|c| !c.is_empty())),
        ];
        if let Some((field, _)) = other.iter().find(|(_, set)| *set) {
            return Err(Problem::invalid(
                field,
                "conflict",
                "cannot be combined with `q` (a search returns one page)",
            ));
        }
        let hits = crm::search(&state.svc, &caller, &text, limit).await?;
        let data = hits
            .into_iter()
            .map(|h| {
                let mut v = CustomerView::from(h.customer);
                v.matched = Some(h.matched);
                v.matched_contract_id = h.contract_id;
                v
            })
            .collect();
        return Ok(Json(Paged {
            data,
            next_cursor: None,
        }));
    }
    let after = pagination::decode_keyed(q.cursor.as_deref())?
        .map(|(id, key)| services::crm::After { key, id });
    let query = crm::ListQuery {
        q: String::new(),
        status,
        plan_id: q.plan_id,
        tag,
        city,
        sort,
        after,
        limit,
    };
    let (rows, more) = crm::list(&state.svc, &caller, &query).await?;
    let next_cursor = if more {
        rows.last()
            .map(|r| pagination::encode_keyed(r.customer.id, &r.name_key))
    } else {
        None
    };
    Ok(Json(Paged {
        data: rows.into_iter().map(|r| r.customer.into()).collect(),
        next_cursor,
    }))
}

/// One customer.
#[utoipa::path(
    get, path = "/api/v1/customers/{id}", operation_id = "customers.show", tag = "customers",
    params(IdPath),
    responses(
        (status = 200, description = "The customer", body = CustomerView),
    ),
    security(("bearer" = ["customers.view"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<CustomerView>> {
    Ok(Json(
        crm::get_customer(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// A customer's fields. On PATCH, omitted fields keep their value and
/// `custom_fields` is replaced whole.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerBody {
    /// `person` or `company`.
    #[schema(value_type = choices::CustomerKind)]
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub trade_name: String,
    /// CPF for a person, CNPJ for a company (punctuation optional), or a
    /// foreign tax id with `document_country`.
    pub document: String,
    /// ISO 3166 alpha-2 of the document's country; omitted means the
    /// installation's. Needed again when changing a customer with a foreign
    /// document.
    #[serde(default)]
    pub document_country: String,
    #[serde(default)]
    pub state_registration: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    /// Any format; without a country code, the installation's country.
    #[serde(default)]
    pub phones: Vec<String>,
    /// `email` (default), `phone`, `sms`, `whatsapp` or `mail`.
    #[serde(default)]
    pub preferred_channel: String,
    /// `en`, `pt-BR`, or empty (default) for the company's language.
    #[serde(default)]
    #[schema(value_type = choices::CustomerLanguage)]
    pub locale: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Keys: a–z, 0–9 and `_`.
    #[serde(default)]
    pub custom_fields: BTreeMap<String, String>,
}

impl CustomerBody {
    fn input(self, allow_duplicate: bool) -> CustomerInput {
        CustomerInput {
            kind: self.kind,
            name: self.name,
            trade_name: self.trade_name,
            document: self.document,
            document_country: self.document_country,
            state_registration: self.state_registration,
            birth_date: self.birth_date.unwrap_or_default(),
            emails: self.emails,
            phones: self.phones,
            preferred_channel: self.preferred_channel,
            locale: self.locale,
            tags: self.tags,
            custom_fields: self.custom_fields,
            allow_duplicate,
        }
    }
}

/// A new customer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    /// `person` or `company`.
    #[schema(value_type = choices::CustomerKind)]
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub trade_name: String,
    /// CPF for a person, CNPJ for a company (punctuation optional), or a
    /// foreign tax id with `document_country`.
    pub document: String,
    /// ISO 3166 alpha-2 of the document's country; omitted means the
    /// installation's.
    #[serde(default)]
    pub document_country: String,
    #[serde(default)]
    pub state_registration: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    /// Any format; without a country code, the installation's country.
    #[serde(default)]
    pub phones: Vec<String>,
    /// `email` (default), `phone`, `sms`, `whatsapp` or `mail`.
    #[serde(default)]
    pub preferred_channel: String,
    /// `en`, `pt-BR`, or empty (default) for the company's language.
    #[serde(default)]
    #[schema(value_type = choices::CustomerLanguage)]
    pub locale: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub custom_fields: BTreeMap<String, String>,
    /// Create even when another customer has the same document, e-mail or
    /// phone (otherwise: 409 listing them).
    #[serde(default)]
    pub allow_duplicates: bool,
}

/// Registers a customer. Another customer with the same document, e-mail or
/// phone makes it a 409 listing them, unless `allow_duplicates` is true.
#[utoipa::path(
    post, path = "/api/v1/customers", operation_id = "customers.create", tag = "customers",
    request_body = CreateCustomer,
    responses(
        (status = 201, description = "Created", body = CustomerView),
        (status = 409, description = "Possible duplicates (listed in `duplicates`)"),
    ),
    security(("bearer" = ["customers.manage"]))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<CreateCustomer>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    crm::access::manage(&caller)?;
    let b = body.parse()?;
    let allow = b.allow_duplicates;
    let input = CustomerBody {
        kind: b.kind,
        name: b.name,
        trade_name: b.trade_name,
        document: b.document,
        document_country: b.document_country,
        state_registration: b.state_registration,
        birth_date: b.birth_date,
        emails: b.emails,
        phones: b.phones,
        preferred_channel: b.preferred_channel,
        locale: b.locale,
        tags: b.tags,
        custom_fields: b.custom_fields,
    }
    .input(allow);
    match crm::create_customer(&state.svc, &caller, &input).await? {
        Created::Customer(c) => {
            let id = c.id;
            let c = CustomerView::from(*c);
            Ok((
                StatusCode::CREATED,
                [(header::LOCATION, format!("/api/v1/customers/{id}"))],
                Json(c),
            )
                .into_response())
        }
        Created::Duplicates(dups) => {
            let mut p = Problem::new(
                "conflict",
                "other customers have the same document, e-mail or phone; \
                 send `allow_duplicates: true` to register anyway",
            );
            p.code = Some("duplicates".into());
            p.duplicates = dups
                .into_iter()
                .map(|d| DuplicateRef {
                    url: format!("/api/v1/customers/{}", d.customer_id),
                    customer_id: d.customer_id,
                    name: d.name,
                    matched: d.matched,
                })
                .collect();
            Err(p)
        }
    }
}

/// Changes a customer; omitted fields keep their value (duplicates are not
/// refused on edit).
#[utoipa::path(
    patch, path = "/api/v1/customers/{id}", operation_id = "customers.update", tag = "customers",
    params(IdPath),
    request_body = CustomerBody,
    responses(
        (status = 200, description = "The updated customer", body = CustomerView),
    ),
    security(("bearer" = ["customers.manage"]))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<serde_json::Value>,
) -> ApiResult<Json<CustomerView>> {
    let caller = caller.caller();
    crm::access::manage(&caller)?;
    let patch = body.parse()?;
    let c = crm::get_customer(&state.svc, &caller, p.id).await?;
    let foreign = c.document_kind == "foreign";
    let current = CustomerBody {
        kind: c.kind,
        name: c.name,
        trade_name: c.trade_name,
        document: c.document,
        document_country: String::new(),
        state_registration: c.state_registration,
        birth_date: c.birth_date,
        emails: c.emails,
        phones: c.phones,
        preferred_channel: c.preferred_channel,
        locale: c.locale,
        tags: c.tags,
        custom_fields: custom_strings(c.custom_fields),
    };
    // The document's country is not stored: a foreign document read back
    // under the installation's rules would be refused, so ask for it.
    if foreign && patch.get("document_country").is_none() {
        return Err(Problem::invalid(
            "document_country",
            "required",
            "is required when changing a customer with a foreign document",
        ));
    }
    let merged: CustomerBody = merge_patch(&current, patch)?;
    Ok(Json(
        crm::update_customer(&state.svc, &caller, p.id, &merged.input(true))
            .await?
            .into(),
    ))
}

/// A customer's postal address.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddressView {
    pub id: i64,
    pub customer_id: i64,
    /// `billing` or `service`.
    #[schema(value_type = choices::AddressKind)]
    pub kind: String,
    pub label: String,
    pub street: String,
    pub number: String,
    pub complement: String,
    pub district: String,
    pub city: String,
    /// The UF in Brazil.
    pub state: String,
    /// The CEP in Brazil, digits only (`01310100`).
    pub postal_code: String,
    pub country: String,
    #[schema(minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    pub lng: Option<f64>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Address> for AddressView {
    fn from(a: Address) -> AddressView {
        AddressView {
            id: a.id,
            customer_id: a.customer_id,
            kind: a.kind,
            label: a.label,
            street: a.street,
            number: a.number,
            complement: a.complement,
            district: a.district,
            city: a.city,
            state: a.state,
            postal_code: a.postal_code,
            country: a.country,
            lat: a.lat,
            lng: a.lng,
            created_at: time(a.created_at),
            updated_at: time(a.updated_at),
        }
    }
}

/// An address's fields. On PATCH, omitted fields keep their value.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressBody {
    /// `billing` (at most one) or `service`.
    #[schema(value_type = choices::AddressKind)]
    pub kind: String,
    #[serde(default)]
    pub label: String,
    pub street: String,
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub complement: String,
    #[serde(default)]
    pub district: String,
    pub city: String,
    /// The UF in Brazil (`SP`).
    #[serde(default)]
    pub state: String,
    /// The CEP in Brazil, with or without the dash.
    #[serde(default)]
    pub postal_code: String,
    /// ISO 3166 alpha-2; omitted means the installation's country.
    #[serde(default)]
    pub country: String,
    /// Latitude and longitude go together.
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lng: Option<f64>,
}

impl From<AddressBody> for AddressInput {
    fn from(b: AddressBody) -> AddressInput {
        AddressInput {
            kind: b.kind,
            label: b.label,
            street: b.street,
            number: b.number,
            complement: b.complement,
            district: b.district,
            city: b.city,
            state: b.state,
            postal_code: b.postal_code,
            country: b.country,
            lat: b.lat,
            lng: b.lng,
        }
    }
}

/// A customer id and an address id in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AddressPath {
    /// The customer's id.
    pub id: i64,
    /// The address's id.
    pub address_id: i64,
}

/// A customer's addresses.
#[utoipa::path(
    get, path = "/api/v1/customers/{id}/addresses", operation_id = "customers.addresses.list", tag = "customers",
    params(IdPath),
    responses(
        (status = 200, description = "The addresses", body = List<AddressView>),
    ),
    security(("bearer" = ["customers.view"]))
)]
pub async fn addresses(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<List<AddressView>>> {
    let caller = caller.caller();
    crm::get_customer(&state.svc, &caller, p.id).await?;
    let data = crm::addresses(&state.svc, &caller, p.id).await?;
    Ok(Json(List {
        data: data.into_iter().map(Into::into).collect(),
    }))
}

/// Adds an address to a customer.
#[utoipa::path(
    post, path = "/api/v1/customers/{id}/addresses", operation_id = "customers.addresses.create", tag = "customers",
    params(IdPath),
    request_body = AddressBody,
    responses(
        (status = 201, description = "Created", body = AddressView),
        (status = 409, description = "A second billing address"),
    ),
    security(("bearer" = ["customers.manage"]))
)]
pub async fn add_address(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<AddressBody>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    crm::access::manage(&caller)?;
    let b = body.parse()?;
    let a = crm::add_address(&state.svc, &caller, p.id, &b.into()).await?;
    let id = a.id;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/customers/{}/addresses/{id}", p.id),
        )],
        Json(AddressView::from(a)),
    )
        .into_response())
}

/// The address, if it belongs to the customer (else 404).
async fn address_of(
    state: &AppState,
    caller: &services::Caller,
    customer_id: i64,
    address_id: i64,
) -> ApiResult<Address> {
    crm::addresses(&state.svc, caller, customer_id)
        .await?
        .into_iter()
        .find(|a| a.id == address_id)
        .ok_or_else(Problem::not_found)
}

/// Changes an address; omitted fields keep their value.
#[utoipa::path(
    patch, path = "/api/v1/customers/{id}/addresses/{address_id}", operation_id = "customers.addresses.update", tag = "customers",
    params(AddressPath),
    request_body = AddressBody,
    responses(
        (status = 200, description = "The updated address", body = AddressView),
        (status = 409, description = "A second billing address"),
    ),
    security(("bearer" = ["customers.manage"]))
)]
pub async fn update_address(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<AddressPath>,
    body: ApiJson<serde_json::Value>,
) -> ApiResult<Json<AddressView>> {
    let caller = caller.caller();
    crm::access::manage(&caller)?;
    let patch = body.parse()?;
    let a = address_of(&state, &caller, p.id, p.address_id).await?;
    let current = AddressBody {
        kind: a.kind,
        label: a.label,
        street: a.street,
        number: a.number,
        complement: a.complement,
        district: a.district,
        city: a.city,
        state: a.state,
        postal_code: a.postal_code,
        country: a.country,
        lat: a.lat,
        lng: a.lng,
    };
    let merged: AddressBody = merge_patch(&current, patch)?;
    Ok(Json(
        crm::update_address(&state.svc, &caller, p.id, p.address_id, &merged.into())
            .await?
            .into(),
    ))
}

/// Deletes an address no contract uses.
#[utoipa::path(
    delete, path = "/api/v1/customers/{id}/addresses/{address_id}", operation_id = "customers.addresses.delete", tag = "customers",
    params(AddressPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "A contract uses the address"),
    ),
    security(("bearer" = ["customers.manage"]))
)]
pub async fn delete_address(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<AddressPath>,
) -> ApiResult<StatusCode> {
    match crm::delete_address(&state.svc, &caller.caller(), p.id, p.address_id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(services::Error::Conflict(_)) => {
            let mut p = Problem::new(
                "conflict",
                "a contract is installed at this address; move the contract first",
            );
            p.code = Some("address-in-use".into());
            Err(p)
        }
        Err(e) => Err(e.into()),
    }
}

/// A staff note on a customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteView {
    pub id: i64,
    pub customer_id: i64,
    pub body: String,
    /// `user`, `token`, `cli` or `system`.
    pub author_kind: String,
    pub author_id: Option<i64>,
    pub author_name: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<services::crm::Note> for NoteView {
    fn from(n: services::crm::Note) -> NoteView {
        NoteView {
            id: n.id,
            customer_id: n.customer_id,
            body: n.body,
            author_kind: n.author_kind,
            author_id: n.author_id,
            author_name: n.author_name,
            created_at: time(n.created_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotesQuery {
    /// How many of the newest notes, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

/// A customer's newest notes, newest first.
#[utoipa::path(
    get, path = "/api/v1/customers/{id}/notes", operation_id = "customers.notes.list", tag = "customers",
    params(IdPath, NotesQuery),
    responses(
        (status = 200, description = "The notes", body = List<NoteView>),
    ),
    security(("bearer" = ["customers.view"]))
)]
pub async fn notes(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    ApiQuery(q): ApiQuery<NotesQuery>,
) -> ApiResult<Json<List<NoteView>>> {
    let caller = caller.caller();
    crm::access::view(&caller)?;
    let limit = pagination::limit(q.limit)?;
    crm::get_customer(&state.svc, &caller, p.id).await?;
    let data = crm::notes(&state.svc, &caller, p.id, limit).await?;
    Ok(Json(List {
        data: data.into_iter().map(Into::into).collect(),
    }))
}

/// A new note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNote {
    /// Up to 10,000 characters.
    pub body: String,
}

/// Adds a staff note (it also goes on the timeline).
#[utoipa::path(
    post, path = "/api/v1/customers/{id}/notes", operation_id = "customers.notes.create", tag = "customers",
    params(IdPath),
    request_body = CreateNote,
    responses(
        (status = 201, description = "Created", body = NoteView),
    ),
    security(("bearer" = ["customers.manage"]))
)]
pub async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<CreateNote>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    crm::access::manage(&caller)?;
    let b = body.parse()?;
    // The service answers with the note it stored.
    let note = crm::add_note(&state.svc, &caller, p.id, &b.body).await?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/customers/{}/notes", p.id),
        )],
        Json(NoteView::from(note)),
    )
        .into_response())
}

/// One event of a customer's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEvent {
    pub id: i64,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub at: String,
    /// Dotted: `customer.created`, `contract.suspended`, `note.added`, …
    pub kind: String,
    /// One line for people, in the caller's language (`Accept-Language`,
    /// else the token owner's language).
    pub summary: String,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    /// What the event is about (`contract`, `note`, …) and its id.
    pub entity_kind: Option<String>,
    pub entity_id: Option<String>,
    /// Details, as recorded.
    #[schema(value_type = Value)]
    pub data: serde_json::Value,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    /// Only events whose kind starts with this (`contract.`).
    kind: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

/// A customer's timeline, newest first.
#[utoipa::path(
    get, path = "/api/v1/customers/{id}/timeline", operation_id = "customers.timeline.list", tag = "customers",
    params(IdPath, TimelineQuery),
    responses(
        (status = 200, description = "A page of events", body = Paged<TimelineEvent>),
    ),
    security(("bearer" = ["customers.view"]))
)]
pub async fn timeline(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    ApiQuery(q): ApiQuery<TimelineQuery>,
) -> ApiResult<Json<Paged<TimelineEvent>>> {
    let locale = caller.locale;
    let caller = caller.caller();
    crm::access::view(&caller)?;
    let limit = pagination::limit(q.limit)?;
    let before = match pagination::decode_keyed(q.cursor.as_deref())? {
        None => None,
        Some((id, at)) => Some(services::crm::TimelineBefore {
            id,
            at: at.parse().map_err(|_| {
                Problem::invalid("cursor", "cursor", "is not a cursor this API returned")
            })?,
        }),
    };
    crm::get_customer(&state.svc, &caller, p.id).await?;
    let kind = nonempty(q.kind);
    let (events, more) =
        crm::timeline(&state.svc, &caller, p.id, kind.as_deref(), before, limit).await?;
    let next_cursor = if more {
        events
            .last()
            .map(|e| pagination::encode_keyed(e.id, &e.at.to_string()))
    } else {
        None
    };
    // Amounts in the lines are in the installation's currency.
    let mut tr = Tr::new(locale);
    if let Some(c) = services::system::setup::company(&state.svc).await? {
        tr = tr.with_currency(&c.currency);
    }
    let data = events
        .into_iter()
        .map(|e| TimelineEvent {
            id: e.id,
            at: time(e.at),
            summary: timeline::summary_of(&tr, &e),
            data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
            kind: e.kind,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            entity_kind: e.entity_kind,
            entity_id: e.entity_id,
        })
        .collect();
    Ok(Json(Paged { data, next_cursor }))
}
