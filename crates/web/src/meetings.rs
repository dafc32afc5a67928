//! Meetings (`service::meetings`): the list and a new meeting with its generated agenda; one
//! meeting with attendees, notes per agenda item, decisions that create their action in one
//! step, the focus areas for the coming period, and the minutes as PDF. Everyone signed in
//! reads them; the coordinator and analysts (police) hold them.

use crate::AppState;
use crate::ctx::Ctx;
use crate::respond::{error_page, internal, login_redirect, render};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use model::{FieldError, RecordKind, Role};
use serde::Deserialize;
use service::meetings::{self, Meeting, MeetingError, MeetingKind};
use std::collections::HashMap;
use std::sync::Arc;
use store::{ActionFilter, PlaceKind, User};

fn may_hold(user: &User) -> bool {
    matches!(user.role, Role::Admin | Role::Analyst)
}

fn failed(state: &AppState, ctx: &Ctx, e: MeetingError) -> Response {
    match e {
        MeetingError::Invalid(errors) => crate::docs::invalid(state, ctx, "meetings", &errors),
        MeetingError::NotFound(_) => error_page(state, ctx, StatusCode::NOT_FOUND),
        e => internal(state, ctx, "meeting", e),
    }
}

/// `GET /meetings`.
pub async fn list(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if let Some(r) = crate::respond::not_for_role(&state, &ctx, user, crate::access::Page::Meetings)
    {
        return r;
    }
    let records = match state
        .store
        .records(user.tenant_id, RecordKind::Meeting, None)
        .await
    {
        Ok(r) => r,
        Err(e) => return internal(&state, &ctx, "meetings", e),
    };
    let mut rows: Vec<_> = records
        .iter()
        .filter_map(|r| meetings::meeting_of(r).ok().map(|m| (r.id, m)))
        .collect();
    rows.sort_by_key(|(id, m)| std::cmp::Reverse((m.held_on, *id)));
    let rows: Vec<_> = rows
        .iter()
        .map(|(id, m)| {
            context! {
                id, held_on => m.held_on.to_string(),
                kind => state.i18n.t(ctx.lang, &format!("meeting-kind-{}", m.kind.as_str()), &[]),
                decisions => m.decisions.len(), focus => m.focus_areas.len(),
            }
        })
        .collect();
    let today = state.now().to_zoned(service::stockholm()).date();
    render(
        &state,
        &ctx,
        "meetings.html",
        "meetings",
        context! { rows, may_hold => may_hold(user), today => today.to_string() },
        StatusCode::OK,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CreateForm {
    csrf: String,
    held_on: String,
    kind: String,
}

/// `POST /meetings`: a new meeting with its agenda from the lägesbild.
pub async fn create(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<CreateForm>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    if !may_hold(user) {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    }
    let mut errors = Vec::new();
    let held_on = model::dates::date(&f.held_on);
    if held_on.is_none() {
        errors.push(FieldError::new("held_on", "error-date", &f.held_on));
    }
    let kind = MeetingKind::parse(&f.kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "error-invalid-choice", &f.kind));
    }
    let (Some(held_on), Some(kind)) = (held_on, kind) else {
        return crate::docs::invalid(&state, &ctx, "meetings", &errors);
    };
    let tenant = match state.store.tenant(user.tenant_id).await {
        Ok(Some(t)) => t,
        Ok(None) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "meeting", e),
    };
    let activities = match service::promises::due_activities(
        state.store.as_ref(),
        user.tenant_id,
        held_on,
    )
    .await
    {
        Ok(a) => a,
        Err(e) => return internal(&state, &ctx, "meeting", e),
    };
    match meetings::plan(
        state.store.as_ref(),
        &tenant,
        kind,
        held_on,
        crate::docs::language(ctx.lang),
        &activities,
        Some(user.id),
        state.now(),
    )
    .await
    {
        Ok(r) => Redirect::to(&format!("/meetings/{}", r.id)).into_response(),
        Err(e) => failed(&state, &ctx, e),
    }
}

