//! The Knox test for near repeats, as Ratcliffe's Near Repeat Calculator: pairs of events by
//! spatial band × time band, observed against Monte Carlo permutations of the times.

use crate::AnalysisError;
use crate::rng::SplitMix;
use rayon::prelude::*;

#[derive(Debug, Clone, PartialEq)]
pub struct KnoxBand {
    pub space_from: f64,
    pub space_to: f64,
    pub time_from: f64,
    pub time_to: f64,
    pub observed: u64,
    pub expected: f64,
    /// observed / expected (NaN-free: 0 expected gives 0 when nothing was observed).
    pub ratio: f64,
    /// (simulations with at least the observed count + 1) / (permutations + 1).
    pub p: f64,
}

fn check_bands(b: &[f64]) -> Result<(), AnalysisError> {
    let ok = !b.is_empty()
        && b.iter().all(|v| v.is_finite() && *v > 0.0)
        && b.windows(2).all(|w| w[0] < w[1]);
    if ok {
        Ok(())
    } else {
        Err(AnalysisError::BadBands(format!("{b:?}")))
    }
}

fn band(bounds: &[f64], v: f64) -> usize {
    bounds.partition_point(|b| *b <= v)
}

/// Knox table. `ts` in days; bands are upper bounds in metres and days (lower bounds start at
/// 0); pairs beyond the last band are not counted. `manhattan` measures |dx| + |dy|.
#[allow(clippy::too_many_arguments)]
pub fn knox(
    xs: &[f64],
    ys: &[f64],
    ts: &[f64],
    space: &[f64],
    time: &[f64],
    permutations: usize,
    seed: u64,
    manhattan: bool,
) -> Result<Vec<KnoxBand>, AnalysisError> {
    check_bands(space)?;
    check_bands(time)?;
    if xs.is_empty() {
        return Err(AnalysisError::NoPoints);
    }
    let smax = *space.last().expect("checked");
    // Spatial pairs within the last band, found through buckets of that size.
    let (minx, miny) = xs
        .iter()
        .zip(ys)
        .fold((f64::MAX, f64::MAX), |a, (&x, &y)| (a.0.min(x), a.1.min(y)));
    let key = |x: f64, y: f64| {
        (
            ((x - minx) / smax).floor() as i64,
            ((y - miny) / smax).floor() as i64,
        )
    };
    let mut buckets: std::collections::HashMap<(i64, i64), Vec<usize>> =
        std::collections::HashMap::new();
    for i in 0..xs.len() {
        buckets.entry(key(xs[i], ys[i])).or_default().push(i);
    }
    let mut pairs: Vec<(u32, u32, u8)> = Vec::new();
    for i in 0..xs.len() {
        let (bx, by) = key(xs[i], ys[i]);
        for dx in -1..=1 {
            for dy in -1..=1 {
                let Some(list) = buckets.get(&(bx + dx, by + dy)) else {
                    continue;
                };
                for &j in list {
                    if j <= i {
                        continue;
                    }
                    let (ddx, ddy) = (xs[i] - xs[j], ys[i] - ys[j]);
                    let d = if manhattan {
                        ddx.abs() + ddy.abs()
                    } else {
                        ddx.hypot(ddy)
                    };
                    if d < smax {
                        pairs.push((i as u32, j as u32, band(space, d) as u8));
                    }
                }
            }
        }
    }
    let (ns, nt) = (space.len(), time.len());
    // Pairs as separate arrays (cache- and vector-friendly); the time band is the number of
    // band bounds not above the difference.
    let pi: Vec<u32> = pairs.iter().map(|p| p.0).collect();
    let pj: Vec<u32> = pairs.iter().map(|p| p.1).collect();
    // One extra column per spatial band catches pairs beyond the last time band, so the loop
    // has no branch (about 85 % of pairs fall there, unpredictably).
    let stride = nt + 1;
    let ps: Vec<u32> = pairs
        .iter()
        .map(|p| u32::from(p.2) * stride as u32)
        .collect();
    drop(pairs);
    let count = |t: &[f64]| {
        let mut wide = vec![0u64; ns * stride];
        for k in 0..pi.len() {
            let dt = (t[pi[k] as usize] - t[pj[k] as usize]).abs();
            let tb: u32 = time.iter().map(|b| (*b <= dt) as u32).sum();
            wide[(ps[k] + tb) as usize] += 1;
        }
        let mut table = vec![0u64; ns * nt];
        for a in 0..ns {
            table[a * nt..(a + 1) * nt].copy_from_slice(&wide[a * stride..a * stride + nt]);
        }
        table
    };
    let observed = count(ts);
    // Permutations in blocks of 32, each block with its own generator derived from the seed:
    // in parallel, and the same result whatever the number of threads.
    const BLOCK: usize = 32;
    let blocks: Vec<(Vec<f64>, Vec<u64>)> = (0..permutations.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut rng = SplitMix::for_block(seed, b);
            let mut shuffled = ts.to_vec();
            let mut sums = vec![0.0f64; ns * nt];
            let mut at_least = vec![0u64; ns * nt];
            for _ in b * BLOCK..((b + 1) * BLOCK).min(permutations) {
                for k in (1..shuffled.len()).rev() {
                    let r = rng.below(k + 1);
                    shuffled.swap(k, r);
                }
                let sim = count(&shuffled);
                for c in 0..sim.len() {
                    sums[c] += sim[c] as f64;
                    if sim[c] >= observed[c] {
                        at_least[c] += 1;
                    }
                }
            }
            (sums, at_least)
        })
        .collect();
    let mut sums = vec![0.0f64; ns * nt];
    let mut at_least = vec![0u64; ns * nt];
    for (s, a) in &blocks {
        for c in 0..ns * nt {
            sums[c] += s[c];
            at_least[c] += a[c];
        }
    }
    let mut out = Vec::with_capacity(ns * nt);
    for a in 0..ns {
        for b in 0..nt {
            let c = a * nt + b;
            let expected = if permutations > 0 {
                sums[c] / permutations as f64
            } else {
                f64::NAN
            };
            out.push(KnoxBand {
                space_from: if a == 0 { 0.0 } else { space[a - 1] },
                space_to: space[a],
                time_from: if b == 0 { 0.0 } else { time[b - 1] },
                time_to: time[b],
                observed: observed[c],
                expected,
                ratio: if expected > 0.0 {
                    observed[c] as f64 / expected
                } else {
                    0.0
                },
                p: (at_least[c] + 1) as f64 / (permutations + 1) as f64,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_pairs_by_band_and_is_reproducible() {
        // Three events close in space and time, one far away.
        let xs = [0.0, 50.0, 120.0, 5000.0];
        let ys = [0.0, 0.0, 0.0, 0.0];
        let ts = [0.0, 2.0, 10.0, 1.0];
        let t = knox(&xs, &ys, &ts, &[100.0, 200.0], &[7.0, 14.0], 99, 7, false).unwrap();
        let obs: Vec<u64> = t.iter().map(|b| b.observed).collect();
        // (0,1): 50 m, 2 d -> [0,100)x[0,7); (1,2): 70 m, 8 d -> [0,100)x[7,14); (0,2): 120 m, 10 d -> [100,200)x[7,14)
        assert_eq!(obs, vec![1, 1, 0, 1]);
        let again = knox(&xs, &ys, &ts, &[100.0, 200.0], &[7.0, 14.0], 99, 7, false).unwrap();
        assert_eq!(t, again);
        assert!(t.iter().all(|b| b.p > 0.0 && b.p <= 1.0));
        // Manhattan distance: (0,2) is 120 either way; (1,2) too.
        assert!(knox(&xs, &ys, &ts, &[200.0, 100.0], &[7.0], 9, 1, false).is_err());
    }
}
