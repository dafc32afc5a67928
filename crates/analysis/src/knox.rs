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
        && b.len() <= MAX_BANDS
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
///
/// Each count (the observed one and every permutation's) is one sweep through the events in
/// time order: an event meets only the events of the last `max time band` days in the spatial
/// buckets around it (buckets the size of the largest spatial band, each a list in time order
/// whose expired head is skipped). So the work per permutation is the pairs close in time *and*
/// space, not all pairs close in space: clustered data has millions of those (points.py, 10,000
/// events: 3.7 million pairs within 400 m, of which one in twelve is within 28 days).
/// A permutation deals the locations at random over the sorted times, which is the same as
/// dealing the times over the locations.
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
    for i in 0..xs.len() {
        if !(xs[i].is_finite() && ys[i].is_finite()) {
            return Err(AnalysisError::BadPoint {
                index: i,
                x: xs[i],
                y: ys[i],
            });
        }
        if !ts[i].is_finite() {
            return Err(AnalysisError::BadTime { index: i, t: ts[i] });
        }
    }
    let sweep = Sweep::new(xs, ys, ts, space, time, manhattan);
    let (ns, nt) = (space.len(), time.len());
    let mut state = sweep.state();
    let observed = sweep.count(&sweep.order, &mut state);
    // Permutations in blocks of 4 (so that two or more cores share even 99 evenly), each block with its own generator derived from the seed:
    // in parallel, and the same result whatever the number of threads.
    const BLOCK: usize = 4;
    let blocks: Vec<(Vec<f64>, Vec<u64>)> = (0..permutations.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut rng = SplitMix::for_block(seed, b);
            let mut state = sweep.state();
            let mut dealt = sweep.order.clone();
            let mut sums = vec![0.0f64; ns * nt];
            let mut at_least = vec![0u64; ns * nt];
            for _ in b * BLOCK..((b + 1) * BLOCK).min(permutations) {
                for k in (1..dealt.len()).rev() {
                    let r = rng.below(k + 1);
                    dealt.swap(k, r);
                }
                let sim = sweep.count(&dealt, &mut state);
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

/// At most this many spatial and this many time bands.
pub const MAX_BANDS: usize = 16;

/// From this many entries in a bucket's window on, its time bands are found as runs.
const LONG: usize = 24;

/// Buckets per largest band (see `Sweep::new`).
const SPLIT: i64 = 1;

/// What every sweep shares: the sorted times, each event's bucket and the buckets around it.
struct Sweep<'a> {
    xs: &'a [f64],
    ys: &'a [f64],
    space: &'a [f64],
    time: &'a [f64],
    manhattan: bool,
    /// Event indices in time order (ties by index), and their times.
    order: Vec<u32>,
    tau: Vec<f64>,
    bucket: Vec<u32>,
    /// The non-empty buckets around bucket b (itself included): `around[start[b]..start[b + 1]]`.
    around: Vec<u32>,
    start: Vec<u32>,
    /// Bucket b's list lives in `slots[b]..slots[b + 1]` of one array.
    slots: Vec<u32>,
}

#[derive(Clone, Copy)]
struct Entry {
    x: f64,
    y: f64,
    t: f64,
}

/// A sweep's working memory, kept between permutations.
struct State {
    entries: Vec<Entry>,
    /// Per bucket, `1 + time bands` positions in `entries`: the end of the bucket's list so far,
    /// then per time bound k the first entry less than `time[k]` days before the current event
    /// (they only move forward during a sweep).
    marks: Vec<u32>,
}

impl<'a> Sweep<'a> {
    fn new(
        xs: &'a [f64],
        ys: &'a [f64],
        ts: &'a [f64],
        space: &'a [f64],
        time: &'a [f64],
        manhattan: bool,
    ) -> Sweep<'a> {
        // Buckets of the largest band (SPLIT = 1): a bucket's list covers the 3 × 3 buckets
        // around it, 2.9 × the disc's area. Halving them (5 × 5, 2 × the area) files every event
        // in 25 lists instead of 9, and the extra memory traffic makes it slower.
        let size = *space.last().expect("checked") / SPLIT as f64;
        let (minx, miny) = xs
            .iter()
            .zip(ys)
            .fold((f64::MAX, f64::MAX), |a, (&x, &y)| (a.0.min(x), a.1.min(y)));
        let key = |i: usize| {
            (
                ((xs[i] - minx) / size).floor() as i64,
                ((ys[i] - miny) / size).floor() as i64,
            )
        };
        // Only the non-empty buckets exist (events may spread over a whole country), numbered
        // row by row so that neighbouring buckets lie near each other in memory.
        let mut keys: Vec<(i64, i64)> = (0..xs.len()).map(key).collect();
        keys.sort_unstable_by_key(|&(bx, by)| (by, bx));
        keys.dedup();
        let ids: std::collections::HashMap<(i64, i64), u32> = keys
            .iter()
            .enumerate()
            .map(|(id, k)| (*k, id as u32))
            .collect();
        let bucket: Vec<u32> = (0..xs.len()).map(|i| ids[&key(i)]).collect();
        let mut size = vec![0u32; keys.len()];
        for &b in &bucket {
            size[b as usize] += 1;
        }
        let mut around = Vec::new();
        let mut start = vec![0u32];
        for &(bx, by) in &keys {
            for dx in -SPLIT..=SPLIT {
                for dy in -SPLIT..=SPLIT {
                    if let Some(&id) = ids.get(&(bx + dx, by + dy)) {
                        around.push(id);
                    }
                }
            }
            start.push(around.len() as u32);
        }
        // A bucket's list holds the events of the buckets around it: the same number in every
        // permutation, so all lists fit one array.
        let mut slots = vec![0u32; keys.len() + 1];
        for b in 0..keys.len() {
            let held: u32 = around[start[b] as usize..start[b + 1] as usize]
                .iter()
                .map(|&nb| size[nb as usize])
                .sum();
            slots[b + 1] = slots[b] + held;
        }
        let mut order: Vec<u32> = (0..xs.len() as u32).collect();
        order.sort_by(|&a, &b| ts[a as usize].total_cmp(&ts[b as usize]).then(a.cmp(&b)));
        let tau = order.iter().map(|&i| ts[i as usize]).collect();
        Sweep {
            xs,
            ys,
            space,
            time,
            manhattan,
            order,
            tau,
            bucket,
            around,
            start,
            slots,
        }
    }

    fn state(&self) -> State {
        State {
            entries: vec![
                Entry {
                    x: 0.0,
                    y: 0.0,
                    t: 0.0
                };
                *self.slots.last().expect("one more than the buckets") as usize
            ],
            marks: vec![0; (self.slots.len() - 1) * (1 + self.time.len())],
        }
    }

    /// The table (space band × time band, row-major) when event `dealt[r]`'s location happens
    /// at the r-th time.
    /// The table (space band × time band, row-major) when event `dealt[r]`'s location happens
    /// at the r-th time.
    fn count(&self, dealt: &[u32], state: &mut State) -> Vec<u64> {
        match self.space.len().max(self.time.len()) {
            0..=4 => self.count_with::<4>(dealt, state),
            5..=8 => self.count_with::<8>(dealt, state),
            _ => self.count_with::<MAX_BANDS>(dealt, state),
        }
    }

    /// `count` with the bounds in arrays of `L` (padded with infinity), so that the bands are
    /// found without a branch or a loop of unknown length.
    fn count_with<const L: usize>(&self, dealt: &[u32], state: &mut State) -> Vec<u64> {
        let (space, time) = (self.space, self.time);
        let (ns, nt) = (space.len(), time.len());
        let tmax = time[nt - 1];
        let pad = |v: &[f64], f: &dyn Fn(f64) -> f64| {
            let mut a = [f64::INFINITY; L];
            for (k, b) in v.iter().enumerate() {
                a[k] = f(*b);
            }
            a
        };
        // Euclidean bands as squared distances; a squared distance within a guard of the squared
        // bounds next to it is settled with the distance as the reference computes it (hypot).
        // Manhattan distances are compared as they are. Band `ns` (in the table's extra row)
        // collects the pairs beyond the last bound.
        let tb_at = pad(time, &|b| b);
        let sb_at = pad(space, &|b| if self.manhattan { b } else { b * b });
        let mut below = [f64::NEG_INFINITY; MAX_BANDS + 1];
        let mut above = [f64::INFINITY; MAX_BANDS + 1];
        for k in 0..ns {
            above[k] = sb_at[k] * (1.0 - 1e-9);
            below[k + 1] = sb_at[k] * (1.0 + 1e-9);
        }
        let stride = 1 + nt;
        for (b, marks) in state.marks.chunks_exact_mut(stride).enumerate() {
            marks.fill(self.slots[b]);
        }
        let entries = &mut state.entries;
        let wide = L + 1;
        // Time band × space band (the extra space band: beyond the last bound).
        let mut table = vec![0u64; nt * wide];
        for (r, &e) in dealt.iter().enumerate() {
            let e = e as usize;
            let (x, y, t) = (self.xs[e], self.ys[e], self.tau[r]);
            let b = self.bucket[e] as usize;
            // Every event is filed in the lists of the buckets around it, so the earlier events
            // near this one are all in its own bucket's list: one list to read, not nine.
            {
                let nb = b;
                let marks = &mut state.marks[nb * stride..(nb + 1) * stride];
                let end = marks[0] as usize;
                // The list is in time order. Skip the expired entries.
                let mut live = marks[nt] as usize;
                while live < end && t - entries[live].t >= tmax {
                    live += 1;
                }
                marks[nt] = live as u32;
                let space_band = |other: &Entry| {
                    let (dx, dy) = (x - other.x, y - other.y);
                    let d = if self.manhattan {
                        dx.abs() + dy.abs()
                    } else {
                        dx * dx + dy * dy
                    };
                    let sb: usize = sb_at.iter().map(|b| (*b <= d) as usize).sum();
                    if !self.manhattan && (d <= below[sb] || d >= above[sb]) {
                        band(space, dx.hypot(dy))
                    } else {
                        sb
                    }
                };
                if end - live < LONG {
                    // A few entries: each one's time band, without a branch.
                    for other in &entries[live..end] {
                        let dt = t - other.t;
                        let tb: usize = tb_at.iter().map(|b| (*b <= dt) as usize).sum();
                        table[tb * wide + space_band(other)] += 1;
                    }
                } else {
                    // Many: time band k is the run from mark k to mark k - 1 (the end for k = 0).
                    let mut run_end = end;
                    for k in 0..nt {
                        let mut from = (marks[1 + k] as usize).max(live);
                        while from < run_end && t - entries[from].t >= time[k] {
                            from += 1;
                        }
                        marks[1 + k] = from as u32;
                        let row = &mut table[k * wide..(k + 1) * wide];
                        for other in &entries[from..run_end] {
                            row[space_band(other)] += 1;
                        }
                        run_end = from;
                    }
                }
            }
            for &nb in &self.around[self.start[b] as usize..self.start[b + 1] as usize] {
                let at = &mut state.marks[nb as usize * stride];
                entries[*at as usize] = Entry { x, y, t };
                *at += 1;
            }
        }
        let mut out = vec![0u64; ns * nt];
        for a in 0..ns {
            for tb in 0..nt {
                out[a * nt + tb] = table[tb * wide + a];
            }
        }
        out
    }
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

    /// Every pair, the slow way.
    fn brute(xs: &[f64], ys: &[f64], ts: &[f64], sp: &[f64], tm: &[f64], man: bool) -> Vec<u64> {
        let mut table = vec![0u64; sp.len() * tm.len()];
        for i in 0..xs.len() {
            for j in i + 1..xs.len() {
                let (dx, dy) = (xs[i] - xs[j], ys[i] - ys[j]);
                let d = if man {
                    dx.abs() + dy.abs()
                } else {
                    dx.hypot(dy)
                };
                let dt = (ts[i] - ts[j]).abs();
                if d < *sp.last().unwrap() && dt < *tm.last().unwrap() {
                    table[band(sp, d) * tm.len() + band(tm, dt)] += 1;
                }
            }
        }
        table
    }

    #[test]
    fn the_sweep_counts_what_a_loop_over_all_pairs_counts() {
        let mut rng = SplitMix(99);
        let n = 2400;
        // Clustered and spread points, whole-day times (many ties), some far-away outliers.
        let xs: Vec<f64> = (0..n)
            .map(|i| match i % 4 {
                0 => 1000.0 + rng.below(300) as f64,
                // A dense spot: long bucket lists, whose time bands are found as runs.
                3 => 3000.0 + rng.below(40) as f64 * 0.5,
                1 => rng.below(5000) as f64 + 0.25,
                _ => (rng.below(100) * 1000) as f64,
            })
            .collect();
        let ys: Vec<f64> = (0..n)
            .map(|i| {
                if i % 4 == 3 {
                    2.0 * rng.below(20) as f64
                } else {
                    rng.below(2000) as f64 * 0.5
                }
            })
            .collect();
        let ts: Vec<f64> = (0..n).map(|_| rng.below(120) as f64).collect();
        for man in [false, true] {
            for (sp, tm) in [
                (vec![100.0, 200.0, 400.0], vec![7.0, 14.0, 28.0]),
                (vec![50.0, 1000.0], vec![1.0, 3.0, 30.0, 60.0]),
            ] {
                let got = knox(&xs, &ys, &ts, &sp, &tm, 0, 1, man).unwrap();
                let obs: Vec<u64> = got.iter().map(|b| b.observed).collect();
                assert_eq!(
                    obs,
                    brute(&xs, &ys, &ts, &sp, &tm, man),
                    "{man} {sp:?} {tm:?}"
                );
            }
        }
        let bad = knox(&[0.0], &[0.0], &[f64::NAN], &[1.0], &[1.0], 9, 1, false);
        assert!(matches!(bad, Err(AnalysisError::BadTime { index: 0, t }) if t.is_nan()));
    }
}
