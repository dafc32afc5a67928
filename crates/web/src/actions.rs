//! Actions (åtgärder): the list (overdue first to the eye), a new action, one action with its
//! status. Everyone signed in reads them; the coordinator and analysts plan them; the owner
//! (and they) move them on and close them with a note.

use crate::AppState;
use crate::ctx::Ctx;
use crate::respond::{error_page, internal, login_redirect, render};
use crate::views;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use model::{ActionDraft, ActionStatus, FieldError, Role};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use store::{Action, ActionFilter, NewAction, PlaceKind, User};

fn may_plan(user: &User) -> bool {
    matches!(user.role, Role::Admin | Role::Analyst)
}

fn may_move(user: &User, a: &Action) -> bool {
    may_plan(user) || a.owner_user_id == Some(user.id)
}

/// Today in Stockholm.
pub fn today(state: &AppState) -> jiff::civil::Date {
    state.now().to_zoned(service::stockholm()).date()
}

#[derive(Serialize)]
struct Row {
    id: i64,
    title: String,
    owner: String,
    due_on: String,
    status: String,
    overdue: bool,
}

async fn rows(
    state: &AppState,
    ctx: &Ctx,
    tenant: i64,
    list: &[Action],
) -> Result<Vec<Row>, store::StoreError> {
    let (orgs, users) =
        tokio::try_join!(state.store.organisations(tenant), state.store.users(tenant))?;
    let today = today(state);
    Ok(list
        .iter()
        .map(|a| {
            let org = orgs
                .iter()
                .find(|o| o.id == a.owner_org_id)
                .map_or("–", |o| o.name.as_str());
            let person = a
                .owner_user_id
                .and_then(|u| users.iter().find(|x| x.id == u))
                .map(|u| format!(", {}", u.display_name))
                .unwrap_or_default();
            Row {
                id: a.id,
                title: a.title.clone(),
                owner: format!("{org}{person}"),
                due_on: a.due_on.to_string(),
                status: state.i18n.t(
                    ctx.lang,
                    &format!("action-status-{}", a.status.as_str()),
                    &[],
                ),
                overdue: a.overdue(today),
            }
        })
        .collect())
}

/// The overdue actions a user should see first: their own and their organisation's; the
/// coordinator sees every one.
pub async fn overdue_for(state: &AppState, user: &User) -> Result<Vec<Action>, store::StoreError> {
    let all = state
        .store
        .actions(
            user.tenant_id,
            &ActionFilter {
                overdue_on: Some(today(state)),
                ..Default::default()
            },
        )
        .await?;
    Ok(all
        .into_iter()
        .filter(|a| {
            user.role == Role::Admin
                || a.owner_user_id == Some(user.id)
                || a.owner_org_id == user.org_id
        })
        .collect())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListParams {
    status: String,
    mine: String,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<ListParams>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    let filter = ActionFilter {
        status: ActionStatus::parse(&q.status).ok(),
        owner_user_id: (q.mine == "1").then_some(user.id),
        ..Default::default()
    };
    let found = match state.store.actions(user.tenant_id, &filter).await {
        Ok(a) => a,
        Err(e) => return internal(&state, &ctx, "actions", e),
    };
    let rows = match rows(&state, &ctx, user.tenant_id, &found).await {
        Ok(r) => r,
        Err(e) => return internal(&state, &ctx, "actions", e),
    };
    let statuses: Vec<(String, String)> = ActionStatus::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_string(),
                state
                    .i18n
                    .t(ctx.lang, &format!("action-status-{}", s.as_str()), &[]),
            )
        })
        .collect();
    render(
        &state,
        &ctx,
        "actions.html",
        "actions",
        context! { rows, statuses, status => q.status, mine => q.mine == "1", may_plan => may_plan(user) },
        StatusCode::OK,
    )
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    draft: &ActionDraft,
    errors: &[FieldError],
    code: StatusCode,
) -> Response {
    let (orgs, users, places) = match tokio::try_join!(
        state.store.organisations(user.tenant_id),
        state.store.users(user.tenant_id),
        state.store.places(user.tenant_id),
    ) {
        Ok(x) => x,
        Err(e) => return internal(state, ctx, "action form", e),
    };
    let areas: Vec<(i64, String)> = places
        .into_iter()
        .filter(|p| p.kind == PlaceKind::Area)
        .map(|p| (p.id, p.name))
        .collect();
    let people: Vec<(i64, String)> = users
        .into_iter()
        .filter(|u| !u.disabled)
        .map(|u| (u.id, u.display_name))
        .collect();
    let orgs: Vec<(i64, String)> = orgs.into_iter().map(|o| (o.id, o.name)).collect();
    let (by_field, list) = views::field_messages(&state.i18n, ctx.lang, errors);
    render(
        state,
        ctx,
        "action_new.html",
        "actions",
        context! {
            orgs, people, areas, errors => list, field_errors => by_field,
            title => draft.title, description => draft.description, owner_org_id => draft.owner_org_id,
            owner_user_id => draft.owner_user_id, area_id => draft.area_id, due_on => draft.due_on,
            buffer_area_id => draft.buffer_area_id, control_area_id => draft.control_area_id,
            record_id => draft.record_id,
        },
        code,
    )
}

