//! Map tiles: Web Mercator tile coordinates (z/x/y, as slippy maps and MapLibre use them) and
//! Mapbox Vector Tiles (MVT 2.1, protobuf) of points, encoded here so that the SQLite store
//! serves the same tiles that PostGIS's `ST_AsMVT` makes for the PostgreSQL store.

/// Earth radius of Web Mercator (EPSG:3857), metres.
const R: f64 = 6_378_137.0;
/// Tile coordinates run 0..EXTENT across a tile (PostGIS's default too).
pub const EXTENT: u32 = 4096;
/// Points this many tile units outside a tile are still drawn in it (symbols at the edge).
pub const BUFFER: u32 = 64;

/// Where (lon, lat) lies in the slippy-map tile grid of zoom `z`: fractional (x, y), y down.
pub fn slippy(lon: f64, lat: f64, z: u8) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let lat = lat.clamp(-85.051_128, 85.051_128).to_radians();
    let x = (lon + 180.0) / 360.0 * n;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (x, y)
}

/// The (lon, lat) of grid point (x, y) of zoom `z`: a tile's north-west corner.
pub fn slippy_corner(z: u8, x: f64, y: f64) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let lon = x / n * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * y / n))
        .sinh()
        .atan()
        .to_degrees();
    (lon, lat)
}

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

    /// A WGS84 point in this tile's coordinates (0..EXTENT, y down): its world position
    /// (`world`) brought to this zoom by an arithmetic shift, as both stores do in SQL.
    pub fn project(self, lon: f64, lat: f64) -> (i64, i64) {
        let (wx, wy) = world(lon, lat);
        self.local(wx, wy)
    }

    /// Bits a world coordinate is shifted right to be in this zoom's tile units (negative
    /// beyond zoom 20: shifted left).
    pub fn world_shift(self) -> i32 {
        WORLD_BITS as i32 - EXTENT_BITS as i32 - i32::from(self.z)
    }

    /// A world position in this tile's coordinates.
    pub fn local(self, wx: i64, wy: i64) -> (i64, i64) {
        let s = self.world_shift();
        let at = |w: i64| if s >= 0 { w >> s } else { w << -s };
        (
            at(wx) - i64::from(self.x) * i64::from(EXTENT),
            at(wy) - i64::from(self.y) * i64::from(EXTENT),
        )
    }

    /// The world positions drawn in this tile, its buffer included: inclusive ranges
    /// `[x0, y0, x1, y1]`, exactly those that `local` places within -BUFFER..EXTENT+BUFFER.
    pub fn world_range(self) -> [i64; 4] {
        let (e, b) = (i64::from(EXTENT), i64::from(BUFFER));
        let s = self.world_shift();
        // Local units lo..=hi at this zoom, in world units.
        let span = |t: u32| {
            let (lo, hi) = (i64::from(t) * e - b, (i64::from(t) + 1) * e + b - 1);
            let (lo, hi) = if s >= 0 {
                (lo << s, ((hi + 1) << s) - 1)
            } else {
                let k = 1i64 << -s;
                ((lo + k - 1).div_euclid(k), hi.div_euclid(k))
            };
            (lo.max(0), hi.min(WORLD_MAX))
        };
        let ((x0, x1), (y0, y1)) = (span(self.x), span(self.y));
        [x0, y0, x1, y1]
    }

    /// Bits a world coordinate is shifted right to give its gathering cell at this zoom
    /// (for zooms that cluster).
    pub fn cell_shift(self) -> u32 {
        (self.world_shift() + CELL_SHIFT as i32).max(0) as u32
    }

    /// The centre of a gathering cell (`world >> cell_shift`) in this tile's coordinates.
    pub fn cell_local(self, cx: i64, cy: i64) -> (i64, i64) {
        (
            (cx << CELL_SHIFT) + CELL / 2 - i64::from(self.x) * i64::from(EXTENT),
            (cy << CELL_SHIFT) + CELL / 2 - i64::from(self.y) * i64::from(EXTENT),
        )
    }

    /// Up to this zoom, points are gathered into cells of `CELL` tile units, one feature per
    /// cell with a count: a town's whole year in one tile stays small and quick.
    pub fn clusters(self) -> bool {
        self.z <= CLUSTER_MAX_ZOOM
    }
}

/// The deepest zoom at which tiles gather points into cells (at 13 a cell is about 80 m in
/// Sweden).
pub const CLUSTER_MAX_ZOOM: u8 = 13;
/// Side of a gathering cell in tile units, as a power of two (2^7 = 128: 32 cells across a
/// tile, 16 pixels of a 512-pixel tile; at 64 a town's zoom-10 tile took a quarter longer), so the
/// cell of a coordinate is an arithmetic shift in SQL as in Rust.
pub const CELL_SHIFT: u32 = 7;
pub const CELL: i64 = 1 << CELL_SHIFT;

