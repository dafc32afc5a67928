//! Reading point files for the analysis commands: CSV with a header naming `x,y` (SWEREF 99 TM
//! metres) or `lon,lat` (WGS84, converted), and `t` (ISO 8601) where time is needed. Other
//! columns are ignored. Every problem names the file, the line and the value.

use std::path::Path;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PointsError {
    #[error("{file}: cannot read: {reason}")]
    Io { file: String, reason: String },
    #[error("{file}: the header has no {wanted} column (it has: {found})")]
    MissingColumn {
        file: String,
        wanted: &'static str,
        found: String,
    },
    #[error("{file}, line {line}: {column} {value:?} is not {expected}")]
    BadValue {
        file: String,
        line: u64,
        column: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{file}: no points")]
    Empty { file: String },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Points {
    /// SWEREF 99 TM metres.
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Days since 1970-01-01 UTC, when asked for.
    pub t: Vec<f64>,
    /// The file line of each point, for error messages about a point.
    pub lines: Vec<u64>,
}

type CsvFile = (String, csv::Reader<std::fs::File>, csv::StringRecord);

/// Opens a CSV file and reads its header; errors name the file.
fn open_csv(path: &Path) -> Result<CsvFile, PointsError> {
    let file = path.display().to_string();
    let io = |e: csv::Error| PointsError::Io {
        file: file.clone(),
        reason: e.to_string(),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(io)?;
    let headers = rdr.headers().map_err(io)?.clone();
    Ok((file, rdr, headers))
}

pub fn read(path: &Path, need_time: bool) -> Result<Points, PointsError> {
    let (file, mut rdr, headers) = open_csv(path)?;
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
    };
    let found = headers.iter().collect::<Vec<_>>().join(",");
    let (a, b, wgs84) = match (col("x"), col("y"), col("lon"), col("lat")) {
        (Some(x), Some(y), _, _) => (x, y, false),
        (_, _, Some(lon), Some(lat)) => (lon, lat, true),
        _ => {
            return Err(PointsError::MissingColumn {
                file,
                wanted: "x,y (or lon,lat)",
                found,
            });
        }
    };
    let tcol = if need_time {
        Some(col("t").ok_or_else(|| PointsError::MissingColumn {
            file: file.clone(),
            wanted: "t",
            found: found.clone(),
        })?)
    } else {
        None
    };
    let mut p = Points::default();
    for record in rdr.records() {
        let record = record.map_err(|e| PointsError::Io {
            file: file.clone(),
            reason: e.to_string(),
        })?;
        let line = record.position().map(|pos| pos.line()).unwrap_or(0);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let num = |i: usize, column: &'static str| -> Result<f64, PointsError> {
            let v = record.get(i).unwrap_or("").trim();
            v.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| PointsError::BadValue {
                    file: file.clone(),
                    line,
                    column,
                    value: v.to_string(),
                    expected: "a number",
                })
        };
        let (c1, c2) = if wgs84 { ("lon", "lat") } else { ("x", "y") };
        let (u, v) = (num(a, c1)?, num(b, c2)?);
        let (x, y) = if wgs84 {
            if !(-180.0..=180.0).contains(&u) || !(-90.0..=90.0).contains(&v) {
                return Err(PointsError::BadValue {
                    file,
                    line,
                    column: "lon,lat",
                    value: format!("{u},{v}"),
                    expected: "a WGS84 position",
                });
            }
            let s = geo::to_sweref99tm(u, v);
            (s.e, s.n)
        } else {
            (u, v)
        };
        p.x.push(x);
        p.y.push(y);
        p.lines.push(line);
        if let Some(tc) = tcol {
            let v = record.get(tc).unwrap_or("").trim();
            let days = parse_time(v).ok_or_else(|| PointsError::BadValue {
                file: file.clone(),
                line,
                column: "t",
                value: v.to_string(),
                expected: "an ISO 8601 time",
            })?;
            p.t.push(days);
        }
    }
    if p.x.is_empty() {
        return Err(PointsError::Empty { file });
    }
    Ok(p)
}

/// A cell's lower-left corner (metres) and the file line it came from.
pub type CellRow = (u64, (f64, f64));

/// Cells (cell_x, cell_y: lower-left corners in metres) with their file lines.
pub fn read_cells(path: &Path) -> Result<Vec<CellRow>, PointsError> {
    let (file, mut rdr, headers) = open_csv(path)?;
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(a), Some(b)) = (col("cell_x"), col("cell_y")) else {
        return Err(PointsError::MissingColumn {
            file,
            wanted: "cell_x,cell_y",
            found: headers.iter().collect::<Vec<_>>().join(","),
        });
    };
    let mut out = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(|e| PointsError::Io {
            file: file.clone(),
            reason: e.to_string(),
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let num = |i: usize, column: &'static str| {
            let v = record.get(i).unwrap_or("").trim();
            v.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| PointsError::BadValue {
                    file: file.clone(),
                    line,
                    column,
                    value: v.to_string(),
                    expected: "a number",
                })
        };
        out.push((line, (num(a, "cell_x")?, num(b, "cell_y")?)));
    }
    Ok(out)
}

/// "2025-10-12T19:49:42Z", with an offset, or a plain date or local time (Swedish time).
pub(crate) fn parse_time(v: &str) -> Option<f64> {
    let tz = crate::stockholm();
    let ts = model::dates::instant(v)
        .or_else(|| model::dates::local(v, &tz))
        .or_else(|| {
            let d = model::dates::date(v)?;
            let dt = d.to_datetime(jiff::civil::Time::midnight());
            tz.to_ambiguous_zoned(dt)
                .compatible()
                .ok()
                .map(|z| z.timestamp())
        })?;
    Some(ts.as_second() as f64 / 86_400.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn reads_x_y_t_and_lon_lat() {
        let f = file(
            "id,x,y,t,note\n1,562295.1,6587601.8,2026-01-01T00:00:00Z,\"a, b\"\n2,562300,6587600,2026-01-02,x\n",
        );
        let p = read(f.path(), true).unwrap();
        assert_eq!(p.x, vec![562295.1, 562300.0]);
        assert_eq!(p.t[0], 20454.0);
        assert_eq!(p.lines, vec![2, 3]);
        let f = file("lon,lat\n16.0978,59.4224\n");
        let p = read(f.path(), false).unwrap();
        assert!((p.x[0] - 562_295.107).abs() < 0.001);
    }

    #[test]
    fn errors_name_file_line_and_value() {
        let f = file("x,y\n1,2\n3,abc\n");
        let e = read(f.path(), false).unwrap_err().to_string();
        assert!(
            e.contains("line 3")
                && e.contains("\"abc\"")
                && e.contains(&f.path().display().to_string()),
            "{e}"
        );
        let f = file("a,b\n1,2\n");
        assert!(
            read(f.path(), false)
                .unwrap_err()
                .to_string()
                .contains("no x,y (or lon,lat) column")
        );
        let f = file("x,y\n");
        assert!(matches!(
            read(f.path(), false),
            Err(PointsError::Empty { .. })
        ));
        let f = file("x,y,t\n1,2,igår\n");
        assert!(
            read(f.path(), true)
                .unwrap_err()
                .to_string()
                .contains("\"igår\" is not an ISO 8601 time")
        );
        assert!(matches!(
            read(Path::new("/no/such/file.csv"), false),
            Err(PointsError::Io { .. })
        ));
    }
}
