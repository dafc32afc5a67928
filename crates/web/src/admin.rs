//! Administration pages for the security coordinator (role admin). Other roles get 404.

use crate::AppState;
use crate::ctx::Ctx;
use crate::respond::{error_page, render, urlencode};
use crate::views;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use model::Role;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use store::{AuditEntry, AuditFilter, User};

/// Every action the audit trail records.
pub const AUDIT_ACTIONS: &[&str] = &[
    "incident.create",
    "incident.import",
    "incident.create_batch",
    "action.create",
    "action.status",
    "incident.update",
    "incident.status",
    "incident.read",
    "user.create",
    "token.create",
    "session.login",
    "session.login_failed",
    "session.logout",
    "session.logout_all",
    "tenant.retention",
    "retention.run",
    "tenant.reporter_view",
    "user.mfa_enabled",
    "user.mfa_reset",
    "user.recovery_code_used",
    "user.update",
    "user.password",
    "organisation.create",
    "organisation.update",
    "category.upsert",
    "place.create",
    "tenant.settings",
    "incident.redact",
];

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AuditParams {
    action: String,
    user: String,
    from: String,
    to: String,
}

fn admin(ctx: &Ctx) -> Result<&User, bool> {
    match &ctx.user {
        None => Err(false),
        Some(u) if u.role == Role::Admin => Ok(u),
        Some(_) => Err(true),
    }
}

fn filter(q: &AuditParams, limit: u32) -> AuditFilter {
    let tz = service::stockholm();
    // The same reading of dates as the incident filters; an unreadable date filters nothing.
    let mut ignored = Vec::new();
    let mut day = |field: &str, s: &str, end: bool| {
        crate::filters::parse_bound(field, s, end, &tz, &mut ignored)
    };
    AuditFilter {
        action: AUDIT_ACTIONS
            .iter()
            .find(|a| **a == q.action)
            .map(|a| a.to_string()),
        user_id: q.user.trim().parse().ok(),
        from: day("from", &q.from, false),
        to: day("to", &q.to, true),
        limit,
        ..Default::default()
    }
}

fn deny(state: &AppState, ctx: &Ctx, signed_in: bool) -> Response {
    if signed_in {
        error_page(state, ctx, StatusCode::NOT_FOUND)
    } else {
        Redirect::to(&format!("/login?next={}", urlencode(&ctx.path))).into_response()
    }
}

