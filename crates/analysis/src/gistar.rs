//! Getis–Ord Gi* on grid counts, with Benjamini–Hochberg FDR confidence bins (as ArcGIS).
//!
//! Gi*_i = (Σ_j w_ij x_j − x̄ W_i) / (S √((n W_i − W_i²)/(n − 1))), binary weights w_ij with
//! w_ii = 1, x̄ = Σx/n, S = √(Σx²/n − x̄²), W_i = Σ_j w_ij (= Σ_j w_ij², binary). This equals
//! PySAL's `esda.G_Local(star=True).Zs`.

use crate::crand::pseudo_p;
use crate::{AnalysisError, Grid};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weights {
    /// The cell and its 8 neighbours.
    Queen,
    /// Every cell whose centre lies within this many metres of the cell's centre (≤).
    Distance(f64),
}

impl Weights {
    pub fn parse(s: &str) -> Result<Weights, AnalysisError> {
        let s = s.trim();
        if s == "queen" {
            return Ok(Weights::Queen);
        }
        match s.strip_prefix("distance:").map(|d| d.parse::<f64>()) {
            Some(Ok(d)) if d.is_finite() && d > 0.0 => Ok(Weights::Distance(d)),
            _ => Err(AnalysisError::BadWeights(s.to_string())),
        }
    }

