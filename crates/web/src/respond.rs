//! The responses every page shares: rendering a template with the page's common context,
//! the error page, an internal error logged and shown, the login redirect, and the checks on
//! paths and query values they need. Pages of every feature use these; no feature lives here.

use crate::AppState;
use crate::ctx::Ctx;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Only local paths are followed after login or a language change (no open redirects).
/// A local path is printable ASCII (a URL's path and query, percent-encoded), so it can go
/// into a `Location` header as it is.
pub fn local_path(p: &str) -> Option<&str> {
    (p.starts_with('/')
        && !p.starts_with("//")
        && !p.contains('\\')
        && p.len() <= 2048
        && p.bytes().all(|b| (0x21..0x7f).contains(&b)))
    .then_some(p)
}

pub fn render(
    state: &AppState,
    ctx: &Ctx,
    template: &str,
    section: &str,
    page: Value,
    status: StatusCode,
) -> Response {
    let base = context! {
        lang => ctx.lang.code(),
        user => ctx.user.as_ref(),
        csrf => ctx.csrf.as_deref().unwrap_or(""),
        path => local_path(&ctx.path).unwrap_or("/"),
        tenant_name => ctx.tenant.as_ref().map(|t| t.name.clone()),
        demo => state.config.demo,
        section => section,
        nav => ctx.user.as_ref().map(|u| crate::access::nav(u.role).into_iter().map(|p| context! {
            path => p.path(), label => p.label(), section => p.section(),
        }).collect::<Vec<_>>()).unwrap_or_default(),
    };
    let result = state
        .env
        .get_template(template)
        .and_then(|t| t.render(context! { ..base, ..page }));
    match result {
        Ok(html) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!("rendering {template}: {e:#}");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

pub fn error_page(state: &AppState, ctx: &Ctx, status: StatusCode) -> Response {
    let (title, text) = match status {
        StatusCode::NOT_FOUND => ("page-not-found", "page-not-found-text"),
        StatusCode::FORBIDDEN => ("page-forbidden", "page-forbidden-text"),
        _ => ("page-error", "page-error-text"),
    };
    render(
        state,
        ctx,
        "error.html",
        "",
        context! { title_key => title, text_key => text },
        status,
    )
}

/// 503: the server is busy with other analyses, or this one ran too long.
pub fn busy_page(state: &AppState, ctx: &Ctx) -> Response {
    render(
        state,
        ctx,
        "error.html",
        "",
        context! { title_key => "page-busy", text_key => "page-busy-text" },
        StatusCode::SERVICE_UNAVAILABLE,
    )
}

pub fn internal(state: &AppState, ctx: &Ctx, what: &str, e: impl std::fmt::Display) -> Response {
    tracing::error!("{what}: {e}");
    error_page(state, ctx, StatusCode::INTERNAL_SERVER_ERROR)
}

/// A redirect to the login page that comes back here.
pub fn login_redirect(ctx: &Ctx) -> Response {
    Redirect::to(&format!("/login?next={}", urlencode(&ctx.path))).into_response()
}

/// The page's answer when the signed-in user's role does not use it: "not found", as for a
/// page that is not there (see `access`).
pub fn not_for_role(
    state: &AppState,
    ctx: &Ctx,
    user: &store::User,
    page: crate::access::Page,
) -> Option<Response> {
    (!page.allowed(user.role)).then(|| error_page(state, ctx, StatusCode::NOT_FOUND))
}