async fn load(state: &AppState, user: &User, id: &str) -> Result<Option<(i64, Meeting)>, String> {
    let Ok(id) = id.parse::<i64>() else {
        return Ok(None);
    };
    match state.store.record(user.tenant_id, id).await {
        Ok(Some(r)) if r.kind == RecordKind::Meeting => meetings::meeting_of(&r)
            .map(|m| Some((id, m)))
            .map_err(|e| e.to_string()),
        Ok(_) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// `GET /meetings/{id}`.
pub async fn detail(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if let Some(r) = crate::respond::not_for_role(&state, &ctx, user, crate::access::Page::Meetings)
    {
        return r;
    }
    let (id, m) = match load(&state, user, &id).await {
        Ok(Some(x)) => x,
        Ok(None) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "meeting", e),
    };
    let all = ActionFilter::default();
    let (orgs, places, actions) = match tokio::try_join!(
        state.store.organisations(user.tenant_id),
        state.store.places(user.tenant_id),
        state.store.actions(user.tenant_id, &all),
    ) {
        Ok(x) => x,
        Err(e) => return internal(&state, &ctx, "meeting", e),
    };
    let t = |k: &str| state.i18n.t(ctx.lang, k, &[]);
    let place = |a: Option<i64>| {
        a.and_then(|a| places.iter().find(|p| p.id == a))
            .map(|p| p.name.clone())
    };
    let decisions: Vec<_> = m
        .decisions
        .iter()
        .map(|d| {
            let a = d.action_id.and_then(|id| actions.iter().find(|a| a.id == id));
            context! {
                text => d.text, action_id => d.action_id,
                status => a.map(|a| t(&format!("action-status-{}", a.status.as_str()))),
                due => a.map(|a| a.due_on.to_string()),
                owner => a.and_then(|a| orgs.iter().find(|o| o.id == a.owner_org_id)).map(|o| o.name.clone()),
            }
        })
        .collect();
    let agenda: Vec<_> = m
        .agenda
        .iter()
        .enumerate()
        .map(|(i, a)| context! { i, source => a.source, title => a.title, detail => a.detail, notes => a.notes, area_id => a.area_id })
        .collect();
    let focus: Vec<_> = m
        .focus_areas
        .iter()
        .map(|f| context! { title => f.title, area => place(f.area_id) })
        .collect();
    let areas: Vec<(i64, String)> = places
        .iter()
        .filter(|p| p.kind == PlaceKind::Area)
        .map(|p| (p.id, p.name.clone()))
        .collect();
    let orgs: Vec<(i64, String)> = orgs.iter().map(|o| (o.id, o.name.clone())).collect();
    let today = state.now().to_zoned(service::stockholm()).date();
    render(
        &state,
        &ctx,
        "meeting.html",
        "meetings",
        context! {
            id, held_on => m.held_on.to_string(),
            kind => t(&format!("meeting-kind-{}", m.kind.as_str())),
            period_from => m.period_from.to_string(), period_to => m.period_to.to_string(),
            attendees => m.attendees, agenda, decisions, focus, areas, orgs,
            my_org => user.org_id,
            strategic => m.kind == MeetingKind::Strategisk,
            due_default => (today + jiff::ToSpan::days(28)).to_string(),
            may_hold => may_hold(user),
        },
        StatusCode::OK,
    )
}

/// `POST /meetings/{id}/notes`: attendees and `notes_0`, `notes_1`, … per agenda item.
pub async fn notes(
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
    let (Ok(id), true) = (id.parse::<i64>(), may_hold(user)) else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    let mut notes: Vec<(usize, String)> = f
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("notes_")?.parse().ok()?, v.clone())))
        .collect();
    notes.sort_by_key(|(i, _)| *i);
    let attendees = f.get("attendees").map(String::as_str).unwrap_or_default();
    match meetings::save_notes(
        state.store.as_ref(),
        user.tenant_id,
        id,
        attendees,
        &notes,
        Some(user.id),
        state.now(),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/meetings/{id}")).into_response(),
        Err(e) => failed(&state, &ctx, e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    csrf: String,
    decision: String,
    owner_org_id: String,
    due_on: String,
    area_id: String,
}

/// `POST /meetings/{id}/decisions`: a decision and its action in one step.
pub async fn decision(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    let (Ok(id), true) = (id.parse::<i64>(), may_hold(user)) else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    match meetings::decide(
        state.store.as_ref(),
        user.tenant_id,
        id,
        &f.decision,
        &f.owner_org_id,
        &f.due_on,
        &f.area_id,
        Some(user.id),
        state.now(),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/meetings/{id}#decisions")).into_response(),
        Err(e) => failed(&state, &ctx, e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FocusForm {
    csrf: String,
    focus_title: String,
    focus_area: String,
}

/// `POST /meetings/{id}/focus`: a focus area for the coming period.
pub async fn focus(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<FocusForm>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    let (Ok(id), true) = (id.parse::<i64>(), may_hold(user)) else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    let area = match f.focus_area.trim() {
        "" => None,
        v => match v.parse::<i64>() {
            Ok(a) => Some(a),
            Err(_) => {
                return crate::docs::invalid(
                    &state,
                    &ctx,
                    "meetings",
                    &[FieldError::new("focus_area", "error-invalid-choice", v)],
                );
            }
        },
    };
    match meetings::add_focus(
        state.store.as_ref(),
        user.tenant_id,
        id,
        &f.focus_title,
        area,
        Some(user.id),
        state.now(),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/meetings/{id}#focus")).into_response(),
        Err(e) => failed(&state, &ctx, e),
    }
}

/// `GET /meetings/{id}/minutes.pdf`: the minutes (A4, the meeting's language).
pub async fn minutes(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if let Some(r) = crate::respond::not_for_role(&state, &ctx, user, crate::access::Page::Meetings)
    {
        return r;
    }
    let (id, m) = match load(&state, user, &id).await {
        Ok(Some(x)) => x,
        Ok(None) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "minutes", e),
    };
    let all = ActionFilter::default();
    let (tenant, orgs, places, actions) = match tokio::try_join!(
        state.store.tenant(user.tenant_id),
        state.store.organisations(user.tenant_id),
        state.store.places(user.tenant_id),
        state.store.actions(user.tenant_id, &all),
    ) {
        Ok((Some(t), o, p, a)) => (t, o, p, a),
        Ok(_) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "minutes", e),
    };
    let data = serde_json::json!({
        "lang": crate::docs::language(ctx.lang),
        "level": "restricted",
        "tenant": tenant.name,
        "id": id,
        "kind": m.kind.as_str(),
        "held_on": m.held_on.to_string(),
        "period_from": m.period_from.to_string(),
        "period_to": m.period_to.to_string(),
        "attendees": m.attendees,
        "agenda": m.agenda.iter().map(|a| serde_json::json!({
            "title": a.title, "detail": a.detail, "notes": a.notes,
        })).collect::<Vec<_>>(),
        "decisions": m.decisions.iter().map(|d| {
            let a = d.action_id.and_then(|i| actions.iter().find(|a| a.id == i));
            serde_json::json!({
                "text": d.text,
                "action_id": d.action_id,
                "owner": a.and_then(|a| orgs.iter().find(|o| o.id == a.owner_org_id)).map(|o| o.name.clone()),
                "due": a.map(|a| a.due_on.to_string()),
            })
        }).collect::<Vec<_>>(),
        "focus": m.focus_areas.iter().map(|f| serde_json::json!({
            "title": f.title,
            "area": f.area_id.and_then(|a| places.iter().find(|p| p.id == a)).map(|p| p.name.clone()),
        })).collect::<Vec<_>>(),
    });
    let name = format!("protokoll-{}-{}.pdf", tenant.code, m.held_on);
    crate::docs::pdf(&state, &ctx, report::Kind::Minutes, data, name).await
}

/// `GET /meetings/{id}/pack.pdf`: the strategic meeting's pack (the year's lägesbild for
/// management, the promises' follow-up, the actions and their effects).
pub async fn pack(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if let Some(r) = crate::respond::not_for_role(&state, &ctx, user, crate::access::Page::Meetings)
    {
        return r;
    }
    let m = match load(&state, user, &id).await {
        Ok(Some((_, m))) if m.kind == MeetingKind::Strategisk => m,
        Ok(_) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "pack", e),
    };
    let tenant = match state.store.tenant(user.tenant_id).await {
        Ok(Some(t)) => t,
        Ok(None) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "pack", e),
    };
    let doc = match meetings::strategic_pack(
        state.store.as_ref(),
        &tenant,
        &m,
        crate::docs::language(ctx.lang),
        state.now(),
    )
    .await
    {
        Ok(d) => d,
        Err(e) => return failed(&state, &ctx, e),
    };
    let name = format!("strategiskt-underlag-{}-{}.pdf", tenant.code, m.held_on);
    crate::docs::pdf(&state, &ctx, report::Kind::Pack, doc, name).await
}
