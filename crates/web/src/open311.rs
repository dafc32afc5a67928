//! Open311 GeoReport v2 at `/open311/v2/`: discovery, services (the tenant's citizen-facing
//! categories), service definitions with their attributes, requests (GET with its filters,
//! one by id, POST with a partner's `api_key`), tokens; every resource as `.json` and `.xml`;
//! `jurisdiction_id` is the municipality code; errors in the specification's own form (a list
//! of `code` and `description`, with its HTTP statuses 400, 403 and 404).
//!
//! A POSTed request is a citizen's tip: it is checked, screened and queued for the
//! coordinator exactly as one from the tip page (`service::tips`). What GET shows follows the
//! public rules: a tip's text only when it came through Open311 and nothing was screened out
//! of it (the tip page's text was written to the municipality, not for publication), no
//! address text (it may be a home), positions as the centre of their 250 m cell, and no
//! incident at all — only the requests themselves, their status and the public answer.

use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};
use model::{TipChannel, TipStatus};
use serde_json::{Value, json};
use service::tips::{TipDraft, citizen_categories};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use store::{Category, Tenant, Tip};

/// Requests one GET answers at most, and the default window (the specification's 90 days).
const MAX_REQUESTS: u32 = 1_000;
const WINDOW_DAYS: i64 = 90;
/// Request ids one GET may name.
const MAX_IDS: usize = 100;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// "services.json" → ("services", Json); a name without a known format is none.
fn split(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    let f = match ext {
        "json" => Format::Json,
        "xml" => Format::Xml,
        _ => return None,
    };
    (!name.is_empty()).then_some((name, f))
}

/// A JSON value as XML elements: objects become elements named by their keys, arrays
/// repeat `item` (the name the array's parent gives its children), null is an empty element.
fn xml_value(out: &mut String, name: &str, v: &Value, item: &HashMap<&str, &str>) {
    match v {
        Value::Object(m) => {
            let _ = write!(out, "<{name}>");
            for (k, v) in m {
                xml_value(out, k, v, item);
            }
            let _ = write!(out, "</{name}>");
        }
        Value::Array(list) => {
            let _ = write!(out, "<{name}>");
            let child = item.get(name).copied().unwrap_or("item");
            for v in list {
                xml_value(out, child, v, item);
            }
            let _ = write!(out, "</{name}>");
        }
        Value::Null => {
            let _ = write!(out, "<{name}/>");
        }
        Value::String(s) => {
            let _ = write!(out, "<{name}>{}</{name}>", chart::xml_escape(s));
        }
        other => {
            let _ = write!(out, "<{name}>{other}</{name}>");
        }
    }
}

/// The answer in the asked format: JSON as it is; XML under `root` with the element names
/// of the specification.
fn answer(status: StatusCode, format: Format, root: &str, v: Value) -> Response {
    match format {
        Format::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            v.to_string(),
        )
            .into_response(),
        Format::Xml => {
            let item: HashMap<&str, &str> = [
                ("services", "service"),
                ("service_requests", "request"),
                ("errors", "error"),
                ("attributes", "attribute"),
                ("values", "value"),
                ("endpoints", "endpoint"),
                ("formats", "format"),
            ]
            .into_iter()
            .collect();
            let mut out = String::from(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
            xml_value(&mut out, root, &v, &item);
            (
                status,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                out,
            )
                .into_response()
        }
    }
}

/// An error in the specification's form: a list of `code` + `description`.
fn errors(status: StatusCode, format: Format, list: &[String]) -> Response {
    let v = Value::Array(
        list.iter()
            .map(|d| json!({ "code": status.as_u16(), "description": d }))
            .collect(),
    );
    answer(status, format, "errors", v)
}

fn bad(format: Format, what: impl Into<String>) -> Response {
    errors(StatusCode::BAD_REQUEST, format, &[what.into()])
}

fn not_found(format: Format, what: impl Into<String>) -> Response {
    errors(StatusCode::NOT_FOUND, format, &[what.into()])
}

fn internal(format: Format, e: impl std::fmt::Display) -> Response {
    tracing::error!("open311: {e}");
    errors(
        StatusCode::INTERNAL_SERVER_ERROR,
        format,
        &["internal error".into()],
    )
}

/// The query's and the form's parameters, the form's last.
fn params(query: Option<&str>, body: &[u8]) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = HashMap::new();
    for part in [query.unwrap_or("").as_bytes(), body] {
        if let Ok(list) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(part) {
            out.extend(list);
        }
    }
    out
}

