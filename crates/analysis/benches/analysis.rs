//! Speed of the analysis against the targets of the issue (2 cores):
//! `cargo bench -p analysis` (criterion). Points are synthetic, 20 × 20 km, clustered like
//! `shared/reference/points.py` (same extent), generated here so the bench needs no files.

use analysis::{
    Grid, Weights, emerging_hot_spots, gi_star, gi_star_p_sim, knox, local_moran, quartic_kde,
};
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

/// n points as `shared/reference/points.py` draws them (its distribution, not its generator):
/// 3–8 Gaussian clusters (σ 100–800 m, Dirichlet weights) with 45 % of the base points, the
/// rest of the base uniform over 20 × 20 km, and 10 % near repeats (an earlier event moved by
/// N(0, 50 m) and U(0, 14) days); days over two years, evening hours more likely.
fn points(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut r = Rng(seed);
    let k = 3 + (r.next() * 6.0) as usize;
    let cx: Vec<f64> = (0..k).map(|_| 2_000.0 + 16_000.0 * r.next()).collect();
    let cy: Vec<f64> = (0..k).map(|_| 2_000.0 + 16_000.0 * r.next()).collect();
    let sg: Vec<f64> = (0..k).map(|_| 100.0 + 700.0 * r.next()).collect();
    let e: Vec<f64> = (0..k).map(|_| -r.next().max(1e-300).ln()).collect();
    let total: f64 = e.iter().sum();
    let n_rep = n / 10;
    let n_base = n - n_rep;
    let n_cl = (n_base as f64 * 0.45) as usize;
    let (mut xs, mut ys, mut ts) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for i in 0..n_base {
        let (x, y) = if i < n_cl {
            let mut u = r.next() * total;
            let mut c = 0;
            while c + 1 < k && u >= e[c] {
                u -= e[c];
                c += 1;
            }
            (cx[c] + r.normal() * sg[c], cy[c] + r.normal() * sg[c])
        } else {
            (20_000.0 * r.next(), 20_000.0 * r.next())
        };
        let hour = if r.next() < 0.6 {
            (21.0 + 2.5 * r.normal()).rem_euclid(24.0)
        } else {
            24.0 * r.next()
        };
        xs.push(x);
        ys.push(y);
        ts.push((730.0 * r.next()).floor() + (hour * 3600.0).floor() / 86_400.0);
    }
    for _ in 0..n_rep {
        let s = (r.next() * n_base as f64) as usize;
        xs.push(xs[s] + 50.0 * r.normal());
        ys.push(ys[s] + 50.0 * r.normal());
        ts.push(ts[s] + (r.next() * 14.0 * 86_400.0).floor() / 86_400.0);
    }
    for i in 0..n {
        xs[i] = xs[i].clamp(0.0, 19_999.99) + 560_000.0;
        ys[i] = ys[i].clamp(0.0, 19_999.99) + 6_570_000.0;
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
        "gistar pseudo p, 999 permutations, 40k cells (target 400 ms)",
        |b| b.iter(|| gi_star_p_sim(black_box(&grid), Weights::Queen, 999, 1).unwrap()),
    );
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
    let (xh, yh, th) = points(100_000, 5);
    g.bench_function(
        "knox 100k events, 99 permutations, 400 m x 28 d (target 10 s)",
        |b| {
            b.iter(|| {
                knox(
                    black_box(&xh),
                    &yh,
                    &th,
                    &[100.0, 200.0, 400.0],
                    &[7.0, 14.0, 28.0],
                    99,
                    1,
                    false,
                )
                .unwrap()
            })
        },
    );
    let (xe, ye, te) = points(100_000, 4);
    g.bench_function(
        "emerging hot spots, 52 slices of 100k points, 40k cells (target 1 s)",
        |b| {
            b.iter(|| {
                let mut slices = vec![vec![0.0; grid.counts.len()]; 52];
                for i in 0..xe.len() {
                    // 52 equal slices of the two years (a slice per fortnight).
                    let w = ((te[i] * 52.0 / 730.0) as usize).min(51);
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
