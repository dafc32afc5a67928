//! The incident filter shared by the list page and the API, parsed from the query string.

use jiff::{Timestamp, ToSpan, tz::TimeZone};
use model::{CategoryCode, FieldError, IncidentStatus, Source};
use serde::{Deserialize, Serialize};
use store::{Cursor, IncidentFilter, Sort};

/// Query parameters, as typed (kept as text so a form can show them back).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub from: String,
    pub to: String,
    pub category: String,
    pub area: String,
    pub org: String,
    pub status: String,
    pub source: String,
    pub sort: String,
    pub page: String,
    pub bbox: String,
    pub limit: String,
    pub cursor: String,
    /// Free text searched for in the description and the place's text.
    pub q: String,
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// A date (YYYY-MM-DD, local) or an RFC 3339 instant. `end` makes a date mean the end of that
/// day, so "to=2026-11-27" includes the 27th.
pub(crate) fn parse_bound(
    field: &str,
    v: &str,
    end: bool,
    tz: &TimeZone,
    errors: &mut Vec<FieldError>,
) -> Option<Timestamp> {
    if blank(v) {
        return None;
    }
    if let Some(t) = model::dates::instant(v) {
        return Some(t);
    }
    match model::dates::date(v).ok_or(()) {
        Ok(d) => {
            let d = if end { d.checked_add(1.day()).ok()? } else { d };
            tz.to_ambiguous_zoned(d.to_datetime(jiff::civil::Time::midnight()))
                .compatible()
                .ok()
                .map(|z| z.timestamp())
        }
        Err(_) => {
            errors.push(FieldError::new(field, "error-date", v));
            None
        }
    }
}

fn parse_id(field: &str, v: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    if blank(v) {
        return None;
    }
    match v.trim().parse::<i64>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            errors.push(FieldError::new(field, "error-invalid-choice", v));
            None
        }
    }
}

/// The filters of a query for the API: what parses, and the errors of what does not appended
/// to `errors` (the caller answers 422 with all of them at once).
pub fn filter_or_errors(p: &ListParams, errors: &mut Vec<FieldError>) -> IncidentFilter {
    match parse_filter(p, &service::stockholm()) {
        Ok((f, _)) => f,
        Err(e) => {
            errors.extend(e);
            IncidentFilter::default()
        }
    }
}

/// An optional number parameter in `lo..=hi` (`default` when absent); anything else is an
/// `error-invalid-choice` on `field`.
pub fn number_in(
    v: Option<&str>,
    field: &'static str,
    (lo, hi): (f64, f64),
    default: f64,
    errors: &mut Vec<FieldError>,
) -> f64 {
    match v.map(|s| s.trim().parse::<f64>()) {
        None => default,
        Some(Ok(x)) if (lo..=hi).contains(&x) => x,
        _ => {
            errors.push(FieldError::new(
                field,
                "error-invalid-choice",
                v.unwrap_or_default(),
            ));
            default
        }
    }
}

pub fn parse_filter(
    p: &ListParams,
    tz: &TimeZone,
) -> Result<(IncidentFilter, Sort), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut f = IncidentFilter {
        from: parse_bound("from", &p.from, false, tz, &mut errors),
        to: parse_bound("to", &p.to, true, tz, &mut errors),
        area_id: parse_id("area", &p.area, &mut errors),
        org_id: parse_id("org", &p.org, &mut errors),
        ..Default::default()
    };
    if !blank(&p.category) {
        match CategoryCode::parse(&p.category) {
            Ok(c) => f.category = Some(c),
            Err(_) => errors.push(FieldError::new(
                "category",
                "error-invalid-choice",
                &p.category,
            )),
        }
    }
    if !blank(&p.status) {
        match IncidentStatus::parse(&p.status) {
            Ok(s) => f.status = Some(s),
            Err(_) => errors.push(FieldError::new("status", "error-invalid-choice", &p.status)),
        }
    }
    if !blank(&p.source) {
        match Source::parse(&p.source) {
            Ok(s) => f.source = Some(s),
            Err(_) => errors.push(FieldError::new("source", "error-invalid-choice", &p.source)),
        }
    }
    if !blank(&p.q) {
        let q = p.q.trim();
        if q.chars().count() > 100 || q.chars().any(char::is_control) {
            errors.push(FieldError::new(
                "q",
                "error-search",
                q.chars().take(40).collect::<String>(),
            ));
        } else {
            f.text = Some(q.to_string());
        }
    }
    if !blank(&p.bbox) {
        let nums: Vec<Option<f64>> = p
            .bbox
            .split(',')
            .map(|x| x.trim().parse::<f64>().ok())
            .collect();
        match nums.as_slice() {
            [Some(w), Some(s), Some(e), Some(n)]
                if w <= e
                    && s <= n
                    && (-180.0..=180.0).contains(w)
                    && (-180.0..=180.0).contains(e)
                    && (-90.0..=90.0).contains(s)
                    && (-90.0..=90.0).contains(n) =>
            {
                f.bbox = Some([*w, *s, *e, *n])
            }
            _ => errors.push(FieldError::new("bbox", "error-bbox", &p.bbox)),
        }
    }
    let sort = if blank(&p.sort) {
        Sort::default()
    } else {
        match Sort::parse(p.sort.trim()) {
            Some(s) => s,
            None => {
                errors.push(FieldError::new("sort", "error-invalid-choice", &p.sort));
                Sort::default()
            }
        }
    };
    if errors.is_empty() {
        Ok((f, sort))
    } else {
        Err(errors)
    }
}