/// The tenant of `jurisdiction_id`; when it is not given, the only tenant of a deployment
/// that has one.
async fn jurisdiction(
    state: &AppState,
    format: Format,
    p: &HashMap<String, String>,
) -> Result<Tenant, Response> {
    match p
        .get("jurisdiction_id")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        Some(code) => match state.store.tenant_by_code(code).await {
            Ok(Some(t)) => Ok(t),
            Ok(None) => Err(not_found(
                format,
                format!("jurisdiction_id {code:?}: no such municipality here"),
            )),
            Err(e) => Err(internal(format, e)),
        },
        None => match state.store.tenants().await {
            Ok(list) if list.len() == 1 => Ok(list.into_iter().next().expect("one")),
            Ok(_) => Err(bad(
                format,
                "jurisdiction_id is required: this server serves several municipalities (their codes, e.g. 1960)",
            )),
            Err(e) => Err(internal(format, e)),
        },
    }
}

fn time(t: Timestamp) -> String {
    // W3C date and time with the Swedish offset, as the specification asks.
    t.to_zoned(service::stockholm())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn service_json(c: &Category, cats: &[Category], group: &str) -> Value {
    json!({
        "service_code": c.code.as_str(),
        "service_name": c.name_sv,
        "description": format!("{} ({})", c.name_sv, c.name_en),
        "metadata": true,
        "type": "realtime",
        "keywords": cats
            .iter()
            .filter(|s| s.parent.as_ref() == Some(&c.code) && !s.retired)
            .map(|s| s.name_sv.clone())
            .collect::<Vec<_>>()
            .join(", "),
        "group": group,
    })
}

fn request_json(t: &Tip, cats: &[Category], tenant: &Tenant) -> Value {
    let name = cats
        .iter()
        .find(|c| c.code == t.category)
        .map(|c| c.name_sv.clone())
        .unwrap_or_else(|| t.category.to_string());
    let (lat, long) = match t.point {
        Some((lon, lat)) => {
            let (lon, lat) = service::tips::coarse(lon, lat);
            (
                json!((lat * 1e5).round() / 1e5),
                json!((lon * 1e5).round() / 1e5),
            )
        }
        None => (Value::Null, Value::Null),
    };
    let description =
        (t.channel == TipChannel::Open311 && t.redacted == 0).then(|| t.description.clone());
    json!({
        "service_request_id": t.id.to_string(),
        "status": if t.status == TipStatus::New { "open" } else { "closed" },
        "status_notes": t.public_answer,
        "service_name": name,
        "service_code": t.category.as_str(),
        "description": description,
        "agency_responsible": tenant.name,
        "service_notice": Value::Null,
        "requested_datetime": time(t.created_at),
        "updated_datetime": time(t.updated_at),
        "expected_datetime": Value::Null,
        "address": Value::Null,
        "address_id": Value::Null,
        "zipcode": Value::Null,
        "lat": lat,
        "long": long,
        "media_url": Value::Null,
    })
}

pub async fn discovery_or_list(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((name, format)) = split(&file) else {
        return not_found(
            Format::Json,
            format!("{file}: not a GeoReport v2 resource (.json or .xml)"),
        );
    };
    let p = params(query.as_deref(), b"");
    match name {
        "discovery" => discovery(&state, format),
        "services" => services(&state, format, &p).await,
        "requests" => requests(&state, format, &p).await,
        other => not_found(format, format!("{other}: not a GeoReport v2 resource")),
    }
}

/// When this API last changed (the discovery's `changeset`).
const CHANGESET: &str = "2026-12-04T00:00:00+01:00";

/// Open311's texts are in the municipality's language.
fn sv(state: &AppState, key: &str) -> String {
    state.i18n.t(crate::i18n::Lang::Sv, key, &[])
}

fn discovery(state: &AppState, format: Format) -> Response {
    let changeset = CHANGESET;
    answer(
        StatusCode::OK,
        format,
        "discovery",
        json!({
            "changeset": changeset,
            "contact": sv(state, "open311-contact"),
            "key_service": sv(state, "open311-key-service"),
            "endpoints": [{
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": "/open311/v2",
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }],
        }),
    )
}

async fn services(state: &AppState, format: Format, p: &HashMap<String, String>) -> Response {
    let tenant = match jurisdiction(state, format, p).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let cats = match state.store.categories(tenant.id).await {
        Ok(c) => c,
        Err(e) => return internal(format, e),
    };
    let list: Vec<Value> = citizen_categories(&cats)
        .into_iter()
        .map(|c| service_json(c, &cats, &sv(state, "open311-group")))
        .collect();
    answer(StatusCode::OK, format, "services", Value::Array(list))
}

/// The attributes every service asks for beyond the specification's own fields.
fn attributes(state: &AppState) -> Value {
    json!([{
        "variable": true,
        "code": "occurred",
        "datatype": "datetime",
        "required": false,
        "datatype_description": sv(state, "open311-occurred-format"),
        "order": 1,
        "description": sv(state, "open311-occurred"),
        "values": [],
    }])
}

pub async fn service_definition(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((code, format)) = split(&file) else {
        return not_found(
            Format::Json,
            format!("{file}: ask for services/CODE.json or .xml"),
        );
    };
    let p = params(query.as_deref(), b"");
    let tenant = match jurisdiction(&state, format, &p).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let cats = match state.store.categories(tenant.id).await {
        Ok(c) => c,
        Err(e) => return internal(format, e),
    };
    if !citizen_categories(&cats)
        .iter()
        .any(|c| c.code.as_str() == code)
    {
        return not_found(format, format!("service_code {code:?}: no such service"));
    }
    answer(
        StatusCode::OK,
        format,
        "service_definition",
        json!({ "service_code": code, "attributes": attributes(&state) }),
    )
}

fn w3(field: &str, v: &str) -> Result<Timestamp, String> {
    model::dates::instant(v).ok_or_else(|| {
        format!(
            "{field} {v:?}: not a W3C date and time with its offset (e.g. 2026-11-01T00:00:00Z)"
        )
    })
}

async fn requests(state: &AppState, format: Format, p: &HashMap<String, String>) -> Response {
    let tenant = match jurisdiction(state, format, p).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let get = |k: &str| p.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let mut problems = Vec::new();
    let ids: Option<Vec<i64>> = get("service_request_id").map(|v| {
        v.split(',')
            .filter_map(|s| match s.trim().parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.push(format!("service_request_id {s:?}: not a request id"));
                    None
                }
            })
            .collect()
    });
    let codes: Option<Vec<&str>> =
        get("service_code").map(|v| v.split(',').map(str::trim).collect());
    let statuses: Option<Vec<&str>> = get("status").map(|v| v.split(',').map(str::trim).collect());
    if let Some(s) = &statuses
        && let Some(bad) = s.iter().find(|s| !matches!(**s, "open" | "closed"))
    {
        problems.push(format!("status {bad:?}: open or closed"));
    }
    let now = state.now();
    let end = match get("end_date").map(|v| w3("end_date", v)) {
        Some(Ok(t)) => t,
        Some(Err(e)) => {
            problems.push(e);
            now
        }
        None => now,
    };
    let start = match get("start_date").map(|v| w3("start_date", v)) {
        Some(Ok(t)) => t,
        Some(Err(e)) => {
            problems.push(e);
            end
        }
        None => end - SignedDuration::from_hours(24 * WINDOW_DAYS),
    };
    if start > end {
        problems.push("start_date is after end_date".into());
    } else if end.duration_since(start) > SignedDuration::from_hours(24 * WINDOW_DAYS) {
        problems.push(format!(
            "start_date to end_date may span at most {WINDOW_DAYS} days"
        ));
    }
    if !problems.is_empty() {
        return errors(StatusCode::BAD_REQUEST, format, &problems);
    }
    if ids.as_ref().is_some_and(|ids| ids.len() > MAX_IDS) {
        return bad(format, format!("service_request_id: at most {MAX_IDS} ids"));
    }
    let cats = match state.store.categories(tenant.id).await {
        Ok(c) => c,
        Err(e) => return internal(format, e),
    };
    // The store finds them: a public request never reads more than it answers.
    let tips: Vec<Tip> = match &ids {
        // Ids override every other filter (the specification).
        Some(ids) => {
            let mut found = Vec::new();
            for id in ids {
                match state.store.tip(tenant.id, *id).await {
                    Ok(Some(t)) => found.push(t),
                    Ok(None) => {}
                    Err(e) => return internal(format, e),
                }
            }
            found
        }
        None => {
            let mut statuses_wanted = Vec::new();
            for s in statuses.iter().flatten() {
                match *s {
                    "open" => statuses_wanted.push(TipStatus::New),
                    _ => statuses_wanted.extend([
                        TipStatus::Accepted,
                        TipStatus::Merged,
                        TipStatus::Rejected,
                    ]),
                }
            }
            let categories = codes
                .iter()
                .flatten()
                .filter_map(|c| model::CategoryCode::parse(c).ok())
                .collect::<Vec<_>>();
            if codes.as_ref().is_some_and(|c| !c.is_empty()) && categories.is_empty() {
                vec![]
            } else {
                let filter = store::TipFilter {
                    statuses: statuses_wanted,
                    categories,
                    from: Some(start),
                    to: Some(end),
                    limit: MAX_REQUESTS,
                };
                match state.store.find_tips(tenant.id, &filter).await {
                    Ok(t) => t,
                    Err(e) => return internal(format, e),
                }
            }
        }
    };
    let list: Vec<Value> = tips
        .iter()
        .map(|t| request_json(t, &cats, &tenant))
        .collect();
    answer(
        StatusCode::OK,
        format,
        "service_requests",
        Value::Array(list),
    )
}

