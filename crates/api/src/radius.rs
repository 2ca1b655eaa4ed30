//! `/api/v1/nas` and `/api/v1/radius/…`: routers (NAS), online sessions and
//! disconnects, the authentication log, usage per contract, and "who had
//! address X at T" (audited).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use services::nas::Nas;
use services::nas::{NasInput, NasPatch, Removed};
use services::radius::{AuthEntry, AuthFilter, Session, SessionFilter, Usage};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::choices;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::pagination::{self, Paged};
use crate::problem::{ApiResult, Problem};
use crate::{IdPath, time};
use webkit::state::AppState;

/// The network's paths: routers (NAS), sessions, the authentication log,
/// usage and connection lookups.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(nas_list, nas_create))
        .routes(routes!(nas_show, nas_update, nas_delete))
        .routes(routes!(sessions))
        .routes(routes!(disconnect))
        .routes(routes!(auth_log))
        .routes(routes!(who))
        .routes(routes!(usage))
}

/// A router or concentrator that speaks RADIUS to Lastmile. The shared
/// secret is never returned.
#[derive(Debug, Serialize, ToSchema)]
pub struct NasView {
    pub id: i64,
    pub name: String,
    /// Source IPv4 or IPv6 address, canonical.
    pub address: String,
    /// `mikrotik`, `accel-ppp`, `cisco`, `huawei`, `juniper` or `generic`.
    #[schema(value_type = choices::NasKind)]
    pub kind: String,
    pub coa_port: i64,
    pub require_message_authenticator: bool,
    /// The NAS has sent a Message-Authenticator, so it is now required.
    pub seen_message_authenticator: bool,
    pub disabled: bool,
    pub notes: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Nas> for NasView {
    fn from(n: Nas) -> NasView {
        NasView {
            id: n.id,
            name: n.name,
            address: n.address,
            kind: n.kind,
            coa_port: n.coa_port,
            require_message_authenticator: n.require_message_authenticator,
            seen_message_authenticator: n.seen_message_authenticator,
            disabled: n.disabled,
            notes: n.notes,
            created_at: time(n.created_at),
            updated_at: time(n.updated_at),
        }
    }
}

/// Every NAS, by name.
#[utoipa::path(
    get, path = "/api/v1/nas", operation_id = "nas.list", tag = "radius",
    responses(
        (status = 200, description = "Every NAS", body = [NasView]),
    ),
    security(("bearer" = ["radius.view"]))
)]
pub async fn nas_list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<NasView>>> {
    Ok(Json(
        services::nas::list(&state.svc, &caller.caller())
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// One NAS.
#[utoipa::path(
    get, path = "/api/v1/nas/{id}", operation_id = "nas.show", tag = "radius",
    params(IdPath),
    responses(
        (status = 200, description = "The NAS", body = NasView),
    ),
    security(("bearer" = ["radius.view"]))
)]
pub async fn nas_show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<NasView>> {
    Ok(Json(
        services::nas::get(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// A new NAS.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNas {
    pub name: String,
    /// IPv4 or IPv6 source address.
    pub address: String,
    /// The shared secret (stored encrypted, never returned).
    pub secret: String,
    /// `mikrotik`, `accel-ppp`, `cisco`, `huawei`, `juniper` or `generic`.
    #[schema(value_type = choices::NasKind)]
    pub kind: String,
    /// Default 3799.
    #[serde(default = "default_coa_port")]
    pub coa_port: i64,
    #[serde(default)]
    pub require_message_authenticator: bool,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub notes: String,
}

fn default_coa_port() -> i64 {
    3799
}

/// Registers a NAS; radius nodes pick it up within seconds.
#[utoipa::path(
    post, path = "/api/v1/nas", operation_id = "nas.create", tag = "radius",
    request_body = CreateNas,
    responses(
        (status = 201, description = "Created", body = NasView),
        (status = 409, description = "Name or address taken"),
    ),
    security(("bearer" = ["radius.manage"]))
)]
pub async fn nas_create(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<CreateNas>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    services::nas::may_manage(&caller)?;
    let b = body.parse()?;
    let input = NasInput {
        name: b.name,
        address: b.address,
        secret: b.secret,
        kind: b.kind,
        coa_port: b.coa_port,
        require_message_authenticator: b.require_message_authenticator,
        disabled: b.disabled,
        notes: b.notes,
    };
    let id = services::nas::create(&state.svc, &caller, &input).await?;
    let view: NasView = services::nas::get(&state.svc, &caller, id).await?.into();
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/nas/{id}"))],
        Json(view),
    )
        .into_response())
}

