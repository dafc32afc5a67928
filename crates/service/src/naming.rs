//! Naming a spot for people: the municipality's own area that holds it, or its nearest named
//! place within a distance. What the incident list, the lägesbild's clusters and the meeting
//! agenda say instead of coordinates.

use store::{Place, PlaceKind};

/// How far a named place may be to name a spot "near" it.
pub const NEAR_METRES: f64 = 400.0;

/// The name of the area that holds (lon, lat), else of the nearest place (or area's centre)
/// within `max_m` metres. Areas are parsed from their GeoJSON on each call: a caller with many
/// points uses [`Namer`].
pub fn near(places: &[Place], lon: f64, lat: f64, max_m: f64) -> Option<String> {
    Namer::new(places).near(lon, lat, max_m)
}

/// The areas' shapes parsed once, for naming many spots.
pub struct Namer<'a> {
    places: &'a [Place],
    areas: Vec<(&'a str, geo::MultiPolygon)>,
}

impl<'a> Namer<'a> {
    pub fn new(places: &'a [Place]) -> Namer<'a> {
        let areas = places
            .iter()
            .filter(|p| p.kind == PlaceKind::Area)
            .filter_map(|p| {
                let m = geo::MultiPolygon::from_geojson_str(&p.geometry_geojson).ok()?;
                Some((p.name.as_str(), m))
            })
            .collect();
        Namer { places, areas }
    }

    pub fn area(&self, lon: f64, lat: f64) -> Option<String> {
        self.areas
            .iter()
            .find(|(_, m)| m.contains(lon, lat))
            .map(|(name, _)| name.to_string())
    }

    pub fn nearest(&self, lon: f64, lat: f64, max_m: f64) -> Option<String> {
        self.places
            .iter()
            .map(|p| (geo::metres(lon, lat, p.lon, p.lat), p))
            .filter(|(d, _)| *d <= max_m)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, p)| p.name.clone())
    }

    pub fn near(&self, lon: f64, lat: f64, max_m: f64) -> Option<String> {
        self.area(lon, lat)
            .or_else(|| self.nearest(lon, lat, max_m))
    }

    /// The nearest named place at any distance, and how far it is (m): for a spot nothing is
    /// near ("1,2 km från Macken").
    pub fn farther(&self, lon: f64, lat: f64) -> Option<(String, f64)> {
        self.places
            .iter()
            .map(|p| (geo::metres(lon, lat, p.lon, p.lat), p))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(d, p)| (p.name.clone(), d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(name: &str, kind: PlaceKind, lon: f64, lat: f64, geometry: &str) -> Place {
        Place {
            tenant_id: 1,
            id: 1,
            name: name.into(),
            kind,
            is_school: false,
            geometry_geojson: geometry.into(),
            lon,
            lat,
            is_demo: false,
        }
    }

    #[test]
    fn an_area_first_then_the_nearest_place_within_reach() {
        let places = vec![
            place(
                "Torget",
                PlaceKind::Area,
                16.095,
                59.422,
                r#"{"type":"Polygon","coordinates":[[[16.09,59.42],[16.10,59.42],[16.10,59.425],[16.09,59.425],[16.09,59.42]]]}"#,
            ),
            place(
                "Stationen",
                PlaceKind::Point,
                16.11,
                59.43,
                r#"{"type":"Point","coordinates":[16.11,59.43]}"#,
            ),
        ];
        assert_eq!(
            near(&places, 16.095, 59.421, 400.0).as_deref(),
            Some("Torget")
        );
        // 110 m from the station.
        assert_eq!(
            near(&places, 16.11, 59.431, 400.0).as_deref(),
            Some("Stationen")
        );
        // Far from everything: not near, but so far from the nearest.
        assert_eq!(near(&places, 16.2, 59.5, 400.0), None);
        let (name, metres) = Namer::new(&places).farther(16.11, 59.44).unwrap();
        assert_eq!(name, "Stationen");
        assert!((metres - 1_112.0).abs() < 5.0, "{metres}");
        assert_eq!(Namer::new(&[]).farther(16.0, 59.0), None);
    }
}
