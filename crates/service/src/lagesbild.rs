//! The lägesbild of a period: what the partners look at together every other week, and, for a
//! year, the kartläggning and analysis the law 2023:196 asks for. Every figure comes from the
//! analysis crate (Poisson test of two periods, Gi* with FDR bins, quartic KDE, aoristic time
//! profile); this module fetches what the reader may see, picks the texts of the chosen
//! language and returns one serialisable document that the web page and the PDF both show.

pub use crate::audience::{AudienceError, Language, Level, view};
pub use crate::hotspots::{EmergingSpot, HOT_CELL, SLICE_DAYS, SLICES, emerging};
use crate::insight::{Change, change};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan, tz::TimeZone};
use model::{Precision, Source};
use serde::Serialize;
use std::collections::BTreeMap;
use store::{
    Action, ActionFilter, Actor, IncidentFilter, IncidentPoint, IncidentQuery, Place, Sort, Store,
    StoreError, Tenant,
};

/// At most this many incidents are analysed for one document (all three periods together).
pub const MAX_POINTS: u32 = 1_000_000;
/// The longest period of one lägesbild (a year, and a leap day).
pub const MAX_DAYS: i64 = 366;
/// The density layer's bandwidth (m).
pub const BANDWIDTH: f64 = 500.0;
/// The density layer is drawn on at most this many cells across the map.
const DENSITY_ACROSS: f64 = 60.0;
const NOTABLE: usize = 12;
const POLICE: u32 = 15;
const TOP_PLACES: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum LagesbildError {
    #[error("the period must end on or after its start: from {from}, to {to}")]
    Period { from: Date, to: Date },
    #[error("a lägesbild covers at most {MAX_DAYS} days; {from} to {to} is {days} days")]
    TooLong { from: Date, to: Date, days: i64 },
    #[error("no area or school named \"{0}\" in this municipality")]
    UnknownArea(String),
    #[error(transparent)]
    Audience(#[from] AudienceError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The chosen period (both dates included, Swedish days) and area.
#[derive(Debug, Clone)]
pub struct Request {
    pub from: Date,
    pub to: Date,
    pub area: Option<Place>,
    pub lang: Language,
}

impl Request {
    /// A period by its dates, checked.
    pub fn period(from: Date, to: Date) -> Result<(Date, Date, i64), LagesbildError> {
        if to < from {
            return Err(LagesbildError::Period { from, to });
        }
        let days = i64::from((to - from).get_days()) + 1;
        if days > MAX_DAYS {
            return Err(LagesbildError::TooLong { from, to, days });
        }
        Ok((from, to, days))
    }

    /// The default: the last two weeks, ending yesterday.
    pub fn default_period(today: Date) -> (Date, Date) {
        (today - 14.days(), today - 1.days())
    }
}

/// An area or school of the tenant by its name (case and surrounding space ignored).
pub fn find_area(places: &[Place], name: &str) -> Result<Place, LagesbildError> {
    let want = name.trim().to_lowercase();
    places
        .iter()
        .find(|p| p.name.to_lowercase() == want)
        .cloned()
        .ok_or_else(|| LagesbildError::UnknownArea(name.trim().to_string()))
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub code: String,
    pub label: String,
    pub color: String,
    pub count: u64,
    /// Against the period before (equally long) and the same dates a year earlier.
    pub previous: Change,
    pub last_year: Change,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// South-west corner, metres east and north of the map's south-west corner.
    pub x: f64,
    pub y: f64,
    /// Gi* confidence bin (±1 90 %, ±2 95 %, ±3 99 %) or density class 1–5.
    pub v: i8,
}

#[derive(Debug, Clone, Serialize)]
pub struct Map {
    /// The map's size in metres (SWEREF 99 TM), and its south-west corner.
    pub width: f64,
    pub height: f64,
    pub e0: f64,
    pub n0: f64,
    /// Outline of the municipality or area, rings in map metres.
    pub outline: Vec<Vec<[f64; 2]>>,
    pub hot_cell: f64,
    pub hot: Vec<Cell>,
    pub density_cell: f64,
    pub density: Vec<Cell>,
    /// Hot and cold cells at each confidence level: [90, 95, 99] for hot, then cold.
    pub hot_counts: [u32; 3],
    pub cold_counts: [u32; 3],
    /// Incidents that lie on the map (a place or a point), and those only known by municipality.
    pub located: u64,
    pub unlocated: u64,
    /// A round length for the scale bar (m).
    pub scale: f64,
    /// Clusters of hot cells at 95 % or more, most incidents first: candidates for a hot spot
    /// case.
    pub clusters: Vec<HotCluster>,
}

/// Touching hot cells (95 % or more) and what lies in them.
#[derive(Debug, Clone, Serialize)]
pub struct HotCluster {
    /// Bounding box, SWEREF 99 TM metres (what a case's area is made from).
    pub e0: f64,
    pub n0: f64,
    pub e1: f64,
    pub n1: f64,
    /// The same box in map metres, for drawing.
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub cells: usize,
    pub bin: i8,
    pub incidents: u64,
    /// The named area it lies in mostly, if any (filled in by `build`).
    pub near: Option<String>,
}

/// At most this many clusters are offered.
const CLUSTERS: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct PlaceRow {
    pub name: String,
    pub count: u64,
    pub previous: u64,
    pub change: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentRow {
    pub id: i64,
    pub date: String,
    pub category: String,
    pub place: String,
    pub text: String,
    pub restricted: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionRow {
    pub id: i64,
    pub title: String,
    pub owner: String,
    pub due: String,
    pub status: &'static str,
    pub overdue: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Lagesbild {
    pub charts: Charts,
    pub lang: Language,
    pub level: Level,
    pub tenant: String,
    pub municipality_code: String,
    pub area: Option<String>,
    pub from: String,
    pub to: String,
    pub days: i64,
    /// What `previous` is: the period just before, or the same dates a year earlier.
    pub compare: Compare,
    pub previous_from: String,
    pub previous_to: String,
    pub last_year_from: String,
    pub last_year_to: String,
    pub generated: String,
    pub total: Row,
    pub categories: Vec<Row>,
    /// Incidents per week of the previous period and this one (the last week may be shorter).
    pub weekly: Vec<u64>,
    pub weekly_split: usize,
    /// Aoristic weights, Monday..Sunday × hours 0..23, and their largest value.
    pub weekday_hour: Vec<Vec<f64>>,
    pub weekday_hour_max: f64,
    pub map: Map,
    pub top_places: Vec<PlaceRow>,
    pub notable: Vec<IncidentRow>,
    pub police: Vec<IncidentRow>,
    pub police_count: u64,
    pub actions: Vec<ActionRow>,
    pub actions_overdue: usize,
    /// New and intensifying hot spots of the last year, up to the period's end.
    pub emerging: Vec<EmergingSpot>,
    /// This year's medborgarlöften (the year the period ends in) and their activities.
    pub promise_year: i16,
    pub promises: Vec<crate::promises::PromiseRow>,
}

/// What a period is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compare {
    /// An equally long period just before it.
    Previous,
    /// The same dates a year earlier (for periods over half a year: a year against the year
    /// before, not against a period that began a year and a month ago).
    Year,
}

impl Compare {
    pub fn for_days(days: i64) -> Self {
        if days > 183 {
            Compare::Year
        } else {
            Compare::Previous
        }
    }
}

fn at_midnight(d: Date, tz: &TimeZone) -> Timestamp {
    d.to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

fn round_scale(width: f64) -> f64 {
    let target = width / 5.0;
    let mut best = 100.0;
    for s in [
        100.0, 200.0, 250.0, 500.0, 1000.0, 2000.0, 2500.0, 5000.0, 10_000.0, 20_000.0, 50_000.0,
        100_000.0,
    ] {
        if s <= target {
            best = s;
        }
    }
    best
}

/// The map of the period: outline, hot spot cells and density, in metres from its corner.
pub fn map(outline: Option<&geo::MultiPolygon>, points: &[&IncidentPoint]) -> Map {
    let rings = outline.map(sweref_rings).unwrap_or_default();
    let (xs, ys): (Vec<f64>, Vec<f64>) = points
        .iter()
        .filter(|p| p.precision != Precision::Municipality)
        .map(|p| (p.e, p.n))
        .unzip();
    let mut bb = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for [e, n] in rings
        .iter()
        .flatten()
        .copied()
        .chain(xs.iter().zip(&ys).map(|(&e, &n)| [e, n]))
    {
        bb = [bb[0].min(e), bb[1].min(n), bb[2].max(e), bb[3].max(n)];
    }
    if bb[0] > bb[2] {
        bb = [0.0, 0.0, 1000.0, 1000.0];
    }
    // Snap outward to whole hot spot cells, so cells and outline share one frame.
    let e0 = (bb[0] / HOT_CELL).floor() * HOT_CELL;
    let n0 = (bb[1] / HOT_CELL).floor() * HOT_CELL;
    let e1 = ((bb[2] / HOT_CELL).ceil() * HOT_CELL).max(e0 + HOT_CELL);
    let n1 = ((bb[3] / HOT_CELL).ceil() * HOT_CELL).max(n0 + HOT_CELL);
    let (width, height) = (e1 - e0, n1 - n0);
    let extent = [e0, n0, e1, n1];
    let mut hot = Vec::new();
    let mut clusters = Vec::new();
    let (mut hot_counts, mut cold_counts) = ([0u32; 3], [0u32; 3]);
    if let Ok(grid) = analysis::Grid::bin(&xs, &ys, HOT_CELL, Some(extent))
        && let Ok(g) = analysis::gi_star(&grid, analysis::Weights::Queen)
    {
        let (_, bins) = analysis::bh_bins(&g.z);
        for c in analysis::hot_clusters(grid.nx, grid.ny, &bins, 2) {
            let (ce0, cn0) = (
                grid.x0 + c.min_ix as f64 * grid.cell,
                grid.y0 + c.min_iy as f64 * grid.cell,
            );
            let (ce1, cn1) = (
                grid.x0 + (c.max_ix + 1) as f64 * grid.cell,
                grid.y0 + (c.max_iy + 1) as f64 * grid.cell,
            );
            let incidents = xs
                .iter()
                .zip(&ys)
                .filter(|&(&x, &y)| x >= ce0 && x < ce1 && y >= cn0 && y < cn1)
                .count() as u64;
            clusters.push(HotCluster {
                e0: ce0,
                n0: cn0,
                e1: ce1,
                n1: cn1,
                x: ce0 - e0,
                y: cn0 - n0,
                w: ce1 - ce0,
                h: cn1 - cn0,
                cells: c.cells.len(),
                bin: c.bin,
                incidents,
                near: None,
            });
        }
        clusters.sort_by(|a, b| b.incidents.cmp(&a.incidents).then(b.cells.cmp(&a.cells)));
        clusters.truncate(CLUSTERS);
        for (k, &b) in bins.iter().enumerate() {
            if b == 0 {
                continue;
            }
            let (x, y) = grid.corner(k);
            hot.push(Cell {
                x: x - e0,
                y: y - n0,
                v: b,
            });
            let level = usize::from(b.unsigned_abs()) - 1;
            if b > 0 {
                hot_counts[level] += 1;
            } else {
                cold_counts[level] += 1;
            }
        }
    }
    // The density's cells follow where the incidents are (a town in a large municipality gets
    // fine cells), at most 1,000 × 1,000 over the whole map.
    let spread = if xs.is_empty() {
        width.max(height)
    } else {
        let (x0, x1) = xs
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        let (y0, y1) = ys
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &y| (a.min(y), b.max(y)));
        (x1 - x0).max(y1 - y0)
    };
    let density_cell = ((spread / DENSITY_ACROSS / 50.0).ceil() * 50.0)
        .max(50.0)
        .max((width.max(height) / 1000.0 / 50.0).ceil() * 50.0);
    let mut density = Vec::new();
    if let Ok(grid) = analysis::Grid::bin(&xs, &ys, density_cell, Some(extent))
        && let Ok(kde) = analysis::quartic_kde(&xs, &ys, &grid, BANDWIDTH.max(density_cell))
    {
        let peak = kde.iter().copied().fold(0.0, f64::max);
        if peak > 0.0 {
            for (k, &v) in kde.iter().enumerate() {
                // Five classes of the peak; below 5 % is left white.
                let share = v / peak;
                if share < 0.05 {
                    continue;
                }
                let (x, y) = grid.corner(k);
                density.push(Cell {
                    x: x - e0,
                    y: y - n0,
                    v: ((share * 5.0).ceil() as i8).clamp(1, 5),
                });
            }
        }
    }
    let located = xs.len() as u64;
    Map {
        width,
        height,
        e0,
        n0,
        outline: rings
            .into_iter()
            .map(|r| r.into_iter().map(|[e, n]| [e - e0, n - n0]).collect())
            .collect(),
        hot_cell: HOT_CELL,
        hot,
        density_cell,
        density,
        hot_counts,
        cold_counts,
        located,
        unlocated: points.len() as u64 - located,
        scale: round_scale(width),
        clusters,
    }
}

fn status_key(s: model::ActionStatus) -> &'static str {
    s.as_str()
}

/// Builds the lägesbild that `actor` may see, at `level`.
pub async fn build(
    store: &dyn Store,
    actor: &Actor,
    level: Level,
    tenant: &Tenant,
    req: &Request,
    now: Timestamp,
) -> Result<Lagesbild, LagesbildError> {
    let tz = crate::stockholm();
    let (from, to, days) = Request::period(req.from, req.to)?;
    let start = at_midnight(from, &tz);
    let end = at_midnight(to + 1.days(), &tz);
    let ly_from = from - 1.year();
    let ly_to = to - 1.year();
    let (ly_start, ly_end) = (
        at_midnight(ly_from, &tz),
        at_midnight(ly_to + 1.days(), &tz),
    );
    // A long period (over half a year) is compared with the same dates a year earlier, a
    // shorter one with an equally long period just before it (and a year earlier too).
    let compare = Compare::for_days(days);
    let (prev_from, prev_to) = match compare {
        Compare::Year => (ly_from, ly_to),
        Compare::Previous => (from - days.days(), from - 1.days()),
    };
    let prev_start = at_midnight(prev_from, &tz);
    let prev_end = at_midnight(prev_to + 1.days(), &tz);
    let area_id = req.area.as_ref().map(|p| p.id);
    let window = |f: Timestamp, t: Timestamp| IncidentFilter {
        from: Some(f),
        to: Some(t),
        area_id,
        ..Default::default()
    };
    let today = now.to_zoned(tz.clone()).date();
    let show_incidents = level != Level::Management;
    let notable_query = IncidentQuery {
        filter: window(start, end),
        sort: Sort::OccurredDesc,
        limit: 2_000,
        ..Default::default()
    };
    let police_query = IncidentQuery {
        filter: IncidentFilter {
            source: Some(Source::ImportPolisen),
            ..window(start, end)
        },
        sort: Sort::OccurredDesc,
        limit: POLICE,
        ..Default::default()
    };
    let police_filter = police_query.filter.clone();
    let slices_from = Timestamp::from_second(end.as_second() - SLICES * SLICE_DAYS * 86_400)
        .unwrap_or(prev_start);
    // One read for the period, the one before and the emerging hot spots' year: each part is
    // taken from it by time below.
    let (both, year_before, all_actions) = (
        window(prev_start.min(slices_from), end),
        window(ly_start, ly_end),
        ActionFilter::default(),
    );
    let (points, last_year, categories, places, orgs, actions) = tokio::try_join!(
        store.incident_points(actor, &both, MAX_POINTS),
        store.incident_points(actor, &year_before, MAX_POINTS),
        store.categories(tenant.id),
        store.places(tenant.id),
        store.organisations(tenant.id),
        store.actions(tenant.id, &all_actions),
    )?;
    let (police, police_count, listed) = if show_incidents {
        tokio::try_join!(
            store.list_incidents(actor, &police_query),
            store.count_incidents(actor, &police_filter),
            store.list_incidents(actor, &notable_query),
        )?
    } else {
        (Vec::new(), 0, Vec::new())
    };
    let areas = area_counts(store, actor, area_id, (prev_start, prev_end), (start, end)).await?;
    let promises = crate::promises::rows(store, tenant.id, i32::from(to.year()), today)
        .await
        .map_err(|e| match e {
            crate::promises::PromiseError::Store(s) => LagesbildError::Store(s),
            other => LagesbildError::Store(StoreError::Backend(other.to_string())),
        })?;

    let en = req.lang == Language::En;
    let cat_label = |code: &str| {
        categories
            .iter()
            .find(|c| c.code.as_str() == code)
            .map_or_else(
                || code.to_string(),
                |c| {
                    if en {
                        c.name_en.clone()
                    } else {
                        c.name_sv.clone()
                    }
                },
            )
    };
    let cat_color = |code: &str| {
        categories
            .iter()
            .find(|c| c.code.as_str() == code)
            .map_or_else(|| "#555555".to_string(), |c| c.color.clone())
    };

    // Counts per category: this period, the one before, last year.
    let (s, e, ps, pe) = (
        start.as_second(),
        end.as_second(),
        prev_start.as_second(),
        prev_end.as_second(),
    );
    let mut per: BTreeMap<&str, [u64; 3]> = BTreeMap::new();
    let mut totals = [0u64; 3];
    let mut current: Vec<&IncidentPoint> = Vec::new();
    let week = 7 * 86_400;
    let weeks_each = (days as usize).div_ceil(7);
    let mut weekly = vec![0u64; 2 * weeks_each];
    for p in &points {
        let t = p.occurred_from.as_second();
        let slot = if (s..e).contains(&t) {
            current.push(p);
            weekly[weeks_each + ((t - s) / week) as usize] += 1;
            0
        } else if (ps..pe).contains(&t) {
            // A year earlier may hold a leap day more: its last day joins the last week.
            weekly[(((t - ps) / week) as usize).min(weeks_each - 1)] += 1;
            1
        } else {
            continue;
        };
        per.entry(p.category.as_str()).or_default()[slot] += 1;
        totals[slot] += 1;
    }
    for p in &last_year {
        per.entry(p.category.as_str()).or_default()[2] += 1;
        totals[2] += 1;
    }
    // Periods a year apart are equally long but for a leap day: the test weighs by length.
    let ly_days = i64::from((ly_to - ly_from).get_days()) + 1;
    let year_change = |code: String, now: u64, then: u64| {
        let t = analysis::two_periods(then, now, ly_days as f64, days as f64);
        let mut c = change(code, then, now);
        c.p = t.p;
        c.change = if t.p <= 0.05 && now as f64 / days as f64 > then as f64 / ly_days as f64 {
            "up"
        } else if t.p <= 0.05 && (now as f64 / days as f64) < then as f64 / ly_days as f64 {
            "down"
        } else {
            "none"
        };
        c
    };
    let row = |code: &str, label: String, color: String, c: [u64; 3]| Row {
        code: code.to_string(),
        label,
        color,
        count: c[0],
        previous: match compare {
            Compare::Year => year_change(code.to_string(), c[0], c[1]),
            Compare::Previous => change(code.to_string(), c[1], c[0]),
        },
        last_year: year_change(code.to_string(), c[0], c[2]),
    };
    let mut rows: Vec<Row> = per
        .iter()
        .map(|(code, c)| row(code, cat_label(code), cat_color(code), *c))
        .collect();
    rows.sort_by(|a, b| {
        (b.count, b.previous.before)
            .cmp(&(a.count, a.previous.before))
            .then_with(|| a.label.cmp(&b.label))
    });
    let total = row(
        "",
        if en {
            "All incidents"
        } else {
            "Alla händelser"
        }
        .to_string(),
        String::new(),
        totals,
    );

    // When in the week (aoristic: an incident known only within a span is spread over it).
    let local = |ts: Timestamp| ts.as_second() + i64::from(tz.to_offset(ts).seconds());
    let (f, t): (Vec<i64>, Vec<i64>) = current
        .iter()
        .map(|p| {
            (
                local(p.occurred_from),
                local(p.occurred_to.max(p.occurred_from)),
            )
        })
        .unzip();
    let profile = analysis::weekday_hour_profile(&f, &t);
    let weekday_hour_max = profile.iter().flatten().copied().fold(0.0, f64::max);

    let outline = match &req.area {
        Some(p) => geo::MultiPolygon::from_geojson_str(&p.geometry_geojson).ok(),
        None => geo::MultiPolygon::from_geojson_str(&tenant.outline_geojson).ok(),
    };
    let mut map = map(outline.as_ref(), &current);
    let nx = (map.width / HOT_CELL).round() as usize;
    let ny = (map.height / HOT_CELL).round() as usize;
    let mut emerging = emerging(&points, (map.e0, map.n0, nx, ny), end.as_second());
    // The same minimum as a meeting's agenda: a cluster of one incident is not a hot spot
    // anyone should act on.
    let min = crate::meetings::AGENDA_MIN_INCIDENTS;
    emerging.retain(|s| s.incidents >= min);
    emerging.truncate(CLUSTERS);
    map.clusters.retain(|c| c.incidents >= min);
    // Name each cluster and emerging hot spot by the area its centre lies in, else by the
    // nearest named place (the areas' shapes parsed once).
    let namer = crate::naming::Namer::new(&places);
    let near = |e: f64, n: f64| {
        let (lon, lat) = geo::from_sweref99tm(geo::Sweref99Tm { e, n });
        namer.near(lon, lat, crate::naming::NEAR_METRES)
    };
    for c in &mut map.clusters {
        c.near = near((c.e0 + c.e1) / 2.0, (c.n0 + c.n1) / 2.0);
    }
    for s in &mut emerging {
        s.near = near((s.e0 + s.e1) / 2.0, (s.n0 + s.n1) / 2.0);
    }

    let top_places: Vec<PlaceRow> = areas
        .into_iter()
        .filter(|(id, _, _)| Some(*id) != area_id)
        .filter_map(|(id, before, after)| {
            let place = places.iter().find(|p| p.id == id)?;
            (after > 0).then(|| PlaceRow {
                name: place.name.clone(),
                count: after,
                previous: before,
                change: change(String::new(), before, after).change,
            })
        })
        .take(TOP_PLACES)
        .collect();

    let date = |ts: Timestamp| ts.to_zoned(tz.clone()).date().to_string();
    let incident_row = |i: &store::Incident| IncidentRow {
        id: i.id,
        date: date(i.occurred_from),
        category: cat_label(i.category.as_str()),
        place: i
            .place_name
            .clone()
            .or_else(|| i.school_name.clone())
            .unwrap_or_else(|| tenant.name.clone()),
        text: i.description.chars().take(240).collect(),
        restricted: i.visibility != model::Visibility::AllPartners,
    };
    // Notable: the reports of partners in categories that rose significantly, and those with
    // several persons involved; newest first.
    let rising: Vec<&str> = rows
        .iter()
        .filter(|r| r.previous.change == "up" || r.last_year.change == "up")
        .map(|r| r.code.as_str())
        .collect();
    let notable: Vec<IncidentRow> = listed
        .iter()
        .filter(|i| i.source != Source::ImportPolisen)
        .filter(|i| {
            rising.contains(&i.category.as_str()) || i.persons_involved.is_some_and(|n| n >= 3)
        })
        .take(NOTABLE)
        .map(incident_row)
        .collect();
    let police: Vec<IncidentRow> = police.iter().map(incident_row).collect();

    let org_name = |id: store::OrgId| {
        orgs.iter()
            .find(|o| o.id == id)
            .map_or_else(String::new, |o| o.name.clone())
    };
    let mut open: Vec<&Action> = actions
        .iter()
        .filter(|a| !a.status.is_closed())
        .filter(|a| area_id.is_none() || a.area_id == area_id)
        .collect();
    open.sort_by_key(|a| (!a.overdue(today), a.due_on, a.id));
    let actions_overdue = open.iter().filter(|a| a.overdue(today)).count();
    let actions: Vec<ActionRow> = open
        .iter()
        .map(|a| ActionRow {
            id: a.id,
            title: a.title.clone(),
            owner: org_name(a.owner_org_id),
            due: a.due_on.to_string(),
            status: status_key(a.status),
            overdue: a.overdue(today),
        })
        .collect();

    let mut doc = Lagesbild {
        charts: Charts::default(),
        lang: req.lang,
        level,
        tenant: tenant.name.clone(),
        municipality_code: tenant.code.clone(),
        area: req.area.as_ref().map(|p| p.name.clone()),
        from: from.to_string(),
        to: to.to_string(),
        days,
        compare,
        previous_from: prev_from.to_string(),
        previous_to: prev_to.to_string(),
        last_year_from: ly_from.to_string(),
        last_year_to: ly_to.to_string(),
        generated: now
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        total,
        categories: rows,
        weekly,
        weekly_split: weeks_each,
        weekday_hour: profile.iter().map(|r| r.to_vec()).collect(),
        weekday_hour_max,
        map,
        top_places,
        notable,
        police,
        police_count,
        actions,
        actions_overdue,
        emerging,
        promise_year: to.year(),
        promises,
    };
    doc.charts = charts(&doc, &places, (prev_from, from));
    Ok(doc)
}

/// The document's charts and map as SVG (the `chart` crate), the same on the page and in the
/// PDF.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Charts {
    pub weekly: String,
    /// The trend in words (also in the weekly chart's text equivalent).
    pub weekly_words: String,
    pub change: String,
    pub week_hours: String,
    pub map: String,
    /// What `map` was drawn from, and its words: the PDF draws it again over a base map.
    #[serde(skip)]
    pub map_input: chart::MapChart,
    #[serde(skip)]
    pub map_summary: String,
}

pub fn chart_lang(lang: Language) -> chart::Lang {
    match lang {
        Language::Sv => chart::Lang::Sv,
        Language::En => chart::Lang::En,
    }
}

/// The weekly bars of `counts` (`split` weeks of the comparison period from `prev_from`, then
/// the period's from `from`, both `days` long).
pub fn week_bars(
    counts: &[u64],
    split: usize,
    starts: (Date, Date),
    days: i64,
) -> Vec<chart::WeekBar> {
    counts
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let (current, k) = (i >= split, if i >= split { i - split } else { i });
            let first = if current { starts.1 } else { starts.0 } + (7 * k as i64).days();
            let left = days - 7 * k as i64;
            chart::WeekBar {
                month: first.month() as u8,
                day: first.day() as u8,
                count,
                days: left.clamp(1, 7) as u8,
                current,
            }
        })
        .collect()
}

