//! Lägesbild's charts and its map as SVG, drawn once: the pages put the SVG in the page, the
//! PDFs embed the same SVG as a vector image, so a chart, its legend and its words are the same
//! on screen and on paper.
//!
//! Every chart is `role="img"` with a `<title>` and a `<desc>` that says in words what the chart
//! shows (the text equivalent WCAG 1.1.1 asks for), colours are never the only carrier of meaning
//! (significance also has a mark, ▲/▼), and numbers are written the Swedish way in Swedish.
//!
//! Pure: no IO, no clock; the caller gives the figures and the language.

#![forbid(unsafe_code)]

mod map;
mod svg;

pub use map::{MapChart, MapLabel, MapLabelKind, MapTile, frame, map};
use std::fmt::Write as _;
pub use svg::esc as xml_escape;
use svg::{Svg, esc};

/// The language of a chart's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Sv,
    En,
}

impl Lang {
    fn pick(self, sv: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Sv => sv,
            Lang::En => en,
        }
    }
}

/// `v` with `decimals` decimals, a decimal comma in Swedish and a minus sign, not a hyphen.
pub fn number(v: f64, decimals: usize, lang: Lang) -> String {
    let s = format!("{:.*}", decimals, v);
    let s = if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    };
    let s = s.replace('-', "−");
    match lang {
        Lang::Sv => s.replace('.', ","),
        Lang::En => s,
    }
}

const MONTHS_SV: [&str; 12] = [
    "jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
];
const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "16 nov" / "16 Nov".
pub fn short_date(lang: Lang, month: u8, day: u8) -> String {
    let m = usize::from(month.clamp(1, 12)) - 1;
    format!(
        "{day} {}",
        match lang {
            Lang::Sv => MONTHS_SV[m],
            Lang::En => MONTHS_EN[m],
        }
    )
}

/// A round step for an axis that reaches `max` in about `ticks` steps.
fn nice_step(max: f64, ticks: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let raw = max / ticks;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    step.max(1.0)
}

/// One week's bar.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekBar {
    /// The week's first day (month, day).
    pub month: u8,
    pub day: u8,
    pub count: u64,
    /// Days of the week inside the period (the last week may be shorter than 7).
    pub days: u8,
    /// In the period itself, not in the one it is compared with.
    pub current: bool,
}

