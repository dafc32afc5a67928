//! How good is a set of flagged cells? PAI and PEI (Chainey, Tompson & Uhlig 2008; Hunt 2016).
//!
//! PAI = (n/N) / (a/A): the share of (later) incidents in the flagged cells over the share of
//! the area flagged. PEI = PAI / PAI*, where PAI* is the best PAI any `a` cells could have had
//! (the `a` cells with the most later incidents).
//!
//! The Weighted Displacement Quotient (Bowers & Johnson 2003) of an action: did crime move
//! from the treated area to the buffer around it, or did the benefit spread there?

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

/// Counts before and after an action in one area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeforeAfter {
    pub before: f64,
    pub after: f64,
}

/// What the buffer did relative to the treated area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Displacement {
    /// The treated area did not improve relative to the control: nothing to weigh.
    NoEffect,
    /// WDQ > 1: the buffer improved more than the treated area.
    DiffusionGreater,
    /// 0 < WDQ ≤ 1: the benefit spread to the buffer.
    Diffusion,
    /// WDQ = 0: the buffer changed as the control did.
    Neither,
    /// −1 ≤ WDQ < 0: some crime moved to the buffer, less than was prevented.
    Displacement,
    /// WDQ < −1: more crime moved to the buffer than was prevented (the action did harm).
    DisplacementGreater,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wdq {
    /// Success measure A_a/C_a − A_b/C_b: negative when the treated area improved relative to
    /// the control.
    pub success: f64,
    /// Buffer displacement measure B_a/C_a − B_b/C_b.
    pub buffer: f64,
    /// buffer / success; `None` when the treated area did not improve (success ≥ 0).
    pub wdq: Option<f64>,
    pub verdict: Displacement,
}

/// The Weighted Displacement Quotient from the treated (A), buffer (B) and control (C) counts.
/// The control must have incidents in both periods (it is the yardstick).
pub fn wdq(
    treated: BeforeAfter,
    buffer: BeforeAfter,
    control: BeforeAfter,
) -> Result<Wdq, crate::AnalysisError> {
    for (name, v) in [
        ("treated", treated),
        ("buffer", buffer),
        ("control", control),
    ] {
        for x in [v.before, v.after] {
            if !(x.is_finite() && x >= 0.0) {
                return Err(crate::AnalysisError::BadCount {
                    area: name,
                    value: x,
                });
            }
        }
    }
    if control.before <= 0.0 || control.after <= 0.0 {
        return Err(crate::AnalysisError::EmptyControl);
    }
    let success = treated.after / control.after - treated.before / control.before;
    let buf = buffer.after / control.after - buffer.before / control.before;
    if success >= 0.0 {
        return Ok(Wdq {
            success,
            buffer: buf,
            wdq: None,
            verdict: Displacement::NoEffect,
        });
    }
    let q = buf / success;
    let verdict = if q > 1.0 {
        Displacement::DiffusionGreater
    } else if q > 0.0 {
        Displacement::Diffusion
    } else if q == 0.0 {
        Displacement::Neither
    } else if q >= -1.0 {
        Displacement::Displacement
    } else {
        Displacement::DisplacementGreater
    };
    Ok(Wdq {
        success,
        buffer: buf,
        wdq: Some(q),
        verdict,
    })
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

    #[test]
    fn a_buffer_that_rose_less_than_the_control_improved_relative_to_it() {
        // The buffer went from 83 to 90 incidents while the control went from 100 to 150:
        // weighed against the control, the buffer improved, and so did the treated area.
        let w = wdq(ba(100.0, 70.0), ba(83.0, 90.0), ba(100.0, 150.0)).unwrap();
        assert!(w.success < 0.0 && w.buffer < 0.0, "{w:?}");
        assert_eq!(w.verdict, Displacement::Diffusion);
        // Had the control stayed level, the same buffer would have taken crime over.
        let w = wdq(ba(100.0, 70.0), ba(83.0, 90.0), ba(100.0, 100.0)).unwrap();
        assert_eq!(w.verdict, Displacement::Displacement);
    }

    fn ba(before: f64, after: f64) -> BeforeAfter {
        BeforeAfter { before, after }
    }

    #[test]
    fn weighted_displacement_quotient() {
        // Treated 100 → 60, buffer 50 → 45, control 200 → 200: SM = 0.3 − 0.5 = −0.2, buffer
        // 0.225 − 0.25 = −0.025, WDQ = 0.125: the benefit spread a little.
        let w = wdq(ba(100.0, 60.0), ba(50.0, 45.0), ba(200.0, 200.0)).unwrap();
        assert!((w.success + 0.2).abs() < 1e-12 && (w.buffer + 0.025).abs() < 1e-12);
        assert!((w.wdq.unwrap() - 0.125).abs() < 1e-12);
        assert_eq!(w.verdict, Displacement::Diffusion);
        // The buffer rose by more than the treated area fell: harm.
        let w = wdq(ba(100.0, 60.0), ba(50.0, 100.0), ba(200.0, 200.0)).unwrap();
        assert_eq!(w.verdict, Displacement::DisplacementGreater);
        assert!((w.wdq.unwrap() + 1.25).abs() < 1e-12);
        // Some displacement, less than the gain.
        let w = wdq(ba(100.0, 60.0), ba(50.0, 60.0), ba(200.0, 200.0)).unwrap();
        assert_eq!(w.verdict, Displacement::Displacement);
        // The control halved too: relative to it, the treated area did not improve.
        let w = wdq(ba(100.0, 60.0), ba(50.0, 45.0), ba(200.0, 100.0)).unwrap();
        assert_eq!((w.verdict, w.wdq), (Displacement::NoEffect, None));
        assert_eq!(
            wdq(ba(1.0, 1.0), ba(1.0, 1.0), ba(0.0, 3.0)),
            Err(crate::AnalysisError::EmptyControl)
        );
        assert!(matches!(
            wdq(ba(-1.0, 1.0), ba(1.0, 1.0), ba(1.0, 3.0)),
            Err(crate::AnalysisError::BadCount {
                area: "treated",
                ..
            })
        ));
    }
}