/// The weekly trend in plain words: the period's total against the comparison's, and whether
/// the full weeks shown rise or fall (Mann–Kendall at 5 %, six full weeks at least).
pub fn trend_words(lang: chart::Lang, bars: &[chart::WeekBar], now: u64, before: u64) -> String {
    let sv = lang == chart::Lang::Sv;
    let pct =
        (before > 0).then(|| chart::number((now as f64 / before as f64 - 1.0) * 100.0, 0, lang));
    let total = match (sv, pct) {
        (true, Some(p)) => {
            format!("Perioden har {now} händelser mot {before} i jämförelseperioden ({p} %).")
        }
        (true, None) => format!("Perioden har {now} händelser mot {before} i jämförelseperioden."),
        (false, Some(p)) => format!(
            "The period has {now} incidents against {before} in the comparison period ({p} %)."
        ),
        (false, None) => {
            format!("The period has {now} incidents against {before} in the comparison period.")
        }
    };
    format!("{total} {}", trend_sentence(lang, bars))
}

/// Whether the full weeks of `bars` rise or fall, in plain words (Mann–Kendall at 5 %, six
/// full weeks at least): the one rule of the lägesbild, the analysis page and a case.
pub fn trend_sentence(lang: chart::Lang, bars: &[chart::WeekBar]) -> String {
    let sv = lang == chart::Lang::Sv;
    let full: Vec<f64> = bars
        .iter()
        .filter(|b| b.days == 7)
        .map(|b| b.count as f64)
        .collect();
    let n = full.len();
    if n < 6 {
        if sv {
            format!(
                "{n} hela veckor är för få för att säga om antalet stiger eller sjunker vecka för vecka."
            )
        } else {
            format!("{n} full weeks are too few to say whether the weekly count rises or falls.")
        }
    } else {
        match (analysis::mann_kendall(&full).direction, sv) {
            (analysis::Direction::Increasing, true) => format!(
                "Vecka för vecka stiger antalet över de {n} hela veckorna, och det är säkerställt."
            ),
            (analysis::Direction::Decreasing, true) => format!(
                "Vecka för vecka sjunker antalet över de {n} hela veckorna, och det är säkerställt."
            ),
            (_, true) => format!(
                "Vecka för vecka går det inte att se någon säker ökning eller minskning över de {n} hela veckorna."
            ),
            (analysis::Direction::Increasing, false) => format!(
                "Week by week the count rises over the {n} full weeks, and this is significant."
            ),
            (analysis::Direction::Decreasing, false) => format!(
                "Week by week the count falls over the {n} full weeks, and this is significant."
            ),
            (_, false) => format!(
                "Week by week there is no significant rise or fall over the {n} full weeks."
            ),
        }
    }
}

