//! Reporting from the field: a report of one or more events with photos, sent by the form
//! (with or without JavaScript, from the phone's offline queue) or by the API, stored once
//! per `Idempotency-Key`; the photos of an incident; the duplicate hint; and what the offline
//! queue needs to know about the session.
//!
//! The form's fields: an event's fields by their names for the first event and prefixed
//! `e1-`, `e2-`, … for the others; its photos in `photos` (`e1-photos`, …); the report's key
//! in `report_key` (or the `Idempotency-Key` header); `school_id` and `visibility` of the
//! first event hold for the others unless they say otherwise.

use crate::AppState;
use crate::api::{ApiUser, internal as api_internal, unprocessable};
use crate::ctx::Ctx;
use crate::i18n::Lang;
use crate::respond::{error_page, internal, login_redirect};
use crate::views;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use model::{FieldError, IncidentDraft, Role, Source};
use serde::Deserialize;
use serde_json::{Value, json};
use service::photos::{AddError, PhotoError};
use service::reporting::ReportError;
use std::sync::Arc;
use store::{PhotoAdded, ReportReceipt, StoreError, User};

/// The header a sender names its report with, so that sending it again stores nothing new.
pub const KEY_HEADER: &str = "idempotency-key";
/// The largest form with photos: five photos at the largest size, and the fields.
pub const MAX_FORM_BYTES: usize = 6 * service::photos::MAX_BYTES;
/// The largest photo sent to the API, with room for a file over the photo limit to be named
/// as such rather than cut off.
pub const MAX_PHOTO_BODY: usize = 4 * service::photos::MAX_BYTES;

/// A report key: 1–100 characters of letters, digits and `-_.:` (a UUID fits).
pub fn parse_key(value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    let ok = !v.is_empty()
        && v.len() <= 100
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    if ok {
        Ok(v.to_string())
    } else {
        Err(FieldError::new(
            "Idempotency-Key",
            "error-report-key",
            value.chars().take(40).collect::<String>(),
        ))
    }
}

/// The key of the header, else of the form's field; none when neither is given.
fn key_of(headers: &HeaderMap, field: Option<&str>) -> Result<Option<String>, FieldError> {
    match headers.get(KEY_HEADER) {
        Some(v) => match v.to_str() {
            Ok(s) => parse_key(s).map(Some),
            Err(_) => Err(FieldError::new(
                "Idempotency-Key",
                "error-report-key",
                "(not text)",
            )),
        },
        None => match field.filter(|f| !f.trim().is_empty()) {
            Some(f) => parse_key(f).map(Some),
            None => Ok(None),
        },
    }
}

/// A file of the form: its field, its name on the phone, and its bytes or why not.
pub struct Upload {
    pub event: usize,
    pub file_name: String,
    pub bytes: Result<Vec<u8>, PhotoError>,
}

/// A form as sent: its text fields in order and its files.
#[derive(Default)]
pub struct Sent {
    pub fields: Vec<(String, String)>,
    pub uploads: Vec<Upload>,
}

/// The event a field belongs to, and its name without the prefix (`e2-category` → 2,
/// `category`).
fn event_of(name: &str) -> (usize, &str) {
    if let Some(rest) = name.strip_prefix('e')
        && let Some((n, field)) = rest.split_once('-')
        && let Ok(k) = n.parse::<usize>()
        && (1..service::reporting::MAX_EVENTS).contains(&k)
    {
        return (k, field);
    }
    (0, name)
}

/// What went wrong reading a form.
enum FormError {
    TooLarge,
    Bad(String),
}

