//! Spatial statistics for the lägesbild, over plain arrays of SWEREF 99 TM coordinates.
//!
//! Pure: no IO, no async, no database, so every method is tested against reference values
//! (PySAL, `shared/reference/reference.py`) and benchmarked alone. See BRIEF §5 for the
//! definitions; each function's documentation says exactly what it computes.
#![forbid(unsafe_code)]

mod cluster;
mod crand;
mod emerging;
mod evaluate;
mod forecast;
mod gistar;
mod grid;
mod kde;
mod knox;
mod moran;
mod rng;
mod timeprofile;
mod trend;

pub use cluster::{Cluster, hot_clusters};
pub use emerging::{Emerging, Pattern, classify, emerging_hot_spots};
pub use evaluate::{BeforeAfter, Displacement, HitRate, Wdq, pai_pei, top_share, wdq};
pub use forecast::{ForecastParams, prospective};
pub use gistar::{GiStar, Weights, bh_bins, gi_star, gi_star_p_sim};
pub use grid::{Extent, Grid};
pub use kde::quartic_kde;
pub use knox::{KnoxBand, knox};
pub use moran::{LocalMoran, local_moran};
pub use timeprofile::{month_profile, weekday_hour_profile};
pub use trend::{Direction, MannKendall, TwoPeriods, mann_kendall, two_periods};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    #[error("no points")]
    NoPoints,
    #[error("cell size {0} must be a positive number of metres")]
    BadCell(f64),
    #[error("point {index} ({x}, {y}) is not a finite coordinate")]
    BadPoint { index: usize, x: f64, y: f64 },
    #[error("point {index} ({x}, {y}) lies outside the extent {extent:?}")]
    OutsideExtent {
        index: usize,
        x: f64,
        y: f64,
        extent: [f64; 4],
    },
    #[error("the grid would have {0} cells; at most 25,000,000 are allowed")]
    TooManyCells(u64),
    #[error("every cell has the same count ({0}): Gi* is undefined for a constant field")]
    ConstantField(f64),
    #[error("invalid weights {0:?}: use queen or distance:METRES (at least one cell)")]
    BadWeights(String),
    #[error("invalid bands {0:?}: give at most 16 increasing positive numbers")]
    BadBands(String),
    #[error("bandwidth {0} must be a positive number of metres")]
    BadBandwidth(f64),
    #[error("the {area} count {value} must be a number of incidents (0 or more)")]
    BadCount { area: &'static str, value: f64 },
    #[error("the control area needs incidents before and after: it is the yardstick")]
    EmptyControl,
    #[error("point {index} has time {t}, which is not a finite number of days")]
    BadTime { index: usize, t: f64 },
    #[error(
        "a neighbourhood of {reach} cells around each cell ({what}) is too wide: at most {limit}; \
         use a larger cell or a smaller distance"
    )]
    TooWide {
        what: String,
        reach: f64,
        limit: u64,
    },
    #[error(
        "{what} would take {work} steps, more than the {limit} one analysis may take; use a \
         larger cell, a smaller distance or a shorter period"
    )]
    TooMuchWork {
        what: &'static str,
        work: u64,
        limit: u64,
    },
}

/// The widest neighbourhood (cells from a cell to the edge of its window) any analysis takes.
pub const MAX_REACH: u64 = 100;
/// The most steps (cell or neighbour visits) one analysis may take: about a second or two on
/// one core. Past it the analysis refuses with `TooMuchWork` instead of running for minutes.
pub const MAX_WORK: u64 = 2_000_000_000;

/// Refuses a neighbourhood wider than `MAX_REACH` cells, before anything is allocated for it.
pub(crate) fn reach_of(
    what: impl FnOnce() -> String,
    extent: f64,
    cell: f64,
) -> Result<isize, AnalysisError> {
    let reach = extent / cell;
    if !reach.is_finite() || reach > MAX_REACH as f64 {
        return Err(AnalysisError::TooWide {
            what: what(),
            reach,
            limit: MAX_REACH,
        });
    }
    Ok(reach as isize)
}

/// Refuses work past `MAX_WORK` steps (`parts` multiplied, saturating).
pub(crate) fn budget(what: &'static str, parts: &[u64]) -> Result<(), AnalysisError> {
    let work = parts.iter().fold(1u64, |a, &b| a.saturating_mul(b));
    if work > MAX_WORK {
        return Err(AnalysisError::TooMuchWork {
            what,
            work,
            limit: MAX_WORK,
        });
    }
    Ok(())
}
