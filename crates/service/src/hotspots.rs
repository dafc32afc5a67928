//! The hot spot rule every EST page shares: the cell side of hot spot maps, and emerging
//! hot spots (new or intensifying) over the last year's four-week slices. The lägesbild draws
//! them, cases show those touching their area, meetings put them on the agenda.

use model::Precision;
use serde::Serialize;
use store::IncidentPoint;

/// Hot spot cells: side (m).
pub const HOT_CELL: f64 = 200.0;
/// Emerging hot spots: this many slices of `SLICE_DAYS` days, the last ending with the period.
pub const SLICES: i64 = 12;
pub const SLICE_DAYS: i64 = 28;

/// New or intensifying hot spots (emerging hot spot analysis: Gi* in every four-week slice of
/// the last year, Mann–Kendall on each cell's z-scores), touching cells grouped.
#[derive(Debug, Clone, Serialize)]
pub struct EmergingSpot {
    /// "new" or "intensifying".
    pub pattern: &'static str,
    pub cells: usize,
    /// Incidents in its cells in the last slice.
    pub incidents: u64,
    pub near: Option<String>,
    pub e0: f64,
    pub n0: f64,
    pub e1: f64,
    pub n1: f64,
}

/// The emerging hot spots on the map's grid (`HOT_CELL` cells from (e0, n0), `nx` × `ny`),
/// from the located points of the slices ending at `end` (seconds).
pub fn emerging(
    points: &[IncidentPoint],
    (e0, n0, nx, ny): (f64, f64, usize, usize),
    end: i64,
) -> Vec<EmergingSpot> {
    let slice = SLICE_DAYS * 86_400;
    let start = end - SLICES * slice;
    let mut slices = vec![vec![0.0f64; nx * ny]; SLICES as usize];
    for p in points {
        let t = p.occurred_from.as_second();
        if p.precision == Precision::Municipality || t < start || t >= end {
            continue;
        }
        let (ix, iy) = (
            ((p.e - e0) / HOT_CELL).floor(),
            ((p.n - n0) / HOT_CELL).floor(),
        );
        if ix < 0.0 || iy < 0.0 || ix >= nx as f64 || iy >= ny as f64 {
            continue;
        }
        slices[((t - start) / slice) as usize][iy as usize * nx + ix as usize] += 1.0;
    }
    let grid = analysis::Grid {
        cell: HOT_CELL,
        x0: e0,
        y0: n0,
        nx,
        ny,
        counts: slices.iter().fold(vec![0.0; nx * ny], |mut acc, s| {
            acc.iter_mut().zip(s).for_each(|(a, b)| *a += b);
            acc
        }),
    };
    let Ok(kinds) = analysis::emerging_hot_spots(&grid, &slices, analysis::Weights::Queen) else {
        return Vec::new();
    };
    let last = &slices[SLICES as usize - 1];
    let mut out = Vec::new();
    for (pattern, want) in [
        ("new", analysis::Pattern::New),
        ("intensifying", analysis::Pattern::Intensifying),
    ] {
        let bins: Vec<i8> = kinds
            .iter()
            .map(|k| i8::from(*k == analysis::Emerging::Hot(want)))
            .collect();
        for c in analysis::hot_clusters(nx, ny, &bins, 1) {
            out.push(EmergingSpot {
                pattern,
                cells: c.cells.len(),
                incidents: c.cells.iter().map(|&k| last[k] as u64).sum(),
                near: None,
                e0: e0 + c.min_ix as f64 * HOT_CELL,
                n0: n0 + c.min_iy as f64 * HOT_CELL,
                e1: e0 + (c.max_ix + 1) as f64 * HOT_CELL,
                n1: n0 + (c.max_iy + 1) as f64 * HOT_CELL,
            });
        }
    }
    out.sort_by(|a, b| b.incidents.cmp(&a.incidents).then(b.cells.cmp(&a.cells)));
    out
}
