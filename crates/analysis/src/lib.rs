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
}
