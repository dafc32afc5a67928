//! Invariants of the analysis, checked on random inputs (proptest).

use analysis::{AnalysisError, Grid, Weights, gi_star, quartic_kde};
use proptest::prelude::*;

fn points() -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec((0.0f64..5000.0, 0.0f64..5000.0), 2..300)
}

proptest! {
    // A fixed seed: the same cases on every run (no flaky CI), and no files written.
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: proptest::test_runner::RngSeed::Fixed(1960),
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    /// Reordering the input rows changes no count, no z-score and no bin.
    #[test]
    fn permuting_rows_changes_nothing(pts in points(), seed in any::<u64>()) {
        let mut shuffled = pts.clone();
        // A deterministic shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let (x1, y1): (Vec<f64>, Vec<f64>) = pts.into_iter().unzip();
        let (x2, y2): (Vec<f64>, Vec<f64>) = shuffled.into_iter().unzip();
        let g1 = Grid::bin(&x1, &y1, 250.0, None).unwrap();
        let g2 = Grid::bin(&x2, &y2, 250.0, None).unwrap();
        prop_assert_eq!(&g1, &g2);
        match (gi_star(&g1, Weights::Queen), gi_star(&g2, Weights::Queen)) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "{a:?} vs {b:?}"),
        }
        let d1 = quartic_kde(&x1, &y1, &g1, 400.0).unwrap();
        let d2 = quartic_kde(&x2, &y2, &g2, 400.0).unwrap();
        for (a, b) in d1.iter().zip(&d2) {
            prop_assert!((a - b).abs() <= 1e-9 * a.abs().max(1e-12));
        }
    }

    /// A point on a cell edge belongs to the cell whose lower-left corner it equals.
    #[test]
    fn edge_points_go_to_the_cell_they_are_the_corner_of(i in 0i64..40, j in 0i64..40, cell in prop::sample::select(vec![50.0f64, 100.0, 150.0, 250.0])) {
        // Cells are aligned to multiples of the cell size.
        let (bx, by) = ((560_000.0 / cell).floor() * cell, (6_570_000.0 / cell).floor() * cell);
        let (x, y) = (bx + i as f64 * cell, by + j as f64 * cell);
        let g = Grid::bin(&[x, bx, bx + 40.0 * cell], &[y, by, by + 40.0 * cell], cell, None).unwrap();
        let k = (j as usize) * g.nx + i as usize;
        prop_assert!(g.counts[k] >= 1.0);
        prop_assert_eq!(g.corner(k), (x, y));
    }

    /// Gi* of a constant field is undefined and reported as such, never NaN.
    #[test]
    fn constant_fields_are_reported(v in 0u32..50, nx in 2usize..30, ny in 2usize..30) {
        let g = Grid { cell: 100.0, x0: 0.0, y0: 0.0, nx, ny, counts: vec![f64::from(v); nx * ny] };
        prop_assert_eq!(gi_star(&g, Weights::Queen), Err(AnalysisError::ConstantField(f64::from(v))));
        prop_assert_eq!(gi_star(&g, Weights::Distance(300.0)), Err(AnalysisError::ConstantField(f64::from(v))));
    }

    /// Otherwise every z-score is finite and every bin in -3..=3.
    #[test]
    fn z_scores_are_finite(pts in points()) {
        let (x, y): (Vec<f64>, Vec<f64>) = pts.into_iter().unzip();
        let g = Grid::bin(&x, &y, 200.0, None).unwrap();
        if let Ok(r) = gi_star(&g, Weights::Distance(450.0)) {
            prop_assert!(r.z.iter().all(|z| z.is_finite()));
            prop_assert!(r.bins.iter().all(|b| (-3..=3).contains(b)));
            prop_assert!(r.p.iter().all(|p| (0.0..=1.0).contains(p)));
        }
    }
}
