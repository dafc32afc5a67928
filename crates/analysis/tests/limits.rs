//! Work the analysis cannot do in reasonable time or memory is refused with an error that
//! says why, never attempted (a request once aborted the whole server allocating 320 GB).

use analysis::{AnalysisError, Grid, MAX_REACH, Weights};

fn grid(nx: usize, ny: usize) -> Grid {
    let counts = (0..nx * ny).map(|k| ((k * 7919) % 13) as f64).collect();
    Grid {
        cell: 100.0,
        x0: 0.0,
        y0: 0.0,
        nx,
        ny,
        counts,
    }
}

#[test]
fn a_distance_band_of_a_trillion_metres_is_refused_not_allocated() {
    let g = grid(20, 20);
    let w = Weights::parse("distance:1e12").unwrap();
    match analysis::gi_star(&g, w) {
        Err(AnalysisError::TooWide { reach, limit, .. }) => {
            assert_eq!(limit, MAX_REACH);
            assert!(reach > 1e9, "{reach}");
        }
        other => panic!("expected TooWide, got {other:?}"),
    }
    assert!(matches!(
        analysis::local_moran(&g, w, 99, 1),
        Err(AnalysisError::TooWide { .. })
    ));
    assert!(matches!(
        analysis::gi_star_p_sim(&g, w, 99, 1),
        Err(AnalysisError::TooWide { .. })
    ));
}

#[test]
fn the_widest_band_allowed_still_works() {
    let g = grid(30, 30);
    let d = MAX_REACH as f64 * g.cell;
    assert!(analysis::gi_star(&g, Weights::Distance(d)).is_ok());
    // One cell more is refused, and the message names the limit.
    let e = analysis::gi_star(&g, Weights::Distance(d + g.cell)).unwrap_err();
    assert!(e.to_string().contains(&MAX_REACH.to_string()), "{e}");
}

#[test]
fn moran_with_many_permutations_over_a_wide_band_is_refused() {
    // 300 × 300 cells, a 60-cell band (about 11,000 neighbours), 999 permutations: ~10^12
    // steps, minutes of work.
    let g = grid(300, 300);
    match analysis::local_moran(&g, Weights::Distance(6_000.0), 999, 1) {
        Err(AnalysisError::TooMuchWork { work, limit, .. }) => assert!(work > limit),
        other => panic!("expected TooMuchWork, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn a_density_with_a_huge_bandwidth_is_refused() {
    let g = grid(50, 50);
    let (xs, ys) = (vec![100.0, 2000.0], vec![100.0, 3000.0]);
    assert!(matches!(
        analysis::quartic_kde(&xs, &ys, &g, 1e9),
        Err(AnalysisError::TooWide { .. })
    ));
    assert!(analysis::quartic_kde(&xs, &ys, &g, 400.0).is_ok());
}
