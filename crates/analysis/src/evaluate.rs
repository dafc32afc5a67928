//! How good is a set of flagged cells? PAI and PEI (Chainey, Tompson & Uhlig 2008; Hunt 2016).
//!
//! PAI = (n/N) / (a/A): the share of (later) incidents in the flagged cells over the share of
//! the area flagged. PEI = PAI / PAI*, where PAI* is the best PAI any `a` cells could have had
//! (the `a` cells with the most later incidents).

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HitRate {
    /// Later incidents in flagged cells.
    pub n: f64,
    /// All later incidents.
    pub big_n: f64,
    /// Flagged cells.
    pub a: usize,
    /// Cells of the study area.
    pub big_a: usize,
    pub pai: f64,
    pub pei: f64,
}

/// `later`: incidents per cell in the period scored; `flagged`: indices of flagged cells;
/// `area`: the number of cells in the study area.
pub fn pai_pei(later: &[f64], flagged: &[usize], area: usize) -> HitRate {
    let big_n: f64 = later.iter().sum();
    let n: f64 = flagged.iter().map(|&k| later[k]).sum();
    let a = flagged.len();
    let mut best: Vec<f64> = later.to_vec();
    best.sort_by(|x, y| y.total_cmp(x));
    let n_max: f64 = best.iter().take(a).sum();
    let share = |hits: f64| {
        if big_n > 0.0 && a > 0 && area > 0 {
            (hits / big_n) / (a as f64 / area as f64)
        } else {
            0.0
        }
    };
    let (pai, pai_max) = (share(n), share(n_max));
    HitRate {
        n,
        big_n,
        a,
        big_a: area,
        pai,
        pei: if pai_max > 0.0 { pai / pai_max } else { 0.0 },
    }
}

/// The indices of the top `share` of the cells that have any incident (ties broken by cell
/// index, so the choice is reproducible), ranked by `score`.
pub fn top_share(score: &[f64], counts: &[f64], share: f64) -> Vec<usize> {
    let with_any: Vec<usize> = (0..counts.len()).filter(|&k| counts[k] > 0.0).collect();
    let a = ((with_any.len() as f64) * share).round().max(1.0) as usize;
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|&x, &y| score[y].total_cmp(&score[x]).then(x.cmp(&y)));
    order.truncate(a.min(order.len()));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pai_and_pei_by_hand() {
        // 10 cells, 20 later incidents: 8 in cell 0, 6 in cell 1, the rest spread.
        let later = [8.0, 6.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0];
        let r = pai_pei(&later, &[1, 2], 10);
        assert_eq!((r.n, r.big_n, r.a, r.big_a), (7.0, 20.0, 2, 10));
        assert!((r.pai - (7.0 / 20.0) / 0.2).abs() < 1e-12);
        assert!((r.pei - 7.0 / 14.0).abs() < 1e-12);
        assert_eq!(pai_pei(&later, &[0, 1], 10).pei, 1.0);
    }

    #[test]
    fn top_share_of_cells_with_incidents() {
        let counts = [3.0, 0.0, 1.0, 5.0, 0.0, 2.0];
        // 4 cells have incidents; half of them = 2 cells.
        assert_eq!(top_share(&counts, &counts, 0.5), vec![3, 0]);
    }
}
