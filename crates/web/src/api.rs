//! The JSON API under `/api/v1`. Authentication: `Authorization: Bearer <token>` (see
//! `lagesbild token create`) or, for reading, the browser session. Validation errors are 422
//! with a JSON list of `{field, message}`; other errors are `{"error": message}`.

use crate::AppState;
use crate::ctx::Ctx;
use crate::filters::{
    ListParams, filter_or_errors, format_cursor, number_in, parse_cursor, parse_limit,
};
use crate::i18n::Lang;
use crate::views;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use model::{FieldError, IncidentDraft, Precision};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::sync::Arc;
use store::{Cursor, IncidentQuery, PlaceKind, Sort, User};

pub const MAX_LIMIT: u32 = 1000;
pub const GEOJSON_DEFAULT_LIMIT: u32 = 100_000;
pub const GEOJSON_MAX_LIMIT: u32 = 500_000;

fn api_lang(headers: &HeaderMap, ctx_lang: Lang) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::parse)
        .unwrap_or(ctx_lang)
}

/// An authenticated API caller.
pub struct ApiUser {
    pub user: User,
    pub lang: Lang,
}

pub(crate) fn error(status: StatusCode, state: &AppState, lang: Lang, key: &str) -> Response {
    (
        status,
        axum::Json(crate::openapi::ApiError {
            error: state.i18n.t(lang, key, &[]),
        }),
    )
        .into_response()
}

impl FromRequestParts<Arc<AppState>> for ApiUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        if let Some(token) = bearer {
            // Scripts authenticate with the token alone: no session or tenant lookups.
            let cookie_lang = crate::ctx::cookie(&parts.headers, crate::ctx::LANG_COOKIE)
                .and_then(Lang::parse)
                .unwrap_or_default();
            let lang = api_lang(&parts.headers, cookie_lang);
            return match state
                .store
                .api_token_user(&service::auth::hash_secret(&token), state.now())
                .await
            {
                Ok(Some(user)) => Ok(ApiUser { user, lang }),
                Ok(None) => Err(error(
                    StatusCode::UNAUTHORIZED,
                    state,
                    lang,
                    "error-unauthorized",
                )),
                Err(e) => {
                    tracing::error!("api token lookup: {e}");
                    Err(StatusCode::SERVICE_UNAVAILABLE.into_response())
                }
            };
        }
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let lang = api_lang(&parts.headers, ctx.lang);
        match &ctx.user {
            // A browser session may read; writing through the API with a session needs the
            // session's CSRF token in `X-CSRF-Token`.
            Some(user) => {
                let safe = matches!(parts.method, Method::GET | Method::HEAD);
                let token = parts
                    .headers
                    .get("x-csrf-token")
                    .and_then(|v| v.to_str().ok());
                if safe || ctx.csrf_ok(token) {
                    Ok(ApiUser {
                        user: user.clone(),
                        lang,
                    })
                } else {
                    Err(error(StatusCode::FORBIDDEN, state, lang, "error-forbidden"))
                }
            }
            None => Err(error(
                StatusCode::UNAUTHORIZED,
                state,
                lang,
                "error-unauthorized",
            )),
        }
    }
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!("api: {e}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(crate::openapi::ApiError {
            error: "internal error".into(),
        }),
    )
        .into_response()
}

pub(crate) fn unprocessable(state: &AppState, lang: Lang, errors: &[FieldError]) -> Response {
    let (_, list) = views::field_messages(&state.i18n, lang, errors);
    let list: Vec<crate::openapi::FieldProblem> = list
        .into_iter()
        .map(|v| crate::openapi::FieldProblem {
            field: v["field"].as_str().unwrap_or_default().to_string(),
            message: v["message"].as_str().unwrap_or_default().to_string(),
        })
        .collect();
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(list)).into_response()
}

