//! `/api/v1/sites`, `/api/v1/devices`, `/api/v1/links`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::network::{self as net, DeviceRole, LinkKind, LinkStatus, SiteKind, Status};
use serde::{Deserialize, Serialize};
use services::network::inventory::{self, DeviceInput};
use services::network::{Device, Filter, Link, Site, access};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{choice, filter_choice, invalid};
use crate::choices;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, merge_patch};
use crate::pagination::{self, Paged};
use crate::problem::{ApiResult, Problem};
use crate::{IdPath, time};
use webkit::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sites, create_site))
        .routes(routes!(show_site, update_site, delete_site))
        .routes(routes!(list_devices, create_device))
        .routes(routes!(show_device, update_device, delete_device))
        .routes(routes!(list_links, create_link))
        .routes(routes!(show_link, update_link, delete_link))
}

fn created<T: Serialize>(path: &str, id: i64, view: T) -> Response {
    (
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/{path}/{id}"))],
        Json(view),
    )
        .into_response()
}

/// A site or point of presence.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteView {
    pub id: i64,
    #[serde(flatten)]
    pub fields: SiteBody,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// A site's fields. On PATCH, omitted fields keep their value.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteBody {
    pub name: String,
    #[schema(value_type = choices::SiteKind)]
    pub kind: String,
    /// `active` (default), `planned` or `retired`.
    #[serde(default = "active")]
    #[schema(value_type = choices::NetworkStatus)]
    pub status: String,
    #[serde(default)]
    pub address: String,
    /// Degrees; with `longitude`.
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    #[serde(default)]
    pub notes: String,
}

fn active() -> String {
    "active".into()
}

impl SiteBody {
    fn to_site(&self) -> Result<net::Site, Problem> {
        let location = match (self.latitude, self.longitude) {
            (None, None) => None,
            (Some(lat), Some(lon)) => Some(net::Point { lat, lon }),
            (None, Some(_)) => {
                return Err(Problem::invalid(
                    "latitude",
                    "required",
                    "goes with longitude",
                ));
            }
            (Some(_), None) => {
                return Err(Problem::invalid(
                    "longitude",
                    "required",
                    "goes with latitude",
                ));
            }
        };
        Ok(net::Site {
            name: self.name.clone(),
            kind: choice(
                "kind",
                &self.kind,
                SiteKind::ALL,
                SiteKind::parse,
                SiteKind::as_str,
            )?,
            status: choice(
                "status",
                &self.status,
                Status::ALL,
                Status::parse,
                Status::as_str,
            )?,
            address: self.address.clone(),
            location,
            notes: self.notes.clone(),
        })
    }
}