fn charts(d: &Lagesbild, places: &[Place], starts: (Date, Date)) -> Charts {
    let lang = chart_lang(d.lang);
    let bars = week_bars(&d.weekly, d.weekly_split, starts, d.days);
    let words = trend_words(lang, &bars, d.total.count, d.total.previous.before);
    let sig = |c: &Change| match c.change {
        "up" => chart::Sig::Up,
        "down" => chart::Sig::Down,
        _ => chart::Sig::None,
    };
    let rows: Vec<chart::ChangeRow> = d
        .categories
        .iter()
        .map(|r| chart::ChangeRow {
            label: r.label.clone(),
            now: r.count,
            before: r.previous.before,
            sig: sig(&r.previous),
        })
        .collect();
    let compared = match (d.compare, lang) {
        (Compare::Year, chart::Lang::Sv) => format!(
            "samma datum i fjol ({} – {})",
            d.previous_from, d.previous_to
        ),
        (Compare::Year, chart::Lang::En) => format!(
            "the same dates a year earlier ({} – {})",
            d.previous_from, d.previous_to
        ),
        (Compare::Previous, chart::Lang::Sv) => {
            format!("perioden före ({} – {})", d.previous_from, d.previous_to)
        }
        (Compare::Previous, chart::Lang::En) => format!(
            "the period before ({} – {})",
            d.previous_from, d.previous_to
        ),
    };
    let m = &d.map;
    let to_map = |lon: f64, lat: f64| {
        let p = geo::to_sweref99tm(lon, lat);
        [p.e - m.e0, p.n - m.n0]
    };
    let inside = |[x, y]: [f64; 2]| (0.0..=m.width).contains(&x) && (0.0..=m.height).contains(&y);
    let mut labels = Vec::new();
    let mut areas = Vec::new();
    for p in places {
        let at = to_map(p.lon, p.lat);
        if !inside(at) {
            continue;
        }
        let kind = if p.is_school {
            chart::MapLabelKind::School
        } else if p.kind == store::PlaceKind::Area {
            chart::MapLabelKind::Area
        } else {
            chart::MapLabelKind::Place
        };
        if p.kind == store::PlaceKind::Area
            && let Ok(shape) = geo::MultiPolygon::from_geojson_str(&p.geometry_geojson)
        {
            for poly in shape.polygons() {
                for ring in poly.iter() {
                    areas.push(ring.iter().map(|&[lon, lat]| to_map(lon, lat)).collect());
                }
            }
        }
        labels.push(chart::MapLabel {
            x: at[0],
            y: at[1],
            name: p.name.clone(),
            kind,
        });
    }
    let chart_map = chart::MapChart {
        width: m.width,
        height: m.height,
        outline: m.outline.clone(),
        areas,
        hot_cell: m.hot_cell,
        hot: m.hot.iter().map(|c| (c.x, c.y, c.v)).collect(),
        density_cell: m.density_cell,
        density: m.density.iter().map(|c| (c.x, c.y, c.v)).collect(),
        clusters: m.clusters.iter().map(|c| (c.x, c.y, c.w, c.h)).collect(),
        labels,
        scale: m.scale,
        located: m.located,
        points: Vec::new(),
        title: String::new(),
        tiles: Vec::new(),
        attribution: String::new(),
    };
    let summary = map_summary(lang, m);
    Charts {
        weekly: chart::weekly("lb-weekly-chart", lang, &bars, &words),
        weekly_words: words,
        change: chart::change("lb-change-chart", lang, &rows, &compared),
        week_hours: chart::week_hours("lb-week-chart", lang, &d.weekday_hour),
        map: chart::map("lb-map-chart", lang, &chart_map, &summary),
        map_input: chart_map,
        map_summary: summary,
    }
}

