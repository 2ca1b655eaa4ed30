//! `/api/v1/jobs`: background jobs, their progress and failures, and
//! "retry now".

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use services::system::jobs::{Filter, Job, Status};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::choices;
use crate::extract::{ApiPath, ApiQuery, Caller};
use crate::pagination::{self, Paged};
use crate::problem::{ApiResult, Problem};
use crate::{IdPath, time};
use webkit::state::AppState;

/// Background jobs.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(retry))
}

/// A background job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub id: i64,
    /// `backup`, `expire-sessions`, `email-outbox`, …
    pub kind: String,
    /// `queued`, `running`, `succeeded`, `failed` (will be retried) or `dead`.
    #[schema(value_type = choices::JobStatus)]
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    /// RFC 3339: when it is due (for `failed`, when it is retried).
    #[schema(format = DateTime)]
    pub run_at: String,
    /// The node holding it while `running`.
    pub locked_by: Option<String>,
    pub progress_done: i64,
    pub progress_total: i64,
    pub progress_note: String,
    pub last_error: Option<String>,
    /// The job's input (JSON).
    #[schema(value_type = Value)]
    pub payload: serde_json::Value,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
}

impl From<Job> for JobView {
    fn from(j: Job) -> JobView {
        JobView {
            id: j.id,
            kind: j.kind,
            status: j.status.as_str().to_owned(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: time(j.run_at),
            locked_by: j.locked_by,
            progress_done: j.progress_done,
            progress_total: j.progress_total,
            progress_note: j.progress_note,
            last_error: j.last_error,
            payload: serde_json::from_str(&j.payload)
                .unwrap_or(serde_json::Value::String(j.payload)),
            created_at: time(j.created_at),
            started_at: j.started_at.map(time),
            finished_at: j.finished_at.map(time),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// `queued`, `running`, `succeeded`, `failed` or `dead`.
    #[param(value_type = Option<choices::JobStatus>)]
    status: Option<String>,
    /// Exact job kind.
    kind: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

/// Lists jobs, newest first.
#[utoipa::path(
    get, path = "/api/v1/jobs", operation_id = "jobs.list", tag = "jobs",
    params(JobQuery),
    responses(
        (status = 200, description = "A page of jobs", body = Paged<JobView>),
    ),
    security(("bearer" = ["jobs.view"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<JobQuery>,
) -> ApiResult<Json<Paged<JobView>>> {
    let caller = caller.caller();
    services::system::jobs::may_view(&caller)?;
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            Problem::invalid(
                "status",
                "choice",
                "must be one of queued, running, succeeded, failed, dead",
            )
        })?),
    };
    let filter = Filter {
        status,
        kind: q
            .kind
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty()),
        before: pagination::decode(q.cursor.as_deref())?,
        limit: pagination::limit(q.limit)?,
    };
    let (rows, more) = services::system::jobs::list(&state.svc, &caller, &filter).await?;
    let data: Vec<JobView> = rows.into_iter().map(Into::into).collect();
    Ok(Json(pagination::page(data, more, |j| j.id)))
}

/// One job.
#[utoipa::path(
    get, path = "/api/v1/jobs/{id}", operation_id = "jobs.show", tag = "jobs",
    params(IdPath),
    responses(
        (status = 200, description = "The job", body = JobView),
    ),
    security(("bearer" = ["jobs.view"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(
        services::system::jobs::get(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// Queues a failed or dead job to run again now.
#[utoipa::path(
    post, path = "/api/v1/jobs/{id}/retry", operation_id = "jobs.retry", tag = "jobs",
    params(IdPath),
    responses(
        (status = 200, description = "The job, queued again", body = JobView),
        (status = 409, description = "The job is not failed or dead"),
    ),
    security(("bearer" = ["jobs.manage"]))
)]
pub async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<JobView>> {
    let caller = caller.caller();
    services::system::jobs::retry_now(&state.svc, &caller, p.id).await?;
    Ok(Json(
        services::system::jobs::get(&state.svc, &caller, p.id)
            .await?
            .into(),
    ))
}
