//! Citizen tips: the public page (`/tips/{kommunkod}`, no sign-in, phone first), the receipt
//! page the tipster keeps (`/tips/kvitto/{secret}`: status and public answer, never the
//! coordinator's note), and the coordinator's moderation queue (`/admin/tips`: accept as an
//! incident, merge into one, reject with a reason) and Open311 keys (`/admin/open311`).
//!
//! Abuse limits without an outside captcha: the form carries a signed token (the tenant, when
//! it was issued, a nonce) that is used once and only after a few seconds (a person reads the
//! form; a script posts at once), a field people never see (left empty by people, filled by
//! naive bots), and limits per browser (a cookie: 5 an hour), per address (60 an hour: a whole
//! school behind one address is not locked out) and per municipality (1,000 a day). A refused
//! tip keeps what was typed.

use crate::AppState;
use crate::ctx::Ctx;
use crate::respond::{error_page, internal, render};
use crate::views;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use minijinja::context;
use model::{TipChannel, TipStatus};
use serde::Deserialize;
use service::tips::{TipDraft, citizen_categories};
use sha2::Sha256;
use std::sync::Arc;
use store::{Moderation, Store, StoreError, Tenant, TipDecision};

pub const TIPPER_COOKIE: &str = "lagesbild_tipper";
/// A form is sent no sooner than this after it was shown.
pub const MIN_FORM_AGE: SignedDuration = SignedDuration::from_secs(3);
pub const MAX_FORM_AGE: SignedDuration = SignedDuration::from_hours(4);
pub const PER_BROWSER_HOUR: usize = 5;
pub const PER_ADDRESS_HOUR: usize = 60;
pub const PER_TENANT_DAY: usize = 1_000;

/// The tip page's guard. Its signing key and its counts are the store's, so every server on
/// the store takes a form another one showed, spends a token once, and counts the same tips.
#[derive(Default)]
pub struct TipGuard {
    key: tokio::sync::OnceCell<Vec<u8>>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The form token is missing, forged, used, too old or for another municipality.
    Form,
    /// Sent sooner than a person could.
    TooFast,
    /// A limit is reached; try again after this.
    Limit(Timestamp),
}

impl TipGuard {
    async fn sign(&self, store: &dyn Store, text: &str) -> Result<String, StoreError> {
        let key = self
            .key
            .get_or_try_init(|| async {
                store
                    .server_secret("tip-form-key", &service::auth::new_secret())
                    .await
                    .map(String::into_bytes)
            })
            .await?;
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
        mac.update(text.as_bytes());
        Ok(data_encoding::BASE64URL_NOPAD.encode(&mac.finalize().into_bytes()))
    }

    /// A token for a form of `tenant` shown at `now`.
    pub async fn form_token(
        &self,
        store: &dyn Store,
        tenant: &str,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        let nonce = service::auth::new_secret();
        let body = format!("{tenant}.{}.{}", now.as_second(), &nonce[..16]);
        Ok(format!("{body}.{}", self.sign(store, &body).await?))
    }

