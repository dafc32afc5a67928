//! Kernel density with the quartic (biweight) kernel, as QGIS and CrimeStat:
//! K(d) = 3/(π h²) (1 − d²/h²)² for d < h, summed over the points at every cell centre, in
//! incidents per km².

use crate::{AnalysisError, Grid};
use rayon::prelude::*;

/// Density at the centre of each cell of `grid` (row by row from the south-west).
///
/// Exact (every point within h of a cell centre counts, as the reference computes), but not
/// point by point: the points are sorted by cell, and for the cells that lie wholly inside a
/// target's disc the kernel sum is a polynomial in the points' offsets from their cell centre,
/// so ten moments per cell give it at once (no cancellation to speak of: the kernel is
/// positive there). Only the ring of cells that the disc's edge crosses is summed point by
/// point. With h = 5 cells that is 45 of the 121 cells around a point.
pub fn quartic_kde(xs: &[f64], ys: &[f64], grid: &Grid, h: f64) -> Result<Vec<f64>, AnalysisError> {
    if !(h.is_finite() && h > 0.0) {
        return Err(AnalysisError::BadBandwidth(h));
    }
    let (nx, ny, cell) = (grid.nx, grid.ny, grid.cell);
    let k = Kernel::new(h);
    crate::reach_of(|| format!("bandwidth {h} m"), h, cell)?;
    let reach = (h / cell).ceil() as isize + 1;
    crate::budget(
        "the density",
        &[
            xs.len() as u64 + (nx * ny) as u64,
            (2 * reach as u64 + 1).pow(2),
        ],
    )?;
    // Offsets (di, dj) from a source cell to the target cells its points may reach.
    let mut inside: Vec<Offset> = Vec::new();
    let mut edge: Vec<Offset> = Vec::new();
    for dj in -reach..=reach {
        for di in -reach..=reach {
            let (fi, fj) = (di.unsigned_abs() as f64, dj.unsigned_abs() as f64);
            let far2 = ((fi + 0.5).powi(2) + (fj + 0.5).powi(2)) * cell * cell;
            let near2 = ((fi - 0.5).max(0.0).powi(2) + (fj - 0.5).max(0.0).powi(2)) * cell * cell;
            let (vx, vy) = (di as f64 * cell, dj as f64 * cell);
            let o = Offset {
                di,
                dj,
                vx,
                vy,
                a: 1.0 - (vx * vx + vy * vy) * k.inv_h2,
            };
            if far2 < k.h2 * (1.0 - 1e-9) {
                inside.push(o);
            } else if near2 <= k.h2 * (1.0 + 1e-9) {
                edge.push(o);
            }
        }
    }
    // Bands of source rows in parallel, each into the target rows it reaches; added up in band
    // order, so the result does not depend on the number of threads. Small bands share the
    // work of a clustered map evenly; at least 32 bands on a large grid keep the copies small.
    let rows = (2 * reach as usize).max(ny.div_ceil(32)).max(1);
    let nbands = ny.div_ceil(rows);
    // Points by band (chunks of points in parallel, kept in input order), with their cell;
    // those outside the grid apart.
    const CHUNK: usize = 1 << 16;
    let cell_of = |x: f64, y: f64| {
        let i = (x - grid.x0) / cell;
        let j = (y - grid.y0) / cell;
        // Truncation is the floor for the non-negative values that are kept.
        (i >= 0.0 && j >= 0.0 && i < nx as f64 && j < ny as f64).then_some((i as usize, j as usize))
    };
    type Sorted = (Vec<Vec<(f64, f64, u32)>>, Vec<(f64, f64)>);
    let chunks: Vec<Sorted> = xs
        .par_chunks(CHUNK)
        .zip(ys.par_chunks(CHUNK))
        .map(|(xs, ys)| {
            let mut by_band = vec![Vec::new(); nbands];
            let mut outside = Vec::new();
            for (&x, &y) in xs.iter().zip(ys) {
                match cell_of(x, y) {
                    Some((i, j)) => by_band[j / rows].push((x, y, (j * nx + i) as u32)),
                    None => outside.push((x, y)),
                }
            }
            (by_band, outside)
        })
        .collect();
    let bands: Vec<(usize, Vec<f64>)> = (0..nbands)
        .into_par_iter()
        .map(|band| {
            let (j0, j1) = (band * rows, ((band + 1) * rows).min(ny));
            // The band's points in cell order (a counting sort, stable).
            let base = j0 * nx;
            let mut start = vec![0usize; (j1 - j0) * nx + 1];
            for (by_band, _) in &chunks {
                for p in &by_band[band] {
                    start[p.2 as usize - base + 1] += 1;
                }
            }
            for c in 0..(j1 - j0) * nx {
                start[c + 1] += start[c];
            }
            let total = start[(j1 - j0) * nx];
            let (mut sx, mut sy) = (vec![0.0f64; total], vec![0.0f64; total]);
            let mut fill = start.clone();
            for (by_band, _) in &chunks {
                for &(x, y, c) in &by_band[band] {
                    let slot = &mut fill[c as usize - base];
                    sx[*slot] = x;
                    sy[*slot] = y;
                    *slot += 1;
                }
            }
            drop(fill);
            let t0 = j0.saturating_sub(reach as usize);
            let t1 = (j1 + reach as usize).min(ny);
            let mut dens = vec![0.0f64; (t1 - t0) * nx];
            let mut add = |ti: isize, tj: isize, v: f64| {
                if ti >= 0 && tj >= 0 && (ti as usize) < nx && (tj as usize) < ny {
                    dens[(tj as usize - t0) * nx + ti as usize] += v;
                }
            };
            for j in j0..j1 {
                for i in 0..nx {
                    let c = (j - j0) * nx + i;
                    let (px, py) = (&sx[start[c]..start[c + 1]], &sy[start[c]..start[c + 1]]);
                    if px.is_empty() {
                        continue;
                    }
                    let (cx, cy) = (
                        grid.x0 + (i as f64 + 0.5) * cell,
                        grid.y0 + (j as f64 + 0.5) * cell,
                    );
                    let m = Moments::of(px, py, cx, cy);
                    for o in &inside {
                        add(i as isize + o.di, j as isize + o.dj, k.norm * m.sum(o, &k));
                    }
                    for o in &edge {
                        let (tx, ty) = (cx + o.vx, cy + o.vy);
                        add(
                            i as isize + o.di,
                            j as isize + o.dj,
                            k.norm * k.sum(px, py, tx, ty),
                        );
                    }
                }
            }
            (t0, dens)
        })
        .collect();
    let mut dens = vec![0.0f64; nx * ny];
    for (t0, part) in &bands {
        for (d, p) in dens[t0 * nx..].iter_mut().zip(part) {
            *d += p;
        }
    }
    // Points outside the grid still reach the cells near its edge: point by point.
    for &(px, py) in chunks.iter().flat_map(|c| &c.1) {
        let i = ((px - grid.x0) / cell).floor() as isize;
        let j = ((py - grid.y0) / cell).floor() as isize;
        for jj in (j - reach).max(0)..(j + reach + 1).min(ny as isize) {
            for ii in (i - reach).max(0)..(i + reach + 1).min(nx as isize) {
                let (tx, ty) = (
                    grid.x0 + (ii as f64 + 0.5) * cell,
                    grid.y0 + (jj as f64 + 0.5) * cell,
                );
                dens[jj as usize * nx + ii as usize] += k.norm * k.unit(tx - px, ty - py);
            }
        }
    }
    Ok(dens)
}

