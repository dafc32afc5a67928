//! Hot spot clusters: the significant cells of a Gi* result that touch (queen adjacency, the
//! same neighbourhood as the statistic), each cluster one candidate for a hot spot case.

/// One cluster: its cells (grid indices, ascending) and its bounding box in cell columns and
/// rows, both inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub cells: Vec<usize>,
    pub min_ix: usize,
    pub min_iy: usize,
    pub max_ix: usize,
    pub max_iy: usize,
    /// The highest confidence bin among its cells (1–3).
    pub bin: i8,
}

/// The clusters of cells with a hot bin of at least `min_bin` (1: 90 %, 2: 95 %, 3: 99 %) on
/// an `nx` × `ny` grid (index = iy·nx + ix), largest first, ties by first cell.
pub fn hot_clusters(nx: usize, ny: usize, bins: &[i8], min_bin: i8) -> Vec<Cluster> {
    assert_eq!(bins.len(), nx * ny, "one bin per cell");
    let hot = |k: usize| bins[k] >= min_bin && bins[k] > 0;
    let mut seen = vec![false; bins.len()];
    let mut out = Vec::new();
    for start in 0..bins.len() {
        if seen[start] || !hot(start) {
            continue;
        }
        seen[start] = true;
        let mut stack = vec![start];
        let mut cells = Vec::new();
        while let Some(k) = stack.pop() {
            cells.push(k);
            let (ix, iy) = ((k % nx) as i64, (k / nx) as i64);
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let (x, y) = (ix + dx, iy + dy);
                    if (dx, dy) == (0, 0) || x < 0 || y < 0 || x >= nx as i64 || y >= ny as i64 {
                        continue;
                    }
                    let j = y as usize * nx + x as usize;
                    if !seen[j] && hot(j) {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        cells.sort_unstable();
        let xs = cells.iter().map(|k| k % nx);
        let ys = cells.iter().map(|k| k / nx);
        out.push(Cluster {
            min_ix: xs.clone().min().unwrap_or(0),
            max_ix: xs.max().unwrap_or(0),
            min_iy: ys.clone().min().unwrap_or(0),
            max_iy: ys.max().unwrap_or(0),
            bin: cells.iter().map(|&k| bins[k]).max().unwrap_or(0),
            cells,
        });
    }
    out.sort_by(|a, b| {
        b.cells
            .len()
            .cmp(&a.cells.len())
            .then(a.cells[0].cmp(&b.cells[0]))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_cells_form_one_cluster_corners_included() {
        // 5 × 4 grid, rows from the south:
        // row 3: . . . . 2
        // row 2: . . . . 1
        // row 1: . 3 . . .
        // row 0: 2 . . -3 .
        let mut bins = vec![0i8; 20];
        bins[0] = 2; // (0,0)
        bins[6] = 3; // (1,1): touches (0,0) at a corner
        bins[3] = -3; // cold: never hot
        bins[14] = 1; // (4,2): below min_bin 2, not part of a cluster
        bins[19] = 2; // (4,3)
        let c = hot_clusters(5, 4, &bins, 2);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].cells, vec![0, 6]);
        assert_eq!(
            (c[0].min_ix, c[0].min_iy, c[0].max_ix, c[0].max_iy),
            (0, 0, 1, 1)
        );
        assert_eq!(c[0].bin, 3);
        assert_eq!(c[1].cells, vec![19]);
        // At 90 % the (4,2) cell joins (4,3).
        let c = hot_clusters(5, 4, &bins, 1);
        assert_eq!(c[1].cells, vec![14, 19]);
        assert_eq!((c[1].min_iy, c[1].max_iy), (2, 3));
        assert!(hot_clusters(5, 4, &[0; 20], 1).is_empty());
    }

    #[test]
    fn clusters_of_the_sf_like_field_cover_every_hot_cell_once() {
        let (nx, ny) = (30, 20);
        let bins: Vec<i8> = (0..nx * ny)
            .map(|k| if (k * 7919) % 11 < 3 { 2 } else { 0 })
            .collect();
        let c = hot_clusters(nx, ny, &bins, 1);
        let mut all: Vec<usize> = c.iter().flat_map(|c| c.cells.clone()).collect();
        all.sort_unstable();
        let want: Vec<usize> = (0..nx * ny).filter(|&k| bins[k] > 0).collect();
        assert_eq!(all, want);
        assert!(c.windows(2).all(|w| w[0].cells.len() >= w[1].cells.len()));
    }
}