    /// Whether a tip with this token, from this browser and address, may be taken now. On
    /// yes, the token is spent and the tip counted.
    pub async fn admit(
        &self,
        store: &dyn Store,
        tenant: &str,
        token: &str,
        browser: Option<&str>,
        address: Option<&str>,
        now: Timestamp,
    ) -> Result<Result<(), Refusal>, StoreError> {
        let Some((body, sig)) = token.rsplit_once('.') else {
            return Ok(Err(Refusal::Form));
        };
        if self.sign(store, body).await? != sig {
            return Ok(Err(Refusal::Form));
        }
        let mut parts = body.split('.');
        let (Some(t), Some(issued), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
            return Ok(Err(Refusal::Form));
        };
        let Some(issued) = issued
            .parse()
            .ok()
            .and_then(|s| Timestamp::from_second(s).ok())
        else {
            return Ok(Err(Refusal::Form));
        };
        let age = now.duration_since(issued);
        if t != tenant || age > MAX_FORM_AGE {
            return Ok(Err(Refusal::Form));
        }
        if age < MIN_FORM_AGE {
            return Ok(Err(Refusal::TooFast));
        }
        let spent = format!("tip-token:{}", service::auth::hash_secret(token));
        if !store
            .limit_recent(&spent, now - MAX_FORM_AGE, 1)
            .await?
            .is_empty()
        {
            return Ok(Err(Refusal::Form));
        }
        let hour = SignedDuration::from_hours(1);
        let day = SignedDuration::from_hours(24);
        let limits = [
            browser.map(|b| (format!("tip-browser:{b}"), hour, PER_BROWSER_HOUR)),
            address.map(|a| (format!("tip-address:{a}"), hour, PER_ADDRESS_HOUR)),
            Some((format!("tip-tenant:{tenant}"), day, PER_TENANT_DAY)),
        ];
        let mut until = None;
        for (key, window, limit) in limits.iter().flatten() {
            let blocked = crate::limits::blocked_until(store, key, *window, *limit, now).await?;
            until = until.max(blocked);
        }
        if let Some(until) = until {
            return Ok(Err(Refusal::Limit(until)));
        }
        let mut keys: Vec<String> = limits.into_iter().flatten().map(|(k, _, _)| k).collect();
        keys.push(spent);
        store.limit_record(&keys, now).await?;
        // Nothing limits for longer than a day: what is older is forgotten, so a sender that
        // changes its cookie each time cannot grow the table without end.
        store.limit_prune(now - day).await?;
        Ok(Ok(()))
    }
}

async fn tenant_of(state: &AppState, code: &str) -> Result<Option<Tenant>, store::StoreError> {
    if code.len() != 4 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    state.store.tenant_by_code(code).await
}

fn cookie_of(ctx: &Ctx, name: &str) -> Option<String> {
    let raw = ctx.headers.get(header::COOKIE)?.to_str().ok()?;
    raw.split(';').find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name
            && !v.is_empty()
            && v.len() <= 64
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| v.to_string())
    })
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    tenant: &Tenant,
    draft: &TipDraft,
    errors: &[model::FieldError],
    refusal: Option<&str>,
    status: StatusCode,
) -> Response {
    let cats = match state.store.categories(tenant.id).await {
        Ok(c) => c,
        Err(e) => return internal(state, ctx, "tip form", e),
    };
    let categories: Vec<_> = citizen_categories(&cats)
        .into_iter()
        .map(|c| {
            context! {
                code => c.code.as_str(),
                name => views::category_name(&cats, c.code.as_str(), ctx.lang),
            }
        })
        .collect();
    let (by_field, list) = views::field_messages(&state.i18n, ctx.lang, errors);
    let now = state.now();
    let token = match state
        .tips
        .form_token(state.store.as_ref(), &tenant.code, now)
        .await
    {
        Ok(t) => t,
        Err(e) => return internal(state, ctx, "tip form token", e),
    };
    let mut r = render(
        state,
        ctx,
        "tip_form.html",
        "tips",
        context! {
            tenant_name => tenant.name.clone(),
            code => tenant.code.clone(),
            categories,
            d => draft,
            field_errors => by_field,
            errors => list,
            refusal,
            token,
        },
        status,
    );
    if cookie_of(ctx, TIPPER_COOKIE).is_none() {
        let id = &service::auth::new_secret()[..22];
        let secure = if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{TIPPER_COOKIE}={id}; Path=/tips; Max-Age=86400; HttpOnly; SameSite=Lax{secure}"
        )) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