/// Least squares through the weekly rates (per 7 days) of the full weeks: (value at the first
/// full week, value at the last), or None with fewer than three full weeks.
fn trend_line(bars: &[WeekBar]) -> Option<(usize, f64, usize, f64)> {
    let pts: Vec<(f64, f64)> = bars
        .iter()
        .enumerate()
        .filter(|(_, b)| b.days == 7)
        .map(|(i, b)| (i as f64, b.count as f64))
        .collect();
    if pts.len() < 3 {
        return None;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let (x0, x1) = (pts[0].0, pts[pts.len() - 1].0);
    Some((
        x0 as usize,
        (my + slope * (x0 - mx)).max(0.0),
        x1 as usize,
        (my + slope * (x1 - mx)).max(0.0),
    ))
}

/// Incidents per week as bars with a y axis, week dates under the bars, the comparison period
/// lighter and a dashed trend line; `words` (the caller's verdict on the trend, already in
/// plain words) is put in the text equivalent.
pub fn weekly(id: &str, lang: Lang, bars: &[WeekBar], words: &str) -> String {
    let (w, h) = (480.0, 230.0);
    let (left, right, top, bottom) = (40.0, 8.0, 30.0, 42.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0) as f64;
    let step = nice_step(max, 4.0);
    let y_max = ((max / step).ceil() * step).max(step);
    let y = |v: f64| top + plot_h - v / y_max * plot_h;
    let mut s = Svg::new(w, h);
    // Grid and y axis.
    let mut v = 0.0;
    while v <= y_max + 1e-9 {
        let _ = write!(
            s.body,
            r##"<line x1="{left}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="#d9d9d9" stroke-width="1"/><text x="{tx}" y="{ty:.1}" text-anchor="end" font-size="12" fill="#333">{label}</text>"##,
            x2 = w - right,
            yy = y(v),
            tx = left - 5.0,
            ty = y(v) + 4.0,
            label = number(v, 0, lang),
        );
        v += step;
    }
    let n = bars.len().max(1);
    let slot = plot_w / n as f64;
    let bw = (slot * 0.75).max(1.0);
    // Label every k-th week so the dates never overlap (a label needs about 44 px).
    let every = ((44.0 / slot).ceil() as usize).max(1);
    for (i, b) in bars.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bw) / 2.0;
        let fill = if b.current { "#1f4e79" } else { "#8fa9c4" };
        let _ = write!(
            s.body,
            r#"<rect x="{x:.1}" y="{yy:.1}" width="{bw:.1}" height="{hh:.1}" fill="{fill}"><title>{t}</title></rect>"#,
            yy = y(b.count as f64),
            hh = (top + plot_h - y(b.count as f64)).max(0.0),
            t = esc(&format!(
                "{}: {}",
                short_date(lang, b.month, b.day),
                b.count
            )),
        );
        if i % every == 0 {
            let _ = write!(
                s.body,
                r##"<text x="{cx:.1}" y="{ty}" text-anchor="middle" font-size="12" fill="#333">{d}</text>"##,
                cx = left + slot * (i as f64 + 0.5),
                ty = top + plot_h + 16.0,
                d = esc(&short_date(lang, b.month, b.day)),
            );
        }
    }
    let _ = write!(
        s.body,
        r##"<line x1="{left}" x2="{x2}" y1="{yy}" y2="{yy}" stroke="#333" stroke-width="1"/><text x="{cx}" y="{ty}" text-anchor="middle" font-size="12" fill="#333">{axis}</text>"##,
        x2 = w - right,
        yy = top + plot_h,
        cx = left + plot_w / 2.0,
        ty = h - 6.0,
        axis = lang.pick("Veckan som börjar", "Week starting"),
    );
    let trend = trend_line(bars);
    if let Some((i0, v0, i1, v1)) = trend {
        let _ = write!(
            s.body,
            r##"<line x1="{x0:.1}" y1="{y0:.1}" x2="{x1:.1}" y2="{y1:.1}" stroke="#b35806" stroke-width="2.5" stroke-dasharray="6 4"/>"##,
            x0 = left + slot * (i0 as f64 + 0.5),
            y0 = y(v0),
            x1 = left + slot * (i1 as f64 + 0.5),
            y1 = y(v1),
        );
    }
    // Legend along the top.
    let mut lx = left;
    let has_before = bars.iter().any(|b| !b.current);
    let mut legend: Vec<(&str, &str)> = Vec::new();
    if has_before {
        legend.push((
            "#8fa9c4",
            lang.pick("Jämförelseperioden", "Comparison period"),
        ));
    }
    legend.push(("#1f4e79", lang.pick("Perioden", "The period")));
    for (fill, label) in legend {
        let _ = write!(
            s.body,
            r##"<rect x="{lx}" y="8" width="12" height="12" fill="{fill}"/><text x="{tx}" y="18" font-size="12" fill="#333">{label}</text>"##,
            tx = lx + 16.0,
        );
        lx += 24.0 + label.chars().count() as f64 * 6.6;
    }
    if trend.is_some() {
        let _ = write!(
            s.body,
            r##"<line x1="{lx}" x2="{x2}" y1="14" y2="14" stroke="#b35806" stroke-width="2.5" stroke-dasharray="6 4"/><text x="{tx}" y="18" font-size="12" fill="#333">{label}</text>"##,
            x2 = lx + 18.0,
            tx = lx + 22.0,
            label = lang.pick("Trendlinje", "Trend line"),
        );
    }
    let mut desc = String::from(lang.pick(
        "Stapeldiagram över händelser per vecka. ",
        "Bar chart of incidents per week. ",
    ));
    for (current, name) in [
        (false, lang.pick("Jämförelseperioden", "Comparison period")),
        (true, lang.pick("Perioden", "The period")),
    ] {
        let part: Vec<String> = bars
            .iter()
            .filter(|b| b.current == current)
            .map(|b| {
                let mut t = format!("{} {}", short_date(lang, b.month, b.day), b.count);
                if b.days < 7 {
                    let _ = write!(
                        t,
                        " ({} {})",
                        b.days,
                        lang.pick(if b.days == 1 { "dag" } else { "dagar" }, "days")
                    );
                }
                t
            })
            .collect();
        if !part.is_empty() {
            let _ = write!(desc, "{name}: {}. ", part.join(", "));
        }
    }
    desc.push_str(words);
    s.finish(
        id,
        lang.pick("Händelser per vecka", "Incidents per week"),
        &desc,
    )
}

