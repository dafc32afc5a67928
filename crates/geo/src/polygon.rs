use serde_json::Value;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoError {
    #[error("invalid GeoJSON: {0}")]
    Json(String),
    #[error("unsupported geometry type {0:?}; expected Polygon or MultiPolygon")]
    UnsupportedType(String),
    #[error("invalid geometry at {path}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("no municipality with code {0:?}")]
    UnknownMunicipality(String),
}

/// Rings of (lon, lat); the first ring of a polygon is its outer boundary, the rest are holes.
type Ring = Vec<[f64; 2]>;

/// A validated (Multi)Polygon in WGS84.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiPolygon {
    polygons: Vec<Vec<Ring>>,
    bbox: [f64; 4],
}

fn invalid(path: String, reason: impl Into<String>) -> GeoError {
    GeoError::Invalid {
        path,
        reason: reason.into(),
    }
}

fn parse_ring(v: &Value, path: String) -> Result<Ring, GeoError> {
    let arr = v
        .as_array()
        .ok_or_else(|| invalid(path.clone(), "a ring must be an array of positions"))?;
    let mut ring = Vec::with_capacity(arr.len());
    for (i, p) in arr.iter().enumerate() {
        let pos = p.as_array().filter(|a| a.len() >= 2);
        let (lon, lat) = match pos.map(|a| (a[0].as_f64(), a[1].as_f64())) {
            Some((Some(lon), Some(lat))) => (lon, lat),
            _ => {
                return Err(invalid(
                    format!("{path}[{i}]"),
                    format!("not a [lon, lat] position: {p}"),
                ));
            }
        };
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return Err(invalid(
                format!("{path}[{i}]"),
                format!("[{lon}, {lat}] is outside WGS84 ranges"),
            ));
        }
        ring.push([lon, lat]);
    }
    if ring.len() < 4 {
        return Err(invalid(
            path,
            format!("a ring needs at least 4 positions, found {}", ring.len()),
        ));
    }
    if ring.first() != ring.last() {
        return Err(invalid(
            path,
            "the ring is not closed (first and last positions differ)",
        ));
    }
    Ok(ring)
}

fn parse_polygon(v: &Value, path: String) -> Result<Vec<Ring>, GeoError> {
    let arr = v
        .as_array()
        .ok_or_else(|| invalid(path.clone(), "a polygon must be an array of rings"))?;
    if arr.is_empty() {
        return Err(invalid(path, "a polygon needs an outer ring"));
    }
    arr.iter()
        .enumerate()
        .map(|(i, r)| parse_ring(r, format!("{path}[{i}]")))
        .collect()
}