pub async fn form(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Response {
    match tenant_of(&state, &code).await {
        Ok(Some(t)) => {
            form_page(
                &state,
                &ctx,
                &t,
                &TipDraft::default(),
                &[],
                None,
                StatusCode::OK,
            )
            .await
        }
        Ok(None) => error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => internal(&state, &ctx, "tip form", e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TipForm {
    #[serde(flatten)]
    draft: TipDraft,
    token: String,
    /// Hidden from people; a bot that fills every field fills it.
    website: String,
}

pub async fn submit(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<TipForm>,
) -> Response {
    let tenant = match tenant_of(&state, &code).await {
        Ok(Some(t)) => t,
        Ok(None) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "tip", e),
    };
    let now = state.now();
    if !f.website.is_empty() {
        return form_page(
            &state,
            &ctx,
            &tenant,
            &f.draft,
            &[],
            Some("tip-refused-form"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let cats = match state.store.categories(tenant.id).await {
        Ok(c) => c,
        Err(e) => return internal(&state, &ctx, "tip", e),
    };
    let valid = match service::tips::validate(&f.draft, &cats, &tenant, now) {
        Ok(v) => v,
        Err(errors) => {
            return form_page(
                &state,
                &ctx,
                &tenant,
                &f.draft,
                &errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let browser = cookie_of(&ctx, TIPPER_COOKIE);
    let admitted = match state
        .tips
        .admit(
            state.store.as_ref(),
            &tenant.code,
            &f.token,
            browser.as_deref(),
            ctx.peer.as_deref(),
            now,
        )
        .await
    {
        Ok(a) => a,
        Err(e) => return internal(&state, &ctx, "tip limits", e),
    };
    match admitted {
        Ok(()) => {}
        Err(Refusal::Form) => {
            return form_page(
                &state,
                &ctx,
                &tenant,
                &f.draft,
                &[],
                Some("tip-refused-form"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(Refusal::TooFast) => {
            return form_page(
                &state,
                &ctx,
                &tenant,
                &f.draft,
                &[],
                Some("tip-refused-fast"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(Refusal::Limit(_)) => {
            return form_page(
                &state,
                &ctx,
                &tenant,
                &f.draft,
                &[],
                Some("tip-refused-limit"),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await;
        }
    }
    let (secret, hash, token) = service::tips::receipt();
    let new = valid.into_new(&tenant, TipChannel::Web, None, hash, token, now);
    match state.store.create_tip(&new).await {
        Ok(_) => Redirect::to(&format!("/tips/kvitto/{secret}")).into_response(),
        Err(e) => internal(&state, &ctx, "storing a tip", e),
    }
}

pub async fn receipt(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(secret): Path<String>,
) -> Response {
    if secret.len() > 64 {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    }
    let tip = match state
        .store
        .tip_by_receipt(&service::auth::hash_secret(&secret))
        .await
    {
        Ok(Some(t)) => t,
        Ok(None) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "tip receipt", e),
    };
    let (tenant, cats) = match tokio::try_join!(
        state.store.tenant(tip.tenant_id),
        state.store.categories(tip.tenant_id)
    ) {
        Ok((Some(t), c)) => (t, c),
        Ok((None, _)) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "tip receipt", e),
    };
    let tz = service::stockholm();
    let mut r = render(
        &state,
        &ctx,
        "tip_receipt.html",
        "tips",
        context! {
            tenant_name => tenant.name.clone(),
            code => tenant.code.clone(),
            id => tip.id,
            status => tip.status.as_str(),
            category => views::category_name(&cats, tip.category.as_str(), ctx.lang),
            sent => views::local(tip.created_at, &tz),
            answer => tip.public_answer.clone(),
            redacted => tip.redacted,
            by_email => tip.email.is_some(),
            path => format!("/tips/kvitto/{secret}"),
        },
        StatusCode::OK,
    );
    // The link is the key: no referrer carries it anywhere, no cache keeps it.
    r.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

// The coordinator's queue.

use crate::admin::{Fields, admin_for as coordinator, field};

async fn queue_page(
    state: &AppState,
    ctx: &Ctx,
    user: &store::User,
    notice: Option<(&'static str, String, bool)>,
    status: StatusCode,
) -> Response {
    let found = tokio::try_join!(
        state.store.tips(user.tenant_id, Some(TipStatus::New), 200),
        state.store.tips(user.tenant_id, None, 50),
        state.store.categories(user.tenant_id),
    );
    let (queue, recent, cats) = match found {
        Ok(x) => x,
        Err(e) => return internal(state, ctx, "tip queue", e),
    };
    let tz = service::stockholm();
    let view = |t: &store::Tip| {
        context! {
            id => t.id,
            channel => t.channel.as_str(),
            status => t.status.as_str(),
            category => t.category.as_str(),
            category_name => views::category_name(&cats, t.category.as_str(), ctx.lang),
            description => t.description.clone(),
            place_text => t.place_text.clone(),
            point => t.point.map(|(lon, lat)| format!("{}, {}", views::decimal(lat, 5, ctx.lang), views::decimal(lon, 5, ctx.lang))),
            occurred => t.occurred_at.map(|o| views::local(o, &tz)),
            sent => views::local(t.created_at, &tz),
            redacted => t.redacted,
            by_email => t.email.is_some(),
            incident => t.incident_id,
            answer => t.public_answer.clone(),
            note => t.internal_note.clone(),
        }
    };
    let categories: Vec<_> = cats
        .iter()
        .filter(|c| !c.retired)
        .map(|c| context! { code => c.code.as_str(), name => views::category_name(&cats, c.code.as_str(), ctx.lang), parent => c.parent.is_some() })
        .collect();
    render(
        state,
        ctx,
        "admin_tips.html",
        "admin",
        context! {
            queue => queue.iter().map(view).collect::<Vec<_>>(),
            done => recent.iter().filter(|t| t.status != TipStatus::New).map(view).collect::<Vec<_>>(),
            categories,
            notice => notice.map(|(key, value, ok)| context! { key, value, ok }),
        },
        status,
    )
}

pub async fn queue(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    match coordinator(&state, &ctx, None) {
        Ok(u) => queue_page(&state, &ctx, &u, None, StatusCode::OK).await,
        Err(r) => r,
    }
}

pub async fn moderate(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let user = match coordinator(&state, &ctx, Some(&f)) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    let tip = match state.store.tip(user.tenant_id, id).await {
        Ok(Some(t)) => t,
        Ok(None) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "tip", e),
    };
    let now = state.now();
    let bad = |key: &'static str, value: &str| (key, value.to_string(), false);
    let answer = field(&f, "public_answer");
    let note = field(&f, "internal_note");
    if answer.chars().count() > 2_000 || note.chars().count() > 2_000 {
        return queue_page(
            &state,
            &ctx,
            &user,
            Some(bad("tip-bad-text", "")),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let moderation = match field(&f, "decision") {
        "accept" => {
            let found = tokio::try_join!(
                state.store.tenant(user.tenant_id),
                state.store.places(user.tenant_id),
                state.store.categories(user.tenant_id),
            );
            let (Some(tenant), places, cats) = (match found {
                Ok(x) => x,
                Err(e) => return internal(&state, &ctx, "tip", e),
            }) else {
                return error_page(&state, &ctx, StatusCode::NOT_FOUND);
            };
            let code = match field(&f, "category") {
                "" => tip.category.as_str(),
                c => c,
            };
            let Some(category) = cats.iter().find(|c| c.code.as_str() == code && !c.retired) else {
                return queue_page(
                    &state,
                    &ctx,
                    &user,
                    Some(bad("tip-bad-category", code)),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            };
            let visibility = model::Visibility::parse(field(&f, "visibility"))
                .unwrap_or(tenant.default_visibility);
            let geo = match service::reporting::TenantGeo::new(&tenant, places) {
                Ok(g) => g,
                Err(e) => return internal(&state, &ctx, "tip", e),
            };
            Moderation::Accept(Box::new(service::tips::incident_from(
                &tip,
                &tenant,
                category.code.clone(),
                visibility,
                user.org_id,
                &geo,
                now,
            )))
        }
        "merge" => match field(&f, "incident").trim_start_matches('#').parse::<i64>() {
            Ok(n) => Moderation::Merge(n),
            Err(_) => {
                return queue_page(
                    &state,
                    &ctx,
                    &user,
                    Some(bad("tip-bad-incident", field(&f, "incident"))),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
        "reject" if answer.is_empty() => {
            return queue_page(
                &state,
                &ctx,
                &user,
                Some(bad("tip-reason-required", "")),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        "reject" => Moderation::Reject,
        other => {
            return queue_page(
                &state,
                &ctx,
                &user,
                Some(bad("tip-bad-decision", other)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let decision = TipDecision {
        moderation,
        public_answer: answer.to_string(),
        internal_note: note.to_string(),
        by: user.id,
        at: now,
    };
    match state
        .store
        .moderate_tip(user.tenant_id, id, &decision)
        .await
    {
        Ok(t) => {
            if t.email.is_some() && !t.public_answer.is_empty() {
                tell_tipster(&state, &t).await;
            }
            queue_page(
                &state,
                &ctx,
                &user,
                Some(("tip-moderated", t.id.to_string(), true)),
                StatusCode::OK,
            )
            .await
        }
        Err(store::StoreError::UnknownReference { value, .. }) => {
            queue_page(
                &state,
                &ctx,
                &user,
                Some(bad("tip-bad-incident", &value)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(store::StoreError::Conflict { value, .. }) => {
            queue_page(
                &state,
                &ctx,
                &user,
                Some(bad("tip-already", &value)),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => internal(&state, &ctx, "moderating a tip", e),
    }
}

/// The public answer by e-mail, through the municipality's relay, when the tipster gave an
/// address (in Swedish and English; the receipt link is theirs only, so it is not in it).
async fn tell_tipster(state: &AppState, tip: &store::Tip) {
    let Some(to) = tip
        .email
        .as_deref()
        .and_then(|e| model::Email::parse(e).ok())
    else {
        return;
    };
    let (relay, tenant) = match tokio::try_join!(
        state.store.tenant_smtp(tip.tenant_id),
        state.store.tenant(tip.tenant_id)
    ) {
        Ok((Some(r), Some(t))) => (r, t),
        Ok(_) => return,
        Err(e) => {
            tracing::warn!("answer to tip {}: {e}", tip.id);
            return;
        }
    };
    let part = |lang| {
        state.i18n.t(
            lang,
            "tip-mail-body",
            &[
                ("id", tip.id.into()),
                ("tenant", tenant.name.clone().into()),
                (
                    "status",
                    state
                        .i18n
                        .t(lang, &format!("tip-status-{}", tip.status.as_str()), &[])
                        .into(),
                ),
                ("answer", tip.public_answer.clone().into()),
            ],
        )
    };
    let subject = state.i18n.t(
        crate::i18n::Lang::Sv,
        "tip-mail-subject",
        &[("id", tip.id.into())],
    );
    let body = format!(
        "{}\n\n---\n\n{}",
        part(crate::i18n::Lang::Sv),
        part(crate::i18n::Lang::En)
    );
    let code = tenant.code.clone();
    let id = tip.id;
    tokio::spawn(async move {
        if let Err(e) = service::notify::send(
            &relay,
            service::notify::password(&code),
            &[to],
            &subject,
            &body,
        )
        .await
        {
            tracing::warn!("answer to tip {id}: {e}");
        }
    });
}

// Open311 keys.

async fn keys_page(
    state: &AppState,
    ctx: &Ctx,
    user: &store::User,
    new_key: Option<String>,
    status: StatusCode,
) -> Response {
    let keys = match state.store.open311_keys(user.tenant_id).await {
        Ok(k) => k,
        Err(e) => return internal(state, ctx, "open311 keys", e),
    };
    let tz = service::stockholm();
    let tenant_code = ctx
        .tenant
        .as_ref()
        .map(|t| t.code.clone())
        .unwrap_or_default();
    render(
        state,
        ctx,
        "admin_open311.html",
        "admin",
        context! {
            keys => keys.iter().map(|k| context! {
                id => k.id,
                label => k.label.clone(),
                created => views::local(k.created_at, &tz),
                revoked => k.revoked_at.map(|r| views::local(r, &tz)),
            }).collect::<Vec<_>>(),
            new_key,
            jurisdiction => tenant_code,
        },
        status,
    )
}

pub async fn keys(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    match coordinator(&state, &ctx, None) {
        Ok(u) => keys_page(&state, &ctx, &u, None, StatusCode::OK).await,
        Err(r) => r,
    }
}

pub async fn key_create(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<Fields>,
) -> Response {
    let user = match coordinator(&state, &ctx, Some(&f)) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let label = field(&f, "label");
    if label.is_empty() || label.chars().count() > 120 {
        return keys_page(&state, &ctx, &user, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let key = service::auth::new_secret();
    let new = store::NewOpen311Key {
        tenant_id: user.tenant_id,
        label: label.to_string(),
        key_hash: service::auth::hash_secret(&key),
        created_by: Some(user.id),
        created_at: state.now(),
    };
    match state.store.create_open311_key(&new).await {
        Ok(_) => keys_page(&state, &ctx, &user, Some(key), StatusCode::OK).await,
        Err(e) => internal(&state, &ctx, "open311 key", e),
    }
}

pub async fn key_revoke(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let user = match coordinator(&state, &ctx, Some(&f)) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    match state
        .store
        .revoke_open311_key(user.tenant_id, id, Some(user.id), state.now())
        .await
    {
        Ok(()) => keys_page(&state, &ctx, &user, None, StatusCode::OK).await,
        Err(store::StoreError::NotFound { .. }) => error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => internal(&state, &ctx, "open311 key", e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[tokio::test]
    async fn the_guard_spends_tokens_and_counts_per_browser_address_and_municipality() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_sqlite::SqliteStore::open(dir.path().join("t.db").to_str().unwrap())
            .await
            .unwrap();
        let s: &dyn Store = &store;
        let g = TipGuard::default();
        let t0 = t("2026-11-27T10:00:00Z");
        let later = t0 + SignedDuration::from_secs(10);
        let token = g.form_token(s, "1960", t0).await.unwrap();
        assert_eq!(
            g.admit(s, "1960", &token, None, None, t0).await.unwrap(),
            Err(Refusal::TooFast)
        );
        assert_eq!(
            g.admit(s, "1980", &token, None, None, later).await.unwrap(),
            Err(Refusal::Form),
            "another municipality's form"
        );
        let forged = format!("{}x", &token[..token.len() - 1]);
        assert_eq!(
            g.admit(s, "1960", &forged, None, None, later)
                .await
                .unwrap(),
            Err(Refusal::Form)
        );
        assert_eq!(
            g.admit(
                s,
                "1960",
                &token,
                None,
                None,
                t0 + MAX_FORM_AGE + SignedDuration::from_secs(1)
            )
            .await
            .unwrap(),
            Err(Refusal::Form),
            "too old"
        );
        assert_eq!(
            g.admit(s, "1960", &token, None, None, later).await.unwrap(),
            Ok(())
        );
        assert_eq!(
            g.admit(s, "1960", &token, None, None, later).await.unwrap(),
            Err(Refusal::Form),
            "used once"
        );
        // One address (a school's network), many browsers: 60 an hour, then a wait.
        for i in 0..PER_ADDRESS_HOUR {
            let tk = g.form_token(s, "1960", t0).await.unwrap();
            assert_eq!(
                g.admit(
                    s,
                    "1960",
                    &tk,
                    Some(&format!("b{i}")),
                    Some("10.0.0.1"),
                    later
                )
                .await
                .unwrap(),
                Ok(()),
                "{i}"
            );
        }
        let tk = g.form_token(s, "1960", t0).await.unwrap();
        match g
            .admit(s, "1960", &tk, Some("b-last"), Some("10.0.0.1"), later)
            .await
            .unwrap()
        {
            Err(Refusal::Limit(until)) => {
                assert!(until > later && until <= later + SignedDuration::from_hours(1))
            }
            other => panic!("{other:?}"),
        }
        // Another address is not held back by it, and an hour later the first is free again.
        let tk = g.form_token(s, "1960", t0).await.unwrap();
        assert_eq!(
            g.admit(s, "1960", &tk, Some("c"), Some("10.0.0.2"), later)
                .await
                .unwrap(),
            Ok(())
        );
        let next = later + SignedDuration::from_hours(1);
        let tk = g
            .form_token(s, "1960", next - SignedDuration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(
            g.admit(s, "1960", &tk, Some("d"), Some("10.0.0.1"), next)
                .await
                .unwrap(),
            Ok(())
        );
    }
}