/// A shape's rings in SWEREF 99 TM metres.
fn sweref_rings(shape: &geo::MultiPolygon) -> Vec<Vec<[f64; 2]>> {
    shape
        .polygons()
        .iter()
        .flat_map(|p| p.iter())
        .map(|r| {
            r.iter()
                .map(|&[lon, lat]| {
                    let s = geo::to_sweref99tm(lon, lat);
                    [s.e, s.n]
                })
                .collect()
        })
        .collect()
}

fn rings_of(geojson: &str) -> Vec<Vec<[f64; 2]>> {
    geo::MultiPolygon::from_geojson_str(geojson)
        .map(|shape| sweref_rings(&shape))
        .unwrap_or_default()
}

/// A map of a small frame (SWEREF 99 TM `[e0, n0, e1, n1]`): `outline`, the areas and named
/// places in it, `points` as dots.
#[allow(clippy::too_many_arguments)]
fn local_map(
    id: &str,
    lang: chart::Lang,
    frame: [f64; 4],
    outline: &[Vec<[f64; 2]>],
    places: &[Place],
    points: &[(f64, f64)],
    title: String,
    summary: &str,
) -> String {
    let [e0, n0, e1, n1] = frame;
    let (width, height) = (e1 - e0, n1 - n0);
    let inside = |x: f64, y: f64| (0.0..=width).contains(&x) && (0.0..=height).contains(&y);
    let local =
        |r: &Vec<[f64; 2]>| -> Vec<[f64; 2]> { r.iter().map(|&[e, n]| [e - e0, n - n0]).collect() };
    let mut areas = Vec::new();
    let labels = places
        .iter()
        .filter_map(|p| {
            let s = geo::to_sweref99tm(p.lon, p.lat);
            let (x, y) = (s.e - e0, s.n - n0);
            if !inside(x, y) {
                return None;
            }
            if p.kind == store::PlaceKind::Area {
                areas.extend(rings_of(&p.geometry_geojson).iter().map(local));
            }
            Some(chart::MapLabel {
                x,
                y,
                name: p.name.clone(),
                kind: if p.is_school {
                    chart::MapLabelKind::School
                } else if p.kind == store::PlaceKind::Area {
                    chart::MapLabelKind::Area
                } else {
                    chart::MapLabelKind::Place
                },
            })
        })
        .collect();
    let pts: Vec<(f64, f64)> = points
        .iter()
        .map(|&(e, n)| (e - e0, n - n0))
        .filter(|&(x, y)| inside(x, y))
        .collect();
    let m = chart::MapChart {
        width,
        height,
        outline: outline.iter().map(local).collect(),
        areas,
        labels,
        scale: round_scale(width),
        located: pts.len() as u64,
        points: pts,
        title,
        ..Default::default()
    };
    chart::map(id, lang, &m, summary)
}

