//! Kernel density with the quartic (biweight) kernel, as QGIS and CrimeStat:
//! K(d) = 3/(π h²) (1 − d²/h²)² for d < h, summed over the points at every cell centre, in
//! incidents per km².

use crate::{AnalysisError, Grid};
use rayon::prelude::*;

/// Density at the centre of each cell of `grid` (row by row from the south-west).
pub fn quartic_kde(xs: &[f64], ys: &[f64], grid: &Grid, h: f64) -> Result<Vec<f64>, AnalysisError> {
    if !(h.is_finite() && h > 0.0) {
        return Err(AnalysisError::BadBandwidth(h));
    }
    let (nx, ny, cell) = (grid.nx, grid.ny, grid.cell);
    let h2 = h * h;
    let inv_h2 = 1.0 / h2;
    let norm = 3.0 / (std::f64::consts::PI * h2) * 1e6;
    let reach = (h / cell).ceil() as isize + 1;
    // Chunks of points in parallel, each into its own density grid, then added up in chunk
    // order, so the result does not depend on the number of threads.
    const CHUNK: usize = 1 << 15;
    let parts: Vec<Vec<f64>> = xs
        .par_chunks(CHUNK)
        .zip(ys.par_chunks(CHUNK))
        .map(|(xs, ys)| {
            let mut dens = vec![0.0f64; nx * ny];
            // The squared column distances of a point are the same in every row.
            let mut dx2 = vec![0.0f64; 2 * reach as usize + 1];
            for (&px, &py) in xs.iter().zip(ys) {
                let i = ((px - grid.x0) / cell).floor() as isize;
                let j = ((py - grid.y0) / cell).floor() as isize;
                let (i0, i1) = ((i - reach).max(0), (i + reach + 1).min(nx as isize));
                let (j0, j1) = ((j - reach).max(0), (j + reach + 1).min(ny as isize));
                let cols = (i1 - i0).max(0) as usize;
                for (k, d) in dx2[..cols].iter_mut().enumerate() {
                    let dx = grid.x0 + ((i0 as usize + k) as f64 + 0.5) * cell - px;
                    *d = dx * dx;
                }
                for jj in j0..j1 {
                    let dy = grid.y0 + (jj as f64 + 0.5) * cell - py;
                    let dy2 = dy * dy;
                    if dy2 >= h2 {
                        continue;
                    }
                    let row =
                        &mut dens[jj as usize * nx + i0 as usize..jj as usize * nx + i1 as usize];
                    for (cell_density, &dx2) in row.iter_mut().zip(&dx2[..cols]) {
                        let d2 = dx2 + dy2;
                        if d2 < h2 {
                            // d2 * (1/h²) instead of d2 / h²: a multiplication, within an
                            // ulp of the reference.
                            let u = 1.0 - d2 * inv_h2;
                            *cell_density += norm * u * u;
                        }
                    }
                }
            }
            dens
        })
        .collect();
    let mut dens = vec![0.0f64; nx * ny];
    for part in &parts {
        for (d, p) in dens.iter_mut().zip(part) {
            *d += p;
        }
    }
    Ok(dens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_point_integrates_to_one_per_square_metre() {
        // Over a fine grid the density (per km²) times the cell area (km²) sums to one point.
        let g = Grid::bin(
            &[0.0, 2000.0],
            &[0.0, 2000.0],
            10.0,
            Some([-1000.0, -1000.0, 1000.0, 1000.0]),
        )
        .err();
        assert!(g.is_some(), "a point outside the extent is refused");
        let g = Grid::bin(
            &[0.0],
            &[0.0],
            10.0,
            Some([-1000.0, -1000.0, 1000.0, 1000.0]),
        )
        .unwrap();
        let d = quartic_kde(&[0.0], &[0.0], &g, 300.0).unwrap();
        let total: f64 = d.iter().map(|v| v * 1e-4).sum();
        assert!((total - 1.0).abs() < 1e-3, "{total}");
        assert!(quartic_kde(&[0.0], &[0.0], &g, 0.0).is_err());
    }
}
