//! The analysis page and its API: trends against the period before, time patterns, near-repeat
//! warnings (service::insight) and kernel density; only what the caller may see.

use crate::AppState;
use crate::api::{ApiUser, cells_geojson, internal, unprocessable};
use crate::ctx::Ctx;
use crate::filters::{ListParams, filter_or_errors, number_in};
use crate::i18n::Lang;
use crate::respond::{login_redirect, render};
use crate::views;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fluent_bundle::FluentValue;
use jiff::Timestamp;
use minijinja::context;
use model::{FieldError, Precision};
use serde::Serialize;
use service::insight::{Insight, insight};
use std::sync::Arc;
use store::{Actor, IncidentFilter};

/// Periods offered on the page (days).
const PERIODS: [i64; 6] = [7, 14, 28, 91, 182, 365];
/// At most this many incidents are analysed in one request (both periods).
const MAX_POINTS: u32 = 500_000;

#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct AnalysisParams {
    days: Option<String>,
    cell: Option<String>,
    bandwidth: Option<String>,
}

fn parse_days(v: Option<&str>, errors: &mut Vec<FieldError>) -> i64 {
    match v.map(|d| d.trim().parse::<i64>()) {
        None => 28,
        Some(Ok(d)) if (7..=365).contains(&d) => d,
        _ => {
            errors.push(FieldError::new(
                "days",
                "error-invalid-choice",
                v.unwrap_or_default(),
            ));
            28
        }
    }
}

/// The incident filters of the query, with the time window set to [now − 2·days, now).
fn window(
    q: &ListParams,
    days: i64,
    now: Timestamp,
    errors: &mut Vec<FieldError>,
) -> IncidentFilter {
    let mut filter = filter_or_errors(q, errors);
    filter.from = Timestamp::from_second(now.as_second() - 2 * days * 86_400).ok();
    filter.to = Some(now);
    filter
}

async fn load(
    state: &AppState,
    actor: &Actor,
    filter: &IncidentFilter,
    now: Timestamp,
    days: i64,
) -> Result<Insight, String> {
    let points = state
        .store
        .incident_points(actor, filter, MAX_POINTS)
        .await
        .map_err(|e| e.to_string())?;
    // Knox and the profiles are CPU work: off the async threads.
    let tz = service::stockholm();
    tokio::task::spawn_blocking(move || insight(&points, now, days, &tz))
        .await
        .map_err(|e| format!("analysis task: {e}"))
}

/// `GET /api/v1/analysis`: the period's trends, time patterns and near repeats as JSON.
/// Query: `days` (7–365, default 28; the period ends now and is compared with the `days`
/// before) and the incident filters `category`, `area`, `org`, `status`, `source`.
#[utoipa::path(get, path = "/api/v1/analysis", tag = "analysis", params(crate::filters::ListParams, AnalysisParams), responses((status = 200, description = "Trends, time patterns, near repeats and areas", body = Object), (status = 400, description = "A query that cannot be read at all"), (status = 401, description = "No valid API token", body = crate::openapi::ApiError), (status = 422, description = "Fields refused, each named", body = Vec<crate::openapi::FieldProblem>), (status = 503, description = "Too many analyses at once, or too long; try again (Retry-After)", body = crate::openapi::ApiError, headers(("Retry-After" = u32, description = "Seconds")))))]
pub async fn api_analysis(
    State(state): State<Arc<AppState>>,
    api: ApiUser,
    Query(q): Query<ListParams>,
    Query(a): Query<AnalysisParams>,
) -> Response {
    let mut errors = Vec::new();
    let days = parse_days(a.days.as_deref(), &mut errors);
    let now = state.now();
    let filter = window(&q, days, now, &mut errors);
    if !errors.is_empty() {
        return unprocessable(&state, api.lang, &errors);
    }
    let actor = api.user.actor();
    let areas = async {
        service::insight::area_changes(state.store.as_ref(), &actor, &filter, now, days)
            .await
            .map_err(|e| e.to_string())
    };
    match tokio::try_join!(load(&state, &actor, &filter, now, days), areas) {
        Ok((i, areas)) => {
            let mut v = serde_json::to_value(i).unwrap_or_default();
            v["areas"] = serde_json::to_value(areas).unwrap_or_default();
            axum::Json(v).into_response()
        }
        Err(e) => internal(e),
    }
}