impl From<Site> for SiteView {
    fn from(s: Site) -> SiteView {
        SiteView {
            id: s.id,
            created_at: time(s.created_at),
            updated_at: time(s.updated_at),
            fields: SiteBody {
                name: s.name,
                kind: s.kind,
                status: s.status,
                address: s.address,
                latitude: s.latitude,
                longitude: s.longitude,
                notes: s.notes,
            },
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SiteQuery {
    /// A fragment of the name or address.
    q: Option<String>,
    #[param(value_type = Option<choices::SiteKind>)]
    kind: Option<String>,
    #[param(value_type = Option<choices::NetworkStatus>)]
    status: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Lists sites, newest first.
#[utoipa::path(
    get, path = "/api/v1/sites", operation_id = "network.sites.list", tag = "network",
    params(SiteQuery),
    responses((status = 200, description = "A page of sites", body = Paged<SiteView>)),
    security(("bearer" = ["network.view"]))
)]
pub async fn list_sites(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SiteQuery>,
) -> ApiResult<Json<Paged<SiteView>>> {
    let caller = caller.caller();
    access::view(&caller)?;
    let limit = pagination::limit(q.limit)?;
    let f = Filter {
        q: q.q,
        kind: filter_choice(
            "kind",
            q.kind.as_deref(),
            SiteKind::ALL,
            SiteKind::parse,
            SiteKind::as_str,
        )?,
        status: filter_choice(
            "status",
            q.status.as_deref(),
            Status::ALL,
            Status::parse,
            Status::as_str,
        )?,
        before: pagination::decode(q.cursor.as_deref())?,
        limit,
        ..Default::default()
    };
    let (rows, more) = inventory::list_sites(&state.svc, &caller, &f).await?;
    let data: Vec<SiteView> = rows.into_iter().map(Into::into).collect();
    Ok(Json(pagination::page(data, more, |s| s.id)))
}

/// One site.
#[utoipa::path(
    get, path = "/api/v1/sites/{id}", operation_id = "network.sites.show", tag = "network",
    params(IdPath),
    responses((status = 200, description = "The site", body = SiteView)),
    security(("bearer" = ["network.view"]))
)]
pub async fn show_site(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<SiteView>> {
    Ok(Json(
        inventory::get_site(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// Creates a site.
#[utoipa::path(
    post, path = "/api/v1/sites", operation_id = "network.sites.create", tag = "network",
    request_body = SiteBody,
    responses(
        (status = 201, description = "Created", body = SiteView),
        (status = 409, description = "Name taken"),
    ),
    security(("bearer" = ["network.manage"]))
)]
pub async fn create_site(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<SiteBody>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    access::manage(&caller)?;
    let site = body.parse()?.to_site()?;
    let view: SiteView = inventory::create_site(&state.svc, &caller, &site)
        .await?
        .into();
    Ok(created("sites", view.id, view))
}

/// Changes a site.
#[utoipa::path(
    patch, path = "/api/v1/sites/{id}", operation_id = "network.sites.update", tag = "network",
    params(IdPath),
    request_body = SiteBody,
    responses(
        (status = 200, description = "The updated site", body = SiteView),
        (status = 409, description = "Name taken"),
    ),
    security(("bearer" = ["network.manage"]))
)]
pub async fn update_site(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<serde_json::Value>,
) -> ApiResult<Json<SiteView>> {
    let caller = caller.caller();
    access::manage(&caller)?;
    let patch = body.parse()?;
    let current: SiteView = inventory::get_site(&state.svc, &caller, p.id).await?.into();
    let merged: SiteBody = merge_patch(&current.fields, patch)?;
    Ok(Json(
        inventory::update_site(&state.svc, &caller, p.id, &merged.to_site()?)
            .await?
            .into(),
    ))
}

/// Deletes a site nothing refers to.
#[utoipa::path(
    delete, path = "/api/v1/sites/{id}", operation_id = "network.sites.delete", tag = "network",
    params(IdPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Devices, links or prefixes still refer to it"),
    ),
    security(("bearer" = ["network.manage"]))
)]
pub async fn delete_site(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<StatusCode> {
    inventory::delete_site(&state.svc, &caller.caller(), p.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A device. Its password is never shown: `has_password` says whether one
/// is kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceView {
    pub id: i64,
    pub name: String,
    #[schema(value_type = choices::DeviceRole)]
    pub role: String,
    #[schema(value_type = choices::NetworkStatus)]
    pub status: String,
    pub vendor: String,
    pub model: String,
    pub serial: String,
    pub mac: String,
    pub firmware: String,
    pub mgmt_address: String,
    pub username: String,
    pub has_password: bool,
    pub site_id: Option<i64>,
    pub site_name: Option<String>,
    pub uplink_id: Option<i64>,
    /// The RADIUS client (NAS) this router is.
    pub nas_id: Option<i64>,
    pub notes: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Device> for DeviceView {
    fn from(d: Device) -> DeviceView {
        DeviceView {
            id: d.id,
            has_password: !d.secret.is_empty(),
            name: d.name,
            role: d.role,
            status: d.status,
            vendor: d.vendor,
            model: d.model,
            serial: d.serial,
            mac: d.mac,
            firmware: d.firmware,
            mgmt_address: d.mgmt_address,
            username: d.username,
            site_id: d.site_id,
            site_name: d.site_name,
            uplink_id: d.uplink_id,
            nas_id: d.nas_id,
            notes: d.notes,
            created_at: time(d.created_at),
            updated_at: time(d.updated_at),
        }
    }
}

/// A device's fields. On PATCH, omitted fields keep their value;
/// `password` omitted keeps the stored one, `""` removes it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceBody {
    pub name: String,
    #[schema(value_type = choices::DeviceRole)]
    pub role: String,
    #[serde(default = "active")]
    #[schema(value_type = choices::NetworkStatus)]
    pub status: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub serial: String,
    #[serde(default)]
    pub mac: String,
    #[serde(default)]
    pub firmware: String,
    #[serde(default)]
    pub mgmt_address: String,
    #[serde(default)]
    pub username: String,
    /// Write-only; encrypted at rest.
    #[serde(default, skip_serializing)]
    pub password: Option<String>,
    #[serde(default)]
    pub site_id: Option<i64>,
    #[serde(default)]
    pub uplink_id: Option<i64>,
    #[serde(default)]
    pub notes: String,
}

impl DeviceBody {
    fn to_input(&self) -> Result<DeviceInput, Problem> {
        Ok(DeviceInput {
            device: net::Device {
                name: self.name.clone(),
                role: choice(
                    "role",
                    &self.role,
                    DeviceRole::ALL,
                    DeviceRole::parse,
                    DeviceRole::as_str,
                )?,
                status: choice(
                    "status",
                    &self.status,
                    Status::ALL,
                    Status::parse,
                    Status::as_str,
                )?,
                vendor: self.vendor.clone(),
                model: self.model.clone(),
                serial: self.serial.clone(),
                mac: self.mac.clone(),
                firmware: self.firmware.clone(),
                mgmt_address: self.mgmt_address.clone(),
                username: self.username.clone(),
                site_id: self.site_id,
                uplink_id: self.uplink_id,
                notes: self.notes.clone(),
            },
            password: self.password.clone(),
        })
    }

    fn of(v: &DeviceView) -> DeviceBody {
        DeviceBody {
            name: v.name.clone(),
            role: v.role.clone(),
            status: v.status.clone(),
            vendor: v.vendor.clone(),
            model: v.model.clone(),
            serial: v.serial.clone(),
            mac: v.mac.clone(),
            firmware: v.firmware.clone(),
            mgmt_address: v.mgmt_address.clone(),
            username: v.username.clone(),
            password: None,
            site_id: v.site_id,
            uplink_id: v.uplink_id,
            notes: v.notes.clone(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviceQuery {
    /// A fragment of the name, address, serial, MAC or model.
    q: Option<String>,
    #[param(value_type = Option<choices::DeviceRole>)]
    role: Option<String>,
    #[param(value_type = Option<choices::NetworkStatus>)]
    status: Option<String>,
    site_id: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Lists devices, newest first.
#[utoipa::path(
    get, path = "/api/v1/devices", operation_id = "network.devices.list", tag = "network",
    params(DeviceQuery),
    responses((status = 200, description = "A page of devices", body = Paged<DeviceView>)),
    security(("bearer" = ["network.view"]))
)]
pub async fn list_devices(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DeviceQuery>,
) -> ApiResult<Json<Paged<DeviceView>>> {
    let caller = caller.caller();
    access::view(&caller)?;
    let f = Filter {
        q: q.q,
        kind: filter_choice(
            "role",
            q.role.as_deref(),
            DeviceRole::ALL,
            DeviceRole::parse,
            DeviceRole::as_str,
        )?,
        status: filter_choice(
            "status",
            q.status.as_deref(),
            Status::ALL,
            Status::parse,
            Status::as_str,
        )?,
        site_id: q.site_id,
        before: pagination::decode(q.cursor.as_deref())?,
        limit: pagination::limit(q.limit)?,
    };
    let (rows, more) = inventory::list_devices(&state.svc, &caller, &f).await?;
    let data: Vec<DeviceView> = rows.into_iter().map(Into::into).collect();
    Ok(Json(pagination::page(data, more, |d| d.id)))
}

/// One device.
#[utoipa::path(
    get, path = "/api/v1/devices/{id}", operation_id = "network.devices.show", tag = "network",
    params(IdPath),
    responses((status = 200, description = "The device", body = DeviceView)),
    security(("bearer" = ["network.view"]))
)]
pub async fn show_device(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<DeviceView>> {
    Ok(Json(
        inventory::get_device(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// Creates a device.
#[utoipa::path(
    post, path = "/api/v1/devices", operation_id = "network.devices.create", tag = "network",
    request_body = DeviceBody,
    responses(
        (status = 201, description = "Created", body = DeviceView),
        (status = 409, description = "Name taken"),
    ),
    security(("bearer" = ["network.manage"]))
)]
pub async fn create_device(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<DeviceBody>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    access::manage(&caller)?;
    let input = body.parse()?.to_input()?;
    let view: DeviceView = inventory::create_device(&state.svc, &caller, &input)
        .await?
        .into();
    Ok(created("devices", view.id, view))
}

/// Changes a device.
#[utoipa::path(
    patch, path = "/api/v1/devices/{id}", operation_id = "network.devices.update", tag = "network",
    params(IdPath),
    request_body = DeviceBody,
    responses(
        (status = 200, description = "The updated device", body = DeviceView),
        (status = 409, description = "Name taken"),
    ),
    security(("bearer" = ["network.manage"]))
)]
pub async fn update_device(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<serde_json::Value>,
) -> ApiResult<Json<DeviceView>> {
    let caller = caller.caller();
    access::manage(&caller)?;
    let patch = body.parse()?;
    // The password is write-only, so it is read from the patch itself.
    let password = match patch.get("password") {
        None => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Null) => Some(String::new()),
        Some(_) => return Err(Problem::invalid("password", "type", "must be a string")),
    };
    let current: DeviceView = inventory::get_device(&state.svc, &caller, p.id)
        .await?
        .into();
    let mut merged: DeviceBody = merge_patch(&DeviceBody::of(&current), patch)?;
    merged.password = password;
    Ok(Json(
        inventory::update_device(&state.svc, &caller, p.id, &merged.to_input()?)
            .await?
            .into(),
    ))
}

/// Deletes a device no other device or link refers to.
#[utoipa::path(
    delete, path = "/api/v1/devices/{id}", operation_id = "network.devices.delete", tag = "network",
    params(IdPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Devices or links still refer to it"),
    ),
    security(("bearer" = ["network.manage"]))
)]
pub async fn delete_device(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<StatusCode> {
    inventory::delete_device(&state.svc, &caller.caller(), p.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A link between sites or devices.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkView {
    pub id: i64,
    #[serde(flatten)]
    pub fields: LinkBody,
    /// The ends' names (the device's, else the site's).
    pub a_name: Option<String>,
    pub b_name: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// A link's fields: each end names a site, a device or both.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    pub name: String,
    #[schema(value_type = choices::LinkKind)]
    pub kind: String,
    #[serde(default = "active")]
    #[schema(value_type = choices::LinkStatus)]
    pub status: String,
    #[serde(default)]
    pub a_site_id: Option<i64>,
    #[serde(default)]
    pub a_device_id: Option<i64>,
    #[serde(default)]
    pub b_site_id: Option<i64>,
    #[serde(default)]
    pub b_device_id: Option<i64>,
    #[serde(default)]
    pub capacity_mbps: i64,
    /// The route as `[latitude, longitude]` points (each exactly two
    /// numbers; anything else is refused naming `path`).
    #[serde(default)]
    pub path: Vec<Vec<f64>>,
    #[serde(default)]
    pub notes: String,
}

impl LinkBody {
    fn to_link(&self) -> Result<net::Link, Problem> {
        // Read as plain arrays so a point of the wrong length is a 422
        // naming the field, not a body that fails to parse.
        let path = self
            .path
            .iter()
            .map(|p| match p.as_slice() {
                [lat, lon] => Ok(net::Point {
                    lat: *lat,
                    lon: *lon,
                }),
                _ => Err(invalid(domain::validate::Invalid::new(
                    "path",
                    domain::validate::FieldError::Coordinates,
                ))),
            })
            .collect::<Result<Vec<_>, Problem>>()?;
        let link = net::Link {
            name: self.name.clone(),
            kind: choice(
                "kind",
                &self.kind,
                LinkKind::ALL,
                LinkKind::parse,
                LinkKind::as_str,
            )?,
            status: choice(
                "status",
                &self.status,
                LinkStatus::ALL,
                LinkStatus::parse,
                LinkStatus::as_str,
            )?,
            a_site_id: self.a_site_id,
            a_device_id: self.a_device_id,
            b_site_id: self.b_site_id,
            b_device_id: self.b_device_id,
            capacity_mbps: self.capacity_mbps,
            path,
            notes: self.notes.clone(),
        };
        link.validate().map_err(invalid)?;
        Ok(link)
    }
}

impl From<Link> for LinkView {
    fn from(l: Link) -> LinkView {
        let path = inventory::path(&l)
            .iter()
            .map(|p| vec![p.lat, p.lon])
            .collect();
        LinkView {
            id: l.id,
            a_name: l.a_name,
            b_name: l.b_name,
            created_at: time(l.created_at),
            updated_at: time(l.updated_at),
            fields: LinkBody {
                name: l.name,
                kind: l.kind,
                status: l.status,
                a_site_id: l.a_site_id,
                a_device_id: l.a_device_id,
                b_site_id: l.b_site_id,
                b_device_id: l.b_device_id,
                capacity_mbps: l.capacity_mbps,
                path,
                notes: l.notes,
            },
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    q: Option<String>,
    #[param(value_type = Option<choices::LinkKind>)]
    kind: Option<String>,
    #[param(value_type = Option<choices::LinkStatus>)]
    status: Option<String>,
    /// Links with an end at this site.
    site_id: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Lists links, newest first.
#[utoipa::path(
    get, path = "/api/v1/links", operation_id = "network.links.list", tag = "network",
    params(LinkQuery),
    responses((status = 200, description = "A page of links", body = Paged<LinkView>)),
    security(("bearer" = ["network.view"]))
)]
pub async fn list_links(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<LinkQuery>,
) -> ApiResult<Json<Paged<LinkView>>> {
    let caller = caller.caller();
    access::view(&caller)?;
    let f = Filter {
        q: q.q,
        kind: filter_choice(
            "kind",
            q.kind.as_deref(),
            LinkKind::ALL,
            LinkKind::parse,
            LinkKind::as_str,
        )?,
        status: filter_choice(
            "status",
            q.status.as_deref(),
            LinkStatus::ALL,
            LinkStatus::parse,
            LinkStatus::as_str,
        )?,
        site_id: q.site_id,
        before: pagination::decode(q.cursor.as_deref())?,
        limit: pagination::limit(q.limit)?,
    };
    let (rows, more) = inventory::list_links(&state.svc, &caller, &f).await?;
    let data: Vec<LinkView> = rows.into_iter().map(Into::into).collect();
    Ok(Json(pagination::page(data, more, |l| l.id)))
}

/// One link.
#[utoipa::path(
    get, path = "/api/v1/links/{id}", operation_id = "network.links.show", tag = "network",
    params(IdPath),
    responses((status = 200, description = "The link", body = LinkView)),
    security(("bearer" = ["network.view"]))
)]
pub async fn show_link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<LinkView>> {
    Ok(Json(
        inventory::get_link(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// Creates a link.
#[utoipa::path(
    post, path = "/api/v1/links", operation_id = "network.links.create", tag = "network",
    request_body = LinkBody,
    responses((status = 201, description = "Created", body = LinkView)),
    security(("bearer" = ["network.manage"]))
)]
pub async fn create_link(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<LinkBody>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    access::manage(&caller)?;
    let link = body.parse()?.to_link()?;
    let view: LinkView = inventory::create_link(&state.svc, &caller, &link)
        .await?
        .into();
    Ok(created("links", view.id, view))
}

/// Changes a link.
#[utoipa::path(
    patch, path = "/api/v1/links/{id}", operation_id = "network.links.update", tag = "network",
    params(IdPath),
    request_body = LinkBody,
    responses((status = 200, description = "The updated link", body = LinkView)),
    security(("bearer" = ["network.manage"]))
)]
pub async fn update_link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<serde_json::Value>,
) -> ApiResult<Json<LinkView>> {
    let caller = caller.caller();
    access::manage(&caller)?;
    let patch = body.parse()?;
    let current: LinkView = inventory::get_link(&state.svc, &caller, p.id).await?.into();
    let merged: LinkBody = merge_patch(&current.fields, patch)?;
    Ok(Json(
        inventory::update_link(&state.svc, &caller, p.id, &merged.to_link()?)
            .await?
            .into(),
    ))
}

/// Deletes a link.
#[utoipa::path(
    delete, path = "/api/v1/links/{id}", operation_id = "network.links.delete", tag = "network",
    params(IdPath),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = ["network.manage"]))
)]
pub async fn delete_link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<StatusCode> {
    inventory::delete_link(&state.svc, &caller.caller(), p.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