/// The centre of the gathering cell of a point in tile coordinates.
pub fn cell_centre(x: i64, y: i64) -> (i64, i64) {
    (
        (x >> CELL_SHIFT) * CELL + CELL / 2,
        (y >> CELL_SHIFT) * CELL + CELL / 2,
    )
}

/// World positions are Web Mercator coordinates in units of 2^-32 of the world's width
/// (about 9 mm at the equator), from the north-west corner: zoom 20's tile units. Every
/// incident stores its own (`wx`, `wy`, computed here), so the stores place, gather and
/// select map points by integer arithmetic and a B-tree range.
pub const WORLD_BITS: u32 = 32;
const EXTENT_BITS: u32 = 12;
const WORLD_MAX: i64 = (1i64 << WORLD_BITS) - 1;

/// The world position of a WGS84 point (see `WORLD_BITS`); latitudes beyond Web Mercator's
/// ±85.05° are held at its edge.
pub fn world(lon: f64, lat: f64) -> (i64, i64) {
    let size = (1u64 << WORLD_BITS) as f64;
    let fx = (lon + 180.0) / 360.0;
    let r = lat.clamp(-85.051_128_78, 85.051_128_78).to_radians();
    let fy = (1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0;
    let at = |f: f64| ((f * size).floor() as i64).clamp(0, WORLD_MAX);
    (at(fx), at(fy))
}

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

    #[test]
    fn slippy_grid_round_trips() {
        // Kungsör's torget at zoom 15 (the formula of the OpenStreetMap wiki, computed apart).
        let (x, y) = slippy(16.0978, 59.4224, 15);
        assert_eq!((x as u32, y as u32), (17_849, 9_620));
        let (lon, lat) = slippy_corner(15, x, y);
        assert!((lon - 16.0978).abs() < 1e-9 && (lat - 59.4224).abs() < 1e-9);
        assert_eq!(slippy_corner(0, 0.0, 0.0).0, -180.0);
    }

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

    #[test]
    fn world_positions_agree_with_the_tile_bounds() {
        let (lon, lat) = (16.0978f64, 59.4224f64);
        // The mercator formula at zoom 20 and the world position agree to a unit.
        let (wx, wy) = world(lon, lat);
        let n = f64::from(1u32 << 20) * 4096.0;
        let lr = lat.to_radians();
        let fy = (1.0 - (lr.tan() + 1.0 / lr.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
        assert!(((lon + 180.0) / 360.0 * n - wx as f64).abs() <= 1.0);
        assert!((fy - wy as f64).abs() <= 1.0);
        assert_eq!(world(-180.0, 90.0), (0, 0));
        assert_eq!(world(180.0, -90.0), (WORLD_MAX, WORLD_MAX));
        for z in [0u8, 5, 10, 12, 13, 16, 20, 21, 22] {
            let t = TileId::parse(
                u32::from(z),
                (((lon + 180.0) / 360.0) * f64::from(1u32 << z)) as u32,
                (wy >> (WORLD_BITS - u32::from(z))) as u32,
            )
            .unwrap();
            let (x, y) = t.local(wx, wy);
            assert!(
                (0..4096).contains(&x) && (0..4096).contains(&y),
                "z{z}: {x} {y}"
            );
            // The world range is exactly what lands within the buffer, on each side.
            let [x0, y0, x1, y1] = t.world_range();
            let b = i64::from(BUFFER);
            let e = i64::from(EXTENT);
            for (w, inside) in [(x0, true), (x1, true), (x0 - 1, false), (x1 + 1, false)] {
                if !(0..=WORLD_MAX).contains(&w) {
                    continue;
                }
                let (lx, _) = t.local(w, wy);
                assert_eq!((-b..e + b).contains(&lx), inside, "z{z} x {w} -> {lx}");
            }
            for (w, inside) in [(y0, true), (y1, true), (y0 - 1, false), (y1 + 1, false)] {
                if !(0..=WORLD_MAX).contains(&w) {
                    continue;
                }
                let (_, ly) = t.local(wx, w);
                assert_eq!((-b..e + b).contains(&ly), inside, "z{z} y {w} -> {ly}");
            }
            // The WGS84 bounds say the same within a unit of the tile.
            let [w, s, ee, nn] = t.bounds_wgs84();
            let (a, bb) = (world(w, nn), world(ee, s));
            assert!((a.0 - x0).abs() <= 1 << t.world_shift().max(0));
            assert!((bb.1 - y1).abs() <= 1 << t.world_shift().max(0));
            if t.clusters() {
                // A cell's centre is the centre of its CELL tile units.
                let (cx, cy) = (wx >> t.cell_shift(), wy >> t.cell_shift());
                assert_eq!(t.cell_local(cx, cy), cell_centre(x, y));
            }
        }
    }
}
