//! Hot spot cases: a significant cluster of the lägesbild (or an area drawn or chosen) worked
//! through the EST steps kartläggning → analys → åtgärder → uppföljning → avslutad, with a log
//! of visits and conversations (who was met — organisations and roles, never residents' names —
//! when, and what was learnt), its own trend and the analysis' suggestions: near-repeat
//! warnings from the Knox test on the municipality's own incidents.

use crate::fields::text;
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

/// A visit as submitted, checked (a date not in the future, who and what without personal data).
pub fn parse_visit(
    on: &str,
    who: &str,
    learnt: &str,
    today: Date,
) -> Result<Visit, Vec<FieldError>> {
    let mut errors = Vec::new();
    let date = match model::dates::date(on).ok_or(()) {
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
            by,
            tenant_id: tenant,
            // A case promoted from a cluster already says so in its title: once is enough.
            name: if name.contains("(hot spot)") {
                name.to_string()
            } else {
                format!("{name} (hot spot)")
            },
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
    /// New or intensifying hot spots of the municipality (the lägesbild's emerging hot spot
    /// analysis on its whole map) that touch the case's area.
    pub emerging: Vec<crate::hotspots::EmergingSpot>,
}

/// A box in SWEREF 99 TM metres around a WGS84 shape: [e0, n0, e1, n1].
fn sweref_box(geojson: &str) -> Option<[f64; 4]> {
    let [w, s, e, n] = geo::MultiPolygon::from_geojson_str(geojson).ok()?.bbox();
    let corners = [(w, s), (e, s), (e, n), (w, n)].map(|(lon, lat)| geo::to_sweref99tm(lon, lat));
    Some([
        corners.iter().map(|c| c.e).fold(f64::MAX, f64::min),
        corners.iter().map(|c| c.n).fold(f64::MAX, f64::min),
        corners.iter().map(|c| c.e).fold(f64::MIN, f64::max),
        corners.iter().map(|c| c.n).fold(f64::MIN, f64::max),
    ])
}

/// The case area's trend and the near-repeat warning, over what `actor` may see.
pub async fn analyse(
    store: &dyn Store,
    actor: &Actor,
    area_id: PlaceId,
    now: Timestamp,
) -> Result<CaseAnalysis, StoreError> {
    let (tenant, places) =
        tokio::try_join!(store.tenant(actor.tenant_id), store.places(actor.tenant_id))?;
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
    // The municipality's emerging hot spots (on the lägesbild's grid) that touch the area.
    let cell = crate::hotspots::HOT_CELL;
    let emerging = match (
        tenant.and_then(|t| sweref_box(&t.outline_geojson)),
        places
            .iter()
            .find(|p| p.id == area_id)
            .and_then(|p| sweref_box(&p.geometry_geojson)),
    ) {
        (Some([te0, tn0, te1, tn1]), Some([ae0, an0, ae1, an1])) => {
            let (e0, n0) = ((te0 / cell).floor() * cell, (tn0 / cell).floor() * cell);
            let nx = ((te1 - e0) / cell).ceil() as usize;
            let ny = ((tn1 - n0) / cell).ceil() as usize;
            let points = tenant_year.clone();
            let end = now.as_second();
            tokio::task::spawn_blocking(move || {
                crate::hotspots::emerging(&points, (e0, n0, nx, ny), end)
            })
            .await
            .map_err(|e| StoreError::Backend(format!("emerging task: {e}")))?
            .into_iter()
            .filter(|s| s.e0 <= ae1 && s.e1 >= ae0 && s.n0 <= an1 && s.n1 >= an0)
            .collect()
        }
        _ => Vec::new(),
    };
    Ok(CaseAnalysis {
        emerging,
        weekly,
        trend,
        trend_p: mk.p,
        near_repeat,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::conformance::{fixture, incident};

    #[tokio::test]
    async fn a_case_area_with_a_late_cluster_gets_an_emerging_hot_spot() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_sqlite::SqliteStore::open(dir.path().join("c.db").to_str().unwrap())
            .await
            .unwrap();
        let f = fixture(&store, "1960").await;
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        // The case's area: a small square in the middle of the municipality.
        let (lon0, lat0) = (16.15, 59.40);
        let ring = format!(
            r#"{{"type":"Polygon","coordinates":[[[{a},{b}],[{c},{b}],[{c},{d}],[{a},{d}],[{a},{b}]]]}}"#,
            a = lon0 - 0.01,
            b = lat0 - 0.005,
            c = lon0 + 0.01,
            d = lat0 + 0.005
        );
        let area = store
            .create_place(&store::NewPlace {
                by: None,
                tenant_id: f.tenant.id,
                name: "Torget".into(),
                kind: PlaceKind::Area,
                is_school: false,
                geometry_geojson: ring,
                lon: lon0,
                lat: lat0,
                is_demo: false,
            })
            .await
            .unwrap();
        let mut batch = Vec::new();
        let at = |days_ago: f64| {
            Timestamp::from_second(now.as_second() - (days_ago * 86_400.0) as i64).unwrap()
        };
        let mut put = |lon: f64, lat: f64, when: Timestamp, areas: Vec<i64>| {
            let mut n = incident(&f.teacher, "trafik", "2026-01-01T00:00:00Z");
            let p = geo::to_sweref99tm(lon, lat);
            (n.lon, n.lat, n.e, n.n) = (lon, lat, p.e, p.n);
            (n.occurred_from, n.occurred_to, n.created_at) = (when, when, when);
            n.area_ids = areas;
            batch.push(n);
        };
        // A thin background over the municipality all year…
        for k in 0..400 {
            let (x, y) = ((k * 37 % 100) as f64 / 100.0, (k * 61 % 100) as f64 / 100.0);
            let (lon, lat) = (16.02 + 0.26 * x, 59.32 + 0.16 * y);
            // (Away from the square: a stray point there would make it sporadic, not new.)
            if (lon - lon0).abs() > 0.03 || (lat - lat0).abs() > 0.015 {
                put(lon, lat, at(330.0 - (k as f64 * 0.8)), vec![]);
            }
        }
        // …and 40 incidents on the square in the last four weeks only.
        for k in 0..40 {
            let (dx, dy) = (
                (k % 5) as f64 * 0.002 - 0.004,
                ((k / 5) % 4) as f64 * 0.001 - 0.002,
            );
            put(
                lon0 + dx,
                lat0 + dy,
                at(1.0 + (k % 20) as f64),
                vec![area.id],
            );
        }
        store.insert_incidents(f.tenant.id, &batch).await.unwrap();
        let case = open(
            &store,
            f.tenant.id,
            "Torget",
            "",
            area.id,
            "area",
            Some(f.admin.id),
            now,
        )
        .await
        .unwrap();
        let found = analyse(
            &store,
            &f.admin.actor(),
            case_of(&case).unwrap().area_id,
            now,
        )
        .await
        .unwrap();
        assert!(
            found
                .emerging
                .iter()
                .any(|s| s.pattern == "new" && s.incidents >= 20),
            "{:?}",
            found.emerging
        );
        // The trend's last weeks hold the cluster.
        assert_eq!(found.weekly.iter().sum::<u64>(), 40);
    }
}