/// Significance of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sig {
    Up,
    Down,
    None,
}

/// One category's change.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRow {
    pub label: String,
    pub now: u64,
    pub before: u64,
    pub sig: Sig,
}

/// Change per category as ranked horizontal bars from zero (largest rise on top, largest fall
/// at the bottom), each with "+3 (8 mot 5)"; a significant change is drawn in a strong colour
/// and marked ▲/▼ "säkerställd"; the rest grey. Rows with nothing in either period are left out.
pub fn change(id: &str, lang: Lang, rows: &[ChangeRow], compared_with: &str) -> String {
    let mut rows: Vec<&ChangeRow> = rows.iter().filter(|r| r.now + r.before > 0).collect();
    let diff = |r: &ChangeRow| r.now as i64 - r.before as i64;
    rows.sort_by(|a, b| diff(b).cmp(&diff(a)).then(b.now.cmp(&a.now)));
    let row_h = 24.0;
    let (w, top) = (480.0, 30.0);
    let h = top + row_h * rows.len().max(1) as f64 + 26.0;
    let (label_w, value_w) = (172.0, 118.0);
    let plot_w = w - label_w - value_w;
    let max = rows
        .iter()
        .map(|r| diff(r).unsigned_abs())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let zero = label_w + plot_w / 2.0;
    let unit = plot_w / 2.0 / max;
    let mut s = Svg::new(w, h);
    let vs = lang.pick("mot", "vs");
    let mut words = Vec::new();
    for (k, r) in rows.iter().enumerate() {
        let d = diff(r);
        let yy = top + row_h * k as f64;
        let (fill, mark) = match r.sig {
            Sig::Up => ("#b2182b", lang.pick(" ▲ säkerställd", " ▲ significant")),
            Sig::Down => ("#2166ac", lang.pick(" ▼ säkerställd", " ▼ significant")),
            Sig::None => ("#8c8c8c", ""),
        };
        let len = d.unsigned_abs() as f64 * unit;
        let x = if d >= 0 { zero } else { zero - len };
        let label: String = if r.label.chars().count() > 23 {
            r.label.chars().take(22).collect::<String>() + "…"
        } else {
            r.label.clone()
        };
        let value = format!(
            "{}{} ({} {vs} {})",
            if d > 0 {
                "+"
            } else if d < 0 {
                "−"
            } else {
                "±"
            },
            d.unsigned_abs(),
            r.now,
            r.before
        );
        let _ = write!(
            s.body,
            r##"<text x="{lx}" y="{ty:.1}" text-anchor="end" font-size="12" fill="#222">{label}</text><rect x="{x:.1}" y="{by:.1}" width="{bw:.1}" height="14" fill="{fill}"><title>{title}</title></rect><text x="{vx}" y="{ty:.1}" font-size="12" fill="#222"{bold}>{value}{mark}</text>"##,
            lx = label_w - 6.0,
            ty = yy + 15.0,
            label = esc(&label),
            by = yy + 4.0,
            bw = len.max(1.5),
            title = esc(&format!("{}: {value}{mark}", r.label)),
            vx = label_w + plot_w + 6.0,
            bold = if r.sig == Sig::None {
                ""
            } else {
                r#" font-weight="bold""#
            },
        );
        words.push(format!("{} {value}{mark}", r.label));
    }
    let _ = write!(
        s.body,
        r##"<line x1="{zero}" x2="{zero}" y1="{y0}" y2="{y1}" stroke="#333" stroke-width="1"/><text x="{zero}" y="{ty}" text-anchor="middle" font-size="12" fill="#333">0</text><text x="{l}" y="{ty}" text-anchor="start" font-size="12" fill="#333">{fewer}</text><text x="{r}" y="{ty}" text-anchor="end" font-size="12" fill="#333">{more}</text><text x="4" y="18" font-size="12" fill="#333">{head}</text>"##,
        y0 = top,
        y1 = h - 22.0,
        ty = h - 8.0,
        l = label_w,
        r = label_w + plot_w,
        fewer = lang.pick("← färre", "← fewer"),
        more = lang.pick("fler →", "more →"),
        head = esc(&format!(
            "{} {compared_with}",
            lang.pick("Förändring mot", "Change against")
        )),
    );
    let desc = if words.is_empty() {
        lang.pick(
            "Inga händelser i någon av perioderna.",
            "No incidents in either period.",
        )
        .to_string()
    } else {
        format!(
            "{} {compared_with}, {}: {}.",
            lang.pick("Förändring per kategori mot", "Change per category against"),
            lang.pick("störst ökning först", "largest rise first"),
            words.join("; ")
        )
    };
    s.finish(
        id,
        lang.pick("Förändring per kategori", "Change per category"),
        &desc,
    )
}

