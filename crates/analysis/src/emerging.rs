//! Emerging hot spots: Gi* in every time slice, then Mann–Kendall on each cell's z-series,
//! classified with ArcGIS's categories (new, consecutive, intensifying, persistent,
//! diminishing, sporadic, oscillating, historical; hot and cold), significance from the
//! FDR-corrected 90 % bin.

use crate::{AnalysisError, Direction, Grid, Weights, gi_star, mann_kendall};
use rayon::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    New,
    Consecutive,
    Intensifying,
    Persistent,
    Diminishing,
    Sporadic,
    Oscillating,
    Historical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emerging {
    None,
    Hot(Pattern),
    Cold(Pattern),
}

impl Emerging {
    pub fn label(self) -> String {
        let name = |p: Pattern| match p {
            Pattern::New => "new",
            Pattern::Consecutive => "consecutive",
            Pattern::Intensifying => "intensifying",
            Pattern::Persistent => "persistent",
            Pattern::Diminishing => "diminishing",
            Pattern::Sporadic => "sporadic",
            Pattern::Oscillating => "oscillating",
            Pattern::Historical => "historical",
        };
        match self {
            Emerging::None => "none".into(),
            Emerging::Hot(p) => format!("{}_hot_spot", name(p)),
            Emerging::Cold(p) => format!("{}_cold_spot", name(p)),
        }
    }
}

/// Classifies one cell from its per-slice significance (+1 hot, −1 cold, 0 neither) and its
/// z-series trend. `sig` is oldest first.
pub fn classify(sig: &[i8], trend: Direction) -> Emerging {
    for (sign, wrap) in [
        (1i8, Emerging::Hot as fn(Pattern) -> Emerging),
        (-1, Emerging::Cold),
    ] {
        let n = sig.len();
        if n == 0 {
            return Emerging::None;
        }
        let hits = sig.iter().filter(|s| **s == sign).count();
        let opposite = sig.iter().any(|s| *s == -sign);
        let last = sig[n - 1] == sign;
        let share = hits as f64 / n as f64;
        let (up, down) = if sign > 0 {
            (Direction::Increasing, Direction::Decreasing)
        } else {
            (Direction::Decreasing, Direction::Increasing)
        };
        if hits == 0 {
            continue;
        }
        if share >= 0.9 {
            if !last {
                return wrap(Pattern::Historical);
            }
            return wrap(if trend == up {
                Pattern::Intensifying
            } else if trend == down {
                Pattern::Diminishing
            } else {
                Pattern::Persistent
            });
        }
        if !last {
            continue;
        }
        if hits == 1 {
            return wrap(Pattern::New);
        }
        // The run at the end.
        let run = sig.iter().rev().take_while(|s| **s == sign).count();
        if run == hits && run >= 2 {
            return wrap(Pattern::Consecutive);
        }
        return wrap(if opposite {
            Pattern::Oscillating
        } else {
            Pattern::Sporadic
        });
    }
    Emerging::None
}

/// `slices`: counts per cell of `grid` in each time slice, oldest first.
pub fn emerging_hot_spots(
    grid: &Grid,
    slices: &[Vec<f64>],
    weights: Weights,
) -> Result<Vec<Emerging>, AnalysisError> {
    let n = grid.counts.len();
    let per_slice: Vec<Option<crate::GiStar>> = slices
        .par_iter()
        .map(|counts| {
            let g = Grid {
                counts: counts.clone(),
                ..grid.clone()
            };
            match gi_star(&g, weights) {
                Ok(r) => Ok(Some(r)),
                // A slice with no variation (e.g. empty) has no hot or cold spots.
                Err(AnalysisError::ConstantField(_)) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .collect::<Result<_, _>>()?;
    Ok((0..n)
        .into_par_iter()
        .map(|k| {
            let sig: Vec<i8> = per_slice
                .iter()
                .map(|s| s.as_ref().map_or(0, |r| r.bins[k].signum()))
                .collect();
            let z: Vec<f64> = per_slice
                .iter()
                .map(|s| s.as_ref().map_or(0.0, |r| r.z[k]))
                .collect();
            classify(&sig, mann_kendall(&z).direction)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Pattern::*;

    #[test]
    fn categories() {
        let none = Direction::None;
        let h = |p| Emerging::Hot(p);
        assert_eq!(classify(&[0, 0, 0, 0, 1], none), h(New));
        assert_eq!(classify(&[0, 0, 0, 1, 1], none), h(Consecutive));
        assert_eq!(
            classify(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 1], Direction::Increasing),
            h(Intensifying)
        );
        assert_eq!(
            classify(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 1], none),
            h(Persistent)
        );
        assert_eq!(
            classify(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 1], Direction::Decreasing),
            h(Diminishing)
        );
        assert_eq!(classify(&[1, 0, 1, 0, 1], none), h(Sporadic));
        assert_eq!(classify(&[-1, 0, 1, 0, 1], none), h(Oscillating));
        assert_eq!(
            classify(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0], none),
            h(Historical)
        );
        assert_eq!(classify(&[0, 0, 0, 0, -1], none), Emerging::Cold(New));
        assert_eq!(classify(&[0, 0, 0, 0, 0], none), Emerging::None);
        assert_eq!(classify(&[1, 0, 0, 0, 0], none), Emerging::None);
        assert_eq!(Emerging::Hot(New).label(), "new_hot_spot");
    }

    #[test]
    fn a_cluster_that_appears_late_is_new_or_consecutive() {
        // 8 slices on a 20 × 20 grid with background noise; a cluster in the last two.
        let grid = Grid {
            cell: 100.0,
            x0: 0.0,
            y0: 0.0,
            nx: 20,
            ny: 20,
            counts: vec![0.0; 400],
        };
        let mut slices = Vec::new();
        for s in 0..8 {
            let mut c: Vec<f64> = (0..400).map(|k| ((k * 7 + s * 13) % 5) as f64).collect();
            if s >= 6 {
                for dx in 0..3 {
                    for dy in 0..3 {
                        c[(10 + dy) * 20 + 10 + dx] += 40.0;
                    }
                }
            }
            slices.push(c);
        }
        let e = emerging_hot_spots(&grid, &slices, Weights::Queen).unwrap();
        assert_eq!(e[11 * 20 + 11], Emerging::Hot(Consecutive));
    }
}
