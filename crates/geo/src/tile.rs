//! Map tiles: Web Mercator tile coordinates (z/x/y, as slippy maps and MapLibre use them) and
//! Mapbox Vector Tiles (MVT 2.1, protobuf) of points, encoded here so that the SQLite store
//! serves the same tiles that PostGIS's `ST_AsMVT` makes for the PostgreSQL store.

/// Earth radius of Web Mercator (EPSG:3857), metres.
const R: f64 = 6_378_137.0;
/// Tile coordinates run 0..EXTENT across a tile (PostGIS's default too).
pub const EXTENT: u32 = 4096;
/// Points this many tile units outside a tile are still drawn in it (symbols at the edge).
pub const BUFFER: u32 = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TileError {
    #[error("tile {z}/{x}/{y} does not exist: zoom 0–22, x and y below 2^zoom")]
    OutOfRange { z: u32, x: u32, y: u32 },
    #[error("the vector tile is malformed at byte {0}")]
    Malformed(usize),
}

impl TileId {
    pub fn parse(z: u32, x: u32, y: u32) -> Result<TileId, TileError> {
        if z > 22 || x >= (1u32 << z) || y >= (1u32 << z) {
            return Err(TileError::OutOfRange { z, x, y });
        }
        Ok(TileId { z: z as u8, x, y })
    }

    /// Side of the tile in Web Mercator metres.
    fn size(self) -> f64 {
        2.0 * std::f64::consts::PI * R / f64::from(1u32 << self.z)
    }