    /// For each row offset dy in -r..=r, the half-width of the window in that row.
    fn rows(&self, cell: f64) -> Result<Vec<(isize, isize)>, AnalysisError> {
        match *self {
            Weights::Queen => Ok(vec![(-1, 1), (0, 1), (1, 1)]),
            Weights::Distance(d) => {
                let reach = crate::reach_of(|| format!("distance:{d}"), d, cell)?;
                if reach < 1 {
                    return Err(AnalysisError::BadWeights(format!("distance:{d}")));
                }
                let r2 = d * d + 1e-9;
                Ok((-reach..=reach)
                    .map(|dy| {
                        let mut half = 0;
                        while half < reach
                            && ((half + 1) as f64 * cell).powi(2) + (dy as f64 * cell).powi(2) <= r2
                        {
                            half += 1;
                        }
                        (dy, half)
                    })
                    .collect())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GiStar {
    pub z: Vec<f64>,
    /// Two-sided normal p-values.
    pub p: Vec<f64>,
    /// −3…3: 99/95/90 % cold or hot after FDR correction, 0 not significant.
    pub bins: Vec<i8>,
}

/// Gi* z-scores, p-values and FDR bins for every cell of `grid`.
pub fn gi_star(grid: &Grid, weights: Weights) -> Result<GiStar, AnalysisError> {
    let (nx, ny) = (grid.nx, grid.ny);
    let n = (nx * ny) as f64;
    let x = &grid.counts;
    let sum: f64 = x.iter().sum();
    let sum2: f64 = x.iter().map(|v| v * v).sum();
    let mean = sum / n;
    let s = (sum2 / n - mean * mean).max(0.0).sqrt();
    if s.is_nan() || s <= 0.0 || n < 2.0 {
        return Err(AnalysisError::ConstantField(mean));
    }
    let (lag, w) = window_sums(grid, weights)?;
    let z: Vec<f64> = lag
        .iter()
        .zip(&w)
        .map(|(&lag, &w)| {
            let denom = s * ((n * w - w * w) / (n - 1.0)).sqrt();
            (lag - mean * w) / denom
        })
        .collect();
    let (p, bins) = bh_bins(&z);
    Ok(GiStar { z, p, bins })
}

/// For every cell, the sum of the counts in its window (itself and its neighbours) and the
/// number of cells in the window.
fn window_sums(grid: &Grid, weights: Weights) -> Result<(Vec<f64>, Vec<f64>), AnalysisError> {
    let (nx, ny) = (grid.nx, grid.ny);
    let x = &grid.counts;
    let rows = weights.rows(grid.cell)?;
    crate::budget("Gi*", &[(nx * ny) as u64, rows.len() as u64])?;
    // Prefix sums per row: pre[iy * (nx + 1) + ix] = Σ x[iy, 0..ix].
    let mut pre = vec![0.0f64; ny * (nx + 1)];
    for iy in 0..ny {
        let base = iy * (nx + 1);
        for ix in 0..nx {
            pre[base + ix + 1] = pre[base + ix] + x[iy * nx + ix];
        }
    }
    let (mut lags, mut ws) = (vec![0.0; nx * ny], vec![0.0; nx * ny]);
    for iy in 0..ny {
        for ix in 0..nx {
            let (mut lag, mut w) = (0.0, 0.0);
            for &(dy, half) in &rows {
                let y = iy as isize + dy;
                if y < 0 || y >= ny as isize {
                    continue;
                }
                let lo = (ix as isize - half).max(0) as usize;
                let hi = ((ix as isize + half) as usize).min(nx - 1);
                let base = y as usize * (nx + 1);
                lag += pre[base + hi + 1] - pre[base + lo];
                w += (hi - lo + 1) as f64;
            }
            lags[iy * nx + ix] = lag;
            ws[iy * nx + ix] = w;
        }
    }
    Ok((lags, ws))
}

/// Pseudo p-values of Gi* from conditional permutations, as `esda.G_Local(star=True,
/// permutations=…).p_sim`: the cell's own count stays, its neighbours' counts are drawn from
/// the other cells. Gi* grows with the window sum, so the sums are compared.
pub fn gi_star_p_sim(
    grid: &Grid,
    weights: Weights,
    permutations: usize,
    seed: u64,
) -> Result<Vec<f64>, AnalysisError> {
    let x = &grid.counts;
    let n = x.len();
    let mean = x.iter().sum::<f64>() / n as f64;
    if n < 2 || x.iter().all(|v| *v == x[0]) {
        return Err(AnalysisError::ConstantField(mean));
    }
    let (lag, w) = window_sums(grid, weights)?;
    let window = w.iter().cloned().fold(0.0, f64::max) as u64;
    crate::budget("Gi* permutations", &[n as u64, window, permutations as u64])?;
    Ok(pseudo_p(
        x,
        |k| w[k] as usize - 1,
        permutations,
        seed,
        |k, s| x[k] + s >= lag[k],
    ))
}

/// Two-sided p-values and ArcGIS-style confidence bins after Benjamini–Hochberg FDR at
/// 10 %, 5 % and 1 %.
pub fn bh_bins(z: &[f64]) -> (Vec<f64>, Vec<i8>) {
    let p: Vec<f64> = z
        .iter()
        .map(|v| libm::erfc(v.abs() / std::f64::consts::SQRT_2))
        .collect();
    let n = p.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut bins = vec![0i8; n];
    for (level, conf) in [(0.10, 1i8), (0.05, 2), (0.01, 3)] {
        let k = order
            .iter()
            .enumerate()
            .filter(|&(rank, &i)| p[i] <= level * (rank + 1) as f64 / n as f64)
            .map(|(rank, _)| rank + 1)
            .max()
            .unwrap_or(0);
        for &i in &order[..k] {
            bins[i] = conf * z[i].signum() as i8 * (z[i] != 0.0) as i8;
        }
    }
    (p, bins)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(grid: &Grid, offsets: &[(isize, isize)]) -> Vec<f64> {
        let (nx, ny) = (grid.nx as isize, grid.ny as isize);
        let n = (nx * ny) as f64;
        let x = &grid.counts;
        let mean = x.iter().sum::<f64>() / n;
        let s = (x.iter().map(|v| v * v).sum::<f64>() / n - mean * mean).sqrt();
        (0..ny)
            .flat_map(|iy| (0..nx).map(move |ix| (ix, iy)))
            .map(|(ix, iy)| {
                let (mut lag, mut w) = (0.0, 0.0);
                for (dx, dy) in offsets {
                    let (xx, yy) = (ix + dx, iy + dy);
                    if xx >= 0 && yy >= 0 && xx < nx && yy < ny {
                        lag += x[(yy * nx + xx) as usize];
                        w += 1.0;
                    }
                }
                (lag - mean * w) / (s * ((n * w - w * w) / (n - 1.0)).sqrt())
            })
            .collect()
    }

    fn grid() -> Grid {
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for i in 0..400u32 {
            // A cluster near (350, 350) and a spread.
            let a = (i as f64 * 2.399_963).sin();
            let b = (i as f64 * 1.618_034).cos();
            if i % 3 == 0 {
                xs.push(350.0 + 60.0 * a);
                ys.push(350.0 + 60.0 * b);
            } else {
                xs.push(500.0 + 480.0 * a);
                ys.push(500.0 + 480.0 * b);
            }
        }
        Grid::bin(&xs, &ys, 50.0, None).unwrap()
    }

    #[test]
    fn window_sums_equal_the_definition() {
        let g = grid();
        let queen: Vec<(isize, isize)> = (-1..=1)
            .flat_map(|dx| (-1..=1).map(move |dy| (dx, dy)))
            .collect();
        let fast = gi_star(&g, Weights::Queen).unwrap();
        for (a, b) in fast.z.iter().zip(naive(&g, &queen)) {
            assert!((a - b).abs() < 1e-12, "{a} {b}");
        }
        // A 160 m band on 50 m cells: the disk of radius 3 cells, minus the corners outside it.
        let disk: Vec<(isize, isize)> = (-3..=3)
            .flat_map(|dx| (-3..=3).map(move |dy| (dx, dy)))
            .filter(|(dx, dy)| ((dx * dx + dy * dy) as f64) * 2500.0 <= 160.0 * 160.0 + 1e-9)
            .collect();
        let fast = gi_star(&g, Weights::Distance(160.0)).unwrap();
        for (a, b) in fast.z.iter().zip(naive(&g, &disk)) {
            assert!((a - b).abs() < 1e-12, "{a} {b}");
        }
    }

    #[test]
    fn constant_field_is_reported_not_nan() {
        let g = Grid {
            cell: 1.0,
            x0: 0.0,
            y0: 0.0,
            nx: 3,
            ny: 3,
            counts: vec![2.0; 9],
        };
        assert_eq!(
            gi_star(&g, Weights::Queen),
            Err(AnalysisError::ConstantField(2.0))
        );
    }

    #[test]
    fn weights_parse() {
        assert_eq!(Weights::parse("queen").unwrap(), Weights::Queen);
        assert_eq!(
            Weights::parse("distance:300").unwrap(),
            Weights::Distance(300.0)
        );
        for bad in ["rook", "distance:", "distance:-5", "distance:x"] {
            assert!(Weights::parse(bad).is_err(), "{bad}");
        }
        let g = Grid {
            cell: 100.0,
            x0: 0.0,
            y0: 0.0,
            nx: 3,
            ny: 3,
            counts: vec![0.0, 1.0, 2.0, 0.0, 5.0, 0.0, 1.0, 0.0, 0.0],
        };
        assert!(
            gi_star(&g, Weights::Distance(50.0)).is_err(),
            "a band under one cell has no neighbours"
        );
    }

    #[test]
    fn fdr_bins() {
        // 100 cells: a few strong z-scores survive FDR, weak ones do not.
        let mut z = vec![0.1; 100];
        z[0] = 5.0;
        z[1] = -4.0;
        z[2] = 2.0;
        let (p, bins) = bh_bins(&z);
        assert!((p[0] - 5.733_031_438_470_704e-7).abs() < 1e-15, "{}", p[0]);
        assert_eq!((bins[0], bins[1], bins[2], bins[3]), (3, -3, 0, 0));
    }
}