/// Changes to a NAS; omitted fields keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateNas {
    pub name: Option<String>,
    pub address: Option<String>,
    /// A new shared secret.
    pub secret: Option<String>,
    #[schema(value_type = Option<choices::NasKind>)]
    pub kind: Option<String>,
    pub coa_port: Option<i64>,
    pub require_message_authenticator: Option<bool>,
    pub disabled: Option<bool>,
    pub notes: Option<String>,
}

/// Updates a NAS.
#[utoipa::path(
    patch, path = "/api/v1/nas/{id}", operation_id = "nas.update", tag = "radius",
    params(IdPath),
    request_body = UpdateNas,
    responses(
        (status = 200, description = "The updated NAS", body = NasView),
        (status = 409, description = "Name or address taken"),
    ),
    security(("bearer" = ["radius.manage"]))
)]
pub async fn nas_update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<UpdateNas>,
) -> ApiResult<Json<NasView>> {
    let caller = caller.caller();
    services::nas::may_manage(&caller)?;
    let b = body.parse()?;
    let patch = NasPatch {
        name: b.name,
        address: b.address,
        secret: b.secret,
        kind: b.kind,
        coa_port: b.coa_port,
        require_message_authenticator: b.require_message_authenticator,
        disabled: b.disabled,
        notes: b.notes,
    };
    let n = services::nas::patch(&state.svc, &caller, p.id, &patch).await?;
    Ok(Json(n.into()))
}

/// What a delete did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Removal {
    /// `deleted`, or `disabled` when connection records refer to the NAS.
    #[schema(value_type = choices::RemovalResult)]
    pub result: String,
}

/// Deletes a NAS, or disables it when records refer to it.
#[utoipa::path(
    delete, path = "/api/v1/nas/{id}", operation_id = "nas.delete", tag = "radius",
    params(IdPath),
    responses(
        (status = 200, description = "Deleted or disabled", body = Removal),
    ),
    security(("bearer" = ["radius.manage"]))
)]
pub async fn nas_delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<Removal>> {
    let r = services::nas::delete(&state.svc, &caller.caller(), p.id).await?;
    Ok(Json(Removal {
        result: match r {
            Removed::Deleted => "deleted",
            Removed::Disabled => "disabled",
        }
        .into(),
    }))
}

/// A connection record.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: i64,
    pub nas_id: i64,
    pub nas_name: String,
    pub acct_session_id: String,
    pub login: String,
    pub contract_id: Option<i64>,
    pub contract_number: Option<String>,
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    pub plan_id: Option<i64>,
    #[schema(format = Ipv4)]
    pub framed_ip: Option<String>,
    pub framed_ipv6_prefix: Option<String>,
    pub delegated_ipv6_prefix: Option<String>,
    /// Usually the subscriber's MAC address.
    pub calling_station_id: String,
    pub nas_port_id: String,
    #[schema(format = DateTime)]
    pub started_at: String,
    /// Last accounting packet seen.
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// `null` while online.
    #[schema(format = DateTime)]
    pub stopped_at: Option<String>,
    /// From the subscriber (upload).
    pub input_octets: i64,
    /// To the subscriber (download).
    pub output_octets: i64,
    pub session_time: i64,
    pub terminate_cause: String,
}

