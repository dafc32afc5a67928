//! Hot spot cases: a significant cluster of the lägesbild (or an area drawn or chosen) worked
//! through the EST steps kartläggning → analys → åtgärder → uppföljning → avslutad, with a log
//! of visits and conversations (who was met — organisations and roles, never residents' names —
//! when, and what was learnt), its own trend and the analysis' suggestions: near-repeat
//! warnings from the Knox test on the municipality's own incidents.

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use model::{CaseStep, FieldError, Precision, RecordKind};
use serde::{Deserialize, Serialize};
use store::{
    Actor, IncidentFilter, NewPlace, NewRecord, PlaceId, PlaceKind, Record, Store, StoreError,
    TenantId, UserId,
};

/// Free text of a case or a visit: at most this many characters.
pub const MAX_TEXT: usize = 2_000;
/// The trend chart's weeks.
pub const TREND_WEEKS: i64 = 26;
/// The near-repeat warning: this close, this soon after an incident (the Knox band it reads).
pub const WARN_METRES: f64 = 200.0;
pub const WARN_DAYS: i64 = 14;

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("the case is not valid: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error("case {0} not found")]
    NotFound(i64),
    #[error("stored case {id} is not valid: {reason}")]
    Corrupt { id: i64, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One step taken, with when and by whom.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepChange {
    pub step: CaseStep,
    pub at: Timestamp,
    pub by: Option<UserId>,
    #[serde(default)]
    pub note: String,
}

/// A hot spot case's document (`RecordKind::Case`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Case {
    pub title: String,
    pub step: CaseStep,
    /// The area worked on (made from the cluster when promoted).
    pub area_id: PlaceId,
    /// "hotspot" (promoted from a cluster of the lägesbild) or "area" (an area chosen).
    pub origin: String,
    #[serde(default)]
    pub description: String,
    pub steps: Vec<StepChange>,
}

/// A visit or conversation (`RecordKind::Visit`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Visit {
    pub on: Date,
    /// Organisations and roles met, e.g. "fastighetsvärd, fritidsgården" — no names of residents.
    pub who: String,
    pub learnt: String,
}

fn text(field: &str, v: &str, required: bool, max: usize, errors: &mut Vec<FieldError>) -> String {
    let t = v.trim().to_string();
    if t.is_empty() && required {
        errors.push(FieldError::new(field, "error-required", v));
    } else if t.chars().count() > max || t.chars().any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        errors.push(FieldError::new(field, "error-description", v));
    }
    let found = model::screening::screen(&t);
    if !found.is_empty() {
        let list: Vec<&str> = found.iter().map(|f| f.text.as_str()).collect();
        errors.push(FieldError::new(field, "error-sensitive", list.join(", ")));
    }
    t
}

/// A visit as submitted, checked (a date not in the future, who and what without personal data).
pub fn parse_visit(
    on: &str,
    who: &str,
    learnt: &str,
    today: Date,
) -> Result<Visit, Vec<FieldError>> {
    let mut errors = Vec::new();
    let date = match on.trim().parse::<Date>() {
        Ok(d) if d <= today => Some(d),
        Ok(_) => {
            errors.push(FieldError::new("on", "error-time-future", on));
            None
        }
        Err(_) => {
            errors.push(FieldError::new("on", "error-date", on));
            None
        }
    };
    let who = text("who", who, true, 200, &mut errors);
    let learnt = text("learnt", learnt, true, MAX_TEXT, &mut errors);
    match date {
        Some(on) if errors.is_empty() => Ok(Visit { on, who, learnt }),
        _ => Err(errors),
    }
}

pub fn case_of(r: &Record) -> Result<Case, CaseError> {
    if r.kind != RecordKind::Case {
        return Err(CaseError::NotFound(r.id));
    }
    serde_json::from_value(r.data.clone()).map_err(|e| CaseError::Corrupt {
        id: r.id,
        reason: e.to_string(),
    })
}

pub fn visit_of(r: &Record) -> Result<Visit, CaseError> {
    serde_json::from_value(r.data.clone()).map_err(|e| CaseError::Corrupt {
        id: r.id,
        reason: e.to_string(),
    })
}

