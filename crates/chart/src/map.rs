//! The lägesbild's map: density, hot and cold spot cells, clusters, the outline, the areas
//! and named places (schools marked), a scale bar, north and a legend in words.

use crate::svg::{Svg, esc};
use crate::{Lang, number};
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapLabelKind {
    Place,
    Area,
    School,
}

/// A named place on the map, in map metres (east and north of the map's south-west corner).
#[derive(Debug, Clone, PartialEq)]
pub struct MapLabel {
    pub x: f64,
    pub y: f64,
    pub name: String,
    pub kind: MapLabelKind,
}

/// A raster base map tile: its image as a data URI and where its north-west, north-east and
/// south-west corners lie (map metres); drawn as a parallelogram, so a Web Mercator tile sits
/// right on the SWEREF 99 TM map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapTile {
    pub href: String,
    pub nw: [f64; 2],
    pub ne: [f64; 2],
    pub sw: [f64; 2],
}

/// What the map shows, in metres from its south-west corner (north up).
#[derive(Debug, Clone, Default)]
pub struct MapChart {
    pub width: f64,
    pub height: f64,
    pub outline: Vec<Vec<[f64; 2]>>,
    /// Areas' outlines (drawn thin, dashed).
    pub areas: Vec<Vec<[f64; 2]>>,
    pub hot_cell: f64,
    /// (x, y, bin): ±1 90 %, ±2 95 %, ±3 99 %.
    pub hot: Vec<(f64, f64, i8)>,
    pub density_cell: f64,
    /// (x, y, class 1–5).
    pub density: Vec<(f64, f64, i8)>,
    /// Clusters' boxes (x, y, w, h).
    pub clusters: Vec<(f64, f64, f64, f64)>,
    pub labels: Vec<MapLabel>,
    /// A base map under everything, and the words that credit it.
    pub tiles: Vec<MapTile>,
    pub attribution: String,
    /// The map's title; empty for "Karta: hot spots och täthet".
    pub title: String,
    /// Single incidents drawn as dots (a case's area).
    pub points: Vec<(f64, f64)>,
    /// Length of the scale bar in metres.
    pub scale: f64,
    /// The number of incidents on the map (for the text equivalent).
    pub located: u64,
}

const HOT: [&str; 3] = ["#fdae61", "#f46d43", "#a50026"];
const COLD: [&str; 3] = ["#c6dbef", "#6baed6", "#2166ac"];
const DENSITY: &str = "#1b7837";

/// The part of the map to draw: the whole, or (when the incidents lie in less than a quarter
/// of it) their cells' box padded by a fifth and at least 2 km across.
pub fn frame(m: &MapChart) -> [f64; 4] {
    let whole = [0.0, 0.0, m.width, m.height];
    let mut bb = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for &(x, y, _) in &m.density {
        bb = [
            bb[0].min(x),
            bb[1].min(y),
            bb[2].max(x + m.density_cell),
            bb[3].max(y + m.density_cell),
        ];
    }
    for &(x, y, v) in &m.hot {
        if v > 0 {
            bb = [
                bb[0].min(x),
                bb[1].min(y),
                bb[2].max(x + m.hot_cell),
                bb[3].max(y + m.hot_cell),
            ];
        }
    }
    if !m.points.is_empty() {
        return whole;
    }
    if bb[0] > bb[2] {
        return whole;
    }
    let pad = ((bb[2] - bb[0]).max(bb[3] - bb[1]) * 0.2).max(300.0);
    let mut f = [bb[0] - pad, bb[1] - pad, bb[2] + pad, bb[3] + pad];
    for (lo, hi) in [(0, 2), (1, 3)] {
        let short = 2000.0 - (f[hi] - f[lo]);
        if short > 0.0 {
            f[lo] -= short / 2.0;
            f[hi] += short / 2.0;
        }
    }
    let area = |r: [f64; 4]| (r[2] - r[0]) * (r[3] - r[1]);
    if area(f) < area(whole) * 0.25 {
        f
    } else {
        whole
    }
}