impl From<Session> for SessionView {
    fn from(s: Session) -> SessionView {
        SessionView {
            id: s.id,
            nas_id: s.nas_id,
            nas_name: s.nas_name,
            acct_session_id: s.acct_session_id,
            login: s.login,
            contract_id: s.contract_id,
            contract_number: s.contract_number,
            customer_id: s.customer_id,
            customer_name: s.customer_name,
            plan_id: s.plan_id,
            framed_ip: s.framed_ip,
            framed_ipv6_prefix: s.framed_ipv6_prefix,
            delegated_ipv6_prefix: s.delegated_ipv6_prefix,
            calling_station_id: s.calling_station_id,
            nas_port_id: s.nas_port_id,
            started_at: time(s.started_at),
            updated_at: time(s.updated_at),
            stopped_at: s.stopped_at.map(time),
            input_octets: s.input_octets,
            output_octets: s.output_octets,
            session_time: s.session_time,
            terminate_cause: s.terminate_cause,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionQuery {
    /// A login prefix, an IP address (or IPv6 prefix) or a MAC address.
    q: Option<String>,
    /// NAS id.
    nas: Option<i64>,
    /// Plan id.
    plan: Option<i64>,
    /// Contract id.
    contract: Option<i64>,
    /// Customer id (every contract of the customer).
    customer: Option<i64>,
    /// `true` (default): only online sessions; `false`: history too.
    online: Option<bool>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

/// Lists sessions, newest first.
#[utoipa::path(
    get, path = "/api/v1/radius/sessions", operation_id = "radius.sessions.list", tag = "radius",
    params(SessionQuery),
    responses(
        (status = 200, description = "A page of sessions", body = Paged<SessionView>),
    ),
    security(("bearer" = ["radius.view"]))
)]
pub async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SessionQuery>,
) -> ApiResult<Json<Paged<SessionView>>> {
    let caller = caller.caller();
    services::radius::may_view(&caller)?;
    let limit = pagination::limit(q.limit)?;
    let before = pagination::decode(q.cursor.as_deref())?;
    let filter = SessionFilter {
        online: q.online.unwrap_or(true),
        search: q.q.as_deref().and_then(services::radius::session_search),
        nas_id: q.nas,
        plan_id: q.plan,
        contract_id: q.contract,
        customer_id: q.customer,
        before,
        limit,
    };
    let (rows, more) = services::radius::sessions(&state.svc, &caller, &filter).await?;
    let data: Vec<SessionView> = rows.into_iter().map(Into::into).collect();
    Ok(Json(pagination::page(data, more, |s| s.id)))
}

/// A queued Disconnect-Request.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisconnectView {
    /// The request's id; its status (`pending`, `ack`, `nak`, `failed`)
    /// is filled in by the radius node.
    pub coa_id: i64,
    #[schema(value_type = choices::CoaStatus)]
    pub status: String,
}

/// Asks the router to end an online session (RFC 5176 Disconnect-Request,
/// sent by the radius node).
#[utoipa::path(
    post, path = "/api/v1/radius/sessions/{id}/disconnect", operation_id = "radius.sessions.disconnect", tag = "radius",
    params(IdPath),
    responses(
        (status = 202, description = "Queued for the radius node", body = DisconnectView),
        (status = 409, description = "The session already ended (`session-closed`)"),
    ),
    security(("bearer" = ["radius.manage"]))
)]
pub async fn disconnect(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Response> {
    let id = services::radius::disconnect(&state.svc, &caller.caller(), p.id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(DisconnectView {
            coa_id: id,
            status: "pending".into(),
        }),
    )
        .into_response())
}

/// An authentication attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthEntryView {
    pub id: i64,
    #[schema(format = DateTime)]
    pub at: String,
    pub nas_id: Option<i64>,
    pub nas_name: Option<String>,
    pub login: String,
    pub contract_id: Option<i64>,
    /// `pap`, `chap`, `mschap`, `mschapv2` or empty.
    pub method: String,
    /// `accept`, `restricted` or `reject`.
    #[schema(value_type = choices::AuthResult)]
    pub result: String,
    /// Why: `wrong-password`, `unknown-user`, `contract-suspended`,
    /// `contract-canceled`, `contract-pending`, `mac-mismatch`,
    /// `simultaneous-use`, `quota-blocked`, `missing-message-authenticator`,
    /// `unsupported-method`.
    pub reason: String,
    pub calling_station_id: String,
}