pub async fn request_one(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((id, format)) = split(&file) else {
        return not_found(
            Format::Json,
            format!("{file}: ask for requests/ID.json or .xml"),
        );
    };
    let p = params(query.as_deref(), b"");
    let tenant = match jurisdiction(&state, format, &p).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Ok(n) = id.parse::<i64>() else {
        return not_found(
            format,
            format!("service_request_id {id:?}: no such request"),
        );
    };
    match tokio::try_join!(
        state.store.tip(tenant.id, n),
        state.store.categories(tenant.id)
    ) {
        Ok((Some(t), cats)) => answer(
            StatusCode::OK,
            format,
            "service_requests",
            json!([request_json(&t, &cats, &tenant)]),
        ),
        Ok((None, _)) => not_found(
            format,
            format!("service_request_id {id:?}: no such request"),
        ),
        Err(e) => internal(format, e),
    }
}

pub async fn token(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((token, format)) = split(&file) else {
        return not_found(
            Format::Json,
            format!("{file}: ask for tokens/TOKEN.json or .xml"),
        );
    };
    let p = params(query.as_deref(), b"");
    let tenant = match jurisdiction(&state, format, &p).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    match state.store.tip_by_token(tenant.id, token).await {
        Ok(Some(t)) => answer(
            StatusCode::OK,
            format,
            "service_requests",
            json!([{ "service_request_id": t.id.to_string(), "token": t.token }]),
        ),
        Ok(None) => not_found(format, format!("token {token:?}: no such token")),
        Err(e) => internal(format, e),
    }
}

