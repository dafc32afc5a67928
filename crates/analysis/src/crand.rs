//! Conditional randomisation (Anselin 1995), as esda does it: for a cell with k neighbours,
//! k values drawn without replacement from the other n − 1 cells stand in for its neighbours.

use crate::rng::SplitMix;
use rayon::prelude::*;

/// Pseudo p-values: for each cell, the share of `permutations` random neighbour sets whose
/// sum of `values` passes `at_least(cell, sum)`, folded to the smaller tail as esda does:
/// (min(larger, permutations − larger) + 1) / (permutations + 1).
///
/// As esda, one table of random draws serves many cells (each row a sample of `k_max` other
/// cells, as indices into the n − 1 cells other than i: index d stands for cell d if d < i,
/// else d + 1; a cell with k neighbours uses the first k of a row); here one table per block
/// of 256 cells, so that errors of neighbouring blocks are independent. Deterministic for a
/// seed, whatever the number of threads.
pub(crate) fn pseudo_p<K, F>(
    values: &[f64],
    k_of: K,
    permutations: usize,
    seed: u64,
    at_least: F,
) -> Vec<f64>
where
    K: Fn(usize) -> usize + Sync,
    F: Fn(usize, f64) -> bool + Sync,
{
    let n = values.len();
    let k_max = (0..n)
        .map(&k_of)
        .max()
        .unwrap_or(0)
        .min(n.saturating_sub(1));
    const BLOCK: usize = 256;
    (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .flat_map_iter(|b| {
            let mut rng = SplitMix::for_block(seed, b);
            let mut draws: Vec<u32> = Vec::with_capacity(permutations * k_max);
            let mut row: Vec<u32> = Vec::with_capacity(k_max);
            for _ in 0..permutations {
                row.clear();
                while row.len() < k_max {
                    let d = rng.below(n - 1) as u32;
                    if !row.contains(&d) {
                        row.push(d);
                    }
                }
                draws.extend_from_slice(&row);
            }
            let (k_of, at_least) = (&k_of, &at_least);
            (b * BLOCK..((b + 1) * BLOCK).min(n)).map(move |cell| {
                let kk = k_of(cell).min(k_max);
                let mut larger = 0usize;
                if kk > 0 {
                    for r in 0..permutations {
                        let s: f64 = draws[r * k_max..r * k_max + kk]
                            .iter()
                            .map(|&d| {
                                let j = d as usize;
                                values[if j < cell { j } else { j + 1 }]
                            })
                            .sum();
                        if at_least(cell, s) {
                            larger += 1;
                        }
                    }
                }
                if permutations - larger < larger {
                    larger = permutations - larger;
                }
                (larger + 1) as f64 / (permutations + 1) as f64
            })
        })
        .collect()
}