/// What a new action comes from: `record` (a case, meeting or promise activity), `area`,
/// `title` (a meeting's decision), as links from those pages prefill the form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewParams {
    record: String,
    area: String,
    title: String,
}

pub async fn new_form(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<NewParams>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if !may_plan(user) {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    }
    let draft = ActionDraft {
        owner_org_id: user.org_id.to_string(),
        record_id: q.record.trim().to_string(),
        area_id: q.area.trim().to_string(),
        title: q.title.trim().to_string(),
        ..Default::default()
    };
    form_page(&state, &ctx, user, &draft, &[], StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CreateForm {
    csrf: String,
    #[serde(flatten)]
    draft: ActionDraft,
}

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
    if !may_plan(user) {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    }
    let valid = match f.draft.validate() {
        Ok(v) => v,
        Err(errors) => {
            return form_page(
                &state,
                &ctx,
                user,
                &f.draft,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let new = NewAction {
        tenant_id: user.tenant_id,
        action: valid,
        created_by: Some(user.id),
        created_at: state.now(),
    };
    match state.store.create_action(&new).await {
        Ok(a) => Redirect::to(&format!("/actions/{}", a.id)).into_response(),
        Err(store::StoreError::Backend(_)) => {
            // An organisation, person or area of no one here (the form offers only ours).
            let errors = vec![FieldError::new(
                "owner_org_id",
                "error-invalid-choice",
                &f.draft.owner_org_id,
            )];
            form_page(
                &state,
                &ctx,
                user,
                &f.draft,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(store::StoreError::UnknownReference { field, value, .. }) => {
            let errors = vec![FieldError::new(field, "error-invalid-choice", value)];
            form_page(
                &state,
                &ctx,
                user,
                &f.draft,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => internal(&state, &ctx, "action create", e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DetailParams {
    /// Set when a status change came back for want of (or with an unusable) comment.
    note: String,
}

pub async fn detail(
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
    let a = match state.store.action(user.tenant_id, id).await {
        Ok(Some(a)) => a,
        Ok(None) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "action", e),
    };
    let row = match rows(&state, &ctx, user.tenant_id, std::slice::from_ref(&a)).await {
        Ok(mut r) => r.remove(0),
        Err(e) => return internal(&state, &ctx, "action", e),
    };
    let next: Vec<(String, String)> = a
        .status
        .next()
        .iter()
        .map(|s| {
            (
                s.as_str().to_string(),
                state
                    .i18n
                    .t(ctx.lang, &format!("action-status-{}", s.as_str()), &[]),
            )
        })
        .collect();
    let tz = service::stockholm();
    let evaluation = match service::actions::evaluate(
        state.store.as_ref(),
        &user.actor(),
        &a,
        state.now(),
    )
    .await
    {
        Ok(e) => e,
        Err(e) => return internal(&state, &ctx, "action evaluation", e),
    };
    let t =
        |key: &str, args: &[(&str, fluent_bundle::FluentValue)]| state.i18n.t(ctx.lang, key, args);
    let (effect, effect_rows, verdict) = match &evaluation {
        service::actions::Evaluation::NoAreas => {
            (t("action-effect-no-areas", &[]), vec![], String::new())
        }
        service::actions::Evaluation::TooEarly { days } => (
            t(
                "action-effect-too-early",
                &[
                    ("days", (*days).into()),
                    ("min", service::actions::MIN_DAYS.into()),
                ],
            ),
            vec![],
            String::new(),
        ),
        service::actions::Evaluation::Ready {
            start,
            days,
            treated,
            buffer,
            control,
            wdq,
        } => {
            let rows = vec![
                (t("action-effect-treated", &[]), treated.0, treated.1),
                (t("action-effect-buffer", &[]), buffer.0, buffer.1),
                (t("action-effect-control", &[]), control.0, control.1),
            ];
            let verdict = match wdq {
                None => t("action-effect-no-control", &[]),
                Some(w) => {
                    let key = match w.verdict {
                        analysis::Displacement::NoEffect => "action-effect-none",
                        analysis::Displacement::DiffusionGreater => {
                            "action-effect-diffusion-greater"
                        }
                        analysis::Displacement::Diffusion => "action-effect-diffusion",
                        analysis::Displacement::Neither => "action-effect-neither",
                        analysis::Displacement::Displacement => "action-effect-displacement",
                        analysis::Displacement::DisplacementGreater => {
                            "action-effect-displacement-greater"
                        }
                    };
                    let q = w
                        .wdq
                        .map_or_else(|| "–".to_string(), |q| views::decimal(q, 2, ctx.lang));
                    // The verdict weighs each area against the control; when the counts
                    // themselves went the other way, the page says so in the same breath.
                    let against = match w.verdict {
                        analysis::Displacement::DiffusionGreater
                        | analysis::Displacement::Diffusion
                            if buffer.1 > buffer.0 =>
                        {
                            format!(
                                " {}",
                                t(
                                    "action-effect-rose-less",
                                    &[
                                        ("before", buffer.0.into()),
                                        ("after", buffer.1.into()),
                                        ("cbefore", control.0.into()),
                                        ("cafter", control.1.into()),
                                    ],
                                )
                            )
                        }
                        _ => String::new(),
                    };
                    format!(
                        "{}{against} {}",
                        t(key, &[]),
                        t("action-effect-wdq", &[("wdq", q.into())])
                    )
                }
            };
            (
                t(
                    "action-effect-periods",
                    &[
                        ("days", (*days).into()),
                        ("start", views::local(*start, &tz).into()),
                    ],
                ),
                rows,
                verdict,
            )
        }
    };
    render(
        &state,
        &ctx,
        "action.html",
        "actions",
        context! {
            a => row, description => a.description, closing_note => a.closing_note,
            closed_at => a.closed_at.map(|t| views::local(t, &tz)),
            next, may_move => may_move(user, &a),
            note_error => p.note == "1",
            effect, effect_rows, verdict,
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    csrf: String,
    to: String,
    note: String,
}

pub async fn status(
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
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    let a = match state.store.action(user.tenant_id, id).await {
        Ok(Some(a)) if may_move(user, &a) => a,
        Ok(_) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "action", e),
    };
    let Ok(to) = ActionStatus::parse(&f.to) else {
        return error_page(&state, &ctx, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let note = f.note.trim();
    // Closing says how it went; the note is free text, screened like every other.
    if (to.is_closed() && note.is_empty())
        || !model::screening::screen(note).is_empty()
        || note.chars().count() > 2000
    {
        return Redirect::to(&format!("/actions/{}?note=1", a.id)).into_response();
    }
    match state
        .store
        .set_action_status(user.tenant_id, a.id, Some(user.id), to, note, state.now())
        .await
    {
        Ok(_) => Redirect::to(&format!("/actions/{}", a.id)).into_response(),
        Err(store::StoreError::InvalidActionTransition { .. }) => {
            error_page(&state, &ctx, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => internal(&state, &ctx, "action status", e),
    }
}
