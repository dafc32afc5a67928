use crate::{CategoryCode, ParseError, Visibility};
use jiff::{Timestamp, ToSpan, tz::TimeZone};
use serde::{Deserialize, Serialize};

pub const MAX_DESCRIPTION_CHARS: usize = 4000;
pub const MAX_PERSONS: u32 = 500;
/// Reports may be dated this far ahead of the server clock (clock skew of phones).
const FUTURE_SLACK_MINUTES: i64 = 10;
/// An interval longer than this is not a "time it happened" any more.
const MAX_INTERVAL_DAYS: i64 = 31;

/// A point in WGS84 (EPSG:4326), longitude and latitude in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Wgs84 {
    pub lon: f64,
    pub lat: f64,
}

impl Wgs84 {
    pub fn parse(lon: f64, lat: f64) -> Result<Self, ParseError> {
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(ParseError::Invalid {
                kind: "longitude",
                value: lon.to_string(),
                reason: "must be between -180 and 180",
            });
        }
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(ParseError::Invalid {
                kind: "latitude",
                value: lat.to_string(),
                reason: "must be between -90 and 90",
            });
        }
        Ok(Wgs84 { lon, lat })
    }
}

/// When an incident happened: an instant, or an interval when only that is known
/// ("between 22:00 and 06:00").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OccurredTime {
    Instant(Timestamp),
    Interval { from: Timestamp, to: Timestamp },
}

impl OccurredTime {
    pub fn from(&self) -> Timestamp {
        match *self {
            OccurredTime::Instant(t) => t,
            OccurredTime::Interval { from, .. } => from,
        }
    }
    pub fn to(&self) -> Timestamp {
        match *self {
            OccurredTime::Instant(t) => t,
            OccurredTime::Interval { to, .. } => to,
        }
    }
    /// Builds from stored bounds: equal bounds are an instant.
    pub fn from_bounds(from: Timestamp, to: Timestamp) -> Self {
        if from == to {
            OccurredTime::Instant(from)
        } else {
            OccurredTime::Interval { from, to }
        }
    }
}

/// Free text describing a place or situation. Trimmed, at most [`MAX_DESCRIPTION_CHARS`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Description(String);

impl Description {
    pub fn parse(value: &str) -> Result<Self, ParseError> {
        let v = value.trim();
        if v.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(ParseError::Invalid {
                kind: "description",
                value: v.chars().take(40).collect::<String>() + "…",
                reason: "longer than 4000 characters",
            });
        }
        if v.chars().any(|c| {
            (c.is_control() && c != '\n' && c != '\r' && c != '\t') || crate::bidi_control(c)
        }) {
            return Err(ParseError::Invalid {
                kind: "description",
                value: v.chars().take(40).collect(),
                reason: "contains control characters",
            });
        }
        Ok(Description(v.replace("\r\n", "\n")))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

/// One problem with one field of a submitted form or API request.
///
/// `code` is a stable message id (translated by the web layer, see `locales/*.ftl`);
/// `value` is what was submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub value: String,
}

impl FieldError {
    pub fn new(field: &str, code: &'static str, value: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            code,
            value: value.into(),
        }
    }
}

/// An incident as submitted, field by field, before validation. Both the HTML form and the JSON
/// API fill one of these, so both validate the same way.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IncidentDraft {
    pub category: String,
    pub occurred_at: String,
    pub occurred_from: String,
    pub occurred_to: String,
    pub lat: String,
    pub lon: String,
    pub place_id: String,
    pub place_text: String,
    pub description: String,
    pub school_id: String,
    pub persons_involved: String,
    pub visibility: String,
    /// The incident this one is the same as (the reporter took a duplicate hint).
    pub same_as: String,
    pub confirm_outside: bool,
    /// Times must carry their UTC offset (the JSON API); the web form's `datetime-local`
    /// values are read in Swedish time instead.
    pub offset_required: bool,
}

/// A draft that passed every check that needs no database.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidIncident {
    pub category: CategoryCode,
    pub occurred: OccurredTime,
    pub point: Option<Wgs84>,
    pub place_id: Option<i64>,
    pub place_text: Option<String>,
    pub description: Description,
    pub school_id: Option<i64>,
    pub persons_involved: Option<u32>,
    pub visibility: Option<Visibility>,
    pub same_as: Option<i64>,
    pub confirm_outside: bool,
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// Parses a time as RFC 3339 (`2026-11-27T21:30:00+01:00`), or as a local time in `tz`
/// without offset (`2026-11-27T21:30` from an HTML `datetime-local` input, or with a space).
/// Both within `crate::dates`' window (an offset of at most ±14:00).
pub fn parse_time(value: &str, tz: &TimeZone) -> Option<Timestamp> {
    crate::dates::instant(value).or_else(|| crate::dates::local(value, tz))
}

