//! The second step of signing in: setting up and entering a TOTP code (or a recovery code).
//! Only a session that has passed the password step reaches these pages.

use crate::AppState;
use crate::ctx::Ctx;
use crate::pages::{audit_session, issue_session};
use crate::respond::{error_page, internal, local_path, render, urlencode};
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use std::sync::Arc;
use store::{SessionStage, TotpState};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextParam {
    next: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeForm {
    csrf: String,
    code: String,
    next: String,
}

fn next_of(s: &str) -> String {
    local_path(s).unwrap_or("/").to_string()
}

/// The pending sign-in at `stage`, if there is one.
fn pending(ctx: &Ctx, stage: SessionStage) -> Option<(&store::Session, &store::User)> {
    match &ctx.pending {
        Some((s, u)) if s.stage == stage => Some((s, u)),
        _ => None,
    }
}

fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

pub async fn verify_form(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<NextParam>,
) -> Response {
    if pending(&ctx, SessionStage::MfaVerify).is_none() {
        return to_login();
    }
    render(
        &state,
        &ctx,
        "second_factor.html",
        "login",
        context! { next => next_of(&q.next), failed => false },
        StatusCode::OK,
    )
}

pub async fn verify(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<CodeForm>,
) -> Response {
    let Some((_, user)) = pending(&ctx, SessionStage::MfaVerify) else {
        return to_login();
    };
    if !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    let next = next_of(&f.next);
    let now = state.now();
    let account = user.email.to_string();
    let limiter = crate::limits::LoginLimiter::new(state.store.as_ref());
    let limited = match limiter.check(&account, ctx.peer.as_deref(), now).await {
        Ok(l) => l,
        Err(e) => return internal(&state, &ctx, "sign-in limits", e),
    };
    if let Err(until) = limited {
        let minutes = (until.duration_since(now).as_secs() + 59)
            .div_euclid(60)
            .max(1);
        return render(
            &state,
            &ctx,
            "second_factor.html",
            "login",
            context! { next, limited => minutes },
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let totp = match state.store.user_totp(user.tenant_id, user.id).await {
        Ok(Some(mut t)) => match state.config.sealer.open(&t.secret) {
            Ok(plain) => {
                t.secret = plain;
                t
            }
            Err(e) => return internal(&state, &ctx, "opening the second factor", e),
        },
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return internal(&state, &ctx, "reading second factor", e),
    };
    let ok = if let Some(step) = service::totp::verify(&totp.secret, &f.code, now, totp.last_step) {
        match state.store.totp_used(user.tenant_id, user.id, step).await {
            Ok(()) => true,
            Err(e) => return internal(&state, &ctx, "recording code", e),
        }
    } else if f.code.trim().len() >= 10 {
        match state
            .store
            .use_recovery_code(
                user.tenant_id,
                user.id,
                &service::totp::recovery_hash(&f.code),
            )
            .await
        {
            Ok(used) => used,
            Err(e) => return internal(&state, &ctx, "recovery code", e),
        }
    } else {
        false
    };
    if !ok {
        if let Err(e) = limiter.failed(&account, ctx.peer.as_deref(), now).await {
            return internal(&state, &ctx, "sign-in limits", e);
        }
        audit_session(&state, user, "session.login_failed").await;
        return render(
            &state,
            &ctx,
            "second_factor.html",
            "login",
            context! { next, failed => true },
            StatusCode::UNAUTHORIZED,
        );
    }
    if let Err(e) = limiter.succeeded(&account).await {
        return internal(&state, &ctx, "sign-in limits", e);
    }
    let user = user.clone();
    match issue_session(&state, &ctx, &user, SessionStage::Full).await {
        Ok(cookie) => {
            let mut res = Redirect::to(&next).into_response();
            res.headers_mut().append(header::SET_COOKIE, cookie);
            res
        }
        Err(r) => *r,
    }
}

async fn setup_page(
    state: &AppState,
    ctx: &Ctx,
    secret: &str,
    next: &str,
    failed: bool,
) -> Response {
    let Some((_, user)) = &ctx.pending else {
        return Redirect::to("/login").into_response();
    };
    let issuer = match &ctx.tenant {
        Some(t) => format!("Lägesbild {}", t.name),
        None => "Lägesbild".to_string(),
    };
    let uri = service::totp::uri(secret, user.email.as_str(), &issuer);
    let grouped: Vec<String> = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    render(
        state,
        ctx,
        "mfa_setup.html",
        "login",
        context! {
            secret, secret_grouped => grouped.join(" "), uri => uri.clone(),
            qr => service::totp::qr_data_uri(&uri).unwrap_or_default(),
            next, failed,
        },
        if failed {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::OK
        },
    )
}

pub async fn setup_form(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<NextParam>,
) -> Response {
    let Some((session, _)) = pending(&ctx, SessionStage::MfaSetup) else {
        return to_login();
    };
    let secret = match &session.pending_secret {
        Some(sealed) => match state.config.sealer.open(sealed) {
            Ok(s) => s,
            Err(e) => return internal(&state, &ctx, "opening the new secret", e),
        },
        None => {
            let s = service::totp::new_secret();
            let hash = ctx.session_hash.clone().unwrap_or_default();
            let sealed = state.config.sealer.seal(&s);
            if let Err(e) = state
                .store
                .set_session_stage(&hash, SessionStage::MfaSetup, Some(&sealed))
                .await
            {
                return internal(&state, &ctx, "storing the new secret", e);
            }
            s
        }
    };
    setup_page(&state, &ctx, &secret, &next_of(&q.next), false).await
}

pub async fn setup(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<CodeForm>,
) -> Response {
    let Some((session, user)) = pending(&ctx, SessionStage::MfaSetup) else {
        return to_login();
    };
    if !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    let next = next_of(&f.next);
    let Some(secret) = session.pending_secret.clone() else {
        return Redirect::to(&format!(
            "/login/second-factor/setup?next={}",
            urlencode(&next)
        ))
        .into_response();
    };
    let secret = match state.config.sealer.open(&secret) {
        Ok(s) => s,
        Err(e) => return internal(&state, &ctx, "opening the new secret", e),
    };
    let Some(step) = service::totp::verify(&secret, &f.code, state.now(), None) else {
        return setup_page(&state, &ctx, &secret, &next, true).await;
    };
    let (codes, hashes) = service::totp::new_recovery_codes();
    let user = user.clone();
    let state_row = TotpState {
        secret: state.config.sealer.seal(&secret),
        last_step: Some(step),
        recovery_hashes: hashes,
    };
    if let Err(e) = state
        .store
        .enable_totp(user.tenant_id, user.id, &state_row)
        .await
    {
        return internal(&state, &ctx, "enabling the second factor", e);
    }
    let cookie = match issue_session(&state, &ctx, &user, SessionStage::Full).await {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let mut res = render(
        &state,
        &ctx,
        "recovery_codes.html",
        "login",
        context! { codes, next },
        StatusCode::OK,
    );
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res
}
