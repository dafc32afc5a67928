//! Trends in counts: two periods compared with the conditional binomial test, and
//! Mann–Kendall over a series (with the tie correction), as crime analysts use them.

/// Change between two periods (a incidents over length ta, then b over tb).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoPeriods {
    /// Rate ratio (b/tb) / (a/ta); infinite when a is 0 and b is not.
    pub ratio: f64,
    /// Exact two-sided p-value: given n = a + b, b ~ Binomial(n, tb/(ta+tb)) under no change;
    /// the probability of every outcome no more likely than b (as scipy's binomtest).
    pub p: f64,
}

fn ln_choose(n: u64, k: u64) -> f64 {
    libm::lgamma(n as f64 + 1.0) - libm::lgamma(k as f64 + 1.0) - libm::lgamma((n - k) as f64 + 1.0)
}

pub fn two_periods(a: u64, b: u64, ta: f64, tb: f64) -> TwoPeriods {
    let n = a + b;
    let q = tb / (ta + tb);
    let ratio = if a == 0 {
        if b == 0 { 1.0 } else { f64::INFINITY }
    } else {
        (b as f64 / tb) / (a as f64 / ta)
    };
    if n == 0 {
        return TwoPeriods { ratio, p: 1.0 };
    }
    let ln_pmf = |k: u64| ln_choose(n, k) + k as f64 * q.ln() + (n - k) as f64 * (1.0 - q).ln();
    let observed = ln_pmf(b);
    // A relative tolerance as scipy uses (1 + 1e-7) when comparing probabilities.
    let limit = observed + (1e-7f64).ln_1p();
    let p: f64 = (0..=n)
        .map(ln_pmf)
        .filter(|l| *l <= limit)
        .map(f64::exp)
        .sum();
    TwoPeriods {
        ratio,
        p: p.min(1.0),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Increasing,
    Decreasing,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannKendall {
    pub s: f64,
    pub var_s: f64,
    pub z: f64,
    pub p: f64,
    /// At the 5 % level.
    pub direction: Direction,
}

pub fn mann_kendall(x: &[f64]) -> MannKendall {
    let n = x.len();
    let mut s = 0.0;
    for k in 0..n.saturating_sub(1) {
        for j in k + 1..n {
            s += (x[j] - x[k]).signum() * ((x[j] - x[k]) != 0.0) as i32 as f64;
        }
    }
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j < n && sorted[j] == sorted[i] {
            j += 1;
        }
        let t = (j - i) as f64;
        ties += t * (t - 1.0) * (2.0 * t + 5.0);
        i = j;
    }
    let nf = n as f64;
    let var_s = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - ties) / 18.0;
    let z = if var_s <= 0.0 {
        0.0
    } else if s > 0.0 {
        (s - 1.0) / var_s.sqrt()
    } else if s < 0.0 {
        (s + 1.0) / var_s.sqrt()
    } else {
        0.0
    };
    let p = libm::erfc(z.abs() / std::f64::consts::SQRT_2);
    let direction = match (p < 0.05, z > 0.0) {
        (true, true) => Direction::Increasing,
        (true, false) => Direction::Decreasing,
        (false, _) => Direction::None,
    };
    MannKendall {
        s,
        var_s,
        z,
        p,
        direction,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values from scipy 1.17 (`binomtest`) and the Mann–Kendall formula with numpy.
    #[test]
    fn conditional_binomial_matches_scipy() {
        for (a, b, p) in [
            (30, 45, 0.10534226887460482),
            (12, 5, 0.143463134765625),
            (100, 100, 1.0),
            (0, 7, 0.015625),
        ] {
            let r = two_periods(a, b, 1.0, 1.0);
            assert!((r.p - p).abs() < 1e-12, "{a} {b}: {} vs {p}", r.p);
        }
        let r = two_periods(30, 20, 60.0, 30.0);
        assert!((r.p - 0.36787892159025315).abs() < 1e-12, "{}", r.p);
        assert!((r.ratio - (20.0 / 30.0) / (30.0 / 60.0)).abs() < 1e-12);
        assert_eq!(two_periods(0, 0, 1.0, 1.0).p, 1.0);
    }

    #[test]
    fn mann_kendall_matches_the_reference() {
        let up = mann_kendall(&[3.0, 5.0, 4.0, 6.0, 8.0, 7.0, 9.0, 12.0, 11.0, 13.0]);
        assert_eq!((up.s, up.var_s), (39.0, 125.0));
        assert!(
            (up.z - 3.3988233257996803).abs() < 1e-12
                && (up.p - 0.0006767641801210457).abs() < 1e-15
        );
        assert_eq!(up.direction, Direction::Increasing);
        let down = mann_kendall(&[5.0, 5.0, 5.0, 4.0, 4.0, 3.0, 3.0, 3.0, 2.0, 1.0, 1.0, 0.0]);
        assert_eq!(down.s, -58.0);
        assert!(
            (down.var_s - 203.33333333333334).abs() < 1e-9
                && (down.z - -3.997335177914177).abs() < 1e-12
        );
        assert_eq!(down.direction, Direction::Decreasing);
        let flat = mann_kendall(&[1.0, 3.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
        assert!((flat.p - 0.7016229956930677).abs() < 1e-12);
        assert_eq!(flat.direction, Direction::None);
    }
}