/// The map of one area (a case's): its outline, the named places around it and `points`
/// (SWEREF 99 TM) as dots, framed on the area with 300 m around it.
pub fn area_map(
    id: &str,
    lang: Language,
    area: &Place,
    places: &[Place],
    points: &[(f64, f64)],
) -> String {
    let lang = chart_lang(lang);
    let rings = rings_of(&area.geometry_geojson);
    let mut bb = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for [e, n] in rings.iter().flatten().copied() {
        bb = [bb[0].min(e), bb[1].min(n), bb[2].max(e), bb[3].max(n)];
    }
    if bb[0] > bb[2] {
        let c = geo::to_sweref99tm(area.lon, area.lat);
        bb = [c.e, c.n, c.e, c.n];
    }
    let pad = 300.0;
    let (title, summary) = match lang {
        chart::Lang::Sv => (
            format!("Karta över {}", area.name),
            format!("Området {} med 300 m runt om.", area.name),
        ),
        chart::Lang::En => (
            format!("Map of {}", area.name),
            format!("The area {} with 300 m around it.", area.name),
        ),
    };
    local_map(
        id,
        lang,
        [bb[0] - pad, bb[1] - pad, bb[2] + pad, bb[3] + pad],
        &rings,
        places,
        points,
        title,
        &summary,
    )
}

