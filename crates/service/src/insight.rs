//! The analysis of a period for the lägesbild page and API: how the period compares with the
//! one before (per category and in all), whether the weekly counts trend, when in the week and
//! year incidents happen (aoristic), and whether incidents come back near in time and place
//! (Knox). Pure over the points the caller may see; the web crate fetches and renders.

use jiff::{Timestamp, tz::TimeZone};
use model::Precision;
use serde::Serialize;
use std::collections::BTreeMap;
use store::IncidentPoint;

/// Near-repeat bands, as the Near Repeat Calculator's common setting for a municipality.
pub const SPACE_BANDS: [f64; 3] = [100.0, 200.0, 400.0];
pub const TIME_BANDS: [f64; 3] = [7.0, 14.0, 28.0];
const PERMUTATIONS: usize = 99;
/// Above this many located incidents the Knox test is left out (it stays well under a second
/// below it).
pub const KNOX_MAX_POINTS: usize = 50_000;

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Category code, or empty for all incidents.
    pub category: String,
    pub before: u64,
    pub after: u64,
    /// after / before (the periods are equally long); absent when before is 0.
    pub ratio: Option<f64>,
    pub p: f64,
    /// "up", "down" (at the 5 % level) or "none".
    pub change: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct NearRepeat {
    pub space_from: f64,
    pub space_to: f64,
    pub time_from: f64,
    pub time_to: f64,
    pub observed: u64,
    pub expected: f64,
    pub ratio: f64,
    pub p: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Insight {
    pub from: Timestamp,
    pub to: Timestamp,
    pub days: i64,
    /// All incidents, then one row per category with incidents in either period.
    pub total: Change,
    pub categories: Vec<Change>,
    /// Incidents per week of the period (the last week may be shorter), and their trend.
    pub weekly: Vec<u64>,
    pub weekly_trend: &'static str,
    pub weekly_trend_p: f64,
    /// Aoristic weights, rows Monday..Sunday × hours 0..23, and January..December.
    pub weekday_hour: Vec<Vec<f64>>,
    pub month: Vec<f64>,
    /// Knox table of the located incidents of the period (absent with fewer than 10 or more
    /// than `KNOX_MAX_POINTS`), and the closest band if it shows near repeats.
    pub near_repeat: Option<Vec<NearRepeat>>,
    pub near_repeat_warning: Option<NearRepeat>,
}

fn direction(d: analysis::Direction) -> &'static str {
    match d {
        analysis::Direction::Increasing => "up",
        analysis::Direction::Decreasing => "down",
        analysis::Direction::None => "none",
    }
}

/// The change between two equally long periods, marked at the 5 % level (Poisson).
pub fn change(category: String, before: u64, after: u64) -> Change {
    let t = analysis::two_periods(before, after, 1.0, 1.0);
    let change = if t.p <= 0.05 && after > before {
        "up"
    } else if t.p <= 0.05 && after < before {
        "down"
    } else {
        "none"
    };
    Change {
        category,
        before,
        after,
        ratio: (before > 0).then(|| after as f64 / before as f64),
        p: t.p,
        change,
    }
}