async fn read_multipart(headers: &HeaderMap, body: Body) -> Result<Sent, FormError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(ct).map_err(|e| FormError::Bad(e.to_string()))?;
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(MAX_FORM_BYTES as u64)
            .per_field(MAX_FORM_BYTES as u64),
    );
    let mut m = multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut sent = Sent::default();
    let too_large = |e: multer::Error| match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            FormError::TooLarge
        }
        other => FormError::Bad(other.to_string()),
    };
    while let Some(mut field) = m.next_field().await.map_err(too_large)? {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            Some(file_name) => {
                // Read it all (so the next field can be read), keeping at most the limit.
                let mut bytes = Vec::new();
                let mut total = 0usize;
                while let Some(chunk) = field.chunk().await.map_err(too_large)? {
                    total += chunk.len();
                    if total <= service::photos::MAX_BYTES {
                        bytes.extend_from_slice(&chunk);
                    }
                }
                // A file input left empty sends a part with no name and no bytes.
                if total == 0 && file_name.is_empty() {
                    continue;
                }
                let (event, field_name) = event_of(&name);
                if field_name != "photos" {
                    continue;
                }
                sent.uploads.push(Upload {
                    event,
                    file_name,
                    bytes: if total > service::photos::MAX_BYTES {
                        Err(PhotoError::TooLarge {
                            bytes: total,
                            max: service::photos::MAX_BYTES,
                        })
                    } else {
                        Ok(bytes)
                    },
                });
            }
            None => {
                let bytes = field.bytes().await.map_err(too_large)?;
                if bytes.len() > 100_000 {
                    return Err(FormError::TooLarge);
                }
                let text = String::from_utf8(bytes.to_vec())
                    .map_err(|_| FormError::Bad(format!("field {name} is not UTF-8")))?;
                sent.fields.push((name, text));
            }
        }
    }
    Ok(sent)
}

/// The form, urlencoded or multipart.
async fn read_form(state: &Arc<AppState>, req: Request) -> Result<Sent, FormError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        let (parts, body) = req.into_parts();
        return read_multipart(&parts.headers, body).await;
    }
    match axum::Form::<Vec<(String, String)>>::from_request(req, state).await {
        Ok(axum::Form(fields)) => Ok(Sent {
            fields,
            uploads: vec![],
        }),
        Err(e) => Err(FormError::Bad(e.body_text())),
    }
}

/// The events of a form (each with its number on the form: a removed event leaves a gap),
/// and its CSRF token and report key.
pub fn drafts_from_fields(
    fields: &[(String, String)],
) -> (Vec<(usize, IncidentDraft)>, Option<String>, Option<String>) {
    let mut events: std::collections::BTreeMap<usize, IncidentDraft> = Default::default();
    events.insert(0, IncidentDraft::default());
    let mut csrf = None;
    let mut key = None;
    for (name, v) in fields {
        match name.as_str() {
            "csrf" => {
                csrf = Some(v.clone());
                continue;
            }
            "report_key" => {
                key = Some(v.clone());
                continue;
            }
            _ => {}
        }
        let (k, field) = event_of(name);
        let d = events.entry(k).or_default();
        let v = v.clone();
        match field {
            "category" => d.category = v,
            "occurred_from" => d.occurred_from = v,
            "occurred_to" => d.occurred_to = v,
            "lat" => d.lat = v,
            "lon" => d.lon = v,
            "place_id" => d.place_id = v,
            "place_text" => d.place_text = v,
            "description" => d.description = v,
            "school_id" => d.school_id = v,
            "persons_involved" => d.persons_involved = v,
            "visibility" => d.visibility = v,
            "same_as" => d.same_as = v,
            "confirm_outside" => d.confirm_outside = matches!(v.as_str(), "true" | "on" | "1"),
            _ => {}
        }
    }
    let (school, visibility) = (events[&0].school_id.clone(), events[&0].visibility.clone());
    for d in events.values_mut().skip(1) {
        if d.school_id.is_empty() {
            d.school_id = school.clone();
        }
        if d.visibility.is_empty() {
            d.visibility = visibility.clone();
        }
    }
    (events.into_iter().collect(), csrf, key)
}

