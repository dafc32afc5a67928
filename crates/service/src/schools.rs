//! The school view: incidents on and around a school's area and when they happen (school
//! hours, evenings and nights, weekends, school holidays), the actions there, and the school's
//! mobilisation list — which organisations and roles to involve when something happens (the
//! second activity of Kungsör's 2020 promise on schools).

use jiff::civil::{Date, Weekday};
use jiff::{Timestamp, ToSpan, tz::TimeZone};
use model::{Email, FieldError, Precision, RecordKind};
use serde::{Deserialize, Serialize};
use store::{
    Actor, IncidentFilter, NewRecord, Place, PlaceId, Record, Store, StoreError, TenantId, UserId,
};

/// "Around" a school: within this many metres of its area's bounding box.
pub const AROUND_METRES: f64 = 300.0;

/// When in the school's year and day an incident started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SchoolTime {
    /// Monday–Friday 07:30–16:30 outside holidays.
    SchoolHours,
    /// Monday–Friday outside school hours, outside holidays.
    EveningsNights,
    Weekend,
    /// Sportlov (week 9 in Västmanland), påsklov (the week after Easter Sunday), summer
    /// (15 June – 15 August), höstlov (week 44), Christmas (21 December – 6 January).
    Holiday,
}

impl SchoolTime {
    pub const ALL: [SchoolTime; 4] = [
        SchoolTime::SchoolHours,
        SchoolTime::EveningsNights,
        SchoolTime::Weekend,
        SchoolTime::Holiday,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SchoolTime::SchoolHours => "school_hours",
            SchoolTime::EveningsNights => "evenings_nights",
            SchoolTime::Weekend => "weekend",
            SchoolTime::Holiday => "holiday",
        }
    }
}

/// Easter Sunday (the anonymous Gregorian algorithm).
pub fn easter(year: i16) -> Date {
    let y = i32::from(year);
    let (a, b, c) = (y % 19, y / 100, y % 100);
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    jiff::civil::date(year, month as i8, day as i8)
}

pub fn is_holiday(d: Date) -> bool {
    let (m, day) = (d.month(), d.day());
    let week = d.iso_week_date().week();
    let easter_monday = easter(d.year()) + 1.days();
    (m == 12 && day >= 21)
        || (m == 1 && day <= 6)
        || (m == 6 && day >= 15)
        || m == 7
        || (m == 8 && day <= 15)
        || week == 9
        || week == 44
        || (d >= easter_monday && d < easter_monday + 5.days())
}

pub fn school_time(t: Timestamp, tz: &TimeZone) -> SchoolTime {
    let z = t.to_zoned(tz.clone());
    let d = z.date();
    if is_holiday(d) {
        return SchoolTime::Holiday;
    }
    if matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
        return SchoolTime::Weekend;
    }
    let minutes = i32::from(z.hour()) * 60 + i32::from(z.minute());
    if (7 * 60 + 30..16 * 60 + 30).contains(&minutes) {
        SchoolTime::SchoolHours
    } else {
        SchoolTime::EveningsNights
    }
}

/// Who to involve at a school when something happens.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Contact {
    pub organisation: String,
    pub role: String,
    /// A work address of the function (e.g. rektor@…, fritid@…): officials, never residents.
    pub email: String,
}

/// A school's mobilisation list (`RecordKind::Mobilisation`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Mobilisation {
    pub school_id: PlaceId,
    pub contacts: Vec<Contact>,
}

pub fn parse_contact(
    organisation: &str,
    role: &str,
    email: &str,
) -> Result<Contact, Vec<FieldError>> {
    let mut errors = Vec::new();
    let text = |field: &str, v: &str, errors: &mut Vec<FieldError>| {
        let t = v.trim().to_string();
        if t.is_empty() {
            errors.push(FieldError::new(field, "error-required", v));
        } else if t.chars().count() > 120 || t.chars().any(char::is_control) {
            errors.push(FieldError::new(field, "error-too-long-200", v));
        }
        t
    };
    let organisation = text("organisation", organisation, &mut errors);
    let role = text("role", role, &mut errors);
    let email = match Email::parse(email) {
        Ok(e) => e.as_str().to_string(),
        Err(_) => {
            errors.push(FieldError::new("email", "error-email", email));
            String::new()
        }
    };
    if errors.is_empty() {
        Ok(Contact {
            organisation,
            role,
            email,
        })
    } else {
        Err(errors)
    }
}

/// The school's mobilisation list and its record, if it has one.
pub async fn mobilisation(
    store: &dyn Store,
    tenant: TenantId,
    school: PlaceId,
) -> Result<Option<(Record, Mobilisation)>, StoreError> {
    Ok(store
        .records(tenant, RecordKind::Mobilisation, None)
        .await?
        .into_iter()
        .filter_map(|r| {
            let m: Mobilisation = serde_json::from_value(r.data.clone()).ok()?;
            (m.school_id == school).then_some((r, m))
        })
        .next())
}

