//! Local Moran's I (LISA, Anselin 1995) on grid counts, as PySAL's `esda.Moran_Local` with
//! row-standardised weights: z = (x − x̄)/σ, I_i = (n − 1) z_i · (mean of z over i's neighbours)
//! / Σ z², quadrants 1 HH, 2 LH, 3 LL, 4 HL, and pseudo p-values from conditional permutations
//! (the neighbours of i drawn at random from the other cells), folded as esda does.

use crate::crand::pseudo_p;
use crate::{AnalysisError, Grid, Weights};
use rayon::prelude::*;

#[derive(Debug, Clone, PartialEq)]
pub struct LocalMoran {
    pub i: Vec<f64>,
    pub p_sim: Vec<f64>,
    /// 1 HH (hot spot), 2 LH, 3 LL (cold spot), 4 HL.
    pub quadrant: Vec<u8>,
}

/// Neighbour offsets (dx, dy) without the cell itself.
fn offsets(weights: Weights, cell: f64) -> Result<Vec<(isize, isize)>, AnalysisError> {
    let reach = match weights {
        Weights::Queen => 1,
        Weights::Distance(d) => {
            let r = crate::reach_of(|| format!("distance:{d}"), d, cell)?;
            if r < 1 {
                return Err(AnalysisError::BadWeights(format!("distance:{d}")));
            }
            r
        }
    };
    let mut out = Vec::new();
    for dx in -reach..=reach {
        for dy in -reach..=reach {
            let inside = match weights {
                Weights::Queen => true,
                Weights::Distance(d) => ((dx * dx + dy * dy) as f64) * cell * cell <= d * d + 1e-9,
            };
            if (dx != 0 || dy != 0) && inside {
                out.push((dx, dy));
            }
        }
    }
    Ok(out)
}

pub fn local_moran(
    grid: &Grid,
    weights: Weights,
    permutations: usize,
    seed: u64,
) -> Result<LocalMoran, AnalysisError> {
    let (nx, ny) = (grid.nx, grid.ny);
    let n = nx * ny;
    let x = &grid.counts;
    let mean = x.iter().sum::<f64>() / n as f64;
    let sd = (x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64).sqrt();
    if sd.is_nan() || sd <= 0.0 || n < 3 {
        return Err(AnalysisError::ConstantField(mean));
    }
    let z: Vec<f64> = x.iter().map(|v| (v - mean) / sd).collect();
    let den: f64 = z.iter().map(|v| v * v).sum();
    let offs = offsets(weights, grid.cell)?;
    crate::budget(
        "local Moran's I",
        &[n as u64, offs.len() as u64, permutations as u64 + 1],
    )?;
    let neighbours = |k: usize| {
        let (ix, iy) = ((k % nx) as isize, (k / nx) as isize);
        offs.iter().filter_map(move |(dx, dy)| {
            let (xx, yy) = (ix + dx, iy + dy);
            (xx >= 0 && yy >= 0 && xx < nx as isize && yy < ny as isize)
                .then(|| yy as usize * nx + xx as usize)
        })
    };
    let n1 = (n - 1) as f64;
    let nbs: Vec<Vec<usize>> = (0..n)
        .into_par_iter()
        .map(|k| neighbours(k).collect())
        .collect();
    let (i, quadrant): (Vec<f64>, Vec<u8>) = (0..n)
        .into_par_iter()
        .map(|k| {
            let nb = &nbs[k];
            let lag = if nb.is_empty() {
                0.0
            } else {
                nb.iter().map(|&j| z[j]).sum::<f64>() / nb.len() as f64
            };
            let q = match (z[k] > 0.0, lag > 0.0) {
                (true, true) => 1,
                (false, true) => 2,
                (false, false) => 3,
                (true, false) => 4,
            };
            (n1 * z[k] * lag / den, q)
        })
        .unzip();
    // The same expression as the observed I, so that exact ties (common: many cells are
    // empty) compare equal.
    let p_sim = pseudo_p(
        &z,
        |k| nbs[k].len(),
        permutations,
        seed,
        |k, s| {
            let kk = nbs[k].len() as f64;
            n1 * z[k] * (s / kk) / den >= i[k]
        },
    );
    Ok(LocalMoran { i, p_sim, quadrant })
}
