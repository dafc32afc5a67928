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