/// Where one incident is: a dot, with the areas and named places within 400 m.
pub fn point_map(id: &str, lang: Language, lon: f64, lat: f64, places: &[Place]) -> String {
    let lang = chart_lang(lang);
    let c = geo::to_sweref99tm(lon, lat);
    let r = 400.0;
    let (title, summary) = match lang {
        chart::Lang::Sv => (
            "Var det hände".to_string(),
            "Händelsen mitt på kartan, med 400 m runt om.".to_string(),
        ),
        chart::Lang::En => (
            "Where it happened".to_string(),
            "The incident in the middle of the map, with 400 m around it.".to_string(),
        ),
    };
    local_map(
        id,
        lang,
        [c.e - r, c.n - r, c.e + r, c.n + r],
        &[],
        places,
        &[(c.e, c.n)],
        title,
        &summary,
    )
}

/// What the map found, in words: hot spot cells and clusters.
pub fn map_summary(lang: chart::Lang, m: &Map) -> String {
    let hot: u32 = m.hot_counts[1] + m.hot_counts[2];
    let clusters = m.clusters.len();
    let sv = lang == chart::Lang::Sv;
    match (hot, sv) {
        (0, true) => "Inga rutor har säkert fler händelser än omgivningen.".to_string(),
        (0, false) => "No cell has significantly more incidents than its surroundings.".to_string(),
        (h, true) => format!(
            "{h} {} har säkert fler händelser än omgivningen (95 % eller mer), i {clusters} kluster.",
            if h == 1 {
                "ruta om 100 m"
            } else {
                "rutor om 100 m"
            },
        ),
        (h, false) => format!(
            "{h} {} of 100 m {} significantly more incidents than their surroundings (95 % or more), in {clusters} {}.",
            if h == 1 { "cell" } else { "cells" },
            if h == 1 { "has" } else { "have" },
            if clusters == 1 { "cluster" } else { "clusters" }
        ),
    }
}

