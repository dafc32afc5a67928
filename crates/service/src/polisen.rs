//! Import of the Swedish Police Authority's public events (`/api/events` format, one JSON
//! object per line, optionally gzip-compressed). See `shared/data/polisen/README.md` for the
//! format's traps, all handled here:
//!
//! * `datetime` is the publication time with an unpadded hour and a changing offset;
//! * the time the event happened is only in `name` ("22 augusti 17.59, Brand, Kävlinge"), without
//!   a year and with `:` or `.` between hours and minutes;
//! * from 2026 `location.name` is the county, so the municipality is the last part of `name`;
//! * `location.gps` is a municipality's or county's centre, never the event's place: imported
//!   events are coarse (precision = municipality) and drawn as the municipality;
//! * summaries (`Sammanfattning natt`, …) are not events and are skipped, and counted;
//! * some `type`s have trailing spaces.
//!
//! Importing is idempotent by the police's event id.

use jiff::{Timestamp, civil::Date, civil::DateTime, civil::Time};
use model::{CategoryCode, IncidentStatus, Precision, Source, Visibility};
use serde::Deserialize;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use store::{ImportCounts, NewIncident, OrgId, Store, StoreError, Tenant};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: field {field}: {reason} (value {value:?})")]
pub struct LineError {
    pub line: usize,
    pub field: &'static str,
    pub value: String,
    pub reason: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no municipality with code {0} in the shipped boundaries")]
    UnknownMunicipality(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Deserialize)]
struct RawLocation {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct RawEvent {
    id: i64,
    datetime: String,
    name: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    url: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    location: Option<RawLocation>,
}

/// One police event, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct PoliceEvent {
    pub id: i64,
    pub published: Timestamp,
    pub happened: Timestamp,
    /// `type`, trimmed.
    pub kind: String,
    /// The municipality (or county) named last in `name`.
    pub place: String,
    pub summary: String,
    pub url: String,
}

impl PoliceEvent {
    pub fn is_summary(&self) -> bool {
        self.kind.starts_with("Sammanfattning")
    }
}

/// The months' Swedish names, January first (also read by `import`).
pub const MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
];

fn err(line: usize, field: &'static str, value: &str, reason: &'static str) -> LineError {
    LineError {
        line,
        field,
        value: value.chars().take(120).collect(),
        reason,
    }
}

/// "2023-03-21 6:38:00 +01:00" → instant.
fn parse_published(v: &str) -> Option<Timestamp> {
    let mut parts = v.split_whitespace();
    let (date, time, offset) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let mut hms = time.split(':');
    let (h, m, s) = (hms.next()?, hms.next()?, hms.next()?);
    let text = format!("{date}T{:0>2}:{m}:{s}{offset}", h);
    text.parse().ok()
}

/// "22 augusti 17.59" (or "17:59"), in the year that makes it the latest such time not after
/// `published` (plus a day of slack) → instant in Swedish time.
fn parse_happened(head: &str, published: Timestamp) -> Option<Timestamp> {
    let mut parts = head.split_whitespace();
    let day: i8 = parts.next()?.parse().ok()?;
    let month_name = parts.next()?.to_lowercase();
    let month = MONTHS.iter().position(|m| *m == month_name)? as i8 + 1;
    let time = parts.next()?.replace('.', ":");
    if parts.next().is_some() {
        return None;
    }
    let (h, m) = time.split_once(':')?;
    let time = Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()?;
    let tz = crate::stockholm();
    let pub_year = published.to_zoned(tz.clone()).year();
    for year in [pub_year, pub_year - 1] {
        let Ok(date) = Date::new(year, month, day) else {
            continue;
        };
        let t = tz
            .to_ambiguous_zoned(DateTime::from_parts(date, time))
            .compatible()
            .ok()?
            .timestamp();
        // An event is published after it happens (a day of slack for odd clocks).
        if t <= published + jiff::SignedDuration::from_hours(24) {
            return Some(t);
        }
    }
    None
}

pub fn parse_line(text: &str, line: usize) -> Result<PoliceEvent, LineError> {
    let raw: RawEvent = serde_json::from_str(text)
        .map_err(|_| err(line, "(line)", text, "not a police event JSON object"))?;
    parse_raw(raw, line)
}