/// The map as SVG. `summary` is the caller's sentence on what was found (for the description).
pub fn map(id: &str, lang: Lang, m: &MapChart, summary: &str) -> String {
    let max_w = 480.0;
    let max_h = 420.0;
    // The frame: where the incidents are (density and hot cells, padded), when that is a small
    // part of the whole; a municipality is mostly forest and a town's hot spots would be a dot.
    let [fx0, fy0, fx1, fy1] = frame(m);
    let (fw, fh) = (fx1 - fx0, fy1 - fy0);
    let s = if fw > 0.0 && fh > 0.0 {
        (max_w / fw).min(max_h / fh)
    } else {
        1.0
    };
    let (w, mh) = ((fw * s).max(1.0), (fh * s).max(1.0));
    let legend_rows = {
        let hot = m.hot.iter().any(|c| c.2 > 0);
        let n = 3 * usize::from(hot)
            + usize::from(m.hot.iter().any(|c| c.2 < 0))
            + usize::from(!m.density.is_empty())
            + usize::from(!m.clusters.is_empty())
            + usize::from(!m.points.is_empty());
        n.div_ceil(2)
    };
    let legend_h = 18.0 + 20.0 * legend_rows as f64;
    let h = mh + legend_h;
    let px = |x: f64| (x - fx0) * s;
    let py = |y: f64| mh - (y - fy0) * s;
    let mut svg = Svg::new(w.max(320.0), h);
    let _ = write!(
        svg.body,
        r#"<clipPath id="{}-frame"><rect width="{w:.1}" height="{mh:.1}"/></clipPath><g clip-path="url(#{}-frame)">"#,
        esc(id),
        esc(id)
    );
    // The base map below everything, then density, the cells, the outline, the areas,
    // clusters and names.
    for t in &m.tiles {
        let (nw, ne, sw) = (
            (px(t.nw[0]), py(t.nw[1])),
            (px(t.ne[0]), py(t.ne[1])),
            (px(t.sw[0]), py(t.sw[1])),
        );
        let _ = write!(
            svg.body,
            r#"<image width="256" height="256" preserveAspectRatio="none" href="{}" transform="matrix({:.5} {:.5} {:.5} {:.5} {:.2} {:.2})"/>"#,
            esc(&t.href),
            (ne.0 - nw.0) / 256.0,
            (ne.1 - nw.1) / 256.0,
            (sw.0 - nw.0) / 256.0,
            (sw.1 - nw.1) / 256.0,
            nw.0,
            nw.1,
        );
    }
    let dc = m.density_cell * s;
    for &(x, y, v) in &m.density {
        let _ = write!(
            svg.body,
            r#"<rect x="{:.1}" y="{:.1}" width="{dc:.1}" height="{dc:.1}" fill="{DENSITY}" fill-opacity="{:.2}"/>"#,
            px(x),
            py(y) - dc,
            f64::from(v.clamp(1, 5)) * 0.13,
        );
    }
    let hc = m.hot_cell * s;
    for &(x, y, v) in &m.hot {
        let level = usize::from(v.unsigned_abs().clamp(1, 3)) - 1;
        let fill = if v > 0 { HOT[level] } else { COLD[level] };
        let _ = write!(
            svg.body,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.2}" height="{:.2}" fill="{fill}"/>"#,
            px(x),
            py(y) - hc,
            hc.max(0.8),
            hc.max(0.8),
        );
    }
    let path = |rings: &[Vec<[f64; 2]>]| {
        let mut d = String::new();
        for ring in rings {
            for (i, [x, y]) in ring.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1} ",
                    if i == 0 { "M" } else { "L" },
                    px(*x),
                    py(*y)
                );
            }
            d.push_str("Z ");
        }
        d
    };
    if !m.outline.is_empty() {
        let _ = write!(
            svg.body,
            r##"<path d="{}" fill="none" stroke="#444" stroke-width="1.2"/>"##,
            path(&m.outline)
        );
    }
    if !m.areas.is_empty() {
        let _ = write!(
            svg.body,
            r##"<path d="{}" fill="none" stroke="#555" stroke-width="1" stroke-dasharray="4 3"/>"##,
            path(&m.areas)
        );
    }
    for &(x, y) in &m.points {
        let _ = write!(
            svg.body,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#b2182b" fill-opacity="0.75" stroke="#fff" stroke-width="0.8"/>"##,
            px(x),
            py(y)
        );
    }
    for &(x, y, cw, ch) in &m.clusters {
        let _ = write!(
            svg.body,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#000" stroke-width="1.5"/>"##,
            px(x) - 1.5,
            py(y + ch) - 1.5,
            cw * s + 3.0,
            ch * s + 3.0,
        );
    }
    // Names: a marker and the name beside it with a white halo; a name that would overlap one
    // already placed is tried on the other side, then left out (its marker stays).
    let mut placed: Vec<[f64; 4]> = Vec::new();
    let mut shown = 0usize;
    let mut labels: Vec<&MapLabel> = m.labels.iter().collect();
    // Schools and areas first: they matter most to the readers.
    labels.sort_by_key(|l| match l.kind {
        MapLabelKind::School => 0,
        MapLabelKind::Area => 1,
        MapLabelKind::Place => 2,
    });
    for l in labels {
        let (x, y) = (px(l.x), py(l.y));
        if !(0.0..=w).contains(&x) || !(0.0..=mh).contains(&y) {
            continue;
        }
        let marker = match l.kind {
            MapLabelKind::School => format!(
                r##"<rect x="{:.1}" y="{:.1}" width="8" height="8" fill="#6a3d9a" stroke="#fff" stroke-width="1"/>"##,
                x - 4.0,
                y - 4.0
            ),
            MapLabelKind::Area => String::new(),
            MapLabelKind::Place => format!(
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="#222" stroke="#fff" stroke-width="1"/>"##
            ),
        };
        svg.body.push_str(&marker);
        let name = l.name.trim_end_matches(" (demo)");
        let tw = name.chars().count() as f64 * 6.2;
        let candidates = [
            (x + 6.0, y + 4.0, "start"),
            (x - 6.0, y + 4.0, "end"),
            (x, y - 7.0, "middle"),
            (x, y + 15.0, "middle"),
        ];
        for (tx, ty, anchor) in candidates {
            let x0 = match anchor {
                "start" => tx,
                "end" => tx - tw,
                _ => tx - tw / 2.0,
            };
            let bx = [x0, ty - 11.0, x0 + tw, ty + 2.0];
            let inside = bx[0] >= 0.0 && bx[2] <= w.max(320.0) && bx[1] >= 0.0 && bx[3] <= mh;
            let free = placed
                .iter()
                .all(|p| bx[2] < p[0] || bx[0] > p[2] || bx[3] < p[1] || bx[1] > p[3]);
            if inside && free {
                placed.push(bx);
                shown += 1;
                let _ = write!(
                    svg.body,
                    r##"<text x="{tx:.1}" y="{ty:.1}" text-anchor="{anchor}" font-size="11" fill="#111" stroke="#fff" stroke-width="3" paint-order="stroke" stroke-linejoin="round"{italic}>{}</text>"##,
                    esc(name),
                    italic = if l.kind == MapLabelKind::Area {
                        r#" font-style="italic""#
                    } else {
                        ""
                    },
                );
                break;
            }
        }
    }
    svg.body.push_str("</g>");
    // North and the scale bar in the map's lower left.
    let sb = m.scale * s;
    let _ = write!(
        svg.body,
        r##"<rect x="8" y="{y:.1}" width="{sb:.1}" height="4" fill="#000"/><text x="8" y="{ty:.1}" font-size="11" fill="#000" stroke="#fff" stroke-width="3" paint-order="stroke">{len}</text><text x="{nx:.1}" y="18" font-size="13" font-weight="bold" text-anchor="middle" fill="#000">N ↑</text>"##,
        y = mh - 12.0,
        ty = mh - 18.0,
        len = if m.scale >= 1000.0 {
            format!("{} km", number(m.scale / 1000.0, 0, lang))
        } else {
            format!("{} m", number(m.scale, 0, lang))
        },
        nx = w - 18.0,
    );
    // Legend under the map, in words.
    let items: [(&str, &str, &str); 6] = [
        (
            "rect",
            HOT[2],
            lang.pick(
                "Hot spot, mycket säker (99 %)",
                "Hot spot, very sure (99 %)",
            ),
        ),
        (
            "rect",
            HOT[1],
            lang.pick("Hot spot, säker (95 %)", "Hot spot, sure (95 %)"),
        ),
        (
            "rect",
            HOT[0],
            lang.pick("Hot spot, trolig (90 %)", "Hot spot, likely (90 %)"),
        ),
        (
            "rect",
            COLD[2],
            lang.pick("Färre än omgivningen", "Fewer than around it"),
        ),
        (
            "rect",
            DENSITY,
            lang.pick("Många händelser nära", "Many incidents nearby"),
        ),
        (
            "box",
            "#000",
            lang.pick("Kluster (möjligt ärende)", "Cluster (possible case)"),
        ),
    ];
    // Only what the map shows is explained.
    let has_hot = m.hot.iter().any(|c| c.2 > 0);
    let has_cold = m.hot.iter().any(|c| c.2 < 0);
    let mut items: Vec<(&str, &str, &str)> = items
        .into_iter()
        .enumerate()
        .filter(|(k, _)| match k {
            0..=2 => has_hot,
            3 => has_cold,
            4 => !m.density.is_empty(),
            _ => !m.clusters.is_empty(),
        })
        .map(|(_, i)| i)
        .collect();
    if !m.points.is_empty() {
        items.push(("dot", "#b2182b", lang.pick("En händelse", "One incident")));
    }
    for (k, (shape, fill, label)) in items.iter().enumerate() {
        let (lx, ly) = (
            8.0 + (k % 2) as f64 * 240.0,
            mh + 10.0 + (k / 2) as f64 * 20.0,
        );
        if *shape == "dot" {
            let _ = write!(
                svg.body,
                r##"<circle cx="{}" cy="{}" r="4" fill="{fill}" stroke="#fff" stroke-width="0.8"/>"##,
                lx + 6.0,
                ly + 6.0
            );
        } else if *shape == "box" {
            let _ = write!(
                svg.body,
                r#"<rect x="{lx}" y="{ly}" width="12" height="12" fill="none" stroke="{fill}" stroke-width="1.5"/>"#
            );
        } else {
            let _ = write!(
                svg.body,
                r#"<rect x="{lx}" y="{ly}" width="12" height="12" fill="{fill}"/>"#
            );
        }
        let _ = write!(
            svg.body,
            r##"<text x="{tx}" y="{ty}" font-size="12" fill="#222">{}</text>"##,
            esc(label),
            tx = lx + 17.0,
            ty = ly + 10.5,
        );
    }
    if !m.attribution.is_empty() {
        let _ = write!(
            svg.body,
            r##"<text x="{x:.1}" y="{y:.1}" text-anchor="end" font-size="10" fill="#111" stroke="#fff" stroke-width="3" paint-order="stroke">{}</text>"##,
            esc(&m.attribution),
            x = w - 4.0,
            y = mh - 4.0,
        );
    }
    let names: Vec<&str> = m
        .labels
        .iter()
        .map(|l| l.name.trim_end_matches(" (demo)"))
        .collect();
    let desc = format!(
        "{} {summary} {}{}",
        match lang {
            Lang::Sv => format!("Karta med {} händelser.", m.located),
            Lang::En => format!("Map of {} incidents.", m.located),
        },
        if names.is_empty() {
            String::new()
        } else {
            format!(
                "{}: {}. ",
                lang.pick("Namngivna platser", "Named places"),
                names.join(", ")
            )
        },
        match lang {
            Lang::Sv => format!("{shown} namn visas på kartan."),
            Lang::En => format!("{shown} names are shown on the map."),
        },
    );
    let title = if m.title.is_empty() {
        lang.pick("Karta: hot spots och täthet", "Map: hot spots and density")
    } else {
        m.title.as_str()
    };
    svg.finish(id, title, &desc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_names_places_and_says_what_its_colours_mean() {
        let m = MapChart {
            width: 4000.0,
            height: 3000.0,
            outline: vec![vec![
                [0.0, 0.0],
                [4000.0, 0.0],
                [4000.0, 3000.0],
                [0.0, 3000.0],
            ]],
            areas: vec![vec![[100.0, 100.0], [900.0, 100.0], [900.0, 900.0]]],
            hot_cell: 100.0,
            hot: vec![(1000.0, 1000.0, 3), (2000.0, 2000.0, -1)],
            density_cell: 200.0,
            density: vec![(1000.0, 1000.0, 5)],
            clusters: vec![(1000.0, 1000.0, 100.0, 100.0)],
            labels: vec![
                MapLabel {
                    x: 1050.0,
                    y: 1050.0,
                    name: "Torget (demo)".into(),
                    kind: MapLabelKind::Place,
                },
                MapLabel {
                    x: 1060.0,
                    y: 1050.0,
                    name: "Skolgården".into(),
                    kind: MapLabelKind::School,
                },
                MapLabel {
                    x: 1055.0,
                    y: 1052.0,
                    name: "Mitt på torget".into(),
                    kind: MapLabelKind::Place,
                },
                MapLabel {
                    x: 1056.0,
                    y: 1051.0,
                    name: "Också på torget".into(),
                    kind: MapLabelKind::Place,
                },
                MapLabel {
                    x: 1057.0,
                    y: 1052.0,
                    name: "Ännu en på torget".into(),
                    kind: MapLabelKind::Place,
                },
            ],
            scale: 1000.0,
            located: 43,
            points: vec![],
            title: String::new(),
            tiles: vec![MapTile {
                href: "data:image/png;base64,AAAA".into(),
                nw: [0.0, 3000.0],
                ne: [4000.0, 3000.0],
                sw: [0.0, 0.0],
            }],
            attribution: "© Lantmäteriet".into(),
        };
        let svg = map("m", Lang::Sv, &m, "1 kluster.");
        assert!(
            svg.contains(">Torget<"),
            "the (demo) mark is left off: {svg}"
        );
        assert!(svg.contains(">Skolgården<"));
        assert!(svg.contains("#6a3d9a"), "a school has its own marker");
        assert!(svg.contains(">1 km<") && svg.contains("N ↑"));
        // The base map tile spans the whole map (480 × 360 px) and is credited.
        assert!(
            svg.contains(r#"href="data:image/png;base64,AAAA" transform="matrix(1.87500 0.00000 0.00000 1.40625 0.00 0.00)""#),
            "{svg}"
        );
        assert!(svg.contains(">© Lantmäteriet<"));
        assert!(svg.contains(HOT[2]) && svg.contains(COLD[0]));
        assert!(svg.contains("Hot spot, mycket säker (99 %)"));
        assert!(svg.contains("Kluster (möjligt ärende)"));
        // Five names at one spot: the ones that would overlap are left out (their markers
        // stay), and the text equivalent still names them all.
        assert!(!svg.contains(">Ännu en på torget<"), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 4);
        assert!(svg.contains("Karta med 43 händelser. 1 kluster. Namngivna platser: Torget, Skolgården, Mitt på torget, Också på torget, Ännu en på torget. 2 namn visas på kartan."), "{svg}");
        let en = map("m", Lang::En, &m, "");
        assert!(en.contains("Hot spot, sure (95 %)") && en.contains("Map of 43 incidents."));
    }
}