struct Kernel {
    h2: f64,
    inv_h2: f64,
    /// 3 / (π h²), per km².
    norm: f64,
}

impl Kernel {
    fn new(h: f64) -> Kernel {
        let h2 = h * h;
        Kernel {
            h2,
            inv_h2: 1.0 / h2,
            norm: 3.0 / (std::f64::consts::PI * h2) * 1e6,
        }
    }

    /// Σ unit over points, in four running sums (one would make every addition wait for the
    /// last; four let the processor overlap them and pair them in vector registers).
    fn sum(&self, px: &[f64], py: &[f64], tx: f64, ty: f64) -> f64 {
        let mut acc = [0.0f64; 4];
        let (cx, cy) = (px.chunks_exact(4), py.chunks_exact(4));
        let (rx, ry) = (cx.remainder(), cy.remainder());
        for (x, y) in cx.zip(cy) {
            for l in 0..4 {
                acc[l] += self.unit(tx - x[l], ty - y[l]);
            }
        }
        for (&x, &y) in rx.iter().zip(ry) {
            acc[0] += self.unit(tx - x, ty - y);
        }
        (acc[0] + acc[1]) + (acc[2] + acc[3])
    }

    /// (1 − d²/h²)² inside the disc, 0 outside (a select, not a branch: the disc's edge is
    /// unpredictable). d² · (1/h²) rather than d² / h²: within an ulp of the reference.
    #[inline]
    fn unit(&self, dx: f64, dy: f64) -> f64 {
        let d2 = dx * dx + dy * dy;
        let u = 1.0 - d2 * self.inv_h2;
        if d2 < self.h2 { u * u } else { 0.0 }
    }
}

/// From a source cell's centre to a target cell's centre.
struct Offset {
    di: isize,
    dj: isize,
    vx: f64,
    vy: f64,
    /// 1 − |v|²/h².
    a: f64,
}

/// Sums over a cell's points of their offset q from the cell centre: Σ1, Σq, Σqq (xx, xy,
/// yy), Σq|q|², Σ|q|⁴.
struct Moments {
    m: f64,
    sx: f64,
    sy: f64,
    sxx: f64,
    sxy: f64,
    syy: f64,
    tx: f64,
    ty: f64,
    q4: f64,
}

impl Moments {
    fn of(px: &[f64], py: &[f64], cx: f64, cy: f64) -> Moments {
        let mut s = Moments {
            m: px.len() as f64,
            sx: 0.0,
            sy: 0.0,
            sxx: 0.0,
            sxy: 0.0,
            syy: 0.0,
            tx: 0.0,
            ty: 0.0,
            q4: 0.0,
        };
        for (&x, &y) in px.iter().zip(py) {
            let (qx, qy) = (x - cx, y - cy);
            let q2 = qx * qx + qy * qy;
            s.sx += qx;
            s.sy += qy;
            s.sxx += qx * qx;
            s.sxy += qx * qy;
            s.syy += qy * qy;
            s.tx += qx * q2;
            s.ty += qy * q2;
            s.q4 += q2 * q2;
        }
        s
    }

    /// Σ (1 − |v − q|²/h²)² over the cell's points, all inside the disc around the target:
    /// with u = a + w, w = (2 v·q − |q|²)/h², Σu² = m a² + 2a Σw + Σw².
    fn sum(&self, o: &Offset, k: &Kernel) -> f64 {
        let (vx, vy) = (o.vx, o.vy);
        let sw = (2.0 * (vx * self.sx + vy * self.sy) - (self.sxx + self.syy)) * k.inv_h2;
        let vq2 = vx * vx * self.sxx + 2.0 * vx * vy * self.sxy + vy * vy * self.syy;
        let sw2 = (4.0 * vq2 - 4.0 * (vx * self.tx + vy * self.ty) + self.q4) * k.inv_h2 * k.inv_h2;
        self.m * o.a * o.a + 2.0 * o.a * sw + sw2
    }
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