/// An event's field as the form names it.
pub fn form_field(event: usize, field: &str) -> String {
    if event == 0 {
        field.to_string()
    } else {
        format!("e{event}-{field}")
    }
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// A photo that was not kept, and why, in the reader's language.
fn refused(state: &AppState, lang: Lang, file: &str, e: &PhotoError) -> Value {
    let text = state.i18n.t(
        lang,
        e.key(),
        &[
            ("file", file.to_string().into()),
            (
                "mb",
                format!("{:.0}", service::photos::MAX_BYTES as f64 / 1_048_576.0).into(),
            ),
            ("max", service::photos::MAX_DECODED_SIDE.into()),
        ],
    );
    json!({"file": file, "message": text})
}

/// Stores the photos of a report's events; what could not be kept, said per file. A photo's
/// key is the report's with the event and the photo's place, so a report sent again does not
/// store its photos twice.
async fn store_photos(
    state: &AppState,
    user: &User,
    lang: Lang,
    receipt: &ReportReceipt,
    numbers: &[usize],
    key: Option<&str>,
    uploads: Vec<Upload>,
) -> Result<Vec<Value>, StoreError> {
    let mut refusals = Vec::new();
    let mut seen = vec![0usize; receipt.incidents.len()];
    // At most five photos in a report, whatever its events.
    let mut taken = 0usize;
    for up in uploads {
        if taken == store::MAX_PHOTOS {
            refusals.push(json!({
                "file": up.file_name,
                "message": state.i18n.t(lang, "photo-error-report-full", &[("file", up.file_name.clone().into()), ("max", store::MAX_PHOTOS.into())]),
            }));
            continue;
        }
        // The event's place in the report, from its number on the form.
        let Some(at) = numbers.iter().position(|k| *k == up.event) else {
            continue;
        };
        let Some(&incident) = receipt.incidents.get(at) else {
            continue;
        };
        let n = seen[at];
        seen[at] += 1;
        taken += 1;
        let bytes = match up.bytes {
            Ok(b) => b,
            Err(e) => {
                refusals.push(refused(state, lang, &up.file_name, &e));
                continue;
            }
        };
        let photo_key = key.map(|k| format!("{k}:{}:{n}", up.event));
        match service::photos::add(
            state.store.as_ref(),
            user,
            incident,
            bytes,
            photo_key,
            state.now(),
        )
        .await
        {
            Ok(PhotoAdded::Stored(_) | PhotoAdded::Replayed(_)) => {}
            Ok(PhotoAdded::Full) => refusals.push(json!({
                "file": up.file_name,
                "message": state.i18n.t(lang, "photo-error-full", &[("max", store::MAX_PHOTOS.into())]),
            })),
            Err(AddError::Photo(e)) => refusals.push(refused(state, lang, &up.file_name, &e)),
            Err(AddError::NotAllowed(id)) => {
                return Err(StoreError::Backend(format!(
                    "incident {id} not writable right after it was stored"
                )));
            }
            Err(AddError::Store(e)) => return Err(e),
        }
    }
    Ok(refusals)
}

fn receipt_json(receipt: &ReportReceipt, refusals: &[Value]) -> Value {
    json!({
        "report_id": receipt.report_id,
        "replayed": receipt.replayed,
        "incidents": receipt.incidents.iter().map(|id| json!({"id": id, "url": format!("/incidents/{id}")})).collect::<Vec<_>>(),
        "photos_refused": refusals,
    })
}

fn replay_header(res: &mut Response, receipt: &ReportReceipt) {
    if receipt.replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
}

/// `POST /incidents`: the report form, urlencoded or with photos. Answers JSON to a caller
/// that asks for it (the offline queue), a page otherwise.
pub async fn create(State(state): State<Arc<AppState>>, ctx: Ctx, req: Request) -> Response {
    let json = wants_json(req.headers());
    let Some(user) = ctx.user.clone() else {
        return if json {
            crate::api::error(
                StatusCode::UNAUTHORIZED,
                &state,
                ctx.lang,
                "error-unauthorized",
            )
        } else {
            login_redirect(&ctx)
        };
    };
    let headers = req.headers().clone();
    let sent = match read_form(&state, req).await {
        Ok(s) => s,
        Err(FormError::TooLarge) => {
            return crate::api::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &state,
                ctx.lang,
                "error-form-too-large",
            );
        }
        Err(FormError::Bad(why)) => {
            tracing::info!("report form refused: {why}");
            return crate::api::error(StatusCode::BAD_REQUEST, &state, ctx.lang, "error-form-bad");
        }
    };
    let (numbered, csrf, form_key) = drafts_from_fields(&sent.fields);
    let numbers: Vec<usize> = numbered.iter().map(|(k, _)| *k).collect();
    let drafts: Vec<IncidentDraft> = numbered.into_iter().map(|(_, d)| d).collect();
    if !ctx.csrf_ok(csrf.as_deref()) {
        return if json {
            crate::api::error(StatusCode::FORBIDDEN, &state, ctx.lang, "error-forbidden")
        } else {
            error_page(&state, &ctx, StatusCode::FORBIDDEN)
        };
    }
    if user.role == Role::Reader {
        return if json {
            crate::api::error(StatusCode::FORBIDDEN, &state, ctx.lang, "error-forbidden")
        } else {
            error_page(&state, &ctx, StatusCode::NOT_FOUND)
        };
    }
    let invalid = |errors: Vec<FieldError>| {
        let state = state.clone();
        let ctx = &ctx;
        let user = &user;
        let drafts = &drafts;
        let form_key = form_key.clone();
        async move {
            if json {
                unprocessable(&state, ctx.lang, &errors)
            } else {
                crate::pages::form_page(&state, ctx, user, &drafts[0], form_key.as_deref(), &errors)
                    .await
            }
        }
    };
    let key = match key_of(&headers, form_key.as_deref()) {
        Ok(k) => k,
        Err(e) => return invalid(vec![e]).await,
    };
    let receipt = match service::reporting::submit(
        state.store.as_ref(),
        &user,
        &drafts,
        key.as_deref(),
        Source::Form,
        state.now(),
        |k, f| form_field(numbers[k], f),
    )
    .await
    {
        Ok(r) => r,
        Err(ReportError::Invalid(errors)) => return invalid(errors).await,
        Err(ReportError::Store(StoreError::Conflict {
            what: "idempotency key",
            value,
        })) => {
            return invalid(vec![FieldError::new(
                "report_key",
                "error-report-key-reused",
                value,
            )])
            .await;
        }
        Err(e) => {
            return if json {
                api_internal(e)
            } else {
                internal(&state, &ctx, "storing a report", e)
            };
        }
    };
    let refusals = match store_photos(
        &state,
        &user,
        ctx.lang,
        &receipt,
        &numbers,
        key.as_deref(),
        sent.uploads,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => {
            return if json {
                api_internal(e)
            } else {
                internal(&state, &ctx, "storing a report's photos", e)
            };
        }
    };
    let first = receipt.incidents[0];
    if json {
        let mut res = (
            StatusCode::CREATED,
            [(header::LOCATION, format!("/incidents/{first}"))],
            axum::Json(receipt_json(&receipt, &refusals)),
        )
            .into_response();
        replay_header(&mut res, &receipt);
        return res;
    }
    if refusals.is_empty() {
        Redirect::to(&format!("/incidents/{first}?saved=1")).into_response()
    } else {
        crate::pages::detail_page(&state, &ctx, &user, first, true, "", &refusals).await
    }
}

