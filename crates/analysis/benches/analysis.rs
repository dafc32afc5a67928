//! Speed of the analysis against the targets of the issue (2 cores):
//! `cargo bench -p analysis` (criterion). Points are synthetic, 20 × 20 km, clustered like
//! `shared/reference/points.py` (same extent), generated here so the bench needs no files.

use analysis::{Grid, Weights, emerging_hot_spots, gi_star, knox, local_moran, quartic_kde};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        (-2.0 * self.next().max(1e-300).ln()).sqrt() * (std::f64::consts::TAU * self.next()).cos()
    }
}

/// n points in [560000, 580000] × [6570000, 6590000]: 60 % in 40 clusters, the rest uniform;
/// times over a year in days.
fn points(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut r = Rng(seed);
    let centres: Vec<(f64, f64)> = (0..40)
        .map(|_| {
            (
                561_000.0 + 18_000.0 * r.next(),
                6_571_000.0 + 18_000.0 * r.next(),
            )
        })
        .collect();
    let (mut xs, mut ys, mut ts) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    while xs.len() < n {
        let (x, y) = if r.next() < 0.6 {
            let (cx, cy) = centres[(r.next() * 40.0) as usize % 40];
            (cx + 150.0 * r.normal(), cy + 150.0 * r.normal())
        } else {
            (
                560_000.0 + 20_000.0 * r.next(),
                6_570_000.0 + 20_000.0 * r.next(),
            )
        };
        if (560_000.0..580_000.0).contains(&x) && (6_570_000.0..6_590_000.0).contains(&y) {
            xs.push(x);
            ys.push(y);
            ts.push(365.0 * r.next());
        }
    }
    (xs, ys, ts)
}

const EXTENT: [f64; 4] = [560_000.0, 6_570_000.0, 579_999.0, 6_589_999.0];

fn bench(c: &mut Criterion) {
    let (x1m, y1m, _) = points(1_000_000, 1);
    let (x100k, y100k, _) = points(100_000, 2);
    let (xk, yk, tk) = points(10_000, 3);
    let mut g = c.benchmark_group("analysis");
    g.sample_size(10);
    g.bench_function(
        "bin+gistar queen+fdr, 1M points, 40k cells (target 20 ms)",
        |b| {
            b.iter(|| {
                let grid =
                    Grid::bin(black_box(&x1m), black_box(&y1m), 100.0, Some(EXTENT)).unwrap();
                gi_star(&grid, Weights::Queen).unwrap()
            })
        },
    );
    let fine = Grid::bin(&x1m, &y1m, 50.0, Some(EXTENT)).unwrap();
    g.bench_function("gistar distance 300 m, 160k cells (target 150 ms)", |b| {
        b.iter(|| gi_star(black_box(&fine), Weights::Distance(300.0)).unwrap())
    });
    let grid = Grid::bin(&x1m, &y1m, 100.0, Some(EXTENT)).unwrap();
    g.bench_function("kde h=500, 100k points, 40k cells (target 20 ms)", |b| {
        b.iter(|| quartic_kde(black_box(&x100k), black_box(&y100k), &grid, 500.0).unwrap())
    });
    g.bench_function("kde h=500, 1M points, 40k cells (target 100 ms)", |b| {
        b.iter(|| quartic_kde(black_box(&x1m), black_box(&y1m), &grid, 500.0).unwrap())
    });
    g.bench_function(
        "local moran, 999 permutations, 40k cells (target 300 ms)",
        |b| b.iter(|| local_moran(black_box(&grid), Weights::Queen, 999, 1).unwrap()),
    );
    g.bench_function(
        "knox 10k events, 999 permutations, 400 m x 28 d (target 1 s)",
        |b| {
            b.iter(|| {
                knox(
                    black_box(&xk),
                    &yk,
                    &tk,
                    &[100.0, 200.0, 400.0],
                    &[7.0, 14.0, 28.0],
                    999,
                    1,
                    false,
                )
                .unwrap()
            })
        },
    );
    let (xe, ye, te) = points(100_000, 4);
    g.bench_function(
        "emerging hot spots, 52 weekly slices of 100k points, 40k cells (target 1 s)",
        |b| {
            b.iter(|| {
                let mut slices = vec![vec![0.0; grid.counts.len()]; 52];
                for i in 0..xe.len() {
                    let w = ((te[i] / 7.0) as usize).min(51);
                    let k = ((ye[i] - grid.y0) / 100.0) as usize * grid.nx
                        + ((xe[i] - grid.x0) / 100.0) as usize;
                    slices[w][k] += 1.0;
                }
                emerging_hot_spots(&grid, &slices, Weights::Queen).unwrap()
            })
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