fn parse_number(value: &str) -> Option<f64> {
    value.trim().replace(',', ".").parse::<f64>().ok()
}

fn parse_id(field: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    if blank(value) {
        return None;
    }
    match value.trim().parse::<i64>() {
        Ok(id) if id > 0 => Some(id),
        _ => {
            errors.push(FieldError::new(field, "error-invalid-choice", value));
            None
        }
    }
}

impl IncidentDraft {
    /// Checks every field and reports every problem at once, each with its field and value.
    /// `now` is the server clock; `tz` interprets times given without offset.
    pub fn validate(
        &self,
        now: Timestamp,
        tz: &TimeZone,
    ) -> Result<ValidIncident, Vec<FieldError>> {
        let mut errors = Vec::new();

        let category = if blank(&self.category) {
            errors.push(FieldError::new("category", "error-required", ""));
            None
        } else {
            match CategoryCode::parse(&self.category) {
                Ok(c) => Some(c),
                Err(_) => {
                    errors.push(FieldError::new(
                        "category",
                        "error-invalid-choice",
                        &self.category,
                    ));
                    None
                }
            }
        };

        let occurred = self.validate_time(now, tz, &mut errors);

        let point = match (blank(&self.lat), blank(&self.lon)) {
            (true, true) => None,
            (false, true) => {
                errors.push(FieldError::new("lon", "error-required-with-lat", ""));
                None
            }
            (true, false) => {
                errors.push(FieldError::new("lat", "error-required-with-lon", ""));
                None
            }
            (false, false) => {
                let lat =
                    parse_number(&self.lat).filter(|v| v.is_finite() && (-90.0..=90.0).contains(v));
                let lon = parse_number(&self.lon)
                    .filter(|v| v.is_finite() && (-180.0..=180.0).contains(v));
                if lat.is_none() {
                    errors.push(FieldError::new("lat", "error-latitude", &self.lat));
                }
                if lon.is_none() {
                    errors.push(FieldError::new("lon", "error-longitude", &self.lon));
                }
                match (lon, lat) {
                    (Some(lon), Some(lat)) => Wgs84::parse(lon, lat).ok(),
                    _ => None,
                }
            }
        };

        let place_id = parse_id("place_id", &self.place_id, &mut errors);
        if point.is_none()
            && place_id.is_none()
            && blank(&self.lat)
            && blank(&self.lon)
            && errors.iter().all(|e| e.field != "place_id")
        {
            errors.push(FieldError::new("place", "error-place-required", ""));
        }
        let place_text = if blank(&self.place_text) {
            None
        } else if self.place_text.trim().chars().count() > 200 {
            errors.push(FieldError::new(
                "place_text",
                "error-too-long-200",
                &self.place_text,
            ));
            None
        } else {
            Some(self.place_text.trim().to_string())
        };

        let description = match Description::parse(&self.description) {
            Ok(d) if d.as_str().is_empty() => {
                errors.push(FieldError::new("description", "error-required", ""));
                d
            }
            Ok(d) => d,
            Err(_) => {
                errors.push(FieldError::new(
                    "description",
                    "error-description",
                    self.description.chars().take(40).collect::<String>(),
                ));
                Description::default()
            }
        };

        // Privacy: no identity numbers, phone numbers or e-mail addresses in free text.
        for (field, text) in [
            ("place_text", &self.place_text),
            ("description", &self.description),
        ] {
            let found = crate::screening::screen(text);
            if !found.is_empty() {
                let list: Vec<&str> = found.iter().map(|f| f.text.as_str()).collect();
                errors.push(FieldError::new(field, "error-sensitive", list.join(", ")));
            }
        }

        let school_id = parse_id("school_id", &self.school_id, &mut errors);
        let same_as = parse_id("same_as", &self.same_as, &mut errors);

        let persons_involved = if blank(&self.persons_involved) {
            None
        } else {
            match self.persons_involved.trim().parse::<u32>() {
                Ok(n) if n <= MAX_PERSONS => Some(n),
                _ => {
                    errors.push(FieldError::new(
                        "persons_involved",
                        "error-persons",
                        &self.persons_involved,
                    ));
                    None
                }
            }
        };

        let visibility = if blank(&self.visibility) {
            None
        } else {
            match Visibility::parse(&self.visibility) {
                Ok(v) => Some(v),
                Err(_) => {
                    errors.push(FieldError::new(
                        "visibility",
                        "error-invalid-choice",
                        &self.visibility,
                    ));
                    None
                }
            }
        };

        match (category, occurred) {
            (Some(category), Some(occurred)) if errors.is_empty() => Ok(ValidIncident {
                category,
                occurred,
                point,
                place_id,
                place_text,
                description,
                school_id,
                persons_involved,
                visibility,
                same_as,
                confirm_outside: self.confirm_outside,
            }),
            _ => Err(errors),
        }
    }