pub async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    match state.store.tenants().await {
        Ok(_) => axum::Json(json!({"status": "ok"})).into_response(),
        Err(e) => {
            tracing::error!("health check: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({"status": "unavailable"})),
            )
                .into_response()
        }
    }
}

#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(crate::filters::ListParams), responses((status = 200, description = "A page of incidents, newest first", body = crate::openapi::IncidentPage), (status = 400, description = "A query that cannot be read at all"), (status = 401, description = "No valid API token", body = crate::openapi::ApiError), (status = 422, description = "Fields refused, each named", body = Vec<crate::openapi::FieldProblem>)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    api: ApiUser,
    Query(q): Query<ListParams>,
) -> Response {
    let mut errors = Vec::new();
    let filter = filter_or_errors(&q, &mut errors);
    let limit = parse_limit(&q, 100, MAX_LIMIT).unwrap_or_else(|e| {
        errors.push(e);
        100
    });
    let after = parse_cursor(&q).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    if !q.sort.is_empty() && q.sort != Sort::OccurredDesc.as_str() {
        // Keyset paging is defined for newest-first only.
        errors.push(FieldError::new("sort", "error-invalid-choice", &q.sort));
    }
    if !errors.is_empty() {
        return unprocessable(&state, api.lang, &errors);
    }
    let rows = match state
        .store
        .list_incidents(
            &api.user.actor(),
            &IncidentQuery {
                filter,
                sort: Sort::OccurredDesc,
                limit: limit + 1,
                offset: 0,
                after,
            },
        )
        .await
    {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let more = rows.len() > limit as usize;
    let items: Vec<crate::openapi::ApiIncident> = rows
        .iter()
        .take(limit as usize)
        .map(views::incident_json)
        .collect();
    let next_cursor = if more {
        rows.get(limit as usize - 1).map(|last| {
            format_cursor(&Cursor {
                occurred_from: last.occurred_from,
                id: last.id,
            })
        })
    } else {
        None
    };
    axum::Json(crate::openapi::IncidentPage { items, next_cursor }).into_response()
}

/// The fields of an incident the API reads (`openapi::IncidentInput` documents them; a test
/// holds the two equal).
pub const INCIDENT_FIELDS: &[&str] = &[
    "category",
    "occurred_at",
    "occurred_from",
    "occurred_to",
    "lat",
    "lon",
    "place_id",
    "place_text",
    "description",
    "school_id",
    "persons_involved",
    "visibility",
    "same_as",
    "confirm_outside",
];

/// Reads a JSON object into a draft. Coordinates, ids and counts are JSON numbers (a string
/// such as `"59.4"` is refused); times carry their offset (RFC 3339; a local time without one
/// is ambiguous across a clock change and is refused here, where the web form's
/// `datetime-local` is read in Swedish time).
pub(crate) fn draft_from_value(v: &Value) -> Result<IncidentDraft, Vec<FieldError>> {
    let Value::Object(map) = v.clone() else {
        return Err(vec![FieldError::new("body", "error-type", "not an object")]);
    };
    let mut d = IncidentDraft {
        offset_required: true,
        ..Default::default()
    };
    let mut errors = Vec::new();
    for (k, v) in map {
        if !INCIDENT_FIELDS.contains(&k.as_str()) {
            errors.push(FieldError::new(&k, "error-unknown-field", &k));
            continue;
        }
        if k == "confirm_outside" {
            match v {
                Value::Bool(b) => d.confirm_outside = b,
                Value::Null => {}
                other => errors.push(FieldError::new(
                    "confirm_outside",
                    "error-type",
                    other.to_string(),
                )),
            }
            continue;
        }
        let numeric = matches!(
            k.as_str(),
            "lat" | "lon" | "place_id" | "school_id" | "persons_involved" | "same_as"
        );
        let text = match &v {
            Value::String(_) if numeric => {
                errors.push(FieldError::new(&k, "error-type", v.to_string()));
                continue;
            }
            Value::Number(_) if !numeric => {
                errors.push(FieldError::new(&k, "error-type", v.to_string()));
                continue;
            }
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Null => String::new(),
            other => {
                errors.push(FieldError::new(&k, "error-type", other.to_string()));
                continue;
            }
        };
        let slot = match k.as_str() {
            "category" => &mut d.category,
            "occurred_at" => &mut d.occurred_at,
            "occurred_from" => &mut d.occurred_from,
            "occurred_to" => &mut d.occurred_to,
            "lat" => &mut d.lat,
            "lon" => &mut d.lon,
            "place_id" => &mut d.place_id,
            "place_text" => &mut d.place_text,
            "description" => &mut d.description,
            "school_id" => &mut d.school_id,
            "persons_involved" => &mut d.persons_involved,
            "visibility" => &mut d.visibility,
            "same_as" => &mut d.same_as,
            _ => {
                errors.push(FieldError::new(&k, "error-unknown-field", &k));
                continue;
            }
        };
        *slot = text;
    }
    if !d.occurred_at.is_empty() && !d.occurred_to.is_empty() {
        errors.push(FieldError::new(
            "occurred_to",
            "error-invalid-choice",
            "occurred_at + occurred_to",
        ));
    }
    if errors.is_empty() {
        Ok(d)
    } else {
        Err(errors)
    }
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents", params(("id" = i64, Path, description = "The incident")), responses((status = 200, description = "The incident", body = crate::openapi::ApiIncident), (status = 401, description = "No valid API token", body = crate::openapi::ApiError), (status = 404, description = "No such thing, or not the caller's to see", body = crate::openapi::ApiError)))]
pub async fn get_one(
    State(state): State<Arc<AppState>>,
    api: ApiUser,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error(StatusCode::NOT_FOUND, &state, api.lang, "error-not-found");
    };
    match state.store.incident(&api.user.actor(), id).await {
        Ok(Some(i)) => axum::Json(views::incident_json(&i)).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, &state, api.lang, "error-not-found"),
        Err(e) => internal(e),
    }
}

