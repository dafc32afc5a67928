//! API tokens in the web interface: one's own under the account (make one with a name and a
//! lifetime, its secret shown once; see when each was last used; revoke), and every token of
//! the municipality under Administration (revoke). The rules are `service::tokens`'.

use crate::AppState;
use crate::ctx::Ctx;
use crate::respond::{error_page, internal, login_redirect, render};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use model::Role;
use serde::Deserialize;
use std::sync::Arc;
use store::{ApiToken, User};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    csrf: String,
    name: String,
    days: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

fn rows(tokens: &[ApiToken], now: jiff::Timestamp) -> Vec<Value> {
    let tz = service::stockholm();
    tokens
        .iter()
        .map(|k| {
            context! {
                id => k.id,
                user => k.user_name,
                name => k.label,
                created => crate::views::local(k.created_at, &tz),
                expires => crate::views::local(k.expires_at, &tz),
                expired => k.expires_at <= now,
                last_used => k.last_used_at.map(|t| crate::views::local(t, &tz)),
            }
        })
        .collect()
}

/// The account page: the user's facts, password form, sessions, and tokens.
pub async fn account_page(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    extra: Value,
    status: StatusCode,
) -> Response {
    let tokens = match state.store.api_tokens(user.tenant_id, Some(user.id)).await {
        Ok(t) => t,
        Err(e) => return internal(state, ctx, "tokens", e),
    };
    let needs_mfa = user.role.requires_second_factor() && !user.mfa_enabled;
    let (status_emails, smtp) = match tokio::try_join!(
        state.store.status_emails(user.tenant_id, user.id),
        state.store.tenant_smtp(user.tenant_id),
    ) {
        Ok(x) => x,
        Err(e) => return internal(state, ctx, "account", e),
    };
    render(
        state,
        ctx,
        "account.html",
        "account",
        context! {
            role => user.role.as_str(),
            tokens => rows(&tokens, state.now()),
            token_days => service::tokens::DEFAULT_DAYS,
            token_max_days => service::tokens::MAX_DAYS,
            token_needs_mfa => needs_mfa,
            status_emails,
            has_smtp => smtp.is_some(),
            ..extra
        },
        status,
    )
}

/// `POST /account/tokens`: a new token of one's own; its secret is shown once.
pub async fn create(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<TokenForm>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    let days = match f.days.trim() {
        "" => Ok(service::tokens::DEFAULT_DAYS),
        d => d.parse::<i64>().map_err(|_| d.to_string()),
    };
    let issued = match days {
        Ok(days) => {
            service::tokens::issue(
                state.store.as_ref(),
                user,
                &f.name,
                days,
                Some(user.id),
                state.now(),
            )
            .await
        }
        Err(_) => Err(service::tokens::TokenError::Days(0)),
    };
    match issued {
        Ok(secret) => {
            account_page(
                &state,
                &ctx,
                user,
                context! { new_token => secret, new_token_name => f.name.trim() },
                StatusCode::OK,
            )
            .await
        }
        Err(service::tokens::TokenError::Store(e)) => internal(&state, &ctx, "token", e),
        Err(e) => {
            let key = match e {
                service::tokens::TokenError::Days(_) => "token-bad-days",
                service::tokens::TokenError::SecondFactorFirst(..) => "token-needs-mfa",
                _ => "token-bad-name",
            };
            account_page(
                &state,
                &ctx,
                user,
                context! { token_problem => key },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /account/tokens/{id}/revoke`: ends one of one's own tokens.
pub async fn revoke_own(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    match state
        .store
        .revoke_api_token(user.tenant_id, &id, Some(user.id), Some(user.id))
        .await
    {
        Ok(()) => Redirect::to("/account").into_response(),
        Err(store::StoreError::NotFound { .. }) => error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => internal(&state, &ctx, "revoking a token", e),
    }
}

fn admin(ctx: &Ctx) -> Option<&User> {
    ctx.user.as_ref().filter(|u| u.role == Role::Admin)
}

/// `GET /admin/tokens`: every token of the municipality.
pub async fn list(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    if ctx.user.is_none() {
        return login_redirect(&ctx);
    }
    let Some(a) = admin(&ctx) else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    let tokens = match state.store.api_tokens(a.tenant_id, None).await {
        Ok(t) => t,
        Err(e) => return internal(&state, &ctx, "tokens", e),
    };
    render(
        &state,
        &ctx,
        "admin_tokens.html",
        "admin",
        context! { tokens => rows(&tokens, state.now()) },
        StatusCode::OK,
    )
}

/// `POST /admin/tokens/{id}/revoke`: the administrator ends anyone's token.
pub async fn revoke_any(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if ctx.user.is_none() {
        return login_redirect(&ctx);
    }
    let Some(a) = admin(&ctx) else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    if !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    match state
        .store
        .revoke_api_token(a.tenant_id, &id, None, Some(a.id))
        .await
    {
        Ok(()) => Redirect::to("/admin/tokens").into_response(),
        Err(store::StoreError::NotFound { .. }) => error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => internal(&state, &ctx, "revoking a token", e),
    }
}