/// `POST /api/v1/incidents`: one incident (a JSON object) or a report of several
/// (`{"events": [...]}`), stored once per `Idempotency-Key`. Sent again with the same key it
/// answers as the first time (`Idempotent-Replayed: true`); the same key with another report
/// is 422.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", params(("Idempotency-Key" = Option<String>, Header, description = "Sent again with the same key, the report is stored once and the first answer replayed")), request_body(content = crate::openapi::ReportBody, content_type = "application/json"), responses((status = 201, description = "Stored", body = crate::openapi::Created, headers(("Location" = String, description = "The (first) incident"))), (status = 401, description = "No valid API token", body = crate::openapi::ApiError), (status = 403, description = "The token's user may not do this", body = crate::openapi::ApiError), (status = 422, description = "Fields refused, each named", body = Vec<crate::openapi::FieldProblem>)))]
pub async fn api_create(
    State(state): State<Arc<AppState>>,
    api: ApiUser,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if api.user.role == Role::Reader {
        return crate::api::error(StatusCode::FORBIDDEN, &state, api.lang, "error-forbidden");
    }
    let key = match key_of(&headers, None) {
        Ok(k) => k,
        Err(e) => return unprocessable(&state, api.lang, &[e]),
    };
    let parsed: Result<Value, _> = serde_json::from_slice(&body);
    let (drafts, several) = match parsed {
        Ok(Value::Object(mut o)) if o.contains_key("events") => match o.remove("events") {
            Some(Value::Array(list)) => {
                let mut drafts = Vec::new();
                let mut errors = Vec::new();
                for (k, ev) in list.iter().enumerate() {
                    match crate::api::draft_from_value(ev) {
                        Ok(d) => drafts.push(d),
                        Err(es) => errors.extend(es.into_iter().map(|mut e| {
                            e.field = format!("events[{k}].{}", e.field);
                            e
                        })),
                    }
                }
                if let Some((k, _)) = o.iter().next() {
                    errors.push(FieldError::new(k, "error-unknown-field", k.as_str()));
                }
                if !errors.is_empty() {
                    return unprocessable(&state, api.lang, &errors);
                }
                (drafts, true)
            }
            other => {
                return unprocessable(
                    &state,
                    api.lang,
                    &[FieldError::new(
                        "events",
                        "error-type",
                        other.map(|v| v.to_string()).unwrap_or_default(),
                    )],
                );
            }
        },
        Ok(v) => match crate::api::draft_from_value(&v) {
            Ok(d) => (vec![d], false),
            Err(errors) => return unprocessable(&state, api.lang, &errors),
        },
        Err(e) => {
            return unprocessable(
                &state,
                api.lang,
                &[FieldError::new("body", "error-json", e.to_string())],
            );
        }
    };
    let name = |k: usize, f: &str| {
        if several {
            format!("events[{k}].{f}")
        } else {
            f.to_string()
        }
    };
    let receipt = match service::reporting::submit(
        state.store.as_ref(),
        &api.user,
        &drafts,
        key.as_deref(),
        Source::Api,
        state.now(),
        name,
    )
    .await
    {
        Ok(r) => r,
        Err(ReportError::Invalid(errors)) => return unprocessable(&state, api.lang, &errors),
        Err(ReportError::Store(StoreError::Conflict {
            what: "idempotency key",
            value,
        })) => {
            return unprocessable(
                &state,
                api.lang,
                &[FieldError::new(
                    "Idempotency-Key",
                    "error-report-key-reused",
                    value,
                )],
            );
        }
        Err(e) => return api_internal(e),
    };
    let actor = api.user.actor();
    let mut incidents = Vec::new();
    for id in &receipt.incidents {
        match state.store.incident(&actor, *id).await {
            Ok(Some(i)) => incidents.push(views::incident_json(&i)),
            Ok(None) => return api_internal(format!("incident {id} not readable after insert")),
            Err(e) => return api_internal(e),
        }
    }
    let first = receipt.incidents[0];
    let body = if several {
        crate::openapi::Created::Several(crate::openapi::CreatedReport {
            report_id: receipt.report_id,
            incidents,
        })
    } else {
        crate::openapi::Created::One(Box::new(incidents.remove(0)))
    };
    let mut res = (
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/incidents/{first}"))],
        axum::Json(body),
    )
        .into_response();
    replay_header(&mut res, &receipt);
    res
}

