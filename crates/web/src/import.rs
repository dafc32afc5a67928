//! Importing a spreadsheet or GeoJSON file in the administration pages (`/admin/import`):
//! upload, see a preview (the columns as read, the first rows as they will be stored, every
//! bad row with its row, column, value and why), then store — the good rows, or nothing when
//! any is wrong, as the coordinator chooses. The same reading and storing as
//! `lagesbild import csv|geojson` (`service::import`). The uploaded file waits for the
//! decision in the server's memory (at most 30 minutes, a few files), never on disk.

use crate::AppState;
use crate::ctx::Ctx;
use crate::respond::{error_page, internal, render};
use crate::views;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use jiff::{SignedDuration, Timestamp};
use minijinja::context;
use service::import::{Format, Mapping, OnError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The largest file the page takes (100,000 rows of a municipality's spreadsheet are ~10 MB).
pub const MAX_FILE: usize = 50 * 1024 * 1024;
const KEEP: SignedDuration = SignedDuration::from_mins(30);
const MAX_WAITING: usize = 4;
/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 20;

struct Waiting {
    tenant: store::TenantId,
    user: store::UserId,
    name: String,
    bytes: Vec<u8>,
    mapping: String,
    at: Timestamp,
}

/// Uploaded files waiting for the coordinator's decision.
#[derive(Default)]
pub struct Uploads {
    files: Mutex<HashMap<String, Waiting>>,
}

impl Uploads {
    fn put(&self, w: Waiting) -> String {
        let key = service::auth::new_secret();
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        let now = w.at;
        files.retain(|_, f| now.duration_since(f.at) < KEEP);
        while files.len() >= MAX_WAITING {
            let oldest = files
                .iter()
                .min_by_key(|(_, f)| f.at)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => files.remove(&k),
                None => break,
            };
        }
        files.insert(key.clone(), w);
        key
    }

    fn take(&self, key: &str, user: &store::User, now: Timestamp) -> Option<Waiting> {
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        let ok = files.get(key).is_some_and(|f| {
            f.tenant == user.tenant_id && f.user == user.id && now.duration_since(f.at) < KEEP
        });
        ok.then(|| files.remove(key)).flatten()
    }
}

#[allow(clippy::result_large_err)]
fn admin(state: &AppState, ctx: &Ctx) -> Result<store::User, Response> {
    match &ctx.user {
        None => Err(crate::respond::login_redirect(ctx)),
        Some(u) if u.role == model::Role::Admin => Ok(u.clone()),
        Some(_) => Err(error_page(state, ctx, StatusCode::NOT_FOUND)),
    }
}

/// The upload form again, with what went wrong and the mapping as typed.
fn upload_page(
    state: &AppState,
    ctx: &Ctx,
    problem: &str,
    mapping: &str,
    status: StatusCode,
) -> Response {
    render(
        state,
        ctx,
        "admin_import.html",
        "admin",
        context! { step => "upload", problem, mapping },
        status,
    )
}

pub async fn page(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    match admin(&state, &ctx) {
        Ok(_) => upload_page(&state, &ctx, "", "", StatusCode::OK),
        Err(r) => r,
    }
}

/// The form's fields and its one file.
async fn read_form(
    headers: &HeaderMap,
    body: Body,
) -> Result<(HashMap<String, String>, Option<(String, Vec<u8>)>), String> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(ct).map_err(|e| e.to_string())?;
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(MAX_FILE as u64 + 1024 * 1024)
            .per_field(MAX_FILE as u64),
    );
    let mut m = multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut fields = HashMap::new();
    let mut file = None;
    while let Some(field) = m.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            Some(file_name) => {
                let bytes = field.bytes().await.map_err(|e| e.to_string())?;
                if !bytes.is_empty() {
                    file = Some((file_name, bytes.to_vec()));
                }
            }
            None => {
                let text = field.text().await.map_err(|e| e.to_string())?;
                fields.insert(name, text);
            }
        }
    }
    Ok((fields, file))
}

struct Read {
    parsed: service::import::Parsed,
}

/// The file read for the user's municipality: `Ok(Err(why))` when the file or mapping cannot
/// be read at all (shown to the user), `Err` when the store failed.
async fn parse(
    state: &AppState,
    user: &store::User,
    name: &str,
    bytes: &[u8],
    mapping: &str,
) -> Result<Result<Read, String>, String> {
    let mapping = match mapping.trim() {
        "" => Mapping::default(),
        m => match Mapping::parse(m) {
            Ok(m) => m,
            Err(e) => return Ok(Err(e.to_string())),
        },
    };
    let (tenant, cats, places) = tokio::try_join!(
        state.store.tenant(user.tenant_id),
        state.store.categories(user.tenant_id),
        state.store.places(user.tenant_id),
    )
    .map_err(|e| e.to_string())?;
    let tenant = tenant.ok_or("the tenant is gone")?;
    let format = Format::guess(name, bytes);
    let now = state.now();
    let org = user.org_id;
    let bytes = bytes.to_vec();
    let result = tokio::task::spawn_blocking(move || {
        service::import::parse(
            &bytes,
            format,
            &mapping,
            &tenant,
            &cats,
            &places,
            org,
            now,
            |_, _| {},
        )
    })
    .await
    .map_err(|e| e.to_string())?;
    Ok(result
        .map(|parsed| Read { parsed })
        .map_err(|e| e.to_string()))
}