/// The live API's answer (`/api/events`): a JSON array of events. `line` in an error is the
/// event's place in the array, counted from 1.
pub fn read_answer(body: &str, municipality: &str) -> Result<ReadReport, LineError> {
    let items: Vec<serde_json::Value> = serde_json::from_str(body)
        .map_err(|_| err(0, "(answer)", body, "not a JSON array of police events"))?;
    let mut report = ReadReport::default();
    for (i, item) in items.into_iter().enumerate() {
        report.lines += 1;
        let text = item.to_string();
        let parsed = serde_json::from_value::<RawEvent>(item)
            .map_err(|_| err(i + 1, "(event)", &text, "not a police event JSON object"))
            .and_then(|raw| parse_raw(raw, i + 1));
        sort(&mut report, parsed, municipality);
    }
    Ok(report)
}

fn sort(report: &mut ReadReport, parsed: Result<PoliceEvent, LineError>, municipality: &str) {
    match parsed {
        Err(e) => report.errors.push(e),
        Ok(ev) if ev.place != municipality => report.other_places += 1,
        Ok(ev) if ev.is_summary() => report.summaries_skipped += 1,
        Ok(ev) => report.events.push(ev),
    }
}

fn parse_raw(raw: RawEvent, line: usize) -> Result<PoliceEvent, LineError> {
    let published = parse_published(&raw.datetime)
        .ok_or_else(|| err(line, "datetime", &raw.datetime, "not a date and time"))?;
    let (head, rest) = raw.name.split_once(',').ok_or_else(|| {
        err(
            line,
            "name",
            &raw.name,
            "expected \"day month time, type, place\"",
        )
    })?;
    let happened = parse_happened(head, published).ok_or_else(|| {
        err(
            line,
            "name",
            &raw.name,
            "no valid \"day month hh.mm\" at the start",
        )
    })?;
    let mut place = rest.rsplit(',').next().unwrap_or("").trim().to_string();
    if place.is_empty() {
        // A few names end in ", " with no place; then `location.name` is all there is.
        place = raw
            .location
            .map(|l| l.name.trim().to_string())
            .unwrap_or_default();
    }
    if place.is_empty() {
        return Err(err(
            line,
            "name",
            &raw.name,
            "no place after the last comma",
        ));
    }
    Ok(PoliceEvent {
        id: raw.id,
        published,
        happened,
        kind: raw.kind.trim().to_string(),
        place,
        summary: raw.summary.trim().to_string(),
        url: raw.url,
    })
}

/// Maps the police's event type to an EST default category.
pub fn category_for(kind: &str) -> &'static str {
    let k = kind.to_lowercase();
    let has = |s: &str| k.contains(s);
    if has("skadegörelse") {
        "skadegorelse"
    } else if has("brand") {
        "skadegorelse-brand"
    } else if has("narkotika") {
        "narkotika"
    } else if has("inbrott") || has("stöld") || has("snatteri") || has("häleri") {
        "inbrott-stold"
    } else if has("misshandel")
        || has("hot")
        || has("våld")
        || has("rån")
        || has("mord")
        || has("dråp")
        || has("skottlossning")
        || has("sprängning")
        || has("knivlagen")
        || has("vapenlagen")
        || has("olaga")
    {
        "hot-vald"
    } else if has("ordningslagen")
        || has("fylleri")
        || has("bråk")
        || has("ofredande")
        || has("störning")
        || has("alkohollagen")
        || has("ordning")
    {
        "ordningsstorning"
    } else if has("trafik") || has("rattfylleri") || has("olovlig körning") || has("fordon") {
        "trafik"
    } else {
        "annat"
    }
}

/// What reading a file found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ReadReport {
    pub lines: usize,
    /// Events of the requested municipality, summaries excluded.
    pub events: Vec<PoliceEvent>,
    pub summaries_skipped: usize,
    pub other_places: usize,
    pub errors: Vec<LineError>,
}

