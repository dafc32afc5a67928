//! Export of an incident list as CSV (UTF-8; or "for Excel": a byte-order mark, semicolons
//! and decimal commas, as Swedish Excel opens a file without asking), as an Excel workbook
//! (.xlsx, written by `rust_xlsxwriter` row by row in its constant-memory mode, so a million
//! rows never sit in memory), or as GeoJSON.
//!
//! The writers take the incidents a page at a time, so the caller (the web's streamed
//! download) holds one page, never the list. What is exported is what the reader may see:
//! the caller reads the rows through the store's visibility rules. Free text is screened on
//! the way out: personal identity numbers, phone numbers and e-mail addresses are replaced
//! by a placeholder, as on the pages.

use crate::audience::Language;
use jiff::Timestamp;
use model::Precision;
use std::fmt::Write as _;
use store::{Category, Incident};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Csv,
    /// CSV as Swedish Excel expects it.
    ExcelCsv,
    Xlsx,
    GeoJson,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s.trim() {
            "" | "csv" => Kind::Csv,
            "excel-csv" | "csv-excel" => Kind::ExcelCsv,
            "xlsx" => Kind::Xlsx,
            "geojson" => Kind::GeoJson,
            _ => return None,
        })
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Csv | Kind::ExcelCsv => "text/csv; charset=utf-8",
            Kind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Kind::GeoJson => "application/geo+json",
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Csv | Kind::ExcelCsv => "csv",
            Kind::Xlsx => "xlsx",
            Kind::GeoJson => "geojson",
        }
    }
}

/// The columns, in order, by their machine names (the GeoJSON properties; the pages'
/// Fluent keys are `export-col-` and the name).
pub const COLUMNS: [&str; 18] = [
    "id",
    "category_code",
    "category",
    "occurred_from",
    "occurred_to",
    "status",
    "visibility",
    "precision",
    "place",
    "place_text",
    "description",
    "organisation",
    "source",
    "external_id",
    "lat",
    "lon",
    "e",
    "n",
];

/// A placeholder for each kind of screened text.
pub type Placeholder = Box<dyn Fn(model::screening::SensitiveKind) -> String + Send + Sync>;

/// What the caller says in the reader's language: the column headers (in `COLUMNS` order),
/// the placeholder of each kind of screened text, the sheet's name.
pub struct Words {
    pub headers: Vec<String>,
    pub placeholder: Placeholder,
    pub sheet: String,
}

/// One incident as the export writes it.
pub struct Line {
    pub id: i64,
    pub category_code: String,
    pub category: String,
    /// Local (Swedish) time.
    pub from: jiff::civil::DateTime,
    pub to: jiff::civil::DateTime,
    pub status: &'static str,
    pub visibility: &'static str,
    pub precision: &'static str,
    pub place: String,
    pub place_text: String,
    pub description: String,
    pub organisation: String,
    pub source: &'static str,
    pub external_id: String,
    /// None for a municipality-level incident: it has no point of its own.
    pub point: Option<(f64, f64, f64, f64)>,
}

impl Line {
    pub fn of(i: &Incident, categories: &[Category], lang: Language, words: &Words) -> Line {
        let tz = crate::stockholm();
        let local = |t: Timestamp| t.to_zoned(tz.clone()).datetime();
        let clean = |s: &str| model::screening::redact(s, &words.placeholder);
        let category = categories
            .iter()
            .find(|c| c.code == i.category)
            .map(|c| match lang {
                Language::Sv => c.name_sv.clone(),
                Language::En => c.name_en.clone(),
            })
            .unwrap_or_else(|| i.category.to_string());
        Line {
            id: i.id,
            category_code: i.category.to_string(),
            category,
            from: local(i.occurred_from),
            to: local(i.occurred_to),
            status: i.status.as_str(),
            visibility: i.visibility.as_str(),
            precision: i.precision.as_str(),
            place: i.place_name.clone().unwrap_or_default(),
            place_text: i.place_text.as_deref().map(clean).unwrap_or_default(),
            description: clean(&i.description),
            organisation: i.org_name.clone(),
            source: i.source.as_str(),
            external_id: i.external_id.clone().unwrap_or_default(),
            point: (i.precision != Precision::Municipality).then_some((i.lat, i.lon, i.e, i.n)),
        }
    }

