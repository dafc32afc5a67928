//! Hot spot cases (`service::cases`): the list, a case opened from a cluster of the lägesbild
//! or on an area, and one case with its EST step, visit log, trend, near-repeat warnings and
//! actions. Everyone signed in reads them; the coordinator and analysts open and work them.

use crate::AppState;
use crate::ctx::Ctx;
use crate::respond::{error_page, internal, login_redirect, render};
use crate::views;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use model::{CaseStep, FieldError, RecordKind, Role};
use serde::Deserialize;
use service::cases::{self, CaseError};
use std::sync::Arc;
use store::{ActionFilter, PlaceKind, User};

fn may_work(user: &User) -> bool {
    matches!(user.role, Role::Admin | Role::Analyst)
}

/// `GET /cases`.
pub async fn list(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if let Some(r) = crate::respond::not_for_role(&state, &ctx, user, crate::access::Page::Cases) {
        return r;
    }
    let (records, places) = match tokio::try_join!(
        state.store.records(user.tenant_id, RecordKind::Case, None),
        state.store.places(user.tenant_id),
    ) {
        Ok(x) => x,
        Err(e) => return internal(&state, &ctx, "cases", e),
    };
    let mut rows = Vec::new();
    for r in records.iter().rev() {
        let Ok(c) = cases::case_of(r) else { continue };
        rows.push(context! {
            id => r.id,
            title => c.title,
            step => state.i18n.t(ctx.lang, &format!("case-step-{}", c.step.as_str()), &[]),
            closed => c.step == CaseStep::Avslutad,
            area => places.iter().find(|p| p.id == c.area_id).map(|p| p.name.clone()),
            updated => r.updated_at.to_zoned(service::stockholm()).date().to_string(),
        });
    }
    let areas: Vec<(i64, String)> = places
        .into_iter()
        .filter(|p| p.kind == PlaceKind::Area)
        .map(|p| (p.id, p.name))
        .collect();
    render(
        &state,
        &ctx,
        "cases.html",
        "cases",
        context! { rows, areas, may_work => may_work(user) },
        StatusCode::OK,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CreateForm {
    csrf: String,
    title: String,
    description: String,
    /// An area of the tenant, or a cluster's SWEREF 99 TM box (e0, n0, e1, n1).
    area_id: String,
    e0: String,
    n0: String,
    e1: String,
    n1: String,
}

/// `POST /cases`: opens a case on an area, or promotes a cluster of the lägesbild.
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
    if !may_work(user) {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    }
    let now = state.now();
    let num = |v: &str| v.trim().parse::<f64>().ok();
    let result = match (num(&f.e0), num(&f.n0), num(&f.e1), num(&f.n1)) {
        (Some(e0), Some(n0), Some(e1), Some(n1)) => {
            cases::promote(
                state.store.as_ref(),
                user.tenant_id,
                &f.title,
                &f.description,
                [e0, n0, e1, n1],
                Some(user.id),
                now,
            )
            .await
        }
        _ => match f.area_id.trim().parse::<i64>() {
            Ok(area) => {
                cases::open(
                    state.store.as_ref(),
                    user.tenant_id,
                    &f.title,
                    &f.description,
                    area,
                    "area",
                    Some(user.id),
                    now,
                )
                .await
            }
            Err(_) => Err(CaseError::Invalid(vec![FieldError::new(
                "area_id",
                "error-required",
                &f.area_id,
            )])),
        },
    };
    match result {
        Ok(r) => Redirect::to(&format!("/cases/{}", r.id)).into_response(),
        Err(CaseError::Invalid(errors)) => crate::docs::invalid(&state, &ctx, "cases", &errors),
        Err(e) => internal(&state, &ctx, "case create", e),
    }
}

/// `GET /cases/{id}`.
pub async fn detail(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if let Some(r) = crate::respond::not_for_role(&state, &ctx, user, crate::access::Page::Cases) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    let record = match state.store.record(user.tenant_id, id).await {
        Ok(Some(r)) if r.kind == RecordKind::Case => r,
        Ok(_) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "case", e),
    };
    let case = match cases::case_of(&record) {
        Ok(c) => c,
        Err(e) => return internal(&state, &ctx, "case", e),
    };
    let now = state.now();
    let tz = service::stockholm();
    let actor = service::lagesbild::view(
        user.tenant_id,
        Some(&user.actor()),
        service::lagesbild::Level::for_role(user.role),
    );
    let all = ActionFilter::default();
    let (visits, places, actions, users, found) = match tokio::try_join!(
        state
            .store
            .records(user.tenant_id, RecordKind::Visit, Some(id)),
        state.store.places(user.tenant_id),
        state.store.actions(user.tenant_id, &all),
        state.store.users(user.tenant_id),
        cases::analyse(state.store.as_ref(), &actor, case.area_id, now),
    ) {
        Ok(x) => x,
        Err(e) => return internal(&state, &ctx, "case", e),
    };
    let t = |k: &str| state.i18n.t(ctx.lang, k, &[]);
    let name_of = |u: Option<i64>| {
        u.and_then(|u| users.iter().find(|x| x.id == u))
            .map(|u| u.display_name.clone())
            .unwrap_or_default()
    };
    let visits: Vec<_> = visits
        .iter()
        .filter_map(|r| cases::visit_of(r).ok().map(|v| (r, v)))
        .map(|(r, v)| context! { on => v.on.to_string(), who => v.who, learnt => v.learnt, by => name_of(r.created_by) })
        .collect();
    let steps: Vec<_> = case
        .steps
        .iter()
        .map(|s| {
            context! {
                step => t(&format!("case-step-{}", s.step.as_str())),
                at => views::local(s.at, &tz), by => name_of(s.by), note => s.note,
            }
        })
        .collect();
    // The EST steps as a stepper: those passed (with the day they began), the current one and
    // those to come.
    let current = CaseStep::ALL
        .iter()
        .position(|s| *s == case.step)
        .unwrap_or(0);
    let stepper: Vec<_> = CaseStep::ALL
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let began = case
                .steps
                .iter()
                .rev()
                .find(|c| c.step == *s)
                .map(|c| c.at.to_zoned(tz.clone()).date().to_string());
            context! {
                n => k + 1,
                name => t(&format!("case-step-{}", s.as_str())),
                state => if k < current { "done" } else if k == current { "current" } else { "todo" },
                began,
            }
        })
        .collect();
    let today = now.to_zoned(tz.clone()).date();
    let linked: Vec<_> = actions
        .iter()
        // Its own, and those decided elsewhere (a meeting) for its area.
        .filter(|a| a.record_id == Some(id) || a.area_id == Some(case.area_id))
        .map(|a| {
            context! {
                id => a.id, title => a.title, due => a.due_on.to_string(), overdue => a.overdue(today),
                status => t(&format!("action-status-{}", a.status.as_str())),
            }
        })
        .collect();
    // The area's weeks, drawn and judged as on the lägesbild.
    let clang = service::lagesbild::chart_lang(crate::docs::language(ctx.lang));
    let weeks = found.weekly.len() as i64;
    let first = (now - jiff::SignedDuration::from_hours(24 * 7 * weeks))
        .to_zoned(tz.clone())
        .date();
    let bars = service::lagesbild::week_bars(&found.weekly, 0, (first, first), 7 * weeks);
    let trend = service::lagesbild::trend_sentence(clang, &bars);
    let trend_chart = chart::weekly("case-trend-chart", clang, &bars, &trend);
    // The area on a map, with the incidents of the trend's weeks in and around it.
    let map = match places.iter().find(|p| p.id == case.area_id) {
        Some(a) => {
            let filter = store::IncidentFilter {
                from: Some(now - jiff::SignedDuration::from_hours(24 * 7 * weeks)),
                to: Some(now),
                bbox: Some(around(a)),
                ..Default::default()
            };
            match state
                .store
                .incident_points(&user.actor(), &filter, 20_000)
                .await
            {
                Ok(points) => {
                    let located: Vec<(f64, f64)> = points
                        .iter()
                        .filter(|p| p.precision != model::Precision::Municipality)
                        .map(|p| (p.e, p.n))
                        .collect();
                    Some(service::lagesbild::area_map(
                        "case-map-chart",
                        crate::docs::language(ctx.lang),
                        a,
                        &places,
                        &located,
                    ))
                }
                Err(e) => return internal(&state, &ctx, "case", e),
            }
        }
        None => None,
    };
    let warnings: Vec<_> = found
        .warnings
        .iter()
        .map(|w| context! { id => w.incident_id, occurred => views::local(w.occurred, &tz), until => w.until.to_string() })
        .collect();
    let area = places.iter().find(|p| p.id == case.area_id);
    render(
        &state,
        &ctx,
        "case.html",
        "cases",
        context! {
            id, title => case.title, description => case.description,
            step => case.step.as_str(),
            step_label => t(&format!("case-step-{}", case.step.as_str())),
            stepper, map,
            all_steps => CaseStep::ALL.iter().map(|s| (s.as_str(), t(&format!("case-step-{}", s.as_str())))).collect::<Vec<_>>(),
            area => area.map(|a| a.name.clone()), area_id => case.area_id,
            steps, visits, actions => linked, trend_chart, trend,
            near_repeat => found.near_repeat.as_ref().map(|b| context! {
                ratio => crate::insight::number(b.ratio, 1, ctx.lang), observed => b.observed,
                expected => crate::insight::number(b.expected, 1, ctx.lang), p => crate::insight::number(b.p, 2, ctx.lang),
            }),
            warnings, metres => cases::WARN_METRES, days => cases::WARN_DAYS,
            emerging => found.emerging.iter().map(|s| context! {
                pattern => s.pattern, cells => s.cells, incidents => s.incidents,
            }).collect::<Vec<_>>(),
            may_work => may_work(user), today => today.to_string(),
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepForm {
    csrf: String,
    step: String,
    note: String,
}

/// `POST /cases/{id}/step`.
pub async fn step(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    let (Ok(id), true) = (id.parse::<i64>(), may_work(user)) else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    let Ok(step) = CaseStep::parse(&f.step) else {
        return crate::docs::invalid(
            &state,
            &ctx,
            "cases",
            &[FieldError::new("step", "error-invalid-choice", &f.step)],
        );
    };
    match cases::set_step(
        state.store.as_ref(),
        user.tenant_id,
        id,
        step,
        &f.note,
        Some(user.id),
        state.now(),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(CaseError::NotFound(_)) => error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(CaseError::Invalid(errors)) => crate::docs::invalid(&state, &ctx, "cases", &errors),
        Err(e) => internal(&state, &ctx, "case step", e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VisitForm {
    csrf: String,
    on: String,
    who: String,
    learnt: String,
}

/// `POST /cases/{id}/visits`.
pub async fn visit(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<VisitForm>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if !ctx.csrf_ok(Some(&f.csrf)) {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN);
    }
    let (Ok(id), true) = (id.parse::<i64>(), may_work(user)) else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND);
    };
    match state.store.record(user.tenant_id, id).await {
        Ok(Some(r)) if r.kind == RecordKind::Case => {}
        Ok(_) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "case visit", e),
    }
    let today = state.now().to_zoned(service::stockholm()).date();
    let v = match cases::parse_visit(&f.on, &f.who, &f.learnt, today) {
        Ok(v) => v,
        Err(errors) => return crate::docs::invalid(&state, &ctx, "cases", &errors),
    };
    match cases::add_visit(
        state.store.as_ref(),
        user.tenant_id,
        id,
        &v,
        Some(user.id),
        state.now(),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/cases/{id}#visits")).into_response(),
        Err(e) => internal(&state, &ctx, "case visit", e),
    }
}

/// The area's box in WGS84 with 300 m around it (what the case's map shows).
fn around(a: &store::Place) -> [f64; 4] {
    let mut bb = [a.lon, a.lat, a.lon, a.lat];
    if let Ok(shape) = geo::MultiPolygon::from_geojson_str(&a.geometry_geojson) {
        for [lon, lat] in shape
            .polygons()
            .iter()
            .flat_map(|p| p.iter())
            .flatten()
            .copied()
        {
            bb = [
                bb[0].min(lon),
                bb[1].min(lat),
                bb[2].max(lon),
                bb[3].max(lat),
            ];
        }
    }
    let dlat = 300.0 / 111_000.0;
    let dlon = dlat / a.lat.to_radians().cos().max(0.1);
    [bb[0] - dlon, bb[1] - dlat, bb[2] + dlon, bb[3] + dlat]
}
