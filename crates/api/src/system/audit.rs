//! `/api/v1/audit`: the append-only audit log.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use services::system::audit::Entry;
use services::system::audit::Query;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{ApiPath, ApiQuery, Caller};
use crate::pagination::{self, Paged};
use crate::problem::ApiResult;
use crate::{IdPath, time};
use webkit::state::AppState;

/// The audit log.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
}

/// Who made a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditActor {
    /// `user`, `token`, `system`, `cli` or `anonymous`.
    pub kind: String,
    pub id: Option<i64>,
    pub name: String,
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub at: String,
    pub actor: AuditActor,
    /// `user.create`, `setting.update`, …
    pub action: String,
    pub entity_kind: String,
    pub entity_id: String,
    /// The entity before the change (JSON), if any.
    #[schema(value_type = Value)]
    pub before: Option<serde_json::Value>,
    /// The entity after the change (JSON), if any.
    #[schema(value_type = Value)]
    pub after: Option<serde_json::Value>,
    pub source_ip: Option<String>,
    /// This entry's link in the hash chain.
    pub hash: String,
    pub prev_hash: String,
}

fn json(s: Option<String>) -> Option<serde_json::Value> {
    s.map(|s| serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s)))
}

impl From<Entry> for AuditEntry {
    fn from(e: Entry) -> AuditEntry {
        AuditEntry {
            id: e.id,
            at: time(e.at),
            actor: AuditActor {
                kind: e.actor_kind,
                id: e.actor_id,
                name: e.actor_name,
            },
            action: e.action,
            entity_kind: e.entity_kind,
            entity_id: e.entity_id,
            before: json(e.before_json),
            after: json(e.after_json),
            source_ip: e.source_ip,
            hash: e.hash,
            prev_hash: e.prev_hash,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The actor's name (exact).
    actor: Option<String>,
    /// An action or its prefix (`user.`, `user.create`).
    action: Option<String>,
    /// `user`, `role`, `api_token`, `setting`, …
    entity_kind: Option<String>,
    entity_id: Option<String>,
    /// Entries from this date (`YYYY-MM-DD`, from its first instant in
    /// the company's time zone), wall-clock time (`YYYY-MM-DD HH:MM` in
    /// that zone), RFC 3339 time or Unix seconds on.
    from: Option<String>,
    /// Entries up to this date (`YYYY-MM-DD`: the whole day, in the
    /// company's time zone) or before this wall-clock time, RFC 3339 time
    /// or Unix seconds.
    to: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

fn text(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Lists audit entries, newest first.
#[utoipa::path(
    get, path = "/api/v1/audit", operation_id = "audit.list", tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of entries", body = Paged<AuditEntry>),
    ),
    security(("bearer" = ["audit.view"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Paged<AuditEntry>>> {
    let caller = caller.caller();
    services::system::audit::may_view(&caller)?;
    let query = Query {
        actor: text(q.actor),
        action: text(q.action),
        entity_kind: text(q.entity_kind),
        entity_id: text(q.entity_id),
        from: q.from,
        to: q.to,
        before: pagination::decode(q.cursor.as_deref())?,
        limit: pagination::limit(q.limit)?,
    };
    let (rows, more) = services::system::audit::list(&state.svc, &caller, &query).await?;
    let data: Vec<AuditEntry> = rows.into_iter().map(Into::into).collect();
    Ok(Json(pagination::page(data, more, |e| e.id)))
}

/// One audit entry.
#[utoipa::path(
    get, path = "/api/v1/audit/{id}", operation_id = "audit.show", tag = "audit",
    params(IdPath),
    responses(
        (status = 200, description = "The entry", body = AuditEntry),
    ),
    security(("bearer" = ["audit.view"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<AuditEntry>> {
    Ok(Json(
        services::system::audit::get(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}