/// POST `requests.json|xml`: a partner's request, with its `api_key`, into the tip queue.
pub async fn post_request(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let Some(("requests", format)) = split(&file) else {
        return not_found(
            Format::Json,
            format!("{file}: POST requests.json or requests.xml"),
        );
    };
    let p = params(query.as_deref(), &body);
    let tenant = match jurisdiction(&state, format, &p).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let get = |k: &str| p.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let key = get("api_key");
    let partner = match state
        .store
        .open311_key(&service::auth::hash_secret(&key))
        .await
    {
        Ok(Some(k)) if !key.is_empty() && k.tenant_id == tenant.id => k,
        Ok(_) => {
            return errors(
                StatusCode::FORBIDDEN,
                format,
                &["api_key: missing, revoked or not this municipality's".into()],
            );
        }
        Err(e) => return internal(format, e),
    };
    let mut problems = Vec::new();
    if get("service_code").is_empty() {
        problems.push("service_code is required".to_string());
    }
    let (lat, long, address) = (get("lat"), get("long"), get("address_string"));
    if (lat.is_empty() || long.is_empty()) && address.is_empty() && get("address_id").is_empty() {
        problems.push("a location is required: lat and long, or address_string".into());
    }
    if !problems.is_empty() {
        return errors(StatusCode::BAD_REQUEST, format, &problems);
    }
    let draft = TipDraft {
        category: get("service_code"),
        description: get("description"),
        place_text: address,
        lat,
        lon: long,
        occurred: get("attribute[occurred]"),
        email: get("email"),
    };
    let now = state.now();
    let cats = match state.store.categories(tenant.id).await {
        Ok(c) => c,
        Err(e) => return internal(format, e),
    };
    let valid = match service::tips::validate(&draft, &cats, &tenant, now) {
        Ok(v) => v,
        Err(list) => {
            let names: HashMap<&str, &str> = [
                ("category", "service_code"),
                ("lat", "lat/long"),
                ("place_text", "address_string"),
                ("occurred", "attribute[occurred]"),
            ]
            .into_iter()
            .collect();
            let messages: Vec<String> = list
                .iter()
                .map(|e| {
                    let field = names.get(e.field.as_str()).copied().unwrap_or(&e.field);
                    let reason = state.i18n.t(
                        crate::i18n::Lang::En,
                        e.code,
                        &[("value", e.value.clone().into())],
                    );
                    format!("{field} {:?}: {reason}", e.value)
                })
                .collect();
            return errors(StatusCode::BAD_REQUEST, format, &messages);
        }
    };
    let (_secret, hash, token) = service::tips::receipt();
    let new = valid.into_new(
        &tenant,
        TipChannel::Open311,
        Some(partner.id),
        hash,
        token,
        now,
    );
    match state.store.create_tip(&new).await {
        Ok(t) => answer(
            StatusCode::OK,
            format,
            "service_requests",
            json!([{
                "service_request_id": t.id.to_string(),
                "token": t.token,
                "service_notice": sv(&state, "open311-notice"),
                "account_id": Value::Null,
            }]),
        ),
        Err(e) => internal(format, e),
    }
}