/// `GET /api/v1/density.geojson`: quartic kernel density (incidents per km²) of the located
/// incidents the caller may see, as cell polygons; cells below 1 % of the peak are left out.
/// Query: the incident filters (`from`, `to`, …), `cell` (50–1000 m, default 100) and
/// `bandwidth` (100–3000 m and at least the cell, default 400).
#[utoipa::path(get, path = "/api/v1/density.geojson", tag = "analysis", params(crate::filters::ListParams, AnalysisParams), responses((status = 200, description = "Kernel density cells", content_type = "application/geo+json", body = crate::openapi::FeatureCollection), (status = 400, description = "A query that cannot be read at all"), (status = 401, description = "No valid API token", body = crate::openapi::ApiError), (status = 422, description = "Fields refused, each named", body = Vec<crate::openapi::FieldProblem>), (status = 503, description = "Too many analyses at once, or too long; try again (Retry-After)", body = crate::openapi::ApiError, headers(("Retry-After" = u32, description = "Seconds")))))]
pub async fn density(
    State(state): State<Arc<AppState>>,
    api: ApiUser,
    Query(q): Query<ListParams>,
    Query(a): Query<AnalysisParams>,
) -> Response {
    let mut errors = Vec::new();
    let filter = filter_or_errors(&q, &mut errors);
    let cell = number_in(
        a.cell.as_deref(),
        "cell",
        (50.0, 1000.0),
        100.0,
        &mut errors,
    );
    let bandwidth = number_in(
        a.bandwidth.as_deref(),
        "bandwidth",
        (cell.max(100.0), 3000.0),
        400.0_f64.max(cell),
        &mut errors,
    );
    if !errors.is_empty() {
        return unprocessable(&state, api.lang, &errors);
    }
    let points = match state
        .store
        .incident_points(&api.user.actor(), &filter, MAX_POINTS)
        .await
    {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let (xs, ys): (Vec<f64>, Vec<f64>) = points
        .iter()
        .filter(|p| matches!(p.precision, Precision::Exact | Precision::Place))
        .map(|p| (p.e, p.n))
        .unzip();
    if xs.is_empty() {
        return cells_geojson(None, cell, std::iter::empty());
    }
    // The grid reaches one bandwidth beyond the points, so the density fades out on it.
    let mut ext = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for (&x, &y) in xs.iter().zip(&ys) {
        ext = [ext[0].min(x), ext[1].min(y), ext[2].max(x), ext[3].max(y)];
    }
    let ext = [
        ext[0] - bandwidth,
        ext[1] - bandwidth,
        ext[2] + bandwidth,
        ext[3] + bandwidth,
    ];
    let result = analysis::Grid::bin(&xs, &ys, cell, Some(ext))
        .and_then(|g| analysis::quartic_kde(&xs, &ys, &g, bandwidth).map(|d| (g, d)));
    let (grid, dens) = match result {
        Ok(r) => r,
        Err(e) if crate::api::too_large(&e) => {
            return crate::api::analysis_too_large(&state, api.lang, "bandwidth", e);
        }
        Err(_) => return cells_geojson(None, cell, std::iter::empty()),
    };
    let peak = dens.iter().cloned().fold(0.0, f64::max);
    cells_geojson(
        Some(&grid),
        cell,
        (0..dens.len())
            .filter(|&k| dens[k] > 0.0 && dens[k] >= peak / 100.0)
            .map(|k| {
                // Five levels of the peak, for a legend that means the same on every map.
                let level = ((dens[k] / peak * 5.0).ceil() as u8).clamp(1, 5);
                (k, format!(r#""density":{:.3},"level":{level}"#, dens[k]))
            }),
    )
}

#[derive(Serialize)]
pub(crate) struct Cell {
    text: String,
    level: u8,
}

#[derive(Serialize)]
pub(crate) struct Row {
    label: String,
    cells: Vec<Cell>,
}

#[derive(Serialize)]
struct ChangeRow {
    label: String,
    before: u64,
    after: u64,
    change: String,
}

pub(crate) fn number(v: f64, decimals: usize, lang: Lang) -> String {
    let s = format!("{v:.decimals$}");
    if lang == Lang::Sv {
        s.replace('.', ",")
    } else {
        s
    }
}

/// Heat rows: each value as text and a level 0–4 of the table's largest.
pub(crate) fn heat(labels: &[String], rows: &[Vec<f64>], lang: Lang) -> Vec<Row> {
    let max = rows.iter().flatten().cloned().fold(0.0, f64::max);
    labels
        .iter()
        .zip(rows)
        .map(|(label, row)| Row {
            label: label.clone(),
            cells: row
                .iter()
                .map(|&v| Cell {
                    text: number(v, if v.fract() == 0.0 { 0 } else { 1 }, lang),
                    level: if max > 0.0 && v > 0.0 {
                        ((v / max * 4.0).ceil() as u8).clamp(1, 4)
                    } else {
                        0
                    },
                })
                .collect(),
        })
        .collect()
}

/// `GET /analysis`: the analysis page.
pub async fn analysis_page(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<ListParams>,
    Query(a): Query<AnalysisParams>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if let Some(r) = crate::respond::not_for_role(&state, &ctx, user, crate::access::Page::Analysis)
    {
        return r;
    }
    let mut errors = Vec::new();
    let days = parse_days(a.days.as_deref(), &mut errors);
    let now = state.now();
    let filter = window(&q, days, now, &mut errors);
    let lang = ctx.lang;
    let i18n = &state.i18n;
    let t = |key: &str| i18n.t(lang, key, &[]);
    let actor = user.actor();
    let (cats, found, areas) = match tokio::try_join!(
        async {
            state
                .store
                .categories(user.tenant_id)
                .await
                .map_err(|e| e.to_string())
        },
        load(&state, &actor, &filter, now, days),
        async {
            service::insight::area_changes(state.store.as_ref(), &actor, &filter, now, days)
                .await
                .map_err(|e| e.to_string())
        },
    ) {
        Ok(x) => x,
        Err(e) => return internal_page(&state, &ctx, e),
    };
    let tz = service::stockholm();
    let change_text = |c: &service::insight::Change| views::change_text(i18n, lang, c);
    let mut changes = vec![ChangeRow {
        label: t("analysis-all"),
        before: found.total.before,
        after: found.total.after,
        change: change_text(&found.total),
    }];
    changes.extend(found.categories.iter().map(|c| ChangeRow {
        label: views::category_name(&cats, &c.category, lang),
        before: c.before,
        after: c.after,
        change: change_text(c),
    }));
    let areas: Vec<ChangeRow> = areas
        .iter()
        .map(|a| ChangeRow {
            label: a.name.clone(),
            before: a.change.before,
            after: a.change.after,
            change: change_text(&a.change),
        })
        .collect();
    let weekdays: Vec<String> = (0..7).map(|d| t(&format!("weekday-{d}"))).collect();
    let months: Vec<String> = (0..12).map(|m| t(&format!("month-{m}"))).collect();
    let weekday_hour = heat(&weekdays, &found.weekday_hour, lang);
    let month = heat(
        &[t("analysis-incidents")],
        std::slice::from_ref(&found.month),
        lang,
    );
    let near: Vec<Vec<String>> = found
        .near_repeat
        .iter()
        .flatten()
        .map(|b| {
            vec![
                format!("{}–{} m", b.space_from, b.space_to),
                i18n.t(
                    lang,
                    "analysis-days-range",
                    &[
                        ("from", FluentValue::from(b.time_from)),
                        ("to", FluentValue::from(b.time_to)),
                    ],
                ),
                b.observed.to_string(),
                number(b.expected, 1, lang),
                number(b.ratio, 2, lang),
                number(b.p, 2, lang),
            ]
        })
        .collect();
    let warning = found.near_repeat_warning.as_ref().map(|b| {
        i18n.t(
            lang,
            "analysis-near-repeat-warning",
            &[
                ("ratio", FluentValue::from(number(b.ratio, 1, lang))),
                ("metres", FluentValue::from(b.space_to)),
                ("days", FluentValue::from(b.time_to)),
            ],
        )
    });
    // The charts: the same drawing and the same trend rule as the lägesbild.
    let clang = service::lagesbild::chart_lang(crate::docs::language(lang));
    let first = found.from.to_zoned(tz.clone()).date();
    let bars = service::lagesbild::week_bars(&found.weekly, 0, (first, first), days);
    let weekly_words =
        service::lagesbild::trend_words(clang, &bars, found.total.after, found.total.before);
    let change_rows: Vec<chart::ChangeRow> = found
        .categories
        .iter()
        .map(|c| chart::ChangeRow {
            label: views::category_name(&cats, &c.category, lang),
            now: c.after,
            before: c.before,
            sig: match c.change {
                "up" => chart::Sig::Up,
                "down" => chart::Sig::Down,
                _ => chart::Sig::None,
            },
        })
        .collect();
    let before_days = i18n
        .t(
            lang,
            "analysis-before",
            &[("days", FluentValue::from(days))],
        )
        .to_lowercase();
    let page = context! {
        days,
        periods => PERIODS,
        category => q.category.trim(),
        categories => views::categories(&cats, lang),
        errors => views::field_messages(i18n, lang, &errors).1,
        from => views::local(found.from, &tz),
        to => views::local(found.to, &tz),
        changes,
        areas,
        weekly_chart => chart::weekly("analysis-weekly-chart", clang, &bars, &weekly_words),
        weekly_words,
        change_chart => chart::change("analysis-change-chart", clang, &change_rows, &before_days),
        week_chart => chart::week_hours("analysis-week-chart", clang, &found.weekday_hour),
        hours => (0..24).collect::<Vec<u32>>(),
        weekday_hour,
        months,
        month,
        near,
        near_missing => found.near_repeat.is_none(),
        warning,
    };
    render(
        &state,
        &ctx,
        "analysis.html",
        "analysis",
        page,
        StatusCode::OK,
    )
}

fn internal_page(state: &AppState, ctx: &Ctx, e: String) -> Response {
    crate::respond::internal(state, ctx, "analysis", e)
}
