//! The API's contract: an OpenAPI 3.1 document made by utoipa from the handlers' own
//! `#[utoipa::path]` annotations and the types they answer with, served at
//! `/api/v1/openapi.json`. The types here are what the handlers serialise, so the document
//! cannot describe one body while the code sends another; a test checks that every `/api/v1`
//! route of the router is in it.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

/// An error with one message, in the caller's language (`Accept-Language`).
#[derive(Serialize, ToSchema)]
pub struct ApiError {
    pub error: String,
}

/// A field that was refused, and why, in the caller's language. A 422 answers a list of them.
#[derive(Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field, as sent (`lat`, `events[1].category`, `Idempotency-Key`, …).
    pub field: String,
    pub message: String,
}

/// SWEREF 99 TM (EPSG:3006) metres.
#[derive(Serialize, ToSchema)]
pub struct Sweref {
    pub e: f64,
    pub n: f64,
}

#[derive(Serialize, ToSchema)]
pub struct OrgRef {
    pub id: i64,
    pub name: String,
}

/// An incident as the API shows it. Municipality-level incidents have no `lat`/`lon`: they
/// are not points. A moment has `occurred_at`; a span has `occurred_from` and `occurred_to`.
#[derive(Serialize, ToSchema)]
pub struct ApiIncident {
    pub id: i64,
    /// The category code (see `/api/v1/categories`).
    pub category: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub sweref99tm: Option<Sweref>,
    /// `point`, `place` or `municipality`.
    pub precision: String,
    pub place_id: Option<i64>,
    pub place_name: Option<String>,
    pub place_text: Option<String>,
    pub municipality_code: Option<String>,
    pub description: String,
    pub school_id: Option<i64>,
    pub school_name: Option<String>,
    pub persons_involved: Option<u32>,
    pub visibility: String,
    pub status: String,
    pub source: String,
    pub external_url: Option<String>,
    pub organisation: OrgRef,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    pub report_id: Option<i64>,
    pub same_as: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub occurred_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub occurred_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub occurred_to: Option<String>,
}

/// A page of incidents, newest first; `next_cursor` fetches the next page.
#[derive(Serialize, ToSchema)]
pub struct IncidentPage {
    pub items: Vec<ApiIncident>,
    pub next_cursor: Option<String>,
}

/// One event to report. Coordinates, ids and counts are JSON numbers; times are RFC 3339 with
/// their offset. Either `occurred_at` (a moment) or `occurred_from` with an optional
/// `occurred_to` (a span).
#[allow(dead_code)]
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "category": "skadegorelse-klotter",
    "occurred_at": "2026-11-20T22:15:00+01:00",
    "lat": 59.4224,
    "lon": 16.0978,
    "description": "Klotter på gaveln mot parkeringen",
    "persons_involved": 2,
    "visibility": "all_partners"
}))]
pub struct IncidentInput {
    /// A category code of the tenant.
    pub category: Option<String>,
    #[schema(format = DateTime)]
    pub occurred_at: Option<String>,
    #[schema(format = DateTime)]
    pub occurred_from: Option<String>,
    #[schema(format = DateTime)]
    pub occurred_to: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub place_id: Option<i64>,
    pub place_text: Option<String>,
    pub description: Option<String>,
    pub school_id: Option<i64>,
    pub persons_involved: Option<i64>,
    /// `own_org`, `all_partners` or `police_municipality`.
    pub visibility: Option<String>,
    /// The incident this one is the same event as.
    pub same_as: Option<i64>,
    /// Store it although the point is outside the municipality.
    pub confirm_outside: Option<bool>,
}

/// Several events of one report, stored together or not at all.
#[allow(dead_code)]
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    pub events: Vec<IncidentInput>,
}

/// One event, or a report of several.
#[allow(dead_code)]
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ReportBody {
    One(Box<IncidentInput>),
    Several(ReportInput),
}

/// The answer to a report of several events.
#[derive(Serialize, ToSchema)]
pub struct CreatedReport {
    pub report_id: i64,
    pub incidents: Vec<ApiIncident>,
}