fn photo_json(p: &store::PhotoInfo) -> crate::openapi::PhotoItem {
    crate::openapi::PhotoItem {
        id: p.id,
        incident_id: p.incident_id,
        content_type: p.content_type.clone(),
        width: p.width,
        height: p.height,
        bytes: p.size,
        url: format!("/api/v1/incidents/{}/photos/{}", p.incident_id, p.id),
        created_at: p.created_at.to_string(),
    }
}

/// `POST /api/v1/incidents/{id}/photos`: the image itself as the body (JPEG, PNG or WebP),
/// stored without its metadata; once per `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/photos", tag = "photos", params(("id" = i64, Path, description = "The incident"), ("Idempotency-Key" = Option<String>, Header, description = "Once per key")), request_body(content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"))), responses((status = 201, description = "Stored (metadata removed)", body = crate::openapi::PhotoItem), (status = 401, description = "No valid API token", body = crate::openapi::ApiError), (status = 404, description = "No such thing, or not the caller's to see", body = crate::openapi::ApiError), (status = 409, description = "The incident has all the photos it may", body = crate::openapi::ApiError), (status = 413, description = "Too large", body = Vec<crate::openapi::FieldProblem>), (status = 422, description = "Not an image we keep", body = Vec<crate::openapi::FieldProblem>)))]
pub async fn api_add_photo(
    State(state): State<Arc<AppState>>,
    api: ApiUser,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return crate::api::error(StatusCode::NOT_FOUND, &state, api.lang, "error-not-found");
    };
    let key = match key_of(req.headers(), None) {
        Ok(k) => k,
        Err(e) => return unprocessable(&state, api.lang, &[e]),
    };
    let bytes = match axum::body::to_bytes(req.into_body(), MAX_PHOTO_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let e = PhotoError::TooLarge {
                bytes: MAX_PHOTO_BODY,
                max: service::photos::MAX_BYTES,
            };
            let mut v = refused(&state, api.lang, "", &e);
            v["field"] = json!("photo");
            return (StatusCode::PAYLOAD_TOO_LARGE, axum::Json(json!([v]))).into_response();
        }
    };
    match service::photos::add(
        state.store.as_ref(),
        &api.user,
        id,
        bytes.to_vec(),
        key,
        state.now(),
    )
    .await
    {
        Ok(PhotoAdded::Stored(p)) => (StatusCode::CREATED, axum::Json(photo_json(&p))).into_response(),
        Ok(PhotoAdded::Replayed(p)) => {
            let mut res = (StatusCode::CREATED, axum::Json(photo_json(&p))).into_response();
            res.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            res
        }
        Ok(PhotoAdded::Full) => (
            StatusCode::CONFLICT,
            axum::Json(json!({"error": state.i18n.t(api.lang, "photo-error-full", &[("max", store::MAX_PHOTOS.into())])})),
        )
            .into_response(),
        Err(AddError::Photo(e)) => {
            let mut v = refused(&state, api.lang, "", &e);
            v["field"] = json!("photo");
            (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(json!([v]))).into_response()
        }
        Err(AddError::NotAllowed(_)) => {
            crate::api::error(StatusCode::NOT_FOUND, &state, api.lang, "error-not-found")
        }
        Err(AddError::Store(StoreError::NotFound { .. })) => {
            crate::api::error(StatusCode::NOT_FOUND, &state, api.lang, "error-not-found")
        }
        Err(AddError::Store(e)) => api_internal(e),
    }
}