pub fn parse_limit(p: &ListParams, default: u32, max: u32) -> Result<u32, FieldError> {
    if blank(&p.limit) {
        return Ok(default);
    }
    match p.limit.trim().parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(FieldError::new("limit", "error-limit", &p.limit)),
    }
}

/// Cursors are "<occurred seconds>_<id>": opaque to clients, stable, and need no server state.
pub fn parse_cursor(p: &ListParams) -> Result<Option<Cursor>, FieldError> {
    if blank(&p.cursor) {
        return Ok(None);
    }
    let bad = || FieldError::new("cursor", "error-cursor", &p.cursor);
    let (secs, id) = p.cursor.trim().split_once('_').ok_or_else(bad)?;
    let secs: i64 = secs.parse().map_err(|_| bad())?;
    let id: i64 = id.parse().map_err(|_| bad())?;
    Ok(Some(Cursor {
        occurred_from: Timestamp::from_second(secs).map_err(|_| bad())?,
        id,
    }))
}

pub fn format_cursor(c: &Cursor) -> String {
    format!("{}_{}", c.occurred_from.as_second(), c.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz() -> TimeZone {
        TimeZone::get("Europe/Stockholm").unwrap()
    }

    #[test]
    fn dates_are_local_days_and_to_is_inclusive() {
        let p = ListParams {
            from: "2026-11-01".into(),
            to: "2026-11-30".into(),
            category: "trafik".into(),
            status: "new".into(),
            source: "import:polisen".into(),
            bbox: "16.0,59.3,16.3,59.5".into(),
            ..Default::default()
        };
        let (f, sort) = parse_filter(&p, &tz()).unwrap();
        assert_eq!(f.from, Some("2026-10-31T23:00:00Z".parse().unwrap()));
        assert_eq!(f.to, Some("2026-11-30T23:00:00Z".parse().unwrap()));
        assert_eq!(f.source, Some(Source::ImportPolisen));
        assert_eq!(f.bbox, Some([16.0, 59.3, 16.3, 59.5]));
        assert_eq!(sort, Sort::OccurredDesc);
    }

    #[test]
    fn bad_values_are_all_reported() {
        let p = ListParams {
            from: "igår".into(),
            category: "Trafik!".into(),
            area: "x".into(),
            status: "open".into(),
            bbox: "1,2,3".into(),
            sort: "random".into(),
            ..Default::default()
        };
        let errors = parse_filter(&p, &tz()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["from", "area", "category", "status", "bbox", "sort"]
        );
    }

    #[test]
    fn cursors_round_trip() {
        let c = Cursor {
            occurred_from: "2026-01-01T00:00:00Z".parse().unwrap(),
            id: 42,
        };
        let p = ListParams {
            cursor: format_cursor(&c),
            ..Default::default()
        };
        assert_eq!(parse_cursor(&p).unwrap(), Some(c));
        let bad = ListParams {
            cursor: "abc".into(),
            ..Default::default()
        };
        assert!(parse_cursor(&bad).is_err());
        assert_eq!(
            parse_limit(
                &ListParams {
                    limit: "0".into(),
                    ..Default::default()
                },
                100,
                1000
            )
            .unwrap_err()
            .field,
            "limit"
        );
    }
}