/// Per area of the tenant: (area id, incidents in `before`, incidents in `now`), most first.
async fn area_counts(
    store: &dyn Store,
    actor: &Actor,
    area_id: Option<store::PlaceId>,
    before: (Timestamp, Timestamp),
    now: (Timestamp, Timestamp),
) -> Result<Vec<(store::PlaceId, u64, u64)>, StoreError> {
    let f = |(from, to): (Timestamp, Timestamp)| IncidentFilter {
        from: Some(from),
        to: Some(to),
        area_id,
        ..Default::default()
    };
    let (before, now) = (f(before), f(now));
    let (b, a) = tokio::try_join!(
        store.area_counts(actor, &before),
        store.area_counts(actor, &now)
    )?;
    let mut out: Vec<(store::PlaceId, u64, u64)> = a
        .iter()
        .map(|(id, n)| {
            let before = b.iter().find(|(i, _)| i == id).map_or(0, |(_, m)| *m);
            (*id, before, *n)
        })
        .collect();
    out.sort_by_key(|&(id, b, a)| (std::cmp::Reverse((a, b)), id));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(id: i64, e: f64, n: f64, t: i64) -> IncidentPoint {
        IncidentPoint {
            id,
            category: model::CategoryCode::parse("trafik").unwrap(),
            occurred_from: Timestamp::from_second(t).unwrap(),
            occurred_to: Timestamp::from_second(t).unwrap(),
            lon: 0.0,
            lat: 0.0,
            e,
            n,
            precision: Precision::Exact,
            status: model::IncidentStatus::New,
            municipality_code: None,
        }
    }

    #[test]
    fn a_cluster_that_appears_in_the_last_slice_is_a_new_hot_spot() {
        let (e0, n0, nx, ny) = (500_000.0, 6_500_000.0, 30, 30);
        let end = 1_800_000_000;
        let slice = SLICE_DAYS * 86_400;
        let mut pts = Vec::new();
        let mut id = 0;
        // A thin background spread over the grid in every slice…
        for s in 0..SLICES {
            for k in 0..40 {
                id += 1;
                let (ix, iy) = ((k * 7 + s * 3) % nx as i64, (k * 11 + s * 5) % ny as i64);
                let t = end - (SLICES - s) * slice + 3_600 * (k + 1);
                pts.push(point(
                    id,
                    e0 + ix as f64 * HOT_CELL + 50.0,
                    n0 + iy as f64 * HOT_CELL + 50.0,
                    t,
                ));
            }
        }
        // …and 40 incidents around one place in the last four weeks only.
        for k in 0..40 {
            id += 1;
            let (dx, dy) = ((k % 3) as f64, ((k / 3) % 3) as f64);
            pts.push(point(
                id,
                e0 + (20.0 + dx) * HOT_CELL + 10.0,
                n0 + (5.0 + dy) * HOT_CELL + 10.0,
                end - 86_400 * (k % 20 + 1),
            ));
        }
        let found = emerging(&pts, (e0, n0, nx, ny), end);
        let new = found
            .iter()
            .find(|s| s.pattern == "new")
            .expect("a new hot spot");
        assert!(
            new.e0 >= e0 + 19.0 * HOT_CELL && new.e1 <= e0 + 24.0 * HOT_CELL,
            "{new:?}"
        );
        assert!(
            new.n0 >= n0 + 4.0 * HOT_CELL && new.n1 <= n0 + 9.0 * HOT_CELL,
            "{new:?}"
        );
        assert!(new.incidents >= 30, "{new:?}");
        // Nothing emerges from the background alone.
        let background: Vec<_> = pts[..(SLICES * 40) as usize].to_vec();
        assert!(
            emerging(&background, (e0, n0, nx, ny), end)
                .iter()
                .all(|s| s.incidents < 5)
        );
    }
}
