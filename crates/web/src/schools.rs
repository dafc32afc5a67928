//! The school view (`service::schools`): the schools of the municipality; one school's incidents
//! on and around its area over the last year and when they happen, its actions, the promise
//! activities about schools, and its mobilisation list. Everyone signed in reads them; the
//! coordinator and analysts keep the lists.

use crate::AppState;
use crate::ctx::Ctx;
use crate::respond::{error_page, internal, login_redirect, render};
use crate::views;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use minijinja::context;
use model::{FieldError, Role};
use serde::Deserialize;
use service::schools::{self, Mobilisation};
use std::sync::Arc;
use store::{ActionFilter, Place, User};

/// The school view covers the last year.
const DAYS: i64 = 365;

fn may_keep(user: &User) -> bool {
    matches!(user.role, Role::Admin | Role::Analyst)
}

async fn school(state: &AppState, user: &User, id: &str) -> Result<Option<Place>, String> {
    let Ok(id) = id.parse::<i64>() else {
        return Ok(None);
    };
    Ok(state
        .store
        .places(user.tenant_id)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|p| p.id == id && p.is_school))
}

/// `GET /schools`.
pub async fn list(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if let Some(r) = crate::respond::not_for_role(&state, &ctx, user, crate::access::Page::Schools)
    {
        return r;
    }
    let places = match state.store.places(user.tenant_id).await {
        Ok(p) => p,
        Err(e) => return internal(&state, &ctx, "schools", e),
    };
    let rows: Vec<_> = places
        .iter()
        .filter(|p| p.is_school)
        .map(|p| context! { id => p.id, name => p.name })
        .collect();
    render(
        &state,
        &ctx,
        "schools.html",
        "schools",
        context! { rows },
        StatusCode::OK,
    )
}

/// `GET /schools/{id}`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DetailQuery {
    sent: String,
}

