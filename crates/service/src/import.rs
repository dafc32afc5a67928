//! Import of incidents a municipality already keeps elsewhere: a spreadsheet saved as CSV
//! (UTF-8 or Windows-1252, comma, semicolon or tab) or a GeoJSON FeatureCollection of points.
//!
//! Columns are recognised by their Swedish or English names (`kategori`/`category`,
//! `datum`/`date`, `tid`, `lat`/`lon`, `E`/`N` in SWEREF 99 TM, `beskrivning`, `plats`, `id`,
//! …) or named in a mapping file (JSON, see [`Mapping`]). Categories may be given by code, by
//! their Swedish or English name, or through the mapping's table. Dates are read in ISO form
//! (`2026-05-01`, `2026-05-01 14:30`, `2026-05-01T14:30:00+02:00`) and in Swedish forms
//! (`1 maj 2026`, `1/5 2026`, `01.05.2026`, `kl. 14.30`), in Swedish time unless an offset is
//! given. Coordinates are WGS84 or SWEREF 99 TM, with a decimal point or comma; SWEREF's `x`
//! read as the northing (as Swedish surveyors write it) is recognised by its size.
//!
//! Every row is checked before anything is stored; each problem is named by row, column and
//! value ([`RowError`]). The caller chooses whether the good rows are stored when some are bad
//! ([`OnError`]). Free text is screened: personal identity numbers, phone numbers and e-mail
//! addresses are replaced by a placeholder before storing, and counted. Importing is
//! idempotent on the external id (the `id` column, or a digest of the row when the file has
//! none): the same file twice changes nothing.

use crate::reporting::TenantGeo;
use jiff::{Timestamp, civil::Date, civil::DateTime, civil::Time};
use model::{CategoryCode, IncidentStatus, Precision, Source, Visibility};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use store::{
    Category, ImportCounts, NewAudit, NewIncident, OrgId, Place, PlaceKind, Store, StoreError,
    Tenant, UserId,
};

/// Rows stored per transaction: each chunk is all or nothing, and importing again after a
/// stop stores the rest (the external ids make it idempotent).
pub const CHUNK: usize = 10_000;
/// Bad rows listed at most; the count says how many there were.
pub const MAX_ERRORS: usize = 1_000;

/// What a column of the file is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    ExternalId,
    Category,
    /// The date (and time, when the column holds both) the incident began.
    Date,
    /// The time of day, when it is a column of its own.
    Time,
    /// When the incident ended (date and time), when known.
    End,
    Lat,
    Lon,
    /// SWEREF 99 TM easting.
    E,
    /// SWEREF 99 TM northing.
    N,
    Description,
    Place,
    Visibility,
    Status,
    Url,
}

impl Field {
    pub const ALL: [Field; 14] = [
        Field::ExternalId,
        Field::Category,
        Field::Date,
        Field::Time,
        Field::End,
        Field::Lat,
        Field::Lon,
        Field::E,
        Field::N,
        Field::Description,
        Field::Place,
        Field::Visibility,
        Field::Status,
        Field::Url,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::ExternalId => "external_id",
            Field::Category => "category",
            Field::Date => "date",
            Field::Time => "time",
            Field::End => "end",
            Field::Lat => "lat",
            Field::Lon => "lon",
            Field::E => "e",
            Field::N => "n",
            Field::Description => "description",
            Field::Place => "place",
            Field::Visibility => "visibility",
            Field::Status => "status",
            Field::Url => "url",
        }
    }

    /// The column names this field is recognised by (lower case, Swedish and English).
    fn names(self) -> &'static [&'static str] {
        match self {
            Field::ExternalId => &[
                "external_id",
                "externt id",
                "extern id",
                "id",
                "ärendenummer",
                "ärendenr",
                "ärende",
                "löpnummer",
            ],
            Field::Category => &[
                "category",
                "kategori",
                "kategorikod",
                "typ",
                "händelsetyp",
                "type",
            ],
            Field::Date => &[
                "date",
                "datum",
                "occurred_from",
                "från",
                "from",
                "tidpunkt",
                "inträffade",
                "start",
            ],
            Field::Time => &["time", "tid", "klockslag", "kl", "klockan"],
            Field::End => &["end", "occurred_to", "till", "to", "slut", "sluttid"],
            Field::Lat => &["lat", "latitud", "latitude"],
            Field::Lon => &["lon", "lng", "long", "longitud", "longitude"],
            Field::E => &[
                "e",
                "x",
                "easting",
                "östlig",
                "sweref_e",
                "e (sweref 99 tm)",
            ],
            Field::N => &[
                "n",
                "y",
                "northing",
                "nordlig",
                "sweref_n",
                "n (sweref 99 tm)",
            ],
            Field::Description => &[
                "description",
                "beskrivning",
                "text",
                "fritext",
                "händelse",
                "kommentar",
            ],
            Field::Place => &["place", "plats", "adress", "address", "platsbeskrivning"],
            Field::Visibility => &["visibility", "synlighet"],
            Field::Status => &["status"],
            Field::Url => &["url", "länk", "link"],
        }
    }
}