    fn validate_time(
        &self,
        now: Timestamp,
        tz: &TimeZone,
        errors: &mut Vec<FieldError>,
    ) -> Option<OccurredTime> {
        let latest = now
            .checked_add(FUTURE_SLACK_MINUTES.minutes())
            .unwrap_or(now);
        let earliest = now.checked_sub((24 * 366 * 20).hours()).unwrap_or(now);
        let mut one = |field: &str, value: &str| -> Option<Timestamp> {
            let parsed = if self.offset_required {
                crate::dates::instant(value)
            } else {
                parse_time(value, tz)
            };
            match parsed {
                None => {
                    errors.push(FieldError::new(field, "error-time", value));
                    None
                }
                Some(t) if t > latest => {
                    errors.push(FieldError::new(field, "error-time-future", value));
                    None
                }
                Some(t) if t < earliest => {
                    errors.push(FieldError::new(field, "error-time-too-old", value));
                    None
                }
                Some(t) => Some(t),
            }
        };
        // `occurred_at` is the API's instant; the form's first field is `occurred_from`.
        let (start_field, start) = if !blank(&self.occurred_at) {
            ("occurred_at", self.occurred_at.as_str())
        } else {
            ("occurred_from", self.occurred_from.as_str())
        };
        if blank(start) {
            errors.push(FieldError::new(start_field, "error-required", ""));
            return None;
        }
        let from = one(start_field, start);
        if blank(&self.occurred_to) {
            return from.map(OccurredTime::Instant);
        }
        let to = one("occurred_to", &self.occurred_to)?;
        let from = from?;
        if to < from {
            errors.push(FieldError::new(
                "occurred_to",
                "error-interval-order",
                &self.occurred_to,
            ));
            return None;
        }
        if to.duration_since(from).as_secs() > MAX_INTERVAL_DAYS * 86_400 {
            errors.push(FieldError::new(
                "occurred_to",
                "error-interval-too-long",
                &self.occurred_to,
            ));
            return None;
        }
        Some(OccurredTime::from_bounds(from, to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-27T12:00:00Z".parse().unwrap()
    }
    fn tz() -> TimeZone {
        TimeZone::get("Europe/Stockholm").unwrap()
    }
    fn draft() -> IncidentDraft {
        IncidentDraft {
            category: "skadegorelse-klotter".into(),
            occurred_from: "2026-11-26T22:15".into(),
            lat: "59.4224".into(),
            lon: "16.0978".into(),
            description: "Klotter på gavel mot parkeringen.".into(),
            ..Default::default()
        }
    }
    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_good_draft_validates() {
        let v = draft().validate(now(), &tz()).unwrap();
        assert_eq!(v.category.as_str(), "skadegorelse-klotter");
        // 22:15 Stockholm winter time is 21:15 UTC.
        assert_eq!(
            v.occurred,
            OccurredTime::Instant("2026-11-26T21:15:00Z".parse().unwrap())
        );
        assert_eq!(
            v.point,
            Some(Wgs84 {
                lon: 16.0978,
                lat: 59.4224
            })
        );
        assert_eq!(v.visibility, None);
    }

    #[test]
    fn rfc3339_and_interval() {
        let mut d = draft();
        d.occurred_from = String::new();
        d.occurred_at = String::new();
        d.occurred_from = "2026-11-26T22:00:00+01:00".into();
        d.occurred_to = "2026-11-27T06:00:00+01:00".into();
        let v = d.validate(now(), &tz()).unwrap();
        assert_eq!(
            v.occurred,
            OccurredTime::Interval {
                from: "2026-11-26T21:00:00Z".parse().unwrap(),
                to: "2026-11-27T05:00:00Z".parse().unwrap()
            }
        );
    }

    #[test]
    fn swedish_decimal_comma_is_accepted() {
        let mut d = draft();
        d.lat = "59,4224".into();
        d.lon = "16,0978".into();
        assert!(d.validate(now(), &tz()).is_ok());
    }

    #[test]
    fn every_error_is_reported_with_field_and_value() {
        let d = IncidentDraft {
            category: "Klotter!".into(),
            occurred_from: "igår".into(),
            lat: "91".into(),
            lon: "abc".into(),
            persons_involved: "-3".into(),
            visibility: "everyone".into(),
            school_id: "x".into(),
            description: "x".repeat(MAX_DESCRIPTION_CHARS + 1),
            ..Default::default()
        };
        let errors = d.validate(now(), &tz()).unwrap_err();
        assert_eq!(
            fields(&errors),
            vec![
                "category",
                "occurred_from",
                "lat",
                "lon",
                "description",
                "school_id",
                "persons_involved",
                "visibility"
            ]
        );
        assert_eq!(errors[0].value, "Klotter!");
        assert_eq!(errors[1].value, "igår");
        assert_eq!(errors[2].code, "error-latitude");
    }

    #[test]
    fn missing_place_and_time() {
        let d = IncidentDraft {
            category: "trafik".into(),
            ..Default::default()
        };
        let errors = d.validate(now(), &tz()).unwrap_err();
        // A report says what happened: the description is required too.
        assert_eq!(
            fields(&errors),
            vec!["occurred_from", "place", "description"]
        );
        assert!(errors.iter().all(|e| e.code.starts_with("error-")));
    }

    #[test]
    fn half_a_coordinate_is_an_error() {
        let mut d = draft();
        d.lon = String::new();
        let errors = d.validate(now(), &tz()).unwrap_err();
        assert_eq!(fields(&errors), vec!["lon"]);
    }

    #[test]
    fn future_reversed_and_long_intervals_are_refused() {
        let mut d = draft();
        d.occurred_from = "2026-11-28T12:00".into();
        assert_eq!(
            d.validate(now(), &tz()).unwrap_err()[0].code,
            "error-time-future"
        );

        let mut d = draft();
        d.occurred_to = "2026-11-26T21:00".into();
        assert_eq!(
            d.validate(now(), &tz()).unwrap_err()[0].code,
            "error-interval-order"
        );

        let mut d = draft();
        d.occurred_from = "2026-09-01T12:00".into();
        d.occurred_to = "2026-11-26T21:00".into();
        assert_eq!(
            d.validate(now(), &tz()).unwrap_err()[0].code,
            "error-interval-too-long"
        );
    }

    #[test]
    fn personal_data_in_free_text_is_refused_with_what_was_found() {
        let mut d = draft();
        d.description = "Ring mig på 070-123 45 67, pnr 19121212-1212".into();
        d.place_text = "hos anna.berg@kungsor.se".into();
        let errors = d.validate(now(), &tz()).unwrap_err();
        assert_eq!(fields(&errors), vec!["place_text", "description"]);
        assert_eq!(errors[1].code, "error-sensitive");
        assert_eq!(errors[1].value, "070-123 45 67, 19121212-1212");
        assert_eq!(errors[0].value, "anna.berg@kungsor.se");
    }

    #[test]
    fn place_id_instead_of_point() {
        let mut d = draft();
        d.lat = String::new();
        d.lon = String::new();
        d.place_id = "7".into();
        let v = d.validate(now(), &tz()).unwrap();
        assert_eq!(v.place_id, Some(7));
        assert_eq!(v.point, None);
    }

    #[test]
    fn wgs84_ranges() {
        assert!(Wgs84::parse(16.0, 59.0).is_ok());
        assert!(Wgs84::parse(181.0, 59.0).is_err());
        assert!(Wgs84::parse(16.0, f64::NAN).is_err());
    }

    #[test]
    fn descriptions() {
        assert_eq!(Description::parse("  a\r\nb ").unwrap().as_str(), "a\nb");
        assert!(Description::parse("bell\u{7}").is_err());
    }
}
