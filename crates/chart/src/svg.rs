//! The frame every chart shares.

use std::fmt::Write as _;

/// Text for XML: `&`, `<`, `>` and quotes escaped; the control characters XML 1.0 cannot
/// hold left out. Also Open311's XML answers (`web::open311`).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

pub struct Svg {
    w: f64,
    h: f64,
    pub body: String,
}

impl Svg {
    pub fn new(w: f64, h: f64) -> Self {
        Self {
            w,
            h,
            body: String::new(),
        }
    }

    /// The whole SVG: size, role, title and text equivalent, then what was drawn. `id` must be
    /// unique in the page (the title's and description's ids are made from it).
    pub fn finish(self, id: &str, title: &str, desc: &str) -> String {
        let mut s = String::with_capacity(self.body.len() + 400);
        let id = esc(id);
        let _ = write!(
            s,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" class="chart" role="img" aria-labelledby="{id}-title {id}-desc" font-family="Libertinus Serif, Georgia, serif"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc><rect width="{w}" height="{h}" fill="#ffffff"/>"##,
            w = self.w,
            h = self.h.round(),
            title = esc(title),
            desc = esc(desc),
        );
        s.push_str(&self.body);
        s.push_str("</svg>");
        s
    }
}