/// What `POST /api/v1/incidents` answers: the incident, or the report's incidents.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Created {
    One(Box<ApiIncident>),
    Several(CreatedReport),
}

#[derive(Serialize, ToSchema)]
pub struct CategoryItem {
    pub code: String,
    pub parent: Option<String>,
    /// The name in the caller's language.
    pub name: String,
    pub name_sv: String,
    pub name_en: String,
    pub color: String,
    pub retired: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PlaceItem {
    pub id: i64,
    pub name: String,
    /// `area` or `point`.
    pub kind: String,
    pub is_school: bool,
    pub is_demo: bool,
    pub lat: f64,
    pub lon: f64,
    /// A GeoJSON geometry (Point, Polygon or MultiPolygon).
    #[schema(value_type = Object)]
    pub geometry: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct TenantInfo {
    pub code: String,
    pub name: String,
    /// The municipality's outline, a GeoJSON geometry.
    #[schema(value_type = Object)]
    pub outline: serde_json::Value,
    pub map_style_url: Option<String>,
    pub default_visibility: String,
}

#[derive(Serialize, ToSchema)]
pub struct PhotoItem {
    pub id: i64,
    pub incident_id: i64,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub url: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct PhotoList {
    pub items: Vec<PhotoItem>,
}

#[derive(Serialize, ToSchema)]
pub struct NearbyItem {
    pub id: i64,
    pub url: String,
    pub category: String,
    pub category_name: String,
    pub occurred: String,
    #[schema(format = DateTime)]
    pub occurred_from: String,
    pub status: String,
    pub status_name: String,
    pub place: Option<String>,
    pub distance_m: f64,
}

#[derive(Serialize, ToSchema)]
pub struct NearbyPage {
    pub items: Vec<NearbyItem>,
    pub radius_m: f64,
    pub hours: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    /// `tenant:user`.
    pub user: String,
    pub name: String,
    /// The session's CSRF token; none for an API token.
    pub csrf: Option<String>,
}

/// A GeoJSON Feature (RFC 7946).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct Feature {
    /// `Feature`.
    pub r#type: String,
    /// A geometry, or null for what is not a point (municipality-level events).
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<serde_json::Value>,
    #[schema(value_type = Object)]
    pub properties: serde_json::Value,
}

/// A GeoJSON FeatureCollection (RFC 7946).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct FeatureCollection {
    /// `FeatureCollection`.
    pub r#type: String,
    pub features: Vec<Feature>,
    /// More matched than were sent (the incidents' GeoJSON only).
    pub truncated: Option<bool>,
}

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        // Any request may be shed when the server is full (`budget::shed`).
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                op.responses
                    .responses
                    .entry("503".into())
                    .or_insert_with(|| {
                        utoipa::openapi::ResponseBuilder::new()
                            .description(
                                "The server is full (Retry-After: 1), or an analysis found no turn",
                            )
                            .into()
                    });
            }
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token, made under Konto → API-nycklar or by the administrator.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Lägesbild API",
        description = "The incidents of the shared local situational picture, for partner \
                       systems and scripts. Every call needs an API token (`Authorization: \
                       Bearer …`) and sees what its user may see.",
        license(name = "EUPL-1.2")
    ),
    paths(
        crate::api::list,
        crate::field::api_create,
        crate::api::geojson,
        crate::export::api,
        crate::field::nearby,
        crate::field::api_photos,
        crate::field::api_add_photo,
        crate::field::api_photo,
        crate::field::session,
        crate::api::hotspots,
        crate::insight::density,
        crate::api::tile,
        crate::insight::api_analysis,
        crate::api::get_one,
        crate::api::categories,
        crate::api::places,
        crate::api::tenant,
        openapi_json,
    ),
    modifiers(&Bearer),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// The document, as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /api/v1/openapi.json`: this document. Public: it describes, it reveals nothing.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object))
)]
pub async fn openapi_json(State(_state): State<Arc<AppState>>) -> Response {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let text = DOC.get_or_init(|| document().to_json().unwrap_or_default());
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        text.as_str(),
    )
        .into_response()
}
