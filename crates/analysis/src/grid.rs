//! Square cells of side `cell` aligned to multiples of `cell` (SWEREF 99 TM metres).

use crate::AnalysisError;
use rayon::prelude::*;

/// [min x, min y, max x, max y] in metres.
pub type Extent = [f64; 4];

#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub cell: f64,
    /// Lower-left corner of cell (0, 0).
    pub x0: f64,
    pub y0: f64,
    pub nx: usize,
    pub ny: usize,
    /// Points per cell, row by row from the south-west (index = iy * nx + ix).
    pub counts: Vec<f64>,
}

const MAX_CELLS: u64 = 25_000_000;

impl Grid {
    /// Bins points into the grid covering their bounding box snapped outward, or `extent`
    /// snapped outward. Empty cells count (as zero). A point on a cell edge belongs to the cell
    /// whose lower-left corner it equals.
    pub fn bin(
        xs: &[f64],
        ys: &[f64],
        cell: f64,
        extent: Option<Extent>,
    ) -> Result<Grid, AnalysisError> {
        if !(cell.is_finite() && cell > 0.0) {
            return Err(AnalysisError::BadCell(cell));
        }
        if xs.is_empty() {
            return Err(AnalysisError::NoPoints);
        }
        for (i, (&x, &y)) in xs.iter().zip(ys).enumerate() {
            if !x.is_finite() || !y.is_finite() {
                return Err(AnalysisError::BadPoint { index: i, x, y });
            }
        }
        let [minx, miny, maxx, maxy] = match extent {
            Some(e) => e,
            None => {
                let mut e = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
                for (&x, &y) in xs.iter().zip(ys) {
                    e = [e[0].min(x), e[1].min(y), e[2].max(x), e[3].max(y)];
                }
                e
            }
        };
        let x0 = (minx / cell).floor() * cell;
        let y0 = (miny / cell).floor() * cell;
        let nx = ((maxx - x0) / cell).floor() as u64 + 1;
        let ny = ((maxy - y0) / cell).floor() as u64 + 1;
        if nx.saturating_mul(ny) > MAX_CELLS {
            return Err(AnalysisError::TooManyCells(nx.saturating_mul(ny)));
        }
        let (nx, ny) = (nx as usize, ny as usize);
        // Chunks of points binned in parallel, each into its own counts, then added up.
        const CHUNK: usize = 1 << 16;
        let parts: Result<Vec<Vec<u32>>, AnalysisError> = xs
            .par_chunks(CHUNK)
            .zip(ys.par_chunks(CHUNK))
            .enumerate()
            .map(|(c, (xs, ys))| {
                let mut counts = vec![0u32; nx * ny];
                for (i, (&x, &y)) in xs.iter().zip(ys).enumerate() {
                    let ix = ((x - x0) / cell).floor();
                    let iy = ((y - y0) / cell).floor();
                    if ix < 0.0 || iy < 0.0 || ix >= nx as f64 || iy >= ny as f64 {
                        return Err(AnalysisError::OutsideExtent {
                            index: c * CHUNK + i,
                            x,
                            y,
                            extent: [minx, miny, maxx, maxy],
                        });
                    }
                    counts[iy as usize * nx + ix as usize] += 1;
                }
                Ok(counts)
            })
            .collect();
        let parts = parts?;
        let mut counts = vec![0.0; nx * ny];
        for part in &parts {
            for (c, p) in counts.iter_mut().zip(part) {
                *c += f64::from(*p);
            }
        }
        Ok(Grid {
            cell,
            x0,
            y0,
            nx,
            ny,
            counts,
        })
    }

    /// Lower-left corner of cell `k`.
    pub fn corner(&self, k: usize) -> (f64, f64) {
        let (iy, ix) = (k / self.nx, k % self.nx);
        (
            self.x0 + ix as f64 * self.cell,
            self.y0 + iy as f64 * self.cell,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapped_outward_and_edges_go_up_and_right() {
        let g = Grid::bin(&[150.0, 200.0, 399.9], &[50.0, 100.0, 100.0], 100.0, None).unwrap();
        assert_eq!((g.x0, g.y0, g.nx, g.ny), (100.0, 0.0, 3, 2));
        // 200,100 lies on the corner of cell (1,1): it belongs there.
        assert_eq!(g.counts, vec![1.0, 0.0, 0.0, 0.0, 1.0, 1.0]);
        assert_eq!(g.corner(4), (200.0, 100.0));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert_eq!(
            Grid::bin(&[], &[], 100.0, None),
            Err(AnalysisError::NoPoints)
        );
        assert!(matches!(
            Grid::bin(&[1.0], &[1.0], 0.0, None),
            Err(AnalysisError::BadCell(_))
        ));
        assert!(matches!(
            Grid::bin(&[f64::NAN], &[1.0], 10.0, None),
            Err(AnalysisError::BadPoint { .. })
        ));
        assert!(matches!(
            Grid::bin(&[5000.0], &[5.0], 10.0, Some([0.0, 0.0, 100.0, 100.0])),
            Err(AnalysisError::OutsideExtent { index: 0, .. })
        ));
        assert!(matches!(
            Grid::bin(&[0.0, 1e9], &[0.0, 1e9], 1.0, None),
            Err(AnalysisError::TooManyCells(_))
        ));
    }
}