impl From<AuthEntry> for AuthEntryView {
    fn from(e: AuthEntry) -> AuthEntryView {
        AuthEntryView {
            id: e.id,
            at: time(e.at),
            nas_id: e.nas_id,
            nas_name: e.nas_name,
            login: e.login,
            contract_id: e.contract_id,
            method: e.method,
            result: e.result,
            reason: e.reason,
            calling_station_id: e.calling_station_id,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthLogQuery {
    /// Logins starting with this text.
    login: Option<String>,
    /// `accept`, `restricted` or `reject`.
    #[param(value_type = Option<choices::AuthResult>)]
    result: Option<String>,
    /// A reason code.
    reason: Option<String>,
    /// NAS id.
    nas: Option<i64>,
    /// Contract id.
    contract: Option<i64>,
    /// RFC 3339, or `YYYY-MM-DD HH:MM` in the company's time zone.
    from: Option<String>,
    to: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    cursor: Option<String>,
}

/// The authentication log, newest first.
#[utoipa::path(
    get, path = "/api/v1/radius/auth-log", operation_id = "radius.auth_log.list", tag = "radius",
    params(AuthLogQuery),
    responses(
        (status = 200, description = "A page of entries", body = Paged<AuthEntryView>),
    ),
    security(("bearer" = ["radius.view"]))
)]
pub async fn auth_log(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuthLogQuery>,
) -> ApiResult<Json<Paged<AuthEntryView>>> {
    let caller = caller.caller();
    services::radius::may_view(&caller)?;
    let limit = pagination::limit(q.limit)?;
    let before = pagination::decode(q.cursor.as_deref())?;
    let tz = services::radius::company_tz(&state.svc).await?;
    let instant = |field: &str, v: &Option<String>| -> Result<Option<i64>, Problem> {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => domain::radius::parse_instant(s, &tz)
                .map(Some)
                .map_err(|_| {
                    Problem::invalid(
                        field,
                        "date",
                        "must be RFC 3339 or YYYY-MM-DD HH:MM in the company's time zone",
                    )
                }),
        }
    };
    let empty = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let filter = AuthFilter {
        login: empty(q.login),
        result: empty(q.result),
        reason: empty(q.reason),
        nas_id: q.nas,
        contract_id: q.contract,
        from: instant("from", &q.from)?,
        to: instant("to", &q.to)?,
        before,
        limit,
    };
    let (rows, more) = services::radius::auth_log(&state.svc, &caller, &filter).await?;
    let data: Vec<AuthEntryView> = rows.into_iter().map(Into::into).collect();
    Ok(Json(pagination::page(data, more, |e| e.id)))
}

/// Usage of one billing cycle.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageView {
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub cycle_start: String,
    /// From the subscriber (upload).
    pub input_octets: i64,
    /// To the subscriber (download).
    pub output_octets: i64,
    /// Seconds online.
    pub session_time: i64,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Usage> for UsageView {
    fn from(u: Usage) -> UsageView {
        UsageView {
            cycle_start: u.cycle_start,
            input_octets: u.input_octets,
            output_octets: u.output_octets,
            session_time: u.session_time,
            updated_at: time(u.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// How many recent cycles (1 to 120, default 12).
    #[param(minimum = 1, maximum = 120)]
    cycles: Option<i64>,
}

/// A contract's usage per billing cycle, oldest first.
#[utoipa::path(
    get, path = "/api/v1/contracts/{id}/usage", operation_id = "contracts.usage.list", tag = "radius",
    params(IdPath, UsageQuery),
    responses(
        (status = 200, description = "Usage per cycle", body = [UsageView]),
    ),
    security(("bearer" = ["radius.view"]))
)]
pub async fn usage(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> ApiResult<Json<Vec<UsageView>>> {
    let caller = caller.caller();
    services::radius::may_view(&caller)?;
    let cycles = match q.cycles {
        None => 12,
        Some(n) if (1..=120).contains(&n) => n,
        Some(_) => {
            return Err(Problem::invalid(
                "cycles",
                "range",
                "must be between 1 and 120",
            ));
        }
    };
    Ok(Json(
        services::radius::usage(&state.svc, &caller, p.id, cycles)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WhoQuery {
    /// An IPv4 address, or an IPv6 address or prefix.
    ip: Option<String>,
    /// RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` in the company's time zone.
    at: Option<String>,
}

/// The answer to "who had address X at time T".
#[derive(Debug, Serialize, ToSchema)]
pub struct WhoView {
    /// The address or prefix asked about, canonical.
    pub ip: String,
    /// The instant asked about (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub at: String,
    /// The connection records that held the address at that instant.
    pub sessions: Vec<SessionView>,
}

/// Who had an address at an instant (Marco Civil, art. 13). Every call is
/// recorded in the audit log with the token's user.
#[utoipa::path(
    get, path = "/api/v1/radius/who", operation_id = "radius.who", tag = "radius",
    params(WhoQuery),
    responses(
        (status = 200, description = "The matching connection records (possibly none)", body = WhoView),
    ),
    security(("bearer" = ["radius.lookup"]))
)]
pub async fn who(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<WhoQuery>,
) -> ApiResult<Json<WhoView>> {
    let a = services::radius::who(
        &state.svc,
        &caller.caller(),
        q.ip.as_deref().unwrap_or(""),
        q.at.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(WhoView {
        ip: a.target,
        at: time(a.at),
        sessions: a.sessions.into_iter().map(Into::into).collect(),
    }))
}