/// `GET /api/v1/incidents/{id}/photos`: the photos of an incident the caller may see.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/photos", tag = "photos", params(("id" = i64, Path, description = "The incident")), responses((status = 200, description = "The incident's photos", body = crate::openapi::PhotoList), (status = 401, description = "No valid API token", body = crate::openapi::ApiError), (status = 404, description = "No such thing, or not the caller's to see", body = crate::openapi::ApiError)))]
pub async fn api_photos(
    State(state): State<Arc<AppState>>,
    api: ApiUser,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return crate::api::error(StatusCode::NOT_FOUND, &state, api.lang, "error-not-found");
    };
    match state.store.incident(&api.user.actor(), id).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return crate::api::error(StatusCode::NOT_FOUND, &state, api.lang, "error-not-found");
        }
        Err(e) => return api_internal(e),
    }
    match state.store.photos(&api.user.actor(), id).await {
        Ok(list) => axum::Json(crate::openapi::PhotoList {
            items: list.iter().map(photo_json).collect(),
        })
        .into_response(),
        Err(e) => api_internal(e),
    }
}

/// `GET /api/v1/incidents/{id}/photos/{photo}`: the stored JPEG, to who may see the incident.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/photos/{photo}", tag = "photos", params(("id" = i64, Path, description = "The incident"), ("photo" = i64, Path, description = "The photo")), responses((status = 200, description = "The stored JPEG", content_type = "image/jpeg", body = Vec<u8>), (status = 401, description = "No valid API token", body = crate::openapi::ApiError), (status = 404, description = "No such thing, or not the caller's to see", body = crate::openapi::ApiError)))]
pub async fn api_photo(
    State(state): State<Arc<AppState>>,
    api: ApiUser,
    Path((id, photo)): Path<(String, String)>,
) -> Response {
    let (Ok(id), Ok(photo)) = (id.parse::<i64>(), photo.parse::<i64>()) else {
        return crate::api::error(StatusCode::NOT_FOUND, &state, api.lang, "error-not-found");
    };
    match state.store.photo(&api.user.actor(), id, photo).await {
        Ok(Some((info, data))) => {
            let mut res = (
                StatusCode::OK,
                [(header::CONTENT_TYPE, info.content_type)],
                data,
            )
                .into_response();
            // Kept by this browser only; a photo never changes.
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=86400"),
            );
            res
        }
        Ok(None) => crate::api::error(StatusCode::NOT_FOUND, &state, api.lang, "error-not-found"),
        Err(e) => api_internal(e),
    }
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct NearbyParams {
    #[param(example = "59.4224")]
    lat: String,
    #[param(example = "16.0978")]
    lon: String,
    #[param(example = "skadegorelse-klotter")]
    category: String,
    /// When (RFC 3339, or local time); now by default.
    #[param(example = "2026-11-20T22:15:00+01:00")]
    at: String,
    /// Metres, 0–500 (default 50).
    #[param(example = "50")]
    radius: String,
}

/// How near and how close in time another incident is a likely duplicate.
pub const NEARBY_METRES: f64 = 50.0;
pub const NEARBY_HOURS: i64 = 48;