/// Reads every line; keeps the events whose place is `municipality`.
pub fn read_events(reader: impl BufRead, municipality: &str) -> std::io::Result<ReadReport> {
    let mut report = ReadReport::default();
    for (i, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        report.lines += 1;
        sort(&mut report, parse_line(&line, i + 1), municipality);
    }
    Ok(report)
}

pub fn open(path: &Path) -> Result<Box<dyn BufRead>, ImportError> {
    let io = |source| ImportError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut magic = [0u8; 2];
    let n = file.read(&mut magic).map_err(io)?;
    let file = std::fs::File::open(path).map_err(io)?;
    Ok(if n == 2 && magic == [0x1f, 0x8b] {
        Box::new(BufReader::new(flate2::read::GzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportSummary {
    pub read: ReadReport,
    pub stored: ImportCounts,
}

/// Imports the events of the tenant's municipality (tenant code = municipality code) from a
/// file, as coarse incidents reported by `police_org`.
pub async fn import_file(
    store: &dyn Store,
    tenant: &Tenant,
    police_org: OrgId,
    path: &Path,
    now: Timestamp,
) -> Result<ImportSummary, ImportError> {
    let m = crate::municipality(&tenant.code)
        .ok_or_else(|| ImportError::UnknownMunicipality(tenant.code.clone()))?;
    let reader = open(path)?;
    let read = read_events(reader, &m.name).map_err(|source| ImportError::Io {
        path: path.display().to_string(),
        source,
    })?;
    import_read(store, tenant, police_org, read, now).await
}

/// Stores what was read (a file, or an answer of the live API) for the tenant's municipality.
pub async fn import_read(
    store: &dyn Store,
    tenant: &Tenant,
    police_org: OrgId,
    read: ReadReport,
    now: Timestamp,
) -> Result<ImportSummary, ImportError> {
    let m = crate::municipality(&tenant.code)
        .ok_or_else(|| ImportError::UnknownMunicipality(tenant.code.clone()))?;
    let mut read = read;
    // An event answered twice (two months' answers overlap at the edge; a newer version of
    // it was published) is stored once, as its newest version.
    read.events
        .sort_by_key(|e| (e.id, std::cmp::Reverse(e.published)));
    read.events.dedup_by_key(|e| e.id);
    let (lon, lat) = m.outline.representative_point();
    let sweref = geo::to_sweref99tm(lon, lat);
    let incidents: Vec<NewIncident> = read
        .events
        .iter()
        .map(|ev| NewIncident {
            category: CategoryCode::parse(category_for(&ev.kind)).expect("mapped codes are valid"),
            occurred_from: ev.happened,
            occurred_to: ev.happened,
            lon,
            lat,
            e: sweref.e,
            n: sweref.n,
            precision: Precision::Municipality,
            place_id: None,
            area_ids: vec![],
            place_text: Some(m.name.clone()),
            municipality_code: Some(m.code.clone()),
            description: format!("{}: {}", ev.kind, ev.summary),
            school_id: None,
            persons_involved: None,
            visibility: Visibility::AllPartners,
            status: IncidentStatus::Reviewed,
            source: Source::ImportPolisen,
            external_id: Some(ev.id.to_string()),
            external_url: (!ev.url.is_empty()).then(|| format!("https://polisen.se{}", ev.url)),
            org_id: police_org,
            user_id: None,
            created_at: now.min(ev.published.max(ev.happened)),
            same_as: None,
        })
        .collect();
    let stored = store.import_incidents(tenant.id, &incidents).await?;
    Ok(ImportSummary { read, stored })
}

/// The county (län) of a municipality code, as the police name it in `location.name` since
/// 2026.
pub fn county_name(municipality_code: &str) -> Option<&'static str> {
    Some(match municipality_code.get(..2)? {
        "01" => "Stockholms län",
        "03" => "Uppsala län",
        "04" => "Södermanlands län",
        "05" => "Östergötlands län",
        "06" => "Jönköpings län",
        "07" => "Kronobergs län",
        "08" => "Kalmar län",
        "09" => "Gotlands län",
        "10" => "Blekinge län",
        "12" => "Skåne län",
        "13" => "Hallands län",
        "14" => "Västra Götalands län",
        "17" => "Värmlands län",
        "18" => "Örebro län",
        "19" => "Västmanlands län",
        "20" => "Dalarnas län",
        "21" => "Gävleborgs län",
        "22" => "Västernorrlands län",
        "23" => "Jämtlands län",
        "24" => "Västerbottens län",
        "25" => "Norrbottens län",
        _ => return None,
    })
}

/// The months (`YYYY-MM`, the API's `DateTime` filter) an incremental fetch asks for: from
/// the month of the newest event already stored (it may have more events since) to this
/// month; the last two months when none is stored. At most 24.
pub fn months_to_fetch(newest: Option<Timestamp>, now: Timestamp) -> Vec<String> {
    let tz = crate::stockholm();
    let this = now.to_zoned(tz.clone()).date().first_of_month();
    let first = match newest {
        Some(t) => t.to_zoned(tz).date(),
        None => this
            .checked_sub(jiff::Span::new().months(1))
            .unwrap_or(this),
    };
    months_from(first, now, 24)
}

/// The months from the one of `first` to the one of `now`, at most `cap` (the latest ones).
pub fn months_from(first: Date, now: Timestamp, cap: i64) -> Vec<String> {
    let this = now.to_zoned(crate::stockholm()).date().first_of_month();
    let first = first.first_of_month().min(this);
    let first = first.max(
        this.checked_sub(jiff::Span::new().months(cap - 1))
            .unwrap_or(first),
    );
    let mut out = Vec::new();
    let mut m = first;
    while m <= this {
        out.push(m.strftime("%Y-%m").to_string());
        match m.checked_add(jiff::Span::new().months(1)) {
            Ok(next) => m = next,
            Err(_) => break,
        }
    }
    out
}

/// When the newest police event stored for the tenant happened.
pub async fn newest_imported(
    store: &dyn Store,
    tenant: &Tenant,
) -> Result<Option<Timestamp>, StoreError> {
    let actor = crate::lagesbild::view(tenant.id, None, crate::lagesbild::Level::Restricted);
    let rows = store
        .incident_points(
            &actor,
            &store::IncidentFilter {
                source: Some(Source::ImportPolisen),
                ..Default::default()
            },
            1,
        )
        .await?;
    Ok(rows.first().map(|p| p.occurred_from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_record_with_the_traps() {
        let line = r#"{"id": 419342, "datetime": "2023-04-11 3:24:01 +02:00", "name": "11 april 00:37, Brand, Kungsör", "summary": "Ung man gripen för mordbrand på HVB-hem.", "url": "/aktuellt/handelser/2023/april/11/11-april-0037-brand-kungsor/", "type": "Brand ", "location": {"name": "Kungsör", "gps": "59.422397,16.097786"}}"#;
        let ev = parse_line(line, 1).unwrap();
        assert_eq!(ev.id, 419342);
        assert_eq!(ev.published, t("2023-04-11T01:24:01Z"));
        assert_eq!(ev.happened, t("2023-04-10T22:37:00Z"), "00:37 summer time");
        assert_eq!(ev.kind, "Brand");
        assert_eq!(ev.place, "Kungsör");
        assert_eq!(category_for(&ev.kind), "skadegorelse-brand");
    }

    #[test]
    fn dot_separator_county_location_and_new_year() {
        let line = r#"{"id": 1, "datetime": "2026-01-01 2:10:00 +01:00", "name": "31 december 23.50, Misshandel, Kungsör", "summary": "x", "url": "", "type": "Misshandel", "location": {"name": "Västmanlands län", "gps": "59.6,16.5"}}"#;
        let ev = parse_line(line, 7).unwrap();
        assert_eq!(
            ev.happened,
            t("2025-12-31T22:50:00Z"),
            "the year before publication"
        );
        assert_eq!(ev.place, "Kungsör", "taken from the name, not location");
        assert_eq!(category_for(&ev.kind), "hot-vald");
    }

    #[test]
    fn a_name_without_place_falls_back_to_location() {
        let line = r#"{"id": 2, "datetime": "2025-05-20 14:00:00 +02:00", "name": "20 maj 13.09, Trafikkontroll, ", "summary": "", "url": "", "type": "Trafikkontroll", "location": {"name": "Kungsör", "gps": "59.4,16.1"}}"#;
        assert_eq!(parse_line(line, 1).unwrap().place, "Kungsör");
        let none = r#"{"id": 2, "datetime": "2025-05-20 14:00:00 +02:00", "name": "20 maj 13.09, Trafikkontroll, ", "type": "Trafikkontroll"}"#;
        assert_eq!(parse_line(none, 9).unwrap_err().field, "name");
    }

    #[test]
    fn errors_name_line_field_and_value() {
        let e = parse_line("{not json", 3).unwrap_err();
        assert_eq!((e.line, e.field), (3, "(line)"));
        let bad_name = r#"{"id": 1, "datetime": "2026-01-01 2:10:00 +01:00", "name": "igår, Brand, Kungsör", "type": "Brand"}"#;
        let e = parse_line(bad_name, 4).unwrap_err();
        assert_eq!((e.line, e.field), (4, "name"));
        assert!(e.to_string().contains("igår"));
        let bad_time = r#"{"id": 1, "datetime": "yesterday", "name": "1 maj 10.00, Brand, Kungsör", "type": "Brand"}"#;
        assert_eq!(parse_line(bad_time, 5).unwrap_err().field, "datetime");
    }

    #[test]
    fn the_api_answer_is_an_array_and_months_are_incremental() {
        let answer = r#"[{"id": 1, "datetime": "2026-05-20 9:10:00 +02:00", "name": "20 maj 08.50, Brand, Kungsör", "summary": "s", "url": "/a/", "type": "Brand", "location": {"name": "Västmanlands län", "gps": "59.6,16.5"}},
            {"id": 2, "datetime": "2026-05-20 9:10:00 +02:00", "name": "20 maj 08.50, Brand, Köping", "type": "Brand"},
            {"id": 3, "datetime": "2026-05-20 23:10:00 +02:00", "name": "Sammanfattning natt, Kungsör", "type": "Sammanfattning natt"},
            {"id": "x"}]"#;
        let r = read_answer(answer, "Kungsör").unwrap();
        assert_eq!((r.lines, r.events.len(), r.other_places), (4, 1, 1));
        assert_eq!(r.errors.len(), 2, "{:?}", r.errors);
        assert_eq!(r.errors.last().unwrap().line, 4);
        assert!(read_answer("<html>", "Kungsör").is_err());
        assert_eq!(county_name("1960"), Some("Västmanlands län"));
        assert_eq!(county_name("0180"), Some("Stockholms län"));
        let now = t("2026-12-04T10:00:00Z");
        assert_eq!(months_to_fetch(None, now), vec!["2026-11", "2026-12"]);
        assert_eq!(
            months_to_fetch(Some(t("2026-09-30T23:30:00Z")), now),
            vec!["2026-10", "2026-11", "2026-12"],
            "in Swedish time the event was in October"
        );
        assert_eq!(
            months_to_fetch(Some(t("2020-01-01T00:00:00Z")), now).len(),
            24
        );
    }

    #[test]
    fn the_real_file_has_46_kungsor_events() {
        let path = crate::shared_data("data/polisen/events-2022-09-to-2026-08.jsonl.gz");
        let report = read_events(open(&path).unwrap(), "Kungsör").unwrap();
        assert_eq!(report.lines, 85_011);
        assert!(
            report.errors.is_empty(),
            "{:?}",
            &report.errors[..report.errors.len().min(5)]
        );
        assert_eq!(
            report.lines,
            report.events.len() + report.summaries_skipped + report.other_places
        );
        let summaries = report.events.iter().filter(|e| e.is_summary()).count();
        assert_eq!(summaries, 0);
        assert_eq!(report.events.len() + report.summaries_skipped, 46);
        assert!(
            report
                .events
                .iter()
                .all(|e| e.happened <= e.published + jiff::SignedDuration::from_hours(24))
        );
        assert!(
            report
                .events
                .iter()
                .any(|e| e.happened > t("2026-01-01T00:00:00Z")),
            "2026 events (county location) found"
        );
    }
}