pub async fn detail(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<DetailQuery>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if let Some(r) = crate::respond::not_for_role(&state, &ctx, user, crate::access::Page::Schools)
    {
        return r;
    }
    let school = match school(&state, user, &id).await {
        Ok(Some(s)) => s,
        Ok(None) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "school", e),
    };
    let now = state.now();
    let from = Timestamp::from_second(now.as_second() - DAYS * 86_400).unwrap_or(now);
    let actor = service::lagesbild::view(
        user.tenant_id,
        Some(&user.actor()),
        service::lagesbild::Level::for_role(user.role),
    );
    let all = ActionFilter::default();
    let tz = service::stockholm();
    let today = now.to_zoned(tz.clone()).date();
    let (picture, cats, actions, list, promises) = match tokio::try_join!(
        async {
            schools::picture(state.store.as_ref(), &actor, &school, from, now)
                .await
                .map_err(|e| e.to_string())
        },
        async {
            state
                .store
                .categories(user.tenant_id)
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
        async {
            schools::mobilisation(state.store.as_ref(), user.tenant_id, school.id)
                .await
                .map_err(|e| e.to_string())
        },
        async {
            service::promises::rows(
                state.store.as_ref(),
                user.tenant_id,
                i32::from(today.year()),
                today,
            )
            .await
            .map_err(|e| e.to_string())
        },
    ) {
        Ok(x) => x,
        Err(e) => return internal(&state, &ctx, "school", e),
    };
    let t = |k: &str| state.i18n.t(ctx.lang, k, &[]);
    let activities: Vec<_> = promises
        .iter()
        .flat_map(|p| p.activities.iter())
        .filter(|a| a.title.to_lowercase().contains("skol"))
        .map(|a| context! { title => a.title, status => t(&format!("action-status-{}", a.status)), to => a.to, progress => a.progress })
        .collect();
    let actions: Vec<_> = actions
        .iter()
        .filter(|a| a.area_id == Some(school.id))
        .map(|a| context! {
            id => a.id, title => a.title, due => a.due_on.to_string(), overdue => a.overdue(today),
            status => t(&format!("action-status-{}", a.status.as_str())),
        })
        .collect();
    let total: u64 = picture.by_time.iter().map(|(_, n)| n).sum();
    render(
        &state,
        &ctx,
        "school.html",
        "schools",
        context! {
            id => school.id, name => school.name, days => DAYS,
            on_area => picture.on_area, around => picture.around, metres => schools::AROUND_METRES,
            by_time => picture.by_time.iter().map(|(k, n)| context! {
                label => t(&format!("school-time-{k}")), n,
                share => if total > 0 { (*n as f64 / total as f64 * 100.0).round() as u64 } else { 0 },
            }).collect::<Vec<_>>(),
            by_category => picture.by_category.iter().map(|(c, n)| context! {
                label => views::category_name(&cats, c, ctx.lang), n,
            }).collect::<Vec<_>>(),
            actions, activities,
            contacts => list.map(|(_, m)| m.contacts).unwrap_or_default().iter().enumerate()
                .map(|(i, c)| context! { i, organisation => c.organisation, role => c.role, email => c.email })
                .collect::<Vec<_>>(),
            may_keep => may_keep(user),
            sent => q.sent.trim().parse::<usize>().ok(),
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContactForm {
    csrf: String,
    organisation: String,
    role: String,
    email: String,
    /// Set to remove the contact at this position instead.
    remove: String,
}

/// `POST /schools/{id}/contacts`: adds a contact to the mobilisation list, or removes one.
pub async fn contact(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ContactForm>,
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
    let school = match school(&state, user, &id).await {
        Ok(Some(s)) => s,
        Ok(None) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "school", e),
    };
    let mut list =
        match schools::mobilisation(state.store.as_ref(), user.tenant_id, school.id).await {
            Ok(found) => found.map(|(_, m)| m).unwrap_or(Mobilisation {
                school_id: school.id,
                contacts: Vec::new(),
            }),
            Err(e) => return internal(&state, &ctx, "school", e),
        };
    if f.remove.trim().is_empty() {
        match schools::parse_contact(&f.organisation, &f.role, &f.email) {
            Ok(c) => list.contacts.push(c),
            Err(errors) => return crate::docs::invalid(&state, &ctx, "schools", &errors),
        }
    } else {
        match f.remove.trim().parse::<usize>() {
            Ok(i) if i < list.contacts.len() => {
                list.contacts.remove(i);
            }
            _ => {
                return crate::docs::invalid(
                    &state,
                    &ctx,
                    "schools",
                    &[FieldError::new("remove", "error-invalid-choice", &f.remove)],
                );
            }
        }
    }
    match schools::save_mobilisation(
        state.store.as_ref(),
        user.tenant_id,
        &list,
        Some(user.id),
        state.now(),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/schools/{}#mobilisation", school.id)).into_response(),
        Err(e) => internal(&state, &ctx, "school", e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NotifyForm {
    csrf: String,
    subject: String,
    message: String,
}

/// `POST /schools/{id}/notify`: e-mails the school's mobilisation list through the
/// municipality's SMTP relay. The message describes the situation, not people: it is screened
/// like every free text; the audit trail records who sent what to how many (digests).
pub async fn notify(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<NotifyForm>,
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
    let school = match school(&state, user, &id).await {
        Ok(Some(s)) => s,
        Ok(None) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "notify", e),
    };
    let mut errors = Vec::new();
    for (field, v, max) in [
        ("subject", &f.subject, 200usize),
        ("message", &f.message, 4_000),
    ] {
        if v.trim().is_empty() {
            errors.push(FieldError::new(field, "error-required", v));
        } else if v.chars().count() > max {
            errors.push(FieldError::new(field, "error-description", v));
        }
        let found = model::screening::screen(v);
        if !found.is_empty() {
            let list: Vec<&str> = found.iter().map(|x| x.text.as_str()).collect();
            errors.push(FieldError::new(field, "error-sensitive", list.join(", ")));
        }
    }
    if !errors.is_empty() {
        return crate::docs::invalid(&state, &ctx, "schools", &errors);
    }
    let (relay, list, tenant) = match tokio::try_join!(
        state.store.tenant_smtp(user.tenant_id),
        schools::mobilisation(state.store.as_ref(), user.tenant_id, school.id),
        state.store.tenant(user.tenant_id),
    ) {
        Ok(x) => x,
        Err(e) => return internal(&state, &ctx, "notify", e),
    };
    let Some(relay) = relay else {
        return crate::docs::invalid(
            &state,
            &ctx,
            "schools",
            &[FieldError::new("smtp", "error-no-smtp", "")],
        );
    };
    let to: Vec<model::Email> = list
        .map(|(_, m)| m.contacts)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| model::Email::parse(&c.email).ok())
        .collect();
    if to.is_empty() {
        return crate::docs::invalid(
            &state,
            &ctx,
            "schools",
            &[FieldError::new("to", "error-no-contacts", "")],
        );
    }
    let code = tenant.map(|t| t.code).unwrap_or_default();
    let body = format!("{}\n\n-- \n{} · Lägesbild", f.message.trim(), school.name);
    match service::notify::send(
        &relay,
        service::notify::password(&code),
        &to,
        f.subject.trim(),
        &body,
    )
    .await
    {
        Ok(()) => {
            let mut entry = store::backend::audit(
                state.now(),
                Some(user.id),
                "school.notify",
                "place",
                school.id,
            );
            entry.after = Some(
                serde_json::json!({
                    "recipients": to.len(),
                    "subject": store::backend::text_digest(Some(f.subject.trim())),
                    "message": store::backend::text_digest(Some(f.message.trim())),
                })
                .to_string(),
            );
            if let Err(e) = state.store.append_audit(user.tenant_id, &entry).await {
                return internal(&state, &ctx, "notify audit", e);
            }
            Redirect::to(&format!("/schools/{}?sent={}#notify", school.id, to.len()))
                .into_response()
        }
        Err(e) => {
            tracing::warn!("notify {}: {e}", school.name);
            crate::docs::invalid(
                &state,
                &ctx,
                "schools",
                &[FieldError::new("smtp", "error-smtp-send", e.to_string())],
            )
        }
    }
}