impl MultiPolygon {
    /// Parses a GeoJSON geometry object of type Polygon or MultiPolygon.
    pub fn from_geojson(geometry: &Value) -> Result<Self, GeoError> {
        let kind = geometry
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| GeoError::Json("geometry has no \"type\"".into()))?;
        let coords = geometry
            .get("coordinates")
            .ok_or_else(|| GeoError::Json("geometry has no \"coordinates\"".into()))?;
        let polygons = match kind {
            "Polygon" => vec![parse_polygon(coords, "coordinates".into())?],
            "MultiPolygon" => coords
                .as_array()
                .ok_or_else(|| invalid("coordinates".into(), "must be an array of polygons"))?
                .iter()
                .enumerate()
                .map(|(i, p)| parse_polygon(p, format!("coordinates[{i}]")))
                .collect::<Result<_, _>>()?,
            other => return Err(GeoError::UnsupportedType(other.to_string())),
        };
        if polygons.is_empty() {
            return Err(invalid("coordinates".into(), "no polygons"));
        }
        let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for p in &polygons {
            for [lon, lat] in &p[0] {
                bbox[0] = bbox[0].min(*lon);
                bbox[1] = bbox[1].min(*lat);
                bbox[2] = bbox[2].max(*lon);
                bbox[3] = bbox[3].max(*lat);
            }
        }
        Ok(MultiPolygon { polygons, bbox })
    }

    pub fn from_geojson_str(text: &str) -> Result<Self, GeoError> {
        let v: Value = serde_json::from_str(text).map_err(|e| GeoError::Json(e.to_string()))?;
        Self::from_geojson(&v)
    }

    /// An area drawn on the map or pasted by a person: a bare geometry, a Feature, or a
    /// FeatureCollection of exactly one feature, whose rings must not cross themselves.
    pub fn from_pasted(text: &str) -> Result<Self, GeoError> {
        let value: Value = serde_json::from_str(text).map_err(|e| GeoError::Json(e.to_string()))?;
        let geometry = match value.get("type").and_then(Value::as_str) {
            Some("Feature") => value.get("geometry").cloned().unwrap_or_default(),
            Some("FeatureCollection") => value
                .get("features")
                .and_then(Value::as_array)
                .filter(|f| f.len() == 1)
                .and_then(|f| f[0].get("geometry").cloned())
                .unwrap_or_default(),
            _ => value,
        };
        let shape = Self::from_geojson(&geometry)?;
        shape.validate_simple()?;
        Ok(shape)
    }

    /// Refuses rings that cross themselves (a figure-eight) or touch themselves in more than
    /// their shared end points, naming the ring and the two segments.
    pub fn validate_simple(&self) -> Result<(), GeoError> {
        for (p, rings) in self.polygons.iter().enumerate() {
            for (r, ring) in rings.iter().enumerate() {
                if ring.len() > 10_001 {
                    return Err(invalid(
                        format!("polygon {p}, ring {r}"),
                        "more than 10,000 points",
                    ));
                }
                let n = ring.len() - 1; // segments
                for i in 0..n {
                    for j in i + 1..n {
                        // Neighbouring segments share an end point by design.
                        if j == i + 1 || (i == 0 && j == n - 1) {
                            continue;
                        }
                        if segments_intersect(ring[i], ring[i + 1], ring[j], ring[j + 1]) {
                            return Err(invalid(
                                format!("polygon {p}, ring {r}"),
                                format!(
                                    "the ring crosses itself: segment {} and segment {}",
                                    i + 1,
                                    j + 1
                                ),
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The polygons, each its outer ring then its holes, as [lon, lat] positions.
    pub fn polygons(&self) -> &[Vec<Ring>] {
        &self.polygons
    }

    /// [min lon, min lat, max lon, max lat].
    pub fn bbox(&self) -> [f64; 4] {
        self.bbox
    }

    /// Even–odd point-in-polygon test (a point in a hole is outside).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        if lon < self.bbox[0] || lon > self.bbox[2] || lat < self.bbox[1] || lat > self.bbox[3] {
            return false;
        }
        self.polygons.iter().any(|rings| {
            let mut inside = false;
            for ring in rings {
                if ring_crossings_odd(ring, lon, lat) {
                    inside = !inside;
                }
            }
            inside
        })
    }

    /// A point inside the shape for labels and the area's "centre": the centroid of the largest
    /// polygon's outer ring when that lies inside, else the middle of the widest inside stretch
    /// of the horizontal line through it.
    pub fn representative_point(&self) -> (f64, f64) {
        let largest = self
            .polygons
            .iter()
            .max_by(|a, b| ring_area(&a[0]).abs().total_cmp(&ring_area(&b[0]).abs()))
            .expect("a MultiPolygon has at least one polygon");
        let outer = &largest[0];
        let (cx, cy) = ring_centroid(outer);
        if self.contains(cx, cy) {
            return (cx, cy);
        }
        let mut xs: Vec<f64> = Vec::new();
        for ring in largest {
            for w in ring.windows(2) {
                let ([x1, y1], [x2, y2]) = (w[0], w[1]);
                if (y1 > cy) != (y2 > cy) {
                    xs.push(x1 + (cy - y1) * (x2 - x1) / (y2 - y1));
                }
            }
        }
        xs.sort_by(f64::total_cmp);
        xs.chunks(2)
            .filter(|c| c.len() == 2)
            .max_by(|a, b| (a[1] - a[0]).total_cmp(&(b[1] - b[0])))
            .map(|c| ((c[0] + c[1]) / 2.0, cy))
            .unwrap_or((outer[0][0], outer[0][1]))
    }

    /// GeoJSON geometry (RFC 7946: outer rings counter-clockwise, holes clockwise).
    pub fn to_geojson(&self) -> Value {
        let polys: Vec<Value> = self
            .polygons
            .iter()
            .map(|rings| {
                Value::Array(
                    rings
                        .iter()
                        .enumerate()
                        .map(|(i, r)| {
                            let ccw = ring_area(r) > 0.0;
                            let want_ccw = i == 0;
                            let mut r = r.clone();
                            if ccw != want_ccw {
                                r.reverse();
                            }
                            serde_json::json!(r)
                        })
                        .collect(),
                )
            })
            .collect();
        serde_json::json!({"type": "MultiPolygon", "coordinates": polys})
    }
}

fn orientation(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

fn on_segment(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> bool {
    p[0] >= a[0].min(b[0])
        && p[0] <= a[0].max(b[0])
        && p[1] >= a[1].min(b[1])
        && p[1] <= a[1].max(b[1])
}

/// Whether segments ab and cd share any point (crossing, touching or overlapping).
fn segments_intersect(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> bool {
    let (d1, d2) = (orientation(c, d, a), orientation(c, d, b));
    let (d3, d4) = (orientation(a, b, c), orientation(a, b, d));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment(c, d, a))
        || (d2 == 0.0 && on_segment(c, d, b))
        || (d3 == 0.0 && on_segment(a, b, c))
        || (d4 == 0.0 && on_segment(a, b, d))
}

fn ring_crossings_odd(ring: &[[f64; 2]], x: f64, y: f64) -> bool {
    let mut odd = false;
    for w in ring.windows(2) {
        let ([x1, y1], [x2, y2]) = (w[0], w[1]);
        if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
            odd = !odd;
        }
    }
    odd
}

/// Signed area (shoelace), positive for counter-clockwise rings.
fn ring_area(ring: &[[f64; 2]]) -> f64 {
    ring.windows(2)
        .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
        .sum::<f64>()
        / 2.0
}

fn ring_centroid(ring: &[[f64; 2]]) -> (f64, f64) {
    let a = ring_area(ring);
    if a.abs() < 1e-15 {
        return (ring[0][0], ring[0][1]);
    }
    let (mut cx, mut cy) = (0.0, 0.0);
    for w in ring.windows(2) {
        let cross = w[0][0] * w[1][1] - w[1][0] * w[0][1];
        cx += (w[0][0] + w[1][0]) * cross;
        cy += (w[0][1] + w[1][1]) * cross;
    }
    (cx / (6.0 * a), cy / (6.0 * a))
}

/// A Swedish municipality from `data/boundaries/kommuner.geojson`.
#[derive(Debug, Clone)]
pub struct Municipality {
    pub code: String,
    pub name: String,
    pub outline: MultiPolygon,
}

/// Reads the FeatureCollection of municipalities (properties `kod`, `namn`).
pub fn load_municipalities(geojson: &str) -> Result<Vec<Municipality>, GeoError> {
    let v: Value = serde_json::from_str(geojson).map_err(|e| GeoError::Json(e.to_string()))?;
    let features = v
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| GeoError::Json("not a FeatureCollection: no \"features\" array".into()))?;
    features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let props = f.get("properties");
            let text = |k: &str| {
                props
                    .and_then(|p| p.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| invalid(format!("features[{i}].properties.{k}"), "missing"))
            };
            let geometry = f
                .get("geometry")
                .ok_or_else(|| invalid(format!("features[{i}].geometry"), "missing"))?;
            Ok(Municipality {
                code: text("kod")?,
                name: text("namn")?,
                outline: MultiPolygon::from_geojson(geometry).map_err(|e| match e {
                    GeoError::Invalid { path, reason } => {
                        invalid(format!("features[{i}].geometry.{path}"), reason)
                    }
                    other => other,
                })?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn square_with_hole() -> MultiPolygon {
        MultiPolygon::from_geojson(&json!({
            "type": "Polygon",
            "coordinates": [
                [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]],
                [[4.0, 4.0], [4.0, 6.0], [6.0, 6.0], [6.0, 4.0], [4.0, 4.0]]
            ]
        }))
        .unwrap()
    }

    #[test]
    fn point_in_polygon_with_hole() {
        let p = square_with_hole();
        assert!(p.contains(1.0, 1.0));
        assert!(!p.contains(5.0, 5.0));
        assert!(!p.contains(11.0, 5.0));
        assert!(p.contains(9.9, 5.0));
        assert_eq!(p.bbox(), [0.0, 0.0, 10.0, 10.0]);
    }

    #[test]
    fn representative_point_avoids_holes() {
        let (x, y) = square_with_hole().representative_point();
        assert!(square_with_hole().contains(x, y), "{x},{y}");
    }

    #[test]
    fn invalid_geometries_name_the_place() {
        let open = json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]]});
        let err = MultiPolygon::from_geojson(&open).unwrap_err();
        assert!(err.to_string().contains("coordinates[0]"), "{err}");
        assert!(err.to_string().contains("not closed"), "{err}");

        let bad = json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, "x"], [1.0, 1.0], [0.0, 0.0]]]});
        assert!(
            MultiPolygon::from_geojson(&bad)
                .unwrap_err()
                .to_string()
                .contains("coordinates[0][1]")
        );

        let point = json!({"type": "Point", "coordinates": [0.0, 0.0]});
        assert_eq!(
            MultiPolygon::from_geojson(&point).unwrap_err(),
            GeoError::UnsupportedType("Point".into())
        );
    }

    #[test]
    fn geojson_output_has_ccw_outer_rings() {
        let cw = MultiPolygon::from_geojson(&json!({
            "type": "Polygon",
            "coordinates": [[[0.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]]]
        }))
        .unwrap();
        let out = cw.to_geojson();
        let ring: Vec<[f64; 2]> = serde_json::from_value(out["coordinates"][0][0].clone()).unwrap();
        assert!(ring_area(&ring) > 0.0);
    }

    #[test]
    fn self_intersecting_rings_are_refused() {
        let bowtie = MultiPolygon::from_geojson(&json!({
            "type": "Polygon",
            "coordinates": [[[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]
        }))
        .unwrap();
        let err = bowtie.validate_simple().unwrap_err().to_string();
        assert!(
            err.contains("crosses itself") && err.contains("segment 1 and segment 3"),
            "{err}"
        );
        assert!(square_with_hole().validate_simple().is_ok());
        let all =
            load_municipalities(include_str!("../../../data/boundaries/kommuner.geojson")).unwrap();
        let k = all.iter().find(|m| m.code == "1960").unwrap();
        assert!(k.outline.validate_simple().is_ok());
    }

    #[test]
    fn kungsor_from_the_shipped_boundaries() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/boundaries/kommuner.geojson"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            panic!("missing {path}: the boundaries ship with the project's shared data");
        };
        let all = load_municipalities(&text).unwrap();
        assert_eq!(all.len(), 290);
        let k = all.iter().find(|m| m.code == "1960").unwrap();
        assert_eq!(k.name, "Kungsör");
        // Kungsör's centre is inside, Arboga's and Stockholm's are not.
        assert!(k.outline.contains(16.0978, 59.4224));
        assert!(!k.outline.contains(15.8386, 59.3939));
        assert!(!k.outline.contains(18.0686, 59.3293));
    }
}
