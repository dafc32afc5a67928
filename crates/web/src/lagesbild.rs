//! The lägesbild of a period (`service::lagesbild`): on screen (printable) at `/lagesbild`, and
//! as a PDF (`report` crate) at `/lagesbild.pdf`, with the same figures. Everyone signed in
//! reads it at their level: the coordinator and the police everything they may see, reporters
//! what partners share, managers aggregated figures only.

use crate::AppState;
use crate::ctx::Ctx;
use crate::i18n::Lang;
use crate::insight::heat;
use crate::respond::{internal, login_redirect, render};
use crate::views;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::Date;
use minijinja::context;
use model::FieldError;
use serde::{Deserialize, Serialize};
use service::lagesbild::{self as lb, Lagesbild, Level, Request};
use std::fmt::Write as _;
use std::sync::Arc;
use store::{Place, User};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Params {
    from: Option<String>,
    to: Option<String>,
    area: Option<String>,
}

fn date(field: &str, v: Option<&str>, errors: &mut Vec<FieldError>) -> Option<Date> {
    let v = v.map(str::trim).filter(|v| !v.is_empty())?;
    match model::dates::date(v).ok_or(()) {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError::new(field, "error-date", v));
            None
        }
    }
}

/// The request the query asks for, or the errors that say which field is wrong.
fn request(
    p: &Params,
    today: Date,
    places: &[Place],
    lang: Lang,
    errors: &mut Vec<FieldError>,
) -> Request {
    let (def_from, def_to) = Request::default_period(today);
    let to = date("to", p.to.as_deref(), errors).unwrap_or(def_to);
    let from = date("from", p.from.as_deref(), errors).unwrap_or(if p.to.is_some() {
        to - jiff::ToSpan::days(13)
    } else {
        def_from
    });
    let (from, to) = match Request::period(from, to) {
        Ok((f, t, _)) => (f, t),
        Err(lb::LagesbildError::TooLong { .. }) => {
            errors.push(FieldError::new(
                "from",
                "error-period-too-long",
                from.to_string(),
            ));
            (def_from, def_to)
        }
        Err(_) => {
            errors.push(FieldError::new(
                "to",
                "error-interval-order",
                to.to_string(),
            ));
            (def_from, def_to)
        }
    };
    let area = match p.area.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(v) => match v
            .parse::<i64>()
            .ok()
            .and_then(|id| places.iter().find(|p| p.id == id))
        {
            Some(place) => Some(place.clone()),
            None => {
                errors.push(FieldError::new("area", "error-invalid-choice", v));
                None
            }
        },
    };
    Request {
        from,
        to,
        area,
        lang: crate::docs::language(lang),
    }
}

