//! The `lagesbild analyze` commands: read points, run the pure analysis, write CSV (or GeoJSON
//! cells). The output formats are a contract other tools rely on.

use crate::points::{self, PointsError};
use analysis::{AnalysisError, Extent, Grid, Weights};
use std::fmt::Write as _;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error(transparent)]
    Points(#[from] PointsError),
    #[error("{file}: {source}")]
    Analysis {
        file: String,
        #[source]
        source: AnalysisError,
    },
    #[error("invalid --{option} {value:?}: {expected}")]
    Option {
        option: &'static str,
        value: String,
        expected: &'static str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    GeoJson,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format, AnalyzeError> {
        match s {
            "csv" => Ok(Format::Csv),
            "geojson" => Ok(Format::GeoJson),
            _ => Err(AnalyzeError::Option {
                option: "format",
                value: s.into(),
                expected: "csv or geojson",
            }),
        }
    }
}

pub fn parse_extent(s: &str) -> Result<Extent, AnalyzeError> {
    let v: Vec<Option<f64>> = s.split(',').map(|p| p.trim().parse::<f64>().ok()).collect();
    match v.as_slice() {
        [Some(a), Some(b), Some(c), Some(d)] if a < c && b < d => Ok([*a, *b, *c, *d]),
        _ => Err(AnalyzeError::Option {
            option: "extent",
            value: s.into(),
            expected: "minx,miny,maxx,maxy in metres",
        }),
    }
}

pub fn parse_bands(option: &'static str, s: &str) -> Result<Vec<f64>, AnalyzeError> {
    s.split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| AnalyzeError::Option {
            option,
            value: s.into(),
            expected: "increasing numbers separated by commas",
        })
}

fn analysis_err(file: &Path) -> impl Fn(AnalysisError) -> AnalyzeError + '_ {
    move |source| AnalyzeError::Analysis {
        file: file.display().to_string(),
        source,
    }
}

/// Cells as GeoJSON polygons in WGS84 (RFC 7946), with the CSV's values as properties.
fn cells_geojson(grid: &Grid, props: impl Fn(usize) -> String) -> String {
    let mut out = String::from(r#"{"type":"FeatureCollection","features":["#);
    for k in 0..grid.counts.len() {
        if k > 0 {
            out.push(',');
        }
        let (x, y) = grid.corner(k);
        let c = grid.cell;
        let ring: Vec<String> = [(x, y), (x + c, y), (x + c, y + c), (x, y + c), (x, y)]
            .iter()
            .map(|&(e, n)| {
                let (lon, lat) = geo::from_sweref99tm(geo::Sweref99Tm { e, n });
                format!("[{lon:.7},{lat:.7}]")
            })
            .collect();
        let _ = write!(
            out,
            r#"{{"type":"Feature","geometry":{{"type":"Polygon","coordinates":[[{}]]}},"properties":{{"cell_x":{x:.0},"cell_y":{y:.0},{}}}}}"#,
            ring.join(","),
            props(k)
        );
    }
    out.push_str("]}\n");
    out
}

pub fn gistar(
    file: &Path,
    cell: f64,
    weights: &str,
    extent: Option<Extent>,
    format: Format,
) -> Result<String, AnalyzeError> {
    let weights = Weights::parse(weights).map_err(analysis_err(file))?;
    let p = points::read(file, false)?;
    let grid = Grid::bin(&p.x, &p.y, cell, extent).map_err(|e| match e {
        AnalysisError::OutsideExtent {
            index,
            x,
            y,
            extent,
        } => AnalyzeError::Analysis {
            file: format!("{}, line {}", file.display(), p.lines[index]),
            source: AnalysisError::OutsideExtent {
                index,
                x,
                y,
                extent,
            },
        },
        other => analysis_err(file)(other),
    })?;
    let g = analysis::gi_star(&grid, weights).map_err(analysis_err(file))?;
    Ok(match format {
        Format::Csv => {
            let mut out = String::from("cell_x,cell_y,count,z,p,bin\n");
            for k in 0..grid.counts.len() {
                let (x, y) = grid.corner(k);
                let _ = writeln!(
                    out,
                    "{x:.0},{y:.0},{},{},{},{}",
                    grid.counts[k], g.z[k], g.p[k], g.bins[k]
                );
            }
            out
        }
        Format::GeoJson => cells_geojson(&grid, |k| {
            format!(
                r#""count":{},"z":{},"p":{},"bin":{}"#,
                grid.counts[k], g.z[k], g.p[k], g.bins[k]
            )
        }),
    })
}

pub fn kde(
    file: &Path,
    cell: f64,
    bandwidth: f64,
    extent: Option<Extent>,
    format: Format,
) -> Result<String, AnalyzeError> {
    let p = points::read(file, false)?;
    let grid = Grid::bin(&p.x, &p.y, cell, extent).map_err(analysis_err(file))?;
    let d = analysis::quartic_kde(&p.x, &p.y, &grid, bandwidth).map_err(analysis_err(file))?;
    Ok(match format {
        Format::Csv => {
            let mut out = String::from("cell_x,cell_y,density\n");
            for (k, v) in d.iter().enumerate() {
                let (x, y) = grid.corner(k);
                let _ = writeln!(out, "{x:.0},{y:.0},{v}");
            }
            out
        }
        Format::GeoJson => cells_geojson(&grid, |k| format!(r#""density":{}"#, d[k])),
    })
}

#[allow(clippy::too_many_arguments)]
pub fn knox(
    file: &Path,
    space: &[f64],
    time: &[f64],
    permutations: usize,
    seed: u64,
    manhattan: bool,
) -> Result<String, AnalyzeError> {
    let p = points::read(file, true)?;
    let table = analysis::knox(&p.x, &p.y, &p.t, space, time, permutations, seed, manhattan)
        .map_err(analysis_err(file))?;
    let mut out = String::from("space_from,space_to,time_from,time_to,observed,expected,ratio,p\n");
    for b in table {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            b.space_from, b.space_to, b.time_from, b.time_to, b.observed, b.expected, b.ratio, b.p
        );
    }
    Ok(out)
}
