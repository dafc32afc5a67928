//! Prospective hot spots: which cells are most at risk in the next period?
//!
//! In the spirit of Bowers, Johnson & Pease (2004): recent events count more than old ones
//! (exponential decay with half-life `half_life_days`), and an event raises the risk around it
//! for a while (near repeats) — its weight is shared with the neighbouring cells through a
//! small quartic kernel of `bandwidth` metres. Only events before `until` are used.

use crate::Grid;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastParams {
    pub half_life_days: f64,
    pub bandwidth: f64,
    /// Weight of the cell's own (undecayed) long-run count beside the decayed kernel risk.
    pub long_run: f64,
}

impl Default for ForecastParams {
    fn default() -> Self {
        // Chosen on San Francisco 2012 July–August → September (examples/tune_forecast.rs),
        // never on the October–December period it is scored on.
        ForecastParams {
            half_life_days: 120.0,
            bandwidth: 225.0,
            long_run: 5.0,
        }
    }
}

/// Risk per cell of `grid` from events (x, y, t in days) before `until` (days).
pub fn prospective(
    xs: &[f64],
    ys: &[f64],
    ts: &[f64],
    grid: &Grid,
    until: f64,
    p: ForecastParams,
) -> Vec<f64> {
    let (nx, ny, cell) = (grid.nx, grid.ny, grid.cell);
    let mut risk = vec![0.0f64; nx * ny];
    let lambda = std::f64::consts::LN_2 / p.half_life_days;
    let h2 = p.bandwidth * p.bandwidth;
    let reach = (p.bandwidth / cell).ceil() as isize + 1;
    for ((&x, &y), &t) in xs.iter().zip(ys).zip(ts) {
        if t >= until {
            continue;
        }
        let decay = (-(until - t) * lambda).exp();
        let i = ((x - grid.x0) / cell).floor() as isize;
        let j = ((y - grid.y0) / cell).floor() as isize;
        if i < 0 || j < 0 || i >= nx as isize || j >= ny as isize {
            continue;
        }
        risk[j as usize * nx + i as usize] += p.long_run;
        for jj in (j - reach).max(0)..(j + reach + 1).min(ny as isize) {
            let dy = grid.y0 + (jj as f64 + 0.5) * cell - y;
            for ii in (i - reach).max(0)..(i + reach + 1).min(nx as isize) {
                let dx = grid.x0 + (ii as f64 + 0.5) * cell - x;
                let d2 = dx * dx + dy * dy;
                if d2 < h2 {
                    let u = 1.0 - d2 / h2;
                    risk[jj as usize * nx + ii as usize] += decay * u * u;
                }
            }
        }
    }
    risk
}
