//! Server-rendered HTML pages. They work without JavaScript; scripts only add the maps.

use crate::AppState;
use crate::ctx::{Ctx, LANG_COOKIE, SESSION_COOKIE, set_cookie};
use crate::filters::{ListParams, parse_filter};
use crate::i18n::Lang;
use crate::respond::{error_page, internal, local_path, login_redirect, render, urlencode};
use crate::views;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use model::{Email, IncidentDraft, IncidentStatus, Precision, Role, Source, Visibility};
use serde::Deserialize;
use std::sync::Arc;
use store::{IncidentFilter, IncidentQuery, NewSession, Sort, User};

pub const PAGE_SIZE: u32 = 50;

pub async fn not_found(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    error_page(&state, &ctx, StatusCode::NOT_FOUND)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextParam {
    next: String,
    back: String,
}

pub async fn login_form(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<NextParam>,
) -> Response {
    // Where to go after signing in: a local path or nothing; anything else (another site,
    // control characters that would split the header) is refused.
    if !q.next.is_empty() && local_path(&q.next).is_none() {
        return error_page(&state, &ctx, StatusCode::BAD_REQUEST);
    }
    if ctx.user.is_some() {
        return Redirect::to(local_path(&q.next).unwrap_or("/")).into_response();
    }
    let next = local_path(&q.next).unwrap_or("/").to_string();
    let providers = crate::sso::offered(&state).await;
    render(
        &state,
        &ctx,
        "login.html",
        "login",
        context! { next_q => crate::respond::urlencode(&next), next, email => "", failed => false, providers },
        StatusCode::OK,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

pub async fn login(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<LoginForm>,
) -> Response {
    if !ctx.same_origin() {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    let next = local_path(&f.next).unwrap_or("/").to_string();
    let account = f.email.trim().to_lowercase();
    let now = state.now();
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
            "login.html",
            "login",
            context! { next, email => f.email, limited => minutes },
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let found = match Email::parse(&f.email) {
        Ok(email) => match state.store.user_credentials(&email).await {
            Ok(found) => found,
            Err(e) => return internal(&state, &ctx, "login lookup", e),
        },
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some((u, h)) if !u.disabled => (Some(u), h),
        _ => (None, service::auth::dummy_hash().to_string()),
    };
    let password = f.password.clone();
    // Unknown accounts cost the same argon2 time as known ones.
    let ok = tokio::task::spawn_blocking(move || service::auth::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    if !ok {
        if let Err(e) = limiter.failed(&account, ctx.peer.as_deref(), now).await {
            return internal(&state, &ctx, "sign-in limits", e);
        }
        if let Some(u) = &user {
            audit_session(&state, u, "session.login_failed").await;
        }
    } else {
        if let Err(e) = limiter.succeeded(&account).await {
            return internal(&state, &ctx, "sign-in limits", e);
        }
    }
    let Some(user) = user.filter(|_| ok) else {
        return render(
            &state,
            &ctx,
            "login.html",
            "login",
            context! { next, email => f.email, failed => true },
            StatusCode::UNAUTHORIZED,
        );
    };
    // Coordinators and police (and anyone who set one up) need a second factor.
    let stage = if user.mfa_enabled {
        store::SessionStage::MfaVerify
    } else if user.role.requires_second_factor() {
        store::SessionStage::MfaSetup
    } else {
        store::SessionStage::Full
    };
    let target = match stage {
        store::SessionStage::Full => next.clone(),
        store::SessionStage::MfaVerify => format!("/login/second-factor?next={}", urlencode(&next)),
        store::SessionStage::MfaSetup => {
            format!("/login/second-factor/setup?next={}", urlencode(&next))
        }
    };
    start_session(&state, &ctx, &user, stage, &target).await
}

/// Starts a new session (a new id: the old session of this browser ends) and redirects.
pub async fn start_session(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    stage: store::SessionStage,
    target: &str,
) -> Response {
    match issue_session(state, ctx, user, stage).await {
        Ok(cookie) => {
            let mut res = Redirect::to(target).into_response();
            res.headers_mut().append(header::SET_COOKIE, cookie);
            res
        }
        Err(res) => *res,
    }
}

/// Creates a session at `stage`, ends the browser's previous one, and returns its cookie.
pub async fn issue_session(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    stage: store::SessionStage,
) -> Result<HeaderValue, Box<Response>> {
    let token = service::auth::new_secret();
    let now = state.now();
    let session = NewSession {
        token_hash: service::auth::hash_secret(&token),
        tenant_id: user.tenant_id,
        user_id: user.id,
        csrf_token: service::auth::new_secret(),
        created_at: now,
        expires_at: now + jiff::SignedDuration::from_hours(state.config.session_hours),
        stage,
    };
    if let Err(e) = state.store.create_session(&session).await {
        return Err(Box::new(internal(state, ctx, "creating session", e)));
    }
    if stage == store::SessionStage::Full {
        audit_session(state, user, "session.login").await;
    }
    if let Some(old) = &ctx.session_hash {
        let _ = state.store.delete_session(old).await;
    }
    Ok(set_cookie(
        SESSION_COOKIE,
        &token,
        state.config.session_hours * 3600,
        state.config.secure_cookies,
    ))
}

/// Sign-ins and sign-outs go into the tenant's audit trail. A failure to log is reported but
/// does not lock people out.
pub async fn audit_session(state: &AppState, user: &User, action: &str) {
    let entry = store::NewAudit {
        at: state.now(),
        user_id: Some(user.id),
        action: action.into(),
        entity: "user".into(),
        entity_id: user.id.to_string(),
        before: None,
        after: None,
    };
    if let Err(e) = state.store.append_audit(user.tenant_id, &entry).await {
        tracing::error!("audit of {action} for user {}: {e}", user.id);
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AccountParams {
    saved: String,
}

pub async fn account(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<AccountParams>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    let saved = (q.saved == "notifications").then_some("notifications");
    crate::tokens::account_page(&state, &ctx, user, context! { saved }, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

/// Changes one's own password (e.g. the one-time password the coordinator handed over);
/// every session ends, and one signs in again.
pub async fn change_password(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<PasswordForm>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    let page = |key: &'static str, value: String, status| {
        render(
            &state,
            &ctx,
            "account.html",
            "account",
            context! { role => user.role.as_str(), problem => key, value },
            status,
        )
    };
    let Ok(Some((_, hash))) = state.store.user_credentials(&user.email).await else {
        return error_page(&state, &ctx, StatusCode::INTERNAL_SERVER_ERROR);
    };
    let current = f.current.clone();
    let ok = tokio::task::spawn_blocking(move || service::auth::verify_password(&current, &hash))
        .await
        .unwrap_or(false);
    if !ok {
        return page(
            "password-wrong",
            String::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    if f.new != f.repeat {
        return page(
            "password-mismatch",
            String::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let new = f.new.clone();
    let hashed = tokio::task::spawn_blocking(move || service::auth::hash_password(&new)).await;
    let hash = match hashed {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => {
            return page(
                "password-weak",
                e.to_string(),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
        Err(e) => return internal(&state, &ctx, "hashing", e),
    };
    if let Err(e) = state
        .store
        .set_password(user.tenant_id, user.id, &hash, Some(user.id))
        .await
    {
        return internal(&state, &ctx, "changing password", e);
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, state.config.secure_cookies),
    );
    res
}

/// Ends every session of the signed-in user, on every device.
pub async fn logout_all(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<CsrfForm>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    if let Err(e) = state
        .store
        .delete_user_sessions(user.tenant_id, user.id)
        .await
    {
        return internal(&state, &ctx, "signing out everywhere", e);
    }
    audit_session(&state, user, "session.logout_all").await;
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, state.config.secure_cookies),
    );
    res
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<CsrfForm>,
) -> Response {
    if ctx.user.is_some() && !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    if let Some(h) = &ctx.session_hash
        && let Err(e) = state.store.delete_session(h).await
    {
        return internal(&state, &ctx, "deleting session", e);
    }
    if let Some(user) = &ctx.user {
        audit_session(&state, user, "session.logout").await;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, state.config.secure_cookies),
    );
    res
}

pub async fn set_lang(
    State(state): State<Arc<AppState>>,
    Path(code): Path<String>,
    Query(q): Query<NextParam>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    let mut res = Redirect::to(local_path(&q.back).unwrap_or("/")).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            lang.code(),
            365 * 86400,
            state.config.secure_cookies,
        ),
    );
    res
}

/// The list's filters as a query string (without the page), for paging and export links.
pub(crate) fn filter_query(q: &ListParams) -> String {
    let pairs = [
        ("from", &q.from),
        ("to", &q.to),
        ("category", &q.category),
        ("area", &q.area),
        ("org", &q.org),
        ("status", &q.status),
        ("source", &q.source),
        ("sort", &q.sort),
        ("q", &q.q),
    ];
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn query_string(q: &ListParams, page: u32) -> String {
    let filters = filter_query(q);
    if filters.is_empty() {
        format!("/incidents?page={page}")
    } else {
        format!("/incidents?{filters}&page={page}")
    }
}

pub async fn incident_list(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<ListParams>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if let Some(r) =
        crate::respond::not_for_role(&state, &ctx, user, crate::access::Page::Incidents)
    {
        return r;
    }
    let tz = service::stockholm();
    let (filter, sort, filter_errors) = match parse_filter(&q, &tz) {
        Ok((f, s)) => (f, s, vec![]),
        Err(errors) => (Default::default(), Sort::default(), errors),
    };
    let page: u32 = q.page.trim().parse().unwrap_or(1).max(1);
    let actor = user.actor();
    let store = &state.store;
    let (total, cats, places, orgs) = match tokio::try_join!(
        store.count_incidents(&actor, &filter),
        store.categories(user.tenant_id),
        store.places(user.tenant_id),
        store.organisations(user.tenant_id),
    ) {
        Ok(x) => x,
        Err(e) => return internal(&state, &ctx, "incident list", e),
    };
    let pages = total.div_ceil(u64::from(PAGE_SIZE)).max(1) as u32;
    let page = page.min(pages);
    let rows = match store
        .list_incidents(
            &actor,
            &IncidentQuery {
                filter,
                sort,
                limit: PAGE_SIZE,
                offset: (page - 1) * PAGE_SIZE,
                after: None,
            },
        )
        .await
    {
        Ok(r) => r,
        Err(e) => return internal(&state, &ctx, "incident list", e),
    };
    let namer = service::naming::Namer::new(&places);
    let incidents: Vec<_> = rows
        .iter()
        .map(|i| {
            let mut v = views::incident(i, &cats, ctx.lang, &tz);
            views::named_place(&mut v, i, &namer, &state.i18n, ctx.lang);
            v
        })
        .collect();
    let status = if filter_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (_, filter_errors) = views::field_messages(&state.i18n, ctx.lang, &filter_errors);
    let mut shown = q.clone();
    if shown.sort.is_empty() {
        shown.sort = Sort::default().as_str().into();
    }
    // The overdue actions that are the user's to move and the focus areas of the last
    // samverkansmöte, as on the start page.
    let common = match crate::start::common(&state, user).await {
        Ok(c) => c,
        Err(e) => return internal(&state, &ctx, "overdue actions and focus areas", e),
    };
    render(
        &state,
        &ctx,
        "incidents.html",
        "incidents",
        context! {
            q => shown,
            total,
            page,
            pages,
            prev_url => query_string(&q, page.saturating_sub(1).max(1)),
            next_url => query_string(&q, page + 1),
            export_query => filter_query(&q),
            incidents,
            filter_errors,
            categories => views::categories(&cats, ctx.lang),
            places => places.iter().map(|p| context! { id => p.id, name => p.name.clone() }).collect::<Vec<_>>(),
            orgs => orgs.iter().map(|o| context! { id => o.id, name => o.name.clone() }).collect::<Vec<_>>(),
            statuses => IncidentStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            sources => Source::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            sorts => Sort::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            ..common
        },
        status,
    )
}

fn may_report(user: &User) -> bool {
    user.role != Role::Reader
}

pub(crate) async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    draft: &IncidentDraft,
    report_key: Option<&str>,
    errors: &[model::FieldError],
) -> Response {
    // The report's key, made here so that even a form sent twice without JavaScript (the
    // back button, a double tap) is stored once; the phone's queue makes its own.
    let report_key = report_key
        .map(str::to_string)
        .unwrap_or_else(service::auth::new_secret);
    let (cats, places) = match tokio::try_join!(
        state.store.categories(user.tenant_id),
        state.store.places(user.tenant_id)
    ) {
        Ok(x) => x,
        Err(e) => return internal(state, ctx, "report form", e),
    };
    let (by_field, list) = views::field_messages(&state.i18n, ctx.lang, errors);
    let outside = errors
        .iter()
        .any(|e| e.code == "error-outside-municipality");
    let mut v = draft.clone();
    if v.visibility.is_empty() {
        v.visibility = ctx
            .tenant
            .as_ref()
            .map(|t| t.default_visibility)
            .unwrap_or(Visibility::AllPartners)
            .as_str()
            .to_string();
    }
    if v.occurred_from.is_empty() && !v.occurred_at.is_empty() {
        v.occurred_from = v.occurred_at.clone();
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let res = render(
        state,
        ctx,
        "incident_new.html",
        "report",
        context! {
            v,
            report_key,
            user_key => format!("{}:{}", user.tenant_id, user.id),
            errors => by_field,
            error_list => list,
            outside,
            categories => views::categories(&cats, ctx.lang),
            places => places.iter().map(|p| context! { id => p.id, name => p.name.clone(), lat => format!("{:.6}", p.lat), lon => format!("{:.6}", p.lon) }).collect::<Vec<_>>(),
            schools => places.iter().filter(|p| p.is_school).map(|p| context! { id => p.id, name => p.name.clone() }).collect::<Vec<_>>(),
            visibilities => Visibility::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
        },
        status,
    );
    crate::ctx::allow_tenant_map(res, ctx)
}

pub async fn incident_form(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if !may_report(user) {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    }
    // Default the time to now, in local time, to the minute.
    let now = state
        .now()
        .to_zoned(service::stockholm())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    let draft = IncidentDraft {
        occurred_from: now,
        ..Default::default()
    };
    form_page(&state, &ctx, user, &draft, None, &[]).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DetailParams {
    saved: String,
    status: String,
}

fn may_change_status(user: &User) -> bool {
    matches!(user.role, Role::Admin | Role::Analyst)
}

pub async fn incident_detail(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<DetailParams>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    detail_page(&state, &ctx, user, id, p.saved == "1", &p.status, &[]).await
}

/// The incident's page (`status_param`: what was just done to it, `1` or `redacted`);
/// `refused` lists photos of a report just sent that were not kept.
pub(crate) async fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    id: i64,
    saved: bool,
    status_param: &str,
    refused: &[serde_json::Value],
) -> Response {
    let actor = user.actor();
    let (incident, history, cats, photos, places) = match tokio::try_join!(
        state.store.incident(&actor, id),
        state.store.status_history(&actor, id),
        state.store.categories(user.tenant_id),
        state.store.photos(&actor, id),
        state.store.places(user.tenant_id),
    ) {
        Ok(x) => x,
        Err(e) => return internal(state, ctx, "incident detail", e),
    };
    // Another tenant's incident, a hidden one and a missing one look the same.
    let Some(incident) = incident else {
        return error_page(state, ctx, StatusCode::NOT_FOUND);
    };
    let tz = service::stockholm();
    let next: Vec<&str> = if may_change_status(user) {
        incident.status.next().iter().map(|s| s.as_str()).collect()
    } else {
        vec![]
    };
    let history: Vec<Value> = history
        .iter()
        .map(|h| {
            context! {
                at => views::local(h.at, &tz),
                from => h.from.map(|s| s.as_str()),
                to => h.to.as_str(),
                user_name => h.user_name.clone(),
                comment => h.comment.clone(),
            }
        })
        .collect();
    // For the coordinator: the free text with personal data found by the screening replaced.
    let redaction = (user.role == Role::Admin).then(|| {
        let found: Vec<String> = model::screening::screen(&incident.description)
            .into_iter()
            .chain(model::screening::screen(incident.place_text.as_deref().unwrap_or("")))
            .map(|f| f.text)
            .collect();
        let placeholder = |k: model::screening::SensitiveKind| {
            state.i18n.t(ctx.lang, &format!("redacted-{}", k.as_str()), &[])
        };
        context! {
            found,
            description => model::screening::redact(&incident.description, placeholder),
            place_text => incident.place_text.as_deref().map(|p| model::screening::redact(p, placeholder)).unwrap_or_default(),
        }
    });
    let siblings = match incident.report_id {
        Some(r) => match state.store.report_incidents(&actor, r).await {
            Ok(list) => list
                .iter()
                .filter(|i| i.id != incident.id)
                .map(|i| views::incident(i, &cats, ctx.lang, &tz))
                .collect::<Vec<_>>(),
            Err(e) => return internal(state, ctx, "incident detail", e),
        },
        None => vec![],
    };
    let photos: Vec<Value> = photos
        .iter()
        .enumerate()
        .map(|(n, p)| {
            context! {
                url => format!("/api/v1/incidents/{}/photos/{}", p.incident_id, p.id),
                width => p.width,
                height => p.height,
                alt => state.i18n.t(ctx.lang, "photo-alt", &[("n", (n + 1).into()), ("count", photos.len().into())]),
            }
        })
        .collect();
    render(
        state,
        ctx,
        "incident.html",
        "incidents",
        context! {
            redaction,
            redacted => status_param == "redacted",
            siblings,
            photos,
            refused,
            same_as => incident.same_as,
            point_map => (incident.precision != Precision::Municipality).then(|| {
                service::lagesbild::point_map("incident-map-chart", crate::docs::language(ctx.lang), incident.lon, incident.lat, &places)
            }),
            i => {
                let mut v = views::incident(&incident, &cats, ctx.lang, &tz);
                views::named_place(&mut v, &incident, &service::naming::Namer::new(&places), &state.i18n, ctx.lang);
                v
            },
            history,
            next_statuses => next,
            saved,
            status_changed => status_param == "1",
            status_error => match status_param {
                "duplicate-missing" => Some("status-duplicate-missing"),
                "duplicate-unknown" => Some("status-duplicate-unknown"),
                _ => None,
            },
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    csrf: String,
    to: String,
    comment: String,
    /// The incident this one repeats (asked for when the status becomes Dubblett).
    duplicate_of: String,
}

pub async fn incident_status(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    let (Ok(id), Ok(to)) = (id.parse::<i64>(), IncidentStatus::parse(&f.to)) else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    if !may_change_status(user) {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    }
    let comment: String = f.comment.trim().chars().take(500).collect();
    let changed = if to == model::IncidentStatus::Duplicate {
        // A duplicate says which incident it repeats ("12" or "#12").
        let Ok(of) = f.duplicate_of.trim().trim_start_matches('#').parse::<i64>() else {
            return Redirect::to(&format!("/incidents/{id}?status=duplicate-missing"))
                .into_response();
        };
        state
            .store
            .mark_duplicate(&user.actor(), id, of, &comment, state.now())
            .await
    } else {
        state
            .store
            .set_incident_status(&user.actor(), id, to, &comment, state.now())
            .await
    };
    match changed {
        Ok(incident) => {
            // The reporter hears of it by e-mail if they asked to (sent beside the answer, so a
            // slow relay never holds the coordinator up).
            let (state2, by) = (state.clone(), user.id);
            tokio::spawn(async move { tell_reporter(&state2, &incident, by, &comment).await });
            Redirect::to(&format!("/incidents/{id}?status=1")).into_response()
        }
        Err(store::StoreError::UnknownReference {
            field: "same_as", ..
        }) => Redirect::to(&format!("/incidents/{id}?status=duplicate-unknown")).into_response(),
        Err(store::StoreError::NotFound { .. }) => error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(store::StoreError::InvalidTransition { .. }) => {
            Redirect::to(&format!("/incidents/{id}")).into_response()
        }
        Err(e) => internal(&state, &ctx, "status change", e),
    }
}

/// An administrator replaces an incident's free text, to remove personal data. Audited.
pub async fn incident_redact(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    let field = |k: &str| {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    if !ctx.csrf_ok(Some(field("csrf"))) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    if user.role != Role::Admin {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    }
    // The replacement text is screened like any free text: a redaction must not bring in
    // what it removes.
    let mut errors = Vec::new();
    let description = match model::Description::parse(field("description")) {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(model::FieldError::new(
                "description",
                "error-description",
                field("description"),
            ));
            None
        }
    };
    let place_text = Some(field("place_text").trim()).filter(|p| !p.is_empty());
    for (name, text) in [
        ("description", field("description")),
        ("place_text", field("place_text")),
    ] {
        let found = model::screening::screen(text);
        if !found.is_empty() {
            let list: Vec<&str> = found.iter().map(|f| f.text.as_str()).collect();
            errors.push(model::FieldError::new(
                name,
                "error-sensitive",
                list.join(", "),
            ));
        }
    }
    let Some(description) = description.filter(|_| errors.is_empty()) else {
        return crate::docs::invalid(&state, &ctx, "incidents", &errors);
    };
    match state
        .store
        .redact_incident(
            &user.actor(),
            id,
            description.as_str(),
            place_text,
            state.now(),
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("/incidents/{id}?status=redacted")).into_response(),
        Err(store::StoreError::NotFound { .. }) => error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => internal(&state, &ctx, "redaction", e),
    }
}

/// Above this many incidents (the last two years, as the map's period reaches), the map
/// draws vector tiles from the server instead of loading every point as GeoJSON.
pub const MAP_GEOJSON_MAX: u64 = 20_000;

#[derive(Deserialize, Default)]
pub struct MapParams {
    /// `tiles=1` draws vector tiles whatever the number of incidents.
    #[serde(default)]
    tiles: String,
}

pub async fn map_page(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(p): Query<MapParams>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if let Some(r) = crate::respond::not_for_role(&state, &ctx, user, crate::access::Page::Map) {
        return r;
    }
    let since = jiff::Timestamp::from_second(state.now().as_second() - 730 * 86_400).ok();
    let window = IncidentFilter {
        from: since,
        ..Default::default()
    };
    let actor = user.actor();
    let (cats, count) = match tokio::try_join!(
        state.store.categories(user.tenant_id),
        state.store.count_incidents(&actor, &window),
    ) {
        Ok(c) => c,
        Err(e) => return internal(&state, &ctx, "map", e),
    };
    let tiles = p.tiles == "1" || count > MAP_GEOJSON_MAX;
    let style_url = ctx
        .tenant
        .as_ref()
        .and_then(|t| t.map_style_url.clone())
        .or_else(|| state.config.map_style_url.clone())
        .unwrap_or_default();
    let res = render(
        &state,
        &ctx,
        "map.html",
        "map",
        context! { categories => views::categories(&cats, ctx.lang), style_url, tiles },
        StatusCode::OK,
    );
    crate::ctx::allow_tenant_map(res, &ctx)
}

/// Category colours as CSS classes (inline styles are forbidden by the CSP).
pub async fn categories_css(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let Some(user) = &ctx.user else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let cats = match state.store.categories(user.tenant_id).await {
        Ok(c) => c,
        Err(e) => return internal(&state, &ctx, "categories.css", e),
    };
    let mut css = String::new();
    for c in cats {
        let color = if c.color.len() == 7
            && c.color.starts_with('#')
            && c.color[1..].chars().all(|ch| ch.is_ascii_hexdigit())
        {
            c.color
        } else {
            "#555555".into()
        };
        css.push_str(&format!(".cat-{} {{ --c: {color}; }}\n", c.code));
    }
    let mut res = ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], css).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    res
}

/// E-mails the reporter of `incident` that its status changed (by `by`), when they asked for it
/// on their account page and the municipality has a relay; in Swedish and English. A failure
/// is logged: the change itself is already stored and shown on their start page.
async fn tell_reporter(
    state: &AppState,
    incident: &store::Incident,
    by: store::UserId,
    comment: &str,
) {
    let Some(reporter) = incident.user_id.filter(|r| *r != by) else {
        return;
    };
    let tenant = incident.tenant_id;
    let wanted = state.store.status_emails(tenant, reporter).await;
    if !matches!(wanted, Ok(true)) {
        return;
    }
    let found = tokio::try_join!(
        state.store.user(tenant, reporter),
        state.store.tenant_smtp(tenant),
        state.store.tenant(tenant),
        state.store.categories(tenant),
    );
    let (Some(user), Some(relay), Some(t), cats) = (match found {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!("status e-mail for incident {}: {e}", incident.id);
            return;
        }
    }) else {
        return;
    };
    let tz = service::stockholm();
    let when = views::local(incident.occurred_from, &tz);
    let status = incident.status.as_str();
    let part = |lang: Lang| {
        let i18n = &state.i18n;
        let args = [
            ("id", incident.id.into()),
            (
                "category",
                views::category_name(&cats, incident.category.as_str(), lang).into(),
            ),
            ("occurred", when.clone().into()),
            (
                "status",
                i18n.t(lang, &format!("status-{status}"), &[]).into(),
            ),
        ];
        let mut text = i18n.t(lang, "status-email-body", &args);
        if !comment.is_empty() {
            text.push('\n');
            text.push_str(&i18n.t(lang, "status-email-comment", &[("comment", comment.into())]));
        }
        text
    };
    let subject = state.i18n.t(
        Lang::Sv,
        "status-email-subject",
        &[("id", incident.id.into())],
    );
    let body = format!(
        "{}\n\n{}\n\n-- \n{} · Lägesbild\n{}",
        part(Lang::Sv),
        part(Lang::En),
        t.name,
        state.i18n.t(Lang::Sv, "status-email-footer", &[])
    );
    if let Err(e) = service::notify::send(
        &relay,
        service::notify::password(&t.code),
        std::slice::from_ref(&user.email),
        &subject,
        &body,
    )
    .await
    {
        tracing::warn!("status e-mail for incident {}: {e}", incident.id);
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NotificationsForm {
    csrf: String,
    status_emails: String,
}

/// `POST /account/notifications`: one's own wish for e-mails about one's reports.
pub async fn set_notifications(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<NotificationsForm>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    let on = f.status_emails == "on";
    match state
        .store
        .set_status_emails(user.tenant_id, user.id, on, state.now())
        .await
    {
        Ok(()) => Redirect::to("/account?saved=notifications#notifications").into_response(),
        Err(e) => internal(&state, &ctx, "notifications", e),
    }
}
