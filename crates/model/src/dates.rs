//! Dates and times a user gives, checked once: a calendar date or an instant within a sane
//! window (1900-01-01 to 2200-12-31), so that no later date arithmetic can overflow (jiff
//! stops at 9999) and no report is made for the year 0. Every route and command that takes
//! a date from a user reads it here.

use jiff::civil::Date;
use jiff::{Timestamp, tz::TimeZone};

/// The first and the last year a user may give.
pub const FIRST_YEAR: i16 = 1900;
pub const LAST_YEAR: i16 = 2200;
/// The largest UTC offset a time may carry (the world's clocks span −12:00 to +14:00).
pub const MAX_OFFSET_SECONDS: i32 = 14 * 3600;

/// Whether a date lies in the window.
pub fn in_window(d: Date) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&d.year())
}

/// Whether an instant lies in the window (as a date in UTC).
pub fn instant_in_window(t: Timestamp) -> bool {
    in_window(t.to_zoned(TimeZone::UTC).date())
}

/// A calendar date `YYYY-MM-DD` within the window; anything else is `None`.
pub fn date(v: &str) -> Option<Date> {
    let d: Date = v.trim().parse().ok()?;
    in_window(d).then_some(d)
}

/// An RFC 3339 instant with its offset (`2026-11-27T21:30:00+01:00`, `…Z`) within the window,
/// its offset at most ±14:00; anything else (no offset, +25:00, the year 9999) is `None`.
pub fn instant(v: &str) -> Option<Timestamp> {
    let v = v.trim();
    let t: Timestamp = v.parse().ok()?;
    let offset_ok = match v.rfind(['+', '-']) {
        // The offset follows the time: `…T21:30:00+01:00`.
        Some(i) if i > v.find('T').unwrap_or(usize::MAX) => {
            let (h, m) = v[i + 1..].split_once(':').unwrap_or((&v[i + 1..], "0"));
            match (h.parse::<i32>(), m.get(..2).unwrap_or(m).parse::<i32>()) {
                (Ok(h), Ok(m)) => h * 3600 + m * 60 <= MAX_OFFSET_SECONDS && m < 60,
                _ => false,
            }
        }
        _ => v.ends_with('Z') || v.ends_with('z'),
    };
    (offset_ok && instant_in_window(t)).then_some(t)
}

/// A local time without offset (`2026-11-27T21:30` from an HTML `datetime-local` input, or
/// with a space) in `tz`, within the window.
pub fn local(v: &str, tz: &TimeZone) -> Option<Timestamp> {
    let v = v.trim().replacen(' ', "T", 1);
    // A time with an offset is an instant (`instant`), never a local time with its offset
    // ignored.
    let time = v.split_once('T').map(|(_, t)| t).unwrap_or("");
    if time.contains(['+', '-', 'Z', 'z']) || v.contains('[') {
        return None;
    }
    let dt: jiff::civil::DateTime = v.parse().ok()?;
    if !in_window(dt.date()) {
        return None;
    }
    tz.to_ambiguous_zoned(dt)
        .compatible()
        .ok()
        .map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_outside_the_window_are_refused() {
        assert!(date("2026-12-03").is_some());
        assert!(date(" 1900-01-01 ").is_some());
        assert!(date("2200-12-31").is_some());
        for bad in [
            "9999-12-31",
            "0000-01-01",
            "1899-12-31",
            "2201-01-01",
            "bogus",
            "",
            "2026-02-30",
        ] {
            assert_eq!(date(bad), None, "{bad}");
        }
    }

    #[test]
    fn instants_need_a_real_offset_and_a_sane_year() {
        assert!(instant("2026-11-27T21:30:00+01:00").is_some());
        assert!(instant("2026-11-27T21:30:00Z").is_some());
        assert!(instant("2026-11-27T21:30:00-12:00").is_some());
        assert!(instant("2026-11-27T21:30:00+14:00").is_some());
        for bad in [
            "2026-11-27T21:30:00+25:00",
            "2026-11-27T21:30:00+14:30",
            "2026-11-27T21:30:00",
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z",
            "2026-11-27",
        ] {
            assert_eq!(instant(bad), None, "{bad}");
        }
    }

    #[test]
    fn local_times_are_read_in_the_zone() {
        let tz = TimeZone::get("Europe/Stockholm").unwrap();
        let t = local("2026-11-27T21:30", &tz).unwrap();
        assert_eq!(t.to_string(), "2026-11-27T20:30:00Z");
        assert_eq!(local("9999-11-27T21:30", &tz), None);
        assert_eq!(local("2026-11-27T21:30+25:00", &tz), None);
    }
}