pub async fn audit_page(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<AuditParams>,
) -> Response {
    let user = match admin(&ctx) {
        Ok(u) => u,
        Err(signed_in) => return deny(&state, &ctx, signed_in),
    };
    let tz = service::stockholm();
    let f = filter(&q, 500);
    let (entries, verified, users) = match tokio::try_join!(
        state.store.audit_log(user.tenant_id, &f),
        state.store.verify_audit(user.tenant_id),
        state.store.users(user.tenant_id),
    ) {
        Ok(x) => x,
        Err(e) => {
            tracing::error!("audit page: {e}");
            return error_page(&state, &ctx, StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let entries: Vec<_> = entries
        .iter()
        .map(|e| {
            context! {
                seq => e.seq, at => views::local(e.at, &tz), user_name => e.user_name.clone(),
                action => e.action.clone(),
                // An action this version does not name (from a newer one) is shown as it is.
                action_label => {
                    let key = format!("audit-action-{}", e.action.replace('.', "-"));
                    if state.i18n.has(ctx.lang, &key) { state.i18n.t(ctx.lang, &key, &[]) } else { e.action.clone() }
                },
                entity => e.entity.clone(), entity_id => e.entity_id.clone(),
                // "Möte 14": the record in words, where this version names its kind.
                entity_label => {
                    let key = format!("audit-entity-{}", e.entity);
                    if state.i18n.has(ctx.lang, &key) {
                        format!("{} {}", state.i18n.t(ctx.lang, &key, &[]), e.entity_id)
                    } else {
                        format!("{} {}", e.entity, e.entity_id)
                    }
                },
                // The change as lines of "field: value", not a run of JSON.
                before => audit_lines(e.before.as_deref()), after => audit_lines(e.after.as_deref()),
            }
        })
        .collect();
    let query = format!(
        "action={}&user={}&from={}&to={}",
        urlencode(&q.action),
        urlencode(&q.user),
        urlencode(&q.from),
        urlencode(&q.to)
    );
    render(
        &state,
        &ctx,
        "audit.html",
        "audit",
        context! {
            entries, q, query,
            actions => AUDIT_ACTIONS,
            users => users.iter().map(|u| context! { id => u.id, name => u.display_name.clone() }).collect::<Vec<_>>(),
            chain_ok => verified.is_ok(),
            rows => verified.as_ref().map(|n| *n).unwrap_or(0),
            broken_seq => verified.as_ref().err().map(|b| b.seq),
        },
        StatusCode::OK,
    )
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_row(e: &AuditEntry) -> String {
    [
        e.seq.to_string(),
        e.at.to_string(),
        e.user_id.map(|u| u.to_string()).unwrap_or_default(),
        e.user_name.clone().unwrap_or_default(),
        e.action.clone(),
        e.entity.clone(),
        e.entity_id.clone(),
        e.before.clone().unwrap_or_default(),
        e.after.clone().unwrap_or_default(),
        e.prev_hash.clone(),
        e.hash.clone(),
    ]
    .iter()
    .map(|f| csv_field(f))
    .collect::<Vec<_>>()
    .join(",")
}

/// The filtered log as CSV (UTF-8 with BOM for Excel), oldest first, with the hashes so the
/// export itself can be verified.
pub async fn audit_csv(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<AuditParams>,
) -> Response {
    let user = match admin(&ctx) {
        Ok(u) => u,
        Err(signed_in) => return deny(&state, &ctx, signed_in),
    };
    let mut f = filter(&q, 1_000_000);
    f.ascending = true;
    let entries = match state.store.audit_log(user.tenant_id, &f).await {
        Ok(e) => e,
        Err(e) => {
            tracing::error!("audit export: {e}");
            return error_page(&state, &ctx, StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let mut out = String::from(
        "\u{feff}seq,at,user_id,user_name,action,entity,entity_id,before,after,prev_hash,hash\r\n",
    );
    for e in &entries {
        out.push_str(&csv_row(e));
        out.push_str("\r\n");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"granskningslogg.csv\"",
            ),
        ],
        out,
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// Administration of users, organisations, categories, places and settings.

use axum::Form;
use axum::extract::Path;
use model::{CategoryCode, Email, ReporterView, RetentionAction, Visibility};
use store::{Category, NewOrganisation, NewPlace, NewUser, PlaceKind, TenantSettings, UserChanges};

pub(crate) type Fields = Vec<(String, String)>;

pub(crate) fn field<'a>(f: &'a Fields, name: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

fn checked(f: &Fields, name: &str) -> bool {
    matches!(field(f, name), "on" | "true" | "1")
}

/// The admin, or the response for anyone else (login redirect or 404), and for POSTs also a
/// valid CSRF token.
#[allow(clippy::result_large_err)]
pub(crate) fn admin_for(
    state: &AppState,
    ctx: &Ctx,
    form: Option<&Fields>,
) -> Result<User, Response> {
    let user = match admin(ctx) {
        Ok(u) => u.clone(),
        Err(signed_in) => return Err(deny(state, ctx, signed_in)),
    };
    if let Some(f) = form
        && !ctx.csrf_ok(Some(field(f, "csrf")))
    {
        return Err(error_page(state, ctx, StatusCode::FORBIDDEN));
    }
    Ok(user)
}

/// A message shown at the top of an admin page: translation key and argument.
#[derive(Default, Serialize)]
struct Notice {
    ok: bool,
    key: &'static str,
    value: String,
}

fn ok(key: &'static str, value: impl Into<String>) -> Option<Notice> {
    Some(Notice {
        ok: true,
        key,
        value: value.into(),
    })
}

/// An audit row's JSON as "field: value" lines, nested values flattened with dots, long
/// values shortened; text that is not a JSON object stays one line.
fn audit_lines(json: Option<&str>) -> Vec<String> {
    fn walk(prefix: &str, v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            other => {
                let text = match other {
                    serde_json::Value::String(s) => s.clone(),
                    v => v.to_string(),
                };
                let short: String = text.chars().take(80).collect();
                let more = if text.chars().count() > 80 { "…" } else { "" };
                out.push(format!("{prefix}: {short}{more}"));
            }
        }
    }
    let Some(j) = json else { return vec![] };
    match serde_json::from_str::<serde_json::Value>(j) {
        Ok(v @ serde_json::Value::Object(_)) => {
            let mut out = Vec::new();
            walk("", &v, &mut out);
            out
        }
        _ => vec![j.chars().take(200).collect()],
    }
}

fn problem(key: &'static str, value: impl Into<String>) -> Option<Notice> {
    Some(Notice {
        ok: false,
        key,
        value: value.into(),
    })
}

fn status_of(n: &Option<Notice>) -> StatusCode {
    match n {
        Some(Notice { ok: false, .. }) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    }
}

fn store_problem(e: store::StoreError) -> Option<Notice> {
    match e {
        store::StoreError::Conflict { value, .. } => problem("admin-exists", value),
        other => {
            tracing::error!("admin: {other}");
            problem("admin-failed", "")
        }
    }
}

pub async fn overview(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    if let Err(r) = admin_for(&state, &ctx, None) {
        return r;
    }
    render(
        &state,
        &ctx,
        "admin.html",
        "admin",
        context! {},
        StatusCode::OK,
    )
}

async fn users_page(state: &AppState, ctx: &Ctx, admin: &User, notice: Option<Notice>) -> Response {
    let (users, orgs) = match tokio::try_join!(
        state.store.users(admin.tenant_id),
        state.store.organisations(admin.tenant_id)
    ) {
        Ok(x) => x,
        Err(e) => {
            tracing::error!("admin users: {e}");
            return error_page(state, ctx, StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let status = status_of(&notice);
    render(
        state,
        ctx,
        "admin_users.html",
        "admin",
        context! {
            users, notice,
            orgs => orgs.iter().map(|o| context! { id => o.id, name => o.name.clone() }).collect::<Vec<_>>(),
            roles => Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        },
        status,
    )
}

pub async fn users(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    match admin_for(&state, &ctx, None) {
        Ok(a) => users_page(&state, &ctx, &a, None).await,
        Err(r) => r,
    }
}

/// Creates a user with a one-time password shown to the administrator once (there is no
/// e-mail service; the coordinator hands it over).
pub async fn user_create(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<Fields>,
) -> Response {
    let a = match admin_for(&state, &ctx, Some(&f)) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let email = match Email::parse(field(&f, "email")) {
        Ok(e) => e,
        Err(_) => {
            return users_page(
                &state,
                &ctx,
                &a,
                problem("admin-bad-email", field(&f, "email")),
            )
            .await;
        }
    };
    let (Ok(role), Ok(org_id)) = (
        Role::parse(field(&f, "role")),
        field(&f, "org").parse::<i64>(),
    ) else {
        return users_page(&state, &ctx, &a, problem("admin-bad-choice", "")).await;
    };
    let name = match field(&f, "name") {
        "" => email.to_string(),
        n => n.to_string(),
    };
    let password = service::auth::new_password();
    let hash = match service::auth::hash_password(&password) {
        Ok(h) => h,
        Err(e) => {
            tracing::error!("hashing: {e}");
            return error_page(&state, &ctx, StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let new = NewUser {
        by: Some(a.id),
        tenant_id: a.tenant_id,
        org_id,
        email: email.clone(),
        display_name: name,
        role,
        password_hash: hash,
    };
    // An address signs in to one account in the whole deployment (login is by address
    // alone). Whether it is taken here or in another municipality is not said: one
    // municipality must not learn who has accounts in another.
    let notice = match state.store.create_user(&new).await {
        Ok(_) => ok("admin-user-created", format!("{email}: {password}")),
        Err(store::StoreError::Conflict { .. }) => {
            problem("admin-email-unavailable", email.as_str())
        }
        Err(e) => store_problem(e),
    };
    users_page(&state, &ctx, &a, notice).await
}

pub async fn user_update(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let a = match admin_for(&state, &ctx, Some(&f)) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (Ok(id), Ok(role), Ok(org_id)) = (
        id.parse::<i64>(),
        Role::parse(field(&f, "role")),
        field(&f, "org").parse::<i64>(),
    ) else {
        return users_page(&state, &ctx, &a, problem("admin-bad-choice", "")).await;
    };
    // An administrator cannot lock themself out.
    if id == a.id && (role != Role::Admin || checked(&f, "disabled")) {
        return users_page(&state, &ctx, &a, problem("admin-not-yourself", "")).await;
    }
    let changes = UserChanges {
        display_name: field(&f, "name").to_string(),
        org_id,
        role,
        disabled: checked(&f, "disabled"),
    };
    let notice = match state
        .store
        .update_user(a.tenant_id, id, &changes, Some(a.id))
        .await
    {
        Ok(u) => ok("admin-saved", u.display_name),
        Err(store::StoreError::NotFound { .. }) => {
            return error_page(&state, &ctx, StatusCode::NOT_FOUND);
        }
        Err(e) => store_problem(e),
    };
    users_page(&state, &ctx, &a, notice).await
}

pub async fn user_password(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let a = match admin_for(&state, &ctx, Some(&f)) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    let Ok(Some(user)) = state.store.user(a.tenant_id, id).await else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    let password = service::auth::new_password();
    let Ok(hash) = service::auth::hash_password(&password) else {
        return error_page(&state, &ctx, StatusCode::INTERNAL_SERVER_ERROR);
    };
    let notice = match state
        .store
        .set_password(a.tenant_id, id, &hash, Some(a.id))
        .await
    {
        Ok(()) => ok("admin-password-set", format!("{}: {password}", user.email)),
        Err(e) => store_problem(e),
    };
    users_page(&state, &ctx, &a, notice).await
}

pub async fn user_reset_mfa(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let a = match admin_for(&state, &ctx, Some(&f)) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    let Ok(Some(user)) = state.store.user(a.tenant_id, id).await else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    let notice = match state.store.reset_totp(a.tenant_id, id, Some(a.id)).await {
        Ok(()) => {
            let _ = state.store.delete_user_sessions(a.tenant_id, id).await;
            ok("admin-mfa-reset", user.display_name)
        }
        Err(e) => store_problem(e),
    };
    users_page(&state, &ctx, &a, notice).await
}

async fn orgs_page(state: &AppState, ctx: &Ctx, admin: &User, notice: Option<Notice>) -> Response {
    let orgs = match state.store.organisations(admin.tenant_id).await {
        Ok(o) => o,
        Err(e) => {
            tracing::error!("admin organisations: {e}");
            return error_page(state, ctx, StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let status = status_of(&notice);
    render(
        state,
        ctx,
        "admin_orgs.html",
        "admin",
        context! { orgs, notice },
        status,
    )
}

pub async fn orgs(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    match admin_for(&state, &ctx, None) {
        Ok(a) => orgs_page(&state, &ctx, &a, None).await,
        Err(r) => r,
    }
}

pub async fn org_create(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<Fields>,
) -> Response {
    let a = match admin_for(&state, &ctx, Some(&f)) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (name, kind) = (field(&f, "name"), field(&f, "kind"));
    if name.is_empty() || name.chars().count() > 120 {
        return orgs_page(&state, &ctx, &a, problem("admin-bad-name", name)).await;
    }
    let new = NewOrganisation {
        by: Some(a.id),
        tenant_id: a.tenant_id,
        name: name.into(),
        kind: if kind.is_empty() {
            "annan".into()
        } else {
            kind.into()
        },
    };
    let notice = match state.store.create_organisation(&new).await {
        Ok(o) => ok("admin-saved", o.name),
        Err(e) => store_problem(e),
    };
    orgs_page(&state, &ctx, &a, notice).await
}

pub async fn org_update(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let a = match admin_for(&state, &ctx, Some(&f)) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    let (name, kind) = (field(&f, "name"), field(&f, "kind"));
    if name.is_empty() || name.chars().count() > 120 {
        return orgs_page(&state, &ctx, &a, problem("admin-bad-name", name)).await;
    }
    let notice = match state
        .store
        .update_organisation(a.tenant_id, id, name, kind, Some(a.id))
        .await
    {
        Ok(o) => ok("admin-saved", o.name),
        Err(store::StoreError::NotFound { .. }) => {
            return error_page(&state, &ctx, StatusCode::NOT_FOUND);
        }
        Err(e) => store_problem(e),
    };
    orgs_page(&state, &ctx, &a, notice).await
}

async fn categories_page(
    state: &AppState,
    ctx: &Ctx,
    admin: &User,
    notice: Option<Notice>,
) -> Response {
    let cats = match state.store.categories(admin.tenant_id).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("admin categories: {e}");
            return error_page(state, ctx, StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let status = status_of(&notice);
    let parents: Vec<String> = cats
        .iter()
        .filter(|c| c.parent.is_none())
        .map(|c| c.code.to_string())
        .collect();
    render(
        state,
        ctx,
        "admin_categories.html",
        "admin",
        context! { cats, parents, notice },
        status,
    )
}

pub async fn categories(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    match admin_for(&state, &ctx, None) {
        Ok(a) => categories_page(&state, &ctx, &a, None).await,
        Err(r) => r,
    }
}

/// Adds or changes a category (by code). Categories are never deleted: retiring one keeps
/// every incident that has it.
pub async fn category_save(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<Fields>,
) -> Response {
    let a = match admin_for(&state, &ctx, Some(&f)) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(code) = CategoryCode::parse(field(&f, "code")) else {
        return categories_page(
            &state,
            &ctx,
            &a,
            problem("admin-bad-code", field(&f, "code")),
        )
        .await;
    };
    let existing = state
        .store
        .categories(a.tenant_id)
        .await
        .unwrap_or_default();
    let parent = match field(&f, "parent") {
        "" => None,
        p => match CategoryCode::parse(p) {
            Ok(p) if p != code && existing.iter().any(|c| c.code == p && c.parent.is_none()) => {
                Some(p)
            }
            _ => return categories_page(&state, &ctx, &a, problem("admin-bad-choice", p)).await,
        },
    };
    let (sv, en) = (field(&f, "name_sv"), field(&f, "name_en"));
    if sv.is_empty() || en.is_empty() {
        return categories_page(&state, &ctx, &a, problem("admin-bad-name", "")).await;
    }
    let color = field(&f, "color");
    if color.len() != 7
        || !color.starts_with('#')
        || !color[1..].chars().all(|c| c.is_ascii_hexdigit())
    {
        return categories_page(&state, &ctx, &a, problem("admin-bad-color", color)).await;
    }
    let retention_months = match field(&f, "retention_months") {
        "" => None,
        m => match m.parse::<u32>() {
            Ok(v) if (1..=1200).contains(&v) => Some(v),
            _ => return categories_page(&state, &ctx, &a, problem("admin-bad-months", m)).await,
        },
    };
    let before = existing.iter().find(|c| c.code == code);
    let cat = Category {
        tenant_id: a.tenant_id,
        parent: parent.or_else(|| before.and_then(|b| b.parent.clone())),
        name_sv: sv.into(),
        name_en: en.into(),
        color: color.to_lowercase(),
        sort_order: before
            .map(|b| b.sort_order)
            .unwrap_or(existing.len() as i64 * 10 + 10),
        retired: checked(&f, "retired"),
        retention_months,
        code,
    };
    let notice = match state.store.upsert_category(&cat, Some(a.id)).await {
        Ok(()) => ok("admin-saved", cat.name_sv.clone()),
        Err(e) => store_problem(e),
    };
    categories_page(&state, &ctx, &a, notice).await
}

async fn places_page(
    state: &AppState,
    ctx: &Ctx,
    admin: &User,
    notice: Option<Notice>,
    form: Option<&Fields>,
) -> Response {
    let places = match state.store.places(admin.tenant_id).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("admin places: {e}");
            return error_page(state, ctx, StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let status = status_of(&notice);
    let v = |k: &str| form.map(|f| field(f, k).to_string()).unwrap_or_default();
    render(
        state,
        ctx,
        "admin_places.html",
        "admin",
        context! {
            places, notice,
            v => context! { name => v("name"), kind => v("kind"), geometry => v("geometry"), lat => v("lat"), lon => v("lon") },
        },
        status,
    )
}

pub async fn places(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    match admin_for(&state, &ctx, None) {
        Ok(a) => places_page(&state, &ctx, &a, None, None).await,
        Err(r) => r,
    }
}

/// Adds a named point or an area (GeoJSON Polygon/MultiPolygon, pasted, uploaded or drawn);
/// invalid or self-crossing polygons are refused with the reason.
pub async fn place_create(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<Fields>,
) -> Response {
    let a = match admin_for(&state, &ctx, Some(&f)) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let name = field(&f, "name");
    if name.is_empty() || name.chars().count() > 120 {
        return places_page(&state, &ctx, &a, problem("admin-bad-name", name), Some(&f)).await;
    }
    let tenant = match &ctx.tenant {
        Some(t) => t.clone(),
        None => return error_page(&state, &ctx, StatusCode::INTERNAL_SERVER_ERROR),
    };
    let outline = geo::MultiPolygon::from_geojson_str(&tenant.outline_geojson).ok();
    let (kind, geometry, lon, lat) = if field(&f, "kind") == "point" {
        let parse = |s: &str| s.replace(',', ".").parse::<f64>().ok();
        let (Some(lat), Some(lon)) = (parse(field(&f, "lat")), parse(field(&f, "lon"))) else {
            return places_page(
                &state,
                &ctx,
                &a,
                problem(
                    "admin-bad-point",
                    format!("{}, {}", field(&f, "lat"), field(&f, "lon")),
                ),
                Some(&f),
            )
            .await;
        };
        if model::Wgs84::parse(lon, lat).is_err() {
            return places_page(
                &state,
                &ctx,
                &a,
                problem("admin-bad-point", format!("{lat}, {lon}")),
                Some(&f),
            )
            .await;
        }
        (
            PlaceKind::Point,
            format!(r#"{{"type":"Point","coordinates":[{lon},{lat}]}}"#),
            lon,
            lat,
        )
    } else {
        let text = field(&f, "geometry");
        let shape = match geo::MultiPolygon::from_pasted(text) {
            Ok(s) => s,
            Err(e) => {
                return places_page(
                    &state,
                    &ctx,
                    &a,
                    problem("admin-bad-geometry", e.to_string()),
                    Some(&f),
                )
                .await;
            }
        };
        let (lon, lat) = shape.representative_point();
        (PlaceKind::Area, shape.to_geojson().to_string(), lon, lat)
    };
    if outline.is_some_and(|o| !o.contains(lon, lat)) {
        return places_page(
            &state,
            &ctx,
            &a,
            problem("admin-outside", format!("{lat:.5}, {lon:.5}")),
            Some(&f),
        )
        .await;
    }
    let new = NewPlace {
        by: Some(a.id),
        tenant_id: a.tenant_id,
        name: name.into(),
        kind,
        is_school: checked(&f, "is_school"),
        geometry_geojson: geometry,
        lon,
        lat,
        is_demo: false,
    };
    let notice = match state.store.create_place(&new).await {
        Ok(p) => ok("admin-saved", p.name),
        Err(e) => store_problem(e),
    };
    places_page(&state, &ctx, &a, notice, None).await
}

async fn settings_page(state: &AppState, ctx: &Ctx, notice: Option<Notice>) -> Response {
    let Some(t) = &ctx.tenant else {
        return error_page(state, ctx, StatusCode::INTERNAL_SERVER_ERROR);
    };
    let status = status_of(&notice);
    let smtp = match state.store.tenant_smtp(t.id).await {
        Ok(s) => s,
        Err(e) => return crate::respond::internal(state, ctx, "smtp settings", e),
    };
    let base = crate::basemap::of_url(t.map_style_url.as_deref());
    render(
        state,
        ctx,
        "admin_settings.html",
        "admin",
        context! {
            notice,
            s => context! {
                default_visibility => t.default_visibility.as_str(), reporter_view => t.reporter_view.as_str(),
                retention_action => t.retention_action.as_str(),
                map_base => base.0, map_key => base.1, map_style_url => base.2,
            },
            bases => crate::basemap::KINDS,
            visibilities => Visibility::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
            views => ReporterView::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
            actions => RetentionAction::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
            smtp => smtp.map(|s| context! {
                host => s.host, port => s.port, security => s.security.as_str(),
                from => s.from.as_str(), user => s.user.unwrap_or_default(),
            }),
            securities => model::SmtpSecurity::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
        },
        status,
    )
}

/// `POST /admin/smtp`: the municipality's SMTP relay (empty host: none).
pub async fn smtp_save(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<Fields>,
) -> Response {
    let a = match admin_for(&state, &ctx, Some(&f)) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let relay = if field(&f, "smtp_host").is_empty() {
        None
    } else {
        match model::SmtpSettings::parse(
            field(&f, "smtp_host"),
            field(&f, "smtp_port"),
            field(&f, "smtp_security"),
            field(&f, "smtp_from"),
            field(&f, "smtp_user"),
        ) {
            Ok(s) => Some(s),
            Err(errors) => {
                let e = &errors[0];
                return settings_page(&state, &ctx, problem(e.code, e.value.clone())).await;
            }
        }
    };
    match state
        .store
        .set_tenant_smtp(a.tenant_id, relay.as_ref(), Some(a.id), state.now())
        .await
    {
        Ok(()) => settings_page(&state, &ctx, ok("admin-smtp-saved", "")).await,
        Err(e) => crate::respond::internal(&state, &ctx, "smtp settings", e),
    }
}

pub async fn settings(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    match admin_for(&state, &ctx, None) {
        Ok(_) => settings_page(&state, &ctx, None).await,
        Err(r) => r,
    }
}

pub async fn settings_save(
    State(state): State<Arc<AppState>>,
    mut ctx: Ctx,
    Form(f): Form<Fields>,
) -> Response {
    let a = match admin_for(&state, &ctx, Some(&f)) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (Ok(default_visibility), Ok(reporter_view), Ok(retention_action)) = (
        Visibility::parse(field(&f, "default_visibility")),
        ReporterView::parse(field(&f, "reporter_view")),
        RetentionAction::parse(field(&f, "retention_action")),
    ) else {
        return settings_page(&state, &ctx, problem("admin-bad-choice", "")).await;
    };
    // A form (or script) that names only the address: its kind is read from it.
    let url = field(&f, "map_style_url");
    let kind = match field(&f, "map_base") {
        "" if url.trim().is_empty() => "none",
        "" if url.contains("{z}") => "tiles",
        "" => "style",
        k => k,
    };
    let map_style_url = match crate::basemap::to_url(kind, field(&f, "map_key"), url) {
        Ok(u) => u,
        Err((key, value)) => return settings_page(&state, &ctx, problem(key, &value)).await,
    };
    let settings = TenantSettings {
        default_visibility,
        reporter_view,
        retention_action,
        map_style_url,
    };
    let notice = match state
        .store
        .update_tenant_settings(a.tenant_id, &settings, Some(a.id))
        .await
    {
        Ok(t) => {
            ctx.tenant = Some(t);
            ok("admin-saved", "")
        }
        Err(e) => store_problem(e),
    };
    settings_page(&state, &ctx, notice).await
}
