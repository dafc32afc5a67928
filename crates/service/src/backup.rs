//! The files of nightly backups: their names (sortable by time) and keeping a number of them.
//! Taking the copy is the store's (`SqliteDb::backup_into`); restoring is the binary's
//! (`lagesbild restore`), which checks the copy before it replaces anything.

use jiff::Timestamp;
use std::path::{Path, PathBuf};

const PREFIX: &str = "lagesbild-";
const SUFFIX: &str = ".db";

/// `lagesbild-20261204-0230.db`, in Swedish time.
pub fn file_name(at: Timestamp) -> String {
    let z = at.to_zoned(crate::stockholm());
    format!("{PREFIX}{}{SUFFIX}", z.strftime("%Y%m%d-%H%M%S"))
}

/// The backups in `dir`, oldest first.
pub fn list(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Removes the oldest backups beyond the newest `keep`; returns what it removed.
pub fn prune(dir: &Path, keep: usize) -> std::io::Result<Vec<PathBuf>> {
    let all = list(dir)?;
    let gone: Vec<PathBuf> = all[..all.len().saturating_sub(keep)].to_vec();
    for p in &gone {
        std::fs::remove_file(p)?;
    }
    Ok(gone)
}

/// How long until the next `hh:mm` in Swedish time after `now`.
pub fn until_next(now: Timestamp, hour: i8, minute: i8) -> std::time::Duration {
    let tz = crate::stockholm();
    let z = now.to_zoned(tz.clone());
    let mut day = z.date();
    for _ in 0..3 {
        if let Ok(t) = jiff::civil::Time::new(hour, minute, 0, 0)
            && let Ok(at) = tz.to_ambiguous_zoned(day.to_datetime(t)).compatible()
            && at.timestamp() > now
        {
            return std::time::Duration::from_secs(
                (at.timestamp().as_second() - now.as_second()).max(1) as u64,
            );
        }
        day = day.tomorrow().unwrap_or(day);
    }
    std::time::Duration::from_secs(24 * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_time_and_the_oldest_go() {
        let dir = tempfile::tempdir().unwrap();
        let t0: Timestamp = "2026-12-01T01:30:00Z".parse().unwrap();
        for d in 0..5 {
            let name = file_name(t0 + jiff::SignedDuration::from_hours(24 * d));
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        std::fs::write(dir.path().join("annat.db"), b"x").unwrap();
        assert_eq!(
            file_name(t0),
            "lagesbild-20261201-023000.db",
            "Swedish time"
        );
        let gone = prune(dir.path(), 3).unwrap();
        assert_eq!(gone.len(), 2);
        assert!(gone[0].ends_with("lagesbild-20261201-023000.db"));
        let left = list(dir.path()).unwrap();
        assert_eq!(left.len(), 3);
        assert!(
            dir.path().join("annat.db").exists(),
            "other files are left alone"
        );
        assert_eq!(prune(dir.path(), 3).unwrap().len(), 0);
    }

    #[test]
    fn the_next_night() {
        let now: Timestamp = "2026-12-04T00:00:00Z".parse().unwrap(); // 01:00 in Sweden
        assert_eq!(until_next(now, 2, 30).as_secs(), 90 * 60);
        let later: Timestamp = "2026-12-04T02:00:00Z".parse().unwrap(); // 03:00
        assert_eq!(until_next(later, 2, 30).as_secs(), 23 * 3600 + 30 * 60);
    }
}
