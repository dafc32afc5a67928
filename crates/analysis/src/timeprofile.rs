//! When do incidents happen? Weekday × hour and month profiles, with incidents known only to
//! an interval spread over it in proportion to time (aoristic weighting, Ratcliffe 2002).
//!
//! Times are local wall-clock seconds since 1970-01-01 00:00 (the caller converts from UTC in
//! the tenant's time zone), so that "22:00" is 22:00 whatever the season.

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// Weekday (0 = Monday) and hour of a local time.
fn weekday_hour(t: i64) -> (usize, usize) {
    let days = t.div_euclid(DAY);
    // 1970-01-01 was a Thursday (3 with Monday 0).
    (
        ((days + 3).rem_euclid(7)) as usize,
        (t.rem_euclid(DAY) / HOUR) as usize,
    )
}

/// Month (0 = January) of a local time; civil-from-days after H. Hinnant.
fn month(t: i64) -> usize {
    let z = t.div_euclid(DAY) + 719_468;
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    (if mp < 10 { mp + 2 } else { mp - 10 }) as usize
}

/// Weights per weekday × hour (rows Monday..Sunday, columns 0..23); each incident adds 1 in
/// total, spread over the hours its interval [from, to] covers in proportion to the overlap.
pub fn weekday_hour_profile(from: &[i64], to: &[i64]) -> [[f64; 24]; 7] {
    let mut out = [[0.0; 24]; 7];
    for (&a, &b) in from.iter().zip(to) {
        let (a, b) = (a.min(b), a.max(b));
        if a == b {
            let (d, h) = weekday_hour(a);
            out[d][h] += 1.0;
            continue;
        }
        let len = (b - a) as f64;
        let mut t = a;
        while t < b {
            let next = ((t.div_euclid(HOUR)) + 1) * HOUR;
            let end = next.min(b);
            let (d, h) = weekday_hour(t);
            out[d][h] += (end - t) as f64 / len;
            t = end;
        }
    }
    out
}

/// Weights per month (January..December), aoristic over the interval as above.
pub fn month_profile(from: &[i64], to: &[i64]) -> [f64; 12] {
    let mut out = [0.0; 12];
    for (&a, &b) in from.iter().zip(to) {
        let (a, b) = (a.min(b), a.max(b));
        if a == b {
            out[month(a)] += 1.0;
            continue;
        }
        let len = (b - a) as f64;
        let mut t = a;
        while t < b {
            // Step a day at a time (intervals are at most a month in practice).
            let next = (t.div_euclid(DAY) + 1) * DAY;
            let end = next.min(b);
            out[month(t)] += (end - t) as f64 / len;
            t = end;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(days_since_epoch: i64, hour: i64, minute: i64) -> i64 {
        days_since_epoch * DAY + hour * HOUR + minute * 60
    }

    #[test]
    fn instants_and_intervals() {
        // 2026-11-24 is a Tuesday: 20,781 days after 1970-01-01.
        let tue = 20_781;
        let p = weekday_hour_profile(&[at(tue, 22, 30)], &[at(tue, 22, 30)]);
        assert_eq!(p[1][22], 1.0);
        // Friday 22:00 to Saturday 02:00: a quarter to each of four hours.
        let fri = tue + 3;
        let p = weekday_hour_profile(&[at(fri, 22, 0)], &[at(fri + 1, 2, 0)]);
        assert_eq!(
            (p[4][22], p[4][23], p[5][0], p[5][1]),
            (0.25, 0.25, 0.25, 0.25)
        );
        // Every incident counts once in total.
        let total: f64 = p.iter().flatten().sum();
        assert!((total - 1.0).abs() < 1e-12);
    }

    #[test]
    fn months() {
        // 2026-11-24 is in November; an interval over the new year splits between December
        // and January.
        let m = month_profile(&[at(20_781, 12, 0)], &[at(20_781, 12, 0)]);
        assert_eq!(m[10], 1.0);
        let dec31 = 20_818; // 2026-12-31
        let m = month_profile(&[at(dec31, 12, 0)], &[at(dec31 + 1, 12, 0)]);
        assert_eq!((m[11], m[0]), (0.5, 0.5));
        assert_eq!(month(0), 0, "1970-01-01");
        assert_eq!(month(at(11_016, 0, 0)), 1, "2000-02-29");
    }
}