/// `GET /api/v1/incidents/nearby?lat=…&lon=…&category=…&at=…`: incidents of the category
/// within 50 m and 48 hours that the caller may see, nearest first (the duplicate hint).
#[utoipa::path(get, path = "/api/v1/incidents/nearby", tag = "incidents", params(NearbyParams), responses((status = 200, description = "Likely duplicates, nearest first", body = crate::openapi::NearbyPage), (status = 400, description = "A query that cannot be read at all"), (status = 401, description = "No valid API token", body = crate::openapi::ApiError), (status = 422, description = "Fields refused, each named", body = Vec<crate::openapi::FieldProblem>)))]
pub async fn nearby(
    State(state): State<Arc<AppState>>,
    api: ApiUser,
    Query(p): Query<NearbyParams>,
) -> Response {
    let mut errors = Vec::new();
    let number = |field: &str, v: &str, lo: f64, hi: f64, errors: &mut Vec<FieldError>| match v
        .trim()
        .parse::<f64>()
    {
        Ok(x) if x.is_finite() && (lo..=hi).contains(&x) => Some(x),
        _ => {
            errors.push(FieldError::new(field, "error-invalid-number", v));
            None
        }
    };
    let lat = number("lat", &p.lat, -90.0, 90.0, &mut errors);
    let lon = number("lon", &p.lon, -180.0, 180.0, &mut errors);
    let radius = if p.radius.is_empty() {
        Some(NEARBY_METRES)
    } else {
        number("radius", &p.radius, 0.0, 500.0, &mut errors)
    };
    let category = match model::CategoryCode::parse(&p.category) {
        Ok(c) => Some(c),
        Err(_) => {
            errors.push(FieldError::new(
                "category",
                "error-invalid-choice",
                &p.category,
            ));
            None
        }
    };
    let tz = service::stockholm();
    let at = if p.at.trim().is_empty() {
        Some(state.now())
    } else {
        match model::dates::instant(&p.at).or_else(|| model::dates::local(&p.at, &tz)) {
            Some(t) => Some(t),
            None => {
                errors.push(FieldError::new("at", "error-time", &p.at));
                None
            }
        }
    };
    let (Some(lat), Some(lon), Some(radius), Some(category), Some(at)) =
        (lat, lon, radius, category, at)
    else {
        return unprocessable(&state, api.lang, &errors);
    };
    let q = store::NearbyQuery {
        lon,
        lat,
        category,
        at,
        radius_m: radius,
        hours: NEARBY_HOURS,
        limit: 10,
    };
    let actor = api.user.actor();
    let (found, cats) = match tokio::try_join!(
        state.store.nearby_incidents(&actor, &q),
        state.store.categories(api.user.tenant_id)
    ) {
        Ok(x) => x,
        Err(e) => return api_internal(e),
    };
    let items: Vec<crate::openapi::NearbyItem> = found
        .iter()
        .map(|i| crate::openapi::NearbyItem {
            id: i.id,
            url: format!("/incidents/{}", i.id),
            category: i.category.as_str().to_string(),
            category_name: views::category_name(&cats, i.category.as_str(), api.lang),
            occurred: views::occurred(i.occurred_from, i.occurred_to, &tz),
            occurred_from: i.occurred_from.to_string(),
            status: i.status.as_str().to_string(),
            status_name: state
                .i18n
                .t(api.lang, &format!("status-{}", i.status.as_str()), &[]),
            place: i.place_name.clone().or(i.place_text.clone()),
            distance_m: geo::metres(lon, lat, i.lon, i.lat).round(),
        })
        .collect();
    axum::Json(crate::openapi::NearbyPage {
        items,
        radius_m: radius,
        hours: NEARBY_HOURS,
    })
    .into_response()
}

/// `GET /api/v1/session`: who is signed in and the session's CSRF token, for the offline
/// queue (it sends only its own user's reports, with a token that is current).
#[utoipa::path(get, path = "/api/v1/session", tag = "meta", responses((status = 200, description = "Who is signed in", body = crate::openapi::SessionInfo), (status = 401, description = "No valid API token", body = crate::openapi::ApiError)))]
pub async fn session(api: ApiUser, ctx: Ctx) -> Response {
    let u = &api.user;
    axum::Json(crate::openapi::SessionInfo {
        user: format!("{}:{}", u.tenant_id, u.id),
        name: u.display_name.clone(),
        // A caller with an API token has no session, and needs no token against forgery.
        csrf: ctx
            .csrf
            .filter(|_| ctx.user.as_ref().is_some_and(|s| s.id == u.id)),
    })
    .into_response()
}