    /// WGS84 bounds [west, south, east, north] including the buffer.
    pub fn bounds_wgs84(self) -> [f64; 4] {
        let size = self.size();
        let pad = size * f64::from(BUFFER) / f64::from(EXTENT);
        let min_x = -std::f64::consts::PI * R + f64::from(self.x) * size - pad;
        let max_y = std::f64::consts::PI * R - f64::from(self.y) * size + pad;
        let (max_x, min_y) = (min_x + size + 2.0 * pad, max_y - size - 2.0 * pad);
        let lon = |mx: f64| (mx / R).to_degrees().clamp(-180.0, 180.0);
        let lat =
            |my: f64| (2.0 * (my / R).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees();
        [lon(min_x), lat(min_y), lon(max_x), lat(max_y)]
    }

    /// A WGS84 point in this tile's coordinates (0..EXTENT, y down). The arithmetic is the
    /// one the PostgreSQL store writes in SQL (`TILE_X_SQL`, `TILE_Y_SQL`), step for step, so
    /// both stores place a point alike; halves round up (floor(v + 0.5)) in both.
    pub fn project(self, lon: f64, lat: f64) -> (i64, i64) {
        let n = f64::from(1u32 << self.z);
        let e = f64::from(EXTENT);
        let fx = (lon + 180.0) / 360.0 * n - f64::from(self.x);
        let r = lat.to_radians();
        let fy = (1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n
            - f64::from(self.y);
        ((fx * e + 0.5).floor() as i64, (fy * e + 0.5).floor() as i64)
    }

    /// Up to this zoom, points are gathered into cells of `CELL` tile units, one feature per
    /// cell with a count: a town's whole year in one tile stays small and quick.
    pub fn clusters(self) -> bool {
        self.z <= CLUSTER_MAX_ZOOM
    }
}

/// The deepest zoom at which tiles gather points into cells (at 13 a cell is about 40 m).
pub const CLUSTER_MAX_ZOOM: u8 = 13;
/// Side of a gathering cell in tile units, as a power of two (2^5 = 32: 128 cells across a
/// tile), so the cell of a coordinate is an arithmetic shift in SQL as in Rust.
pub const CELL_SHIFT: u32 = 5;
pub const CELL: i64 = 1 << CELL_SHIFT;

/// The centre of the gathering cell of a point in tile coordinates.
pub fn cell_centre(x: i64, y: i64) -> (i64, i64) {
    (
        (x >> CELL_SHIFT) * CELL + CELL / 2,
        (y >> CELL_SHIFT) * CELL + CELL / 2,
    )
}

/// `TileId::project` in SQL over columns `lon`, `lat` and parameters z, x, y given as
/// `{z}`, `{x}`, `{y}` placeholders (the PostgreSQL store fills them in).
pub const TILE_X_SQL: &str = "floor(((i.lon + 180.0) / 360.0 * 2.0 ^ {z} - {x}) * 4096.0 + 0.5)";
pub const TILE_Y_SQL: &str = "floor(((1.0 - ln(tan(radians(i.lat)) + 1.0 / cos(radians(i.lat))) / pi()) / 2.0 * 2.0 ^ {z} - {y}) * 4096.0 + 0.5)";

/// A point feature of a vector tile.
#[derive(Debug, Clone, PartialEq)]
pub struct TilePoint {
    pub id: u64,
    /// Position in tile coordinates.
    pub x: i64,
    pub y: i64,
    /// String properties, in a fixed order.
    pub properties: Vec<(String, String)>,
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, u64::from(field << 3 | u32::from(wire)));
}

fn bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    key(out, field, 2);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// One layer of point features as an MVT tile (empty bytes when there are none, as PostGIS).
pub fn encode_points(layer: &str, points: &[TilePoint]) -> Vec<u8> {
    if points.is_empty() {
        return Vec::new();
    }
    let mut keys: Vec<&str> = Vec::new();
    let mut values: Vec<&str> = Vec::new();
    fn index<'a>(list: &mut Vec<&'a str>, s: &'a str) -> u32 {
        match list.iter().position(|k| *k == s) {
            Some(i) => i as u32,
            None => {
                list.push(s);
                (list.len() - 1) as u32
            }
        }
    }
    let mut l = Vec::new();
    bytes(&mut l, 1, layer.as_bytes());
    for p in points {
        let mut f = Vec::new();
        key(&mut f, 1, 0);
        varint(&mut f, p.id);
        let mut tags = Vec::new();
        for (k, v) in &p.properties {
            varint(&mut tags, u64::from(index(&mut keys, k)));
            varint(&mut tags, u64::from(index(&mut values, v)));
        }
        bytes(&mut f, 2, &tags);
        key(&mut f, 3, 0);
        varint(&mut f, 1); // POINT
        let mut g = Vec::new();
        varint(&mut g, 9); // MoveTo, one point
        varint(&mut g, zigzag(p.x));
        varint(&mut g, zigzag(p.y));
        bytes(&mut f, 4, &g);
        bytes(&mut l, 2, &f);
    }
    for k in &keys {
        bytes(&mut l, 3, k.as_bytes());
    }
    for v in &values {
        let mut val = Vec::new();
        bytes(&mut val, 1, v.as_bytes());
        bytes(&mut l, 4, &val);
    }
    key(&mut l, 5, 0);
    varint(&mut l, u64::from(EXTENT));
    key(&mut l, 15, 0);
    varint(&mut l, 2);
    let mut tile = Vec::new();
    bytes(&mut tile, 3, &l);
    tile
}

/// Reads the varint at `at`.
fn read_varint(b: &[u8], at: &mut usize) -> Result<u64, TileError> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at).ok_or(TileError::Malformed(*at))?;
        *at += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(v);
        }
    }
    Err(TileError::Malformed(*at))
}

/// A protobuf field: its number, and its varint value or its bytes.
type Field<'a> = (u32, u64, &'a [u8]);

/// The fields of a protobuf message.
fn fields(b: &[u8]) -> Result<Vec<Field<'_>>, TileError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let k = read_varint(b, &mut at)?;
        let (field, wire) = ((k >> 3) as u32, k & 7);
        match wire {
            0 => out.push((field, read_varint(b, &mut at)?, &b[0..0])),
            2 => {
                let len = read_varint(b, &mut at)? as usize;
                let end = at
                    .checked_add(len)
                    .filter(|e| *e <= b.len())
                    .ok_or(TileError::Malformed(at))?;
                out.push((field, 0, &b[at..end]));
                at = end;
            }
            _ => return Err(TileError::Malformed(at)),
        }
    }
    Ok(out)
}