/// Makes the document for `user`, or says what is wrong with the query.
async fn document(
    state: &AppState,
    user: &User,
    p: &Params,
    lang: Lang,
) -> Result<Result<(Lagesbild, Vec<Place>, Option<String>), (Vec<FieldError>, Vec<Place>)>, String>
{
    let (tenant, places) = tokio::try_join!(
        state.store.tenant(user.tenant_id),
        state.store.places(user.tenant_id)
    )
    .map_err(|e| e.to_string())?;
    let tenant = tenant.ok_or("the user's tenant is gone")?;
    let mut errors = Vec::new();
    let today = state.now().to_zoned(service::stockholm()).date();
    let req = request(p, today, &places, lang, &mut errors);
    if !errors.is_empty() {
        return Ok(Err((errors, places)));
    }
    let level = Level::for_role(user.role);
    let actor = lb::view(tenant.id, Some(&user.actor()), level);
    let doc = lb::build(
        state.store.as_ref(),
        &actor,
        level,
        &tenant,
        &req,
        state.now(),
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(Ok((doc, places, tenant.map_style_url.clone())))
}

#[derive(Serialize)]
struct Row {
    label: String,
    code: String,
    count: u64,
    previous: u64,
    previous_change: String,
    last_year: u64,
    last_year_change: String,
}

fn page_context(state: &AppState, lang: Lang, doc: &Lagesbild) -> minijinja::Value {
    let i18n = &state.i18n;
    let t = |key: &str| i18n.t(lang, key, &[]);
    let change_text = |c: &service::insight::Change| views::change_text(i18n, lang, c);
    let rows: Vec<Row> = std::iter::once(&doc.total)
        .chain(&doc.categories)
        .map(|r| Row {
            label: r.label.clone(),
            code: r.code.clone(),
            count: r.count,
            previous: r.previous.before,
            previous_change: change_text(&r.previous),
            last_year: r.last_year.before,
            last_year_change: change_text(&r.last_year),
        })
        .collect();
    let weekdays: Vec<String> = (0..7).map(|d| t(&format!("weekday-{d}"))).collect();
    let actions: Vec<minijinja::Value> = doc
        .actions
        .iter()
        .map(|a| {
            context! {
                id => a.id, title => a.title, owner => a.owner, due => a.due,
                overdue => a.overdue,
                status => t(&format!("action-status-{}", a.status)),
            }
        })
        .collect();
    context! {
        doc => doc,
        rows,
        level => t(&format!("lagesbild-level-{}", match doc.level {
            Level::Restricted => "restricted",
            Level::Partners => "partners",
            Level::Management => "management",
        })),
        hours => (0..24).collect::<Vec<u32>>(),
        weekday_hour => heat(&weekdays, &doc.weekday_hour, lang),
        cluster_min => service::meetings::AGENDA_MIN_INCIDENTS,
        actions,
    }
}

/// `GET /lagesbild`: the lägesbild page. Query: `from`, `to` (YYYY-MM-DD, both included;
/// default the last two weeks), `area` (a place id).
pub async fn page(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(p): Query<Params>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    let lang = ctx.lang;
    let (doc, places, errors) = match document(&state, user, &p, lang).await {
        Ok(Ok((doc, places, _))) => (Some(doc), places, Vec::new()),
        Ok(Err((errors, places))) => (None, places, errors),
        Err(e) => return internal(&state, &ctx, "lagesbild", e),
    };
    let mut query = String::new();
    if let Some(d) = &doc {
        let _ = write!(query, "from={}&to={}", d.from, d.to);
        if let Some(a) = p.area.as_deref().filter(|a| !a.trim().is_empty()) {
            let _ = write!(query, "&area={}", a.trim());
        }
    }
    let mut areas: Vec<&Place> = places.iter().collect();
    store::sort_swedish(&mut areas, |p| p.name.as_str());
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = context! {
        errors => views::field_messages(&state.i18n, lang, &errors).1,
        from => p.from.clone().or_else(|| doc.as_ref().map(|d| d.from.clone())).unwrap_or_default(),
        to => p.to.clone().or_else(|| doc.as_ref().map(|d| d.to.clone())).unwrap_or_default(),
        area => p.area.clone().unwrap_or_default(),
        areas => areas.iter().map(|a| context! { id => a.id.to_string(), name => a.name, school => a.is_school }).collect::<Vec<_>>(),
        query,
        may_promote => matches!(user.role, model::Role::Admin | model::Role::Analyst),
        report => doc.as_ref().map(|d| page_context(&state, lang, d)),
    };
    render(&state, &ctx, "lagesbild.html", "lagesbild", page, status)
}

/// `GET /lagesbild.pdf`: the same lägesbild as an A4 PDF.
pub async fn pdf(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(p): Query<Params>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    let doc = match document(&state, user, &p, ctx.lang).await {
        Ok(Ok((doc, _, style))) => {
            let mut doc = doc;
            with_base_map(&mut doc, style.as_deref(), ctx.lang).await;
            doc
        }
        // The page shows what is wrong with the query.
        Ok(Err(_)) => return page(State(state), ctx, Query(p)).await,
        Err(e) => return internal(&state, &ctx, "lagesbild", e),
    };
    let name = format!(
        "lagesbild-{}-{}-{}.pdf",
        doc.municipality_code, doc.from, doc.to
    );
    crate::docs::pdf(&state, &ctx, report::Kind::Lagesbild, doc, name).await
}

/// Draws the PDF's map again over the municipality's base map when it has chosen raster tiles
/// (Lantmäteriet or its own tile server). A base map that cannot be fetched leaves the map as
/// it is and says so under it; the PDF is made either way.
pub async fn with_base_map(doc: &mut Lagesbild, style: Option<&str>, lang: Lang) {
    let Some(template) = crate::basemap::raster_template(style).map(str::to_string) else {
        return;
    };
    let mut input = doc.charts.map_input.clone();
    let [x0, y0, x1, y1] = chart::frame(&input);
    let (e0, n0) = (doc.map.e0, doc.map.n0);
    let frame = [e0 + x0, n0 + y0, e0 + x1, n0 + y1];
    let fetched = tokio::task::spawn_blocking({
        let template = template.clone();
        move || crate::basemap::fetch_tiles(&template, frame, (e0, n0))
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    match fetched {
        Ok(tiles) => {
            input.tiles = tiles;
            input.attribution = crate::basemap::attribution(&template, lang);
        }
        Err(e) => {
            tracing::warn!("the PDF's base map: {e}");
            input.attribution = match lang {
                Lang::Sv => "Bakgrundskartan kunde inte hämtas.".to_string(),
                Lang::En => "The base map could not be fetched.".to_string(),
            };
        }
    }
    doc.charts.map = chart::map(
        "lb-map-chart",
        lb::chart_lang(doc.lang),
        &input,
        &doc.charts.map_summary,
    );
}