/// RFC 7946 FeatureCollection. Municipality-level incidents have `geometry: null` and a
/// `municipality_code`: they are never drawn as points.
#[utoipa::path(get, path = "/api/v1/incidents.geojson", tag = "incidents", params(crate::filters::ListParams), responses((status = 200, description = "The incidents as GeoJSON", content_type = "application/geo+json", body = crate::openapi::FeatureCollection), (status = 400, description = "A query that cannot be read at all"), (status = 401, description = "No valid API token", body = crate::openapi::ApiError), (status = 422, description = "Fields refused, each named", body = Vec<crate::openapi::FieldProblem>)))]
pub async fn geojson(
    State(state): State<Arc<AppState>>,
    api: ApiUser,
    Query(q): Query<ListParams>,
) -> Response {
    let mut errors = Vec::new();
    let filter = filter_or_errors(&q, &mut errors);
    let limit = parse_limit(&q, GEOJSON_DEFAULT_LIMIT, GEOJSON_MAX_LIMIT).unwrap_or_else(|e| {
        errors.push(e);
        0
    });
    if !errors.is_empty() {
        return unprocessable(&state, api.lang, &errors);
    }
    let rows = match state
        .store
        .incident_points(&api.user.actor(), &filter, limit + 1)
        .await
    {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let truncated = rows.len() > limit as usize;
    // Written by hand, not through serde_json::Value: 100,000 features in well under a second.
    let mut out = String::with_capacity(rows.len() * 190 + 64);
    out.push_str(r#"{"type":"FeatureCollection","features":["#);
    for (n, p) in rows.iter().take(limit as usize).enumerate() {
        if n > 0 {
            out.push(',');
        }
        let coarse = p.precision == Precision::Municipality;
        let _ = write!(out, r#"{{"type":"Feature","id":{},"geometry":"#, p.id);
        if coarse {
            out.push_str("null");
        } else {
            let _ = write!(
                out,
                r#"{{"type":"Point","coordinates":[{:.6},{:.6}]}}"#,
                p.lon, p.lat
            );
        }
        // Category codes are [a-z0-9-] and the other values are enums: nothing to escape.
        let _ = write!(
            out,
            r#","properties":{{"id":{},"category":"{}","occurred_from":"{}""#,
            p.id, p.category, p.occurred_from
        );
        if p.occurred_to != p.occurred_from {
            let _ = write!(out, r#","occurred_to":"{}""#, p.occurred_to);
        }
        let _ = write!(
            out,
            r#","status":"{}","precision":"{}""#,
            p.status, p.precision
        );
        if coarse {
            match &p.municipality_code {
                Some(code) => {
                    out.push_str(r#","municipality_code":"#);
                    out.push_str(&serde_json::to_string(code).unwrap_or_else(|_| "null".into()));
                }
                None => out.push_str(r#","municipality_code":null"#),
            }
        }
        out.push_str("}}");
    }
    let _ = write!(out, r#"],"truncated":{truncated}}}"#);
    ([(header::CONTENT_TYPE, "application/geo+json")], out).into_response()
}

#[utoipa::path(get, path = "/api/v1/categories", tag = "tenant", responses((status = 200, description = "The tenant's categories", body = Vec<crate::openapi::CategoryItem>), (status = 401, description = "No valid API token", body = crate::openapi::ApiError)))]
pub async fn categories(State(state): State<Arc<AppState>>, api: ApiUser) -> Response {
    match state.store.categories(api.user.tenant_id).await {
        Ok(cats) => {
            let list: Vec<crate::openapi::CategoryItem> = cats
                .iter()
                .map(|c| crate::openapi::CategoryItem {
                    code: c.code.as_str().to_string(),
                    parent: c.parent.as_ref().map(|p| p.as_str().to_string()),
                    name: views::category_name(&cats, c.code.as_str(), api.lang),
                    name_sv: c.name_sv.clone(),
                    name_en: c.name_en.clone(),
                    color: c.color.clone(),
                    retired: c.retired,
                })
                .collect();
            axum::Json(list).into_response()
        }
        Err(e) => internal(e),
    }
}

#[utoipa::path(get, path = "/api/v1/places", tag = "tenant", responses((status = 200, description = "The tenant's places and areas", body = Vec<crate::openapi::PlaceItem>), (status = 401, description = "No valid API token", body = crate::openapi::ApiError)))]
pub async fn places(State(state): State<Arc<AppState>>, api: ApiUser) -> Response {
    match state.store.places(api.user.tenant_id).await {
        Ok(places) => {
            let list: Vec<crate::openapi::PlaceItem> = places
                .iter()
                .map(|p| crate::openapi::PlaceItem {
                    id: p.id,
                    name: p.name.clone(),
                    kind: match p.kind {
                        PlaceKind::Area => "area",
                        PlaceKind::Point => "point",
                    }
                    .to_string(),
                    is_school: p.is_school,
                    is_demo: p.is_demo,
                    lat: p.lat,
                    lon: p.lon,
                    geometry: serde_json::from_str::<Value>(&p.geometry_geojson)
                        .unwrap_or(Value::Null),
                })
                .collect();
            axum::Json(list).into_response()
        }
        Err(e) => internal(e),
    }
}

#[utoipa::path(get, path = "/api/v1/tenant", tag = "tenant", responses((status = 200, description = "The tenant", body = crate::openapi::TenantInfo), (status = 401, description = "No valid API token", body = crate::openapi::ApiError), (status = 404, description = "No such thing, or not the caller's to see", body = crate::openapi::ApiError)))]
pub async fn tenant(State(state): State<Arc<AppState>>, api: ApiUser) -> Response {
    match state.store.tenant(api.user.tenant_id).await {
        Ok(Some(t)) => axum::Json(crate::openapi::TenantInfo {
            outline: serde_json::from_str::<Value>(&t.outline_geojson).unwrap_or(Value::Null),
            map_style_url: t
                .map_style_url
                .or_else(|| state.config.map_style_url.clone()),
            default_visibility: t.default_visibility.as_str().to_string(),
            code: t.code,
            name: t.name,
        })
        .into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, &state, api.lang, "error-not-found"),
        Err(e) => internal(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft_from_json(body: &[u8]) -> Result<IncidentDraft, Vec<FieldError>> {
        let v: Value = serde_json::from_slice(body)
            .map_err(|e| vec![FieldError::new("body", "error-json", e.to_string())])?;
        draft_from_value(&v)
    }

    #[test]
    fn json_drafts() {
        let d = draft_from_json(br#"{"category":"trafik","occurred_at":"2026-11-27T10:00:00+01:00","lat":59.42,"lon":16.1,"persons_involved":3,"confirm_outside":true}"#).unwrap();
        assert_eq!(d.lat, "59.42");
        assert_eq!(d.lon, "16.1");
        assert_eq!(d.persons_involved, "3");
        assert!(d.confirm_outside);
        let errors =
            draft_from_json(br#"{"category":["x"],"name":"Kalle","lat":true}"#).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert!(fields.contains(&("category", "error-type")));
        assert!(fields.contains(&("name", "error-unknown-field")));
        assert!(fields.contains(&("lat", "error-type")));
        assert_eq!(draft_from_json(b"[1]").unwrap_err()[0].field, "body");
        // Coordinates and counts are numbers, never text that looks like one.
        for body in [
            r#"{"lat":"59.42"}"#,
            r#"{"lon":"16.1"}"#,
            r#"{"persons_involved":"3"}"#,
        ] {
            let e = draft_from_json(body.as_bytes()).unwrap_err();
            assert_eq!(e[0].code, "error-type", "{body}");
        }
        assert_eq!(draft_from_json(b"{").unwrap_err()[0].code, "error-json");
    }

    #[test]
    fn every_documented_field_is_read() {
        for f in INCIDENT_FIELDS {
            let value = match *f {
                "lat" | "lon" | "place_id" | "school_id" | "persons_involved" | "same_as" => {
                    json!(1)
                }
                "confirm_outside" => json!(true),
                _ => json!("x"),
            };
            let mut body = serde_json::Map::new();
            body.insert(f.to_string(), value);
            if let Err(errors) = draft_from_value(&Value::Object(body)) {
                assert!(
                    errors.iter().all(|e| e.code != "error-unknown-field"),
                    "{f}: {errors:?}"
                );
            }
        }
    }
}

/// Hot and cold spots (Getis–Ord Gi*, FDR-corrected 90/95/99 % bins) of the incidents the caller
/// may see, as GeoJSON cell polygons with `z`, `bin` (−3…3) and `count`; only significant cells.
/// With `method=moran`: local Moran's I clusters instead (999 conditional permutations, seed 1),
/// cells with p_sim ≤ 0.05 and `quadrant` 1 HH, 2 LH, 3 LL, 4 HL, `i`, `p_sim`, `count`.
/// Query: the incident filters, `cell` metres (50–1000, default 100), `weights` (queen or
/// distance:METRES). Municipality-level events are not points and are left out.
#[utoipa::path(get, path = "/api/v1/hotspots.geojson", tag = "analysis", params(crate::filters::ListParams, HotspotParams), responses((status = 200, description = "Significant cells", content_type = "application/geo+json", body = crate::openapi::FeatureCollection), (status = 400, description = "A query that cannot be read at all"), (status = 401, description = "No valid API token", body = crate::openapi::ApiError), (status = 422, description = "Fields refused, each named", body = Vec<crate::openapi::FieldProblem>), (status = 503, description = "Too many analyses at once, or too long; try again (Retry-After)", body = crate::openapi::ApiError, headers(("Retry-After" = u32, description = "Seconds")))))]
pub async fn hotspots(
    State(state): State<Arc<AppState>>,
    api: ApiUser,
    Query(q): Query<ListParams>,
    Query(h): Query<HotspotParams>,
) -> Response {
    let mut errors = Vec::new();
    let filter = filter_or_errors(&q, &mut errors);
    let cell = number_in(
        h.cell.as_deref(),
        "cell",
        (50.0, 1000.0),
        100.0,
        &mut errors,
    );
    let weights = match analysis::Weights::parse(h.weights.as_deref().unwrap_or("queen")) {
        Ok(analysis::Weights::Distance(d)) if d > MAX_DISTANCE => {
            errors.push(FieldError::new(
                "weights",
                "error-too-large",
                h.weights.clone().unwrap_or_default(),
            ));
            analysis::Weights::Queen
        }
        Ok(w) => w,
        Err(_) => {
            errors.push(FieldError::new(
                "weights",
                "error-invalid-choice",
                h.weights.clone().unwrap_or_default(),
            ));
            analysis::Weights::Queen
        }
    };
    let moran = match h.method.as_deref() {
        None | Some("gistar") => false,
        Some("moran") => true,
        Some(other) => {
            errors.push(FieldError::new("method", "error-invalid-choice", other));
            false
        }
    };
    if !errors.is_empty() {
        return unprocessable(&state, api.lang, &errors);
    }
    let points = match state
        .store
        .incident_points(&api.user.actor(), &filter, 500_000)
        .await
    {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let (xs, ys): (Vec<f64>, Vec<f64>) = points
        .iter()
        .filter(|p| p.precision != Precision::Municipality)
        .map(|p| (p.e, p.n))
        .unzip();
    // No points, or no variation: there are no hot spots to show.
    let grid = match analysis::Grid::bin(&xs, &ys, cell, None) {
        Ok(g) => g,
        Err(e) if too_large(&e) => return analysis_too_large(&state, api.lang, "cell", e),
        Err(_) => return cells_geojson(None, cell, std::iter::empty()),
    };
    if moran {
        // Permutations are CPU work: off the async threads.
        let result = tokio::task::spawn_blocking(move || {
            let m = analysis::local_moran(&grid, weights, 999, 1);
            (grid, m)
        })
        .await;
        return match result {
            Ok((grid, Ok(m))) => cells_geojson(
                Some(&grid),
                cell,
                (0..grid.counts.len())
                    .filter(|&k| m.p_sim[k] <= 0.05)
                    .map(|k| {
                        (
                            k,
                            format!(
                                r#""quadrant":{},"i":{:.4},"p_sim":{},"count":{}"#,
                                m.quadrant[k], m.i[k], m.p_sim[k], grid.counts[k]
                            ),
                        )
                    }),
            ),
            Ok((_, Err(e))) if too_large(&e) => analysis_too_large(&state, api.lang, "weights", e),
            Ok((_, Err(_))) => cells_geojson(None, cell, std::iter::empty()),
            Err(e) => internal(e),
        };
    }
    match analysis::gi_star(&grid, weights) {
        Ok(r) => cells_geojson(
            Some(&grid),
            cell,
            (0..grid.counts.len()).filter(|&k| r.bins[k] != 0).map(|k| {
                (
                    k,
                    format!(
                        r#""z":{:.4},"bin":{},"count":{}"#,
                        r.z[k], r.bins[k], grid.counts[k]
                    ),
                )
            }),
        ),
        Err(e) if too_large(&e) => analysis_too_large(&state, api.lang, "weights", e),
        Err(_) => cells_geojson(None, cell, std::iter::empty()),
    }
}

/// The widest distance band of the hot spot API (metres).
pub const MAX_DISTANCE: f64 = 5_000.0;

/// Analysis errors that mean the request asked for too much, not that the data has no answer.
pub(crate) fn too_large(e: &analysis::AnalysisError) -> bool {
    matches!(
        e,
        analysis::AnalysisError::TooWide { .. }
            | analysis::AnalysisError::TooMuchWork { .. }
            | analysis::AnalysisError::TooManyCells(_)
    )
}

/// 422 for an analysis the parameters make too large, naming the field to change.
pub(crate) fn analysis_too_large(
    state: &AppState,
    lang: Lang,
    field: &'static str,
    e: analysis::AnalysisError,
) -> Response {
    unprocessable(
        state,
        lang,
        &[FieldError::new(field, "error-too-large", e.to_string())],
    )
}

/// Grid cells as GeoJSON polygons in WGS84, each with its properties (JSON members).
pub(crate) fn cells_geojson(
    grid: Option<&analysis::Grid>,
    cell: f64,
    cells: impl Iterator<Item = (usize, String)>,
) -> Response {
    let mut out = String::from(r#"{"type":"FeatureCollection","features":["#);
    if let Some(grid) = grid {
        for (n, (k, properties)) in cells.enumerate() {
            let (x, y) = grid.corner(k);
            let ring: Vec<String> = geo::square_ring(x, y, cell)
                .iter()
                .map(|[lon, lat]| format!("[{lon:.6},{lat:.6}]"))
                .collect();
            if n > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                r#"{{"type":"Feature","geometry":{{"type":"Polygon","coordinates":[[{}]]}},"properties":{{{properties}}}}}"#,
                ring.join(",")
            );
        }
    }
    out.push_str("]}");
    ([(header::CONTENT_TYPE, "application/geo+json")], out).into_response()
}

#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct HotspotParams {
    cell: Option<String>,
    weights: Option<String>,
    method: Option<String>,
}

/// `GET /api/v1/tiles/{z}/{x}/{y}` (`y` may end in `.mvt`): the incidents the caller may see on
/// the map in a Mapbox Vector Tile (layer `incidents`, properties `category` and `status`),
/// with the incident filters of the query. PostGIS makes it for the PostgreSQL store, our
/// encoder for SQLite: the same tile URL either way.
#[utoipa::path(get, path = "/api/v1/tiles/{z}/{x}/{y}", tag = "incidents", params(("z" = u8, Path, description = "Zoom, 0–22"), ("x" = u32, Path, description = "Column"), ("y" = String, Path, description = "Row, optionally ending in .mvt"), crate::filters::ListParams), responses((status = 200, description = "A Mapbox Vector Tile", content_type = "application/vnd.mapbox-vector-tile", body = Vec<u8>), (status = 400, description = "A query that cannot be read at all"), (status = 401, description = "No valid API token", body = crate::openapi::ApiError), (status = 422, description = "Fields refused, each named", body = Vec<crate::openapi::FieldProblem>)))]
pub async fn tile(
    State(state): State<Arc<AppState>>,
    api: ApiUser,
    Path((z, x, y)): Path<(String, String, String)>,
    Query(q): Query<ListParams>,
) -> Response {
    let mut errors = Vec::new();
    let filter = filter_or_errors(&q, &mut errors);
    let y_num = y.strip_suffix(".mvt").unwrap_or(&y);
    let tile = match (z.parse(), x.parse(), y_num.parse()) {
        (Ok(z), Ok(x), Ok(y)) => geo::tile::TileId::parse(z, x, y).ok(),
        _ => None,
    };
    let Some(tile) = tile else {
        errors.push(FieldError::new(
            "tile",
            "error-invalid-choice",
            format!("{z}/{x}/{y}"),
        ));
        return unprocessable(&state, api.lang, &errors);
    };
    if !errors.is_empty() {
        return unprocessable(&state, api.lang, &errors);
    }
    match state
        .store
        .incident_tile(&api.user.actor(), &filter, tile)
        .await
    {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/vnd.mapbox-vector-tile"),
                (header::CACHE_CONTROL, "private, max-age=60"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => internal(e),
    }
}