fn error_views(
    state: &AppState,
    ctx: &Ctx,
    errors: &[service::import::RowError],
) -> Vec<minijinja::Value> {
    errors
        .iter()
        .map(|e| {
            context! {
                row => e.row,
                column => e.column.clone(),
                value => e.value.clone(),
                reason => state.i18n.t(ctx.lang, e.code, &[]),
            }
        })
        .collect()
}

pub async fn preview(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let user = match admin(&state, &ctx) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let (fields, file) = match read_form(&headers, body).await {
        Ok(x) => x,
        Err(e) => {
            return upload_page(&state, &ctx, &e, "", StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    if !ctx.csrf_ok(fields.get("csrf").map(String::as_str)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    let mapping = fields.get("mapping").cloned().unwrap_or_default();
    let Some((name, bytes)) = file else {
        let problem = state.i18n.t(ctx.lang, "import-no-file", &[]);
        return upload_page(
            &state,
            &ctx,
            &problem,
            &mapping,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let read = match parse(&state, &user, &name, &bytes, &mapping).await {
        Ok(Ok(r)) => r,
        Ok(Err(problem)) => {
            return upload_page(
                &state,
                &ctx,
                &problem,
                &mapping,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
        Err(e) => return internal(&state, &ctx, "import", e),
    };
    let cats = match state.store.categories(user.tenant_id).await {
        Ok(c) => c,
        Err(e) => return internal(&state, &ctx, "import", e),
    };
    let tz = service::stockholm();
    let p = &read.parsed;
    let rows: Vec<_> = p
        .good
        .iter()
        .take(PREVIEW_ROWS)
        .map(|r| {
            let i = &r.incident;
            context! {
                row => r.row,
                id => i.external_id.clone(),
                category => views::category_name(&cats, i.category.as_str(), ctx.lang),
                from => views::local(i.occurred_from, &tz),
                to => views::local(i.occurred_to, &tz),
                position => format!("{}, {}", views::decimal(i.lat, 5, ctx.lang), views::decimal(i.lon, 5, ctx.lang)),
                precision => i.precision.as_str(),
                description => i.description.clone(),
            }
        })
        .collect();
    let used: Vec<_> = p
        .used
        .iter()
        .map(|(f, c)| context! { field => f.as_str(), column => c.clone() })
        .collect();
    let summary = context! {
        rows => p.rows,
        good => p.good.len(),
        bad => p.bad_rows,
        redacted => p.redacted,
        listed => p.errors.len(),
    };
    let errors = error_views(&state, &ctx, &p.errors);
    let key = state.uploads.put(Waiting {
        tenant: user.tenant_id,
        user: user.id,
        name: name.clone(),
        bytes,
        mapping: mapping.clone(),
        at: state.now(),
    });
    render(
        &state,
        &ctx,
        "admin_import.html",
        "admin",
        context! { step => "preview", name, key, rows, used, summary, errors },
        StatusCode::OK,
    )
}

pub async fn store(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(key): Path<String>,
    axum::Form(f): axum::Form<HashMap<String, String>>,
) -> Response {
    let user = match admin(&state, &ctx) {
        Ok(u) => u,
        Err(r) => return r,
    };
    if !ctx.csrf_ok(f.get("csrf").map(String::as_str)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    let Some(w) = state.uploads.take(&key, &user, state.now()) else {
        let problem = state.i18n.t(ctx.lang, "import-expired", &[]);
        return upload_page(&state, &ctx, &problem, "", StatusCode::NOT_FOUND);
    };
    let on_error = match f.get("on_error").map(String::as_str) {
        Some("keep") => OnError::KeepGood,
        _ => OnError::StoreNothing,
    };
    let read = match parse(&state, &user, &w.name, &w.bytes, &w.mapping).await {
        Ok(Ok(r)) => r,
        Ok(Err(problem)) => {
            return upload_page(&state, &ctx, &problem, "", StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(e) => return internal(&state, &ctx, "import", e),
    };
    let tenant = match state.store.tenant(user.tenant_id).await {
        Ok(Some(t)) => t,
        Ok(None) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "import", e),
    };
    let bad = read.parsed.bad_rows;
    match service::import::store(
        state.store.as_ref(),
        &tenant,
        read.parsed,
        on_error,
        &w.name,
        &w.bytes,
        Some(user.id),
        state.now(),
        |_, _| {},
    )
    .await
    {
        Ok(out) => render(
            &state,
            &ctx,
            "admin_import.html",
            "admin",
            context! {
                step => "done",
                name => w.name,
                inserted => out.stored.inserted,
                updated => out.stored.updated,
                unchanged => out.stored.unchanged,
                bad,
            },
            StatusCode::OK,
        ),
        Err(service::import::ImportError::Rejected(errors)) => {
            let errors = error_views(&state, &ctx, &errors);
            render(
                &state,
                &ctx,
                "admin_import.html",
                "admin",
                context! { step => "rejected", name => w.name, bad, errors },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => internal(&state, &ctx, "import", e),
    }
}
