//! Administration pages for the security coordinator (role admin). Other roles get 404.

use crate::AppState;
use crate::ctx::Ctx;
use crate::pages::{error_page, render, urlencode};
use crate::views;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::{ToSpan, civil::Date};
use minijinja::context;
use model::Role;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use store::{AuditEntry, AuditFilter, User};

/// Every action the audit trail records.
pub const AUDIT_ACTIONS: &[&str] = &[
    "incident.create",
    "incident.import",
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
    let day = |s: &str, next: bool| {
        s.trim().parse::<Date>().ok().and_then(|d| {
            let d = if next {
                d.checked_add(1.day()).ok()?
            } else {
                d
            };
            tz.to_ambiguous_zoned(d.to_datetime(jiff::civil::Time::midnight()))
                .compatible()
                .ok()
                .map(|z| z.timestamp())
        })
    };
    AuditFilter {
        action: AUDIT_ACTIONS
            .iter()
            .find(|a| **a == q.action)
            .map(|a| a.to_string()),
        user_id: q.user.trim().parse().ok(),
        from: day(&q.from, false),
        to: day(&q.to, true),
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
                before => e.before.clone(), after => e.after.clone(),
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