/// The mapping file: which column is which field, how the file's category values map to
/// codes, and the values every row gets. Everything is optional.
///
/// ```json
/// {"columns": {"external_id": "Ärendenr", "category": "Typ", "date": "Datum"},
///  "categories": {"Klotter": "skadegorelse-klotter"},
///  "system": "felanmalan", "visibility": "all_partners", "status": "reviewed"}
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub columns: HashMap<Field, String>,
    /// A value of the file's category column (compared without case) → category code.
    #[serde(default)]
    pub categories: HashMap<String, String>,
    /// Put before each external id (`felanmalan:1234`), so two systems' ids never meet.
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub visibility: Option<Visibility>,
    #[serde(default)]
    pub status: Option<IncidentStatus>,
}

impl Mapping {
    pub fn parse(text: &str) -> Result<Mapping, ImportError> {
        serde_json::from_str(text).map_err(|e| ImportError::Mapping(e.to_string()))
    }
}

/// One problem with one row: where (row as the user counts it, the header being row 1 of a
/// CSV file and features counted from 1 in GeoJSON), which column, the value, and why.
/// `code` is a Fluent message id for the pages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("row {row}, column {column:?}: {reason} (value {value:?})")]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub value: String,
    pub code: &'static str,
    pub reason: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the mapping file is not valid: {0}")]
    Mapping(String),
    #[error("the file is not {format}: {reason}")]
    Format {
        format: &'static str,
        reason: String,
    },
    #[error("no column for {0} (name it in the mapping file's \"columns\"; columns found: {1})")]
    MissingColumn(&'static str, String),
    #[error("mapping: column {0:?} for {1} is not in the file (columns found: {2})")]
    UnknownColumn(String, &'static str, String),
    #[error("mapping: {value:?} for {what} is not a known category code")]
    UnknownCode { what: String, value: String },
    #[error("stored geometry of the municipality or an area is invalid: {0}")]
    Geometry(String),
    #[error("{} rows are wrong, so nothing was stored (first: {})", .0.len(), .0[0])]
    Rejected(Vec<RowError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to do when some rows are wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Store nothing (the default).
    StoreNothing,
    /// Store the good rows and report the bad ones.
    KeepGood,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    GeoJson,
}

impl Format {
    /// By the file name's ending; GeoJSON when the content starts with `{`.
    pub fn guess(name: &str, bytes: &[u8]) -> Format {
        let lower = name.to_lowercase();
        if lower.ends_with(".geojson") || lower.ends_with(".json") {
            return Format::GeoJson;
        }
        let first = bytes
            .iter()
            .find(|b| !(b.is_ascii_whitespace() || **b == 0xEF || **b == 0xBB || **b == 0xBF));
        if first == Some(&b'{') && !lower.ends_with(".csv") {
            Format::GeoJson
        } else {
            Format::Csv
        }
    }
}

/// A row number as the user counts it, the cells in column order, and a point geometry
/// (GeoJSON).
type TableRow = (usize, Vec<String>, Option<(f64, f64)>);

/// The rows of a file as named cells, before they are read as incidents.
struct Table {
    columns: Vec<String>,
    rows: Vec<TableRow>,
    /// GeoJSON points are in SWEREF 99 TM (a `crs` member naming EPSG:3006).
    sweref_geometry: bool,
}

/// Windows-1252 (what Swedish Excel saves as "CSV") to text; UTF-8 when it is valid UTF-8.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| cp1252(b)).collect(),
    }
}

fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