/// Weekday names, Monday first.
pub fn weekdays(lang: Lang) -> [&'static str; 7] {
    match lang {
        Lang::Sv => [
            "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag",
        ],
        Lang::En => [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ],
    }
}

const HEAT: [&str; 5] = ["#deebf7", "#9ecae1", "#4292c6", "#2171b5", "#08306b"];

/// Weekday × hour as a grid of cells, darker = more, with hour ticks, weekday names, a legend
/// and, as text, the busiest hours and each weekday's total.
pub fn week_hours(id: &str, lang: Lang, rows: &[Vec<f64>]) -> String {
    let (w, left, top, cell_h) = (480.0, 74.0, 22.0, 20.0);
    let cell_w = (w - left - 6.0) / 24.0;
    let h = top + cell_h * 7.0 + 44.0;
    let max = rows.iter().flatten().copied().fold(0.0, f64::max);
    let names = weekdays(lang);
    let mut s = Svg::new(w, h);
    for hour in (0..24).step_by(3) {
        let _ = write!(
            s.body,
            r##"<text x="{x:.1}" y="15" font-size="12" fill="#333">{hour}</text>"##,
            x = left + cell_w * hour as f64 + 1.0,
        );
    }
    let level = |v: f64| -> Option<usize> {
        (v > 0.0 && max > 0.0).then(|| (((v / max) * 5.0).ceil() as usize).clamp(1, 5) - 1)
    };
    for (d, row) in rows.iter().take(7).enumerate() {
        let yy = top + cell_h * d as f64;
        let _ = write!(
            s.body,
            r##"<text x="{x}" y="{ty:.1}" text-anchor="end" font-size="12" fill="#333">{name}</text>"##,
            x = left - 6.0,
            ty = yy + 14.0,
            name = names[d],
        );
        for (hour, &v) in row.iter().take(24).enumerate() {
            let fill = level(v).map_or("#ffffff", |l| HEAT[l]);
            let _ = write!(
                s.body,
                r##"<rect x="{x:.1}" y="{yy:.1}" width="{cw:.1}" height="{ch}" fill="{fill}" stroke="#e0e0e0" stroke-width="0.5"><title>{t}</title></rect>"##,
                x = left + cell_w * hour as f64,
                cw = cell_w,
                ch = cell_h,
                t = esc(&format!(
                    "{} {hour:02}–{:02}: {}",
                    names[d],
                    hour + 1,
                    number(v, if v.fract() == 0.0 { 0 } else { 1 }, lang)
                )),
            );
        }
    }
    // Legend: fewer [5 swatches] more.
    let ly = top + cell_h * 7.0 + 16.0;
    let _ = write!(
        s.body,
        r##"<text x="{x}" y="{ty}" text-anchor="end" font-size="12" fill="#333">{fewer}</text>"##,
        x = left - 6.0,
        ty = ly + 11.0,
        fewer = lang.pick("Färre", "Fewer"),
    );
    for (k, c) in HEAT.iter().enumerate() {
        let _ = write!(
            s.body,
            r##"<rect x="{x}" y="{ly}" width="22" height="14" fill="{c}" stroke="#bbb" stroke-width="0.5"/>"##,
            x = left + 24.0 * k as f64,
        );
    }
    let _ = write!(
        s.body,
        r##"<text x="{x}" y="{ty}" font-size="12" fill="#333">{more}</text><text x="{x2}" y="{ty}" font-size="12" fill="#333">{hours}</text>"##,
        x = left + 24.0 * 5.0 + 4.0,
        ty = ly + 11.0,
        more = lang.pick("Fler", "More"),
        x2 = left + 24.0 * 5.0 + 44.0,
        hours = lang.pick(
            "Klockslag: timmen som börjar",
            "Hour of day: the hour starting"
        ),
    );
    // Text equivalent: the busiest hours, then the weekdays' totals.
    let mut cells: Vec<(usize, usize, f64)> = rows
        .iter()
        .take(7)
        .enumerate()
        .flat_map(|(d, r)| {
            r.iter()
                .take(24)
                .enumerate()
                .map(move |(hr, &v)| (d, hr, v))
        })
        .filter(|c| c.2 > 0.0)
        .collect();
    cells.sort_by(|a, b| b.2.total_cmp(&a.2));
    let fmt = |v: f64| number(v, if (v - v.round()).abs() < 0.05 { 0 } else { 1 }, lang);
    let busiest: Vec<String> = cells
        .iter()
        .take(3)
        .map(|&(d, hr, v)| format!("{} {hr:02}–{:02} ({})", names[d], hr + 1, fmt(v)))
        .collect();
    let totals: Vec<String> = rows
        .iter()
        .take(7)
        .enumerate()
        .map(|(d, r)| format!("{} {}", names[d], fmt(r.iter().sum())))
        .collect();
    let desc = if busiest.is_empty() {
        lang.pick(
            "Inga händelser under perioden.",
            "No incidents in the period.",
        )
        .to_string()
    } else {
        format!(
            "{}: {}. {}: {}.",
            lang.pick("Flest händelser", "Most incidents"),
            busiest.join(", "),
            lang.pick("Per veckodag", "Per weekday"),
            totals.join(", ")
        )
    };
    s.finish(
        id,
        lang.pick(
            "Händelser per veckodag och timme",
            "Incidents per weekday and hour",
        ),
        &desc,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(day: u8, count: u64, current: bool) -> WeekBar {
        WeekBar {
            month: 11,
            day,
            count,
            days: 7,
            current,
        }
    }

    #[test]
    fn numbers_are_written_the_swedish_way() {
        assert_eq!(number(1.094, 2, Lang::Sv), "1,09");
        assert_eq!(number(1.094, 2, Lang::En), "1.09");
        assert_eq!(number(18.0, 0, Lang::Sv), "18");
        assert_eq!(number(-4.0, 0, Lang::Sv), "−4");
        assert_eq!(number(-0.2, 0, Lang::Sv), "0");
    }

    #[test]
    fn axis_steps_are_round() {
        assert_eq!(nice_step(24.0, 4.0), 10.0);
        assert_eq!(nice_step(3.0, 4.0), 1.0);
        assert_eq!(nice_step(180.0, 4.0), 50.0);
    }

    #[test]
    fn the_weekly_chart_has_dates_an_axis_and_its_numbers_in_words() {
        let bars = [
            bar(5, 24, false),
            bar(12, 21, false),
            bar(19, 24, true),
            WeekBar {
                days: 3,
                ..bar(26, 19, true)
            },
        ];
        let svg = weekly("w", Lang::Sv, &bars, "Ingen säker trend.");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("<title id=\"w-title\">Händelser per vecka</title>"));
        assert!(
            svg.contains("Jämförelseperioden: 5 nov 24, 12 nov 21. Perioden: 19 nov 24, 26 nov 19 (3 dagar). Ingen säker trend."),
            "{svg}"
        );
        // The y axis: 0, 10, 20, 30; dates under the bars.
        for t in [
            ">0<",
            ">10<",
            ">20<",
            ">30<",
            ">19 nov<",
            "Veckan som börjar",
        ] {
            assert!(svg.contains(t), "{t} in {svg}");
        }
        assert_eq!(svg.matches("<rect x=").count(), 4 + 2, "{svg}");
        // Three full weeks: a trend line.
        assert!(svg.contains("Trendlinje"));
        let en = weekly("w", Lang::En, &bars[..2], "");
        assert!(en.contains("5 Nov") && !en.contains("Trend line"), "{en}");
    }

    #[test]
    fn many_weeks_get_labels_that_do_not_overlap() {
        let bars: Vec<WeekBar> = (0..52).map(|i| bar((i % 28 + 1) as u8, i, true)).collect();
        let svg = weekly("w", Lang::Sv, &bars, "");
        let labels = svg
            .matches(r##"text-anchor="middle" font-size="12" fill="#333">"##)
            .count();
        assert!((8..=14).contains(&labels), "{labels}");
    }

    #[test]
    fn the_change_chart_ranks_and_marks_what_is_significant() {
        let rows = [
            ChangeRow {
                label: "Klotter".into(),
                now: 7,
                before: 4,
                sig: Sig::None,
            },
            ChangeRow {
                label: "Inbrott".into(),
                now: 2,
                before: 16,
                sig: Sig::Down,
            },
            ChangeRow {
                label: "Folktomt".into(),
                now: 0,
                before: 0,
                sig: Sig::None,
            },
            ChangeRow {
                label: "Narkotika".into(),
                now: 14,
                before: 1,
                sig: Sig::Up,
            },
        ];
        let svg = change("c", Lang::Sv, &rows, "föregående period");
        let (n, k, i) = (
            svg.find(">Narkotika<").unwrap(),
            svg.find(">Klotter<").unwrap(),
            svg.find(">Inbrott<").unwrap(),
        );
        assert!(n < k && k < i, "ranked: {svg}");
        assert!(!svg.contains("Folktomt"), "empty rows left out");
        assert!(svg.contains("+13 (14 mot 1) ▲ säkerställd"), "{svg}");
        assert!(svg.contains("−14 (2 mot 16) ▼ säkerställd"), "{svg}");
        assert!(svg.contains("+3 (7 mot 4)<"), "{svg}");
        assert!(svg.contains(
            "Förändring per kategori mot föregående period, störst ökning först: Narkotika +13"
        ));
        let en = change("c", Lang::En, &rows, "the previous period");
        assert!(en.contains("+13 (14 vs 1) ▲ significant"), "{en}");
    }

    #[test]
    fn the_week_grid_names_the_busiest_hours() {
        let mut rows = vec![vec![0.0; 24]; 7];
        rows[5][20] = 4.0;
        rows[0][21] = 2.0;
        rows[0][0] = 0.5;
        let svg = week_hours("h", Lang::Sv, &rows);
        assert!(
            svg.contains(
                "Flest händelser: lördag 20–21 (4), måndag 21–22 (2), måndag 00–01 (0,5)."
            ),
            "{svg}"
        );
        assert!(svg.contains("måndag 2,5"), "{svg}");
        assert_eq!(svg.matches(HEAT[4]).count(), 2, "one cell and the legend");
        let empty = week_hours("h", Lang::En, &vec![vec![0.0; 24]; 7]);
        assert!(empty.contains("No incidents in the period."));
    }
}