/// Opens a case on an area of the tenant (step kartläggning).
#[allow(clippy::too_many_arguments)]
pub async fn open(
    store: &dyn Store,
    tenant: TenantId,
    title: &str,
    description: &str,
    area_id: PlaceId,
    origin: &str,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<Record, CaseError> {
    let mut errors = Vec::new();
    let title_t = text("title", title, true, 200, &mut errors);
    let description = text("description", description, false, MAX_TEXT, &mut errors);
    let places = store.places(tenant).await?;
    if !places
        .iter()
        .any(|p| p.id == area_id && p.kind == PlaceKind::Area)
    {
        errors.push(FieldError::new(
            "area_id",
            "error-invalid-choice",
            area_id.to_string(),
        ));
    }
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    let case = Case {
        title: title_t,
        step: CaseStep::Kartlaggning,
        area_id,
        origin: origin.into(),
        description,
        steps: vec![StepChange {
            step: CaseStep::Kartlaggning,
            at: now,
            by,
            note: String::new(),
        }],
    };
    Ok(store
        .create_record(&NewRecord {
            tenant_id: tenant,
            kind: RecordKind::Case,
            parent_id: None,
            data: serde_json::to_value(&case).map_err(|e| CaseError::Corrupt {
                id: 0,
                reason: e.to_string(),
            })?,
            by,
            at: now,
        })
        .await?)
}

/// Promotes a hot spot cluster (its SWEREF 99 TM box) to a case: the box becomes an area of the
/// tenant (so the case's trend, actions and their evaluation use it), then the case opens on it.
#[allow(clippy::too_many_arguments)]
pub async fn promote(
    store: &dyn Store,
    tenant: TenantId,
    title: &str,
    description: &str,
    [e0, n0, e1, n1]: [f64; 4],
    by: Option<UserId>,
    now: Timestamp,
) -> Result<Record, CaseError> {
    let sane = |v: f64| v.is_finite() && v.abs() < 10_000_000.0;
    if ![e0, n0, e1, n1].into_iter().all(sane) || e1 <= e0 || n1 <= n0 || e1 - e0 > 20_000.0 {
        return Err(CaseError::Invalid(vec![FieldError::new(
            "cluster",
            "error-invalid-choice",
            format!("{e0},{n0},{e1},{n1}"),
        )]));
    }
    let mut errors = Vec::new();
    let name = text("title", title, true, 200, &mut errors);
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    let corner = |e: f64, n: f64| {
        let (lon, lat) = geo::from_sweref99tm(geo::Sweref99Tm { e, n });
        [lon, lat]
    };
    let ring = [
        corner(e0, n0),
        corner(e1, n0),
        corner(e1, n1),
        corner(e0, n1),
        corner(e0, n0),
    ];
    let centre = corner((e0 + e1) / 2.0, (n0 + n1) / 2.0);
    let place = store
        .create_place(&NewPlace {
            tenant_id: tenant,
            name: format!("{name} (hot spot)"),
            kind: PlaceKind::Area,
            is_school: false,
            geometry_geojson: serde_json::json!({"type": "Polygon", "coordinates": [ring]})
                .to_string(),
            lon: centre[0],
            lat: centre[1],
            is_demo: false,
        })
        .await?;
    open(
        store,
        tenant,
        title,
        description,
        place.id,
        "hotspot",
        by,
        now,
    )
    .await
}

/// Moves a case to a step (any step: work goes back as well as forward), logged with a note.
pub async fn set_step(
    store: &dyn Store,
    tenant: TenantId,
    id: i64,
    step: CaseStep,
    note: &str,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<Record, CaseError> {
    let r = store
        .record(tenant, id)
        .await?
        .ok_or(CaseError::NotFound(id))?;
    let mut case = case_of(&r)?;
    let mut errors = Vec::new();
    let note = text("note", note, false, MAX_TEXT, &mut errors);
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    case.step = step;
    case.steps.push(StepChange {
        step,
        at: now,
        by,
        note,
    });
    let data = serde_json::to_value(&case).map_err(|e| CaseError::Corrupt {
        id,
        reason: e.to_string(),
    })?;
    Ok(store.update_record(tenant, id, &data, by, now).await?)
}

pub async fn add_visit(
    store: &dyn Store,
    tenant: TenantId,
    case_id: i64,
    visit: &Visit,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<Record, CaseError> {
    let data = serde_json::to_value(visit).map_err(|e| CaseError::Corrupt {
        id: case_id,
        reason: e.to_string(),
    })?;
    Ok(store
        .create_record(&NewRecord {
            tenant_id: tenant,
            kind: RecordKind::Visit,
            parent_id: Some(case_id),
            data,
            by,
            at: now,
        })
        .await?)
}

/// A recent incident in the case's area after which the risk nearby is elevated.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    pub incident_id: i64,
    pub occurred: Timestamp,
    pub until: Date,
}

/// What the analysis says about a case's area.
#[derive(Debug, Clone, Serialize)]
pub struct CaseAnalysis {
    /// Incidents per week in the area, the last `TREND_WEEKS` weeks, oldest first.
    pub weekly: Vec<u64>,
    /// Mann–Kendall over those weeks: "up", "down" or "none".
    pub trend: &'static str,
    pub trend_p: f64,
    /// The Knox band (0–`WARN_METRES` m, 0–`WARN_DAYS` days) on the municipality's last year,
    /// when near repeats are significant in it (ratio > 1, p ≤ 0.05).
    pub near_repeat: Option<crate::insight::NearRepeat>,
    /// Incidents of the last `WARN_DAYS` days in the area, each with the day its elevated risk
    /// ends; empty unless near repeats are significant.
    pub warnings: Vec<Warning>,
}

/// The case area's trend and the near-repeat warning, over what `actor` may see.
pub async fn analyse(
    store: &dyn Store,
    actor: &Actor,
    area_id: PlaceId,
    now: Timestamp,
) -> Result<CaseAnalysis, StoreError> {
    let tz = crate::stockholm();
    let week = 7 * 86_400;
    let start = Timestamp::from_second(now.as_second() - TREND_WEEKS * week).unwrap_or(now);
    let year = Timestamp::from_second(now.as_second() - 365 * 86_400).unwrap_or(now);
    let (area, all) = (
        IncidentFilter {
            from: Some(start),
            to: Some(now),
            area_id: Some(area_id),
            ..Default::default()
        },
        IncidentFilter {
            from: Some(year),
            to: Some(now),
            ..Default::default()
        },
    );
    let (in_area, tenant_year) = tokio::try_join!(
        store.incident_points(actor, &area, 200_000),
        store.incident_points(actor, &all, crate::insight::KNOX_MAX_POINTS as u32 + 1),
    )?;
    let mut weekly = vec![0u64; TREND_WEEKS as usize];
    for p in &in_area {
        let k = (p.occurred_from.as_second() - start.as_second()) / week;
        if let Some(w) = weekly.get_mut(k as usize) {
            *w += 1;
        }
    }
    let mk = analysis::mann_kendall(&weekly.iter().map(|&c| c as f64).collect::<Vec<_>>());
    let trend = match (mk.direction, mk.p <= 0.05) {
        (analysis::Direction::Increasing, true) => "up",
        (analysis::Direction::Decreasing, true) => "down",
        _ => "none",
    };
    let located: Vec<_> = tenant_year
        .iter()
        .filter(|p| matches!(p.precision, Precision::Exact | Precision::Place))
        .collect();
    let near_repeat = if located.len() >= 10 && located.len() <= crate::insight::KNOX_MAX_POINTS {
        let xs: Vec<f64> = located.iter().map(|p| p.e).collect();
        let ys: Vec<f64> = located.iter().map(|p| p.n).collect();
        let ts: Vec<f64> = located
            .iter()
            .map(|p| p.occurred_from.as_second() as f64 / 86_400.0)
            .collect();
        // One band: pairs within WARN_METRES and WARN_DAYS of each other.
        let (space, time) = ([WARN_METRES], [WARN_DAYS as f64]);
        tokio::task::spawn_blocking(move || {
            analysis::knox(&xs, &ys, &ts, &space, &time, 99, 1, false)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("knox task: {e}")))?
        .ok()
        .and_then(|bands| bands.into_iter().next())
        .map(|b| crate::insight::NearRepeat {
            space_from: b.space_from,
            space_to: b.space_to,
            time_from: b.time_from,
            time_to: b.time_to,
            observed: b.observed,
            expected: b.expected,
            ratio: b.ratio,
            p: b.p,
        })
        .filter(|b| b.ratio > 1.0 && b.p <= 0.05)
    } else {
        None
    };
    let since = now.as_second() - WARN_DAYS * 86_400;
    let mut warnings: Vec<Warning> = if near_repeat.is_some() {
        in_area
            .iter()
            .filter(|p| p.occurred_from.as_second() >= since)
            .map(|p| Warning {
                incident_id: p.id,
                occurred: p.occurred_from,
                until: p.occurred_from.to_zoned(tz.clone()).date() + WARN_DAYS.days(),
            })
            .collect()
    } else {
        Vec::new()
    };
    warnings.sort_by_key(|w| std::cmp::Reverse(w.occurred));
    Ok(CaseAnalysis {
        weekly,
        trend,
        trend_p: mk.p,
        near_repeat,
        warnings,
    })
}