fn read_csv(text: &str) -> Result<Table, ImportError> {
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = [b';', b'\t', b',']
        .into_iter()
        .max_by_key(|d| first_line.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| ImportError::Format {
            format: "CSV",
            reason: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if columns.iter().all(String::is_empty) {
        return Err(ImportError::Format {
            format: "CSV",
            reason: "the first row (the column names) is empty".into(),
        });
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| ImportError::Format {
            format: "CSV",
            reason: format!("row {}: {e}", i + 2),
        })?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows.push((i + 2, record.iter().map(str::to_string).collect(), None));
    }
    Ok(Table {
        columns,
        rows,
        sweref_geometry: false,
    })
}

fn read_geojson(text: &str) -> Result<Table, ImportError> {
    let bad = |reason: String| ImportError::Format {
        format: "a GeoJSON FeatureCollection",
        reason,
    };
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    if doc.get("type").and_then(|t| t.as_str()) != Some("FeatureCollection") {
        return Err(bad("\"type\" is not \"FeatureCollection\"".into()));
    }
    let sweref_geometry = doc
        .pointer("/crs/properties/name")
        .and_then(|n| n.as_str())
        .is_some_and(|n| n.contains("3006"));
    let features = doc
        .get("features")
        .and_then(|f| f.as_array())
        .ok_or_else(|| bad("no \"features\" array".into()))?;
    let mut columns: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let mut cells = vec![String::new(); columns.len()];
        if let Some(props) = f.get("properties").and_then(|p| p.as_object()) {
            for (k, v) in props {
                let at = *index.entry(k.clone()).or_insert_with(|| {
                    columns.push(k.clone());
                    columns.len() - 1
                });
                if cells.len() <= at {
                    cells.resize(at + 1, String::new());
                }
                cells[at] = match v {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
            }
        }
        let point = match f.pointer("/geometry/type").and_then(|t| t.as_str()) {
            Some("Point") => {
                let c = f
                    .pointer("/geometry/coordinates")
                    .and_then(|c| c.as_array());
                match c.map(|c| {
                    (
                        c.first().and_then(|v| v.as_f64()),
                        c.get(1).and_then(|v| v.as_f64()),
                    )
                }) {
                    Some((Some(x), Some(y))) => Some((x, y)),
                    _ => {
                        return Err(bad(format!(
                            "feature {}: a Point needs two numbers as coordinates",
                            i + 1
                        )));
                    }
                }
            }
            None => None,
            Some(other) => {
                return Err(bad(format!(
                    "feature {}: geometry {other:?} is not a Point (incidents are points)",
                    i + 1
                )));
            }
        };
        rows.push((i + 1, cells, point));
    }
    for (_, cells, _) in &mut rows {
        cells.resize(columns.len(), String::new());
    }
    Ok(Table {
        columns,
        rows,
        sweref_geometry,
    })
}

fn err(
    row: usize,
    column: &str,
    value: &str,
    code: &'static str,
    reason: &'static str,
) -> RowError {
    RowError {
        row,
        column: column.to_string(),
        value: value.chars().take(120).collect(),
        code,
        reason,
    }
}

use crate::polisen::MONTHS;

fn month(name: &str) -> Option<i8> {
    let n = name.trim_end_matches('.').to_lowercase();
    if n.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| *m == n || (n.len() >= 3 && m.starts_with(&n)))
        .map(|i| i as i8 + 1)
}

