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
        let ring: Vec<String> = geo::square_ring(x, y, grid.cell)
            .iter()
            .map(|[lon, lat]| format!("[{lon:.7},{lat:.7}]"))
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

/// Gi* per cell; with `permutations` > 0 also esda's conditional-permutation pseudo p-value
/// (an extra last column / property `p_sim`).
pub fn gistar(
    file: &Path,
    cell: f64,
    weights: &str,
    extent: Option<Extent>,
    format: Format,
    permutations: usize,
    seed: u64,
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
    let p_sim = if permutations > 0 {
        Some(
            analysis::gi_star_p_sim(&grid, weights, permutations, seed)
                .map_err(analysis_err(file))?,
        )
    } else {
        None
    };
    Ok(match format {
        Format::Csv => {
            let mut out = String::from("cell_x,cell_y,count,z,p,bin");
            out.push_str(if p_sim.is_some() { ",p_sim\n" } else { "\n" });
            for k in 0..grid.counts.len() {
                let (x, y) = grid.corner(k);
                let _ = write!(
                    out,
                    "{x:.0},{y:.0},{},{},{},{}",
                    grid.counts[k], g.z[k], g.p[k], g.bins[k]
                );
                let _ = match &p_sim {
                    Some(p) => writeln!(out, ",{}", p[k]),
                    None => writeln!(out),
                };
            }
            out
        }
        Format::GeoJson => cells_geojson(&grid, |k| {
            let extra = p_sim
                .as_ref()
                .map(|p| format!(r#","p_sim":{}"#, p[k]))
                .unwrap_or_default();
            format!(
                r#""count":{},"z":{},"p":{},"bin":{}{extra}"#,
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

/// The Weighted Displacement Quotient from "before,after" counts →
/// `success,buffer,wdq,verdict` (wdq empty when the treated area did not improve).
pub fn wdq(treated: &str, buffer: &str, control: &str) -> Result<String, AnalyzeError> {
    fn counts(option: &'static str, v: &str) -> Result<analysis::BeforeAfter, AnalyzeError> {
        let bad = || AnalyzeError::Option {
            option,
            value: v.into(),
            expected: "two counts, before and after, e.g. 100,60",
        };
        let (b, a) = v.split_once(',').ok_or_else(bad)?;
        let n = |s: &str| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| *x >= 0.0 && x.is_finite())
        };
        Ok(analysis::BeforeAfter {
            before: n(b).ok_or_else(bad)?,
            after: n(a).ok_or_else(bad)?,
        })
    }
    let w = analysis::wdq(
        counts("treated", treated)?,
        counts("buffer", buffer)?,
        counts("control", control)?,
    )
    .map_err(|e| AnalyzeError::Option {
        option: "control",
        value: format!("{control} ({e})"),
        expected: "incidents in the control area before and after",
    })?;
    let verdict = match w.verdict {
        analysis::Displacement::NoEffect => "no_effect",
        analysis::Displacement::DiffusionGreater => "diffusion_greater",
        analysis::Displacement::Diffusion => "diffusion",
        analysis::Displacement::Neither => "neither",
        analysis::Displacement::Displacement => "displacement",
        analysis::Displacement::DisplacementGreater => "displacement_greater",
    };
    let q = w.wdq.map(|q| q.to_string()).unwrap_or_default();
    Ok(format!(
        "success,buffer,wdq,verdict\n{},{},{q},{verdict}\n",
        w.success, w.buffer
    ))
}

fn day_of(option: &'static str, value: &str) -> Result<f64, AnalyzeError> {
    points::parse_time(value).ok_or_else(|| AnalyzeError::Option {
        option,
        value: value.into(),
        expected: "a date (YYYY-MM-DD) or an RFC 3339 time",
    })
}

/// The cells most at risk after `until` (the top `share` of the cells with any incident before
/// it), from the points before `until` only.
pub fn forecast(
    file: &Path,
    cell: f64,
    until: &str,
    share: f64,
    extent: Option<Extent>,
) -> Result<String, AnalyzeError> {
    if !(share > 0.0 && share <= 1.0) {
        return Err(AnalyzeError::Option {
            option: "area-share",
            value: share.to_string(),
            expected: "a share above 0 and at most 1",
        });
    }
    let until = day_of("until", until)?;
    let p = points::read(file, true)?;
    let grid = Grid::bin(&p.x, &p.y, cell, extent).map_err(analysis_err(file))?;
    let before: Vec<usize> = (0..p.x.len()).filter(|&i| p.t[i] < until).collect();
    let bx: Vec<f64> = before.iter().map(|&i| p.x[i]).collect();
    let by: Vec<f64> = before.iter().map(|&i| p.y[i]).collect();
    let extent = [
        grid.x0,
        grid.y0,
        grid.x0 + grid.nx as f64 * cell - 1e-6,
        grid.y0 + grid.ny as f64 * cell - 1e-6,
    ];
    let counts = if bx.is_empty() {
        return Err(AnalyzeError::Analysis {
            file: file.display().to_string(),
            source: AnalysisError::NoPoints,
        });
    } else {
        Grid::bin(&bx, &by, cell, Some(extent))
            .map_err(analysis_err(file))?
            .counts
    };
    let risk = analysis::prospective(
        &p.x,
        &p.y,
        &p.t,
        &grid,
        until,
        analysis::ForecastParams::default(),
    );
    let mut out = String::from("cell_x,cell_y,risk\n");
    for k in analysis::top_share(&risk, &counts, share) {
        let (x, y) = grid.corner(k);
        let _ = writeln!(out, "{x:.0},{y:.0},{}", risk[k]);
    }
    Ok(out)
}

/// PAI and PEI of flagged cells (a CSV with cell_x,cell_y) against the points of `file`.
/// A is the number of cells with any incident in `file`, or of the extent's grid if given.
pub fn pai(
    flagged: &Path,
    file: &Path,
    cell: f64,
    extent: Option<Extent>,
) -> Result<String, AnalyzeError> {
    let p = points::read(file, false)?;
    let grid = Grid::bin(&p.x, &p.y, cell, extent).map_err(analysis_err(file))?;
    let cells = points::read_cells(flagged)?;
    let mut idx = Vec::new();
    for (line, (x, y)) in cells {
        let (i, j) = (
            ((x - grid.x0) / cell).round(),
            ((y - grid.y0) / cell).round(),
        );
        if i < 0.0 || j < 0.0 || i >= grid.nx as f64 || j >= grid.ny as f64 {
            continue; // a flagged cell without any incident of `file` around: it catches none
        }
        let k = j as usize * grid.nx + i as usize;
        if (grid.corner(k).0 - x).abs() > 1e-6 || (grid.corner(k).1 - y).abs() > 1e-6 {
            return Err(AnalyzeError::Points(PointsError::BadValue {
                file: flagged.display().to_string(),
                line,
                column: "cell_x,cell_y",
                value: format!("{x},{y}"),
                expected: "the lower-left corner of a cell of this size",
            }));
        }
        if !idx.contains(&k) {
            idx.push(k);
        }
    }
    let area = if extent.is_some() {
        grid.counts.len()
    } else {
        grid.counts.iter().filter(|c| **c > 0.0).count()
    };
    let r = analysis::pai_pei(&grid.counts, &idx, area);
    Ok(format!(
        "n,N,a,A,pai,pei\n{},{},{},{},{},{}\n",
        r.n, r.big_n, r.a, r.big_a, r.pai, r.pei
    ))
}

/// Local Moran's I with conditional-permutation pseudo p-values and HH/LH/LL/HL classes.
pub fn moran(
    file: &Path,
    cell: f64,
    weights: &str,
    permutations: usize,
    seed: u64,
    extent: Option<Extent>,
) -> Result<String, AnalyzeError> {
    let weights = Weights::parse(weights).map_err(analysis_err(file))?;
    let p = points::read(file, false)?;
    let grid = Grid::bin(&p.x, &p.y, cell, extent).map_err(analysis_err(file))?;
    let m =
        analysis::local_moran(&grid, weights, permutations, seed).map_err(analysis_err(file))?;
    let mut out = String::from("cell_x,cell_y,count,i,p_sim,quadrant\n");
    for k in 0..grid.counts.len() {
        let (x, y) = grid.corner(k);
        let q = ["", "HH", "LH", "LL", "HL"][m.quadrant[k] as usize];
        let _ = writeln!(
            out,
            "{x:.0},{y:.0},{},{},{},{q}",
            grid.counts[k], m.i[k], m.p_sim[k]
        );
    }
    Ok(out)
}
