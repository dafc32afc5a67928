//! Medborgarlöften (`service::promises`): a year's promises with their activities, progress
//! and indicators; new promises and activities, an activity's follow-up; the yearly follow-up
//! report as PDF. Everyone signed in reads them; the coordinator and analysts keep them.

use crate::AppState;
use crate::ctx::Ctx;
use crate::respond::{error_page, internal, login_redirect, render};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use model::{ActionStatus, FieldError, RecordKind, Role};
use serde::Deserialize;
use service::promises::{self, PromiseError};
use std::collections::HashMap;
use std::sync::Arc;
use store::{ActionFilter, User};

fn may_keep(user: &User) -> bool {
    matches!(user.role, Role::Admin | Role::Analyst)
}

fn failed(state: &AppState, ctx: &Ctx, e: PromiseError) -> Response {
    match e {
        PromiseError::Invalid(errors) => crate::docs::invalid(state, ctx, "promises", &errors),
        PromiseError::NotFound(_) => error_page(state, ctx, StatusCode::NOT_FOUND),
        e => internal(state, ctx, "promises", e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    year: String,
}

fn year_of(state: &AppState, q: &YearQuery) -> Result<i32, FieldError> {
    match q.year.trim() {
        "" => Ok(state.now().to_zoned(service::stockholm()).year().into()),
        v => v
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| FieldError::new("year", "error-invalid-choice", v)),
    }
}

fn percent(p: Option<f64>) -> Option<u32> {
    p.map(|v| (v * 100.0).round() as u32)
}

/// `GET /promises?year=`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if let Some(r) = crate::respond::not_for_role(&state, &ctx, user, crate::access::Page::Promises)
    {
        return r;
    }
    let year = match year_of(&state, &q) {
        Ok(y) => y,
        Err(e) => return crate::docs::invalid(&state, &ctx, "promises", &[e]),
    };
    let all = ActionFilter::default();
    // The meetings whose agenda followed each activity up.
    let mut met: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    match state
        .store
        .records(user.tenant_id, RecordKind::Meeting, None)
        .await
    {
        Ok(records) => {
            for r in &records {
                let Ok(m) = service::meetings::meeting_of(r) else {
                    continue;
                };
                for item in m.agenda.iter().filter_map(|i| i.record_id) {
                    met.entry(item)
                        .or_default()
                        .push((r.id, m.held_on.to_string()));
                }
            }
        }
        Err(e) => return internal(&state, &ctx, "promises", e),
    }
    let (found, actions) = match tokio::try_join!(
        async {
            promises::of_year(state.store.as_ref(), user.tenant_id, year)
                .await
                .map_err(|e| e.to_string())
        },
        async {
            state
                .store
                .actions(user.tenant_id, &all)
                .await
                .map_err(|e| e.to_string())
        },
    ) {
        Ok(x) => x,
        Err(e) => return internal(&state, &ctx, "promises", e),
    };
    let t = |k: &str| state.i18n.t(ctx.lang, k, &[]);
    let today = state.now().to_zoned(service::stockholm()).date();
    let rows: Vec<_> = found
        .iter()
        .map(|((r, p), acts)| {
            context! {
                id => r.id, title => p.title, text => p.text, parties => p.parties,
                activities => acts.iter().map(|(ar, a)| context! {
                    id => ar.id, title => a.title, responsible => a.responsible,
                    from => a.planned_from.to_string(), to => a.planned_to.to_string(),
                    status => a.status.as_str(),
                    status_label => t(&format!("action-status-{}", a.status.as_str())),
                    late => a.is_late(today),
                    progress => percent(a.progress()),
                    indicators => a.indicators.iter().enumerate().map(|(i, ind)| context! {
                        i, name => ind.name, target => ind.target, measured => ind.measured, unit => ind.unit,
                    }).collect::<Vec<_>>(),
                    actions => actions.iter().filter(|x| x.record_id == Some(ar.id))
                        .map(|x| context! { id => x.id, title => x.title }).collect::<Vec<_>>(),
                    meetings => met.get(&ar.id).cloned().unwrap_or_default()
                        .into_iter().map(|(id, date)| context! { id, date }).collect::<Vec<_>>(),
                }).collect::<Vec<_>>(),
            }
        })
        .collect();
    render(
        &state,
        &ctx,
        "promises.html",
        "promises",
        context! {
            year, rows, may_keep => may_keep(user),
            statuses => ActionStatus::ALL.iter().map(|s| (s.as_str(), t(&format!("action-status-{}", s.as_str())))).collect::<Vec<_>>(),
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PromiseForm {
    csrf: String,
    year: String,
    title: String,
    text: String,
    parties: String,
}

/// `POST /promises`.
pub async fn create(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<PromiseForm>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    if !may_keep(user) {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    }
    let p = match promises::parse_promise(&f.year, &f.title, &f.text, &f.parties) {
        Ok(p) => p,
        Err(errors) => return crate::docs::invalid(&state, &ctx, "promises", &errors),
    };
    match promises::create_promise(
        state.store.as_ref(),
        user.tenant_id,
        &p,
        Some(user.id),
        state.now(),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/promises?year={}", p.year)).into_response(),
        Err(e) => failed(&state, &ctx, e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActivityForm {
    csrf: String,
    title: String,
    responsible: String,
    planned_from: String,
    planned_to: String,
    indicator: String,
    target: String,
    unit: String,
}

/// `POST /promises/{id}/activities`.
pub async fn add_activity(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ActivityForm>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    let (Ok(id), true) = (id.parse::<i64>(), may_keep(user)) else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    let promise = match state.store.record(user.tenant_id, id).await {
        Ok(Some(r)) if r.kind == RecordKind::Promise => match promises::promise_of(&r) {
            Ok(p) => p,
            Err(e) => return failed(&state, &ctx, e),
        },
        Ok(_) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "activity", e),
    };
    let a = match promises::parse_activity(
        &f.title,
        &f.responsible,
        &f.planned_from,
        &f.planned_to,
        &f.indicator,
        &f.target,
        &f.unit,
    ) {
        Ok(a) => a,
        Err(errors) => return crate::docs::invalid(&state, &ctx, "promises", &errors),
    };
    match promises::add_activity(
        state.store.as_ref(),
        user.tenant_id,
        id,
        &a,
        Some(user.id),
        state.now(),
    )
    .await
    {
        Ok(r) => Redirect::to(&format!(
            "/promises?year={}#activity-{}",
            promise.year, r.id
        ))
        .into_response(),
        Err(e) => failed(&state, &ctx, e),
    }
}

/// `POST /activities/{id}`: follow-up — `status` and `measured_0`, `measured_1`, … (empty:
/// not measured yet).
pub async fn follow_up(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if !ctx.csrf_ok(f.get("csrf").map(String::as_str)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    let (Ok(id), true) = (id.parse::<i64>(), may_keep(user)) else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    let status_v = f.get("status").map(String::as_str).unwrap_or_default();
    let Ok(status) = ActionStatus::parse(status_v) else {
        return crate::docs::invalid(
            &state,
            &ctx,
            "promises",
            &[FieldError::new("status", "error-invalid-choice", status_v)],
        );
    };
    let mut errors = Vec::new();
    let mut measured = Vec::new();
    for (k, v) in &f {
        let Some(i) = k
            .strip_prefix("measured_")
            .and_then(|i| i.parse::<usize>().ok())
        else {
            continue;
        };
        match v.trim().replace(',', ".") {
            s if s.is_empty() => measured.push((i, None)),
            s => match s.parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => measured.push((i, Some(x))),
                _ => errors.push(FieldError::new(k, "error-type", v)),
            },
        }
    }
    if !errors.is_empty() {
        return crate::docs::invalid(&state, &ctx, "promises", &errors);
    }
    measured.sort_by_key(|(i, _)| *i);
    let parent = match state.store.record(user.tenant_id, id).await {
        Ok(Some(r)) if r.kind == RecordKind::Activity => r.parent_id,
        Ok(_) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "activity", e),
    };
    let year = match parent {
        Some(p) => match state.store.record(user.tenant_id, p).await {
            Ok(Some(r)) => promises::promise_of(&r).map(|p| p.year).ok(),
            _ => None,
        },
        None => None,
    };
    match promises::follow_up(
        state.store.as_ref(),
        user.tenant_id,
        id,
        status,
        &measured,
        Some(user.id),
        state.now(),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!(
            "/promises?year={}#activity-{id}",
            year.map(|y| y.to_string()).unwrap_or_default()
        ))
        .into_response(),
        Err(e) => failed(&state, &ctx, e),
    }
}

/// `GET /promises/follow-up.pdf?year=`: the year's follow-up report.
pub async fn report(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if let Some(r) = crate::respond::not_for_role(&state, &ctx, user, crate::access::Page::Promises)
    {
        return r;
    }
    let year = match year_of(&state, &q) {
        Ok(y) => y,
        Err(e) => return crate::docs::invalid(&state, &ctx, "promises", &[e]),
    };
    let tenant = match state.store.tenant(user.tenant_id).await {
        Ok(Some(t)) => t,
        Ok(None) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "promises report", e),
    };
    let doc = match service::promises::follow_up_document(
        state.store.as_ref(),
        &tenant,
        year,
        crate::docs::language(ctx.lang),
        state.now(),
    )
    .await
    {
        Ok(d) => d,
        Err(e) => return failed(&state, &ctx, e),
    };
    let name = format!("medborgarloften-{}-{year}.pdf", tenant.code);
    crate::docs::pdf(&state, &ctx, report::Kind::Promises, doc, name).await
}
