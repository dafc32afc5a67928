//! Coordinates and shapes for Lägesbild.
//!
//! * [`to_sweref99tm`] / [`from_sweref99tm`]: WGS84 (EPSG:4326) ⇄ SWEREF 99 TM (EPSG:3006), pure
//!   Rust, Lantmäteriet's Gauss–Krüger formulas (sub-millimetre within Sweden).
//! * [`MultiPolygon`]: outlines of municipalities and areas, parsed and validated from GeoJSON,
//!   with point-in-polygon tests.
#![forbid(unsafe_code)]

mod polygon;
mod sweref;
pub mod tile;

pub use polygon::{GeoError, MultiPolygon, Municipality, load_municipalities};
pub use sweref::{Sweref99Tm, from_sweref99tm, square_ring, to_sweref99tm};

/// Metres between two WGS84 points (haversine on the mean Earth radius; within 0.5 % of the
/// ellipsoid at Swedish latitudes, plenty for "within 50 m").
pub fn metres(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let r = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * a.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod distance_tests {
    #[test]
    fn metres_between_points() {
        // One thousandth of a degree of latitude is 111 m.
        let d = super::metres(16.1, 59.42, 16.1, 59.421);
        assert!((d - 111.2).abs() < 0.5, "{d}");
        assert_eq!(super::metres(16.1, 59.42, 16.1, 59.42), 0.0);
        // Kungsör to Arboga, about 17 km.
        let d = super::metres(16.0978, 59.4224, 15.8388, 59.3939);
        assert!((14_000.0..16_000.0).contains(&d), "{d}");
    }
}