/// Replaces the school's list (creating it the first time).
pub async fn save_mobilisation(
    store: &dyn Store,
    tenant: TenantId,
    m: &Mobilisation,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<Record, StoreError> {
    let data = serde_json::to_value(m).map_err(|e| StoreError::Backend(e.to_string()))?;
    match mobilisation(store, tenant, m.school_id).await? {
        Some((r, _)) => store.update_record(tenant, r.id, &data, by, now).await,
        None => {
            store
                .create_record(&NewRecord {
                    tenant_id: tenant,
                    kind: RecordKind::Mobilisation,
                    parent_id: None,
                    data,
                    by,
                    at: now,
                })
                .await
        }
    }
}

/// A school's incidents in a period: on its area, around it, and when.
#[derive(Debug, Clone, Serialize)]
pub struct SchoolPicture {
    pub on_area: u64,
    pub around: u64,
    /// Per `SchoolTime::ALL`, incidents on or around the school.
    pub by_time: Vec<(&'static str, u64)>,
    /// Per category code (on or around), most first.
    pub by_category: Vec<(String, u64)>,
}

/// The incidents `actor` may see that started in [from, to) on and around the school.
pub async fn picture(
    store: &dyn Store,
    actor: &Actor,
    school: &Place,
    from: Timestamp,
    to: Timestamp,
) -> Result<SchoolPicture, StoreError> {
    let tz = crate::stockholm();
    let shape = geo::MultiPolygon::from_geojson_str(&school.geometry_geojson).ok();
    // The box around the area, widened by AROUND_METRES (in degrees at its latitude).
    let [w, s, e, n] = shape
        .as_ref()
        .map_or([school.lon, school.lat, school.lon, school.lat], |m| {
            m.bbox()
        });
    let dlat = AROUND_METRES / 111_320.0;
    let dlon = AROUND_METRES / (111_320.0 * s.to_radians().cos().max(0.1));
    let window = |bbox: Option<[f64; 4]>, area_id: Option<PlaceId>| IncidentFilter {
        from: Some(from),
        to: Some(to),
        bbox,
        area_id,
        ..Default::default()
    };
    let (near, on) = (
        window(Some([w - dlon, s - dlat, e + dlon, n + dlat]), None),
        window(None, Some(school.id)),
    );
    let (near, on) = tokio::try_join!(
        store.incident_points(actor, &near, 200_000),
        store.incident_points(actor, &on, 200_000),
    )?;
    let on_ids: std::collections::HashSet<i64> = on.iter().map(|p| p.id).collect();
    let mut all = on.clone();
    all.extend(
        near.into_iter()
            .filter(|p| !on_ids.contains(&p.id) && p.precision != Precision::Municipality),
    );
    let mut by_time = [0u64; 4];
    let mut by_cat: std::collections::BTreeMap<String, u64> = Default::default();
    for p in &all {
        let k = SchoolTime::ALL
            .iter()
            .position(|t| *t == school_time(p.occurred_from, &tz))
            .unwrap_or(0);
        by_time[k] += 1;
        *by_cat.entry(p.category.as_str().to_string()).or_default() += 1;
    }
    let mut by_category: Vec<(String, u64)> = by_cat.into_iter().collect();
    by_category.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(SchoolPicture {
        on_area: on.len() as u64,
        around: (all.len() - on.len()) as u64,
        by_time: SchoolTime::ALL
            .iter()
            .map(|t| t.as_str())
            .zip(by_time)
            .collect(),
        by_category,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_and_the_school_calendar() {
        assert_eq!(easter(2024), jiff::civil::date(2024, 3, 31));
        assert_eq!(easter(2026), jiff::civil::date(2026, 4, 5));
        assert_eq!(easter(2027), jiff::civil::date(2027, 3, 28));
        let tz = crate::stockholm();
        let at = |s: &str| -> Timestamp { s.parse().unwrap() };
        // Tuesday 10 November 2026, 09:00 local (08:00 UTC): school hours.
        assert_eq!(
            school_time(at("2026-11-10T08:00:00Z"), &tz),
            SchoolTime::SchoolHours
        );
        // The same day 16:45 local: after school.
        assert_eq!(
            school_time(at("2026-11-10T15:45:00Z"), &tz),
            SchoolTime::EveningsNights
        );
        // Saturday.
        assert_eq!(
            school_time(at("2026-11-14T12:00:00Z"), &tz),
            SchoolTime::Weekend
        );
        // Höstlov (week 44), a Wednesday morning.
        assert_eq!(
            school_time(at("2026-10-28T09:00:00Z"), &tz),
            SchoolTime::Holiday
        );
        // Påsklov: the Tuesday after Easter 2026.
        assert_eq!(
            school_time(at("2026-04-07T09:00:00Z"), &tz),
            SchoolTime::Holiday
        );
        // Summer, Christmas.
        assert_eq!(
            school_time(at("2026-07-01T09:00:00Z"), &tz),
            SchoolTime::Holiday
        );
        assert_eq!(
            school_time(at("2027-01-04T09:00:00Z"), &tz),
            SchoolTime::Holiday
        );
        assert_eq!(
            school_time(at("2027-01-08T09:00:00Z"), &tz),
            SchoolTime::SchoolHours
        );
    }

    #[test]
    fn contacts_are_officials_with_a_valid_address() {
        let c = parse_contact(
            " Kungsgårdsskolan ",
            "Rektor",
            "Rektor.Kungsgarden@kungsor.se",
        )
        .unwrap();
        assert_eq!(c.organisation, "Kungsgårdsskolan");
        assert_eq!(c.email, "rektor.kungsgarden@kungsor.se");
        let e = parse_contact("", "Fältassistent", "inte-en-adress").unwrap_err();
        assert_eq!(
            e.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            vec!["organisation", "email"]
        );
    }
}