    fn texts(&self) -> [String; 14] {
        [
            self.id.to_string(),
            self.category_code.clone(),
            self.category.clone(),
            time(self.from),
            time(self.to),
            self.status.to_string(),
            self.visibility.to_string(),
            self.precision.to_string(),
            self.place.clone(),
            self.place_text.clone(),
            self.description.clone(),
            self.organisation.clone(),
            self.source.to_string(),
            self.external_id.clone(),
        ]
    }
}

fn time(t: jiff::civil::DateTime) -> String {
    t.strftime("%Y-%m-%d %H:%M").to_string()
}

/// A text cell Excel or LibreOffice would otherwise run as a formula (`=`, `+`, `-`, `@`
/// at the start) is prefixed with an apostrophe (OWASP's advice against CSV injection).
fn defuse(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// CSV, a page at a time.
pub struct Csv {
    excel: bool,
}

impl Csv {
    pub fn new(excel: bool) -> Csv {
        Csv { excel }
    }

    fn writer(&self) -> csv::Writer<Vec<u8>> {
        csv::WriterBuilder::new()
            .delimiter(if self.excel { b';' } else { b',' })
            .from_writer(Vec::with_capacity(64 * 1024))
    }

    /// The byte-order mark (for Excel) and the header row.
    pub fn start(&self, words: &Words) -> Vec<u8> {
        let mut w = self.writer();
        let _ = w.write_record(&words.headers);
        let mut out = if self.excel {
            b"\xEF\xBB\xBF".to_vec()
        } else {
            vec![]
        };
        out.extend(w.into_inner().unwrap_or_default());
        out
    }

    pub fn rows(&self, lines: &[Line]) -> Vec<u8> {
        let mut w = self.writer();
        let num = |v: f64, digits: usize| {
            let s = format!("{v:.digits$}");
            if self.excel { s.replace('.', ",") } else { s }
        };
        for l in lines {
            let texts = l.texts();
            let mut record: Vec<String> = texts.iter().map(|t| defuse(t).into_owned()).collect();
            match l.point {
                Some((lat, lon, e, n)) => {
                    record.push(num(lat, 6));
                    record.push(num(lon, 6));
                    record.push(num(e, 1));
                    record.push(num(n, 1));
                }
                None => record.extend(std::iter::repeat_n(String::new(), 4)),
            }
            let _ = w.write_record(&record);
        }
        w.into_inner().unwrap_or_default()
    }
}

/// GeoJSON (RFC 7946), a page at a time: `start`, `rows` for each page, `end`.
pub struct GeoJson {
    written: u64,
}

impl Default for GeoJson {
    fn default() -> Self {
        Self::new()
    }
}

impl GeoJson {
    pub fn new() -> GeoJson {
        GeoJson { written: 0 }
    }

    pub fn start(&self) -> Vec<u8> {
        br#"{"type":"FeatureCollection","features":["#.to_vec()
    }

    pub fn rows(&mut self, lines: &[Line]) -> Vec<u8> {
        let mut out = String::with_capacity(lines.len() * 400);
        for l in lines {
            if self.written > 0 {
                out.push(',');
            }
            self.written += 1;
            let geometry = match l.point {
                Some((lat, lon, _, _)) => serde_json::json!({
                    "type": "Point",
                    "coordinates": [(lon * 1e6).round() / 1e6, (lat * 1e6).round() / 1e6]
                }),
                None => serde_json::Value::Null,
            };
            let texts = l.texts();
            let mut props = serde_json::Map::new();
            props.insert("id".into(), l.id.into());
            for (key, v) in COLUMNS.iter().zip(texts.iter()).skip(1) {
                props.insert((*key).into(), v.clone().into());
            }
            let feature = serde_json::json!({
                "type": "Feature",
                "id": l.id,
                "geometry": geometry,
                "properties": props,
            });
            let _ = write!(out, "{feature}");
        }
        out.into_bytes()
    }

    pub fn end(&self) -> Vec<u8> {
        b"]}".to_vec()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("writing the workbook: {0}")]
pub struct XlsxError(String);

/// Rows an Excel sheet holds (after its header row); more continue on the next sheet.
pub const SHEET_ROWS: u32 = 1_048_575;

/// An Excel workbook, written row by row to temporary files (constant memory) and saved
/// to `path` at the end.
pub struct Xlsx {
    book: rust_xlsxwriter::Workbook,
    headers: Vec<String>,
    name: String,
    sheet: usize,
    row: u32,
    date: rust_xlsxwriter::Format,
    bold: rust_xlsxwriter::Format,
}

impl Xlsx {
    pub fn new(words: &Words) -> Result<Xlsx, XlsxError> {
        let mut x = Xlsx {
            book: rust_xlsxwriter::Workbook::new(),
            headers: words.headers.clone(),
            name: words.sheet.clone(),
            sheet: 0,
            row: 0,
            date: rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            bold: rust_xlsxwriter::Format::new().set_bold(),
        };
        x.new_sheet()?;
        Ok(x)
    }

    fn new_sheet(&mut self) -> Result<(), XlsxError> {
        let e = |e: rust_xlsxwriter::XlsxError| XlsxError(e.to_string());
        let name = match self.sheet {
            0 => self.name.clone(),
            n => format!("{} {}", self.name, n + 1),
        };
        let bold = self.bold.clone();
        let sheet = self.book.add_worksheet_with_constant_memory();
        sheet.set_name(name).map_err(e)?;
        for (c, h) in self.headers.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, h, &bold)
                .map_err(e)?;
        }
        for (c, w) in [
            8, 22, 22, 17, 17, 10, 16, 12, 24, 24, 50, 24, 14, 14, 11, 11, 12, 12,
        ]
        .iter()
        .enumerate()
        {
            sheet.set_column_width(c as u16, *w).map_err(e)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(e)?;
        self.row = 0;
        Ok(())
    }

    pub fn rows(&mut self, lines: &[Line]) -> Result<(), XlsxError> {
        let e = |e: rust_xlsxwriter::XlsxError| XlsxError(e.to_string());
        for l in lines {
            if self.row == SHEET_ROWS {
                self.sheet += 1;
                self.new_sheet()?;
            }
            self.row += 1;
            let r = self.row;
            let date = self.date.clone();
            let sheet = self.book.worksheet_from_index(self.sheet).map_err(e)?;
            sheet.write_number(r, 0, l.id as f64).map_err(e)?;
            let texts = l.texts();
            for (c, t) in texts.iter().enumerate().skip(1) {
                if c == 3 || c == 4 {
                    let t = if c == 3 { l.from } else { l.to };
                    let dt = rust_xlsxwriter::ExcelDateTime::from_ymd(
                        t.year() as u16,
                        t.month() as u8,
                        t.day() as u8,
                    )
                    .and_then(|d| d.and_hms(t.hour() as u16, t.minute() as u8, t.second()))
                    .map_err(e)?;
                    sheet
                        .write_datetime_with_format(r, c as u16, &dt, &date)
                        .map_err(e)?;
                } else if !t.is_empty() {
                    sheet.write_string(r, c as u16, t).map_err(e)?;
                }
            }
            if let Some((lat, lon, east, north)) = l.point {
                for (c, v) in [(14u16, lat), (15, lon), (16, east), (17, north)] {
                    sheet.write_number(r, c, v).map_err(e)?;
                }
            }
        }
        Ok(())
    }

    pub fn save(mut self, path: &std::path::Path) -> Result<(), XlsxError> {
        self.book.save(path).map_err(|e| XlsxError(e.to_string()))
    }
}