/// `points`: the incidents the caller may see that started in [from − days, to); the period
/// analysed is [to − days, to), compared with the `days` before it.
pub fn insight(points: &[IncidentPoint], to: Timestamp, days: i64, tz: &TimeZone) -> Insight {
    let span = days * 86_400;
    let start = to.as_second() - span;
    let (mut before, mut after) = (0u64, 0u64);
    let mut per_cat: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let weeks = (days as usize).div_ceil(7);
    let mut weekly = vec![0u64; weeks];
    let (mut from_local, mut to_local) = (Vec::new(), Vec::new());
    let (mut xs, mut ys, mut ts) = (Vec::new(), Vec::new(), Vec::new());
    for p in points {
        let t = p.occurred_from.as_second();
        if t >= to.as_second() || t < start - span {
            continue;
        }
        let entry = per_cat.entry(p.category.as_str().to_string()).or_default();
        if t < start {
            before += 1;
            entry.0 += 1;
            continue;
        }
        after += 1;
        entry.1 += 1;
        weekly[((t - start) / (7 * 86_400)) as usize] += 1;
        let local = |ts: Timestamp| ts.as_second() + i64::from(tz.to_offset(ts).seconds());
        from_local.push(local(p.occurred_from));
        to_local.push(local(p.occurred_to.max(p.occurred_from)));
        // Near repeats need where it happened: a map point or a named place, not the centre of
        // an area, a retention cell or the municipality.
        if matches!(p.precision, Precision::Exact | Precision::Place) {
            xs.push(p.e);
            ys.push(p.n);
            ts.push(t as f64 / 86_400.0);
        }
    }
    // Mann–Kendall over whole weeks only (a short last week would look like a fall).
    let full: Vec<f64> = weekly[..(days as usize / 7)]
        .iter()
        .map(|&c| c as f64)
        .collect();
    let mk = analysis::mann_kendall(&full);
    let near_repeat = (xs.len() >= 10 && xs.len() <= KNOX_MAX_POINTS)
        .then(|| {
            analysis::knox(
                &xs,
                &ys,
                &ts,
                &SPACE_BANDS,
                &TIME_BANDS,
                PERMUTATIONS,
                1,
                false,
            )
            .ok()
        })
        .flatten()
        .map(|table| {
            table
                .into_iter()
                .map(|b| NearRepeat {
                    space_from: b.space_from,
                    space_to: b.space_to,
                    time_from: b.time_from,
                    time_to: b.time_to,
                    observed: b.observed,
                    expected: b.expected,
                    ratio: b.ratio,
                    p: b.p,
                })
                .collect::<Vec<_>>()
        });
    // A warning when the closest band holds clearly more pairs than chance would give.
    let near_repeat_warning = near_repeat
        .as_ref()
        .and_then(|t| t.first())
        .filter(|b| b.p <= 0.05 && b.ratio >= 1.2 && b.observed >= 3)
        .cloned();
    let profile = analysis::weekday_hour_profile(&from_local, &to_local);
    Insight {
        from: Timestamp::from_second(start).unwrap_or(to),
        to,
        days,
        total: change(String::new(), before, after),
        categories: per_cat
            .into_iter()
            .map(|(c, (b, a))| change(c, b, a))
            .collect(),
        weekly,
        weekly_trend: if full.len() >= 4 {
            direction(mk.direction)
        } else {
            "none"
        },
        weekly_trend_p: mk.p,
        weekday_hour: profile.iter().map(|row| row.to_vec()).collect(),
        month: analysis::month_profile(&from_local, &to_local).to_vec(),
        near_repeat,
        near_repeat_warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{CategoryCode, IncidentStatus};

    fn point(cat: &str, at: &str, e: f64, n: f64) -> IncidentPoint {
        let t: Timestamp = at.parse().unwrap();
        IncidentPoint {
            id: 1,
            category: CategoryCode::parse(cat).unwrap(),
            occurred_from: t,
            occurred_to: t,
            lon: 16.0,
            lat: 59.4,
            e,
            n,
            precision: Precision::Exact,
            status: IncidentStatus::New,
            municipality_code: None,
        }
    }

    #[test]
    fn periods_trends_profiles_and_near_repeats() {
        let tz = crate::stockholm();
        let to: Timestamp = "2026-11-01T00:00:00Z".parse().unwrap();
        let mut pts = Vec::new();
        // Before (Sept 6 – Oct 4): 5 thefts. After (Oct 4 – Nov 1): 40 thefts, every evening
        // at 21:00 Swedish time, in pairs 50 m and one day apart; and 2 fires in both periods.
        for d in 0..5 {
            pts.push(point(
                "stold",
                &format!("2026-09-{:02}T12:00:00Z", 10 + d),
                0.0,
                0.0,
            ));
        }
        for d in 0..20 {
            let day = 4 + d;
            let (e, n) = (600_000.0 + 1000.0 * d as f64, 6_580_000.0);
            pts.push(point("stold", &format!("2026-10-{day:02}T19:00:00Z"), e, n));
            pts.push(point(
                "stold",
                &format!("2026-10-{:02}T19:00:00Z", day + 1),
                e + 50.0,
                n,
            ));
        }
        for at in [
            "2026-09-20T10:00:00Z",
            "2026-09-21T10:00:00Z",
            "2026-10-20T10:00:00Z",
            "2026-10-21T10:00:00Z",
        ] {
            pts.push(point("brand", at, 0.0, 0.0));
        }
        // Outside both periods: ignored.
        pts.push(point("stold", "2026-11-02T10:00:00Z", 0.0, 0.0));
        let i = insight(&pts, to, 28, &tz);
        assert_eq!((i.total.before, i.total.after), (7, 42));
        assert_eq!(i.total.change, "up");
        let theft = i.categories.iter().find(|c| c.category == "stold").unwrap();
        assert_eq!((theft.before, theft.after, theft.change), (5, 40, "up"));
        let fire = i.categories.iter().find(|c| c.category == "brand").unwrap();
        assert_eq!((fire.before, fire.after, fire.change), (2, 2, "none"));
        assert_eq!(i.weekly.iter().sum::<u64>(), 42);
        assert_eq!(i.weekly.len(), 4);
        // 19:00 UTC is 21:00 in Swedish summer time (until the clocks go back on Oct 25).
        let at_21: f64 = i.weekday_hour.iter().map(|r| r[21]).sum();
        assert_eq!(at_21, 40.0);
        assert_eq!(i.month[9], 42.0);
        // The pairs are near repeats: within 100 m and 7 days, far more than chance.
        let nr = i.near_repeat.as_ref().unwrap();
        assert_eq!(nr.len(), 9);
        assert!(nr[0].observed >= 20, "{:?}", nr[0]);
        let w = i.near_repeat_warning.as_ref().expect("a warning");
        assert!(w.ratio > 1.5 && w.p <= 0.05, "{w:?}");
        // Too few located incidents: no Knox table, no warning.
        let few = insight(&pts[..8], to, 28, &tz);
        assert!(few.near_repeat.is_none() && few.near_repeat_warning.is_none());
    }
}

/// An area's incidents in the period and the one before.
#[derive(Debug, Clone, Serialize)]
pub struct AreaChange {
    pub area_id: i64,
    pub name: String,
    #[serde(flatten)]
    pub change: Change,
}

/// Per area of the actor's tenant (see `Store::area_counts`): the incidents matching
/// `filter` in [to − days, to) against the `days` before, most incidents first.
pub async fn area_changes(
    store: &dyn store::Store,
    actor: &store::Actor,
    filter: &store::IncidentFilter,
    to: Timestamp,
    days: i64,
) -> Result<Vec<AreaChange>, store::StoreError> {
    let at = |s: i64| Timestamp::from_second(to.as_second() - s).unwrap_or(to);
    let period = |from: Timestamp, until: Timestamp| store::IncidentFilter {
        from: Some(from),
        to: Some(until),
        ..filter.clone()
    };
    let (earlier, now) = (
        period(at(2 * days * 86_400), at(days * 86_400)),
        period(at(days * 86_400), to),
    );
    let (places, before, after) = tokio::try_join!(
        store.places(actor.tenant_id),
        store.area_counts(actor, &earlier),
        store.area_counts(actor, &now),
    )?;
    let mut out: Vec<AreaChange> = after
        .iter()
        .map(|(id, a)| {
            let b = before.iter().find(|(i, _)| i == id).map_or(0, |(_, n)| *n);
            AreaChange {
                area_id: *id,
                name: places
                    .iter()
                    .find(|p| p.id == *id)
                    .map_or_else(|| id.to_string(), |p| p.name.clone()),
                change: change(String::new(), b, *a),
            }
        })
        .collect();
    // Names the Swedish way, then (stable) most incidents first.
    store::sort_swedish(&mut out, |a| a.name.as_str());
    out.sort_by_key(|a| std::cmp::Reverse((a.change.after, a.change.before)));
    Ok(out)
}