fn packed(b: &[u8]) -> Result<Vec<u64>, TileError> {
    let mut at = 0;
    let mut out = Vec::new();
    while at < b.len() {
        out.push(read_varint(b, &mut at)?);
    }
    Ok(out)
}

/// The point features of one layer of an MVT tile (for tests and tools): what
/// `encode_points` wrote, or what PostGIS's `ST_AsMVT` made.
pub fn decode_points(tile: &[u8], layer: &str) -> Result<Vec<TilePoint>, TileError> {
    let mut out = Vec::new();
    for (field, _, l) in fields(tile)? {
        if field != 3 {
            continue;
        }
        let lf = fields(l)?;
        if !lf.iter().any(|(f, _, b)| *f == 1 && *b == layer.as_bytes()) {
            continue;
        }
        let keys: Vec<String> = lf
            .iter()
            .filter(|(f, ..)| *f == 3)
            .map(|(_, _, b)| String::from_utf8_lossy(b).into_owned())
            .collect();
        let mut values = Vec::new();
        for (_, _, v) in lf.iter().filter(|(f, ..)| *f == 4) {
            let text = fields(v)?
                .into_iter()
                .find(|(f, ..)| *f == 1)
                .map(|(_, _, b)| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            values.push(text);
        }
        for (_, _, f) in lf.iter().filter(|(f, ..)| *f == 2) {
            let ff = fields(f)?;
            let id = ff.iter().find(|(n, ..)| *n == 1).map(|x| x.1).unwrap_or(0);
            let tags = match ff.iter().find(|(n, ..)| *n == 2) {
                Some((_, _, b)) => packed(b)?,
                None => vec![],
            };
            let geom = match ff.iter().find(|(n, ..)| *n == 4) {
                Some((_, _, b)) => packed(b)?,
                None => vec![],
            };
            if geom.len() < 3 || geom[0] != 9 {
                return Err(TileError::Malformed(0));
            }
            let unzig = |v: u64| ((v >> 1) as i64) ^ -((v & 1) as i64);
            let mut properties = Vec::new();
            for pair in tags.chunks(2) {
                let k = keys.get(pair[0] as usize).ok_or(TileError::Malformed(0))?;
                let v = values
                    .get(*pair.get(1).ok_or(TileError::Malformed(0))? as usize)
                    .ok_or(TileError::Malformed(0))?;
                properties.push((k.clone(), v.clone()));
            }
            out.push(TilePoint {
                id,
                x: unzig(geom[1]),
                y: unzig(geom[2]),
                properties,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_round_trip_and_project() {
        assert!(TileId::parse(3, 8, 0).is_err());
        // Kungsör at zoom 12: the tile that holds it, and the point inside it.
        let (lon, lat) = (16.0978f64, 59.4224f64);
        let n = f64::from(1u32 << 12);
        let x = ((lon + 180.0) / 360.0 * n) as u32;
        let lr = lat.to_radians();
        let y = ((1.0 - (lr.tan() + 1.0 / lr.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
        let t = TileId::parse(12, x, y).unwrap();
        let (px, py) = t.project(lon, lat);
        assert!(
            (0..4096).contains(&px) && (0..4096).contains(&py),
            "{px} {py}"
        );
        let [w, s, e, nn] = t.bounds_wgs84();
        assert!(w < lon && lon < e && s < lat && lat < nn);
        let pts = vec![
            TilePoint {
                id: 7,
                x: px,
                y: py,
                properties: vec![
                    ("category".into(), "trafik".into()),
                    ("status".into(), "new".into()),
                ],
            },
            TilePoint {
                id: 9,
                x: -3,
                y: 4100,
                properties: vec![
                    ("category".into(), "brand".into()),
                    ("status".into(), "new".into()),
                ],
            },
        ];
        let bytes = encode_points("incidents", &pts);
        assert_eq!(decode_points(&bytes, "incidents").unwrap(), pts);
        assert!(decode_points(&bytes, "other").unwrap().is_empty());
        assert!(encode_points("incidents", &[]).is_empty());
        assert!(decode_points(&bytes[..bytes.len() - 3], "incidents").is_err());
    }
}