/// "14:30", "14.30", "14:30:05", "kl. 14.30", "1430" → a time of day.
pub fn parse_time(v: &str) -> Option<Time> {
    let v = v.trim().to_lowercase();
    let v = v
        .strip_prefix("kl.")
        .or_else(|| v.strip_prefix("kl"))
        .unwrap_or(&v)
        .trim();
    if v.is_empty() {
        return None;
    }
    let parts: Vec<&str> = v.split([':', '.']).collect();
    let num = |s: &str| -> Option<i8> {
        (!s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (h, m, s) = match parts.as_slice() {
        [hm] if hm.len() == 4 && hm.bytes().all(|b| b.is_ascii_digit()) => {
            (num(&hm[..2])?, num(&hm[2..])?, 0)
        }
        [h] => (num(h)?, 0, 0),
        [h, m] => (num(h)?, num(m)?, 0),
        [h, m, s] => (num(h)?, num(m)?, num(s)?),
        _ => return None,
    };
    Time::new(h, m, s, 0).ok()
}

/// A date in ISO or Swedish form.
pub fn parse_date(v: &str) -> Option<Date> {
    let v = v.trim();
    let iso = v.len() == 10 && v.as_bytes()[4] == b'-' && v.as_bytes()[7] == b'-';
    if iso && let Ok(d) = v.parse::<Date>() {
        return Some(d);
    }
    let ok = |y: i16, m: i8, d: i8| {
        (model::dates::FIRST_YEAR..=model::dates::LAST_YEAR)
            .contains(&y)
            .then(|| Date::new(y, m, d).ok())
            .flatten()
    };
    // "2026-5-1"
    if let [y, m, d] = v.split('-').collect::<Vec<_>>().as_slice()
        && y.len() == 4
    {
        return ok(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    }
    // "01.05.2026", "1/5/2026", "1/5 2026"
    let parts: Vec<&str> = v.split(['.', '/', ' ']).filter(|p| !p.is_empty()).collect();
    if let [d, m, y] = parts.as_slice()
        && y.len() == 4
        && d.bytes().all(|b| b.is_ascii_digit())
    {
        if let Ok(m) = m.parse::<i8>() {
            return ok(y.parse().ok()?, m, d.parse().ok()?);
        }
        // "1 maj 2026"
        return ok(y.parse().ok()?, month(m)?, d.parse().ok()?);
    }
    None
}

/// A date with an optional time of day, in Swedish time unless the text has an offset or
/// `Z`. The second value says whether a time was given.
pub fn parse_instant(v: &str) -> Option<(Timestamp, bool)> {
    let v = v.trim();
    if let Ok(t) = v.parse::<Timestamp>() {
        return Some((t, true));
    }
    let tz = crate::stockholm();
    let local = |dt: DateTime| {
        tz.to_ambiguous_zoned(dt)
            .compatible()
            .ok()
            .map(|z| z.timestamp())
    };
    if let Some(d) = parse_date(v) {
        return Some((local(d.to_datetime(Time::midnight()))?, false));
    }
    if let Ok(dt) = v.parse::<DateTime>() {
        return Some((local(dt)?, true));
    }
    // A date, then a time: "2026-05-01 14.30", "1 maj 2026 kl. 14.30", "1/5 2026 14:30".
    let lower = v.to_lowercase();
    let (date, time) = match lower.find(" kl") {
        Some(at) => (&lower[..at], &lower[at..]),
        None => lower.rsplit_once(' ')?,
    };
    let d = parse_date(date.trim_end_matches(',').trim())?;
    let t = parse_time(time)?;
    Some((local(DateTime::from_parts(d, t))?, true))
}

/// "59,4215" or "59.4215" → 59.4215.
fn number(v: &str) -> Option<f64> {
    let v: String = v.trim().chars().filter(|c| !c.is_whitespace()).collect();
    let v = v.replace('−', "-").replace(',', ".");
    v.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn status_value(v: &str) -> Option<IncidentStatus> {
    if let Ok(s) = IncidentStatus::parse(v) {
        return Some(s);
    }
    Some(match v.trim().to_lowercase().as_str() {
        "ny" => IncidentStatus::New,
        "granskad" => IncidentStatus::Reviewed,
        "stängd" | "avslutad" | "åtgärdad" => IncidentStatus::Closed,
        "avvisad" => IncidentStatus::Rejected,
        "dubblett" => IncidentStatus::Duplicate,
        _ => return None,
    })
}

fn visibility_value(v: &str) -> Option<Visibility> {
    if let Ok(s) = Visibility::parse(v) {
        return Some(s);
    }
    Some(match v.trim().to_lowercase().as_str() {
        "begränsad" | "egen organisation" => Visibility::OwnOrganisation,
        "alla parter" | "parter" => Visibility::AllPartners,
        _ => return None,
    })
}

/// How the file's values are read: columns found, categories by every name they go by.
struct Reader<'a> {
    at: HashMap<Field, usize>,
    columns: &'a [String],
    categories: HashMap<String, CategoryCode>,
    places: HashMap<String, &'a Place>,
    geo: &'a TenantGeo,
    mapping: &'a Mapping,
    tenant: &'a Tenant,
    org: OrgId,
    now: Timestamp,
}

/// An incident read from a row, and how many sensitive strings its text had removed.
pub struct ReadRow {
    pub row: usize,
    pub incident: NewIncident,
    pub redacted: usize,
}

impl Reader<'_> {
    /// The cell of `f` in a row: (column name, trimmed value); none when the file has no such
    /// column or the cell is empty.
    fn cell<'c>(&'c self, cells: &'c [String], f: Field) -> Option<(&'c str, &'c str)> {
        let i = *self.at.get(&f)?;
        let v = cells.get(i).map(|c| c.trim()).unwrap_or("");
        (!v.is_empty()).then(|| (self.columns[i].as_str(), v))
    }

    fn column(&self, f: Field) -> &str {
        self.at
            .get(&f)
            .map(|i| self.columns[*i].as_str())
            .unwrap_or(f.as_str())
    }

    fn read(
        &self,
        row: usize,
        cells: &[String],
        point: Option<(f64, f64)>,
        sweref_geometry: bool,
    ) -> Result<ReadRow, Vec<RowError>> {
        let mut errors = Vec::new();
        // Category.
        let category = match self.cell(cells, Field::Category) {
            None => {
                errors.push(err(
                    row,
                    self.column(Field::Category),
                    "",
                    "import-error-missing",
                    "no value",
                ));
                None
            }
            Some((col, v)) => match self.categories.get(&v.to_lowercase()) {
                Some(c) => Some(c.clone()),
                None => {
                    errors.push(err(
                        row,
                        col,
                        v,
                        "import-error-category",
                        "not a category of the municipality (code or name)",
                    ));
                    None
                }
            },
        };
        // When.
        let mut from = None;
        match self.cell(cells, Field::Date) {
            None => errors.push(err(
                row,
                self.column(Field::Date),
                "",
                "import-error-missing",
                "no value",
            )),
            Some((col, v)) => match parse_instant(v) {
                None => errors.push(err(
                    row,
                    col,
                    v,
                    "import-error-date",
                    "not a date (2026-05-01, 1 maj 2026, 1/5 2026, optionally with a time)",
                )),
                Some((t, has_time)) => from = Some((t, has_time)),
            },
        }
        if let (Some((t, false)), Some((col, v))) = (from, self.cell(cells, Field::Time)) {
            match parse_time(v) {
                None => errors.push(err(
                    row,
                    col,
                    v,
                    "import-error-time",
                    "not a time of day (14:30, 14.30, kl. 14.30)",
                )),
                Some(time) => {
                    let tz = crate::stockholm();
                    let date = t.to_zoned(tz.clone()).date();
                    from = tz
                        .to_ambiguous_zoned(DateTime::from_parts(date, time))
                        .compatible()
                        .ok()
                        .map(|z| (z.timestamp(), true));
                }
            }
        }
        let mut to = None;
        if let Some((col, v)) = self.cell(cells, Field::End) {
            match parse_instant(v) {
                None => errors.push(err(
                    row,
                    col,
                    v,
                    "import-error-date",
                    "not a date (2026-05-01, 1 maj 2026, 1/5 2026, optionally with a time)",
                )),
                Some((t, has_time)) => {
                    to = Some(if has_time { t } else { end_of_day(t) });
                    if let Some((f, _)) = from
                        && to < Some(f)
                    {
                        errors.push(err(
                            row,
                            col,
                            v,
                            "import-error-end-before-start",
                            "ends before it begins",
                        ));
                    }
                }
            }
        }
        if let Some((t, _)) = from
            && t > self.now + jiff::SignedDuration::from_hours(1)
        {
            errors.push(err(
                row,
                self.column(Field::Date),
                &cells
                    .get(self.at[&Field::Date])
                    .cloned()
                    .unwrap_or_default(),
                "import-error-future",
                "in the future",
            ));
        }
        // Where.
        let mut place = None;
        if let Some((col, v)) = self.cell(cells, Field::Place) {
            place = Some((col, v, self.places.get(&v.to_lowercase()).copied()));
        }
        let position = self.position(row, cells, point, sweref_geometry, &mut errors);
        let (lon, lat, precision, place_id) = match (position, &place) {
            (Some((lon, lat)), p) => (
                lon,
                lat,
                Precision::Exact,
                p.and_then(|(_, _, p)| p.map(|p| p.id)),
            ),
            (None, Some((_, _, Some(p)))) => (
                p.lon,
                p.lat,
                if p.kind == PlaceKind::Area {
                    Precision::Area
                } else {
                    Precision::Place
                },
                Some(p.id),
            ),
            (None, _) => {
                if !errors
                    .iter()
                    .any(|e| e.code.starts_with("import-error-coordinate"))
                {
                    errors.push(err(row, self.column(Field::Lat), "", "import-error-no-position", "no position: give lat/lon, E/N (SWEREF 99 TM) or a place the municipality has named"));
                }
                (0.0, 0.0, Precision::Exact, None)
            }
        };
        if position.is_some() && !self.geo.outline.contains(lon, lat) {
            errors.push(err(
                row,
                self.column(Field::Lat),
                &format!("{lat}, {lon}"),
                "import-error-outside",
                "outside the municipality",
            ));
        }
        let visibility = match self.cell(cells, Field::Visibility) {
            None => self
                .mapping
                .visibility
                .unwrap_or(self.tenant.default_visibility),
            Some((col, v)) => visibility_value(v).unwrap_or_else(|| {
                errors.push(err(
                    row,
                    col,
                    v,
                    "import-error-visibility",
                    "not a visibility (own_organisation, all_partners)",
                ));
                Visibility::AllPartners
            }),
        };
        let status = match self.cell(cells, Field::Status) {
            None => self.mapping.status.unwrap_or(IncidentStatus::Reviewed),
            Some((col, v)) => status_value(v).unwrap_or_else(|| {
                errors.push(err(
                    row,
                    col,
                    v,
                    "import-error-status",
                    "not a status (new, reviewed, closed, rejected)",
                ));
                IncidentStatus::Reviewed
            }),
        };
        let raw_text = self
            .cell(cells, Field::Description)
            .map(|(_, v)| v)
            .unwrap_or("");
        let description = match model::Description::parse(raw_text) {
            Ok(d) => d.into_string(),
            Err(_) => {
                errors.push(err(
                    row,
                    self.column(Field::Description),
                    raw_text,
                    "import-error-description",
                    "longer than 4000 characters or with control characters",
                ));
                String::new()
            }
        };
        let url = self
            .cell(cells, Field::Url)
            .map(|(c, v)| (c, v.to_string()));
        if let Some((col, v)) = &url
            && !(v.starts_with("https://") || v.starts_with("http://"))
        {
            errors.push(err(
                row,
                col,
                v,
                "import-error-url",
                "not an http(s) address",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let (from, has_time) = from.expect("checked above");
        let to = to.unwrap_or(if has_time { from } else { end_of_day(from) });
        let clean =
            |v: &str| model::screening::redact_counted(v, crate::fields::stored_placeholder);
        let (description, in_text) = clean(&description);
        let place_text = place.map(|(_, v, _)| clean(v));
        let findings = in_text + place_text.as_ref().map_or(0, |(_, n)| *n);
        let place_text = place_text.map(|(v, _)| v);
        let id = match self.cell(cells, Field::ExternalId) {
            Some((_, v)) => v.to_string(),
            None => {
                let mut h = Sha256::new();
                for c in cells {
                    h.update(c.trim().as_bytes());
                    h.update([0x1f]);
                }
                if let Some((x, y)) = point {
                    h.update(format!("{x},{y}").as_bytes());
                }
                format!(
                    "rad-{}",
                    &data_encoding::HEXLOWER.encode(&h.finalize())[..24]
                )
            }
        };
        let external_id = match &self.mapping.system {
            Some(s) => format!("{s}:{id}"),
            None => id,
        };
        let placed_by = match (&place, precision) {
            (Some((_, _, p)), Precision::Area | Precision::Place) => *p,
            _ => None,
        };
        let area_ids = self.geo.areas_of(lon, lat, placed_by);
        let sweref = geo::to_sweref99tm(lon, lat);
        let inside = self.geo.outline.contains(lon, lat);
        Ok(ReadRow {
            row,
            redacted: findings,
            incident: NewIncident {
                category: category.expect("checked above"),
                occurred_from: from,
                occurred_to: to,
                lon,
                lat,
                e: sweref.e,
                n: sweref.n,
                precision,
                place_id,
                area_ids,
                place_text,
                municipality_code: inside.then(|| self.tenant.code.clone()),
                description,
                school_id: None,
                persons_involved: None,
                visibility,
                status,
                source: Source::ImportCsv,
                external_id: Some(external_id),
                external_url: url.map(|(_, v)| v),
                org_id: self.org,
                user_id: None,
                created_at: self.now,
                same_as: None,
            },
        })
    }

    /// The row's point in WGS84, from lat/lon, E/N or the GeoJSON geometry.
    fn position(
        &self,
        row: usize,
        cells: &[String],
        point: Option<(f64, f64)>,
        sweref_geometry: bool,
        errors: &mut Vec<RowError>,
    ) -> Option<(f64, f64)> {
        let pair = |a: Field, b: Field, errors: &mut Vec<RowError>| -> Option<(f64, f64, String)> {
            let (ca, va) = self.cell(cells, a)?;
            let Some((cb, vb)) = self.cell(cells, b) else {
                errors.push(err(
                    row,
                    self.column(b),
                    "",
                    "import-error-coordinate-missing",
                    "the other coordinate is missing",
                ));
                return None;
            };
            match (number(va), number(vb)) {
                (Some(x), Some(y)) => Some((x, y, format!("{va}; {vb}"))),
                (None, _) => {
                    errors.push(err(
                        row,
                        ca,
                        va,
                        "import-error-coordinate-number",
                        "not a number",
                    ));
                    None
                }
                (_, None) => {
                    errors.push(err(
                        row,
                        cb,
                        vb,
                        "import-error-coordinate-number",
                        "not a number",
                    ));
                    None
                }
            }
        };
        let before = errors.len();
        if let Some((lat, lon, text)) = pair(Field::Lat, Field::Lon, errors) {
            if (10.0..=25.0).contains(&lat) && (55.0..=70.0).contains(&lon) {
                errors.push(err(
                    row,
                    self.column(Field::Lat),
                    &text,
                    "import-error-coordinate-swapped",
                    "latitude and longitude look swapped",
                ));
                return None;
            }
            if !(55.0..=70.0).contains(&lat) || !(10.0..=25.0).contains(&lon) {
                errors.push(err(
                    row,
                    self.column(Field::Lat),
                    &text,
                    "import-error-coordinate-sweden",
                    "not a WGS84 position in Sweden",
                ));
                return None;
            }
            return Some((lon, lat));
        }
        if errors.len() > before {
            return None;
        }
        if let Some((a, b, text)) = pair(Field::E, Field::N, errors) {
            return self.sweref(row, a, b, &text, errors);
        }
        if errors.len() > before {
            return None;
        }
        let (x, y) = point?;
        if sweref_geometry {
            return self.sweref(row, x, y, &format!("{x}, {y}"), errors);
        }
        if !(55.0..=70.0).contains(&y) || !(10.0..=25.0).contains(&x) {
            errors.push(err(
                row,
                "geometry",
                &format!("{x}, {y}"),
                "import-error-coordinate-sweden",
                "not a WGS84 position in Sweden",
            ));
            return None;
        }
        Some((x, y))
    }

    /// SWEREF 99 TM easting and northing, in either order (a northing is in the millions).
    fn sweref(
        &self,
        row: usize,
        a: f64,
        b: f64,
        text: &str,
        errors: &mut Vec<RowError>,
    ) -> Option<(f64, f64)> {
        let (e, n) = if a > 6_000_000.0 && b < 1_000_000.0 {
            (b, a)
        } else {
            (a, b)
        };
        if !(200_000.0..=1_000_000.0).contains(&e) || !(6_100_000.0..=7_700_000.0).contains(&n) {
            errors.push(err(
                row,
                self.column(Field::E),
                text,
                "import-error-coordinate-sweden",
                "not a SWEREF 99 TM position in Sweden",
            ));
            return None;
        }
        Some(geo::from_sweref99tm(geo::Sweref99Tm { e, n }))
    }
}

fn end_of_day(t: Timestamp) -> Timestamp {
    let tz = crate::stockholm();
    let date = t.to_zoned(tz.clone()).date();
    tz.to_ambiguous_zoned(date.to_datetime(Time::new(23, 59, 59, 0).expect("valid")))
        .compatible()
        .map(|z| z.timestamp())
        .unwrap_or(t)
}

/// What reading a file found: the incidents of its good rows and every bad row's problems.
#[derive(Default)]
pub struct Parsed {
    pub columns: Vec<String>,
    /// Which column each field was read from.
    pub used: Vec<(Field, String)>,
    pub rows: usize,
    pub good: Vec<ReadRow>,
    pub errors: Vec<RowError>,
    /// Rows with at least one error.
    pub bad_rows: usize,
    /// Personal identity numbers, phone numbers and e-mail addresses replaced in the text.
    pub redacted: usize,
}

fn normal(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Reads and checks every row of a file for `tenant`, storing nothing. `progress` is told
/// the rows read so far.
#[allow(clippy::too_many_arguments)]
pub fn parse(
    bytes: &[u8],
    format: Format,
    mapping: &Mapping,
    tenant: &Tenant,
    categories: &[Category],
    places: &[Place],
    org: OrgId,
    now: Timestamp,
    mut progress: impl FnMut(usize, usize),
) -> Result<Parsed, ImportError> {
    let text = decode(bytes);
    let table = match format {
        Format::Csv => read_csv(&text)?,
        Format::GeoJson => read_geojson(&text)?,
    };
    let found = table.columns.join(", ");
    let mut at = HashMap::new();
    for (f, name) in &mapping.columns {
        let i = table
            .columns
            .iter()
            .position(|c| normal(c) == normal(name))
            .ok_or_else(|| ImportError::UnknownColumn(name.clone(), f.as_str(), found.clone()))?;
        at.insert(*f, i);
    }
    for f in Field::ALL {
        if at.contains_key(&f) {
            continue;
        }
        if let Some(i) = table.columns.iter().position(|c| {
            let c = normal(c);
            f.names().contains(&c.as_str()) && !at.values().any(|v| table.columns[*v] == c)
        }) && !at.values().any(|&v| v == i)
        {
            at.insert(f, i);
        }
    }
    if !at.contains_key(&Field::Category) {
        return Err(ImportError::MissingColumn("category (kategori)", found));
    }
    if !at.contains_key(&Field::Date) {
        return Err(ImportError::MissingColumn("date (datum)", found));
    }
    let has_position = at.contains_key(&Field::Lat)
        || at.contains_key(&Field::E)
        || at.contains_key(&Field::Place)
        || table.rows.iter().any(|r| r.2.is_some());
    if !has_position {
        return Err(ImportError::MissingColumn(
            "the position (lat and lon, E and N, or plats)",
            found,
        ));
    }
    let mut names: HashMap<String, CategoryCode> = HashMap::new();
    for c in categories.iter().filter(|c| !c.retired) {
        names.insert(c.code.as_str().to_string(), c.code.clone());
        names.insert(normal(&c.name_sv), c.code.clone());
        names.insert(normal(&c.name_en), c.code.clone());
    }
    for (value, code) in &mapping.categories {
        let c = categories
            .iter()
            .find(|c| c.code.as_str() == code && !c.retired)
            .ok_or_else(|| ImportError::UnknownCode {
                what: format!("category {value:?}"),
                value: code.clone(),
            })?;
        names.insert(normal(value), c.code.clone());
    }
    let geo = TenantGeo::new(tenant, places.to_vec())
        .map_err(|e| ImportError::Geometry(e.to_string()))?;
    let place_names = places.iter().map(|p| (normal(&p.name), p)).collect();
    let reader = Reader {
        at,
        columns: &table.columns,
        categories: names,
        places: place_names,
        geo: &geo,
        mapping,
        tenant,
        org,
        now,
    };
    let mut out = Parsed {
        columns: table.columns.clone(),
        rows: table.rows.len(),
        ..Default::default()
    };
    let mut used: Vec<(Field, String)> = reader
        .at
        .iter()
        .map(|(f, i)| (*f, table.columns[*i].clone()))
        .collect();
    used.sort_by_key(|(f, _)| Field::ALL.iter().position(|g| g == f));
    out.used = used;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let total = table.rows.len();
    for (k, (row, cells, point)) in table.rows.iter().enumerate() {
        if k % 1000 == 0 {
            progress(k, total);
        }
        match reader.read(*row, cells, *point, table.sweref_geometry) {
            Ok(r) => {
                let id = r.incident.external_id.clone().unwrap_or_default();
                if seen.insert(id.clone(), *row).is_some() {
                    out.bad_rows += 1;
                    if out.errors.len() < MAX_ERRORS {
                        out.errors.push(RowError {
                            row: *row,
                            column: reader.column(Field::ExternalId).to_string(),
                            value: id,
                            code: "import-error-duplicate-id",
                            reason: "the same id as an earlier row",
                        });
                    }
                    continue;
                }
                out.redacted += r.redacted;
                out.good.push(r);
            }
            Err(errors) => {
                out.bad_rows += 1;
                let room = MAX_ERRORS.saturating_sub(out.errors.len());
                out.errors.extend(errors.into_iter().take(room));
            }
        }
    }
    progress(total, total);
    Ok(out)
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Outcome {
    pub rows: usize,
    pub bad_rows: usize,
    pub stored: ImportCounts,
    pub redacted: usize,
}

/// Stores the good rows of `parsed` (all of them or, with `StoreNothing`, none when any row
/// is bad) in chunks of [`CHUNK`], tells `progress` the rows stored so far, and writes an
/// audit row naming the file, its SHA-256, who imported it and what came of it.
#[allow(clippy::too_many_arguments)]
pub async fn store(
    store: &dyn Store,
    tenant: &Tenant,
    parsed: Parsed,
    on_error: OnError,
    file_name: &str,
    file_bytes: &[u8],
    by: Option<UserId>,
    now: Timestamp,
    mut progress: impl FnMut(usize, usize),
) -> Result<Outcome, ImportError> {
    if parsed.bad_rows > 0 && on_error == OnError::StoreNothing {
        return Err(ImportError::Rejected(parsed.errors));
    }
    let mut outcome = Outcome {
        rows: parsed.rows,
        bad_rows: parsed.bad_rows,
        redacted: parsed.redacted,
        ..Default::default()
    };
    let total = parsed.good.len();
    let incidents: Vec<NewIncident> = parsed.good.into_iter().map(|r| r.incident).collect();
    for (k, chunk) in incidents.chunks(CHUNK).enumerate() {
        progress(k * CHUNK, total);
        let c = store.import_incidents(tenant.id, chunk).await?;
        outcome.stored.inserted += c.inserted;
        outcome.stored.updated += c.updated;
        outcome.stored.unchanged += c.unchanged;
    }
    progress(total, total);
    let digest = data_encoding::HEXLOWER.encode(&Sha256::digest(file_bytes));
    store
        .append_audit(
            tenant.id,
            &NewAudit {
                at: now,
                user_id: by,
                action: "import.file".into(),
                entity: "import".into(),
                entity_id: digest[..16].to_string(),
                before: None,
                after: Some(
                    serde_json::json!({
                        "file": file_name,
                        "sha256": digest,
                        "rows": outcome.rows,
                        "bad_rows": outcome.bad_rows,
                        "inserted": outcome.stored.inserted,
                        "updated": outcome.stored.updated,
                        "unchanged": outcome.stored.unchanged,
                        "redacted": outcome.redacted,
                    })
                    .to_string(),
                ),
            },
        )
        .await?;
    Ok(outcome)
}
