//! Local Moran's I (LISA, Anselin 1995) on grid counts, as PySAL's `esda.Moran_Local` with
//! row-standardised weights: z = (x − x̄)/σ, I_i = (n − 1) z_i · (mean of z over i's neighbours)
//! / Σ z², quadrants 1 HH, 2 LH, 3 LL, 4 HL, and pseudo p-values from conditional permutations
//! (the neighbours of i drawn at random from the other cells), folded as esda does.

use crate::rng::SplitMix;
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
            let r = (d / cell).floor() as isize;
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
    let neighbours = |k: usize| {
        let (ix, iy) = ((k % nx) as isize, (k / nx) as isize);
        offs.iter().filter_map(move |(dx, dy)| {
            let (xx, yy) = (ix + dx, iy + dy);
            (xx >= 0 && yy >= 0 && xx < nx as isize && yy < ny as isize)
                .then(|| yy as usize * nx + xx as usize)
        })
    };
    // As esda's conditional randomisation, a table of random draws (each row a sample of k_max
    // other cells without replacement, as indices into the n − 1 cells other than i: index d
    // stands for cell d if d < i, else cell d + 1) serves many cells; here one table per block
    // of 256 cells, so that errors of neighbouring blocks are independent. Deterministic for a
    // seed, whatever the number of threads.
    let k_max = offs.len().min(n - 1);
    let n1 = (n - 1) as f64;
    const BLOCK: usize = 256;
    let rows: Vec<(f64, f64, u8)> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .flat_map_iter(|b| {
            let mut rng = SplitMix::for_block(seed, b);
            let mut draws: Vec<u32> = Vec::with_capacity(permutations * k_max);
            let mut row: Vec<u32> = Vec::with_capacity(k_max);
            for _ in 0..permutations {
                row.clear();
                while row.len() < k_max {
                    let d = rng.below(n - 1) as u32;
                    if !row.contains(&d) {
                        row.push(d);
                    }
                }
                draws.extend_from_slice(&row);
            }
            let z = &z;
            let neighbours = &neighbours;
            (b * BLOCK..((b + 1) * BLOCK).min(n)).map(move |k| {
                let nb: Vec<usize> = neighbours(k).collect();
                let kk = nb.len();
                let lag = if kk > 0 {
                    nb.iter().map(|&j| z[j]).sum::<f64>() / kk as f64
                } else {
                    0.0
                };
                let ii = n1 * z[k] * lag / den;
                let q = match (z[k] > 0.0, lag > 0.0) {
                    (true, true) => 1,
                    (false, true) => 2,
                    (false, false) => 3,
                    (true, false) => 4,
                };
                let mut larger = 0usize;
                if kk > 0 {
                    for r in 0..permutations {
                        let s: f64 = draws[r * k_max..r * k_max + kk]
                            .iter()
                            .map(|&d| {
                                let j = d as usize;
                                z[if j < k { j } else { j + 1 }]
                            })
                            .sum();
                        // The same expression as the observed I, so that exact ties (common: many
                        // cells are empty) compare equal.
                        if n1 * z[k] * (s / kk as f64) / den >= ii {
                            larger += 1;
                        }
                    }
                }
                if permutations - larger < larger {
                    larger = permutations - larger;
                }
                (ii, (larger + 1) as f64 / (permutations + 1) as f64, q)
            })
        })
        .collect();
    Ok(LocalMoran {
        i: rows.iter().map(|r| r.0).collect(),
        p_sim: rows.iter().map(|r| r.1).collect(),
        quadrant: rows.iter().map(|r| r.2).collect(),
    })
}
