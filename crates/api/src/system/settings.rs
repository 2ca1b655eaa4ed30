//! `/api/v1/settings`: the installation's settings. Secrets are masked.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use domain::system::settings::{self as defs, Kind};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::choices;
use crate::extract::{ApiJson, Caller};
use crate::problem::{ApiResult, Problem};
use webkit::state::AppState;

/// Installation settings.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show, update))
}

/// One setting.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingView {
    pub key: String,
    /// `security`, `email` or `backup`.
    #[schema(value_type = choices::SettingGroup)]
    pub group: String,
    /// `int`, `bool`, `text`, `email`, `choice`, `role_list` or `secret`.
    #[serde(rename = "type")]
    #[schema(value_type = choices::SettingType)]
    pub kind: String,
    /// The current value; secrets show as `********` when set.
    pub value: String,
    pub default: String,
    /// Allowed values of a `choice`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
}

/// Every setting.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsList {
    pub data: Vec<SettingView>,
    /// Keys the request changed (PATCH only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<Vec<String>>,
}

fn all(current: &services::system::settings::Settings) -> Vec<SettingView> {
    defs::DEFS
        .iter()
        .map(|d| {
            let (kind, choices, min, max) = match d.kind {
                Kind::Int { min, max } => ("int", None, Some(min), Some(max)),
                Kind::Bool => ("bool", None, None, None),
                Kind::Text { max } => ("text", None, None, Some(max as i64)),
                Kind::Email => ("email", None, None, None),
                Kind::Choice(c) => (
                    "choice",
                    Some(c.iter().map(|s| (*s).to_owned()).collect()),
                    None,
                    None,
                ),
                Kind::RoleList => ("role_list", None, None, None),
                Kind::Secret => ("secret", None, None, None),
                Kind::NumberPrefix => ("text", None, None, Some(30)),
                Kind::Url => ("url", None, None, Some(255)),
                Kind::Pem { secret: false } => ("pem", None, None, None),
                Kind::Pem { secret: true } => ("secret_pem", None, None, None),
            };
            SettingView {
                key: d.key.to_owned(),
                group: d.group.slug().to_owned(),
                kind: kind.to_owned(),
                value: current.display(d.key),
                default: if d.kind.is_secret() {
                    String::new()
                } else {
                    d.default.to_owned()
                },
                choices,
                min,
                max,
            }
        })
        .collect()
}

/// Lists every setting with its current value.
#[utoipa::path(
    get, path = "/api/v1/settings", operation_id = "settings.show", tag = "settings",
    responses(
        (status = 200, description = "Every setting", body = SettingsList),
    ),
    security(("bearer" = ["settings.view"]))
)]
pub async fn show(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<SettingsList>> {
    let settings = services::system::settings::read(&state.svc, &caller.caller()).await?;
    Ok(Json(SettingsList {
        data: all(&settings),
        changed: None,
    }))
}

/// Changes settings: an object of key → value (string, number or boolean).
/// All or nothing; an empty value for a secret keeps the stored one.
#[utoipa::path(
    patch, path = "/api/v1/settings", operation_id = "settings.update", tag = "settings",
    request_body(content = Object, description = "Setting key → new value: a string, number or boolean (`null` or empty keeps a secret)",
        example = json!({"security.session_idle_minutes": 60, "backup.enabled": true})),
    responses(
        (status = 200, description = "Every setting, and which changed", body = SettingsList),
    ),
    security(("bearer" = ["settings.manage"]))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<BTreeMap<String, serde_json::Value>>,
) -> ApiResult<Json<SettingsList>> {
    let caller = caller.caller();
    services::system::settings::may_update(&caller)?;
    let body = body.parse()?;
    let mut values = BTreeMap::new();
    for (key, value) in body {
        if defs::def(&key).is_none() {
            return Err(Problem::invalid(
                &key,
                "unknown-setting",
                "is not a setting",
            ));
        }
        let text = match value {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Null => String::new(),
            _ => {
                return Err(Problem::invalid(
                    &key,
                    "type",
                    "must be a string, number or boolean",
                ));
            }
        };
        values.insert(key, text);
    }
    let changed = services::system::settings::update(&state.svc, &caller, &values).await?;
    let settings = services::system::settings::read(&state.svc, &caller).await?;
    Ok(Json(SettingsList {
        data: all(&settings),
        changed: Some(changed),
    }))
}
